"""Sequential: layers applied in order, then a loss layer, with every array named as in the book:
W1, b1, W2, b2, ... for the Affine layers in order, gamma1, beta1, ... for BatchNormalization's.
"""
from collections.abc import MutableMapping

import numpy as np

from . import engine, functions
from .trace import summary
from .checks import (check_bool, check_layers, check_number, check_sample_weight, check_weights,
                     finite_loss, finite_scores, network_input)
from .layers import Affine, Convolution, SoftmaxCrossEntropy


def _numbered(names):
    """Each name numbered by how often it has come so far: ['W', 'b', 'W'] -> ['W1', 'b1', 'W2']."""
    counts, numbered = {}, []
    for name in names:
        counts[name] = counts.get(name, 0) + 1
        numbered.append(f"{name}{counts[name]}")
    return numbered


class NamedArrays(MutableMapping):
    """The network's arrays under the book's names ('W1', 'b1', ...): `params`, `grads` or `buffers`.
    Reading gives the layer's own array (changing it in place changes the model); assigning copies into it."""

    def __init__(self, network, attribute):
        self.network, self.attribute = network, attribute

    def locations(self):
        """{'W1': (layer.params, 'W'), ...}: where each named array lives."""
        return self.network.locate(self.attribute)

    def __getitem__(self, key):
        owner, name = self.locations()[key]
        return owner[name]

    def items(self):
        """(key, array) pairs, with one look at the layers (the Mapping default looks once per key)."""
        return [(key, owner[name]) for key, (owner, name) in self.locations().items()]

    def __setitem__(self, key, value):
        target = self[key]
        if value is target:  # `params[key] -= step` already changed the array in place
            return
        value = np.asarray(value)
        if value.shape != target.shape:
            raise ValueError(f"{self.attribute}[{key!r}] must have shape {target.shape}, got {value.shape}")
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

    `weight_decay` (lambda) adds 0.5 * lambda * sum(W**2) over the Affine weights and filters to the loss and
    lambda * W to their gradients (not to biases or BatchNormalization's); with `weight_decay_per_sample`
    both are divided by the batch's size or weight sum (scikit-learn's `alpha`).
    """

    def __init__(self, layers, loss=None, weight_decay=0.0, weight_decay_per_sample=False, *, own_arrays=False):
        self.layers = check_layers(layers, loss)
        self.loss_layer = SoftmaxCrossEntropy() if loss is None else loss
        self.weight_decay = weight_decay
        self.weight_decay_per_sample = check_bool(weight_decay_per_sample, "weight_decay_per_sample")
        self._decay_divisor = 1.0  # the last batch's size when the decay is per sample
        self.input_shape = None  # one sample's shape, for summary(), when the first layer does not fix it
        self.params = NamedArrays(self, "params")
        self.grads = NamedArrays(self, "grads")
        self._locations = {}
        # Packed once, here: gradient arrays belong to the layers, not to the user, so they can live in one
        # buffer; parameters too when the network made them itself (own_arrays: MLP, conv_net, ...), as
        # nobody else holds them (a user's own W passed to Affine stays that very array).
        engine.pack(self.grads)
        if own_arrays:
            engine.pack(self.params)

    @property
    def weight_decay(self):
        """lambda of the L2 term; checked wherever it is set (MLP(...), or model.weight_decay = ...)."""
        return self._weight_decay

    @weight_decay.setter
    def weight_decay(self, value):
        self._weight_decay = check_number(value, "weight_decay", low=0)

    # -- naming ---------------------------------------------------------------------------------
    def locate(self, attribute):
        """{'W1': (layer.params, 'W'), ...} for `attribute` ("params", "grads" or "buffers"):
        each key is the layer's own name numbered by how many layers before had that name."""
        signature = tuple(id(getattr(layer, attribute, None)) for layer in self.layers)
        cached = self._locations.get(attribute)
        if cached is not None and cached[0] == signature:
            return cached[1]
        places = [(getattr(layer, attribute), name) for layer in self.layers for name in getattr(layer, attribute, {})]
        locations = dict(zip(_numbered(name for _, name in places), places))
        self._locations[attribute] = (signature, locations)  # rebuilt if a layer or its dict changes
        return locations

    @property
    def layer_names(self):
        """Each layer's kind numbered in order: ['Affine1', 'ReLU1', 'Affine2', ...]."""
        return _numbered(type(layer).__name__ for layer in self.layers)

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
        """x as a finite array of the network's dtype, (N, D) or images (N, C, H, W), or scipy.sparse rows
        for a first Affine layer (kept sparse); a clear error otherwise (framework.checks.network_input)."""
        first = self.layers[0]
        return network_input(x, self.dtype, self.input_size, self.input_shape,
                             sparse_refused_by=None if isinstance(first, Affine) else type(first).__name__)

    def predict(self, x, train=False):
        """Scores (N, C) before softmax; x is (N, D), converted once to the network's dtype.

        Scores that are not finite (inputs so large that the network overflows) raise a ValueError
        instead of turning into NaN probabilities or label 0.
        """
        x = self.check_input(x)
        batch = engine.evaluation_batch(self, x)  # memory stays bounded however many rows x has
        with np.errstate(over="ignore", invalid="ignore"), engine.blas_threads(self, batch):
            # (an overflow is reported below, as one error)
            scores = self.forward(x, train) if batch >= x.shape[0] else \
                np.concatenate([self.forward(x[start:start + batch], train) for start in range(0, x.shape[0], batch)])
        return finite_scores(scores, x)

    def forward(self, x, train=False):
        """The layers applied in order to a checked x (see check_input); no loss."""
        for layer in self.layers:
            x = layer.forward(x, train=train)
        return x

    def predict_proba(self, x):
        """Probabilities from the scores as the loss layer reads them: softmax(predict(x)) (N, C) for
        SoftmaxCrossEntropy, sigmoid of each output for SigmoidCrossEntropy."""
        if self.loss_layer.probabilities is None:
            raise TypeError(f"predict_proba needs a classification loss; this network is a regression "
                            f"({type(self.loss_layer).__name__}): use predict")
        return self.loss_layer.probabilities(self.predict(x))

    def loss(self, x, t, train=True, sample_weight=None):
        """Mean loss of the batch (weighted by sample_weight (N,) if given) plus the weight-decay term."""
        x = self.check_input(x)
        t = self.check_targets(t, x.shape[0])
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, x.shape[0], self.dtype)
        return self.loss_and_scores(x, t, train, sample_weight)[0]

    def loss_and_scores(self, x, t, train=True, sample_weight=None):
        """(loss, scores) of a checked batch: the loss as `loss` gives it and the scores (N, C) it came from.

        What `fit` calls once per batch; `backward()` then backpropagates from it.
        """
        scores = self.forward(x, train)
        loss = self.loss_layer.forward(scores, t, sample_weight, check=False)  # t was checked at the door
        if self.weight_decay_per_sample:
            self._decay_divisor = float(x.shape[0] if sample_weight is None else sample_weight.sum())
        return loss + self.decay_loss(), scores

    def decay_loss(self):
        """0.5 * weight_decay * sum(W**2) over the Affine weights and filters (divided by the batch size if per sample)."""
        return 0.5 * self._decay() * sum(float(np.vdot(W, W)) for W in self._weights()) if self.weight_decay else 0.0

    def _decay(self):
        return self.weight_decay / self._decay_divisor if self.weight_decay_per_sample else self.weight_decay

    def _weights(self):
        return [layer.params["W"] for layer in self.layers if isinstance(layer, (Affine, Convolution))]

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
        """dW += weight_decay * W for every Affine weight and convolution filter: the gradient of `decay_loss`."""
        if self.weight_decay:
            for layer in self.layers:
                if isinstance(layer, (Affine, Convolution)):
                    layer.grads["W"] += self._decay() * layer.params["W"]

    def get_weights(self):
        """A copy of every parameter and buffer: {"params": {"W1": ...}, "buffers": {...}}."""
        return {name: {key: value.copy() for key, value in getattr(self, name).items()}
                for name in ("params", "buffers")}

    def set_weights(self, weights):
        """Copy arrays from get_weights() (or a part of it) back into the layers, in place.

        Every key, shape and value is checked before anything is copied: nothing changes on an error.
        """
        check_weights(weights, {"params": self.params, "buffers": self.buffers})
        for name, arrays in weights.items():
            view = getattr(self, name)
            for key, value in arrays.items():
                view[key] = value

    def gradient(self, x, t):
        """Gradients of loss(x, t) by backpropagation: a new dict with the keys of `params`."""
        x = self.check_input(x)
        self.loss_and_scores(x, self.check_targets(t, x.shape[0]), train=True)
        self.backward()
        return {key: value.copy() for key, value in self.grads.items()}

    def loss_function(self, x, t):
        """f() = loss(x, t) in training mode with the same dropout masks and batch statistics on every
        call (generators and buffers are put back first), as central differences need; f.restore()."""
        x = self.check_input(x)
        t = self.check_targets(t, x.shape[0])
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
        """Gradients of loss(x, t) by central differences, h = 1e-4 as the book (slow; to check `gradient`).
        Every evaluation sees the same dropout masks and batch statistics (loss_function)."""
        f = self.loss_function(x, t)
        grads = {key: functions.numerical_gradient(f, param) for key, param in self.params.items()}
        f.restore()
        return grads

    def check_targets(self, t, n_samples, name="t"):
        """t checked by the loss layer (Loss.check_targets), in the form its forward takes."""
        return self.loss_layer.check_targets(t, n_samples, self.output_size, name=name, dtype=self.dtype)

    def correct(self, scores, t):
        """Correct predictions among scores (N, C) for targets t, or None when the loss has no accuracy."""
        return self.loss_layer.correct(scores, t)

    def evaluate(self, x, t, batch_size=None):
        """(mean loss, accuracy) on (x, t) in inference mode, `batch_size` samples at a time (None: what fits
        in a memory budget); the accuracy is None for a regression; the weight-decay term is added once."""
        if batch_size is not None:
            check_number(batch_size, "batch_size", low=1, integer=True)
        x = self.check_input(x)
        n = x.shape[0]
        batch_size = engine.evaluation_batch(self, x, batch_size)
        targets = self.check_targets(t, n)
        total_loss, correct = 0.0, 0
        with engine.blas_threads(self, min(batch_size, n)):
            for start in range(0, n, batch_size):
                xb, tb = x[start:start + batch_size], targets[start:start + batch_size]
                scores = self.forward(xb, train=False)
                loss = finite_loss(self.loss_layer.forward(scores, tb, check=False), scores, start)
                total_loss += loss * xb.shape[0]
                batch = self.correct(scores, tb)
                correct = None if batch is None else correct + batch
        if self.weight_decay_per_sample:
            self._decay_divisor = float(n)
        return total_loss / n + self.decay_loss(), None if correct is None else correct / n

    def accuracy(self, x, t, batch_size=None):
        """Fraction of samples whose highest score is the true class (inference mode)."""
        return self.evaluate(x, t, batch_size)[1]

    # -- display --------------------------------------------------------------------------------
    def summary(self, print_fn=print, input_size=None):
        """Print each layer with its output shape and parameter count, and the totals (framework.trace.summary)."""
        summary(self, print_fn, input_size)

    def __repr__(self):
        inner = ",\n".join(f"  {layer!r}" for layer in self.layers)
        loss = type(self.loss_layer).__name__
        return f"{type(self).__name__}([\n{inner}\n], loss={loss}(), params={self.parameter_count:,})"
