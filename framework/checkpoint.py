"""Save and load models and training checkpoints: one .npz of arrays plus one JSON entry, no pickle.

File layout (version 2): `__framework__` holds JSON (format, version, architecture, optimizer
hyperparameters, the history's best and stopped epochs, training state, user metadata); `param/W1`,
`buffer/running_mean1`, `optimizer/m/W1`, `history/loss`, `best/params/W1` (the best epoch's weights
when early stopping kept them), ... hold the arrays. Files are written to a temporary name and renamed, so an interrupted save never
leaves a broken file, and read with allow_pickle=False, checking every key and shape.
"""
import inspect
import json
import os
import zipfile

import numpy as np

from .fileio import atomic_path
from .history import EPOCH_KEYS, History
from .checks import check_allocation, check_dtype
from .layers import (Affine, BatchNormalization, Convolution, Dropout, Flatten, Identity, MeanSquaredError,
                     PoissonDeviance, Pooling, ReLU, Sigmoid, SigmoidCrossEntropy, SoftmaxCrossEntropy, Tanh)
from .losses import SoftmaxWithLoss
from .network import MLP, DeepConvNet, Sequential, SimpleConvNet
from .optimizers import OPTIMIZERS

FORMAT, VERSION = "framework-checkpoint", 2
READABLE_VERSIONS = (1, 2)  # version 1 kept the history as JSON lists
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

    @property
    def best_weights(self):
        """The best epoch's weights ({"params": ..., "buffers": ...}) when early stopping kept them, else None."""
        best = (self.training_state or {}).get("best")
        return None if best is None else best["weights"]

    def __repr__(self):
        return f"Checkpoint(epoch={self.epoch}, model={type(self.model).__name__}, optimizer={self.optimizer!r})"


# -- describing the architecture ------------------------------------------------------------------
#: The layers a checkpoint can hold, by class name: each saves itself with `config()` and is built
#: again with `from_config()`. A new layer goes here too.
LAYERS = {cls.__name__: cls for cls in (Affine, ReLU, Sigmoid, Tanh, Identity, Dropout, BatchNormalization,
                                        Convolution, Pooling, Flatten)}


def _describe_layer(layer):
    kind = type(layer).__name__
    if LAYERS.get(kind) is not type(layer):
        raise TypeError(f"cannot save a {kind} layer: a checkpoint holds {', '.join(LAYERS)} "
                        "(framework.checkpoint.LAYERS)")
    return {"type": kind, **layer.config()}


def _build_layer(spec, dtype):
    if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
        raise ValueError(f"each layer must be a dict with a 'type', got {spec!r}")
    kind = spec["type"]
    if kind not in LAYERS:
        raise ValueError(f"unknown layer type {kind!r}; known: {', '.join(LAYERS)}")
    config = {k: v for k, v in spec.items() if k != "type"}
    if kind in LAYER_SIZES:
        _check_layer_sizes(kind, config, dtype)
    return LAYERS[kind].from_config(config, dtype)


#: The sizes a layer's config gives its arrays, checked before any array is made: (key, entries, other keys).
LAYER_SIZES = {"Affine": ("shape", 2, ()), "Convolution": ("shape", 4, ("stride", "pad")),
               "BatchNormalization": ("size", None, ("momentum", "eps"))}


def _check_layer_sizes(kind, config, dtype):
    """Integer sizes >= 1 (a list of `entries`, or one number), no unknown key, and memory for the layer's arrays."""
    key, entries, others = LAYER_SIZES[kind]
    value = config.get(key)
    sizes = value if entries else [value]
    if set(config) - {key, *others} or not isinstance(sizes, list) or len(sizes) != (entries or 1) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in sizes):
        form = f"[{', '.join(['n'] * entries)}]" if entries else "n"
        raise ValueError(f"{kind} needs {{{key!r}: {form}}} with sizes >= 1 (other keys: {', '.join(others) or 'none'}), "
                         f"got {config!r}")
    check_allocation(6 * int(np.prod(sizes)), dtype, f"{kind} {value} (its arrays)")


#: Networks saved by their constructor's arguments (`config`); any other Sequential is saved layer by layer.
MODELS = {"MLP": MLP, "SimpleConvNet": SimpleConvNet, "DeepConvNet": DeepConvNet}
#: The loss layers a Sequential checkpoint can end with, by class name (none has settings of its own).
LOSSES = {cls.__name__: cls for cls in (SoftmaxCrossEntropy, SoftmaxWithLoss, MeanSquaredError, SigmoidCrossEntropy,
                                        PoissonDeviance)}


def model_classes():
    """MODELS and framework.book's networks ("book.MultiLayerNetExtend", ...), which are saved by their
    constructor's arguments too (imported here, when a checkpoint is written or read)."""
    from . import book
    return {**MODELS, **{f"book.{cls.__name__}": cls for cls in book.NETWORKS}}


def describe_model(model):
    """The architecture as JSON-ready data: a config network's arguments, or a Sequential's list of layers
    and its loss. A TypeError says why a model cannot be saved."""
    classes = model_classes()
    name = next((key for key, cls in classes.items() if cls is type(model)), None)
    if name is not None:
        return {"class": name, "config": model.config}
    loss = type(getattr(model, "loss_layer", None))
    if not isinstance(model, Sequential) or LOSSES.get(loss.__name__) is not loss:
        raise TypeError(f"cannot save a {type(model).__name__}: a checkpoint holds {', '.join(classes)} and "
                        f"Sequential networks of framework.checkpoint.LAYERS ending in one of {', '.join(LOSSES)}")
    description = {"class": "Sequential", "layers": [_describe_layer(layer) for layer in model.layers],
                   "loss": loss.__name__, "weight_decay": model.weight_decay,
                   "weight_decay_per_sample": model.weight_decay_per_sample, "dtype": np.dtype(model.dtype).name}
    if model.input_shape is not None:
        description["input_shape"] = [int(n) for n in model.input_shape]
    return description


def build_model(description, path="the checkpoint"):
    """A new model with the described architecture (weights still to be filled in).

    Every entry is checked before anything is allocated (an absurd size is refused with the
    memory it would need); an error names `path`.
    """
    classes = model_classes()
    try:
        kind = description.get("class")
        if kind in classes:
            config = description.get("config")
            if not isinstance(config, dict):
                raise ValueError(f"'config' must be a dict of {kind} settings, got {type(config).__name__}")
            allowed = set(inspect.signature(classes[kind]).parameters)
            if set(config) - allowed:
                raise ValueError(f"unknown {kind} setting(s) {sorted(set(config) - allowed)}; "
                                 f"{kind} takes {', '.join(sorted(allowed))}")
            return classes[kind](**config)
        if kind == "Sequential":
            unknown = set(description) - {"class", "layers", "loss", "weight_decay", "weight_decay_per_sample", "dtype",
                                          "input_shape"}
            if unknown:
                raise ValueError(f"unknown Sequential entries {sorted(unknown)}")
            layers = description.get("layers")
            if not isinstance(layers, list) or not layers:
                raise ValueError(f"'layers' must be a non-empty list, got {layers!r}")
            dtype = check_dtype(description.get("dtype"))
            loss = description.get("loss", "SoftmaxCrossEntropy")  # files before the loss was saved: softmax
            if not isinstance(loss, str) or loss not in LOSSES:
                raise ValueError(f"unknown loss {loss!r}; known: {', '.join(LOSSES)}")
            model = Sequential([_build_layer(spec, dtype) for spec in layers], loss=LOSSES[loss](),
                               weight_decay=description.get("weight_decay", 0.0),
                               weight_decay_per_sample=description.get("weight_decay_per_sample", False))
            shape = description.get("input_shape")
            if shape is not None:
                if not isinstance(shape, list) or not all(isinstance(n, int) and n >= 1 for n in shape):
                    raise ValueError(f"'input_shape' must be a list of sizes, got {shape!r}")
                model.input_shape = tuple(shape)
            return model
        raise ValueError(f"unknown model class {kind!r}; known: {', '.join(classes)}, Sequential")
    except (TypeError, ValueError, KeyError) as exc:
        raise CheckpointError(f"{path}: the saved architecture is not valid: {exc}") from None


def _architecture(description):
    """What must match to load a checkpoint into a model: everything but the seed (files written
    before weight_decay_per_sample existed have it False)."""
    if description.get("class") in model_classes():
        defaults = {"weight_decay_per_sample": False, "batchnorm_eps": 1e-5, "loss": "cross_entropy"} \
            if description["class"] == "MLP" else {}
        config = {**defaults, **description["config"]}
        config.pop("seed", None)
        return {**description, "config": config}
    return {"weight_decay_per_sample": False, "loss": "SoftmaxCrossEntropy", **description}


def _generators(model):
    """The random generators of a model's Dropout layers, in layer order."""
    return [layer.rng for layer in model.layers if isinstance(layer, Dropout)]


# -- saving -----------------------------------------------------------------------------------------
def save(model, path, optimizer=None, history=None, training_state=None, metadata=None):
    """Write `model` (and, for resuming, `optimizer`, `history`, `training_state`) to `path` (.npz).

    training_state: what `fit` keeps for a resume (the generators' states; with EarlyStopping, the
    best epoch's weights under "best"). metadata: a JSON-ready dict kept with the file (the CLI
    stores the dataset and split). Histories are stored as numeric arrays, so a save costs
    O(parameters + epochs), however long the run.
    """
    meta = {
        "format": FORMAT, "version": VERSION,
        "model": describe_model(model),
        "model_rng": [rng.bit_generator.state for rng in _generators(model)],
        "optimizer": None, "history": None, "training_state": None, "metadata": metadata or {},
    }
    arrays = {f"param/{key}": value for key, value in model.params.items()}
    arrays.update({f"buffer/{key}": value for key, value in model.buffers.items()})
    if optimizer is not None:
        meta["optimizer"] = {"class": optimizer_name(optimizer), "hyper": optimizer.hyperparameters(),
                             "t": optimizer.t}
        for name in optimizer.state_names:
            for key, value in getattr(optimizer, name).items():
                arrays[f"optimizer/{name}/{key}"] = value
    if history is not None:
        meta["history"] = {"best_epoch": history.best_epoch, "stopped_epoch": history.stopped_epoch}
        arrays.update({f"history/{key}": value for key, value in history.to_arrays().items()})
    if training_state is not None:
        state = {key: value for key, value in training_state.items() if key != "best"}
        best = training_state.get("best")
        if best is not None:
            state["best_epoch"] = best["epoch"]
            for part in ("params", "buffers"):
                arrays.update({f"best/{part}/{key}": value for key, value in best["weights"][part].items()})
        meta["training_state"] = state
    arrays[META_KEY] = np.array(json.dumps(meta))
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
    return path


# -- loading ----------------------------------------------------------------------------------------
#: The JSON entry's keys and the types each may hold (None: the entry may be null).
SCHEMA = {"format": (str,), "version": (int,), "model": (dict,), "model_rng": (list,), "optimizer": (dict, None),
          "history": (dict, None), "training_state": (dict, None), "metadata": (dict,)}


def _check_declared_size(data, key, path):
    """Refuse an entry whose header declares more data than the file holds, before numpy allocates it
    (a damaged or hand-edited header can declare terabytes)."""
    info = data.zip.getinfo(key + ".npy")
    with data.zip.open(info) as member:
        version = np.lib.format.read_magic(member)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read_header(member)  # (numpy >= 1.24 also limits the header to 10,000 bytes)
        declared = member.tell() + int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
    if dtype.hasobject or declared != info.file_size:
        held = "Python objects (refusing to unpickle)" if dtype.hasobject else f"{info.file_size:,} bytes"
        raise CheckpointError(f"{path}: entry {key!r} declares an array of shape {shape} and dtype {dtype} "
                              f"({declared:,} bytes) but holds {held}; the file is damaged or was edited")


def _read(path):
    """The JSON entry (checked against SCHEMA) and the arrays of a checkpoint, never unpickling anything."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"path must be a file name (str or pathlib.Path), got {type(path).__name__}; "
                        "pass the file's name, not an open file")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise CheckpointError(f"{path} holds a single array (.npy), not a framework checkpoint (.npz) "
                                  "(for `predict`, the model file comes first, then the input)")
        with data:
            if META_KEY not in data.files:
                raise CheckpointError(f"{path} is not a framework checkpoint (no {META_KEY} entry)")
            arrays = {}
            for key in data.files:
                _check_declared_size(data, key, path)
                try:
                    arrays[key] = data[key]
                except ValueError as exc:  # an object array would need pickle
                    raise CheckpointError(f"{path}: entry {key!r} cannot be read without pickle ({exc}); "
                                          "refusing to unpickle") from None
    except (CheckpointError, FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        # np.load on a plain .npy holding an object array lands here too ("allow_pickle=False"); a
        # text file too, with numpy's advice to unpickle it, which is never ours to give.
        reason = "" if "pickle" in str(exc) else f": {exc}"
        raise CheckpointError(f"{path} is not a readable framework checkpoint "
                              f"(truncated or not an .npz; nothing is ever unpickled){reason}") from None
    try:
        meta = json.loads(str(arrays.pop(META_KEY)))
    except (json.JSONDecodeError, TypeError) as exc:
        raise CheckpointError(f"{path}: the {META_KEY} entry is not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else meta
        raise CheckpointError(f"{path} is not a framework checkpoint (format {found!r})")
    if meta.get("version") not in READABLE_VERSIONS:
        raise CheckpointError(f"{path} has checkpoint version {meta.get('version')!r}; "
                              f"this framework reads versions {', '.join(map(str, READABLE_VERSIONS))}")
    for key, value in meta.items():
        if key not in SCHEMA:
            raise CheckpointError(f"{path}: unknown entry {key!r} in {META_KEY}; expected {', '.join(SCHEMA)}")
        if not any(value is None if kind is None else isinstance(value, kind) for kind in SCHEMA[key]):
            raise CheckpointError(f"{path}: {META_KEY}[{key!r}] must be "
                                  f"{' or '.join('null' if k is None else k.__name__ for k in SCHEMA[key])}, "
                                  f"got {type(value).__name__}")
    for key in ("model",):
        if key not in meta:
            raise CheckpointError(f"{path}: {META_KEY} has no {key!r} entry (the architecture)")
    return meta, arrays


def _fill(target, arrays, prefix, path, what):
    """Copy arrays[prefix + key] into each target[key], checking keys, shapes, dtypes and values."""
    for key, value in _checked(target, arrays, prefix, path, what).items():
        target[key][...] = value


def _checked(like, arrays, prefix, path, what, non_negative=False):
    """{key: arrays[prefix + key]} for every key of `like`, each checked against like[key]."""
    expected = {prefix + key for key in like}
    present = {key for key in arrays if key.startswith(prefix)}
    if expected - present:
        raise CheckpointError(f"{path}: missing {what} {sorted(k[len(prefix):] for k in expected - present)}")
    if present - expected:
        raise CheckpointError(f"{path}: unexpected {what} {sorted(k[len(prefix):] for k in present - expected)} "
                              f"for this architecture (expected {sorted(like)})")
    out = {}
    for key, slot in like.items():
        value = arrays[prefix + key]
        if value.shape != slot.shape:
            raise CheckpointError(f"{path}: {what} {key!r} has shape {value.shape}, "
                                  f"the architecture needs {slot.shape}")
        if value.dtype != slot.dtype:
            raise CheckpointError(f"{path}: {what} {key!r} has dtype {value.dtype}, the model uses {slot.dtype}")
        if not np.isfinite(value).all():
            raise CheckpointError(f"{path}: {what} {key!r} holds NaN or infinite values")
        if non_negative and (value < 0).any():
            raise CheckpointError(f"{path}: {what} {key!r} holds negative values (a running mean of squares "
                                  "is never negative)")
        out[key] = value
    return out


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
    try:
        for rng, state in zip(_generators(model), meta.get("model_rng") or []):
            rng.bit_generator.state = state
    except (TypeError, ValueError, KeyError) as exc:
        raise CheckpointError(f"{path}: model_rng is not a saved random generator state ({exc})") from None
    if optimizer is not None:
        _restore_optimizer(optimizer, meta, arrays, path, model)
    history = _history(meta, arrays, path)
    training_state = _training_state(meta, arrays, path, model, 0 if history is None else history.epochs)
    return Checkpoint(model, optimizer, history, training_state, meta.get("metadata", {}))


def _history(meta, arrays, path):
    saved = meta.get("history")
    try:
        if isinstance(saved, dict) and "loss" in saved:  # version 1: the lists inside the JSON
            return History.from_dict(saved)
        if saved is None:
            return None
        if set(saved) - {"best_epoch", "stopped_epoch"}:
            raise ValueError(f"unknown entries {sorted(set(saved) - {'best_epoch', 'stopped_epoch'})}")
        parts = {key[len("history/"):]: value for key, value in arrays.items() if key.startswith("history/")}
        missing = [key for key in EPOCH_KEYS + ("batch_loss",) if key not in parts]
        if missing:
            raise ValueError(f"missing arrays {missing}")
        if any(value.ndim != 1 or value.dtype.kind != "f" for value in parts.values()):
            raise ValueError("its arrays must be 1-D float arrays")
        return History.from_arrays(parts, saved.get("best_epoch"), saved.get("stopped_epoch"))
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: the history is damaged ({exc})") from None


def _training_state(meta, arrays, path, model, epochs):
    state = meta.get("training_state")
    if state is None:
        return None
    state = dict(state)
    for key in ("rng_start", "rng"):
        if state.get(key) is None and (key == "rng_start" or epochs):
            raise CheckpointError(f"{path}: training_state has no {key!r} (the shuffling generator's state "
                                  f"{'at the start' if key == 'rng_start' else 'after the last epoch'}); "
                                  "the run cannot be resumed as it was")
        if state[key] is not None:
            try:
                np.random.default_rng().bit_generator.state = state[key]
            except (TypeError, ValueError, KeyError) as exc:
                raise CheckpointError(f"{path}: training_state[{key!r}] is not a saved generator state "
                                      f"({exc})") from None
    best_epoch = state.pop("best_epoch", None)
    if best_epoch is not None:
        if isinstance(best_epoch, bool) or not isinstance(best_epoch, int) or best_epoch < 1:
            raise CheckpointError(f"{path}: training_state best_epoch must be an epoch number, got {best_epoch!r}")
        if best_epoch > epochs:
            raise CheckpointError(f"{path}: training_state best_epoch {best_epoch} is beyond the history's "
                                  f"{epochs} epoch(s)")
        weights = {part: _checked(getattr(model, part), arrays, f"best/{part}/", path, f"best {part[:-1]}")
                   for part in ("params", "buffers")}
        state["best"] = {"epoch": best_epoch, "weights": {part: {k: v.copy() for k, v in values.items()}
                                                          for part, values in weights.items()}}
    return state


def _restore_optimizer(optimizer, meta, arrays, path, model):
    saved = meta.get("optimizer")
    if saved is None:
        raise CheckpointError(f"{path} holds no optimizer state to resume from")
    if saved.get("class") != optimizer_name(optimizer):
        raise CheckpointError(f"{path} was trained with {saved.get('class')}, not {optimizer_name(optimizer)}")
    checked = _optimizer_from(saved, path)  # validates the hyperparameters as the constructor does
    t = saved.get("t")
    if isinstance(t, bool) or not isinstance(t, int) or t < 0:
        raise CheckpointError(f"{path}: the optimizer's step count t must be an integer >= 0, got {t!r}")
    for name, value in checked.hyperparameters().items():
        setattr(optimizer, name, value)
    saved_names = sorted({key.split("/")[1] for key in arrays if key.startswith("optimizer/")})
    foreign = [name for name in saved_names if name not in optimizer.state_names]
    if foreign:
        raise CheckpointError(f"{path}: holds optimizer state {', '.join(foreign)}, which {type(optimizer).__name__} "
                              f"does not keep (it keeps {', '.join(optimizer.state_names) or 'none'})")
    if t == 0 and saved_names:
        raise CheckpointError(f"{path}: the optimizer's step count t is 0 but it holds state "
                              f"{', '.join(saved_names)}: one of the two was edited")
    optimizer.t = t
    for name in optimizer.state_names:
        prefix = f"optimizer/{name}/"
        if t == 0 and not any(key.startswith(prefix) for key in arrays):
            setattr(optimizer, name, {})  # never stepped: no state yet
            continue
        state = _checked(model.params, arrays, prefix, path, f"optimizer state {name}",
                         non_negative=name in optimizer.squared_state_names)
        setattr(optimizer, name, {key: value.copy() for key, value in state.items()})


def optimizer_classes():
    """Our optimizers by class name, and framework.book's (the book's defaults and rules) as "book.Adam", ..."""
    from . import book
    return {**{cls.__name__: cls for cls in OPTIMIZERS.values()},
            **{f"book.{cls.__name__}": cls for cls in book.OPTIMIZERS.values()}}


def optimizer_name(optimizer):
    """The name a checkpoint gives the optimizer's class (a TypeError for one it cannot rebuild)."""
    name = next((key for key, cls in optimizer_classes().items() if cls is type(optimizer)), None)
    if name is None:
        raise TypeError(f"cannot save the state of a {type(optimizer).__name__}: a checkpoint holds "
                        f"{', '.join(optimizer_classes())}")
    return name


def _optimizer_from(saved, path):
    """A new optimizer of the saved class and hyperparameters (checked by its constructor)."""
    by_class = optimizer_classes()
    name = saved.get("class")
    if name not in by_class:
        raise CheckpointError(f"{path}: unknown optimizer {name!r}; known: {', '.join(by_class)}")
    hyper = saved.get("hyper")
    if not isinstance(hyper, dict):
        raise CheckpointError(f"{path}: the optimizer's hyperparameters must be a dict, got {type(hyper).__name__}")
    try:
        return by_class[name](**hyper)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: the saved {name} settings {hyper} are not valid ({exc})") from None


def load_checkpoint(path):
    """Rebuild everything in `path`: a Checkpoint with model, optimizer, history, training state, metadata.

    The model holds the weights of the last saved epoch (what a resume continues from); with
    early stopping, `checkpoint.best_weights` holds the best epoch's (see `load`).
    """
    meta, _ = _read(path)
    model = build_model(meta["model"], path)
    optimizer = None if meta.get("optimizer") is None else _optimizer_from(meta["optimizer"], path)
    return restore(model, path, optimizer)


def load(path):
    """The model saved in `path`, ready to predict: with the best epoch's weights when early stopping
    kept them in the file (use load_checkpoint for the last epoch's weights, optimizer and history)."""
    checkpoint = load_checkpoint(path)
    if checkpoint.best_weights is not None:
        checkpoint.model.set_weights(checkpoint.best_weights)
    return checkpoint.model
