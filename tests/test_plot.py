import pytest

from framework.history import History
from framework.plot import plot_history, terminal_curve


def make_history(epochs=6):
    history = History()
    for e in range(epochs):
        history.append(loss=1.0 / (e + 1), accuracy=0.5 + e / 20, val_loss=1.2 / (e + 1) + (0.1 if e > 3 else 0),
                       val_accuracy=0.5 + e / 25, lr=0.1, epoch_time=0.01)
    return history


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


def test_plot_history_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    history = make_history()
    history.best_epoch = 4
    path = plot_history(history, tmp_path / "curves.png")
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG" and path == tmp_path / "curves.png"
