"""framework: a small neural-network framework in NumPy, in the style of "Deep Learning from Scratch".

Modules, one idea each: functions (softmax, cross-entropy, numerical_gradient), layers (Affine,
ReLU, ..., SoftmaxCrossEntropy), naive_layers (MulLayer, AddLayer), network (Sequential, MLP),
flat (one buffer behind many arrays), optimizers (SGD ... AdamW), fused (an optional compiled
Adam step), training (Trainer, fit), history, callbacks (EarlyStopping, ModelCheckpoint, ...),
schedules, io (save, load), fileio (atomic writes), datasets (loaders), preprocessing (split,
standardize), terminal (text curves), plot (PNG pictures), gradcheck, trace, estimator
(MLPClassifier), validation (the input checks), cli (python -m framework). Importing this
package imports NumPy only; scikit-learn, tqdm and matplotlib are imported where they are needed.
"""
from . import functions, layers, network, optimizers
from .network import MLP, Sequential
from .training import fit

__version__ = "0.1.0"
__all__ = ["functions", "layers", "network", "optimizers", "ConvNetClassifier", "MLP", "MLPClassifier", "MLPRegressor",
           "Sequential", "fit"]


def __getattr__(name):
    # The estimators need scikit-learn: import them on first use so `import framework` stays cheap.
    if name in ("MLPClassifier", "MLPRegressor", "ConvNetClassifier"):
        from . import estimator
        return getattr(estimator, name)
    raise AttributeError(f"module 'framework' has no attribute {name!r}")
