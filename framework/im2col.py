"""im2col and col2im: a convolution as one matrix product (the book's ch. 7.4, its common/util.py).

x is (N, C, H, W), a window (FH, FW), the output (OH, OW), OH = (H + 2 pad - FH) // stride + 1.
im2col lays every window out as a row of col (N*OH*OW, C*FH*FW), so that a convolution with filters
W (FN, C, FH, FW) is col @ W.reshape(FN, -1).T; col2im, its adjoint, adds each row back onto its
window (how dcol becomes dx). image_columns/add_image_columns are the same windows per image,
(N, C*FH*FW, OH*OW), so that W.reshape(FN, -1) @ columns is already (N, FN, OH, OW): Convolution's layout.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _integers(**lowest):
    """Each keyword's (value, lowest allowed) checked: an integer at or above its lowest, else a ValueError."""
    for name, (value, low) in lowest.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name.replace('_', ' ')} must be an integer >= {low}, got {value!r}")


def conv_output_size(input_size, filter_size, stride=1, pad=0):
    """(input_size + 2 * pad - filter_size) // stride + 1: how many window positions fit along one axis."""
    _integers(input_size=(input_size, 1), filter_size=(filter_size, 1), stride=(stride, 1), pad=(pad, 0))
    return (input_size + 2 * pad - filter_size) // stride + 1


def check_window(shape, filter_h, filter_w, stride, pad, what="the filter"):
    """A clear error for a window that cannot slide over x (N, C, H, W); returns (OH, OW)."""
    _integers(stride=(stride, 1), pad=(pad, 0), filter_height=(filter_h, 1), filter_width=(filter_w, 1))
    if len(shape) != 4:
        raise ValueError(f"x must be images of shape (N, C, H, W), got shape {tuple(shape)}")
    _, _, height, width = shape
    if filter_h > height + 2 * pad or filter_w > width + 2 * pad:
        raise ValueError(f"{what} ({filter_h}x{filter_w}) is larger than the padded input "
                         f"({height + 2 * pad}x{width + 2 * pad}: {height}x{width} with pad {pad})")
    return conv_output_size(height, filter_h, stride, pad), conv_output_size(width, filter_w, stride, pad)


def windows(x, filter_h, filter_w, stride=1, pad=0):
    """A read-only view (N, C, OH, OW, FH, FW) of every window of x (padded with zeros): no copy, no loop."""
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    view = sliding_window_view(x, (filter_h, filter_w), axis=(2, 3))
    return view[:, :, ::stride, ::stride]


def im2col(x, filter_h, filter_w, stride=1, pad=0):
    """Every window of x (N, C, H, W) as a row: (N * OH * OW, C * FH * FW), a new array (as the book's)."""
    x = np.asarray(x)
    out_h, out_w = check_window(x.shape, filter_h, filter_w, stride, pad)
    n, c = x.shape[:2]
    view = windows(x, filter_h, filter_w, stride, pad)  # (N, C, OH, OW, FH, FW)
    col = view.transpose(0, 2, 3, 1, 4, 5).reshape(n * out_h * out_w, c * filter_h * filter_w)
    # (1x1 windows, or one window the size of the image, reshape without copying: a read-only view of x)
    return col.copy() if np.may_share_memory(col, x) else col


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """The adjoint of im2col: each row of col (N * OH * OW, C * FH * FW) added back onto its window (N, C, H, W)."""
    n, c = input_shape[:2]
    out_h, out_w = check_window(input_shape, filter_h, filter_w, stride, pad)
    expected = (n * out_h * out_w, c * filter_h * filter_w)
    if np.shape(col) != expected:
        raise ValueError(f"col must have shape {expected} (N*OH*OW, C*FH*FW) for input_shape {tuple(input_shape)} "
                         f"and a {filter_h}x{filter_w} window, got {np.shape(col)}")
    blocks = col.reshape(n, out_h, out_w, c, filter_h, filter_w).transpose(0, 3, 1, 2, 4, 5)
    return add_windows(blocks, input_shape, stride, pad)


def add_windows(blocks, input_shape, stride=1, pad=0):
    """blocks (N, C, OH, OW, FH, FW), one value per window entry, summed back onto x's shape (N, C, H, W)
    by one strided slice-add per filter offset (overlapping windows add up)."""
    n, c, height, width = input_shape
    _, _, out_h, out_w, filter_h, filter_w = blocks.shape
    padded = np.zeros((n, c, height + 2 * pad + stride - 1, width + 2 * pad + stride - 1), dtype=blocks.dtype)
    for fh in range(filter_h):
        for fw in range(filter_w):
            padded[:, :, fh:fh + stride * out_h:stride, fw:fw + stride * out_w:stride] += blocks[:, :, :, :, fh, fw]
    return padded[:, :, pad:height + pad, pad:width + pad]


def image_columns(x, filter_h, filter_w, stride=1, pad=0, ones_row=False):
    """Every window of each image as a column: (N, C * FH * FW, OH * OW), columns ordered (oh, ow).

    ones_row=True adds one more row of ones, (N, C * FH * FW + 1, OH * OW): then [W | b] @ columns
    is W @ columns + b in one product (the bias trick), and its gradient gives db with dW.
    """
    n, c = x.shape[:2]
    out_h, out_w = check_window(x.shape, filter_h, filter_w, stride, pad)
    view = windows(x, filter_h, filter_w, stride, pad).transpose(0, 1, 4, 5, 2, 3)  # (N, C, FH, FW, OH, OW)
    rows = c * filter_h * filter_w
    if not ones_row:
        return view.reshape(n, rows, out_h * out_w)
    columns = np.empty((n, rows + 1, out_h * out_w), dtype=x.dtype)
    columns[:, :rows].reshape(view.shape)[...] = view
    columns[:, rows] = 1
    return columns


def add_image_columns(columns, input_shape, filter_h, filter_w, stride=1, pad=0):
    """The adjoint of image_columns: columns (N, C * FH * FW, OH * OW) added back onto x's shape (N, C, H, W)."""
    n, c = input_shape[:2]
    out_h, out_w = check_window(input_shape, filter_h, filter_w, stride, pad)
    blocks = columns.reshape(n, c, filter_h, filter_w, out_h, out_w).transpose(0, 1, 4, 5, 2, 3)
    return add_windows(blocks, input_shape, stride, pad)
