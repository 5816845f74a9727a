"""Gradient descent on f(x0, x1) = x0**2 + x1**2 with numerical gradients (the book's ch. 4.4).

    python examples/gradient_descent.py --lr 0.1 --steps 20
"""
import argparse
import os

import numpy as np

from framework import plot
from framework.functions import numerical_gradient


def f(x):
    return float(x[0] ** 2 + x[1] ** 2)


def gradient_descent(f, init_x, lr, steps):
    """x <- x - lr * grad f(x), `steps` times; returns the path, one row per position."""
    x = np.array(init_x, dtype=np.float64)
    path = [x.copy()]
    for _ in range(steps):
        x -= lr * numerical_gradient(f, x)
        path.append(x.copy())
    return np.array(path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--lr", type=float, default=0.1, help="Learning rate of each gradient step (the book: 0.1).")
    parser.add_argument("--steps", type=int, default=20, help="Number of gradient steps (the book: 20).")
    parser.add_argument("--start", type=float, nargs=2, default=[-3.0, 4.0], metavar=("X0", "X1"),
                        help="Starting point (the book: -3 4).")
    parser.add_argument("--out", default=".", help="Folder for the picture (made if missing).")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    path = gradient_descent(f, args.start, args.lr, args.steps)
    print(f"start {path[0]}, f = {f(path[0]):.4f}")
    for i in (1, 2, len(path) - 1):
        print(f"step {i:>3}: x = {np.round(path[i], 5)}, f = {f(path[i]):.6f}")
    print(f"with lr = {args.lr}: each step multiplies x by (1 - 2 * lr) = {1 - 2 * args.lr:g}")

    if plot.available():
        plt = plot._pyplot()
        fig, (ax_field, ax_path) = plt.subplots(1, 2, figsize=(10, 4.5))
        grid = np.linspace(-4, 4, 15)
        gx, gy = np.meshgrid(grid, grid)
        gradients = np.array([numerical_gradient(f, np.array([a, b])) for a, b in zip(gx.ravel(), gy.ravel())])
        ax_field.quiver(gx, gy, -gradients[:, 0], -gradients[:, 1], angles="xy", color="#666")
        ax_field.set(title="-grad f: the direction of steepest descent", xlabel="x0", ylabel="x1")
        ax_path.plot([-5, 5], [0, 0], "--", color="#bbb")
        ax_path.plot([0, 0], [-5, 5], "--", color="#bbb")
        ax_path.plot(path[:, 0], path[:, 1], "o-", markersize=4)
        ax_path.set(xlim=(-3.5, 3.5), ylim=(-4.5, 4.5), title=f"gradient descent, lr = {args.lr}",
                    xlabel="x0", ylabel="x1")
        print("picture:", plot.save(fig, os.path.join(args.out, "gradient_descent.png")))
    return path


if __name__ == "__main__":
    main()
