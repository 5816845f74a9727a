import numpy as np
import pytest

from framework.callbacks import Callback
from framework.datasets import load_digits
from framework.network import MLP
from framework.optimizers import SGD, Adam
from framework.training import DivergenceError, evaluate, fit


@pytest.fixture(scope="module")
def digits():
    return load_digits(seed=0)


def test_digits_loss_falls_and_accuracy_reaches_095(digits):
    (x, t), (x_test, t_test) = digits
    model = MLP(64, [100], 10, seed=0)
    history = fit(model, Adam(lr=3e-3), x, t, epochs=15, batch_size=32, validation_fraction=0.1, seed=0, progress=0)
    assert history.epochs == 15
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert sum(b < a for a, b in zip(history.loss, history.loss[1:])) >= 12  # falls nearly every epoch
    assert history.val_loss[-1] < history.val_loss[0]
    assert model.accuracy(x_test, t_test) >= 0.95
    assert len(history.batch_loss) == 15 * int(np.ceil(len(x) * 0.9 / 32))


def run(digits, seed, dtype=np.float64):
    (x, t), _ = digits
    model = MLP(64, [32], 10, dropout=0.1, batchnorm=True, seed=seed, dtype=dtype)
    history = fit(model, Adam(), x.astype(dtype), t, epochs=3, batch_size=50, validation_fraction=0.2,
                  seed=seed, progress=0)
    return model, history


def test_same_seed_gives_bit_identical_weights_and_history(digits):
    model_a, history_a = run(digits, seed=5)
    model_b, history_b = run(digits, seed=5)
    for key in model_a.params:
        np.testing.assert_array_equal(model_a.params[key], model_b.params[key])
    assert history_a.loss == history_b.loss and history_a.batch_loss == history_b.batch_loss
    assert history_a.val_loss == history_b.val_loss
    model_c, history_c = run(digits, seed=6)
    assert history_c.loss != history_a.loss


def test_float32_training_stays_float32(digits):
    model, history = run(digits, seed=0, dtype=np.float32)
    assert all(p.dtype == np.float32 for p in model.params.values())
    assert all(g.dtype == np.float32 for g in model.grads.values())
    assert np.isfinite(history.loss).all()


def test_last_partial_batch_is_averaged_over_its_own_size():
    """One epoch of plain SGD, batch 3 on 4 samples, equals two hand-made steps in the same order."""
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(4, 3)), np.array([0, 1, 0, 1])
    model, reference = MLP(3, [4], 2, seed=1), MLP(3, [4], 2, seed=1)
    fit(model, SGD(lr=0.5), x, t, epochs=1, batch_size=3, seed=7, progress=0)
    order = np.random.default_rng(7).permutation(4)
    for idx in (order[:3], order[3:]):
        grads = reference.gradient(x[idx], t[idx])
        for key in reference.params:
            reference.params[key] -= 0.5 * grads[key]
    for key in model.params:
        np.testing.assert_allclose(model.params[key], reference.params[key], rtol=1e-12)


def test_epoch_covers_every_sample_once():
    x = np.arange(10, dtype=float).reshape(10, 1)
    model = MLP(1, [2], 2, seed=0)
    batches = []
    original = model.loss_and_scores

    def recording_loss(xb, tb, train=True, sample_weight=None):
        if train:
            batches.append(xb[:, 0].copy())
        return original(xb, tb, train, sample_weight)

    model.loss_and_scores = recording_loss
    fit(model, SGD(), x, np.arange(10) % 2, epochs=2, batch_size=4, seed=0, progress=0)
    assert [len(b) for b in batches] == [4, 4, 2, 4, 4, 2]
    assert sorted(np.concatenate(batches[:3])) == list(range(10))
    assert sorted(np.concatenate(batches[3:])) == list(range(10))
    assert not np.array_equal(np.concatenate(batches[:3]), np.concatenate(batches[3:]))  # reshuffled


def test_validation_data_and_evaluate(digits):
    (x, t), (x_test, t_test) = digits
    model = MLP(64, [16], 10, seed=0)
    history = fit(model, Adam(), x, t, epochs=2, validation_data=(x_test, t_test), progress=0)
    loss, accuracy = evaluate(model, x_test, t_test, batch_size=7)
    assert history.val_loss[-1] == pytest.approx(loss, rel=1e-12)
    assert history.val_accuracy[-1] == accuracy == model.accuracy(x_test, t_test)
    assert loss == pytest.approx(model.loss(x_test, t_test, train=False), rel=1e-12)


def test_divergence_stops_with_epoch_and_cure():
    (x, t), _ = load_digits(normalize=False)  # pixels 0..16 with a learning rate of 1e200: the scores overflow
    model = MLP(64, [100], 10, seed=0)
    with pytest.raises(DivergenceError, match=r"diverged at epoch \d+, batch \d+.*lower learning rate") as info:
        fit(model, SGD(lr=1e200), x, t, epochs=20, batch_size=32, progress=0)
    assert all(np.isfinite(p).all() for p in model.params.values())  # the last finite weights are kept
    assert info.value.history is not None


def test_ctrl_c_stops_cleanly_and_keeps_history(digits):
    (x, t), _ = digits

    class Interrupt(Callback):
        def on_epoch_end(self, epoch, logs):
            if epoch == 2:
                raise KeyboardInterrupt

    ended = []

    class End(Callback):
        def on_train_end(self, logs):
            ended.append(logs)

    with pytest.warns(RuntimeWarning, match="interrupted"):
        history = fit(MLP(64, [8], 10, seed=0), Adam(), x, t, epochs=5, callbacks=[Interrupt(), End()], progress=0)
    assert history.epochs == 2 and ended and ended[0]["loss"] == history.loss[-1]


def test_callback_hooks_order_and_stop_training():
    calls = []

    class Recorder(Callback):
        def on_train_begin(self, logs):
            calls.append("train_begin")

        def on_epoch_begin(self, epoch, logs):
            calls.append(f"epoch_begin {epoch}")

        def on_batch_end(self, batch, logs):
            calls.append(f"batch {batch}")

        def on_epoch_end(self, epoch, logs):
            calls.append(f"epoch_end {epoch}")
            self.stop_training = epoch == 2

        def on_train_end(self, logs):
            calls.append("train_end")

    x, t = np.ones((4, 2)), np.array([0, 1, 0, 1])
    history = fit(MLP(2, [2], 2, seed=0), SGD(), x, t, epochs=5, batch_size=2, callbacks=[Recorder()], progress=0)
    assert calls == ["train_begin", "epoch_begin 1", "batch 0", "batch 1", "epoch_end 1",
                     "epoch_begin 2", "batch 0", "batch 1", "epoch_end 2", "train_end"]
    assert history.stopped_epoch == 2


def test_progress_levels_print_what_they_promise(capsys):
    x, t = np.ones((4, 2)), np.array([0, 1, 0, 1])
    fit(MLP(2, [2], 2, seed=0), SGD(), x, t, epochs=2, progress=0)
    assert capsys.readouterr().out == ""
    fit(MLP(2, [2], 2, seed=0), SGD(), x, t, epochs=2, progress=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("epoch 1/2  loss ") and lines[1].startswith("epoch 2/2")
    assert lines[-1].startswith("done: 2 epochs")


@pytest.mark.parametrize("kwargs, message", [
    (dict(epochs=-1), "epochs must be >= 0"),
    (dict(batch_size=0), "batch_size must be >= 1, got 0"),
    (dict(validation_fraction=1.0), "validation_fraction must be < 1"),
    (dict(progress=5), "progress must be None, 0, 1 or 2"),
    (dict(validation_data=(np.ones((2, 2)),)), "validation_data must be a pair"),
])
def test_fit_rejects_bad_arguments(kwargs, message):
    x, t = np.ones((4, 2)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match=message):
        fit(MLP(2, [2], 2, seed=0), SGD(), x, t, **kwargs)


def test_fit_rejects_bad_data():
    model = MLP(2, [2], 2, seed=0)
    with pytest.raises(ValueError, match=r"x must have 2 features per sample, got shape \(4, 3\)"):
        fit(model, SGD(), np.ones((4, 3)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="t must hold labels in \\[0, 1\\], got 2"):
        fit(model, SGD(), np.ones((4, 2)), [1, 2, 1, 2])
    with pytest.raises(ValueError, match="x must be finite"):
        fit(model, SGD(), np.array([[np.nan, 1.0]] * 2), [0, 1])
    with pytest.raises(ValueError, match="x must not be empty"):
        fit(model, SGD(), np.ones((0, 2)), [])


class SoftmaxRegression:
    """A model written from scratch against fit's public contract only (framework.training.MODEL_METHODS)."""

    def __init__(self, features, classes):
        self.params = {"W": np.zeros((features, classes)), "b": np.zeros(classes)}
        self.grads = {"W": np.zeros((features, classes)), "b": np.zeros(classes)}
        self.output_size, self.dtype = classes, np.float64

    def check_input(self, x):
        return np.asarray(x, dtype=float)

    def loss_and_scores(self, x, t, train=True, sample_weight=None):
        self.x, self.t = x, t
        scores = x @ self.params["W"] + self.params["b"]
        self.y = np.exp(scores - scores.max(axis=1, keepdims=True))
        self.y /= self.y.sum(axis=1, keepdims=True)
        return float(-np.log(self.y[np.arange(len(t)), t]).mean()), scores

    def backward(self, dout=1.0, input_grad=True):
        dscores = self.y.copy()
        dscores[np.arange(len(self.t)), self.t] -= 1
        dscores *= dout / len(self.t)
        self.grads["W"][...] = self.x.T @ dscores
        self.grads["b"][...] = dscores.sum(axis=0)

    def evaluate(self, x, t, batch_size=2048):
        loss, scores = self.loss_and_scores(self.check_input(x), np.asarray(t), train=False)
        return loss, float(np.mean(scores.argmax(axis=1) == t))

    def get_weights(self):
        return {"params": {k: v.copy() for k, v in self.params.items()}}

    def set_weights(self, weights):
        for k, v in weights["params"].items():
            self.params[k][...] = v


def test_a_model_class_of_ones_own_trains_with_fit(digits):
    (x, t), (x_test, t_test) = digits
    model = SoftmaxRegression(64, 10)
    history = fit(model, Adam(lr=1e-2), x, t, epochs=5, batch_size=64, validation_fraction=0.1, seed=0,
                  progress=0)
    assert history.loss[-1] < history.loss[0] and history.val_accuracy[-1] > 0.85
    assert model.evaluate(x_test, t_test)[1] > 0.85
    assert history.accuracy == [None] * 5  # no `correct`: no training accuracy, rather than a guessed one


def test_fit_takes_scipy_sparse_rows_and_gives_the_dense_run():
    sparse = pytest.importorskip("scipy.sparse")
    from framework.datasets import load_digits
    from framework.network import MLP
    from framework.optimizers import Adam
    (x, t), (x_test, t_test) = load_digits()
    runs = []
    for data in (x, sparse.csr_matrix(x)):
        model = MLP(64, [20], 10, seed=0)
        history = fit(model, Adam(lr=1e-2), data, t, epochs=3, validation_fraction=0.1, seed=0, progress=0)
        runs.append((history.loss, history.val_accuracy, model.predict(x_test)))
    np.testing.assert_allclose(runs[1][0], runs[0][0], rtol=1e-12)
    assert runs[1][1] == runs[0][1]
    np.testing.assert_allclose(runs[1][2], runs[0][2], rtol=1e-10, atol=1e-12)
    bad = sparse.csr_matrix(x)
    bad.data[0] = np.nan
    for data, message in ((bad, "x must be finite"), (sparse.csr_matrix((0, 64)), "x must not be empty"),
                          (sparse.csr_matrix(np.ones((2, 3))), "x must have 64 features per sample")):
        with pytest.raises(ValueError, match=message):
            fit(model, Adam(), data, np.zeros(data.shape[0], dtype=int), epochs=1, progress=0)


def test_one_fit_checks_its_data_at_the_door_and_never_per_batch(monkeypatch):
    """The labels and inputs are checked when fit and the Trainer take them; the batches of every epoch
    go through unchecked (a count that grew with epochs or batches would be a check creeping back)."""
    import framework.losses as losses
    import framework.sequential as sequential
    from framework.optimizers import Adam
    counts = {}

    def counting(module, name):
        original = getattr(module, name)

        def counted(*args, **kwargs):
            counts[name] = counts.get(name, 0) + 1
            return original(*args, **kwargs)
        monkeypatch.setattr(module, name, counted)
    counting(losses, "as_labels")
    counting(losses, "as_array")
    counting(sequential, "network_input")
    rng = np.random.default_rng(0)
    x, t = rng.random((200, 8)), rng.integers(0, 3, 200)
    seen = []
    for epochs, batch_size in ((1, 100), (3, 10)):
        counts.clear()
        fit(MLP(8, [5], 3, seed=0), Adam(), x, t, epochs=epochs, batch_size=batch_size, progress=0)
        seen.append(dict(counts))
    assert seen[0] == seen[1], seen  # 2 batches or 60: the same checks
    assert seen[0] == {"as_labels": 2, "network_input": 1}  # t by fit and by the Trainer (for its split), x once


def test_a_training_batch_enters_the_engine_a_few_times_only():
    """The rules and layers never call the engine; a batch enters it through the two doors only (the
    optimizer's base class and Sequential): what to step over, the compiled kernel, the flush."""
    import os
    import sys

    import framework.engine as engine
    from framework.optimizers import Adam
    from framework.training import Trainer
    rng = np.random.default_rng(0)
    x, t = rng.random((32, 64)), rng.integers(0, 10, 32)
    trainer = Trainer(MLP(64, [100], 10, seed=0), Adam(), x, t, batch_size=32, progress=0, doctor=False)
    trainer.train_step(x, t)  # the first step makes the optimizer's plan
    engine_file = os.path.abspath(engine.__file__)
    entries = []

    def profile(frame, event, arg):
        if event == "call" and os.path.abspath(frame.f_code.co_filename) == engine_file \
                and os.path.abspath(frame.f_back.f_code.co_filename) != engine_file:
            entries.append((os.path.basename(frame.f_back.f_code.co_filename), frame.f_code.co_name))
    sys.setprofile(profile)
    try:
        trainer.train_step(x, t)
    finally:
        sys.setprofile(None)
    assert 1 <= len(entries) <= 5, entries  # (at least the optimizer's plan: the profile does see calls)
    assert {caller for caller, _ in entries} <= {"optimizers.py", "sequential.py"}, entries
