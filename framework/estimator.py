"""`MLPClassifier` and `MLPRegressor`: our MLP behind scikit-learn's estimator interface, drop-ins for sklearn.neural_network's.

Same parameters, attributes, messages and warnings as scikit-learn's where they apply (lbfgs,
multilabel, sparse X, verbose lines, the Poisson loss included); in addition `dropout`, `batchnorm`,
`weight_init`, `dtype`, `progress`, `binary_output` and the solvers "momentum", "nesterov",
"adagrad", "rmsprop", "adamw". Weights and biases start where scikit-learn's start (Glorot uniform,
drawn in float64 from random_state in its order; weight_init="auto" gives He/Xavier normal draws
with zero biases), two classes are one logistic unit (binary_output="softmax" gives two), and the
early-stopping split is scikit-learn's (stratified for two classes). Differences, one line each:
- "sgd" and "adam" follow scikit-learn's update rules; the added solvers ("momentum", "nesterov",
  "adamw", ...) are framework.optimizers, PyTorch's rules;
- logistic outputs' losses are not clipped to [eps, 1 - eps].
"""
import copy
import math
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from . import engine, optimizers
from .callbacks import Callback, Monitor
from .functions import log_softmax, sigmoid, softmax
from .network import MLP, conv_net
from .optimizers import OPTIMIZERS
from .training import DivergenceError, Trainer
from .checks import check_dtype, check_sample_weight

#: scikit-learn's activation names and ours ("logistic" is our "sigmoid").
ACTIVATIONS = {"relu": "relu", "logistic": "sigmoid", "tanh": "tanh", "identity": "identity"}
SOLVERS = ("adam", "sgd", "lbfgs") + tuple(name for name in OPTIMIZERS if name not in ("adam", "sgd"))
SGD_FAMILY = ("sgd", "momentum", "nesterov")


class _LayerArrays(list):
    """coefs_ or intercepts_: a list of the network's own arrays, so `est.coefs_[0] = W` changes the
    network (W's values are copied in, shape checked) instead of a throwaway list."""

    def __init__(self, estimator, prefix, name):
        super().__init__(estimator.model_.params[f"{prefix}{i}"] for i in range(1, estimator.n_layers_))
        self._estimator, self._prefix, self._name = estimator, prefix, name

    def __setitem__(self, i, array):
        if not isinstance(i, (int, np.integer)):
            raise TypeError(f"{self._name}[...] = takes one layer's index, got {i!r}")
        index = range(len(self))[i]  # negative indices as a list takes them; IndexError past the end
        self._estimator._set_layer(self._prefix, self._name, index, array)
        super().__setitem__(index, self._estimator.model_.params[f"{self._prefix}{index + 1}"])

    def __reduce__(self):  # pickled (or deep-copied) as the plain list of arrays it shows
        return list, (list(self),)


def _store_arguments(estimator, arguments):
    """scikit-learn's convention for __init__: every argument stored verbatim under its own name (checked
    in fit); `arguments` is the constructor's locals(), whose signature names the defaults."""
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


class _ScikitLearnSGD(optimizers.Optimizer):
    """scikit-learn's SGD: v <- momentum * v - lr * dW, then W <- W + v, or with Nesterov
    W <- W + momentum * v - lr * dW. The same steps as optimizers.Momentum/Nesterov (PyTorch's) while
    lr is constant; under learning_rate="invscaling" or "adaptive" the velocity keeps the old rates."""

    state_names = ("v",)
    learning_rate = property(lambda self: self.lr, doc="The current rate under scikit-learn's name.")

    def __init__(self, lr, momentum, nesterov):
        super().__init__(lr)
        self.momentum, self.nesterov = momentum, nesterov

    def _step(self, param, grad, v):
        v *= self.momentum
        v -= self.lr * grad
        if self.nesterov:
            param += self.momentum * v - self.lr * grad
        else:
            param += v


class _ScikitLearnAdam(optimizers.Adam):
    """scikit-learn's Adam: W <- W - lr * sqrt(c2) / c1 * m / (sqrt(v) + eps), eps added to sqrt(v)
    before the bias correction (PyTorch's optimizers.Adam adds it after)."""

    learning_rate = property(lambda self: self.lr, doc="The current rate under scikit-learn's name.")

    def corrections(self):
        """(lr_t, eps): both corrections in the rate, eps added to sqrt(v) as it is."""
        return self.lr * math.sqrt(1 - self.beta2 ** self.t) / (1 - self.beta1 ** self.t), self.eps


def _stochastic(estimator):
    """partial_fit exists only for the stochastic solvers (lbfgs has no single epoch to take), as in
    scikit-learn, and not with early_stopping (which partial_fit cannot do: scikit-learn offers it and
    raises, so that its own estimator checks fail)."""
    if estimator.solver != "lbfgs" and estimator.early_stopping:
        raise AttributeError("partial_fit does not support early_stopping=True")  # scikit-learn's words
    return estimator.solver != "lbfgs"


def _r2_score(t, predicted, weight=None):
    """scikit-learn's r2_score for t, predicted (N, K), without its input checks (they cost more than an
    epoch on small data): per output 1 - sum(w (t - p)^2) / sum(w (t - mean_w(t))^2), averaged over
    outputs; an output of constant t scores 1.0 when predicted exactly, else 0.0."""
    w = 1.0 if weight is None else weight[:, None]
    numerator = (w * (t - predicted) ** 2).sum(axis=0)
    denominator = (w * (t - np.average(t, axis=0, weights=weight)) ** 2).sum(axis=0)
    scores = np.ones(t.shape[1])
    valid = (numerator != 0) & (denominator != 0)
    scores[valid] = 1 - numerator[valid] / denominator[valid]
    scores[(numerator != 0) & (denominator == 0)] = 0.0
    return float(np.average(scores))


def _rows(X, t, sample_weight, train, val):
    """(X, t, sample_weight) of the `train` rows and (X, t, sample_weight) of the `val` rows."""
    w = None if sample_weight is None else np.asarray(sample_weight)
    return X[train], t[train], None if w is None else w[train], (X[val], t[val], None if w is None else w[val])


class _SklearnShuffle:
    """scikit-learn's epoch order: the last epoch's order shuffled by the fit's RandomState
    (sklearn.utils.shuffle, i.e. order[random_state.permutation(n)]), starting from 0..n-1 each fit."""

    def __init__(self, random_state, n):
        self.random_state, self.order = random_state, np.arange(n)

    def __call__(self, n):
        self.order = self.order[self.random_state.permutation(n)]
        return self.order


class _SklearnRules(Callback):
    """scikit-learn's learning-rate rules and stopping rule, as a callback (alpha needs none: the
    network's weight decay is alpha per sample, MLP(weight_decay_per_sample=True)).

    - learning_rate "invscaling": lr = learning_rate_init / (t_ + 1) ** power_t after each epoch,
      t_ being the number of samples seen; "adaptive": divide lr by 5 instead of stopping;
    - stop when the training loss (or, with early_stopping, the validation accuracy) has not
      improved by tol for more than n_iter_no_change epochs (the estimator's `_tracker`).
    """

    def __init__(self, estimator):
        super().__init__()
        self.estimator = estimator
        # scikit-learn's squared loss is a mean over outputs too (its gradient is not): with K outputs
        # the loss it reports is (data loss) / K + (the weight-decay term), summed over batches here.
        self.outputs = estimator.n_outputs_ if estimator._regression and estimator.loss == "squared_error" else 1
        self.decay, self.epoch_loss, self.epoch_size = 0.0, 0.0, 0

    def on_batch_begin(self, batch, logs):
        self.estimator.t_ += logs["size"]
        if self.outputs > 1:  # the decay term of this batch's loss, from the weights before its step
            model = self.model
            self.decay = 0.5 * model.weight_decay * sum(float(np.vdot(W, W)) for W in model._weights()) / logs["size"]

    def on_batch_end(self, batch, logs):
        if self.outputs > 1:
            self.epoch_loss += ((logs["loss"] - self.decay) / self.outputs + self.decay) * logs["size"]
            self.epoch_size += logs["size"]

    def on_epoch_end(self, epoch, logs):
        est, tracker = self.estimator, self.estimator._tracker
        if self.outputs > 1:
            logs = {**logs, "loss": self.epoch_loss / self.epoch_size}
            self.epoch_loss, self.epoch_size = 0.0, 0
        est.n_iter_ += 1
        est.loss_curve_.append(logs["loss"])
        est.loss_ = logs["loss"]
        if est.verbose:  # scikit-learn's lines, word for word
            print("Iteration %d, loss = %.8f" % (est.n_iter_, est.loss_))
        sgd = est.solver in SGD_FAMILY
        if est.early_stopping:
            score = est._validation_score(logs)
            tracker.update(epoch, {"val_score": score})
            est.validation_scores_.append(score)
            if est.verbose:
                print("Validation score: %f" % score)
            est.best_validation_score_ = tracker.best_value
            if tracker.best_epoch == epoch:
                est._best_weights = self.model.get_weights()
        else:
            tracker.update(epoch, logs)
            est.best_loss_ = tracker.best_value
        if sgd and est.learning_rate == "invscaling":
            self.optimizer.lr = est.learning_rate_init / (est.t_ + 1) ** est.power_t
        if tracker.wait > est.n_iter_no_change:
            what = "Validation score" if est.early_stopping else "Training loss"
            message = "%s did not improve more than tol=%f for %d consecutive epochs." % (
                what, est.tol, est.n_iter_no_change)
            if sgd and est.learning_rate == "adaptive" and self.optimizer.lr > 1e-6:
                self.optimizer.lr /= 5
                tracker.wait = 0
                if est.verbose:
                    print(message + " Setting learning rate to %f" % self.optimizer.lr)
            else:
                self.stop_training = True
                if est.verbose:
                    too_small = sgd and est.learning_rate == "adaptive"
                    print(message + (" Learning rate too small. Stopping." if too_small else " Stopping."))


class _MLPEstimator(BaseEstimator):
    """What the classifier and the regressor share: parameters' checks, the network, the training run
    (framework.training.Trainer under scikit-learn's rules), coefs_ and intercepts_."""

    #: MLP's loss for the output layer, and scikit-learn's name for the output activation.
    loss_name, out_activation = "cross_entropy", "softmax"
    #: Real-valued targets (the regressor): y must be numeric and may have several columns.
    _regression = False
    #: scipy.sparse X is taken as CSR (CSC is converted) and goes to the first Affine layer as it is.
    _accept_sparse = ("csr", "csc")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = bool(self._accept_sparse)
        return tags

    #: Every parameter's type and range, checked once at the start of fit and partial_fit by
    #: scikit-learn's own mechanism (BaseEstimator._validate_params: InvalidParameterError, a
    #: ValueError, naming the parameter, what it takes and what it got).
    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "solver": [StrOptions(set(SOLVERS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batchnorm": ["boolean"],
        "weight_init": [StrOptions({"glorot_uniform", "auto", "he", "xavier"}), Interval(Real, 0, None, closed="neither")],
        "dtype": [None, str, type, np.dtype],
        "progress": [Options(Integral, {0, 1, 2}), "boolean", None],
        "threads": [None, Interval(Integral, 1, None, closed="left")],
        "binary_output": [StrOptions({"softmax", "logistic"})],
        "loss": [StrOptions({"squared_error", "poisson"})],
        "image_shape": ["array-like", None],
        "filters": ["array-like"],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
    }

    # -- checks ---------------------------------------------------------------------------------
    def _check_params(self):
        """The parameters checked against the table, then what one parameter alone cannot say; returns
        the hidden sizes as a list."""
        self._validate_params()
        sizes = [self.hidden_layer_sizes] if isinstance(self.hidden_layer_sizes, Integral) \
            else list(self.hidden_layer_sizes)
        if not all(isinstance(size, Integral) and size >= 1 for size in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")  # scikit-learn's words
        if self.early_stopping and self.validation_fraction == 0:
            raise ValueError("validation_fraction must be > 0 when early_stopping=True (it holds out the "
                             "validation set), got 0")
        if self.dtype is not None:
            check_dtype(self.dtype)
        return sizes

    def _check_same_network(self, sizes):
        """warm_start and partial_fit keep the fitted network: settings that would change it are refused."""
        config = self.model_.config
        now = {"hidden_layer_sizes": [int(s) for s in sizes], "activation": ACTIVATIONS[self.activation],
               "dropout": float(self.dropout), "batchnorm": bool(self.batchnorm)}
        before = {"hidden_layer_sizes": config["hidden_sizes"], "activation": config["activation"],
                  "dropout": config["dropout"], "batchnorm": config["batchnorm"]}
        if self.dtype is not None:
            now["dtype"], before["dtype"] = np.dtype(check_dtype(self.dtype)).name, config["dtype"]
        changed = [key for key in now if now[key] != before[key]]
        if changed:
            key = changed[0]
            raise ValueError(f"{key} changed since the network was fitted ({before[key]!r} -> {now[key]!r}); "
                             "warm_start and partial_fit continue the same network: set warm_start=False "
                             "(or call fit) to build a new one")

    def _input_dtype(self, reset):
        """The dtype X is converted to: `dtype` if set; else the fitted network's; else float32 stays
        float32 and anything else becomes float64, as scikit-learn keeps the input's dtype."""
        if self.dtype is not None:
            return check_dtype(self.dtype)
        if not reset and hasattr(self, "model_"):
            return self.model_.dtype
        return (np.float64, np.float32)

    def _make_optimizer(self):
        lr = self.learning_rate_init
        if self.solver == "sgd":  # scikit-learn's rules for its own solvers
            return _ScikitLearnSGD(lr, self.momentum, self.nesterovs_momentum)
        if self.solver in ("momentum", "nesterov"):
            kind = optimizers.Nesterov if self.solver == "nesterov" else optimizers.Momentum
            return kind(lr=lr, momentum=self.momentum)
        if self.solver in ("adam", "adamw"):
            kind = _ScikitLearnAdam if self.solver == "adam" else optimizers.AdamW
            return kind(lr=lr, beta1=self.beta_1, beta2=self.beta_2, eps=self.epsilon)
        if self.solver == "adagrad":
            return optimizers.AdaGrad(lr=lr)
        return optimizers.RMSprop(lr=lr)

    def _initialize(self, n_features, sizes, dtype):
        weight_init = self.weight_init
        start = None
        if weight_init == "glorot_uniform":  # drawn first from random_state, as scikit-learn draws it
            start = self._glorot_uniform(self._random_state, [n_features] + list(sizes) + [self._output_size()])
        if weight_init in ("auto", "glorot_uniform"):
            weight_init = "he" if self.activation == "relu" else "xavier"
        # dropout masks and the Trainer's generator: a stream of their own, seeded from random_state (a
        # RandomState of the user's is read through a copy, so that its later draws stay scikit-learn's)
        source = check_random_state(self.random_state)
        if source is self.random_state:
            source = copy.deepcopy(source)
        seeds = np.random.SeedSequence(source.randint(2 ** 31 - 1)).spawn(2)
        self.model_ = self._build_network(n_features, sizes, weight_init, np.random.default_rng(seeds[0]), dtype)
        for key, value in (start or {}).items():
            self.model_.params[key] = value  # cast to the network's dtype
        self._rng = np.random.default_rng(seeds[1])  # the Trainer's (the split and the shuffling draw from _random_state)
        self._optimizer = self._make_optimizer()
        self.t_, self.n_iter_ = 0, 0
        self.n_layers_ = sum(1 for key in self.model_.params if key.startswith("W")) + 1
        self.n_outputs_ = self._output_size()
        self.out_activation_ = self.out_activation
        for name in ("loss_curve_", "best_loss_", "validation_scores_", "best_validation_score_", "history_"):
            self.__dict__.pop(name, None)  # lbfgs has none of these, as in scikit-learn
        if self.solver != "lbfgs":
            self._start_curves()

    def _glorot_uniform(self, random_state, units):
        """scikit-learn's start: for each layer, W then b ~ U(-bound, bound) in float64 with bound =
        sqrt(6 / (fan_in + fan_out)) (2 instead of 6 for logistic hidden units): {"W1": ..., "b1": ...}."""
        factor = 2.0 if self.activation == "logistic" else 6.0
        start = {}
        for i, (fan_in, fan_out) in enumerate(zip(units[:-1], units[1:]), 1):
            bound = np.sqrt(factor / (fan_in + fan_out))
            start[f"W{i}"] = random_state.uniform(-bound, bound, (fan_in, fan_out))
            start[f"b{i}"] = random_state.uniform(-bound, bound, fan_out)
        return start

    def _start_curves(self):
        """What the stochastic solvers record: the loss per epoch, the best values, the stopping tracker."""
        self.loss_curve_ = []
        self._start_stopping()

    def _start_stopping(self):
        """The stopping rule's state: the best training loss, or with early_stopping the validation scores."""
        self.best_loss_ = np.inf
        self.validation_scores_ = [] if self.early_stopping else None
        self.best_validation_score_ = -np.inf if self.early_stopping else None
        self._tracker = Monitor("val_score", self.tol, rule="sklearn", higher_is_better=True) if self.early_stopping \
            else Monitor("loss", self.tol, rule="sklearn")

    def _build_network(self, n_features, sizes, weight_init, rng, dtype):
        """The framework network this estimator trains (an MLP here; ConvNetClassifier builds a conv net)."""
        return MLP(n_features, sizes, self._output_size(), activation=ACTIVATIONS[self.activation],
                   weight_init=weight_init, dropout=self.dropout, batchnorm=self.batchnorm, seed=rng,
                   dtype=dtype, weight_decay=self.alpha, weight_decay_per_sample=True,
                   loss=self.loss_name)

    def _multi_output_y(self):
        """Whether y may have several columns (the regressor's outputs; the classifier's labels)."""
        return self._regression

    def _network_input(self, X):
        """X (n_samples, n_features) as the network takes it (rows here; images for ConvNetClassifier)."""
        return X

    # -- fitting --------------------------------------------------------------------------------
    def _fit(self, X, y, sample_weight, classes, incremental):
        sizes = self._check_params()
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")  # scikit-learn's words
        if self.solver == "lbfgs" and self.dropout:
            raise ValueError(f"dropout={self.dropout!r} needs a stochastic solver: lbfgs minimizes one fixed "
                             "full-batch loss; use dropout=0.0 or solver='adam'")
        first_call = not hasattr(self, "model_")
        reset = first_call or not (incremental or self.warm_start)
        # scikit-learn's generator, made anew by every fit: the Glorot start, then the early-stopping split
        self._random_state = check_random_state(self.random_state)
        if not reset:
            self._check_same_network(sizes)
        if self._regression and y is not None:  # (None: scikit-learn's "requires y" below)
            y = _real_targets(y)  # before scikit-learn's checks, whose text does not name y
        X, y = validate_data(self, X, y, reset=reset, dtype=self._input_dtype(reset), ensure_min_samples=1,
                             multi_output=self._multi_output_y(), y_numeric=self._regression,
                             accept_sparse=self._accept_sparse)
        if sample_weight is not None:  # checked once here, for every solver
            if isinstance(sample_weight, Real):
                sample_weight = np.full(X.shape[0], sample_weight, dtype=X.dtype)
            sample_weight = check_sample_weight(sample_weight, X.shape[0], X.dtype.type)
        t = self._training_targets(y, classes, reset, X.dtype)
        if reset:
            self._initialize(X.shape[1], sizes, X.dtype)
        self.model_.weight_decay = self.alpha  # set_params may have changed it since the last fit
        if self.solver == "lbfgs":
            self._fit_lbfgs(X, t, sample_weight)
        else:
            self._fit_stochastic(X, t, sample_weight, reset, incremental)
        if not all(np.isfinite(value).all() for value in self.model_.params.values()):
            raise ValueError("Solver produced non-finite parameter weights. The input data may contain large "
                             "values and need to be preprocessed.")  # scikit-learn's words
        return self

    def _fit_stochastic(self, X, t, sample_weight, reset, incremental):
        """Epochs of minibatch steps (framework.training.Trainer under scikit-learn's rules)."""
        if not hasattr(self, "loss_curve_"):  # a network fitted by lbfgs, continued by a stochastic solver
            self._start_curves()
        if not reset and not incremental:  # warm_start: keep the weights, start a new optimizer as scikit-learn does
            self._optimizer = self._make_optimizer()
            self._tracker.wait = 0
        if self._tracker.monitor != ("val_score" if self.early_stopping else "loss"):
            self._start_stopping()  # early_stopping was switched between warm fits: watch the new quantity afresh
        self.n_iter_ = 0  # this call's epochs, as scikit-learn counts them
        if self.batch_size != "auto" and self.batch_size > X.shape[0]:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going to be clipped",
                          stacklevel=4)  # scikit-learn's words
        batch_size = min(200, X.shape[0]) if self.batch_size == "auto" else min(self.batch_size, X.shape[0])
        validation = None
        if self.early_stopping:  # (partial_fit refused it above, as scikit-learn does)
            X, t, sample_weight, (x_val, t_val, self._validation_weight) = self._split_validation(X, t, sample_weight)
            validation = (self._network_input(x_val), t_val)
        self._validation_set = validation
        rules = _SklearnRules(self)
        # partial_fit and warm_start continue the same history.
        trainer = Trainer(self.model_, self._optimizer, self._network_input(X), t, batch_size=batch_size,
                          sample_weight=sample_weight,
                          validation_data=validation, rng=self._rng, callbacks=[rules],
                          shuffle=self.shuffle and _SklearnShuffle(self._random_state, X.shape[0]),
                          progress=self.progress, history=getattr(self, "history_", None) if not reset else None,
                          threads=self.threads, doctor=False)  # silent, as scikit-learn's estimators are
        epochs_before = trainer.history.epochs
        try:
            self.history_ = trainer.train(epochs_before + (1 if incremental else self.max_iter))
        except DivergenceError:  # a NaN or infinite loss; with early stopping the best epoch is kept, as scikit-learn
            self.history_ = trainer.history
            if not (self.early_stopping and getattr(self, "_best_weights", None) is not None):
                raise ValueError("Solver produced non-finite parameter weights. The input data may contain large "
                                 "values and need to be preprocessed.") from None  # scikit-learn's words
            rules.stop_training = True
        if self.early_stopping and getattr(self, "_best_weights", None) is not None:
            self.model_.set_weights(self._best_weights)
        if not incremental and not rules.stop_training and self.history_.epochs - epochs_before == self.max_iter:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                          "optimization hasn't converged yet.", ConvergenceWarning, stacklevel=4)
        if self.early_stopping:
            self.best_loss_ = None

    def _split_validation(self, X, t, sample_weight):
        """scikit-learn's early-stopping split: validation_fraction held out at random, stratified by
        class only for two classes (scikit-learn's n_outputs_ 1). Where that would hold out fewer than
        a validation score needs (2 samples, and one per class when stratified), scikit-learn refuses;
        we hold out that many and warn, so small data still trains."""
        from sklearn.model_selection import train_test_split
        n, stratify = X.shape[0], self._labels_for_split(t)
        strata = 1 if stratify is None else len(np.unique(stratify))
        held_out, fewest = math.ceil(self.validation_fraction * n), max(2, strata)  # train_test_split's count
        test_size = self.validation_fraction
        if held_out < fewest:
            if n < fewest + strata:
                raise ValueError(f"early_stopping=True needs at least {fewest + strata} samples here ({fewest} to "
                                 f"validate on, {strata} to train on); got n_samples={n}. Use early_stopping=False.")
            warnings.warn(f"validation_fraction={self.validation_fraction} holds out {held_out} of {n} samples; "
                          f"holding out {fewest}, the fewest a validation score needs"
                          + (" (one per class)" if stratify is not None else ""), UserWarning, stacklevel=5)
            test_size = fewest
        train, val = train_test_split(np.arange(n), test_size=test_size, stratify=stratify,
                                      random_state=self._random_state)
        return _rows(X, t, sample_weight, train, val)

    def _labels_for_split(self, t):
        """Labels to stratify the early-stopping split by, or None (at random)."""
        return None

    def _fit_lbfgs(self, X, t, sample_weight):
        """scipy's L-BFGS-B over every weight and bias as one vector, on the full-batch loss (scikit-learn's
        lbfgs solver): max_iter iterations, max_fun loss evaluations, gtol=tol."""
        import scipy
        import scipy.optimize
        from sklearn.utils.optimize import _check_optimize_result

        model, x = self.model_, self._network_input(X)
        keys = list(model.params)

        def set_weights(w):
            offset = 0
            for key in keys:
                param = model.params[key]
                param[...] = w[offset:offset + param.size].reshape(param.shape)
                offset += param.size

        def loss_and_gradient(w):
            set_weights(w)
            with np.errstate(over="ignore", invalid="ignore"):
                loss, _ = model.loss_and_scores(x, t, train=True, sample_weight=sample_weight)
            model.backward(input_grad=False)
            return loss, np.concatenate([model.grads[key].ravel() for key in keys]).astype(np.float64)

        start = np.concatenate([model.params[key].ravel() for key in keys]).astype(np.float64)
        # scipy's own iteration lines when verbose, as scikit-learn asks for them (scipy 1.15 and later
        # print none: scikit-learn then passes nothing, and so do we)
        options = {"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol}
        if tuple(int(part) for part in scipy.__version__.split(".")[:2]) < (1, 15):
            options["iprint"] = 1 if self.verbose else -1
        with engine.blas_threads(model, x.shape[0], self.threads):  # full-batch products
            result = scipy.optimize.minimize(loss_and_gradient, start, method="L-BFGS-B", jac=True, options=options)
        # The ConvergenceWarning and n_iter_ as scikit-learn gives them.
        self.n_iter_ = _check_optimize_result("lbfgs", result, self.max_iter)
        self.loss_ = float(result.fun)
        set_weights(result.x)

    # -- fitted attributes scikit-learn users read ----------------------------------------------
    @property
    def coefs_(self):
        """The weight matrices [W1, W2, ...], (fan_in, fan_out) each: the network's own arrays."""
        check_is_fitted(self, "model_")
        return _LayerArrays(self, "W", "coefs_")

    @coefs_.setter
    def coefs_(self, arrays):
        self._set_layers("W", "coefs_", arrays)

    @property
    def intercepts_(self):
        """The bias vectors [b1, b2, ...]: the network's own arrays."""
        check_is_fitted(self, "model_")
        return _LayerArrays(self, "b", "intercepts_")

    @intercepts_.setter
    def intercepts_(self, arrays):
        self._set_layers("b", "intercepts_", arrays)

    def _set_layers(self, prefix, name, arrays):
        """Assigning coefs_ or intercepts_ (as scikit-learn allows) copies the values into the network."""
        check_is_fitted(self, "model_")
        arrays = list(arrays)
        if len(arrays) != self.n_layers_ - 1:
            raise ValueError(f"{name} must hold {self.n_layers_ - 1} arrays, one per layer, got {len(arrays)}")
        for i, array in enumerate(arrays):
            self._set_layer(prefix, name, i, array)

    def _set_layer(self, prefix, name, i, array):
        """`coefs_[i] = W` (or intercepts_): W's values copied into the network's array, checked first."""
        target = self.model_.params[f"{prefix}{i + 1}"]
        array = np.asarray(array)
        if array.shape != target.shape:
            raise ValueError(f"{name}[{i}] must have shape {target.shape}, got {array.shape}")
        if not np.isfinite(array).all():
            raise ValueError(f"{name}[{i}] must be finite, got NaN or infinite values")
        target[...] = array

    # -- prediction -----------------------------------------------------------------------------
    def _scores(self, X):
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=self.model_.dtype, accept_sparse=self._accept_sparse)
        return self.model_.predict(self._network_input(X))


class MLPClassifier(ClassifierMixin, _MLPEstimator):
    """Multilayer perceptron classifier with scikit-learn's interface, trained by `framework.fit`.

    Fitted attributes: classes_, n_features_in_, loss_, loss_curve_, best_loss_,
    validation_scores_, best_validation_score_, n_iter_, t_, coefs_, intercepts_, n_layers_,
    n_outputs_, out_activation_, history_ (the full History) and model_ (the framework MLP).
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
                 batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False, warm_start=False,
                 momentum=0.9, nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000, dropout=0.0,
                 batchnorm=False, weight_init="glorot_uniform", dtype=None, progress=0, binary_output="logistic",
                 threads=None):
        _store_arguments(self, locals())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True  # an indicator matrix y, as scikit-learn's
        return tags

    #: The output layer for each kind of target: (framework loss, scikit-learn's out_activation_).
    HEADS = {"softmax": ("cross_entropy", "softmax"), "logistic": ("binary_cross_entropy", "logistic"),
             "multilabel": ("binary_cross_entropy", "logistic")}

    @property
    def loss_name(self):
        return self.HEADS[getattr(self, "_head", "softmax")][0]

    @property
    def out_activation(self):
        return self.HEADS[getattr(self, "_head", "softmax")][1]

    def _output_size(self):
        return 1 if self._head == "logistic" else len(self.classes_)

    def _multi_output_y(self):
        return True  # an indicator matrix y: multilabel

    def _labels_for_split(self, t):
        if self._head == "multilabel" or len(self.classes_) > 2:
            return None  # several outputs: at random, as scikit-learn
        return (t[:, 0] if self._head == "logistic" else t).astype(bool)[:, None]  # scikit-learn's binarized y

    def _validation_score(self, logs):
        """The score early stopping watches: accuracy on the held-out samples, weighted by their
        sample_weight (scikit-learn's; for multilabel, the share of rows with every label right)."""
        if self._validation_weight is None:
            return logs["val_accuracy"]
        from sklearn.metrics import accuracy_score
        x_val, t_val = self._validation_set
        scores = self.model_.predict(x_val)
        if self._head == "softmax":
            predicted = scores.argmax(axis=1)
        else:  # 0/1 outputs: each label's for multilabel, the one column of a logistic unit as labels
            predicted = (scores > 0).astype(t_val.dtype)
            if self._head == "logistic":
                predicted, t_val = predicted[:, 0], t_val[:, 0]
        return float(accuracy_score(t_val, predicted, sample_weight=self._validation_weight))

    # -- fitting --------------------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Train on X (n_samples, n_features) and labels y for up to max_iter epochs."""
        return self._fit(X, y, sample_weight, classes=None, incremental=False)

    @available_if(_stochastic)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over (X, y); `classes` (every label that will ever appear) is needed on the first call."""
        if not hasattr(self, "model_") and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")  # scikit-learn's words
        return self._fit(X, y, sample_weight, classes=classes, incremental=True)

    def _training_targets(self, y, classes, reset, dtype):
        """y as the network trains on it: class indices into classes_ for softmax, a 0/1 column for
        one logistic unit, the 0/1 matrix itself for multilabel. classes_ is set on a reset. The errors
        are scikit-learn's, word for word."""
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn("A column-vector y was passed when a 1d array was expected. Please change the shape "
                          "of y to (n_samples,), for example using ravel().", DataConversionWarning, stacklevel=4)
            y = y.ravel()
        check_classification_targets(y)
        multilabel = type_of_target(y).startswith("multilabel")
        if reset:
            if multilabel:
                self.classes_, self._head = np.arange(y.shape[1]), "multilabel"
            else:
                labels = np.unique(y) if classes is None else np.unique(np.asarray(classes))
                self.classes_ = labels
                # one class: scikit-learn's one logistic unit, trained toward "not another class"
                self._head = "logistic" if len(labels) == 1 or len(labels) == 2 and self.binary_output == "logistic" \
                    else "softmax"
        elif multilabel != (self._head == "multilabel"):
            raise ValueError(f"y is {'an indicator matrix' if multilabel else 'labels'}, but the network was "
                             f"fitted on {'an indicator matrix' if not multilabel else 'labels'}")
        if multilabel:
            if y.shape[1] != len(self.classes_):
                raise ValueError(f"y must have {len(self.classes_)} labels per row as in the first fit, "
                                 f"got {y.shape[1]}")
            return np.asarray(y, dtype=dtype)
        if not reset and classes is not None and not np.array_equal(np.unique(np.asarray(classes)), self.classes_):
            raise ValueError("`classes=%r` is not the same as on last call to partial_fit, was: %r"
                             % (classes, self.classes_))
        elif not reset and classes is None and self.warm_start and set(np.unique(y)) != set(self.classes_):
            raise ValueError("warm_start can only be used where `y` has the same classes as in the previous "
                             f"call to fit. Previously got {self.classes_}, `y` has {np.unique(y)}")
        if np.setdiff1d(y, self.classes_).size:
            raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has {self.classes_}. "
                             f"'y' has {np.unique(y)}.")
        index = np.searchsorted(self.classes_, y)
        return index.astype(dtype).reshape(-1, 1) if self._head == "logistic" else index

    # -- prediction -----------------------------------------------------------------------------
    def predict(self, X):
        """The most probable class of each row of X (for multilabel: the 0/1 matrix of labels above 0.5)."""
        scores = self._scores(X)
        if self._head == "multilabel":
            return (scores > 0).astype(np.int64)
        if self._head == "logistic":  # (with one class, that class whatever the score)
            return self.classes_[np.minimum(scores[:, 0] > 0, len(self.classes_) - 1).astype(np.int64)]
        return self.classes_[scores.argmax(axis=1)]

    def predict_proba(self, X):
        """Class probabilities (n_samples, n_classes), columns in the order of classes_ (multilabel:
        each label's own probability)."""
        scores = self._scores(X)
        if self._head == "softmax":
            return softmax(scores)
        # a sigmoid is never 0 or 1: values that rounded there are kept at the nearest floats inside
        p = np.clip(sigmoid(scores), np.finfo(scores.dtype).tiny, 1 - np.finfo(scores.dtype).epsneg)
        return np.hstack([1 - p, p]) if self._head == "logistic" else p

    def predict_log_proba(self, X):
        """log of predict_proba (through log_softmax for softmax outputs: stable)."""
        check_is_fitted(self, "model_")
        if self._head == "softmax":
            return log_softmax(self._scores(X))
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))


class ConvNetClassifier(MLPClassifier):
    """A conv net behind scikit-learn's interface: MLPClassifier's parameters, methods and attributes,
    with `framework.network.conv_net` as the network.

    X stays (n_samples, n_features) as scikit-learn wants it; each row is reshaped to `image_shape`
    (C, H, W) for the network; image_shape=None takes a square gray image when n_features is a square
    (digits: (1, 8, 8)), else a one-pixel-high image (1, 1, n_features). filters: channels of each 3x3 (`kernel_size`)
    convolution, a 2x2 pooling after every second; hidden_layer_sizes: one Affine size after them.
    `activation`, `dropout`, `batchnorm` and `weight_init` do not apply (ReLU, He init). coefs_
    holds the filters (FN, C, FH, FW) first, then the Affine weights.
    """

    def __init__(self, image_shape=None, filters=(32, 32), kernel_size=3, hidden_layer_sizes=(100,), *,
                 solver="adam", alpha=0.0001, batch_size="auto", learning_rate="constant", learning_rate_init=0.001,
                 power_t=0.5, max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False,
                 warm_start=False, momentum=0.9, nesterovs_momentum=True, early_stopping=False,
                 validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10,
                 max_fun=15000, dtype=None, progress=0, binary_output="logistic", threads=None):
        _store_arguments(self, locals())

    # MLPClassifier's settings that a conv net does not take: fixed, and not parameters.
    activation, dropout, batchnorm, weight_init = "relu", 0.0, False, "he"
    _accept_sparse = False  # images: a conv layer needs dense arrays

    def _shape(self, n_features):
        if self.image_shape is None:  # a square gray image where one fits (digits: 1x8x8), else one row of pixels
            side = int(round(np.sqrt(n_features)))
            return (1, side, side) if side * side == n_features else (1, 1, n_features)
        shape = tuple(self.image_shape)
        if len(shape) != 3 or int(np.prod(shape)) != n_features:
            raise ValueError(f"image_shape must be (C, H, W) with C*H*W = the {n_features} features of X, "
                             f"got {self.image_shape!r}")
        return shape

    def _build_network(self, n_features, sizes, weight_init, rng, dtype):
        if len(sizes) != 1:
            raise ValueError(f"hidden_layer_sizes must hold one size for ConvNetClassifier, got {sizes}")
        model = conv_net(self._shape(n_features), filters=tuple(self.filters), kernel_size=self.kernel_size,
                         hidden_size=sizes[0], output_size=self._output_size(), seed=rng, dtype=dtype,
                         loss=self.loss_name)
        model.weight_decay, model.weight_decay_per_sample = self.alpha, True
        return model

    def _network_input(self, X):
        return X.reshape((len(X),) + self._shape(X.shape[1]))

    def _settings(self, sizes, dtype):
        """What the conv network is built from: a change between warm fits is refused."""
        return (None if self.image_shape is None else tuple(self.image_shape), tuple(self.filters), self.kernel_size,
                tuple(sizes), np.dtype(dtype).name)

    def _check_same_network(self, sizes):
        now = self._settings(sizes, self.model_.dtype if self.dtype is None else check_dtype(self.dtype))
        if now != getattr(self, "_network_settings", now):
            raise ValueError("image_shape, filters, kernel_size, hidden_layer_sizes or dtype changed since the network "
                             "was fitted; warm_start and partial_fit continue the same network: set warm_start=False")

    def _initialize(self, n_features, sizes, dtype):
        super()._initialize(n_features, sizes, dtype)
        self._network_settings = self._settings(sizes, self.model_.dtype)


class MLPRegressor(RegressorMixin, _MLPEstimator):
    """Multilayer perceptron regressor with scikit-learn's interface (sklearn.neural_network.MLPRegressor).

    Squared error on an identity output layer; y is (n_samples,) or (n_samples, n_outputs); score is
    R^2; early_stopping watches R^2 on the held-out samples, as scikit-learn's. The same parameters as
    MLPClassifier (our solvers, dropout, batchnorm, dtype, progress too) plus `loss`. Differences, one
    line each: loss="poisson" refuses negative y (scikit-learn trains on it, and its deviance is then
    meaningless); with several outputs
    loss_ sums the squared errors over the outputs (scikit-learn averages them, while its gradient
    sums them, as ours); weights start from He/Xavier normal draws.
    """

    _regression = True

    @property
    def loss_name(self):
        return "poisson" if self.loss == "poisson" else "squared_error"

    @property
    def out_activation(self):
        """scikit-learn's out_activation_: exp for the Poisson loss, else identity."""
        return "exp" if self.loss == "poisson" else "identity"

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
                 batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False, warm_start=False,
                 momentum=0.9, nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000, loss="squared_error",
                 dropout=0.0, batchnorm=False, weight_init="glorot_uniform", dtype=None, progress=0, threads=None):
        _store_arguments(self, locals())

    def _output_size(self):
        return self.n_outputs_

    def _validation_score(self, logs):
        """R^2 on the held-out samples, weighted by their sample_weight: the score scikit-learn's regressor
        stops on."""
        x_val, t_val = self._validation_set
        predicted = self._outputs(self.model_.predict(x_val)).reshape(t_val.shape)
        return _r2_score(t_val, predicted, self._validation_weight)

    def _training_targets(self, y, classes, reset, dtype):
        """y as (n_samples, n_outputs) in X's dtype; n_outputs_ is set on a reset. A column y (n, 1) is
        one output, raveled with scikit-learn's DataConversionWarning."""
        if np.ndim(y) == 2 and np.shape(y)[1] == 1:
            warnings.warn("A column-vector y was passed when a 1d array was expected. Please change the shape "
                          "of y to (n_samples,), for example using ravel().", DataConversionWarning, stacklevel=4)
            y = np.ravel(y)
        t = np.asarray(y, dtype=dtype)
        t = t.reshape(len(t), -1)
        if self.loss == "poisson" and (t < 0).any():
            raise ValueError(f"y must be >= 0 for loss='poisson' (counts or rates), got {t[t < 0][0].item()!r}")
        if reset:
            self.n_outputs_, self._y_is_1d = t.shape[1], np.ndim(y) == 1
        elif t.shape[1] != self.n_outputs_:
            raise ValueError(f"y must have {self.n_outputs_} outputs as in the first fit, got {t.shape[1]}")
        return t

    # -- fitting --------------------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Train on X (n_samples, n_features) and real targets y for up to max_iter epochs."""
        return self._fit(X, y, sample_weight, classes=None, incremental=False)

    @available_if(_stochastic)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over (X, y), continuing the network of earlier calls."""
        return self._fit(X, y, sample_weight, classes=None, incremental=True)

    # -- prediction -----------------------------------------------------------------------------
    def predict(self, X):
        """The network's outputs: (n_samples,) when y had one column, else (n_samples, n_outputs);
        exp of them for the Poisson loss."""
        out = self._outputs(self._scores(X))
        return out[:, 0] if self.n_outputs_ == 1 else out

    def _outputs(self, scores):
        """The network's scores as predictions: exp of them for the Poisson loss (its log link), else as they are."""
        return self.model_.loss_layer.predictions(scores)


def _real_targets(y):
    """A regressor's y as an array of real numbers: an object array of numbers converted, strings,
    complex numbers and other objects refused naming y."""
    t = np.asarray(y)
    if t.dtype.kind == "O":  # numbers in a list of objects, as scikit-learn takes them
        bad = next((v for v in t.ravel() if isinstance(v, (str, bytes)) or not _converts_to_float(v)), None)
        if bad is not None:
            raise TypeError(f"y must hold real numbers (a regression's targets), got {bad!r} among them")
        return t.astype(np.float64)
    if t.dtype.kind == "c":  # scikit-learn's words, which its estimator checks look for
        raise ValueError(f"y must hold real numbers (a regression's targets): Complex data not supported, "
                         f"got an array of dtype {t.dtype}")
    if t.dtype.kind not in "biuf":
        raise TypeError(f"y must hold real numbers (a regression's targets), got an array of dtype {t.dtype}"
                        + ("; for class labels use MLPClassifier" if t.dtype.kind in "US" else ""))
    return y


def _converts_to_float(value):
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
