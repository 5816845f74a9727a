"""Check backpropagation against central differences: `gradient_check(model_or_layer, x, t)`.

For a network: its backprop gradients against central differences of loss(x, t), parameter by
parameter. For a loss layer (SoftmaxCrossEntropy, MeanSquaredError): dL/dx from backward(1.0).
For any other layer: L = sum(layer.forward(x) * dout) with a random upstream gradient dout, so
that backward(dout) must give dL/dx and every dL/dparam.

Two things make central differences lie, and both are handled instead of reported as failures:
- the step: (f(x + h) - f(x - h)) / 2h is off by about h**2 * f''' / 6, and by round-off of about
  eps * |f| / h. The step that balances them is h = eps**(1/3) (6e-6 in float64), scaled by the
  entry's size: h_i = eps**(1/3) * max(1, |x_i|). The book's fixed h = 1e-4 is too coarse where
  the loss bends sharply (batch normalization over 2 samples);
- kinks: where a step of +-h moves a ReLU input across 0 the function has no derivative there,
  and the quotient means nothing. Such entries are found (the layers' kink_state changes) and
  skipped, and the report says how many.
Everything runs in float64: float32's 7 digits leave too few for the difference quotient.
"""
import inspect

import numpy as np

from .checks import as_labels, check_number, check_seed


class GradientReport:
    """One row per checked array: name, shape, max abs error, max rel error, kinks skipped, passed."""

    def __init__(self, rows, tolerance, what=""):
        self.rows, self.tolerance, self.what = rows, tolerance, what

    @property
    def passed(self):
        return all(row["passed"] for row in self.rows)

    def __getitem__(self, name):
        return next(row for row in self.rows if row["name"] == name)

    def as_dict(self):
        return {"tolerance": self.tolerance, "passed": self.passed, "rows": self.rows}

    def __str__(self):
        lines = [self.what] if self.what else []
        lines += [f"{'array':<8} {'shape':<12} {'max abs error':>14} {'max rel error':>14} {'kinks':>6}  result",
                  "-" * 67]
        for row in self.rows:
            lines.append(f"{row['name']:<8} {str(row['shape']):<12} {row['max_abs_error']:>14.3e} "
                         f"{row['max_rel_error']:>14.3e} {row['kinks']:>6}  {'ok' if row['passed'] else 'FAILED'}")
        kinks = sum(row["kinks"] for row in self.rows)
        lines.append(f"{'all passed' if self.passed else 'some FAILED'} (relative tolerance {self.tolerance:g})")
        lines.append("abs error = |backprop - numerical|; rel error = abs error / (|backprop| + |numerical|), "
                     "counted as 0 where the abs error is within the quotient's round-off (a gradient that "
                     "is 0 by construction next to a numerical one of 1e-12 is right, though its ratio is 1).")
        if kinks:
            lines.append(f"skipped: {kinks} entries sit on a ReLU kink (a step of +-h crosses x = 0, where "
                         "there is no derivative); they are not errors of backprop.")
        return "\n".join(lines)

    def __repr__(self):
        return f"GradientReport({len(self.rows)} arrays, passed={self.passed})"


def step_size(dtype):
    """The central-difference step that balances truncation and round-off: eps ** (1/3) of the dtype."""
    return float(np.finfo(dtype).eps) ** (1 / 3)


def _row(name, analytic, numeric, kinks, tolerance, roundoff, checked=None):
    """An entry passes on relative error, or when its difference is within the quotient's round-off.
    checked: the entries compared (a boolean array like analytic's), or None for all of them."""
    diff = np.abs(analytic - numeric)
    within_roundoff = diff <= roundoff
    rel = np.where(within_roundoff, 0.0, diff / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-300))
    counted = ~kinks if checked is None else checked & ~kinks
    return {"name": name, "shape": tuple(analytic.shape), "max_abs_error": float(diff[counted].max(initial=0.0)),
            "max_rel_error": float(rel[counted].max(initial=0.0)), "kinks": int(kinks.sum()),
            "checked": int(analytic.size if checked is None else checked.sum()),
            "passed": bool((rel[counted] <= tolerance).all())}


def _require_float64(arrays, what):
    for name, array in arrays:
        if np.asarray(array).dtype != np.float64:
            raise TypeError(f"gradient_check needs float64 {what}: {name} is {np.asarray(array).dtype}. "
                            "float32 keeps about 7 significant digits, too few for a difference quotient to "
                            "judge a gradient; build the model or layer with dtype=np.float64")


def _kink_states(layers):
    return [layer.kink_state().copy() for layer in layers if hasattr(layer, "kink_state")]


def numerical_with_kinks(f, array, layers, step=None, indices=None, progress=None):
    """Central differences of f() with respect to each entry of `array` (changed in place and put back),
    with the step h_i = eps**(1/3) * max(1, |array_i|) (or h_i = step, as the book's 1e-4), and a
    boolean array marking the entries whose +-h steps changed the kink state of any of `layers`.
    indices: the flat positions to check (default: all; the others stay 0); progress: called after each.
    Returns (gradient, kinks, round-off bound of each quotient)."""
    grad, kinks = np.zeros_like(array), np.zeros(array.shape, dtype=bool)
    roundoff = np.zeros_like(array)
    flat, flat_grad, flat_kinks, flat_roundoff = array.reshape(-1), grad.reshape(-1), kinks.reshape(-1), \
        roundoff.reshape(-1)
    if not np.shares_memory(flat, array):
        raise ValueError("the array must be contiguous so that changing it in place is seen by the loss")
    base_value = f()
    base = _kink_states(layers)
    eps, h0 = float(np.finfo(array.dtype).eps), step_size(array.dtype)
    for i in (range(flat.size) if indices is None else indices):
        original = flat[i]
        h = h0 * max(1.0, abs(float(original))) if step is None else step
        flat[i] = original + h
        f_plus = f()
        moved = any(not np.array_equal(a, b) for a, b in zip(_kink_states(layers), base))
        flat[i] = original - h
        f_minus = f()
        moved = moved or any(not np.array_equal(a, b) for a, b in zip(_kink_states(layers), base))
        flat[i] = original
        flat_grad[i] = (f_plus - f_minus) / (2 * h)
        flat_kinks[i] = moved
        # Round-off of the quotient: a few units of the loss's last digit, over the step.
        flat_roundoff[i] = 16 * eps * max(abs(f_plus), abs(f_minus), abs(base_value), 1.0) / h
        if progress is not None:
            progress()
    return grad, kinks, roundoff


def gradient_check(model_or_layer, x, t=None, tolerance=1e-6, seed=0, verbose=False, entries=None, progress=None):
    """Compare backprop with central differences; returns a GradientReport (print it for a table).

    model_or_layer: a network (with params, grads, loss_function, e.g. MLP) and then t are its
    targets; a loss layer (forward(x, t)), with t its targets; or any other layer, for which a
    random upstream gradient drawn from `seed` is used and t is ignored. tolerance: the largest
    relative error that passes (entries within round-off pass too; entries on a kink are skipped).
    verbose prints the table. entries (networks): check at most that many entries of each parameter,
    drawn at random from `seed` (a large conv net has tens of thousands, two forward passes each);
    progress: a function called with (entries done, entries in all) after each entry.
    """
    check_number(tolerance, "tolerance", low=0, low_open=True)
    if entries is not None:
        check_number(entries, "entries", low=1, integer=True)
    check_seed(seed)
    target = model_or_layer
    if hasattr(target, "loss_function") and hasattr(target, "params"):
        if t is None:
            raise ValueError("t (the targets) is needed to check a network's gradient")
        rows, what = _check_network(target, x, t, tolerance, entries, seed, progress)
    elif hasattr(target, "forward") and hasattr(target, "backward") and not isinstance(target, type):
        if "t" in inspect.signature(target.forward).parameters:
            if t is None:
                raise ValueError(f"t (the targets) is needed to check the loss layer {type(target).__name__}")
            rows, what = _check_loss_layer(target, x, t, tolerance)
        else:
            rows, what = _check_layer(target, x, tolerance, seed)
    else:
        raise TypeError(f"model_or_layer must be a network or a layer, got {type(model_or_layer).__name__}")
    report = GradientReport(rows, tolerance, what)
    if verbose:
        print(report)
    return report


def _check_network(model, x, t, tolerance, entries=None, seed=0, progress=None):
    x = np.asarray(x)
    _require_float64([("x", x)] + list(model.params.items()), "inputs and parameters")
    x = model.check_input(x)
    t = model.check_targets(t, len(x)) if hasattr(model, "check_targets") else \
        as_labels(t, len(x), model.output_size, name="t")
    f = model.loss_function(x, t)
    f()
    model.backward()
    analytic = {key: value.copy() for key, value in model.grads.items()}
    rng = np.random.default_rng(seed)
    picked = {key: None if entries is None or param.size <= entries else
              np.sort(rng.choice(param.size, size=entries, replace=False)) for key, param in model.params.items()}
    total = sum(param.size if picked[key] is None else len(picked[key]) for key, param in model.params.items())
    done = [0]

    def step():
        done[0] += 1
        progress(done[0], total)

    rows = []
    for key, param in model.params.items():
        numeric, kinks, roundoff = numerical_with_kinks(f, param, model.layers, indices=picked[key],
                                                        progress=None if progress is None else step)
        checked = None
        if picked[key] is not None:
            checked = np.zeros(param.size, dtype=bool)
            checked[picked[key]] = True
            checked = checked.reshape(param.shape)
        rows.append(_row(key, analytic[key], numeric, kinks, tolerance, roundoff, checked))
    f.restore()
    count = sum(p.size for p in model.params.values())
    sampled = "" if total == count else f", {total:,} entries checked (at most {entries} per array, drawn at random)"
    what = f"{type(model).__name__}: {count:,} parameters{sampled}, {len(x)} samples, float64, 2 forward passes each"
    note = getattr(getattr(model, "loss_layer", None), "gradient_note", None)  # (a model of one's own may lack it)
    if note:
        what += f"\nnote: {note}"
    return rows, what


def _check_loss_layer(layer, x, t, tolerance):
    x = np.array(x, dtype=float, copy=True) if np.asarray(x).dtype.kind in "iub" else np.array(x, copy=True)
    _require_float64([("x", x)], "inputs")

    def loss():
        return layer.forward(x, t)

    numeric, kinks, roundoff = numerical_with_kinks(loss, x, [])
    loss()
    dx = layer.backward(1.0)
    return [_row("x", dx, numeric, kinks, tolerance, roundoff)], \
        f"{type(layer).__name__}: dL/dx for x of shape {x.shape}, float64"


def _check_layer(layer, x, tolerance, seed):
    params = getattr(layer, "params", {})
    x = np.array(x, copy=True)  # the check moves entries of x; the caller's array stays as it was
    _require_float64([("x", x)] + list(params.items()), "inputs and parameters")
    rng = np.random.default_rng(seed)
    state = layer.rng.bit_generator.state if hasattr(layer, "rng") else None  # the same dropout mask each time

    def loss():
        if state is not None:
            layer.rng.bit_generator.state = state
        return float(np.sum(layer.forward(x, train=True) * dout))

    dout = rng.standard_normal(np.shape(layer.forward(x, train=True)))
    loss()
    dx = layer.backward(dout.copy())
    analytic = {key: np.array(value, copy=True) for key, value in getattr(layer, "grads", {}).items()}
    rows = []
    for name, array in [("x", x)] + list(params.items()):
        numeric, kinks, roundoff = numerical_with_kinks(loss, array, [layer])
        rows.append(_row(name, dx if name == "x" else analytic[name], numeric, kinks, tolerance, roundoff))
    return rows, f"{type(layer).__name__}: L = sum(forward(x) * dout) with a random dout, float64"
