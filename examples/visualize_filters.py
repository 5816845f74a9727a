"""The first layer's filters before and after training (the book's ch. 7.6, figure 7-24): random noise becomes edges and blobs.

A SimpleConvNet with thirty 5x5 filters starts, as the book's, from tiny random weights (std
0.01) and is trained with Adam on the digits28 stand-in (scikit-learn's digits enlarged to 28x28,
the size of the book's MNIST: on 8x8 digits a 5x5 filter covers most of the digit and learns no
stroke). Each panel draws its thirty filters on one gray scale (white negative, black positive,
symmetric about 0), so that a filter's contrast can be compared with the others': before training
they are faint noise; after, most are oriented strokes (edges) or blobs, as the book's.

    python examples/visualize_filters.py --epochs 20
"""
import argparse
import os

from framework import plot
import numpy as np

from framework.datasets import DIGITS28_CENTRED, load_mnist
from framework.network import SimpleConvNet
from framework.optimizers import Adam
from framework.training import fit


def draw(ax_grid, filters, title, panel):
    """The filters on one gray scale, symmetric about 0 (the panel's largest |weight| is full black or white)."""
    largest = np.abs(filters).max()
    for i, ax in enumerate(ax_grid):
        ax.set_xticks([])
        ax.set_yticks([])
        if i < len(filters):
            ax.imshow(filters[i, 0], cmap="gray_r", vmin=-largest, vmax=largest, interpolation="nearest")
    panel.suptitle(f"{title}; one gray scale, |w| up to {largest:.2f}", fontsize=10)


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--epochs", type=int, default=20, help="Epochs of training on the 28x28 digits.")
    parser.add_argument("--samples", type=int, default=None, help="Use only this many training images (default: all).")
    parser.add_argument("--seed", type=int, default=0, help="Seed for the weights and the shuffling.")
    parser.add_argument("--out", default=".", help="Folder for the picture (made if missing).")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    (x, t), (x_test, t_test) = load_mnist(kind="digits28", flatten=False, dtype=np.float32)
    x, t = x[:DIGITS28_CENTRED][:args.samples], t[:DIGITS28_CENTRED][:args.samples]
    network = SimpleConvNet(input_dim=(1, 28, 28), weight_init_std=0.01, seed=args.seed,
                            dtype=np.float32)  # the book's: tiny noise, so what shows after is learned
    before = network.params["W1"].copy()
    fit(network, Adam(lr=1e-3), x, t, epochs=args.epochs, batch_size=100, seed=args.seed, progress=0)
    after = network.params["W1"]
    print(f"{args.epochs} epochs: test accuracy {network.accuracy(x_test, t_test):.4f}; "
          f"filter std before {before.std():.3f}, after {after.std():.3f}")
    if plot.available():
        plt = plot._pyplot()
        fig = plt.figure(figsize=(8, 5.6))
        for panel, filters, title in zip(fig.subfigures(2, 1), (before, after),
                                         ("before training (random)", f"after {args.epochs} epochs on 28x28 digits")):
            draw(panel.subplots(3, 10).ravel(), filters, title, panel)
        print("picture:", plot.save(fig, os.path.join(args.out, "visualize_filters.png")))
    return before, after


if __name__ == "__main__":
    main()
