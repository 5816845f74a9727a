"""The first layer's filters before and after training (the book's ch. 7.6, figure 7-24): random noise becomes edges and blobs.

A SimpleConvNet with thirty 5x5 filters (padding 2, so digits' 8x8 images keep their size) starts,
as the book's, from tiny random weights (std 0.01) and is trained on digits; each filter is drawn
as a 5x5 grey image (its own contrast), before and after. Trained filters respond to a stroke in one
direction or to a blob; on 8x8 digits they are coarser than the book's MNIST filters.

    python examples/visualize_filters.py --epochs 60
"""
import argparse
import os

from framework import plot
from framework.datasets import load_digits
from framework.network import SimpleConvNet
from framework.optimizers import Adam
from framework.training import fit


def draw(ax_grid, filters, title, plt):
    for i, ax in enumerate(ax_grid):
        ax.set_xticks([])
        ax.set_yticks([])
        if i < len(filters):
            ax.imshow(filters[i, 0], cmap=plt.cm.gray_r, interpolation="nearest")
    ax_grid[0].set_title(title, loc="left", fontsize=10)


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--epochs", type=int, default=60, help="Epochs of training on digits.")
    parser.add_argument("--seed", type=int, default=0, help="Seed for the weights and the shuffling.")
    parser.add_argument("--out", default=".", help="Folder for the picture (made if missing).")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    (x, t), (x_test, t_test) = load_digits(seed=args.seed, shape="images")
    network = SimpleConvNet(input_dim=(1, 8, 8), conv_param={"filter_num": 30, "filter_size": 5, "pad": 2},
                            weight_init_std=0.01, seed=args.seed)  # the book's: tiny noise, so what shows after is learned
    before = network.params["W1"].copy()
    fit(network, Adam(lr=1e-3), x, t, epochs=args.epochs, batch_size=100, seed=args.seed, progress=0)
    after = network.params["W1"]
    print(f"{args.epochs} epochs: test accuracy {network.accuracy(x_test, t_test):.4f}; "
          f"filter std before {before.std():.3f}, after {after.std():.3f}")
    if plot.available():
        plt = plot._pyplot()
        fig, axes = plt.subplots(6, 10, figsize=(10, 6.4))
        draw(axes[:3].ravel(), before, "before training (random)", plt)
        draw(axes[3:].ravel(), after, f"after {args.epochs} epochs on digits", plt)
        fig.tight_layout()
        print("picture:", plot.save(fig, os.path.join(args.out, "visualize_filters.png")))
    return before, after


if __name__ == "__main__":
    main()
