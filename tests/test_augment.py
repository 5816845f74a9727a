import numpy as np
import pytest

from framework.augment import Augment, rotate, shift
from framework.network import MLP
from framework.optimizers import Adam
from framework.training import fit


def test_shift_moves_every_pixel_and_fills_with_zeros():
    images = np.random.default_rng(0).random((3, 2, 5, 6))
    moved = shift(images, np.array([0, 2, -1]), np.array([0, -3, 1]))
    np.testing.assert_array_equal(moved[0], images[0])
    np.testing.assert_array_equal(moved[1, :, 2:, :3], images[1, :, :3, 3:])
    assert (moved[1, :, :2] == 0).all() and (moved[1, :, :, 3:] == 0).all()
    np.testing.assert_array_equal(moved[2, :, :4, 1:], images[2, :, 1:, :5])


def test_rotation_by_right_angles_is_exact_and_by_zero_changes_nothing():
    images = np.random.default_rng(0).random((2, 1, 5, 5))
    np.testing.assert_allclose(rotate(images, np.array([90.0, -90.0]))[0, 0], np.rot90(images[0, 0]), atol=1e-12)
    np.testing.assert_allclose(rotate(images, np.array([90.0, -90.0]))[1, 0], np.rot90(images[1, 0], -1), atol=1e-12)
    np.testing.assert_allclose(rotate(images, np.zeros(2)), images, atol=1e-15)


def test_augment_keeps_shape_and_dtype_and_is_seeded():
    rows = np.random.default_rng(0).random((4, 64)).astype(np.float32)
    augment = Augment(shift=1, rotate=10, image_shape=(1, 8, 8))
    a = augment(rows, np.random.default_rng(5))
    b = augment(rows, np.random.default_rng(5))
    assert a.shape == rows.shape and a.dtype == np.float32 and np.array_equal(a, b) and not np.array_equal(a, rows)
    with pytest.raises(ValueError, match=r"Augment needs images \(N, C, H, W\), or rows with image_shape"):
        Augment(shift=1)(rows, np.random.default_rng(0))
    with pytest.raises(ValueError, match="shift must be"):
        Augment(shift=-1)


def test_fit_augments_training_batches_only_and_a_resumed_run_goes_on_exactly(tmp_path):
    from framework.callbacks import ModelCheckpoint
    rng = np.random.default_rng(0)
    x, t = rng.random((60, 16)), rng.integers(0, 3, 60)
    seen = []

    class Recording(Augment):
        def __call__(self, x_batch, generator):
            seen.append(len(x_batch))
            return super().__call__(x_batch, generator)

    augment = Recording(shift=1, rotate=5, image_shape=(1, 4, 4))
    whole = MLP(16, [8], 3, seed=0)
    fit(whole, Adam(lr=0.01), x, t, epochs=4, batch_size=20, validation_fraction=0.2, seed=0, progress=0,
        augment=augment)
    assert sum(seen) == 4 * 48  # the 12 validation samples are never augmented
    plain = MLP(16, [8], 3, seed=0)
    fit(plain, Adam(lr=0.01), x, t, epochs=4, batch_size=20, validation_fraction=0.2, seed=0, progress=0)
    assert not np.array_equal(plain.params["W1"], whole.params["W1"])
    path = tmp_path / "run.npz"
    half = MLP(16, [8], 3, seed=0)
    optimizer = Adam(lr=0.01)
    fit(half, optimizer, x, t, epochs=2, batch_size=20, validation_fraction=0.2, seed=0, progress=0,
        augment=augment, callbacks=[ModelCheckpoint(path)])
    fit(half, optimizer, x, t, epochs=4, batch_size=20, validation_fraction=0.2, seed=0, progress=0,
        augment=augment, resume_from=path)
    for key in whole.params:
        np.testing.assert_array_equal(half.params[key], whole.params[key])


def test_an_augment_that_returns_the_wrong_thing_is_named():
    rng = np.random.default_rng(0)
    x, t = rng.random((20, 4)), rng.integers(0, 2, 20)
    with pytest.raises(TypeError, match=r"augment must return an array of the batch's shape \(10, 4\)"):
        fit(MLP(4, [3], 2, seed=0), Adam(), x, t, epochs=1, batch_size=10, progress=0, augment=lambda xb, r: xb[:5])
    with pytest.raises(TypeError, match="augment must be a function"):
        fit(MLP(4, [3], 2, seed=0), Adam(), x, t, epochs=1, batch_size=10, progress=0, augment="shift")
