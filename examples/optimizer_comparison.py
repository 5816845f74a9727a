"""SGD, Momentum, AdaGrad, RMSprop and Adam: their paths on f(x, y) = x**2 / 20 + y**2 and their
loss curves on digits (the book's ch. 6.1).

    python examples/optimizer_comparison.py --epochs 20
"""
import argparse
import os

import numpy as np

from framework import plot
from framework.datasets import load_digits
from framework.network import MLP
from framework.optimizers import SGD, AdaGrad, Adam, Momentum, RMSprop
from framework.training import fit

# The book's learning rates for the 2-D function.
PATH_OPTIMIZERS = {"SGD": lambda: SGD(lr=0.95), "Momentum": lambda: Momentum(lr=0.1),
                   "AdaGrad": lambda: AdaGrad(lr=1.5), "RMSprop": lambda: RMSprop(lr=0.2),
                   "Adam": lambda: Adam(lr=0.3)}
# Rates for the digits network (the book uses SGD 0.01; each optimizer at a sensible rate).
DIGITS_OPTIMIZERS = {"SGD": lambda: SGD(lr=0.05), "Momentum": lambda: Momentum(lr=0.01),
                     "AdaGrad": lambda: AdaGrad(lr=0.05), "RMSprop": lambda: RMSprop(lr=1e-3),
                     "Adam": lambda: Adam(lr=1e-3)}


def f(x, y):
    return x ** 2 / 20 + y ** 2


def path_of(optimizer, steps=30, start=(-7.0, 2.0)):
    params = {"xy": np.array(start)}
    path = [params["xy"].copy()]
    for _ in range(steps):
        x, y = params["xy"]
        optimizer.update(params, {"xy": np.array([x / 10, 2 * y])})
        path.append(params["xy"].copy())
    return np.array(path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=".")
    args = parser.parse_args(argv)

    paths = {name: path_of(make(), args.steps) for name, make in PATH_OPTIMIZERS.items()}
    print(f"after {args.steps} steps from (-7, 2) on x**2/20 + y**2 (minimum 0 at the origin):")
    for name, path in paths.items():
        print(f"  {name:<9} at ({path[-1][0]:8.4f}, {path[-1][1]:8.4f}), f = {f(*path[-1]):.2e}")

    (x, t), (x_test, t_test) = load_digits(seed=args.seed)
    histories = {}
    print(f"\ndigits, MLP 64-100-10, {args.epochs} epochs of batch 100:")
    for name, make in DIGITS_OPTIMIZERS.items():
        model = MLP(64, [100], 10, seed=args.seed)
        histories[name] = fit(model, make(), x, t, epochs=args.epochs, batch_size=100, seed=args.seed, progress=0)
        accuracy = model.accuracy(x_test, t_test)
        print(f"  {name:<9} final loss {histories[name].loss[-1]:.4f}, test accuracy {accuracy:.4f}")

    if plot.available():
        plt = plot._pyplot()
        fig, (ax_path, ax_loss) = plt.subplots(1, 2, figsize=(12, 4.5))
        gx, gy = np.meshgrid(np.linspace(-10, 10, 200), np.linspace(-5, 5, 200))
        ax_path.contour(gx, gy, f(gx, gy), levels=np.logspace(-2, 2, 12), colors="#ccc")
        for name, path in paths.items():
            ax_path.plot(path[:, 0], path[:, 1], "o-", markersize=2, label=name)
        ax_path.set(title="paths on x^2/20 + y^2", xlim=(-10, 10), ylim=(-5, 5))
        ax_path.legend()
        for name, history in histories.items():
            ax_loss.plot(range(1, history.epochs + 1), history.loss, label=name)
        ax_loss.set(title="training loss on digits", xlabel="epoch", ylabel="loss", yscale="log")
        ax_loss.legend()
        print("picture:", plot.save(fig, os.path.join(args.out, "optimizer_comparison.png")))
    return paths, histories


if __name__ == "__main__":
    main()
