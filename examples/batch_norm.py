"""Batch normalization against none, across 16 initial weight scales from 1 to 1e-4 (the book's ch. 6.3,
figure 6-19): five hidden layers of 100 on 1000 digits, SGD lr 0.01, 20 epochs of batch 100, the book's
batch normalization (eps 1e-6).

What it shows: from std 0.05 down, the plain network never leaves 10% (its signals vanish layer by
layer) while the normalized one learns at every scale. Where batch normalization loses: at std near
1 the plain network's loss explodes (drawn as a cross, 'diverged'), and from about 0.3 to 0.1, where
the scale is already right, plain SGD learns as fast or faster - normalization fixes a bad scale, it
does not speed up a good one. With PyTorch's eps 1e-5 instead of the book's 1e-6 the normalized net
learns nothing at 1e-4 either: there the batch variance (about 1e-8) is far below eps.

    python examples/batch_norm.py --scales 16 --epochs 20
"""
import argparse
import os

import numpy as np

from framework import plot
from framework.book import SGD, MultiLayerNetExtend
from framework.datasets import load_digits


def train(x, t, scale, batchnorm, epochs, seed):
    """Training accuracy after each epoch, None from the epoch where the loss stopped being finite."""
    network = MultiLayerNetExtend(64, [100] * 5, 10, weight_init_std=scale, use_batchnorm=batchnorm, seed=seed)
    optimizer, rng, accuracies = SGD(lr=0.01), np.random.default_rng(seed), []
    with np.errstate(all="ignore"):  # a diverging run overflows; it is reported, not warned about
        for _ in range(epochs):
            for _ in range(max(len(x) // 100, 1)):
                batch = rng.choice(len(x), 100)  # the book draws batches with replacement
                optimizer.update(network.params, network.gradient(x[batch], t[batch]))
            finite = all(np.isfinite(p).all() for p in network.params.values())
            accuracies.append(network.accuracy(x, t) if finite else None)
            if not finite:
                break
    return accuracies


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--scales", type=int, default=16, help="Weight scales from 1 down to 1e-4 (the book: 16).")
    parser.add_argument("--epochs", type=int, default=20, help="Epochs for each network (the book: 20).")
    parser.add_argument("--samples", type=int, default=1000, help="Training samples used (the book: 1000).")
    parser.add_argument("--seed", type=int, default=0, help="Seed for the weights and the batches.")
    parser.add_argument("--out", default=".", help="Folder for the picture (made if missing).")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    (x, t), _ = load_digits(seed=args.seed)
    x, t = x[:args.samples], t[:args.samples]
    scales = np.logspace(0, -4, args.scales)
    results = {}
    print(f"training accuracy after {args.epochs} epochs ({args.samples} samples, 5 hidden layers of 100):")
    print(f"  {'weight std':>10}  {'without BN':>10}  {'with BN':>10}")
    for scale in scales:
        results[scale] = {bn: train(x, t, float(scale), bn, args.epochs, args.seed) for bn in (False, True)}
        shown = [f"diverged@{len(r)}" if r[-1] is None else f"{r[-1]:.3f}" for r in results[scale].values()]
        print(f"  {scale:>10.1e}  {shown[0]:>10}  {shown[1]:>10}")

    if plot.available():
        plt = plot._pyplot()
        columns = 4
        rows = -(-len(scales) // columns)
        fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.5 * rows), sharex=True, sharey=True,
                                 squeeze=False)
        for ax in axes.ravel()[len(scales):]:
            ax.axis("off")
        for ax, scale in zip(axes.ravel(), scales):
            for batchnorm, style, label in ((True, "-", "with BatchNormalization"), (False, "--", "without")):
                curve = results[scale][batchnorm]
                finite = [a for a in curve if a is not None]
                ax.plot(range(1, len(finite) + 1), finite, style, label=label)
                if curve and curve[-1] is None:  # draw where it diverged instead of dropping the run
                    ax.plot(len(curve), 0.05, "x", color="C1", markersize=9)
                    ax.text(len(curve) + 0.5, 0.1, f"diverged\n(epoch {len(curve)})", fontsize=7, color="C1")
            ax.set_title(f"weight std {scale:.1e}", fontsize=9)
            ax.set_ylim(0, 1.02)
        for ax in axes[:, 0]:
            ax.set_ylabel("train accuracy")
        for ax in axes[-1, :]:
            ax.set_xlabel("epoch")
        axes[0, 0].legend(fontsize=7, loc="center right")
        fig.suptitle("with batch normalization (solid) the network learns at every initial scale; "
                     "without it (dashed) only near std 0.1-0.3 (x: the loss diverged)", fontsize=10)
        fig.tight_layout(rect=(0, 0, 1, 0.97))
        print("picture:", plot.save(fig, os.path.join(args.out, "batch_norm.png")))
    return results


if __name__ == "__main__":
    main()
