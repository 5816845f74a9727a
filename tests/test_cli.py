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
        png = plot_path.read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert (width, height) == (1000, 400)  # figsize (10, 4) at 100 dpi


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


def test_checkpoint_resume_evaluate_predict(tmp_path, capsys):
    path = tmp_path / "run.npz"
    assert main(["train", "--epochs", "2", "--progress", "0", "--checkpoint", str(path), "--schedule", "step"]) == 0
    assert main(["train", "--epochs", "4", "--progress", "2", "--resume", str(path), "--checkpoint", str(path)]) == 0
    out = capsys.readouterr().out
    assert "resuming" in out and "epoch 3/4" in out and "epoch 1/4" not in out
    from framework.checkpoint import load_checkpoint
    assert load_checkpoint(path).epoch == 4

    assert main(["evaluate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "accuracy 0." in out and "confusion matrix" in out and "precision" in out

    import numpy as np
    rows = np.random.default_rng(0).random((3, 64))
    np.save(tmp_path / "x.npy", rows)
    np.savetxt(tmp_path / "x.csv", rows, delimiter=",")
    assert main(["predict", str(path), str(tmp_path / "x.npy"), "--output", str(tmp_path / "p.csv")]) == 0
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[0].startswith("label,p0,") and len(lines) == 4
    probabilities = np.array([[float(v) for v in line.split(",")[1:]] for line in lines[1:]])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-4)
    capsys.readouterr()
    assert main(["predict", str(path), str(tmp_path / "x.csv")]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == lines[1:]


def test_early_stopping_flag_records_best_epoch(tmp_path, capsys):
    path = tmp_path / "run.npz"
    assert main(["train", "--epochs", "40", "--progress", "2", "--early-stopping", "--patience", "2",
                 "--lr", "0.03", "--checkpoint", str(path)]) == 0
    from framework.checkpoint import load_checkpoint
    history = load_checkpoint(path).history
    assert history.best_epoch is not None and history.epochs == history.best_epoch + 2 < 40


@pytest.mark.parametrize("argv, message", [
    (["evaluate", "missing.npz"], "No such file"),
    (["predict", "missing.npz", "x.npy"], "No such file"),
])
def test_cli_errors_are_one_line_without_traceback(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err and err.count("\n") == 1


def test_predict_rejects_wrong_feature_count(tmp_path, capsys):
    path = tmp_path / "run.npz"
    assert main(["train", "--epochs", "1", "--progress", "0", "--checkpoint", str(path)]) == 0
    import numpy as np
    np.save(tmp_path / "x.npy", np.zeros((2, 10)))
    assert main(["predict", str(path), str(tmp_path / "x.npy")]) == 1
    assert "x must have 64 features per sample, got shape (2, 10)" in capsys.readouterr().err


def test_other_datasets_and_an_unknown_one(capsys):
    assert main(["train", "--dataset", "moons", "--epochs", "2", "--progress", "0"]) == 0
    assert "moons: 320 training" in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        main(["train", "--dataset", "imagenet"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "invalid choice: 'imagenet'" in err


def test_cli_resume_is_bit_identical_to_an_uninterrupted_run(tmp_path, capsys):
    import numpy as np

    from framework.checkpoint import load_checkpoint
    straight, split = tmp_path / "straight.npz", tmp_path / "split.npz"
    common = ["--progress", "0", "--dropout", "0.1", "--batchnorm", "--optimizer", "rmsprop"]
    assert main(["train", "--epochs", "4", "--checkpoint", str(straight)] + common) == 0
    assert main(["train", "--epochs", "2", "--checkpoint", str(split)] + common) == 0
    assert main(["train", "--epochs", "4", "--resume", str(split), "--checkpoint", str(split), "--progress", "0"]) == 0
    a, b = load_checkpoint(straight), load_checkpoint(split)
    for key in a.model.params:
        np.testing.assert_array_equal(a.model.params[key], b.model.params[key])
    assert a.history.loss == b.history.loss and a.history.lr == b.history.lr


def test_an_interrupted_early_stopping_run_resumes_from_the_command_line(tmp_path, capsys):
    import numpy as np

    from framework.checkpoint import load, load_checkpoint
    flags = ["--progress", "0", "--early-stopping", "--patience", "2", "--lr", "0.03", "--dropout", "0.1"]
    straight = tmp_path / "straight.npz"
    assert main(["train", "--epochs", "40", "--checkpoint", str(straight)] + flags) == 0
    full = load_checkpoint(straight)
    best = full.history.best_epoch
    assert best < full.epoch < 40
    part = tmp_path / "part.npz"  # stopped (as if by Ctrl-C) one epoch after the best one
    assert main(["train", "--epochs", str(best + 1), "--checkpoint", str(part)] + flags) == 0
    assert main(["train", "--epochs", "40", "--resume", str(part), "--checkpoint", str(part)] + flags) == 0
    resumed = load_checkpoint(part)
    assert resumed.history.loss == full.history.loss and resumed.history.val_loss == full.history.val_loss
    assert resumed.history.best_epoch == best and resumed.epoch == full.epoch
    for key, value in full.model.params.items():
        np.testing.assert_array_equal(resumed.model.params[key], value, err_msg=key)
    np.testing.assert_array_equal(load(part).params["W1"], load(straight).params["W1"])
    capsys.readouterr()
    assert main(["evaluate", str(part)]) == 0
    resumed_report = capsys.readouterr().out.split("\n", 1)[1]  # the first line names the file
    assert main(["evaluate", str(straight)]) == 0
    assert capsys.readouterr().out.split("\n", 1)[1] == resumed_report


@pytest.fixture(scope="module")
def cli_files(tmp_path_factory):
    """A checkpoint from `train`, a crafted one without run settings, inputs good and bad."""
    import json

    import numpy as np
    folder = tmp_path_factory.mktemp("cli")
    assert main(["train", "--epochs", "1", "--progress", "0", "--checkpoint", str(folder / "run.npz")]) == 0
    with np.load(folder / "run.npz", allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    meta = json.loads(str(arrays.pop("__framework__")))
    original, meta["metadata"] = meta["metadata"], {}
    np.savez(folder / "no_settings.npz", **arrays, __framework__=np.array(json.dumps(meta)))
    meta["metadata"] = json.loads(json.dumps(original))
    meta["metadata"]["run"]["dataset"] = "digitz"
    np.savez(folder / "tampered.npz", **arrays, __framework__=np.array(json.dumps(meta)))
    meta["model"]["config"]["hidden_sizes"] = [10 ** 7, 10 ** 7]
    np.savez(folder / "absurd.npz", **arrays, __framework__=np.array(json.dumps(meta)))
    np.save(folder / "x.npy", np.zeros((2, 64)))
    np.save(folder / "huge.npy", np.full((2, 64), 1e308))
    (folder / "empty.csv").write_text("")
    np.save(folder / "strings.npy", np.array([["a"] * 64] * 2))
    np.save(folder / "complex.npy", np.ones((2, 64)) + 1j)
    np.save(folder / "narrow.npy", np.ones((360, 10)))
    assert main(["train", "--model", "convnet", "--epochs", "1", "--progress", "0", "--batch-size", "500",
                 "--checkpoint", str(folder / "conv.npz")]) == 0
    return folder


@pytest.mark.parametrize("argv, message", [
    (["predict", "{f}/x.npy", "{f}/run.npz"], "holds a single array (.npy), not a framework checkpoint"),
    (["predict", "{f}/run.npz", "{f}/empty.csv"], "holds no rows of numbers"),
    (["predict", "{f}/run.npz", "{f}/strings.npy"], "strings.npy must hold real numbers, got an array of dtype <U1"),
    (["predict", "{f}/run.npz", "{f}/complex.npy"], "complex.npy must hold real numbers, got an array of dtype complex"),
    (["predict", "{f}/run.npz", "{f}/complex.npy", "--scaled"], "must hold real numbers"),
    (["predict", "{f}/conv.npz", "{f}/narrow.npy"], "must be images of shape (N, 1, 8, 8) for this network, got shape (360, 10)"),
    (["predict", "{f}/conv.npz", "{f}/narrow.npy", "--scaled"], "got shape (360, 10)"),
    (["predict", "{f}/run.npz", "{f}/huge.npy", "--scaled"], "scores overflowed float64"),
    (["evaluate", "{f}/no_settings.npz"], "does not say how it was trained"),
    (["train", "--resume", "{f}/no_settings.npz"], "does not say how it was trained"),
    (["evaluate", "{f}/absurd.npz"], "more than this machine's"),
    (["evaluate", "{f}/tampered.npz"], "run setting 'dataset' is 'digitz', which this framework does not know"),
    (["train", "--resume", "{f}/tampered.npz"], "(known: digits, iris"),
    (["train", "--hidden", "100000", "100000"], "more than this machine's"),
    (["train", "--plot", "{f}/missing/curves.png"], "the folder"),
    (["train", "--plot", "{f}/curves.xyz"], "must end in one of"),
    (["train", "--checkpoint", "{f}"], "is a folder"),
    (["predict", "{f}/run.npz", "{f}/x.npy", "--output", "{f}/missing/p.csv"], "the folder"),
])
def test_what_a_user_can_get_wrong_is_one_line_and_exit_1(cli_files, argv, message, capsys):
    argv = [a.format(f=cli_files) for a in argv]
    capsys.readouterr()
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and message in captured.err, captured.err
    assert "Traceback" not in captured.err and captured.err.count("\n") == 1
    assert "epoch 1/" not in captured.out  # refused before training started


@pytest.mark.parametrize("argv", [["gradcheck", "--samples", "-1"], ["train", "--epochs", "-3"],
                                  ["train", "--dropout", "1.5"], ["train", "--seed", "x"], ["train", "--hidden", "0"]])
def test_bad_flag_values_are_one_line_and_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.startswith(f"error: argument {argv[1]}: ") and err.count("\n") == 1


def test_plot_writes_the_format_its_suffix_names(tmp_path):
    pytest.importorskip("matplotlib")
    assert main(["train", "--epochs", "1", "--progress", "0", "--plot", str(tmp_path / "c.svg"),
                 "--history", str(tmp_path / "h.json")]) == 0
    assert (tmp_path / "c.svg").read_text().lstrip().startswith("<?xml")
    import json
    assert len(json.loads((tmp_path / "h.json").read_text())["loss"]) == 1


@pytest.mark.parametrize("argv, what", [
    (["train", "--checkpoint", "X.npz", "--history", "X.npz"], "--history X.npz is the same file as --checkpoint X.npz"),
    (["train", "--checkpoint", "X.png", "--plot", "X.png"], "--plot X.png is the same file as --checkpoint X.png"),
    (["train", "--history", "h.csv", "--plot", "./h.csv"], "--plot ./h.csv is the same file as --history h.csv"),
    (["train", "--resume", "run.npz", "--history", "run.npz"], "--history run.npz is the same file as --resume run.npz"),
    (["predict", "model.npz", "rows.npy", "--output", "model.npz"], "--output model.npz is the same file as MODEL"),
    (["predict", "model.npz", "rows.csv", "--output", "rows.csv"], "--output rows.csv is the same file as INPUT"),
], ids=["checkpoint-history", "checkpoint-plot", "history-plot", "resume-history", "predict-model", "predict-input"])
def test_an_output_that_would_overwrite_another_file_is_refused_before_any_work(argv, what, tmp_path, monkeypatch,
                                                                                capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.npz").write_bytes(b"a finished model")
    (tmp_path / "rows.csv").write_text("1,2\n")
    assert main(argv + ["--progress", "0"] if argv[0] == "train" else argv) == 1
    assert what in capsys.readouterr().err
    assert (tmp_path / "model.npz").read_bytes() == b"a finished model"  # nothing was written
    assert (tmp_path / "rows.csv").read_text() == "1,2\n"
    assert not (tmp_path / "X.npz").exists() and not (tmp_path / "h.csv").exists()


def test_resuming_into_the_same_checkpoint_is_how_a_run_goes_on(tmp_path, capsys):
    path = str(tmp_path / "run.npz")
    assert main(["train", "--epochs", "1", "--progress", "0", "--checkpoint", path]) == 0
    assert main(["train", "--epochs", "2", "--progress", "0", "--resume", path, "--checkpoint", path]) == 0


@pytest.mark.parametrize("loss, header", [
    ("binary_cross_entropy", "label0,label1,label2,p0,p1,p2"), ("squared_error", "y0,y1,y2"), ("poisson", "y0,y1,y2")])
def test_predict_reads_each_output_as_the_models_loss_does(loss, header, tmp_path, capsys):
    """A multilabel model's outputs are each a yes/no (no argmax "label" across them); a regression's are values."""
    import numpy as np

    from framework import checkpoint as checkpoints
    from framework.network import MLP
    model = MLP(4, [5], 3, loss=loss, seed=0)
    x = np.random.default_rng(0).normal(size=(6, 4))
    checkpoints.save(model, tmp_path / "m.npz")
    np.save(tmp_path / "x.npy", x)
    capsys.readouterr()
    assert main(["predict", str(tmp_path / "m.npz"), str(tmp_path / "x.npy")]) == 0
    lines = capsys.readouterr().out.splitlines()
    table = np.array([line.split(",") for line in lines[1:]], dtype=float)
    assert lines[0] == header and table.shape[0] == 6
    if loss == "binary_cross_entropy":
        p = model.predict_proba(x)
        np.testing.assert_allclose(table[:, 3:], p, rtol=1e-5)
        assert (table[:, :3] == (p > 0.5)).all()
    else:
        expected = model.predict(x)
        np.testing.assert_allclose(table, np.exp(expected) if loss == "poisson" else expected, rtol=1e-5, atol=1e-6)


def test_predict_scales_raw_rows_as_training_did_and_says_how_to_skip_it(cli_files, tmp_path, capsys):
    """The checkpoint keeps the training data's scaling: digits' raw pixels 0..16 give the labels the
    model gives their scaled copy; --scaled takes rows already scaled."""
    import numpy as np
    from sklearn.datasets import load_digits

    from framework import checkpoint as checkpoints
    raw = load_digits().data[:20]
    np.save(tmp_path / "raw.npy", raw)
    np.savetxt(tmp_path / "scaled.csv", raw / 16, delimiter=",")
    tables = []
    for argv in (["{f}/raw.npy"], ["{f}/scaled.csv", "--scaled"]):
        capsys.readouterr()
        assert main(["predict", str(cli_files / "run.npz")] + [a.format(f=tmp_path) for a in argv]) == 0
        tables.append(np.loadtxt(capsys.readouterr().out.splitlines()[1:], delimiter=","))
    expected = checkpoints.load(cli_files / "run.npz").predict_proba(raw / 16)
    np.testing.assert_allclose(tables[0][:, 1:], expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(tables[0], tables[1])
    assert main(["predict", str(cli_files / "run.npz"), str(tmp_path / "raw.npy")]) == 0


def test_evaluate_says_once_in_its_own_words_which_classes_were_never_predicted(tmp_path, capsys):
    import warnings
    path = str(tmp_path / "iris.npz")
    assert main(["train", "--dataset", "iris", "--epochs", "1", "--progress", "0", "--checkpoint", path]) == 0
    capsys.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(["evaluate", path]) == 0
    out = capsys.readouterr().out
    assert not [w for w in caught if "UndefinedMetric" in type(w.message).__name__], caught
    import re
    matrix = [list(map(int, line.split()[1:])) for line in out.splitlines() if re.fullmatch(r"\s+\d( +\d+){3}", line)]
    never = [c for c in range(3) if sum(row[c] for row in matrix) == 0]
    assert len(matrix) == 3
    if never:  # one epoch of iris leaves a class unpredicted on this seed; the note names exactly those
        assert f"{', '.join(map(str, never))} never predicted" in out
    else:
        assert "never predicted" not in out
