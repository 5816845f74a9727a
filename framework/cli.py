"""The command line: `python -m framework train ...` (see `python -m framework train --help`)."""
import argparse
import sys

import numpy as np

DATASETS = ("digits",)


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m framework",
                                     description="Train and study small neural networks in NumPy.")
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train an MLP and report its test accuracy",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    train.add_argument("--dataset", default="digits", choices=DATASETS)
    train.add_argument("--hidden", type=int, nargs="+", default=[100], metavar="SIZE",
                       help="hidden layer sizes, e.g. --hidden 256 128")
    train.add_argument("--activation", default="relu", choices=("relu", "sigmoid", "tanh"))
    train.add_argument("--optimizer", default="adam",
                       choices=("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"))
    train.add_argument("--lr", type=float, default=3e-3, help="learning rate")
    train.add_argument("--epochs", type=int, default=50)
    train.add_argument("--batch-size", type=int, default=32)
    train.add_argument("--weight-decay", type=float, default=0.0, help="L2 strength lambda")
    train.add_argument("--dropout", type=float, default=0.0, help="dropout ratio after each hidden layer")
    train.add_argument("--batchnorm", action="store_true", help="batch normalization after each hidden Affine")
    train.add_argument("--validation-fraction", type=float, default=0.1,
                       help="share of the training set held out for validation")
    train.add_argument("--seed", type=int, default=0, help="seed for the split, the weights and the shuffling")
    train.add_argument("--dtype", default="float64", choices=("float32", "float64"))
    train.add_argument("--progress", type=int, choices=(0, 1, 2), default=None,
                       help="0 silent, 1 progress bar, 2 one line per epoch (default: 1 on a terminal)")
    train.add_argument("--history", metavar="FILE.csv", help="write the per-epoch history as CSV")
    train.add_argument("--plot", metavar="FILE.png", help="draw loss and accuracy curves (needs matplotlib)")
    return parser


def train(args):
    from .datasets import load_digits
    from .network import MLP
    from .optimizers import OPTIMIZERS
    from .plot import terminal_curve
    from .training import evaluate, fit

    dtype = np.dtype(args.dtype).type
    (x_train, t_train), (x_test, t_test) = load_digits(seed=args.seed, dtype=dtype)
    model = MLP(x_train.shape[1], args.hidden, 10, activation=args.activation, weight_decay=args.weight_decay,
                dropout=args.dropout, batchnorm=args.batchnorm, seed=args.seed, dtype=dtype)
    optimizer = OPTIMIZERS[args.optimizer](lr=args.lr)
    print(f"{args.dataset}: {len(x_train)} training and {len(x_test)} test samples; "
          f"{model.parameter_count:,} parameters; {optimizer!r}")
    history = fit(model, optimizer, x_train, t_train, epochs=args.epochs, batch_size=args.batch_size,
                  validation_fraction=args.validation_fraction, seed=args.seed, progress=args.progress)
    test_loss, test_accuracy = evaluate(model, x_test, t_test)
    print(terminal_curve({"train": history.loss, "validation": history.val_loss}))
    if args.history:
        history.to_csv(args.history)
        print(f"history written to {args.history}")
    if args.plot:
        try:
            from .plot import plot_history
            plot_history(history, args.plot, title=f"MLP {args.hidden} on {args.dataset}")
            print(f"curves drawn in {args.plot}")
        except ImportError as exc:
            print(f"no plot: {exc}", file=sys.stderr)
    print(f"test loss {test_loss:.4f}  test accuracy {test_accuracy:.4f}")
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command == "train":
        return train(args)
    return 2
