"""The book's networks built on Sequential: `MLP` (its MultiLayerNet and MultiLayerNetExtend),
`SimpleConvNet` (ch. 7.5), `DeepConvNet` (ch. 8.1) and `conv_net` (a small conv stack). `Sequential` is importable from here too.

Each checks its arguments once (framework.checks), then builds its layers; the weights are drawn by
one Generator made from `seed`, in float64 and then cast, so one seed gives the same network in float32 and float64.
"""
import copy

import numpy as np

from .checks import conv_net_arguments, deep_convnet_arguments, mlp_arguments, simple_convnet_arguments
from .im2col import check_window, conv_output_size
from .layers import (Affine, BatchNormalization, Convolution, Dropout, Flatten, Identity, MeanSquaredError,
                     PoissonDeviance, Pooling, ReLU, Sigmoid, SigmoidCrossEntropy, SoftmaxCrossEntropy, Tanh)
from .sequential import Sequential

ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "identity": Identity}

#: The losses MLP can end with: softmax cross-entropy for classes, squared error for real values.
LOSSES = {"cross_entropy": SoftmaxCrossEntropy, "squared_error": MeanSquaredError,
          "binary_cross_entropy": SigmoidCrossEntropy, "poisson": PoissonDeviance}


def initial_weights(rng, shape, fan_in, weight_init, dtype):
    """Weights ~ N(0, std^2) drawn by `rng`: std = sqrt(2 / fan_in) for "he" (ReLU), sqrt(1 / fan_in)
    for "xavier" (the book's, for sigmoid and tanh), or weight_init itself when it is a number."""
    std = {"he": np.sqrt(2.0 / fan_in), "xavier": np.sqrt(1.0 / fan_in)}.get(weight_init, weight_init)
    return (rng.standard_normal(shape) * std).astype(dtype)


def _affine(rng, fan_in, fan_out, weight_init, dtype):
    return Affine(initial_weights(rng, (fan_in, fan_out), fan_in, weight_init, dtype), np.zeros(fan_out, dtype))


def _convolution(rng, channels, conv, weight_init, dtype):
    """A Convolution from the book's conv_param dict {'filter_num', 'filter_size', 'pad', 'stride'}."""
    filters, size = conv["filter_num"], conv["filter_size"]
    W = initial_weights(rng, (filters, channels, size, size), channels * size * size, weight_init, dtype)
    return Convolution(W, np.zeros(filters, dtype), conv["stride"], conv["pad"])


class _BuiltNetwork(Sequential):
    """A network built from its constructor's arguments, which `config` gives back (JSON-ready)."""

    def __init__(self, layers, arguments, input_shape=None, **kwargs):
        super().__init__(layers, own_arrays=True, **kwargs)
        self._arguments, self.input_shape = arguments, input_shape

    @property
    def config(self):
        return copy.deepcopy(self._arguments)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.config.items())
        return f"{type(self).__name__}({args})  # {self.parameter_count:,} parameters"


class MLP(_BuiltNetwork):
    """The book's MultiLayerNet and MultiLayerNetExtend in one.

    For each hidden size: Affine -> [BatchNormalization] -> activation -> [Dropout]; then Affine to
    `output_size` scores and a loss (LOSSES: softmax cross-entropy for classes, squared error, sigmoid
    cross-entropy per output, Poisson deviance). Weights by `initial_weights`, biases 0; the Generator
    also draws every dropout mask (inverted_dropout=False: the book's dropout). batchnorm_eps is
    PyTorch's 1e-5; the book's code uses 1e-6 (with tiny initial weights that decides whether batch
    normalization learns at all: examples/batch_norm.py).
    """

    def __init__(self, input_size, hidden_sizes, output_size, activation="relu", weight_init="he",
                 weight_decay=0.0, dropout=0.0, batchnorm=False, seed=None, dtype=np.float64,
                 weight_decay_per_sample=False, batchnorm_eps=1e-5, loss="cross_entropy", inverted_dropout=True):
        arguments = mlp_arguments(input_size, hidden_sizes, output_size, activation, weight_init, dropout, batchnorm,
                                  batchnorm_eps, loss, seed, dtype, inverted_dropout, tuple(ACTIVATIONS), tuple(LOSSES))
        sizes = [arguments["input_size"], *arguments["hidden_sizes"], arguments["output_size"]]
        dtype, self.rng = np.dtype(dtype).type, np.random.default_rng(seed)
        layers = []
        for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1]):
            layers.append(_affine(self.rng, fan_in, fan_out, weight_init, dtype))
            if batchnorm:
                layers.append(BatchNormalization(np.ones(fan_out, dtype), np.zeros(fan_out, dtype), eps=batchnorm_eps))
            layers.append(ACTIVATIONS[activation]())
            if dropout:
                layers.append(Dropout(dropout, self.rng, inverted_dropout))
        layers.append(_affine(self.rng, sizes[-2], sizes[-1], weight_init, dtype))
        super().__init__(layers, arguments, loss=LOSSES[loss](), weight_decay=weight_decay,
                         weight_decay_per_sample=weight_decay_per_sample)

    @property
    def config(self):
        """The constructor's arguments; the weight decay as it is now."""
        return {**super().config, "weight_decay": self.weight_decay,
                "weight_decay_per_sample": self.weight_decay_per_sample}


class SimpleConvNet(_BuiltNetwork):
    """The book's SimpleConvNet (ch. 7.5): Convolution - ReLU - Pooling 2x2 - Affine - ReLU - Affine - softmax.

    input_dim: (C, H, W) of one image; conv_param: {'filter_num': 30, 'filter_size': 5, 'pad': 0,
    'stride': 1} (the book's); weight_init_std: the weights' std (the book's 0.01), or "he".
    Parameters are the book's W1, b1 (the filters, (FN, C, FH, FW)), W2, b2, W3, b3.
    """

    def __init__(self, input_dim=(1, 28, 28), conv_param=None, hidden_size=100, output_size=10,
                 weight_init_std=0.01, seed=None, dtype=np.float64):
        arguments = simple_convnet_arguments(input_dim, conv_param, hidden_size, output_size, weight_init_std, seed,
                                             dtype)
        (channels, height, width), conv = arguments["input_dim"], arguments["conv_param"]
        out_h, out_w = (conv_output_size(n, conv["filter_size"], conv["stride"], conv["pad"]) for n in (height, width))
        pooled = conv["filter_num"] * (out_h // 2) * (out_w // 2)
        dtype, self.rng = np.dtype(dtype).type, np.random.default_rng(seed)
        layers = [_convolution(self.rng, channels, conv, weight_init_std, dtype), ReLU(), Pooling(2, 2, stride=2),
                  Flatten(), _affine(self.rng, pooled, hidden_size, weight_init_std, dtype), ReLU(),
                  _affine(self.rng, hidden_size, output_size, weight_init_std, dtype)]
        super().__init__(layers, arguments, input_shape=(channels, height, width))


#: The book's DeepConvNet convolutions (ch. 8.1): 3x3 filters, stride 1, pad 1 except the fourth (pad 2).
DEEP_CONV_PARAMS = tuple({"filter_num": n, "filter_size": 3, "pad": pad, "stride": 1}
                         for n, pad in ((16, 1), (16, 1), (32, 1), (32, 2), (64, 1), (64, 1)))


class DeepConvNet(_BuiltNetwork):
    """The book's DeepConvNet (ch. 8.1), over 99% on MNIST:

        (Convolution - ReLU - Convolution - ReLU - Pooling 2x2) x 3 - Affine(hidden_size) - ReLU - Dropout
        - Affine(output_size) - Dropout - softmax

    conv_params: six of SimpleConvNet's conv_param dicts (the book's: DEEP_CONV_PARAMS); He
    initialisation. dropout: the ratio of both Dropout layers; inverted_dropout=False gives the book's
    dropout (scaled at inference). W1..W6 are the filters, W7 and W8 the Affine weights, as in the book.
    """

    def __init__(self, input_dim=(1, 28, 28), conv_params=DEEP_CONV_PARAMS, hidden_size=50, output_size=10,
                 dropout=0.5, inverted_dropout=True, seed=None, dtype=np.float64):
        arguments = deep_convnet_arguments(input_dim, conv_params, hidden_size, output_size, dropout,
                                           inverted_dropout, seed, dtype)
        shape = list(arguments["input_dim"])
        dtype, self.rng = np.dtype(dtype).type, np.random.default_rng(seed)
        layers = []
        for i, conv in enumerate(conv_params, 1):
            layers += [_convolution(self.rng, shape[0], conv, "he", dtype), ReLU()]
            size = conv["filter_size"]
            shape[:] = conv["filter_num"], *check_window((1, *shape), size, size, conv["stride"], conv["pad"])
            if i % 2 == 0:
                shape[1:] = check_window((1, *shape), 2, 2, 2, 0, what="the 2x2 pooling")
                layers.append(Pooling(2, 2, stride=2))
        features = int(np.prod(shape))
        layers += [Flatten(), _affine(self.rng, features, hidden_size, "he", dtype), ReLU(),
                   Dropout(dropout, self.rng, inverted_dropout),
                   _affine(self.rng, hidden_size, output_size, "he", dtype), Dropout(dropout, self.rng, inverted_dropout)]
        super().__init__(layers, arguments, input_shape=tuple(arguments["input_dim"]))


def conv_net(input_shape, filters=(32, 32), kernel_size=3, hidden_size=100, output_size=10, pool_every=2,
             seed=None, dtype=np.float64, loss="cross_entropy"):
    """A small conv stack as a Sequential: for each entry of `filters`, Convolution (kernel_size, same
    padding) - ReLU, with a 2x2 Pooling after every `pool_every` of them; then Flatten - Affine(hidden_size)
    - ReLU - Affine(output_size) and the loss (MLP's names). He-initialised; `input_shape` is (C, H, W)."""
    shape, filters = conv_net_arguments(input_shape, filters, kernel_size, hidden_size, output_size, pool_every, seed,
                                        dtype, loss, tuple(LOSSES))
    (channels, height, width), dtype, rng = shape, np.dtype(dtype).type, np.random.default_rng(seed)
    layers, pad = [], (kernel_size - 1) // 2
    for i, count in enumerate(filters, 1):
        conv = {"filter_num": count, "filter_size": kernel_size, "pad": pad, "stride": 1}
        layers += [_convolution(rng, channels, conv, "he", dtype), ReLU()]
        height, width, channels = (conv_output_size(height, kernel_size, 1, pad),
                                   conv_output_size(width, kernel_size, 1, pad), count)
        if i % pool_every == 0 and height >= 2 and width >= 2:
            layers.append(Pooling(2, 2, stride=2))
            height, width = height // 2, width // 2
    features = channels * height * width
    layers += [Flatten(), _affine(rng, features, hidden_size, "he", dtype), ReLU(),
               _affine(rng, hidden_size, output_size, "he", dtype)]
    model = Sequential(layers, loss=LOSSES[loss](), own_arrays=True)
    model.input_shape = tuple(shape)
    return model
