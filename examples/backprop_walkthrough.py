"""Backpropagation by hand, node by node, in the order of the book's chapter 5: one apple with tax,
then apples and oranges, then the sigmoid built from its own nodes (x -1, exp, +1, /), then a
2-2-2 network of Affine, an activation and SoftmaxWithLoss on one sample, every value printed.

    python examples/backprop_walkthrough.py
"""
import argparse

import numpy as np

from framework.naive_layers import AddLayer, ExpLayer, MulLayer, ReciprocalLayer
from framework.network import MLP
from framework.trace import trace


def one_apple(apple=100, apple_num=2, tax=1.1):
    """The book's first graph (figure 5-16): price = apple * apple_num * tax, and its gradients."""
    mul_apple, mul_tax = MulLayer(), MulLayer()
    price = mul_tax.forward(mul_apple.forward(apple, apple_num), tax)
    dapple_price, dtax = mul_tax.backward(1)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    return {"price": price, "dapple": dapple, "dapple_num": dapple_num, "dtax": dtax}


def sigmoid_graph(x=0.5):
    """The sigmoid as the book draws it (figure 5-19): x -> (x -1) -> exp -> (+1) -> (/) -> y, each node
    with its own backward; returns the forward values, the gradients node by node, and dy/dx."""
    negate, exp, add, reciprocal = MulLayer(), ExpLayer(), AddLayer(), ReciprocalLayer()
    a = negate.forward(x, -1.0)
    b = exp.forward(a)
    c = add.forward(b, 1.0)
    y = reciprocal.forward(c)
    dc = reciprocal.backward(1.0)          # -1 / c**2
    db, _ = add.backward(dc)               # passed through
    da = exp.backward(db)                  # times exp(a)
    dx, _ = negate.backward(da)            # times -1
    return {"forward": [("x", x), ("-x", a), ("exp(-x)", b), ("1 + exp(-x)", c), ("y = 1 / (1 + exp(-x))", y)],
            "backward": [("dy/dc = -1/c^2", dc), ("dy/db (+ passes it on)", db), ("dy/da (x exp(a))", da),
                         ("dy/dx (x -1)", dx)],
            "dx": dx, "y": y}


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

    print("1. Two apples (100 each) with 10% tax: price = apple * apple_num * tax")
    one = one_apple()
    print(f"   price = {one['price']:.1f}; backward from dprice = 1 (each x node hands on the OTHER input times dout):")
    print(f"   dapple = {one['dapple']:g}, dapple_num = {one['dapple_num']:g}, dtax = {one['dtax']:g}")

    print("\n2. Two apples and three oranges (150 each) with 10% tax")
    grads = shopping()
    print(f"   price = {grads['price']:.1f}")
    print("   backward from dprice = 1: MulLayer swaps its inputs, AddLayer passes dout through")
    for name in ("dapple", "dapple_num", "dorange", "dorange_num", "dtax"):
        print(f"   {name:<12} = {grads[name]:g}")

    print("\n3. The sigmoid from its own nodes at x = 0.5: x -> (x -1) -> exp -> (+1) -> (/) -> y")
    graph = sigmoid_graph(0.5)
    for name, value in graph["forward"]:
        print(f"   forward  {name:<26} {value:.6f}")
    for name, value in graph["backward"]:
        print(f"   backward {name:<26} {value:.6f}")
    y = graph["y"]
    print(f"   the chain gives dy/dx = {graph['dx']:.6f} = y (1 - y) = {y * (1 - y):.6f}: the Sigmoid layer's backward")

    print(f"\n4. A 2-2-2 network ({args.activation}) on one sample x = [1.0, 0.5] with label t = 1\n")
    model = MLP(2, [2], 2, activation=args.activation, seed=args.seed)
    result = trace(model, np.array([[1.0, 0.5]]), np.array([1]))
    print(result)
    print(f"\nlargest difference between backprop and central differences: {result.max_error():.1e}")
    return result


if __name__ == "__main__":
    main()
