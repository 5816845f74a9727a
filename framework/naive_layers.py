"""The book's first layers (ch. 5.4-5.5): the nodes of a computational graph, on plain numbers.

MulLayer and AddLayer take two inputs, forward(x, y) and backward(dout) -> (dx, dy), for the
apple-and-orange shopping example; ExpLayer and ReciprocalLayer ("exp" and "/") take one, and with
them the sigmoid 1 / (1 + exp(-x)) is built node by node, as the book's figure 5-19 draws it.
"""
import math



class MulLayer:
    """out = x * y;  backward: dx = dout * y, dy = dout * x (each input gets the other one)."""

    def __init__(self):
        self.x = self.y = None

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, dout):
        return dout * self.y, dout * self.x

    def __repr__(self):
        return "MulLayer()"


class AddLayer:
    """out = x + y;  backward: dx = dout, dy = dout (addition passes the gradient through)."""

    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        return dout, dout

    def __repr__(self):
        return "AddLayer()"


class ExpLayer:
    """out = exp(x);  backward: dx = dout * out (exp is its own derivative). The sigmoid graph's "exp" node."""

    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = math.exp(x)
        return self.out

    def backward(self, dout):
        return dout * self.out

    def __repr__(self):
        return "ExpLayer()"


class ReciprocalLayer:
    """out = 1 / x;  backward: dx = -dout / x**2 = -dout * out**2. The sigmoid graph's "/" node."""

    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = 1.0 / x
        return self.out

    def backward(self, dout):
        return -dout * self.out * self.out

    def __repr__(self):
        return "ReciprocalLayer()"
