"""The engine room: everything that makes training fast and that a reader of the book can skip.

The book-side modules (layers, losses, conv, network, optimizers) compute each thing one way, as
the book writes it. The engine adds, without changing a single number:
- `pack(arrays)`: a network's parameters (or gradients) moved into one contiguous buffer, each
  layer keeping a view of its part (`FlatParameters`), so an optimizer step is a dozen numpy calls
  over one buffer instead of a dozen per array; `packed(arrays)` gives that buffer back while the
  layers still hold its views, and None once someone replaced an array by hand.
- `step_groups(optimizer, params, grads)`: what an optimizer's rule runs over, as `Step`s (the
  parameter, its gradient and the state arrays), one over whole buffers
  for a packed network (made once and kept, checked every step), one per key otherwise.
- `compiled_step`: a rule as one compiled pass (Adam's; numba, the `fast` extra) for large buffers.
- `flush_subnormals`: every FLUSH_EVERY steps, optimizer state that has decayed below its dtype's
  smallest normal number is set to 0 after the step (the one rule here that touches numbers, below 1e-37).
- `blas_threads(model, batch_size)`: the BLAS threads a training or prediction call runs on, chosen
  from the size of its products (one thread for small networks), the process's setting given back after.
What each buys is measured in benchmarks/results/ (ab.md, compare.md).
"""
import contextlib
import contextvars
import math
import operator
import os
import weakref
from typing import NamedTuple

import numpy as np

from .checks import check_threads
from .im2col import conv_output_size

# -- one buffer behind many arrays -------------------------------------------------------------------
class FlatParameters:
    """A buffer (1-D, one dtype) and, for each key, the owner dict whose entry is a view of it.

    places: {key: (owner_dict, name)} in the buffer's order; every array must have one dtype.
    Pickling keeps the sharing: the views pickle as arrays and are laid over a new buffer again.
    """

    def __init__(self, places):
        self.places = dict(places)
        arrays = [owner[name] for owner, name in self.places.values()]
        if not arrays:
            raise ValueError("FlatParameters needs at least one array")
        dtypes = {a.dtype for a in arrays}
        if len(dtypes) != 1:
            raise ValueError(f"FlatParameters needs arrays of one dtype, got {sorted(map(str, dtypes))}")
        self.buffer = np.empty(sum(a.size for a in arrays), dtype=arrays[0].dtype)
        self.views, offset = {}, 0
        for (key, (owner, name)), array in zip(self.places.items(), arrays):
            view = self.views[key] = self.buffer[offset:offset + array.size].reshape(array.shape)
            offset += array.size
            view[...] = array
            owner[name] = view
        self.signature = tuple((key, view.shape) for key, view in self.views.items())  # keys and shapes, in order
        self._owners = tuple(owner for owner, _ in self.places.values())
        self.names = tuple(name for _, name in self.places.values())
        self.view_list = tuple(self.views.values())

    def is_intact(self):
        """True while every owner dict still holds its view (nobody swapped an array in by hand)."""
        return all(map(operator.is_, map(dict.get, self._owners, self.names), self.view_list))

    def __getstate__(self):
        return {"places": self.places}

    def __setstate__(self, state):
        self.__init__(state["places"])

    def __repr__(self):
        return f"FlatParameters({len(self.views)} arrays, {self.buffer.size:,} {self.buffer.dtype} numbers)"


def pack(arrays):
    """Move every array of a network's NamedArrays (`params` or `grads`) into one buffer; each layer
    keeps a view of its part. Arrays of mixed dtypes, or held by custom mappings, are left as they are."""
    locations = arrays.locations()
    if not locations or len({owner[name].dtype for owner, name in locations.values()}) != 1 \
            or not all(type(owner) is dict for owner, _ in locations.values()):
        return
    layers = list(arrays.network.layers)
    owner_layer = {id(getattr(layer, arrays.attribute, None)): layer for layer in layers}
    holders = tuple(owner_layer[id(owner)] for owner, _ in locations.values())
    # What `packed` checks on every step: the same layers, and each layer's dict still holding its view.
    arrays.packing = (FlatParameters(locations), layers, holders, operator.attrgetter(arrays.attribute))


def packed(arrays):
    """The FlatParameters behind every array of `arrays`, or None: never packed, or a layer, a
    layer's dict or an array was replaced since (one comparison of the layer list, one pass in C)."""
    packing = getattr(arrays, "packing", None)
    if packing is None:
        return None
    flat, layers, holders, dict_of = packing
    if arrays.network.layers != layers:
        return None
    if not all(map(operator.is_, map(dict.get, map(dict_of, holders), flat.names), flat.view_list)):
        return None
    return flat


# -- what an optimizer step runs over ----------------------------------------------------------------
class Step(NamedTuple):
    """One call of an optimizer's rule: `param` updated in place from `grad`, with the optimizer's
    `state` arrays for it."""
    param: np.ndarray
    grad: np.ndarray
    state: tuple


class _PackedPlan(NamedTuple):
    """A packed network's one Step, kept between steps with what shows it is still valid."""
    steps: list
    param_buffer: np.ndarray
    grad_buffer: np.ndarray
    stores: tuple  # the optimizer's state dicts the step's state arrays are views into
    state_flat: object  # their FlatParameters, or None for a rule without state


def step_groups(optimizer, params, grads):
    """The Steps one `optimizer.update(params, grads)` runs: one over whole buffers when params and
    grads are packed alike, else one per key (checked: float arrays, grads of the same shapes)."""
    steps = _packed_steps(optimizer, params, grads)
    if steps is not None:
        return steps
    return [Step(param, grad, state_for(optimizer, key, param)) for key, param, grad in parameter_groups(params, grads)]


def _packed_steps(optimizer, params, grads):
    flat_params = packed(params) if hasattr(params, "locations") else None
    flat_grads = packed(grads) if flat_params is not None and hasattr(grads, "locations") else None
    if flat_grads is None or flat_params.signature != flat_grads.signature:
        return None
    stores = tuple(getattr(optimizer, name) for name in optimizer.state_names)
    plan = getattr(optimizer, "_plan", None)
    if plan is None or plan.param_buffer is not flat_params.buffer or plan.grad_buffer is not flat_grads.buffer \
            or not all(map(operator.is_, plan.stores, stores)) or (stores and not plan.state_flat.is_intact()):
        plan = optimizer._plan = _plan(optimizer, flat_params, flat_grads, stores)
    return plan.steps


def _plan(optimizer, flat_params, flat_grads, stores):
    """The state laid out like the parameters' buffer, once per state name, as one more
    FlatParameters whose views are the entries of the optimizer's state dicts."""
    state_flat, parts = None, ()
    if stores:
        for key, view in flat_params.views.items():
            state_for(optimizer, key, view)  # made as zeros where missing
        state_flat = FlatParameters({(name, key): (store, key) for name, store in zip(optimizer.state_names, stores)
                                     for key in flat_params.views})
        size = flat_params.buffer.size
        parts = tuple(state_flat.buffer[i * size:(i + 1) * size] for i in range(len(stores)))
    step = Step(flat_params.buffer, flat_grads.buffer, parts)
    return _PackedPlan([step], flat_params.buffer, flat_grads.buffer, stores, state_flat)


def state_for(optimizer, key, param):
    """The optimizer's state arrays of `key`, one per state name, made as zeros like the parameter at first."""
    states = []
    for name in optimizer.state_names:
        store = getattr(optimizer, name)
        if key not in store:
            store[key] = np.zeros_like(param)
        states.append(store[key])
    return tuple(states)


def forget(optimizer):
    """Drop the optimizer's kept plan (it is remade on the next step): for pickling."""
    return {**optimizer.__dict__, "_plan": None}


def parameter_groups(params, grads):
    """[(key, param, grad)] for a per-key update, checked: float arrays, and grads of the same shapes."""
    if not hasattr(params, "items") or not hasattr(grads, "get"):
        raise TypeError(f"params and grads must be dicts of arrays with the same keys, got "
                        f"{type(params).__name__} and {type(grads).__name__}")
    groups = []
    for key, param in params.items():
        if not isinstance(param, np.ndarray) or param.dtype.kind != "f":
            what = f"dtype {param.dtype}" if isinstance(param, np.ndarray) else type(param).__name__
            raise TypeError(f"params[{key!r}] must be a float numpy array (updated in place), got {what}"
                            + ("; framework.book's optimizers also take the book's plain numbers"
                               if not isinstance(param, np.ndarray) else ""))
        grad = grads.get(key)
        if grad is None or np.shape(grad) != np.shape(param):
            raise ValueError(f"grads[{key!r}] must have shape {np.shape(param)}, "
                             f"got {'nothing' if grad is None else np.shape(grad)}")
        grad = np.asarray(grad)
        if grad.dtype.kind not in "biuf":
            raise TypeError(f"grads[{key!r}] must hold numbers, got dtype {grad.dtype}")
        groups.append((key, param, grad))
    return groups


# -- subnormal optimizer state -----------------------------------------------------------------------
#: Every this many steps (optimizer.t a multiple of it), optimizer state that has decayed below the
#: smallest normal number of its dtype (1.2e-38 in float32, 2.2e-308 in float64) is set to 0. A
#: momentum or Adam's m of a weight whose gradient has gone to 0 shrinks by beta each step and passes
#: through the subnormal numbers on its way to 0, on which x86 processors compute far more slowly
#: (benchmarks/README.md has the measurements). Such an entry would move its weight by less than
#: lr * 1e-29. Every 16 steps, an entry spends at most 15 steps subnormal instead of about 150.
FLUSH_EVERY = 16


def flush_due(optimizer):
    """Whether this step of `optimizer` (its count t) flushes subnormal state."""
    return optimizer.t % FLUSH_EVERY == 0


def flush_subnormals(optimizer, steps):
    """After a step of `optimizer` that flushes (flush_due), every entry of the steps' state arrays
    below its dtype's smallest normal number in magnitude set to +0.0, in place."""
    if flush_due(optimizer):
        for step in steps:
            for state in step.state:
                np.copyto(state, 0, where=np.abs(state) < np.finfo(state.dtype).tiny)


# -- Adam as one compiled pass -----------------------------------------------------------------------
#: Parameter buffers with at least this many numbers take the compiled path (numba installed).
FUSED_MIN_SIZE = 2 ** 15
_KERNELS = []  # [adam kernel] once compiled, [None] when numba is missing or FRAMEWORK_NO_NUMBA is set


def _adam_kernel():
    if not _KERNELS:
        kernel = None
        if not os.environ.get("FRAMEWORK_NO_NUMBA"):
            try:
                import numba
            except ImportError:
                numba = None
            if numba is not None:
                kernel = _compile_adam(numba)
        _KERNELS.append(kernel)
    return _KERNELS[0]


def _compile_adam(numba):
    # The NumPy rule's operations (optimizers.Adam._step, AdamW's decay first) on the same dtype in
    # the same order, without fast-math: the same numbers bit for bit. error_model="numpy" drops
    # per-element zero-division checks.
    @numba.njit(cache=True, nogil=True, error_model="numpy", boundscheck=False)
    def adam(param, grad, m, v, beta1, one_minus_beta1, beta2, one_minus_beta2, lr_t, eps_t, decay):
        for i in range(param.size):
            m_i = m[i] * beta1 + one_minus_beta1 * grad[i]
            v_i = v[i] * beta2 + one_minus_beta2 * (grad[i] * grad[i])
            m[i] = m_i
            v[i] = v_i
            p = param[i] * decay
            param[i] = p - (lr_t * m_i) / (math.sqrt(v_i) + eps_t)
    return adam


def compiled_step(kernel, optimizer, param, grad, state):
    """Run `optimizer`'s rule on one Step through the compiled `kernel` ("adam": optimizers.COMPILED), or
    return False when the arrays are small or strided, or numba is not available."""
    if kernel != "adam" or param.size < FUSED_MIN_SIZE \
            or not all(a.flags.c_contiguous for a in (param, grad, *state)):
        return False
    kernel = _adam_kernel()
    if kernel is None:
        return False
    m, v = state
    lr_t, eps_t = optimizer.corrections()
    scalar = param.dtype.type  # float32 arrays get float32 scalars, as NumPy treats Python floats
    kernel(param.reshape(-1), grad.reshape(-1), m.reshape(-1), v.reshape(-1), scalar(optimizer.beta1),
           scalar(1 - optimizer.beta1), scalar(optimizer.beta2), scalar(1 - optimizer.beta2), scalar(lr_t),
           scalar(eps_t), scalar(optimizer.decay_factor()))
    return True


# -- BLAS threads chosen for the problem -------------------------------------------------------------
#: A product smaller than this many multiply-adds runs on one BLAS thread: OpenBLAS's worker
#: threads cost more to wake and wait for than they give, and on a machine doing other work they
#: fight it (benchmarks/threads.py). Larger products (MNIST-sized batches of wide layers) use the
#: threads the process has.
THREADS_MIN_WORK = 4_000_000
#: Set to a whole number to fix the BLAS threads of every training and prediction call.
THREADS_VARIABLE = "FRAMEWORK_THREADS"
#: The count a caller gave explicitly (fit(threads=...), --threads) while its call runs: every pass inside
#: it (the validation pass, an evaluation a callback makes) keeps it, ahead of FRAMEWORK_THREADS.
_EXPLICIT = contextvars.ContextVar("framework_explicit_threads", default=None)


def largest_product(model, batch_size):
    """The multiply-adds of the largest single matrix product (one BLAS call) a forward pass of
    `batch_size` samples makes: an Affine's N*D*M, a Convolution's FN*(C*FH*FW)*(OH*OW) per image.
    0 when the model's layers or input shape do not say."""
    shape = getattr(model, "input_shape", None) or (getattr(model, "input_size", None),)
    if None in shape:
        return 0
    largest = 0
    for layer in getattr(model, "layers", ()):
        W = getattr(layer, "params", {}).get("W")
        kind = type(layer).__name__
        if kind == "Affine" and W is not None:
            largest, shape = max(largest, batch_size * W.shape[0] * W.shape[1]), (W.shape[1],)
        elif kind == "Convolution" and len(shape) == 3:
            filters, channels, filter_h, filter_w = W.shape
            out = [conv_output_size(size, f, layer.stride, layer.pad) for size, f in zip(shape[1:], W.shape[2:])]
            largest, shape = max(largest, filters * channels * filter_h * filter_w * out[0] * out[1]), (filters, *out)
        elif kind == "Pooling" and len(shape) == 3:
            shape = (shape[0], *[conv_output_size(size, p, layer.stride, layer.pad)
                                 for size, p in zip(shape[1:], (layer.pool_h, layer.pool_w))])
        elif kind == "Flatten":
            shape = (int(np.prod(shape)),)
    return largest


def choose_threads(model, batch_size, threads=None):
    """The BLAS threads for a run: `threads` if given (a whole number >= 1), else the FRAMEWORK_THREADS
    environment variable, else 1 when the largest product is under THREADS_MIN_WORK and None (the
    process's own setting) when it is larger."""
    if threads is None:
        threads = _EXPLICIT.get()
    if threads is None:
        threads = os.environ.get(THREADS_VARIABLE) or None
        if threads is not None:
            threads = check_threads(threads, THREADS_VARIABLE)
    if threads is not None:
        return check_threads(threads)
    return 1 if largest_product(model, batch_size) < THREADS_MIN_WORK else None


def blas_threads(model, batch_size, threads=None):
    """A context manager that runs its block on `choose_threads(...)` BLAS threads and gives the
    process its own setting back when the block ends, however it ends (threadpoolctl)."""
    count = choose_threads(model, batch_size, threads)
    limit = _limit(count)
    if threads is None:
        return limit
    return _explicitly(threads, limit)


@contextlib.contextmanager
def _explicitly(threads, limit):
    token = _EXPLICIT.set(threads)
    try:
        with limit:
            yield
    finally:
        _EXPLICIT.reset(token)


def _limit(count):
    # A new limiter each time (threadpoolctl looks at the BLAS libraries loaded now): a controller made
    # once would miss a BLAS loaded later, such as scipy's own OpenBLAS when scikit-learn is imported.
    if count is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # scikit-learn brings it; without it the process's setting stays
        return contextlib.nullcontext()
    return threadpool_limits(limits=count, user_api="blas")


# -- evaluation batches from a memory budget --------------------------------------------------------
#: What predict, accuracy and evaluate may hold at once for one batch's activations (bytes).
EVALUATION_MEMORY = 128 * 2 ** 20
_SAMPLE_BYTES = weakref.WeakKeyDictionary()  # model -> {(sample shape, dtype): bytes one sample takes}


def evaluation_batch(model, x, batch_size=None):
    """How many samples of x to push through `model` at once in inference: batch_size when given,
    else as many as fit in EVALUATION_MEMORY, counting what one sample's forward pass allocates (each
    layer's output and a convolution's columns), twice for the temporaries (at least 1, at most len(x))."""
    if batch_size is not None:
        return batch_size
    key = (x.shape[1:], x.dtype.str)
    known = _SAMPLE_BYTES.setdefault(model, {})
    if key not in known:
        total, out = 0, x[:1]
        with np.errstate(all="ignore"):  # only the sizes count: an overflow is the caller's to report
            for layer in model.layers:
                out = layer.forward(out, train=False)
                total += out.nbytes + getattr(getattr(layer, "columns", None), "nbytes", 0)
        known[key] = 2 * max(total, 1)
    return int(min(max(1, EVALUATION_MEMORY // known[key]), max(1, x.shape[0])))
