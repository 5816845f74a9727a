"""History: what a training run measured, epoch by epoch and batch by batch."""
import csv
import io
import json

import numpy as np

from .fileio import atomic_write_text

EPOCH_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy", "lr", "epoch_time")


class History:
    """Per-epoch lists `loss`, `accuracy`, `val_loss`, `val_accuracy`, `lr`, `epoch_time` (seconds)
    and the per-iteration list `batch_loss`. Epoch k (counted from 1) is index k - 1.

    `loss` is the sample-weighted mean of the epoch's batch losses (computed in training mode,
    as Keras does); `accuracy` comes from the same forward passes (None for a regression).
    Validation values are computed after the epoch in inference mode; they are None when there is
    no validation data.
    """

    def __init__(self):
        for key in EPOCH_KEYS:
            setattr(self, key, [])
        self.batch_loss = []
        self.best_epoch = None
        self.stopped_epoch = None
        self.ended = None  # how the last train() call ended, as its closing line says it

    @property
    def epochs(self):
        """How many epochs have been recorded."""
        return len(self.loss)

    def logs(self, epoch=None):
        """One epoch's values as a dict, {"loss": ..., "accuracy": ..., ...}; the last epoch by default
        (empty before the first). Epochs count from 1."""
        if not self.epochs:
            return {}
        i = self.epochs - 1 if epoch is None else epoch - 1
        return {key: getattr(self, key)[i] for key in EPOCH_KEYS}

    def append(self, **values):
        for key in EPOCH_KEYS:
            getattr(self, key).append(values.get(key))

    def extend(self, other):
        """Append the epochs and batches of `other`, a later part of the same run."""
        for key in EPOCH_KEYS + ("batch_loss",):
            getattr(self, key).extend(getattr(other, key))

    def as_dict(self):
        """Plain lists and numbers, ready for JSON."""
        data = {key: list(getattr(self, key)) for key in EPOCH_KEYS}
        data["batch_loss"] = list(self.batch_loss)
        data["best_epoch"] = self.best_epoch
        data["stopped_epoch"] = self.stopped_epoch
        return data

    @classmethod
    def from_dict(cls, data):
        """A History from `as_dict()` output; every entry is checked (lists of numbers, one length)."""
        if not isinstance(data, dict):
            raise TypeError(f"history must be a dict of lists, got {type(data).__name__}")
        unknown = set(data) - set(EPOCH_KEYS) - {"batch_loss", "best_epoch", "stopped_epoch"}
        if unknown:
            raise ValueError(f"history has unknown entries {sorted(unknown)}; expected {', '.join(EPOCH_KEYS)}, "
                             "batch_loss, best_epoch, stopped_epoch")
        history = cls()
        for key in EPOCH_KEYS + ("batch_loss",):
            values = data.get(key, [])
            optional = key in ("accuracy", "val_loss", "val_accuracy")
            if not isinstance(values, list) or not all(
                    (v is None and optional) or (isinstance(v, (int, float)) and not isinstance(v, bool))
                    for v in values):
                raise TypeError(f"history[{key!r}] must be a list of numbers{' or None' if optional else ''}, "
                                f"got {_short(values)}")
            setattr(history, key, list(values))
        history._check(data.get("best_epoch"), data.get("stopped_epoch"))
        return history

    def _check(self, best_epoch, stopped_epoch):
        """One length for every per-epoch list; best and stopped epochs None or an epoch of this history."""
        lengths = {key: len(getattr(self, key)) for key in EPOCH_KEYS}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"history's per-epoch lists must have one length, got {lengths}")
        for key, value in (("best_epoch", best_epoch), ("stopped_epoch", stopped_epoch)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or not 1 <= value <= self.epochs):
                raise ValueError(f"history[{key!r}] must be None or an epoch in [1, {self.epochs}], got {value!r}")
            setattr(self, key, value)

    def to_arrays(self):
        """The history as float64 arrays {key: (epochs,) or (batches,)}, None stored as NaN (for .npz files)."""
        arrays = {key: np.array([np.nan if v is None else v for v in getattr(self, key)], dtype=np.float64)
                  for key in EPOCH_KEYS}
        arrays["batch_loss"] = np.array(self.batch_loss, dtype=np.float64)
        return arrays

    @classmethod
    def from_arrays(cls, arrays, best_epoch=None, stopped_epoch=None):
        """The inverse of `to_arrays` (NaN in accuracy, val_loss and val_accuracy becomes None again)."""
        history = cls()
        for key in EPOCH_KEYS + ("batch_loss",):
            values = np.asarray(arrays[key], dtype=np.float64).tolist()
            if key in ("accuracy", "val_loss", "val_accuracy"):
                values = [None if v != v else v for v in values]  # v != v: NaN
            setattr(history, key, values)
        history._check(best_epoch, stopped_epoch)
        return history

    def to_csv(self, path):
        """One row per epoch: epoch, loss, accuracy, val_loss, val_accuracy, lr, epoch_time."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(("epoch",) + EPOCH_KEYS)
        for i in range(self.epochs):
            row = [getattr(self, key)[i] for key in EPOCH_KEYS]
            writer.writerow([i + 1] + ["" if value is None else repr(value) for value in row])
        atomic_write_text(path, buffer.getvalue())

    def to_json(self, path):
        atomic_write_text(path, json.dumps(self.as_dict(), indent=1) + "\n")

    def __eq__(self, other):
        return isinstance(other, History) and self.as_dict() == other.as_dict()

    def __len__(self):
        return self.epochs

    def __repr__(self):
        last = f", last loss {self.loss[-1]:.4f}" if self.loss else ""
        return f"History({self.epochs} epochs{last})"


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
