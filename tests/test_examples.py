"""Every example runs end to end with small settings, from another directory, writing its pictures."""
import os
import re
import subprocess
import sys

import pytest

from examples_path import EXAMPLES, load_example

HAVE_MATPLOTLIB = pytest.importorskip("framework.plot").available()

SMALL = {
    "train_digits": ["--epochs", "2"],
    "gradient_descent": ["--steps", "3"],
    "optimizer_comparison": ["--steps", "3", "--iterations", "5"],
    "weight_init": ["--epochs", "1"],
    "batch_norm": ["--scales", "2", "--epochs", "1", "--samples", "100"],
    "overfitting": ["--epochs", "2", "--samples", "100"],
    "pictures": ["--epochs", "2", "--digits-epochs", "1"],
    "backprop_walkthrough": [],
    "hyperparameter_search": ["--trials", "2", "--epochs", "2"],
    "train_convnet": ["--epochs", "1"],
    "visualize_filters": ["--epochs", "1"],
    "im2col_walkthrough": [],
    "augmentation": ["--epochs", "1", "--samples", "100"],
    "deep_convnet": ["--epochs", "1", "--samples", "200"],
}
PICTURES = {
    "gradient_descent": ["gradient_descent.png"],
    "optimizer_comparison": ["optimizer_comparison.png"],
    "weight_init": ["weight_init_histograms.png", "weight_init_loss.png"],
    "batch_norm": ["batch_norm.png"],
    "hyperparameter_search": ["hyperparameter_search.png"],
    "train_convnet": ["train_convnet.png"],
    "visualize_filters": ["visualize_filters.png"],
    "overfitting": ["overfitting.png"],
    "augmentation": ["augmentation.png", "augmentation_samples.png"],
    "deep_convnet": ["deep_convnet.png", "deep_convnet_misclassified.png"],
    "pictures": ["boundary_moons.png", "boundary_spiral.png", "digits_weights.png", "digits_misclassified.png",
                 "digits_confusion.png"],
}


def test_every_example_is_covered():
    scripts = {name[:-3] for name in os.listdir(EXAMPLES) if name.endswith(".py")}
    assert scripts == set(SMALL)


def cut_off(fig):
    """How far (in inches) what the figure draws sticks out of it on each side; {} when nothing does.

    matplotlib's tight bounding box covers every artist that is drawn (titles, axis and tick
    labels, legends), the box that bbox_inches="tight" would save.
    """
    fig.canvas.draw()
    drawn = fig.get_tightbbox(fig.canvas.get_renderer())
    width, height = fig.get_size_inches()
    sides = {"left": -drawn.x0, "bottom": -drawn.y0, "right": drawn.x1 - width, "top": drawn.y1 - height}
    return {side: round(amount, 3) for side, amount in sides.items() if amount > 0.02}


def test_the_cut_off_check_sees_a_label_outside_the_picture():
    if not HAVE_MATPLOTLIB:
        pytest.skip("needs matplotlib")
    from framework import plot
    fig, ax = plot._pyplot().subplots(figsize=(3, 2))
    fig.subplots_adjust(left=0, bottom=0)  # no room left for the tick and axis labels
    ax.set(xlabel="epoch", ylabel="loss")
    assert {"left", "bottom"} <= set(cut_off(fig))
    fig.tight_layout()
    assert cut_off(fig) == {}
    plot._pyplot().close(fig)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_example_runs(name, tmp_path, monkeypatch, capsys):
    if name == "hyperparameter_search":
        pytest.importorskip("sklearn")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "new" / "folder"  # --out makes the folder it is given
    checked = []
    if HAVE_MATPLOTLIB:
        from framework import plot
        save = plot.save

        def checking_save(fig, path):  # every picture: no label or title cut off at its edges
            assert cut_off(fig) == {}, f"{path}: labels cut off by {cut_off(fig)} inches"
            checked.append(os.path.basename(path))
            return save(fig, path)

        monkeypatch.setattr(plot, "save", checking_save)
    args = SMALL[name] + (["--out", str(out)] if name in PICTURES else [])
    load_example(name).main(args)
    assert capsys.readouterr().out.strip()
    if HAVE_MATPLOTLIB:
        assert sorted(checked) == sorted(PICTURES.get(name, []))
        for picture in PICTURES.get(name, []):
            assert (out / picture).read_bytes()[:4] == b"\x89PNG", picture


@pytest.mark.parametrize("name", sorted(SMALL))
def test_example_help_is_whole_sentences(name, capsys):
    with pytest.raises(SystemExit):
        load_example(name).main(["--help"])
    text = capsys.readouterr().out
    description = text.split("\n\n")[1]
    assert description.rstrip().endswith((".", ")", ":")), description  # the docstring's whole first paragraph
    options = text.split("options:")[1]
    entries = [e for e in re.split(r"\n  (?=-)", options) if e.strip() and not e.strip().startswith("-h")]
    for entry in entries:
        flag, _, help_text = re.split(r"\s{2,}", entry.strip(), maxsplit=1) + ["", ""] if "  " not in entry.strip() \
            else (lambda parts: (parts[0], "", parts[1]))(re.split(r"\s{2,}", entry.strip(), maxsplit=1))
        help_text = " ".join(help_text.split())
        assert help_text, f"{name}: {flag} has no help text"
        assert help_text[0].isupper() and help_text.endswith((".", ")")), f"{name}: {flag}: {help_text!r}"


def test_examples_run_as_scripts_from_any_directory(tmp_path):
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES, "backprop_walkthrough.py")], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "largest difference between backprop and central differences" in result.stdout


def test_walkthrough_returns_values_equal_to_numerical_gradients(capsys):
    result = load_example("backprop_walkthrough").main([])
    assert result.max_error() < 1e-8
    walkthrough = load_example("backprop_walkthrough")
    shopping = walkthrough.shopping()
    assert shopping["price"] == pytest.approx(715) and shopping["dtax"] == pytest.approx(650)
    apple = walkthrough.one_apple()  # the book's figure 5-16: 220, dapple 2.2, dapple_num 110, dtax 200
    assert (apple["price"], apple["dapple"], apple["dapple_num"], apple["dtax"]) == pytest.approx((220, 2.2, 110, 200))
    import math
    for x in (-3.0, 0.0, 0.5, 4.0):  # the sigmoid built from x -1, exp, +1 and / nodes
        graph = walkthrough.sigmoid_graph(x)
        y = 1 / (1 + math.exp(-x))
        assert graph["y"] == pytest.approx(y, rel=1e-15) and graph["dx"] == pytest.approx(y * (1 - y), rel=1e-12)
    text = capsys.readouterr().out
    assert "W    = [[" in text and "b    = [0., 0.]" in text  # the trace shows each layer's parameters


def test_trace_summarises_large_arrays():
    import numpy as np

    from framework.network import MLP
    from framework.trace import trace
    text = str(trace(MLP(30, [20], 3, seed=0), np.ones((2, 30)), [0, 1]))
    assert "W    = array of shape (30, 20): mean" in text and "std" in text and "max" in text
