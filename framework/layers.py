"""Layers in the book's style: `forward(x, train=True)` and `backward(dout) -> dx`.

Every layer holds `params` and `grads`, two dicts with the same keys (empty for layers without
parameters); `backward` fills `grads` and never writes into `dout`. Shapes: x is (N, D).
Each layer also describes itself: `formula` (what `framework.trace` prints) and `config()` /
`from_config()` (what `framework.io` saves); `LAYERS` at the end lists the layers io can load.
"""
import numpy as np

from .functions import sigmoid, softmax
from .im2col import add_image_columns, check_window, image_columns
from .validation import as_array, as_labels, check_allocation, check_bool, check_number, check_seed


_CONSTANTS = {}  # small read-only arrays that every batch of one size needs
_MAX_CONSTANTS = 64  # training uses two or three batch sizes; a sweep over sizes must not pile up arrays


def _constant(key, make):
    if key not in _CONSTANTS:
        if len(_CONSTANTS) >= _MAX_CONSTANTS:
            _CONSTANTS.clear()
        _CONSTANTS[key] = make()
        _CONSTANTS[key].setflags(write=False)
    return _CONSTANTS[key]


def _ones(n, dtype):
    """A cached vector of n ones (for summing rows with a matrix-vector product)."""
    return _constant(("ones", n, dtype), lambda: np.ones(n, dtype=dtype))


def _row_starts(n, num_classes):
    """Cached [0, C, 2C, ...]: where each row of a C-contiguous (n, C) array starts in its flat view.

    a.ravel()[row_starts + j] is a[arange(n), j], and about three times as fast.
    """
    return _constant(("row_starts", n, num_classes), lambda: np.arange(n) * num_classes)


class Layer:
    """What every layer shares: empty `params`/`grads`, a train/eval switch argument, a repr."""

    #: (forward, backward) formulas, as `framework.trace` shows them.
    formula = ("?", "?")
    #: features per sample the layer takes and gives; None where any width passes through.
    input_size = output_size = None

    def __init__(self):
        self.params = {}
        self.grads = {}

    def config(self):
        """The layer's settings as JSON-ready data: with a dtype, enough to build it again (arrays are saved apart)."""
        return {}

    @classmethod
    def from_config(cls, config, dtype):
        """A new layer from `config()` output, its arrays of `dtype` still to be filled in."""
        return cls(**config)

    def forward(self, x, train=True):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError

    @property
    def parameter_count(self):
        return sum(p.size for p in self.params.values())

    def __repr__(self):
        return f"{type(self).__name__}()"


class Affine(Layer):
    """Fully connected: out = x @ W + b.

    W is (D, M), b is (M,). Input of any trailing shape (N, ...) is flattened to (N, D) and
    backward restores it. Backward: dx = dout @ W.T, dW = x.T @ dout, db = sum_n dout.
    grads["W"] (the book's dW) is one array written in place by every backward: copy it to keep one
    step's gradient (the book makes a new dW each time; Sequential.gradient returns copies).
    """

    formula = ("out = x @ W + b", "dx = dout @ W.T,  dW = x.T @ dout,  db = sum(dout, axis=0)")

    dW = property(lambda self: self.grads["W"], doc="The book's name for grads['W'] (after backward).")
    db = property(lambda self: self.grads["b"], doc="The book's name for grads['b'] (after backward).")
    W = property(lambda self: self.params["W"], doc="The book's name for params['W'].")
    b = property(lambda self: self.params["b"], doc="The book's name for params['b'].")

    def __init__(self, W, b):
        super().__init__()
        W, b = np.asarray(W), np.asarray(b)
        if W.ndim != 2 or b.shape != (W.shape[1],):
            raise ValueError(f"Affine needs W of shape (D, M) and b of shape (M,), got W {W.shape} and b {b.shape}")
        if W.dtype != b.dtype or W.dtype.kind != "f":
            raise TypeError(f"W and b must share one float dtype, got {W.dtype} and {b.dtype}")
        self.params = {"W": W, "b": b}
        self.grads = {"W": np.zeros_like(W), "b": np.zeros_like(b)}
        self.x = None
        self.x_shape = None

    def forward(self, x, train=True):
        W, b = self.params["W"], self.params["b"]
        self.x_shape = x.shape
        if x.ndim != 2:  # (a scipy.sparse x is 2-D: it is multiplied as it is, never made dense)
            x = x.reshape(len(x), -1)
        if x.shape[1] != W.shape[0]:
            raise ValueError(f"x must have {W.shape[0]} features per sample for this Affine layer, "
                             f"got shape {self.x_shape}")
        self.x = x
        out = x @ W
        out += b  # in place: saves allocating a second (N, M) array
        return out

    def backward(self, dout):
        self.parameter_gradients(dout)
        return (dout @ self.params["W"].T).reshape(self.x_shape)

    def parameter_gradients(self, dout):
        """dW and db only, without dx: a network's first layer needs no dx (Sequential.backward)."""
        # Writing into the existing gradient arrays saves two allocations per batch, and
        # ones @ dout sums the rows with BLAS, several times faster than np.sum(axis=0).
        if isinstance(self.x, np.ndarray):
            np.matmul(self.x.T, dout, out=self.grads["W"])
        else:  # scipy.sparse rows: their own product gives a dense (D, M)
            self.grads["W"][...] = self.x.T @ dout
        np.dot(_ones(len(dout), dout.dtype), dout, out=self.grads["b"])

    @property
    def input_size(self):
        return self.params["W"].shape[0]

    @property
    def output_size(self):
        return self.params["W"].shape[1]

    def config(self):
        return {"shape": list(self.params["W"].shape)}

    @classmethod
    def from_config(cls, config, dtype):
        shape = config.get("shape")
        if set(config) != {"shape"} or not isinstance(shape, list) or len(shape) != 2 or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in shape):
            raise ValueError(f"Affine needs {{'shape': [D, M]}} with D, M >= 1, got {config!r}")
        check_allocation(2 * shape[0] * shape[1], dtype, f"Affine {shape[0]} -> {shape[1]} (weights and gradients)")
        return cls(np.zeros(shape, dtype), np.zeros(shape[1], dtype))

    def __repr__(self):
        d, m = self.params["W"].shape
        return f"Affine({d} -> {m}, dtype={self.params['W'].dtype})"


class ReLU(Layer):
    """out = max(0, x); backward: dx = dout where x > 0, else 0.

    Rows (N, units), as in an MLP, go the book's way: the 0/1 mask is made in forward and kept
    (out = x * mask, so an input of -inf, an overflow upstream, gives NaN, which training reports).
    Feature maps (N, C, H, W) take max against zeros and make the mask in backward instead: one
    large array fewer alive between the passes. Each way measured faster where it is used (the
    book's conv net: 8.7 -> 8.3 ms a step; the digits MLP: 1.03x slower per epoch the other way round).
    """

    formula = ("out = max(0, x)", "dx = dout * (x > 0)")

    def __init__(self):
        super().__init__()
        self.mask = None
        self._zeros = None

    def forward(self, x, train=True):
        if x.ndim <= 2:
            # 1.0 where x > 0, else 0.0, in x's dtype: float times float is 3x float times bool.
            self.mask = (x > 0).astype(x.dtype)
            self.out = x * self.mask
            return self.out
        # max against one sample's zeros, broadcast over the batch: 0 for negatives and for -inf,
        # NaN kept. An array, because numpy's maximum with a scalar is 2-4x slower; kept between
        # calls (a run's batches share one shape) and laid out as x, so that out keeps x's layout.
        self.mask = None
        first = x[:1]
        zeros = getattr(self, "_zeros", None)
        if zeros is None or zeros.shape != first.shape or zeros.strides != first.strides or zeros.dtype != x.dtype:
            zeros = self._zeros = np.zeros_like(first)
        self.out = np.maximum(x, zeros)
        return self.out

    def backward(self, dout):
        if self.mask is not None:  # made in forward
            return dout * self.mask
        mask = (self.out > 0).astype(self.out.dtype)  # 1.0 exactly where x > 0
        if mask.dtype == dout.dtype and mask.shape == dout.shape:
            return np.multiply(mask, dout, out=mask)  # in place: no second array
        return dout * mask

    def kink_state(self):
        """Which inputs were > 0 in the last forward: a step that changes it crossed the kink at 0."""
        return self.out > 0


class Sigmoid(Layer):
    """out = 1 / (1 + exp(-x)); backward: dx = dout * out * (1 - out)."""

    formula = ("out = 1 / (1 + exp(-x))", "dx = dout * out * (1 - out)")

    def forward(self, x, train=True):
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        return dout * self.out * (1.0 - self.out)


class Tanh(Layer):
    """out = tanh(x); backward: dx = dout * (1 - out**2)."""

    formula = ("out = tanh(x)", "dx = dout * (1 - out**2)")

    def forward(self, x, train=True):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out * self.out)


class Identity(Layer):
    """out = x; backward: dx = dout. (scikit-learn's "identity" activation.)"""

    formula = ("out = x", "dx = dout")

    def forward(self, x, train=True):
        return x

    def backward(self, dout):
        return dout


class Dropout(Layer):
    """Inverted dropout: in training, out = x * mask / (1 - ratio) with mask ~ Bernoulli(1 - ratio).

    At inference (train=False) it is the identity. With inverted=False it is the book's dropout:
    out = x * mask in training and x * (1 - ratio) at inference. Both give the same expected output,
    but the book's passes gradients unscaled, so at the same learning rate it learns more slowly
    (and overfits less) than the inverted one. `seed` is an int, None or a numpy.random.Generator
    (a network shares its own Generator with all its Dropout layers).
    """

    formula = ("out = x * mask / (1 - ratio)", "dx = dout * mask / (1 - ratio)")

    def __init__(self, ratio=0.5, seed=None, inverted=True):
        super().__init__()
        check_number(ratio, "ratio", low=0, high=1, high_open=True)
        self.ratio, self.inverted = ratio, check_bool(inverted, "inverted")
        self.rng = np.random.default_rng(check_seed(seed))
        self.scaled_mask = None
        if not inverted:
            self.formula = ("out = x * mask (training), x * (1 - ratio) (inference)", "dx = dout * mask")

    def forward(self, x, train=True):
        if x.dtype.kind != "f":
            raise TypeError(f"Dropout needs a float array x, got dtype {x.dtype}")
        if self.ratio == 0:
            self.scaled_mask = None
            return x
        if not train:
            self.scaled_mask = None
            return x if self.inverted else x * x.dtype.type(1.0 - self.ratio)
        keep = self.rng.random(x.shape, dtype=x.dtype) >= self.ratio
        self.scaled_mask = keep * x.dtype.type(1.0 / (1.0 - self.ratio) if self.inverted else 1.0)
        return x * self.scaled_mask

    def backward(self, dout):
        return dout if self.scaled_mask is None else dout * self.scaled_mask

    def config(self):
        return {"ratio": self.ratio} if self.inverted else {"ratio": self.ratio, "inverted": False}

    def __repr__(self):
        return f"Dropout(ratio={self.ratio}{'' if self.inverted else ', inverted=False'})"


class BatchNormalization(Layer):
    """Batch normalization: out = gamma * (x - mean) / sqrt(var + eps) + beta.

    Training uses the batch's mean and (biased) variance and updates the running statistics,
    running = momentum * running + (1 - momentum) * batch; inference (train=False) uses them.
    The book keeps the biased running variance, as here; PyTorch keeps the unbiased one. eps is
    PyTorch's 1e-5 (the book's code uses 1e-6: pass eps=1e-6). The running variance starts at 1
    (PyTorch) where the book's starts at 0, so inference after a few steps differs a lot (pass
    running_var=np.zeros(D) for the book's). Arguments in the book's order: gamma, beta, momentum,
    running_mean, running_var, then eps. Backward, with xn the normalized input:
    dbeta = sum dout, dgamma = sum dout * xn,
    dx = (dxn - mean(dxn) - xn * mean(dxn * xn)) / sqrt(var + eps), dxn = gamma * dout.
    """

    dgamma = property(lambda self: self.grads["gamma"], doc="The book's name for grads['gamma'].")
    dbeta = property(lambda self: self.grads["beta"], doc="The book's name for grads['beta'].")

    formula = ("out = gamma * (x - mean) / sqrt(var + eps) + beta",
               "dgamma = sum(dout * xn),  dbeta = sum(dout),  dx = (dxn - mean(dxn) - xn * mean(dxn * xn)) / std")

    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None, eps=1e-5):
        super().__init__()
        gamma, beta = np.asarray(gamma), np.asarray(beta)
        if gamma.ndim != 1 or beta.shape != gamma.shape:
            raise ValueError(f"gamma and beta must be 1-D of one shape, got {gamma.shape} and {beta.shape}")
        check_number(momentum, "momentum", low=0, high=1)
        check_number(eps, "eps", low=0, low_open=True)
        self.momentum, self.eps = momentum, eps
        self.params = {"gamma": gamma, "beta": beta}
        self.grads = {"gamma": np.zeros_like(gamma), "beta": np.zeros_like(beta)}
        # Running statistics are state, not parameters: no optimizer touches them.
        self.buffers = {
            "running_mean": np.zeros_like(gamma) if running_mean is None else np.asarray(running_mean, gamma.dtype),
            "running_var": np.ones_like(gamma) if running_var is None else np.asarray(running_var, gamma.dtype),
        }

    def forward(self, x, train=True):
        self.x_shape = x.shape
        x = x.reshape(len(x), -1)
        gamma, beta = self.params["gamma"], self.params["beta"]
        if x.shape[1] != gamma.shape[0]:
            raise ValueError(f"x must have {gamma.shape[0]} features for this BatchNormalization, "
                             f"got shape {self.x_shape}")
        if train:
            mean = x.mean(axis=0)
            var = x.var(axis=0)
            m = self.momentum
            self.buffers["running_mean"] *= m
            self.buffers["running_mean"] += (1 - m) * mean
            self.buffers["running_var"] *= m
            self.buffers["running_var"] += (1 - m) * var
        else:
            mean, var = self.buffers["running_mean"], self.buffers["running_var"]
        self.inv_std = 1.0 / np.sqrt(var + x.dtype.type(self.eps))
        self.xn = (x - mean) * self.inv_std
        return (gamma * self.xn + beta).reshape(self.x_shape)

    def backward(self, dout):
        dout = dout.reshape(len(dout), -1)
        xn = self.xn
        self.grads["beta"][...] = dout.sum(axis=0)
        self.grads["gamma"][...] = (dout * xn).sum(axis=0)
        dxn = self.params["gamma"] * dout
        dx = (dxn - dxn.mean(axis=0) - xn * (dxn * xn).mean(axis=0)) * self.inv_std
        return dx.reshape(self.x_shape)

    @property
    def input_size(self):
        return self.params["gamma"].shape[0]

    output_size = input_size

    def config(self):
        return {"size": int(self.params["gamma"].shape[0]), "momentum": self.momentum, "eps": self.eps}

    @classmethod
    def from_config(cls, config, dtype):
        size = check_number(config.get("size"), "BatchNormalization size", low=1, integer=True)
        check_allocation(6 * size, dtype, f"BatchNormalization({size})")
        return cls(np.ones(size, dtype), np.zeros(size, dtype), momentum=config.get("momentum", 0.9),
                   eps=config.get("eps", 1e-5))

    def __repr__(self):
        return f"BatchNormalization({self.params['gamma'].shape[0]}, momentum={self.momentum}, eps={self.eps})"


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
        row_starts = _row_starts(n, num_classes)
        self.target = row_starts + self.t  # flat positions of the entries [n, t_n]
        # log_softmax and softmax from one exp: shifted = x - max, y = e / sum(e),
        # log y[t] = shifted[t] - log(sum(e)).
        row_max = x.ravel()[row_starts + x.argmax(axis=1)]  # x.max(axis=1), three times as fast
        shifted = x - row_max[:, None]
        e = np.exp(shifted)
        total = e @ _ones(num_classes, e.dtype)  # row sums, as a matrix-vector product (faster)
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



class Convolution(Layer):
    """2-D convolution (cross-correlation, as the book and PyTorch): out[n, f] = sum_c W[f, c] * x[n, c] + b[f].

    W is (FN, C, FH, FW), b is (FN,); x is (N, C, H, W), out is (N, FN, OH, OW) with
    OH = (H + 2 * pad - FH) // stride + 1 (framework.im2col.conv_output_size). The book's way
    through im2col: col = im2col(x) (N*OH*OW, C*FH*FW), out = col @ W.reshape(FN, -1).T + b, and
    backward db = sum(dout), dW = dout.T @ col, dx = col2im(dout @ W.reshape(FN, -1)). Here the same
    products run per image on columns (N, C*FH*FW, OH*OW) (framework.im2col.image_columns), which
    gives (N, FN, OH, OW) without a transposing copy.
    """

    formula = ("out = im2col(x) @ W.reshape(FN, -1).T + b",
               "dW = dout.T @ im2col(x),  db = sum(dout),  dx = col2im(dout @ W.reshape(FN, -1))")
    W = property(lambda self: self.params["W"], doc="The book's name for params['W'].")
    b = property(lambda self: self.params["b"], doc="The book's name for params['b'].")
    dW = property(lambda self: self.grads["W"], doc="The book's name for grads['W'] (after backward).")
    db = property(lambda self: self.grads["b"], doc="The book's name for grads['b'] (after backward).")

    def __init__(self, W, b, stride=1, pad=0):
        super().__init__()
        W, b = np.asarray(W), np.asarray(b)
        if W.ndim != 4 or b.shape != (W.shape[0],):
            raise ValueError(f"Convolution needs W of shape (FN, C, FH, FW) and b of shape (FN,), "
                             f"got W {W.shape} and b {b.shape}")
        if W.dtype != b.dtype or W.dtype.kind != "f":
            raise TypeError(f"W and b must share one float dtype, got {W.dtype} and {b.dtype}")
        self.stride = check_number(stride, "stride", low=1, integer=True)
        self.pad = check_number(pad, "pad", low=0, integer=True)
        self.params = {"W": W, "b": b}
        self.grads = {"W": np.zeros_like(W), "b": np.zeros_like(b)}

    def forward(self, x, train=True):
        W, b = self.params["W"], self.params["b"]
        filters, channels, filter_h, filter_w = W.shape
        if x.ndim != 4 or x.shape[1] != channels:
            raise ValueError(f"x must be images of shape (N, {channels}, H, W) for this Convolution, "
                             f"got shape {x.shape}")
        out_h, out_w = check_window(x.shape, filter_h, filter_w, self.stride, self.pad)
        self.x_shape = x.shape
        # Per image, out = W (FN, C*FH*FW) @ columns (C*FH*FW, OH*OW): the book's im2col product,
        # batched so that the result is already (N, FN, OH, OW) in memory order. The bias rides
        # along as one more column of W against a row of ones in the columns (no pass of its own).
        self.columns = image_columns(x, filter_h, filter_w, self.stride, self.pad, ones_row=True)
        weights_and_bias = np.concatenate([W.reshape(filters, -1), b[:, None]], axis=1)
        out = np.matmul(weights_and_bias, self.columns)
        return out.reshape(len(x), filters, out_h, out_w)

    def parameter_gradients(self, dout):
        """dW and db only, without dx (a network's first layer needs no dx); returns dout as (N, FN, OH*OW)."""
        filters = self.params["W"].shape[0]
        d = dout.reshape(len(dout), filters, -1)
        # [dW | db] = sum over images of dout_n @ columns_n.T (the ones row gives db = sum of dout):
        # a batched product, then a sum over the batch.
        both = np.sum(np.matmul(d, self.columns.transpose(0, 2, 1)), axis=0)
        self.grads["W"].reshape(filters, -1)[...] = both[:, :-1]
        self.grads["b"][...] = both[:, -1]
        return d

    def backward(self, dout):
        d = self.parameter_gradients(dout)
        W = self.params["W"]
        columns = np.matmul(W.reshape(W.shape[0], -1).T, d)  # dcolumns, (N, C*FH*FW, OH*OW)
        return add_image_columns(columns, self.x_shape, W.shape[2], W.shape[3], self.stride, self.pad)

    def config(self):
        return {"shape": list(self.params["W"].shape), "stride": self.stride, "pad": self.pad}

    @classmethod
    def from_config(cls, config, dtype):
        shape = config.get("shape")
        if not isinstance(shape, list) or len(shape) != 4 or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in shape):
            raise ValueError(f"Convolution needs {{'shape': [FN, C, FH, FW], ...}} with sizes >= 1, got {config!r}")
        check_allocation(2 * int(np.prod(shape)), dtype, f"Convolution {shape} (weights and gradients)")
        return cls(np.zeros(shape, dtype), np.zeros(shape[0], dtype), config.get("stride", 1), config.get("pad", 0))

    def __repr__(self):
        filters, channels, filter_h, filter_w = self.params["W"].shape
        return (f"Convolution({channels} -> {filters}, {filter_h}x{filter_w}, stride={self.stride}, pad={self.pad}, "
                f"dtype={self.params['W'].dtype})")


class Pooling(Layer):
    """Max pooling over pool_h x pool_w windows: out[n, c, i, j] = max of x's window (i, j) in channel c.

    x is (N, C, H, W), out is (N, C, OH, OW); padding adds zeros, as the book's. Backward routes each
    dout to the position of its window's maximum (the first one, row by row, on ties: the book's
    argmax); every other entry gets 0. Computed as one elementwise maximum per window offset
    (pool_h * pool_w strided slices of x, each (N, C, OH, OW)): no per-pixel loop and no copy of the
    windows. Forward also notes which offset won each window (`argmax`, one byte per output), so
    backward writes dout there without looking at x again.
    """

    formula = ("out = max over each pool_h x pool_w window", "dx = dout at each window's argmax, 0 elsewhere")

    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        super().__init__()
        self.pool_h = check_number(pool_h, "pool_h", low=1, integer=True)
        self.pool_w = check_number(pool_w, "pool_w", low=1, integer=True)
        if self.pool_h * self.pool_w > 256:  # the winning offset is kept in one byte
            raise ValueError(f"Pooling windows hold at most 256 entries, got {self.pool_h}x{self.pool_w}")
        self.stride = check_number(stride, "stride", low=1, integer=True)
        self.pad = check_number(pad, "pad", low=0, integer=True)

    def _offsets(self, out_h, out_w):
        """(k, slice of the padded input) for each window offset k = fh * pool_w + fw."""
        s = self.stride
        for fh in range(self.pool_h):
            for fw in range(self.pool_w):
                yield fh * self.pool_w + fw, (slice(None), slice(None), slice(fh, fh + s * out_h, s),
                                              slice(fw, fw + s * out_w, s))

    def forward(self, x, train=True):
        if x.ndim != 4:
            raise ValueError(f"x must be images of shape (N, C, H, W) for Pooling, got shape {x.shape}")
        out_h, out_w = check_window(x.shape, self.pool_h, self.pool_w, self.stride, self.pad, what="the pool window")
        self.x_shape = x.shape
        if self.pad:
            x = np.pad(x, ((0, 0), (0, 0), (self.pad, self.pad), (self.pad, self.pad)))
        out = argmax = None
        for k, window in self._offsets(out_h, out_w):
            if out is None:
                out = x[window].copy(order="K")  # keeps x's memory layout
                argmax = np.zeros(out.shape, dtype=np.uint8)
                continue
            candidate = x[window].copy(order="K")  # one strided read; the passes below run in order
            # Offsets come in increasing k, so "argmax = k where strictly larger" is a maximum with
            # k times the 0/1 test (a masked write, np.copyto(where=...), is 20x slower).
            larger = np.greater(candidate, out)
            np.maximum(argmax, larger.view(np.uint8) * np.uint8(k), out=argmax)
            np.maximum(out, candidate, out=out)
        self.x, self.out, self.argmax = x, out, argmax  # x (a reference) only for dx's shape and layout
        return out

    def backward(self, dout):
        height, width = self.x_shape[2:]
        p = self.pad
        # dx in the input's memory layout, so the layers below read it in order; windows that do not
        # overlap are written once each, overlapping ones add up.
        overlap = self.stride < max(self.pool_h, self.pool_w)
        tiled = not overlap and self.x.shape[2:] == (self.stride * dout.shape[2], self.stride * dout.shape[3])
        # Windows that tile x exactly write every entry of dx once: no need to zero it first.
        dx = (np.empty_like if tiled else np.zeros_like)(self.x, dtype=dout.dtype)
        if dout.strides != self.out.strides:  # one pass into out's layout makes every pass below sequential
            laid_out = np.empty_like(self.out, dtype=dout.dtype)
            laid_out[...] = dout
            dout = laid_out
        for k, window in self._offsets(*self.out.shape[2:]):
            won = self.argmax == k
            if overlap:
                dx[window] += dout * won
            else:
                np.multiply(dout, won, out=dx[window])
        return dx[:, :, p:p + height, p:p + width] if p else dx

    def kink_state(self):
        """Which offset of each window holds its maximum: a step that changes it crossed max's kink."""
        return self.argmax

    def config(self):
        return {"pool_h": self.pool_h, "pool_w": self.pool_w, "stride": self.stride, "pad": self.pad}

    def __repr__(self):
        return f"Pooling({self.pool_h}x{self.pool_w}, stride={self.stride}, pad={self.pad})"


class Flatten(Layer):
    """out = x.reshape(N, -1): images (N, C, H, W) to rows (N, C*H*W) for an Affine layer; backward reshapes back."""

    formula = ("out = x.reshape(N, -1)", "dx = dout.reshape(x.shape)")

    def forward(self, x, train=True):
        self.x_shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, dout):
        return dout.reshape(self.x_shape)


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


#: The layers `framework.io` can save and load, by class name. A new layer goes here too.
LAYERS = {cls.__name__: cls for cls in (Affine, ReLU, Sigmoid, Tanh, Identity, Dropout, BatchNormalization,
                                        Convolution, Pooling, Flatten)}
