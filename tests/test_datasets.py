import os

import numpy as np
import pytest

from framework import datasets
from framework.datasets import load_digits


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


LOADERS = ["load_iris", "load_wine", "load_breast_cancer", "make_moons", "make_circles", "make_spiral"]
SHAPES = {"load_iris": (150, 4, 3), "load_wine": (178, 13, 3), "load_breast_cancer": (569, 30, 2),
          "make_moons": (400, 2, 2), "make_circles": (400, 2, 2), "make_spiral": (300, 2, 3)}


@pytest.mark.parametrize("name", LOADERS)
def test_toy_loaders_shapes_dtypes_labels_and_seeding(name):
    if name.startswith("load_"):
        pytest.importorskip("sklearn")
    loader = getattr(datasets, name)
    (x, t), (x_test, t_test) = loader()
    n, d, classes = SHAPES[name]
    assert len(x) + len(x_test) == n and x.shape[1] == x_test.shape[1] == d
    assert x.dtype == np.float64 and t.dtype == np.int64
    assert set(np.unique(t)) == set(range(classes)) == set(np.unique(t_test))
    (x32, t1), _ = loader(dtype=np.float32, one_hot=True)
    assert x32.dtype == np.float32 and t1.shape == (len(x32), classes)
    np.testing.assert_array_equal(loader(seed=1)[0][0], loader(seed=1)[0][0])
    assert not np.array_equal(loader(seed=1)[0][0], loader(seed=2)[0][0])
    if name.startswith("load_"):
        assert x.min() == 0.0 and x.max() == 1.0


def write_idx(path, array, gz):
    import gzip
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    (gzip.open if gz else open)(path, "wb").write(data)


def make_mnist(folder, gz, n_train=12, n_test=5):
    rng = np.random.default_rng(0)
    files = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28))
        labels = rng.integers(0, 10, size=n)
        suffix = ".gz" if gz else ""
        write_idx(folder / f"{split}-images-idx3-ubyte{suffix}", images, gz)
        write_idx(folder / f"{split}-labels-idx1-ubyte{suffix}", labels, gz)
        files[split] = (images, labels)
    return files


@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_reads_idx_files(tmp_path, gz):
    files = make_mnist(tmp_path, gz)
    (x, t), (x_test, t_test) = datasets.load_mnist(tmp_path)
    assert x.shape == (12, 784) and x.dtype == np.float32 and x_test.shape == (5, 784)
    np.testing.assert_allclose(x, files["train"][0].reshape(12, 784) / 255, rtol=1e-6)
    np.testing.assert_array_equal(t, files["train"][1])
    (x, t), _ = datasets.load_mnist(tmp_path, normalize=False, flatten=False, one_hot_label=True, dtype=np.float64)
    assert x.shape == (12, 1, 28, 28) and x.max() > 1 and t.shape == (12, 10)


def test_load_mnist_missing_and_corrupt_files(tmp_path, monkeypatch):
    monkeypatch.setenv("FRAMEWORK_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"train-images-idx3-ubyte\[.gz\] not found in .*fashion-mnist. Put the four"):
        datasets.load_mnist(kind="fashion")
    (tmp_path / "mnist").mkdir()
    make_mnist(tmp_path / "mnist", gz=False)
    labels = tmp_path / "mnist" / "t10k-labels-idx1-ubyte"
    labels.write_bytes(labels.read_bytes()[:-2])
    with pytest.raises(ValueError, match="truncated or padded"):
        datasets.load_mnist()
    labels.write_bytes(b"\x12\x34\x56\x78")
    with pytest.raises(ValueError, match="not an IDX file"):
        datasets.load_mnist()
    with pytest.raises(ValueError, match="kind must be 'mnist', 'fashion' or 'digits28'"):
        datasets.load_mnist(kind="kmnist")


def test_mnist_files_are_checked_whole(tmp_path):
    import gzip
    from framework.datasets import MNIST_FILES, load_mnist

    def write(name, array, magic):
        with gzip.open(tmp_path / (name + ".gz"), "wb") as f:
            f.write(bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape))
            f.write(array.astype(np.uint8).tobytes())

    write(MNIST_FILES["train_images"], np.zeros((3, 10, 10)), 3)
    write(MNIST_FILES["train_labels"], np.zeros(3), 1)
    write(MNIST_FILES["test_images"], np.zeros((2, 28, 28)), 3)
    write(MNIST_FILES["test_labels"], np.zeros((2, 1)), 2)
    with pytest.raises(ValueError, match=r"labels must be one per image, shape \(N,\), got shape \(2, 1\)"):
        load_mnist(path=tmp_path)
    write(MNIST_FILES["test_labels"], np.zeros(2), 1)
    with pytest.raises(ValueError, match="training images are 10x10 but the test images 28x28"):
        load_mnist(path=tmp_path)
    write(MNIST_FILES["test_labels"], np.zeros(2), 1)
    for images in (np.zeros(()), np.zeros(2), np.zeros((2, 784)), np.zeros((2, 1, 28, 28)), np.zeros((0, 28, 28))):
        write(MNIST_FILES["test_images"], images, images.ndim)
        with pytest.raises(ValueError, match=r"images must be \(N, height, width\), got an array of shape"):
            load_mnist(path=tmp_path)


def test_a_damaged_or_wrong_digits_cache_is_made_again_and_a_read_only_home_still_loads(tmp_path, monkeypatch):
    from framework.datasets import load_digits
    monkeypatch.setenv("FRAMEWORK_DATA", str(tmp_path))
    (tmp_path / "digits.npz").write_bytes(b"PK damaged")
    assert len(load_digits()[0][0]) + len(load_digits()[1][0]) == 1797
    np.savez(tmp_path / "digits.npz", images=np.zeros((5, 64), np.uint8), labels=np.zeros(5, np.int64))
    assert len(load_digits()[0][0]) + len(load_digits()[1][0]) == 1797
    (tmp_path / "digits.npz").unlink()
    tmp_path.chmod(0o555)
    try:
        assert len(load_digits()[0][0]) == 1437 or os.geteuid() == 0  # root may write anyway
    finally:
        tmp_path.chmod(0o755)


def test_a_data_home_that_is_a_file_is_refused_by_name(tmp_path, monkeypatch):
    from framework.datasets import data_home
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("FRAMEWORK_DATA", str(tmp_path / "file"))
    with pytest.raises(ValueError, match="is a file, not a folder"):
        data_home()
