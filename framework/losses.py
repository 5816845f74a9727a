"""Loss layers: `forward(x, t)` gives the batch's mean loss, `backward(dout=1.0)` its gradient dL/dx.

x are the last layer's scores (N, C) (or outputs (N, K)). What every loss gives is declared once, by
the base class `Loss`; the networks, the trainer, the CLI and checkpoints use only that.
"""
import numpy as np

from .checks import as_array, as_labels
from .functions import sigmoid, softmax
from .layer import Layer, check_backward


def _mean(per_sample, sample_weight=None):
    """The mean of per-sample losses (N,), or sum_n w_n L_n / sum_n w_n with sample weights w (N,)."""
    if sample_weight is None:
        return float(per_sample.sum() / len(per_sample))
    return float((sample_weight * per_sample).sum() / sample_weight.sum())


class Loss(Layer):
    """The contract of a loss layer (subclass it for a loss of your own):

    forward(x, t, sample_weight=None, check=True) -> the batch's mean loss (check=False: t is already
    what check_targets returned, as in a training loop); backward(dout=1.0) -> dL/dx, x's shape;
    check_targets(t, n_samples, n_outputs, name, dtype) -> t checked, in the form forward takes;
    correct(scores, t) -> the count of right answers (None: no accuracy, a regression);
    probabilities(scores) -> each output's probability (None here: not a classification);
    labels(scores) -> the predicted classes: (N,) one per row, or (N, K) a 0/1 per output;
    predictions(scores) -> what predict means (the scores; exp for a log link);
    uniform_loss(n_outputs) -> the loss where training starts, at uniform scores (None: it depends on t);
    gradient_note: what a gradient check should say about this loss (None: nothing).
    """

    probabilities = None
    gradient_note = None

    def check_targets(self, t, n_samples, n_outputs, name="t", dtype=None):
        raise NotImplementedError

    @staticmethod
    def correct(scores, t):
        return None

    @staticmethod
    def labels(scores):
        return None

    @staticmethod
    def predictions(scores):
        return scores

    @staticmethod
    def uniform_loss(n_outputs):
        return None


class SoftmaxCrossEntropy(Loss):
    """Softmax followed by the cross-entropy loss (the book's SoftmaxWithLoss), fused and stable.

    L = -mean_n log_softmax(x)[n, t_n], x scores (N, C), t labels (N,) or one-hot (N, C);
    dx = dout * (softmax(x) - onehot(t)) / N. Sample weights w (N,) replace the mean by
    sum_n w_n (...) / sum_n w_n, in the loss and in dx (scikit-learn's weighting).
    """

    formula = ("y = softmax(x),  L = -sum(log y[t]) / N", "dx = (y - onehot(t)) / N")
    y = None

    def check_targets(self, t, n_samples, n_outputs, name="t", dtype=None):
        """Class labels (N,) from labels or one-hot rows, checked (what fit and evaluate pass in)."""
        return as_labels(t, n_samples, n_outputs, name=name)

    @staticmethod
    def uniform_loss(n_outputs):
        """The loss at uniform scores, where training starts: ln C for C classes."""
        return float(np.log(n_outputs))

    @staticmethod
    def probabilities(scores):
        """softmax(scores): each row's class probabilities."""
        return softmax(scores)

    @staticmethod
    def correct(scores, t):
        """How many rows' highest score is the true class: the count behind accuracy."""
        return int(np.count_nonzero(scores.argmax(axis=1) == t))

    @staticmethod
    def labels(scores):
        """Each row's class: the one of highest score (N,)."""
        return scores.argmax(axis=1)

    def forward(self, x, t, sample_weight=None, check=True):
        n, num_classes = x.shape
        self.t = as_labels(t, n, num_classes, name="t") if check else t
        # log_softmax and softmax from one exp: shifted = x - max, y = e / sum(e),
        # log y[t] = shifted[t] - log(sum(e)).
        shifted = x - x.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1)
        self.y = e / total[:, None]
        picked = shifted[np.arange(n), self.t] - np.log(total)
        self.sample_weight = sample_weight
        return -_mean(picked, sample_weight)

    def backward(self, dout=1.0):
        check_backward(self, "y")
        n = len(self.t)
        dx = self.y.copy()
        dx[np.arange(n), self.t] -= 1
        if self.sample_weight is None:
            dx *= dout / n
        else:
            dx *= (dout / self.sample_weight.sum()) * self.sample_weight[:, None]
        return dx


class SoftmaxWithLoss(SoftmaxCrossEntropy):
    """The book's SoftmaxWithLoss: L = cross_entropy_error(softmax(x), t), with its 1e-7; dx = (y - t) / N.

    t: labels (N,), one-hot rows (N, C) or the book's column of labels (N, 1) (ch07/gradient_check);
    after forward, .loss, .y (softmax) and .t (the labels) are the book's attributes.
    Ours (SoftmaxCrossEntropy) takes log-softmax directly: no 1e-7 (losses differ by about
    1e-7 / p per sample), finite for any scores; the gradient is the same.
    """

    loss = None
    gradient_note = ("the loss is the book's SoftmaxWithLoss, log(p + 1e-7): backprop gives the gradient of log p "
                     "((softmax - onehot) / N), so the two differ by about 1e-7 / p relative (1e-6 for p = 0.1). An "
                     "error of that size comes from the book's 1e-7, not from backprop; with losses.SoftmaxCrossEntropy "
                     "as model.loss_layer the check passes.")

    def forward(self, x, t, sample_weight=None, check=True):
        t = np.asarray(t)
        if t.ndim == 2 and t.shape[1] == 1 and np.shape(x)[-1] != 1:
            t = t.ravel()  # the book's column of labels
        super().forward(x, t, sample_weight, check)  # softmax (self.y) and the target positions, for backward
        self.loss = -_mean(np.log(self.y[np.arange(len(self.y)), self.t] + 1e-7), sample_weight)
        return self.loss


class _OutputLoss(Loss):
    """A loss on each of K outputs, summed over them and averaged over the N samples (`_mean`,
    weighted by sample_weight when given). Subclasses give `_entries(x, t)`:
    each entry's loss and its gradient dL/dx, both (N, K)."""

    def check_targets(self, t, n_samples, n_outputs, name="t", dtype=None):
        """Targets (N, K) (or (N,) for one output) as a finite float array of `dtype`."""
        t = as_array(t, name, dtype=dtype, ndim=(1, 2))
        if t.ndim == 1:
            t = t.reshape(-1, 1)
        if t.shape != (n_samples, n_outputs):
            raise ValueError(f"{name} must have shape ({n_samples}, {n_outputs}) (or ({n_samples},) for one output), "
                             f"got {t.shape}")
        return t

    def forward(self, x, t, sample_weight=None, check=True):
        x = np.asarray(x)
        if check:
            t = as_array(t, "t", dtype=x.dtype)
            if t.shape != x.shape and t.size == x.size and t.ndim == 1:
                t = t.reshape(x.shape)
            if t.shape != x.shape:
                raise ValueError(f"t must have the outputs' shape {x.shape}, got {t.shape}")
        per_entry, self.dx = self._entries(x, t)
        self.sample_weight = sample_weight
        return _mean(per_entry.reshape(len(x), -1).sum(axis=1), sample_weight)

    dx = None

    def backward(self, dout=1.0):
        check_backward(self, "dx")
        if self.sample_weight is None:
            return self.dx * (dout / len(self.dx))
        weights = self.sample_weight.reshape((-1,) + (1,) * (self.dx.ndim - 1))
        return self.dx * weights * (dout / self.sample_weight.sum())


class MeanSquaredError(_OutputLoss):
    """Squared error as a loss layer: L = sum((y - t)**2) / (2N), dx = (y - t) / N; y and t (N, K) or (N,).

    scikit-learn's squared_loss for regression; the book's sum_squared_error (functions) is N times it.
    """

    formula = ("L = sum((y - t)**2) / (2N)", "dx = (y - t) / N")

    def _entries(self, y, t):
        diff = y - t
        return diff * diff / 2, diff


class SigmoidCrossEntropy(_OutputLoss):
    """A sigmoid on each output, then binary cross-entropy, fused and stable: one yes/no per output.

    L = sum_{n,k} [log(1 + exp(x)) - t x] / N = -sum [t log p + (1 - t) log(1 - p)] / N with
    p = sigmoid(x), x scores (N, K), t 0/1 (N, K); dx = (p - t) / N. For multilabel targets or two
    classes on one output (scikit-learn's binary MLP, which also clips p to [eps, 1 - eps]; we do not).
    """

    formula = ("p = sigmoid(x),  L = -sum(t log p + (1 - t) log(1 - p)) / N", "dx = (p - t) / N")

    def check_targets(self, t, n_samples, n_outputs, name="t", dtype=None):
        """0/1 targets (N, K) (or (N,) for one output) as a float array of `dtype`."""
        t = super().check_targets(t, n_samples, n_outputs, name, dtype)
        other = ~np.isin(t, (0, 1))
        if other.any():
            raise ValueError(f"{name} must hold 0 or 1 for each output, got {t[other][0].item()!r}")
        return t

    @staticmethod
    def uniform_loss(n_outputs):
        """The loss at scores 0 (every probability 1/2): K ln 2 for K outputs."""
        return float(n_outputs * np.log(2))

    @staticmethod
    def probabilities(scores):
        """sigmoid(scores): each output's probability of 1."""
        return sigmoid(scores)

    @staticmethod
    def labels(scores):
        """Each output's 0 or 1 (N, K): 1 where its probability is above 1/2."""
        return (scores > 0).astype(np.int64)

    @staticmethod
    def correct(scores, t):
        """Rows whose every output is right (probability above 0.5 exactly where t is 1)."""
        return int(np.count_nonzero(((scores > 0) == (t > 0.5)).all(axis=1)))

    def _entries(self, x, t):
        # log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): never overflows.
        return np.maximum(x, 0) - t * x + np.log1p(np.exp(-np.abs(x))), sigmoid(x) - t


class PoissonDeviance(_OutputLoss):
    """Half the Poisson deviance on an exp output: counts or rates t >= 0 predicted as mu = exp(x).

    L = sum_{n,k} [t log(t / mu) - t + mu] / N (t log t = 0 at t = 0), x and t (N, K); dx = (mu - t) / N.
    scikit-learn's MLPRegressor(loss="poisson").
    """

    formula = ("mu = exp(x),  L = sum(t log(t / mu) - t + mu) / N", "dx = (mu - t) / N")

    def check_targets(self, t, n_samples, n_outputs, name="t", dtype=None):
        """Targets (N, K) (or (N,) for one output), finite and >= 0, as a float array of `dtype`."""
        t = super().check_targets(t, n_samples, n_outputs, name, dtype)
        if (t < 0).any():
            raise ValueError(f"{name} must be >= 0 for a Poisson loss (counts or rates), got {t[t < 0][0].item()!r}")
        return t

    @staticmethod
    def predictions(scores):
        """The predicted mean mu = exp(scores): the log link undone."""
        return np.exp(scores)

    def _entries(self, x, t):
        mu = np.exp(x)
        t_log_t = np.where(t > 0, t * np.log(np.where(t > 0, t, 1)), 0)
        return t_log_t - t * x - t + mu, mu - t
