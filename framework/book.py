"""The book's names for our pieces, so a script of "Deep Learning from Scratch" (ch. 3-8) runs with only its imports changed.

    from framework.book import MultiLayerNetExtend, Trainer, SGD, load_mnist   # was: from common... import ...

| the book (common/..., dataset/...)              | here                          | ours                                  |
|-------------------------------------------------|-------------------------------|---------------------------------------|
| functions.identity_function, step_function      | identity_function, step_function | (the book's, as they are)          |
| functions.sigmoid, relu, softmax                | sigmoid, relu, softmax        | functions.sigmoid, relu, softmax      |
| functions.sigmoid_grad, relu_grad               | sigmoid_grad, relu_grad       | (the book's, as they are)             |
| functions.sum_squared_error                     | sum_squared_error             | functions.sum_squared_error           |
| functions.cross_entropy_error (1e-7)            | cross_entropy_error           | functions.cross_entropy(delta=1e-7)   |
| functions.softmax_loss                          | softmax_loss                  | softmax then cross_entropy(delta=1e-7)|
| gradient.numerical_gradient, ch04 numerical_diff| numerical_gradient, numerical_diff | functions.numerical_gradient     |
| layers.Relu, Sigmoid, Affine                    | Relu, Sigmoid, Affine         | layers.ReLU, Sigmoid, Affine          |
| layers.SoftmaxWithLoss (1e-7 inside the log)    | SoftmaxWithLoss               | losses.SoftmaxCrossEntropy (log-softmax) |
| layers.Dropout (scaled at inference)            | Dropout                       | layers.Dropout(inverted=False)        |
| layers.BatchNormalization (eps 1e-6, var from 0)| BatchNormalization            | layers.BatchNormalization(eps=1e-6, running_var=0) |
| ch05 layer_naive.MulLayer, AddLayer             | MulLayer, AddLayer            | naive_layers                          |
| ch04/ch05 two_layer_net.TwoLayerNet             | TwoLayerNet                   | network.MLP                           |
| multi_layer_net.MultiLayerNet(_Extend)          | MultiLayerNet, MultiLayerNetExtend | network.MLP                      |
| optimizer.SGD ... Adam (the book's defaults)    | SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam | optimizers (PyTorch's defaults) |
| trainer.Trainer                                 | Trainer                       | training.Trainer / fit                |
| util.smooth_curve, shuffle_dataset              | smooth_curve, shuffle_dataset | (the book's, seedable)                |
| dataset.mnist.load_mnist                        | load_mnist                    | datasets.load_mnist (kind="digits28" offline) |
| ch. 7-8: im2col, Convolution, Pooling, SimpleConvNet, DeepConvNet, load_params | (framework.book_convnets) | conv, network |

The networks here behave as the book's: `predict(x, train_flg=False)`, `loss(x, t, train_flg=False)`
(inference mode by default, where our `loss` trains), `gradient(x, t)` in training mode, book
names for every argument, and the book's batch normalization and dropout. Where this module is
better than the book it says so in one line. Our own names stay primary; use them in new code.
"""
import math
import numbers

import numpy as np

from . import functions, layers, network, optimizers, training
from .book_convnets import (Convolution, DeepConvNet, Pooling, SimpleConvNet, _BookMethods, col2im,  # noqa: F401
                             im2col, read_params)
from .callbacks import Callback
from .datasets import load_mnist  # noqa: F401  (the book's dataset.mnist.load_mnist, same arguments)
from .functions import numerical_gradient, relu, sigmoid, softmax, sum_squared_error  # noqa: F401
from .losses import SoftmaxWithLoss
from .naive_layers import AddLayer, MulLayer  # noqa: F401
from .checks import as_array, check_number, check_seed

#: What `from framework.book import *` gives: every name of the table above (the book's
#: `from common.layers import *` also brings in its functions and im2col), and numpy as np, which the
#: book's common modules bring along and its scripts use (ch06/optimizer_compare_mnist.py).
__all__ = ["np", "identity_function", "step_function", "sigmoid", "sigmoid_grad", "relu", "relu_grad", "softmax",
           "sum_squared_error", "cross_entropy_error", "softmax_loss", "numerical_gradient", "numerical_diff",
           "Relu", "Sigmoid", "Affine", "SoftmaxWithLoss", "Dropout", "BatchNormalization", "Convolution", "Pooling",
           "MulLayer", "AddLayer", "TwoLayerNet", "MultiLayerNet", "MultiLayerNetExtend", "SimpleConvNet",
           "DeepConvNet", "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam", "Trainer", "smooth_curve",
           "shuffle_dataset", "im2col", "col2im", "load_mnist", "read_params"]

# -- functions (common/functions.py) ----------------------------------------------------------


def identity_function(x):
    """The output layer's identity for regression: returns x."""
    return x


def step_function(x):
    """1 where x > 0, else 0, as integers (ch. 3's first activation)."""
    return np.array(as_array(x, "x", finite=False) > 0, dtype=int)


def sigmoid_grad(x):
    """d sigmoid / dx = (1 - sigmoid(x)) * sigmoid(x)."""
    y = sigmoid(x)
    return (1.0 - y) * y


def relu_grad(x):
    """d relu / dx: 1 where x >= 0 (the book counts 0 in), else 0."""
    x = as_array(x, "x", finite=False)
    return (x >= 0).astype(x.dtype)


def cross_entropy_error(y, t):
    """The book's cross-entropy with its constant 1e-7: cross_entropy(y, t, delta=1e-7)."""
    return functions.cross_entropy(y, t, delta=1e-7)


def softmax_loss(x, t):
    """The book's softmax followed by its cross-entropy (1e-7); functions.softmax_cross_entropy is the stable one."""
    return cross_entropy_error(softmax(x), t)


def numerical_diff(f, x, h=1e-4):
    """The central difference of ch. 4: (f(x + h) - f(x - h)) / (2h) for a function of one number."""
    if not callable(f):
        raise TypeError(f"f must be a function of one number, got {f!r}")
    check_number(h, "h", low=0, low_open=True)
    return (f(x + h) - f(x - h)) / (2 * h)


# -- layers (common/layers.py) -------------------------------------------------------------------
Relu = layers.ReLU
Sigmoid = layers.Sigmoid
Affine = layers.Affine


class Dropout(layers.Dropout):
    """The book's dropout: out = x * mask in training, x * (1 - dropout_ratio) at inference; forward(x, train_flg)."""

    def __init__(self, dropout_ratio=0.5, seed=None):
        super().__init__(dropout_ratio, seed=seed, inverted=False)

    def forward(self, x, train_flg=True):
        return super().forward(x, train=train_flg)


class BatchNormalization(layers.BatchNormalization):
    """The book's batch normalization: eps 1e-6, running statistics from 0; forward(x, train_flg)."""

    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        gamma = np.asarray(gamma)
        super().__init__(gamma, beta, momentum, running_mean,
                         np.zeros_like(gamma) if running_var is None else running_var, eps=1e-6)

    def forward(self, x, train_flg=True):
        return super().forward(x, train=train_flg)


# -- networks (ch04/ch05 two_layer_net.py, common/multi_layer_net*.py) -------------------------------
class _BookNetwork(_BookMethods, network.MLP):
    """The book's network methods on top of our MLP: inference mode unless train_flg says otherwise,
    the book's SoftmaxWithLoss, labels as (N,), the book's (N, 1) columns or one-hot rows."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_layer = SoftmaxWithLoss()

    def loss(self, x, t, train_flg=False):
        return network.Sequential.loss(self, x, self._labels(t), train=train_flg)


def _weight_init(weight_init_std):
    """The book's weight_init_std ('relu'/'he', 'sigmoid'/'xavier' or a float) as MLP's weight_init."""
    if isinstance(weight_init_std, str):
        name = weight_init_std.lower()
        if name in ("relu", "he"):
            return "he"
        if name in ("sigmoid", "xavier"):
            return "xavier"
        raise ValueError(f"weight_init_std must be 'relu', 'he', 'sigmoid', 'xavier' or a number, "
                         f"got {weight_init_std!r}")
    return float(check_number(weight_init_std, "weight_init_std", low=0, low_open=True))


def _as_given(weight_init_std):
    """weight_init_std as a checkpoint writes it: the name, or the number as a float."""
    return weight_init_std if isinstance(weight_init_std, str) else float(weight_init_std)


class TwoLayerNet(_BookNetwork):
    """The book's TwoLayerNet (ch. 4-5): Affine - ReLU - Affine - SoftmaxWithLoss, weights ~ N(0, 0.01^2)."""

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01, seed=None):
        super().__init__(input_size, [hidden_size], output_size, weight_init=_weight_init(weight_init_std),
                         seed=check_seed(seed))
        self._book_arguments = dict(hidden_size=self._arguments["hidden_sizes"][0],
                                    weight_init_std=_as_given(weight_init_std))

    @property
    def config(self):
        """The constructor's arguments (what a checkpoint saves)."""
        a = self._arguments
        return dict(input_size=a["input_size"], output_size=a["output_size"], seed=a["seed"], **self._book_arguments)


class MultiLayerNetExtend(_BookNetwork):
    """The book's MultiLayerNetExtend: weight decay, the book's dropout and batch normalization.

    Differences, one line each: seeded (`seed`, the book uses np.random); float32 works too (`dtype`).
    """

    def __init__(self, input_size, hidden_size_list, output_size, activation="relu", weight_init_std="relu",
                 weight_decay_lambda=0, use_dropout=False, dropout_ration=0.5, use_batchnorm=False, seed=None,
                 dtype=np.float64):
        super().__init__(input_size, hidden_size_list, output_size, activation=activation,
                         weight_init=_weight_init(weight_init_std), weight_decay=weight_decay_lambda,
                         dropout=dropout_ration if use_dropout else 0.0, batchnorm=use_batchnorm,
                         batchnorm_eps=1e-6, seed=check_seed(seed), dtype=dtype, inverted_dropout=False)
        for layer in self.layers:  # the book's running variance, which starts at 0
            if isinstance(layer, layers.BatchNormalization):
                layer.buffers["running_var"][...] = 0
        self._book_arguments = dict(weight_init_std=_as_given(weight_init_std), use_dropout=bool(use_dropout),
                                    dropout_ration=float(dropout_ration), use_batchnorm=bool(use_batchnorm))

    @property
    def config(self):
        """The constructor's arguments (what a checkpoint saves); the weight decay as it is now."""
        a = self._arguments
        return dict(input_size=a["input_size"], hidden_size_list=list(a["hidden_sizes"]), output_size=a["output_size"],
                    activation=a["activation"], weight_decay_lambda=self.weight_decay, seed=a["seed"],
                    dtype=a["dtype"], **self._book_arguments)


class MultiLayerNet(MultiLayerNetExtend):
    """The book's MultiLayerNet: MultiLayerNetExtend without dropout and batch normalization."""

    def __init__(self, input_size, hidden_size_list, output_size, activation="relu", weight_init_std="relu",
                 weight_decay_lambda=0, seed=None, dtype=np.float64):
        super().__init__(input_size, hidden_size_list, output_size, activation, weight_init_std, weight_decay_lambda,
                         seed=seed, dtype=dtype)

    @property
    def config(self):
        config = super().config
        return {key: value for key, value in config.items()
                if key not in ("use_dropout", "dropout_ration", "use_batchnorm")}


#: The book's networks, which checkpoints save by their constructor's arguments ("book.TwoLayerNet", ...).
NETWORKS = (TwoLayerNet, MultiLayerNet, MultiLayerNetExtend, SimpleConvNet, DeepConvNet)


# -- optimizers (common/optimizer.py), with the book's defaults -------------------------------------
class _NumberParams:
    """The book's optimizer_compare_naive.py keeps x and y as Python floats in `params`: each is
    updated as a 0-d array (its state kept under its key) and written back as a float."""

    def update(self, params, grads):
        plain = [key for key, value in params.items() if isinstance(value, numbers.Real) and not isinstance(value, bool)]
        if not plain:
            return super().update(params, grads)
        arrays = {key: np.array(float(params[key])) for key in plain}
        super().update({**params, **arrays}, {**grads, **{key: np.float64(grads[key]) for key in plain if key in grads}})
        params.update({key: float(array) for key, array in arrays.items()})


class SGD(_NumberParams, optimizers.SGD):
    """The book's SGD (lr 0.01): W <- W - lr * dW."""

    def __init__(self, lr=0.01):
        super().__init__(lr)


class Momentum(_NumberParams, optimizers.Momentum):
    """The book's Momentum (lr 0.01, momentum 0.9); the same steps as its v <- m v - lr dW; W <- W + v."""

    def __init__(self, lr=0.01, momentum=0.9):
        super().__init__(lr, momentum)


class Nesterov(_NumberParams, optimizers.Nesterov):
    """The book's Nesterov (lr 0.01, momentum 0.9); the same steps in PyTorch's sign convention."""

    def __init__(self, lr=0.01, momentum=0.9):
        super().__init__(lr, momentum)


class AdaGrad(_NumberParams, optimizers.AdaGrad):
    """The book's AdaGrad (lr 0.01, 1e-7 added to sqrt(h))."""

    def __init__(self, lr=0.01):
        super().__init__(lr, eps=1e-7)


class RMSprop(_NumberParams, optimizers.RMSprop):
    """The book's RMSprop (lr 0.01, decay_rate 0.99, 1e-7 added to sqrt(h))."""

    def __init__(self, lr=0.01, decay_rate=0.99):
        super().__init__(lr, alpha=decay_rate, eps=1e-7)
        self.decay_rate = decay_rate


class Adam(_NumberParams, optimizers.Adam):
    """The book's Adam (lr 0.001): lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t), W <- W - lr_t * m / (sqrt(v) + 1e-7).

    Ours (optimizers.Adam, PyTorch's) adds eps = 1e-8 to the bias-corrected sqrt(v / (1 - beta2**t))
    instead; the two differ only while sqrt(v) is near eps.
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        super().__init__(lr, beta1, beta2, eps=1e-7)

    def _step(self, param, grad, m, v):
        lr_t = self.lr * np.sqrt(1.0 - self.beta2 ** self.t) / (1.0 - self.beta1 ** self.t)
        m += (1 - self.beta1) * (grad - m)
        v += (1 - self.beta2) * (grad ** 2 - v)
        param -= lr_t * m / (np.sqrt(v) + self.eps)


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "adagrad": AdaGrad, "rmsprop": RMSprop,
              "adam": Adam}


# -- the trainer (common/trainer.py) -------------------------------------------------------------------
#: What the book's Trainer uses of a network (common/trainer.py), beside its `params` dict.
BOOK_NETWORK_METHODS = ("gradient", "loss", "accuracy")


class Trainer:
    """The book's Trainer: the same arguments, attributes and printed lines, on our training.Trainer.

    It trains our networks (framework.book's MultiLayerNetExtend, SimpleConvNet, ...) and any object
    with the book's network methods, `gradient(x, t)`, `loss(x, t)`, `accuracy(x, t)` and a `params`
    dict (a chapter's own simple_convnet.py on framework.book's layers): each step is the book's,
    grads = gradient(x, t); optimizer.update(params, grads); loss(x, t).
    Differences, one line each: real epochs (every sample once per epoch; the book draws batches
    with replacement); train and test accuracy after every epoch (the book's only at iterations that
    are multiples of train_size / batch_size, so only at iteration 0 when they do not divide); for our
    networks, batch losses recorded in training mode before the update (the book's after it);
    seeded (`seed`); `callbacks` (framework.callbacks) run after the book's own bookkeeping.
    """

    def __init__(self, network, x_train, t_train, x_test, t_test, epochs=20, mini_batch_size=100,
                 optimizer="SGD", optimizer_param=None, evaluate_sample_num_per_epoch=None, verbose=True, seed=None,
                 callbacks=()):
        name = str(optimizer).lower()
        if name not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {optimizer!r}")
        if evaluate_sample_num_per_epoch is not None:
            check_number(evaluate_sample_num_per_epoch, "evaluate_sample_num_per_epoch", low=1, integer=True)
        self.network, self.verbose, self.epochs = network, verbose, check_number(epochs, "epochs", low=0, integer=True)
        self.batch_size = check_number(mini_batch_size, "mini_batch_size", low=1, integer=True)
        self.x_test, self.t_test = x_test, t_test
        self.x_train, self.t_train = x_train, t_train
        self.evaluate_sample_num_per_epoch = evaluate_sample_num_per_epoch
        self.optimizer = OPTIMIZERS[name](**(optimizer_param if optimizer_param is not None else {"lr": 0.01}))
        self.train_loss_list, self.train_acc_list, self.test_acc_list = [], [], []
        self.current_epoch = 0
        ours = all(hasattr(network, method) for method in training.MODEL_METHODS)
        model, run = (network, training.Trainer) if ours else (_BookModel(network), _BookRun)
        self._run = run(model, self.optimizer, x_train, t_train, batch_size=self.batch_size,
                        rng=seed, callbacks=[_BookLines(self)] + list(callbacks), progress=0)

    def train_step(self, x_batch, t_batch):
        """One update on a batch; returns its loss."""
        loss, _ = self._run.train_step(x_batch, t_batch)
        return loss

    def train(self):
        self._run.train(self.epochs)
        test_acc = self.network.accuracy(self.x_test, self.t_test)
        if self.verbose:
            print("=============== Final Test Accuracy ===============")
            print("test acc:" + str(test_acc))


class _BookModel:
    """A network with the book's methods (gradient, loss, accuracy, params) seen through what
    training.Trainer asks of a model (training.MODEL_METHODS): the bookkeeping around the book's step."""

    def __init__(self, network):
        missing = [name for name in BOOK_NETWORK_METHODS if not callable(getattr(network, name, None))]
        params = getattr(network, "params", None)
        if isinstance(network, type) or missing or not hasattr(params, "items"):
            lacks = missing + ([] if hasattr(params, "items") else ["a params dict"])
            raise TypeError(f"network must have the book's methods gradient(x, t), loss(x, t), accuracy(x, t) and a "
                            f"params dict, or be one of ours (MLP, SimpleConvNet, ...), got {network!r}"
                            + (f" (it lacks {', '.join(lacks)})" if lacks and not isinstance(network, type) else ""))
        self.network, self.params, self.grads = network, params, {}
        layers = getattr(network, "layers", ())
        self.layers = list(layers.values()) if hasattr(layers, "values") else list(layers)
        self.input_shape = None  # one sample's shape, for the BLAS thread choice (engine.largest_product)

    def check_input(self, x):
        x = as_array(x, "x_train", ndim=(2, 3, 4))
        self.input_shape = x.shape[1:] if x.ndim == 4 else None
        return x

    def check_targets(self, t, n_samples, name="t"):
        """The book's label forms as they are given (labels, (N, 1) columns or one-hot rows), checked for their rows."""
        t = as_array(t, "t_train", ndim=(1, 2))
        if len(t) != n_samples:
            raise ValueError(f"t_train must have one entry per sample: expected {n_samples}, got {len(t)}")
        return t

    def loss_and_scores(self, x, t, train=True, sample_weight=None):
        raise NotImplementedError("the book's networks are stepped by _BookRun.train_step")

    def backward(self, dout=1.0, input_grad=True):
        raise NotImplementedError("the book's networks are stepped by _BookRun.train_step")

    def evaluate(self, x, t, batch_size=None):
        return float(self.network.loss(x, t)), float(self.network.accuracy(x, t))

    def get_weights(self):
        return {"params": {key: np.array(value, copy=True) for key, value in self.params.items()}, "buffers": {}}

    def set_weights(self, weights):
        for key, value in weights["params"].items():
            self.params[key][...] = value


class _BookRun(training.Trainer):
    """training.Trainer with the book's step (common/trainer.py's train_step, on one batch of a real epoch)."""

    def train_step(self, x_batch, t_batch, sample_weight=None):
        network = self.model.network
        grads = network.gradient(x_batch, t_batch)
        self.model.grads = grads
        self.optimizer.update(network.params, grads)
        loss = float(network.loss(x_batch, t_batch))
        if not math.isfinite(loss):
            self._diverged(loss)
        self.history.batch_loss.append(loss)
        return loss, None


class _BookLines(Callback):
    """Fills the book Trainer's lists and prints its lines."""

    def __init__(self, trainer):
        super().__init__()
        self.trainer = trainer

    def on_batch_end(self, batch, logs):
        self.trainer.train_loss_list.append(logs["loss"])
        if self.trainer.verbose:
            print("train loss:" + str(logs["loss"]))

    def on_epoch_end(self, epoch, logs):
        book = self.trainer
        n = book.evaluate_sample_num_per_epoch
        x_train, t_train = (book.x_train, book.t_train) if n is None else (book.x_train[:n], book.t_train[:n])
        x_test, t_test = (book.x_test, book.t_test) if n is None else (book.x_test[:n], book.t_test[:n])
        train_acc, test_acc = book.network.accuracy(x_train, t_train), book.network.accuracy(x_test, t_test)
        book.train_acc_list.append(train_acc)
        book.test_acc_list.append(test_acc)
        book.current_epoch = epoch
        if book.verbose:
            print("=== epoch:" + str(epoch) + ", train acc:" + str(train_acc) + ", test acc:" + str(test_acc) + " ===")


# -- util (common/util.py) ----------------------------------------------------------------------------
def smooth_curve(x):
    """The book's smoothing of a loss curve: a Kaiser window of 11 points (beta 2), edges mirrored.

    A curve of fewer than 11 points is returned as it is (the book's returns a shorter one).
    """
    x = np.asarray(x, dtype=float)
    window = 11
    if len(x) < window:
        return x.copy()
    padded = np.r_[x[window - 1:0:-1], x, x[-1:-window:-1]]
    weights = np.kaiser(window, 2)
    smoothed = np.convolve(weights / weights.sum(), padded, mode="valid")
    return smoothed[5:len(smoothed) - 5]


def shuffle_dataset(x, t, seed=None):
    """x and t in one shared random order (the book's uses np.random; this one takes a seed)."""
    if len(x) != len(t):
        raise ValueError(f"x and t must have one row per sample, got {len(x)} rows of x and {len(t)} of t")
    order = np.random.default_rng(check_seed(seed)).permutation(len(x))
    return x[order], t[order]
