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
    with pytest.raises(ValueError, match=r"Augment needs images \(N, C, H, W\), or rows \(N, D\) with image_shape"):
        Augment(shift=1)(rows, np.random.default_rng(0))
    with pytest.raises(ValueError, match="shift must be"):
        Augment(shift=-1)


def test_fit_augments_training_batches_only_and_a_resumed_run_goes_on_exactly(tmp_path):
    from framework.callbacks import ModelCheckpoint
    rng = np.random.default_rng(0)
    x, t = rng.random((60, 16)), rng.integers(0, 3, 60)
    seen = []

    class Recording(Augment):
        def change(self, x_batch, generator):
            seen.append(len(x_batch))
            return super().change(x_batch, generator)

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


def test_augment_takes_what_a_user_passes_and_refuses_by_name_what_cannot_be_images():
    rows = np.random.default_rng(0).random((4, 64))
    augment = Augment(shift=1, rotate=10, image_shape=(1, 8, 8))
    # a seed, a Generator and a list all work; one seed gives one change
    np.testing.assert_array_equal(augment(rows, 3), augment(rows.tolist(), np.random.default_rng(3)))
    images = rows.reshape(4, 1, 8, 8)
    assert augment(images, 0).shape == (4, 1, 8, 8)  # images of image_shape, not only rows
    bad = [((4, 63), ValueError, r"x must be rows of 64 values or images \(1, 8, 8\).*got x of shape \(4, 63\)"),
           ((4, 2, 8, 8), ValueError, r"got x of shape \(4, 2, 8, 8\)")]
    for shape, error, message in bad:
        with pytest.raises(error, match=message):
            augment(np.zeros(shape), 0)
    with pytest.raises(TypeError, match="x must hold numbers"):
        augment(np.array([["a"] * 64] * 4), 0)
    with pytest.raises(TypeError, match="rng must be None, an integer >= 0 or a numpy Generator"):
        augment(rows, "seed")
    for value in (np.inf, -np.inf, np.nan):
        poisoned = rows.copy()
        poisoned[1, 5] = value
        with pytest.raises(ValueError, match="NaN or infinite pixels"):
            augment(poisoned, 0)
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="dense images.*x.toarray"):
        augment(sparse.csr_matrix(rows), 0)


@pytest.mark.parametrize("shift", [8, 9, 2 ** 70])
def test_a_shift_that_moves_every_image_out_of_its_frame_is_refused_before_training(shift):
    with pytest.raises(ValueError, match=rf"shift must be smaller than the images' height and width \(8x8\), got {shift}"):
        Augment(shift=shift, image_shape=(1, 8, 8))
    x, t = np.random.default_rng(0).random((10, 1, 8, 8)), np.arange(10) % 2

    class Model(MLP):  # a model of images: takes (N, 1, 8, 8)
        def check_input(self, x):
            return np.asarray(x, dtype=float)
    with pytest.raises(ValueError, match=rf"\(8x8\), got {shift}"):
        fit(Model(64, [3], 2, seed=0), Adam(), x, t, epochs=1, progress=0, augment=Augment(shift=shift))
    assert Augment(shift=7, image_shape=(1, 8, 8)).shift == 7


def test_fit_refuses_an_augment_that_cannot_work_before_the_first_batch():
    rng = np.random.default_rng(0)
    x, t = rng.random((20, 16)), rng.integers(0, 2, 20)
    with pytest.raises(TypeError, match=r"got the class|create one: Augment\(shift=1\)"):
        fit(MLP(16, [3], 2, seed=0), Adam(), x, t, epochs=1, progress=0, augment=Augment)
    with pytest.raises(ValueError, match=r"x must be rows of 64 values or images \(1, 8, 8\).*\(20, 16\)"):
        fit(MLP(16, [3], 2, seed=0), Adam(), x, t, epochs=1, progress=0, augment=Augment(image_shape=(1, 8, 8)))
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="augment needs dense images.*x.toarray"):
        fit(MLP(16, [3], 2, seed=0), Adam(), sparse.csr_matrix(x), t, epochs=1, progress=0,
            augment=Augment(image_shape=(1, 4, 4)))


def test_a_checkpoint_records_the_augmentation_and_a_resume_without_it_is_refused(tmp_path):
    from framework.callbacks import ModelCheckpoint
    rng = np.random.default_rng(0)
    x, t = rng.random((40, 16)), rng.integers(0, 2, 40)
    path = tmp_path / "run.npz"
    model, optimizer = MLP(16, [4], 2, seed=0), Adam()
    augment = Augment(shift=1, image_shape=(1, 4, 4))
    fit(model, optimizer, x, t, epochs=1, progress=0, augment=augment, callbacks=[ModelCheckpoint(path)])
    for other, named in ((None, "None"), (Augment(shift=2, image_shape=(1, 4, 4)), "shift=2"),
                         (lambda xb, r: xb, "the function")):
        with pytest.raises(ValueError, match=rf"trained with augment=Augment\(shift=1.*got .*{named}"):
            fit(model, optimizer, x, t, epochs=2, progress=0, augment=other, resume_from=path)
    history = fit(model, optimizer, x, t, epochs=2, progress=0, augment=Augment(shift=1, image_shape=(1, 4, 4)),
                  resume_from=path)
    assert history.epochs == 2
    plain = tmp_path / "plain.npz"
    fit(MLP(16, [4], 2, seed=0), Adam(), x, t, epochs=1, progress=0, callbacks=[ModelCheckpoint(plain)])
    with pytest.raises(ValueError, match=r"trained with augment=None; .*got Augment\(shift=1"):
        fit(MLP(16, [4], 2, seed=0), Adam(), x, t, epochs=2, progress=0, augment=augment, resume_from=plain)
