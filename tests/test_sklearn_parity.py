"""Our estimators against scikit-learn's own on the same data: lbfgs from the same start, the
iteration counts, verbose lines, warnings, error messages, dtypes and settable weights."""
import re
import warnings

import numpy as np
import pytest
import sklearn.neural_network as sk
from sklearn.datasets import load_iris, make_regression
from sklearn.exceptions import ConvergenceWarning

import framework


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X / X.max(axis=0), y


def _same_start(ours, theirs, X, y):
    """Fit both for one iteration, then give ours scikit-learn's weights."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.fit(X, y)
        ours.fit(X, y)
    ours.coefs_, ours.intercepts_ = theirs.coefs_, theirs.intercepts_


#: L-BFGS iterations whose path is determined by the arithmetic. Both sides compute the same objective
#: and gradient with sums in different orders: each differs by a few ulps of its terms, at most about
#: n_terms * eps relative. While the line searches take the same branches, k iterations carry that
#: error forward about k times. Later, a tiny difference can tip a line search one way or the other,
#: and from there the paths part (measured: 50-200 iterations on these problems, on some BLAS kernels
#: 20), so a comparison after a full run promises nothing.
DETERMINED_ITERATIONS = (1, 2, 5, 10)


def _lbfgs_paths_agree(ours, theirs, X, y, settings, n_terms):
    """Our lbfgs and scikit-learn's from the same start: the loss after each of the first iterations
    within DETERMINED_ITERATIONS' bound, with the same n_iter_."""
    eps = np.finfo(np.float64).eps
    for k in DETERMINED_ITERATIONS:
        a, b = theirs(**settings), ours(**settings)
        _same_start(b, a, X, y)
        a.set_params(max_iter=k)
        b.set_params(max_iter=k)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            a.fit(X, y)
            b.fit(X, y)
        assert b.n_iter_ == a.n_iter_ == k
        assert abs(a.loss_ - b.loss_) <= k * n_terms * eps * abs(a.loss_), (k, a.loss_, b.loss_)
    return b


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_lbfgs_from_the_same_start_reaches_scikit_learns_loss(kind, iris):
    if kind == "classifier":
        X, y = iris
        ours, theirs = framework.MLPClassifier, sk.MLPClassifier
    else:
        X, y = make_regression(100, 5, noise=1.0, random_state=0)
        y = y / y.std()
        ours, theirs = framework.MLPRegressor, sk.MLPRegressor
    settings = dict(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=1, warm_start=True, random_state=0)
    b = _lbfgs_paths_agree(ours, theirs, X, y, settings, n_terms=y.size * (3 if kind == "classifier" else 1))
    assert not hasattr(b, "partial_fit") and not hasattr(b, "loss_curve_")


def test_lbfgs_stopped_by_max_iter_warns_as_scikit_learn(iris):
    X, y = iris
    messages = []
    for estimator in (sk.MLPClassifier, framework.MLPClassifier):
        with pytest.warns(ConvergenceWarning) as record:
            fitted = estimator(solver="lbfgs", max_iter=3, random_state=0).fit(X, y)
        messages.append(str(record[0].message))
        assert fitted.n_iter_ == 3
    assert messages[0] == messages[1]


def test_iteration_counts_follow_scikit_learn(iris):
    X, y = iris
    counts = []
    for estimator in (sk.MLPClassifier, framework.MLPClassifier):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = estimator(max_iter=3, warm_start=True, random_state=0).fit(X, y)
            model.fit(X, y)  # warm start: n_iter_ counts this fit, loss_curve_ and t_ go on
            row = [model.n_iter_, len(model.loss_curve_), model.t_]
            model.partial_fit(X, y)
            counts.append(row + [model.n_iter_, len(model.loss_curve_)])
    assert counts[0] == counts[1] == [3, 6, 900, 1, 7]


def test_n_iter_no_change_inf_runs_to_max_iter_and_warns(iris):
    X, y = iris
    for estimator in (sk.MLPClassifier, framework.MLPClassifier):
        with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(4\\) reached"):
            assert estimator(max_iter=4, n_iter_no_change=np.inf, tol=10.0, random_state=0).fit(X, y).n_iter_ == 4


@pytest.mark.parametrize("settings", [dict(), dict(early_stopping=True, validation_fraction=0.2),
                                      dict(solver="sgd", learning_rate="adaptive", learning_rate_init=0.5)])
def test_verbose_prints_scikit_learns_lines(settings, iris, capsys):
    X, y = iris
    lines = []
    for estimator in (sk.MLPClassifier, framework.MLPClassifier):
        estimator(max_iter=30, tol=10.0, n_iter_no_change=2, verbose=True, random_state=0, **settings).fit(X, y)
        out = capsys.readouterr().out.splitlines()
        assert out and all(re.fullmatch(r"Iteration \d+, loss = \d+\.\d{8}", line) for line in out
                           if line.startswith("Iteration"))
        # Everything but the numbers is the same text.
        lines.append(sorted({re.sub(r"\d+\.\d+|\d+", "#", line) for line in out}))
    assert lines[0] == lines[1]


def test_float32_input_keeps_float32_and_dtype_overrides(iris):
    X, y = iris
    for estimator in (sk.MLPClassifier, framework.MLPClassifier):
        fitted = estimator(max_iter=5, random_state=0).fit(X.astype(np.float32), y)
        assert fitted.coefs_[0].dtype == np.float32
        assert fitted.predict_proba(X.astype(np.float32)).dtype == np.float32
    assert framework.MLPClassifier(max_iter=5, dtype=np.float64).fit(X.astype(np.float32), y).coefs_[0].dtype \
        == np.float64
    assert framework.MLPRegressor(max_iter=5).fit(X.astype(np.float32), y).predict(X).dtype == np.float32
    assert sk.MLPRegressor(max_iter=5).fit(X.astype(np.float32), y).predict(X.astype(np.float32)).dtype == np.float32


def test_errors_are_scikit_learns_word_for_word(iris):
    X, y = iris
    y_one = (y > 0).astype(int)
    y_one[0], y_one[1:50] = 0, 1  # two classes, one with a single member
    cases = [
        lambda e: e(early_stopping=True).fit(X, y_one),
        lambda e: e().partial_fit(X, y),
        lambda e: e().partial_fit(X, y, classes=[0, 1, 2]).partial_fit(X, y, classes=[0, 1, 2, 3]),
        lambda e: e(max_iter=1, warm_start=True).fit(X, y).fit(X[y < 2], y[y < 2]),
    ]
    for make in cases:
        messages = []
        for estimator in (sk.MLPClassifier, framework.MLPClassifier):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                with pytest.raises(ValueError) as info:
                    make(estimator)
            messages.append(str(info.value))
        assert messages[0] == messages[1]
    # partial_fit with early_stopping: scikit-learn raises ValueError; ours has no partial_fit then
    # (AttributeError, caused by the same words), so that the estimator checks pass
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        sk.MLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as info:
        framework.MLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])
    assert "partial_fit does not support early_stopping=True" in str(info.value.__cause__)
    assert not hasattr(framework.MLPClassifier(early_stopping=True), "partial_fit")
    # a held-out set too small for a score (1 sample; under one per class): scikit-learn refuses, ours
    # holds out the fewest a score needs and warns (so that check_estimator's 10-sample fits train)
    for rows, refusal in ((100, "The test_size = 1 should be greater or equal to the number of classes = 2"),
                          (150, "The validation set is too small")):
        with pytest.raises(ValueError, match=refusal):
            sk.MLPClassifier(early_stopping=True, validation_fraction=0.005).fit(X[:rows], y[:rows])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            with pytest.warns(UserWarning, match=f"holds out 1 of {rows} samples; holding out 2"):
                framework.MLPClassifier(early_stopping=True, validation_fraction=0.005, max_iter=2).fit(
                    X[:rows], y[:rows])
    y_many = y.copy()
    y_many[0] = 3  # several classes, one with a single member: scikit-learn splits at random and trains
    for estimator in (sk.MLPClassifier, framework.MLPClassifier):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            assert estimator(early_stopping=True, max_iter=3).fit(X, y_many).n_iter_ >= 1


def test_coefs_and_intercepts_are_settable_and_checked(iris):
    X, y = iris
    model = framework.MLPClassifier(hidden_layer_sizes=(5,), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    zeros = [np.zeros_like(w) for w in model.coefs_]
    model.coefs_ = zeros
    model.intercepts_ = [np.zeros_like(b) for b in model.intercepts_]
    np.testing.assert_allclose(model.predict_proba(X), 1 / 3)
    with pytest.raises(ValueError, match=r"coefs_\[0\] must have shape \(4, 5\), got \(5, 4\)"):
        model.coefs_ = [zeros[0].T, zeros[1]]
    with pytest.raises(ValueError, match="intercepts_ must hold 2 arrays"):
        model.intercepts_ = [np.zeros(5)]


def test_the_current_learning_rate_is_readable_as_in_scikit_learn(iris):
    X, y = iris
    rates = []
    for estimator in (sk.MLPClassifier, framework.MLPClassifier):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = estimator(solver="sgd", learning_rate="invscaling", power_t=0.5, max_iter=3,
                              random_state=0).fit(X, y)
        rates.append(model._optimizer.learning_rate)
    assert rates[0] == pytest.approx(rates[1]) == 0.001 / (450 + 1) ** 0.5


@pytest.mark.parametrize("target", ["binary", "multilabel"])
def test_logistic_outputs_match_scikit_learn_from_the_same_start(target, iris):
    from sklearn.datasets import make_multilabel_classification
    if target == "binary":
        X, y = iris[0][50:], iris[1][50:]  # versicolor and virginica overlap
        extra = dict(binary_output="logistic")
    else:
        X, y = make_multilabel_classification(150, 8, n_classes=3, random_state=0)
        X, extra = X / X.max(), {}
    # alpha keeps the probabilities away from 0 and 1: there scikit-learn clips them to [eps, 1 - eps]
    # and we do not (on separable data the losses then part by about 1e-4).
    settings = dict(hidden_layer_sizes=(6,), solver="lbfgs", max_iter=1, warm_start=True, random_state=0, alpha=0.1)
    a, b = sk.MLPClassifier(**settings), framework.MLPClassifier(**settings, **extra)
    _same_start(b, a, X, y)
    assert [w.shape for w in b.coefs_] == [w.shape for w in a.coefs_]
    assert (b.n_outputs_, b.out_activation_) == (a.n_outputs_, a.out_activation_) == (1 if target == "binary" else 3,
                                                                                        "logistic")
    a.set_params(max_iter=60)
    b.set_params(max_iter=60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a.fit(X, y)
        b.fit(X, y)
    assert abs(a.loss_ - b.loss_) < 1e-6
    np.testing.assert_allclose(b.predict_proba(X), a.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(b.predict(X), a.predict(X))
    assert b.score(X, y) == a.score(X, y)


def test_multilabel_trains_with_adam_and_refuses_labels_later():
    from sklearn.datasets import make_multilabel_classification
    X, Y = make_multilabel_classification(200, 10, n_classes=4, random_state=0)
    model = framework.MLPClassifier(hidden_layer_sizes=(20,), max_iter=200, random_state=0).fit(X / X.max(), Y)
    theirs = sk.MLPClassifier(hidden_layer_sizes=(20,), max_iter=200, random_state=0).fit(X / X.max(), Y)
    assert model.predict(X).shape == Y.shape and set(np.unique(model.predict(X))) <= {0, 1}
    # the same start and the same steps: the same subset accuracy, within 4 of the 200 rows
    assert abs(model.score(X / X.max(), Y) - theirs.score(X / X.max(), Y)) <= 0.02
    assert model.loss_curve_[-1] < model.loss_curve_[0]
    with pytest.raises(ValueError, match="y is labels, but the network was fitted on an indicator matrix"):
        model.set_params(warm_start=True).fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="must hold 0 or 1"):
        framework.MLPClassifier(max_iter=2).fit(X, Y * 2)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_sparse_input_gives_the_dense_results_without_densifying(solver):
    import scipy.sparse as sparse
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    X = X[:400] / 16
    y = y[:400]
    settings = dict(hidden_layer_sizes=(20,), max_iter=8, random_state=0, solver=solver)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dense = framework.MLPClassifier(**settings).fit(X, y)
        for kind in (sparse.csr_matrix, sparse.csc_matrix, sparse.csr_array):
            sparse_fit = framework.MLPClassifier(**settings).fit(kind(X), y)
            np.testing.assert_allclose(sparse_fit.coefs_[0], dense.coefs_[0], atol=1e-12)
            np.testing.assert_allclose(sparse_fit.predict_proba(kind(X)), dense.predict_proba(X), atol=1e-12)
    regressor = framework.MLPRegressor(hidden_layer_sizes=(5,), random_state=0)
    regressor.partial_fit(sparse.csr_matrix(X), X[:, 20])
    assert regressor.predict(sparse.csr_matrix(X[:3])).shape == (3,)
    with pytest.raises(TypeError, match="[Ss]parse"):
        framework.ConvNetClassifier(max_iter=1).fit(sparse.csr_matrix(X), y)


def test_poisson_regression_matches_scikit_learn_from_the_same_start():
    rng = np.random.default_rng(0)
    X = rng.random((200, 4))
    y = rng.poisson(np.exp(X @ [1.0, -1.0, 0.5, 0.2])).astype(float)
    settings = dict(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=1, warm_start=True, random_state=0,
                    loss="poisson")
    b = _lbfgs_paths_agree(framework.MLPRegressor, sk.MLPRegressor, X, y, settings, n_terms=y.size)
    assert b.out_activation_ == "exp" and sk.MLPRegressor(**settings).fit(X, y).out_activation_ == "exp"
    with pytest.raises(ValueError, match=r"y must be >= 0 for loss='poisson' \(counts or rates\), got -"):
        framework.MLPRegressor(loss="poisson").fit(X, -y - 1)


def test_poisson_layer_is_half_the_deviance_and_its_gradient(rng):
    from framework.gradcheck import gradient_check
    from framework.layers import PoissonDeviance
    x, t = rng.normal(size=(5, 2)), rng.poisson(2.0, size=(5, 2)).astype(float)
    assert gradient_check(PoissonDeviance(), x, t).passed
    mu = np.exp(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_log = np.where(t > 0, t * np.log(t / mu), 0.0)
    assert PoissonDeviance().forward(x, t) == pytest.approx((t_log - t + mu).sum() / 5, rel=1e-12)


def test_dataframe_feature_names_are_kept_and_checked_as_in_scikit_learn():
    pd = pytest.importorskip("pandas")
    X, y = load_iris(return_X_y=True, as_frame=True)
    outcomes = []
    for estimator in (sk.MLPClassifier, framework.MLPClassifier):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = estimator(max_iter=3, random_state=0).fit(X, y)
        with pytest.raises(ValueError) as renamed:
            model.predict(X.rename(columns=lambda name: name + "_x"))
        with pytest.warns(UserWarning) as bare:
            model.predict(X.values)
        outcomes.append((list(model.feature_names_in_), str(renamed.value), str(bare[0].message)))
    assert isinstance(X, pd.DataFrame) and outcomes[0] == outcomes[1]


def test_a_warm_started_fit_that_stops_at_max_iter_warns_as_scikit_learn(iris):
    X, y = iris
    for estimator in (sk.MLPClassifier, framework.MLPClassifier):
        model = estimator(max_iter=2, warm_start=True, tol=0.0, random_state=0)
        with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(2\\) reached"):
            model.fit(X, y)
        with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(2\\) reached"):
            model.fit(X, y)


@pytest.mark.parametrize("make", [
    lambda **kw: framework.ConvNetClassifier(filters=(8,), hidden_layer_sizes=(32,), max_iter=100, **kw),
    lambda **kw: framework.MLPClassifier(max_iter=20, **kw),
    lambda **kw: framework.MLPRegressor(max_iter=100, **kw)], ids=["ConvNetClassifier", "MLPClassifier", "MLPRegressor"])
@pytest.mark.parametrize("settings", [{}, pytest.param({"solver": "lbfgs"}, marks=pytest.mark.slow),
                                      pytest.param({"early_stopping": True}, marks=pytest.mark.slow)],
                         ids=["adam", "lbfgs", "early_stopping"])  # (the other solvers' sweeps: a minute, in CI)
def test_scikit_learns_estimator_checks_pass_for_every_estimator(make, settings):
    """ConvNetClassifier too: without image_shape it takes a square image where one fits, else a row of pixels.
    With early_stopping the checks' 10-sample fits train (the held-out set grows to the fewest a score needs),
    and only the sample-weight equivalence checks are expected to fail: a random held-out set of rows cannot
    equal one drawn from the same rows repeated (scikit-learn's MLP fails them too, with 3 more)."""
    from sklearn.utils.estimator_checks import check_estimator
    expected = {name: "a random held-out split of rows differs from a split of the rows repeated"
                for name in ("check_sample_weight_equivalence_on_dense_data",
                             "check_sample_weight_equivalence_on_sparse_data")} if settings.get("early_stopping") else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(make(**settings), on_fail=None, expected_failed_checks=expected)
    assert not [(r["check_name"], repr(r["exception"])[:200]) for r in results if r["status"] == "failed"]
    ran = {r["check_name"] for r in results}
    assert {r["check_name"] for r in results if r["status"] == "xfail"} == set(expected) & ran
    # skipped: the array API (not ours), and decision_function's multilabel format (we have none)
    assert {r["check_name"] for r in results if r["status"] == "skipped"} <= {
        "check_array_api_input", "check_classifiers_multilabel_output_format_decision_function"}


@pytest.mark.parametrize("settings", [
    {"solver": "sgd", "learning_rate": "invscaling", "learning_rate_init": 0.1},
    {"solver": "sgd", "learning_rate": "adaptive", "nesterovs_momentum": False, "learning_rate_init": 0.1},
    {"solver": "sgd", "momentum": 0.0},
    {"solver": "adam", "epsilon": 1e-3},
    {"solver": "adam", "hidden_layer_sizes": (8, 8), "activation": "logistic"}], ids=str)
def test_the_same_start_and_update_rules_give_scikit_learns_weights(settings):
    """Glorot start drawn from random_state as scikit-learn draws it, and its rules: momentum with the
    rate inside the velocity (invscaling, adaptive), Adam's eps before the bias correction. Without
    shuffling the two runs take the same 150 steps; they part only by rounding (measured: 2e-15)."""
    from sklearn.datasets import load_iris
    from sklearn.preprocessing import StandardScaler
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    settings = {"hidden_layer_sizes": (8,), **settings}
    fitted = []
    for estimator in (sk.MLPClassifier, framework.MLPClassifier):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fitted.append(estimator(max_iter=30, shuffle=False, batch_size=30, random_state=0, **settings).fit(X, y))
    theirs, ours = fitted
    assert ours.n_iter_ == theirs.n_iter_ and ours.loss_ == pytest.approx(theirs.loss_, abs=1e-12)
    for a, b in zip(theirs.coefs_ + theirs.intercepts_, ours.coefs_ + ours.intercepts_):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-10)


def test_a_batch_larger_than_the_data_warns_and_the_tags_are_scikit_learns(iris):
    X, y = iris
    for estimator in (sk.MLPClassifier, framework.MLPClassifier):
        with pytest.warns(UserWarning, match="Got `batch_size` less than 1 or larger than sample size"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                estimator(batch_size=500, max_iter=2).fit(X, y)
    for ours, theirs in ((framework.MLPClassifier(), sk.MLPClassifier()), (framework.MLPRegressor(), sk.MLPRegressor())):
        a, b = ours.__sklearn_tags__(), theirs.__sklearn_tags__()
        assert a.target_tags.multi_output == b.target_tags.multi_output
        assert (a.classifier_tags and a.classifier_tags.multi_label) == (b.classifier_tags and b.classifier_tags.multi_label)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_early_stopping_splits_and_scores_as_scikit_learn(kind, weighted):
    """The split drawn from random_state after the Glorot start, the validation score weighted by the
    held-out samples' weights (accuracy; r2_score for the regressor): without shuffling, the same
    validation scores and the same stopping epoch as scikit-learn's."""
    from sklearn.datasets import load_diabetes, load_iris
    from sklearn.preprocessing import StandardScaler
    X, y = (load_iris if kind == "classifier" else load_diabetes)(return_X_y=True)
    X, y = StandardScaler().fit_transform(X), y if kind == "classifier" else y / y.std()
    weights = {"sample_weight": np.random.default_rng(0).integers(1, 4, len(y)).astype(float)} if weighted else {}
    fitted = []
    for estimator in ((sk.MLPClassifier, framework.MLPClassifier) if kind == "classifier" else
                      (sk.MLPRegressor, framework.MLPRegressor)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fitted.append(estimator(hidden_layer_sizes=(8,), max_iter=40, shuffle=False, random_state=0,
                                    early_stopping=True).fit(X, y, **weights))
    theirs, ours = fitted
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=0, atol=1e-12)


def test_a_multi_output_regressor_reports_scikit_learns_loss_and_stops_where_it_stops():
    """scikit-learn's squared loss is a mean over the outputs (plus the alpha term): so `loss_`, the
    loss curve and the epoch at which `tol` stops agree with three outputs, alpha or not."""
    from sklearn.datasets import make_regression
    X, y = make_regression(200, 5, n_targets=3, random_state=0)
    y = y / y.std()
    for alpha in (1e-4, 0.1):
        fitted = []
        for estimator in (sk.MLPRegressor, framework.MLPRegressor):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                fitted.append(estimator(hidden_layer_sizes=(8,), max_iter=300, shuffle=False, random_state=0,
                                        tol=1e-2, alpha=alpha).fit(X, y))
        theirs, ours = fitted
        assert ours.n_iter_ == theirs.n_iter_ < 300
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12)


def test_a_y_of_one_class_trains_a_constant_predictor_as_scikit_learn(iris):
    X, y = iris
    fitted = []
    for estimator in (sk.MLPClassifier, framework.MLPClassifier):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fitted.append(estimator(max_iter=20, shuffle=False, random_state=0).fit(X, np.full(len(y), 7)))
    theirs, ours = fitted
    assert list(ours.classes_) == [7] and ours.n_outputs_ == theirs.n_outputs_ == 1
    assert ours.out_activation_ == theirs.out_activation_ == "logistic"
    assert (ours.predict(X) == 7).all()
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-9)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_shuffled_runs_follow_scikit_learns_order_and_give_its_loss_curve(kind):
    """shuffle=True (the default): each epoch reorders the last epoch's order with the fit's RandomState,
    as scikit-learn does, so several batches per epoch, early stopping, a RandomState instance, warm
    starts and partial_fit calls give scikit-learn's loss curve (the same float64 formulas; only BLAS's
    summation order differs, ~1e-16 per step)."""
    from sklearn.datasets import load_diabetes, load_iris
    from sklearn.preprocessing import StandardScaler
    X, y = (load_iris if kind == "classifier" else load_diabetes)(return_X_y=True)
    X, y = StandardScaler().fit_transform(X), y if kind == "classifier" else y / y.std()
    pair = (sk.MLPClassifier, framework.MLPClassifier) if kind == "classifier" else (sk.MLPRegressor,
                                                                                    framework.MLPRegressor)
    runs = [lambda e: e(batch_size=32, random_state=0).fit(X, y),
            lambda e: e(early_stopping=True, random_state=np.random.RandomState(3)).fit(X, y),
            lambda e: e(warm_start=True, max_iter=5, random_state=0).fit(X, y).fit(X, y),
            lambda e: e(batch_size=50, random_state=0).partial_fit(X, y, **(
                {"classes": [0, 1, 2]} if kind == "classifier" else {})).partial_fit(X, y).partial_fit(X, y)]
    for run in runs:
        curves = []
        for estimator in pair:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model = run(lambda **kw: estimator(hidden_layer_sizes=(8,), **{"max_iter": 30, **kw}))
            curves.append(model.loss_curve_)
        assert len(curves[0]) == len(curves[1])
        np.testing.assert_allclose(curves[1], curves[0], rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_regressors_validation_score_is_scikit_learns_r2_score(dtype):
    """Early stopping watches R^2 computed in place (r2_score's checks cost more than an epoch on small
    data): it equals r2_score with one or several outputs, sample weights, a constant output predicted
    exactly (1.0) or not (0.0), and a perfect prediction."""
    from sklearn.metrics import r2_score

    from framework.estimator import _r2_score
    rng = np.random.default_rng(0)
    t = rng.normal(size=(30, 3)).astype(dtype)
    t[:, 1] = 2.0
    cases = []
    for weight in (None, rng.integers(0, 4, 30).astype(dtype)):
        for predicted in (t + rng.normal(scale=0.5, size=t.shape).astype(dtype), t.copy()):
            for columns in ([0], [1], [0, 1, 2]):
                cases.append((_r2_score(t[:, columns], predicted[:, columns], weight),
                              r2_score(t[:, columns], predicted[:, columns], sample_weight=weight)))
        off = t.copy()
        off[:, 0] += 1.0  # the constant column predicted exactly, the others not
        cases.append((_r2_score(t, off, weight), r2_score(t, off, sample_weight=weight)))
    assert {0.0, 1.0} <= {b for _, b in cases}
    eps = np.finfo(dtype).eps  # sums of 30 squares: relative error within ~30 eps
    np.testing.assert_allclose([a for a, _ in cases], [b for _, b in cases], rtol=100 * eps, atol=100 * eps)
