"""framework.MLPClassifier as a scikit-learn estimator."""
import pickle
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

from framework import MLPClassifier  # noqa: E402

# Short test runs stop before convergence on purpose; the one test about the warning uses pytest.warns.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Checks scikit-learn may skip, and why that is acceptable here. Any other skip fails the test.
ALLOWED_SKIPS = {
    "check_array_api_input": "we compute with NumPy only; array-API inputs (CuPy, torch) are out of scope",
    "check_sample_weights_pandas_series": "skipped by scikit-learn only when pandas is not installed",
    "check_classifier_data_not_an_array": "skipped by scikit-learn only when pandas is not installed",
    "check_classifiers_multilabel_output_format_decision_function": "no decision_function, as scikit-learn's MLP",
}


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


def test_scikit_learn_estimator_checks_pass():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        results = check_estimator(MLPClassifier(max_iter=20), on_fail=None)
    failed = [(r["check_name"], repr(r["exception"])[:300]) for r in results if r["status"] == "failed"]
    assert not failed
    skipped = {r["check_name"] for r in results if r["status"] == "skipped"}
    assert skipped <= set(ALLOWED_SKIPS), skipped - set(ALLOWED_SKIPS)
    assert len(results) > 50


@pytest.mark.slow
def test_pipeline_cross_val_score_on_digits_reaches_097():
    X, y = load_digits(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(make_pipeline(StandardScaler(), MLPClassifier(random_state=0)), X, y,
                                 cv=StratifiedKFold(5, shuffle=True, random_state=0))
    assert scores.mean() >= 0.97


def test_side_by_side_with_scikit_learn_within_one_point(digits):
    from sklearn.neural_network import MLPClassifier as SklearnMLP
    X_train, X_test, y_train, y_test = digits
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    ours, theirs = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for seed in range(3):
            ours.append(MLPClassifier(max_iter=100, random_state=seed).fit(X_train, y_train).score(X_test, y_test))
            theirs.append(SklearnMLP(max_iter=100, random_state=seed).fit(X_train, y_train).score(X_test, y_test))
    assert np.mean(ours) >= np.mean(theirs) - 0.01


def test_clone_params_and_pickle(digits):
    X_train, X_test, y_train, _ = digits
    est = MLPClassifier(hidden_layer_sizes=(32,), solver="rmsprop", dropout=0.1, max_iter=5, random_state=0)
    assert clone(est).get_params() == est.get_params()
    est.set_params(learning_rate_init=0.01, batchnorm=True)
    assert est.get_params()["learning_rate_init"] == 0.01 and est.batchnorm is True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X_train / 16, y_train)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict_proba(X_test / 16), est.predict_proba(X_test / 16))
    assert not hasattr(clone(est), "model_")


def test_grid_search_with_two_jobs(digits):
    X_train, _, y_train, _ = digits
    grid = GridSearchCV(MLPClassifier(hidden_layer_sizes=(16,), max_iter=10, random_state=0),
                        {"learning_rate_init": [1e-3, 1e-2]}, cv=2, n_jobs=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(X_train / 16, y_train)
    assert grid.best_params_["learning_rate_init"] in (1e-3, 1e-2)
    assert len(grid.cv_results_["mean_test_score"]) == 2


def test_fitted_attributes_match_scikit_learn_names(digits):
    X_train, X_test, y_train, y_test = digits
    est = MLPClassifier(hidden_layer_sizes=(20, 10), max_iter=300, tol=1e-2, random_state=0).fit(X_train / 16, y_train)
    assert est.n_layers_ == 4 and est.n_outputs_ == 10 and est.out_activation_ == "softmax"
    assert [c.shape for c in est.coefs_] == [(64, 20), (20, 10), (10, 10)]
    assert [b.shape for b in est.intercepts_] == [(20,), (10,), (10,)]
    assert est.n_iter_ == len(est.loss_curve_) == est.history_.epochs < 300  # stopped on tol
    assert est.loss_ == est.loss_curve_[-1] and est.best_loss_ == min(est.loss_curve_)
    assert est.t_ == est.n_iter_ * len(X_train)
    assert est.validation_scores_ is None and est.best_validation_score_ is None
    assert est.n_features_in_ == 64
    proba = est.predict_proba(X_test / 16)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    np.testing.assert_allclose(np.exp(est.predict_log_proba(X_test / 16)), proba, rtol=1e-10)
    assert est.score(X_test / 16, y_test) > 0.9


def test_early_stopping_keeps_validation_scores_and_best_weights(digits):
    X_train, _, y_train, _ = digits
    est = MLPClassifier(early_stopping=True, max_iter=200, n_iter_no_change=3, random_state=0)
    est.fit(X_train / 16, y_train)
    assert est.n_iter_ < 200 and len(est.validation_scores_) == est.n_iter_
    assert est.best_validation_score_ == max(est.validation_scores_) and est.best_loss_ is None
    assert est.history_.val_loss[-1] is not None


def test_string_labels_non_contiguous_ints_binary_and_one_class():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y_int = np.where(X[:, 0] > 0, 7, 3)
    est = MLPClassifier(max_iter=100, random_state=0).fit(X, y_int)
    assert est.classes_.tolist() == [3, 7] and set(est.predict(X)) <= {3, 7}
    assert est.predict_proba(X).shape == (60, 2) and est.score(X, y_int) > 0.9
    y_str = np.where(X[:, 0] > 0, "cat", "dog")
    assert set(MLPClassifier(max_iter=50, random_state=0).fit(X, y_str).predict(X)) <= {"cat", "dog"}
    with pytest.warns(ConvergenceWarning):  # one class: a constant predictor, as scikit-learn's
        assert (MLPClassifier(max_iter=5).fit(X, np.zeros(60)).predict(X) == 0).all()


def test_convergence_warning_when_max_iter_ends_first():
    X, y = load_digits(return_X_y=True)
    with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(2\\)"):
        MLPClassifier(max_iter=2, random_state=0).fit(X[:200] / 16, y[:200])


def test_partial_fit_in_a_loop_continues_one_history_as_scikit_learns_does(digits):
    """Each partial_fit call is one epoch of one history; like scikit-learn's, each call draws its
    shuffle from a fresh RandomState(random_state), so only the first epoch equals fit's."""
    from sklearn.neural_network import MLPClassifier as ScikitLearnMLPClassifier
    X_train, _, y_train, _ = digits
    settings = dict(hidden_layer_sizes=(30,), random_state=3, tol=0.0, n_iter_no_change=1000)
    fitted = MLPClassifier(max_iter=5, **settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted.fit(X_train / 16, y_train)
    partial, theirs = MLPClassifier(**settings), ScikitLearnMLPClassifier(**settings)
    for _ in range(5):
        partial.partial_fit(X_train / 16, y_train, classes=np.arange(10))
        theirs.partial_fit(X_train / 16, y_train, classes=np.arange(10))
    np.testing.assert_allclose(partial.loss_curve_, theirs.loss_curve_, rtol=1e-12)
    assert partial.loss_curve_[0] == fitted.loss_curve_[0] and partial.n_iter_ == 1  # each call counts its own
    assert len(partial.loss_curve_) == 5 and partial.history_.epochs == 5
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        MLPClassifier().partial_fit(X_train, y_train)


def test_warm_start_continues_from_the_fitted_weights(digits):
    X_train, _, y_train, _ = digits
    est = MLPClassifier(max_iter=3, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X_train / 16, y_train)
        first_loss = est.loss_curve_[-1]
        est.fit(X_train / 16, y_train)
    assert est.n_iter_ == 3 and len(est.loss_curve_) == 6 and est.history_.epochs == 6  # n_iter_ counts this fit
    assert est.loss_curve_[3] < first_loss


def test_sample_weight_all_ones_equals_none_and_zero_weight_is_ignored():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4))
    y = (X[:, 0] > 0).astype(int)
    plain = MLPClassifier(max_iter=20, random_state=0, tol=0).fit(X, y)
    ones = MLPClassifier(max_iter=20, random_state=0, tol=0).fit(X, y, sample_weight=np.ones(40))
    np.testing.assert_allclose(plain.coefs_[0], ones.coefs_[0], rtol=1e-10)
    flipped = y.copy()
    flipped[:10] = 1 - flipped[:10]
    weights = np.r_[np.zeros(10), np.ones(30)]
    weighted = MLPClassifier(max_iter=300, random_state=0).fit(X, flipped, sample_weight=weights)
    assert weighted.score(X[:10], y[:10]) >= 0.9  # the flipped, zero-weight labels were not learned
    with pytest.raises(ValueError, match="sample_weight"):
        MLPClassifier().fit(X, y, sample_weight=-np.ones(40))


def test_feature_names_from_a_dataframe():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(30, 2)), columns=["height", "weight"])
    y = (X["height"] > 0).astype(int)
    est = MLPClassifier(max_iter=50, random_state=0).fit(X, y)
    assert est.feature_names_in_.tolist() == ["height", "weight"]


@pytest.mark.parametrize("params, message", [
    (dict(solver="newton"), "The 'solver' parameter of MLPClassifier must be a str among"),
    (dict(activation="softplus"), "The 'activation' parameter of MLPClassifier must be a str among"),
    (dict(alpha=-1.0), r"The 'alpha' parameter of MLPClassifier must be a float in the range \[0(\.0)?, inf\)\. Got -1\.0"),
    (dict(hidden_layer_sizes=(0,)), r"hidden_layer_sizes must be > 0, got \[0\]"),
    (dict(batch_size=0), "The 'batch_size' parameter of MLPClassifier must be"),
    (dict(learning_rate="cyclic"), "The 'learning_rate' parameter of MLPClassifier must be a str among"),
    (dict(threads=0), "The 'threads' parameter of MLPClassifier must be None or an int in the range"),
])
def test_bad_parameters_are_named_in_fit(params, message):
    X, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    est = MLPClassifier(**params)  # stored verbatim, checked in fit
    with pytest.raises(ValueError, match=message):
        est.fit(X, y)


def test_float32_estimator_stays_float32(digits):
    X_train, X_test, y_train, _ = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = MLPClassifier(max_iter=3, dtype=np.float32, random_state=0).fit(X_train / 16, y_train)
    assert all(c.dtype == np.float32 for c in est.coefs_)
    assert est.predict_proba(X_test).dtype == np.float32


def test_random_search_on_a_local_dask_cluster():
    pytest.importorskip("dask.distributed")
    from examples_path import load_example
    search_module = load_example("hyperparameter_search")
    search = search_module.main(["--sklearn", "--n-iter", "2", "--max-iter", "3", "--dask", "local"])
    assert len(search.cv_results_["mean_test_score"]) == 2 and search.best_score_ > 0.5


def test_conv_net_classifier_is_the_estimator_with_a_conv_net(digits):
    import pickle

    from sklearn.base import clone
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from framework import ConvNetClassifier
    X_train, X_test, y_train, y_test = digits
    est = ConvNetClassifier(filters=(8,), hidden_layer_sizes=(32,), max_iter=15, learning_rate_init=3e-3,
                            random_state=0)
    scaled = make_pipeline(FunctionTransformer(lambda X: X / 16), est).fit(X_train, y_train)
    assert scaled.score(X_test, y_test) > 0.9
    fitted = scaled[-1]
    assert fitted.coefs_[0].shape == (8, 1, 3, 3) and fitted.n_layers_ == 4
    assert clone(est).get_params()["filters"] == (8,)
    twin = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(twin.predict(X_test / 16), fitted.predict(X_test / 16))
    with pytest.raises(ValueError, match=r"image_shape must be \(C, H, W\) with C\*H\*W = the 64 features"):
        ConvNetClassifier(image_shape=(1, 7, 7), max_iter=1).fit(X_train, y_train)
