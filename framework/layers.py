"""The MLP's layers in the book's style: `forward(x, train=True)`, `backward(dout) -> dx` (framework.layer).

x is (N, D). The book's layers.py also holds the loss and convolution layers: they live in
framework.losses and framework.conv and are importable from here under the same names.
"""
import numpy as np

from .checks import check_bool, check_number, check_seed
from .conv import Convolution, Flatten, Pooling
from .functions import sigmoid
from .layer import BookName, Layer, as_input, check_backward
from .losses import Loss, MeanSquaredError, PoissonDeviance, SigmoidCrossEntropy, SoftmaxCrossEntropy

__all__ = ["Layer", "Affine", "ReLU", "Sigmoid", "Tanh", "Identity", "Dropout", "BatchNormalization",
           "Loss", "SoftmaxCrossEntropy", "MeanSquaredError", "SigmoidCrossEntropy", "PoissonDeviance",
           "Convolution", "Pooling", "Flatten"]


class Affine(Layer):
    """Fully connected: out = x @ W + b, W (D, M), b (M,); x (N, ...) is flattened to (N, D).

    Backward: dx = dout @ W.T, dW = x.T @ dout, db = sum_n dout. grads["W"] (the book's dW) is one
    array written in place by every backward (the book makes a new one): copy it to keep a step's.
    """

    formula = ("out = x @ W + b", "dx = dout @ W.T,  dW = x.T @ dout,  db = sum(dout, axis=0)")

    W, b, dW, db = BookName("params", "W"), BookName("params", "b"), BookName("grads", "W"), BookName("grads", "b")
    original_x_shape = property(lambda self: self.x_shape, doc="The book's name for x's shape before flattening.")
    input_size = property(lambda self: self.params["W"].shape[0])
    output_size = property(lambda self: self.params["W"].shape[1])

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
        x = as_input(x)
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
        check_backward(self, "x", dout, (self.x.shape[0], self.params["W"].shape[1]) if self.x is not None else None)
        self.parameter_gradients(dout)
        return (dout @ self.params["W"].T).reshape(self.x_shape)

    def parameter_gradients(self, dout):
        """dW and db only, without dx: a network's first layer needs no dx (Sequential.backward)."""
        # Written into the existing gradient arrays (a network keeps them in one buffer).
        if isinstance(self.x, np.ndarray):
            np.matmul(self.x.T, dout, out=self.grads["W"])
        else:  # scipy.sparse rows: their own product gives a dense (D, M)
            self.grads["W"][...] = self.x.T @ dout
        np.sum(dout, axis=0, out=self.grads["b"])

    def config(self):
        return {"shape": list(self.params["W"].shape)}

    @classmethod
    def from_config(cls, config, dtype):
        return cls(np.zeros(config["shape"], dtype), np.zeros(config["shape"][1], dtype))

    def __repr__(self):
        d, m = self.params["W"].shape
        return f"Affine({d} -> {m}, dtype={self.params['W'].dtype})"


class ReLU(Layer):
    """out = max(0, x); backward: dx = dout where x > 0, else 0.

    Negative inputs give +0.0, as the book's `out[x <= 0] = 0`, and so does -inf; NaN stays NaN.
    """

    formula = ("out = max(0, x)", "dx = dout * (x > 0)")

    mask = property(lambda self: None if self.out is None else self.out <= 0,
                    doc="The book's mask: True where the last input was <= 0 (where no gradient passes).")

    def __init__(self):
        super().__init__()
        self.out = None

    def forward(self, x, train=True):
        self.out = np.maximum(x, 0)
        return self.out

    def backward(self, dout):
        check_backward(self, "out", dout, getattr(self.out, "shape", None))
        dx = (self.out > 0).astype(dout.dtype)  # the mask, 1.0 exactly where x > 0
        dx *= dout
        return dx

    def kink_state(self):
        """Which inputs were > 0 in the last forward: a step that changes it crossed the kink at 0."""
        return self.out > 0


class Sigmoid(Layer):
    """out = 1 / (1 + exp(-x)); backward: dx = dout * out * (1 - out)."""

    formula = ("out = 1 / (1 + exp(-x))", "dx = dout * out * (1 - out)")
    out = None

    def forward(self, x, train=True):
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        check_backward(self, "out", dout, getattr(self.out, "shape", None))
        return dout * self.out * (1.0 - self.out)


class Tanh(Layer):
    """out = tanh(x); backward: dx = dout * (1 - out**2)."""

    formula = ("out = tanh(x)", "dx = dout * (1 - out**2)")
    out = None

    def forward(self, x, train=True):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        check_backward(self, "out", dout, getattr(self.out, "shape", None))
        return dout * (1.0 - self.out * self.out)


class Identity(Layer):
    """out = x; backward: dx = dout. (scikit-learn's "identity" activation.)"""

    formula = ("out = x", "dx = dout")

    def forward(self, x, train=True):
        return x

    def backward(self, dout):
        return dout


class Dropout(Layer):
    """Inverted dropout: out = x * mask / (1 - ratio) in training, mask ~ Bernoulli(1 - ratio); x at inference.

    inverted=False is the book's: out = x * mask in training, x * (1 - ratio) at inference; its
    gradients are unscaled, so at one learning rate it learns more slowly. `seed`: an int, None or a
    numpy Generator (a network shares its own with all its Dropout layers).
    """

    def __init__(self, ratio=0.5, seed=None, inverted=True):
        super().__init__()
        check_number(ratio, "ratio", low=0, high=1, high_open=True)
        self.ratio, self.inverted = ratio, check_bool(inverted, "inverted")
        self.rng = np.random.default_rng(check_seed(seed))
        self.scaled_mask = None

    @property
    def formula(self):
        if self.inverted:
            return "out = x * mask / (1 - ratio)", "dx = dout * mask / (1 - ratio)"
        return "out = x * mask (training), x * (1 - ratio) (inference)", "dx = dout * mask"

    dropout_ratio = property(lambda self: self.ratio, doc="The book's name for ratio.")
    mask = property(lambda self: None if self.scaled_mask is None else self.scaled_mask != 0,
                    doc="The book's mask: True where the last training pass kept the input.")

    def forward(self, x, train=True):
        x = as_input(x)
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
    """Batch normalization: out = gamma * xn + beta, xn = (x - mean) / sqrt(var + eps).

    Training uses the batch's mean and biased variance (as the book; PyTorch's running variance is
    unbiased) and updates running = momentum * running + (1 - momentum) * batch; inference uses them.
    The running variance starts at 1 (PyTorch; the book's at 0: pass running_var=np.zeros(D)); eps is
    PyTorch's 1e-5 (the book's code: 1e-6). Backward, with dxn = gamma * dout: dbeta = sum dout,
    dgamma = sum dout * xn, dx = (dxn - mean(dxn) - xn * mean(dxn * xn)) / sqrt(var + eps).
    """

    gamma, beta = BookName("params", "gamma"), BookName("params", "beta")
    dgamma, dbeta = BookName("grads", "gamma"), BookName("grads", "beta")
    running_mean, running_var = BookName("buffers", "running_mean"), BookName("buffers", "running_var")
    input_shape = property(lambda self: self.x_shape, doc="The book's name for the last input's shape.")
    batch_size = property(lambda self: None if self.xn is None else len(self.xn), doc="The book's batch_size.")
    std = property(lambda self: None if self.xn is None else 1.0 / self.inv_std,
                   doc="The book's std: sqrt(var + eps) of the last forward.")
    xc = property(lambda self: None if self.xn is None else self.xn / self.inv_std,
                  doc="The book's xc: x - mean of the last forward.")
    xn = x_shape = None
    input_size = output_size = property(lambda self: self.params["gamma"].shape[0])

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
        x = as_input(x)
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
        check_backward(self, "xn", dout, self.x_shape)
        dout = dout.reshape(len(dout), -1)
        xn = self.xn
        self.grads["beta"][...] = dout.sum(axis=0)
        self.grads["gamma"][...] = (dout * xn).sum(axis=0)
        dxn = self.params["gamma"] * dout
        dx = (dxn - dxn.mean(axis=0) - xn * (dxn * xn).mean(axis=0)) * self.inv_std
        return dx.reshape(self.x_shape)

    def config(self):
        return {"size": int(self.params["gamma"].shape[0]), "momentum": self.momentum, "eps": self.eps}

    @classmethod
    def from_config(cls, config, dtype):
        return cls(np.ones(config["size"], dtype), np.zeros(config["size"], dtype), config.get("momentum", 0.9),
                   eps=config.get("eps", 1e-5))

    def __repr__(self):
        return f"BatchNormalization({self.params['gamma'].shape[0]}, momentum={self.momentum}, eps={self.eps})"
