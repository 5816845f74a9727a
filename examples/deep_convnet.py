"""The book's chapter 8 on MNIST-shaped data: DeepConvNet trained with Adam, its accuracy per epoch, its float16 inference and the digits it gets wrong.

The network is the book's ch08/deep_convnet.py (six 3x3 convolutions of 16, 16, 32, 32, 64, 64
filters, a 2x2 pooling after every second, Affine 50 with dropout, Affine 10), He-initialised,
trained with Adam (lr 0.001, batches of 100) as ch08/train_deepnet.py. The data are the digits28
stand-in (scikit-learn's digits enlarged to 28x28; MNIST itself with --dataset mnist when its files
are in datasets/mnist). As ch08/half_float_network.py, the trained weights are then rounded to
float16 and the test accuracy compared; as ch08/misclassified_mnist.py, the first twenty test
digits it gets wrong are drawn with their label and its answer.

    python examples/deep_convnet.py --epochs 5
    python examples/deep_convnet.py --dataset mnist --epochs 20
"""
import argparse
import os

import numpy as np

from framework import checkpoint as checkpoints, plot
from framework.callbacks import Callback
from framework.datasets import load_mnist
from framework.network import DeepConvNet
from framework.optimizers import Adam
from framework.training import fit


class TrainAccuracy(Callback):
    """Accuracy on (a sample of) the training images after every epoch, in inference mode as the book's
    Trainer measures it: the accuracy fit logs comes from training batches, with dropout on."""

    def __init__(self, x, t):
        super().__init__()
        self.x, self.t, self.accuracy = x, t, []

    def on_epoch_end(self, epoch, logs):
        self.accuracy.append(self.model.accuracy(self.x, self.t))


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--dataset", default="digits28", choices=("digits28", "mnist"),
                        help="The MNIST-shaped stand-in made from digits, or MNIST's files.")
    parser.add_argument("--epochs", type=int, default=5, help="Epochs of training (the book: 20 on MNIST).")
    parser.add_argument("--samples", type=int, default=None, help="Use only this many training images (default: all).")
    parser.add_argument("--seed", type=int, default=0, help="Seed for the weights, dropout and the shuffling.")
    parser.add_argument("--out", default=".", help="Folder for the pictures and the saved weights (made if missing).")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    (x_train, t_train), (x_test, t_test) = load_mnist(kind=args.dataset, flatten=False, dtype=np.float32)
    x_train, t_train = x_train[:args.samples], t_train[:args.samples]
    network = DeepConvNet(input_dim=x_train.shape[1:], seed=args.seed, dtype=np.float32)
    print(f"{args.dataset}: {len(x_train)} training and {len(x_test)} test images; DeepConvNet, "
          f"{network.parameter_count:,} parameters")
    train_accuracy = TrainAccuracy(x_train[:1000], t_train[:1000])  # the book's evaluate_sample_num_per_epoch
    history = fit(network, Adam(lr=0.001), x_train, t_train, epochs=args.epochs, batch_size=100,
                  validation_data=(x_test, t_test), seed=args.seed, progress=2, callbacks=[train_accuracy])
    accuracy = network.accuracy(x_test, t_test)

    # ch08/half_float_network.py: the same weights rounded to float16 give (almost) the same answers
    half = checkpoints.load(checkpoints.save(network, os.path.join(args.out, "deep_convnet.npz")))
    for value in half.params.values():
        value[...] = value.astype(np.float16)
    accuracy16 = half.accuracy(x_test.astype(np.float16), t_test)
    print(f"test accuracy {accuracy:.4f}; with every weight and pixel rounded to float16: {accuracy16:.4f}")

    predicted = network.predict(x_test).argmax(axis=1)
    wrong = np.flatnonzero(predicted != t_test)
    print(f"{len(wrong)} of {len(t_test)} test images misclassified; the first (label, answer): "
          f"{[(int(t_test[i]), int(predicted[i])) for i in wrong[:20]]}")
    if plot.available():
        plt = plot._pyplot()
        fig, ax = plt.subplots(figsize=(6, 4))
        epochs = range(1, history.epochs + 1)
        ax.plot(epochs, train_accuracy.accuracy, "o-", markersize=3, label="train (1,000 images, dropout off)")
        ax.plot(epochs, history.val_accuracy, "s-", markersize=3, label="test")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set(xlabel="epochs", ylabel="accuracy", ylim=(0, 1.02),
               title=f"DeepConvNet on {args.dataset}: test {accuracy:.4f}, float16 {accuracy16:.4f}")
        ax.legend(loc="lower right")
        fig.tight_layout()
        print("picture:", plot.save(fig, os.path.join(args.out, "deep_convnet.png")))
        fig, axes = plt.subplots(4, 5, figsize=(6, 5.4))
        for ax, i in zip(axes.ravel(), list(wrong[:20]) + [None] * 20):
            ax.set_xticks([])
            ax.set_yticks([])
            if i is None:
                ax.axis("off")
            else:
                ax.imshow(x_test[i, 0], cmap=plt.cm.gray_r, interpolation="nearest")
                ax.set_title(f"{t_test[i]} read as {predicted[i]}", fontsize=9)
        fig.suptitle(f"the test digits DeepConvNet gets wrong ({len(wrong)} of {len(t_test)})", fontsize=10)
        fig.tight_layout()
        print("picture:", plot.save(fig, os.path.join(args.out, "deep_convnet_misclassified.png")))
    return network, history


if __name__ == "__main__":
    main()
