"""Data augmentation, the book's ch. 8.1: the same conv net trained with and without random shifts and rotations of its training images, tested on the test digits as they are and moved.

A SimpleConvNet (thirty 5x5 filters, He-initialised, float32, Adam) learns the 1,397 centred
training digits of the digits28 stand-in (digits enlarged to 28x28), once as they are and once
with every batch rotated by up to --rotate degrees and shifted by up to --shift pixels
(framework.augment.Augment). Both are tested on the 400 test digits, centred as the training
digits are, and on the same digits moved as handwriting moves (each rotated and shifted at
random, seeded). The net that never saw a moved digit fails on many of them; the augmented one
reads them almost as well as the centred ones, and loses nothing on those.

    python examples/augmentation.py --epochs 40
"""
import argparse
import os

import numpy as np

from framework import plot
from framework.augment import Augment, rotate, shift
from framework.callbacks import Callback
from framework.datasets import DIGITS28_CENTRED, load_mnist
from framework.network import SimpleConvNet
from framework.optimizers import Adam
from framework.training import fit


class TestAccuracy(Callback):
    """The accuracy on each named test set after every epoch."""

    def __init__(self, sets):
        super().__init__()
        self.sets, self.curves = sets, {name: [] for name in sets}

    def on_epoch_end(self, epoch, logs):
        for name, (x, t) in self.sets.items():
            self.curves[name].append(self.model.accuracy(x, t))


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--epochs", type=int, default=40, help="Epochs of training for each net.")
    parser.add_argument("--shift", type=int, default=2, help="Largest shift in pixels, down and right (28x28 images).")
    parser.add_argument("--rotate", type=float, default=10.0, help="Largest rotation in degrees.")
    parser.add_argument("--samples", type=int, default=None, help="Use only this many training digits (default: 1,397).")
    parser.add_argument("--seed", type=int, default=0, help="Seed for the weights, the shuffling and the changes.")
    parser.add_argument("--out", default=".", help="Folder for the pictures (made if missing).")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    (x_train, t_train), (x_test, t_test) = load_mnist(kind="digits28", flatten=False, dtype=np.float32)
    x_train, t_train = x_train[:DIGITS28_CENTRED][:args.samples], t_train[:DIGITS28_CENTRED][:args.samples]
    rng = np.random.default_rng(args.seed + 1)
    moved = shift(rotate(x_test, rng.uniform(-args.rotate, args.rotate, len(x_test))),
                  *rng.integers(-args.shift, args.shift + 1, (2, len(x_test))))
    sets = {"test digits": (x_test, t_test), "test digits moved": (moved, t_test)}
    augment = Augment(shift=args.shift, rotate=args.rotate)
    curves = {}
    for name, change in (("as they are", None), ("augmented", augment)):
        network = SimpleConvNet(input_dim=(1, 28, 28), weight_init_std="he", seed=args.seed, dtype=np.float32)
        watch = TestAccuracy(sets)
        fit(network, Adam(lr=0.001), x_train, t_train, epochs=args.epochs, batch_size=100, seed=args.seed,
            progress=0, callbacks=[watch], augment=change)
        curves[name] = watch.curves
        print(f"trained on the digits {name:<11}: test accuracy {watch.curves['test digits'][-1]:.4f}, "
              f"on the moved test digits {watch.curves['test digits moved'][-1]:.4f}")
    if plot.available():
        plt = plot._pyplot()
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        epochs = range(1, args.epochs + 1)
        for (name, by_set), color in zip(curves.items(), ("tab:gray", "tab:blue")):
            for (test, accuracy), style in zip(by_set.items(), ("-", "--")):
                ax.plot(epochs, accuracy, style, color=color, label=f"trained {name}, on {test}")
        ax.set(xlabel="epochs", ylabel="test accuracy", ylim=(0.4, 1.0),
               title="augmentation: the same test digits, as they are and moved")
        ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        print("picture:", plot.save(fig, os.path.join(args.out, "augmentation.png")))
        fig, axes = plt.subplots(4, 8, figsize=(8, 4.4))
        changed = augment(np.repeat(x_test[:8], 3, axis=0), np.random.default_rng(args.seed)).reshape(8, 3, 1, 28, 28)
        for j in range(8):
            for i, image in enumerate([x_test[j]] + list(changed[j])):
                axes[i, j].imshow(image[0], cmap=plt.cm.gray_r, interpolation="nearest")
                axes[i, j].set_xticks([])
                axes[i, j].set_yticks([])
        axes[0, 0].set_ylabel("digit", fontsize=9)
        for i in range(1, 4):
            axes[i, 0].set_ylabel(f"changed {i}", fontsize=9)
        fig.suptitle(f"Augment(shift={args.shift}, rotate={args.rotate:g}): each batch is changed afresh", fontsize=10)
        fig.tight_layout()
        print("picture:", plot.save(fig, os.path.join(args.out, "augmentation_samples.png")))
    return curves


if __name__ == "__main__":
    main()
