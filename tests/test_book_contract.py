"""framework.book keeps the book's contract, not only its names: a network class written as the
chapters write theirs (an OrderedDict of framework.book's layers sharing the arrays of a `params`
dict, `load_params` assigning `layer.W`) trains on framework.book's Trainer, passes the gradient
check with the book's (1, 1) label, saves, loads and predicts; and each defect of that contract
found by a hostile pass has a test of its class here."""
import os
import pickle
import re
import warnings
from collections import OrderedDict

import numpy as np
import pytest

from framework import book
from framework.book import (Adam, Affine, BatchNormalization, Convolution, Dropout, Pooling, Relu, Sigmoid,
                            SoftmaxWithLoss, Trainer, col2im, im2col, numerical_gradient, read_params)


class ChapterConvNet:
    """A conv net as ch07/simple_convnet.py writes it (the book's code, on framework.book's layers;
    np.random swapped for a Generator so that the test is reproducible)."""

    def __init__(self, input_dim=(1, 8, 8), filter_num=4, filter_size=3, hidden_size=10, output_size=10,
                 weight_init_std=0.1, seed=0):
        rng = np.random.default_rng(seed)
        conv_output_size = (input_dim[1] - filter_size) + 1
        pool_output_size = int(filter_num * (conv_output_size / 2) * (conv_output_size / 2))
        self.params = {}
        self.params['W1'] = weight_init_std * rng.standard_normal((filter_num, input_dim[0], filter_size, filter_size))
        self.params['b1'] = np.zeros(filter_num)
        self.params['W2'] = weight_init_std * rng.standard_normal((pool_output_size, hidden_size))
        self.params['b2'] = np.zeros(hidden_size)
        self.params['W3'] = weight_init_std * rng.standard_normal((hidden_size, output_size))
        self.params['b3'] = np.zeros(output_size)
        self.layers = OrderedDict()
        self.layers['Conv1'] = Convolution(self.params['W1'], self.params['b1'], 1, 0)
        self.layers['Relu1'] = Relu()
        self.layers['Pool1'] = Pooling(pool_h=2, pool_w=2, stride=2)
        self.layers['Affine1'] = Affine(self.params['W2'], self.params['b2'])
        self.layers['Relu2'] = Relu()
        self.layers['Affine2'] = Affine(self.params['W3'], self.params['b3'])
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        y = self.predict(x)
        return self.last_layer.forward(y, t)

    def accuracy(self, x, t, batch_size=100):
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        acc = 0.0
        for i in range(int(x.shape[0] / batch_size)):
            tx = x[i * batch_size:(i + 1) * batch_size]
            tt = t[i * batch_size:(i + 1) * batch_size]
            y = np.argmax(self.predict(tx), axis=1)
            acc += np.sum(y == tt)
        return acc / x.shape[0]

    def numerical_gradient(self, x, t):
        loss_w = lambda w: self.loss(x, t)  # noqa: E731 (the book's)
        grads = {}
        for idx in (1, 2, 3):
            grads['W' + str(idx)] = numerical_gradient(loss_w, self.params['W' + str(idx)])
            grads['b' + str(idx)] = numerical_gradient(loss_w, self.params['b' + str(idx)])
        return grads

    def gradient(self, x, t):
        self.loss(x, t)
        dout = 1
        dout = self.last_layer.backward(dout)
        layers = list(self.layers.values())
        layers.reverse()
        for layer in layers:
            dout = layer.backward(dout)
        grads = {}
        grads['W1'], grads['b1'] = self.layers['Conv1'].dW, self.layers['Conv1'].db
        grads['W2'], grads['b2'] = self.layers['Affine1'].dW, self.layers['Affine1'].db
        grads['W3'], grads['b3'] = self.layers['Affine2'].dW, self.layers['Affine2'].db
        return grads

    def save_params(self, file_name="params.pkl"):
        params = {}
        for key, val in self.params.items():
            params[key] = val
        with open(file_name, 'wb') as f:
            pickle.dump(params, f)

    def load_params(self, file_name="params.pkl"):
        params = read_params(file_name)  # the book: pickle.load (ours reads arrays only)
        for key, val in params.items():
            self.params[key] = val
        for i, key in enumerate(['Conv1', 'Affine1', 'Affine2']):
            self.layers[key].W = self.params['W' + str(i + 1)]
            self.layers[key].b = self.params['b' + str(i + 1)]


@pytest.fixture(scope="module")
def digits():
    from framework.datasets import load_digits
    (x, t), (x_test, t_test) = load_digits(shape="images")
    return (x.astype(np.float64), t), (x_test.astype(np.float64), t_test)


def test_a_chapter_network_class_trains_on_the_book_trainer_saves_and_loads(digits, tmp_path):
    (x, t), (x_test, t_test) = digits
    network = ChapterConvNet()
    trainer = Trainer(network, x[:600], t[:600], x_test[:200], t_test[:200], epochs=3, mini_batch_size=50,
                      optimizer='Adam', optimizer_param={'lr': 0.01}, evaluate_sample_num_per_epoch=200,
                      verbose=False, seed=0)
    trainer.train()
    assert len(trainer.train_loss_list) == 3 * 12 and len(trainer.test_acc_list) == 3
    assert trainer.train_loss_list[-1] < trainer.train_loss_list[0] and trainer.test_acc_list[-1] > 0.5  # 0.1: chance
    # the optimizer updated params in place, and the layers hold those very arrays
    assert network.layers['Conv1'].W is network.params['W1'] and network.layers['Affine2'].b is network.params['b3']
    network.save_params(str(tmp_path / "params.pkl"))  # the book's own pickle.dump
    fresh = ChapterConvNet(seed=1)
    fresh.load_params(str(tmp_path / "params.pkl"))
    assert fresh.layers['Conv1'].W is fresh.params['W1']  # assigned, as the book's load_params assigns it
    np.testing.assert_array_equal(fresh.predict(x_test[:50]), network.predict(x_test[:50]))
    # and a loaded network trains on: the optimizer's in-place updates reach the layers
    before = fresh.predict(x_test[:5]).copy()
    Trainer(fresh, x[:100], t[:100], x_test[:100], t_test[:100], epochs=1, mini_batch_size=50, optimizer='SGD',
            verbose=False, seed=0).train()
    assert not np.array_equal(fresh.predict(x_test[:5]), before)


def test_two_runs_of_the_book_trainer_with_one_seed_are_bit_identical(digits):
    (x, t), _ = digits
    histories = []
    for _ in range(2):
        network = ChapterConvNet(seed=3)
        trainer = Trainer(network, x[:200], t[:200], x[:100], t[:100], epochs=2, mini_batch_size=50,
                          optimizer='Adam', verbose=False, seed=7)
        trainer.train()
        histories.append((trainer.train_loss_list, network.params['W1'].copy()))
    assert histories[0][0] == histories[1][0] and np.array_equal(histories[0][1], histories[1][1])


def test_the_book_trainer_keeps_our_own_networks_on_our_loop(digits):
    (x, t), _ = digits
    network = book.SimpleConvNet(input_dim=(1, 8, 8), conv_param={"filter_num": 4, "filter_size": 3, "pad": 0,
                                                                  "stride": 1}, hidden_size=10, seed=0)
    trainer = Trainer(network, x[:200], t[:200], x[:100], t[:100], epochs=1, mini_batch_size=50, verbose=False)
    assert type(trainer._run) is book.training.Trainer  # not the book-step adapter: today's speed
    trainer.train()
    assert len(trainer.train_loss_list) == 4


def test_the_chapter_gradient_check_with_the_books_one_by_one_label():
    network = ChapterConvNet(input_dim=(1, 6, 6), filter_num=3, hidden_size=5, weight_init_std=0.3, seed=2)
    X = np.random.default_rng(0).random(36).reshape((1, 1, 6, 6))
    T = np.array([1]).reshape((1, 1))  # ch07/gradient_check.py
    grad_num = network.numerical_gradient(X, T)
    grad = network.gradient(X, T)
    for key in grad_num:
        # central differences with h = 1e-4 in float64 agree to about h**2 times the third derivative;
        # the 1e-7 inside SoftmaxWithLoss's log moves b3 and W3 by about 1e-7 relative
        np.testing.assert_allclose(grad[key], grad_num[key], atol=1e-6, err_msg=key)


def test_a_network_that_is_not_the_books_nor_ours_is_refused_by_name():
    class Half:
        params = {}

        def loss(self, x, t):
            return 0.0

    with pytest.raises(TypeError, match=r"it lacks gradient, accuracy"):
        Trainer(Half(), np.zeros((4, 2)), np.zeros(4, int), np.zeros((4, 2)), np.zeros(4, int), verbose=False)


@pytest.mark.parametrize("bad, error", [(0, ValueError), (2.5, TypeError), ("10", TypeError), (-3, ValueError)])
def test_the_book_trainer_checks_its_arguments_by_the_books_names(bad, error):
    network = book.TwoLayerNet(4, 3, 2, seed=0)
    x, t = np.zeros((6, 4)), np.array([0, 1] * 3)
    with pytest.raises(error, match="evaluate_sample_num_per_epoch"):
        Trainer(network, x, t, x, t, evaluate_sample_num_per_epoch=bad, verbose=False)
    with pytest.raises(error, match="mini_batch_size"):
        Trainer(network, x, t, x, t, mini_batch_size=bad, verbose=False)


# -- the layers' book attributes ---------------------------------------------------------------------
def test_each_layer_carries_the_books_attributes_after_forward_and_backward():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 6))
    relu = Relu()
    out = relu.forward(x)
    relu.backward(np.ones_like(out))
    np.testing.assert_array_equal(relu.mask, x <= 0)
    sigmoid = Sigmoid()
    np.testing.assert_array_equal(sigmoid.forward(x), sigmoid.out)
    affine = Affine(rng.normal(size=(6, 3)), np.zeros(3))
    affine.backward(np.ones_like(affine.forward(x.reshape(4, 2, 3))))
    assert affine.original_x_shape == (4, 2, 3) and affine.x.shape == (4, 6)
    np.testing.assert_allclose(affine.dW, x.T @ np.ones((4, 3)))
    np.testing.assert_allclose(affine.db, np.full(3, 4.0))
    loss = SoftmaxWithLoss()
    value = loss.forward(x[:, :3], np.array([0, 1, 2, 0]))
    assert loss.loss == value and loss.y.shape == (4, 3) and list(loss.t) == [0, 1, 2, 0]
    dropout = Dropout(0.5, seed=0)
    kept = dropout.forward(x, True)
    assert dropout.dropout_ratio == 0.5 and dropout.mask.dtype == bool
    np.testing.assert_array_equal(kept, x * dropout.mask)
    bn = BatchNormalization(np.ones(6), np.zeros(6))
    bn.forward(x, True)
    assert bn.batch_size == 4 and bn.input_shape == (4, 6)
    np.testing.assert_allclose(bn.xc, x - x.mean(axis=0))
    np.testing.assert_allclose(bn.std, np.sqrt(x.var(axis=0) + 1e-6))
    np.testing.assert_allclose(bn.running_mean, 0.1 * x.mean(axis=0))
    images = rng.normal(size=(2, 1, 4, 4))
    conv = Convolution(rng.normal(size=(2, 1, 3, 3)), np.zeros(2))
    conv.forward(images)
    assert conv.x is images and conv.col.shape == (2 * 2 * 2, 9) and conv.col_W.shape == (9, 2)
    pool = Pooling(2, 2, stride=2)
    pool.forward(images)
    assert pool.arg_max.shape == (2 * 2 * 2 * 1,)


@pytest.mark.parametrize("make, name, key", [
    (lambda: Affine(np.zeros((3, 2)), np.zeros(2)), "W", ("params", "W")),
    (lambda: Affine(np.zeros((3, 2)), np.zeros(2)), "b", ("params", "b")),
    (lambda: Affine(np.zeros((3, 2)), np.zeros(2)), "dW", ("grads", "W")),
    (lambda: Convolution(np.zeros((2, 1, 3, 3)), np.zeros(2)), "W", ("params", "W")),
    (lambda: Convolution(np.zeros((2, 1, 3, 3)), np.zeros(2)), "db", ("grads", "b")),
    (lambda: BatchNormalization(np.ones(3), np.zeros(3)), "gamma", ("params", "gamma")),
    (lambda: BatchNormalization(np.ones(3), np.zeros(3)), "running_var", ("buffers", "running_var")),
])
def test_assigning_a_book_attribute_makes_the_layer_use_that_array_and_nothing_else_is_taken(make, name, key):
    layer = make()
    store, inner = key
    old = getattr(layer, store)[inner]
    new = np.full_like(old, 0.5)
    setattr(layer, name, new)
    assert getattr(layer, name) is new and getattr(layer, store)[inner] is new  # no copy: it aliases
    with pytest.raises(ValueError, match=rf"{type(layer).__name__}\.{name} must have shape"):
        setattr(layer, name, np.zeros(old.shape + (1,)))
    with pytest.raises(TypeError, match="dtype float64"):
        setattr(layer, name, new.astype(np.float32))
    with pytest.raises(TypeError, match="numpy array"):
        setattr(layer, name, new.tolist())
    assert getattr(layer, store)[inner] is new  # a refused value changes nothing


def test_a_layer_computes_with_the_weights_assigned_to_it():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    affine = Affine(rng.normal(size=(4, 2)), np.zeros(2))
    W = rng.normal(size=(4, 2))
    affine.W = W
    np.testing.assert_allclose(affine.forward(x), x @ W)
    images = rng.normal(size=(1, 1, 5, 5))
    conv = Convolution(np.zeros((1, 1, 3, 3)), np.zeros(1))
    conv.W = np.ones((1, 1, 3, 3))
    np.testing.assert_allclose(conv.forward(images)[0, 0, 0, 0], images[0, 0, :3, :3].sum())


LAYERS = [
    ("Relu", lambda: Relu(), (2, 3)), ("Sigmoid", lambda: Sigmoid(), (2, 3)),
    ("Affine", lambda: Affine(np.ones((3, 2)), np.zeros(2)), (2, 3)),
    ("BatchNormalization", lambda: BatchNormalization(np.ones(3), np.zeros(3)), (2, 3)),
    ("Convolution", lambda: Convolution(np.ones((2, 1, 3, 3)), np.zeros(2)), (2, 1, 4, 4)),
    ("Pooling", lambda: Pooling(2, 2), (2, 1, 4, 4)),
]


@pytest.mark.parametrize("name, make, shape", LAYERS, ids=[entry[0] for entry in LAYERS])
def test_backward_before_forward_or_with_a_dout_of_the_wrong_shape_is_refused_by_name(name, make, shape):
    kind = type(make()).__name__
    with pytest.raises(RuntimeError, match=rf"{kind}.backward needs a forward pass first"):
        make().backward(np.ones(shape))
    layer = make()
    out = layer.forward(np.random.default_rng(0).normal(size=shape).tolist())  # a list is taken as the book takes it
    with pytest.raises(ValueError, match=re.escape(f"dout must have the shape of {kind}'s last output {out.shape}")):
        layer.backward(np.ones(out.shape[:-1] + (out.shape[-1] + 1,)))


def test_the_loss_layers_backward_before_forward_is_refused_by_name():
    with pytest.raises(RuntimeError, match="SoftmaxWithLoss.backward needs a forward pass first"):
        SoftmaxWithLoss().backward()


@pytest.mark.parametrize("filter_size, image", [(1, 5), (5, 5)])
def test_im2col_returns_a_new_array_as_the_books_even_where_a_view_would_do(filter_size, image):
    x = np.arange(2 * 1 * image * image, dtype=float).reshape(2, 1, image, image)
    col = im2col(x, filter_size, filter_size)
    col[...] = -1  # writable, and writing into it leaves x alone
    assert x.min() == 0 and not np.shares_memory(col, x)


def test_col2im_with_columns_that_do_not_fit_the_input_shape_is_refused_by_name():
    with pytest.raises(ValueError, match=r"col must have shape \(8, 9\).*got \(8, 8\)"):
        col2im(np.zeros((8, 8)), (2, 1, 4, 4), 3, 3)


# -- save_params and load_params ---------------------------------------------------------------------
def test_two_names_never_share_one_file_and_each_name_reads_back_what_it_wrote(tmp_path):
    a, b = book.TwoLayerNet(4, 3, 2, seed=0), book.TwoLayerNet(4, 3, 2, seed=1)
    a.save_params(str(tmp_path / "net_lr0.1"))
    b.save_params(str(tmp_path / "net_lr0.01"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net_lr0.01", "net_lr0.1"]
    for name, source in (("net_lr0.1", a), ("net_lr0.01", b)):
        loaded = book.TwoLayerNet(4, 3, 2, seed=2)
        loaded.load_params(str(tmp_path / name))
        assert all(np.array_equal(loaded.params[k], source.params[k]) for k in source.params)


def test_load_params_reads_the_file_save_params_just_wrote_not_an_older_one_of_the_same_stem(tmp_path):
    # the book's flow: train_convnet.py saves params.pkl, visualize_filter.py loads params.pkl (which ch07 ships)
    shipped, trained = book.TwoLayerNet(4, 3, 2, seed=0), book.TwoLayerNet(4, 3, 2, seed=1)
    with open(tmp_path / "params.pkl", "wb") as f:
        pickle.dump({k: np.array(v) for k, v in shipped.params.items()}, f)
    (tmp_path / "params.npz").write_bytes(b"an older file of the same stem")
    trained.save_params(str(tmp_path / "params.pkl"))
    loaded = book.TwoLayerNet(4, 3, 2, seed=2)
    loaded.load_params(str(tmp_path / "params.pkl"))
    assert all(np.array_equal(loaded.params[k], trained.params[k]) for k in trained.params)


def test_save_params_keeps_batch_normalizations_running_statistics(digits, tmp_path):
    (x, t), _ = digits
    network = book.MultiLayerNetExtend(64, [20], 10, use_batchnorm=True, seed=0)
    optimizer = Adam(lr=0.01)
    for start in range(0, 400, 50):
        optimizer.update(network.params, network.gradient(x[start:start + 50].reshape(50, -1), t[start:start + 50]))
    network.save_params(str(tmp_path / "bn.pkl"))
    loaded = book.MultiLayerNetExtend(64, [20], 10, use_batchnorm=True, seed=1)
    loaded.load_params(str(tmp_path / "bn.pkl"))
    for key, value in network.buffers.items():
        np.testing.assert_array_equal(loaded.buffers[key], value)
    np.testing.assert_array_equal(loaded.predict(x[:20].reshape(20, -1)), network.predict(x[:20].reshape(20, -1)))
    plain = {k: np.array(v) for k, v in network.params.items()}  # a file without them is refused, not half-loaded
    with open(tmp_path / "no_stats.pkl", "wb") as f:
        pickle.dump(plain, f)
    with pytest.raises(ValueError, match="no running statistics"):
        loaded.load_params(str(tmp_path / "no_stats.pkl"))


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_numeric_array_pickles_of_every_protocol_load(tmp_path, protocol):
    params = {"W1": np.arange(6.0).reshape(2, 3), "b1": np.float32([1, 2]), "n": np.int64(3) * np.ones(2, np.int64)}
    with open(tmp_path / "p.pkl", "wb") as f:
        pickle.dump(params, f, protocol=protocol)
    loaded = read_params(tmp_path / "p.pkl")
    assert set(loaded) == set(params) and all(np.array_equal(loaded[k], params[k]) for k in params)
    assert all(loaded[k].dtype == params[k].dtype for k in params)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_pickle_naming_code_is_refused_with_every_protocol(tmp_path, protocol):
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return os.mkdir, (str(marker),)

    for name, value in (("code", {"W1": Payload()}), ("codec", {"W1": pickle.loads(pickle.dumps(b"x", 2))}),
                        ("objects", {"W1": np.array([1, "a"], dtype=object)})):
        with open(tmp_path / f"{name}.pkl", "wb") as f:
            pickle.dump(value, f, protocol=protocol)
        with pytest.raises(ValueError, match=r"refusing to load|must be a numeric array"):
            read_params(tmp_path / f"{name}.pkl")
    assert not marker.exists()


def test_a_codec_other_than_latin1_is_refused(tmp_path):
    crafted = b"c_codecs\nencode\n(Vx\nVzlib\ntR."  # _codecs.encode('x', 'zlib'): protocol 0's form, another codec
    (tmp_path / "codec.pkl").write_bytes(crafted)
    with pytest.raises(ValueError, match="only latin1"):
        read_params(tmp_path / "codec.pkl")


@pytest.mark.parametrize("case", ["truncated npz", "huge pickle", "object npz", "truncated pickle", "not a file"])
def test_damaged_or_oversized_parameter_files_are_refused_with_a_value_error_naming_the_file(tmp_path, case):
    path = tmp_path / "params.pkl"
    if case == "truncated npz":
        book.TwoLayerNet(4, 3, 2, seed=0).save_params(str(path))
        path.write_bytes(path.read_bytes()[:60])
    elif case == "huge pickle":  # BINBYTES8 declaring 2**62 bytes
        path.write_bytes(b"\x80\x04\x8e" + (2 ** 62).to_bytes(8, "little") + b"abc")
    elif case == "object npz":
        with open(path, "wb") as f:
            np.savez(f, W1=np.array([None, 1], dtype=object))
    elif case == "truncated pickle":
        path.write_bytes(pickle.dumps({"W1": np.zeros(100)})[:50])
    else:
        path.write_bytes(b"")
    with pytest.raises(ValueError, match=str(path).replace(".", r"\.")):
        read_params(path)


@pytest.mark.parametrize("bad, message", [(np.nan, "NaN or infinite"), (1e300, "beyond float32's range"),
                                          (True, "numeric array")])
def test_load_params_checks_the_values_before_anything_is_copied(tmp_path, bad, message):
    network = book.MultiLayerNet(4, [3], 2, seed=0, dtype=np.float32)
    before = {k: v.copy() for k, v in network.params.items()}
    params = {k: np.array(v, dtype=np.float64) for k, v in network.params.items()}
    params["W2"] = np.full(params["W2"].shape, bad) if not isinstance(bad, bool) else np.ones(params["W2"].shape, bool)
    with open(tmp_path / "bad.pkl", "wb") as f:
        pickle.dump(params, f)
    with pytest.raises(ValueError, match=message):
        network.load_params(str(tmp_path / "bad.pkl"))
    assert all(np.array_equal(network.params[k], before[k]) for k in before)  # nothing changed


# -- every network the package builds saves and loads -------------------------------------------------
def _book_networks():
    conv = {"filter_num": 3, "filter_size": 3, "pad": 0, "stride": 1}
    small = {"filter_num": np.int64(2), "filter_size": np.int64(3), "pad": np.int64(1), "stride": np.int64(1)}
    return [book.TwoLayerNet(4, 3, 2, weight_init_std=np.float64(0.1), seed=0),
            book.MultiLayerNet(4, [3, 3], 2, activation="sigmoid", seed=0),
            book.MultiLayerNetExtend(4, [3], 2, use_dropout=True, use_batchnorm=True, weight_decay_lambda=0.1, seed=0),
            book.SimpleConvNet(input_dim=(1, 6, 6), conv_param=conv, hidden_size=4, seed=0),
            book.DeepConvNet(input_dim=(1, 8, 8), conv_param_1=small, conv_param_2=small, conv_param_3=small,
                             conv_param_4=small, conv_param_5=small, conv_param_6=small, hidden_size=4, seed=0)]


def _ours():
    from framework.network import DeepConvNet, conv_net
    small = {"filter_num": np.int32(2), "filter_size": np.int32(3), "pad": np.int32(1), "stride": np.int32(1)}
    return [conv_net((1, 6, 6), filters=(2,), hidden_size=3, output_size=out, loss=loss, seed=0)
            for loss, out in (("cross_entropy", 3), ("binary_cross_entropy", 1), ("squared_error", 2),
                              ("poisson", 2))] + [DeepConvNet((1, 8, 8), [small] * 6, hidden_size=4, seed=0)]


@pytest.mark.parametrize("network", _book_networks() + _ours(), ids=lambda n: type(n).__name__)
def test_every_network_the_package_builds_saves_and_loads(tmp_path, network):
    from framework import checkpoint
    checkpoint.save(network, tmp_path / "m.npz")
    loaded = checkpoint.load(tmp_path / "m.npz")
    assert type(loaded) is type(network) and type(loaded.loss_layer) is type(network.loss_layer)
    x = np.random.default_rng(0).random((3,) + (network.input_shape or (network.input_size,)))
    np.testing.assert_array_equal(loaded.predict(x), network.predict(x))
    for key, value in network.buffers.items():
        np.testing.assert_array_equal(loaded.buffers[key], value)


@pytest.mark.parametrize("name", list(book.OPTIMIZERS))
def test_the_books_optimizers_are_saved_as_the_books_and_come_back_as_them(tmp_path, name):
    from framework import checkpoint
    network, optimizer = book.TwoLayerNet(4, 3, 2, seed=0), book.OPTIMIZERS[name]()
    x, t = np.random.default_rng(0).random((6, 4)), np.array([0, 1] * 3)
    optimizer.update(network.params, network.gradient(x, t))
    checkpoint.save(network, tmp_path / "m.npz", optimizer=optimizer)
    loaded = checkpoint.load_checkpoint(tmp_path / "m.npz")
    assert type(loaded.optimizer) is type(optimizer) and loaded.optimizer.hyperparameters() == optimizer.hyperparameters()


def test_a_checkpoint_callback_is_refused_before_the_first_batch_when_the_run_cannot_be_saved(tmp_path, digits):
    from framework.callbacks import ModelCheckpoint
    (x, t), _ = digits
    network = ChapterConvNet()
    before = network.params['W1'].copy()
    trainer = Trainer(network, x[:100], t[:100], x[:100], t[:100], epochs=1, mini_batch_size=50, verbose=False,
                      callbacks=[ModelCheckpoint(tmp_path / "run.npz")])
    with pytest.raises(TypeError, match="ModelCheckpoint cannot save this run: cannot save a"):
        trainer.train()
    assert np.array_equal(network.params['W1'], before) and not (tmp_path / "run.npz").exists()


def test_a_book_network_trained_with_a_checkpoint_callback_resumes(tmp_path, digits):
    from framework.callbacks import ModelCheckpoint
    from framework.checkpoint import load_checkpoint
    (x, t), _ = digits
    x = x.reshape(len(x), -1)
    network = book.MultiLayerNetExtend(64, [10], 10, use_batchnorm=True, seed=0)
    Trainer(network, x[:200], t[:200], x[:100], t[:100], epochs=2, mini_batch_size=50, optimizer="adam",
            verbose=False, callbacks=[ModelCheckpoint(tmp_path / "run.npz")]).train()
    saved = load_checkpoint(tmp_path / "run.npz")
    assert saved.epoch == 2 and type(saved.model) is book.MultiLayerNetExtend and type(saved.optimizer) is book.Adam


# -- where the book's code computes with overflowed scores, so does framework.book, and says so -----------
def test_accuracy_on_overflowed_scores_is_the_books_with_a_warning():
    network = book.MultiLayerNet(4, [5], 3, weight_init_std=1e200, seed=0)  # ch06/batch_norm_test's large scales
    x, t = np.random.default_rng(0).random((6, 4)), np.array([0, 1, 2] * 2)
    with pytest.warns(RuntimeWarning, match=r"scores overflowed to NaN or inf on \d+ of 6 rows"):
        accuracy = network.accuracy(x, t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = network.predict(x)
    assert accuracy == np.mean(np.argmax(scores, axis=1) == t)  # numpy's argmax of them, as the book's code counts
    from framework.network import MLP
    ours = MLP(4, [5], 3, weight_init=1e200, seed=0)
    with pytest.raises(ValueError, match="not finite"):
        ours.accuracy(x, t)  # our own networks keep refusing


def test_the_books_star_imports_bring_what_its_scripts_use():
    names = {}
    exec("from framework.book import *", names)  # the book: from common.optimizer import * (and uses np)
    assert names["np"] is np and {"Relu", "Affine", "SoftmaxWithLoss", "Trainer", "im2col", "Adam"} <= set(names)
