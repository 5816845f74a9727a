"""Train a multilayer perceptron on scikit-learn's digits, the main job as a short script.

Run from anywhere after `pip install -e .`:  python examples/train_digits.py --epochs 50
"""
import argparse

from framework.datasets import load_digits
from framework.network import MLP
from framework.optimizers import Adam
from framework.terminal import terminal_curve
from framework.training import fit


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--epochs", type=int, default=50, help="Epochs of training.")
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam's learning rate.")
    parser.add_argument("--seed", type=int, default=0, help="Seed for the split, the weights and the shuffling.")
    args = parser.parse_args(argv)

    # 1. Data: 1437 training and 360 test images of 8x8 pixels scaled to [0, 1], labels 0..9.
    (x_train, t_train), (x_test, t_test) = load_digits(seed=args.seed)

    # 2. Model: 64 inputs -> 100 ReLU units -> 10 scores, then softmax with cross-entropy.
    model = MLP(input_size=64, hidden_sizes=[100], output_size=10, activation="relu", seed=args.seed)
    model.summary()

    # 3. Training: Adam, batches of 32, 10% of the training set held out to watch overfitting.
    history = fit(model, Adam(lr=args.lr), x_train, t_train, epochs=args.epochs, batch_size=32,
                  validation_fraction=0.1, seed=args.seed)

    # 4. Results: the loss falling epoch by epoch, and accuracy on images never seen in training.
    print(terminal_curve({"train": history.loss, "validation": history.val_loss}))
    print(f"test accuracy: {model.accuracy(x_test, t_test):.4f}")
    return history


if __name__ == "__main__":
    main()
