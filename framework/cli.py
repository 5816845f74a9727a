"""The command line: `python -m framework {train, evaluate, predict, gradcheck, download} ...` (`--help` on each)."""
import argparse
import os
import sys
import warnings

import numpy as np

from . import callbacks, checkpoint as checkpoints, datasets, schedules
from .fileio import atomic_write_text
from .gradcheck import gradient_check
from .network import ACTIVATIONS, MLP, DeepConvNet, conv_net
from .optimizers import OPTIMIZERS
from .fileio import check_writable
from .plot import image_format, plot_history
from .terminal import terminal_curve
from .training import evaluate, fit
from .checks import check_number, check_threads

DATASETS = ("digits", "iris", "wine", "breast_cancer", "moons", "circles", "spiral", "mnist", "fashion", "digits28")
SCHEDULES = ("constant", "step", "exponential", "cosine", "plateau")
MODELS = ("mlp", "convnet", "deepconvnet")
CONV_MODELS = ("convnet", "deepconvnet")


def number(kind=float, low=None, high=None, low_open=False, high_open=False):
    """An argparse type: a number (an int if kind is int) inside the bounds, or a one-line error."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {'an integer' if kind is int else 'a number'}, "
                                             f"got {text!r}") from None
        try:
            check_number(value, "it", low, high, low_open, high_open, integer=kind is int)
        except (TypeError, ValueError) as exc:
            raise argparse.ArgumentTypeError(str(exc)[len("it "):]) from None
        return value
    parse.__name__ = "integer" if kind is int else "number"
    return parse


POSITIVE = number(int, low=1)


def threads_count(text):
    """An argparse type for --threads: checks.check_threads's rule, or a one-line error."""
    try:
        return check_threads(text, "--threads")
    except (TypeError, ValueError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None

FRACTION = number(float, low=0, high=1, high_open=True)
SEED = number(int, low=0)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad flag or value is one line on stderr (and exit code 2), not the usage text."""

    def error(self, message):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def build_parser():
    parser = OneLineParser(prog="python -m framework", description="Train and study small neural networks in NumPy.")
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    commands = parser.add_subparsers(dest="command", required=True)
    defaults = argparse.ArgumentDefaultsHelpFormatter

    train = commands.add_parser("train", help="train an MLP and report its test accuracy", formatter_class=defaults)
    train.add_argument("--dataset", default="digits", choices=DATASETS)
    train.add_argument("--model", default="mlp", choices=MODELS,
                       help="mlp: --hidden layers of --activation; convnet: two 3x3 convolutions of 32, 2x2 pooling, "
                            "Affine 100; deepconvnet: the book's DeepConvNet (ch. 8) (image datasets: digits, mnist, "
                            "fashion, digits28 = digits enlarged to 28x28, MNIST's stand-in made offline)")
    train.add_argument("--hidden", type=POSITIVE, nargs="+", default=[100], metavar="SIZE",
                       help="hidden layer sizes, e.g. --hidden 256 128")
    train.add_argument("--activation", default="relu", choices=tuple(ACTIVATIONS))
    train.add_argument("--optimizer", default="adam", choices=tuple(OPTIMIZERS))
    train.add_argument("--lr", type=number(low=0), default=3e-3, help="learning rate")
    train.add_argument("--epochs", type=number(int, low=0), default=50,
                       help="total epochs (a resumed run continues up to it)")
    train.add_argument("--batch-size", type=POSITIVE, default=32, help="samples per batch")
    train.add_argument("--weight-decay", type=number(low=0), default=0.0, help="L2 strength lambda")
    train.add_argument("--clip-norm", type=number(low=0, low_open=True), default=None,
                       help="clip gradients to this global norm")
    train.add_argument("--dropout", type=FRACTION, default=0.0, help="dropout ratio after each hidden layer")
    train.add_argument("--batchnorm", action="store_true", help="batch normalization after each hidden Affine")
    train.add_argument("--validation-fraction", type=FRACTION, default=None,
                       help="share of the training set held out for validation (default 0.1 for mlp; 0 for the conv "
                            "nets, which reach 0.985 on digits only with all of its training data)")
    train.add_argument("--early-stopping", action="store_true",
                       help="stop when val_loss stops improving and keep the best epoch's weights")
    train.add_argument("--patience", type=POSITIVE, default=10, help="epochs without improvement before stopping")
    train.add_argument("--schedule", default="constant", choices=SCHEDULES,
                       help="learning-rate schedule (plateau: divide by 5 after 2 epochs without improvement)")
    train.add_argument("--checkpoint", metavar="FILE.npz", help="save model and training state after every epoch")
    train.add_argument("--resume", metavar="FILE.npz", help="continue the run saved in this checkpoint")
    train.add_argument("--seed", type=SEED, default=0, help="seed for the split, the weights and the shuffling")
    train.add_argument("--dtype", default="float64", choices=("float32", "float64"))
    train.add_argument("--threads", type=threads_count, default=None,
                       help="BLAS threads for training (default: 1 for small networks, all cores for large "
                            "products; also the FRAMEWORK_THREADS environment variable)")
    train.add_argument("--progress", type=int, choices=(0, 1, 2), default=None,
                       help="0 silent, 1 progress bar, 2 one line per epoch (default: 1 on a terminal)")
    train.add_argument("--history", metavar="FILE.csv", help="write the per-epoch history (CSV, or JSON for .json)")
    train.add_argument("--plot", metavar="FILE.png",
                       help="draw loss and accuracy curves, in the format the suffix names (needs matplotlib)")

    evaluate = commands.add_parser("evaluate", help="accuracy, confusion matrix and per-class scores of a saved model")
    evaluate.add_argument("model", metavar="MODEL.npz")

    predict = commands.add_parser("predict", help="labels and probabilities for the rows of a .npy or .csv file")
    predict.add_argument("model", metavar="MODEL.npz")
    predict.add_argument("input", metavar="INPUT.npy|.csv")
    predict.add_argument("--output", metavar="FILE.csv", help="where to write (default: standard output)")
    predict.add_argument("--scaled", action="store_true",
                         help="INPUT is already scaled as in training (by default its rows are raw, as the "
                              "dataset gives them: digits' pixels 0..16, iris in cm, and `predict` scales them "
                              "as `train` did)")
    download = commands.add_parser("download", help="fetch MNIST's files into datasets/ (mirrors, checksums, resume)")
    download.add_argument("dataset", choices=("mnist",), help="the data set to fetch")
    download.add_argument("--folder", metavar="DIR", help="where to put the files (default: <data home>/mnist)")
    download.add_argument("--mirror", metavar="URL", action="append",
                          help="a base URL holding the four .gz files; repeat for several (default: three known mirrors)")
    gradcheck = commands.add_parser("gradcheck", help="check backprop against central differences on an MLP",
                                    formatter_class=defaults)
    gradcheck.add_argument("--model", default="mlp", choices=MODELS,
                           help="mlp (the flags below), or the conv net of train --model convnet or deepconvnet")
    gradcheck.add_argument("--hidden", type=POSITIVE, nargs="+", default=[100], metavar="SIZE",
                           help="hidden layer sizes")
    gradcheck.add_argument("--activation", default="relu", choices=tuple(ACTIVATIONS), help="hidden activation")
    gradcheck.add_argument("--batchnorm", action="store_true", help="batch normalization after each hidden Affine")
    gradcheck.add_argument("--dropout", type=FRACTION, default=0.0, help="dropout ratio (the same masks each pass)")
    gradcheck.add_argument("--weight-decay", type=number(low=0), default=0.0, help="L2 strength lambda")
    gradcheck.add_argument("--samples", type=POSITIVE, default=5, help="digits samples in the batch")
    gradcheck.add_argument("--entries", type=POSITIVE, default=200,
                           help="conv nets: entries checked per parameter array, drawn at random")
    gradcheck.add_argument("--seed", type=SEED, default=0, help="seed for the weights and the samples")
    return parser


def gradcheck_command(args):
    images = args.model in CONV_MODELS
    (x, t), _ = datasets.load_digits(seed=args.seed, shape="images" if images else "flat")
    if args.samples > len(x):
        raise ValueError(f"--samples {args.samples}: the digits training set has {len(x)} samples")
    if images:
        model = make_convnet(args.model, x.shape[1:], 10, args.seed, np.float64)
        # Biases start at 0 and digits have blank borders: whole feature maps would sit exactly on ReLU's
        # kink at 0, where no derivative exists. Small random biases move the check to a generic point.
        rng = np.random.default_rng(args.seed)
        for key in [k for k in model.params if k.startswith("b")]:
            model.params[key] += rng.normal(scale=0.01, size=model.params[key].shape)
        print(f"the {args.model} of `train` ({model.parameter_count:,} parameters; biases moved off 0 by N(0, 0.01^2)) "
              f"on the first {args.samples} digits as 1x8x8 images: backprop against central differences on "
              f"{args.entries} entries of each array")
    else:
        model = MLP(64, args.hidden, 10, activation=args.activation, batchnorm=args.batchnorm, dropout=args.dropout,
                    weight_decay=args.weight_decay, seed=args.seed)
        print(f"MLP 64-{'-'.join(map(str, args.hidden))}-10 ({args.activation}) on the first {args.samples} digits: "
              "every parameter's backprop gradient against central differences")
    def progress(done, total):  # one line redrawn on a terminal, a line a quarter in a log
        if sys.stderr.isatty() and (done % 50 == 0 or done == total):
            print(f"\rchecked {done:,} of {total:,} entries", end="\n" if done == total else "", file=sys.stderr)
        elif not sys.stderr.isatty() and done * 4 // total != (done - 1) * 4 // total:
            print(f"checked {done:,} of {total:,} entries", file=sys.stderr)

    report = gradient_check(model, x[:args.samples], t[:args.samples], tolerance=1e-5 if args.batchnorm else 1e-6,
                            entries=args.entries if images else None, progress=progress)
    print(report)
    return 0 if report.passed else 1


IMAGE_DATASETS = ("digits", "mnist", "fashion", "digits28")


def make_convnet(name, image_shape, classes, seed, dtype):
    """The command line's conv nets: "convnet", conv_net with two 3x3 convolutions of 32 filters (0.989 on
    digits at seed 0); "deepconvnet", the book's DeepConvNet (our inverted dropout)."""
    if name == "deepconvnet":
        return DeepConvNet(tuple(image_shape), output_size=classes, seed=seed, dtype=dtype)
    return conv_net(tuple(image_shape), filters=(32, 32), output_size=classes, seed=seed, dtype=dtype)


def load_dataset(name, seed, dtype, images=False):
    """((x_train, t_train), (x_test, t_test)) of a dataset named on the command line; images=True
    gives x as (N, 1, H, W) for a conv net."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    if images and name not in IMAGE_DATASETS:
        raise ValueError(f"a conv net needs images: --dataset {' or '.join(IMAGE_DATASETS)}, got {name!r}")
    dtype = np.dtype(dtype).type
    if name in ("mnist", "fashion", "digits28"):
        return datasets.load_mnist(kind=name, dtype=dtype, flatten=not images)
    if name == "digits":
        return datasets.load_digits(seed=seed, dtype=dtype, shape="images" if images else "flat")
    loader = getattr(datasets, f"make_{name}" if name in ("moons", "circles", "spiral") else f"load_{name}")
    return loader(seed=seed, dtype=dtype)


def input_scaling(name, seed):
    """How `load_dataset` scaled the features, as {"offset": ..., "scale": ...} (scaled = (raw - offset) / scale;
    a number, or one per feature), or None when it did not: `predict` applies it to raw rows."""
    if name in IMAGE_DATASETS:
        pixel_max = datasets.DIGITS_PIXEL_MAX if name == "digits" else datasets.MNIST_PIXEL_MAX
        return {"offset": 0.0, "scale": float(pixel_max)}
    if name in ("iris", "wine", "breast_cancer"):  # each feature to [0, 1] by the training set's range
        (raw, _), _ = getattr(datasets, f"load_{name}")(seed=seed, normalize=False)
        low, span = datasets.feature_range(raw)
        return {"offset": low.tolist(), "scale": span.tolist()}
    return None


def make_schedule(name, lr, epochs):
    if name == "constant":
        return None
    if name == "plateau":
        return callbacks.ReduceLROnPlateau()
    schedule = {"step": lambda: schedules.StepDecay(lr, step_size=max(1, epochs // 3), gamma=0.1),
                "exponential": lambda: schedules.ExponentialDecay(lr, gamma=0.95),
                "cosine": lambda: schedules.CosineAnnealing(lr, epochs=epochs)}[name]()
    return callbacks.LearningRateScheduler(schedule)


#: What a checkpoint's "run" metadata holds, so that --resume, evaluate and predict repeat the run's data.
RUN_SETTINGS = {"dataset": str, "seed": int, "dtype": str, "batch_size": int, "validation_fraction": (int, float),
                "schedule": str, "lr": (int, float), "epochs_planned": int, "early_stopping": bool, "patience": int}


def run_settings(checkpoint, path):
    """The checkpoint's training settings, checked: every key present with its type and a known value."""
    settings = checkpoint.metadata.get("run")
    if not isinstance(settings, dict):
        raise ValueError(f"{path} does not say how it was trained (no 'run' settings); "
                         "it was not written by `python -m framework train --checkpoint`")
    for key, kind in RUN_SETTINGS.items():
        value = settings.get(key)
        if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
            raise ValueError(f"{path}: run setting {key!r} must be {getattr(kind, '__name__', 'a number')}, "
                             f"got {value!r}")
    known = {"dataset": DATASETS, "schedule": SCHEDULES, "dtype": ("float32", "float64"), "model": MODELS}
    for key, choices in known.items():
        value = settings.get(key, "mlp")  # files written before --model existed trained an MLP
        if value not in choices:
            raise ValueError(f"{path}: run setting {key!r} is {value!r}, which this framework does not know "
                             f"(known: {', '.join(choices)}); the file was edited or written by another version")
    return dict(settings)


def check_distinct(outputs, inputs=()):
    """Refuse, before any work, an output path that is another output or an input (the same file by
    any name): one would overwrite the other. outputs, inputs: [(flag, path or None)]."""
    seen = {}
    for role, entries in (("input", inputs), ("output", outputs)):
        for flag, path in entries:
            if not path:
                continue
            key = os.path.normcase(os.path.realpath(path))
            if key in seen and role == "output":
                raise ValueError(f"{flag} {path} is the same file as {seen[key]}: it would overwrite it; "
                                 "give each output its own path")
            seen.setdefault(key, f"{flag} {path}")


def check_outputs(args):
    """Check every file the run will write before it starts: a wrong folder or suffix fails now, and so
    does an output that would overwrite another output or the file it resumes from (except --checkpoint
    continuing the checkpoint it resumes, which is how a run goes on)."""
    outputs = [("--checkpoint", args.checkpoint), ("--history", args.history), ("--plot", args.plot)]
    continues = args.resume and args.checkpoint and os.path.realpath(args.resume) == os.path.realpath(args.checkpoint)
    check_distinct(outputs, [] if continues else [("--resume", args.resume)])
    for flag, path in outputs:
        if path:
            check_writable(path, flag)
    if args.plot:
        image_format(args.plot)  # needs matplotlib; the suffix names a format it writes


def train(args):
    check_outputs(args)
    checkpoint = None
    if args.resume:
        checkpoint = checkpoints.load_checkpoint(args.resume)
        settings = run_settings(checkpoint, args.resume)
        if checkpoint.optimizer is None or checkpoint.history is None:
            raise ValueError(f"{args.resume} holds no optimizer state or history to resume from")
        model, optimizer = checkpoint.model, checkpoint.optimizer
        settings["epochs_planned"] = max(settings["epochs_planned"], args.epochs)
        print(f"resuming {args.resume} after epoch {checkpoint.epoch} (architecture and settings from the file)")
    else:
        fraction = args.validation_fraction
        if fraction is None:
            fraction = 0.0 if args.model in CONV_MODELS else 0.1
        if args.early_stopping and fraction == 0:
            raise ValueError("--early-stopping needs a validation set to watch: give --validation-fraction > 0 "
                             f"(the default for --model {args.model} is {fraction:g})")
        if args.model in CONV_MODELS:
            ignored = [flag for flag, used in (("--hidden", args.hidden != [100]), ("--activation", args.activation != "relu"),
                                               ("--batchnorm", args.batchnorm), ("--dropout", bool(args.dropout)))
                       if used]
            if ignored:
                raise ValueError(f"{', '.join(ignored)} shape the MLP; --model {args.model} has a fixed architecture "
                                 "(see --help): drop them or use --model mlp")
        settings = {"dataset": args.dataset, "seed": args.seed, "dtype": args.dtype, "batch_size": args.batch_size,
                    "validation_fraction": fraction, "schedule": args.schedule, "lr": args.lr,
                    "epochs_planned": args.epochs, "early_stopping": args.early_stopping, "patience": args.patience,
                    "model": args.model, "input_scaling": input_scaling(args.dataset, args.seed)}
    images = settings.get("model", "mlp") in CONV_MODELS
    (x_train, t_train), (x_test, t_test) = load_dataset(settings["dataset"], settings["seed"], settings["dtype"],
                                                        images=images)
    if not args.resume:
        dtype = np.dtype(args.dtype).type
        classes = int(max(t_train.max(), t_test.max())) + 1
        if images:
            model = make_convnet(args.model, x_train.shape[1:], classes, args.seed, dtype)
            model.weight_decay = args.weight_decay
        else:
            model = MLP(x_train.shape[1], args.hidden, classes, activation=args.activation,
                        weight_decay=args.weight_decay, dropout=args.dropout, batchnorm=args.batchnorm,
                        seed=args.seed, dtype=dtype)
        optimizer = OPTIMIZERS[args.optimizer](lr=args.lr, clip_norm=args.clip_norm)
    print(f"{settings['dataset']}: {len(x_train)} training and {len(x_test)} test samples; "
          f"{model.parameter_count:,} parameters; {optimizer!r}")

    run_callbacks = []
    schedule = make_schedule(settings["schedule"], settings["lr"], settings["epochs_planned"])
    if schedule is not None:
        run_callbacks.append(schedule)
    if settings["early_stopping"]:
        run_callbacks.append(callbacks.EarlyStopping(patience=settings["patience"]))
    metadata = {"run": settings}
    if args.checkpoint:
        run_callbacks.append(callbacks.ModelCheckpoint(args.checkpoint, metadata=metadata))
    history = fit(model, optimizer, x_train, t_train, epochs=args.epochs, batch_size=settings["batch_size"],
                  validation_fraction=settings["validation_fraction"], seed=settings["seed"],
                  progress=args.progress, callbacks=run_callbacks, resume_from=checkpoint, threads=args.threads)
    test_loss, test_accuracy = evaluate(model, x_test, t_test)
    print(terminal_curve({"train": history.loss, "validation": history.val_loss}))
    if args.history:
        (history.to_json if args.history.lower().endswith(".json") else history.to_csv)(args.history)
        print(f"history written to {args.history}")
    if args.plot:
        plot_history(history, args.plot, title=f"{settings.get('model', 'mlp')} on {settings['dataset']}")
        print(f"curves drawn in {args.plot}")
    if args.checkpoint:
        print(f"model saved in {args.checkpoint}")
    print(f"test loss {test_loss:.4f}  test accuracy {test_accuracy:.4f}")
    return 0


def evaluate_command(args):
    from sklearn.metrics import classification_report, confusion_matrix


    checkpoint = checkpoints.load_checkpoint(args.model)
    if checkpoint.best_weights is not None:  # early stopping: judge the weights it chose
        checkpoint.model.set_weights(checkpoint.best_weights)
    settings = run_settings(checkpoint, args.model)
    _, (x_test, t_test) = load_dataset(settings["dataset"], settings["seed"], settings["dtype"],
                                       images=settings.get("model", "mlp") in CONV_MODELS)
    predicted = checkpoint.model.predict(x_test).argmax(axis=1)
    print(f"{args.model}: {settings['dataset']} test set, {len(x_test)} samples")
    print(f"accuracy {np.mean(predicted == t_test):.4f}")
    print("confusion matrix (rows: true class, columns: predicted class)")
    matrix = confusion_matrix(t_test, predicted)
    width = max(3, len(str(matrix.max())) + 1)
    print("     " + "".join(f"{c:>{width}}" for c in range(matrix.shape[1])))
    for c, row in enumerate(matrix):
        print(f"{c:>4} " + "".join(f"{v:>{width}}" for v in row))
    # zero_division=0 says it once, in our words, instead of scikit-learn's warning per metric
    print(classification_report(t_test, predicted, digits=4, zero_division=0))
    never = sorted(set(np.unique(t_test)) - set(np.unique(predicted)))
    if never:
        print(f"class{'es' if len(never) > 1 else ''} {', '.join(map(str, never))} never predicted: "
              "precision 0 by convention (no sample was predicted as it)")
    return 0


def read_rows(path):
    """A 2-D float array from a .npy file (no pickle) or a .csv file of numbers."""
    path = str(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"INPUT file not found: {path}")
    if path.endswith(".npy"):
        try:
            rows = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise ValueError(f"{path} is not a numeric .npy array ({exc})") from None
        if rows.dtype.kind not in "biuf":  # before any arithmetic: a string has no minus, a complex would lose a part
            raise TypeError(f"INPUT {path} must hold real numbers, got an array of dtype {rows.dtype}")
        return rows
    if path.endswith(".csv"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # numpy's "input contained no data"
                rows = np.loadtxt(path, delimiter=",", ndmin=2)
        except ValueError as exc:
            raise ValueError(f"{path} must hold only numbers separated by commas ({exc})") from None
        if rows.size == 0:
            raise ValueError(f"INPUT {path} holds no rows of numbers")
        return rows
    raise ValueError(f"INPUT must end in .npy or .csv, got {path!r}")


def scale_rows(x, scaling, path):
    """Raw rows x scaled as the model's training data were: (x - offset) / scale, checked."""
    try:
        offset, scale = (np.asarray(scaling[key], dtype=np.float64) for key in ("offset", "scale"))
    except (TypeError, KeyError, ValueError):
        raise ValueError(f"{path}: run setting 'input_scaling' must hold numbers 'offset' and 'scale', "
                         f"got {scaling!r}") from None
    if offset.ndim > 1 or offset.shape != scale.shape or not (np.isfinite(offset).all() and (scale > 0).all()):
        raise ValueError(f"{path}: run setting 'input_scaling' must hold finite offsets and positive scales "
                         f"of one shape, got {scaling!r}")
    features = x.shape[-1] if x.ndim == 2 else int(np.prod(x.shape[1:]))
    if offset.ndim == 1 and len(offset) != features:
        raise ValueError(f"INPUT must have {len(offset)} features per row, as the model was trained on, got {features}")
    return ((x - offset) / scale).astype(x.dtype if x.dtype.kind == "f" else np.float64)


def prediction_table(model, x):
    """CSV text of the model's predictions for x, one row per sample, as its loss layer reads its outputs:
    softmax: the label and each class's probability; a sigmoid per output (multilabel, yes/no): each
    output's 0/1 and its probability; a regression: the predicted values (for Poisson, exp of the scores)."""
    def rows(*tables):
        return [",".join(f"{v:.6g}" for table in tables for v in table[i]) for i in range(len(x))]
    loss, scores = model.loss_layer, model.predict(x)
    labels = loss.labels(scores)
    if labels is None:  # a regression: the predicted values (for a log link, the mean it gives)
        y = loss.predictions(scores)
        lines = [",".join(f"y{k}" for k in range(y.shape[1]))] + rows(y)
    elif labels.ndim == 1:  # one class per row
        p = loss.probabilities(scores)
        lines = ["label," + ",".join(f"p{c}" for c in range(p.shape[1]))]
        lines += [f"{label},{text}" for label, text in zip(labels, rows(p))]
    else:  # a 0/1 per output, each on its own
        p = loss.probabilities(scores)
        outputs = range(p.shape[1])
        lines = [",".join([f"label{k}" for k in outputs] + [f"p{k}" for k in outputs])]
        lines += rows(labels, p)
    return "\n".join(lines) + "\n"


def predict_command(args):
    if args.output:
        check_distinct([("--output", args.output)], [("MODEL", args.model), ("INPUT", args.input)])
        check_writable(args.output, "--output")
    checkpoint = checkpoints.load_checkpoint(args.model)
    model = checkpoint.model
    x = read_rows(args.input)
    if x.ndim == 1:
        x = x.reshape(1, -1)
    scaling = checkpoint.metadata.get("run", {}).get("input_scaling") if not args.scaled else None
    if scaling is not None:
        x = scale_rows(x, scaling, args.model)
    shape = model.input_shape
    if shape is not None and x.ndim == 2 and x.shape[1] == int(np.prod(shape)):
        x = x.reshape((len(x),) + tuple(shape))  # rows of pixels, as a CSV holds them, for a conv net
    text = prediction_table(model, x)
    if args.output:
        atomic_write_text(args.output, text)
        print(f"{len(x)} predictions written to {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def download_command(args):
    from .download import MNIST_MIRRORS, download
    folder = download(args.dataset, folder=args.folder, mirrors=tuple(args.mirror or MNIST_MIRRORS))
    print(f"{args.dataset} is in {folder}: python -m framework train --dataset {args.dataset}")
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    command = {"train": train, "evaluate": evaluate_command, "predict": predict_command,
               "gradcheck": gradcheck_command, "download": download_command}[args.command]
    if args.debug:
        return command(args)
    try:
        return command(args)
    except (ValueError, TypeError, OSError, FloatingPointError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except MemoryError as exc:
        print(f"error: out of memory ({exc or 'the arrays do not fit'}); try smaller --hidden sizes or "
              "--batch-size", file=sys.stderr)
        return 1
