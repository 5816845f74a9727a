"""Watch one forward and backward pass, layer by layer, with the formula behind every number.

`trace(model, x, t)` runs the network's layers by hand and records what each one received and
gave, forward and backward, then compares every parameter gradient with central differences.
The result is data (a Trace with `forward`, `backward`, `loss`, `numerical`), and prints like the
book's computational-graph chapter reads.
"""
import numpy as np

from . import layers as L

FORMULAS = {
    L.Affine: ("out = x @ W + b", "dx = dout @ W.T,  dW = x.T @ dout,  db = sum(dout, axis=0)"),
    L.ReLU: ("out = max(0, x)", "dx = dout * (x > 0)"),
    L.Sigmoid: ("out = 1 / (1 + exp(-x))", "dx = dout * out * (1 - out)"),
    L.Tanh: ("out = tanh(x)", "dx = dout * (1 - out**2)"),
    L.Identity: ("out = x", "dx = dout"),
    L.Dropout: ("out = x * mask / (1 - ratio)", "dx = dout * mask / (1 - ratio)"),
    L.BatchNormalization: ("out = gamma * (x - mean) / sqrt(var + eps) + beta",
                           "dgamma = sum(dout * xn),  dbeta = sum(dout),  "
                           "dx = (dxn - mean(dxn) - xn * mean(dxn * xn)) / std"),
    L.SoftmaxCrossEntropy: ("y = softmax(x),  L = -sum(log y[t]) / N", "dx = (y - onehot(t)) / N"),
}


class Trace:
    """forward: [{'node', 'formula', 'x', 'out'}], backward: [{'node', 'formula', 'dout', 'dx', 'grads'}],
    loss: float, numerical: {key: array} (central differences), analytic: {key: array}."""

    def __init__(self):
        self.forward, self.backward = [], []
        self.loss, self.analytic, self.numerical = None, {}, {}

    def max_error(self):
        """The largest |backprop - central difference| over every parameter entry."""
        return max(float(np.abs(self.analytic[k] - self.numerical[k]).max()) for k in self.analytic)

    def __str__(self):
        def show(label, value):
            head = f"      {label:<4} = "
            text = np.array2string(np.asarray(value), precision=4, suppress_small=True, separator=", ",
                                   prefix=head)
            return head + text

        lines = ["FORWARD"]
        for step in self.forward:
            lines += [f"  {step['node']}: {step['formula']}", show("x", step["x"]), show("out", step["out"])]
        lines += [f"  loss L = {self.loss:.6f}", "", "BACKWARD (dout = dL/d(out), starting from dL/dL = 1)"]
        for step in self.backward:
            lines += [f"  {step['node']}: {step['formula']}", show("dout", step["dout"]), show("dx", step["dx"])]
            lines += [show("d" + name, value) for name, value in step["grads"].items()]
        lines += ["", "CHECK against central differences (h = 1e-4)"]
        for key in self.analytic:
            error = float(np.abs(self.analytic[key] - self.numerical[key]).max())
            lines.append(f"  d{key:<6} max |backprop - numerical| = {error:.2e}")
        return "\n".join(lines)


def _node_names(layers):
    counts, names = {}, []
    for layer in layers:
        kind = type(layer).__name__
        counts[kind] = counts.get(kind, 0) + 1
        names.append(f"{kind}{counts[kind]}")
    return names


def trace(model, x, t):
    """Trace one training step of `model` (a Sequential or MLP) on inputs x and targets t."""
    x = model._check_x(x)
    result = Trace()
    names = _node_names(model.layers)
    out = x
    for name, layer in zip(names, model.layers):
        before = out
        out = layer.forward(out, train=True)
        result.forward.append({"node": name, "formula": FORMULAS.get(type(layer), ("?", "?"))[0],
                               "x": before.copy(), "out": out.copy()})
    result.loss = model.loss_layer.forward(out, t) + model._decay_term()
    result.forward.append({"node": "SoftmaxCrossEntropy", "formula": FORMULAS[L.SoftmaxCrossEntropy][0],
                           "x": out.copy(), "out": np.array(result.loss)})
    dout = model.loss_layer.backward(1.0)
    result.backward.append({"node": "SoftmaxCrossEntropy", "formula": FORMULAS[L.SoftmaxCrossEntropy][1],
                            "dout": np.array(1.0), "dx": dout.copy(), "grads": {}})
    for name, layer in zip(reversed(names), reversed(model.layers)):
        upstream = dout
        dout = layer.backward(upstream)
        grads = {key: value.copy() for key, value in layer.grads.items()}
        result.backward.append({"node": name, "formula": FORMULAS.get(type(layer), ("?", "?"))[1],
                                "dout": upstream.copy(), "dx": dout.copy(), "grads": grads})
    model._add_decay_gradients()
    result.analytic = {key: value.copy() for key, value in model.grads.items()}
    result.numerical = model.numerical_gradient(x, t)
    return result
