"""Optimizers behind one signature, `update(params, grads)`, as the book.

`params` and `grads` are dicts of float arrays with the same keys; parameters are updated in place.
State (velocity, moments) is made per key on the first update. The rules and defaults are
torch.optim's, so a run can be checked step by step against PyTorch; each docstring says where the
book differs. `lr` may be changed between steps (a schedule does). `clip_norm`: when the global norm
of all gradients, sqrt(sum_k ||dW_k||^2), exceeds it, they are scaled by clip_norm / (norm + 1e-6)
(torch.nn.utils.clip_grad_norm_). Each rule is written once, `_step(param, grad, scratch, *state)`,
in place with a work array `scratch`; which arrays it runs over is the engine's business
(framework.engine.step_groups). One departure from PyTorch: every 16 steps, state below the
smallest normal float (1.2e-38 in float32) is set to 0 (it would move a weight by less than lr * 1e-29).
"""
import inspect
import math

import numpy as np

from . import engine
from .checks import check_lr, check_number


class Optimizer:
    """Shared parts: the learning rate, clipping, the per-key state dicts, a repr. Subclasses store each
    constructor argument under its own name, so `hyperparameters()` reads them back (scikit-learn's way)."""

    #: names of the per-key state dicts, e.g. ("v",) for Momentum (made by the engine on the first step).
    state_names = ()
    #: those of them that are sums of squares, never negative (a checkpoint with a negative one is damaged).
    squared_state_names = ()

    def __init__(self, lr, clip_norm=None):
        self.lr = check_lr(lr)
        self.clip_norm = None if clip_norm is None else check_number(clip_norm, "clip_norm", low=0, low_open=True)
        self.t = 0  # number of update() calls so far
        for name in self.state_names:
            setattr(self, name, {})

    def update(self, params, grads):
        """One step for every key of params, in place."""
        steps = engine.step_groups(self, params, grads)
        self.t += 1
        scale = 1.0 if self.clip_norm is None else self._clip_scale([step.grad for step in steps])
        for param, grad, scratch, state in steps:
            if scale != 1.0:
                grad = grad * param.dtype.type(scale)
            self._step(param, grad, scratch, *state)

    def _clip_scale(self, grads):
        """clip_norm / (norm + 1e-6) when the global norm of `grads` exceeds clip_norm, else 1."""
        norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
        return self.clip_norm / (norm + 1e-6) if norm > self.clip_norm else 1.0

    def __getstate__(self):
        return engine.forget(self)  # work arrays are remade after unpickling; the state dicts hold the numbers

    def _step(self, param, grad, scratch, *state):
        """One step on `param` in place; `scratch` is a work array shaped like it."""
        raise NotImplementedError

    def hyperparameters(self):
        """The constructor's arguments with their current values (lr as a schedule left it)."""
        names = list(inspect.signature(type(self).__init__).parameters)[1:]
        return {name: getattr(self, name) for name in names}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items()
                         if not (k == "clip_norm" and v is None))
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """W <- W - lr * dW (torch.optim.SGD; PyTorch's default lr = 1e-3, the book's 0.01)."""

    def __init__(self, lr=1e-3, clip_norm=None):
        super().__init__(lr, clip_norm)

    def _step(self, param, grad, scratch):
        param -= np.multiply(grad, self.lr, out=scratch)


class Momentum(Optimizer):
    """v <- momentum * v + dW;  W <- W - lr * v  (torch.optim.SGD with momentum). The book writes
    v <- momentum * v - lr * dW; W <- W + v: the same steps while lr is constant."""

    state_names = ("v",)

    def __init__(self, lr=1e-3, momentum=0.9, clip_norm=None):
        super().__init__(lr, clip_norm)
        self.momentum = check_number(momentum, "momentum", low=0, high=1)

    def _step(self, param, grad, scratch, v):
        self._decay(v, grad, scratch)
        param -= np.multiply(v, self.lr, out=scratch)

    def _decay(self, v, grad, scratch):
        """v <- momentum * v + dW in place (and, when due, v's subnormal entries set to 0)."""
        v *= self.momentum
        v += grad
        engine.flush_subnormals(self, scratch, v)


class Nesterov(Momentum):
    """v <- momentum * v + dW;  W <- W - lr * (dW + momentum * v)  (torch.optim.SGD, nesterov=True). The book's
    (W += momentum**2 * v - (1 + momentum) * lr * dW after its own v update) is the same for its sign of v."""

    def _step(self, param, grad, scratch, v):
        self._decay(v, grad, scratch)
        np.multiply(v, self.momentum, out=scratch)
        scratch += grad
        scratch *= self.lr
        param -= scratch


def _step_by_root(param, direction, h, scratch, lr, eps):
    """W <- W - lr * direction / (sqrt(h) + eps) in place: AdaGrad's and RMSprop's step (direction dW)
    and Adam's (direction m, with its corrections folded into lr and eps)."""
    np.sqrt(h, out=scratch)
    scratch += eps
    np.divide(direction, scratch, out=scratch)
    scratch *= lr
    param -= scratch


class AdaGrad(Optimizer):
    """h <- h + dW**2;  W <- W - lr * dW / (sqrt(h) + eps)  (torch.optim.Adagrad, eps = 1e-10; the book's 1e-7)."""

    state_names = ("h",)
    squared_state_names = ("h",)

    def __init__(self, lr=1e-2, eps=1e-10, clip_norm=None):
        super().__init__(lr, clip_norm)
        self.eps = check_number(eps, "eps", low=0)

    def _step(self, param, grad, scratch, h):
        h += np.multiply(grad, grad, out=scratch)
        _step_by_root(param, grad, h, scratch, self.lr, self.eps)


class RMSprop(Optimizer):
    """h <- alpha * h + (1 - alpha) * dW**2;  W <- W - lr * dW / (sqrt(h) + eps)  (torch.optim.RMSprop;
    the book calls alpha decay_rate and adds 1e-7)."""

    state_names = ("h",)
    squared_state_names = ("h",)

    def __init__(self, lr=1e-2, alpha=0.99, eps=1e-8, clip_norm=None):
        super().__init__(lr, clip_norm)
        self.alpha = check_number(alpha, "alpha", low=0, high=1)
        self.eps = check_number(eps, "eps", low=0)

    def _step(self, param, grad, scratch, h):
        np.multiply(grad, grad, out=scratch)
        scratch *= 1 - self.alpha
        h *= self.alpha
        h += scratch
        engine.flush_subnormals(self, scratch, h)
        _step_by_root(param, grad, h, scratch, self.lr, self.eps)


class Adam(Optimizer):
    """Adam (torch.optim.Adam), with the step count t starting at 1:

    m <- beta1 * m + (1 - beta1) * dW;  v <- beta2 * v + (1 - beta2) * dW**2
    W <- W - lr * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + eps)

    The book folds both corrections into lr and adds eps (1e-7) to sqrt(v) before correcting it.
    """

    state_names = ("m", "v")
    squared_state_names = ("v",)

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, clip_norm=None):
        super().__init__(lr, clip_norm)
        self.beta1 = check_number(beta1, "beta1", low=0, high=1, high_open=True)
        self.beta2 = check_number(beta2, "beta2", low=0, high=1, high_open=True)
        self.eps = check_number(eps, "eps", low=0)

    def _eps_and_step(self):
        """sqrt(v / c2) + eps = (sqrt(v) + eps * sqrt(c2)) / sqrt(c2): the corrections c1 = 1 - beta1**t,
        c2 = 1 - beta2**t become two scalars, W <- W - step * m / (sqrt(v) + eps)."""
        c1, c2 = 1 - self.beta1 ** self.t, 1 - self.beta2 ** self.t
        return self.eps * math.sqrt(c2), self.lr * math.sqrt(c2) / c1

    def _step(self, param, grad, scratch, m, v):
        eps, step = self._eps_and_step()
        if engine.fused_adam(param, grad, m, v, self.beta1, self.beta2, eps, step, engine.flush_due(self)):
            return  # the same arithmetic in one compiled pass (numba installed, large arrays)
        m *= self.beta1
        m += np.multiply(grad, 1 - self.beta1, out=scratch)
        np.multiply(grad, grad, out=scratch)
        scratch *= 1 - self.beta2
        v *= self.beta2
        v += scratch
        engine.flush_subnormals(self, scratch, m, v)
        _step_by_root(param, m, v, scratch, step, eps)


class AdamW(Adam):
    """Adam with decoupled weight decay (torch.optim.AdamW, weight_decay = 0.01):

    W <- W - lr * weight_decay * W, then the Adam step. Unlike L2 in the loss, the decay is not
    scaled by Adam's per-parameter step size. The book has no AdamW.
    """

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2, clip_norm=None):
        super().__init__(lr, beta1, beta2, eps, clip_norm)
        self.weight_decay = check_number(weight_decay, "weight_decay", low=0)

    def _step(self, param, grad, scratch, m, v):
        param *= 1 - self.lr * self.weight_decay
        super()._step(param, grad, scratch, m, v)


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "adagrad": AdaGrad,
              "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW}
