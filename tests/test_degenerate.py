"""Degenerate data, divergence, gradient clipping and crashes in the middle of things."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from framework.doctor import TrainingWarning

from framework import engine
from framework.datasets import load_digits, standardize
from framework.checkpoint import load_checkpoint
from framework.network import MLP
from framework.optimizers import SGD, Adam
from framework.training import DivergenceError, fit


def test_standardizing_digits_blank_pixel_columns_gives_no_nan():
    (x, t), (x_test, _) = load_digits(normalize=False)
    assert (x.std(axis=0) == 0).any()  # some corner pixels are blank in every training image
    (xs, _), (xs_test, _) = load_digits(normalize="standard")
    assert np.isfinite(xs).all() and np.isfinite(xs_test).all()
    np.testing.assert_allclose(xs.mean(axis=0), 0, atol=1e-12)
    blank = x.std(axis=0) == 0
    np.testing.assert_array_equal(xs[:, blank], 0)
    manual_train, manual_test = standardize(x, x_test)
    np.testing.assert_array_equal(manual_train, xs)


def test_a_batch_of_one_and_fewer_samples_than_the_batch_size():
    x, t = np.random.default_rng(0).normal(size=(3, 4)), np.array([0, 1, 0])
    history = fit(MLP(4, [5], 2, seed=0), Adam(), x, t, epochs=2, batch_size=1, progress=0)
    assert len(history.batch_loss) == 6
    history = fit(MLP(4, [5], 2, batchnorm=True, seed=0), Adam(), x, t, epochs=2, batch_size=100, progress=0)
    assert len(history.batch_loss) == 2 and np.isfinite(history.loss).all()
    model = MLP(4, [5], 2, batchnorm=True, dropout=0.5, seed=0)
    assert model.predict(x[:1]).shape == (1, 2)


def test_integer_inputs_are_converted_once_to_the_model_dtype():
    x = np.arange(12).reshape(3, 4)
    model = MLP(4, [5], 2, seed=0, dtype=np.float32)
    assert model.predict(x).dtype == np.float32
    fit(model, Adam(), x, [0, 1, 0], epochs=1, progress=0)
    assert all(p.dtype == np.float32 for p in model.params.values())


def test_float32_digits_run_stays_float32_including_loss_and_optimizer_state():
    (x, t), _ = load_digits(dtype=np.float32)
    model, optimizer = MLP(64, [16], 10, seed=0, dtype=np.float32), Adam()
    history = fit(model, optimizer, x, t, epochs=2, progress=0)
    assert all(p.dtype == np.float32 for p in model.params.values())
    assert all(m.dtype == np.float32 for m in optimizer.m.values())
    assert all(v.dtype == np.float32 for v in optimizer.v.values())
    loss, scores = model.loss_and_scores(x[:5], t[:5])
    assert scores.dtype == np.float32 and np.isfinite(history.loss).all()


def test_divergence_on_unscaled_digits_names_the_cure_not_the_input():
    (x, t), _ = load_digits(normalize=False)
    with pytest.raises(DivergenceError) as info:  # the scores overflow: the loss becomes NaN
        fit(MLP(64, [100], 10, seed=0), SGD(lr=1e200), x, t, epochs=5, batch_size=32, progress=0)
    message = str(info.value)
    assert "diverged at epoch 1" in message and "lower learning rate" in message and "scaled" in message
    assert "must be finite" not in message


def test_gradient_clipping_caps_the_global_norm():
    params = {"a": np.zeros(2), "b": np.zeros(1)}
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([4.0])}  # global norm 5
    SGD(lr=1.0, clip_norm=1.0).update(params, grads)
    np.testing.assert_allclose(params["a"], [-0.6, 0.0], rtol=1e-6)
    np.testing.assert_allclose(params["b"], [-0.8], rtol=1e-6)
    np.testing.assert_array_equal(grads["a"], [3.0, 0.0])  # the gradients themselves are untouched
    small = {"a": np.zeros(1)}
    SGD(lr=1.0, clip_norm=10.0).update(small, {"a": np.array([2.0])})
    assert small["a"][0] == -2.0  # under the cap: unchanged


@pytest.mark.parametrize("path", ["packed", "per key"])
@pytest.mark.parametrize("name", ["sgd", "momentum", "adagrad"])
def test_clipping_scales_a_networks_step_on_both_update_paths(path, name):
    from framework.layers import Affine, ReLU
    from framework.network import Sequential
    from framework.optimizers import OPTIMIZERS
    (x, t), _ = load_digits(normalize=False)  # unscaled pixels: gradients far over the cap
    model = MLP(64, [16], 10, seed=0)
    if path == "per key":
        model = Sequential([Affine(model.params["W1"].copy(), model.params["b1"].copy()), ReLU(),
                            Affine(model.params["W2"].copy(), model.params["b2"].copy())])
    assert (engine.packed(model.params) is not None) == (path == "packed")
    before = {key: value.copy() for key, value in model.params.items()}
    grads = model.gradient(x[:32], t[:32])
    norm = np.sqrt(sum(np.sum(g * g) for g in grads.values()))
    assert norm > 10  # so a cap of 1 must change the step
    scale = 1.0 / (norm + 1e-6)
    model.loss(x[:32], t[:32])
    model.backward()
    OPTIMIZERS[name](lr=0.1, clip_norm=1.0).update(model.params, model.grads)
    for key, value in model.params.items():
        g = grads[key] * scale
        # The first step of each rule: SGD and Momentum move by lr * g, AdaGrad by lr * g / (|g| + eps).
        step = 0.1 * g if name != "adagrad" else 0.1 * g / (np.abs(g) + 1e-10)
        np.testing.assert_allclose(before[key] - value, step, rtol=1e-6, atol=1e-12, err_msg=key)
    moved = np.sqrt(sum(np.sum((before[k] - v) ** 2) for k, v in model.params.items()))
    if name != "adagrad":
        assert moved == pytest.approx(0.1, rel=1e-5)  # lr times the clipped norm of 1


def test_clipping_keeps_a_large_learning_rate_from_diverging_or_dying():
    (x, t), _ = load_digits(normalize=False)  # unscaled pixels 0..16: huge first gradients

    def run(lr, clip_norm):
        return fit(MLP(64, [32], 10, seed=0), SGD(lr=lr, clip_norm=clip_norm), x, t, epochs=3, batch_size=32,
                   seed=0, progress=0)

    # lr 2 without clipping blows the first epoch's loss up to 1e4 (finite: training goes on, dead, and the
    # training doctor says so) ...
    with pytest.warns(TrainingWarning) as caught:
        assert run(2.0, None).loss[0] > 1e3
    assert "the loss rose to" in str(caught[0].message) and "at chance" in str(caught[1].message)
    # ... with clipping it does not blow up, though at lr 2 the ReLUs still die (the doctor says that too)
    with pytest.warns(TrainingWarning, match="at chance"):
        clipped = run(2.0, 1.0)
    assert np.isfinite(clipped.loss).all() and clipped.loss[0] < 10
    # lr 0.5 kills every ReLU (the loss stays at log 10 = 2.30) unless the steps are clipped.
    with pytest.warns(TrainingWarning) as caught:
        dead = run(0.5, None)
    assert any("at chance" in str(w.message) and "of the ReLU units gave 0" in str(w.message) for w in caught)
    assert dead.loss[-1] > 2.2 > 1.0 > run(0.5, 1.0).loss[-1]


KILL_SCRIPT = r"""
import sys, time
import numpy as np
from framework.callbacks import Callback, ModelCheckpoint
from framework.network import MLP
from framework.optimizers import Adam
from framework.training import fit

class Slow(Callback):
    def on_epoch_begin(self, epoch, logs):  # the epoch before, its checkpoint included, is complete
        print(epoch - 1, flush=True)
        time.sleep(0.15)

rng = np.random.default_rng(0)
x = rng.normal(size=(200, 8)); t = (x[:, 0] > 0).astype(int)
fit(MLP(8, [16], 2, seed=0), Adam(), x, t, epochs=1000, batch_size=20, progress=0,
    callbacks=[ModelCheckpoint(sys.argv[1]), Slow()])
"""


def test_sigkill_during_training_resumes_from_the_last_complete_checkpoint(tmp_path):
    path = tmp_path / "run.npz"
    process = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        for line in process.stdout:
            if int(line) >= 3:
                break
        time.sleep(0.07)  # somewhere inside the next epoch or its save
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    checkpoint = load_checkpoint(path)
    assert checkpoint.epoch >= 3
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 8))
    t = (x[:, 0] > 0).astype(int)
    history = fit(checkpoint.model, checkpoint.optimizer, x, t, epochs=checkpoint.epoch + 2, batch_size=20,
                  progress=0, resume_from=path)
    assert history.epochs == checkpoint.epoch + 2
