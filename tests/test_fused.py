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
    small = [np.ones(10) for _ in range(4)]
    assert engine.fused_adam(*small, 0.9, 0.999, 1e-8, 1e-3) is False
    strided = [np.ones(2 * engine.FUSED_MIN_SIZE)[::2] for _ in range(4)]
    assert engine.fused_adam(*strided, 0.9, 0.999, 1e-8, 1e-3) is False
    monkeypatch.setattr(engine, "_KERNELS", [])
    monkeypatch.setenv("FRAMEWORK_NO_NUMBA", "1")
    big = [np.ones(engine.FUSED_MIN_SIZE) for _ in range(4)]
    assert engine.fused_adam(*big, 0.9, 0.999, 1e-8, 1e-3) is False
    np.testing.assert_array_equal(big[0], 1.0)  # nothing was touched
