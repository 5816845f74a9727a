"""Edges found by trying every public entry point as a hostile user would (the round after the first):
each case gave a silent wrong number or lost work before its fix."""
import sys
import warnings

import numpy as np
import pytest

from framework.callbacks import EarlyStopping
from framework.network import MLP, conv_net
from framework.optimizers import SGD


def test_weight_decay_shrinks_convolution_filters_too(rng):
    """The L2 term covers every weight array that multiplies an input: Affine weights and filters."""
    model = conv_net((1, 6, 6), filters=(3,), kernel_size=3, hidden_size=4, output_size=2, seed=0)
    model.weight_decay = 0.5
    filters = model.params["W1"]
    expected_loss = 0.5 * 0.5 * sum(float((w ** 2).sum()) for w in (filters, model.params["W2"], model.params["W3"]))
    assert model.decay_loss() == pytest.approx(expected_loss, rel=1e-12)
    x, t = rng.normal(size=(4, 1, 6, 6)), np.array([0, 1, 0, 1])
    with_decay = model.gradient(x, t)["W1"]
    model.weight_decay = 0.0
    without = model.gradient(x, t)["W1"]
    np.testing.assert_allclose(with_decay - without, 0.5 * filters, rtol=1e-10, atol=1e-14)


def test_weight_decay_is_checked_when_set_on_the_model():
    model = MLP(4, [3], 2, seed=0)
    with pytest.raises(ValueError, match="weight_decay must be >= 0, got -1"):
        model.weight_decay = -1
    assert model.weight_decay == 0.0


def test_a_conv_net_refuses_images_of_another_shape_with_the_same_pixel_count(rng):
    model = conv_net((1, 8, 8), filters=(2,), kernel_size=3, hidden_size=4, output_size=2, seed=0)
    for shape in ((3, 1, 4, 16), (3, 1, 16, 4)):
        with pytest.raises(ValueError, match=r"x must be images of shape \(N, 1, 8, 8\) for this network"):
            model.predict(rng.normal(size=shape))
    assert model.predict(rng.normal(size=(3, 1, 8, 8))).shape == (3, 2)


def test_accuracy_of_a_network_with_nan_weights_is_refused_not_the_share_of_class_zero(rng):
    model = MLP(4, [3], 3, seed=0)
    model.params["W2"][...] = np.nan
    x, t = rng.normal(size=(10, 4)), np.zeros(10, dtype=int)  # every label 0: argmax of NaN rows is 0
    with pytest.raises(ValueError, match="scores or loss are not finite"):
        model.accuracy(x, t)
    with pytest.raises(ValueError, match="scores or loss are not finite"):
        model.evaluate(x, t)


def test_early_stopping_flags_must_be_what_they_say():
    with pytest.raises(TypeError, match="restore_best_weights must be True or False, got 'no'"):
        EarlyStopping(restore_best_weights="no")
    with pytest.raises(ValueError, match="min_delta must be >= 0"):
        EarlyStopping(min_delta=-1)


def test_shuffle_dataset_refuses_unequal_lengths(rng):
    from framework.book import shuffle_dataset
    with pytest.raises(ValueError, match="got 5 rows of x and 4 of t"):
        shuffle_dataset(rng.normal(size=(5, 2)), np.arange(4), seed=0)


def test_stratified_split_refuses_nan_labels_instead_of_dropping_their_rows():
    from framework.preprocessing import stratified_split
    with pytest.raises(ValueError, match="t must hold labels, got 1 NaN"):
        stratified_split(np.array([0.0, 1.0, np.nan, 0.0, 1.0, 0.0]), 0.5, seed=0)


def test_an_exponential_decay_that_underflows_keeps_the_run_going():
    from framework.schedules import ExponentialDecay, StepDecay
    schedule = ExponentialDecay(1e-3, gamma=0.5)
    assert schedule(2000) == 0.0  # 1e-3 * 0.5 ** 1999 is 0 in floats: the value itself, a rate optimizers take
    assert schedule(2) == 5e-4
    assert StepDecay(1e-3, step_size=1, gamma=1e-10)(100) == 0.0
    with pytest.raises(ValueError, match="beyond float range"):
        ExponentialDecay(1.0, gamma=10.0)(400)
    SGD(lr=schedule(2000))  # a rate an optimizer takes


def test_the_regressor_predicts_through_the_head_it_was_fitted_with(rng):
    from sklearn.exceptions import ConvergenceWarning

    from framework import MLPRegressor
    X = rng.normal(size=(40, 3))
    y = X @ [1.0, -2.0, 0.5]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPRegressor(hidden_layer_sizes=(5,), max_iter=5, random_state=0).fit(X, y)
    before = model.predict(X)
    model.set_params(loss="poisson")  # changes the next fit, not the fitted network
    np.testing.assert_array_equal(model.predict(X), before)


def test_mnist_labels_out_of_range_are_refused_as_a_damaged_file(tmp_path):
    from framework import datasets
    from test_datasets import make_mnist, write_idx
    make_mnist(tmp_path, gz=False)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([0, 1, 200, 3, 4, 5, 6, 7, 8, 9, 0, 1]), gz=False)
    with pytest.raises(ValueError, match=r"mnist train: labels must be 0 to 9, got 1 outside \(first: 200\)"):
        datasets.load_mnist(tmp_path)


def test_missing_mnist_names_the_command_that_fetches_it(tmp_path):
    from framework import datasets
    with pytest.raises(FileNotFoundError, match="python -m framework download mnist` fetches them") as info:
        datasets.load_mnist(tmp_path)
    assert "pass path=." not in str(info.value)


@pytest.mark.parametrize("argv, message", [
    (["train", "--early-stopping", "--validation-fraction", "0"], "--early-stopping needs a validation set to watch"),
    (["train", "--model", "convnet", "--early-stopping"], "the default for --model convnet is 0"),
    (["train", "--model", "convnet", "--hidden", "32", "--dropout", "0.5"], "--hidden, --dropout shape the MLP"),
    (["train", "--model", "convnet", "--batchnorm"], "--batchnorm shape the MLP"),
    (["gradcheck", "--samples", "5000"], "--samples 5000: the digits training set has 1437 samples"),
])
def test_command_line_settings_that_would_be_ignored_or_fail_later_are_refused_up_front(argv, message, capsys):
    from framework.cli import main
    assert main(argv + (["--progress", "0"] if argv[0] == "train" else [])) == 1
    err = capsys.readouterr().err
    assert message in err and "epoch" not in err.split(message)[0]


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
@pytest.mark.parametrize("weights, message", [
    ("nan", "sample_weight must be finite"), ("zeros", "sample_weight must not be all zero"),
    ("negative", "sample_weight must be >= 0"), ("short", "expected 40, got 39"),
])
def test_sample_weight_is_checked_on_every_solver(solver, weights, message, rng):
    from framework import MLPClassifier
    X, y = rng.normal(size=(40, 3)), np.arange(40) % 2
    w = {"nan": np.r_[np.nan, np.ones(39)], "zeros": np.zeros(40), "negative": np.r_[-1.0, np.ones(39)],
         "short": np.ones(39)}[weights]
    with pytest.raises(ValueError, match=message):
        MLPClassifier(hidden_layer_sizes=(3,), solver=solver, max_iter=3).fit(X, y, sample_weight=w)


def test_a_scalar_sample_weight_weighs_every_sample_alike(rng):
    """Without the L2 term (alpha=0; scikit-learn divides alpha by the weights' sum), equal weights are
    no weights: the same steps up to the rounding of a weighted mean (a few ulps a step, 3 steps)."""
    from sklearn.exceptions import ConvergenceWarning

    from framework import MLPClassifier
    X, y = rng.normal(size=(40, 3)), np.arange(40) % 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        settings = dict(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=3, random_state=0, alpha=0.0)
        a = MLPClassifier(**settings).fit(X, y, sample_weight=2.0)
        b = MLPClassifier(**settings).fit(X, y)
    np.testing.assert_allclose(a.coefs_[0], b.coefs_[0], rtol=1e-10, atol=1e-12)


def test_an_lbfgs_fit_continued_by_a_warm_started_adam_fit(rng):
    from sklearn.exceptions import ConvergenceWarning

    from framework import MLPClassifier
    X, y = rng.normal(size=(40, 3)), np.arange(40) % 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=3, warm_start=True, random_state=0)
        first = model.fit(X, y).coefs_[0].copy()
        model.set_params(solver="adam").fit(X, y)
    assert model.n_iter_ == 3 and len(model.loss_curve_) == 3 and not np.array_equal(model.coefs_[0], first)


def test_the_next_save_removes_what_a_save_killed_midway_left_behind(tmp_path):
    import subprocess
    from framework.fileio import atomic_write_text
    target = tmp_path / "run.npz"
    # A process that dies inside a save (SIGKILL: no cleanup runs) leaves its hidden temporary file.
    code = ("import os, signal, sys\nfrom framework.fileio import atomic_path\n"
            "with atomic_path(sys.argv[1]) as tmp:\n    open(tmp, 'wb').write(b'x' * 1000)\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n")
    subprocess.run([sys.executable, "-c", code, str(target)])
    assert len(list(tmp_path.glob(".run.npz.*.tmp"))) == 1 and not target.exists()
    atomic_write_text(target, "saved")
    assert target.read_text() == "saved" and list(tmp_path.iterdir()) == [target]


def test_evaluate_gives_the_whole_sets_loss_whatever_the_batch_size(rng):
    """With the decay per sample (scikit-learn's alpha), the L2 term is divided by the set's size once:
    evaluate in batches of 7 or of everything equals loss(x, t) on the whole set in inference mode."""
    model = MLP(4, [5], 3, seed=0, weight_decay=0.3, weight_decay_per_sample=True)
    x, t = rng.normal(size=(50, 4)), rng.integers(0, 3, size=50)
    whole = model.loss(x, t, train=False)
    for batch_size in (7, 50, 2048):
        assert model.evaluate(x, t, batch_size=batch_size)[0] == pytest.approx(whole, rel=1e-12)


def _noisy_data(rng):
    x = rng.normal(size=(60, 4))
    return x, (x[:, 0] + rng.normal(scale=2.0, size=60) > 0).astype(int)


def test_the_last_line_says_why_the_run_ended(rng, capsys):
    from framework.optimizers import Adam
    from framework.training import fit
    x, t = _noisy_data(rng)
    fit(MLP(4, [20], 2, seed=0), Adam(lr=0.05), x, t, epochs=3, validation_fraction=0.3, seed=0, progress=2)
    assert "done: 3 epochs (reached epoch 3, as planned)" in capsys.readouterr().out
    fit(MLP(4, [20], 2, seed=0), Adam(lr=0.05), x, t, epochs=200, validation_fraction=0.3, seed=0, progress=2,
        callbacks=[EarlyStopping(patience=2)])
    out = capsys.readouterr().out.strip().splitlines()[-1]
    assert "stopped early at epoch" in out and "by EarlyStopping" in out


def test_resuming_a_run_that_stopped_early_trains_on_with_patience_anew(rng, tmp_path):
    from framework.callbacks import ModelCheckpoint
    from framework.checkpoint import load_checkpoint
    from framework.optimizers import Adam
    from framework.training import fit
    x, t = _noisy_data(rng)
    path = tmp_path / "run.npz"
    callbacks = [EarlyStopping(patience=2), ModelCheckpoint(path)]
    first = fit(MLP(4, [20], 2, seed=0), Adam(lr=0.05), x, t, epochs=200, validation_fraction=0.3, seed=0,
                progress=0, callbacks=callbacks)
    stopped = first.epochs
    assert first.stopped_epoch == stopped < 200
    saved = load_checkpoint(path)
    again = fit(saved.model, saved.optimizer, x, t, epochs=stopped + 10, validation_fraction=0.3, seed=0, progress=0,
                callbacks=[EarlyStopping(patience=2), ModelCheckpoint(path)], resume_from=saved)
    assert again.epochs >= stopped + 2  # at least `patience` more epochs, not one


@pytest.mark.parametrize("make, error, message", [
    (lambda: conv_net((1, 8, 8), hidden_size=0), ValueError, "hidden_size must be >= 1, got 0"),
    (lambda: conv_net((1, 8, 8), output_size=1), ValueError, "output_size must be >= 2, got 1"),
    (lambda: conv_net((1, 8, 8), filters=32), TypeError, "filters must be a list of filter counts"),
    (lambda: conv_net((8, 8)), ValueError, r"input_shape must be \(C, H, W\) of one image"),
    (lambda: __import__("framework.network").network.SimpleConvNet(conv_param={"filter_nums": 3}), ValueError,
     r"conv_param has unknown key\(s\) \['filter_nums'\]"),
    (lambda: __import__("framework.im2col").im2col.conv_output_size(8, 3, stride=0), ValueError,
     "stride must be an integer >= 1, got 0"),
    (lambda: __import__("framework.im2col").im2col.im2col([[1.0, 2.0], [3.0, 4.0]], 1, 1), ValueError,
     r"x must be images of shape \(N, C, H, W\), got shape \(2, 2\)"),
])
def test_conv_builders_and_helpers_name_a_bad_argument(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_the_search_example_refuses_flags_it_would_ignore(capsys):
    from examples_path import load_example
    search = load_example("hyperparameter_search")
    with pytest.raises(SystemExit) as info:
        search.main(["--n-iter", "20", "--n-jobs", "2"])
    assert info.value.code == 2
    assert "--n-iter, --n-jobs set the scikit-learn search: add --sklearn" in capsys.readouterr().err


def test_a_checkpoint_listed_before_early_stopping_keeps_the_same_best_weights(rng, tmp_path):
    """[ModelCheckpoint, EarlyStopping] and [EarlyStopping, ModelCheckpoint] write the same file: the
    checkpoint saves after the epoch's other callbacks, so its best weights never lag an improvement."""
    from framework.callbacks import ModelCheckpoint
    from framework.checkpoint import load_checkpoint
    from framework.optimizers import Adam
    from framework.training import fit
    x, t = _noisy_data(rng)
    saved = []
    for order in ("checkpoint first", "early stopping first"):
        path = tmp_path / f"{order}.npz"
        callbacks = [ModelCheckpoint(path), EarlyStopping(patience=50)]
        model = MLP(4, [20], 2, seed=0)
        fit(model, Adam(lr=0.05), x, t, epochs=6, validation_fraction=0.3, seed=0, progress=0,
            callbacks=callbacks if order == "checkpoint first" else callbacks[::-1])
        best = load_checkpoint(path).best_weights
        np.testing.assert_array_equal(best["params"]["W1"], model.params["W1"])  # the model ends on the best
        saved.append(best["params"]["W1"])
    np.testing.assert_array_equal(saved[0], saved[1])


def test_gradient_check_of_a_sample_of_entries_still_catches_a_wrong_gradient(rng):
    from framework.gradcheck import gradient_check
    model = conv_net((1, 6, 6), filters=(3,), kernel_size=3, hidden_size=5, output_size=3, seed=0)
    for key in model.params:
        if key.startswith("b"):
            model.params[key] += rng.normal(scale=0.01, size=model.params[key].shape)  # off ReLU's kink
    x, t = rng.normal(size=(4, 1, 6, 6)), np.array([0, 1, 2, 0])
    calls = []
    report = gradient_check(model, x, t, entries=4, progress=lambda done, total: calls.append((done, total)))
    sizes = [min(4, p.size) for p in model.params.values()]
    assert report.passed and [row["checked"] for row in report.rows] == sizes
    assert calls[-1] == (sum(sizes), sum(sizes)) and len(calls) == sum(sizes)
    conv = model.layers[0]
    original = conv.parameter_gradients

    def off_by_a_tenth(dout):  # a backprop bug: every filter gradient 10% too large
        out = original(dout)
        conv.grads["W"] *= 1.1
        return out

    conv.parameter_gradients = off_by_a_tenth
    assert not gradient_check(model, x, t, entries=4).passed


def test_gradcheck_of_the_conv_net_on_the_command_line_takes_seconds_and_says_how_far_it_is(capsys):
    from framework.cli import main
    assert main(["gradcheck", "--model", "convnet", "--entries", "20"]) == 0
    captured = capsys.readouterr()
    # Eight arrays: seven hold more than 20 entries (20 checked each), b4 holds 10: 150 entries.
    assert "checked 150 of 150 entries" in captured.err and "all passed" in captured.out


def test_assigning_one_layer_of_coefs_changes_the_network_or_raises(rng):
    import copy
    import pickle

    from sklearn.exceptions import ConvergenceWarning

    from framework import MLPClassifier
    X, y = rng.normal(size=(30, 3)), np.arange(30) % 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)
    W = np.full((3, 4), 0.25)
    model.coefs_[0] = W
    np.testing.assert_array_equal(model.model_.params["W1"], W)
    model.intercepts_[-1] = np.ones(3)
    np.testing.assert_array_equal(model.model_.params["b2"], np.ones(3))
    with pytest.raises(ValueError, match=r"coefs_\[1\] must have shape \(4, 3\), got \(3, 4\)"):
        model.coefs_[1] = W
    with pytest.raises(ValueError, match=r"coefs_\[0\] must be finite"):
        model.coefs_[0] = np.full((3, 4), np.nan)
    assert type(pickle.loads(pickle.dumps(model.coefs_))) is list and len(copy.deepcopy(model.coefs_)) == 2


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.mark.parametrize("first, then", [(False, True), (True, False)])
def test_early_stopping_switched_between_warm_fits_watches_the_new_quantity(first, then, digits):
    from framework import MLPClassifier
    X, y = digits
    model = MLPClassifier(hidden_layer_sizes=(10,), max_iter=3, warm_start=True, early_stopping=first,
                          random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
        model.set_params(early_stopping=then).fit(X, y)
    assert len(model.loss_curve_) == 6
    if then:
        assert len(model.validation_scores_) == 3 and model.best_loss_ is None
    else:
        assert model.validation_scores_ is None and model.best_loss_ == min(model.loss_curve_[3:])


def test_early_stopping_on_small_data_of_many_classes_splits_at_random_as_scikit_learn(digits):
    from framework import MLPClassifier
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MLPClassifier(hidden_layer_sizes=(10,), max_iter=3, early_stopping=True, random_state=0)
        model.fit(X[:60], y[:60])  # 6 held out for 10 classes: no stratified split exists
    assert len(model.validation_scores_) == 3


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_early_stopping_on_ten_samples_holds_out_the_fewest_a_score_needs_and_says_so(kind):
    """scikit-learn refuses a held-out set under 2 samples; ours holds out 2 (one per class when
    stratified), warns, and trains; data too small for any split is refused with n_samples named."""
    from sklearn.exceptions import ConvergenceWarning

    from framework import MLPClassifier, MLPRegressor
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 3))
    y = np.arange(10) % 2 if kind == "classifier" else X[:, 0]
    make = MLPClassifier if kind == "classifier" else MLPRegressor
    model = make(hidden_layer_sizes=(4,), max_iter=3, early_stopping=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.warns(UserWarning, match=r"validation_fraction=0.1 holds out 1 of 10 samples; holding out 2"):
            model.fit(X, y)
    assert len(model.validation_scores_) == 3 and len(model._validation_set[0]) == 2
    if kind == "classifier":  # stratified: one of each class held out
        assert sorted(model._validation_set[1][:, 0]) == [0.0, 1.0]
    smallest = 4 if kind == "classifier" else 3
    with pytest.raises(ValueError, match=f"needs at least {smallest} samples.*got n_samples={smallest - 1}"):
        make(early_stopping=True).fit(X[:smallest - 1], y[:smallest - 1] if kind == "regressor" else [0, 1, 0])
