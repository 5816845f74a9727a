"""How time per epoch and peak memory grow with the number of samples and the hidden width.

    python benchmarks/scaling.py            # prints two tables, writes benchmarks/results/scaling.{md,json,png}

MNIST-shaped float32 data (784 features, 10 classes), MLP 784-width-10, Adam, batch 100. Each point
runs in its own process (so its peak memory is its own, above a baseline that holds numpy, BLAS and,
when installed, numba); the time is the median of 3 epochs after a warm-up. Time should grow
linearly in samples: the script fits a line through the origin and reports how far each point is
from it.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = (1000, 5000, 10000, 20000, 40000, 60000)
WIDTHS = (32, 64, 128, 256, 512, 1024)


def worker(n, width, epochs):
    sys.path.insert(0, HERE)
    import numpy as np

    from compare import load_fused_kernels, reset_peak, rss_mb
    from framework.network import MLP
    from framework.optimizers import Adam
    from framework.training import fit
    from workloads import mnist_like

    np.ones((256, 256)) @ np.ones((256, 256))
    load_fused_kernels()  # as in compare.py: BLAS's buffers and numba belong to the baseline
    base = rss_mb("VmRSS")
    (x, t), _ = mnist_like(n_train=n, n_test=100)
    reset_peak()
    model, optimizer = MLP(784, [width], 10, seed=0, dtype=np.float32), Adam()
    fit(model, optimizer, x, t, epochs=1, batch_size=100, progress=0)
    times = []
    for _ in range(epochs):
        started = time.perf_counter()
        fit(model, optimizer, x, t, epochs=1, batch_size=100, progress=0)
        times.append(time.perf_counter() - started)
    print(json.dumps({"n": n, "width": width, "seconds": statistics.median(times),
                      "peak_mb": rss_mb("VmHWM") - base, "data_mb": x.nbytes / 2 ** 20}))


def run(n, width, epochs, env):
    out = subprocess.run([sys.executable, __file__, "--worker", str(n), str(width), str(epochs)],
                         capture_output=True, text=True, env=env)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--width", type=int, default=256, help="hidden width while samples vary")
    parser.add_argument("--samples", type=int, default=10000, help="samples while the width varies")
    parser.add_argument("--worker", nargs=3, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(*args.worker)
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)  # as in compare.py: a current numpy is slowed by these
    env.pop("OPENBLAS_L2_SIZE", None)

    by_samples = [run(n, args.width, args.epochs, env) for n in SAMPLES]
    by_width = [run(args.samples, w, args.epochs, env) for w in WIDTHS]
    # Least-squares line through the origin: seconds = slope * n.
    slope = sum(r["n"] * r["seconds"] for r in by_samples) / sum(r["n"] ** 2 for r in by_samples)
    lines = [f"Scaling, {time.strftime('%Y-%m-%d')}: MLP 784-{args.width}-10, float32, Adam, batch 100", "",
             "| samples | s/epoch | ms per 1000 samples | off the line | peak MB (data MB) |", "|---|---|---|---|---|"]
    worst = 0.0
    for r in by_samples:
        off = r["seconds"] / (slope * r["n"]) - 1
        worst = max(worst, abs(off)) if r["n"] >= 5000 else worst
        lines.append(f"| {r['n']} | {r['seconds']:.4f} | {1000 * r['seconds'] / r['n'] * 1000:.2f} | "
                     f"{off:+.1%} | {r['peak_mb']:.0f} ({r['data_mb']:.0f}) |")
    lines += ["", f"Linear in samples: from 5000 samples on, every point is within {worst:.0%} of one line "
              f"({slope * 1e6:.1f} us per sample).", "",
              f"MLP 784-width-10 on {args.samples} samples:", "",
              "| width | s/epoch | peak MB |", "|---|---|---|"]
    lines += [f"| {r['width']} | {r['seconds']:.4f} | {r['peak_mb']:.0f} |" for r in by_width]
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "scaling.md"), "w") as f:
        f.write(text)
    with open(os.path.join(HERE, "results", "scaling.json"), "w") as f:
        json.dump({"by_samples": by_samples, "by_width": by_width, "slope": slope}, f, indent=1)
    try:
        sys.path.insert(0, os.path.dirname(HERE))
        from framework import plot
        if plot.available():
            plt = plot._pyplot()
            fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
            a.plot([r["n"] for r in by_samples], [r["seconds"] for r in by_samples], "o-", label="measured")
            a.plot([0, SAMPLES[-1]], [0, slope * SAMPLES[-1]], "--", label="linear fit")
            a.set(xlabel="training samples", ylabel="seconds per epoch", title=f"784-{args.width}-10")
            a.legend()
            b.plot(WIDTHS, [r["seconds"] for r in by_width], "o-")
            b.set(xlabel="hidden width", ylabel="seconds per epoch", xscale="log", yscale="log",
                  title=f"{args.samples} samples")
            plot.save(fig, os.path.join(HERE, "results", "scaling.png"))
    except ImportError:
        pass
    return by_samples, by_width


if __name__ == "__main__":
    main()
