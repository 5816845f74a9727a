"""Layers' gradients and optimizer trajectories against PyTorch (skipped when torch is absent)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from framework.layers import BatchNormalization  # noqa: E402
from framework.network import MLP  # noqa: E402
from framework.optimizers import SGD, AdaGrad, Adam, AdamW, Momentum, Nesterov, RMSprop  # noqa: E402

torch.set_default_dtype(torch.float64)


def torch_mlp(model, activation):
    """The same network in PyTorch, with our weights (ours are (in, out), torch's (out, in))."""
    act = {"relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh}[activation]
    n_affine = len([k for k in model.params if k.startswith("W")])
    modules = []
    for i in range(1, n_affine + 1):
        W = model.params[f"W{i}"]
        linear = torch.nn.Linear(*W.shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T.copy()))
            linear.bias.copy_(torch.from_numpy(model.params[f"b{i}"].copy()))
        modules.append(linear)
        if i < n_affine:
            modules.append(act())
    return torch.nn.Sequential(*modules)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_mlp_loss_and_gradients_equal_pytorch(activation):
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(16, 6)), rng.integers(0, 4, size=16)
    model = MLP(6, [8, 5], 4, activation=activation, seed=0)
    reference = torch_mlp(model, activation)
    loss = torch.nn.functional.cross_entropy(reference(torch.from_numpy(x)), torch.from_numpy(t))
    loss.backward()
    assert model.loss(x, t) == pytest.approx(loss.item(), rel=1e-12)
    grads = model.gradient(x, t)
    linears = [m for m in reference if isinstance(m, torch.nn.Linear)]
    for i, linear in enumerate(linears, start=1):
        np.testing.assert_allclose(grads[f"W{i}"], linear.weight.grad.numpy().T, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(grads[f"b{i}"], linear.bias.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_batchnorm_forward_and_backward_equal_pytorch():
    rng = np.random.default_rng(1)
    x, dout = rng.normal(size=(10, 4)) * 3 + 2, rng.normal(size=(10, 4))
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    ours = BatchNormalization(gamma.copy(), beta.copy(), momentum=0.9, eps=1e-5)
    theirs = torch.nn.BatchNorm1d(4, eps=1e-5, momentum=0.1)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(gamma))
        theirs.bias.copy_(torch.from_numpy(beta))
    xt = torch.from_numpy(x).requires_grad_(True)
    out = theirs(xt)
    out.backward(torch.from_numpy(dout))
    np.testing.assert_allclose(ours.forward(x), out.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.backward(dout), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.grads["gamma"], theirs.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.grads["beta"], theirs.bias.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.buffers["running_mean"], theirs.running_mean.numpy(), rtol=1e-10)


OPTIMIZER_PAIRS = [
    (lambda: SGD(lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    (lambda: Momentum(lr=0.05, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    (lambda: Nesterov(lr=0.05, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)),
    (lambda: AdaGrad(lr=0.1), lambda p: torch.optim.Adagrad(p, lr=0.1)),
    (lambda: RMSprop(lr=0.01), lambda p: torch.optim.RMSprop(p, lr=0.01)),
    (lambda: Adam(lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
    (lambda: AdamW(lr=0.01, weight_decay=0.1), lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1)),
]


@pytest.mark.parametrize("ours, theirs", OPTIMIZER_PAIRS, ids=["sgd", "momentum", "nesterov", "adagrad",
                                                               "rmsprop", "adam", "adamw"])
def test_optimizer_trajectory_equals_pytorch(ours, theirs):
    """50 steps on the book's f(x, y) = x**2 / 20 + y**2 plus a noisy term: same path as PyTorch."""
    rng = np.random.default_rng(2)
    noise = rng.normal(size=(50, 2)) * 0.1
    start = np.array([-7.0, 2.0])
    optimizer, params = ours(), {"xy": start.copy()}
    p = torch.tensor(start.copy(), requires_grad=True)
    reference = theirs([p])
    for k in range(50):
        x, y = params["xy"]
        optimizer.update(params, {"xy": np.array([x / 10, 2 * y]) + noise[k]})
        reference.zero_grad()
        (p[0] ** 2 / 20 + p[1] ** 2 + (p * torch.from_numpy(noise[k])).sum()).backward()
        reference.step()
        np.testing.assert_allclose(params["xy"], p.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=f"step {k}")
