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
import warnings
import zipfile

import numpy as np

from . import conv, engine, im2col as windows, network
from .checks import as_labels, check_seed
from .fileio import atomic_path
from .losses import SoftmaxWithLoss


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """Every window of input_data (N, C, H, W) as a row: (N * OH * OW, C * FH * FW), as the book lays it out
    (a new array, as the book's: writing into it never changes input_data)."""
    return windows.im2col(input_data, filter_h, filter_w, stride, pad)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """im2col's adjoint: each row of col added back onto its window of an (N, C, H, W) array."""
    return windows.col2im(np.asarray(col), tuple(input_shape), filter_h, filter_w, stride, pad)


class Convolution(conv.Convolution):
    """The book's Convolution(W, b, stride=1, pad=0): b may be one number (ch07/apply_filter passes 0);
    .W, .b (assignable: the layer then uses the array given), .x, and .col and .col_W, the book's
    im2col matrices of the last forward, (N*OH*OW, C*FH*FW) and (C*FH*FW, FN)."""

    x = None

    def __init__(self, W, b, stride=1, pad=0):
        W = np.asarray(W)
        if W.dtype.kind != "f":
            raise TypeError(f"W must hold floats, got dtype {W.dtype}")
        b = np.full(W.shape[:1], b, dtype=W.dtype) if np.ndim(b) == 0 else np.asarray(b, dtype=W.dtype)
        super().__init__(W, b, stride, pad)

    def forward(self, x, train=True):
        self.x = x
        return super().forward(np.asarray(x), train)

    col = property(lambda self: None if self.columns is None else
                   self.columns[:, :-1].transpose(0, 2, 1).reshape(-1, self.columns.shape[1] - 1),
                   doc="The book's col: im2col of the last input, (N*OH*OW, C*FH*FW).")
    col_W = property(lambda self: self.params["W"].reshape(len(self.params["W"]), -1).T,
                     doc="The book's col_W: the filters as columns, (C*FH*FW, FN).")


class Pooling(conv.Pooling):
    """The book's Pooling(pool_h, pool_w, stride=2, pad=0); .arg_max is the book's (N*OH*OW*C,) window positions."""

    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        super().__init__(pool_h, pool_w, stride, pad)

    arg_max = property(lambda self: None if self.argmax is None else
                       self.argmax.transpose(0, 2, 3, 1).ravel().astype(np.int64))


# -- the book's parameter files -------------------------------------------------------------------
def _numeric(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind not in "iuf":
        raise pickle.UnpicklingError(f"it holds an array of dtype {dtype}; only numeric arrays are read")
    return dtype


def _reconstruct(subtype, shape, dtype):
    """numpy's own _reconstruct (protocols 0-4), for plain arrays only."""
    if subtype is not np.ndarray:
        raise pickle.UnpicklingError(f"it rebuilds a {subtype!r}; only numpy arrays are read")
    return np.ndarray.__reduce__(np.zeros(0))[0](subtype, shape, dtype)


def _frombuffer(buffer, dtype, shape, order):
    """numpy's own _frombuffer (protocol 5), for numeric dtypes only."""
    return np.frombuffer(buffer, dtype=_numeric(dtype)).reshape(shape, order=order)


def _scalar(dtype, data=None):
    """A numpy scalar (np.float64(3.0) pickles as scalar(dtype, bytes)), numeric dtypes only."""
    return np.frombuffer(data if isinstance(data, bytes) else b"", dtype=_numeric(dtype), count=1)[0]


def _latin1(text, encoding="latin1"):
    """How protocols 0-2 write bytes: _codecs.encode(text, 'latin1'); no other codec."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"it calls _codecs.encode with {encoding!r}; only latin1 text is read")
    return text.encode("latin1")


#: What a parameter pickle may name, with what each name is read as: arrays, their dtypes and
#: numbers, in the forms pickle protocols 0 to 5 and numpy 1 and 2 write them.
_ALLOWED = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype, ("_codecs", "encode"): _latin1,
            **{(f"numpy.{core}.multiarray", "_reconstruct"): _reconstruct for core in ("core", "_core")},
            **{(f"numpy.{core}.multiarray", "scalar"): _scalar for core in ("core", "_core")},
            **{(f"numpy.{core}.numeric", "_frombuffer"): _frombuffer for core in ("core", "_core")}}


class _ArraysOnly(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"it names {module}.{name}; only numpy arrays, dicts and lists are read "
                                         "from a parameter pickle, never code")
        return _ALLOWED[module, name]


def read_params(file_name):
    """{name: array} from the book's .pkl (ch03/sample_weight.pkl, ch07/params.pkl, ...) or from our .npz.

    A pickle (any protocol, 0 to 5) is read by an unpickler that builds only dicts, lists, numbers,
    strings and numeric numpy arrays; a file that names anything else (a class, a function) is
    refused before it runs. A damaged, truncated or oversized file is refused with a ValueError naming it.
    """
    file_name = os.fspath(file_name)
    size = os.path.getsize(file_name)
    with open(file_name, "rb") as f:
        head = f.read(2)
        f.seek(0)
        try:
            if head == b"PK":  # a zip: our .npz
                with np.load(f, allow_pickle=False) as data:
                    params = {key: data[key] for key in data.files}
            else:
                params = _ArraysOnly(f).load()
        except (pickle.UnpicklingError, zipfile.BadZipFile, EOFError, ValueError, TypeError, AttributeError,
                IndexError, KeyError, OSError, OverflowError) as exc:
            raise ValueError(f"refusing to load {file_name}: {exc or type(exc).__name__}") from None
        except MemoryError:
            raise ValueError(f"refusing to load {file_name}: it declares more data than its {size:,} bytes "
                             "(a damaged or crafted file)") from None
    if not isinstance(params, dict):
        raise ValueError(f"{file_name} must hold a dict of names to arrays, as the book's save_params writes, "
                         f"got {type(params).__name__}")
    for key, value in params.items():
        if not (isinstance(key, str) and isinstance(value, np.ndarray) and value.dtype.kind in "iuf"):
            kind = f"an array of dtype {value.dtype}" if isinstance(value, np.ndarray) else type(value).__name__
            raise ValueError(f"{file_name}: entry {key!r} must be a numeric array, got {kind}")
    return params


def _checked_value(file_name, key, value, like):
    """value as an array of like's shape and dtype: finite, and within the dtype's range (no inf on the way)."""
    if value.shape != like.shape:
        raise ValueError(f"{file_name}: {key} has shape {value.shape}, this network's is {like.shape} "
                         "(built with other sizes?)")
    if value.dtype.kind == "f" and not np.isfinite(value).all():
        raise ValueError(f"{file_name}: {key} holds NaN or infinite values; refusing to load them")
    largest = np.finfo(like.dtype).max
    if value.size and np.abs(value).max() > largest:
        raise ValueError(f"{file_name}: {key} holds {np.abs(value).max():.3g}, beyond {like.dtype}'s range "
                         f"({largest:.3g}): it would become inf")
    return value.astype(like.dtype, copy=False)


class _BookMethods:
    """The book's network methods on our networks: predict(x, train_flg=False), accuracy(x, t, batch_size=100),
    gradient, numerical_gradient, save_params, load_params; labels as (N,), (N, 1) or one-hot rows.

    Where the book's code computes with scores that overflowed (ch06/batch_norm_test at large weight
    scales), so do these, with a warning that says so (our own networks refuse such scores).
    """

    def _labels(self, t):
        t = np.asarray(t)
        if t.ndim == 2 and t.shape[1] == 1:
            t = t.ravel()  # the book's column of labels (ch07/gradient_check)
        return as_labels(t, len(t), self.output_size)

    def _scores(self, x, train):
        """The scores as the book's predict gives them, with a warning (not an error) where they are not finite."""
        x = self.check_input(x)
        batch = engine.evaluation_batch(self, x)
        with np.errstate(all="ignore"), engine.blas_threads(self, batch):
            scores = self.forward(x, train) if batch >= len(x) else \
                np.concatenate([self.forward(x[i:i + batch], train) for i in range(0, len(x), batch)])
        bad = int(np.count_nonzero(~np.isfinite(scores).all(axis=1)))
        if bad:
            warnings.warn(f"the scores overflowed to NaN or inf on {bad} of {len(x)} rows (weights or inputs too "
                          f"large for {np.dtype(self.dtype).name}); computing with them as the book's code does",
                          RuntimeWarning, stacklevel=3)
        return scores

    def predict(self, x, train_flg=False):
        return self._scores(x, train_flg)

    def accuracy(self, x, t, batch_size=100):
        t = self._labels(t)
        scores = self._scores(x, False)
        if len(scores) != len(t):
            raise ValueError(f"x and t must have one row per sample, got {len(scores)} rows of x and {len(t)} of t")
        return int(np.count_nonzero(scores.argmax(axis=1) == t)) / len(t)

    def gradient(self, x, t):
        return network.Sequential.gradient(self, x, self._labels(t))

    def numerical_gradient(self, x, t):
        return network.Sequential.numerical_gradient(self, x, self._labels(t))

    def save_params(self, file_name="params.pkl"):
        """Write the parameters (and batch normalization's running statistics) to file_name, as it is named,
        in .npz form (never a pickle), which load_params(file_name) reads back."""
        path = os.fspath(file_name)
        arrays = {**{key: np.asarray(value) for key, value in self.params.items()},
                  **{key: np.asarray(value) for key, value in self.buffers.items()}}
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, **arrays)
        print(f"parameters saved to {path} (an .npz archive whatever the name says: framework never writes pickles)")
        return path

    def load_params(self, file_name="params.pkl"):
        """Read file_name: the book's .pkl (see read_params) or what save_params(file_name) wrote.

        Every name, shape and value is checked before anything is copied: nothing changes on an error.
        """
        file_name = os.fspath(file_name)
        if not os.path.exists(file_name):
            raise FileNotFoundError(f"no parameter file {file_name}")
        params = read_params(file_name)
        buffers = dict(self.buffers.items())
        expected = set(self.params) | set(buffers)
        if set(params) != expected and set(params) != set(self.params):
            raise ValueError(f"{file_name} holds {sorted(params)}, this network has {sorted(expected)}")
        if buffers and not set(buffers) <= set(params):
            raise ValueError(f"{file_name} holds no running statistics ({', '.join(buffers)}): without them this "
                             "network's batch normalization would predict from the wrong statistics")
        checked = {key: _checked_value(file_name, key, value, self.params[key] if key in self.params else buffers[key])
                   for key, value in params.items()}
        for key, value in checked.items():
            (self.params if key in self.params else self.buffers)[key] = value


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

    @property
    def config(self):
        """The constructor's arguments (what a checkpoint saves)."""
        a = super().config
        return dict(input_dim=a["input_dim"], **{f"conv_param_{i}": conv for i, conv in enumerate(a["conv_params"], 1)},
                    hidden_size=a["hidden_size"], output_size=a["output_size"], seed=a["seed"], dtype=a["dtype"])

    def loss(self, x, t, train_flg=True):
        return network.Sequential.loss(self, x, self._labels(t), train=train_flg)
