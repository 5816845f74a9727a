"""Optimizer state that decays below the smallest normal float is set to 0 every FLUSH_EVERY steps
(framework.engine.flush_subnormals): the same in the compiled and the NumPy Adam, for every optimizer
whose state decays, and the weights come out bit for bit as without the flush."""
import numpy as np
import pytest

from framework import engine
from framework.estimator import _ScikitLearnSGD
from framework.optimizers import Adam, AdamW, Momentum, Nesterov, RMSprop


def subnormals(array):
    return int(((array != 0) & (np.abs(array) < np.finfo(array.dtype).tiny)).sum())


def run(make, dtype, monkeypatch, flush_every, fused_min_size=10 ** 12, steps=32):
    """After a first step, half the weights get gradient 0 and their state is set just above the
    smallest normal float: each step shrinks it by beta, into the subnormal numbers."""
    monkeypatch.setattr(engine, "FLUSH_EVERY", flush_every)
    monkeypatch.setattr(engine, "FUSED_MIN_SIZE", fused_min_size)
    rng = np.random.default_rng(0)
    params = {"W": rng.normal(size=(200, 200)).astype(dtype)}
    optimizer = make()
    seen = []
    for step in range(steps):
        grad = rng.normal(size=(200, 200)).astype(dtype)
        if step:
            grad[:, :100] = 0
        optimizer.update(params, {"W": grad})
        if not step:
            for name in optimizer.state_names:
                getattr(optimizer, name)["W"][:, :100] = 1.01 * np.finfo(dtype).tiny
        seen.append(sum(subnormals(getattr(optimizer, name)["W"]) for name in optimizer.state_names))
    return params["W"], optimizer, seen


MAKERS = {"Adam": lambda: Adam(lr=0.01), "AdamW": lambda: AdamW(lr=0.01), "Momentum": lambda: Momentum(lr=0.01),
          "Nesterov": lambda: Nesterov(lr=0.01), "RMSprop": lambda: RMSprop(lr=0.01),
          "scikit-learn's sgd": lambda: _ScikitLearnSGD(0.01, 0.9, True)}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(MAKERS))
def test_decayed_state_is_flushed_when_due_and_the_weights_do_not_change(name, dtype, monkeypatch):
    assert engine.FLUSH_EVERY == 16
    flushed, optimizer, seen = run(MAKERS[name], dtype, monkeypatch, 16)
    kept, _, seen_without = run(MAKERS[name], dtype, monkeypatch, 10 ** 9)
    assert seen_without[15] > 0 and seen_without[31] > 0  # the decay does reach the subnormal numbers
    assert seen[14] > 0 and seen[15] == 0 and seen[31] == 0  # flushed at t = 16 and 32, not before
    np.testing.assert_array_equal(flushed, kept)  # not a bit of any weight moves


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_the_compiled_adam_flushes_as_the_numpy_rule_does(name, dtype, monkeypatch):
    pytest.importorskip("numba")
    compiled, compiled_opt, _ = run(MAKERS[name], dtype, monkeypatch, engine.FLUSH_EVERY, fused_min_size=1)
    plain, plain_opt, _ = run(MAKERS[name], dtype, monkeypatch, engine.FLUSH_EVERY)
    np.testing.assert_array_equal(compiled, plain)
    for state in ("m", "v"):  # +0.0 where flushed in both (assert_array_equal does not tell -0.0 from +0.0)
        a, b = getattr(compiled_opt, state)["W"], getattr(plain_opt, state)["W"]
        assert a.tobytes() == b.tobytes()
