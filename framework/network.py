"""Networks: `Sequential` chains layers and a loss; `MLP` builds the book's multilayer net, `SimpleConvNet` its conv net.

Parameters are named as in the book: W1, b1, W2, b2, ... for the Affine layers in order and
gamma1, beta1, ... for the BatchNormalization layers in order.
"""
import operator
from collections.abc import MutableMapping

import numpy as np

from . import functions
from .flat import FlatParameters
from .im2col import check_window
from .layers import (Affine, BatchNormalization, Convolution, Dropout, Flatten, Identity, MeanSquaredError,
                     PoissonDeviance, Pooling, ReLU, Sigmoid, SigmoidCrossEntropy, SoftmaxCrossEntropy, Tanh)
from .validation import (as_array, as_labels, check_allocation, check_bool, check_choice, check_dtype, check_number,
                         check_sample_weight, check_seed, is_sparse)

ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "identity": Identity}
#: The losses MLP can end with: softmax cross-entropy for classes, squared error for real values.
LOSSES = {"cross_entropy": SoftmaxCrossEntropy, "squared_error": MeanSquaredError,
          "binary_cross_entropy": SigmoidCrossEntropy, "poisson": PoissonDeviance}


class NamedArrays(MutableMapping):
    """The network's arrays under the book's names ('W1', 'b1', ...): `params`, `grads` or `buffers`.

    Reading gives the layer's own array, so updating it in place updates the model; assigning
    copies the new values into that array (its shape must match). `flat` is the FlatParameters
    behind all of them when they were packed into one buffer and still are (see framework.flat).
    """

    def __init__(self, network, attribute):
        self._network, self._attribute = network, attribute
        self._dict_of = operator.attrgetter(attribute)  # layer -> its params (or grads, buffers) dict
        self._flat = None

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._dict_of = operator.attrgetter(self._attribute)  # (pickles of older versions lack it)

    def locations(self):
        """{'W1': (layer.params, 'W'), ...}: where each named array lives."""
        return self._network.locate(self._attribute)

    def pack(self):
        """Move every array into one buffer (each layer keeps a view of its part); arrays of mixed dtypes stay."""
        locations = self.locations()
        if locations and len({owner[name].dtype for owner, name in locations.values()}) == 1 \
                and all(type(owner) is dict for owner, _ in locations.values()):
            self._flat = FlatParameters(locations)
            # What `flat` checks on every optimizer step: the same layers, and for each array the
            # layer whose dict holds it (its name there and its view are the FlatParameters').
            self._layers = list(self._network.layers)
            owner_layer = {id(getattr(layer, self._attribute, None)): layer for layer in self._layers}
            self._holders = tuple(owner_layer[id(owner)] for owner, _ in locations.values())

    @property
    def flat(self):
        """The FlatParameters behind every array, or None: never packed, or a layer, a layer's dict or
        an array was replaced since (one comparison of the layer list and one pass in C over the arrays)."""
        flat = self._flat
        if flat is None or self._network.layers != self._layers:
            return None
        dicts = map(self._dict_of, self._holders)
        if not all(map(operator.is_, map(dict.get, dicts, flat.names), flat.view_list)):
            return None
        return flat

    def __getitem__(self, key):
        owner, name = self.locations()[key]
        return owner[name]

    def items(self):
        """(key, array) pairs, with one look at the layers (the Mapping default looks once per key)."""
        return [(key, owner[name]) for key, (owner, name) in self.locations().items()]

    def values(self):
        return [array for _, array in self.items()]

    def __setitem__(self, key, value):
        target = self[key]
        if value is target:  # `params[key] -= step` already changed the array in place
            return
        value = np.asarray(value)
        if value.shape != target.shape:
            raise ValueError(f"{self._attribute}[{key!r}] must have shape {target.shape}, got {value.shape}")
        target[...] = value

    def __delitem__(self, key):
        raise TypeError(f"cannot remove {key!r}: the network's arrays follow its layers")

    def __iter__(self):
        return iter(self.locations())

    def __len__(self):
        return len(self.locations())

    def __repr__(self):
        return "{" + ", ".join(f"{k!r}: array{v.shape}" for k, v in self.items()) + "}"


class Sequential:
    """Layers applied in order, then a loss layer (SoftmaxCrossEntropy by default).

    `weight_decay` (lambda) adds 0.5 * lambda * sum(W**2) over every Affine weight to the loss and
    lambda * W to its gradient; biases and BatchNormalization parameters are not decayed. With
    `weight_decay_per_sample` both are divided by the batch's size (or sample-weight sum), which is
    how scikit-learn's `alpha` works.

    What `fit` asks of a model (a class of your own with these works too): `check_input(x)`,
    `loss_and_scores(x, t, train, sample_weight)`, `backward(input_grad=False)`, `params` and
    `grads` (dicts with the same keys), `evaluate(x, t)`, `get_weights()`/`set_weights()`,
    `output_size` and `dtype`.
    """

    def __init__(self, layers, loss=None, weight_decay=0.0, weight_decay_per_sample=False):
        if not isinstance(layers, (list, tuple)):
            raise TypeError(f"layers must be a list of layers, got {layers!r}")
        self.layers = list(layers)
        if not self.layers:
            raise ValueError("layers must hold at least one layer, got an empty list")
        for i, layer in enumerate(self.layers + [loss]):
            if layer is not None and (isinstance(layer, type) or not (hasattr(layer, "forward")
                                                                     and hasattr(layer, "backward"))):
                what = "loss" if i == len(self.layers) else f"layers[{i}]"
                raise TypeError(f"{what} must be a layer instance with forward and backward, such as ReLU(), "
                                f"got {layer!r}")
        self.loss_layer = SoftmaxCrossEntropy() if loss is None else loss
        self.weight_decay = check_number(weight_decay, "weight_decay", low=0)
        self.weight_decay_per_sample = check_bool(weight_decay_per_sample, "weight_decay_per_sample")
        self._decay_divisor = 1.0  # the last batch's size when the decay is per sample
        self.input_shape = None  # one sample's shape, for summary(), when the first layer does not fix it
        self.params = NamedArrays(self, "params")
        self.grads = NamedArrays(self, "grads")
        self._locations = {}
        # Gradient arrays belong to the layers, not to the user: they can live in one buffer.
        self.grads.pack()

    # -- naming ---------------------------------------------------------------------------------
    def locate(self, attribute):
        """{'W1': (layer.params, 'W'), ...} for `attribute` ("params", "grads" or "buffers"):
        each key is the layer's own name numbered by how many layers before had that name."""
        signature = tuple(id(getattr(layer, attribute, None)) for layer in self.layers)
        cached = self._locations.get(attribute)
        if cached is not None and cached[0] == signature:
            return cached[1]
        locations, counts = {}, {}
        for layer in self.layers:
            for name in getattr(layer, attribute, {}):
                counts[name] = counts.get(name, 0) + 1
                locations[f"{name}{counts[name]}"] = (getattr(layer, attribute), name)
        self._locations[attribute] = (signature, locations)  # rebuilt if a layer or its dict changes
        return locations

    @property
    def layer_names(self):
        """Each layer's kind numbered in order: ['Affine1', 'ReLU1', 'Affine2', ...]."""
        counts, names = {}, []
        for layer in self.layers:
            kind = type(layer).__name__
            counts[kind] = counts.get(kind, 0) + 1
            names.append(f"{kind}{counts[kind]}")
        return names

    @property
    def buffers(self):
        """Non-trainable state (BatchNormalization's running statistics) under 'running_mean1', ..."""
        return NamedArrays(self, "buffers")

    @property
    def dtype(self):
        for value in self.params.values():
            return value.dtype.type
        return np.float64

    @property
    def input_size(self):
        """Features per sample the first layer needs (its `input_size`), or None if it takes any."""
        return getattr(self.layers[0], "input_size", None)

    @property
    def output_size(self):
        """Scores per sample (classes): the `output_size` of the last layer that fixes one, else None."""
        for layer in reversed(self.layers):
            size = getattr(layer, "output_size", None)
            if size is not None:
                return size
        return None

    @property
    def parameter_count(self):
        return sum(v.size for v in self.params.values())

    # -- forward and backward -------------------------------------------------------------------
    def check_input(self, x):
        """x as a finite array of the network's dtype, shape (N, D); raises a clear error otherwise.

        The feature count is the first layer's to decide (an Affine's D); a first layer that takes
        any width (an activation, Dropout) leaves it to the layer after it.
        """
        if is_sparse(x):
            return self._check_sparse_input(x)
        x = as_array(x, "x", dtype=self.dtype)
        size = self.input_size
        if x.ndim < 2:
            raise ValueError(f"x must be a batch of shape (N, {size or 'features'}), got shape {x.shape}"
                             + ("; for one sample use x.reshape(1, -1)" if x.ndim == 1 else ""))
        features = int(np.prod(x.shape[1:]))
        if size is not None and features != size:
            raise ValueError(f"x must have {size} features per sample, got shape {x.shape}")
        return x

    def _check_sparse_input(self, x):
        """A scipy.sparse x (N, D) as CSR of the network's dtype, for a first Affine layer, which
        multiplies it as it is (x @ W): the data set is never made dense."""
        if not isinstance(self.layers[0], Affine):
            raise TypeError(f"sparse x needs a network whose first layer is Affine, got {type(self.layers[0]).__name__}; "
                            "pass x.toarray()")
        x = x.tocsr().astype(self.dtype, copy=False)  # no copy when it is CSR of the dtype already
        if x.shape[0] == 0:
            raise ValueError(f"x must not be empty, got shape {x.shape}")
        if x.shape[1] != self.input_size:
            raise ValueError(f"x must have {self.input_size} features per sample, got shape {x.shape}")
        if not np.isfinite(x.data).all():
            raise ValueError("x must be finite, got NaN or infinite values")
        return x

    def predict(self, x, train=False):
        """Scores (N, C) before softmax; x is (N, D), converted once to the network's dtype.

        Scores that are not finite (inputs so large that the network overflows) raise a ValueError
        instead of turning into NaN probabilities or label 0.
        """
        x = self.check_input(x)
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below, as one error
            scores = self.forward(x, train)
        if not (np.isfinite(scores.min()) and np.isfinite(scores.max())):
            rows = np.flatnonzero(~np.isfinite(scores).all(axis=1))
            raise ValueError(f"the network's scores overflowed {np.dtype(self.dtype).name} for {len(rows)} of "
                             f"{x.shape[0]} rows (first: row {rows[0]}, whose largest input magnitude is "
                             f"{np.abs(x[rows[0]]).max():.3g}); scale the inputs (to [0, 1] or standardized)")
        return scores

    def forward(self, x, train=False):
        """The layers applied in order to a checked x (see check_input); no loss."""
        for layer in self.layers:
            x = layer.forward(x, train=train)
        return x

    def predict_proba(self, x):
        """Probabilities from the scores as the loss layer reads them: softmax(predict(x)) (N, C) for
        SoftmaxCrossEntropy, sigmoid of each output for SigmoidCrossEntropy."""
        if isinstance(self.loss_layer, (MeanSquaredError, PoissonDeviance)):
            raise TypeError(f"predict_proba needs a classification loss; this network is a regression "
                            f"({type(self.loss_layer).__name__}): use predict")
        probabilities = getattr(self.loss_layer, "probabilities", functions.softmax)
        return probabilities(self.predict(x))

    def loss(self, x, t, train=True, sample_weight=None):
        """Mean loss of the batch (weighted by sample_weight (N,) if given) plus the weight-decay term."""
        x = self.check_input(x)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, x.shape[0], self.dtype)
        return self.loss_and_scores(x, t, train, sample_weight)[0]

    def loss_and_scores(self, x, t, train=True, sample_weight=None):
        """(loss, scores) of a checked batch: the loss as `loss` gives it and the scores (N, C) it came from.

        What `fit` calls once per batch; `backward()` then backpropagates from it.
        """
        scores = self.forward(x, train)
        if sample_weight is None:  # custom loss layers need not know about weights
            loss = self.loss_layer.forward(scores, t)
        else:
            loss = self.loss_layer.forward(scores, t, sample_weight)
        if self.weight_decay_per_sample:
            self._decay_divisor = float(x.shape[0] if sample_weight is None else sample_weight.sum())
        return loss + self.decay_loss(), scores

    def decay_loss(self):
        """0.5 * weight_decay * sum(W**2) over the Affine weights (divided by the batch size if per sample)."""
        if not self.weight_decay:
            return 0.0
        return 0.5 * self._decay() * sum(float(np.vdot(W, W)) for W in self._weights())

    def _decay(self):
        return self.weight_decay / self._decay_divisor if self.weight_decay_per_sample else self.weight_decay

    def _weights(self):
        return [layer.params["W"] for layer in self.layers if isinstance(layer, Affine)]

    def backward(self, dout=1.0, input_grad=True):
        """Backpropagate from the last loss; fills every layer's grads; returns dL/dx.

        With input_grad=False (training), a first Affine or Convolution layer computes only dW and
        db, not the dx that nobody reads (the largest product of an MLP), and None is returned.
        """
        dout = self.loss_layer.backward(dout)
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            if i == 0 and not input_grad and hasattr(layer, "parameter_gradients"):
                layer.parameter_gradients(dout)
                dout = None
            else:
                dout = layer.backward(dout)
        self.add_decay_gradients()
        return dout

    def add_decay_gradients(self):
        """dW += weight_decay * W for every Affine weight: the gradient of `decay_loss`."""
        if self.weight_decay:
            decay = self._decay()
            for layer in self.layers:
                if isinstance(layer, Affine):
                    layer.grads["W"] += decay * layer.params["W"]

    def get_weights(self):
        """A copy of every parameter and buffer: {"params": {"W1": ...}, "buffers": {...}}."""
        return {name: {key: value.copy() for key, value in getattr(self, name).items()}
                for name in ("params", "buffers")}

    def set_weights(self, weights):
        """Copy arrays from get_weights() (or a part of it) back into the layers, in place.

        Every key, shape and value is checked before anything is copied: nothing changes on an error.
        """
        if not isinstance(weights, dict) or set(weights) - {"params", "buffers"}:
            raise ValueError(f"weights must be a dict with 'params' and/or 'buffers' (as get_weights() "
                             f"gives), got {sorted(weights) if isinstance(weights, dict) else type(weights).__name__}")
        for name, arrays in weights.items():
            view = getattr(self, name)
            for key, value in arrays.items():
                if key not in view:
                    raise ValueError(f"weights[{name!r}] has no entry {key!r} in this network; "
                                     f"it has {', '.join(view)}")
                value = np.asarray(value)
                if value.shape != view[key].shape:
                    raise ValueError(f"weights[{name!r}][{key!r}] must have shape {view[key].shape}, "
                                     f"got {value.shape}")
                if value.dtype.kind not in "biuf" or not np.isfinite(value).all():
                    raise ValueError(f"weights[{name!r}][{key!r}] must be finite numbers")
        for name, arrays in weights.items():
            view = getattr(self, name)
            for key, value in arrays.items():
                view[key] = value

    def gradient(self, x, t):
        """Gradients of loss(x, t) by backpropagation: a new dict with the keys of `params`."""
        self.loss_and_scores(self.check_input(x), t, train=True)
        self.backward()
        return {key: value.copy() for key, value in self.grads.items()}

    def loss_function(self, x, t):
        """A function f() giving loss(x, t) in training mode, the same dropout masks and batch
        statistics on every call (random generators and buffers are put back first): what central
        differences need. f.restore() puts them back for good."""
        x = self.check_input(x)
        generators = {id(layer.rng): layer.rng for layer in self.layers if hasattr(layer, "rng")}
        rng_states = {key: rng.bit_generator.state for key, rng in generators.items()}
        buffers = {"buffers": self.get_weights()["buffers"]}

        def restore():
            for key, rng in generators.items():
                rng.bit_generator.state = rng_states[key]
            self.set_weights(buffers)

        def f(_=None):
            restore()
            return self.loss_and_scores(x, t, train=True)[0]

        f.restore = restore
        return f

    def numerical_gradient(self, x, t):
        """Gradients of loss(x, t) by central differences (slow; for checking `gradient`), h = 1e-4 as the book.

        Each evaluation sees the same dropout masks and the same BatchNormalization running
        statistics (see loss_function), so a following `gradient(x, t)` call draws the masks used here.
        """
        f = self.loss_function(x, t)
        grads = {key: functions.numerical_gradient(f, param) for key, param in self.params.items()}
        f.restore()
        return grads

    def check_targets(self, t, n_samples, name="t"):
        """t checked by the loss layer: class labels (N,) for SoftmaxCrossEntropy, real values (N, K)
        for MeanSquaredError (a custom loss layer without check_targets gets class labels)."""
        check = getattr(self.loss_layer, "check_targets", None)
        if check is None:
            return as_labels(t, n_samples, self.output_size, name=name)
        return check(t, n_samples, self.output_size, name=name, dtype=self.dtype)

    def correct(self, scores, t):
        """Correct predictions among scores (N, C) for targets t, or None when the loss has no accuracy."""
        return getattr(self.loss_layer, "correct", SoftmaxCrossEntropy.correct)(scores, t)

    def evaluate(self, x, t, batch_size=2048):
        """(mean loss, accuracy) on (x, t) in inference mode, `batch_size` samples at a time; the
        accuracy is None for a regression. The loss includes the weight-decay term, as `loss` does;
        memory stays bounded for big sets.
        """
        check_number(batch_size, "batch_size", low=1, integer=True)
        x = self.check_input(x)
        n = x.shape[0]
        targets = self.check_targets(t, n)
        total_loss, correct = 0.0, 0
        for start in range(0, n, batch_size):
            xb, tb = x[start:start + batch_size], targets[start:start + batch_size]
            loss, scores = self.loss_and_scores(xb, tb, train=False)
            total_loss += loss * xb.shape[0]
            batch = self.correct(scores, tb)
            correct = None if batch is None else correct + batch
        return total_loss / n, None if correct is None else correct / n

    def accuracy(self, x, t, batch_size=2048):
        """Fraction of samples whose highest score is the true class (inference mode)."""
        return self.evaluate(x, t, batch_size)[1]

    # -- display --------------------------------------------------------------------------------
    def summary(self, print_fn=print, input_size=None):
        """Print each layer with its output shape and parameter count, and the totals.

        input_size: one sample's size (features, or (C, H, W) for images), needed only when neither
        the first layer nor the network's input_shape fixes it.
        """
        shape = input_size or self.input_shape or self.input_size
        if shape is None:
            raise ValueError("summary needs input_size=...: the first layer takes inputs of any width")
        input_size = tuple(shape) if isinstance(shape, (tuple, list)) else (int(shape),)
        x = np.zeros((1,) + input_size, dtype=self.dtype)
        rows = []
        for layer in self.layers:
            x = layer.forward(x, train=False)
            rows.append((repr(layer), str((None,) + x.shape[1:]), f"{layer.parameter_count:,}"))
        header = ("Layer", "Output shape", "Params")
        widths = [max(len(r[i]) for r in rows + [header]) for i in range(3)]
        line = "  ".join("{:<%d}" % w for w in widths)
        print_fn(line.format(*header))
        print_fn("-" * (sum(widths) + 4))
        for row in rows:
            print_fn(line.format(*row))
        print_fn("-" * (sum(widths) + 4))
        shown = input_size[0] if len(input_size) == 1 else input_size
        print_fn(f"Total params: {self.parameter_count:,} (input {shown}, dtype {np.dtype(self.dtype).name})")

    def __repr__(self):
        inner = ",\n".join(f"  {layer!r}" for layer in self.layers)
        loss = type(self.loss_layer).__name__
        return f"{type(self).__name__}([\n{inner}\n], loss={loss}(), params={self.parameter_count:,})"


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
            layers.append(Affine(self._init_weight(fan_in, fan_out, weight_init, dtype), np.zeros(fan_out, dtype)))
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
        self.params.pack()

    @property
    def config(self):
        """The constructor's arguments as JSON-ready values; the weight decay as it is now."""
        return {**self._arguments, "weight_decay": self.weight_decay,
                "weight_decay_per_sample": self.weight_decay_per_sample}

    def _init_weight(self, fan_in, fan_out, weight_init, dtype):
        if weight_init == "he":
            std = np.sqrt(2.0 / fan_in)
        elif weight_init == "xavier":
            std = np.sqrt(1.0 / fan_in)
        else:
            std = float(weight_init)
        return (self.rng.standard_normal((fan_in, fan_out), dtype=dtype) * std).astype(dtype, copy=False)

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
        conv = {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1, **(conv_param or {})}
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
            std = np.sqrt(2.0 / fan_in) if weight_init_std == "he" else float(weight_init_std)
            return (self.rng.standard_normal(shape, dtype=dtype) * std).astype(dtype, copy=False)

        layers = [Convolution(weights((filters, channels, size, size), channels * size * size), np.zeros(filters, dtype),
                              conv["stride"], conv["pad"]),
                  ReLU(), Pooling(2, 2, stride=2), Flatten(),
                  Affine(weights((pooled, hidden_size), pooled), np.zeros(hidden_size, dtype)), ReLU(),
                  Affine(weights((hidden_size, output_size), hidden_size), np.zeros(output_size, dtype))]
        super().__init__(layers)
        self.input_shape = (channels, height, width)
        self.params.pack()

    @property
    def config(self):
        return dict(self._arguments)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.config.items())
        return f"SimpleConvNet({args})  # {self.parameter_count:,} parameters"


def conv_net(input_shape, filters=(32, 32), kernel_size=3, hidden_size=100, output_size=10, pool_every=2,
             seed=None, dtype=np.float64):
    """A small conv stack as a Sequential: for each entry of `filters`, Convolution (kernel_size, same
    padding) - ReLU, with a 2x2 Pooling after every `pool_every` of them; then Flatten - Affine(hidden_size)
    - ReLU - Affine(output_size). He-initialised; `input_shape` is (C, H, W). Saved and loaded by io."""
    channels, height, width = (check_number(n, "input_shape entries", low=1, integer=True) for n in input_shape)
    check_number(kernel_size, "kernel_size", low=1, integer=True)
    check_number(pool_every, "pool_every", low=1, integer=True)
    dtype = check_dtype(dtype)
    rng = np.random.default_rng(check_seed(seed))
    layers, pad = [], (kernel_size - 1) // 2
    for i, count in enumerate(filters, 1):
        count = check_number(count, "filters entries", low=1, integer=True)
        fan_in = channels * kernel_size * kernel_size
        W = (rng.standard_normal((count, channels, kernel_size, kernel_size)) * np.sqrt(2.0 / fan_in)).astype(dtype)
        layers += [Convolution(W, np.zeros(count, dtype), 1, pad), ReLU()]
        height, width, channels = height + 2 * pad - kernel_size + 1, width + 2 * pad - kernel_size + 1, count
        if i % pool_every == 0 and height >= 2 and width >= 2:
            layers.append(Pooling(2, 2, stride=2))
            height, width = height // 2, width // 2
    features = channels * height * width
    W2 = (rng.standard_normal((features, hidden_size)) * np.sqrt(2.0 / features)).astype(dtype)
    W3 = (rng.standard_normal((hidden_size, output_size)) * np.sqrt(2.0 / hidden_size)).astype(dtype)
    layers += [Flatten(), Affine(W2, np.zeros(hidden_size, dtype)), ReLU(), Affine(W3, np.zeros(output_size, dtype))]
    model = Sequential(layers)
    model.input_shape = tuple(int(n) for n in input_shape)
    model.params.pack()
    return model
