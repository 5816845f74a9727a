"""Networks: `Sequential` chains layers and a loss; `MLP` builds the book's multilayer net.

Parameters are named as in the book: W1, b1, W2, b2, ... for the Affine layers in order and
gamma1, beta1, ... for the BatchNormalization layers in order.
"""
from collections.abc import MutableMapping

import numpy as np

from . import functions
from .layers import Affine, BatchNormalization, Dropout, Identity, ReLU, Sigmoid, SoftmaxCrossEntropy, Tanh
from .validation import as_array, as_labels, check_choice, check_dtype, check_number, check_sample_weight

ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "identity": Identity}


class ArrayView(MutableMapping):
    """A dict view over the layers' arrays under the book's names ('W1', 'b1', ...).

    Reading gives the layer's own array, so updating it in place updates the model; assigning
    copies the new values into that array (its shape and dtype must match).
    """

    def __init__(self, network, attribute):
        self._network, self._attribute = network, attribute
        self._flat, self._views = None, ()

    def _places(self):
        return self._network._named(self._attribute)

    def pack(self):
        """Move every array into one contiguous buffer, each layer keeping a view of its part.

        Optimizers then update all parameters with a few numpy calls instead of a few per array.
        Arrays of different dtypes are left as they are.
        """
        places = list(self._places().values())
        arrays = [layer_dict[name] for layer_dict, name in places]
        if not arrays or len({a.dtype for a in arrays}) != 1:
            return
        flat, offset, views = np.empty(sum(a.size for a in arrays), dtype=arrays[0].dtype), 0, []
        for (layer_dict, name), array in zip(places, arrays):
            view = flat[offset:offset + array.size].reshape(array.shape)
            view[...] = array
            layer_dict[name] = view
            views.append((layer_dict, name, view))
            offset += array.size
        self._flat, self._views = flat, tuple(views)
        self._layers = tuple(map(id, self._network.layers))

    def __setstate__(self, state):
        # Pickling copies each array on its own, so views no longer share the flat buffer:
        # remember to pack again once the network is whole (Sequential.__setstate__).
        self.__dict__.update(state)
        self._was_packed, self._flat = self._flat is not None, None

    @property
    def packed(self):
        """The one buffer behind every array (in key order), or None if not packed any more."""
        if self._flat is None:
            return None
        # Checked on every optimizer step: a plain loop is cheaper than any() over a generator.
        for layer_dict, name, view in self._views:
            if layer_dict.get(name) is not view:
                self._flat = None  # an array was replaced: fall back to per-key updates
                return None
        if tuple(map(id, self._network.layers)) != self._layers:
            self._flat = None  # a layer was replaced or added
        return self._flat

    def __getitem__(self, key):
        layer_dict, name = self._places()[key]
        return layer_dict[name]

    def __setitem__(self, key, value):
        target = self[key]
        if value is target:  # `params[key] -= step` already changed the array in place
            return
        value = np.asarray(value)
        if value.shape != target.shape:
            raise ValueError(f"{self._attribute}[{key!r}] must have shape {target.shape}, got {value.shape}")
        target[...] = value

    def __delitem__(self, key):
        raise TypeError(f"cannot remove {key!r}: the network's parameters follow its layers")

    def __iter__(self):
        return iter(self._places())

    def __len__(self):
        return len(self._places())

    def __repr__(self):
        return "{" + ", ".join(f"{k!r}: array{v.shape}" for k, v in self.items()) + "}"


class Sequential:
    """Layers applied in order, then a loss layer (SoftmaxCrossEntropy by default).

    `weight_decay` (lambda) adds 0.5 * lambda * sum(W**2) over every Affine weight to the loss and
    lambda * W to its gradient; biases and BatchNormalization parameters are not decayed.
    """

    def __init__(self, layers, loss=None, weight_decay=0.0):
        self.layers = list(layers)
        if not self.layers:
            raise ValueError("layers must hold at least one layer, got an empty list")
        self.loss_layer = SoftmaxCrossEntropy() if loss is None else loss
        self.weight_decay = check_number(weight_decay, "weight_decay", low=0)
        self.params = ArrayView(self, "params")
        self.grads = ArrayView(self, "grads")
        self._names = {}
        # Gradient arrays belong to the layers, not to the user: they can live in one buffer.
        self.grads.pack()

    def __setstate__(self, state):
        self.__dict__.update(state)
        for view in (self.params, self.grads):
            if getattr(view, "_was_packed", False):
                view.pack()

    # -- naming ---------------------------------------------------------------------------------
    def _named(self, attribute):
        """{'W1': (layer.params, 'W'), ...}: each key numbered by how many layers had it before."""
        signature = (attribute,) + tuple(map(id, self.layers))
        cached = self._names.get(attribute)
        if cached is not None and cached[0] == signature and all(
                layer_dict is getattr(layer, attribute, None) for layer, layer_dict in cached[2]):
            return cached[1]
        places, counts, owners = {}, {}, []
        for layer in self.layers:
            layer_dict = getattr(layer, attribute, {})
            owners.append((layer, layer_dict))
            for name in layer_dict:
                counts[name] = counts.get(name, 0) + 1
                places[f"{name}{counts[name]}"] = (layer_dict, name)
        self._names[attribute] = (signature, places, owners)  # rebuilt if the layers change
        return places

    @property
    def buffers(self):
        """Non-trainable state (BatchNormalization's running statistics) under 'running_mean1', ..."""
        return ArrayView(self, "buffers")

    @property
    def dtype(self):
        for value in self.params.values():
            return value.dtype.type
        return np.float64

    @property
    def input_size(self):
        first = next((layer for layer in self.layers if isinstance(layer, Affine)), None)
        return None if first is None else first.params["W"].shape[0]

    @property
    def output_size(self):
        last = next((layer for layer in reversed(self.layers) if isinstance(layer, Affine)), None)
        return None if last is None else last.params["W"].shape[1]

    @property
    def parameter_count(self):
        return sum(v.size for v in self.params.values())

    # -- forward and backward -------------------------------------------------------------------
    def _check_x(self, x):
        x = as_array(x, "x", dtype=self.dtype)
        if x.ndim == 1:
            raise ValueError(f"x must be a batch of shape (N, {self.input_size}), got shape {x.shape}; "
                             "for one sample use x.reshape(1, -1)")
        features = int(np.prod(x.shape[1:]))
        if self.input_size is not None and features != self.input_size:
            raise ValueError(f"x must have {self.input_size} features per sample, got shape {x.shape}")
        return x

    def predict(self, x, train=False):
        """Scores (N, C) before softmax; x is (N, D), converted once to the network's dtype."""
        x = self._check_x(x)
        return self._forward(x, train)

    def _forward(self, x, train):
        for layer in self.layers:
            x = layer.forward(x, train=train)
        return x

    def predict_proba(self, x):
        """Class probabilities softmax(predict(x)), (N, C)."""
        return functions.softmax(self.predict(x))

    def _decay_term(self):
        if not self.weight_decay:
            return 0.0
        return 0.5 * self.weight_decay * sum(float(np.vdot(W, W)) for W in self._weights())

    def _weights(self):
        return [layer.params["W"] for layer in self.layers if isinstance(layer, Affine)]

    def loss(self, x, t, train=True, sample_weight=None):
        """Mean loss of the batch (weighted by sample_weight (N,) if given) plus the weight-decay term."""
        x = self._check_x(x)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, len(x), self.dtype)
        return self._loss(x, t, train, sample_weight)

    def _loss(self, x, t, train=True, sample_weight=None):
        scores = self._forward(x, train)
        self.last_scores = scores
        if sample_weight is None:  # custom loss layers need not know about weights
            return self.loss_layer.forward(scores, t) + self._decay_term()
        return self.loss_layer.forward(scores, t, sample_weight) + self._decay_term()

    def backward(self, dout=1.0, input_grad=True):
        """Backpropagate from the last `loss` call; fills every layer's grads; returns dL/dx.

        With input_grad=False (training), a first Affine layer skips dx and None is returned.
        """
        dout = self.loss_layer.backward(dout)
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            if i == 0 and not input_grad and isinstance(layer, Affine):
                layer.backward_params(dout)
                dout = None
            else:
                dout = layer.backward(dout)
        self._add_decay_gradients()
        return dout

    def _add_decay_gradients(self):
        """dW += lambda * W for every Affine weight: the gradient of the weight-decay term."""
        if self.weight_decay:
            for W, dW in zip(self._weights(), self._weight_grads()):
                dW += self.weight_decay * W

    def _weight_grads(self):
        return [layer.grads["W"] for layer in self.layers if isinstance(layer, Affine)]

    def get_weights(self):
        """A copy of every parameter and buffer: {"params": {"W1": ...}, "buffers": {...}}."""
        return {name: {key: value.copy() for key, value in getattr(self, name).items()}
                for name in ("params", "buffers")}

    def set_weights(self, weights):
        """Copy arrays from get_weights() (or a part of it) back into the layers, in place."""
        for name, arrays in weights.items():
            view = getattr(self, name)
            for key, value in arrays.items():
                view[key] = value

    def gradient(self, x, t):
        """Gradients of loss(x, t) by backpropagation: a new dict with the keys of `params`."""
        self.loss(x, t, train=True)
        self.backward()
        return {key: value.copy() for key, value in self.grads.items()}

    def numerical_gradient(self, x, t):
        """Gradients of loss(x, t) by central differences (slow; for checking `gradient`).

        Each evaluation sees the same dropout masks and the same BatchNormalization running
        statistics: random generators and buffers are restored before each one and at the end,
        so a following `gradient(x, t)` call draws the masks used here.
        """
        x = self._check_x(x)
        generators = {id(layer.rng): layer.rng for layer in self.layers if hasattr(layer, "rng")}
        rng_states = {key: rng.bit_generator.state for key, rng in generators.items()}
        buffers = {"buffers": self.get_weights()["buffers"]}

        def restore():
            for key, rng in generators.items():
                rng.bit_generator.state = rng_states[key]
            self.set_weights(buffers)

        def f(_):
            restore()
            return self._loss(x, t, train=True)

        grads = {key: functions.numerical_gradient(f, param) for key, param in self.params.items()}
        restore()
        return grads

    def accuracy(self, x, t, batch_size=2048):
        """Fraction of samples whose highest score is the true class (inference mode)."""
        x = self._check_x(x)
        labels = as_labels(t, len(x), self.output_size, name="t")
        correct = 0
        for start in range(0, len(x), batch_size):
            scores = self._forward(x[start:start + batch_size], train=False)
            correct += int(np.sum(scores.argmax(axis=1) == labels[start:start + batch_size]))
        return correct / len(x)

    # -- display --------------------------------------------------------------------------------
    def summary(self, print_fn=print):
        """Print each layer with its output shape and parameter count, and the totals."""
        x = np.zeros((1, self.input_size), dtype=self.dtype)
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
        print_fn(f"Total params: {self.parameter_count:,} (input {self.input_size}, dtype {np.dtype(self.dtype).name})")

    def __repr__(self):
        inner = ",\n".join(f"  {layer!r}" for layer in self.layers)
        loss = type(self.loss_layer).__name__
        return f"{type(self).__name__}([\n{inner}\n], loss={loss}(), params={self.parameter_count:,})"


class MLP(Sequential):
    """The book's MultiLayerNet and MultiLayerNetExtend in one.

    For each hidden size: Affine -> [BatchNormalization] -> activation -> [Dropout]; then a last
    Affine to `output_size` scores and SoftmaxCrossEntropy. Weights ~ N(0, std^2) with
    std = sqrt(2 / fan_in) for "he", sqrt(1 / fan_in) for "xavier" (the book's), or a given float;
    biases start at 0. One Generator made from `seed` draws the weights and every dropout mask.
    """

    def __init__(self, input_size, hidden_sizes, output_size, activation="relu", weight_init="he",
                 weight_decay=0.0, dropout=0.0, batchnorm=False, seed=None, dtype=np.float64):
        check_number(input_size, "input_size", low=1, integer=True)
        check_number(output_size, "output_size", low=1, integer=True)
        if isinstance(hidden_sizes, (int, np.integer)):
            hidden_sizes = [hidden_sizes]
        hidden_sizes = list(hidden_sizes)
        for size in hidden_sizes:
            check_number(size, "hidden_sizes entries", low=1, integer=True)
        check_choice(activation, "activation", tuple(ACTIVATIONS))
        if isinstance(weight_init, str):
            check_choice(weight_init, "weight_init", ("he", "xavier"))
        else:
            check_number(weight_init, "weight_init", low=0, low_open=True)
        check_number(dropout, "dropout", low=0, high=1, high_open=True)
        dtype = check_dtype(dtype)
        self.config = dict(input_size=int(input_size), hidden_sizes=[int(s) for s in hidden_sizes],
                           output_size=int(output_size), activation=activation,
                           weight_init=weight_init if isinstance(weight_init, str) else float(weight_init),
                           weight_decay=float(weight_decay), dropout=float(dropout), batchnorm=bool(batchnorm),
                           # A Generator passed as seed cannot be written down; the weights are saved anyway.
                           seed=int(seed) if isinstance(seed, (int, np.integer)) else None,
                           dtype=np.dtype(dtype).name)
        self.rng = np.random.default_rng(seed)
        sizes = [input_size] + hidden_sizes + [output_size]
        layers = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Affine(self._init_weight(fan_in, fan_out, weight_init, dtype), np.zeros(fan_out, dtype)))
            if i == len(sizes) - 2:
                break
            if batchnorm:
                layers.append(BatchNormalization(np.ones(fan_out, dtype), np.zeros(fan_out, dtype)))
            layers.append(ACTIVATIONS[activation]())
            if dropout:
                layers.append(Dropout(dropout, seed=self.rng))
        super().__init__(layers, weight_decay=weight_decay)
        # The MLP made these arrays itself, so nobody holds them: one buffer for all parameters.
        self.params.pack()

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
