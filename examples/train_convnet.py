"""The book's train_convnet.py (ch. 7.5) on digits: SimpleConvNet trained with Adam, train and test accuracy per epoch.

On digits (8x8 images) the book's 5x5 filters become 3x3 with padding 1 (a 5x5 filter would leave
4x4 pixels); on MNIST, when its files are in datasets/mnist (python -m framework download mnist),
it is the book's net as it is. The weights are saved with framework.checkpoint (the book pickles them),
and the accuracy curves are drawn as the book's figure 7-22.

    python examples/train_convnet.py --epochs 60
    python examples/train_convnet.py --dataset mnist --epochs 20
"""
import argparse
import os

import numpy as np

from framework import checkpoint as checkpoints, plot
from framework.book import Trainer
from framework.datasets import load_digits, load_mnist
from framework.network import SimpleConvNet


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--dataset", default="digits", choices=("digits", "mnist"), help="Digits, or MNIST's files.")
    parser.add_argument("--epochs", type=int, default=60,
                        help="Epochs of training (the book: 20 on MNIST, whose epochs are 40 times longer).")
    parser.add_argument("--seed", type=int, default=0, help="Seed for the weights and the shuffling.")
    parser.add_argument("--out", default=".", help="Folder for the picture and the saved weights (made if missing).")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    if args.dataset == "mnist":
        (x_train, t_train), (x_test, t_test) = load_mnist(flatten=False, dtype=np.float64)
        conv_param = {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1}
    else:
        (x_train, t_train), (x_test, t_test) = load_digits(seed=args.seed, shape="images")
        conv_param = {"filter_num": 30, "filter_size": 3, "pad": 1, "stride": 1}
    network = SimpleConvNet(input_dim=x_train.shape[1:], conv_param=conv_param, hidden_size=100, output_size=10,
                            weight_init_std=0.01, seed=args.seed)
    network.summary()
    trainer = Trainer(network, x_train, t_train, x_test, t_test, epochs=args.epochs, mini_batch_size=100,
                      optimizer="Adam", optimizer_param={"lr": 0.001}, evaluate_sample_num_per_epoch=1000,
                      verbose=False, seed=args.seed)
    trainer.train()
    for epoch, (train, test) in enumerate(zip(trainer.train_acc_list, trainer.test_acc_list), 1):
        print(f"epoch {epoch:>3}: train acc {train:.4f}, test acc {test:.4f}")
    accuracy = network.accuracy(x_test, t_test)
    print(f"test accuracy {accuracy:.4f}")
    print("weights:", checkpoints.save(network, os.path.join(args.out, "convnet.npz")))
    if plot.available():
        plt = plot._pyplot()
        fig, ax = plt.subplots(figsize=(6, 4))
        epochs = range(1, len(trainer.train_acc_list) + 1)
        ax.plot(epochs, trainer.train_acc_list, "o-", markersize=3, label="train")
        ax.plot(epochs, trainer.test_acc_list, "s-", markersize=3, label="test")
        ax.set(xlabel="epochs", ylabel="accuracy", ylim=(0, 1.02), title=f"SimpleConvNet on {args.dataset}")
        ax.legend(loc="lower right")
        fig.tight_layout()
        print("picture:", plot.save(fig, os.path.join(args.out, "train_convnet.png")))
    return network, trainer


if __name__ == "__main__":
    main()
