"""BLAS threads chosen for the problem (framework.engine.blas_threads): one thread for small products,
the process's own setting for large ones, always given back when training or prediction ends."""
import numpy as np
import pytest

from framework import engine
from framework.callbacks import Callback
from framework.network import MLP, conv_net
from framework.optimizers import Adam
from framework.training import fit

threadpoolctl = pytest.importorskip("threadpoolctl")


def blas_threads_now():
    return max(info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas")


class RecordThreads(Callback):
    def __init__(self, fail=False):
        super().__init__()
        self.seen, self.fail = [], fail

    def on_batch_end(self, batch, logs):
        self.seen.append(blas_threads_now())
        if self.fail:
            raise RuntimeError("stop here")


def small_data(rng, n=64, features=8):
    return rng.normal(size=(n, features)), rng.integers(0, 3, size=n)


def test_largest_product_is_worked_out_from_the_shapes():
    # 64 -> 100 -> 10 on batches of 32: the first Affine's 32 * 64 * 100 is the largest product.
    assert engine.largest_product(MLP(64, [100], 10, seed=0), 32) == 32 * 64 * 100
    # A 3x3 convolution of 1 -> 4 channels, pad 1, on 8x8 images: per image 4 x 9 x 64; pooling halves
    # the maps to 4x4 before the second (4 -> 5, 4 x 9 x 16 per image, 5 x 36 x 16); the Affine then
    # takes the 5*2*2 = 20 features to 7 (pooled again after the second) on the batch of 10.
    model = conv_net((1, 8, 8), filters=(4, 5), kernel_size=3, hidden_size=7, output_size=3, pool_every=1, seed=0)
    assert engine.largest_product(model, 10) == max(4 * 9 * 64, 5 * 36 * 16, 10 * 20 * 7, 10 * 7 * 3)


def test_small_products_run_on_one_thread_and_large_ones_keep_the_process_setting(monkeypatch):
    monkeypatch.delenv(engine.THREADS_VARIABLE, raising=False)
    assert engine.choose_threads(MLP(64, [100], 10, seed=0), 32) == 1
    wide = MLP(784, [2048], 10, seed=0, dtype=np.float32)
    assert 100 * 784 * 2048 >= engine.THREADS_MIN_WORK and engine.choose_threads(wide, 100) is None
    assert engine.choose_threads(wide, 100, threads=3) == 3
    monkeypatch.setenv(engine.THREADS_VARIABLE, "2")
    assert engine.choose_threads(MLP(64, [100], 10, seed=0), 32) == 2
    assert engine.choose_threads(MLP(64, [100], 10, seed=0), 32, threads=1) == 1  # the argument comes first
    monkeypatch.setenv(engine.THREADS_VARIABLE, "two")
    with pytest.raises(ValueError, match="FRAMEWORK_THREADS must be a whole number from 1 to 4096, got 'two'"):
        engine.choose_threads(MLP(64, [100], 10, seed=0), 32)


@pytest.mark.parametrize("fail", [False, True], ids=["returns", "raises"])
def test_the_users_thread_setting_is_restored_after_fit(rng, fail, monkeypatch):
    monkeypatch.delenv(engine.THREADS_VARIABLE, raising=False)
    x, t = small_data(rng)
    record = RecordThreads(fail=fail)
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads_now()
        if fail:
            with pytest.raises(RuntimeError, match="stop here"):
                fit(MLP(8, [5], 3, seed=0), Adam(), x, t, epochs=1, batch_size=16, progress=0, callbacks=[record])
        else:
            fit(MLP(8, [5], 3, seed=0), Adam(), x, t, epochs=1, batch_size=16, progress=0, callbacks=[record])
        after = blas_threads_now()
    assert record.seen and set(record.seen) == {1}  # a tiny network trains on one thread
    assert after == before  # and the process has its own setting back, however fit ended


def test_threads_argument_is_checked_and_the_run_is_the_same_on_any_count(rng):
    x, t = small_data(rng)
    with pytest.raises(ValueError, match="threads must be a whole number from 1 to 4096, got 0"):
        fit(MLP(8, [5], 3, seed=0), Adam(), x, t, epochs=1, progress=0, threads=0)
    weights = []
    for threads in (1, 2, None):
        model = MLP(8, [5], 3, seed=0)
        fit(model, Adam(), x, t, epochs=2, batch_size=16, seed=0, progress=0, threads=threads)
        weights.append(model.get_weights()["params"]["W1"])
    # Products this small are one block for BLAS on any thread count: the same numbers.
    np.testing.assert_array_equal(weights[0], weights[1])
    np.testing.assert_array_equal(weights[0], weights[2])


def test_estimators_take_threads(rng):
    import framework
    X, y = small_data(rng)
    model = framework.MLPClassifier(hidden_layer_sizes=(5,), max_iter=2, threads=1, random_state=0)
    assert model.get_params()["threads"] == 1
    with pytest.warns(Warning):
        model.fit(X, y)
    with pytest.raises(ValueError, match="threads"):
        framework.MLPRegressor(threads=-1).fit(X, y.astype(float))
