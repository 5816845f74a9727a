"""The optional compiled Adam step gives the NumPy rule's numbers bit for bit."""
import numpy as np
import pytest

from framework import engine
from framework.optimizers import Adam, AdamW


def run(optimizer_class, dtype, fused_min_size, monkeypatch, steps=3):
    monkeypatch.setattr(engine, "FUSED_MIN_SIZE", fused_min_size)
    rng = np.random.default_rng(0)
    params = {"W": rng.normal(size=(300, 200)).astype(dtype), "b": rng.normal(size=200).astype(dtype)}
    optimizer = optimizer_class(lr=0.01)
    for _ in range(steps):
        optimizer.update(params, {key: rng.normal(size=p.shape).astype(dtype) for key, p in params.items()})
    return params, optimizer


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("optimizer_class", [Adam, AdamW])
def test_compiled_and_numpy_adam_agree_bit_for_bit(optimizer_class, dtype, monkeypatch):
    pytest.importorskip("numba")
    assert engine._adam_kernel() is not None, "numba is installed but the Adam kernel was not compiled"
    compiled, compiled_opt = run(optimizer_class, dtype, 1, monkeypatch)
    plain, plain_opt = run(optimizer_class, dtype, 10 ** 12, monkeypatch)
    for key in compiled:
        assert compiled[key].dtype == dtype
        np.testing.assert_array_equal(compiled[key], plain[key])
        np.testing.assert_array_equal(compiled_opt.m[key], plain_opt.m[key])
        np.testing.assert_array_equal(compiled_opt.v[key], plain_opt.v[key])


def test_small_or_strided_arrays_and_a_missing_numba_fall_back(monkeypatch):
    optimizer = Adam()
    optimizer.t = 1
    small = [np.ones(10) for _ in range(2)]
    assert engine.compiled_step("adam", optimizer, *small, (np.ones(10), np.ones(10))) is False
    strided = [np.ones(2 * engine.FUSED_MIN_SIZE)[::2] for _ in range(4)]
    assert engine.compiled_step("adam", optimizer, *strided[:2], tuple(strided[2:])) is False
    monkeypatch.setattr(engine, "_KERNELS", [])
    monkeypatch.setenv("FRAMEWORK_NO_NUMBA", "1")
    big = [np.ones(engine.FUSED_MIN_SIZE) for _ in range(4)]
    assert engine.compiled_step("adam", optimizer, *big[:2], tuple(big[2:])) is False
    np.testing.assert_array_equal(big[0], 1.0)  # nothing was touched


def test_only_a_rule_exactly_as_compiled_takes_the_kernel(monkeypatch):
    """A subclass with its own _step (the book's Adam, a user's) runs its own formula, never the kernel."""
    from framework import book
    from framework.optimizers import COMPILED
    assert COMPILED.get(book.Adam._step) is None and COMPILED[Adam._step] == "adam"
    calls = []
    monkeypatch.setattr(engine, "compiled_step", lambda *args: calls.append(args[0]) or False)

    class Mine(Adam):
        def _step(self, param, grad, m, v):
            param -= grad
    params = {"W": np.ones(4)}
    Mine().update(params, {"W": np.ones(4)})
    np.testing.assert_array_equal(params["W"], 0.0)
    Adam().update(params, {"W": np.ones(4)})
    assert calls == ["adam"]
