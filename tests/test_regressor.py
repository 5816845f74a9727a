"""MLPRegressor and regression through the core: squared error on real outputs, next to scikit-learn's own."""
import pickle
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn.datasets import make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

from framework import MLPRegressor  # noqa: E402
from framework.gradcheck import gradient_check  # noqa: E402
from framework.layers import Affine, MeanSquaredError, ReLU  # noqa: E402
from framework.network import MLP, Sequential  # noqa: E402
from framework.optimizers import Adam  # noqa: E402
from framework.training import fit  # noqa: E402


@pytest.fixture(scope="module")
def data():
    X, y = make_regression(n_samples=300, n_features=5, noise=5, random_state=0)
    return X[:240], X[240:], y[:240] / y.std(), y[240:] / y.std()


def quiet(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def test_scikit_learns_estimator_checks_pass():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        results = check_estimator(MLPRegressor(max_iter=100), on_fail=None)  # check_regressors_train wants R^2 > 0.5
    assert not [(r["check_name"], repr(r["exception"])[:200]) for r in results if r["status"] == "failed"]
    assert {r["check_name"] for r in results if r["status"] == "skipped"} <= {"check_array_api_input"}


def test_as_good_as_scikit_learns_regressor_on_the_same_data(data):
    X, X_test, y, y_test = data
    ours = quiet(MLPRegressor(max_iter=300, random_state=0), X, y)
    theirs = quiet(SklearnMLPRegressor(max_iter=300, random_state=0), X, y)
    assert ours.score(X_test, y_test) > 0.95 and ours.score(X_test, y_test) > theirs.score(X_test, y_test) - 0.03
    assert ours.predict(X_test).shape == theirs.predict(X_test).shape == (60,)
    assert (ours.n_outputs_, ours.out_activation_) == (theirs.n_outputs_, theirs.out_activation_) == (1, "identity")
    assert [c.shape for c in ours.coefs_] == [c.shape for c in theirs.coefs_]
    assert ours.loss_curve_[-1] < ours.loss_curve_[0] and ours.history_.accuracy[-1] is None


def test_several_outputs_early_stopping_partial_fit_float32_and_pickling(data):
    X, X_test, y, y_test = data
    Y = np.c_[y, np.tanh(y)]
    est = quiet(MLPRegressor(max_iter=100, early_stopping=True, random_state=0), X, Y)
    assert est.predict(X_test).shape == (60, 2) and est.n_outputs_ == 2
    assert est.validation_scores_ and max(est.validation_scores_) == est.best_validation_score_ > 0.8
    part = MLPRegressor(random_state=0, dtype=np.float32)
    for _ in range(5):
        part.partial_fit(X, y)
    assert part.n_iter_ == 1 and len(part.loss_curve_) == 5 and part.predict(X_test).dtype == np.float32
    twin = pickle.loads(pickle.dumps(part))
    np.testing.assert_array_equal(twin.predict(X_test), part.predict(X_test))
    with pytest.raises(ValueError, match="y must have 1 outputs as in the first fit, got 2"):
        part.partial_fit(X, Y)
    with pytest.raises(ValueError, match=r"The 'loss' parameter of MLPRegressor must be a str among .*'poisson'.*\. Got 'huber' instead"):
        MLPRegressor(loss="huber").fit(X, y)


def test_the_squared_error_layer_and_a_regression_network_pass_gradient_checks(rng):
    x, t = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    assert gradient_check(MeanSquaredError(), rng.normal(size=(6, 2)), t).passed
    net = Sequential([Affine(rng.normal(size=(3, 8)), np.zeros(8)), ReLU(), Affine(rng.normal(size=(8, 2)), np.zeros(2))],
                     loss=MeanSquaredError())
    assert gradient_check(net, x, t).passed
    layer = MeanSquaredError()
    assert layer.forward(np.array([[1.0, 2.0], [3.0, 4.0]]), np.zeros((2, 2))) == pytest.approx((1 + 4 + 9 + 16) / 4)
    np.testing.assert_allclose(layer.backward(), [[0.5, 1.0], [1.5, 2.0]])


def test_fit_trains_a_regression_mlp_without_accuracy(rng, capsys):
    x = rng.normal(size=(200, 3))
    t = x[:, :1] * 2 - x[:, 1:2]
    model = MLP(3, [16], 1, loss="squared_error", seed=0)
    history = fit(model, Adam(lr=1e-2), x, t, epochs=30, batch_size=20, validation_fraction=0.2, seed=0, progress=2)
    assert history.loss[-1] < 0.05 * history.loss[0] and history.accuracy[-1] is None
    assert model.evaluate(x, t)[1] is None and "acc" not in capsys.readouterr().out.splitlines()[0]
    with pytest.raises(ValueError, match=r"t must have shape \(200, 1\)"):
        fit(model, Adam(), x, np.zeros((200, 2)), epochs=1, progress=0)


@pytest.mark.parametrize("y, error, message", [
    (["abc"] * 12, TypeError, r"y must hold real numbers .*dtype <U3; for class labels use MLPClassifier"),
    (np.array(["1.5"] * 12), TypeError, "y must hold real numbers"),
    (np.array(["1.5"] * 12, dtype=object), TypeError, r"y must hold real numbers .*got '1.5' among them"),
    ([1.0] * 11 + [object()], TypeError, "got <object object"),
    ([1 + 2j] * 12, ValueError, "y must hold real numbers .*Complex data not supported"),
])
def test_a_regressor_names_y_when_its_targets_are_not_real_numbers(y, error, message):
    X = np.random.default_rng(0).random((12, 3))
    with pytest.raises(error, match=message):
        MLPRegressor(max_iter=2).fit(X, y)


def test_a_regressor_takes_numbers_held_as_objects_as_scikit_learn_does():
    X = np.random.default_rng(0).random((12, 3))
    y = np.arange(12.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of max_iter=2
        a = MLPRegressor(max_iter=2, random_state=0).fit(X, y.astype(object)).predict(X)
        b = MLPRegressor(max_iter=2, random_state=0).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)
