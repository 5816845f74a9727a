"""History: what a training run measured, epoch by epoch and batch by batch."""
import csv
import io
import json

from .fileio import atomic_write_text

EPOCH_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy", "lr", "epoch_time")


class History:
    """Per-epoch lists `loss`, `accuracy`, `val_loss`, `val_accuracy`, `lr`, `epoch_time` (seconds)
    and the per-iteration list `batch_loss`. Epoch k (counted from 1) is index k - 1.

    `loss` is the sample-weighted mean of the epoch's batch losses (computed in training mode,
    as Keras does); `accuracy` comes from the same forward passes. Validation values are
    computed after the epoch in inference mode; they are None when there is no validation data.
    """

    def __init__(self):
        for key in EPOCH_KEYS:
            setattr(self, key, [])
        self.batch_loss = []
        self.best_epoch = None
        self.stopped_epoch = None

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
        history = cls()
        for key in EPOCH_KEYS + ("batch_loss",):
            setattr(history, key, list(data.get(key, [])))
        history.best_epoch = data.get("best_epoch")
        history.stopped_epoch = data.get("stopped_epoch")
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
