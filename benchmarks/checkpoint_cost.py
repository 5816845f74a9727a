"""What one checkpoint save costs as a run grows: seconds and file size at 10, 1,000 and 10,000 epochs.

    python benchmarks/checkpoint_cost.py

The main job's network (64-100-10, Adam, digits with batch 32: 41 batches an epoch) with a history
of the given length; each save is timed several times and the median reported. A save writes the
parameters, the optimizer state and the history as numeric arrays, so it grows with parameters +
batches, never with the history written out as text.
"""
import os
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from framework.history import History  # noqa: E402
from framework.checkpoint import load_checkpoint, save  # noqa: E402
from framework.network import MLP  # noqa: E402
from framework.optimizers import Adam  # noqa: E402

BATCHES_PER_EPOCH = 41


def history_of(epochs, rng):
    history = History()
    for _ in range(epochs):
        history.append(loss=rng.random(), accuracy=rng.random(), val_loss=rng.random(), val_accuracy=rng.random(),
                       lr=3e-3, epoch_time=0.005)
        history.batch_loss.extend(rng.random(BATCHES_PER_EPOCH).tolist())
    return history


def main():
    rng = np.random.default_rng(0)
    model, optimizer = MLP(64, [100], 10, seed=0), Adam(lr=3e-3)
    x, t = rng.random((32, 64)), rng.integers(0, 10, 32)
    model.loss(x, t)
    model.backward()
    optimizer.update(model.params, model.grads)
    state = {"rng_start": rng.bit_generator.state, "rng": rng.bit_generator.state}
    print("| epochs | save (ms, median of 7) | load (ms) | file size (kB) |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "run.npz")
        for epochs in (10, 1000, 10000):
            history = history_of(epochs, rng)
            times = []
            for _ in range(7):
                started = time.perf_counter()
                save(model, path, optimizer=optimizer, history=history, training_state=state)
                times.append(time.perf_counter() - started)
            started = time.perf_counter()
            assert load_checkpoint(path).history.epochs == epochs
            load_ms = (time.perf_counter() - started) * 1000
            print(f"| {epochs:,} | {statistics.median(times) * 1000:.1f} | {load_ms:.1f} | "
                  f"{os.path.getsize(path) / 1024:,.0f} |")


if __name__ == "__main__":
    main()
