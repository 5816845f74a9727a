"""How a convolution becomes one matrix product (the book's ch. 7.4): im2col on a tiny input, every shape printed.

One image of 1 channel and 4x4 pixels, two 3x3 filters, stride 1, no padding: im2col lays the
four windows out as rows, the filters become columns, one product gives the output, and col2im
carries a gradient back onto the pixels (a pixel shared by several windows collects from each).

    python examples/im2col_walkthrough.py
"""
import argparse

import numpy as np

from framework.im2col import col2im, conv_output_size, im2col
from framework.layers import Convolution


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--size", type=int, default=4, help="Height and width of the one input image.")
    parser.add_argument("--stride", type=int, default=1, help="Step of the 3x3 window.")
    parser.add_argument("--pad", type=int, default=0, help="Zeros added around the image.")
    args = parser.parse_args(argv)
    np.set_printoptions(precision=2, suppress=True, linewidth=110)

    x = np.arange(args.size * args.size, dtype=float).reshape(1, 1, args.size, args.size)
    W = np.stack([np.eye(3), np.ones((3, 3)) / 9])[:, None]  # (FN=2, C=1, FH=3, FW=3): a diagonal and an average
    b = np.zeros(2)
    out_h = conv_output_size(args.size, 3, args.stride, args.pad)
    print(f"x: (N, C, H, W) = {x.shape}")
    print(x[0, 0])
    print(f"\nW: (FN, C, FH, FW) = {W.shape}; output size OH = (H + 2*pad - FH) // stride + 1 = "
          f"({args.size} + {2 * args.pad} - 3) // {args.stride} + 1 = {out_h}")

    col = im2col(x, 3, 3, args.stride, args.pad)
    print(f"\n1. col = im2col(x): (N*OH*OW, C*FH*FW) = {col.shape}, one row per window")
    print(col)
    filters = W.reshape(2, -1).T
    print(f"\n2. the filters as columns, W.reshape(FN, -1).T: {filters.shape}")
    print(filters)
    out = col @ filters + b
    print(f"\n3. col @ W.reshape(FN, -1).T + b: {out.shape}, one row per window, one column per filter")
    print(out)
    out = out.reshape(1, out_h, out_h, 2).transpose(0, 3, 1, 2)
    print(f"\n4. reshaped to (N, OH, OW, FN) and transposed to (N, FN, OH, OW) = {out.shape}")
    print(out[0])
    layer = Convolution(W, b, stride=args.stride, pad=args.pad)
    print(f"   the Convolution layer gives the same: {np.allclose(layer.forward(x), out)}")

    dout = np.ones_like(out)
    dcol = dout.transpose(0, 2, 3, 1).reshape(-1, 2) @ W.reshape(2, -1)
    dx = col2im(dcol, x.shape, 3, 3, args.stride, args.pad)
    print(f"\n5. backward with dout = 1: dcol = dout @ W.reshape(FN, -1) is {dcol.shape}; col2im adds each row "
          f"back onto its window:")
    print(dx[0, 0])
    print("   each pixel's dx sums the filter weights of every window it sits in; how many windows that is:")
    print(col2im(np.ones_like(col), x.shape, 3, 3, args.stride, args.pad)[0, 0])
    print(f"   (the same as the Convolution layer's backward: {np.allclose(layer.backward(dout), dx)})")
    return col, out, dx


if __name__ == "__main__":
    main()
