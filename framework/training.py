"""The training loop: a `Trainer` holds one run and steps it batch by batch; `fit` is the one call on top.

One epoch: a fresh permutation of the training samples, cut into batches of `batch_size` (the
last, smaller batch is averaged over its own size); per batch loss, backward, optimizer.update.
"""
import math
import sys
import time
import warnings

import numpy as np

from . import engine
from .augment import Augment
from .doctor import Doctor, chance_accuracy
from .history import History
from .preprocessing import stratified_split
from .checks import as_labels, check_bool, check_number, check_sample_weight, check_seed, check_threads, is_sparse


class DivergenceError(FloatingPointError):
    """The loss became NaN or infinite during training. `history` holds the epochs before."""

    def __init__(self, message, history=None):
        super().__init__(message)
        self.history = history


def evaluate(model, x, t, batch_size=None):
    """Mean loss (weight decay included) and accuracy of `model` on (x, t) in inference mode.

    Works through `batch_size` samples at a time (None: as many as a memory budget allows), so memory
    stays bounded for big evaluation sets.
    """
    return model.evaluate(x, t, batch_size)


class Trainer:
    """One training run, shaped like the book's Trainer: the model, the optimizer, the data and what
    the run has gathered so far (history, random generator, callbacks).

    `train_step(x_batch, t_batch)` does one batch, `run_epoch()` one epoch, `train(epochs)` runs
    until the history holds `epochs` epochs. x (N, D), labels or one-hot t, optional sample_weight
    (N,) and validation_data (x_val, t_val) are checked here. rng: int, None or a numpy Generator
    for the shuffling. history: a History to continue (a resumed run), else a new one.
    training_state: what a checkpoint needs to resume (the generator's states), kept up to date.
    augment: a function (x_batch, rng) -> x_batch changed at random (framework.augment.Augment),
    applied to every training batch with the run's generator. shuffle: True (a fresh permutation from
    rng each epoch), False, or a function n -> the epoch's order of the n samples (the estimators'
    scikit-learn order). doctor: warn when the run looks wrong (framework.doctor; the estimators
    stay silent, as scikit-learn's). threads: the BLAS threads of every pass of the run (training
    and validation); None chooses (engine.choose_threads).
    """

    def __init__(self, model, optimizer, x, t, *, batch_size=100, sample_weight=None, validation_data=None,
                 rng=None, shuffle=True, callbacks=None, progress=0, history=None, training_state=None,
                 threads=None, augment=None, doctor=True):
        _check_parts(model, optimizer, callbacks)
        if augment is not None and (isinstance(augment, type) or not callable(augment)):
            hint = f"; create one: {augment.__name__}(shift=1)" if isinstance(augment, type) else ""
            raise TypeError(f"augment must be a function (x_batch, rng) -> x_batch such as Augment(shift=1), "
                            f"got {augment!r}{hint}")
        self.augment = augment
        self.threads = None if threads is None else check_threads(threads)
        self.batch_size = check_number(batch_size, "batch_size", low=1, integer=True)
        self.shuffle = shuffle if callable(shuffle) else check_bool(shuffle, "shuffle")
        if progress not in (None, 0, 1, 2, False, True):
            raise ValueError(f"progress must be None, 0, 1 or 2, got {progress!r}")
        self.model, self.optimizer = model, optimizer
        self.x = model.check_input(x)
        n = self.x.shape[0]
        self._change = self.augment
        if augment is not None:
            if is_sparse(self.x):
                raise TypeError("augment needs dense images, got a scipy.sparse matrix x: convert it with x.toarray()")
            if isinstance(augment, Augment):
                augment.check_shape(self.x.shape)  # once here; each batch then goes straight to the change
                self._change = augment.change
        self.t = _targets(model, t, n, "t")
        self.sample_weight = None if sample_weight is None else \
            check_sample_weight(sample_weight, n, self.x.dtype.type)
        self.validation_data = None
        if validation_data is not None:
            x_val = model.check_input(validation_data[0])
            self.validation_data = (x_val, _targets(model, validation_data[1], x_val.shape[0], "validation_data[1]"))
        self.rng = np.random.default_rng(check_seed(rng, "rng"))
        # Callbacks run in the order given, except those that record the epoch (ModelCheckpoint): they
        # run last, so that what they save includes what the others decided (EarlyStopping's best weights).
        self.callbacks = sorted(callbacks or [], key=lambda callback: getattr(callback, "runs_last", False))
        self.progress = progress
        self.history = History() if history is None else history
        self.epoch, self.batch = self.history.epochs + 1, 0  # where the run is (for messages)
        self._backup = None  # the weights at the start of the epoch, restored if it diverges
        self.training_state = {"rng_start": self.rng.bit_generator.state, "rng": None} \
            if training_state is None else training_state
        self.training_state["augment"] = _augment_name(augment)  # a resume must change batches the same way
        # The model's count of right answers (None for a regression), looked up once; a model of one's
        # own without `correct(scores, t)` has no training accuracy (its evaluate still gives one).
        self._correct = getattr(model, "correct", lambda scores, t: None)
        # Batches are gathered into one preallocated buffer instead of a new array per batch.
        # (A sparse x is gathered as sparse rows instead: the first Affine multiplies them as they are.)
        self._x_batch = None if is_sparse(self.x) else \
            np.empty((min(self.batch_size, n),) + self.x.shape[1:], dtype=self.x.dtype)
        self.doctor = None
        if check_bool(doctor, "doctor"):
            loss, outputs = getattr(model, "loss_layer", None), getattr(model, "output_size", None)  # (own models)
            self.doctor = Doctor(loss.uniform_loss(outputs) if loss is not None and outputs else None,
                                 chance_accuracy(self.t))

    @property
    def batches_per_epoch(self):
        return -(-self.x.shape[0] // self.batch_size)

    def train(self, epochs):
        """Run epochs until the history holds `epochs` of them (or a callback stops the run).

        Ctrl-C ends training with a warning and keeps what was done; a diverging loss raises
        DivergenceError. Callbacks' on_train_end runs however training ends. Returns the history.
        """
        check_number(epochs, "epochs", low=0, integer=True)
        for callback in self.callbacks:
            callback.set_context(self.model, self.optimizer, self.history, self.training_state)
        first_epoch = self.history.epochs + 1
        self._reporter = _Reporter(self.progress, epochs, first_epoch, self.batches_per_epoch)
        for callback in self.callbacks:
            callback.on_train_begin(self.history.logs())
        ended = f"reached epoch {epochs}, as planned"
        failed = None
        try:
            # Overflow is not reported as numpy warnings: a non-finite loss stops training with its own message.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"), \
                    engine.blas_threads(self.model, self.batch_size, self.threads):
                for epoch in range(first_epoch, epochs + 1):
                    self.run_epoch()
                    stoppers = [type(c).__name__ for c in self.callbacks if c.stop_training]
                    if stoppers:
                        self.history.stopped_epoch = epoch
                        ended = f"stopped early at epoch {epoch} by {', '.join(stoppers)}"
                        break
        except KeyboardInterrupt:
            ended = f"interrupted by the user after epoch {self.history.epochs}"
            warnings.warn(f"training interrupted by the user after {self.history.epochs} complete epoch(s); "
                          "the history so far is kept", RuntimeWarning, stacklevel=3)
        except Exception as exc:
            failed = exc
            ended = f"stopped by {type(exc).__name__} at epoch {self.epoch}: {_first_line(exc)}"
            raise
        finally:
            saved = [c.saved_epoch for c in self.callbacks if getattr(c, "saved_epoch", None) is not None]
            if saved or any(hasattr(c, "saved_epoch") for c in self.callbacks):
                ended += f"; last saved epoch {max(saved) if saved else 'none'}"
            if self.doctor is not None and self.doctor.findings:
                ended += f"; it looks wrong: {', '.join(self.doctor.findings)} (see the warnings)"
            self.history.ended = ended
            try:
                for callback in self.callbacks:
                    callback.on_train_end(self.history.logs())
            finally:
                self._reporter.close(self.history, ended, failed is not None)
        return self.history

    def run_epoch(self):
        """One pass over a fresh permutation of the training set, then validation and the epoch's logs."""
        self.epoch = epoch = self.history.epochs + 1
        started = time.perf_counter()
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, self.history.logs())
        n = self.x.shape[0]
        order = self.shuffle(n) if callable(self.shuffle) else self.rng.permutation(n) if self.shuffle \
            else np.arange(n)
        self._backup = self.model.get_weights()  # finite weights to fall back on if the epoch diverges
        total_loss, correct = 0.0, 0
        for batch, start in enumerate(range(0, n, self.batch_size)):
            idx = order[start:start + self.batch_size]
            if self._x_batch is None:
                xb = self.x[idx]
            else:
                xb = self._x_batch[:len(idx)]
                # mode="clip" skips numpy's per-index bounds check (a permutation is always in range),
                # a quarter of the time of gathering MNIST-sized rows.
                self.x.take(idx, axis=0, out=xb, mode="clip")
            if self.augment is not None:
                xb = self._augmented(xb)
            wb = None if self.sample_weight is None else self.sample_weight[idx]
            if self.callbacks:
                logs = {"size": len(idx), "weight_sum": len(idx) if wb is None else float(wb.sum())}
                for callback in self.callbacks:
                    callback.on_batch_begin(batch, logs)
            self.batch = batch
            loss, batch_correct = self.train_step(xb, self.t[idx], wb)
            total_loss += loss * len(idx)
            correct = None if batch_correct is None else correct + batch_correct
            self._reporter.batch(epoch, loss)
            for callback in self.callbacks:
                callback.on_batch_end(batch, {"loss": loss, "size": len(idx)})
        val_loss = val_accuracy = None
        if self.validation_data is not None:
            val_loss, val_accuracy = self.model.evaluate(*self.validation_data)
        self.history.append(loss=total_loss / n, accuracy=None if correct is None else correct / n,
                            val_loss=val_loss, val_accuracy=val_accuracy,
                            lr=self.optimizer.lr, epoch_time=time.perf_counter() - started)
        self.training_state["rng"] = self.rng.bit_generator.state
        if self.doctor is not None:
            self.doctor.after_epoch(epoch, self.history, self.model, self.optimizer)
        logs = self.history.logs()
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)
        self._reporter.epoch(epoch, self.history)

    def _augmented(self, x_batch):
        changed = self._change(x_batch, self.rng)
        if not isinstance(changed, np.ndarray) or changed.shape != x_batch.shape or changed.dtype != x_batch.dtype:
            raise TypeError(f"augment must return an array of the batch's shape {x_batch.shape} and dtype "
                            f"{x_batch.dtype}, got {getattr(changed, 'shape', type(changed).__name__)} "
                            f"{getattr(changed, 'dtype', '')}")
        return changed

    def train_step(self, x_batch, t_batch, sample_weight=None):
        """Loss, backward and one optimizer update on a checked batch; returns (loss, correct predictions
        or None when the loss has no accuracy)."""
        model, batch_losses = self.model, self.history.batch_loss
        loss, scores = model.loss_and_scores(x_batch, t_batch, train=True, sample_weight=sample_weight)
        if not math.isfinite(loss):  # a large but finite loss may be an outlier batch: only this is divergence
            self._diverged(loss)
        model.backward(input_grad=False)
        self.optimizer.update(model.params, model.grads)
        batch_losses.append(loss)
        return loss, self._correct(scores, t_batch)

    def _diverged(self, loss):
        """Stop with a message that says where and what to try; keep finite weights in the model."""
        model, history = self.model, self.history
        if all(np.isfinite(value).all() for value in model.params.values()):
            kept = "the weights are finite and were kept"
        elif self._backup is not None:
            model.set_weights(self._backup)
            kept = f"the weights from the start of epoch {self.epoch} were restored"
        else:
            kept = "the weights are no longer finite"
        last = next((b for b in reversed(history.batch_loss) if np.isfinite(b)), None)
        raise DivergenceError(
            f"training diverged at epoch {self.epoch}, batch {self.batch + 1}: the loss became {loss} "
            f"(last finite batch loss: {last}); {kept}. Likely cures: a lower learning rate "
            f"(lr is {self.optimizer.lr}), inputs scaled to [0, 1] or standardized, or gradient clipping.",
            history)

    def resume(self, checkpoint):
        """Continue the run saved in `checkpoint` (a Checkpoint of this trainer's model and optimizer):
        its history and the generator's state after its last epoch."""
        if checkpoint.model is not self.model or checkpoint.optimizer is not self.optimizer:
            raise ValueError("resume_from must be a checkpoint path, or a Checkpoint holding the model and "
                             "optimizer being trained (load it with framework.checkpoint.load_checkpoint and pass its "
                             ".model and .optimizer)")
        if not checkpoint.training_state or checkpoint.history is None:
            raise ValueError("the checkpoint holds no training state to resume from; "
                             "write checkpoints with callbacks.ModelCheckpoint")
        saved = checkpoint.training_state.get("augment", self.training_state["augment"])  # older files: not kept
        if saved != self.training_state["augment"]:
            raise ValueError(f"the checkpoint's run was trained with augment={saved}; resume it with the same "
                             f"augment= (got {self.training_state['augment']}), or start a new run")
        self.history = checkpoint.history
        self.training_state = checkpoint.training_state
        self.rng.bit_generator.state = checkpoint.training_state["rng"]


def _augment_name(augment):
    """How a checkpoint records a run's augmentation: None, Augment's repr, or the function's name."""
    if augment is None or isinstance(augment, Augment):
        return None if augment is None else repr(augment)
    return f"the function {getattr(augment, '__qualname__', type(augment).__name__)}"


#: What fit and Trainer use of a model (a class of your own with these works too; Sequential's methods say
#: what each does), with `params` and `grads` (dicts with the same keys), `output_size` and `dtype`;
#: `correct(scores, t)`, the count of right answers, gives the training accuracy where a model has it.
MODEL_METHODS = ("check_input", "loss_and_scores", "backward", "evaluate", "get_weights", "set_weights")
CALLBACK_HOOKS = ("set_context", "on_train_begin", "on_epoch_begin", "on_batch_begin", "on_batch_end",
                  "on_epoch_end", "on_train_end")


def _check_parts(model, optimizer, callbacks):
    """A clear TypeError for a wrong object where a model, an optimizer or a list of callbacks belongs."""
    missing = [name for name in MODEL_METHODS + ("params", "grads") if not hasattr(model, name)]
    if isinstance(model, type) or missing:
        raise TypeError(f"model must be a network such as MLP(...) or Sequential([...]), got {model!r}"
                        + ("" if isinstance(model, type) else f" (it lacks {', '.join(missing)})"))
    if isinstance(optimizer, type) or not callable(getattr(optimizer, "update", None)):
        hint = f"; create one: {optimizer.__name__}(lr=...)" if isinstance(optimizer, type) else ""
        raise TypeError(f"optimizer must be an optimizer instance such as Adam(lr=1e-3), got {optimizer!r}{hint}")
    if callbacks is not None:
        if not isinstance(callbacks, (list, tuple)):
            raise TypeError(f"callbacks must be a list of callbacks, got {callbacks!r}; "
                            "for one callback write callbacks=[...]")
        for callback in callbacks:
            if isinstance(callback, type) or not all(hasattr(callback, hook) for hook in CALLBACK_HOOKS):
                raise TypeError(f"callbacks must hold Callback instances (framework.callbacks), got {callback!r}")


def fit(model, optimizer, x, t, *, epochs=10, batch_size=100, validation_data=None,
        validation_fraction=0.0, seed=None, progress=None, callbacks=None, shuffle=True, resume_from=None,
        sample_weight=None, threads=None, augment=None):
    """Train `model` with `optimizer` on inputs x (N, D) and targets t (labels (N,) or one-hot).

    x may be a scipy.sparse matrix when the model's first layer is Affine: batches stay sparse rows.

    epochs: the total number of epochs of the run (a resumed run continues up to it).
    validation_data: (x_val, t_val) evaluated after every epoch; or validation_fraction in [0, 1):
    that share of (x, t) is held out, stratified by class and seeded by `seed`.
    seed: int, None or a numpy Generator for the split and the shuffling (weights and dropout
    masks come from the model's own seed). progress: 0 silent; 1 a tqdm bar with one line per
    epoch; 2 one plain line per epoch; None picks 1 on a terminal and 2 otherwise.
    callbacks: a list of `framework.callbacks.Callback`.
    sample_weight: (N,) non-negative weights of the training samples (each batch loss is the
    weighted mean); the validation split, if any, is weighted equally.
    resume_from: a checkpoint written by `callbacks.ModelCheckpoint` (its path, or the Checkpoint
    that `checkpoint.load_checkpoint` returned, whose model and optimizer are then the ones passed here);
    model, optimizer, history and random states are restored from it and training continues after
    its last epoch, ending bit-identical to a run that never stopped (same data, seed and callbacks).
    A NaN or infinite batch loss raises DivergenceError naming the epoch and the cures (the last
    finite weights are kept); Ctrl-C ends training with a warning and
    returns the history so far. Returns the History. (`Trainer` is the same run as an object.)
    threads: the BLAS threads training runs on; None chooses from the size of the products (one
    thread for small networks, the process's setting for large ones; framework.engine.choose_threads),
    and the process's own setting holds again when fit returns.
    augment: a function (x_batch, rng) -> x_batch applied to every training batch, such as
    framework.augment.Augment(shift=1, rotate=10) (the book's data augmentation, ch. 8.1).
    """
    check_number(epochs, "epochs", low=0, integer=True)
    check_number(validation_fraction, "validation_fraction", low=0, high=1, high_open=True)
    _check_parts(model, optimizer, callbacks)
    check_seed(seed)
    given = x
    if is_sparse(x):
        x = model.check_input(x)  # scipy.sparse rows: checked (and made CSR) here, kept sparse
    else:
        try:
            x = np.asarray(x)  # the Trainer checks the values: one pass over x, not two
        except ValueError:
            x = None
        if x is None or x.ndim < 2 or x.size == 0 or x.dtype.kind not in "biuf":
            model.check_input(given)  # raises the error that says what x must be
    t = _targets(model, t, x.shape[0], "t")
    if t.ndim == 1 and (t == t[0]).all():
        raise ValueError(f"t must hold at least 2 classes to train a classifier, got only class {t[0]} "
                         f"in all {len(t)} samples")
    checkpoint = None
    if resume_from is not None:
        checkpoint = resume_from
        if not hasattr(resume_from, "training_state"):  # a path: read it into this model and optimizer
            from .checkpoint import restore
            checkpoint = restore(model, resume_from, optimizer)
    rng = np.random.default_rng(seed)
    if checkpoint is not None and checkpoint.training_state:
        rng.bit_generator.state = checkpoint.training_state["rng_start"]  # the same split as before
    training_state = {"rng_start": rng.bit_generator.state, "rng": None}
    if validation_data is not None:
        if validation_fraction:
            raise ValueError("give either validation_data or validation_fraction, not both")
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (x_val, t_val)")
    elif validation_fraction:
        x, t, sample_weight, validation_data = split_validation(x, t, sample_weight, validation_fraction, rng)
    trainer = Trainer(model, optimizer, x, t, batch_size=batch_size, sample_weight=sample_weight,
                      validation_data=validation_data, rng=rng, shuffle=shuffle, callbacks=callbacks,
                      progress=progress, training_state=training_state, threads=threads, augment=augment)
    if checkpoint is not None:
        trainer.resume(checkpoint)
    return trainer.train(epochs)


def _targets(model, t, n_samples, name):
    """t checked by the model (its loss layer decides: labels or real values), or as class labels."""
    check = getattr(model, "check_targets", None)
    if check is None:
        return as_labels(t, n_samples, model.output_size, name=name)
    return check(t, n_samples, name=name)


def split_validation(x, t, sample_weight, fraction, rng):
    """(x, t, sample_weight) to train on and (x_val, t_val) to validate on: `fraction` of the samples
    held out, stratified by class for labels (at random for real-valued targets); the validation
    samples are weighted equally."""
    check_number(fraction, "validation_fraction", low=0, high=1, low_open=True, high_open=True)
    if t.ndim == 1 and t.dtype.kind in "iu":
        train, val = stratified_split(t, fraction, rng, name="validation_fraction")
    else:
        order = np.random.default_rng(rng).permutation(len(t))
        n_val = int(np.ceil(fraction * len(t)))
        if not 0 < n_val < len(t):
            raise ValueError(f"validation_fraction={fraction!r} must leave samples on both sides of {len(t)}")
        train, val = order[n_val:], order[:n_val]
    w = None if sample_weight is None else np.asarray(sample_weight)[train]
    return x[train], t[train], w, (x[val], t[val])


def _format(epoch, epochs, history):
    i = epoch - 1
    parts = [f"epoch {epoch:>{len(str(epochs))}}/{epochs}", f"loss {history.loss[i]:.4f}"]
    if history.accuracy[i] is not None:
        parts.append(f"acc {history.accuracy[i]:.4f}")
    if history.val_loss[i] is not None:
        parts.append(f"val_loss {history.val_loss[i]:.4f}")
        if history.val_accuracy[i] is not None:
            parts.append(f"val_acc {history.val_accuracy[i]:.4f}")
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

    def close(self, history, ended, failed=False):
        if self.bar is not None:
            self.bar.close()
        if self.level and (history.epochs or failed):
            self._write(_final_line(history, ended, failed))


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _final_line(history, ended, failed=False):
    """The run's last line: how many epochs, how it really ended, and its losses."""
    head = f"{'stopped' if failed else 'done'}: {history.epochs} epoch{'' if history.epochs == 1 else 's'} ({ended})"
    if not history.epochs:
        return head
    monitored = history.val_loss if history.val_loss[-1] is not None else history.loss
    name = "val_loss" if monitored is history.val_loss else "loss"
    finite = [i for i, value in enumerate(monitored) if value is not None and math.isfinite(value)]
    best = history.best_epoch - 1 if history.best_epoch else min(finite, key=monitored.__getitem__, default=0)
    text = (f"{head}, last {name} {monitored[-1]:.4f}, "
            f"best {name} {monitored[best]:.4f} at epoch {best + 1}")
    if history.val_accuracy[-1] is not None:
        text += f", last val_acc {history.val_accuracy[-1]:.4f}"
    return text
