"""Curves drawn as plain text for the terminal: no dependency, so every run can show its loss."""
import math

from .checks import check_number

MARKS = "•○×+"


def terminal_curve(series, width=60, height=12, title="loss per epoch"):
    """One or more per-epoch series drawn as plain text with Unicode marks and a y axis.

    `series` is a list of numbers or a dict {name: list}; each name gets its own mark (•, ○, ...),
    and a later series is drawn over an earlier one. Returns the text.
    """
    check_number(width, "width", low=2, integer=True)
    check_number(height, "height", low=3, integer=True)
    if not isinstance(series, dict):
        series = {"loss": series}
    series = {name: [float(v) for v in values if v is not None and math.isfinite(v)]
              for name, values in series.items()}
    series = {name: values for name, values in series.items() if values}
    if not series:
        return f"{title}: nothing to draw"
    epochs = max(len(values) for values in series.values())
    width = min(width, max(2, epochs))
    # Resample each series to `width` columns by averaging the epochs that fall into a column.
    columns = {name: _resample(values, width * len(values) // epochs or 1) for name, values in series.items()}
    top = max(max(c) for c in columns.values())
    bottom = min(min(c) for c in columns.values())
    # Halves, so that values near float's limits (1e308 and -1e308) never make the span infinite.
    half_span = (top / 2 - bottom / 2) or 0.5
    rows = [[" "] * width for _ in range(height)]
    for mark, values in zip(MARKS, columns.values()):
        for c, value in enumerate(values):
            rows[round((top / 2 - value / 2) / half_span * (height - 1))][c] = mark
    lines = [title + "   " + "   ".join(f"{mark} {name}" for mark, name in zip(MARKS, columns))]
    for r, row in enumerate(rows):
        tick = 2 * (top / 2 - half_span * (r / (height - 1)))
        axis = f"{_tick(tick)} ┤" if r in (0, height // 2, height - 1) else " " * 8 + " │"
        lines.append(axis + "".join(row).rstrip())
    lines.append(" " * 9 + "└" + "─" * width)
    last = str(epochs)
    lines.append(" " * 10 + "epoch 1" + " " * max(1, width - 7 - len(last)) + last)
    return "\n".join(lines)


def _resample(values, width):
    out = []
    for c in range(width):
        lo = c * len(values) // width
        hi = max(lo + 1, (c + 1) * len(values) // width)
        out.append(sum(values[lo:hi]) / (hi - lo))
    return out


def _tick(value):
    """An axis label 8 characters wide: fixed-point when it fits, else scientific."""
    text = f"{value:8.4f}"
    return text if len(text) <= 8 else f"{value:8.2g}"
