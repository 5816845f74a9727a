"""The training doctor: a warning, once per kind, when a run that goes on looks wrong.

It watches each epoch of a classifier's run and never stops it:
- the loss rose far above where it started: an epoch's mean loss over RISE times the larger of the
  loss at uniform scores (ln C for C classes; K ln 2 for K sigmoid outputs) and the first batch's loss;
- the training accuracy stayed at chance (what always answering the most frequent class scores,
  within CHANCE_MARGIN) for CHANCE_EPOCHS epochs in a row while at least DEAD_SHARE of its ReLU units
  are dead (0 for a whole batch of at least DEAD_BATCH samples): a network that can no longer learn.
  A healthy network on labels it cannot learn (random ones) or one that starts slowly is left alone.
Each warning gives the numbers, the share of dead ReLU units in the last batch and the likely cures.
"""
import math
import os
import sys
import warnings

import numpy as np

from .layers import ReLU

#: An epoch loss this many times above the starting loss is a run going the wrong way.
RISE = 3.0
#: Training accuracy within this of chance, for this many epochs in a row, is a run that learns nothing.
CHANCE_MARGIN, CHANCE_EPOCHS = 0.01, 2
#: The share of ReLU units that gave 0 for a whole batch (of at least DEAD_BATCH samples) above which a
#: network is dying; a smaller batch says too little.
DEAD_SHARE, DEAD_BATCH = 0.5, 10


class TrainingWarning(UserWarning):
    """A run that goes on but looks wrong (framework.doctor)."""


def chance_accuracy(t):
    """The share of the most frequent class among labels t (N,), or None for targets that are not labels."""
    t = np.asarray(t)
    if t.ndim != 1 or t.dtype.kind not in "iu" or t.size == 0:
        return None
    return float(np.bincount(t).max() / t.size)


def dead_share(out):
    """The share of the units of a ReLU's output `out` (N, ...) that are 0 for every one of the N samples."""
    return int(np.count_nonzero(~(out.reshape(len(out), -1) > 0).any(axis=0))) / max(out[0].size, 1)


def dead_relu_share(model):
    """The share of ReLU units that gave 0 for every sample of the last forward pass (None without ReLUs
    or after a batch of fewer than DEAD_BATCH samples)."""
    outputs = [layer.out for layer in getattr(model, "layers", ())
               if isinstance(layer, ReLU) and getattr(layer, "out", None) is not None]
    units = sum(out[0].size for out in outputs)
    if not units or len(outputs[0]) < DEAD_BATCH:
        return None
    return sum(dead_share(out) * out[0].size for out in outputs) / units


class Doctor:
    """Looks at a run after each epoch (`after_epoch`) and warns once per kind of trouble.

    start_loss: the loss at uniform scores (None when the loss has none, as a regression);
    chance: the training accuracy of always answering the most frequent class (None: no accuracy).
    """

    def __init__(self, start_loss, chance):
        self.start_loss, self.chance = start_loss, chance
        self.warned = set()
        self.findings = []  # what was warned, in a few words each, for the run's closing line
        self._at_chance = 0

    def after_epoch(self, epoch, history, model, optimizer):
        loss, accuracy = history.loss[-1], history.accuracy[-1]
        first = history.batch_loss[0] if history.batch_loss else loss
        if self.start_loss is not None and "rose" not in self.warned and math.isfinite(loss):
            start = max(self.start_loss, first)
            if loss > RISE * start:
                self.findings.append(f"the loss rose at epoch {epoch}")
                self._warn("rose", epoch, model, optimizer,
                           f"the loss rose to {loss:.4g}, far above where it started ({start:.4g}; "
                           f"{self.start_loss:.4g} at uniform scores)")
        if self.chance is not None and accuracy is not None:
            self._at_chance = self._at_chance + 1 if accuracy <= self.chance + CHANCE_MARGIN else 0
            if self._at_chance >= CHANCE_EPOCHS and "chance" not in self.warned and self._cannot_learn(loss, model):
                self.findings.append(f"training accuracy at chance by epoch {epoch}")
                self._warn("chance", epoch, model, optimizer,
                           f"the training accuracy has stayed at chance for {self._at_chance} epochs ({accuracy:.4f}; "
                           f"always answering the most frequent class scores {self.chance:.4f})")

    def _cannot_learn(self, loss, model):
        dead = dead_relu_share(model)
        return dead is not None and dead >= DEAD_SHARE

    def _warn(self, kind, epoch, model, optimizer, what):
        self.warned.add(kind)
        dead = dead_relu_share(model)
        dead_text = "" if dead is None else f"; {dead:.0%} of the ReLU units gave 0 for the whole last batch"
        warnings.warn(f"training looks wrong at epoch {epoch}: {what}{dead_text}. Likely cures: a lower learning rate "
                      f"(lr is {getattr(optimizer, 'lr', '?')}), inputs scaled to [0, 1] or standardized.",
                      TrainingWarning, stacklevel=_callers_level())


def _callers_level():
    """The stacklevel of the first frame outside the framework package: the warning names the user's line."""
    here, frame, level = os.path.dirname(__file__), sys._getframe(1), 1
    while frame is not None and os.path.dirname(frame.f_code.co_filename) == here:
        frame, level = frame.f_back, level + 1
    return level
