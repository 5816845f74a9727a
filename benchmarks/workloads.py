"""The benchmark workloads and the implementations that train them, one epoch at a time.

Each `train_*` function builds the same network (ReLU MLP, Adam lr 1e-3, batch 100, no weight
decay; `train_framework_conv` the book's SimpleConvNet) on the same data in the same dtype, runs a warm-up epoch, then times `epochs` epochs and
returns seconds per epoch and the test accuracy. Used by compare.py and scaling.py, which run each
call in a fresh process.
"""
import math
import time

import numpy as np

WORKLOADS = {
    "W1": {"data": "digits", "hidden": [100]},
    "W2": {"data": "digits", "hidden": [256, 128]},
    "W3a": {"data": "mnist-like", "hidden": [100]},
    "W3b": {"data": "mnist-like", "hidden": [256, 256]},
}
BATCH_SIZE, LR = 100, 1e-3


def mnist_like(n_train=60000, n_test=10000, features=784, classes=10, seed=0, dtype=np.float32):
    """Seeded, learnable MNIST-shaped data: sparse class templates in [0, 1] under heavy noise.

    Made in chunks of the final dtype, so generating it never holds a float64 copy of the whole set.
    """
    rng = np.random.default_rng(seed)
    templates = (rng.random((classes, features)) < 0.15).astype(dtype)
    out = []
    for n in (n_train, n_test):
        t = rng.integers(0, classes, size=n)
        x = np.empty((n, features), dtype=dtype)
        for start in range(0, n, 5000):
            stop = min(n, start + 5000)
            noise = rng.random((stop - start, features), dtype=np.float32).astype(dtype)
            x[start:stop] = np.clip(0.12 * templates[t[start:stop]] + noise - 0.1, 0, 1)
        out.append((x, t))
    return tuple(out)


def load(workload, dtype, n_train=None):
    dtype = np.dtype(dtype).type
    if WORKLOADS[workload]["data"] == "digits":
        from framework.datasets import load_digits
        return load_digits(seed=0, dtype=dtype)
    return mnist_like(n_train=n_train or 60000, dtype=dtype)


def batches(n, rng):
    order = rng.permutation(n)
    return [order[i:i + BATCH_SIZE] for i in range(0, n, BATCH_SIZE)]


def train_framework(data, hidden, dtype, epochs, seed=0):
    from framework.network import MLP
    from framework.optimizers import Adam
    from framework.training import fit
    (x, t), (x_test, t_test) = data
    model = MLP(x.shape[1], hidden, 10, seed=seed, dtype=dtype)
    optimizer = Adam(lr=LR)
    fit(model, optimizer, x, t, epochs=1, batch_size=BATCH_SIZE, seed=seed, progress=0)  # warm-up
    started = time.perf_counter()
    fit(model, optimizer, x, t, epochs=epochs, batch_size=BATCH_SIZE, seed=seed + 1, progress=0)
    seconds = (time.perf_counter() - started) / epochs
    return seconds, model.accuracy(x_test, t_test)


def train_framework_conv(data, dtype, epochs, seed=0):
    """The conv step: the book's SimpleConvNet (30 5x5 filters, 2x2 pooling, 100 hidden) on 28x28
    images, Adam, batch 100; seconds per epoch after a warm-up epoch, and the test accuracy."""
    from framework.network import SimpleConvNet
    from framework.optimizers import Adam
    from framework.training import fit
    (x, t), (x_test, t_test) = ((x.reshape(-1, 1, 28, 28), t) for x, t in data)
    model = SimpleConvNet(seed=seed, dtype=dtype)
    optimizer = Adam(lr=LR)
    fit(model, optimizer, x, t, epochs=1, batch_size=BATCH_SIZE, seed=seed, progress=0)  # warm-up
    started = time.perf_counter()
    fit(model, optimizer, x, t, epochs=epochs, batch_size=BATCH_SIZE, seed=seed + 1, progress=0)
    seconds = (time.perf_counter() - started) / epochs
    return seconds, model.accuracy(x_test, t_test)


def train_sklearn(data, hidden, dtype, epochs, seed=0):
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    (x, t), (x_test, t_test) = data
    settings = dict(hidden_layer_sizes=hidden, batch_size=BATCH_SIZE, learning_rate_init=LR, alpha=0.0,
                    tol=0.0, n_iter_no_change=10 ** 9, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier(max_iter=1, **settings).fit(x, t)  # warm-up
        model = MLPClassifier(max_iter=epochs, **settings)
        started = time.perf_counter()
        model.fit(x, t)
        seconds = (time.perf_counter() - started) / epochs
    return seconds, model.score(x_test, t_test)


def train_torch(data, hidden, dtype, epochs, seed=0):
    import torch
    torch.manual_seed(seed)
    torch.set_num_threads(2)
    (x, t), (x_test, t_test) = data
    torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
    sizes = [x.shape[1]] + list(hidden) + [10]
    modules = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        modules.append(torch.nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            modules.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*modules).to(torch_dtype)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    X, T = torch.from_numpy(x), torch.from_numpy(t)
    rng = np.random.default_rng(seed)

    def epoch():
        for idx in batches(len(X), rng):
            idx = torch.from_numpy(idx)
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(X[idx]), T[idx]).backward()
            optimizer.step()

    epoch()  # warm-up
    started = time.perf_counter()
    for _ in range(epochs):
        epoch()
    seconds = (time.perf_counter() - started) / epochs
    with torch.no_grad():
        accuracy = float((model(torch.from_numpy(x_test)).argmax(1) == torch.from_numpy(t_test)).double().mean())
    return seconds, accuracy


def train_numpy(data, hidden, dtype, epochs, seed=0):
    """The same training as one bare NumPy loop: the arithmetic of framework's layers, loss and Adam
    written inline, with no layers, no input checks and no bookkeeping. Not a peer but a reference:
    the time it takes is what NumPy calls alone cost, so ours / this is the price of the framework."""
    (x, t), (x_test, t_test) = data
    rng = np.random.default_rng(seed)
    sizes = [x.shape[1]] + list(hidden) + [10]
    shapes = list(zip(sizes[:-1], sizes[1:]))
    total = sum(a * b + b for a, b in shapes)
    params, grads = np.zeros(total, dtype), np.zeros(total, dtype)
    m, v, work = np.zeros(total, dtype), np.zeros(total, dtype), np.empty(total, dtype)
    weights, biases, weight_grads, bias_grads, offset = [], [], [], [], 0
    for a, b in shapes:
        weights.append(params[offset:offset + a * b].reshape(a, b))
        weight_grads.append(grads[offset:offset + a * b].reshape(a, b))
        offset += a * b
        biases.append(params[offset:offset + b])
        bias_grads.append(grads[offset:offset + b])
        offset += b
        weights[-1][...] = rng.standard_normal((a, b)) * np.sqrt(2.0 / a)  # He, as MLP
    ones, class_ones = np.ones(BATCH_SIZE, dtype), np.ones(10, dtype)
    row_starts = np.arange(BATCH_SIZE) * 10
    x_batch = np.empty((BATCH_SIZE, x.shape[1]), dtype)
    steps = [0]

    def adam(params, grads, m, v, work, t):
        c1, c2 = 1 - 0.9 ** t, 1 - 0.999 ** t
        eps, step = 1e-8 * math.sqrt(c2), LR * math.sqrt(c2) / c1  # Python floats keep float32 float32
        m *= 0.9
        m += np.multiply(grads, 0.1, out=work)
        np.multiply(grads, grads, out=work)
        work *= 0.001
        v *= 0.999
        v += work
        np.sqrt(v, out=work)
        work += eps
        np.divide(m, work, out=work)
        work *= step
        params -= work

    def forward(h):
        acts, masks = [h], []
        for i, (W, b) in enumerate(zip(weights, biases)):
            z = acts[-1] @ W
            z += b
            if i < len(weights) - 1:
                masks.append((z > 0).astype(dtype))
                acts.append(z * masks[-1])
        return z, acts, masks

    def epoch():
        for idx in batches(len(x), rng):
            n = len(idx)
            h = x_batch[:n]
            x.take(idx, axis=0, out=h, mode="clip")
            z, acts, masks = forward(h)
            starts = row_starts[:n]
            target = starts + t[idx]
            shifted = z - z.ravel()[starts + z.argmax(axis=1)][:, None]
            e = np.exp(shifted)
            total_e = e @ class_ones
            dz = np.divide(e, total_e[:, None], out=e)
            float(-(shifted.ravel()[target] - np.log(total_e)).sum() / n)  # the loss, as fit reports it
            dz.ravel()[target] -= 1
            dz *= 1.0 / n
            for i in range(len(weights) - 1, -1, -1):
                np.matmul(acts[i].T, dz, out=weight_grads[i])
                np.dot(ones[:n], dz, out=bias_grads[i])
                if i:
                    dz = dz @ weights[i].T
                    dz *= masks[i - 1]
            steps[0] += 1
            adam(params, grads, m, v, work, steps[0])

    epoch()  # warm-up
    started = time.perf_counter()
    for _ in range(epochs):
        epoch()
    seconds = (time.perf_counter() - started) / epochs
    scores = np.concatenate([forward(x_test[i:i + 2048])[0] for i in range(0, len(x_test), 2048)])
    return seconds, float((scores.argmax(axis=1) == t_test).mean())


def matmul_floor(data, hidden, dtype, epochs):
    """Seconds per epoch of just the matrix products training needs: for every batch and layer the
    forward x @ W and dW = x.T @ dout, and dx = dout @ W.T for every layer but the first."""
    (x, t), _ = data
    sizes = [x.shape[1]] + list(hidden) + [10]
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((a, b)).astype(dtype) for a, b in zip(sizes[:-1], sizes[1:])]
    acts = [np.ones((BATCH_SIZE, s), dtype) for s in sizes]
    grads = [np.empty_like(w) for w in weights]
    xb = np.empty((BATCH_SIZE, x.shape[1]), dtype)
    n_batches = len(x) // BATCH_SIZE

    def epoch():
        for b in range(n_batches):
            np.take(x, np.arange(b * BATCH_SIZE, (b + 1) * BATCH_SIZE), axis=0, out=xb)
            h = xb
            for w in weights:
                h = h @ w
            for i in range(len(weights) - 1, -1, -1):
                np.matmul(acts[i].T, acts[i + 1], out=grads[i])
                if i:
                    acts[i + 1] @ weights[i].T

    epoch()
    started = time.perf_counter()
    for _ in range(epochs):
        epoch()
    return (time.perf_counter() - started) / epochs


TRAINERS = {"framework": train_framework, "sklearn": train_sklearn, "torch": train_torch, "numpy": train_numpy,
            "floor": matmul_floor}
