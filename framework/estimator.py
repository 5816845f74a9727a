"""`MLPClassifier` and `MLPRegressor`: our MLP behind scikit-learn's estimator interface, drop-ins for sklearn.neural_network's.

Same parameter names and meanings as scikit-learn's where they apply; in addition `dropout`,
`batchnorm`, `weight_init`, `dtype`, `progress` and the solvers "momentum", "nesterov", "adagrad",
"rmsprop", "adamw". Differences, one line each:
- the output layer is always softmax over all classes (scikit-learn uses one logistic unit for two
  classes), so `n_outputs_` is the number of classes and `out_activation_` is "softmax";
- weights start from He (ReLU) or Xavier (other activations) normal draws, biases at zero
  (scikit-learn: Glorot uniform for both);
- "sgd" follows torch.optim's momentum form (the same steps as scikit-learn's at a constant rate).
"""
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from . import optimizers
from .callbacks import Callback, Monitor
from .functions import log_softmax, softmax
from .network import MLP, conv_net
from .optimizers import OPTIMIZERS
from .training import Trainer, split_validation
from .validation import check_choice, check_dtype, check_number

#: scikit-learn's activation names and ours ("logistic" is our "sigmoid").
ACTIVATIONS = {"relu": "relu", "logistic": "sigmoid", "tanh": "tanh", "identity": "identity"}
SOLVERS = ("adam", "sgd") + tuple(name for name in OPTIMIZERS if name not in ("adam", "sgd"))
SGD_FAMILY = ("sgd", "momentum", "nesterov")


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

    def on_batch_begin(self, batch, logs):
        self.estimator.t_ += logs["size"]

    def on_epoch_end(self, epoch, logs):
        est, tracker = self.estimator, self.estimator._tracker
        est.n_iter_ += 1
        est.loss_curve_.append(logs["loss"])
        est.loss_ = logs["loss"]
        sgd = est.solver in SGD_FAMILY
        if sgd and est.learning_rate == "invscaling":
            self.optimizer.lr = est.learning_rate_init / (est.t_ + 1) ** est.power_t
        if est.early_stopping:
            score = est._validation_score(logs)
            tracker.update(epoch, {"val_score": score})
            est.validation_scores_.append(score)
            est.best_validation_score_ = tracker.best_value
            if tracker.best_epoch == epoch:
                est._best_weights = self.model.get_weights()
        else:
            tracker.update(epoch, logs)
            est.best_loss_ = tracker.best_value
        if tracker.wait > est.n_iter_no_change:
            if sgd and est.learning_rate == "adaptive" and self.optimizer.lr > 1e-6:
                self.optimizer.lr /= 5
                tracker.wait = 0
            else:
                self.stop_training = True


class _MLPEstimator(BaseEstimator):
    """What the classifier and the regressor share: parameters' checks, the network, the training run
    (framework.training.Trainer under scikit-learn's rules), coefs_ and intercepts_."""

    #: MLP's loss for the output layer, and scikit-learn's name for the output activation.
    loss_name, out_activation = "cross_entropy", "softmax"

    # -- checks ---------------------------------------------------------------------------------
    def _validate_params(self):
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, (int, np.integer)) and not isinstance(sizes, bool):
            sizes = [sizes]
        elif isinstance(sizes, (list, tuple, np.ndarray)):
            sizes = list(sizes)
        else:
            raise TypeError(f"hidden_layer_sizes must be an integer or a sequence of integers such as (100,), "
                            f"got {sizes!r}")
        for size in sizes:
            check_number(size, "hidden_layer_sizes entries", low=1, integer=True)
        check_choice(self.activation, "activation", tuple(ACTIVATIONS))
        check_choice(self.solver, "solver", SOLVERS)
        check_number(self.alpha, "alpha", low=0)
        if self.batch_size != "auto":
            check_number(self.batch_size, "batch_size", low=1, integer=True)
        check_choice(self.learning_rate, "learning_rate", ("constant", "invscaling", "adaptive"))
        check_number(self.learning_rate_init, "learning_rate_init", low=0, low_open=True)
        check_number(self.power_t, "power_t", low=0)
        check_number(self.max_iter, "max_iter", low=1, integer=True)
        check_number(self.tol, "tol", low=0)
        check_number(self.momentum, "momentum", low=0, high=1)
        check_number(self.validation_fraction, "validation_fraction", low=0, high=1, high_open=True)
        if self.early_stopping and self.validation_fraction == 0:
            raise ValueError("validation_fraction must be > 0 when early_stopping=True (it holds out the "
                             "validation set), got 0")
        check_number(self.beta_1, "beta_1", low=0, high=1, high_open=True)
        check_number(self.beta_2, "beta_2", low=0, high=1, high_open=True)
        check_number(self.epsilon, "epsilon", low=0, low_open=True)
        check_number(self.n_iter_no_change, "n_iter_no_change", low=1, integer=True)
        check_number(self.dropout, "dropout", low=0, high=1, high_open=True)
        check_dtype(self.dtype)
        check_choice(self.progress, "progress", (0, 1, 2, None, False, True))
        return sizes

    def _check_same_network(self, sizes):
        """warm_start and partial_fit keep the fitted network: settings that would change it are refused."""
        config = self.model_.config
        now = {"hidden_layer_sizes": [int(s) for s in sizes], "activation": ACTIVATIONS[self.activation],
               "dtype": np.dtype(check_dtype(self.dtype)).name, "dropout": float(self.dropout),
               "batchnorm": bool(self.batchnorm)}
        before = {"hidden_layer_sizes": config["hidden_sizes"], "activation": config["activation"],
                  "dtype": config["dtype"], "dropout": config["dropout"], "batchnorm": config["batchnorm"]}
        changed = [key for key in now if now[key] != before[key]]
        if changed:
            key = changed[0]
            raise ValueError(f"{key} changed since the network was fitted ({before[key]!r} -> {now[key]!r}); "
                             "warm_start and partial_fit continue the same network: set warm_start=False "
                             "(or call fit) to build a new one")

    def _make_optimizer(self):
        lr = self.learning_rate_init
        if self.solver == "sgd":
            if self.momentum == 0:
                return optimizers.SGD(lr=lr)
            kind = optimizers.Nesterov if self.nesterovs_momentum else optimizers.Momentum
            return kind(lr=lr, momentum=self.momentum)
        if self.solver in ("momentum", "nesterov"):
            kind = optimizers.Nesterov if self.solver == "nesterov" else optimizers.Momentum
            return kind(lr=lr, momentum=self.momentum)
        if self.solver in ("adam", "adamw"):
            kind = optimizers.Adam if self.solver == "adam" else optimizers.AdamW
            return kind(lr=lr, beta1=self.beta_1, beta2=self.beta_2, eps=self.epsilon)
        if self.solver == "adagrad":
            return optimizers.AdaGrad(lr=lr)
        return optimizers.RMSprop(lr=lr)

    def _initialize(self, n_features, sizes):
        weight_init = self.weight_init
        if weight_init == "auto":
            weight_init = "he" if self.activation == "relu" else "xavier"
        seeds = np.random.SeedSequence(check_random_state(self.random_state).randint(2 ** 31 - 1)).spawn(2)
        self.model_ = self._build_network(n_features, sizes, weight_init, np.random.default_rng(seeds[0]))
        self._rng = np.random.default_rng(seeds[1])  # shuffling and the validation split
        self._optimizer = self._make_optimizer()
        self.t_, self.n_iter_ = 0, 0
        self.loss_curve_ = []
        self.best_loss_ = np.inf
        self.validation_scores_ = [] if self.early_stopping else None
        self.best_validation_score_ = -np.inf if self.early_stopping else None
        self._tracker = Monitor("val_score", self.tol, rule="sklearn", higher_is_better=True) if self.early_stopping \
            else Monitor("loss", self.tol, rule="sklearn")
        self.n_layers_ = sum(1 for key in self.model_.params if key.startswith("W")) + 1
        self.n_outputs_ = self._output_size()
        self.out_activation_ = self.out_activation

    def _build_network(self, n_features, sizes, weight_init, rng):
        """The framework network this estimator trains (an MLP here; ConvNetClassifier builds a conv net)."""
        return MLP(n_features, sizes, self._output_size(), activation=ACTIVATIONS[self.activation],
                   weight_init=weight_init, dropout=self.dropout, batchnorm=self.batchnorm, seed=rng,
                   dtype=check_dtype(self.dtype), weight_decay=self.alpha, weight_decay_per_sample=True,
                   loss=self.loss_name)

    def _network_input(self, X):
        """X (n_samples, n_features) as the network takes it (rows here; images for ConvNetClassifier)."""
        return X

    # -- fitting --------------------------------------------------------------------------------
    def _fit(self, X, y, sample_weight, classes, incremental):
        sizes = self._validate_params()
        first_call = not hasattr(self, "model_")
        reset = first_call or not (incremental or self.warm_start)
        if not reset:
            self._check_same_network(sizes)
        X, y = validate_data(self, X, y, reset=reset, dtype=check_dtype(self.dtype), ensure_min_samples=1,
                             multi_output=self.out_activation == "identity",
                             y_numeric=self.out_activation == "identity")
        t = self._training_targets(y, classes, reset)
        if reset:
            self._initialize(X.shape[1], sizes)
        elif not incremental:  # warm_start: keep the weights, start a new optimizer as scikit-learn does
            self._optimizer = self._make_optimizer()
            self._tracker.wait = 0
        batch_size = min(200, len(X)) if self.batch_size == "auto" else min(self.batch_size, len(X))
        early_stopping = self.early_stopping and not incremental
        validation = None
        if early_stopping:
            X, t, sample_weight, validation = split_validation(X, t, sample_weight, self.validation_fraction,
                                                               self._rng)
            validation = (self._network_input(validation[0]), validation[1])
        self._validation_set = validation
        self.model_.weight_decay = self.alpha  # set_params may have changed it since the last fit
        rules = _SklearnRules(self)
        # partial_fit and warm_start continue the same history.
        trainer = Trainer(self.model_, self._optimizer, self._network_input(X), t, batch_size=batch_size,
                          sample_weight=sample_weight,
                          validation_data=validation, rng=self._rng, shuffle=self.shuffle, callbacks=[rules],
                          progress=2 if self.verbose and not self.progress else self.progress,
                          history=None if reset else self.history_)
        epochs_before = trainer.history.epochs
        self.history_ = trainer.train(epochs_before + (1 if incremental else self.max_iter))
        if early_stopping and getattr(self, "_best_weights", None) is not None:
            self.model_.set_weights(self._best_weights)
        if not incremental and not rules.stop_training and self.history_.epochs - epochs_before == self.max_iter:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                          "optimization hasn't converged yet.", ConvergenceWarning, stacklevel=3)
        if self.early_stopping:
            self.best_loss_ = None
        return self

    # -- fitted attributes scikit-learn users read ----------------------------------------------
    @property
    def coefs_(self):
        check_is_fitted(self, "model_")
        return [self.model_.params[f"W{i}"] for i in range(1, self.n_layers_)]

    @property
    def intercepts_(self):
        check_is_fitted(self, "model_")
        return [self.model_.params[f"b{i}"] for i in range(1, self.n_layers_)]

    # -- prediction -----------------------------------------------------------------------------
    def _scores(self, X):
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=check_dtype(self.dtype))
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
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, dropout=0.0, batchnorm=False,
                 weight_init="auto", dtype=np.float64, progress=0):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.dropout = dropout
        self.batchnorm = batchnorm
        self.weight_init = weight_init
        self.dtype = dtype
        self.progress = progress

    def _output_size(self):
        return len(self.classes_)

    def _validation_score(self, logs):
        """The score early stopping watches: accuracy on the held-out samples (scikit-learn's)."""
        return logs["val_accuracy"]

    # -- fitting --------------------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Train on X (n_samples, n_features) and labels y for up to max_iter epochs."""
        return self._fit(X, y, sample_weight, classes=None, incremental=False)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over (X, y); `classes` (every label that will ever appear) is needed on the first call."""
        if not hasattr(self, "model_") and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit "
                             "(all the labels that will appear, e.g. classes=np.unique(y_all))")
        return self._fit(X, y, sample_weight, classes=classes, incremental=True)

    def _training_targets(self, y, classes, reset):
        """y as the network trains on it: class indices into classes_ (set on a reset)."""
        check_classification_targets(y)
        if reset:
            labels = np.unique(y) if classes is None else np.unique(np.asarray(classes))
            if len(labels) < 2:
                raise ValueError(f"MLPClassifier needs at least 2 classes in y, got 1 class: {labels.tolist()}")
            self.classes_ = labels
        elif classes is not None and not np.array_equal(np.unique(np.asarray(classes)), self.classes_):
            raise ValueError(f"classes={classes!r} differs from the classes of the first partial_fit call, "
                             f"{self.classes_.tolist()}")
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(f"y holds labels {unknown.tolist()} not in classes_ {self.classes_.tolist()}")
        return np.searchsorted(self.classes_, y)

    # -- prediction -----------------------------------------------------------------------------
    def predict(self, X):
        """The most probable class of each row of X."""
        scores = self._scores(X)
        return self.classes_[scores.argmax(axis=1)]

    def predict_proba(self, X):
        """Class probabilities (n_samples, n_classes), columns in the order of classes_."""
        return softmax(self._scores(X))

    def predict_log_proba(self, X):
        """log of predict_proba, computed stably through log_softmax."""
        return log_softmax(self._scores(X))


class ConvNetClassifier(MLPClassifier):
    """A conv net behind scikit-learn's interface: MLPClassifier's parameters, methods and attributes,
    with `framework.network.conv_net` as the network.

    X stays (n_samples, n_features) as scikit-learn wants it; each row is reshaped to `image_shape`
    (C, H, W) for the network (digits: (1, 8, 8)). filters: channels of each 3x3 (`kernel_size`)
    convolution, a 2x2 pooling after every second; hidden_layer_sizes: one Affine size after them.
    `activation`, `dropout`, `batchnorm` and `weight_init` do not apply (ReLU, He init). coefs_
    holds the filters (FN, C, FH, FW) first, then the Affine weights.
    """

    def __init__(self, image_shape=(1, 8, 8), filters=(32, 32), kernel_size=3, hidden_layer_sizes=(100,), *,
                 solver="adam", alpha=0.0001, batch_size="auto", learning_rate="constant", learning_rate_init=0.001,
                 power_t=0.5, max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False,
                 warm_start=False, momentum=0.9, nesterovs_momentum=True, early_stopping=False,
                 validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10,
                 dtype=np.float64, progress=0):
        super().__init__(hidden_layer_sizes=hidden_layer_sizes, solver=solver, alpha=alpha, batch_size=batch_size,
                         learning_rate=learning_rate, learning_rate_init=learning_rate_init, power_t=power_t,
                         max_iter=max_iter, shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose,
                         warm_start=warm_start, momentum=momentum, nesterovs_momentum=nesterovs_momentum,
                         early_stopping=early_stopping, validation_fraction=validation_fraction, beta_1=beta_1,
                         beta_2=beta_2, epsilon=epsilon, n_iter_no_change=n_iter_no_change, dtype=dtype,
                         progress=progress)
        self.image_shape = image_shape
        self.filters = filters
        self.kernel_size = kernel_size

    def _shape(self, n_features):
        shape = tuple(self.image_shape)
        if len(shape) != 3 or int(np.prod(shape)) != n_features:
            raise ValueError(f"image_shape must be (C, H, W) with C*H*W = the {n_features} features of X, "
                             f"got {self.image_shape!r}")
        return shape

    def _build_network(self, n_features, sizes, weight_init, rng):
        if len(sizes) != 1:
            raise ValueError(f"hidden_layer_sizes must hold one size for ConvNetClassifier, got {sizes}")
        model = conv_net(self._shape(n_features), filters=tuple(self.filters), kernel_size=self.kernel_size,
                         hidden_size=sizes[0], output_size=len(self.classes_), seed=rng, dtype=check_dtype(self.dtype))
        model.weight_decay, model.weight_decay_per_sample = self.alpha, True
        return model

    def _network_input(self, X):
        return X.reshape((len(X),) + self._shape(X.shape[1]))

    def _check_same_network(self, sizes):
        now = (tuple(self.image_shape), tuple(self.filters), self.kernel_size, tuple(sizes),
               np.dtype(check_dtype(self.dtype)).name)
        if now != getattr(self, "_network_settings", now):
            raise ValueError("image_shape, filters, kernel_size, hidden_layer_sizes or dtype changed since the network "
                             "was fitted; warm_start and partial_fit continue the same network: set warm_start=False")

    def _initialize(self, n_features, sizes):
        super()._initialize(n_features, sizes)
        self._network_settings = (tuple(self.image_shape), tuple(self.filters), self.kernel_size, tuple(sizes),
                                  np.dtype(check_dtype(self.dtype)).name)


class MLPRegressor(RegressorMixin, _MLPEstimator):
    """Multilayer perceptron regressor with scikit-learn's interface (sklearn.neural_network.MLPRegressor).

    Squared error on an identity output layer; y is (n_samples,) or (n_samples, n_outputs); score is
    R^2; early_stopping watches R^2 on the held-out samples, as scikit-learn's. The same parameters as
    MLPClassifier (our solvers, dropout, batchnorm, dtype, progress too) plus `loss`. Differences, one
    line each: only loss="squared_error" so far (scikit-learn also has "poisson"); with several outputs
    loss_ sums the squared errors over the outputs (scikit-learn averages them, while its gradient
    sums them, as ours); weights start from He/Xavier normal draws.
    """

    loss_name, out_activation = "squared_error", "identity"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # y may have several columns
        return tags

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
                 batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False, warm_start=False,
                 momentum=0.9, nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, loss="squared_error", dropout=0.0,
                 batchnorm=False, weight_init="auto", dtype=np.float64, progress=0):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.loss = loss
        self.dropout = dropout
        self.batchnorm = batchnorm
        self.weight_init = weight_init
        self.dtype = dtype
        self.progress = progress

    def _output_size(self):
        return self.n_outputs_

    def _validation_score(self, logs):
        """R^2 on the held-out samples, the score scikit-learn's regressor stops on."""
        x_val, t_val = self._validation_set
        predicted = self.model_.predict(x_val)
        residual = ((t_val - predicted) ** 2).sum(axis=0)
        total = ((t_val - t_val.mean(axis=0)) ** 2).sum(axis=0)
        return float(np.mean(1 - residual / np.where(total == 0, 1, total)))

    def _training_targets(self, y, classes, reset):
        """y as (n_samples, n_outputs) in the network's dtype; n_outputs_ is set on a reset."""
        check_choice(self.loss, "loss", ("squared_error",))
        t = np.asarray(y, dtype=check_dtype(self.dtype))
        t = t.reshape(len(t), -1)
        if reset:
            self.n_outputs_, self._y_is_1d = t.shape[1], np.ndim(y) == 1
        elif t.shape[1] != self.n_outputs_:
            raise ValueError(f"y must have {self.n_outputs_} outputs as in the first fit, got {t.shape[1]}")
        return t

    # -- fitting --------------------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Train on X (n_samples, n_features) and real targets y for up to max_iter epochs."""
        return self._fit(X, y, sample_weight, classes=None, incremental=False)

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over (X, y), continuing the network of earlier calls."""
        return self._fit(X, y, sample_weight, classes=None, incremental=True)

    # -- prediction -----------------------------------------------------------------------------
    def predict(self, X):
        """The network's outputs: (n_samples,) when y had one column, else (n_samples, n_outputs)."""
        out = self._scores(X)
        return out[:, 0] if self.n_outputs_ == 1 else out
