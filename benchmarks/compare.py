"""framework against scikit-learn's MLPClassifier and PyTorch, measured in the same run.

    python benchmarks/compare.py --quick      # about two minutes
    python benchmarks/compare.py              # the full table quoted in README

Each peer trains in its own process; the peers take turns, repeat after repeat, so the machine's
drift hits them alike; each number is the median over repeats. Per workload it reports seconds per
epoch, test accuracy, the peak memory above the process's start, and each peer's time divided by
ours; also two references: the matrix-multiply floor (the products alone) and a bare NumPy loop (the
same arithmetic inline, no framework: what the NumPy calls alone cost); and the whole
`python -m framework train` process against the same job as a scikit-learn script. Writes
benchmarks/results/compare[-quick].md and .json. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which this
workplace sets for old OpenBLAS builds and which slow a current numpy, are removed for every peer
alike (--keep-openblas-env keeps them).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PEERS = ("framework", "sklearn", "torch")

SKLEARN_SCRIPT = """
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
import warnings
warnings.simplefilter("ignore")
X, y = load_digits(return_X_y=True)
X = X / 16
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
model = MLPClassifier((100,), batch_size=32, learning_rate_init=3e-3, max_iter=50, random_state=0,
                      tol=0, n_iter_no_change=10 ** 9).fit(X_train, y_train)
print(f"test accuracy {model.score(X_test, y_test):.4f}")
"""


# -- the worker: one peer, several jobs, one process --------------------------------------------
def rss_mb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM, the peak resident memory, to the current size
    except OSError:
        pass


def load_fused_kernels():
    """Load numba's fused Adam, when installed, before the memory baseline: numba and LLVM take about
    125 MB and 0.6 s once per process, a fixed cost like importing PyTorch, not a cost of training."""
    import numpy as np

    from framework import engine
    from framework.optimizers import Adam
    for dtype in (np.float32, np.float64):
        ones = np.ones(engine.FUSED_MIN_SIZE, dtype)
        Adam().update({"W": ones}, {"W": ones.copy()})


def worker(peer, jobs):
    sys.path.insert(0, HERE)
    import numpy as np

    import workloads
    if peer == "torch":
        import torch  # noqa: F401  (imported before the baseline, like numpy)
    if peer == "sklearn":
        import sklearn.neural_network  # noqa: F401
    np.ones((256, 256)) @ np.ones((256, 256))  # BLAS's own buffers belong to the baseline
    if peer == "framework":  # so does loading the optional fused Adam step
        load_fused_kernels()
    results = []
    for workload, dtype, epochs in jobs:
        base = rss_mb("VmRSS")
        data = workloads.load(workload, dtype)
        reset_peak()  # the peak from here on: the data plus whatever training adds
        data_mb = sum(a.nbytes for pair in data for a in pair) / 2 ** 20
        train = workloads.TRAINERS[peer]
        answer = train(data, workloads.WORKLOADS[workload]["hidden"], np.dtype(dtype).type, epochs)
        seconds, accuracy = answer if peer != "floor" else (answer, None)  # the floor trains nothing
        results.append({"workload": workload, "dtype": dtype, "seconds": seconds, "accuracy": accuracy,
                        "peak_mb": rss_mb("VmHWM") - base, "data_mb": data_mb})
        del data
    try:
        from threadpoolctl import threadpool_info
        kernel = ",".join(sorted({str(i.get("architecture")) for i in threadpool_info() if i.get("architecture")}))
    except ImportError:
        kernel = "?"
    if peer == "framework":
        import importlib.util
        kernel += ", numba " + ("installed (fused Adam)" if importlib.util.find_spec("numba") else "not installed")
    print(json.dumps({"results": results, "blas": kernel}))


# -- the driver --------------------------------------------------------------------------------
def environment(keep_openblas):
    env = dict(os.environ)
    if not keep_openblas:
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    return env


def run_worker(peer, jobs, env):
    spec = json.dumps(jobs)
    out = subprocess.run([sys.executable, __file__, "--worker", peer, spec], capture_output=True, text=True,
                         env=env, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"{peer} worker failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def whole_process(env):
    """Seconds and accuracy of the main job as a whole process, ours and scikit-learn's."""
    commands = {"framework": [sys.executable, "-m", "framework", "train", "--progress", "0"],
                "sklearn": [sys.executable, "-c", SKLEARN_SCRIPT]}
    out = {}
    for name, command in commands.items():
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            raise RuntimeError(f"{name} process failed:\n{result.stderr[-2000:]}")
        out[name] = (seconds, float(result.stdout.strip().split()[-1]))
    return out


def torch_available():
    try:
        import importlib.util
        return importlib.util.find_spec("torch") is not None
    except ImportError:
        return False


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs and repeats, float32 only for W3")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--keep-openblas-env", action="store_true")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker[0], json.loads(args.worker[1]))

    repeats = args.repeats or (3 if args.quick else 5)
    # 30 digits epochs even when quick: after 10 the networks are undertrained and their test
    # accuracies differ by the luck of the initial weights, not by the implementation.
    small_epochs, big_epochs = (30, 1) if args.quick else (50, 3)
    jobs = [[w, d, small_epochs] for w in ("W1", "W2") for d in ("float64", "float32")]
    big_dtypes = ("float32",) if args.quick else ("float32", "float64")
    jobs += [[w, d, big_epochs] for w in ("W3a", "W3b") for d in big_dtypes]
    peers = [p for p in PEERS if p != "torch" or torch_available()] + ["numpy", "floor"]
    env = environment(args.keep_openblas_env)
    samples = {}  # (peer, workload, dtype) -> list of result dicts
    process = {"framework": [], "sklearn": []}
    blas = set()
    started = time.perf_counter()
    # The digits jobs are quick and go together; each MNIST-shaped job gets its own round, so the
    # peers of one job run minutes apart at most and the machine's drift hits them alike.
    groups = [[j for j in jobs if j[0] in ("W1", "W2")]] + [[j] for j in jobs if j[0] not in ("W1", "W2")]
    for r in range(repeats):
        order = peers[r % len(peers):] + peers[:r % len(peers)]  # take turns at going first
        for group in groups:
            for peer in order:
                answer = run_worker(peer, group, env)
                blas.add(answer["blas"])
                for result in answer["results"]:
                    samples.setdefault((peer, result["workload"], result["dtype"]), []).append(result)
        for name, value in whole_process(env).items():
            process[name].append(value)
        print(f"repeat {r + 1}/{repeats} done ({time.perf_counter() - started:.0f} s)", file=sys.stderr)

    rows = []
    def median(peer, workload, dtype, key):
        values = [s[key] for s in samples.get((peer, workload, dtype), []) if s[key] is not None]
        return statistics.median(values) if values else None

    for workload, dtype, epochs in jobs:
        ours = median("framework", workload, dtype, "seconds")
        row = {"workload": workload, "dtype": dtype, "epochs": epochs,
               "data_mb": median("framework", workload, dtype, "data_mb"),
               "floor_s": median("floor", workload, dtype, "seconds"),
               "numpy_s": median("numpy", workload, dtype, "seconds")}
        for peer in PEERS:
            row[f"{peer}_s"] = median(peer, workload, dtype, "seconds")
            row[f"{peer}_acc"] = median(peer, workload, dtype, "accuracy")
            row[f"{peer}_peak_mb"] = median(peer, workload, dtype, "peak_mb")
            row[f"{peer}_ratio"] = None if row[f"{peer}_s"] is None else row[f"{peer}_s"] / ours
        row["floor_ratio"] = ours / row["floor_s"]
        row["numpy_ratio"] = ours / row["numpy_s"]
        rows.append(row)
    whole = {name: {"seconds": statistics.median(v[0] for v in values),
                    "accuracy": statistics.median(v[1] for v in values)} for name, values in process.items()}
    report = {"date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
              f"{platform.python_implementation()} {platform.python_version()}, BLAS kernel {'; '.join(sorted(blas))}",
              "quick": args.quick, "repeats": repeats, "rows": rows, "whole_process": whole}
    report["targets"] = check_targets(report)
    text = markdown(report)
    print(text)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    name = "compare-quick" if args.quick else "compare"
    with open(os.path.join(HERE, "results", name + ".md"), "w") as f:
        f.write(text)
    with open(os.path.join(HERE, "results", name + ".json"), "w") as f:
        json.dump(report, f, indent=1)
    return report


def check_targets(report):
    targets = []
    for row in report["rows"]:
        label = f"{row['workload']} {row['dtype']}"
        sk, th = row["sklearn_ratio"], row["torch_ratio"]
        if row["workload"] in ("W1", "W2"):
            targets.append((f"{label}: >= 2.5x faster than scikit-learn", sk is not None and sk >= 2.5, sk))
            if th is not None:
                targets.append((f"{label}: >= 4x faster than PyTorch", th >= 4, th))
            for peer in ("sklearn", "torch"):
                if row[f"{peer}_acc"] is not None:
                    gap = row["framework_acc"] - row[f"{peer}_acc"]
                    targets.append((f"{label}: accuracy within 0.5 point of {peer}", gap >= -0.005, gap))
        elif row["dtype"] == "float32":
            best = min(r for r in (sk, th) if r is not None)
            targets.append((f"{label}: >= 1.5x faster than the faster peer", best >= 1.5, best))
            targets.append((f"{label}: within 1.5x of the matmul floor", row["floor_ratio"] <= 1.5, row["floor_ratio"]))
    whole = report["whole_process"]
    ratio = whole["framework"]["seconds"] / whole["sklearn"]["seconds"]
    targets.append(("main job, whole process: <= 0.5x scikit-learn's", ratio <= 0.5, ratio))
    targets.append(("main job, whole process: at least as accurate",
                    whole["framework"]["accuracy"] >= whole["sklearn"]["accuracy"],
                    whole["framework"]["accuracy"] - whole["sklearn"]["accuracy"]))
    return [{"target": t, "met": bool(met), "value": value} for t, met, value in targets]


def fmt(value, spec):
    return "-" if value is None else format(value, spec)


def markdown(report):
    lines = [f"Benchmark {report['date']} ({'quick' if report['quick'] else 'full'}, median of "
             f"{report['repeats']} repeats), {report['machine']}", "",
             "| workload | dtype | epochs | framework s/epoch | sklearn s/epoch | torch s/epoch | sklearn / ours | "
             "torch / ours | ours / matmul floor | ours / bare NumPy loop | accuracy ours / sklearn / torch | "
             "peak MB ours / sklearn / torch (data) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in report["rows"]:
        lines.append(
            f"| {r['workload']} | {r['dtype']} | {r['epochs']} | {fmt(r['framework_s'], '.4f')} | "
            f"{fmt(r['sklearn_s'], '.4f')} | "
            f"{fmt(r['torch_s'], '.4f')} | {fmt(r['sklearn_ratio'], '.2f')}x | {fmt(r['torch_ratio'], '.2f')}x | "
            f"{fmt(r['floor_ratio'], '.2f')}x | {fmt(r['numpy_ratio'], '.2f')}x | "
            f"{fmt(r['framework_acc'], '.4f')} / {fmt(r['sklearn_acc'], '.4f')} / "
            f"{fmt(r['torch_acc'], '.4f')} | {fmt(r['framework_peak_mb'], '.0f')} / "
            f"{fmt(r['sklearn_peak_mb'], '.0f')} / "
            f"{fmt(r['torch_peak_mb'], '.0f')} ({r['data_mb']:.0f}) |")
    w = report["whole_process"]
    lines += ["", f"Whole process of the main job (digits, 64-100-10, Adam, 50 epochs of batch 32): framework "
              f"{w['framework']['seconds']:.2f} s (accuracy {w['framework']['accuracy']:.4f}), scikit-learn script "
              f"{w['sklearn']['seconds']:.2f} s (accuracy {w['sklearn']['accuracy']:.4f}): "
              f"{w['framework']['seconds'] / w['sklearn']['seconds']:.2f}x.", "",
              "| target | met | value |", "|---|---|---|"]
    for t in report["targets"]:
        lines.append(f"| {t['target']} | {'yes' if t['met'] else 'NO'} | {t['value']:.3f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
