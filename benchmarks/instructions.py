"""Instructions per epoch of two versions of framework, counted by valgrind's callgrind: what a
refactoring costs, where wall-clock A/B runs (ab.py) on a shared machine swing by more than that.

    git worktree add /tmp/before ea62fdb        # the code before "Separate the book from the engine"
    python benchmarks/instructions.py /tmp/before .

Each workload of ab.py is trained under callgrind for `short` and for `long` epochs (numba off, one
BLAS thread); (count(long) - count(short)) / (long - short) is the count per epoch, free of start-up
and imports. A count repeats to within 0.1% from run to run, except that now and then one process
of either version counts billions more (seen on W1 float64): each count is the median of `--runs`
processes. Two processes run at a time. Needs valgrind.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))

WORKER = """
import sys
sys.path.insert(0, {source!r})
sys.path.insert(0, {here!r})
import numpy as np
import workloads
from framework.training import fit
dtype = np.dtype({dtype!r}).type
if {workload!r} == "conv":
    from framework.network import SimpleConvNet
    (x, t), _ = workloads.mnist_like(n_train=300, n_test=1, dtype=dtype)
    x, model = x.reshape(-1, 1, 28, 28), SimpleConvNet(seed=0, dtype=dtype)
else:
    from framework.network import MLP
    (x, t), _ = (workloads.mnist_like(n_train=2000, n_test=1, dtype=dtype) if {workload!r}.startswith("W3")
                 else workloads.load({workload!r}, dtype))
    model = MLP(x.shape[1], workloads.WORKLOADS[{workload!r}]["hidden"], 10, seed=0, dtype=dtype)
from framework.optimizers import Adam
fit(model, Adam(lr=workloads.LR), x, t, epochs={epochs}, batch_size=workloads.BATCH_SIZE, seed=0, progress=0)
"""

#: (workload, dtype, short, long): epochs of the two runs.
JOBS = [("W1", "float64", 1, 6), ("W1", "float32", 1, 6), ("W2", "float64", 1, 3), ("W2", "float32", 1, 3),
        ("W3a", "float32", 1, 2), ("conv", "float32", 1, 2), ("conv", "float64", 1, 2)]


def count(source, workload, dtype, epochs, env):
    """Instructions of one whole training process under callgrind."""
    code = WORKER.format(source=os.path.abspath(source), here=HERE, workload=workload, dtype=dtype, epochs=epochs)
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "callgrind.out")
        run = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-c", code],
                             capture_output=True, text=True, env=env, cwd=os.path.abspath(source))
        if run.returncode != 0:
            raise RuntimeError(f"{source} {workload} {dtype} failed:\n{run.stderr[-2000:]}")
        with open(out) as f:
            for line in f:
                if line.startswith(("summary:", "totals:")):
                    return int(line.split()[1])
    raise RuntimeError("callgrind wrote no total")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="source folder of version A (holds framework/)")
    parser.add_argument("b", help="source folder of version B")
    parser.add_argument("--workloads", nargs="+", default=None, help="only these workloads (e.g. W1 conv)")
    parser.add_argument("--runs", type=int, default=3, help="processes per count; their median is taken")
    args = parser.parse_args(argv)
    env = {**os.environ, "FRAMEWORK_NO_NUMBA": "1", "OPENBLAS_NUM_THREADS": "1", "FRAMEWORK_THREADS": "1",
           "PYTHONDONTWRITEBYTECODE": "1"}
    print("| workload | dtype | A instructions per epoch | B | B / A |\n|---|---|---|---|---|")
    for workload, dtype, short, long in JOBS:
        if args.workloads is not None and workload not in args.workloads:
            continue
        runs = [(source, epochs) for source in (args.a, args.b) for epochs in (short, long)] * args.runs
        with ThreadPoolExecutor(2) as pool:
            counts = list(pool.map(lambda run: count(run[0], workload, dtype, run[1], env), runs))
        median = {run: statistics.median(c for r, c in zip(runs, counts) if r == run) for run in set(runs)}
        per_epoch = [(median[(source, long)] - median[(source, short)]) / (long - short) for source in (args.a, args.b)]
        print(f"| {workload} | {dtype} | {per_epoch[0] / 1e6:.2f}M | {per_epoch[1] / 1e6:.2f}M "
              f"| {per_epoch[1] / per_epoch[0]:.3f} |", flush=True)


if __name__ == "__main__":
    main()
