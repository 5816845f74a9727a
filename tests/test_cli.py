import os
import subprocess
import sys

import pytest

from framework.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_train_prints_epochs_curve_and_accuracy(tmp_path, capsys):
    history_path, plot_path = tmp_path / "h.csv", tmp_path / "curves.png"
    argv = ["train", "--epochs", "3", "--progress", "2", "--history", str(history_path)]
    try:
        import matplotlib  # noqa: F401
        argv += ["--plot", str(plot_path)]
    except ImportError:
        plot_path = None
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "epoch 3/3  loss" in out and "val_loss" in out
    assert "loss per epoch" in out and "└" in out
    accuracy = float(out.strip().splitlines()[-1].split()[-1])
    assert 0.5 < accuracy <= 1.0
    assert len(history_path.read_text().splitlines()) == 4
    if plot_path is not None:
        assert plot_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_float32_and_options(capsys):
    assert main(["train", "--epochs", "1", "--progress", "0", "--dtype", "float32", "--hidden", "32", "16",
                 "--optimizer", "momentum", "--lr", "0.05", "--dropout", "0.1", "--batchnorm"]) == 0
    assert "test accuracy" in capsys.readouterr().out


def test_bad_flag_value_exits_with_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", "--optimizer", "lbfgs"])
    assert info.value.code == 2
    assert "invalid choice: 'lbfgs'" in capsys.readouterr().err


def test_python_dash_m_framework_runs_from_any_directory(tmp_path):
    result = subprocess.run([sys.executable, "-m", "framework", "train", "--epochs", "1", "--progress", "0"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "test accuracy" in result.stdout
