"""Save and load models and training checkpoints: one .npz of arrays plus one JSON entry, no pickle.

File layout: `__framework__` holds JSON (format, version, architecture, optimizer hyperparameters,
history, training state, user metadata); `param/W1`, `buffer/running_mean1`, `optimizer/m/W1`, ...
hold the arrays. Files are written to a temporary name and renamed, so an interrupted save never
leaves a broken file, and read with allow_pickle=False, checking every key and shape.
"""
import json
import zipfile

import numpy as np

from . import layers as L
from .fileio import atomic_path
from .history import History
from .network import MLP, Sequential
from .optimizers import OPTIMIZERS

FORMAT, VERSION = "framework-checkpoint", 1
META_KEY = "__framework__"


class CheckpointError(ValueError):
    """The file is not a framework checkpoint, is damaged, or does not fit the architecture."""


class Checkpoint:
    """What `load_checkpoint` returns: model, optimizer (or None), history (or None), training state, metadata."""

    def __init__(self, model, optimizer, history, training_state, metadata):
        self.model, self.optimizer, self.history = model, optimizer, history
        self.training_state, self.metadata = training_state, metadata

    @property
    def epoch(self):
        return 0 if self.history is None else self.history.epochs

    def __repr__(self):
        return f"Checkpoint(epoch={self.epoch}, model={type(self.model).__name__}, optimizer={self.optimizer!r})"


# -- describing the architecture ------------------------------------------------------------------
def _describe_layer(layer):
    kind = type(layer).__name__
    if L.LAYERS.get(kind) is not type(layer):
        raise TypeError(f"cannot save a {kind} layer: io knows {', '.join(L.LAYERS)} (framework.layers.LAYERS)")
    return {"type": kind, **layer.config()}


def _build_layer(spec, dtype):
    kind = spec.get("type")
    if kind not in L.LAYERS:
        raise CheckpointError(f"unknown layer type {kind!r} in the checkpoint")
    return L.LAYERS[kind].from_config({k: v for k, v in spec.items() if k != "type"}, dtype)


def describe_model(model):
    """The architecture as JSON-ready data: MLP's config, or a Sequential's list of layers."""
    if type(model) is MLP:
        return {"class": "MLP", "config": model.config}
    if type(model) is not Sequential or type(model.loss_layer) is not L.SoftmaxCrossEntropy:
        raise TypeError(f"cannot save a {type(model).__name__}: io saves MLP and Sequential with SoftmaxCrossEntropy")
    return {"class": "Sequential", "layers": [_describe_layer(layer) for layer in model.layers],
            "weight_decay": model.weight_decay, "weight_decay_per_sample": model.weight_decay_per_sample,
            "dtype": np.dtype(model.dtype).name}


def build_model(description):
    """A new model with the described architecture (weights still to be filled in)."""
    if description.get("class") == "MLP":
        return MLP(**description["config"])
    if description.get("class") == "Sequential":
        dtype = np.dtype(description["dtype"]).type
        return Sequential([_build_layer(spec, dtype) for spec in description["layers"]],
                          weight_decay=description["weight_decay"],
                          weight_decay_per_sample=description.get("weight_decay_per_sample", False))
    raise CheckpointError(f"unknown model class {description.get('class')!r} in the checkpoint")


def _architecture(description):
    """What must match to load a checkpoint into a model: everything but the seed (files written
    before weight_decay_per_sample existed have it False)."""
    if description.get("class") == "MLP":
        config = {"weight_decay_per_sample": False, **description["config"]}
        config.pop("seed", None)
        return {**description, "config": config}
    return {"weight_decay_per_sample": False, **description}


def _generators(model):
    """The random generators of a model's Dropout layers, in layer order."""
    return [layer.rng for layer in model.layers if isinstance(layer, L.Dropout)]


# -- saving -----------------------------------------------------------------------------------------
def save(model, path, optimizer=None, history=None, training_state=None, metadata=None):
    """Write `model` (and, for resuming, `optimizer`, `history`, `training_state`) to `path` (.npz).

    metadata: a JSON-serialisable dict kept with the file (the CLI stores the dataset and split).
    """
    meta = {
        "format": FORMAT, "version": VERSION,
        "model": describe_model(model),
        "model_rng": [rng.bit_generator.state for rng in _generators(model)],
        "optimizer": None, "history": None if history is None else history.as_dict(),
        "training_state": training_state, "metadata": metadata or {},
    }
    arrays = {f"param/{key}": value for key, value in model.params.items()}
    arrays.update({f"buffer/{key}": value for key, value in model.buffers.items()})
    if optimizer is not None:
        meta["optimizer"] = {"class": type(optimizer).__name__, "hyper": optimizer.hyperparameters(),
                             "t": optimizer.t}
        for name in optimizer.state_names:
            for key, value in getattr(optimizer, name).items():
                arrays[f"optimizer/{name}/{key}"] = value
    arrays[META_KEY] = np.array(json.dumps(meta))
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
    return path


# -- loading ----------------------------------------------------------------------------------------
def _read(path):
    """The JSON entry and the arrays of a checkpoint, never unpickling anything."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if META_KEY not in data.files:
                raise CheckpointError(f"{path} is not a framework checkpoint (no {META_KEY} entry)")
            arrays = {}
            for key in data.files:
                try:
                    arrays[key] = data[key]
                except ValueError as exc:  # an object array would need pickle
                    raise CheckpointError(f"{path}: entry {key!r} cannot be read without pickle ({exc}); "
                                          "refusing to unpickle") from None
    except CheckpointError:
        raise
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        raise CheckpointError(f"{path} is not a readable framework checkpoint "
                              f"(truncated or not an .npz): {exc}") from None
    try:
        meta = json.loads(str(arrays.pop(META_KEY)))
    except (json.JSONDecodeError, TypeError) as exc:
        raise CheckpointError(f"{path}: the {META_KEY} entry is not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else meta
        raise CheckpointError(f"{path} is not a framework checkpoint (format {found!r})")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{path} has checkpoint version {meta.get('version')!r}; "
                              f"this framework reads version {VERSION}")
    return meta, arrays


def _fill(target, arrays, prefix, path, what):
    """Copy arrays[prefix + key] into each target[key], checking keys, shapes and dtypes."""
    expected = {prefix + key for key in target}
    present = {key for key in arrays if key.startswith(prefix)}
    if expected - present:
        raise CheckpointError(f"{path}: missing {what} {sorted(k[len(prefix):] for k in expected - present)}")
    if present - expected:
        raise CheckpointError(f"{path}: unexpected {what} {sorted(k[len(prefix):] for k in present - expected)} "
                              f"for this architecture (expected {sorted(target)})")
    for key in target:
        value, slot = arrays[prefix + key], target[key]
        if value.shape != slot.shape:
            raise CheckpointError(f"{path}: {what} {key!r} has shape {value.shape}, "
                                  f"the architecture needs {slot.shape}")
        if value.dtype != slot.dtype:
            raise CheckpointError(f"{path}: {what} {key!r} has dtype {value.dtype}, the model uses {slot.dtype}")
        if not np.isfinite(value).all():
            raise CheckpointError(f"{path}: {what} {key!r} holds NaN or infinite values")
        slot[...] = value


def restore(model, path, optimizer=None):
    """Load the arrays (and optimizer state) of checkpoint `path` into an existing model.

    The model must have the saved architecture. Returns the Checkpoint (history, training state).
    """
    meta, arrays = _read(path)
    saved = meta["model"]
    try:
        mine = describe_model(model)
    except TypeError:
        mine = None
    if mine is not None and _architecture(mine) != _architecture(saved):
        raise CheckpointError(f"{path} holds a different architecture: {saved}; the model is {mine}")
    _fill(model.params, arrays, "param/", path, "parameter")
    _fill(model.buffers, arrays, "buffer/", path, "buffer")
    for rng, state in zip(_generators(model), meta.get("model_rng") or []):
        rng.bit_generator.state = state
    if optimizer is not None:
        _restore_optimizer(optimizer, meta, arrays, path)
    history = None if meta.get("history") is None else History.from_dict(meta["history"])
    return Checkpoint(model, optimizer, history, meta.get("training_state"), meta.get("metadata", {}))


def _restore_optimizer(optimizer, meta, arrays, path):
    saved = meta.get("optimizer")
    if saved is None:
        raise CheckpointError(f"{path} holds no optimizer state to resume from")
    if saved["class"] != type(optimizer).__name__:
        raise CheckpointError(f"{path} was trained with {saved['class']}, not {type(optimizer).__name__}")
    for name, value in saved["hyper"].items():
        setattr(optimizer, name, value)
    optimizer.t = saved["t"]
    for slot in optimizer.state_names:
        prefix = f"optimizer/{slot}/"
        state = {key[len(prefix):]: arrays[key].copy() for key in arrays if key.startswith(prefix)}
        for key, value in state.items():
            if f"param/{key}" not in arrays:
                raise CheckpointError(f"{path}: optimizer state for unknown parameter {key!r}")
            if value.shape != arrays[f"param/{key}"].shape:
                raise CheckpointError(f"{path}: optimizer {slot}[{key!r}] has shape {value.shape}, "
                                      f"the parameter {arrays[f'param/{key}'].shape}")
        optimizer.set_state(slot, state)


def load_checkpoint(path):
    """Rebuild everything in `path`: a Checkpoint with model, optimizer, history, training state, metadata."""
    meta, _ = _read(path)
    model = build_model(meta["model"])
    optimizer = None
    if meta.get("optimizer") is not None:
        name = meta["optimizer"]["class"]
        by_class = {cls.__name__: cls for cls in OPTIMIZERS.values()}
        if name not in by_class:
            raise CheckpointError(f"{path}: unknown optimizer {name!r}")
        optimizer = by_class[name](**meta["optimizer"]["hyper"])
    return restore(model, path, optimizer)


def load(path):
    """The model saved in `path`, ready to predict (use load_checkpoint for optimizer and history)."""
    return load_checkpoint(path).model
