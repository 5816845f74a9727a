"""What every layer is: `forward(x, train=True)` and `backward(dout) -> dx`, with `params` and `grads`.

`params` and `grads` are two dicts with the same keys (empty for layers without parameters);
`backward` fills `grads` and never writes into `dout`. Each layer also describes itself: `formula`
(what `framework.trace` prints) and `config()` / `from_config()` (what a checkpoint saves).
The book's attribute names (`W`, `dW`, `running_mean`, ...) stand beside the dicts (`BookName`).
"""
import numpy as np


class BookName:
    """The book's name for a layer's self.<store>[key] (`W = BookName("params", "W")`), assignable as the
    book's load_params assigns it (`layer.W = params["W1"]`): the layer then computes with that very
    array (no copy), so an optimizer updating `params["W1"]` in place updates the layer too.
    What is assigned must be a numpy array of the same shape and dtype."""

    def __init__(self, store, key):
        self.store, self.key = store, key
        self.__doc__ = f"The book's name for {store}[{key!r}]; assigning makes the layer use that array."

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, layer, owner=None):
        return self if layer is None else getattr(layer, self.store)[self.key]

    def __set__(self, layer, value):
        old = getattr(layer, self.store)[self.key]
        where = f"{type(layer).__name__}.{self.name}"
        if not isinstance(value, np.ndarray) or value.dtype != old.dtype:
            got = f"dtype {value.dtype}" if isinstance(value, np.ndarray) else type(value).__name__
            raise TypeError(f"{where} must be a numpy array of dtype {old.dtype}, got {got}")
        if value.shape != old.shape:
            raise ValueError(f"{where} must have shape {old.shape}, got {value.shape}")
        getattr(layer, self.store)[self.key] = value


def check_backward(layer, kept, dout=None, shape=None):
    """A clear error for backward called before the forward pass that keeps `kept`, or with a dout that is
    not the shape of that forward's output."""
    if getattr(layer, kept, None) is None:
        raise RuntimeError(f"{type(layer).__name__}.backward needs a forward pass first (it reads what forward "
                           f"kept: {kept})")
    if shape is not None and np.shape(dout) != tuple(shape):
        raise ValueError(f"dout must have the shape of {type(layer).__name__}'s last output {tuple(shape)}, "
                         f"got {np.shape(dout)}")


def as_input(x):
    """x as an array when a user passes a list (scipy.sparse rows, which have a shape, stay as they are)."""
    return x if hasattr(x, "shape") else np.asarray(x)


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
