"""Learning-rate schedules: each is a function of the epoch (counted from 1) giving the rate.

Use one through `callbacks.LearningRateScheduler(schedule)`, which sets `optimizer.lr` before each
epoch. A schedule depends on the epoch only, so a resumed run follows the same rates.
Reduce-on-plateau depends on the measured loss instead: see `callbacks.ReduceLROnPlateau`.
"""
import math

from .checks import check_lr, check_number


class Schedule:
    def __init__(self, lr):
        self.lr = check_lr(lr)

    def __call__(self, epoch):
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class Constant(Schedule):
    """lr_epoch = lr."""

    def __call__(self, epoch):
        return self.lr


class StepDecay(Schedule):
    """lr_epoch = lr * gamma ** floor((epoch - 1) / step_size)  (PyTorch's StepLR)."""

    def __init__(self, lr, step_size=10, gamma=0.1):
        super().__init__(lr)
        self.step_size = check_number(step_size, "step_size", low=1, integer=True)
        self.gamma = check_number(gamma, "gamma", low=0, low_open=True)

    def __call__(self, epoch):
        return _scaled(self, epoch, (epoch - 1) // self.step_size)


class ExponentialDecay(Schedule):
    """lr_epoch = lr * gamma ** (epoch - 1)  (PyTorch's ExponentialLR)."""

    def __init__(self, lr, gamma=0.95):
        super().__init__(lr)
        self.gamma = check_number(gamma, "gamma", low=0, low_open=True)

    def __call__(self, epoch):
        return _scaled(self, epoch, epoch - 1)


class CosineAnnealing(Schedule):
    """lr_epoch = min_lr + (lr - min_lr) * (1 + cos(pi * (epoch - 1) / epochs)) / 2

    (PyTorch's CosineAnnealingLR with T_max = epochs).

    After `epochs` the rate stays at min_lr (PyTorch's would rise again).
    """

    def __init__(self, lr, epochs, min_lr=0.0):
        super().__init__(lr)
        self.epochs = check_number(epochs, "epochs", low=1, integer=True)
        self.min_lr = check_lr(min_lr, "min_lr")

    def __call__(self, epoch):
        progress = min(epoch - 1, self.epochs) / self.epochs
        return self.min_lr + (self.lr - self.min_lr) * (1 + math.cos(math.pi * progress)) / 2


def _scaled(schedule, epoch, power):
    """schedule.lr * schedule.gamma ** power, or a clear error when it leaves float's range."""
    check_number(epoch, "epoch", low=1, integer=True)
    try:
        lr = schedule.lr * schedule.gamma ** power
    except OverflowError:
        lr = math.inf
    if not math.isfinite(lr):
        raise ValueError(f"{schedule!r} gives lr = {schedule.lr} * {schedule.gamma} ** {power} at epoch {epoch}, "
                         "which is beyond float range; choose a gamma nearer 1 or fewer epochs")
    return lr  # a decay that underflows reaches 0, a rate the optimizers take (check_lr): the run goes on
