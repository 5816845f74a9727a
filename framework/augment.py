"""Data augmentation (the book's ch. 8.1): each training batch is changed a little at random before
the network sees it (shifted, rotated), so that the network learns what does not change a digit.

    fit(model, optimizer, x, t, augment=Augment(shift=1, rotate=10), ...)

Images are (N, C, H, W); rows (N, D) are images too when `image_shape` says how. The changes are
drawn from the training run's own generator, so one seed gives the same run, and a resumed run goes
on exactly. Only training batches change; validation and test data never do.
"""
import numpy as np

from .checks import check_number


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
    (C, H, W) given; it returns a new array of the same shape and dtype.
    """

    def __init__(self, shift=1, rotate=0.0, image_shape=None):
        self.shift = check_number(shift, "shift", low=0, integer=True)
        self.rotate = float(check_number(rotate, "rotate", low=0, high=180))
        if image_shape is not None:
            if not isinstance(image_shape, (list, tuple)) or len(image_shape) != 3:
                raise ValueError(f"image_shape must be (C, H, W), got {image_shape!r}")
            image_shape = tuple(check_number(n, "image_shape entries", low=1, integer=True) for n in image_shape)
        self.image_shape = image_shape

    def __call__(self, x, rng):
        images = x if self.image_shape is None else x.reshape((len(x),) + self.image_shape)
        if images.ndim != 4:
            raise ValueError(f"Augment needs images (N, C, H, W), or rows with image_shape=(C, H, W), "
                             f"got shape {x.shape}")
        if self.rotate:
            images = rotate(images, rng.uniform(-self.rotate, self.rotate, len(images)))
        if self.shift:
            images = shift(images, *rng.integers(-self.shift, self.shift + 1, (2, len(images))))
        return images.reshape(x.shape)

    def __repr__(self):
        shape = "" if self.image_shape is None else f", image_shape={self.image_shape}"
        return f"Augment(shift={self.shift}, rotate={self.rotate:g}{shape})"
