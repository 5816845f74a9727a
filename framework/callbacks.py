"""Callbacks: code that runs at fixed points of `fit` (Keras' names and order).

Hooks, in the order `fit` calls them: on_train_begin, then per epoch on_epoch_begin,
on_batch_begin / on_batch_end for every batch, on_epoch_end; finally on_train_end, which also runs
when training stops early, is interrupted with Ctrl-C or diverges. Epochs are counted from 1.
`logs` is a dict of the latest values (loss, accuracy, val_loss, val_accuracy, lr, ...).
A callback sets `self.stop_training = True` to end training after the current epoch.
"""


class Callback:
    """Base class: every hook does nothing. `model`, `optimizer` and `history` are set by `fit`."""

    def __init__(self):
        self.model = None
        self.optimizer = None
        self.history = None
        self.stop_training = False

    def set_context(self, model, optimizer, history):
        self.model, self.optimizer, self.history = model, optimizer, history
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
