"""The book's functions: activations, softmax, cross-entropy and the numerical gradient.

Shapes: `x` and `y` are (N, C) for a batch or (C,) for one sample; `t` holds class labels (N,) or
one-hot rows (N, C). Every function keeps the float dtype it is given.
"""
import numpy as np

from .checks import as_array, as_labels, as_loss_value, check_dtype, check_gradient_arguments, check_number


def sigmoid(x):
    """sigmoid(x) = 1 / (1 + exp(-x)), computed as (1 + tanh(x / 2)) / 2 so it never overflows.

    x: a number or an array of any shape; +-inf give 1 and 0, NaN is refused.
    """
    x = as_array(x, "x", finite=False)
    half, one = x.dtype.type(0.5), x.dtype.type(1)  # x's dtype: a float32 scalar stays float32 on NumPy 1.x too
    return half * (one + np.tanh(half * x))


def relu(x):
    """relu(x) = max(0, x), element-wise; -inf gives 0 (+0.0, never -0.0), NaN is refused."""
    x = as_array(x, "x", finite=False)
    return np.maximum(x, 0) + x.dtype.type(0)  # adding +0 turns max(-0.0, 0) = -0.0 into +0.0


def softmax(x):
    """softmax(x)_k = exp(x_k - max(x)) / sum_j exp(x_j - max(x)) over the last axis.

    Subtracting the maximum changes nothing mathematically and keeps exp from overflowing: any finite
    scores give finite probabilities summing to 1. Non-finite scores are refused (inf - inf).
    """
    x = as_array(x, "x")
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(x):
    """log_softmax(x)_k = x_k - max(x) - log(sum_j exp(x_j - max(x))) over the last axis (finite x only)."""
    x = as_array(x, "x")
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def one_hot(labels, num_classes=None, dtype=np.float64):
    """One-hot rows (N, num_classes) from integer labels (N,); num_classes defaults to max + 1."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D class labels of shape (N,), got shape {labels.shape}")
    if num_classes is None:  # the labels checked (integers >= 0) before their maximum is read
        num_classes = int(as_labels(labels, labels.size, np.iinfo(np.int64).max, name="labels").max()) + 1
    check_number(num_classes, "num_classes", low=1, integer=True)
    labels = as_labels(labels, labels.size, num_classes, name="labels")
    out = np.zeros((labels.size, num_classes), dtype=check_dtype(dtype))
    out[np.arange(labels.size), labels] = 1
    return out


def sum_squared_error(y, t):
    """The book's sum of squares: E = 0.5 * sum((y - t)**2) over every entry (not averaged), a float."""
    y = as_array(y, "y")
    t = as_array(t, "t", dtype=y.dtype)
    if t.shape != y.shape:
        raise ValueError(f"t must have y's shape {y.shape}, got {t.shape}")
    return float(0.5 * np.sum((y - t) ** 2))


def _batch(y, t, y_name):
    """The book's reshaping: a 1-D y is one sample; return (y as (N, C), labels as (N,))."""
    y = as_array(y, y_name, ndim=(1, 2))
    t_arr = np.asarray(t)
    if y.ndim == 1:
        y = y.reshape(1, -1)
        # One sample: t is one label (a scalar or shape (1,)) or one one-hot row of shape (C,).
        t_arr = t_arr.reshape(1, -1) if t_arr.size == y.shape[1] and y.shape[1] > 1 else t_arr.reshape(-1)
    labels = as_labels(t_arr, len(y), y.shape[1], name="t")
    return y, labels


def cross_entropy(y, t, delta=1e-10):
    """Cross-entropy error of probabilities y against targets t, the book's function: E = -sum_n log(y[n, t_n] + delta) / N.

    y: probabilities (N, C), or one sample (C,); t: labels (N,) or one-hot rows (N, C) (argmax).
    delta guards log(0): 1e-10 is our specification's; the book's code uses 1e-7 (delta=1e-7 gives its
    printed values). For scores use `softmax_cross_entropy`, which needs no constant.
    """
    check_number(delta, "delta", low=0)
    y, labels = _batch(y, t, "y")
    if y.min() < 0 or y.max() > 1:
        raise ValueError(f"y must hold probabilities in [0, 1], got values in [{y.min()}, {y.max()}]; "
                         "for raw scores use softmax_cross_entropy(x, t)")
    n = y.shape[0]
    return float(-np.sum(np.log(y[np.arange(n), labels] + delta)) / n)


def softmax_cross_entropy(x, t):
    """Mean cross-entropy of softmax(x) against t, fused through log_softmax: -mean_n log_softmax(x)[n, t_n].

    Equals cross_entropy(softmax(x), t) while the true class's probability is well above 1e-10; below,
    the book's is capped at -log(1e-10) = 23.03 and this one keeps growing. Computed in float64; a
    loss beyond float64's range is refused.
    """
    x, labels = _batch(x, t, "x")
    n = x.shape[0]
    with np.errstate(over="ignore"):
        loss = -np.sum(log_softmax(x.astype(np.float64, copy=False))[np.arange(n), labels]) / n
    if not np.isfinite(loss):
        raise ValueError(f"the loss overflows float64: the scores x span {x.min():.3g} to {x.max():.3g}, "
                         "so the true class's log-probability is below -1.8e308")
    return float(loss)


def numerical_gradient(f, x, h=1e-4):
    """Central differences, as the book: df/dx_i = (f(x + h e_i) - f(x - h e_i)) / (2h), h = 1e-4.

    `f` is called with `x` itself after changing one entry in place (then restored), so it may ignore
    its argument and read shared arrays, as the book's networks do; it returns a number. The result
    is shaped and typed like `x`. Use float64: in float32, h = 1e-4 loses most digits.
    """
    flat_x = check_gradient_arguments(f, x, h).reshape(-1)
    grad = np.zeros_like(x)
    flat_grad = grad.reshape(-1)
    for i in range(flat_x.size):
        original = flat_x[i]
        flat_x[i] = original + h
        f_plus = as_loss_value(f(x))
        flat_x[i] = original - h
        f_minus = as_loss_value(f(x))
        flat_x[i] = original
        flat_grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
