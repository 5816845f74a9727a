"""Backpropagation by hand, the way the book's chapter 5 reads: first the apple-and-orange shopping
graph with multiplication and addition nodes, then a 2-2-2 network on one sample, node by node.

    python examples/backprop_walkthrough.py
"""
import argparse

import numpy as np

from framework.naive_layers import AddLayer, MulLayer
from framework.network import MLP
from framework.trace import trace


def shopping(apple=100, apple_num=2, orange=150, orange_num=3, tax=1.1):
    """The book's example: price = (apple * apple_num + orange * orange_num) * tax, and its gradients."""
    mul_apple, mul_orange, add, mul_tax = MulLayer(), MulLayer(), AddLayer(), MulLayer()
    apple_price = mul_apple.forward(apple, apple_num)
    orange_price = mul_orange.forward(orange, orange_num)
    all_price = add.forward(apple_price, orange_price)
    price = mul_tax.forward(all_price, tax)

    dall_price, dtax = mul_tax.backward(1)
    dapple_price, dorange_price = add.backward(dall_price)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    dorange, dorange_num = mul_orange.backward(dorange_price)
    return {"price": price, "dapple": dapple, "dapple_num": dapple_num, "dorange": dorange,
            "dorange_num": dorange_num, "dtax": dtax}


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--activation", default="sigmoid", choices=("sigmoid", "relu", "tanh"),
                        help="The hidden layer's activation in the traced 2-2-2 network.")
    parser.add_argument("--seed", type=int, default=0, help="Seed for the network's weights and its two samples.")
    args = parser.parse_args(argv)

    print("1. Shopping for 2 apples (100 each) and 3 oranges (150 each) with 10% tax")
    grads = shopping()
    print(f"   price = {grads['price']:.1f}")
    print("   backward from dprice = 1: MulLayer swaps its inputs, AddLayer passes dout through")
    for name in ("dapple", "dapple_num", "dorange", "dorange_num", "dtax"):
        print(f"   {name:<12} = {grads[name]:g}")

    print(f"\n2. A 2-2-2 network ({args.activation}) on one sample x = [1.0, 0.5] with label t = 1\n")
    model = MLP(2, [2], 2, activation=args.activation, seed=args.seed)
    result = trace(model, np.array([[1.0, 0.5]]), np.array([1]))
    print(result)
    print(f"\nlargest difference between backprop and central differences: {result.max_error():.1e}")
    return result


if __name__ == "__main__":
    main()
