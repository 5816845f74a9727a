"""Property-based tests: the invariants hold for any input hypothesis can think of."""
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

from conftest import rel_error  # noqa: E402
from framework.functions import log_softmax, numerical_gradient, one_hot, softmax, softmax_cross_entropy  # noqa: E402
from framework.checkpoint import load, save  # noqa: E402
from framework.layers import Affine, BatchNormalization, Dropout, ReLU, Sigmoid, SoftmaxCrossEntropy, Tanh  # noqa: E402
from framework.network import MLP  # noqa: E402
from framework.optimizers import Adam  # noqa: E402
from framework.training import fit  # noqa: E402

FAST = settings(max_examples=40, deadline=None)
SLOW = settings(max_examples=12, deadline=None)


def finite_scores(dtype, max_value=1e4):
    """Batches of finite scores from tiny to +-1e4, mixed within a row."""
    elements = st.floats(-max_value, max_value, allow_nan=False, allow_infinity=False,
                         width=32 if dtype == np.float32 else 64)
    shapes = st.tuples(st.integers(1, 6), st.integers(2, 8))
    return shapes.flatmap(lambda shape: arrays(dtype, shape, elements=elements))


@FAST
@given(st.sampled_from([np.float32, np.float64]).flatmap(finite_scores))
def test_softmax_rows_sum_to_one_and_stay_finite(x):
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is harmless
        y = softmax(x)
    assert y.dtype == x.dtype and np.isfinite(y).all() and (y >= 0).all()
    np.testing.assert_allclose(y.sum(axis=1), 1, rtol=1e-5 if x.dtype == np.float32 else 1e-12)


@FAST
@given(finite_scores(np.float64), st.data())
def test_softmax_cross_entropy_is_minus_log_softmax_at_the_target(x, data):
    t = np.array(data.draw(st.lists(st.integers(0, x.shape[1] - 1), min_size=len(x), max_size=len(x))))
    loss = softmax_cross_entropy(x, t)
    assert np.isfinite(loss) and loss >= 0
    assert loss == pytest.approx(-np.mean(log_softmax(x)[np.arange(len(x)), t]), rel=1e-12, abs=1e-12)


@FAST
@given(finite_scores(np.float64, max_value=50), st.data())
def test_one_hot_and_label_targets_give_identical_loss_and_gradient(x, data):
    t = np.array(data.draw(st.lists(st.integers(0, x.shape[1] - 1), min_size=len(x), max_size=len(x))))
    layer = SoftmaxCrossEntropy()
    loss_labels, grad_labels = layer.forward(x, t), layer.backward()
    loss_onehot, grad_onehot = layer.forward(x, one_hot(t, x.shape[1])), layer.backward()
    assert loss_labels == loss_onehot
    np.testing.assert_array_equal(grad_labels, grad_onehot)


LAYERS = {
    "Affine": lambda rng, d: Affine(rng.normal(size=(d, 3)), rng.normal(size=3)),
    "ReLU": lambda rng, d: ReLU(),
    "Sigmoid": lambda rng, d: Sigmoid(),
    "Tanh": lambda rng, d: Tanh(),
    "Dropout": lambda rng, d: Dropout(0.4, seed=int(rng.integers(1000))),
    "BatchNormalization": lambda rng, d: BatchNormalization(rng.normal(size=d) + 1.5, rng.normal(size=d)),
}


@SLOW
@given(st.sampled_from(sorted(LAYERS)), st.integers(2, 6), st.integers(1, 5), st.integers(0, 2 ** 31))
def test_every_layer_backward_matches_numerical_gradients_and_mutates_nothing(name, n, d, seed):
    rng = np.random.default_rng(seed)
    layer = LAYERS[name](rng, d)
    x = rng.normal(size=(n, d)) * 2
    x = np.where(np.abs(x) < 1e-2, 0.5, x)  # ReLU's kink is not differentiable
    if name == "BatchNormalization":
        # rows at least 1 apart in every column, so no column's variance comes near 0
        x = 3.0 * np.arange(n)[:, None] + rng.uniform(-1, 1, size=(n, d))
    state = layer.rng.bit_generator.state if hasattr(layer, "rng") else None

    def loss(_):
        if state is not None:
            layer.rng.bit_generator.state = state
        return float(np.sum(layer.forward(x, train=True) * dout))

    dout = rng.normal(size=layer.forward(x, train=True).shape)
    x_copy, dout_copy = x.copy(), dout.copy()
    loss(None)
    dx = layer.backward(dout)
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(dout, dout_copy)
    grads = {key: value.copy() for key, value in layer.grads.items()}
    tol = 1e-5 if name == "BatchNormalization" else 1e-6
    numeric = numerical_gradient(loss, x)
    assert rel_error(dx, numeric) < tol or np.abs(dx - numeric).max() < 1e-9
    for key, param in layer.params.items():
        assert rel_error(grads[key], numerical_gradient(loss, param)) < tol


def small_problem(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(40, 5))
    return x, (x[:, 0] + x[:, 1] > 0).astype(int)


@SLOW
@given(st.integers(0, 2 ** 31), st.booleans(), st.booleans())
def test_the_same_seed_gives_identical_runs(seed, dropout, batchnorm):
    x, t = small_problem(seed % 7)
    runs = []
    for _ in range(2):
        model = MLP(5, [6], 2, dropout=0.3 if dropout else 0.0, batchnorm=batchnorm, seed=seed)
        history = fit(model, Adam(lr=0.01), x, t, epochs=2, batch_size=16, validation_fraction=0.25,
                      seed=seed, progress=0)
        runs.append((model, history))
    (a, ha), (b, hb) = runs
    assert ha.batch_loss == hb.batch_loss and ha.val_loss == hb.val_loss
    for key in a.params:
        np.testing.assert_array_equal(a.params[key], b.params[key])


@SLOW
@given(st.integers(0, 2 ** 31), st.sampled_from([np.float32, np.float64]), st.booleans())
def test_save_load_predict_is_the_identity(tmp_path_factory, seed, dtype, batchnorm):
    x, t = small_problem(seed % 5)
    model = MLP(5, [4, 3], 2, batchnorm=batchnorm, dropout=0.2, seed=seed, dtype=dtype)
    fit(model, Adam(), x, t, epochs=1, batch_size=10, progress=0)
    path = tmp_path_factory.mktemp("io") / "m.npz"
    save(model, path)
    np.testing.assert_array_equal(load(path).predict(x), model.predict(x))


def extreme_scores(dtype):
    """Finite scores anywhere in the dtype's range, up to its largest value (1.8e308, 3.4e38)."""
    largest = float(np.finfo(dtype).max)
    elements = st.floats(-largest, largest, allow_nan=False, allow_infinity=False,
                         width=32 if dtype == np.float32 else 64)
    shapes = st.tuples(st.integers(1, 5), st.integers(2, 6))
    return shapes.flatmap(lambda shape: arrays(dtype, shape, elements=elements))


@FAST
@given(st.sampled_from([np.float32, np.float64]).flatmap(extreme_scores))
def test_any_finite_scores_give_finite_probabilities_that_sum_to_one(x):
    with np.errstate(over="ignore"):  # x - max may overflow to -inf: exp gives 0, which is right
        y = softmax(x)
        log_y = log_softmax(x)
    assert y.dtype == x.dtype and np.isfinite(y).all() and (y >= 0).all()
    np.testing.assert_allclose(y.sum(axis=1), 1, rtol=1e-5 if x.dtype == np.float32 else 1e-12)
    rows = np.arange(len(x))
    assert (y[rows, x.argmax(axis=1)] == y.max(axis=1)).all()  # the largest score has the largest probability
    assert not np.isnan(log_y).any()


@FAST
@given(st.sampled_from([np.float32, np.float64]).flatmap(extreme_scores), st.data())
def test_the_fused_loss_is_finite_or_a_clear_error_never_inf_or_nan(x, data):
    t = data.draw(st.lists(st.integers(0, x.shape[1] - 1), min_size=len(x), max_size=len(x)))
    try:
        loss = softmax_cross_entropy(x, t)
    except ValueError as exc:
        assert "the loss overflows float64" in str(exc)
        assert x.dtype == np.float64  # float32 scores always fit once computed in float64
    else:
        assert np.isfinite(loss) and loss >= 0


@SLOW
@given(st.floats(-1e308, 1e308, allow_nan=False), st.integers(0, 2 ** 16))
def test_a_networks_probabilities_are_finite_or_a_clear_error(scale, seed):
    model = MLP(3, [4], 3, seed=seed)
    x = np.random.default_rng(seed).uniform(-1, 1, size=(4, 3)) * scale  # finite, up to 1e308
    try:
        p = model.predict_proba(x)
    except ValueError as exc:
        assert "scores overflowed" in str(exc)
    else:
        assert np.isfinite(p).all()
        np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-12)
