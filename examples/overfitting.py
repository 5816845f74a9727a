"""Overfitting and two cures (the book's ch. 6.4): a big network on 300 digits, then the same
with weight decay and with dropout; train and test accuracy epoch by epoch.

    python examples/overfitting.py --epochs 150
"""
import argparse
import os

from framework import plot
from framework.callbacks import Callback
from framework.datasets import load_digits
from framework.network import MLP
from framework.optimizers import SGD
from framework.training import fit

# The book uses weight decay 0.1 and dropout 0.15 on MNIST; digits are smaller and need less.
SETTINGS = {"plain": {}, "weight decay 0.01": {"weight_decay": 0.01}, "dropout 0.1": {"dropout": 0.1}}


class TrainAndTestAccuracy(Callback):
    """Accuracy on the (whole) training and test sets after every epoch, in inference mode."""

    def __init__(self, train, test):
        super().__init__()
        self.train, self.test, self.train_acc, self.test_acc = train, test, [], []

    def on_epoch_end(self, epoch, logs):
        self.train_acc.append(self.model.accuracy(*self.train))
        self.test_acc.append(self.model.accuracy(*self.test))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=".")
    args = parser.parse_args(argv)

    (x, t), (x_test, t_test) = load_digits(seed=args.seed)
    x, t = x[:args.samples], t[:args.samples]
    curves = {}
    print(f"{args.samples} training samples, 6 hidden layers of 100, SGD lr {args.lr}, {args.epochs} epochs:")
    for name, extra in SETTINGS.items():
        model = MLP(64, [100] * 6, 10, seed=args.seed, **extra)
        watch = TrainAndTestAccuracy((x, t), (x_test, t_test))
        fit(model, SGD(lr=args.lr), x, t, epochs=args.epochs, batch_size=100, seed=args.seed, progress=0,
            callbacks=[watch])
        curves[name] = watch
        print(f"  {name:<17} train {watch.train_acc[-1]:.3f}  test {watch.test_acc[-1]:.3f}  "
              f"gap {watch.train_acc[-1] - watch.test_acc[-1]:.3f}")

    if plot.available():
        plt = plot._pyplot()
        fig, axes = plt.subplots(1, len(curves), figsize=(4.5 * len(curves), 3.8), sharey=True)
        for ax, (name, watch) in zip(axes, curves.items()):
            epochs = range(1, len(watch.train_acc) + 1)
            ax.plot(epochs, watch.train_acc, label="train")
            ax.plot(epochs, watch.test_acc, label="test")
            ax.set(title=name, xlabel="epoch", ylabel="accuracy")
            ax.legend()
        print("picture:", plot.save(fig, os.path.join(args.out, "overfitting.png")))
    return curves


if __name__ == "__main__":
    main()
