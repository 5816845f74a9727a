"""Callbacks: code that runs at fixed points of `fit` (Keras' names and order).

Hooks, in the order `fit` calls them: on_train_begin, then per epoch on_epoch_begin,
on_batch_begin / on_batch_end for every batch, on_epoch_end; finally on_train_end, which also runs
when training stops early, is interrupted with Ctrl-C or diverges. Epochs are counted from 1.
`logs` is a dict of the latest values (loss, accuracy, val_loss, val_accuracy, lr, ...).
A callback sets `self.stop_training = True` to end training after the current epoch.
"""
import numpy as np

from .fileio import check_writable
from .checkpoint import describe_model, optimizer_name, save
from .checks import check_bool, check_lr, check_number
from .doctor import dead_share
from .layers import ReLU


class Callback:
    """Base class: every hook does nothing. `model`, `optimizer` and `history` are set by `fit`."""

    def __init__(self):
        self.model = None
        self.optimizer = None
        self.history = None
        self.training_state = None
        self.stop_training = False

    def set_context(self, model, optimizer, history, training_state=None):
        """Called by `fit` before training; training_state holds what a resume needs (RNG states)."""
        self.model, self.optimizer, self.history = model, optimizer, history
        self.training_state = training_state
        self.stop_training = False

    def on_train_begin(self, logs):
        pass

    def on_epoch_begin(self, epoch, logs):
        pass

    def on_batch_begin(self, batch, logs):
        pass

    def on_batch_end(self, batch, logs):
        pass

    def on_epoch_end(self, epoch, logs):
        pass

    def on_train_end(self, logs):
        pass

    def __repr__(self):
        return f"{type(self).__name__}()"


class Monitor:
    """Tracks one logged quantity: its best value, the epoch of it, and `wait`, the epochs since it last improved.

    Lower is better, or higher for accuracies (or as higher_is_better says). rule="keras": an epoch improves when it beats the best
    by more than min_delta, and only then becomes the best. rule="sklearn" (scikit-learn's MLP): an
    epoch improves when it is at least min_delta better than the best, and the best follows every
    new extreme, however small.
    """

    def __init__(self, monitor, min_delta, rule="keras", higher_is_better=None):
        self.monitor, self.rule = monitor, rule
        self.min_delta = check_number(min_delta, "min_delta", low=0)
        if higher_is_better is None:  # accuracies go up, losses down
            higher_is_better = "acc" in monitor
        self.sign = -1.0 if higher_is_better else 1.0  # compare sign * value, lower is better
        self.best, self.best_epoch, self.wait = np.inf, None, 0

    def value(self, logs):
        value = logs.get(self.monitor)
        if value is None:
            known = ", ".join(k for k, v in logs.items() if v is not None)
            raise ValueError(f"monitor={self.monitor!r} has no value (logged: {known}); "
                             "val_* values need validation_data or validation_fraction in fit")
        return value

    def update(self, epoch, logs):
        """Record the epoch's value; True when it improved (then `wait` is 0, else one more)."""
        value = self.sign * self.value(logs)
        if self.rule == "keras":
            improved = value < self.best - self.min_delta
            if improved:
                self.best, self.best_epoch = value, epoch
        else:
            improved = value <= self.best - self.min_delta
            if value < self.best:
                self.best, self.best_epoch = value, epoch
        self.wait = 0 if improved else self.wait + 1
        return improved

    def catch_up(self, history):
        """Record the epochs a resumed run already has, so they count as in the run that never stopped."""
        for epoch in range(1, history.epochs + 1):
            self.update(epoch, history.logs(epoch))

    @property
    def best_value(self):
        return self.sign * self.best


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved by more than min_delta for `patience` epochs.

    With restore_best_weights, the model ends with the weights (and batchnorm statistics) of its
    best epoch however training ends: stopped early, epochs exhausted, Ctrl-C or divergence.
    The best epoch is recorded in `history.best_epoch`. The best weights also go into the run's
    training_state, so a ModelCheckpoint file keeps them beside the last epoch's weights: the file
    stays resumable, and a resumed run ends with the same best weights as one that never stopped.
    """

    def __init__(self, monitor="val_loss", patience=10, min_delta=0.0, restore_best_weights=True):
        super().__init__()
        self.monitor, self.min_delta = monitor, check_number(min_delta, "min_delta", low=0)
        self.patience = check_number(patience, "patience", low=1, integer=True)
        self.restore_best_weights = check_bool(restore_best_weights, "restore_best_weights")

    def on_train_begin(self, logs):
        self.tracker, self.best_state = Monitor(self.monitor, self.min_delta), None
        self.tracker.catch_up(self.history)
        if self.history.stopped_epoch is not None and self.history.stopped_epoch == self.history.epochs:
            # The run being resumed had stopped early: asked to go on, it gets `patience` epochs anew
            # (the best epoch so far stays the one to beat). A run interrupted otherwise goes on as it was.
            self.tracker.wait, self.history.stopped_epoch = 0, None
        # A resumed run: the checkpoint kept the best epoch's weights (ModelCheckpoint saves training_state).
        best = (self.training_state or {}).get("best")
        if self.restore_best_weights and best is not None and best["epoch"] == self.tracker.best_epoch:
            self.best_state = best["weights"]

    def on_epoch_end(self, epoch, logs):
        if self.tracker.update(epoch, logs):
            self.history.best_epoch = epoch
            if self.restore_best_weights:
                self.best_state = self.model.get_weights()
                if self.training_state is not None:  # so that a checkpoint of this epoch keeps them
                    self.training_state["best"] = {"epoch": epoch, "weights": self.best_state}
        if self.tracker.wait >= self.patience:
            self.stop_training = True
            self.history.stopped_epoch = epoch

    def on_train_end(self, logs):
        if self.tracker.best_epoch is None:
            return
        self.history.best_epoch = self.tracker.best_epoch
        if self.best_state is not None:
            self.model.set_weights(self.best_state)

    def __repr__(self):
        return f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, min_delta={self.min_delta})"


class ModelCheckpoint(Callback):
    """Save model, optimizer, history and training state to `path` after each epoch.

    With save_best_only, only after epochs where `monitor` improved. The file can be loaded with
    `framework.checkpoint.load` or resumed with `fit(..., resume_from=path)`. metadata: a JSON-ready
    dict stored with it. It runs after the other callbacks of the epoch, wherever it stands in the list.
    """

    runs_last = True

    def __init__(self, path, monitor="val_loss", save_best_only=False, min_delta=0.0, metadata=None):
        super().__init__()
        check_writable(path, "ModelCheckpoint path")  # now, not after the first epoch
        self.path, self.monitor, self.save_best_only = path, monitor, save_best_only
        self.min_delta, self.metadata = min_delta, metadata
        self.saved_epoch = None  # the last epoch written whole (what the run's closing line reports)

    def on_train_begin(self, logs):
        try:  # refused now, before the first batch, rather than after an epoch of training
            describe_model(self.model)
            optimizer_name(self.optimizer)
        except TypeError as exc:
            raise TypeError(f"ModelCheckpoint cannot save this run: {exc}") from None
        self.tracker = Monitor(self.monitor, self.min_delta)
        if self.save_best_only:
            self.tracker.catch_up(self.history)  # a resumed run saves only what beats its earlier epochs

    def on_epoch_end(self, epoch, logs):
        if self.save_best_only and not self.tracker.update(epoch, logs):
            return
        save(self.model, self.path, optimizer=self.optimizer, history=self.history,
             training_state=self.training_state, metadata=self.metadata)
        self.saved_epoch = epoch

    def __repr__(self):
        return f"ModelCheckpoint({str(self.path)!r}, monitor={self.monitor!r}, save_best_only={self.save_best_only})"


class LearningRateScheduler(Callback):
    """Before each epoch, set optimizer.lr = schedule(epoch) (see framework.schedules)."""

    def __init__(self, schedule):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"schedule must be a function of the epoch, got {schedule!r}")
        self.schedule = schedule

    def on_epoch_begin(self, epoch, logs):
        lr = self.schedule(epoch)
        self.optimizer.lr = check_lr(lr, f"schedule({epoch})")

    def __repr__(self):
        return f"LearningRateScheduler({self.schedule!r})"


class ReduceLROnPlateau(Callback):
    """Divide the learning rate by 1 / factor after `patience` epochs without improvement.

    The defaults are scikit-learn's "adaptive" rate: monitor the training loss, divide by 5
    (factor 0.2) when 2 consecutive epochs fail to improve it by at least min_delta = 1e-4.
    """

    def __init__(self, monitor="loss", factor=0.2, patience=2, min_delta=1e-4, min_lr=0.0):
        super().__init__()
        self.monitor, self.min_delta = monitor, min_delta
        self.factor = check_number(factor, "factor", low=0, high=1, low_open=True, high_open=True)
        self.patience = check_number(patience, "patience", low=1, integer=True)
        self.min_lr = check_lr(min_lr, "min_lr")

    def on_train_begin(self, logs):
        self.tracker = Monitor(self.monitor, self.min_delta)
        for epoch in range(1, self.history.epochs + 1):  # a resumed run: count the recorded epochs
            self._plateau(epoch, self.history.logs(epoch))

    def on_epoch_end(self, epoch, logs):
        if self._plateau(epoch, logs):
            self.optimizer.lr = max(self.optimizer.lr * self.factor, self.min_lr)

    def _plateau(self, epoch, logs):
        """Record the epoch; True (and the count starts again) after `patience` epochs without improvement."""
        self.tracker.update(epoch, logs)
        if self.tracker.wait >= self.patience:
            self.tracker.wait = 0
            return True
        return False

    def __repr__(self):
        return f"ReduceLROnPlateau(monitor={self.monitor!r}, factor={self.factor}, patience={self.patience})"


class LayerStatistics(Callback):
    """Per layer and epoch: the mean and standard deviation of its output (and for a ReLU the share of
    its units that are dead: 0 for every sample); per parameter the mean gradient norm over the epoch's
    batches and the mean update/weight ratio |W_after - W_before| / |W_before| of a step, to watch
    activations saturate or die, gradients vanish or explode, and steps too large (a ratio far above
    about 1e-3) or too small for the weights.

    x_sample: a batch (for example 500 training samples) passed through the network after each
    epoch, in inference mode. Results: `activations[name]` = {"mean": [...], "std": [...]} (ReLUs also
    "dead") with names like "ReLU1"; `gradient_norms[key]` and `update_ratios[key]` = [...] with keys
    like "W1"; one entry per epoch.
    """

    def __init__(self, x_sample):
        super().__init__()
        self.x_sample = x_sample
        self.activations, self.gradient_norms, self.update_ratios = {}, {}, {}
        self._sums, self._ratios, self._before, self._batches = {}, {}, {}, 0

    def on_batch_begin(self, batch, logs):
        for key, value in self.model.params.items():  # the weights before the step, in buffers kept for the run
            before = self._before.get(key)
            if before is None or before.shape != value.shape:
                before = self._before[key] = np.empty_like(value)
            np.copyto(before, value)

    def on_batch_end(self, batch, logs):
        for key, grad in self.model.grads.items():
            self._sums[key] = self._sums.get(key, 0.0) + float(np.sqrt(np.vdot(grad, grad)))
            before, after = self._before[key], self.model.params[key]
            weight = float(np.sqrt(np.vdot(before, before)))
            if weight > 0:  # (biases start at 0: their first step has no ratio and is not counted)
                step = np.subtract(after, before, out=before)  # the copy is refilled before the next step
                total, count = self._ratios.get(key, (0.0, 0))
                self._ratios[key] = (total + float(np.sqrt(np.vdot(step, step))) / weight, count + 1)
        self._batches += 1

    def on_epoch_end(self, epoch, logs):
        for key, total in self._sums.items():
            self.gradient_norms.setdefault(key, []).append(total / max(self._batches, 1))
            total, count = self._ratios.get(key, (0.0, 0))
            self.update_ratios.setdefault(key, []).append(total / count if count else None)
        self._sums, self._ratios, self._batches = {}, {}, 0
        out = self.model.check_input(self.x_sample)
        for name, layer in zip(self.model.layer_names, self.model.layers):
            out = layer.forward(out, train=False)
            stats = self.activations.setdefault(name, {"mean": [], "std": []})
            stats["mean"].append(float(out.mean()))
            stats["std"].append(float(out.std()))
            if isinstance(layer, ReLU):
                stats.setdefault("dead", []).append(dead_share(out))

    def table(self):
        """The last epoch's statistics as text, one line per layer and per parameter."""
        lines = [f"{'layer':<22} {'mean':>10} {'std':>10} {'dead':>6}"]
        lines += [(f"{name:<22} {s['mean'][-1]:>10.4g} {s['std'][-1]:>10.4g} "
                   + (f"{s['dead'][-1]:>6.0%}" if "dead" in s else "")).rstrip() for name, s in self.activations.items()]
        lines += ["", f"{'parameter':<22} {'|grad|':>10} {'update/weight':>14}"]
        for key, norms in self.gradient_norms.items():
            ratio = self.update_ratios[key][-1]
            lines.append(f"{key:<22} {norms[-1]:>10.3e} " + (f"{ratio:>14.3e}" if ratio is not None else f"{'-':>14}"))
        return "\n".join(lines)
