"""Pictures of what networks learn: decision boundaries on 2-D toy data, the first-layer weights
of a digits model as 8x8 images, the digits it gets wrong, and its confusion matrix.

    python examples/pictures.py --out pictures/
"""
import argparse
import os

from framework import plot
from framework.datasets import load_digits, make_moons, make_spiral
from framework.network import MLP
from framework.optimizers import Adam
from framework.training import fit


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--epochs", type=int, default=200, help="Epochs of training for the 2-D problems.")
    parser.add_argument("--digits-epochs", type=int, default=30, help="Epochs of training for the digits network.")
    parser.add_argument("--seed", type=int, default=0, help="Seed for the data, the weights and the shuffling.")
    parser.add_argument("--out", default=".", help="Folder for the pictures (made if missing).")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    if not plot.available():
        print("pictures need matplotlib: pip install -e '.[plot]'")
        return {}
    os.makedirs(args.out, exist_ok=True)
    written = {}
    for name, make in (("moons", make_moons), ("spiral", make_spiral)):
        (x, t), (x_test, t_test) = make(seed=args.seed)
        model = MLP(2, [32, 32], int(t.max()) + 1, seed=args.seed)
        fit(model, Adam(lr=0.01), x, t, epochs=args.epochs, batch_size=32, seed=args.seed, progress=0)
        print(f"{name}: test accuracy {model.accuracy(x_test, t_test):.3f}")
        written[name] = plot.plot_decision_boundary(model, x, t, os.path.join(args.out, f"boundary_{name}.png"),
                                                    title=f"{name}: MLP 2-32-32")
    (x, t), (x_test, t_test) = load_digits(seed=args.seed)
    model = MLP(64, [36], 10, seed=args.seed)
    fit(model, Adam(lr=3e-3), x, t, epochs=args.digits_epochs, batch_size=32, seed=args.seed, progress=0)
    print(f"digits: test accuracy {model.accuracy(x_test, t_test):.4f}")

    def out(name):
        return os.path.join(args.out, name)

    written["weights"] = plot.plot_first_layer_weights(model, out("digits_weights.png"))
    written["misclassified"] = plot.plot_misclassified(model, x_test, t_test, out("digits_misclassified.png"))
    written["confusion"] = plot.plot_confusion_matrix(model, x_test, t_test, out("digits_confusion.png"))
    for path in written.values():
        print("picture:", path)
    return written


if __name__ == "__main__":
    main()
