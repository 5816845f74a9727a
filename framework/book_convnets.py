"""The book's chapters 7 and 8 under its own names (re-exported by framework.book):

| the book (common/..., ch07/..., ch08/...)       | here                 | ours                               |
|-------------------------------------------------|----------------------|------------------------------------|
| util.im2col, col2im                             | im2col, col2im       | im2col.im2col, col2im (same layouts) |
| layers.Convolution(W, b, stride=1, pad=0)       | Convolution          | conv.Convolution                   |
| layers.Pooling(pool_h, pool_w, stride=2, pad=0) | Pooling              | conv.Pooling (stride 1 by default) |
| ch07 simple_convnet.SimpleConvNet               | SimpleConvNet        | network.SimpleConvNet              |
| ch08 deep_convnet.DeepConvNet                   | DeepConvNet          | network.DeepConvNet                |
| save_params / load_params (pickle)              | save_params / load_params | .npz; the book's .pkl read without running any code |

Differences, one line each: `accuracy(x, t, batch_size)` counts every sample (the book's skips the
last len(x) % batch_size samples but still divides by len(x)); `save_params` writes .npz, never a
pickle; labels may also be the book's (N, 1) columns.
"""
import os
import pickle

import numpy as np

from . import conv, im2col as windows, network
from .checks import as_labels, check_seed
from .fileio import atomic_path
from .losses import SoftmaxWithLoss


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """Every window of input_data (N, C, H, W) as a row: (N * OH * OW, C * FH * FW), as the book lays it out."""
    return windows.im2col(np.asarray(input_data), filter_h, filter_w, stride, pad)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """im2col's adjoint: each row of col added back onto its window of an (N, C, H, W) array."""
    return windows.col2im(np.asarray(col), tuple(input_shape), filter_h, filter_w, stride, pad)


class Convolution(conv.Convolution):
    """The book's Convolution(W, b, stride=1, pad=0): b may be one number (ch07/apply_filter passes 0);
    .W and .b can be assigned (the values are copied in); .col and .col_W are the book's im2col
    matrices of the last forward, (N*OH*OW, C*FH*FW) and (C*FH*FW, FN)."""

    def __init__(self, W, b, stride=1, pad=0):
        W = np.asarray(W)
        if W.dtype.kind != "f":
            raise TypeError(f"W must hold floats, got dtype {W.dtype}")
        b = np.full(W.shape[:1], b, dtype=W.dtype) if np.ndim(b) == 0 else np.asarray(b, dtype=W.dtype)
        super().__init__(W, b, stride, pad)

    def forward(self, x, train=True):
        self.x = x
        return super().forward(np.asarray(x), train)

    W = property(lambda self: self.params["W"], lambda self, value: _assign(self.params, "W", value))
    b = property(lambda self: self.params["b"], lambda self, value: _assign(self.params, "b", value))
    col = property(lambda self: self.columns[:, :-1].transpose(0, 2, 1).reshape(-1, self.columns.shape[1] - 1),
                   doc="The book's col: im2col of the last input, (N*OH*OW, C*FH*FW).")
    col_W = property(lambda self: self.params["W"].reshape(len(self.params["W"]), -1).T,
                     doc="The book's col_W: the filters as columns, (C*FH*FW, FN).")


class Pooling(conv.Pooling):
    """The book's Pooling(pool_h, pool_w, stride=2, pad=0); .arg_max is the book's (N*OH*OW*C,) window positions."""

    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        super().__init__(pool_h, pool_w, stride, pad)

    arg_max = property(lambda self: self.argmax.transpose(0, 2, 3, 1).ravel().astype(np.int64))


def _assign(arrays, key, value):
    value = np.asarray(value)
    if value.shape != arrays[key].shape:
        raise ValueError(f"{key} must have shape {arrays[key].shape}, got {value.shape}")
    arrays[key][...] = value


# -- the book's parameter files -------------------------------------------------------------------
#: What the book's .pkl files may name: numpy's array and dtype and the function that rebuilds an array.
_ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct")}


class _ArraysOnly(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"it names {module}.{name}; only numpy arrays, dicts and lists are read "
                                         "from a parameter pickle, never code")
        if name == "_reconstruct":
            return np.ndarray.__reduce__(np.zeros(0))[0]  # numpy's own, whatever the module is called today
        return getattr(np, name)


def read_params(file_name):
    """{name: array} from the book's .pkl (ch03/sample_weight.pkl, ch07/params.pkl, ...) or from our .npz.

    A pickle is read by an unpickler that builds only dicts, lists, numbers, strings and numeric numpy
    arrays; a file that names anything else (a class, a function) is refused before it runs.
    """
    file_name = os.fspath(file_name)
    with open(file_name, "rb") as f:
        head = f.read(2)
        f.seek(0)
        if head == b"PK":  # a zip: our .npz
            with np.load(f, allow_pickle=False) as data:
                return {key: data[key] for key in data.files}
        try:
            params = _ArraysOnly(f).load()
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"refusing to load {file_name}: {exc}") from None
    if not isinstance(params, dict):
        raise ValueError(f"{file_name} must hold a dict of names to arrays, as the book's save_params writes, "
                         f"got {type(params).__name__}")
    for key, value in params.items():
        if not (isinstance(key, str) and isinstance(value, np.ndarray) and value.dtype.kind in "biuf"):
            kind = f"an array of dtype {value.dtype}" if isinstance(value, np.ndarray) else type(value).__name__
            raise ValueError(f"{file_name}: entry {key!r} must be a numeric array, got {kind}")
    return params


class _BookMethods:
    """The book's network methods on our networks: predict(x, train_flg=False), accuracy(x, t, batch_size=100),
    gradient, numerical_gradient, save_params, load_params; labels as (N,), (N, 1) or one-hot rows."""

    def _labels(self, t):
        t = np.asarray(t)
        if t.ndim == 2 and t.shape[1] == 1:
            t = t.ravel()  # the book's column of labels (ch07/gradient_check)
        return as_labels(t, len(t), self.output_size)

    def predict(self, x, train_flg=False):
        return network.Sequential.predict(self, x, train=train_flg)

    def accuracy(self, x, t, batch_size=100):
        return network.Sequential.accuracy(self, x, self._labels(t), batch_size)

    def gradient(self, x, t):
        return network.Sequential.gradient(self, x, self._labels(t))

    def numerical_gradient(self, x, t):
        return network.Sequential.numerical_gradient(self, x, self._labels(t))

    def save_params(self, file_name="params.pkl"):
        """Write the parameters to an .npz (never a pickle): file_name with its suffix made .npz."""
        path = os.path.splitext(os.fspath(file_name))[0] + ".npz"
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, **{key: np.asarray(value) for key, value in self.params.items()})
        print(f"parameters saved to {path} (.npz, not a pickle: framework never writes pickles)")
        return path

    def load_params(self, file_name="params.pkl"):
        """Read the book's .pkl (see read_params) or the .npz save_params wrote (tried when file_name is absent)."""
        npz = os.path.splitext(os.fspath(file_name))[0] + ".npz"
        params = read_params(file_name if os.path.exists(file_name) or not os.path.exists(npz) else npz)
        if set(params) != set(self.params):
            raise ValueError(f"{file_name} holds {sorted(params)}, this network has {sorted(self.params)}")
        for key, value in params.items():
            if value.shape != self.params[key].shape:
                raise ValueError(f"{file_name}: {key} has shape {value.shape}, this network's is "
                                 f"{self.params[key].shape} (built with other sizes?)")
        for key, value in params.items():
            self.params[key] = value


class SimpleConvNet(_BookMethods, network.SimpleConvNet):
    """The book's SimpleConvNet (ch. 7.5) with its constructor and methods; the book's SoftmaxWithLoss (1e-7)."""

    def __init__(self, input_dim=(1, 28, 28), conv_param=None, hidden_size=100, output_size=10,
                 weight_init_std=0.01, seed=None, dtype=np.float64):
        super().__init__(input_dim, conv_param, hidden_size, output_size, weight_init_std, check_seed(seed), dtype)
        self.loss_layer = SoftmaxWithLoss()

    def loss(self, x, t, train_flg=False):
        return network.Sequential.loss(self, x, self._labels(t), train=train_flg)


class DeepConvNet(_BookMethods, network.DeepConvNet):
    """The book's DeepConvNet (ch. 8.1) with its constructor and methods: the book's dropout (scaled at
    inference), SoftmaxWithLoss (1e-7), and loss(x, t) in training mode as the book's."""

    def __init__(self, input_dim=(1, 28, 28), conv_param_1=None, conv_param_2=None, conv_param_3=None,
                 conv_param_4=None, conv_param_5=None, conv_param_6=None, hidden_size=50, output_size=10,
                 seed=None, dtype=np.float64):
        given = (conv_param_1, conv_param_2, conv_param_3, conv_param_4, conv_param_5, conv_param_6)
        params = [given[i] or network.DEEP_CONV_PARAMS[i] for i in range(6)]
        super().__init__(input_dim, params, hidden_size, output_size, dropout=0.5, inverted_dropout=False,
                         seed=check_seed(seed), dtype=dtype)
        self.loss_layer = SoftmaxWithLoss()

    def loss(self, x, t, train_flg=True):
        return network.Sequential.loss(self, x, self._labels(t), train=train_flg)
