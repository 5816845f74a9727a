"""Watch one forward and backward pass, layer by layer, with the formula behind every number.

`trace(model, x, t)` runs the network's layers by hand and records what each one received and
gave, forward and backward, then compares every parameter gradient with central differences.
The result is data (a Trace with `forward`, `backward`, `loss`, `numerical`), and prints like the
book's computational-graph chapter reads. `summary(model)` prints the layers' output shapes and
parameter counts (Sequential.summary).
"""
import numpy as np

from .gradcheck import numerical_with_kinks


def _formula(layer, direction):
    """The layer's forward (0) or backward (1) formula; "?" for a layer that does not give one."""
    return getattr(layer, "formula", ("?", "?"))[direction]


#: Arrays with more entries than this print as a summary (shape, mean, std, min, max), not in full.
SUMMARY_SIZE = 24


def show(label, value, indent=6):
    """One labelled array: in full when small, as a one-line summary when large."""
    value = np.asarray(value)
    head = " " * indent + f"{label:<4} = "
    if value.size > SUMMARY_SIZE:
        return (head + f"array of shape {value.shape}: mean {value.mean():.4g}, std {value.std():.4g}, "
                f"min {value.min():.4g}, max {value.max():.4g}")
    return head + np.array2string(value, precision=4, suppress_small=True, separator=", ", prefix=head)


class Trace:
    """forward: [{'node', 'formula', 'x', 'params', 'out'}], backward: [{'node', 'formula', 'dout', 'dx',
    'grads'}], loss: float, numerical: {key: array} (central differences), analytic: {key: array}."""

    def __init__(self):
        self.forward, self.backward = [], []
        self.loss, self.analytic, self.numerical, self.kinks = None, {}, {}, {}

    def _errors(self, key):
        """|backprop - central difference| of one parameter, entries on a kink left out."""
        return np.abs(self.analytic[key] - self.numerical[key])[~self.kinks.get(key, False)]

    def max_error(self):
        """The largest |backprop - central difference| over every parameter entry not on a kink."""
        return max(float(self._errors(k).max(initial=0.0)) for k in self.analytic)

    def __str__(self):
        lines = ["FORWARD"]
        for step in self.forward:
            lines += [f"  {step['node']}: {step['formula']}", show("x", step["x"])]
            lines += [show(name, value) for name, value in step.get("params", {}).items()]
            lines.append(show("out", step["out"]))
        lines += [f"  loss L = {self.loss:.6f}", "", "BACKWARD (dout = dL/d(out), starting from dL/dL = 1)"]
        for step in self.backward:
            lines += [f"  {step['node']}: {step['formula']}", show("dout", step["dout"]), show("dx", step["dx"])]
            lines += [show("d" + name, value) for name, value in step["grads"].items()]
        lines += ["", "CHECK against central differences (h = 6e-6 x max(1, |entry|); see framework.gradcheck)"]
        for key in self.analytic:
            error = float(self._errors(key).max(initial=0.0))
            kinks = int(np.sum(self.kinks.get(key, False)))
            skipped = f"  ({kinks} entries on a ReLU kink skipped)" if kinks else ""
            lines.append(f"  d{key:<6} max |backprop - numerical| = {error:.2e}{skipped}")
        return "\n".join(lines)


def trace(model, x, t):
    """Trace one training step of `model` (a Sequential or MLP) on inputs x and targets t."""
    x = model.check_input(x)
    result = Trace()
    names = model.layer_names
    out = x
    for name, layer in zip(names, model.layers):
        before = out
        out = layer.forward(out, train=True)
        params = {key: value.copy() for key, value in getattr(layer, "params", {}).items()}
        result.forward.append({"node": name, "formula": _formula(layer, 0), "x": before.copy(), "params": params,
                               "out": out.copy()})
    loss_layer, loss_name = model.loss_layer, type(model.loss_layer).__name__
    result.loss = loss_layer.forward(out, t) + model.decay_loss()
    result.forward.append({"node": loss_name, "formula": _formula(loss_layer, 0), "x": out.copy(),
                           "out": np.array(result.loss)})
    dout = loss_layer.backward(1.0)
    result.backward.append({"node": loss_name, "formula": _formula(loss_layer, 1), "dout": np.array(1.0),
                            "dx": dout.copy(), "grads": {}})
    for name, layer in zip(reversed(names), reversed(model.layers)):
        upstream = dout
        dout = layer.backward(upstream)
        grads = {key: value.copy() for key, value in layer.grads.items()}
        result.backward.append({"node": name, "formula": _formula(layer, 1), "dout": upstream.copy(),
                                "dx": dout.copy(), "grads": grads})
    model.add_decay_gradients()
    result.analytic = {key: value.copy() for key, value in model.grads.items()}
    f = model.loss_function(x, t)
    for key, param in model.params.items():
        result.numerical[key], result.kinks[key], _ = numerical_with_kinks(f, param, model.layers)
    f.restore()
    return result


def summary(model, print_fn=print, input_size=None):
    """Print each layer of a Sequential `model` with its output shape and parameter count, and the totals.

    input_size: one sample's size (features, or (C, H, W) for images), needed only when neither
    the first layer nor the network's input_shape fixes it.
    """
    shape = input_size or model.input_shape or model.input_size
    if shape is None:
        raise ValueError("summary needs input_size=...: the first layer takes inputs of any width")
    input_size = tuple(shape) if isinstance(shape, (tuple, list)) else (int(shape),)
    x = np.zeros((1,) + input_size, dtype=model.dtype)
    rows = []
    for layer in model.layers:
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
    print_fn(f"Total params: {model.parameter_count:,} (input {shown}, dtype {np.dtype(model.dtype).name})")
