"""Every example runs end to end with small settings, from another directory, writing its pictures."""
import os
import subprocess
import sys

import pytest

from examples_path import EXAMPLES, load_example

HAVE_MATPLOTLIB = pytest.importorskip("framework.plot").available()

SMALL = {
    "train_digits": ["--epochs", "2"],
    "gradient_descent": ["--steps", "3"],
    "optimizer_comparison": ["--steps", "3", "--epochs", "1"],
    "weight_init": ["--epochs", "1"],
    "batch_norm": ["--scales", "2", "--epochs", "1", "--samples", "100"],
    "overfitting": ["--epochs", "2", "--samples", "100"],
    "pictures": ["--epochs", "2", "--digits-epochs", "1"],
    "backprop_walkthrough": [],
    "hyperparameter_search": ["--n-iter", "2", "--max-iter", "2"],
}
PICTURES = {
    "gradient_descent": ["gradient_descent.png"],
    "optimizer_comparison": ["optimizer_comparison.png"],
    "weight_init": ["weight_init_histograms.png", "weight_init_loss.png"],
    "batch_norm": ["batch_norm.png"],
    "overfitting": ["overfitting.png"],
    "pictures": ["boundary_moons.png", "boundary_spiral.png", "digits_weights.png", "digits_misclassified.png",
                 "digits_confusion.png"],
}


def test_every_example_is_covered():
    scripts = {name[:-3] for name in os.listdir(EXAMPLES) if name.endswith(".py")}
    assert scripts == set(SMALL)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_example_runs(name, tmp_path, monkeypatch, capsys):
    if name == "hyperparameter_search":
        pytest.importorskip("sklearn")
    monkeypatch.chdir(tmp_path)
    args = SMALL[name] + (["--out", str(tmp_path)] if name in PICTURES else [])
    load_example(name).main(args)
    assert capsys.readouterr().out.strip()
    if HAVE_MATPLOTLIB:
        for picture in PICTURES.get(name, []):
            assert (tmp_path / picture).read_bytes()[:4] == b"\x89PNG", picture


def test_examples_run_as_scripts_from_any_directory(tmp_path):
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES, "backprop_walkthrough.py")], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "largest difference between backprop and central differences" in result.stdout


def test_walkthrough_returns_values_equal_to_numerical_gradients(capsys):
    result = load_example("backprop_walkthrough").main([])
    assert result.max_error() < 1e-8
    shopping = load_example("backprop_walkthrough").shopping()
    assert shopping["price"] == pytest.approx(715) and shopping["dtax"] == pytest.approx(650)
