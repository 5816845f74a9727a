"""framework: a small neural-network framework in NumPy, in the style of "Deep Learning from Scratch".

Modules, one idea each. The rooms the book has: functions (softmax, cross-entropy,
numerical_gradient), layer (what every layer is), layers (Affine, ReLU, Sigmoid, Tanh, Dropout,
BatchNormalization), losses (SoftmaxCrossEntropy, ...), conv and im2col (Convolution, Pooling),
sequential (Sequential), network (MLP, SimpleConvNet, DeepConvNet), optimizers (SGD ... AdamW),
training (Trainer, fit), augment (the book's data augmentation), naive_layers (MulLayer, AddLayer).
Around them: engine (all the speed machinery), checks (argument checks), checkpoint (save, load;
also as the old name io), fileio (atomic writes), history, callbacks, schedules, datasets, preprocessing,
terminal, plot, gradcheck, trace, book and book_convnets (the book's names, ch. 3-8), estimator
(MLPClassifier, ...), cli (python -m framework). Importing this package imports
NumPy only; scikit-learn, tqdm, matplotlib and threadpoolctl are imported where they are needed.
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
