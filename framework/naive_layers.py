"""The book's first layers (ch. 5.4): a multiplication and an addition node of a computational graph.

They work on plain numbers, forward(x, y) and backward(dout) -> (dx, dy), to show the chain rule
on the apple-and-orange shopping example before any array appears.
"""


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
