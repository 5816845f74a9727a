"""What every layer is: `forward(x, train=True)` and `backward(dout) -> dx`, with `params` and `grads`.

`params` and `grads` are two dicts with the same keys (empty for layers without parameters);
`backward` fills `grads` and never writes into `dout`. Each layer also describes itself: `formula`
(what `framework.trace` prints) and `config()` / `from_config()` (what a checkpoint saves).
"""


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
