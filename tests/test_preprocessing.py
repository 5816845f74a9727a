"""framework.preprocessing: the stratified split and standardization."""
import numpy as np
import pytest

from framework.preprocessing import standardize, stratified_split


@pytest.mark.parametrize("test_size", [0.2, 0.25, 0.5, 37])
def test_stratified_split_keeps_class_shares_like_scikit_learn(test_size):
    model_selection = pytest.importorskip("sklearn.model_selection")
    t = np.repeat(np.arange(5), [50, 30, 20, 7, 3])
    train, test = stratified_split(t, test_size, seed=0)
    assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == len(t)
    _, sk_test = model_selection.train_test_split(np.arange(len(t)), test_size=test_size, stratify=t,
                                                  random_state=0)
    assert len(test) == len(sk_test)
    ours, theirs = np.bincount(t[test], minlength=5), np.bincount(t[sk_test], minlength=5)
    assert np.abs(ours - theirs).max() <= 1  # same shares up to rounding
    np.testing.assert_allclose(ours / len(test), np.bincount(t) / len(t), atol=1 / len(test) + 1e-12)


def test_stratified_split_errors():
    with pytest.raises(ValueError, match="test_size must be > 0"):
        stratified_split(np.arange(10) % 2, 0.0)
    with pytest.raises(ValueError, match="at least one sample per class"):
        stratified_split(np.arange(10), 0.2)


def test_stratified_split_takes_one_hot_labels_as_labels():
    labels = np.repeat(np.arange(3), 10)
    one_hot = np.eye(3)[labels]
    train, test = stratified_split(one_hot, 0.2, seed=0)
    assert train.max() < len(labels) and test.max() < len(labels)  # indices of samples, not of entries
    np.testing.assert_array_equal(train, stratified_split(labels, 0.2, seed=0)[0])
    with pytest.raises(ValueError, match="row 0 is"):
        stratified_split(np.full((30, 3), 0.5), 0.2)
    with pytest.raises(ValueError, match=r"t must be labels of shape \(N,\).*got shape \(2, 3, 4\)"):
        stratified_split(np.zeros((2, 3, 4)), 0.5)


def test_stratified_split_names_the_argument_it_splits_for():
    with pytest.raises(ValueError, match="validation_fraction must be < 1"):
        stratified_split(np.arange(10) % 2, 1.5, name="validation_fraction")


def test_standardize_uses_the_training_statistics_and_keeps_constant_features_finite():
    x_train = np.array([[1.0, 5.0], [3.0, 5.0]])
    x_test = np.array([[2.0, 7.0]])
    train, test = standardize(x_train, x_test)
    np.testing.assert_allclose(train, [[-1.0, 0.0], [1.0, 0.0]])  # mean 2, std 1; the constant column -> 0
    np.testing.assert_allclose(test, [[0.0, 2.0]])  # the constant column's std counts as 1
