"""Convolution layers (the book's ch. 7): Convolution and Pooling on images (N, C, H, W), and Flatten.

The windows are laid out by framework.im2col (the book's im2col/col2im); see there for the shapes.
"""
import numpy as np

from .checks import check_number
from .im2col import add_image_columns, check_window, image_columns
from .layer import BookName, Layer, as_input, check_backward


class Convolution(Layer):
    """2-D convolution (cross-correlation, as the book and PyTorch): out[n, f] = sum_c W[f, c] * x[n, c] + b[f].

    W (FN, C, FH, FW), b (FN,), x (N, C, H, W), out (N, FN, OH, OW), OH = (H + 2 pad - FH) // stride + 1.
    The book's im2col products, out = col @ W.reshape(FN, -1).T + b, dW = dout.T @ col,
    dx = col2im(dout @ W.reshape(FN, -1)), run per image on columns (N, C*FH*FW, OH*OW)
    (framework.im2col.image_columns), which gives (N, FN, OH, OW) without a transposing copy.
    """

    formula = ("out = im2col(x) @ W.reshape(FN, -1).T + b",
               "dW = dout.T @ im2col(x),  db = sum(dout),  dx = col2im(dout @ W.reshape(FN, -1))")
    W, b, dW, db = BookName("params", "W"), BookName("params", "b"), BookName("grads", "W"), BookName("grads", "b")
    columns = out_shape = None

    def __init__(self, W, b, stride=1, pad=0):
        super().__init__()
        W, b = np.asarray(W), np.asarray(b)
        if W.ndim != 4 or b.shape != (W.shape[0],):
            raise ValueError(f"Convolution needs W of shape (FN, C, FH, FW) and b of shape (FN,), "
                             f"got W {W.shape} and b {b.shape}")
        if W.dtype != b.dtype or W.dtype.kind != "f":
            raise TypeError(f"W and b must share one float dtype, got {W.dtype} and {b.dtype}")
        self.stride = check_number(stride, "stride", low=1, integer=True)
        self.pad = check_number(pad, "pad", low=0, integer=True)
        self.params = {"W": W, "b": b}
        self.grads = {"W": np.zeros_like(W), "b": np.zeros_like(b)}

    def forward(self, x, train=True):
        W, b = self.params["W"], self.params["b"]
        x = as_input(x)
        filters, channels, filter_h, filter_w = W.shape
        if x.ndim != 4 or x.shape[1] != channels:
            raise ValueError(f"x must be images of shape (N, {channels}, H, W) for this Convolution, "
                             f"got shape {x.shape}")
        out_h, out_w = check_window(x.shape, filter_h, filter_w, self.stride, self.pad)
        self.x_shape = x.shape
        # Per image, out = W (FN, C*FH*FW) @ columns (C*FH*FW, OH*OW): the book's im2col product,
        # batched so that the result is already (N, FN, OH, OW) in memory order. The bias rides
        # along as one more column of W against a row of ones in the columns (no pass of its own).
        self.columns = image_columns(x, filter_h, filter_w, self.stride, self.pad, ones_row=True)
        weights_and_bias = np.concatenate([W.reshape(filters, -1), b[:, None]], axis=1)
        out = np.matmul(weights_and_bias, self.columns)
        self.out_shape = (len(x), filters, out_h, out_w)
        return out.reshape(self.out_shape)

    def parameter_gradients(self, dout):
        """dW and db only, without dx (a network's first layer needs no dx); returns dout as (N, FN, OH*OW)."""
        check_backward(self, "columns", dout, self.out_shape)
        filters = self.params["W"].shape[0]
        d = dout.reshape(len(dout), filters, -1)
        # [dW | db] = sum over images of dout_n @ columns_n.T (the ones row gives db = sum of dout):
        # a batched product, then a sum over the batch.
        both = np.sum(np.matmul(d, self.columns.transpose(0, 2, 1)), axis=0)
        self.grads["W"].reshape(filters, -1)[...] = both[:, :-1]
        self.grads["b"][...] = both[:, -1]
        return d

    def backward(self, dout):
        d = self.parameter_gradients(dout)
        W = self.params["W"]
        columns = np.matmul(W.reshape(W.shape[0], -1).T, d)  # dcolumns, (N, C*FH*FW, OH*OW)
        return add_image_columns(columns, self.x_shape, W.shape[2], W.shape[3], self.stride, self.pad)

    def config(self):
        return {"shape": list(self.params["W"].shape), "stride": self.stride, "pad": self.pad}

    @classmethod
    def from_config(cls, config, dtype):
        shape = config["shape"]
        return cls(np.zeros(shape, dtype), np.zeros(shape[0], dtype), config.get("stride", 1), config.get("pad", 0))

    def __repr__(self):
        filters, channels, filter_h, filter_w = self.params["W"].shape
        return (f"Convolution({channels} -> {filters}, {filter_h}x{filter_w}, stride={self.stride}, pad={self.pad}, "
                f"dtype={self.params['W'].dtype})")


class Pooling(Layer):
    """Max pooling over pool_h x pool_w windows: out[n, c, i, j] = max of x's window (i, j) in channel c.

    x (N, C, H, W), out (N, C, OH, OW); padding adds zeros, as the book's. Backward sends each dout to
    its window's maximum (the first, row by row, on ties: the book's argmax), 0 elsewhere. Computed as
    one elementwise maximum per window offset (strided slices of x), noting which offset won (`argmax`).
    """

    formula = ("out = max over each pool_h x pool_w window", "dx = dout at each window's argmax, 0 elsewhere")
    out = argmax = None

    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        super().__init__()
        self.pool_h = check_number(pool_h, "pool_h", low=1, integer=True)
        self.pool_w = check_number(pool_w, "pool_w", low=1, integer=True)
        if self.pool_h * self.pool_w > 256:  # the winning offset is kept in one byte
            raise ValueError(f"Pooling windows hold at most 256 entries, got {self.pool_h}x{self.pool_w}")
        self.stride = check_number(stride, "stride", low=1, integer=True)
        self.pad = check_number(pad, "pad", low=0, integer=True)

    def _offsets(self, out_h, out_w):
        """(k, slice of the padded input) for each window offset k = fh * pool_w + fw."""
        s = self.stride
        for fh in range(self.pool_h):
            for fw in range(self.pool_w):
                yield fh * self.pool_w + fw, (slice(None), slice(None), slice(fh, fh + s * out_h, s),
                                              slice(fw, fw + s * out_w, s))

    def forward(self, x, train=True):
        x = as_input(x)
        if x.ndim != 4:
            raise ValueError(f"x must be images of shape (N, C, H, W) for Pooling, got shape {x.shape}")
        out_h, out_w = check_window(x.shape, self.pool_h, self.pool_w, self.stride, self.pad, what="the pool window")
        self.x_shape = x.shape
        if self.pad:
            x = np.pad(x, ((0, 0), (0, 0), (self.pad, self.pad), (self.pad, self.pad)))
        out = argmax = None
        for k, window in self._offsets(out_h, out_w):
            if out is None:
                out = x[window].copy(order="K")  # keeps x's memory layout
                argmax = np.zeros(out.shape, dtype=np.uint8)
                continue
            candidate = x[window].copy(order="K")  # one strided read; the passes below run in order
            # Offsets come in increasing k, so "argmax = k where strictly larger" is a maximum with
            # k times the 0/1 test (rather than a masked write, np.copyto(where=...)).
            larger = np.greater(candidate, out)
            larger |= np.isnan(candidate)  # a NaN wins its window, as in PyTorch: its gradient goes there
            np.maximum(argmax, larger.view(np.uint8) * np.uint8(k), out=argmax)
            np.maximum(out, candidate, out=out)
        self.x, self.out, self.argmax = x, out, argmax  # x (a reference) only for dx's shape and layout
        return out

    def backward(self, dout):
        check_backward(self, "argmax", dout, getattr(self.out, "shape", None))
        height, width = self.x_shape[2:]
        p = self.pad
        # dx in the input's memory layout, so the layers below read it in order; windows that do not
        # overlap are written once each, overlapping ones add up.
        overlap = self.stride < max(self.pool_h, self.pool_w)
        # Windows that tile x exactly (stride = window, no rows or columns left over) write every entry
        # of dx once: no need to zero it first. A stride larger than the window leaves gaps, which stay 0.
        tiled = self.stride == self.pool_h == self.pool_w \
            and self.x.shape[2:] == (self.stride * dout.shape[2], self.stride * dout.shape[3])
        dx = (np.empty_like if tiled else np.zeros_like)(self.x, dtype=dout.dtype)
        if dout.strides != self.out.strides:  # one pass into out's layout makes every pass below sequential
            laid_out = np.empty_like(self.out, dtype=dout.dtype)
            laid_out[...] = dout
            dout = laid_out
        for k, window in self._offsets(*self.out.shape[2:]):
            won = self.argmax == k
            if overlap:
                dx[window] += dout * won
            else:
                np.multiply(dout, won, out=dx[window])
        return dx[:, :, p:p + height, p:p + width] if p else dx

    def kink_state(self):
        """Which offset of each window holds its maximum: a step that changes it crossed max's kink."""
        return self.argmax

    def config(self):
        return {"pool_h": self.pool_h, "pool_w": self.pool_w, "stride": self.stride, "pad": self.pad}

    def __repr__(self):
        return f"Pooling({self.pool_h}x{self.pool_w}, stride={self.stride}, pad={self.pad})"


class Flatten(Layer):
    """out = x.reshape(N, -1): images (N, C, H, W) to rows (N, C*H*W) for an Affine layer; backward reshapes back."""

    formula = ("out = x.reshape(N, -1)", "dx = dout.reshape(x.shape)")

    x_shape = None

    def forward(self, x, train=True):
        x = as_input(x)
        self.x_shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, dout):
        rows = None if self.x_shape is None else (self.x_shape[0], int(np.prod(self.x_shape[1:])))
        check_backward(self, "x_shape", dout, rows)
        return dout.reshape(self.x_shape)
