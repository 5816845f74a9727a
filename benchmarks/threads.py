"""BLAS threads on a quiet and on a busy machine: the automatic choice against fixed 1 and 2 threads.

    python benchmarks/threads.py                       # W1, W2, W3a, W3b, each quiet and busy
    python benchmarks/threads.py --workloads W1 --repeats 3 --n-train 10000

Each measurement is one fresh process training one workload of workloads.py for a few epochs
(seconds per epoch, after a warm-up epoch). Ours runs with the automatic choice (FRAMEWORK_THREADS
unset), then with FRAMEWORK_THREADS=1 and =2 (2 is what this machine's BLAS uses by default, the
setting before the automatic choice); scikit-learn and PyTorch run with their defaults. The
settings take turns within each repeat, so drift hits all alike. "busy" runs a second process that
multiplies 512x512 float64 matrices with its default threads for the whole measurement: a laptop
doing other work. Prints a Markdown table of medians and of each setting's median over the automatic one.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

WORKER = """
import json, sys
sys.path.insert(0, {root!r})
sys.path.insert(0, {here!r})
import numpy as np
import workloads
data = workloads.load({workload!r}, "float32", n_train={n_train!r})
train = getattr(workloads, "train_" + {peer!r})
seconds, accuracy = train(data, workloads.WORKLOADS[{workload!r}]["hidden"], np.float32, {epochs})
print(json.dumps(seconds))
"""

LOAD = """
import numpy as np
a = np.random.default_rng(0).random((512, 512))
while True:
    a = (a @ a) / 512.0
"""

SETTINGS = {"auto": ("framework", None), "1 thread": ("framework", "1"), "2 threads": ("framework", "2"),
            "scikit-learn": ("sklearn", None), "PyTorch": ("torch", None)}
EPOCHS = {"W1": 20, "W2": 10, "W3a": 1, "W3b": 1}


def measure(workload, setting, n_train):
    peer, threads = SETTINGS[setting]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("FRAMEWORK_THREADS", None)
    env.pop("OPENBLAS_CORETYPE", None)  # as compare.py: these slow a current numpy, for every peer alike
    env.pop("OPENBLAS_L2_SIZE", None)
    if threads is not None:
        env["FRAMEWORK_THREADS"] = threads
    code = WORKER.format(root=ROOT, here=HERE, workload=workload, peer=peer, epochs=EPOCHS[workload],
                         n_train=n_train)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"{workload} {setting} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", nargs="+", default=["W1", "W2", "W3a", "W3b"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n-train", type=int, default=20000, help="MNIST-shaped training samples (W3)")
    parser.add_argument("--machine", nargs="+", default=["quiet", "busy"], choices=["quiet", "busy"])
    parser.add_argument("--peers", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    args = parser.parse_args(argv)
    peers = list(args.peers)
    try:
        import torch  # noqa: F401
    except ImportError:
        peers = [p for p in peers if p != "PyTorch"]
    times = {}
    for machine in args.machine:
        load = subprocess.Popen([sys.executable, "-c", LOAD]) if machine == "busy" else None
        try:
            for r in range(args.repeats):
                for workload in args.workloads:
                    for setting in (peers if r % 2 == 0 else peers[::-1]):
                        times.setdefault((machine, workload, setting), []).append(measure(workload, setting,
                                                                                          args.n_train))
                print(f"{machine}: repeat {r + 1}/{args.repeats} done", file=sys.stderr)
        finally:
            if load is not None:
                load.kill()
                load.wait()
    print("ms per epoch, median of", args.repeats, "(in brackets: that setting's time over the automatic choice's)\n")
    print("| machine | workload | " + " | ".join(peers) + " |")
    print("|---|---|" + "---|" * len(peers))
    for machine in args.machine:
        for workload in args.workloads:
            auto = statistics.median(times[(machine, workload, "auto")])
            cells = []
            for setting in peers:
                runs = times[(machine, workload, setting)]
                median = statistics.median(runs)
                spread = f" ({min(runs) * 1e3:.0f}-{max(runs) * 1e3:.0f})" if machine == "busy" else ""
                cells.append(f"{median * 1e3:.1f}{spread} [{median / auto:.2f}x]")
            print(f"| {machine} | {workload} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
