import numpy as np
import pytest

from conftest import rel_error
from framework.layers import Affine, BatchNormalization, ReLU
from framework.network import MLP, Sequential


def data(rng, n=6, d=5, c=3, dtype=np.float64):
    return rng.normal(size=(n, d)).astype(dtype), rng.integers(0, c, size=n)


def assert_gradients_match(net, x, t, tol=1e-6):
    # Nonzero biases keep ReLU inputs off the kink at exactly 0 (a dead layer gives 0 + b = 0).
    bias_rng = np.random.default_rng(99)
    for key in net.params:
        if key.startswith("b"):
            net.params[key] = bias_rng.normal(size=net.params[key].shape) * 0.5
    numeric = net.numerical_gradient(x, t)
    analytic = net.gradient(x, t)
    assert set(numeric) == set(analytic) == set(net.params)
    for key in net.params:
        error = rel_error(analytic[key], numeric[key])
        # A gradient that is zero by construction (a bias before batchnorm) is compared absolutely.
        assert error < tol or np.abs(analytic[key] - numeric[key]).max() < 1e-9, (key, error)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_mlp_gradient_matches_numerical_for_each_activation(activation, rng):
    x, t = data(rng)
    net = MLP(5, [4, 3], 3, activation=activation, seed=0)
    assert_gradients_match(net, x, t)


def test_mlp_gradient_with_weight_decay_dropout_and_batchnorm(rng):
    x, t = data(rng, n=8)
    assert_gradients_match(MLP(5, [4], 3, weight_decay=0.1, seed=1), x, t)
    assert_gradients_match(MLP(5, [6, 4], 3, dropout=0.3, seed=2), x, t)
    assert_gradients_match(MLP(5, [4, 4], 3, batchnorm=True, seed=3), x, t, tol=1e-5)
    assert_gradients_match(MLP(5, [4], 3, batchnorm=True, dropout=0.2, weight_decay=0.05, seed=4), x, t, tol=1e-5)


def test_weight_decay_adds_half_lambda_squared_weights_to_loss(rng):
    x, t = data(rng)
    plain = MLP(5, [4], 3, seed=0)
    decayed = MLP(5, [4], 3, weight_decay=0.3, seed=0)
    penalty = 0.5 * 0.3 * sum(np.sum(decayed.params[k] ** 2) for k in ("W1", "W2"))
    assert decayed.loss(x, t) == pytest.approx(plain.loss(x, t) + penalty, rel=1e-12)
    grads_plain, grads_decayed = plain.gradient(x, t), decayed.gradient(x, t)
    np.testing.assert_allclose(grads_decayed["W1"], grads_plain["W1"] + 0.3 * decayed.params["W1"], rtol=1e-12)
    np.testing.assert_array_equal(grads_decayed["b1"], grads_plain["b1"])


def test_params_keys_follow_the_book():
    assert sorted(MLP(4, [3], 2, seed=0).params) == ["W1", "W2", "b1", "b2"]
    net = MLP(4, [3, 3], 2, batchnorm=True, seed=0)
    assert list(net.params) == ["W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2", "W3", "b3"]
    assert list(net.buffers) == ["running_mean1", "running_var1", "running_mean2", "running_var2"]


def test_params_view_updates_layers_in_place(rng):
    net = MLP(4, [3], 2, seed=0)
    layer_W = net.layers[0].params["W"]
    net.params["W1"] -= 1.0
    assert net.params["W1"] is layer_W
    new = rng.normal(size=(4, 3))
    net.params["W1"] = new
    np.testing.assert_array_equal(layer_W, new)
    with pytest.raises(ValueError, match=r"params\['W1'\] must have shape \(4, 3\)"):
        net.params["W1"] = np.zeros((3, 4))


def test_weight_init_scales(rng):
    he = MLP(400, [300], 10, weight_init="he", seed=0).params["W1"]
    xavier = MLP(400, [300], 10, weight_init="xavier", seed=0).params["W1"]
    small = MLP(400, [300], 10, weight_init=0.01, seed=0).params["W1"]
    assert he.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert xavier.std() == pytest.approx(np.sqrt(1 / 400), rel=0.02)
    assert small.std() == pytest.approx(0.01, rel=0.02)
    assert not MLP(400, [300], 10, seed=0).params["b1"].any()


def test_same_seed_same_weights_other_seed_other_weights():
    a, b, c = MLP(8, [5], 3, seed=3), MLP(8, [5], 3, seed=3), MLP(8, [5], 3, seed=4)
    for key in a.params:
        np.testing.assert_array_equal(a.params[key], b.params[key])
    assert not np.array_equal(a.params["W1"], c.params["W1"])


def test_float32_network_stays_float32(rng):
    x, t = data(rng, dtype=np.float32)
    net = MLP(5, [4], 3, batchnorm=True, dropout=0.1, seed=0, dtype=np.float32)
    assert all(p.dtype == np.float32 for p in net.params.values())
    assert net.predict(x).dtype == np.float32
    assert all(g.dtype == np.float32 for g in net.gradient(x, t).values())
    assert net.predict(x.astype(np.float64)).dtype == np.float32  # input converted to the model's dtype


def test_predict_accuracy_and_train_switch(rng):
    x, t = data(rng, n=20)
    net = MLP(5, [16], 3, dropout=0.5, seed=0)
    np.testing.assert_array_equal(net.predict(x), net.predict(x))  # inference is deterministic
    assert not np.array_equal(net.predict(x, train=True), net.predict(x, train=True))
    expected = np.mean(net.predict(x).argmax(axis=1) == t)
    assert net.accuracy(x, t) == expected
    assert net.accuracy(x, np.eye(3)[t]) == expected
    np.testing.assert_allclose(net.predict_proba(x).sum(axis=1), 1)


def test_sequential_from_layers_and_summary(rng):
    layers = [Affine(rng.normal(size=(4, 3)), np.zeros(3)), BatchNormalization(np.ones(3), np.zeros(3)), ReLU(),
              Affine(rng.normal(size=(3, 2)), np.zeros(2))]
    net = Sequential(layers)
    assert list(net.params) == ["W1", "b1", "gamma1", "beta1", "W2", "b2"]
    assert net.parameter_count == 4 * 3 + 3 + 3 + 3 + 3 * 2 + 2
    lines = []
    net.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "(None, 3)" in text and "(None, 2)" in text
    assert f"Total params: {net.parameter_count:,}" in text
    assert "Affine(4 -> 3" in repr(net)


def test_mlp_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="activation must be one of"):
        MLP(4, [3], 2, activation="softplus")
    with pytest.raises(ValueError, match="dropout must be < 1, got 1.5"):
        MLP(4, [3], 2, dropout=1.5)
    with pytest.raises(TypeError, match="input_size must be an integer"):
        MLP(4.5, [3], 2)
    with pytest.raises(ValueError, match="hidden_sizes entries must be >= 1, got 0"):
        MLP(4, [0], 2)
    with pytest.raises(ValueError, match="dtype must be numpy.float32 or numpy.float64"):
        MLP(4, [3], 2, dtype=np.int32)
    with pytest.raises(ValueError, match="weight_decay must be >= 0"):
        MLP(4, [3], 2, weight_decay=-1)


def test_wrong_feature_count_and_1d_input(rng):
    net = MLP(4, [3], 2, seed=0)
    with pytest.raises(ValueError, match=r"x must have 4 features per sample, got shape \(5, 3\)"):
        net.predict(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="reshape"):
        net.predict(np.zeros(4))
    with pytest.raises(ValueError, match="t must have one entry per sample: expected 5, got 4"):
        net.loss(np.zeros((5, 4)), [0, 1, 0, 1])


def test_the_books_dropout_is_chosen_when_the_network_is_built_and_saved_with_it(tmp_path):
    from framework import book, checkpoint as checkpoints
    from framework.layers import Dropout
    model = MLP(4, [3, 3], 2, dropout=0.5, inverted_dropout=False, seed=0)
    assert [layer.inverted for layer in model.layers if isinstance(layer, Dropout)] == [False, False]
    checkpoints.save(model, tmp_path / "m.npz")
    assert not any(layer.inverted for layer in checkpoints.load(tmp_path / "m.npz").layers if isinstance(layer, Dropout))
    extend = book.MultiLayerNetExtend(4, [3], 2, use_dropout=True, seed=0)
    checkpoints.save(extend, tmp_path / "book.npz")  # saved by the book's own arguments, loaded as the book's class
    loaded = checkpoints.load(tmp_path / "book.npz")
    assert type(loaded) is book.MultiLayerNetExtend and loaded.config["use_dropout"] is True
    assert not any(layer.inverted for layer in loaded.layers if isinstance(layer, Dropout))
    with pytest.raises(TypeError, match="inverted_dropout must be True or False"):
        MLP(4, [3], 2, inverted_dropout="no")


@pytest.mark.parametrize("shape, filters, kernel_size", [((1, 2, 2), (3, 2), 2), ((1, 1, 3), (4,), 2),
                                                          ((1, 3, 3), (2, 2, 2, 2), 2), ((2, 4, 1), (2, 2), 4)])
def test_a_conv_net_whose_convolutions_leave_no_pixels_is_refused_by_name(shape, filters, kernel_size):
    from framework.network import conv_net
    with pytest.raises(ValueError, match=r"convolution \d of \d \(kernel_size \d, pad \d\) leaves 0x\d+ pixels|"
                                         r"leaves \d+x0 pixels"):
        conv_net(shape, filters=filters, kernel_size=kernel_size)


def test_the_conv_estimator_on_too_few_features_for_its_kernel_is_refused_by_name():
    from framework.estimator import ConvNetClassifier
    x, t = np.random.default_rng(0).random((20, 4)), np.arange(20) % 2
    with pytest.raises(ValueError, match="leaves 0x0 pixels"):
        ConvNetClassifier(kernel_size=2).fit(x, t)


def test_a_conv_net_given_rows_names_the_inputs_shape_in_every_pass():
    from framework.network import conv_net
    net = conv_net((1, 8, 8), filters=(2,), hidden_size=4, output_size=3, seed=0)
    t = np.arange(360) % 3
    for x, hint in ((np.ones((360, 10)), ""), (np.ones((360, 64)), r"; rows of 64 pixels: x.reshape\(-1, 1, 8, 8\)"),
                    (np.ones((360, 1, 8, 9)), "")):
        shape = str(x.shape).replace("(", r"\(").replace(")", r"\)")
        for call in (net.predict, lambda x: net.accuracy(x, t), lambda x: net.evaluate(x, t)):
            with pytest.raises(ValueError, match=rf"x must be images of shape \(N, 1, 8, 8\) for this network, "
                                                 rf"got shape {shape}{hint}"):
                call(x)
    assert net.predict(np.ones((2, 1, 8, 8))).shape == (2, 3)
