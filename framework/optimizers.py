"""Optimizers behind one signature, `update(params, grads)`, as the book.

`params` and `grads` are dicts of float arrays with the same keys; parameters are updated in place.
State (velocity, moments) is made per key on the first update. The rules and defaults are
torch.optim's, so a run can be checked step by step against PyTorch; each docstring says where the
book differs. `lr` may be changed between steps (a schedule does). `clip_norm`: when the global norm
of all gradients, sqrt(sum_k ||dW_k||^2), exceeds it, they are scaled by clip_norm / (norm + 1e-6)
(torch.nn.utils.clip_grad_norm_).

Each rule is its docstring's formula, `_step(param, grad, *state)`, on arrays updated in place. The
base class's `update` holds the machinery (framework.engine), so that no rule knows of it: which
arrays a step runs over (one buffer for a packed network), the compiled kernel where one applies
(Adam's, the same numbers), and one departure from PyTorch: every 16 steps, state below the smallest
normal float (1.2e-38 in float32) is set to 0 (it would move a weight by less than lr * 1e-29).
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
        """One step for every key of params, in place: the rule (`_step`) on what the engine says to run
        over, compiled where a kernel applies; then, when due, subnormal state set to 0."""
        steps = engine.step_groups(self, params, grads)
        self.t += 1
        scale = 1.0 if self.clip_norm is None else self._clip_scale([grad for _, grad, _ in steps])
        kernel = COMPILED.get(type(self)._step)  # only a rule exactly as compiled: a subclass's own _step is not
        for param, grad, state in steps:
            if scale != 1.0:
                grad = grad * param.dtype.type(scale)
            if kernel is None or not engine.compiled_step(kernel, self, param, grad, state):
                self._step(param, grad, *state)
        engine.flush_subnormals(self, steps)

    def _clip_scale(self, grads):
        """clip_norm / (norm + 1e-6) when the global norm of `grads` exceeds clip_norm, else 1."""
        norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
        return self.clip_norm / (norm + 1e-6) if norm > self.clip_norm else 1.0

    def __getstate__(self):
        return engine.forget(self)  # the kept plan is remade after unpickling; the state dicts hold the numbers

    def _step(self, param, grad, *state):
        """One step on `param` in place, from its gradient and its state arrays (updated in place)."""
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

    def _step(self, param, grad):
        param -= self.lr * grad


class Momentum(Optimizer):
    """v <- momentum * v + dW;  W <- W - lr * v  (torch.optim.SGD with momentum). The book writes
    v <- momentum * v - lr * dW; W <- W + v: the same steps while lr is constant."""

    state_names = ("v",)

    def __init__(self, lr=1e-3, momentum=0.9, clip_norm=None):
        super().__init__(lr, clip_norm)
        self.momentum = check_number(momentum, "momentum", low=0, high=1)

    def _step(self, param, grad, v):
        v *= self.momentum
        v += grad
        param -= self.lr * v


class Nesterov(Momentum):
    """v <- momentum * v + dW;  W <- W - lr * (dW + momentum * v)  (torch.optim.SGD, nesterov=True). The book's
    (W += momentum**2 * v - (1 + momentum) * lr * dW after its own v update) is the same for its sign of v."""

    def _step(self, param, grad, v):
        v *= self.momentum
        v += grad
        param -= self.lr * (grad + self.momentum * v)


class AdaGrad(Optimizer):
    """h <- h + dW**2;  W <- W - lr * dW / (sqrt(h) + eps)  (torch.optim.Adagrad, eps = 1e-10; the book's 1e-7)."""

    state_names = ("h",)
    squared_state_names = ("h",)

    def __init__(self, lr=1e-2, eps=1e-10, clip_norm=None):
        super().__init__(lr, clip_norm)
        self.eps = check_number(eps, "eps", low=0)

    def _step(self, param, grad, h):
        h += grad * grad
        param -= self.lr * grad / (np.sqrt(h) + self.eps)


class RMSprop(Optimizer):
    """h <- alpha * h + (1 - alpha) * dW**2;  W <- W - lr * dW / (sqrt(h) + eps)  (torch.optim.RMSprop;
    the book calls alpha decay_rate and adds 1e-7)."""

    state_names = ("h",)
    squared_state_names = ("h",)

    def __init__(self, lr=1e-2, alpha=0.99, eps=1e-8, clip_norm=None):
        super().__init__(lr, clip_norm)
        self.alpha = check_number(alpha, "alpha", low=0, high=1)
        self.eps = check_number(eps, "eps", low=0)

    def _step(self, param, grad, h):
        h *= self.alpha
        h += (1 - self.alpha) * (grad * grad)
        param -= self.lr * grad / (np.sqrt(h) + self.eps)


class Adam(Optimizer):
    """Adam (torch.optim.Adam), with the step count t starting at 1:

    m <- beta1 * m + (1 - beta1) * dW;  v <- beta2 * v + (1 - beta2) * dW**2
    W <- W - lr * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + eps)
       = W - lr_t * m / (sqrt(v) + eps_t),  lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t),  eps_t = eps * sqrt(1 - beta2**t)

    computed in the second form, as the book writes it (its lr_t); the book adds its eps (1e-7) where we add eps_t.
    """

    state_names = ("m", "v")
    squared_state_names = ("v",)

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, clip_norm=None):
        super().__init__(lr, clip_norm)
        self.beta1 = check_number(beta1, "beta1", low=0, high=1, high_open=True)
        self.beta2 = check_number(beta2, "beta2", low=0, high=1, high_open=True)
        self.eps = check_number(eps, "eps", low=0)

    def corrections(self):
        """(lr_t, eps_t): both bias corrections folded into the rate and eps."""
        root_c2 = math.sqrt(1 - self.beta2 ** self.t)
        return self.lr * root_c2 / (1 - self.beta1 ** self.t), self.eps * root_c2

    def decay_factor(self):
        """What W is multiplied by before the step: 1 (AdamW decays it)."""
        return 1.0

    def _step(self, param, grad, m, v):
        lr_t, eps_t = self.corrections()
        m *= self.beta1
        m += (1 - self.beta1) * grad
        v *= self.beta2
        v += (1 - self.beta2) * (grad * grad)
        param -= lr_t * m / (np.sqrt(v) + eps_t)


class AdamW(Adam):
    """Adam with decoupled weight decay (torch.optim.AdamW, weight_decay = 0.01):

    W <- W * (1 - lr * weight_decay), then the Adam step. Unlike L2 in the loss, the decay is not
    scaled by Adam's per-parameter step size. The book has no AdamW.
    """

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2, clip_norm=None):
        super().__init__(lr, beta1, beta2, eps, clip_norm)
        self.weight_decay = check_number(weight_decay, "weight_decay", low=0)

    def decay_factor(self):
        return 1 - self.lr * self.weight_decay

    def _step(self, param, grad, m, v):
        param *= self.decay_factor()
        super()._step(param, grad, m, v)


#: The rules the engine has compiled (the same numbers in one pass over large buffers, numba installed):
#: Adam's step, with its corrections() and decay_factor() (AdamW, scikit-learn's Adam) read by the kernel.
COMPILED = {Adam._step: "adam", AdamW._step: "adam"}

OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "adagrad": AdaGrad,
              "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW}
