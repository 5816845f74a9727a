"""Pictures as PNG files with matplotlib (the `plot` extra): training curves and what a model learned.

matplotlib is imported on first use, with the Agg backend, so `import framework` stays cheap and no
screen is needed. (Curves as text for the terminal are in framework.terminal.)
"""
import os

import numpy as np

from .fileio import atomic_path
from .terminal import terminal_curve  # noqa: F401  (its public home was this module)


def available():
    """True when matplotlib can be imported (the `plot` extra)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ImportError("pictures need matplotlib: pip install matplotlib "
                          "(or the project's extra: pip install -e '.[plot]')") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def image_format(path):
    """The file format `path`'s suffix names (png, svg, pdf, ...), checked against what matplotlib writes."""
    plt = _pyplot()
    suffix = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    formats = plt.figure().canvas.get_supported_filetypes()
    plt.close("all")
    if suffix not in formats:
        raise ValueError(f"picture path {os.fspath(path)!r} must end in one of "
                         f"{', '.join('.' + f for f in sorted(formats))}, got {'.' + suffix if suffix else 'no suffix'}")
    return suffix


def save(fig, path):
    """Write a figure atomically in the format its suffix names (PNG for .png, SVG for .svg, ...), close it."""
    try:
        kind = image_format(path)
    except ValueError:
        _pyplot().close(fig)
        raise
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=kind, dpi=100)
    _pyplot().close(fig)
    return path


def plot_history(history, path, title=None):
    """Save a picture of loss and accuracy per epoch (train and validation), the best epoch marked.

    Needs matplotlib (`pip install framework[plot]`); uses the Agg backend, so no screen is needed.
    """
    plt = _pyplot()
    epochs = list(range(1, history.epochs + 1))
    has_val = bool(history.val_loss) and history.val_loss[-1] is not None
    has_acc = bool(history.accuracy) and history.accuracy[-1] is not None  # a regression has none
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, history.loss, label="train")
    if has_acc:
        ax_acc.plot(epochs, history.accuracy, label="train")
    else:
        ax_acc.text(0.5, 0.5, "no accuracy: a regression", ha="center", va="center", transform=ax_acc.transAxes)
    if has_val:
        ax_loss.plot(epochs, history.val_loss, label="validation")
        if has_acc:
            ax_acc.plot(epochs, history.val_accuracy, label="validation")
    monitored = history.val_loss if has_val else history.loss
    best = history.best_epoch or (min(range(len(monitored)), key=monitored.__getitem__) + 1 if monitored else None)
    if best:
        for ax in (ax_loss, ax_acc):
            ax.axvline(best, color="gray", linestyle=":", label=f"best epoch ({best})")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for ax in (ax_loss, ax_acc):
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return save(fig, path)


# -- pictures for studying a model ---------------------------------------------------------------
def plot_decision_boundary(model, x, t, path, title=None, resolution=200):
    """The class a 2-D model predicts over the plane, with the samples on top."""
    plt = _pyplot()
    pad = 0.25 * (x.max(axis=0) - x.min(axis=0))
    low, high = x.min(axis=0) - pad, x.max(axis=0) + pad
    gx, gy = np.meshgrid(np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution))
    grid = np.c_[gx.ravel(), gy.ravel()].astype(model.dtype)
    predicted = model.predict(grid).argmax(axis=1).reshape(gx.shape)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.contourf(gx, gy, predicted, alpha=0.3, levels=np.arange(predicted.max() + 2) - 0.5, cmap="viridis")
    ax.scatter(x[:, 0], x[:, 1], c=t, s=12, cmap="viridis", edgecolors="k", linewidths=0.3)
    ax.set(title=title or "decision boundary", xticks=[], yticks=[])
    return save(fig, path)


def plot_first_layer_weights(model, path, image_shape=(8, 8), title=None):
    """Each first-layer unit's incoming weights drawn as an image (what the unit looks for)."""
    plt = _pyplot()
    W = model.params["W1"]
    units = W.shape[1]
    cols = int(np.ceil(np.sqrt(units)))
    rows = int(np.ceil(units / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.9, rows * 0.9))
    limit = np.abs(W).max()
    for i, ax in enumerate(np.ravel(axes)):
        ax.axis("off")
        if i < units:
            ax.imshow(W[:, i].reshape(image_shape), cmap="RdBu", vmin=-limit, vmax=limit)
    fig.suptitle(title or "first-layer weights (red: negative, blue: positive)")
    return save(fig, path)


def plot_misclassified(model, x, t, path, image_shape=(8, 8), limit=32):
    """The test images the model gets wrong, each titled 'true -> predicted'."""
    plt = _pyplot()
    predicted = model.predict(x).argmax(axis=1)
    wrong = np.flatnonzero(predicted != t)[:limit]
    cols = 8
    rows = max(1, int(np.ceil(len(wrong) / cols)))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.3))
    for ax in np.ravel(axes):
        ax.axis("off")
    for ax, i in zip(np.ravel(axes), wrong):
        ax.imshow(x[i].reshape(image_shape), cmap="gray_r")
        ax.set_title(f"{t[i]} -> {predicted[i]}", fontsize=8)
    fig.suptitle(f"{int(np.sum(predicted != t))} of {len(t)} misclassified (true -> predicted)")
    return save(fig, path)


def plot_confusion_matrix(model, x, t, path, title=None):
    """Counts of true class (rows) against predicted class (columns)."""
    plt = _pyplot()
    predicted = model.predict(x).argmax(axis=1)
    classes = model.output_size
    matrix = np.zeros((classes, classes), dtype=int)
    np.add.at(matrix, (t, predicted), 1)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.imshow(matrix, cmap="Blues")
    for i in range(classes):
        for j in range(classes):
            if matrix[i, j]:
                ax.text(j, i, matrix[i, j], ha="center", va="center", fontsize=8,
                        color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    ax.set(xlabel="predicted", ylabel="true", xticks=range(classes), yticks=range(classes),
           title=title or "confusion matrix")
    return save(fig, path)
