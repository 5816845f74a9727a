"""Save, load and resume: round trips, damaged files, atomic writes, bit-identical resumption."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from framework import checkpoint as checkpoints
from framework.callbacks import ModelCheckpoint
from framework.checkpoint import CheckpointError, load, load_checkpoint, save
from framework.layers import Affine, BatchNormalization, Dropout, Identity, ReLU, Sigmoid, Tanh
from framework.network import MLP, Sequential
from framework.optimizers import OPTIMIZERS, Adam
from framework.training import fit


def small_data(n=60, d=6, c=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    return x, (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_every_layer_kind(tmp_path, dtype):
    rng = np.random.default_rng(0)
    layers = [Affine(rng.normal(size=(6, 5)).astype(dtype), rng.normal(size=5).astype(dtype)),
              BatchNormalization(np.ones(5, dtype), np.zeros(5, dtype), momentum=0.8, eps=1e-4), ReLU(),
              Dropout(0.2, seed=1), Affine(rng.normal(size=(5, 4)).astype(dtype), np.zeros(4, dtype)), Sigmoid(),
              Affine(rng.normal(size=(4, 4)).astype(dtype), np.zeros(4, dtype)), Tanh(), Identity(),
              Affine(rng.normal(size=(4, 3)).astype(dtype), np.zeros(3, dtype))]
    model = Sequential(layers, weight_decay=0.01)
    x, t = small_data()
    fit(model, Adam(), x.astype(dtype), t, epochs=2, batch_size=20, progress=0)  # moves batchnorm statistics
    save(model, tmp_path / "m.npz")
    loaded = load(tmp_path / "m.npz")
    assert [type(a) for a in loaded.layers] == [type(b) for b in model.layers]
    assert loaded.weight_decay == 0.01 and loaded.layers[1].momentum == 0.8 and loaded.layers[3].ratio == 0.2
    for key in model.params:
        np.testing.assert_array_equal(loaded.params[key], model.params[key])
        assert loaded.params[key].dtype == dtype
    for key in model.buffers:
        np.testing.assert_array_equal(loaded.buffers[key], model.buffers[key])
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_mlp_round_trip_keeps_class_config_optimizer_and_history(tmp_path):
    x, t = small_data()
    model = MLP(6, [8], 3, dropout=0.1, batchnorm=True, seed=3)
    optimizer = Adam(lr=0.01)
    history = fit(model, optimizer, x, t, epochs=2, progress=0)
    save(model, tmp_path / "m.npz", optimizer=optimizer, history=history, metadata={"dataset": "toy"})
    checkpoint = load_checkpoint(tmp_path / "m.npz")
    assert isinstance(checkpoint.model, MLP) and checkpoint.model.config == model.config
    assert checkpoint.optimizer.lr == 0.01 and checkpoint.optimizer.t == optimizer.t
    np.testing.assert_array_equal(checkpoint.optimizer.m["W1"], optimizer.m["W1"])
    assert checkpoint.history == history and checkpoint.metadata == {"dataset": "toy"}
    assert checkpoint.epoch == 2


def corrupt(path, key, value):
    """Rewrite one entry of an .npz (bypassing our writer)."""
    with np.load(path, allow_pickle=True) as data:
        arrays = {k: data[k] for k in data.files}
    if value is None:
        del arrays[key]
    else:
        arrays[key] = value
    np.savez(path, **arrays)


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "m.npz"
    save(MLP(4, [3], 2, seed=0), path)
    return path


def test_truncated_file_is_a_clear_error(saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or not an .npz"):
        load(saved)


def test_wrong_shape_missing_key_and_pickled_object_are_clear_errors(saved):
    corrupt(saved, "param/W1", np.zeros((3, 3)))
    with pytest.raises(CheckpointError, match=r"parameter 'W1' has shape \(3, 3\), the architecture needs \(4, 3\)"):
        load(saved)
    corrupt(saved, "param/W1", None)
    with pytest.raises(CheckpointError, match=r"missing parameter \['W1'\]"):
        load(saved)
    corrupt(saved, "param/W1", np.array([{"evil": 1}, None], dtype=object))
    with pytest.raises(CheckpointError, match="refusing to unpickle"):
        load(saved)


def test_not_our_file_and_bad_json(tmp_path, saved):
    other = tmp_path / "other.npz"
    np.savez(other, weights=np.zeros(3))
    with pytest.raises(CheckpointError, match="not a framework checkpoint"):
        load(other)
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(CheckpointError, match="not a readable framework checkpoint"):
        load(tmp_path / "text.npz")
    corrupt(saved, checkpoints.META_KEY, np.array("{not json"))
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load(saved)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.npz")


def test_interrupted_save_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    model = MLP(4, [3], 2, seed=0)
    save(model, path)
    before = path.read_bytes()

    def failing_savez(f, **arrays):
        f.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoints.np, "savez", failing_savez)
    model.params["W1"] += 1
    with pytest.raises(OSError, match="disk full"):
        save(model, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.npz"]  # no temporary file left behind


def test_restore_refuses_another_architecture(tmp_path, saved):
    with pytest.raises(CheckpointError, match="different architecture"):
        checkpoints.restore(MLP(4, [5], 2, seed=0), saved)


RESUME_SCRIPT = r"""
import json, sys
import numpy as np
from framework.checkpoint import load_checkpoint
from framework.training import fit
sys.path.insert(0, sys.argv[3])
from test_checkpoint import small_data, RUN
checkpoint = load_checkpoint(sys.argv[1])
x, t = small_data()
history = fit(checkpoint.model, checkpoint.optimizer, x, t, resume_from=sys.argv[1], **RUN)
np.savez(sys.argv[2], **{k: v for k, v in checkpoint.model.params.items()},
         **{k: v for k, v in checkpoint.model.buffers.items()})
print(json.dumps(history.as_dict()))
"""

RUN = dict(epochs=10, batch_size=16, validation_fraction=0.2, progress=0)


def comparable(history_dict):
    return {k: v for k, v in history_dict.items() if k != "epoch_time"}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_resume_in_a_new_process_is_bit_identical(tmp_path, name):
    x, t = small_data()

    def new_run():
        return MLP(6, [8, 8], 3, dropout=0.2, batchnorm=True, seed=11), OPTIMIZERS[name](lr=0.01)

    model, optimizer = new_run()
    straight = fit(model, optimizer, x, t, seed=5, **RUN)

    partial_model, partial_optimizer = new_run()
    path = tmp_path / "run.npz"
    fit(partial_model, partial_optimizer, x, t, seed=5, callbacks=[ModelCheckpoint(path)], **{**RUN, "epochs": 4})
    result = subprocess.run([sys.executable, "-c", RESUME_SCRIPT, str(path), str(tmp_path / "w.npz"),
                             os.path.dirname(__file__)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    resumed = json.loads(result.stdout)
    assert comparable(resumed) == comparable(straight.as_dict())
    with np.load(tmp_path / "w.npz") as weights:
        for key, value in list(model.params.items()) + list(model.buffers.items()):
            np.testing.assert_array_equal(weights[key], value, err_msg=key)
