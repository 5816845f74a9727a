"""Datasets that need no download, returned as ((x_train, t_train), (x_test, t_test)).

Files live in the data home: $FRAMEWORK_DATA if set, else the project's `datasets/` folder in a
source checkout, else ~/.cache/framework. `load_digits` caches scikit-learn's digits there as an
.npz on first use, so later runs do not import scikit-learn at all.
"""
import os
import zipfile
from pathlib import Path

import numpy as np

from .fileio import atomic_path
from .functions import one_hot as to_one_hot
from .preprocessing import standardize, stratified_split  # noqa: F401  (part of this module's API too)
from .checks import check_choice, check_dtype, check_number, check_seed


def data_home():
    """The folder where datasets are read from and cached (made if missing)."""
    if os.environ.get("FRAMEWORK_DATA"):
        home = Path(os.environ["FRAMEWORK_DATA"])
    else:
        checkout = Path(__file__).resolve().parent.parent / "datasets"
        home = checkout if checkout.is_dir() else Path.home() / ".cache" / "framework"
    if home.exists() and not home.is_dir():
        raise ValueError(f"the data home {home} is a file, not a folder (FRAMEWORK_DATA names where datasets are "
                         "read from and cached: a folder)")
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"cannot make the data home {home}: {exc.strerror or exc}") from None
    return home


#: The pixel ranges the loaders scale to [0, 1]: scikit-learn's digits hold 0..16, MNIST's files 0..255.
DIGITS_PIXEL_MAX, MNIST_PIXEL_MAX = 16, 255
#: digits28 tests on 400 digits; its first training images are the other 1,397, centred (the rest are shifted copies).
DIGITS28_TEST = 400
DIGITS28_CENTRED = 1797 - DIGITS28_TEST


def _digits_arrays():
    """scikit-learn's 8x8 digits as (images (1797, 64) uint8 in 0..16, labels (1797,) int64), cached."""
    path = data_home() / "digits.npz"
    cached = _cached_digits(path)
    if cached is not None:
        return cached
    from sklearn.datasets import load_digits as sklearn_digits  # only on first use
    bunch = sklearn_digits()
    images, labels = bunch.data.astype(np.uint8), bunch.target.astype(np.int64)
    try:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, images=images, labels=labels)
    except OSError:  # a read-only data home: the digits still load, they are just not cached
        pass
    return images, labels


def _cached_digits(path):
    """The cached digits if the cache is whole and right (1797 images of 64 pixels in 0..16, labels 0..9),
    else None: a damaged or wrong cache is made again from scikit-learn's copy."""
    try:
        with np.load(path, allow_pickle=False) as data:
            images, labels = data["images"], data["labels"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    if images.shape != (1797, 64) or labels.shape != (1797,) or images.dtype != np.uint8 \
            or labels.dtype != np.int64 or images.max() > DIGITS_PIXEL_MAX or labels.min() < 0 or labels.max() > 9:
        return None
    return images, labels


def _check_normalize(normalize):
    if normalize not in (True, False, "standard"):
        raise ValueError(f"normalize must be True, False or 'standard', got {normalize!r}")


def load_digits(test_size=0.2, normalize=True, one_hot=False, seed=0, dtype=np.float64, shape="flat"):
    """scikit-learn's handwritten digits: 1797 images of 8x8 pixels (64 features), 10 classes.

    Returns ((x_train, t_train), (x_test, t_test)) from a stratified split seeded by `seed`.
    normalize: True scales pixels from 0..16 to [0, 1]; "standard" gives each pixel mean 0 and
    standard deviation 1 on the training set (see `standardize`); False keeps 0..16.
    one_hot: t as one-hot rows (N, 10) instead of labels (N,). x (and one-hot t) have `dtype`;
    labels are int64. shape: "flat" gives x as (N, 64) rows, "images" as (N, 1, 8, 8) for conv nets.
    """
    dtype = check_dtype(dtype)
    _check_normalize(normalize)
    check_choice(shape, "shape", ("flat", "images"))
    images, labels = _digits_arrays()
    x = images.astype(dtype)
    if normalize is True:
        x /= DIGITS_PIXEL_MAX  # the pixel range 0..16 is known, so every pixel is scaled alike
    (x_train, t_train), (x_test, t_test) = _scale_and_split(
        x, labels, test_size, "standard" if normalize == "standard" else False, one_hot, seed, dtype, 10)
    if shape == "images":
        x_train, x_test = x_train.reshape(-1, 1, 8, 8), x_test.reshape(-1, 1, 8, 8)
    return (x_train, t_train), (x_test, t_test)


# -- scikit-learn's bundled tables ---------------------------------------------------------------
def feature_range(x_train):
    """(low, span) of each feature: normalize=True maps x to (x - low) / span, [0, 1] on the training
    set (a constant feature's span counts as 1)."""
    span = np.ptp(x_train, axis=0)
    return x_train.min(axis=0), np.where(span == 0, 1, span).astype(span.dtype)


def _scale_and_split(x, labels, test_size, normalize, one_hot, seed, dtype, num_classes):
    """The shared tail of every loader: split stratified, scale by the training set, one-hot if asked."""
    dtype = check_dtype(dtype)
    _check_normalize(normalize)
    x = np.asarray(x, dtype=dtype)
    train, test = stratified_split(labels, test_size, seed)
    x_train, x_test = x[train], x[test]
    if normalize is True:  # each feature to [0, 1] by the training set's range
        low, span = feature_range(x_train)
        x_train, x_test = (x_train - low) / span, (x_test - low) / span
    elif normalize == "standard":
        x_train, x_test = standardize(x_train, x_test)
    t = to_one_hot(labels, num_classes, dtype=dtype) if one_hot else labels
    return (x_train, t[train]), (x_test, t[test])


def _sklearn_table(name, test_size, normalize, one_hot, seed, dtype):
    import sklearn.datasets  # only for these loaders

    bunch = getattr(sklearn.datasets, f"load_{name}")()
    labels = bunch.target.astype(np.int64)
    return _scale_and_split(bunch.data, labels, test_size, normalize, one_hot, seed, dtype,
                            int(labels.max()) + 1)


def load_iris(test_size=0.2, normalize=True, one_hot=False, seed=0, dtype=np.float64):
    """Fisher's iris (scikit-learn's copy): 150 flowers, 4 measurements, 3 species.

    Returns ((x_train, t_train), (x_test, t_test)) like `load_digits`; normalize=True scales each
    feature to [0, 1] by the training set's range, "standard" standardizes it.
    """
    return _sklearn_table("iris", test_size, normalize, one_hot, seed, dtype)


def load_wine(test_size=0.2, normalize=True, one_hot=False, seed=0, dtype=np.float64):
    """Wine recognition (scikit-learn's copy): 178 wines, 13 chemical features, 3 cultivars."""
    return _sklearn_table("wine", test_size, normalize, one_hot, seed, dtype)


def load_breast_cancer(test_size=0.2, normalize=True, one_hot=False, seed=0, dtype=np.float64):
    """Breast cancer Wisconsin (scikit-learn's copy): 569 samples, 30 features, 2 classes."""
    return _sklearn_table("breast_cancer", test_size, normalize, one_hot, seed, dtype)


# -- 2-D toy data, made with numpy --------------------------------------------------------------
def _toy(x, labels, test_size, one_hot, seed, dtype, num_classes):
    return _scale_and_split(x, labels, test_size, False, one_hot, seed, dtype, num_classes)


def make_moons(n_samples=400, noise=0.1, test_size=0.2, one_hot=False, seed=0, dtype=np.float64):
    """Two interleaving half circles in 2-D (as scikit-learn's make_moons), Gaussian noise added."""
    check_number(n_samples, "n_samples", low=4, integer=True)
    check_number(noise, "noise", low=0)
    rng = np.random.default_rng(check_seed(seed))
    n_out = n_samples // 2
    angles = np.concatenate([np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_samples - n_out)])
    labels = np.r_[np.zeros(n_out, np.int64), np.ones(n_samples - n_out, np.int64)]
    x = np.c_[np.cos(angles) + labels, np.sin(angles) * np.where(labels == 1, -1, 1) + 0.5 * labels]
    x += rng.normal(scale=noise, size=x.shape)
    return _toy(x, labels, test_size, one_hot, rng, dtype, 2)


def make_circles(n_samples=400, noise=0.05, factor=0.5, test_size=0.2, one_hot=False, seed=0, dtype=np.float64):
    """A small circle (class 1) inside a large one (class 0) in 2-D, as scikit-learn's make_circles."""
    check_number(n_samples, "n_samples", low=4, integer=True)
    check_number(noise, "noise", low=0)
    check_number(factor, "factor", low=0, high=1, low_open=True, high_open=True)
    rng = np.random.default_rng(check_seed(seed))
    n_out = n_samples // 2
    angles = rng.uniform(0, 2 * np.pi, size=n_samples)
    labels = np.r_[np.zeros(n_out, np.int64), np.ones(n_samples - n_out, np.int64)]
    radius = np.where(labels == 1, factor, 1.0)
    x = np.c_[radius * np.cos(angles), radius * np.sin(angles)] + rng.normal(scale=noise, size=(n_samples, 2))
    return _toy(x, labels, test_size, one_hot, rng, dtype, 2)


def make_spiral(n_samples=300, classes=3, noise=0.2, test_size=0.2, one_hot=False, seed=0, dtype=np.float64):
    """`classes` interleaved spiral arms in 2-D (the CS231n spiral): not separable by a line."""
    check_number(n_samples, "n_samples", low=2 * classes, integer=True)
    check_number(classes, "classes", low=2, integer=True)
    check_number(noise, "noise", low=0)
    rng = np.random.default_rng(check_seed(seed))
    labels = np.arange(n_samples) % classes
    radius = np.linspace(0.05, 1, n_samples)[rng.permutation(n_samples)]
    angle = labels * 2 * np.pi / classes + radius * 4 + rng.normal(scale=noise, size=n_samples)
    x = np.c_[radius * np.sin(angle), radius * np.cos(angle)]
    return _toy(x, labels.astype(np.int64), test_size, one_hot, rng, dtype, classes)


# -- MNIST and Fashion-MNIST from IDX files -----------------------------------------------------
MNIST_FILES = {"train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
               "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte"}


def read_idx(path):
    """An array from an IDX file (plain or .gz): MNIST's format, magic 0x0000 08 NDIM, big-endian sizes."""
    import gzip

    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as exc:  # a damaged gzip stream
        raise ValueError(f"{path} is not a readable IDX file ({exc})") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes (magic {data[:4].hex() or 'missing'}, "
                         "expected 000008NN)")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path} is truncated: its header needs {header} bytes, the file has {len(data)}")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    size = int(np.prod(shape))
    if len(data) - header != size:
        raise ValueError(f"{path} is truncated or padded: its header promises {size} values of shape {shape}, "
                         f"the file holds {len(data) - header}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def digits28(shifts=2):
    """An MNIST-shaped stand-in made offline from scikit-learn's digits: ((train images, labels),
    (test images, labels)), images (N, 28, 28) uint8 in 0..255 and labels int64, as MNIST's files hold them.

    Each 8x8 digit is enlarged to 20x20 (bilinear) and centred in 28x28, as MNIST centres its digits
    in a 20x20 box. The test set is 400 digits (stratified, seed 0: a multiple of 100, as the book's
    scripts batch it); the training set is the other 1,397, each also shifted by every (dy, dx) in
    {-shifts, 0, shifts}^2: 12,573 images.
    Not MNIST: a stand-in so that the book's MNIST scripts run on a machine without its files.
    """
    images, labels = _digits_arrays()
    source = np.clip((np.arange(20) + 0.5) * 8 / 20 - 0.5, 0, 7)  # each output pixel's place among 8
    low = np.minimum(np.floor(source).astype(int), 6)
    weight = source - low
    enlarge = np.zeros((20, 8))
    enlarge[np.arange(20), low], enlarge[np.arange(20), low + 1] = 1 - weight, weight
    big = enlarge @ images.reshape(-1, 8, 8).astype(np.float64) @ enlarge.T * (MNIST_PIXEL_MAX / DIGITS_PIXEL_MAX)
    big = np.rint(big).astype(np.uint8)
    train, test = stratified_split(labels, DIGITS28_TEST, 0)

    def placed(index, dy=0, dx=0):
        out = np.zeros((len(index), 28, 28), dtype=np.uint8)
        out[:, 4 + dy:24 + dy, 4 + dx:24 + dx] = big[index]
        return out

    moves = [(dy, dx) for dy in (0, -shifts, shifts) for dx in (0, -shifts, shifts)]
    x_train = np.concatenate([placed(train, dy, dx) for dy, dx in moves])
    return (x_train, np.tile(labels[train], len(moves))), (placed(test), labels[test])


def load_mnist(path=None, kind="mnist", normalize=True, flatten=True, one_hot_label=False, dtype=np.float32):
    """MNIST (or Fashion-MNIST with kind="fashion") from the four standard IDX files, gzip or plain.

    Files are looked for in `path`, else in <data home>/mnist or <data home>/fashion-mnist. Options
    as the book's load_mnist: normalize scales pixels to [0, 1], flatten gives (N, 784) instead of
    (N, 1, 28, 28), one_hot_label gives one-hot rows. Returns ((x_train, t_train), (x_test, t_test)).
    kind="digits28" needs no files: the MNIST-shaped stand-in made from scikit-learn's digits (`digits28`).
    """
    if kind == "digits28":
        return _mnist_arrays(dict(zip(("train", "test"), digits28())), "digits28", None, normalize, flatten,
                             one_hot_label, check_dtype(dtype))
    if kind not in ("mnist", "fashion"):
        raise ValueError(f"kind must be 'mnist', 'fashion' or 'digits28' (the offline stand-in), got {kind!r}")
    kind = {"mnist": "mnist", "fashion": "fashion-mnist"}[kind]
    dtype = check_dtype(dtype)
    folder = Path(path) if path is not None else data_home() / kind
    found = {}
    for key, name in MNIST_FILES.items():
        candidates = [folder / name, folder / (name + ".gz")]
        existing = [c for c in candidates if c.exists()]
        if not existing:
            raise FileNotFoundError(
                f"{kind}: {name}[.gz] not found in {folder}. Put the four IDX files "
                f"({', '.join(MNIST_FILES.values())}, gzip or plain) in that folder"
                + (": `python -m framework download mnist` fetches them" if kind == "mnist" else "")
                + " (in Python, load_mnist(path=...) reads another folder).")
        found[key] = read_idx(existing[0])
    splits = {split: (found[f"{split}_images"], found[f"{split}_labels"]) for split in ("train", "test")}
    return _mnist_arrays(splits, kind, folder, normalize, flatten, one_hot_label, dtype)


def _mnist_arrays(splits, kind, folder, normalize, flatten, one_hot_label, dtype):
    """MNIST's {split: (images (N, 28, 28) uint8, labels)} checked and shaped as load_mnist returns them."""
    out, shapes = [], {}
    for split in ("train", "test"):
        images, labels = splits[split][0], splits[split][1].astype(np.int64)
        where = f"{kind} {split}" + ("" if folder is None else f" ({folder})")
        if images.ndim != 3 or 0 in images.shape:
            raise ValueError(f"{where}: images must be (N, height, width), got an array of shape {images.shape} "
                             f"in {MNIST_FILES[split + '_images']}")
        if labels.ndim != 1:
            raise ValueError(f"{where}: labels must be one per image, shape (N,), got shape {labels.shape} "
                             f"in {MNIST_FILES[split + '_labels']}")
        shapes[split] = images.shape[1:]
        if len(shapes) == 2 and shapes["train"] != shapes["test"]:
            raise ValueError(f"{kind}: the training images are {shapes['train'][0]}x{shapes['train'][1]} but the test "
                             f"images {shapes['test'][0]}x{shapes['test'][1]}: the four files are not one data set")
        if len(images) != len(labels):
            raise ValueError(f"{kind} {split}: {len(images)} images but {len(labels)} labels")
        if len(labels) and (labels.min() < 0 or labels.max() > 9):
            bad = labels[(labels < 0) | (labels > 9)]
            raise ValueError(f"{kind} {split}: labels must be 0 to 9, got {len(bad)} outside (first: {bad[0]}); "
                             f"the file {MNIST_FILES[split + '_labels']} in {folder} is damaged: download it again")
        x = images.astype(dtype)
        if normalize:
            x /= MNIST_PIXEL_MAX
        x = x.reshape(len(x), -1) if flatten else x.reshape(len(x), 1, *images.shape[1:])
        t = to_one_hot(labels, 10, dtype=dtype) if one_hot_label else labels
        out.append((x, t))
    return tuple(out)
