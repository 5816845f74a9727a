"""A run that goes wrong says so: the training doctor's warnings, the closing line of a run that
failed, and an explicit thread count that comes first everywhere (checked by one rule)."""
import warnings

import numpy as np
import pytest

from framework.callbacks import Callback, ModelCheckpoint
from framework.datasets import load_digits
from framework.doctor import TrainingWarning
from framework.network import MLP
from framework.optimizers import SGD, Adam
from framework.training import DivergenceError, fit


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_a_diverged_run_on_raw_pixels_is_warned_about_with_the_numbers_and_the_cure(digits, capsys):
    (x, t), _ = digits
    with pytest.warns(TrainingWarning) as caught:
        history = fit(MLP(64, [100], 10, seed=0), SGD(lr=1000), x * 16, t, epochs=3, batch_size=32, seed=0,
                      progress=2)
    rose, chance = (str(w.message) for w in caught)
    assert "epoch 1: the loss rose to" in rose and "2.303 at uniform scores" in rose and "lr is 1000" in rose
    assert "at chance for 2 epochs" in chance and "of the ReLU units gave 0" in chance
    assert "scaled to [0, 1]" in rose and caught[0].filename == __file__  # the user's line, not ours
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("done: 3 epochs (reached epoch 3, as planned; it looks wrong: the loss rose at epoch 1")
    assert "it looks wrong" in history.ended


def test_a_healthy_run_and_a_run_on_labels_it_cannot_learn_stay_silent(digits):
    (x, t), _ = digits
    noise = np.random.default_rng(0).integers(0, 10, len(t))
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrainingWarning)
        fit(MLP(64, [50], 10, seed=0), Adam(lr=3e-3), x, t, epochs=3, batch_size=32, seed=0, progress=0)
        fit(MLP(64, [50], 10, seed=0), Adam(lr=3e-3), x, noise, epochs=4, batch_size=32, seed=0, progress=0)


def test_the_estimators_stay_silent_as_scikit_learns(digits):
    from framework.estimator import MLPClassifier
    (x, t), _ = digits
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrainingWarning)
        warnings.simplefilter("ignore", UserWarning)  # scikit-learn's own (ConvergenceWarning)
        MLPClassifier(hidden_layer_sizes=(20,), solver="sgd", learning_rate_init=1000.0, max_iter=3,
                      random_state=0).fit(x * 16, t)


class Boom(Callback):
    def on_epoch_end(self, epoch, logs):
        if epoch == 2:
            raise RuntimeError("the callback failed")


@pytest.mark.parametrize("progress", [2, 0])
def test_a_run_that_ends_in_an_error_says_so_and_which_epoch_was_saved_last(digits, tmp_path, capsys, progress):
    (x, t), _ = digits
    model, path = MLP(64, [10], 10, seed=0), tmp_path / "run.npz"
    with pytest.raises(RuntimeError, match="the callback failed"):
        fit(model, Adam(), x, t, epochs=4, progress=progress, callbacks=[Boom(), ModelCheckpoint(path)])
    out = capsys.readouterr().out
    if progress:
        assert out.strip().splitlines()[-1].startswith(
            "stopped: 2 epochs (stopped by RuntimeError at epoch 2: the callback failed; last saved epoch 1)")
    else:
        assert out == ""


def test_a_full_disk_at_the_second_save_reports_the_epoch_the_file_holds(digits, tmp_path, capsys, monkeypatch):
    from framework import checkpoint
    (x, t), _ = digits
    real, calls = checkpoint.save, []

    def save(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr("framework.callbacks.save", save)
    with pytest.raises(OSError):
        fit(MLP(64, [10], 10, seed=0), Adam(), x, t, epochs=3, progress=2,
            callbacks=[ModelCheckpoint(tmp_path / "run.npz")])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert "stopped by OSError at epoch 2" in last and "last saved epoch 1" in last
    assert checkpoint.load_checkpoint(tmp_path / "run.npz").epoch == 1


def test_a_diverged_run_says_it_stopped(capsys):
    (x, t), _ = load_digits(normalize=False)
    with pytest.raises(DivergenceError):
        fit(MLP(64, [100], 10, seed=0), SGD(lr=1e200), x, t, epochs=5, batch_size=32, progress=2)
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith(
        "stopped: 0 epochs (stopped by DivergenceError at epoch 1: training diverged at epoch 1")


# -- thread counts -----------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["two", "²", "-1", "0", "99999999999999999999"])
def test_an_explicit_thread_count_comes_before_a_bad_environment_everywhere(digits, monkeypatch, bad):
    (x, t), _ = digits
    monkeypatch.setenv("FRAMEWORK_THREADS", bad)
    history = fit(MLP(64, [10], 10, seed=0), Adam(), x, t, epochs=1, threads=1, validation_fraction=0.2, progress=0)
    assert history.val_loss[0] is not None  # the validation pass ran on the explicit count too
    with pytest.raises(ValueError, match="FRAMEWORK_THREADS must be a whole number from 1 to 4096"):
        fit(MLP(64, [10], 10, seed=0), Adam(), x, t, epochs=1, progress=0)


@pytest.mark.parametrize("bad, error", [(10 ** 30, ValueError), (0, ValueError), (2.0, TypeError), (True, TypeError)])
def test_a_thread_count_out_of_range_is_refused_before_training(digits, bad, error):
    (x, t), _ = digits
    with pytest.raises(error, match="threads"):
        fit(MLP(64, [10], 10, seed=0), Adam(), x, t, epochs=1, threads=bad, progress=0)


@pytest.mark.parametrize("bad", ["99999999999999999999", "²", "0"])
def test_the_command_line_refuses_a_bad_thread_count_in_one_line(bad, capsys):
    from framework.cli import main
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--threads", bad, "--epochs", "1"])
    assert exit_info.value.code == 2 and "--threads must be a whole number from 1 to 4096" in capsys.readouterr().err
