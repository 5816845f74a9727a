"""SGD, Momentum, AdaGrad and Adam as the book compares them (ch. 6.1): their paths on
f(x, y) = x**2 / 20 + y**2 (the book's figure 6-8, with its learning rates) and their loss per
iteration on digits (its figure 6-9: a 4-layer net, batch 128, each optimizer with the book's defaults).

    python examples/optimizer_comparison.py --iterations 2000
"""
import argparse
import os

import numpy as np

from framework import plot
from framework.book import SGD, AdaGrad, Adam, Momentum, MultiLayerNet, smooth_curve
from framework.datasets import load_digits

# The book's learning rates for the 2-D function (its optimizer_compare_naive.py).
PATH_OPTIMIZERS = {"SGD": lambda: SGD(lr=0.95), "Momentum": lambda: Momentum(lr=0.1),
                   "AdaGrad": lambda: AdaGrad(lr=1.5), "Adam": lambda: Adam(lr=0.3)}
# The book's defaults for the network (its optimizer_compare_mnist.py): lr 0.01, Adam 0.001.
DIGITS_OPTIMIZERS = {"SGD": SGD, "Momentum": Momentum, "AdaGrad": AdaGrad, "Adam": Adam}


def f(x, y):
    return x ** 2 / 20 + y ** 2


def path_of(optimizer, steps=30, start=(-7.0, 2.0)):
    """The points visited from `start`, with x and y kept as plain numbers as in the book's script."""
    params = {"x": start[0], "y": start[1]}
    path = [start]
    for _ in range(steps):
        optimizer.update(params, {"x": params["x"] / 10, "y": 2 * params["y"]})
        path.append((params["x"], params["y"]))
    return np.array(path)


def digits_losses(make, iterations, seed):
    (x, t), _ = load_digits(seed=seed)
    network, optimizer = MultiLayerNet(64, [100] * 4, 10, seed=seed), make()
    rng, losses = np.random.default_rng(seed), []
    for _ in range(iterations):
        batch = rng.choice(len(x), 128)  # the book draws each batch at random, with replacement
        optimizer.update(network.params, network.gradient(x[batch], t[batch]))
        losses.append(network.loss(x[batch], t[batch]))
    return np.array(losses)


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--steps", type=int, default=30, help="Steps on the 2-D function (the book: 30).")
    parser.add_argument("--iterations", type=int, default=2000, help="Batches of training on digits (the book: 2000).")
    parser.add_argument("--seed", type=int, default=0, help="Seed for the weights and the batches.")
    parser.add_argument("--out", default=".", help="Folder for the picture (made if missing).")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    paths = {name: path_of(make(), args.steps) for name, make in PATH_OPTIMIZERS.items()}
    print(f"after {args.steps} steps from (-7, 2) on x**2/20 + y**2 (minimum 0 at the origin):")
    for name, path in paths.items():
        print(f"  {name:<9} at ({path[-1][0]:8.4f}, {path[-1][1]:8.4f}), f = {f(*path[-1]):.2e}")

    losses = {name: digits_losses(make, args.iterations, args.seed) for name, make in DIGITS_OPTIMIZERS.items()}
    print(f"\ndigits, 4 hidden ReLU layers of 100, {args.iterations} batches of 128, the book's default rates:")
    for name, curve in losses.items():
        print(f"  {name:<9} loss over the last 100 batches {curve[-100:].mean():.4f}")

    if plot.available():
        plt = plot._pyplot()
        fig = plt.figure(figsize=(13, 6.5))
        grid = fig.add_gridspec(2, 3)
        gx, gy = np.meshgrid(np.arange(-10, 10, 0.05), np.arange(-5, 5, 0.05))
        z = f(gx, gy)
        z[z > 7] = 0  # the book's contour cut
        for i, (name, path) in enumerate(paths.items()):
            ax = fig.add_subplot(grid[i // 2, i % 2])
            ax.contour(gx, gy, z, colors="#bbb")
            ax.plot(path[:, 0], path[:, 1], "o-", color="red", markersize=3)
            ax.plot(0, 0, "+", color="black", markersize=10)
            ax.set(title=name, xlabel="x", ylabel="y", xlim=(-10, 10), ylim=(-10, 10))
        ax = fig.add_subplot(grid[:, 2])
        for name, curve in losses.items():
            ax.plot(np.arange(len(curve)), smooth_curve(curve), label=name)
        ax.set(title="loss on digits (smoothed)", xlabel="iterations", ylabel="loss", ylim=(0, 1))
        ax.legend()
        fig.suptitle("f(x, y) = x^2/20 + y^2: SGD zigzags across the valley; the others head for the minimum (+)",
                     fontsize=10)
        fig.tight_layout(rect=(0, 0, 1, 0.96))
        print("picture:", plot.save(fig, os.path.join(args.out, "optimizer_comparison.png")))
    return paths, losses


if __name__ == "__main__":
    main()
