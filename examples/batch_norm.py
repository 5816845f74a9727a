"""Batch normalization against none, across initial weight scales (the book's ch. 6.3): a deep
net on a small digits subset, trained with plain SGD, with and without BatchNormalization.

    python examples/batch_norm.py --scales 8 --epochs 20
"""
import argparse
import os

import numpy as np

from framework import plot
from framework.datasets import load_digits
from framework.network import MLP
from framework.optimizers import SGD
from framework.training import DivergenceError, fit


def shown(accuracy):
    return "diverged" if accuracy is None else f"{accuracy:.3f}"


def as_number(accuracy):
    """A diverged run (None) becomes NaN, a gap in the curve."""
    return np.nan if accuracy is None else accuracy


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, default=8, help="weight scales from 1 down to 1e-4")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--samples", type=int, default=500, help="training samples used")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=".")
    args = parser.parse_args(argv)

    (x, t), _ = load_digits(seed=args.seed)
    x, t = x[:args.samples], t[:args.samples]
    results = {}
    print(f"training accuracy after {args.epochs} epochs ({args.samples} samples, 5 hidden layers of 100):")
    print(f"  {'weight std':>10}  {'without BN':>10}  {'with BN':>10}")
    for scale in np.logspace(0, -4, args.scales):
        runs = {}
        for batchnorm in (False, True):
            model = MLP(64, [100] * 5, 10, weight_init=float(scale), batchnorm=batchnorm, seed=args.seed)
            try:
                fit(model, SGD(lr=0.01), x, t, epochs=args.epochs, batch_size=100, seed=args.seed, progress=0)
                runs[batchnorm] = model.accuracy(x, t)
            except DivergenceError:  # large weights without normalization make the loss explode
                runs[batchnorm] = None
        results[scale] = runs
        print(f"  {scale:>10.1e}  {shown(runs[False]):>10}  {shown(runs[True]):>10}")

    if plot.available():
        plt = plot._pyplot()
        scales = list(results)
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(scales, [as_number(results[s][True]) for s in scales], "o-", label="with BatchNormalization")
        ax.plot(scales, [as_number(results[s][False]) for s in scales], "s--", label="without")
        ax.set(xscale="log", xlabel="initial weight std", ylabel="training accuracy",
               title=f"after {args.epochs} epochs of SGD")
        ax.legend()
        print("picture:", plot.save(fig, os.path.join(args.out, "batch_norm.png")))
    return results


if __name__ == "__main__":
    main()
