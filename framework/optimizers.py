"""Optimizers behind one signature, `update(params, grads)`, as the book.

`params` and `grads` are dicts with the same keys; parameters are updated in place. State (velocity,
moments) is made lazily per key on the first update. The rules and defaults are torch.optim's, so
a run can be checked step by step against PyTorch; each docstring says where the book differs.
`lr` is a plain attribute that a learning-rate schedule may change between steps.
Every optimizer takes `clip_norm`: when the global norm of all gradients, sqrt(sum_k ||dW_k||^2),
exceeds it, the gradients are scaled by clip_norm / (norm + 1e-6) before the step
(torch.nn.utils.clip_grad_norm_).

Each rule is written once, in `_rule(param, grad, *state)`, with numpy's in-place operations
(`out=`) and one scratch buffer, so a step allocates nothing. When a network keeps all its
parameters and gradients in one contiguous buffer (MLP does), the rule runs once over that buffer
instead of once per key: the same arithmetic, a dozen numpy calls per step instead of a dozen per
parameter array. The per-key state (`optimizer.m['W1']`, ...) then holds views of one buffer.
"""
import math

import numpy as np

from . import fused
from .validation import check_number


class Optimizer:
    """Shared parts: the learning rate, clipping, lazily made per-key state, a repr."""

    #: names of the per-key state dicts, e.g. ("v",) for Momentum; used to save and load state.
    slots = ()

    def __init__(self, lr, clip_norm=None):
        self.lr = check_number(lr, "lr", low=0, low_open=True)
        self.clip_norm = None if clip_norm is None else check_number(clip_norm, "clip_norm", low=0, low_open=True)
        self.t = 0  # number of update() calls so far
        for slot in self.slots:
            setattr(self, slot, {})
        self._packed = {}  # slot -> one buffer behind that slot's per-key views (packed networks only)
        self._scratch = {}  # (shape, dtype) -> a work array reused by every step

    def update(self, params, grads):
        """One step for every key of params, in place."""
        flat_param, flat_grad = getattr(params, "packed", None), getattr(grads, "packed", None)
        packed = flat_param is not None and flat_grad is not None and flat_param.shape == flat_grad.shape
        if not packed:  # packed buffers of one network have matching layouts by construction
            for key, param in params.items():
                if key not in grads or param.shape != grads[key].shape:
                    got = grads[key].shape if key in grads else "nothing"
                    raise ValueError(f"grads[{key!r}] must have shape {param.shape}, got {got}")
        self.t += 1
        scale = 1.0
        if self.clip_norm is not None:
            scale = self._clip_scale([flat_grad] if packed else list(grads.values()))
        if packed:
            state = [self._packed_state(slot, params, flat_param) for slot in self.slots]
            grad = flat_grad if scale == 1.0 else flat_grad * flat_grad.dtype.type(scale)
            self._rule(flat_param, grad, self._work(flat_param), *state)
            return
        for key, param in params.items():
            grad = grads[key] if scale == 1.0 else grads[key] * param.dtype.type(scale)
            self._rule(param, grad, self._work(param), *[self._state(slot, key, param) for slot in self.slots])

    def _clip_scale(self, grads):
        """clip_norm / (norm + 1e-6) when the global norm of `grads` exceeds clip_norm, else 1."""
        norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
        return self.clip_norm / (norm + 1e-6) if norm > self.clip_norm else 1.0

    def _state(self, slot, key, like):
        """The state array `slot` for `key`, made as zeros like the parameter on first use."""
        store = getattr(self, slot)
        if key not in store:
            store[key] = np.zeros_like(like)
        return store[key]

    def _packed_state(self, slot, params, flat_param):
        """One buffer for `slot` laid out like the packed parameters; per-key entries become its views."""
        flat = self._packed.get(slot)
        store = getattr(self, slot)
        if flat is None or flat.shape != flat_param.shape or flat.dtype != flat_param.dtype:
            flat, offset = np.zeros_like(flat_param), 0
            for key, param in params.items():
                view = flat[offset:offset + param.size].reshape(param.shape)
                if key in store:  # state loaded from a checkpoint, or made before packing
                    view[...] = store[key]
                store[key] = view
                offset += param.size
            self._packed[slot] = flat
        return flat

    def __setstate__(self, state):
        # After unpickling, per-key state arrays are copies, no longer views of the packed buffers.
        self.__dict__.update(state)
        self._packed, self._scratch = {}, {}

    def set_state(self, slot, arrays):
        """Replace the per-key state of `slot` (used when loading a checkpoint)."""
        setattr(self, slot, dict(arrays))
        self._packed.pop(slot, None)

    def _work(self, like):
        """A scratch array shaped like `like`, reused across steps (saves an allocation per step)."""
        key = (like.shape, like.dtype)
        if key not in self._scratch:
            self._scratch[key] = np.empty_like(like)
        return self._scratch[key]

    def _rule(self, param, grad, work, *state):
        """One step on `param` in place; `work` is a scratch array shaped like it."""
        raise NotImplementedError

    def _hyper(self):
        return {"lr": self.lr, "clip_norm": self.clip_norm}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._hyper().items() if not (k == "clip_norm" and v is None))
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """W <- W - lr * dW (torch.optim.SGD; PyTorch's default lr = 1e-3, the book's 0.01)."""

    def __init__(self, lr=1e-3, clip_norm=None):
        super().__init__(lr, clip_norm)

    def _rule(self, param, grad, work):
        param -= np.multiply(grad, self.lr, out=work)


class Momentum(Optimizer):
    """v <- momentum * v + dW;  W <- W - lr * v  (torch.optim.SGD with momentum).

    The book writes v <- momentum * v - lr * dW; W <- W + v: the same steps while lr is constant.
    """

    slots = ("v",)

    def __init__(self, lr=1e-3, momentum=0.9, clip_norm=None):
        super().__init__(lr, clip_norm)
        self.momentum = check_number(momentum, "momentum", low=0, high=1)

    def _rule(self, param, grad, work, v):
        v *= self.momentum
        v += grad
        param -= np.multiply(v, self.lr, out=work)

    def _hyper(self):
        return {"lr": self.lr, "momentum": self.momentum, "clip_norm": self.clip_norm}


class Nesterov(Momentum):
    """v <- momentum * v + dW;  W <- W - lr * (dW + momentum * v)  (torch.optim.SGD, nesterov=True).

    The book's Nesterov (W += momentum**2 * v - (1 + momentum) * lr * dW after its own v update)
    is the same method written for its sign convention of v.
    """

    def _rule(self, param, grad, work, v):
        v *= self.momentum
        v += grad
        np.multiply(v, self.momentum, out=work)
        work += grad
        work *= self.lr
        param -= work


def _step_by_root(param, direction, h, work, lr, eps):
    """W <- W - lr * direction / (sqrt(h) + eps) in place: AdaGrad's and RMSprop's step (direction dW)
    and Adam's (direction m, with its corrections folded into lr and eps)."""
    np.sqrt(h, out=work)
    work += eps
    np.divide(direction, work, out=work)
    work *= lr
    param -= work


class AdaGrad(Optimizer):
    """h <- h + dW**2;  W <- W - lr * dW / (sqrt(h) + eps)  (torch.optim.Adagrad, eps = 1e-10).

    The book adds 1e-7 instead of 1e-10.
    """

    slots = ("h",)

    def __init__(self, lr=1e-2, eps=1e-10, clip_norm=None):
        super().__init__(lr, clip_norm)
        self.eps = check_number(eps, "eps", low=0)

    def _rule(self, param, grad, work, h):
        h += np.multiply(grad, grad, out=work)
        _step_by_root(param, grad, h, work, self.lr, self.eps)

    def _hyper(self):
        return {"lr": self.lr, "eps": self.eps, "clip_norm": self.clip_norm}


class RMSprop(Optimizer):
    """h <- alpha * h + (1 - alpha) * dW**2;  W <- W - lr * dW / (sqrt(h) + eps)  (torch.optim.RMSprop).

    Defaults lr = 0.01, alpha = 0.99, eps = 1e-8; the book calls alpha decay_rate and adds 1e-7.
    """

    slots = ("h",)

    def __init__(self, lr=1e-2, alpha=0.99, eps=1e-8, clip_norm=None):
        super().__init__(lr, clip_norm)
        self.alpha = check_number(alpha, "alpha", low=0, high=1)
        self.eps = check_number(eps, "eps", low=0)

    def _rule(self, param, grad, work, h):
        np.multiply(grad, grad, out=work)
        work *= 1 - self.alpha
        h *= self.alpha
        h += work
        _step_by_root(param, grad, h, work, self.lr, self.eps)

    def _hyper(self):
        return {"lr": self.lr, "alpha": self.alpha, "eps": self.eps, "clip_norm": self.clip_norm}


class Adam(Optimizer):
    """Adam (torch.optim.Adam), with the step count t starting at 1:

    m <- beta1 * m + (1 - beta1) * dW;  v <- beta2 * v + (1 - beta2) * dW**2
    W <- W - lr * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + eps)

    The book folds both corrections into lr and adds eps (1e-7) to sqrt(v) before correcting it.
    """

    slots = ("m", "v")

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, clip_norm=None):
        super().__init__(lr, clip_norm)
        self.beta1 = check_number(beta1, "beta1", low=0, high=1, high_open=True)
        self.beta2 = check_number(beta2, "beta2", low=0, high=1, high_open=True)
        self.eps = check_number(eps, "eps", low=0)

    def _rule(self, param, grad, work, m, v):
        # sqrt(v / c2) + eps = (sqrt(v) + eps * sqrt(c2)) / sqrt(c2): the corrections become two scalars.
        c1, c2 = 1 - self.beta1 ** self.t, 1 - self.beta2 ** self.t
        eps, step = self.eps * math.sqrt(c2), self.lr * math.sqrt(c2) / c1
        if fused.adam(param, grad, m, v, self.beta1, self.beta2, eps, step):
            return  # the same arithmetic in one compiled pass (numba installed, large arrays)
        m *= self.beta1
        m += np.multiply(grad, 1 - self.beta1, out=work)
        np.multiply(grad, grad, out=work)
        work *= 1 - self.beta2
        v *= self.beta2
        v += work
        _step_by_root(param, m, v, work, step, eps)

    def _hyper(self):
        return {"lr": self.lr, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps, "clip_norm": self.clip_norm}


class AdamW(Adam):
    """Adam with decoupled weight decay (torch.optim.AdamW, weight_decay = 0.01):

    W <- W - lr * weight_decay * W, then the Adam step. Unlike L2 in the loss, the decay is not
    scaled by Adam's per-parameter step size. The book has no AdamW.
    """

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2, clip_norm=None):
        super().__init__(lr, beta1, beta2, eps, clip_norm)
        self.weight_decay = check_number(weight_decay, "weight_decay", low=0)

    def _rule(self, param, grad, work, m, v):
        param *= 1 - self.lr * self.weight_decay
        super()._rule(param, grad, work, m, v)

    def _hyper(self):
        return {**super()._hyper(), "weight_decay": self.weight_decay}


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "adagrad": AdaGrad,
              "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW}
