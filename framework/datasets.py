"""Datasets that need no download, returned as ((x_train, t_train), (x_test, t_test)).

Files live in the data home: $FRAMEWORK_DATA if set, else the project's `datasets/` folder in a
source checkout, else ~/.cache/framework. `load_digits` caches scikit-learn's digits there as an
.npz on first use, so later runs do not import scikit-learn at all.
"""
import os
from pathlib import Path

import numpy as np

from .fileio import atomic_path
from .validation import check_dtype, check_number


def data_home():
    """The folder where datasets are read from and cached (made if missing)."""
    if os.environ.get("FRAMEWORK_DATA"):
        home = Path(os.environ["FRAMEWORK_DATA"])
    else:
        checkout = Path(__file__).resolve().parent.parent / "datasets"
        home = checkout if checkout.is_dir() else Path.home() / ".cache" / "framework"
    home.mkdir(parents=True, exist_ok=True)
    return home


def stratified_split(t, test_size, seed=None):
    """Indices (train, test) that hold out `test_size` of the samples with each class's share kept.

    t: labels (N,). test_size: a fraction in (0, 1) or a number of samples. The test set has
    ceil(test_size * N) samples, as scikit-learn's; each class gets its proportional share,
    the remainders going to the classes with the largest fractional parts. Both index arrays
    are shuffled. seed: int, None or a numpy Generator.
    """
    t = np.asarray(t)
    n = len(t)
    if isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool) and test_size >= 1:
        n_test = int(test_size)
    else:
        check_number(test_size, "test_size", low=0, high=1, low_open=True, high_open=True)
        n_test = int(np.ceil(test_size * n))
    classes, counts = np.unique(t, return_counts=True)
    if not 0 < n_test < n:
        raise ValueError(f"test_size must leave samples on both sides of the split of {n} samples, got {test_size!r}")
    if n_test < len(classes) or n - n_test < len(classes):
        raise ValueError(f"test_size={test_size!r} gives {n_test} test samples for {len(classes)} classes; "
                         "each side of a stratified split needs at least one sample per class")
    rng = np.random.default_rng(seed)
    exact = counts * n_test / n
    per_class = np.floor(exact).astype(int)
    remainder_order = np.argsort(-(exact - per_class), kind="stable")
    per_class[remainder_order[: n_test - per_class.sum()]] += 1
    train, test = [], []
    for cls, k in zip(classes, per_class):
        members = rng.permutation(np.flatnonzero(t == cls))
        test.append(members[:k])
        train.append(members[k:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def _digits_arrays():
    """scikit-learn's 8x8 digits as (images (1797, 64) uint8 in 0..16, labels (1797,) int64), cached."""
    path = data_home() / "digits.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as data:
            return data["images"], data["labels"]
    from sklearn.datasets import load_digits as sklearn_digits  # only on first use
    bunch = sklearn_digits()
    images, labels = bunch.data.astype(np.uint8), bunch.target.astype(np.int64)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, images=images, labels=labels)
    return images, labels


def standardize(x_train, *others):
    """Scale each feature to mean 0 and standard deviation 1 using the training set's statistics.

    A constant feature (like the digits' always-blank corner pixels) gets standard deviation 1,
    so it becomes 0 instead of NaN. Returns the scaled x_train followed by the scaled others.
    """
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std[std == 0] = 1
    return tuple((x - mean) / std for x in (x_train,) + others)


def load_digits(test_size=0.2, normalize=True, one_hot=False, seed=0, dtype=np.float64):
    """scikit-learn's handwritten digits: 1797 images of 8x8 pixels (64 features), 10 classes.

    Returns ((x_train, t_train), (x_test, t_test)) from a stratified split seeded by `seed`.
    normalize: True scales pixels from 0..16 to [0, 1]; "standard" gives each pixel mean 0 and
    standard deviation 1 on the training set (see `standardize`); False keeps 0..16.
    one_hot: t as one-hot rows (N, 10) instead of labels (N,). x (and one-hot t) have `dtype`;
    labels are int64.
    """
    from .functions import one_hot as to_one_hot

    dtype = check_dtype(dtype)
    if normalize not in (True, False, "standard"):
        raise ValueError(f"normalize must be True, False or 'standard', got {normalize!r}")
    images, labels = _digits_arrays()
    x = images.astype(dtype)
    if normalize is True:
        x /= 16
    train, test = stratified_split(labels, test_size, seed)
    t = to_one_hot(labels, 10, dtype=dtype) if one_hot else labels
    x_train, x_test = x[train], x[test]
    if normalize == "standard":
        x_train, x_test = standardize(x_train, x_test)
    return (x_train, t[train]), (x_test, t[test])
