"""Every public entry point answers bad input with a clear error: the exception type, and a
message that names the argument, what was expected and what was received."""
import numpy as np
import pytest

from framework import checkpoint as checkpoints, datasets, functions as F, layers as L, optimizers as O, schedules
from framework.callbacks import EarlyStopping, ModelCheckpoint
from framework.history import History
from framework.network import MLP, Sequential
from framework.training import fit

Y = np.array([[0.1, 0.8, 0.1], [0.7, 0.2, 0.1]])
X4 = np.random.default_rng(0).normal(size=(6, 4))
T4 = np.array([0, 1, 0, 1, 0, 1])


def net():
    return MLP(4, [3], 2, seed=0)


def affine():
    return L.Affine(np.zeros((3, 2)), np.zeros(2))


def batchnorm():
    return L.BatchNormalization(np.ones(3), np.zeros(3))


def not_a_checkpoint(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.zeros(2))
    return checkpoints.load(path)


def set_wrong_shape():
    net().params["W1"] = np.zeros((3, 4))


# (what, call, exception, fragments the message must contain: argument, expected, received)
CASES = [
    # functions
    ("y 3-D", lambda: F.cross_entropy(np.ones((2, 2, 2)) / 2, [0, 1]), ValueError, ["y must be", "1-D or 2-D", "(2, 2, 2)"]),
    ("y with NaN", lambda: F.cross_entropy(np.array([[np.nan, 1.0]]), [0]), ValueError, ["y must be finite", "1 NaN"]),
    ("y empty", lambda: F.cross_entropy(np.zeros((0, 3)), []), ValueError, ["y must not be empty", "(0, 3)"]),
    ("y of strings", lambda: F.cross_entropy(["a", "b"], [0]), TypeError, ["y must be a numeric array", "<U1"]),
    ("y not probabilities", lambda: F.cross_entropy(np.array([[2.0, -1.0]]), [0]), ValueError, ["y must hold probabilities in [0, 1]", "-1.0"]),
    ("t longer than y", lambda: F.cross_entropy(Y, [0, 1, 2]), ValueError, ["t must have one entry per sample", "expected 2", "got 3"]),
    ("t out of range", lambda: F.cross_entropy(Y, [0, 3]), ValueError, ["t must hold labels in [0, 2]", "got 3"]),
    ("t negative", lambda: F.cross_entropy(Y, [-1, 0]), ValueError, ["t must hold labels in [0, 2]", "got -1"]),
    ("labels start at 1", lambda: F.cross_entropy(Y, [1, 3]), ValueError, ["t must hold labels in [0, 2]", "got 3", "start at 1"]),
    ("t non-integer", lambda: F.cross_entropy(Y, [1.5, 0.0]), ValueError, ["t must hold integer class labels", "1.5"]),
    ("t strings", lambda: F.cross_entropy(Y, ["a", "b"]), TypeError, ["t must be integer class labels or one-hot rows", "<U1"]),
    ("t a column", lambda: F.cross_entropy(Y, [[0], [1]]), ValueError, ["t must be labels of shape (2,)", "(2, 3)", "column of shape (2, 1)"]),
    ("t not one-hot", lambda: F.cross_entropy(Y, [[1, 1, 0], [0, 1, 0]]), ValueError, ["t looks one-hot", "row 0 is [1, 1, 0]", "a single 1"]),
    ("t one-hot of the wrong width", lambda: F.cross_entropy(Y, np.eye(4)[:2]), ValueError, ["t must be labels of shape (2,)", "(2, 3)", "got shape (2, 4)"]),
    ("scores with inf", lambda: F.softmax_cross_entropy(np.array([[np.inf, 0.0]]), [0]), ValueError, ["x must be finite", "infinite"]),
    ("one_hot label too big", lambda: F.one_hot([0, 3], 3), ValueError, ["labels must hold labels in [0, 2]", "got 3"]),
    ("numerical_gradient of a list", lambda: F.numerical_gradient(lambda v: 0.0, [1.0]), TypeError, ["x must be a float numpy array", "list"]),
    # layers
    ("Affine W 1-D", lambda: L.Affine(np.zeros(3), np.zeros(3)), ValueError, ["W of shape (D, M)", "b of shape (M,)", "W (3,)"]),
    ("Affine b wrong size", lambda: L.Affine(np.zeros((3, 2)), np.zeros(3)), ValueError, ["b of shape (M,)", "b (3,)"]),
    ("Affine integer W", lambda: L.Affine(np.zeros((3, 2), int), np.zeros(2, int)), TypeError, ["W and b must share one float dtype", "int64"]),
    ("Affine wrong feature count", lambda: affine().forward(np.zeros((2, 4))), ValueError, ["x must have 3 features per sample", "(2, 4)"]),
    ("Dropout ratio 1", lambda: L.Dropout(1.0), ValueError, ["ratio must be < 1", "got 1.0"]),
    ("Dropout ratio negative", lambda: L.Dropout(-0.1), ValueError, ["ratio must be >= 0", "got -0.1"]),
    ("Dropout ratio a string", lambda: L.Dropout("0.5"), TypeError, ["ratio must be a number", "'0.5'"]),
    ("BatchNormalization momentum", lambda: L.BatchNormalization(np.ones(3), np.zeros(3), momentum=1.5), ValueError, ["momentum must be <= 1", "1.5"]),
    ("BatchNormalization eps", lambda: L.BatchNormalization(np.ones(3), np.zeros(3), eps=0), ValueError, ["eps must be > 0", "got 0"]),
    ("BatchNormalization features", lambda: batchnorm().forward(np.zeros((4, 5))), ValueError, ["x must have 3 features", "(4, 5)"]),
    # networks
    ("MLP activation", lambda: MLP(4, [3], 2, activation="softplus"), ValueError, ["activation must be one of", "'relu'", "'softplus'"]),
    ("MLP dropout", lambda: MLP(4, [3], 2, dropout=1.5), ValueError, ["dropout must be < 1", "1.5"]),
    ("MLP input size float", lambda: MLP(4.5, [3], 2), TypeError, ["input_size must be an integer", "4.5"]),
    ("MLP hidden size 0", lambda: MLP(4, [0], 2), ValueError, ["hidden_sizes entries must be >= 1", "got 0"]),
    ("MLP dtype", lambda: MLP(4, [3], 2, dtype=np.int32), ValueError, ["dtype must be numpy.float32 or numpy.float64", "int32"]),
    ("MLP weight_init", lambda: MLP(4, [3], 2, weight_init="lecun"), ValueError, ["weight_init must be one of", "'he'", "'lecun'"]),
    ("MLP weight_decay", lambda: MLP(4, [3], 2, weight_decay=-1), ValueError, ["weight_decay must be >= 0", "-1"]),
    ("predict wrong feature count", lambda: net().predict(np.zeros((5, 3))), ValueError, ["x must have 4 features per sample", "(5, 3)"]),
    ("predict transposed batch", lambda: net().predict(np.zeros((4, 7))), ValueError, ["x must have 4 features per sample", "(4, 7)"]),
    ("predict one sample 1-D", lambda: net().predict(np.zeros(4)), ValueError, ["x must be a batch of shape (N, 4)", "(4,)", "reshape"]),
    ("predict NaN", lambda: net().predict(np.full((2, 4), np.nan)), ValueError, ["x must be finite", "8 NaN"]),
    ("predict empty", lambda: net().predict(np.zeros((0, 4))), ValueError, ["x must not be empty", "(0, 4)"]),
    ("loss t length", lambda: net().loss(np.zeros((5, 4)), [0, 1]), ValueError, ["t must have one entry per sample", "expected 5", "got 2"]),
    ("params wrong shape", set_wrong_shape, ValueError, ["params['W1'] must have shape (4, 3)", "(3, 4)"]),
    # optimizers and schedules
    ("SGD negative lr", lambda: O.SGD(lr=-0.1), ValueError, ["lr must be >= 0", "-0.1"]),
    ("Adam beta1 1", lambda: O.Adam(beta1=1.0), ValueError, ["beta1 must be < 1", "1.0"]),
    ("Momentum momentum 2", lambda: O.Momentum(momentum=2), ValueError, ["momentum must be <= 1", "2"]),
    ("clip_norm 0", lambda: O.SGD(clip_norm=0), ValueError, ["clip_norm must be > 0", "got 0"]),
    ("update with wrong grad shape", lambda: O.SGD().update({"W": np.zeros(2)}, {"W": np.zeros(3)}), ValueError, ["grads['W'] must have shape (2,)", "(3,)"]),
    ("update with a missing grad", lambda: O.SGD().update({"W": np.zeros(2)}, {}), ValueError, ["grads['W'] must have shape (2,)", "nothing"]),
    ("StepDecay step 0", lambda: schedules.StepDecay(0.1, step_size=0), ValueError, ["step_size must be >= 1", "got 0"]),
    # fit
    ("fit epochs -1", lambda: fit(net(), O.SGD(), X4, T4, epochs=-1), ValueError, ["epochs must be >= 0", "-1"]),
    ("fit batch size 0", lambda: fit(net(), O.SGD(), X4, T4, batch_size=0), ValueError, ["batch_size must be >= 1", "got 0"]),
    ("fit batch size float", lambda: fit(net(), O.SGD(), X4, T4, batch_size=2.5), TypeError, ["batch_size must be an integer", "2.5"]),
    ("fit validation_fraction 1", lambda: fit(net(), O.SGD(), X4, T4, validation_fraction=1.0), ValueError, ["validation_fraction must be < 1", "1.0"]),
    ("fit progress 5", lambda: fit(net(), O.SGD(), X4, T4, progress=5), ValueError, ["progress must be None, 0, 1 or 2", "5"]),
    ("fit one class", lambda: fit(net(), O.SGD(), X4, np.zeros(6, int)), ValueError, ["t must hold at least 2 classes", "only class 0", "6 samples"]),
    ("fit negative weights", lambda: fit(net(), O.SGD(), X4, T4, sample_weight=-np.ones(6)), ValueError, ["sample_weight must be >= 0", "-1.0"]),
    ("fit weights length", lambda: fit(net(), O.SGD(), X4, T4, sample_weight=np.ones(4)), ValueError, ["sample_weight must have one weight per sample", "expected 6", "got 4"]),
    ("fit validation_data single array", lambda: fit(net(), O.SGD(), X4, T4, validation_data=X4), ValueError, ["validation_data must be a pair (x_val, t_val)"]),
    ("fit labels as strings", lambda: fit(net(), O.SGD(), X4, np.array(list("ababab"))), TypeError, ["t must be integer class labels", "<U1"]),
    # datasets
    ("load_digits test_size", lambda: datasets.load_digits(test_size=1.5), ValueError, ["test_size must be < 1", "1.5"]),
    ("load_digits dtype", lambda: datasets.load_digits(dtype=int), ValueError, ["dtype must be numpy.float32 or numpy.float64", "int"]),
    ("load_digits normalize", lambda: datasets.load_digits(normalize="minmax"), ValueError, ["normalize must be True, False or 'standard'", "'minmax'"]),
]


def big_weights():
    from framework.network import Sequential
    return Sequential([L.Affine(np.full((4, 2), 10.0), np.zeros(2))])


def estimator(**params):
    from framework import MLPClassifier
    return MLPClassifier(max_iter=2, **params)


def warm_refit_in_float32():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = estimator(warm_start=True).fit(X4, T4)
    fitted.set_params(dtype=np.float32).fit(X4, T4)


def terminal(*args, **kwargs):
    from framework.terminal import terminal_curve
    return terminal_curve(*args, **kwargs)


# Grouped by the kind of input each row guards.
CASES += [
    # objects of the wrong kind where a model, optimizer, callbacks or data belong
    ("fit x None", lambda: fit(net(), O.SGD(), None, T4), TypeError, ["x must be a numeric array", "got None"]),
    ("fit t None", lambda: fit(net(), O.SGD(), X4, None), TypeError, ["t must be integer class labels", "got None"]),
    ("fit model None", lambda: fit(None, O.SGD(), X4, T4), TypeError, ["model must be a network", "None"]),
    ("fit optimizer class", lambda: fit(net(), O.Adam, X4, T4), TypeError, ["optimizer must be an optimizer instance", "create one: Adam(lr=...)"]),
    ("fit one callback, no list", lambda: fit(net(), O.SGD(), X4, T4, callbacks=EarlyStopping()), TypeError, ["callbacks must be a list", "callbacks=[...]"]),
    ("fit callback class", lambda: fit(net(), O.SGD(), X4, T4, callbacks=[EarlyStopping]), TypeError, ["callbacks must hold Callback instances"]),
    ("fit shuffle a string", lambda: fit(net(), O.SGD(), X4, T4, shuffle="no"), TypeError, ["shuffle must be True or False", "'no'"]),
    ("update integer arrays", lambda: O.SGD().update({"W": np.zeros(2, int)}, {"W": np.ones(2)}), TypeError, ["params['W'] must be a float numpy array", "int64"]),
    ("update lists", lambda: O.SGD().update({"W": [1.0, 2.0]}, {"W": [1.0, 1.0]}), TypeError, ["params['W'] must be a float numpy array", "list"]),
    ("update string grads", lambda: O.SGD().update({"W": np.zeros(2)}, {"W": np.array(["a", "b"])}), TypeError, ["grads['W'] must hold numbers", "<U1"]),
    ("update not dicts", lambda: O.SGD().update(np.zeros(2), np.zeros(2)), TypeError, ["params and grads must be dicts", "ndarray"]),
    ("set_weights unknown key", lambda: net().set_weights({"params": {"W9": np.zeros(2)}}), ValueError, ["no entry 'W9'", "W1, b1, W2, b2"]),
    ("set_weights NaN", lambda: net().set_weights({"params": {"b1": np.full(3, np.nan)}}), ValueError, ["weights['params']['b1'] must be finite"]),
    ("set_weights not a dict", lambda: net().set_weights([1]), ValueError, ["weights must be a dict with 'params'", "list"]),
    ("MLP batchnorm a string", lambda: MLP(4, [3], 2, batchnorm="no"), TypeError, ["batchnorm must be True or False", "'no'"]),
    ("standardize 1-D", lambda: datasets.standardize(np.arange(4.0)), ValueError, ["x_train must be 2-D", "(4,)"]),
    ("standardize strings", lambda: datasets.standardize(np.array([["a"]])), TypeError, ["x_train must be a numeric array", "<U1"]),
    # seeds
    ("MLP seed negative", lambda: MLP(4, [3], 2, seed=-1), ValueError, ["seed must be an integer >= 0", "-1"]),
    ("MLP seed float", lambda: MLP(4, [3], 2, seed=0.5), TypeError, ["seed must be None, an integer >= 0 or a numpy Generator", "0.5"]),
    ("fit seed string", lambda: fit(net(), O.SGD(), X4, T4, seed="0"), TypeError, ["seed must be None", "'0'"]),
    ("load_digits seed negative", lambda: datasets.load_digits(seed=-2), ValueError, ["seed must be an integer >= 0", "-2"]),
    ("make_moons seed float", lambda: datasets.make_moons(seed=1.5), TypeError, ["seed must be None", "1.5"]),
    ("Dropout seed string", lambda: L.Dropout(0.5, seed="x"), TypeError, ["seed must be None", "'x'"]),
    # batch sizes
    ("accuracy batch_size -1", lambda: net().accuracy(X4, T4, batch_size=-1), ValueError, ["batch_size must be >= 1", "-1"]),
    ("evaluate batch_size 0", lambda: net().evaluate(X4, T4, batch_size=0), ValueError, ["batch_size must be >= 1", "got 0"]),
    # the book's helpers in framework.functions
    ("softmax empty", lambda: F.softmax(np.zeros((0, 3))), ValueError, ["x must not be empty", "(0, 3)"]),
    ("softmax strings", lambda: F.softmax(["a", "b"]), TypeError, ["x must be a numeric array", "<U1"]),
    ("softmax complex", lambda: F.softmax([1j, 2]), TypeError, ["x must be a numeric array", "complex128"]),
    ("softmax None", lambda: F.softmax(None), TypeError, ["x must be a numeric array", "got None"]),
    ("softmax inf row", lambda: F.softmax([[np.inf, 0.0]]), ValueError, ["x must be finite", "1 NaN or infinite"]),
    ("sigmoid NaN", lambda: F.sigmoid([np.nan]), ValueError, ["x must not hold NaN", "1 NaN"]),
    ("relu strings", lambda: F.relu("abc"), TypeError, ["x must be a numeric array", "str"]),
    ("one_hot 2-D labels", lambda: F.one_hot([[0, 1], [1, 0]]), ValueError, ["labels must be 1-D class labels", "(2, 2)"]),
    ("one_hot NaN label, classes counted", lambda: F.one_hot([0.0, np.nan]), ValueError, ["labels must hold integer class labels", "NaN"]),
    ("one_hot negative label, classes counted", lambda: F.one_hot([-2, -1]), ValueError, ["labels must hold labels >= 0, got -2"]),
    ("one_hot empty labels, classes counted", lambda: F.one_hot([]), ValueError, ["labels must not be empty"]),
    ("one_hot num_classes 0", lambda: F.one_hot([0], 0), ValueError, ["num_classes must be >= 1", "got 0"]),
    ("one_hot num_classes 2.5", lambda: F.one_hot([0], 2.5), TypeError, ["num_classes must be an integer", "2.5"]),
    ("numerical_gradient h 0", lambda: F.numerical_gradient(lambda v: 0.0, np.ones(2), h=0), ValueError, ["h must be > 0", "got 0"]),
    ("numerical_gradient f an array", lambda: F.numerical_gradient(lambda v: v * 2, np.ones(2)), TypeError, ["f must return a number", "shape (2,)"]),
    ("numerical_gradient f not callable", lambda: F.numerical_gradient(3.0, np.ones(2)), TypeError, ["f must be a function of x", "3.0"]),
    ("cross_entropy delta negative", lambda: F.cross_entropy(Y, [0, 1], delta=-1), ValueError, ["delta must be >= 0", "-1"]),
    ("loss beyond float64", lambda: F.softmax_cross_entropy([[1e308, -1e308]], [1]), ValueError, ["the loss overflows float64", "-1e+308"]),
    # values reported as the user gave them
    ("label 1e20", lambda: F.cross_entropy(Y, [0.0, 1e20]), ValueError, ["t must hold labels in [0, 2]", "got 1e+20"]),
    ("label huge uint64", lambda: F.cross_entropy(Y, np.array([0, 2 ** 64 - 1], dtype=np.uint64)), ValueError, ["got 18446744073709551615"]),
    ("float64 beyond float32", lambda: MLP(4, [3], 2, dtype=np.float32).predict(np.full((1, 4), 1e300)), ValueError, ["x holds finite values beyond float32's range", "1e+300", "3.4e+38"]),
    ("scores overflow", lambda: big_weights().predict_proba(np.full((2, 4), 1e308)), ValueError, ["scores overflowed float64 for 2 of 2 rows", "1e+308", "scale the inputs"]),
    ("validation_fraction too small", lambda: fit(net(), O.SGD(), X4, T4, validation_fraction=0.01), ValueError, ["validation_fraction=0.01 holds out 1 of 6 samples"]),
    ("stratified_split nonsense 3-D", lambda: datasets.stratified_split(np.zeros((2, 2, 2)), 0.5), ValueError, ["t must be labels of shape (N,)", "(2, 2, 2)"]),
    # schedules, curves, histories
    ("ExponentialDecay overflow", lambda: schedules.ExponentialDecay(0.1, gamma=2)(3000), ValueError, ["at epoch 3000", "beyond float range", "gamma nearer 1"]),
    ("terminal_curve width 0", lambda: terminal([1.0, 2.0], width=0), ValueError, ["width must be >= 2", "got 0"]),
    ("terminal_curve height 1", lambda: terminal([1.0, 2.0], height=1), ValueError, ["height must be >= 3", "got 1"]),
    ("History.from_dict strings", lambda: History.from_dict({"loss": ["a"]}), TypeError, ["history['loss'] must be a list of numbers", "['a']"]),
    ("History.from_dict lengths", lambda: History.from_dict({"loss": [1.0], "accuracy": []}), ValueError, ["one length", "'loss': 1", "'accuracy': 0"]),
    ("History.from_dict not a dict", lambda: History.from_dict([1]), TypeError, ["history must be a dict of lists", "list"]),
    # networks and callbacks built from the wrong pieces
    ("MLP hidden sizes a string", lambda: MLP(4, "100", 2), TypeError, ["hidden_sizes must be an integer or a list", "'100'"]),
    ("MLP one output", lambda: MLP(4, [3], 1), ValueError, ["output_size must be >= 2", "got 1"]),
    ("Sequential of None", lambda: Sequential(None), TypeError, ["layers must be a list of layers", "None"]),
    ("Sequential with a string layer", lambda: Sequential([L.ReLU(), "relu"]), TypeError, ["layers[1] must be a layer instance", "'relu'"]),
    ("Sequential with a layer class", lambda: Sequential([L.ReLU]), TypeError, ["layers[0] must be a layer instance", "ReLU"]),
    ("ModelCheckpoint missing folder", lambda: ModelCheckpoint("/nonexistent/run.npz"), FileNotFoundError, ["ModelCheckpoint path", "/nonexistent", "does not exist"]),
    ("Dropout on integers", lambda: L.Dropout(0.5, seed=0).forward(np.ones((2, 2), int)), TypeError, ["Dropout needs a float array x", "int64"]),
    # the scikit-learn estimator
    ("estimator hidden_layer_sizes None", lambda: estimator(hidden_layer_sizes=None).fit(X4, T4), TypeError, ["The 'hidden_layer_sizes' parameter of MLPClassifier must be an array-like or an int in the range [1, inf)", "Got None instead"]),
    ("estimator early stopping without a split", lambda: estimator(early_stopping=True, validation_fraction=0).fit(X4, T4), ValueError, ["validation_fraction must be > 0 when early_stopping=True"]),
    ("estimator warm start in another dtype", warm_refit_in_float32, ValueError, ["dtype changed since the network was fitted", "'float64' -> 'float32'", "warm_start=False"]),
]


@pytest.mark.parametrize("what, call, exception, fragments", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gives_a_clear_error(what, call, exception, fragments):
    with pytest.raises(exception) as info:
        call()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{what}: {fragment!r} not in {message!r}"


def test_the_table_is_large_and_distinct():
    assert len(CASES) >= 110
    assert len({c[0] for c in CASES}) == len(CASES)


def test_a_file_that_is_not_ours(tmp_path):
    with pytest.raises(checkpoints.CheckpointError, match="is not a framework checkpoint .no __framework__ entry."):
        not_a_checkpoint(tmp_path)


def test_estimator_errors_name_the_problem():
    pytest.importorskip("sklearn")
    from framework import MLPClassifier
    from sklearn.utils._param_validation import InvalidParameterError
    with pytest.raises(InvalidParameterError, match=r"The 'alpha' parameter of MLPClassifier must be a float in the "
                                                    r"range \[0(\.0)?, inf\)\. Got -1 instead\."):
        MLPClassifier(alpha=-1).fit(X4, T4)
    fitted = MLPClassifier(max_iter=5, random_state=0).fit(X4, T4)
    with pytest.raises(ValueError, match="X has 3 features, but MLPClassifier is expecting 4 features"):
        fitted.predict(np.zeros((2, 3)))
