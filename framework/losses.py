"""Loss layers: `forward(x, t)` gives the batch's mean loss, `backward(dout=1.0)` its gradient dL/dx.

Each also checks its targets (`check_targets`: labels for classes, real values for a regression),
counts right answers where that has a meaning (`correct`) and turns scores into probabilities where
it is a classification (`probabilities`). x are the last layer's scores (N, C) (or (N, K) outputs).
"""
import numpy as np

from . import engine
from .checks import as_array, as_labels
from .functions import sigmoid, softmax
from .layer import Layer


class SoftmaxCrossEntropy(Layer):
    """Softmax followed by the cross-entropy loss (the book's SoftmaxWithLoss), fused and stable.

    forward(x, t): loss = -mean_n log_softmax(x)[n, t_n] with x scores (N, C) and t labels (N,)
    or one-hot (N, C). backward(dout=1.0): dx = dout * (softmax(x) - onehot(t)) / N.
    With sample weights w (N,): loss = -sum_n w_n log_softmax(x)[n, t_n] / sum_n w_n, and
    dx = dout * w_n * (softmax(x) - onehot(t)) / sum_n w_n (scikit-learn's weighting).
    """

    formula = ("y = softmax(x),  L = -sum(log y[t]) / N", "dx = (y - onehot(t)) / N")

    def check_targets(self, t, n_samples, n_outputs, name="t", dtype=None):
        """Class labels (N,) from labels or one-hot rows, checked (what fit and evaluate pass in)."""
        return as_labels(t, n_samples, n_outputs, name=name)

    @staticmethod
    def probabilities(scores):
        """softmax(scores): each row's class probabilities."""
        return softmax(scores)

    @staticmethod
    def correct(scores, t):
        """How many rows' highest score is the true class: the count behind accuracy."""
        return int(np.count_nonzero(scores.argmax(axis=1) == t))

    def forward(self, x, t, sample_weight=None):
        n, num_classes = x.shape
        self.t = as_labels(t, n, num_classes, name="t")
        row_starts = engine.row_starts(n, num_classes)
        self.target = row_starts + self.t  # flat positions of the entries [n, t_n]
        # log_softmax and softmax from one exp: shifted = x - max, y = e / sum(e),
        # log y[t] = shifted[t] - log(sum(e)).
        row_max = x.ravel()[row_starts + x.argmax(axis=1)]  # x.max(axis=1), three times as fast
        shifted = x - row_max[:, None]
        e = np.exp(shifted)
        total = e @ engine.ones(num_classes, e.dtype)  # the row sums, through BLAS
        self.y = np.divide(e, total[:, None], out=e)
        picked = shifted.ravel()[self.target] - np.log(total)
        self.sample_weight = sample_weight
        if sample_weight is None:
            return float(-picked.sum() / n)
        return float(-(sample_weight * picked).sum() / sample_weight.sum())

    def backward(self, dout=1.0):
        n = len(self.t)
        dx = self.y.copy()
        dx.ravel()[self.target] -= 1  # dx[arange(n), t] -= 1 (a copy is contiguous: ravel() is a view)
        if self.sample_weight is None:
            dx *= dout / n
        else:
            dx *= (dout / self.sample_weight.sum()) * self.sample_weight[:, None]
        return dx


class SoftmaxWithLoss(SoftmaxCrossEntropy):
    """The book's SoftmaxWithLoss: L = cross_entropy_error(softmax(x), t), with its 1e-7; dx = (y - t) / N.

    Ours (SoftmaxCrossEntropy) takes log-softmax directly: no 1e-7 (losses differ by about
    1e-7 / p per sample), finite for any scores; the gradient is the same.
    """

    def forward(self, x, t, sample_weight=None):
        super().forward(x, t, sample_weight)  # softmax (self.y) and the target positions, for backward
        picked = np.log(self.y.ravel()[self.target] + 1e-7)
        if sample_weight is None:
            return float(-picked.sum() / len(picked))
        return float(-(sample_weight * picked).sum() / sample_weight.sum())


def _output_targets(t, n_samples, n_outputs, name, dtype):
    """Targets (N, K) (or (N,) for one output) as a finite float array of `dtype`: the check that
    the per-output losses (squared error, sigmoid cross-entropy, Poisson) share."""
    t = as_array(t, name, dtype=dtype, ndim=(1, 2))
    if t.ndim == 1:
        t = t.reshape(-1, 1)
    if t.shape != (n_samples, n_outputs):
        raise ValueError(f"{name} must have shape ({n_samples}, {n_outputs}) (or ({n_samples},) for one output), "
                         f"got {t.shape}")
    return t


def _targets_like(x, t):
    """t as an array of x's dtype and shape (a flat t of the right size is reshaped), else a clear error."""
    t = as_array(t, "t", dtype=x.dtype)
    if t.shape != x.shape and t.size == x.size and t.ndim == 1:
        t = t.reshape(x.shape)
    if t.shape != x.shape:
        raise ValueError(f"t must have the outputs' shape {x.shape}, got {t.shape}")
    return t


def _sample_mean(per_sample, sample_weight):
    """The mean of per-sample losses (N,), weighted by sample_weight (N,) when given."""
    if sample_weight is None:
        return float(per_sample.sum() / len(per_sample))
    return float((sample_weight * per_sample).sum() / sample_weight.sum())


def _sample_mean_gradient(dx, sample_weight, dout):
    """dout * dx / N, or with weights dout * w_n * dx / sum(w): the gradient of _sample_mean."""
    if sample_weight is None:
        return dx * (dout / len(dx))
    return dx * sample_weight.reshape((-1,) + (1,) * (dx.ndim - 1)) * (dout / sample_weight.sum())


class MeanSquaredError(Layer):
    """Squared error as a loss layer: forward(y, t) = sum((y - t)**2) / (2N), backward dx = (y - t) / N.

    y and t are (N, K) (or (N,), one output). This is scikit-learn's squared_loss for regression;
    the book's sum_squared_error (functions.sum_squared_error) is N times it, summed over the batch.
    """

    formula = ("L = sum((y - t)**2) / (2N)", "dx = (y - t) / N")

    def check_targets(self, t, n_samples, n_outputs, name="t", dtype=None):
        """Real targets (N, K) (or (N,) for one output) as a finite float array of `dtype`."""
        return _output_targets(t, n_samples, n_outputs, name, dtype)

    @staticmethod
    def correct(scores, t):
        """None: a regression has no accuracy."""
        return None

    def forward(self, y, t, sample_weight=None):
        y = np.asarray(y)
        self.diff = y - _targets_like(y, t)
        self.sample_weight = sample_weight
        return _sample_mean((self.diff.reshape(len(y), -1) ** 2).sum(axis=1), sample_weight) / 2

    def backward(self, dout=1.0):
        return _sample_mean_gradient(self.diff, self.sample_weight, dout)


class SigmoidCrossEntropy(Layer):
    """A sigmoid on each output, then binary cross-entropy, fused and stable: one yes/no per output.

    forward(x, t): L = sum_{n,k} [log(1 + exp(x[n, k])) - t[n, k] * x[n, k]] / N, which is
    -[t log(sigmoid(x)) + (1 - t) log(1 - sigmoid(x))] summed over the K outputs, averaged over the
    N samples; x scores (N, K), t 0/1 targets (N, K). backward(dout=1.0): dx = dout * (sigmoid(x) - t) / N.
    With sample weights w (N,): the mean over samples becomes sum_n w_n (...) / sum_n w_n.
    For several labels per sample (multilabel) or two classes on one output (scikit-learn's binary
    MLP). Unlike scikit-learn's, the probabilities are not clipped to [eps, 1 - eps] first.
    """

    formula = ("p = sigmoid(x),  L = -sum(t log p + (1 - t) log(1 - p)) / N", "dx = (p - t) / N")

    def check_targets(self, t, n_samples, n_outputs, name="t", dtype=None):
        """0/1 targets (N, K) (or (N,) for one output) as a float array of `dtype`."""
        t = _output_targets(t, n_samples, n_outputs, name, dtype)
        other = ~np.isin(t, (0, 1))
        if other.any():
            raise ValueError(f"{name} must hold 0 or 1 for each output, got {t[other][0].item()!r}")
        return t

    @staticmethod
    def probabilities(scores):
        """sigmoid(scores): each output's probability of 1."""
        return sigmoid(scores)

    @staticmethod
    def correct(scores, t):
        """Rows whose every output is right (probability above 0.5 exactly where t is 1)."""
        return int(np.count_nonzero(((scores > 0) == (t > 0.5)).all(axis=1)))

    def forward(self, x, t, sample_weight=None):
        x = np.asarray(x)
        t = _targets_like(x, t)
        self.p, self.t, self.sample_weight = sigmoid(x), t, sample_weight
        # log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): never overflows.
        per_entry = np.maximum(x, 0) - t * x + np.log1p(np.exp(-np.abs(x)))
        return _sample_mean(per_entry.reshape(len(x), -1).sum(axis=1), sample_weight)

    def backward(self, dout=1.0):
        return _sample_mean_gradient(self.p - self.t, self.sample_weight, dout)


class PoissonDeviance(Layer):
    """Half the Poisson deviance on an exp output, fused: counts or rates t >= 0 predicted as exp(x).

    forward(x, t): mu = exp(x), L = sum_{n,k} [t log(t / mu) - t + mu] / N (t log t = 0 at t = 0);
    x scores (N, K), t (N, K). backward(dout=1.0): dx = dout * (exp(x) - t) / N. With sample weights
    w (N,) the mean over samples is weighted. scikit-learn's MLPRegressor(loss="poisson").
    """

    formula = ("mu = exp(x),  L = sum(t log(t / mu) - t + mu) / N", "dx = (mu - t) / N")

    def check_targets(self, t, n_samples, n_outputs, name="t", dtype=None):
        """Targets (N, K) (or (N,) for one output), finite and >= 0, as a float array of `dtype`."""
        t = _output_targets(t, n_samples, n_outputs, name, dtype)
        if (t < 0).any():
            raise ValueError(f"{name} must be >= 0 for a Poisson loss (counts or rates), got {t[t < 0][0].item()!r}")
        return t

    @staticmethod
    def correct(scores, t):
        """None: a regression has no accuracy."""
        return None

    def forward(self, x, t, sample_weight=None):
        x = np.asarray(x)
        t = _targets_like(x, t)
        self.mu, self.t, self.sample_weight = np.exp(x), t, sample_weight
        t_log_t = np.where(t > 0, t * np.log(np.where(t > 0, t, 1)), 0)
        per_entry = t_log_t - t * x - t + self.mu
        return _sample_mean(per_entry.reshape(len(x), -1).sum(axis=1), sample_weight)

    def backward(self, dout=1.0):
        return _sample_mean_gradient(self.mu - self.t, self.sample_weight, dout)
