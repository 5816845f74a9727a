"""Two versions of framework timed against each other in the same run, interleaved.

    git worktree add /tmp/before HEAD~3
    python benchmarks/ab.py /tmp/before .            # seconds per epoch, median over repeats

Each measurement is one fresh process that imports framework from the given source folder and
trains one workload of workloads.py (digits W1/W2, the MNIST-shaped W3a/W3b, and "conv": the
book's SimpleConvNet on 2,000 MNIST-shaped images, float32 and float64); the two versions take turns, so the machine's drift hits both alike. A refactoring is
judged by the ratio B / A per workload: 1.00 means no change, above 1 means B is slower.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

WORKER = """
import json, sys
sys.path.insert(0, {source!r})
sys.path.insert(0, {here!r})
import numpy as np
import workloads
np.ones((256, 256)) @ np.ones((256, 256))
if {workload!r} == "conv":  # the conv step: SimpleConvNet on 2,000 MNIST-shaped images
    data = workloads.mnist_like(n_train=2000, n_test=500, dtype=np.dtype({dtype!r}).type)
    seconds, accuracy = workloads.train_framework_conv(data, np.dtype({dtype!r}).type, {epochs})
else:
    data = workloads.load({workload!r}, {dtype!r}, n_train={n_train!r})
    seconds, accuracy = workloads.train_framework(data, workloads.WORKLOADS[{workload!r}]["hidden"],
                                                 np.dtype({dtype!r}).type, {epochs})
import framework
assert framework.__file__.startswith({source!r}), framework.__file__
print(json.dumps([seconds, accuracy]))
"""

JOBS = [("W1", "float64", 20), ("W1", "float32", 20), ("W2", "float64", 10), ("W2", "float32", 10),
        ("W3a", "float32", 1), ("W3b", "float32", 1), ("conv", "float32", 1), ("conv", "float64", 1)]


def measure(source, workload, dtype, epochs, n_train, env):
    code = WORKER.format(source=os.path.abspath(source), here=HERE, workload=workload, dtype=dtype,
                         epochs=epochs, n_train=n_train)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=os.path.abspath(source))
    if out.returncode != 0:
        raise RuntimeError(f"{source} {workload} {dtype} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="source folder of version A (holds framework/)")
    parser.add_argument("b", help="source folder of version B")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n-train", type=int, default=20000, help="MNIST-shaped training samples (W3)")
    parser.add_argument("--workloads", nargs="+", default=None, help="only these workloads (e.g. W1 W2)")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)  # as compare.py: these slow a current numpy, for both alike
    env.pop("OPENBLAS_L2_SIZE", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    jobs = [job for job in JOBS if args.workloads is None or job[0] in args.workloads]
    times = {}
    for r in range(args.repeats):
        for workload, dtype, epochs in jobs:
            order = (args.a, args.b) if r % 2 == 0 else (args.b, args.a)
            for source in order:
                seconds, _ = measure(source, workload, dtype, epochs, args.n_train, env)
                times.setdefault((workload, dtype, source), []).append(seconds)
        print(f"repeat {r + 1}/{args.repeats} done", file=sys.stderr)
    print("| workload | dtype | A ms/epoch | B ms/epoch | B / A |\n|---|---|---|---|---|")
    for workload, dtype, _ in jobs:
        a = statistics.median(times[(workload, dtype, args.a)]) * 1000
        b = statistics.median(times[(workload, dtype, args.b)]) * 1000
        print(f"| {workload} | {dtype} | {a:.2f} | {b:.2f} | {b / a:.2f} |")


if __name__ == "__main__":
    main()
