import warnings

import numpy as np
import pytest

from framework.functions import (cross_entropy, log_softmax, numerical_gradient, one_hot, relu, sigmoid,
                                 softmax, softmax_cross_entropy)


def book_cross_entropy(y, t):
    """The source material's function, copied as printed there (with its 1e-10)."""
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-10)) / batch_size


def test_cross_entropy_worked_example_picks_true_class_probabilities():
    y = np.array([[0.1, 0.8, 0.1], [0.7, 0.2, 0.1]])
    t = np.array([1, 0])
    expected = -(np.log(0.8 + 1e-10) + np.log(0.7 + 1e-10)) / 2
    assert cross_entropy(y, t) == pytest.approx(expected, rel=1e-15)
    assert isinstance(cross_entropy(y, t), float)


def test_cross_entropy_one_hot_equals_labels_and_book(rng):
    y = softmax(rng.normal(size=(7, 5)))
    labels = rng.integers(0, 5, size=7)
    t = one_hot(labels, 5)
    assert cross_entropy(y, t) == cross_entropy(y, labels)
    assert cross_entropy(y, labels) == book_cross_entropy(y, t)


def test_cross_entropy_one_sample_1d():
    y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
    t_onehot = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    expected = -np.log(0.6 + 1e-10)
    assert cross_entropy(y, t_onehot) == pytest.approx(expected, rel=1e-15)
    assert cross_entropy(y, 2) == pytest.approx(expected, rel=1e-15)
    assert cross_entropy(y, np.array([2])) == pytest.approx(expected, rel=1e-15)
    assert cross_entropy(y, t_onehot) == book_cross_entropy(y, t_onehot)


def test_cross_entropy_zero_probability_is_finite():
    y = np.array([[1.0, 0.0]])
    assert cross_entropy(y, [1]) == pytest.approx(-np.log(1e-10))


@pytest.mark.parametrize("t, fragment", [
    (np.array([0, 1, 2]), "expected 2"),  # batch sizes differ
    (np.array([0, 3]), "[0, 2]"),  # out of range
    (np.array([-1, 0]), "[0, 2]"),
    (np.array([0.5, 1.0]), "non-integer"),
    (np.array([[0], [1]]), "column"),
    (np.array([[1, 1, 0], [0, 1, 0]]), "one-hot"),
    (np.array([[0.5, 0.5, 0], [0, 1, 0]]), "one-hot"),
])
def test_cross_entropy_rejects_bad_targets(t, fragment):
    y = np.array([[0.1, 0.8, 0.1], [0.7, 0.2, 0.1]])
    with pytest.raises(ValueError, match="^t ") as info:
        cross_entropy(y, t)
    assert fragment in str(info.value)


def test_cross_entropy_rejects_scores_and_nan():
    with pytest.raises(ValueError, match="probabilities"):
        cross_entropy(np.array([[2.0, -1.0]]), [0])
    with pytest.raises(ValueError, match="y must be finite"):
        cross_entropy(np.array([[np.nan, 1.0]]), [0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1.0, 1000.0, 1e4])
def test_softmax_overflow_safe_and_dtype_kept(dtype, scale, rng):
    x = (rng.normal(size=(4, 6)) * scale).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = softmax(x)
        y1 = softmax(x[0])
    assert y.dtype == dtype and y1.dtype == dtype
    assert np.isfinite(y).all()
    np.testing.assert_allclose(y.sum(axis=1), 1, rtol=1e-6 if dtype == np.float32 else 1e-12)
    np.testing.assert_array_equal(y1, y[0])


def test_softmax_matches_definition(rng):
    x = rng.normal(size=(3, 4))
    expected = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(softmax(x), expected, rtol=1e-12)
    np.testing.assert_allclose(log_softmax(x), np.log(expected), rtol=1e-12)


def test_softmax_cross_entropy_fused_equals_book_and_stays_finite(rng):
    x = rng.normal(size=(5, 4))  # true-class probabilities well above 1e-10
    t = rng.integers(0, 4, size=5)
    assert softmax_cross_entropy(x, t) == pytest.approx(cross_entropy(softmax(x), t), rel=1e-8)
    far = np.array([[1000.0, -1000.0]])
    assert softmax_cross_entropy(far, [1]) == pytest.approx(2000.0)
    assert cross_entropy(softmax(far), [1]) == pytest.approx(-np.log(1e-10))  # the book's cap
    assert softmax_cross_entropy(x[0], t[0]) == pytest.approx(-log_softmax(x[0])[t[0]])


def test_one_hot_and_activations():
    np.testing.assert_array_equal(one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    assert one_hot([1, 0]).shape == (2, 2)
    assert one_hot([1], 3, dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="labels"):
        one_hot([3], 3)
    x = np.array([-800.0, -1.0, 0.0, 2.0, 800.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = sigmoid(x)
    np.testing.assert_allclose(s[1:4], 1 / (1 + np.exp(-x[1:4])), rtol=1e-14)
    assert s[0] == 0.0 and s[-1] == 1.0
    np.testing.assert_array_equal(relu(x), [0, 0, 0, 2, 800])
    assert sigmoid(np.float32(1.0)).dtype == np.float32


def test_numerical_gradient_matches_analytic_and_restores_x(rng):
    x = rng.normal(size=(3, 2))
    before = x.copy()
    grad = numerical_gradient(lambda v: np.sum(v ** 3) + v[0, 0] * v[1, 1], x)
    expected = 3 * before ** 2
    expected[0, 0] += before[1, 1]
    expected[1, 1] += before[0, 0]
    np.testing.assert_allclose(grad, expected, rtol=1e-7, atol=1e-7)  # error ~ h**2 = 1e-8
    np.testing.assert_array_equal(x, before)
    with pytest.raises(TypeError, match="x must be a float numpy array"):
        numerical_gradient(lambda v: 0.0, [1.0, 2.0])
