import numpy as np
import pytest

from framework import datasets
from framework.datasets import load_digits, stratified_split


def test_load_digits_shapes_dtypes_and_ranges():
    (x, t), (x_test, t_test) = load_digits()
    assert x.shape == (1437, 64) and x_test.shape == (360, 64)
    assert x.dtype == np.float64 and t.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    assert set(np.unique(t)) == set(range(10)) == set(np.unique(t_test))
    (x32, t1), _ = load_digits(dtype=np.float32, one_hot=True, normalize=False)
    assert x32.dtype == np.float32 and x32.max() == 16.0
    assert t1.shape == (1437, 10) and t1.dtype == np.float32
    np.testing.assert_array_equal(t1.argmax(axis=1), t)


def test_load_digits_equals_scikit_learn_data_and_is_seeded():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    bunch = sklearn_datasets.load_digits()
    (x, t), (x_test, t_test) = load_digits(normalize=False, test_size=0.5)
    all_x, all_t = np.concatenate([x, x_test]), np.concatenate([t, t_test])
    order = np.lexsort(all_x.T[::-1])
    ref_order = np.lexsort(bunch.data.T[::-1])
    np.testing.assert_array_equal(all_x[order], bunch.data[ref_order])
    np.testing.assert_array_equal(np.sort(all_t), np.sort(bunch.target))
    np.testing.assert_array_equal(load_digits(seed=3)[1][0], load_digits(seed=3)[1][0])
    assert not np.array_equal(load_digits(seed=3)[1][0], load_digits(seed=4)[1][0])


def test_digits_cache_is_written_and_read(tmp_path, monkeypatch):
    monkeypatch.setenv("FRAMEWORK_DATA", str(tmp_path))
    first = load_digits()
    assert (tmp_path / "digits.npz").exists()
    second = load_digits()
    np.testing.assert_array_equal(first[0][0], second[0][0])
    assert datasets.data_home() == tmp_path


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
