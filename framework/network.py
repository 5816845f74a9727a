"""The book's networks built on Sequential: `MLP` (its MultiLayerNet and MultiLayerNetExtend),
`SimpleConvNet` (ch. 7.5), `DeepConvNet` (ch. 8.1) and `conv_net` (a small conv stack). `Sequential` is importable from here too.
"""
import numpy as np

from . import engine
from .checks import check_allocation, check_bool, check_choice, check_dtype, check_number, check_seed
from .im2col import check_window
from .layers import (Affine, BatchNormalization, Convolution, Dropout, Flatten, Identity, MeanSquaredError,
                     PoissonDeviance, Pooling, ReLU, Sigmoid, SigmoidCrossEntropy, SoftmaxCrossEntropy, Tanh)
from .sequential import Sequential

ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "identity": Identity}


def initial_weights(rng, shape, fan_in, weight_init, dtype):
    """Weights ~ N(0, std^2) drawn by `rng`: std = sqrt(2 / fan_in) for "he" (ReLU), sqrt(1 / fan_in)
    for "xavier" (the book's, for sigmoid and tanh), or weight_init itself when it is a number.
    Drawn in float64 and then cast, so that one seed gives the same network in float32 and float64."""
    std = {"he": np.sqrt(2.0 / fan_in), "xavier": np.sqrt(1.0 / fan_in)}.get(weight_init, weight_init)
    return (rng.standard_normal(shape) * std).astype(dtype)


#: The losses MLP can end with: softmax cross-entropy for classes, squared error for real values.
LOSSES = {"cross_entropy": SoftmaxCrossEntropy, "squared_error": MeanSquaredError,
          "binary_cross_entropy": SigmoidCrossEntropy, "poisson": PoissonDeviance}


class MLP(Sequential):
    """The book's MultiLayerNet and MultiLayerNetExtend in one.

    For each hidden size: Affine -> [BatchNormalization] -> activation -> [Dropout]; then a last
    Affine to `output_size` scores and SoftmaxCrossEntropy (or, with loss="squared_error", real
    outputs and MeanSquaredError: a regression; with loss="binary_cross_entropy", a sigmoid yes/no
    per output and SigmoidCrossEntropy: multilabel, or two classes on one output; with loss="poisson",
    counts predicted as exp(scores) and PoissonDeviance). Weights ~ N(0, std^2) with
    std = sqrt(2 / fan_in) for "he", sqrt(1 / fan_in) for "xavier" (the book's), or a given float;
    biases start at 0. One Generator made from `seed` draws the weights and every dropout mask.
    batchnorm_eps is PyTorch's 1e-5; the book's code uses 1e-6 (with tiny initial weights that
    decides whether batch normalization can learn at all: see examples/batch_norm.py).
    `config` holds the arguments (with the current weight decay), enough to build the same network.
    """

    def __init__(self, input_size, hidden_sizes, output_size, activation="relu", weight_init="he",
                 weight_decay=0.0, dropout=0.0, batchnorm=False, seed=None, dtype=np.float64,
                 weight_decay_per_sample=False, batchnorm_eps=1e-5, loss="cross_entropy"):
        check_number(input_size, "input_size", low=1, integer=True)
        check_choice(loss, "loss", tuple(LOSSES))
        # softmax over one class learns nothing; one real output is a regression
        check_number(output_size, "output_size", low=2 if loss == "cross_entropy" else 1, integer=True)
        if isinstance(hidden_sizes, (int, np.integer)):
            hidden_sizes = [hidden_sizes]
        if not isinstance(hidden_sizes, (list, tuple, np.ndarray)):
            raise TypeError(f"hidden_sizes must be an integer or a list of integers such as [100], got {hidden_sizes!r}")
        hidden_sizes = list(hidden_sizes)
        for size in hidden_sizes:
            check_number(size, "hidden_sizes entries", low=1, integer=True)
        check_choice(activation, "activation", tuple(ACTIVATIONS))
        if isinstance(weight_init, str):
            check_choice(weight_init, "weight_init", ("he", "xavier"))
        else:
            check_number(weight_init, "weight_init", low=0, low_open=True)
        check_number(dropout, "dropout", low=0, high=1, high_open=True)
        check_bool(batchnorm, "batchnorm")
        check_number(batchnorm_eps, "batchnorm_eps", low=0, low_open=True)
        check_seed(seed)
        dtype = check_dtype(dtype)
        sizes = [input_size] + hidden_sizes + [output_size]
        weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        network = "-".join(map(str, sizes))
        # The weights, their initial draws and their gradients live at once while the MLP is built.
        check_allocation(3 * weights, dtype, f"MLP {network} ({weights:,} weights, three copies while it is built)")
        self._arguments = dict(input_size=int(input_size), hidden_sizes=[int(s) for s in hidden_sizes],
                               output_size=int(output_size), activation=activation,
                               weight_init=weight_init if isinstance(weight_init, str) else float(weight_init),
                               dropout=float(dropout), batchnorm=bool(batchnorm), batchnorm_eps=float(batchnorm_eps),
                               loss=loss,
                               # A Generator passed as seed cannot be written down; the weights are saved anyway.
                               seed=int(seed) if isinstance(seed, (int, np.integer)) else None,
                               dtype=np.dtype(dtype).name)
        self.rng = np.random.default_rng(seed)
        layers = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Affine(initial_weights(self.rng, (fan_in, fan_out), fan_in, weight_init, dtype),
                                 np.zeros(fan_out, dtype)))
            if i == len(sizes) - 2:
                break
            if batchnorm:
                layers.append(BatchNormalization(np.ones(fan_out, dtype), np.zeros(fan_out, dtype), eps=batchnorm_eps))
            layers.append(ACTIVATIONS[activation]())
            if dropout:
                layers.append(Dropout(dropout, seed=self.rng))
        super().__init__(layers, loss=LOSSES[loss](), weight_decay=weight_decay,
                         weight_decay_per_sample=weight_decay_per_sample)
        # The MLP made these arrays itself, so nobody holds them: one buffer for all parameters.
        engine.pack(self.params)

    @property
    def config(self):
        """The constructor's arguments as JSON-ready values; the weight decay as it is now."""
        return {**self._arguments, "weight_decay": self.weight_decay,
                "weight_decay_per_sample": self.weight_decay_per_sample}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.config.items())
        return f"MLP({args})  # {self.parameter_count:,} parameters"


class SimpleConvNet(Sequential):
    """The book's SimpleConvNet (ch. 7.5): Convolution - ReLU - Pooling 2x2 - Affine - ReLU - Affine - softmax.

    input_dim: (C, H, W) of one image; conv_param: {'filter_num': 30, 'filter_size': 5, 'pad': 0,
    'stride': 1} (the book's); hidden_size 100; output_size 10; weight_init_std: the weights' std
    (the book's 0.01), or "he". Parameters are the book's W1, b1 (the filters, (FN, C, FH, FW)),
    W2, b2, W3, b3. One Generator made from `seed` draws every weight.
    """

    def __init__(self, input_dim=(1, 28, 28), conv_param=None, hidden_size=100, output_size=10,
                 weight_init_std=0.01, seed=None, dtype=np.float64):
        conv = {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1}
        unknown = sorted(set(conv_param or {}) - set(conv))
        if unknown:
            raise ValueError(f"conv_param has unknown key(s) {unknown}; it takes {sorted(conv)}")
        conv.update(conv_param or {})
        if not isinstance(input_dim, (list, tuple)) or len(input_dim) != 3:
            raise ValueError(f"input_dim must be (C, H, W) of one image, got {input_dim!r}")
        channels, height, width = (check_number(n, "input_dim entries", low=1, integer=True) for n in input_dim)
        filters = check_number(conv["filter_num"], "filter_num", low=1, integer=True)
        size = check_number(conv["filter_size"], "filter_size", low=1, integer=True)
        check_number(hidden_size, "hidden_size", low=1, integer=True)
        check_number(output_size, "output_size", low=2, integer=True)
        if weight_init_std != "he":
            check_number(weight_init_std, "weight_init_std", low=0, low_open=True)
        check_seed(seed)
        dtype = check_dtype(dtype)
        out_h, out_w = check_window((1, channels, height, width), size, size, conv["stride"], conv["pad"])
        if out_h < 2 or out_w < 2:
            raise ValueError(f"the convolution leaves {out_h}x{out_w} pixels, too few for the 2x2 pooling; "
                             "use a smaller filter_size or more pad")
        pooled = filters * (out_h // 2) * (out_w // 2)
        self._arguments = dict(input_dim=[channels, height, width], conv_param=conv, hidden_size=int(hidden_size),
                               output_size=int(output_size), weight_init_std=weight_init_std,
                               seed=int(seed) if isinstance(seed, (int, np.integer)) else None,
                               dtype=np.dtype(dtype).name)
        self.rng = np.random.default_rng(seed)

        def weights(shape, fan_in):
            return initial_weights(self.rng, shape, fan_in, weight_init_std, dtype)

        layers = [Convolution(weights((filters, channels, size, size), channels * size * size), np.zeros(filters, dtype),
                              conv["stride"], conv["pad"]),
                  ReLU(), Pooling(2, 2, stride=2), Flatten(),
                  Affine(weights((pooled, hidden_size), pooled), np.zeros(hidden_size, dtype)), ReLU(),
                  Affine(weights((hidden_size, output_size), hidden_size), np.zeros(output_size, dtype))]
        super().__init__(layers)
        self.input_shape = (channels, height, width)
        engine.pack(self.params)

    @property
    def config(self):
        return dict(self._arguments)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.config.items())
        return f"SimpleConvNet({args})  # {self.parameter_count:,} parameters"


#: The book's DeepConvNet convolutions (ch. 8.1): 3x3 filters, stride 1, pad 1 except the fourth (pad 2).
DEEP_CONV_PARAMS = tuple({"filter_num": n, "filter_size": 3, "pad": pad, "stride": 1}
                         for n, pad in ((16, 1), (16, 1), (32, 1), (32, 2), (64, 1), (64, 1)))


class DeepConvNet(Sequential):
    """The book's DeepConvNet (ch. 8.1), over 99% on MNIST:

        (Convolution - ReLU - Convolution - ReLU - Pooling 2x2) x 3 - Affine(hidden_size) - ReLU - Dropout
        - Affine(output_size) - Dropout - softmax

    input_dim: (C, H, W) of one image; conv_params: six dicts of 'filter_num', 'filter_size', 'pad',
    'stride' (the book's: DEEP_CONV_PARAMS); He initialisation, std = sqrt(2 / fan_in), biases 0.
    dropout: the ratio of both Dropout layers; inverted_dropout=False gives the book's dropout (scaled
    at inference). Parameters W1..W6 are the filters, W7 and W8 the Affine weights, as in the book.
    """

    def __init__(self, input_dim=(1, 28, 28), conv_params=DEEP_CONV_PARAMS, hidden_size=50, output_size=10,
                 dropout=0.5, inverted_dropout=True, seed=None, dtype=np.float64):
        if not isinstance(input_dim, (list, tuple)) or len(input_dim) != 3:
            raise ValueError(f"input_dim must be (C, H, W) of one image, got {input_dim!r}")
        if not isinstance(conv_params, (list, tuple)) or len(conv_params) != 6:
            raise ValueError(f"conv_params must be six dicts, one per convolution, got {conv_params!r}")
        shape = [check_number(n, "input_dim entries", low=1, integer=True) for n in input_dim]
        check_number(hidden_size, "hidden_size", low=1, integer=True)
        check_number(output_size, "output_size", low=2, integer=True)
        check_number(dropout, "dropout", low=0, high=1, high_open=True)
        check_bool(inverted_dropout, "inverted_dropout")
        check_seed(seed)
        dtype = check_dtype(dtype)
        self.rng = np.random.default_rng(seed)
        layers, keys = [], {"filter_num", "filter_size", "pad", "stride"}
        for i, conv in enumerate(conv_params, 1):
            if not isinstance(conv, dict) or set(conv) != keys:
                raise ValueError(f"conv_params[{i - 1}] must be a dict with keys {sorted(keys)}, got {conv!r}")
            filters = check_number(conv["filter_num"], "filter_num", low=1, integer=True)
            size = check_number(conv["filter_size"], "filter_size", low=1, integer=True)
            channels = shape[0]
            shape[1:] = check_window((1, *shape), size, size, conv["stride"], conv["pad"])
            shape[0] = filters
            W = initial_weights(self.rng, (filters, channels, size, size), channels * size * size, "he", dtype)
            layers += [Convolution(W, np.zeros(filters, dtype), conv["stride"], conv["pad"]), ReLU()]
            if i % 2 == 0:
                shape[1:] = check_window((1, *shape), 2, 2, 2, 0, what="the 2x2 pooling")
                layers.append(Pooling(2, 2, stride=2))
        features = int(np.prod(shape))
        layers += [Flatten(),
                   Affine(initial_weights(self.rng, (features, hidden_size), features, "he", dtype),
                          np.zeros(hidden_size, dtype)), ReLU(), Dropout(dropout, self.rng, inverted_dropout),
                   Affine(initial_weights(self.rng, (hidden_size, output_size), hidden_size, "he", dtype),
                          np.zeros(output_size, dtype)), Dropout(dropout, self.rng, inverted_dropout)]
        self._arguments = dict(input_dim=[int(n) for n in input_dim], conv_params=[dict(c) for c in conv_params],
                               hidden_size=int(hidden_size), output_size=int(output_size), dropout=float(dropout),
                               inverted_dropout=bool(inverted_dropout),
                               seed=int(seed) if isinstance(seed, (int, np.integer)) else None,
                               dtype=np.dtype(dtype).name)
        super().__init__(layers)
        self.input_shape = tuple(int(n) for n in input_dim)
        engine.pack(self.params)

    @property
    def config(self):
        return {key: [dict(c) for c in value] if key == "conv_params" else value
                for key, value in self._arguments.items()}

    def __repr__(self):
        return f"DeepConvNet(input_dim={tuple(self.input_shape)})  # {self.parameter_count:,} parameters"


def conv_net(input_shape, filters=(32, 32), kernel_size=3, hidden_size=100, output_size=10, pool_every=2,
             seed=None, dtype=np.float64, loss="cross_entropy"):
    """A small conv stack as a Sequential: for each entry of `filters`, Convolution (kernel_size, same
    padding) - ReLU, with a 2x2 Pooling after every `pool_every` of them; then Flatten - Affine(hidden_size)
    - ReLU - Affine(output_size) and the loss (MLP's names: "cross_entropy", "binary_cross_entropy" for
    one logistic unit or multilabel, ...). He-initialised; `input_shape` is (C, H, W). Saved and loaded by io."""
    if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 3:
        raise ValueError(f"input_shape must be (C, H, W) of one image, got {input_shape!r}")
    if not isinstance(filters, (list, tuple)) or not filters:
        raise TypeError(f"filters must be a list of filter counts, one per convolution, such as (32, 32), got {filters!r}")
    channels, height, width = (check_number(n, "input_shape entries", low=1, integer=True) for n in input_shape)
    check_number(kernel_size, "kernel_size", low=1, integer=True)
    check_number(pool_every, "pool_every", low=1, integer=True)
    check_number(hidden_size, "hidden_size", low=1, integer=True)
    check_choice(loss, "loss", tuple(LOSSES))
    check_number(output_size, "output_size", low=2 if loss == "cross_entropy" else 1, integer=True)
    dtype = check_dtype(dtype)
    rng = np.random.default_rng(check_seed(seed))
    layers, pad = [], (kernel_size - 1) // 2
    for i, count in enumerate(filters, 1):
        count = check_number(count, "filters entries", low=1, integer=True)
        fan_in = channels * kernel_size * kernel_size
        W = initial_weights(rng, (count, channels, kernel_size, kernel_size), fan_in, "he", dtype)
        layers += [Convolution(W, np.zeros(count, dtype), 1, pad), ReLU()]
        height, width, channels = height + 2 * pad - kernel_size + 1, width + 2 * pad - kernel_size + 1, count
        if i % pool_every == 0 and height >= 2 and width >= 2:
            layers.append(Pooling(2, 2, stride=2))
            height, width = height // 2, width // 2
    features = channels * height * width
    W2 = initial_weights(rng, (features, hidden_size), features, "he", dtype)
    W3 = initial_weights(rng, (hidden_size, output_size), hidden_size, "he", dtype)
    layers += [Flatten(), Affine(W2, np.zeros(hidden_size, dtype)), ReLU(), Affine(W3, np.zeros(output_size, dtype))]
    model = Sequential(layers, loss=LOSSES[loss]())
    model.input_shape = tuple(int(n) for n in input_shape)
    engine.pack(model.params)
    return model
