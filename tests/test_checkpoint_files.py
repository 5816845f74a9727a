"""A crafted or damaged checkpoint is refused with a message naming the bad entry, before anything
is allocated; nothing is unpickled, nothing is silently zero-filled."""
import json

import numpy as np
import pytest

from framework import checkpoint as checkpoints
from framework.callbacks import EarlyStopping, ModelCheckpoint
from framework.checkpoint import CheckpointError, load, load_checkpoint
from framework.network import MLP, Sequential
from framework.optimizers import Adam, Momentum
from framework.training import fit


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A real checkpoint of a short run with early stopping: meta (JSON) and arrays."""
    path = tmp_path_factory.mktemp("ckpt") / "run.npz"
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(60, 5)), rng.integers(0, 3, 60)
    fit(MLP(5, [4], 3, seed=0), Adam(lr=0.01), x, t, epochs=3, batch_size=20, validation_fraction=0.2, seed=0,
        callbacks=[EarlyStopping(patience=5), ModelCheckpoint(path)], progress=0)
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    return json.loads(str(arrays.pop(checkpoints.META_KEY))), arrays


def write(tmp_path, meta, arrays, name="crafted.npz"):
    path = tmp_path / name
    np.savez(path, **arrays, **{checkpoints.META_KEY: np.array(json.dumps(meta))})
    return path


def edited(trained, change_meta=None, change_arrays=None):
    meta, arrays = json.loads(json.dumps(trained[0])), dict(trained[1])
    if change_meta:
        change_meta(meta)
    if change_arrays:
        change_arrays(arrays)
    return meta, arrays


def set_in(path, value):
    def change(meta):
        target = meta
        for key in path[:-1]:
            target = target[key]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return change


def replace_array(key, value):
    def change(arrays):
        if value is KeyError:
            del arrays[key]
        else:
            arrays[key] = value
    return change


META_CASES = [
    ("no architecture", set_in(["model"], KeyError), ["has no 'model' entry"]),
    ("architecture of the wrong type", set_in(["model"], [1, 2]), ["['model'] must be dict", "got list"]),
    ("unknown top-level entry", set_in(["extra"], 1), ["unknown entry 'extra'"]),
    ("unknown model class", set_in(["model", "class"], "ResNet"), ["unknown model class 'ResNet'"]),
    ("unknown MLP setting", set_in(["model", "config", "colour"], "red"), ["unknown MLP setting(s) ['colour']"]),
    ("hidden size a string", set_in(["model", "config", "hidden_sizes"], ["4"]), ["hidden_sizes entries must be an integer", "'4'"]),
    ("absurd hidden size", set_in(["model", "config", "hidden_sizes"], [10 ** 6, 10 ** 6]), ["needs", "GiB", "more than this machine"]),
    ("negative seed", set_in(["model", "config", "seed"], -3), ["seed must be an integer >= 0", "-3"]),
    ("unknown optimizer", set_in(["optimizer", "class"], "Lion"), ["unknown optimizer 'Lion'"]),
    ("bad optimizer setting", set_in(["optimizer", "hyper", "lr"], -1), ["settings", "lr must be >= 0", "-1"]),
    ("unknown optimizer setting", set_in(["optimizer", "hyper", "gamma"], 2), ["settings", "gamma"]),
    ("step count a float", set_in(["optimizer", "t"], 3.5), ["step count t must be an integer >= 0", "3.5"]),
    ("step count negative", set_in(["optimizer", "t"], -1), ["step count t must be an integer >= 0", "-1"]),
    ("history epochs out of range", set_in(["history", "best_epoch"], 99), ["history is damaged", "best_epoch", "99"]),
    ("generator state garbage", set_in(["training_state", "rng"], {"state": 1}), ["training_state['rng'] is not a saved generator state"]),
    ("best epoch a string", set_in(["training_state", "best_epoch"], "2"), ["best_epoch must be an epoch number", "'2'"]),
    ("version from the future", set_in(["version"], 9), ["checkpoint version 9", "reads versions 1, 2"]),
    ("history a list", set_in(["history"], []), ["['history'] must be dict or null, got list"]),
    ("no generator state after the last epoch", set_in(["training_state", "rng"], KeyError),
     ["training_state has no 'rng'", "cannot be resumed"]),
    ("no generator state at the start", set_in(["training_state", "rng_start"], KeyError),
     ["training_state has no 'rng_start'"]),
    ("best epoch beyond the history", set_in(["training_state", "best_epoch"], 99),
     ["training_state best_epoch 99 is beyond the history's 3 epoch(s)"]),
    ("step count 0 with state", set_in(["optimizer", "t"], 0), ["step count t is 0 but it holds state m, v"]),
    ("another optimizer's state", set_in(["optimizer"], {"class": "Momentum", "t": 9,
                                                         "hyper": {"lr": 0.01, "momentum": 0.9, "clip_norm": None}}),
     ["holds optimizer state m, which Momentum does not keep (it keeps v)"]),
]

ARRAY_CASES = [
    ("NaN moment", lambda a: replace_array("optimizer/m/W1", np.full_like(a["optimizer/m/W1"], np.nan)),
     ["optimizer state m 'W1' holds NaN"]),
    ("float32 state for a float64 model", lambda a: replace_array("optimizer/v/b1", a["optimizer/v/b1"].astype(np.float32)),
     ["optimizer state v 'b1' has dtype float32, the model uses float64"]),
    ("a missing state entry", lambda a: replace_array("optimizer/m/W2", KeyError), ["missing optimizer state m ['W2']"]),
    ("a negative second moment", lambda a: replace_array("optimizer/v/W1", -np.ones_like(a["optimizer/v/W1"])),
     ["optimizer state v 'W1' holds negative values"]),
    ("state of the wrong shape", lambda a: replace_array("optimizer/m/b2", np.zeros(7)), ["optimizer state m 'b2' has shape (7,)"]),
    ("a missing history array", lambda a: replace_array("history/loss", KeyError), ["history is damaged", "missing arrays ['loss']"]),
    ("history arrays of two lengths", lambda a: replace_array("history/lr", np.zeros(7)), ["history is damaged", "one length"]),
    ("best weights missing", lambda a: replace_array("best/params/W1", KeyError), ["missing best param ['W1']"]),
    ("parameter with inf", lambda a: replace_array("param/b1", np.full_like(a["param/b1"], np.inf)), ["parameter 'b1' holds NaN or infinite"]),
]


@pytest.mark.parametrize("what, change, fragments", META_CASES, ids=[c[0] for c in META_CASES])
def test_a_crafted_json_entry_is_refused_by_name(tmp_path, trained, what, change, fragments):
    path = write(tmp_path, *edited(trained, change_meta=change))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    for fragment in fragments:
        assert fragment in str(info.value), f"{what}: {fragment!r} not in {info.value}"


@pytest.mark.parametrize("what, change, fragments", ARRAY_CASES, ids=[c[0] for c in ARRAY_CASES])
def test_a_damaged_array_is_refused_by_name(tmp_path, trained, what, change, fragments):
    path = write(tmp_path, *edited(trained, change_arrays=change(trained[1])))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    for fragment in fragments:
        assert fragment in str(info.value), f"{what}: {fragment!r} not in {info.value}"


def test_the_unedited_file_loads_with_its_best_weights(tmp_path, trained):
    checkpoint = load_checkpoint(write(tmp_path, *trained))
    assert checkpoint.epoch == 3 and checkpoint.optimizer.t > 0 and checkpoint.best_weights is not None


def test_a_text_file_where_a_model_belongs_gets_no_advice_to_unpickle(tmp_path):
    (tmp_path / "notes.npz").write_text("these are my notes\n")
    with pytest.raises(CheckpointError) as info:
        load(tmp_path / "notes.npz")
    assert "not a readable framework checkpoint" in str(info.value) and "pickle.load" not in str(info.value)


def test_an_npy_file_or_an_open_file_where_a_checkpoint_belongs(tmp_path, trained):
    np.save(tmp_path / "x.npy", np.zeros((2, 5)))
    with pytest.raises(CheckpointError, match=r"holds a single array \(.npy\), not a framework checkpoint"):
        load(tmp_path / "x.npy")
    path = write(tmp_path, *trained)
    with open(path, "rb") as f, pytest.raises(TypeError, match="path must be a file name.*not an open file"):
        load(f)


def test_version_1_files_with_the_history_as_json_still_load(tmp_path, trained):
    meta, arrays = edited(trained)
    history = {key[len("history/"):]: value.tolist() for key, value in arrays.items() if key.startswith("history/")}
    history["val_loss"] = [None if v != v else v for v in history["val_loss"]]
    history["val_accuracy"] = [None if v != v else v for v in history["val_accuracy"]]
    meta["history"] = {**history, **meta["history"]}
    meta["version"] = 1
    arrays = {k: v for k, v in arrays.items() if not k.startswith(("history/", "best/"))}
    meta["training_state"].pop("best_epoch")
    checkpoint = load_checkpoint(write(tmp_path, meta, arrays))
    assert checkpoint.history.loss == history["loss"] and checkpoint.epoch == 3


def test_everything_that_defines_the_loss_round_trips(tmp_path):
    model = MLP(4, [3], 2, seed=0)
    model.weight_decay = 0.5  # changed after construction
    checkpoints.save(model, tmp_path / "m.npz")
    assert load(tmp_path / "m.npz").weight_decay == 0.5
    per_sample = MLP(4, [3], 2, seed=0, weight_decay=0.1, weight_decay_per_sample=True)
    checkpoints.save(per_sample, tmp_path / "p.npz")
    assert load(tmp_path / "p.npz").weight_decay_per_sample is True
    sequential = Sequential(model.layers, weight_decay=0.25)
    checkpoints.save(sequential, tmp_path / "s.npz")
    x, t = np.ones((2, 4)), [0, 1]
    assert load(tmp_path / "s.npz").loss(x, t) == pytest.approx(sequential.loss(x, t), rel=1e-12)


def test_loading_into_another_optimizer_class_is_refused(tmp_path, trained):
    path = write(tmp_path, *trained)
    with pytest.raises(CheckpointError, match="trained with Adam, not Momentum"):
        checkpoints.restore(MLP(5, [4], 3, seed=0), path, Momentum())


def test_an_entry_whose_header_declares_terabytes_is_refused_before_anything_is_allocated(trained, tmp_path):
    import io as bytes_io
    import zipfile
    path = write(tmp_path, *trained)
    forged = tmp_path / "forged.npz"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(forged, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "param/W1.npy":
                header = bytes_io.BytesIO()
                np.lib.format.write_array_header_1_0(
                    header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
                data = header.getvalue() + data[len(header.getvalue()):]
            target.writestr(info.filename, data)
    with pytest.raises(CheckpointError, match=r"'param/W1' declares an array of shape \(1000000000000,\).*damaged"):
        load(forged)


LAYER_CASES = [
    ("Affine shape of three sizes", 0, {"type": "Affine", "shape": [5, 4, 3]}, ["Affine needs {'shape': [n, n]}"]),
    ("Affine size a string", 0, {"type": "Affine", "shape": [5, "4"]}, ["Affine needs", "[5, '4']"]),
    ("Affine size zero", 0, {"type": "Affine", "shape": [5, 0]}, ["Affine needs", "sizes >= 1"]),
    ("Affine with an unknown key", 0, {"type": "Affine", "shape": [5, 4], "bias": False}, ["Affine needs", "'bias'"]),
    ("absurd Affine", 0, {"type": "Affine", "shape": [10 ** 7, 10 ** 7]}, ["Affine [10000000, 10000000]", "GiB"]),
    ("BatchNormalization size a float", 1, {"type": "BatchNormalization", "size": 4.0}, ["BatchNormalization needs {'size': n}"]),
    ("Convolution of two sizes", 0, {"type": "Convolution", "shape": [4, 1]}, ["Convolution needs {'shape': [n, n, n, n]}"]),
]


@pytest.mark.parametrize("what, index, spec, fragments", LAYER_CASES, ids=[c[0] for c in LAYER_CASES])
def test_a_damaged_layer_of_a_sequential_is_refused_before_anything_is_allocated(tmp_path, what, index, spec, fragments):
    from framework.layers import Affine, BatchNormalization, ReLU
    model = Sequential([Affine(np.zeros((5, 4)), np.zeros(4)), BatchNormalization(np.ones(4), np.zeros(4)), ReLU(),
                        Affine(np.zeros((4, 3)), np.zeros(3))])
    checkpoints.save(model, tmp_path / "s.npz")
    with np.load(tmp_path / "s.npz", allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    meta = json.loads(str(arrays.pop(checkpoints.META_KEY)))
    meta["model"]["layers"][index] = spec
    with pytest.raises(CheckpointError) as info:
        load(write(tmp_path, meta, arrays))
    for fragment in fragments:
        assert fragment in str(info.value), f"{what}: {fragment!r} not in {info.value}"
