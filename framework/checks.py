"""Input checks shared by every public entry point, so each check is written once.

Every error names the argument, what was expected and what was received.
"""
import math
import numbers
import os

import numpy as np

from .im2col import check_window

FLOAT_DTYPES = (np.float32, np.float64)


def check_dtype(dtype, name="dtype"):
    """Return `dtype` as numpy.float32 or numpy.float64, or raise ValueError."""
    try:
        resolved = np.dtype(dtype).type
    except TypeError:
        resolved = None
    if resolved not in FLOAT_DTYPES:
        raise ValueError(f"{name} must be numpy.float32 or numpy.float64, got {dtype!r}")
    return resolved


def is_sparse(x):
    """True for a scipy.sparse matrix or array (recognised without importing scipy)."""
    return hasattr(x, "tocsr") and hasattr(x, "nnz")


def as_array(x, name, dtype=None, ndim=None, finite=True):
    """Convert `x` to a finite, non-empty float array of `dtype` (or keep its float dtype).

    Integer and boolean input is converted to `dtype` (float64 when no dtype is given). With
    finite=False, +-inf are allowed and only NaN is refused.
    """
    if x is None or isinstance(x, (str, bytes, dict)):
        raise TypeError(f"{name} must be a numeric array, got {'None' if x is None else 'a ' + type(x).__name__}")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} must be a numeric array of equal-length rows ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if dtype is not None:
        source = arr
        with np.errstate(over="ignore"):  # values beyond the dtype's range are reported below
            arr = arr.astype(dtype, copy=False)
        if source is not arr and arr.dtype.itemsize < source.dtype.itemsize and arr.size \
                and not (np.isfinite(arr.min()) and np.isfinite(arr.max())) \
                and np.isfinite(source.min()) and np.isfinite(source.max()):
            largest = np.abs(source).max()
            raise ValueError(f"{name} holds finite values beyond {np.dtype(dtype).name}'s range (largest magnitude "
                             f"{largest:.3g}; {np.dtype(dtype).name} holds up to {np.finfo(dtype).max:.3g}); "
                             f"scale the data, or use a float64 model")
    elif arr.dtype.kind != "f" or arr.dtype.type not in FLOAT_DTYPES:
        arr = arr.astype(np.float64)
    if ndim is not None and arr.ndim not in ((ndim,) if isinstance(ndim, int) else ndim):
        raise ValueError(f"{name} must be {_ndim_text(ndim)}, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    # min and max carry any NaN or infinity and allocate nothing (isfinite would copy x as booleans).
    if finite and not (np.isfinite(arr.min()) and np.isfinite(arr.max())):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} must be finite, got {bad} NaN or infinite value(s)")
    if not finite and np.isnan(arr.min()):
        raise ValueError(f"{name} must not hold NaN, got {int(np.count_nonzero(np.isnan(arr)))} NaN value(s)")
    return arr


def _ndim_text(ndim):
    if isinstance(ndim, int):
        ndim = (ndim,)
    return " or ".join(f"{d}-D" for d in ndim)


def as_labels(t, n_samples, num_classes, name="t"):
    """Return class labels as an int64 array of shape (n_samples,).

    `t` is either labels of shape (N,) with integer values in [0, num_classes), or one-hot rows of
    shape (N, num_classes), which become labels by argmax after checking they are one-hot.
    """
    if num_classes is None:
        raise ValueError(f"cannot check {name}: the model does not say how many classes it scores "
                         "(none of its layers has an output_size, as an Affine layer does)")
    if t is None or isinstance(t, (str, bytes)):
        raise TypeError(f"{name} must be integer class labels or one-hot rows, got "
                        f"{'None' if t is None else 'a ' + type(t).__name__}")
    t = np.asarray(t)
    if t.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be integer class labels or one-hot rows, got dtype {t.dtype}")
    if t.ndim == 2 and t.shape[1] == num_classes and num_classes > 1:
        t = one_hot_to_labels(t, name)
    elif t.ndim == 2 and t.shape[1] == 1:
        raise ValueError(f"{name} must be labels of shape ({n_samples},) or one-hot of shape "
                         f"({n_samples}, {num_classes}), got a column of shape {t.shape}; use {name}.ravel()")
    elif t.ndim != 1:
        raise ValueError(f"{name} must be labels of shape ({n_samples},) or one-hot of shape "
                         f"({n_samples}, {num_classes}), got shape {t.shape}")
    if len(t) != n_samples:
        raise ValueError(f"{name} must have one entry per sample: expected {n_samples}, got {len(t)}")
    if t.size == 0:
        raise ValueError(f"{name} must not be empty")
    if t.dtype.kind == "f":
        if not np.isfinite(t).all():
            raise ValueError(f"{name} must hold integer class labels, got NaN or infinite values")
        fractional = t[t != np.round(t)]
        if fractional.size:
            raise ValueError(f"{name} must hold integer class labels, got non-integer value {fractional[0].item()!r}")
    if t.dtype == np.int64:
        # The common case in one reduction: as unsigned, a negative label is larger than any class.
        in_range = t.view(np.uint64).max() < num_classes
    else:  # compared in t's own dtype, so that 1e20 or a huge uint64 is reported as itself
        in_range = t.min() >= 0 and t.max() < num_classes
    if not in_range:
        low, high = t.min().item(), t.max().item()
        bad = low if low < 0 else high
        hint = " (labels that start at 1? subtract 1)" if low >= 1 and high == num_classes else ""
        expected = f"in [0, {num_classes - 1}]" if num_classes < 2 ** 62 else ">= 0"  # (classes not yet counted)
        raise ValueError(f"{name} must hold labels {expected}, got {bad!r}{hint}")
    return t.astype(np.int64, copy=False)


def one_hot_to_labels(t, name):
    """Argmax of one-hot rows (N, C), after checking each row holds a single 1 and zeros elsewhere."""
    is_binary = (t == 0) | (t == 1)
    ones = (t == 1).sum(axis=1)
    bad_rows = np.flatnonzero(~is_binary.all(axis=1) | (ones != 1))
    if bad_rows.size:
        row = bad_rows[0]
        raise ValueError(f"{name} looks one-hot (shape {t.shape}) but row {row} is {t[row].tolist()}, "
                         "expected a single 1 and zeros elsewhere")
    return t.argmax(axis=1)


def check_gradient_arguments(f, x, h):
    """numerical_gradient's arguments: f callable, h > 0, x a non-empty contiguous float array
    (f sees the entries changed in place); returns x."""
    if not callable(f):
        raise TypeError(f"f must be a function of x returning a number (the loss), got {f!r}")
    check_number(h, "h", low=0, low_open=True)
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(f"x must be a float numpy array that f reads, got {type(x).__name__}"
                        + (f" of dtype {x.dtype}" if isinstance(x, np.ndarray) else ""))
    if x.size == 0:
        raise ValueError(f"x must not be empty, got shape {x.shape}")
    if not np.shares_memory(x.reshape(-1), x):
        raise ValueError("x must be contiguous so that changing it in place is seen by f")
    return x


def as_loss_value(value):
    """A loss function's value as a float; an array of more than one number is refused."""
    if np.ndim(value) != 0:
        raise TypeError(f"f must return a number (the loss), got an array of shape {np.shape(value)}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"f must return a number (the loss), got {value!r}") from None


def check_number(value, name, low=None, high=None, low_open=False, high_open=False, integer=False):
    """Check that `value` is a real number (an int if `integer`) inside the given bounds."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        what = "an integer" if integer else "a number"
        raise TypeError(f"{name} must be {what}, got {value!r}")
    if not integer and not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value!r}")
    if high is not None and (value >= high if high_open else value > high):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value!r}")
    # Plain Python numbers: a numpy float64 scalar would upcast float32 arrays it multiplies.
    return int(value) if integer else float(value)


def check_lr(lr, name="lr"):
    """A learning rate: a finite number >= 0. The one rule for every rate (optimizers, schedules, the CLI,
    a loaded checkpoint), torch.optim's: 0 is where a schedule may end (cosine's min_lr), a step then moves nothing."""
    return check_number(lr, name, low=0)


#: The most BLAS threads a count may ask for (more than any machine has; OpenBLAS takes a C int).
MAX_THREADS = 4096


def check_threads(value, name="threads"):
    """A BLAS thread count: a whole number from 1 to MAX_THREADS, given as a number or (from the
    environment or a command line) as a string of ASCII digits. The one rule for every thread count."""
    expected = f"{name} must be a whole number from 1 to {MAX_THREADS}, got {value!r}"
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.isdigit():
            raise ValueError(expected)
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(expected)
    if not 1 <= value <= MAX_THREADS:
        raise ValueError(expected)
    return int(value)


def check_bool(value, name):
    """Check that `value` is True or False (numpy's bools too); strings like "no" are refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_choice(value, name, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def check_sample_weight(sample_weight, n_samples, dtype, name="sample_weight"):
    """Non-negative finite weights of shape (n_samples,) with a positive sum, as `dtype`."""
    w = as_array(sample_weight, name, dtype=dtype, ndim=1)
    if len(w) != n_samples:
        raise ValueError(f"{name} must have one weight per sample: expected {n_samples}, got {len(w)}")
    if (w < 0).any():
        raise ValueError(f"{name} must be >= 0, got {w.min()}")
    if not w.sum() > 0:
        raise ValueError(f"{name} must not be all zero")
    return w


def check_seed(seed, name="seed"):
    """A seed for numpy.random.default_rng: None, an integer >= 0, or a numpy Generator / SeedSequence."""
    if seed is None or isinstance(seed, (np.random.Generator, np.random.SeedSequence)):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{name} must be None, an integer >= 0 or a numpy Generator, got {seed!r}")
    if seed < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {seed!r}")
    return int(seed)


def memory_bytes():
    """The machine's physical memory in bytes (None where the system does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def check_allocation(numbers_needed, dtype, what):
    """Refuse, before allocating, `numbers_needed` numbers of `dtype` that could not fit in memory."""
    needed = int(numbers_needed) * np.dtype(dtype).itemsize
    available = memory_bytes()
    if available is not None and needed > available:
        raise ValueError(f"{what} needs {needed / 2 ** 30:,.1f} GiB ({int(numbers_needed):,} {np.dtype(dtype).name} "
                         f"numbers), more than this machine's {available / 2 ** 30:,.1f} GiB of memory")


def check_layers(layers, loss):
    """Sequential's layers as a non-empty list of layer instances (forward and backward); its loss a
    losses.Loss instance (what the network, the trainer and checkpoints rely on), or None."""
    if not isinstance(layers, (list, tuple)):
        raise TypeError(f"layers must be a list of layers, got {layers!r}")
    if not layers:
        raise ValueError("layers must hold at least one layer, got an empty list")
    from .losses import Loss
    if loss is not None and (isinstance(loss, type) or not isinstance(loss, Loss)):
        raise TypeError(f"loss must be a loss layer instance (framework.losses.Loss: SoftmaxCrossEntropy(), "
                        f"MeanSquaredError(), ... or a subclass of your own), got {loss!r}")
    for i, layer in enumerate(layers):
        if isinstance(layer, type) or not (hasattr(layer, "forward") and hasattr(layer, "backward")):
            raise TypeError(f"layers[{i}] must be a layer instance with forward and backward, such as ReLU(), "
                            f"got {layer!r}")
    return list(layers)


def network_input(x, dtype, input_size, input_shape, sparse_refused_by=None):
    """x as a finite array of `dtype`, shape (N, input_size) or (N, *input_shape) where those are fixed
    (None: the next layer decides); scipy.sparse x as CSR of `dtype`, unless the first layer
    (`sparse_refused_by`, its name) cannot take it. The network's check_input."""
    if is_sparse(x):
        if sparse_refused_by is not None:
            raise TypeError(f"sparse x needs a network whose first layer is Affine, got {sparse_refused_by}; "
                            "pass x.toarray()")
        x = x.tocsr().astype(dtype, copy=False)  # no copy when it is CSR of the dtype already
        if x.shape[0] == 0:
            raise ValueError(f"x must not be empty, got shape {x.shape}")
        if not np.isfinite(x.data).all():
            raise ValueError("x must be finite, got NaN or infinite values")
    else:
        x = as_array(x, "x", dtype=dtype)
    if x.ndim < 2:
        raise ValueError(f"x must be a batch of shape (N, {input_size or 'features'}), got shape {x.shape}"
                         + ("; for one sample use x.reshape(1, -1)" if x.ndim == 1 else ""))
    if input_size is not None and int(np.prod(x.shape[1:])) != input_size:
        raise ValueError(f"x must have {input_size} features per sample, got shape {x.shape}")
    images = input_shape is not None and (x.ndim > 2 or sparse_refused_by is not None)  # rows only into an Affine
    if images and x.shape[1:] != tuple(input_shape):
        size = int(np.prod(input_shape))
        raise ValueError(f"x must be images of shape (N, {', '.join(map(str, input_shape))}) for this network, "
                         f"got shape {x.shape}" + (f"; rows of {size} pixels: x.reshape(-1, "
                                                   f"{', '.join(map(str, input_shape))})"
                                                   if x.ndim == 2 and x.shape[1] == size else ""))
    return x


def finite_scores(scores, x):
    """The network's scores (N, C) for x, refused when not finite (inputs so large that the network overflows)."""
    if not (np.isfinite(scores.min()) and np.isfinite(scores.max())):
        rows = np.flatnonzero(~np.isfinite(scores).all(axis=1))
        raise ValueError(f"the network's scores overflowed {scores.dtype.name} for {len(rows)} of "
                         f"{x.shape[0]} rows (first: row {rows[0]}, whose largest input magnitude is "
                         f"{abs(x[rows[0]]).max():.3g}); scale the inputs (to [0, 1] or standardized)")
    return scores


def finite_loss(loss, scores, start):
    """A batch's loss, refused with the rows it covers when it or the scores (N, C) are not finite."""
    if not math.isfinite(loss) or not np.isfinite(scores).all():
        raise ValueError(f"the network's scores or loss are not finite on rows {start} to {start + len(scores) - 1} "
                         "(NaN or infinite weights, or inputs so large that it overflows): no accuracy can be given; "
                         "scale the inputs or retrain")
    return loss


def check_weights(weights, arrays):
    """weights as get_weights() gives them ({"params": {"W1": ...}, "buffers": {...}}, or a part) checked
    against the network's `arrays` ({"params": ..., "buffers": ...}): every key known, every shape the
    same, every value a finite number. Raises before anything is copied."""
    if not isinstance(weights, dict) or set(weights) - set(arrays):
        raise ValueError(f"weights must be a dict with 'params' and/or 'buffers' (as get_weights() "
                         f"gives), got {sorted(weights) if isinstance(weights, dict) else type(weights).__name__}")
    for name, given in weights.items():
        view = arrays[name]
        for key, value in given.items():
            if key not in view:
                raise ValueError(f"weights[{name!r}] has no entry {key!r} in this network; it has {', '.join(view)}")
            value = np.asarray(value)
            if value.shape != view[key].shape:
                raise ValueError(f"weights[{name!r}][{key!r}] must have shape {view[key].shape}, got {value.shape}")
            if value.dtype.kind not in "biuf" or not np.isfinite(value).all():
                raise ValueError(f"weights[{name!r}][{key!r}] must be finite numbers")


# -- the networks' constructor arguments (framework.network), checked once and made JSON-ready --------
def check_image_shape(shape, name):
    """(C, H, W) of one image as three integers >= 1."""
    if not isinstance(shape, (list, tuple)) or len(shape) != 3:
        raise ValueError(f"{name} must be (C, H, W) of one image, got {shape!r}")
    return [check_number(n, f"{name} entries", low=1, integer=True) for n in shape]


def _seed_config(seed):
    """The seed as a checkpoint can write it: a Generator passed as seed cannot be (the weights are saved anyway)."""
    return check_seed(seed) if not isinstance(seed, (np.random.Generator, np.random.SeedSequence)) else None


def _output_size(output_size, loss):
    # softmax over one class learns nothing; one real output is a regression
    return check_number(output_size, "output_size", low=2 if loss == "cross_entropy" else 1, integer=True)


def mlp_arguments(input_size, hidden_sizes, output_size, activation, weight_init, dropout, batchnorm,
                  batchnorm_eps, loss, seed, dtype, inverted_dropout, activations, losses):
    """MLP's arguments, checked, as the values its `config` gives back; the memory it needs is checked too."""
    input_size = check_number(input_size, "input_size", low=1, integer=True)
    check_choice(loss, "loss", losses)
    output_size = _output_size(output_size, loss)
    if isinstance(hidden_sizes, (int, np.integer)):
        hidden_sizes = [hidden_sizes]
    if not isinstance(hidden_sizes, (list, tuple, np.ndarray)):
        raise TypeError(f"hidden_sizes must be an integer or a list of integers such as [100], got {hidden_sizes!r}")
    hidden_sizes = [check_number(size, "hidden_sizes entries", low=1, integer=True) for size in hidden_sizes]
    check_choice(activation, "activation", activations)
    if isinstance(weight_init, str):
        check_choice(weight_init, "weight_init", ("he", "xavier"))
    else:
        weight_init = check_number(weight_init, "weight_init", low=0, low_open=True)
    arguments = dict(input_size=input_size, hidden_sizes=hidden_sizes, output_size=output_size, activation=activation,
                     weight_init=weight_init, dropout=check_number(dropout, "dropout", low=0, high=1, high_open=True),
                     batchnorm=check_bool(batchnorm, "batchnorm"),
                     batchnorm_eps=check_number(batchnorm_eps, "batchnorm_eps", low=0, low_open=True), loss=loss,
                     seed=_seed_config(seed), dtype=np.dtype(check_dtype(dtype)).name,
                     inverted_dropout=check_bool(inverted_dropout, "inverted_dropout"))
    sizes = [input_size] + hidden_sizes + [output_size]
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    # The weights, their initial draws and their gradients live at once while the MLP is built.
    check_allocation(3 * weights, dtype, f"MLP {'-'.join(map(str, sizes))} ({weights:,} weights, "
                                         "three copies while it is built)")
    return arguments


def simple_convnet_arguments(input_dim, conv_param, hidden_size, output_size, weight_init_std, seed, dtype):
    """SimpleConvNet's arguments, checked (the convolution must leave at least 2x2 pixels to pool), as its `config`."""
    conv = {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1}
    unknown = sorted(set(conv_param or {}) - set(conv))
    if unknown:
        raise ValueError(f"conv_param has unknown key(s) {unknown}; it takes {sorted(conv)}")
    conv.update(conv_param or {})
    input_dim = check_image_shape(input_dim, "input_dim")
    conv["filter_num"] = check_number(conv["filter_num"], "filter_num", low=1, integer=True)
    conv["filter_size"] = size = check_number(conv["filter_size"], "filter_size", low=1, integer=True)
    if weight_init_std != "he":
        weight_init_std = check_number(weight_init_std, "weight_init_std", low=0, low_open=True)
    out_h, out_w = check_window((1, *input_dim), size, size, conv["stride"], conv["pad"])
    if out_h < 2 or out_w < 2:
        raise ValueError(f"the convolution leaves {out_h}x{out_w} pixels, too few for the 2x2 pooling; "
                         "use a smaller filter_size or more pad")
    conv["stride"], conv["pad"] = int(conv["stride"]), int(conv["pad"])
    return dict(input_dim=input_dim, conv_param=conv, hidden_size=check_number(hidden_size, "hidden_size", low=1, integer=True),
                output_size=check_number(output_size, "output_size", low=2, integer=True), weight_init_std=weight_init_std,
                seed=_seed_config(seed), dtype=np.dtype(check_dtype(dtype)).name)


def deep_convnet_arguments(input_dim, conv_params, hidden_size, output_size, dropout, inverted_dropout, seed, dtype):
    """DeepConvNet's arguments, checked (each convolution's window by the network as it is built), as its `config`."""
    keys, input_dim = {"filter_num", "filter_size", "pad", "stride"}, check_image_shape(input_dim, "input_dim")
    if not isinstance(conv_params, (list, tuple)) or len(conv_params) != 6:
        raise ValueError(f"conv_params must be six dicts, one per convolution, got {conv_params!r}")
    for i, conv in enumerate(conv_params):
        if not isinstance(conv, dict) or set(conv) != keys:
            raise ValueError(f"conv_params[{i}] must be a dict with keys {sorted(keys)}, got {conv!r}")
    lowest = {"filter_num": 1, "filter_size": 1, "stride": 1, "pad": 0}
    conv_params = [{key: check_number(conv[key], f"conv_params[{i}]['{key}']", low=lowest[key], integer=True)
                    for key in lowest} for i, conv in enumerate(conv_params)]  # plain ints: numpy's are not JSON
    return dict(input_dim=input_dim, conv_params=conv_params,
                hidden_size=check_number(hidden_size, "hidden_size", low=1, integer=True),
                output_size=check_number(output_size, "output_size", low=2, integer=True),
                dropout=check_number(dropout, "dropout", low=0, high=1, high_open=True),
                inverted_dropout=check_bool(inverted_dropout, "inverted_dropout"), seed=_seed_config(seed),
                dtype=np.dtype(check_dtype(dtype)).name)


def conv_net_arguments(input_shape, filters, kernel_size, hidden_size, output_size, pool_every, seed, dtype, loss,
                       losses):
    """conv_net's arguments, checked: the image shape and filter counts as lists of ints."""
    input_shape = check_image_shape(input_shape, "input_shape")
    if not isinstance(filters, (list, tuple)) or not filters:
        raise TypeError(f"filters must be a list of filter counts, one per convolution, such as (32, 32), got {filters!r}")
    check_number(kernel_size, "kernel_size", low=1, integer=True)
    check_number(pool_every, "pool_every", low=1, integer=True)
    check_number(hidden_size, "hidden_size", low=1, integer=True)
    check_choice(loss, "loss", losses)
    _output_size(output_size, loss)
    check_seed(seed)
    check_dtype(dtype)
    filters = [check_number(count, "filters entries", low=1, integer=True) for count in filters]
    height, width, pad = input_shape[1], input_shape[2], (kernel_size - 1) // 2  # conv_net's "same" padding
    for i in range(1, len(filters) + 1):  # the sizes conv_net's layers will give, before any is built
        height, width = height + 2 * pad - kernel_size + 1, width + 2 * pad - kernel_size + 1
        if height < 1 or width < 1:
            raise ValueError(f"convolution {i} of {len(filters)} (kernel_size {kernel_size}, pad {pad}) leaves "
                             f"{max(height, 0)}x{max(width, 0)} pixels of the {input_shape[1]}x{input_shape[2]} "
                             "input: use fewer filters entries, an odd kernel_size or a larger image_shape")
        if i % pool_every == 0 and height >= 2 and width >= 2:
            height, width = height // 2, width // 2
    return input_shape, filters
