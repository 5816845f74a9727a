"""Check backpropagation against central differences: `gradient_check(model_or_layer, x, t)`.

For a network: model.gradient(x, t) against model.numerical_gradient(x, t), parameter by parameter.
For a layer: L = sum(layer.forward(x) * dout) with a random upstream gradient dout, so that
backward(dout) must give dL/dx and every dL/dparam; those are compared with central differences.
Everything runs in float64: with h = 1e-4, float32's 7 digits leave about 3 for the difference
quotient, too few to tell a right gradient from a slightly wrong one.
"""
import numpy as np

from .functions import numerical_gradient
from .validation import check_seed


class GradientReport:
    """One row per checked array: name, shape, max absolute error, max relative error, passed.

    relative error = |analytic - numeric| / max(|analytic| + |numeric|, 1e-12), elementwise, so an
    error on a tiny gradient counts as much as one on a large gradient.
    """

    def __init__(self, rows, tolerance):
        self.rows, self.tolerance = rows, tolerance

    @property
    def passed(self):
        return all(row["passed"] for row in self.rows)

    def __getitem__(self, name):
        return next(row for row in self.rows if row["name"] == name)

    def as_dict(self):
        return {"tolerance": self.tolerance, "passed": self.passed, "rows": self.rows}

    def __str__(self):
        lines = [f"{'array':<8} {'shape':<12} {'max abs error':>14} {'max rel error':>14}  result",
                 "-" * 60]
        for row in self.rows:
            lines.append(f"{row['name']:<8} {str(row['shape']):<12} {row['max_abs_error']:>14.3e} "
                         f"{row['max_rel_error']:>14.3e}  {'ok' if row['passed'] else 'FAILED'}")
        lines.append(f"{'all passed' if self.passed else 'some FAILED'} (relative tolerance {self.tolerance:g})")
        return "\n".join(lines)

    def __repr__(self):
        return f"GradientReport({len(self.rows)} arrays, passed={self.passed})"


def _row(name, analytic, numeric, tolerance, atol):
    diff = np.abs(analytic - numeric)
    rel = diff / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)
    # An entry passes on relative error, or on absolute error when both values are ~0 (a
    # gradient that is zero by construction, like a bias right before batch normalization).
    passed = bool(np.all((rel <= tolerance) | (diff <= atol)))
    return {"name": name, "shape": tuple(analytic.shape), "max_abs_error": float(diff.max(initial=0.0)),
            "max_rel_error": float(rel.max(initial=0.0)), "passed": passed}


def _require_float64(arrays, what):
    for name, array in arrays:
        if np.asarray(array).dtype != np.float64:
            raise TypeError(f"gradient_check needs float64 {what}: {name} is {np.asarray(array).dtype}. "
                            "With h = 1e-4, float32 keeps about 3 significant digits of the difference "
                            "quotient, too few to judge a gradient; build the model or layer with dtype=np.float64")


def gradient_check(model_or_layer, x, t=None, tolerance=1e-6, atol=1e-9, seed=0, verbose=False):
    """Compare backprop with central differences; returns a GradientReport (print it for a table).

    model_or_layer: a network (with gradient/numerical_gradient, e.g. MLP) and then t are its
    targets; or a single layer (forward/backward), for which t is ignored and a random upstream
    gradient drawn from `seed` is used. tolerance: the largest relative error that passes (use about
    1e-5 with batch normalization). verbose prints the table.
    """
    x = np.asarray(x)
    if hasattr(model_or_layer, "numerical_gradient") and hasattr(model_or_layer, "gradient"):
        model = model_or_layer
        _require_float64([("x", x)] + list(model.params.items()), "inputs and parameters")
        if t is None:
            raise ValueError("t (the targets) is needed to check a network's gradient")
        numeric = model.numerical_gradient(x, t)
        analytic = model.gradient(x, t)
        rows = [_row(key, analytic[key], numeric[key], tolerance, atol) for key in model.params]
    elif hasattr(model_or_layer, "forward") and hasattr(model_or_layer, "backward"):
        rows = _check_layer(model_or_layer, x, tolerance, atol, seed)
    else:
        raise TypeError(f"model_or_layer must be a network or a layer, got {type(model_or_layer).__name__}")
    report = GradientReport(rows, tolerance)
    if verbose:
        print(report)
    return report


def _check_layer(layer, x, tolerance, atol, seed):
    params = getattr(layer, "params", {})
    _require_float64([("x", x)] + list(params.items()), "inputs and parameters")
    x = x.copy()  # the check moves entries of x; the caller's array stays as it was
    rng = np.random.default_rng(check_seed(seed))
    state = layer.rng.bit_generator.state if hasattr(layer, "rng") else None  # the same dropout mask each time

    def loss(_):
        if state is not None:
            layer.rng.bit_generator.state = state
        return float(np.sum(layer.forward(x, train=True) * dout))

    dout = rng.standard_normal(np.shape(layer.forward(x, train=True)))
    loss(None)
    dx = layer.backward(dout.copy())
    analytic = {key: np.array(value, copy=True) for key, value in getattr(layer, "grads", {}).items()}
    rows = [_row("x", dx, numerical_gradient(loss, x), tolerance, atol)]
    for key, param in params.items():
        rows.append(_row(key, analytic[key], numerical_gradient(loss, param), tolerance, atol))
    return rows
