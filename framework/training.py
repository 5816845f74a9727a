"""The training loop: `fit(model, optimizer, x, t, ...)` runs real epochs and returns a History.

One epoch: a fresh permutation of the training samples, cut into batches of `batch_size` (the
last, smaller batch is averaged over its own size); per batch loss, backward, optimizer.update.
"""
import math
import sys
import time
import warnings

import numpy as np

from .history import History
from .validation import as_labels, check_number, check_sample_weight


#: A batch loss over this many times the run's first batch loss (or over this many units, if the
#: first was below 1) counts as divergence: the fused loss grows without ever becoming infinite.
EXPLOSION_FACTOR = 1e3


class DivergenceError(FloatingPointError):
    """The loss became NaN or infinite, or exploded, during training. `history` holds the epochs before."""

    def __init__(self, message, history=None):
        super().__init__(message)
        self.history = history


def evaluate(model, x, t, batch_size=2048):
    """Mean loss (weight decay included) and accuracy of `model` on (x, t) in inference mode.

    Works through large batches, so memory stays bounded for big evaluation sets.
    """
    x = model._check_x(x)
    labels = as_labels(t, len(x), model.output_size, name="t")
    total_loss, correct = 0.0, 0
    for start in range(0, len(x), batch_size):
        xb, tb = x[start:start + batch_size], labels[start:start + batch_size]
        total_loss += model._loss(xb, tb, train=False) * len(xb)
        correct += int(np.count_nonzero(model.last_scores.argmax(axis=1) == tb))
    return total_loss / len(x), correct / len(x)


def fit(model, optimizer, x, t, *, epochs=10, batch_size=100, validation_data=None,
        validation_fraction=0.0, seed=None, progress=None, callbacks=None, shuffle=True, resume_from=None,
        sample_weight=None, _single_class_ok=False):
    """Train `model` with `optimizer` on inputs x (N, D) and targets t (labels (N,) or one-hot).

    epochs: the total number of epochs of the run (a resumed run continues up to it).
    validation_data: (x_val, t_val) evaluated after every epoch; or validation_fraction in [0, 1):
    that share of (x, t) is held out, stratified by class and seeded by `seed`.
    seed: int, None or a numpy Generator for the split and the shuffling (weights and dropout
    masks come from the model's own seed). progress: 0 silent; 1 a tqdm bar with one line per
    epoch; 2 one plain line per epoch; None picks 1 on a terminal and 2 otherwise.
    callbacks: a list of `framework.callbacks.Callback`.
    sample_weight: (N,) non-negative weights of the training samples (each batch loss is the
    weighted mean); the validation split, if any, is weighted equally.
    resume_from: a checkpoint written by `callbacks.ModelCheckpoint`; model, optimizer, history
    and random states are restored from it and training continues after its last epoch, ending
    bit-identical to a run that never stopped (same data, seed and callbacks).
    A NaN or infinite loss, or one over EXPLOSION_FACTOR (1000) times the first batch loss, raises
    DivergenceError naming the epoch and the cures; Ctrl-C ends training with a warning and
    returns the history so far. Returns the History.
    """
    check_number(epochs, "epochs", low=0, integer=True)
    check_number(batch_size, "batch_size", low=1, integer=True)
    check_number(validation_fraction, "validation_fraction", low=0, high=1, high_open=True)
    if progress not in (None, 0, 1, 2, False, True):
        raise ValueError(f"progress must be None, 0, 1 or 2, got {progress!r}")
    x = model._check_x(x)
    t = as_labels(t, len(x), model.output_size, name="t")
    if not _single_class_ok and (t == t[0]).all():
        raise ValueError(f"t must hold at least 2 classes to train a classifier, got only class {t[0]} "
                         f"in all {len(t)} samples")
    w = None if sample_weight is None else check_sample_weight(sample_weight, len(x), x.dtype.type)
    rng = np.random.default_rng(seed)
    history = History()
    resumed = None
    if resume_from is not None:
        from .io import CheckpointError, restore
        resumed = restore(model, resume_from, optimizer)
        if not resumed.training_state or resumed.history is None:
            raise CheckpointError(f"{resume_from} holds no training state to resume from; "
                                  "write checkpoints with callbacks.ModelCheckpoint")
        history = resumed.history
        rng.bit_generator.state = resumed.training_state["rng_start"]
    # What a checkpoint needs to resume: the generator's state before the split and after each epoch.
    training_state = {"rng_start": rng.bit_generator.state, "rng": None}
    x, t, w, x_val, t_val = _validation_split(model, x, t, w, validation_data, validation_fraction, rng)
    if resumed is not None:
        rng.bit_generator.state = resumed.training_state["rng"]

    callbacks = list(callbacks or [])
    for callback in callbacks:
        callback.set_context(model, optimizer, history, training_state)
    first_epoch = history.epochs + 1
    reporter = _Reporter(progress, epochs, first_epoch, -(-len(x) // batch_size))
    for callback in callbacks:
        callback.on_train_begin(_latest(history))
    try:
        # Overflow is not reported as numpy warnings: a non-finite loss stops training with its own message.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for epoch in range(first_epoch, epochs + 1):
                _run_epoch(model, optimizer, x, t, w, x_val, t_val, batch_size, rng, shuffle, epoch,
                           history, callbacks, reporter, training_state)
                if any(callback.stop_training for callback in callbacks):
                    history.stopped_epoch = epoch
                    break
    except KeyboardInterrupt:
        warnings.warn(f"training interrupted by the user after {history.epochs} complete epoch(s); "
                      "the history so far is kept", RuntimeWarning, stacklevel=2)
    finally:
        for callback in callbacks:
            callback.on_train_end(_latest(history))
        reporter.close(history)
    return history


def _validation_split(model, x, t, w, validation_data, validation_fraction, rng):
    """(x, t, w) to train on and (x_val, t_val) to validate on (None when there is none)."""
    if validation_data is not None:
        if validation_fraction:
            raise ValueError("give either validation_data or validation_fraction, not both")
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (x_val, t_val)")
        x_val = model._check_x(validation_data[0])
        t_val = as_labels(validation_data[1], len(x_val), model.output_size, name="validation_data[1]")
        return x, t, w, x_val, t_val
    if validation_fraction:
        from .datasets import stratified_split
        train, val = stratified_split(t, validation_fraction, rng)
        return x[train], t[train], None if w is None else w[train], x[val], t[val]
    return x, t, w, None, None


def _run_epoch(model, optimizer, x, t, w, x_val, t_val, batch_size, rng, shuffle, epoch,
               history, callbacks, reporter, training_state):
    started = time.perf_counter()
    for callback in callbacks:
        callback.on_epoch_begin(epoch, _latest(history))
    n = len(x)
    order = rng.permutation(n) if shuffle else np.arange(n)
    # Batches are gathered into one preallocated buffer instead of a new array per batch.
    x_batch = np.empty((min(batch_size, n),) + x.shape[1:], dtype=x.dtype)
    backup = model.get_weights()  # finite weights to fall back on if the epoch diverges
    total_loss, correct = 0.0, 0
    for batch, start in enumerate(range(0, n, batch_size)):
        idx = order[start:start + batch_size]
        xb = x_batch[:len(idx)]
        # mode="clip" skips numpy's per-index bounds check (a permutation is always in range),
        # a quarter of the time of gathering MNIST-sized rows.
        x.take(idx, axis=0, out=xb, mode="clip")
        tb = t[idx]
        wb = None if w is None else w[idx]
        if callbacks:
            logs = {"size": len(idx), "weight_sum": len(idx) if wb is None else float(wb.sum())}
            for callback in callbacks:
                callback.on_batch_begin(batch, logs)
        loss = model._loss(xb, tb, train=True, sample_weight=wb)
        first_loss = history.batch_loss[0] if history.batch_loss else loss
        if not math.isfinite(loss) or loss > EXPLOSION_FACTOR * max(first_loss, 1.0):
            _diverged(model, optimizer, history, epoch, batch, loss, backup)
        model.backward(input_grad=False)
        optimizer.update(model.params, model.grads)
        history.batch_loss.append(loss)
        total_loss += loss * len(idx)
        correct += int(np.count_nonzero(model.last_scores.argmax(axis=1) == tb))
        reporter.batch(epoch, loss)
        for callback in callbacks:
            callback.on_batch_end(batch, {"loss": loss, "size": len(idx)})
    val_loss = val_accuracy = None
    if x_val is not None:
        val_loss, val_accuracy = evaluate(model, x_val, t_val)
    history.append(loss=total_loss / n, accuracy=correct / n, val_loss=val_loss, val_accuracy=val_accuracy,
                   lr=optimizer.lr, epoch_time=time.perf_counter() - started)
    training_state["rng"] = rng.bit_generator.state
    logs = _latest(history)
    for callback in callbacks:
        callback.on_epoch_end(epoch, logs)
    reporter.epoch(epoch, history)


def _diverged(model, optimizer, history, epoch, batch, loss, backup):
    """Stop with a message that says where and what to try; keep finite weights in the model."""
    if not all(np.isfinite(value).all() for value in model.params.values()):
        model.set_weights(backup)
        kept = f"the weights from the start of epoch {epoch} were restored"
    else:
        kept = "the weights are finite and were kept"
    last = next((b for b in reversed(history.batch_loss) if np.isfinite(b)), None)
    what = f"became {loss}" if not np.isfinite(loss) else \
        f"exploded to {loss:.4g}, over {EXPLOSION_FACTOR:g} times the first batch's {history.batch_loss[0]:.4g}"
    raise DivergenceError(
        f"training diverged at epoch {epoch}, batch {batch + 1}: the loss {what} "
        f"(last finite batch loss: {last}); {kept}. Likely cures: a lower learning rate "
        f"(lr is {optimizer.lr}), inputs scaled to [0, 1] or standardized, or gradient clipping.",
        history)


def _latest(history):
    """The last epoch's values as a dict (empty before the first epoch)."""
    if not history.epochs:
        return {}
    return {key: getattr(history, key)[-1] for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr")}


def _format(epoch, epochs, history):
    i = epoch - 1
    parts = [f"epoch {epoch:>{len(str(epochs))}}/{epochs}", f"loss {history.loss[i]:.4f}",
             f"acc {history.accuracy[i]:.4f}"]
    if history.val_loss[i] is not None:
        parts += [f"val_loss {history.val_loss[i]:.4f}", f"val_acc {history.val_accuracy[i]:.4f}"]
    parts.append(f"{history.epoch_time[i] * 1000:.0f} ms")
    return "  ".join(parts)


class _Reporter:
    """What the user sees: nothing (0), a tqdm bar plus epoch lines (1), plain epoch lines (2)."""

    def __init__(self, progress, epochs, first_epoch, batches_per_epoch):
        if progress is None:
            progress = 1 if sys.stderr.isatty() else 2
        self.level, self.epochs, self.bar = int(progress), epochs, None
        if self.level == 1:
            from tqdm.auto import tqdm  # imported here: `import framework` stays cheap
            total = max(0, epochs - first_epoch + 1) * batches_per_epoch
            self.bar = tqdm(total=total, unit="batch", dynamic_ncols=True, leave=False)
        self._write = self.bar.write if self.bar is not None else print

    def batch(self, epoch, loss):
        if self.bar is not None:
            self.bar.update(1)
            if self.bar.n % 20 == 0:  # refreshing the text every batch costs more than the batch
                self.bar.set_postfix_str(f"epoch {epoch}/{self.epochs} loss {loss:.4f}", refresh=False)

    def epoch(self, epoch, history):
        if self.level:
            self._write(_format(epoch, self.epochs, history))

    def close(self, history):
        if self.bar is not None:
            self.bar.close()
        if self.level and history.epochs:
            self._write(_final_line(history))


def _final_line(history):
    monitored = history.val_loss if history.val_loss[-1] is not None else history.loss
    name = "val_loss" if monitored is history.val_loss else "loss"
    best = history.best_epoch - 1 if history.best_epoch else int(np.argmin(monitored))
    text = (f"done: {history.epochs} epochs, last {name} {monitored[-1]:.4f}, "
            f"best {name} {monitored[best]:.4f} at epoch {best + 1}")
    if history.val_accuracy[-1] is not None:
        text += f", last val_acc {history.val_accuracy[-1]:.4f}"
    return text
