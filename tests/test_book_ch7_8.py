"""The book's chapters 7 and 8 on framework.book: its conv layers give its numbers, its parameter
pickles load without running code, and its scripts run with only their imports changed (ported
onto small MNIST-shaped data: the digits28 stand-in, fewer samples and epochs, said at each one)."""
import os
import pickle

import numpy as np
import pytest

from framework.book import (Convolution, DeepConvNet, Pooling, SimpleConvNet, Trainer, col2im, im2col,
                            load_mnist, read_params)
from framework.gradcheck import gradient_check
from book_im2col import col2im_loops, im2col_loops


@pytest.fixture(scope="module")
def mnist_like():
    """The offline stand-in, small: 1000 training and 200 test images of 28x28."""
    (x_train, t_train), (x_test, t_test) = load_mnist(kind="digits28", flatten=False, dtype=np.float64)
    rng = np.random.default_rng(0)
    train = rng.choice(len(x_train), 1000, replace=False)
    return (x_train[train], t_train[train]), (x_test[:200], t_test[:200])


# -- the book's numbers ----------------------------------------------------------------------------
SHAPES = [((2, 3, 7, 6), 3, 2, 1, 0), ((1, 1, 5, 5), 2, 2, 2, 1), ((3, 2, 6, 8), 3, 3, 1, 2), ((2, 2, 9, 7), 1, 3, 3, 1)]


@pytest.mark.parametrize("shape, filter_h, filter_w, stride, pad", SHAPES)
def test_im2col_and_col2im_lay_out_windows_as_the_book(shape, filter_h, filter_w, stride, pad):
    x = np.random.default_rng(0).normal(size=shape)
    col = im2col(x, filter_h, filter_w, stride, pad)
    np.testing.assert_array_equal(col, im2col_loops(x, filter_h, filter_w, stride, pad))
    dcol = np.random.default_rng(1).normal(size=col.shape)
    np.testing.assert_allclose(col2im(dcol, shape, filter_h, filter_w, stride, pad),
                               col2im_loops(dcol, shape, filter_h, filter_w, stride, pad), rtol=1e-12, atol=1e-14)


def book_convolution(W, b, x, dout, stride, pad):
    """The book's Convolution.forward and backward, step by step (common/layers.py)."""
    FN, C, FH, FW = W.shape
    N, _, H, Wd = x.shape
    out_h, out_w = 1 + (H + 2 * pad - FH) // stride, 1 + (Wd + 2 * pad - FW) // stride
    col = im2col_loops(x, FH, FW, stride, pad)
    col_W = W.reshape(FN, -1).T
    out = (np.dot(col, col_W) + b).reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)
    d = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
    db, dW = np.sum(d, axis=0), np.dot(col.T, d).transpose(1, 0).reshape(FN, C, FH, FW)
    dx = col2im_loops(np.dot(d, col_W.T), x.shape, FH, FW, stride, pad)
    return out, dx, dW, db, col, col_W


@pytest.mark.parametrize("stride, pad", [(1, 0), (1, 1), (2, 1), (3, 2)])
def test_convolution_gives_the_books_numbers_forward_and_backward(stride, pad):
    rng = np.random.default_rng(stride * 10 + pad)
    W, b, x = rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4), rng.normal(size=(2, 3, 8, 7))
    layer = Convolution(W, b, stride, pad)
    out = layer.forward(x)
    dout = rng.normal(size=out.shape)
    dx = layer.backward(dout)
    expected = book_convolution(W, b, x, dout, stride, pad)
    for ours, theirs in zip((out, dx, layer.dW, layer.db, layer.col, layer.col_W), expected):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    assert layer.x is x


def test_a_convolution_of_one_filter_with_a_bias_of_zero_as_apply_filter_builds_it():
    rng = np.random.default_rng(0)
    w, img = rng.normal(size=(1, 1, 5, 5)), rng.random((1, 1, 12, 12)).astype(np.float32)
    out = Convolution(w, 0).forward(img)
    np.testing.assert_allclose(out, book_convolution(w, np.zeros(1), img.astype(np.float64), np.zeros((1, 1, 8, 8)),
                                                     1, 0)[0], rtol=1e-6)
    layer, doubled = Convolution(w, 0), 2 * w
    layer.W = doubled  # the book's load_params assigns .W: the values are copied in
    np.testing.assert_array_equal(layer.params["W"], doubled)


@pytest.mark.parametrize("pool, stride, pad", [(2, 2, 0), (3, 2, 1), (2, 1, 0), (2, 3, 0)])
def test_pooling_gives_the_books_numbers_forward_and_backward(pool, stride, pad):
    rng = np.random.default_rng(pool + stride)
    x = rng.normal(size=(2, 3, 7, 8))
    layer = Pooling(pool, pool, stride, pad)
    out = layer.forward(x)
    dout = rng.normal(size=out.shape)
    dx = layer.backward(dout)
    # the book's Pooling.forward and backward (common/layers.py)
    N, C, H, W = x.shape
    col = im2col_loops(x, pool, pool, stride, pad).reshape(-1, pool * pool)
    arg_max = np.argmax(col, axis=1)
    out_h, out_w = out.shape[2:]
    expected = np.max(col, axis=1).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
    dmax = np.zeros((dout.size, pool * pool))
    dmax[np.arange(arg_max.size), arg_max] = dout.transpose(0, 2, 3, 1).ravel()
    expected_dx = col2im_loops(dmax.reshape(dout.size, -1).reshape(N * out_h * out_w, -1), x.shape, pool, pool, stride,
                               pad)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_allclose(dx, expected_dx, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(layer.arg_max, arg_max)
    assert Pooling(2, 2).stride == 2  # the book's default


# -- the book's parameter files --------------------------------------------------------------------
def test_parameter_pickles_load_and_a_pickle_naming_anything_else_is_refused(tmp_path):
    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(size=(30, 1, 5, 5)), "b1": np.zeros(30), "W2": rng.normal(size=(4, 3)).astype(np.float32)}
    with open(tmp_path / "params.pkl", "wb") as f:  # as the book's save_params writes them
        pickle.dump(params, f)
    loaded = read_params(tmp_path / "params.pkl")
    assert set(loaded) == set(params) and all(np.array_equal(loaded[k], params[k]) for k in params)
    # the book's files were written by numpy 1.x, whose _reconstruct lives in numpy.core.multiarray
    old = pickle.dumps(params, protocol=3).replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    (tmp_path / "old.pkl").write_bytes(old)
    assert np.array_equal(read_params(tmp_path / "old.pkl")["W1"], params["W1"])

    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return os.mkdir, (str(marker),)

    for name, value in (("code.pkl", {"W1": Payload()}), ("object.pkl", {"W1": np.array([1, "a"], dtype=object)}),
                        ("list.pkl", [np.zeros(2)])):
        with open(tmp_path / name, "wb") as f:
            pickle.dump(value, f)
        with pytest.raises(ValueError, match=r"refusing to load|must hold a dict|must be a numeric array"):
            read_params(tmp_path / name)
    assert not marker.exists()  # refused before anything ran


BOOK = os.environ.get("FRAMEWORK_BOOK_REPO")  # a checkout of oreilly-japan/deep-learning-from-scratch


@pytest.mark.skipif(not BOOK, reason="set FRAMEWORK_BOOK_REPO to a checkout of the book's repository")
def test_the_books_own_parameter_files_load():
    assert set(read_params(os.path.join(BOOK, "ch03", "sample_weight.pkl"))) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    SimpleConvNet().load_params(os.path.join(BOOK, "ch07", "params.pkl"))
    DeepConvNet().load_params(os.path.join(BOOK, "ch08", "deep_convnet_params.pkl"))


def test_save_params_writes_the_file_it_is_given_which_load_params_reads_back(tmp_path, capsys):
    conv = {"filter_num": 4, "filter_size": 3, "pad": 0, "stride": 1}
    network = SimpleConvNet(input_dim=(1, 10, 10), conv_param=conv, hidden_size=5, seed=0)
    path = network.save_params(str(tmp_path / "params.pkl"))
    assert path == str(tmp_path / "params.pkl") and "never writes pickles" in capsys.readouterr().out
    assert (tmp_path / "params.pkl").read_bytes()[:2] == b"PK" and sorted(p.name for p in tmp_path.iterdir()) == \
        ["params.pkl"]  # an .npz archive under the name given, and nothing else
    twin = SimpleConvNet(input_dim=(1, 10, 10), conv_param=conv, hidden_size=5, seed=1)
    twin.load_params(str(tmp_path / "params.pkl"))
    assert all(np.array_equal(twin.params[k], network.params[k]) for k in network.params)
    with pytest.raises(ValueError, match="has shape"):
        SimpleConvNet(input_dim=(1, 10, 10), hidden_size=5).load_params(path)


# -- the networks ------------------------------------------------------------------------------------
def test_deep_conv_net_passes_the_gradient_check():
    from framework.datasets import load_digits
    from framework.network import DeepConvNet as Ours
    (x, t), _ = load_digits(shape="images")
    model = Ours(input_dim=(1, 8, 8), seed=0)
    rng = np.random.default_rng(0)
    for key in [k for k in model.params if k.startswith("b")]:  # off ReLU's kink at exactly 0
        model.params[key] += rng.normal(scale=0.01, size=model.params[key].shape)
    model.layers[-4].ratio = model.layers[-1].ratio = 0.5  # the same masks on every pass (loss_function)
    assert gradient_check(model, x[:3], t[:3], entries=15).passed


def test_the_book_networks_gradient_check_names_the_books_1e7():
    from framework.book import MultiLayerNetExtend
    from framework.datasets import load_digits
    (x, t), _ = load_digits()
    report = gradient_check(MultiLayerNetExtend(64, [10], 10, seed=0), x[:4], t[:4])
    assert "the book's SoftmaxWithLoss" in str(report)


# -- the book's scripts, only their imports changed ---------------------------------------------------
def test_ch07_gradient_check():
    network = SimpleConvNet(input_dim=(1, 10, 10),
                            conv_param={'filter_num': 10, 'filter_size': 3, 'pad': 0, 'stride': 1},
                            hidden_size=10, output_size=10, weight_init_std=0.01)
    X = np.random.rand(100).reshape((1, 1, 10, 10))
    T = np.array([1]).reshape((1, 1))
    grad_num = network.numerical_gradient(X, T)
    grad = network.gradient(X, T)
    errors = {key: np.abs(grad_num[key] - grad[key]).mean() for key in grad_num}
    # As the book prints them: tiny, except where h = 1e-4 crosses a ReLU kink; b3 shows the 1e-7
    # inside SoftmaxWithLoss: d/dx_j of -log(p_t + 1e-7) differs from p_j - [j = t] by about
    # (p_j - [j = t]) * 1e-7 / p_t; with the 10 outputs near p = 0.1 that is 0.9e-6 for j = t and
    # 1e-7 for the 9 others, a mean of 1.8e-7.
    assert set(errors) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    assert 1e-7 < errors["b3"] < 3e-7 and errors["W3"] < 1e-8


def test_ch07_train_convnet_then_visualize_filter_and_apply_filter(mnist_like, tmp_path, capsys):
    (x_train, t_train), (x_test, t_test) = mnist_like
    max_epochs = 3  # the book: 20 epochs on 60,000 MNIST images
    network = SimpleConvNet(input_dim=(1, 28, 28),
                            conv_param={'filter_num': 30, 'filter_size': 5, 'pad': 0, 'stride': 1},
                            hidden_size=100, output_size=10, weight_init_std=0.01)
    trainer = Trainer(network, x_train, t_train, x_test, t_test,
                      epochs=max_epochs, mini_batch_size=100,
                      optimizer='Adam', optimizer_param={'lr': 0.001},
                      evaluate_sample_num_per_epoch=100, verbose=False)
    trainer.train()
    network.save_params(str(tmp_path / "params.pkl"))
    assert len(trainer.train_acc_list) == max_epochs
    assert trainer.test_acc_list[0] < trainer.test_acc_list[-1] and trainer.test_acc_list[-1] > 0.4  # 0.1 is chance
    # visualize_filter: the filters before and after training
    fresh = SimpleConvNet()
    before = fresh.params['W1'].copy()
    fresh.load_params(str(tmp_path / "params.pkl"))
    assert fresh.params['W1'].shape == (30, 1, 5, 5) and not np.allclose(fresh.params['W1'], before)
    # apply_filter: each learned filter as a Convolution of its own, bias 0, on an image
    img = x_test[:1].astype(np.float32)
    for i in range(16):
        w = fresh.params['W1'][i]
        w = w.reshape(1, *w.shape)
        out = Convolution(w, 0).forward(img)
        out = out.reshape(out.shape[2], out.shape[3])
        assert out.shape == (24, 24)


def test_ch08_train_deepnet_half_float_and_misclassified(mnist_like, tmp_path, capsys):
    (x_train, t_train), (x_test, t_test) = mnist_like
    network = DeepConvNet()
    trainer = Trainer(network, x_train[:300], t_train[:300], x_test, t_test,
                      epochs=1, mini_batch_size=100,  # the book: 20 epochs on 60,000 images
                      optimizer='Adam', optimizer_param={'lr': 0.001},
                      evaluate_sample_num_per_epoch=100, verbose=False)
    trainer.train()
    network.save_params(str(tmp_path / "deep_convnet_params.pkl"))
    # half_float_network
    network = DeepConvNet()
    network.load_params(str(tmp_path / "deep_convnet_params.pkl"))
    accuracy64 = network.accuracy(x_test, t_test)
    x16 = x_test.astype(np.float16)
    for param in network.params.values():
        param[...] = param.astype(np.float16)
    accuracy16 = network.accuracy(x16, t_test)
    assert abs(accuracy16 - accuracy64) <= 0.02  # float16's 3 digits barely move the argmax
    # misclassified_mnist
    classified_ids = []
    batch_size = 100
    acc = 0.0
    for i in range(int(x_test.shape[0] / batch_size)):
        tx = x_test[i * batch_size:(i + 1) * batch_size]
        tt = t_test[i * batch_size:(i + 1) * batch_size]
        y = network.predict(tx, train_flg=False)
        y = np.argmax(y, axis=1)
        classified_ids.append(y)
        acc += np.sum(y == tt)
    acc = acc / x_test.shape[0]
    assert acc == pytest.approx(network.accuracy(x_test, t_test))
    assert (np.array(classified_ids).flatten() != t_test).any()


def test_book_conv_nets_take_the_books_label_column_and_one_hot_rows(mnist_like):
    (x, t), _ = mnist_like
    network = SimpleConvNet(seed=0)
    onehot = np.eye(10)[t[:20]]
    assert network.accuracy(x[:20], t[:20]) == network.accuracy(x[:20], t[:20, None]) \
        == network.accuracy(x[:20], onehot)
    assert network.loss(x[:20], t[:20]) == network.loss(x[:20], t[:20].reshape(-1, 1))


def test_the_command_line_trains_the_deep_conv_net_and_saves_it(tmp_path, capsys):
    from framework import checkpoint as checkpoints
    from framework.cli import main
    from framework.network import DeepConvNet as Ours
    path = tmp_path / "deep.npz"
    assert main(["train", "--model", "deepconvnet", "--epochs", "2", "--progress", "0", "--checkpoint", str(path)]) == 0
    accuracy = float(capsys.readouterr().out.strip().splitlines()[-1].split()[-1])
    assert accuracy > 0.3  # two epochs on digits as 8x8 images; 0.1 is chance
    assert type(checkpoints.load(path)) is Ours and main(["evaluate", str(path)]) == 0


def test_the_chapter_4_to_6_networks_take_the_books_label_column_too():
    from framework.book import MultiLayerNetExtend, TwoLayerNet
    rng = np.random.default_rng(0)
    x, t = rng.random((6, 4)), np.array([0, 1, 2, 0, 1, 2])
    for network in (TwoLayerNet(4, 5, 3, seed=0), MultiLayerNetExtend(4, [5], 3, seed=0)):
        assert network.loss(x, t) == network.loss(x, t.reshape(-1, 1)) == network.loss(x, np.eye(3)[t])
        assert network.accuracy(x, t) == network.accuracy(x, t.reshape(-1, 1))
        grads = network.gradient(x, t.reshape(-1, 1))
        assert all(np.array_equal(grads[k], v) for k, v in network.gradient(x, t).items())
