"""The book's SimpleConvNet (or, with --deep, its DeepConvNet) on MNIST-shaped data: ours against the book's own code and PyTorch, same run.

    python benchmarks/conv.py --book /path/to/deep-learning-from-scratch     # the book's repository
    python benchmarks/conv.py --deep --book /path/to/deep-learning-from-scratch
    python benchmarks/conv.py --quick

--deep: ch08's DeepConvNet (six 3x3 convolutions of 16-16-32-32-64-64, three 2x2 poolings, Affine 50,
dropout 0.5 twice, Adam lr 1e-3), float32, batch 100; PyTorch builds the same layers.

Memory is the peak that training adds to the process once the data (188 MB) is loaded.
The net is the book's (conv 30 5x5 - ReLU - 2x2 pool - Affine 100 - ReLU - Affine 10, Adam lr 1e-3),
float32, batch 100, on 60000 x 1 x 28 x 28 synthetic learnable images (benchmarks/workloads.py's
MNIST-shaped data). Each peer runs in its own process, the peers take turns, and each number is the
median over repeats; an epoch is 600 steps, timed as `--steps` steps and scaled. Also reported: our
time per layer (forward and backward), the matmul floor (the net's products alone as 2-D GEMMs, in NumPy)
and peak memory above the data. The book's code is read from a checkout given with --book (it is
not part of this project); without it that column is empty. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
are removed for every peer alike, as in compare.py.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
STEPS_PER_EPOCH = 600
sys.path.insert(0, HERE)
from compare import load_fused_kernels, rss_mb  # noqa: E402  (the same memory reading and numba warm-up)


def data():
    import workloads
    (x, t), _ = workloads.mnist_like(n_train=60000, n_test=10, dtype=__import__("numpy").float32)
    return x.reshape(-1, 1, 28, 28), t


def batches(n, steps, rng):
    order = rng.permutation(n)
    return [order[(i * 100) % n:(i * 100) % n + 100] for i in range(steps)]


DEEP = False  # set by --deep: the book's DeepConvNet instead of its SimpleConvNet


def our_model():
    import numpy as np

    from framework.network import DeepConvNet, SimpleConvNet
    return (DeepConvNet if DEEP else SimpleConvNet)(dtype=np.float32, seed=0)


def torch_model():
    import torch
    nn = torch.nn
    if not DEEP:
        return nn.Sequential(nn.Conv2d(1, 30, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(4320, 100), nn.ReLU(), nn.Linear(100, 10))
    layers, channels = [], 1
    for i, (filters, pad) in enumerate(((16, 1), (16, 1), (32, 1), (32, 2), (64, 1), (64, 1)), 1):
        layers += [nn.Conv2d(channels, filters, 3, padding=pad), nn.ReLU()]
        channels = filters
        if i % 2 == 0:
            layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(1024, 50), nn.ReLU(), nn.Dropout(0.5), nn.Linear(50, 10),
                         nn.Dropout(0.5))


def run_ours(x, t, steps, rng):
    from framework.optimizers import Adam
    from framework.training import Trainer
    model = our_model()
    trainer = Trainer(model, Adam(lr=1e-3), x[:100], t[:100], batch_size=100, progress=0)
    plan = batches(len(x), steps + 2, rng)
    for idx in plan[:2]:
        trainer.train_step(x[idx], t[idx])
    started = time.perf_counter()
    for idx in plan[2:]:
        trainer.train_step(x[idx], t[idx])
    return (time.perf_counter() - started) / steps


def run_torch(x, t, steps, rng):
    import torch
    torch.manual_seed(0)
    net = torch_model()
    optimizer = torch.optim.Adam(net.parameters(), 1e-3)
    tx, tt = torch.from_numpy(x), torch.from_numpy(t)
    plan = [torch.from_numpy(idx) for idx in batches(len(x), steps + 2, rng)]

    def step(idx):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(net(tx[idx]), tt[idx]).backward()
        optimizer.step()

    for idx in plan[:2]:
        step(idx)
    started = time.perf_counter()
    for idx in plan[2:]:
        step(idx)
    return (time.perf_counter() - started) / steps


def run_book(x, t, steps, rng, book):
    sys.path.insert(0, book)
    from common.optimizer import Adam
    if DEEP:
        sys.path.insert(0, os.path.join(book, "ch08"))
        from deep_convnet import DeepConvNet as Network
    else:
        from ch07.simple_convnet import SimpleConvNet as Network
    network, optimizer = Network(), Adam(lr=1e-3)
    x = x.astype("float64")  # the book's layers work in float64 whatever they are given
    plan = batches(len(x), steps + 1, rng)
    optimizer.update(network.params, network.gradient(x[plan[0]], t[plan[0]]))
    started = time.perf_counter()
    for idx in plan[1:]:
        optimizer.update(network.params, network.gradient(x[idx], t[idx]))
    return (time.perf_counter() - started) / steps


def run_layers(x, t, steps, rng):
    """Our time per layer and direction, and the matmul floor."""

    from framework.optimizers import Adam
    model, optimizer = our_model(), Adam(lr=1e-3)
    spent = {}
    for i, (name, layer) in enumerate(zip(model.layer_names, model.layers)):
        # the first layer's backward is its parameter_gradients alone; the others' backward calls it itself
        for method in ("forward", "parameter_gradients" if i == 0 else "backward"):
            if hasattr(layer, method):
                original = getattr(layer, method)
                key = f"{name} {'backward' if method != 'forward' else 'forward'}"

                def timed(*args, _original=original, _key=key, **kwargs):
                    started = time.perf_counter()
                    result = _original(*args, **kwargs)
                    spent[_key] = spent.get(_key, 0.0) + time.perf_counter() - started
                    return result

                setattr(layer, method, timed)
    plan = batches(len(x), steps + 2, rng)
    for idx in plan[:2]:  # warm-up: the compiled Adam step is built on first use
        model.loss_and_scores(model.check_input(x[idx]), t[idx])
        model.backward(input_grad=False)
        optimizer.update(model.params, model.grads)
    spent.clear()
    plan = plan[2:]
    total = time.perf_counter()
    for idx in plan:
        xb = model.check_input(x[idx])
        model.loss_and_scores(xb, t[idx])
        model.backward(input_grad=False)
        started = time.perf_counter()
        optimizer.update(model.params, model.grads)
        spent["optimizer (Adam)"] = spent.get("optimizer (Adam)", 0.0) + time.perf_counter() - started
    total = time.perf_counter() - total
    split = {key: value / steps for key, value in spent.items()}
    split["everything else (loss, batches, Python)"] = total / steps - sum(split.values())
    split["floor"] = matmul_floor(model, x[plan[0]], steps)
    return split


def matmul_floor(model, x, steps):
    """Seconds per step of the net's matrix products alone, as 2-D GEMMs in their best layout: for each
    Convolution (as im2col: columns (N*OH*OW, C*FH*FW)) and Affine layer, forward x @ W, dW = x.T @ dout
    and, past the first layer, dx = dout @ W.T; everything else a step does costs on top of this."""
    import numpy as np

    from framework.layers import Affine, Convolution
    rng, operands = np.random.default_rng(0), []
    for i, layer in enumerate(model.layers):
        if isinstance(layer, (Affine, Convolution)):
            W = layer.params["W"]
            if isinstance(layer, Convolution):
                F, C, FH, FW = W.shape
                out = layer.forward(x)
                rows, W = out.shape[0] * out.shape[2] * out.shape[3], W.reshape(F, -1).T
            else:
                out = layer.forward(x)
                rows = x.shape[0]
            inputs = rng.random((rows, W.shape[0]), dtype=np.float32)
            operands.append((inputs, np.ascontiguousarray(W), rng.random((rows, W.shape[1]), dtype=np.float32), i > 0))
            x = out
        else:
            x = layer.forward(x)

    def products():
        for inputs, W, dout, needs_dx in operands:
            inputs @ W, inputs.T @ dout
            if needs_dx:
                dout @ W.T

    products()
    started = time.perf_counter()
    for _ in range(steps):
        products()
    return (time.perf_counter() - started) / steps


def worker(peer, steps, book):
    import numpy as np
    np.ones((256, 256)) @ np.ones((256, 256))
    if peer == "torch":
        import torch  # noqa: F401  (before the memory baseline, like numpy)
    x, t = data()
    data_mb = (x.nbytes + t.nbytes) / 2 ** 20
    if peer in ("framework", "layers"):  # numba's one-time load (~125 MB) is not training's memory
        load_fused_kernels()
    try:  # the peak from here on: what training adds to the loaded data (not the data's generation)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    start = rss_mb("VmRSS")
    rng = np.random.default_rng(0)
    if peer == "layers":
        result = run_layers(x, t, steps, rng)
    else:
        run = {"framework": run_ours, "torch": run_torch}.get(peer)
        seconds = run(x, t, steps, rng) if run else run_book(x, t, steps, rng, book)
        result = {"step": seconds, "peak_mb": rss_mb("VmHWM") - start, "data_mb": data_mb}
    print(json.dumps(result))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", help="a checkout of oreilly-japan/deep-learning-from-scratch (for its column)")
    parser.add_argument("--steps", type=int, default=60, help="training steps timed per repeat")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="20 steps, 3 repeats")
    parser.add_argument("--deep", action="store_true", help="the book's DeepConvNet (ch. 8) instead of SimpleConvNet")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    global DEEP
    DEEP = args.deep
    if args.worker:
        return worker(args.worker[0], int(args.worker[1]), args.book)
    steps, repeats = (20, 3) if args.quick else (args.steps, args.repeats)
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    peers = ["framework", "torch", "layers"] + (["book"] if args.book else [])
    results = {}
    for r in range(repeats):
        for peer in peers[r % len(peers):] + peers[:r % len(peers)]:
            n = max(3, steps // 6) if peer == "book" else steps  # the book's steps take ~85 ms each
            command = [sys.executable, __file__, "--worker", peer, str(n)] + (["--book", args.book] if args.book else []) \
                + (["--deep"] if args.deep else [])
            out = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
            if out.returncode != 0:
                raise RuntimeError(f"{peer} failed:\n{out.stderr[-2000:]}")
            results.setdefault(peer, []).append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"repeat {r + 1}/{repeats}", file=sys.stderr)
    median = {peer: {key: None if runs[0][key] is None else statistics.median(run[key] for run in runs)
                     for key in runs[0]} for peer, runs in results.items()}
    ours = median["framework"]["step"]
    lines = ["| peer | ms / step | s / epoch (600 steps) | ours is ... faster | MB training adds to the data |",
             "|---|---|---|---|---|"]
    for peer in ("framework", "torch", "book"):
        if peer in median:
            m = median[peer]
            lines.append(f"| {peer} | {m['step'] * 1000:.1f} | {m['step'] * STEPS_PER_EPOCH:.1f} | "
                         f"{m['step'] / ours:.2f}x | {m['peak_mb']:.0f} |")
    split = median["layers"]
    lines += ["", "| ours, per step | ms |", "|---|---|"]
    lines += [f"| {key} | {value * 1000:.2f} |" for key, value in split.items() if key != "floor"]
    if split["floor"] is not None:
        lines.append(f"| matmul floor (the net's products alone, 2-D GEMMs) | {split['floor'] * 1000:.2f} |")
    text = "\n".join(lines)
    print(text)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    name = ("deepconv" if args.deep else "conv") + ("-quick" if args.quick else "")
    with open(os.path.join(HERE, "results", name + ".md"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
