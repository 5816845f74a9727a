"""Early stopping, checkpoints, learning-rate schedules."""
import math

import numpy as np
import pytest

from framework.callbacks import Callback, EarlyStopping, LearningRateScheduler, ModelCheckpoint, ReduceLROnPlateau
from framework.history import History
from framework.checkpoint import load_checkpoint
from framework.network import MLP
from framework.optimizers import SGD, Adam
from framework.schedules import Constant, CosineAnnealing, ExponentialDecay, StepDecay
from framework.training import evaluate, fit


@pytest.fixture(scope="module")
def overfitting_data():
    """Few noisy samples and a big network: the validation loss turns up after a few epochs."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 20))
    t = (x[:, 0] + rng.normal(size=60) * 1.5 > 0).astype(int)
    x_val = rng.normal(size=(200, 20))
    t_val = (x_val[:, 0] > 0).astype(int)
    return x, t, x_val, t_val


def test_early_stopping_stops_at_patience_and_restores_best_weights(overfitting_data):
    x, t, x_val, t_val = overfitting_data
    model = MLP(20, [200], 2, seed=0)
    stopper = EarlyStopping(patience=5)
    history = fit(model, Adam(lr=0.01), x, t, epochs=200, batch_size=20, validation_data=(x_val, t_val),
                  callbacks=[stopper], progress=0)
    best = int(np.argmin(history.val_loss)) + 1
    assert history.best_epoch == best
    assert history.stopped_epoch == best + 5 == history.epochs < 200
    val_loss, _ = evaluate(model, x_val, t_val)
    assert val_loss == pytest.approx(history.val_loss[best - 1], rel=1e-12)  # the best epoch's weights


def test_ctrl_c_keeps_history_and_restores_best_weights(overfitting_data):
    x, t, x_val, t_val = overfitting_data

    class InterruptAt(Callback):
        def on_epoch_end(self, epoch, logs):
            if epoch == 15:
                raise KeyboardInterrupt

    model = MLP(20, [200], 2, seed=0)
    with pytest.warns(RuntimeWarning, match="interrupted"):
        history = fit(model, Adam(lr=0.01), x, t, epochs=100, batch_size=20, validation_data=(x_val, t_val),
                      callbacks=[EarlyStopping(patience=50), InterruptAt()], progress=0)
    assert history.epochs == 15
    best = int(np.argmin(history.val_loss))
    assert best < 14  # the run had turned up, so restoring changes the weights
    assert evaluate(model, x_val, t_val)[0] == pytest.approx(history.val_loss[best], rel=1e-12)


def test_early_stopping_needs_the_monitored_value():
    x, t = np.ones((4, 2)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="monitor='val_loss' has no value.*validation_fraction"):
        fit(MLP(2, [2], 2, seed=0), SGD(), x, t, epochs=2, callbacks=[EarlyStopping()], progress=0)


def test_model_checkpoint_best_only_keeps_the_best_epoch(tmp_path, overfitting_data):
    x, t, x_val, t_val = overfitting_data
    path = tmp_path / "best.npz"
    history = fit(MLP(20, [50], 2, seed=0), Adam(lr=0.01), x, t, epochs=25, batch_size=20,
                  validation_data=(x_val, t_val), callbacks=[ModelCheckpoint(path, save_best_only=True)], progress=0)
    best = int(np.argmin(history.val_loss)) + 1
    checkpoint = load_checkpoint(path)
    assert checkpoint.epoch == best
    assert evaluate(checkpoint.model, x_val, t_val)[0] == pytest.approx(history.val_loss[best - 1], rel=1e-12)


@pytest.mark.parametrize("schedule, expected", [
    (Constant(0.1), lambda e: 0.1),
    (StepDecay(0.1, step_size=3, gamma=0.5), lambda e: 0.1 * 0.5 ** ((e - 1) // 3)),
    (ExponentialDecay(0.1, gamma=0.9), lambda e: 0.1 * 0.9 ** (e - 1)),
    (CosineAnnealing(0.1, epochs=8, min_lr=0.01), lambda e: 0.01 + 0.09 * (1 + math.cos(math.pi * (e - 1) / 8)) / 2),
], ids=["constant", "step", "exponential", "cosine"])
def test_schedules_follow_their_formula_epoch_by_epoch(schedule, expected):
    x, t = np.random.default_rng(0).normal(size=(8, 2)), np.array([0, 1] * 4)
    history = fit(MLP(2, [3], 2, seed=0), SGD(lr=1.0), x, t, epochs=8, batch_size=4,
                  callbacks=[LearningRateScheduler(schedule)], progress=0)
    assert history.lr == pytest.approx([expected(e) for e in range(1, 9)], rel=1e-12)


def test_step_decay_values_by_hand():
    schedule = StepDecay(1.0, step_size=2, gamma=0.1)
    assert [schedule(e) for e in range(1, 6)] == pytest.approx([1, 1, 0.1, 0.1, 0.01])
    assert CosineAnnealing(1.0, epochs=4)(3) == pytest.approx(0.5)


def test_reduce_on_plateau_divides_by_five_after_patience():
    scheduler = ReduceLROnPlateau(patience=2)
    optimizer = SGD(lr=1.0)
    scheduler.set_context(None, optimizer, History())
    scheduler.on_train_begin({})
    lrs = []
    for epoch, loss in enumerate([1.0, 0.5, 0.5, 0.49995, 0.4, 0.4, 0.4, 0.4], start=1):
        scheduler.on_epoch_end(epoch, {"loss": loss})
        lrs.append(optimizer.lr)
    # epochs 3 and 4 fail to improve by 1e-4 -> /5; epoch 5 improves; 6 and 7 fail -> /5; 8 fails once
    assert lrs == pytest.approx([1.0, 1.0, 1.0, 0.2, 0.2, 0.2, 0.04, 0.04])


def _early_stopping_run(data, path, epochs, resume=False):
    x, t, x_val, t_val = data
    model, optimizer = MLP(20, [100], 2, dropout=0.1, seed=0), Adam(lr=0.01)
    history = fit(model, optimizer, x, t, epochs=epochs, batch_size=20, validation_data=(x_val, t_val), seed=3,
                  callbacks=[EarlyStopping(patience=4), ModelCheckpoint(path)], progress=0,
                  resume_from=path if resume else None)
    return model, history


def _without_times(history):
    return {k: v for k, v in history.as_dict().items() if k != "epoch_time"}


@pytest.mark.parametrize("stop_after", ["the best epoch", "the first worse epoch"])
def test_an_interrupted_early_stopping_run_resumes_to_the_same_weights_and_history(tmp_path, overfitting_data,
                                                                                      stop_after):
    model, history = _early_stopping_run(overfitting_data, tmp_path / "straight.npz", 200)
    best = history.best_epoch
    assert best < history.epochs < 200  # it stopped early, after the best epoch
    interrupted_at = best if stop_after == "the best epoch" else best + 1
    path = tmp_path / "part.npz"
    _, part = _early_stopping_run(overfitting_data, path, interrupted_at)
    checkpoint = load_checkpoint(path)
    assert checkpoint.epoch == interrupted_at and checkpoint.training_state["best"]["epoch"] == best
    resumed_model, resumed = _early_stopping_run(overfitting_data, path, 200, resume=True)
    assert _without_times(resumed) == _without_times(history)
    for key, value in model.params.items():  # the best epoch's weights, restored at the end of both runs
        np.testing.assert_array_equal(resumed_model.params[key], value, err_msg=key)
    # The file stays resumable, holds the last epoch's weights, and the best ones beside them.
    final = load_checkpoint(path)
    assert final.epoch == history.epochs and final.training_state["best"]["epoch"] == best
    from framework.checkpoint import load
    np.testing.assert_array_equal(load(path).params["W1"], model.params["W1"])
