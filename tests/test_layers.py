"""Every layer's backward against central differences in float64."""
import numpy as np
import pytest

from conftest import rel_error
from framework.functions import numerical_gradient, one_hot, softmax
from framework.layers import Affine, BatchNormalization, Dropout, ReLU, Sigmoid, SoftmaxCrossEntropy, Tanh


def check_layer(layer, x, rng, tol=1e-6):
    """L = sum(forward(x) * dout) for a random dout; compare dL/dx and dL/dparams both ways."""
    rng_state = layer.rng.bit_generator.state if hasattr(layer, "rng") else None
    out = layer.forward(x, train=True)
    dout = rng.normal(size=out.shape)
    dout_before = dout.copy()
    x_before = x.copy()

    def loss(_):
        if rng_state is not None:  # the same dropout mask for every evaluation
            layer.rng.bit_generator.state = rng_state
        return float(np.sum(layer.forward(x, train=True) * dout))

    loss(None)  # forward once more from the saved state, so backward uses that mask
    dx = layer.backward(dout)
    analytic = {key: value.copy() for key, value in layer.grads.items()}
    np.testing.assert_array_equal(dout, dout_before)  # backward never writes into dout
    assert dx.shape == x.shape
    assert rel_error(dx, numerical_gradient(loss, x)) < tol
    np.testing.assert_array_equal(x, x_before)
    assert set(layer.params) == set(layer.grads)
    for key, param in layer.params.items():
        assert rel_error(analytic[key], numerical_gradient(loss, param)) < tol, key


def away_from_zero(x):
    """Keep inputs of ReLU farther from its kink than the finite-difference step."""
    return np.where(np.abs(x) < 0.01, 0.1, x)


def test_affine_gradients(rng):
    check_layer(Affine(rng.normal(size=(4, 3)), rng.normal(size=3)), rng.normal(size=(5, 4)), rng)


def test_affine_flattens_trailing_shape(rng):
    layer = Affine(rng.normal(size=(6, 2)), np.zeros(2))
    x = rng.normal(size=(3, 2, 3))
    out = layer.forward(x)
    np.testing.assert_allclose(out, x.reshape(3, 6) @ layer.params["W"])
    check_layer(layer, x, rng)


@pytest.mark.parametrize("make", [ReLU, Sigmoid, Tanh])
def test_activation_gradients(make, rng):
    check_layer(make(), away_from_zero(rng.normal(size=(4, 5))), rng)


def test_relu_feature_maps_match_rows(rng):
    """ReLU on feature maps and on the same numbers as rows: same values and gradients."""
    x = away_from_zero(rng.normal(size=(3, 2, 4, 5)))
    dout = rng.normal(size=x.shape)
    maps, rows = ReLU(), ReLU()
    np.testing.assert_array_equal(maps.forward(x), rows.forward(x.reshape(3, -1)).reshape(x.shape))
    np.testing.assert_array_equal(maps.backward(dout), rows.backward(dout.reshape(3, -1)).reshape(x.shape))
    check_layer(ReLU(), x, rng)


@pytest.mark.parametrize("shape", [(1, 4), (1, 2, 1, 2)], ids=["rows", "feature maps"])
def test_relu_of_negatives_and_minus_infinity_is_plus_zero_and_nan_stays(shape):
    """The book's out[x <= 0] = 0: +0.0 (sign bit clear) for -1, -0.0 and -inf, in any layout; NaN is not hidden."""
    out = ReLU().forward(np.array([-1.0, -0.0, -np.inf, 3.0]).reshape(shape)).ravel()
    np.testing.assert_array_equal(out, [0.0, 0.0, 0.0, 3.0])
    assert not np.signbit(out[:3]).any()
    assert np.isnan(ReLU().forward(np.array([np.nan, 1.0]).reshape((1, 2)))).ravel()[0]


def test_relu_and_sigmoid_values():
    x = np.array([[-1.0, 0.0, 2.0]])
    np.testing.assert_array_equal(ReLU().forward(x), [[0, 0, 2]])
    np.testing.assert_allclose(Sigmoid().forward(x), 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(Tanh().forward(x), np.tanh(x))


def test_dropout_gradients_with_fixed_seed(rng):
    check_layer(Dropout(0.3, seed=7), rng.normal(size=(6, 5)), rng)


def test_dropout_is_inverted_and_identity_at_inference():
    layer = Dropout(0.25, seed=0)
    x = np.ones((2000, 50))
    out = layer.forward(x, train=True)
    kept = out != 0
    np.testing.assert_allclose(out[kept], 1 / 0.75)
    assert abs(kept.mean() - 0.75) < 0.01
    assert abs(out.mean() - 1.0) < 0.02  # same expected value as the input
    assert layer.forward(x, train=False) is x
    with pytest.raises(ValueError, match="ratio must be < 1"):
        Dropout(1.0)


@pytest.mark.parametrize("shape", [(8, 4), (6, 2, 2)])
def test_batchnorm_gradients(shape, rng):
    features = int(np.prod(shape[1:]))
    layer = BatchNormalization(rng.normal(size=features) + 1, rng.normal(size=features))
    check_layer(layer, rng.normal(size=shape) * 3 + 1, rng, tol=1e-5)


def test_batchnorm_train_and_inference_statistics(rng):
    layer = BatchNormalization(np.ones(3), np.zeros(3), momentum=0.9)
    x = rng.normal(size=(50, 3)) * 2 + 5
    out = layer.forward(x, train=True)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 1, rtol=1e-5)
    np.testing.assert_allclose(layer.buffers["running_mean"], 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(layer.buffers["running_var"], 0.9 + 0.1 * x.var(axis=0))
    inference = layer.forward(x, train=False)
    expected = (x - layer.buffers["running_mean"]) / np.sqrt(layer.buffers["running_var"] + 1e-5)
    np.testing.assert_allclose(inference, expected)


def test_softmax_cross_entropy_layer_gradient_and_targets(rng):
    layer = SoftmaxCrossEntropy()
    x = rng.normal(size=(5, 4))
    labels = rng.integers(0, 4, size=5)
    loss = layer.forward(x, labels)
    dx = layer.backward()
    np.testing.assert_allclose(dx, (softmax(x) - one_hot(labels, 4)) / 5, rtol=1e-12)
    numeric = numerical_gradient(lambda _: layer.forward(x, labels), x)
    assert rel_error(dx, numeric) < 1e-6
    assert layer.forward(x, one_hot(labels, 4)) == loss
    np.testing.assert_array_equal(layer.backward(2.0), 2 * dx)


@pytest.mark.parametrize("layout", ["fortran", "strided", "transposed"])
def test_softmax_cross_entropy_on_non_contiguous_scores(layout, rng):
    """The layer indexes targets through a flat view: scores in any memory layout give the same numbers."""
    x = rng.normal(size=(6, 5))
    labels = rng.integers(0, 5, size=6)
    reference = SoftmaxCrossEntropy()
    loss, dx = reference.forward(x, labels), reference.backward()
    if layout == "fortran":
        scores = np.asfortranarray(x)
    elif layout == "strided":
        scores = np.repeat(x, 2, axis=1)[:, ::2]
    else:
        scores = np.ascontiguousarray(x.T).T
    assert not scores.flags.c_contiguous
    layer = SoftmaxCrossEntropy()
    assert layer.forward(scores, labels) == pytest.approx(loss, rel=1e-15)
    np.testing.assert_allclose(layer.backward(), dx, rtol=1e-15)


def test_layers_keep_float32(rng):
    x = rng.normal(size=(4, 3)).astype(np.float32)
    layers = [Affine(rng.normal(size=(3, 3)).astype(np.float32), np.zeros(3, np.float32)), ReLU(), Sigmoid(),
              Tanh(), Dropout(0.5, seed=0), BatchNormalization(np.ones(3, np.float32), np.zeros(3, np.float32))]
    for layer in layers:
        out = layer.forward(x)
        assert out.dtype == np.float32, layer
        assert layer.backward(np.ones_like(out)).dtype == np.float32, layer
        for grad in layer.grads.values():
            assert grad.dtype == np.float32
    loss_layer = SoftmaxCrossEntropy()
    loss_layer.forward(x, [0, 1, 2, 0])
    assert loss_layer.backward().dtype == np.float32


def test_reprs_name_the_layer(rng):
    assert repr(Affine(np.zeros((3, 2)), np.zeros(2))) == "Affine(3 -> 2, dtype=float64)"
    assert repr(Dropout(0.2)) == "Dropout(ratio=0.2)"
    assert repr(ReLU()) == "ReLU()"
    assert "BatchNormalization(4" in repr(BatchNormalization(np.ones(4), np.zeros(4)))


def test_weighted_softmax_cross_entropy_loss_and_gradient(rng):
    layer = SoftmaxCrossEntropy()
    x, labels = rng.normal(size=(6, 3)), rng.integers(0, 3, size=6)
    w = rng.random(6) + 0.1
    per_sample = -np.log(softmax(x)[np.arange(6), labels])
    assert layer.forward(x, labels, w) == pytest.approx(np.sum(w * per_sample) / w.sum(), rel=1e-12)
    dx = layer.backward()
    assert rel_error(dx, numerical_gradient(lambda _: layer.forward(x, labels, w), x)) < 1e-6
    # integer weights count a sample that many times
    repeated = np.repeat(np.arange(6), [1, 2, 1, 3, 1, 1])
    assert layer.forward(x, labels, np.array([1.0, 2, 1, 3, 1, 1])) == pytest.approx(
        layer.forward(x[repeated], labels[repeated]), rel=1e-12)


def test_sigmoid_cross_entropy_is_the_binary_loss_and_its_gradient(rng):
    from framework.gradcheck import gradient_check
    from framework.layers import SigmoidCrossEntropy
    x, t = rng.normal(size=(6, 3)), (rng.random((6, 3)) > 0.5).astype(float)
    assert gradient_check(SigmoidCrossEntropy(), x, t).passed
    p = 1 / (1 + np.exp(-x))
    written_out = -(t * np.log(p) + (1 - t) * np.log(1 - p)).sum() / len(x)
    assert SigmoidCrossEntropy().forward(x, t) == pytest.approx(written_out, rel=1e-12)
    w = rng.random(6)
    layer = SigmoidCrossEntropy()
    weighted = layer.forward(x, t, sample_weight=w)
    per_sample = -(t * np.log(p) + (1 - t) * np.log(1 - p)).sum(axis=1)
    assert weighted == pytest.approx((w * per_sample).sum() / w.sum(), rel=1e-12)
    np.testing.assert_allclose(layer.backward(), (p - t) * w[:, None] / w.sum(), rtol=1e-12)
    # Large scores: finite, where the written-out formula takes log(0).
    assert np.isfinite(SigmoidCrossEntropy().forward(np.array([[800.0, -800.0]]), np.array([[0.0, 1.0]])))
