"""Preparing data for training: a stratified train/test split and per-feature standardization."""
import numpy as np

from .checks import as_array, check_number, check_seed, one_hot_to_labels


def stratified_split(t, test_size, seed=None, name="test_size"):
    """Indices (train, test) that hold out `test_size` of the samples with each class's share kept.

    t: labels (N,) of any kind (numbers, strings), or one-hot rows (N, C). test_size: a fraction
    in (0, 1) or a number of samples; `name` is what error messages call it. The test set has
    ceil(test_size * N) samples, as scikit-learn's; each class gets its proportional share,
    the remainders going to the classes with the largest fractional parts. Both index arrays
    are shuffled. seed: int, None or a numpy Generator.
    """
    t = np.asarray(t)
    if t.ndim == 2 and t.shape[1] > 1:
        t = one_hot_to_labels(t, "t")
    elif t.ndim != 1:
        raise ValueError(f"t must be labels of shape (N,) or one-hot rows of shape (N, C), got shape {t.shape}")
    if t.dtype.kind == "f" and not np.isfinite(t).all():
        raise ValueError(f"t must hold labels, got {int(np.count_nonzero(~np.isfinite(t)))} NaN or infinite value(s)")
    n = len(t)
    if isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool) and test_size >= 1:
        n_test = int(test_size)
    else:
        check_number(test_size, name, low=0, high=1, low_open=True, high_open=True)
        n_test = int(np.ceil(test_size * n))
    classes, counts = np.unique(t, return_counts=True)
    if not 0 < n_test < n:
        raise ValueError(f"{name} must leave samples on both sides of the split of {n} samples, got {test_size!r}")
    if n_test < len(classes) or n - n_test < len(classes):
        raise ValueError(f"{name}={test_size!r} holds out {n_test} of {n} samples for {len(classes)} classes; "
                         "each side of a stratified split needs at least one sample per class")
    rng = np.random.default_rng(check_seed(seed))
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


def standardize(x_train, *others):
    """Scale each feature to mean 0 and standard deviation 1 using the training set's statistics.

    A constant feature (like the digits' always-blank corner pixels) gets standard deviation 1,
    so it becomes 0 instead of NaN. Returns the scaled x_train followed by the scaled others.
    """
    x_train = as_array(x_train, "x_train", ndim=2)
    others = tuple(as_array(x, f"others[{i}]", dtype=x_train.dtype, ndim=2) for i, x in enumerate(others))
    for i, x in enumerate(others):
        if x.shape[1] != x_train.shape[1]:
            raise ValueError(f"others[{i}] must have x_train's {x_train.shape[1]} features, got shape {x.shape}")
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std[std == 0] = 1
    return tuple((x - mean) / std for x in (x_train,) + others)


