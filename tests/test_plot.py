import pytest

from framework.history import History
from framework.plot import plot_history


def make_history(epochs=6):
    history = History()
    for e in range(epochs):
        history.append(loss=1.0 / (e + 1), accuracy=0.5 + e / 20, val_loss=1.2 / (e + 1) + (0.1 if e > 3 else 0),
                       val_accuracy=0.5 + e / 25, lr=0.1, epoch_time=0.01)
    return history


def test_plot_history_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    history = make_history()
    history.best_epoch = 4
    path = plot_history(history, tmp_path / "curves.png")
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG" and path == tmp_path / "curves.png"
