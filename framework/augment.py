"""Data augmentation (the book's ch. 8.1): each training batch is changed a little at random before
the network sees it (shifted, rotated), so that the network learns what does not change a digit.

    fit(model, optimizer, x, t, augment=Augment(shift=1, rotate=10), ...)

Images are (N, C, H, W); rows (N, D) are images too when `image_shape` says how. The changes are
drawn from the training run's own generator, so one seed gives the same run, and a resumed run goes
on exactly. Only training batches change; validation and test data never do.
"""
import numpy as np

from .checks import check_number, check_seed, is_sparse


def shift(images, dy, dx):
    """Each image n moved down by dy[n] and right by dx[n] pixels (integers); pixels moved in are 0."""
    n, _, height, width = images.shape
    rows = np.arange(height)[None, :] - dy[:, None]  # the source row of each output row, per image
    cols = np.arange(width)[None, :] - dx[:, None]
    inside = ((rows >= 0) & (rows < height))[:, :, None] & ((cols >= 0) & (cols < width))[:, None, :]
    picked = images[np.arange(n)[:, None, None], :, np.clip(rows, 0, height - 1)[:, :, None],
                    np.clip(cols, 0, width - 1)[:, None, :]]  # (N, H, W, C)
    return np.where(inside[..., None], picked, 0).transpose(0, 3, 1, 2).astype(images.dtype, copy=False)


def rotate(images, degrees):
    """Each image n turned by degrees[n] (counter-clockwise) about its centre, by bilinear interpolation;
    pixels that come from outside the image are 0."""
    n, _, height, width = images.shape
    angle = np.deg2rad(degrees)[:, None, None]
    y, x = np.meshgrid(np.arange(height) - (height - 1) / 2, np.arange(width) - (width - 1) / 2, indexing="ij")
    # the output pixel (y, x) comes from the source point rotated back by the angle
    source_y = np.cos(angle) * y + np.sin(angle) * x + (height - 1) / 2
    source_x = -np.sin(angle) * y + np.cos(angle) * x + (width - 1) / 2
    top, left = np.floor(source_y).astype(int), np.floor(source_x).astype(int)
    fy, fx = (source_y - top)[:, None], (source_x - left)[:, None]
    batch = np.arange(n)[:, None, None]

    def pixel(r, c):  # (N, C, H, W) values at rows r and columns c, 0 outside
        inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
        values = images[batch, :, np.clip(r, 0, height - 1), np.clip(c, 0, width - 1)].transpose(0, 3, 1, 2)
        return values * inside[:, None]

    out = (pixel(top, left) * (1 - fy) * (1 - fx) + pixel(top, left + 1) * (1 - fy) * fx
           + pixel(top + 1, left) * fy * (1 - fx) + pixel(top + 1, left + 1) * fy * fx)
    return out.astype(images.dtype, copy=False)


class Augment:
    """A random change of each image of a batch: a rotation by an angle uniform in [-rotate, rotate]
    degrees, then a shift by whole pixels uniform in [-shift, shift] down and right.

    Call it as augment(x_batch, rng) with images (N, C, H, W), or rows (N, D) with `image_shape`
    (C, H, W) given, and rng a numpy Generator or a seed; it returns a new array of the same shape
    and dtype. (The Trainer checks its training set once with `check_shape` and then calls `change`.)
    """

    def __init__(self, shift=1, rotate=0.0, image_shape=None):
        self.shift = check_number(shift, "shift", low=0, integer=True)
        self.rotate = float(check_number(rotate, "rotate", low=0, high=180))
        if image_shape is not None:
            if not isinstance(image_shape, (list, tuple)) or len(image_shape) != 3:
                raise ValueError(f"image_shape must be (C, H, W), got {image_shape!r}")
            image_shape = tuple(check_number(n, "image_shape entries", low=1, integer=True) for n in image_shape)
            self._check_shift(image_shape)
        self.image_shape = image_shape

    def _check_shift(self, image_shape):
        if self.shift >= min(image_shape[1:]):
            raise ValueError(f"shift must be smaller than the images' height and width "
                             f"({image_shape[1]}x{image_shape[2]}), got {self.shift}: every image would leave its frame")

    def check_shape(self, shape):
        """Refuse, by name, a data shape (N, ...) these images cannot have; returns the images' (C, H, W)."""
        if self.image_shape is None:
            if len(shape) != 4:
                raise ValueError(f"Augment needs images (N, C, H, W), or rows (N, D) with image_shape=(C, H, W), "
                                 f"got x of shape {tuple(shape)}")
            image_shape = tuple(shape[1:])
        else:
            image_shape = self.image_shape
            if tuple(shape[1:]) not in ((int(np.prod(image_shape)),), image_shape):
                raise ValueError(f"x must be rows of {int(np.prod(image_shape))} values or images {image_shape} "
                                 f"(Augment's image_shape), got x of shape {tuple(shape)}")
        self._check_shift(image_shape)
        return image_shape

    def __call__(self, x, rng):
        if is_sparse(x):
            raise TypeError("Augment needs dense images, got a scipy.sparse matrix x: convert it with x.toarray()")
        x = np.asarray(x)
        if x.dtype.kind not in "biuf":
            raise TypeError(f"x must hold numbers (images), got dtype {x.dtype}")
        self.check_shape(x.shape)
        if x.dtype.kind == "f" and not np.isfinite(x).all():
            raise ValueError("x holds NaN or infinite pixels: an image must be finite numbers")
        return self.change(x, np.random.default_rng(check_seed(rng, "rng")))

    def change(self, x, rng):
        """The change itself, on an x already checked (check_shape) and a numpy Generator."""
        images = x if self.image_shape is None else x.reshape((len(x),) + self.image_shape)
        if self.rotate:
            images = rotate(images, rng.uniform(-self.rotate, self.rotate, len(images)))
        if self.shift:
            images = shift(images, *rng.integers(-self.shift, self.shift + 1, (2, len(images))))
        return images.reshape(x.shape)

    def __repr__(self):
        shape = "" if self.image_shape is None else f", image_shape={self.image_shape}"
        return f"Augment(shift={self.shift}, rotate={self.rotate:g}{shape})"
