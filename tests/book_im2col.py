"""The book's im2col and col2im written out with loops (ch. 7.4, common/util.py): the plain
algorithm that framework.im2col's stride-trick versions are tested against."""
import numpy as np

from framework.im2col import check_window


def im2col_loops(x, filter_h, filter_w, stride=1, pad=0):
    """The book's im2col, loops over filter offsets and all: the reference the fast one is tested against."""
    n, c, height, width = x.shape
    out_h, out_w = check_window(x.shape, filter_h, filter_w, stride, pad)
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    col = np.zeros((n, c, filter_h, filter_w, out_h, out_w), dtype=x.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x_ in range(filter_w):
            x_max = x_ + stride * out_w
            col[:, :, y, x_, :, :] = padded[:, :, y:y_max:stride, x_:x_max:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(n * out_h * out_w, -1)


def col2im_loops(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """The book's col2im, written out window by window (one loop per output position): slow, plain."""
    n, c, height, width = input_shape
    out_h, out_w = check_window(input_shape, filter_h, filter_w, stride, pad)
    rows = col.reshape(n, out_h, out_w, c, filter_h, filter_w)
    padded = np.zeros((n, c, height + 2 * pad, width + 2 * pad), dtype=col.dtype)
    for i in range(out_h):
        for j in range(out_w):
            top, left = i * stride, j * stride
            padded[:, :, top:top + filter_h, left:left + filter_w] += rows[:, i, j]
    return padded[:, :, pad:height + pad, pad:width + pad]
