"""How the initial weight scale shapes the activations of a deep net (the book's ch. 6.2):
histograms of five layers' outputs for std 1, 0.01, Xavier and He with sigmoid, tanh and ReLU,
then loss curves on digits for each initialisation.

    python examples/weight_init.py --epochs 10
"""
import argparse
import os

import numpy as np

from framework import plot
from framework.callbacks import LayerStatistics
from framework.datasets import load_digits
from framework.functions import relu, sigmoid
from framework.network import MLP
from framework.optimizers import SGD
from framework.training import fit

ACTIVATIONS = {"sigmoid": sigmoid, "tanh": np.tanh, "relu": relu}
INITS = {"std 1": lambda n: 1.0, "std 0.01": lambda n: 0.01, "Xavier": lambda n: np.sqrt(1 / n),
         "He": lambda n: np.sqrt(2 / n)}


def activations(init, activation, layers=5, units=100, samples=1000, seed=0):
    """Outputs of `layers` layers of `units` units for N(0, 1) input, biases zero (as the book)."""
    rng = np.random.default_rng(seed)
    x, outs = rng.standard_normal((samples, units)), []
    for _ in range(layers):
        W = rng.standard_normal((units, units)) * INITS[init](units)
        x = ACTIVATIONS[activation](x @ W)
        outs.append(x)
    return outs


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--epochs", type=int, default=10, help="Epochs of training on digits for each initialisation.")
    parser.add_argument("--seed", type=int, default=0, help="Seed for the weights, the data and the shuffling.")
    parser.add_argument("--out", default=".", help="Folder for the pictures (made if missing).")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    table = {}
    print("standard deviation of each layer's output (1000 samples, 5 layers of 100 units):")
    for activation in ACTIVATIONS:
        for init in INITS:
            outs = activations(init, activation, seed=args.seed)
            table[activation, init] = outs
            print(f"  {activation:<8} {init:<9}" + "".join(f"{o.std():8.3f}" for o in outs))

    (x, t), _ = load_digits(seed=args.seed)
    histories, statistics = {}, {}
    print(f"\ndigits, 4 hidden ReLU layers of 100, SGD lr 0.01, {args.epochs} epochs:")
    for init, weight_init in (("std 0.01", 0.01), ("Xavier", "xavier"), ("He", "he")):
        model = MLP(64, [100] * 4, 10, weight_init=weight_init, seed=args.seed)
        stats = LayerStatistics(x[:300])
        histories[init] = fit(model, SGD(lr=0.01), x, t, epochs=args.epochs, batch_size=100, seed=args.seed,
                              progress=0, callbacks=[stats])
        statistics[init] = stats
        norms = ", ".join(f"{k} {v[-1]:.1e}" for k, v in stats.gradient_norms.items() if k.startswith("W"))
        print(f"  {init:<9} final loss {histories[init].loss[-1]:.4f}; gradient norms {norms}")

    if plot.available():
        plt = plot._pyplot()
        rows = [(a, i) for a in ACTIVATIONS for i in INITS]
        span = {"sigmoid": (0, 1), "tanh": (-1, 1), "relu": (0, 4)}  # the x range drawn for each activation
        fig, axes = plt.subplots(len(rows), 5, figsize=(12, 1.6 * len(rows)))
        for r, key in enumerate(rows):
            counts = [np.histogram(out.ravel(), bins=30, range=span[key[0]])[0] for out in table[key]]
            # ReLU sends about half of all inputs to exactly 0: that bar would flatten the rest, so
            # the y range is fixed by the other bars, as the book fixes it (its figure 6-14).
            top = max(c[1:].max() for c in counts) * 1.15 if key[0] == "relu" else None
            for c, out in enumerate(table[key]):
                axes[r, c].hist(out.ravel(), bins=30, range=span[key[0]])
                axes[r, c].set_yticks([])
                beyond = out > span[key[0]][1]  # ReLU's outputs are unbounded: an explosion must not look like a collapse
                if beyond.mean() > 0.05:
                    axes[r, c].text(0.97, 0.92, f"{beyond.mean():.0%} beyond {span[key[0]][1]}\n(up to {out.max():.2g})",
                                    transform=axes[r, c].transAxes, ha="right", va="top", fontsize=8, color="red",
                                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
                if top:
                    axes[r, c].set_ylim(0, top)
                if c == 0:
                    axes[r, c].set_ylabel(f"{key[0]}\n{key[1]}" + ("\n(bar at 0 cut)" if top else ""), fontsize=8)
                if r == 0:
                    axes[r, c].set_title(f"layer {c + 1}")
        fig.suptitle("activations of 5 layers: sigmoid and tanh want Xavier, ReLU wants He (with Xavier its outputs "
                     "shrink toward 0 layer by layer; with std 1 they explode, in red)", fontsize=10)
        fig.tight_layout(rect=(0, 0, 1, 0.985))
        print("picture:", plot.save(fig, os.path.join(args.out, "weight_init_histograms.png")))
        fig, ax = plt.subplots(figsize=(6, 4))
        for init, history in histories.items():
            ax.plot(range(1, history.epochs + 1), history.loss, label=init)
        ax.set(title="training loss by initialisation", xlabel="epoch", ylabel="loss")
        ax.legend()
        print("picture:", plot.save(fig, os.path.join(args.out, "weight_init_loss.png")))
    return table, histories, statistics


if __name__ == "__main__":
    main()
