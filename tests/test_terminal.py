"""framework.terminal: loss curves drawn as text."""
from framework.terminal import terminal_curve


def test_terminal_curve_draws_each_series_from_first_to_last_epoch():
    text = terminal_curve({"train": [3.0, 2.0, 1.0], "val": [3.0, 2.5, 2.0]}, width=3, height=5)
    lines = text.splitlines()
    assert "• train" in lines[0] and "○ val" in lines[0]
    plot_rows = lines[1:6]
    assert plot_rows[0].startswith("  3.0000 ┤")  # the top value sits on the first row
    assert plot_rows[-1].startswith("  1.0000 ┤") and plot_rows[-1].endswith("•")  # last train value at bottom right
    assert lines[-1].strip().startswith("epoch 1") and lines[-1].strip().endswith("3")
    assert "nothing to draw" in terminal_curve([])
    assert len(terminal_curve(list(range(500)), width=40).splitlines()[1]) <= 10 + 40


def test_terminal_curve_skips_missing_and_non_finite_values():
    text = terminal_curve({"train": [2.0, float("nan"), 1.0], "validation": [None, None]}, width=2, height=3)
    assert "• train" in text and "validation" not in text.splitlines()[0]
