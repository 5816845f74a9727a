"""framework.im2col and the conv layers: the fast paths equal the book's loops, every backward equals
central differences (and PyTorch's conv2d / max_pool2d when installed), and conv nets go through
everything an MLP does: fit, checkpoints, resume, trace, gradient_check, LayerStatistics, summary."""
import numpy as np
import pytest

from framework import checkpoint as checkpoints
from framework.callbacks import LayerStatistics, ModelCheckpoint
from framework.datasets import load_digits
from framework.gradcheck import gradient_check
from book_im2col import col2im_loops, im2col_loops
from framework.im2col import add_image_columns, col2im, conv_output_size, im2col, image_columns
from framework.layers import Convolution, Flatten, Pooling
from framework.network import SimpleConvNet, conv_net
from framework.optimizers import Adam
from framework.trace import trace
from framework.training import fit

# (N, C, H, W, FH, FW, stride, pad): odd sizes, N = 1, C > 1, strides, padding, a window as big as the input
SHAPES = [(2, 3, 7, 6, 3, 2, 1, 0), (1, 2, 5, 5, 3, 3, 2, 1), (2, 1, 8, 8, 5, 5, 1, 2), (3, 2, 6, 7, 2, 2, 2, 0),
          (1, 1, 4, 4, 4, 4, 1, 0), (2, 2, 9, 5, 3, 1, 3, 1)]


@pytest.mark.parametrize("n, c, h, w, fh, fw, stride, pad", SHAPES)
def test_im2col_and_col2im_equal_the_books_loops(n, c, h, w, fh, fw, stride, pad, rng):
    x = rng.normal(size=(n, c, h, w))
    col = im2col(x, fh, fw, stride, pad)
    out_h, out_w = conv_output_size(h, fh, stride, pad), conv_output_size(w, fw, stride, pad)
    assert col.shape == (n * out_h * out_w, c * fh * fw)
    np.testing.assert_array_equal(col, im2col_loops(x, fh, fw, stride, pad))
    dcol = rng.normal(size=col.shape)
    np.testing.assert_allclose(col2im(dcol, x.shape, fh, fw, stride, pad),
                               col2im_loops(dcol, x.shape, fh, fw, stride, pad), rtol=1e-12, atol=1e-12)
    # col2im is im2col's adjoint: <im2col(x), dcol> = <x, col2im(dcol)>, which makes it dx.
    assert np.vdot(col, dcol) == pytest.approx(np.vdot(x, col2im(dcol, x.shape, fh, fw, stride, pad)), rel=1e-12)
    # The per-image layout the Convolution layer uses holds the same numbers, rows made columns.
    per_image = image_columns(x, fh, fw, stride, pad)
    as_book = per_image.transpose(0, 2, 1).reshape(col.shape)
    np.testing.assert_array_equal(as_book, col)
    with_ones = image_columns(x, fh, fw, stride, pad, ones_row=True)  # the bias trick's extra row
    np.testing.assert_array_equal(with_ones[:, :-1], per_image)
    assert (with_ones[:, -1] == 1).all()
    np.testing.assert_allclose(add_image_columns(dcol.reshape(n, -1, c * fh * fw).transpose(0, 2, 1), x.shape, fh, fw,
                                                 stride, pad), col2im(dcol, x.shape, fh, fw, stride, pad), rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("n, c, h, w, fh, fw, stride, pad", SHAPES)
def test_convolution_and_pooling_backward_equal_central_differences(n, c, h, w, fh, fw, stride, pad, rng):
    x = rng.normal(size=(n, c, h, w))
    conv = Convolution(rng.normal(size=(4, c, fh, fw)), rng.normal(size=4), stride=stride, pad=pad)
    assert gradient_check(conv, x).passed
    assert gradient_check(Pooling(fh, fw, stride=stride, pad=pad), x).passed


def test_pooling_routes_the_gradient_to_each_windows_maximum():
    x = np.array([[[[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 9.0, 1.0], [0.0, 0.0, 1.0, 1.0], [2.0, 6.0, 1.0, 8.0]]]])
    pool = Pooling(2, 2, stride=2)
    np.testing.assert_array_equal(pool.forward(x), [[[[5.0, 9.0], [6.0, 8.0]]]])
    dx = pool.backward(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]))
    expected = np.zeros_like(x)
    expected[0, 0, 0, 1], expected[0, 0, 1, 2], expected[0, 0, 3, 1], expected[0, 0, 3, 3] = 10, 20, 30, 40
    np.testing.assert_array_equal(dx, expected)
    overlapping = Pooling(2, 2, stride=1)  # overlapping windows: a maximum shared by two windows gets both
    out = overlapping.forward(x)
    assert out.shape == (1, 1, 3, 3) and out[0, 0, 0, 1] == out[0, 0, 0, 2] == 9.0
    assert overlapping.backward(np.ones_like(out))[0, 0, 1, 2] == 4.0  # 9 is the maximum of four windows


def _pooling_loops(x, dout, pool_h, pool_w, stride, pad):
    """The book's rule written as loops: each window's first maximum (row by row) gets its dout."""
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros(dout.shape)
    dx = np.zeros(padded.shape)
    for n, c, i, j in np.ndindex(*dout.shape):
        window = padded[n, c, i * stride:i * stride + pool_h, j * stride:j * stride + pool_w]
        a, b = np.unravel_index(np.argmax(window), window.shape)  # argmax: the first maximum
        out[n, c, i, j] = window[a, b]
        dx[n, c, i * stride + a, j * stride + b] += dout[n, c, i, j]
    return out, dx[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]


@pytest.mark.parametrize("n, c, h, w, fh, fw, stride, pad", SHAPES)
def test_pooling_with_ties_equals_the_books_rule_in_loops(n, c, h, w, fh, fw, stride, pad, rng):
    # Few distinct values and many zeros (as after a ReLU): most windows hold their maximum twice or more.
    x = np.maximum(rng.integers(-2, 3, size=(n, c, h, w)), 0).astype(np.float64)
    pool = Pooling(fh, fw, stride=stride, pad=pad)
    out = pool.forward(x)
    dout = rng.standard_normal(out.shape)
    expected_out, expected_dx = _pooling_loops(x, dout, fh, fw, stride, pad)
    np.testing.assert_array_equal(out, expected_out)
    np.testing.assert_allclose(pool.backward(dout), expected_dx, rtol=1e-12, atol=1e-12)


def test_flatten_and_conv_nets_keep_float32(rng):
    model = conv_net((1, 6, 6), filters=(3,), hidden_size=5, output_size=3, seed=0, dtype=np.float32)
    x = rng.normal(size=(4, 1, 6, 6)).astype(np.float32)
    loss, scores = model.loss_and_scores(model.check_input(x), [0, 1, 2, 0])
    model.backward()
    assert scores.dtype == np.float32 and all(g.dtype == np.float32 for g in model.grads.values())
    assert Flatten().forward(x).shape == (4, 36)


@pytest.mark.parametrize("make, message", [
    (lambda: Convolution(np.zeros((2, 1, 5, 5)), np.zeros(2)).forward(np.zeros((1, 1, 3, 3))),
     "the filter (5x5) is larger than the padded input (3x3"),
    (lambda: Convolution(np.zeros((2, 1, 3, 3)), np.zeros(2), stride=0), "stride must be >= 1, got 0"),
    (lambda: Convolution(np.zeros((2, 3, 3, 3)), np.zeros(2)).forward(np.zeros((1, 1, 5, 5))),
     "x must be images of shape (N, 3, H, W) for this Convolution, got shape (1, 1, 5, 5)"),
    (lambda: Convolution(np.zeros((2, 1, 3)), np.zeros(2)), "W of shape (FN, C, FH, FW)"),
    (lambda: Pooling(3, 3, stride=3).forward(np.zeros((1, 1, 2, 2))), "the pool window (3x3) is larger"),
    (lambda: Pooling(2, 2).forward(np.zeros((4, 4))), "x must be images of shape (N, C, H, W) for Pooling"),
    (lambda: Pooling(0, 2), "pool_h must be >= 1, got 0"),
    (lambda: Pooling(20, 20), "Pooling windows hold at most 256 entries, got 20x20"),
    (lambda: SimpleConvNet((1, 3, 3), {"filter_size": 5}), "the filter (5x5) is larger than the padded input"),
])
def test_bad_conv_settings_are_named(make, message):
    with pytest.raises((ValueError, TypeError)) as info:
        make()
    assert message in str(info.value)


def test_against_pytorch_conv2d_and_max_pool2d(rng):
    torch = pytest.importorskip("torch")
    x = rng.normal(size=(2, 3, 9, 8))
    W, b = rng.normal(size=(4, 3, 3, 2)), rng.normal(size=4)
    for stride, pad in ((1, 0), (2, 1)):
        conv = Convolution(W, b, stride=stride, pad=pad)
        out = conv.forward(x)
        dout = rng.normal(size=out.shape)
        dx = conv.backward(dout)
        tx, tW, tb = (torch.tensor(a, requires_grad=True) for a in (x, W, b))
        tout = torch.nn.functional.conv2d(tx, tW, tb, stride=stride, padding=pad)
        tout.backward(torch.tensor(dout))
        np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(conv.grads["W"], tW.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(conv.grads["b"], tb.grad.numpy(), rtol=1e-10, atol=1e-12)
        pool = Pooling(3, 2, stride=stride)
        out = pool.forward(x)
        dout = rng.normal(size=out.shape)
        tx = torch.tensor(x, requires_grad=True)
        tout = torch.nn.functional.max_pool2d(tx, (3, 2), stride=stride)
        tout.backward(torch.tensor(dout))
        np.testing.assert_array_equal(out, tout.detach().numpy())
        np.testing.assert_allclose(pool.backward(dout), tx.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_simple_conv_net_is_the_books(rng):
    model = SimpleConvNet(input_dim=(1, 10, 10), conv_param={"filter_num": 4, "filter_size": 3}, hidden_size=8,
                          output_size=3, seed=0)
    assert [(k, v.shape) for k, v in model.params.items()] == [
        ("W1", (4, 1, 3, 3)), ("b1", (4,)), ("W2", (64, 8)), ("b2", (8,)), ("W3", (8, 3)), ("b3", (3,))]
    assert np.std(model.params["W2"]) == pytest.approx(0.01, rel=0.2)  # the book's weight_init_std
    x, t = rng.normal(size=(3, 1, 10, 10)), [0, 1, 2]
    assert gradient_check(model, x, t).passed
    lines = []
    model.summary(print_fn=lines.append)
    assert "(None, 4, 8, 8)" in "\n".join(lines) and "(None, 4, 4, 4)" in "\n".join(lines)


def test_a_conv_net_trains_saves_resumes_and_is_traced(tmp_path):
    (x, t), (x_test, t_test) = load_digits(shape="images")
    assert x.shape == (1437, 1, 8, 8)
    x, t = x[:300], t[:300]

    def run(epochs, path, resume=False):
        model, optimizer = conv_net((1, 8, 8), filters=(4, 8), hidden_size=16, seed=0), Adam(lr=3e-3)
        stats = LayerStatistics(x[:20])
        history = fit(model, optimizer, x, t, epochs=epochs, batch_size=50, validation_fraction=0.2, seed=0,
                      progress=0, callbacks=[ModelCheckpoint(path), stats], resume_from=path if resume else None)
        return model, history, stats

    model, history, stats = run(6, tmp_path / "straight.npz")
    assert history.loss[-1] < history.loss[0] and model.accuracy(x_test, t_test) > 0.3  # 6 short epochs
    assert "Convolution1" in stats.activations and "Pooling1" in stats.activations
    run(3, tmp_path / "part.npz")
    resumed, resumed_history, _ = run(6, tmp_path / "part.npz", resume=True)
    assert resumed_history.loss == history.loss
    for key, value in model.params.items():
        np.testing.assert_array_equal(resumed.params[key], value)
    loaded = checkpoints.load(tmp_path / "straight.npz")
    np.testing.assert_array_equal(loaded.predict(x_test[:5]), model.predict(x_test[:5]))
    assert loaded.input_shape == (1, 8, 8)
    traced = trace(conv_net((1, 8, 8), filters=(2,), hidden_size=4, seed=0), x[:2], t[:2])
    assert traced.max_error() < 1e-8 and "Convolution1: out = im2col(x)" in str(traced)


def test_command_line_convnet_train_predict_and_gradcheck(tmp_path, capsys, monkeypatch):
    from framework import cli
    monkeypatch.setattr(cli, "make_convnet", lambda name, shape, classes, seed, dtype: conv_net(
        tuple(shape), filters=(4,), hidden_size=16, output_size=classes, seed=seed, dtype=dtype))  # small and quick
    path = tmp_path / "cnn.npz"
    assert cli.main(["train", "--model", "convnet", "--epochs", "2", "--progress", "0", "--checkpoint", str(path)]) == 0
    assert "test accuracy" in capsys.readouterr().out
    rows = load_digits(shape="flat")[1][0][:3]
    np.savetxt(tmp_path / "x.csv", rows, delimiter=",")  # rows of 64 pixels become 1x8x8 images
    assert cli.main(["predict", str(path), str(tmp_path / "x.csv")]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 4
    assert cli.main(["gradcheck", "--model", "convnet", "--samples", "2"]) == 0
    assert "all passed" in capsys.readouterr().out
    assert cli.main(["train", "--model", "convnet", "--dataset", "iris"]) == 1
    assert "a conv net needs images" in capsys.readouterr().err


@pytest.mark.parametrize("pad", [0, 1, 2])
def test_pooling_equals_pytorch_on_every_stride_window_and_pad(pad, rng):
    """PyTorch's max_pool2d as the oracle (its padding is -inf, ours the book's zeros: the zeros are
    added before PyTorch sees x), strides 1-4 and windows 1-3 (a stride larger than the window leaves
    pixels no window covers: their gradient is 0)."""
    torch = pytest.importorskip("torch")
    x = rng.normal(size=(2, 3, 9, 8))
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    for stride in (1, 2, 3, 4):
        for pool_h in (1, 2, 3):
            for pool_w in (1, 2, 3):
                pool = Pooling(pool_h, pool_w, stride=stride, pad=pad)
                out = pool.forward(x)
                dout = rng.normal(size=out.shape)
                tx = torch.tensor(padded, requires_grad=True)
                tout = torch.nn.functional.max_pool2d(tx, (pool_h, pool_w), stride=stride)
                tout.backward(torch.tensor(dout))
                expected_dx = tx.grad.numpy()[:, :, pad:pad + 9, pad:pad + 8]
                np.testing.assert_array_equal(out, tout.detach().numpy())
                # An entry of dx sums the gradients of the k = pool_h * pool_w windows at most that share
                # it, in another order than PyTorch: apart by at most k * eps * (k * max |dout|).
                k = pool_h * pool_w
                np.testing.assert_allclose(pool.backward(dout), expected_dx, rtol=0,
                                           atol=k * np.finfo(np.float64).eps * k * np.abs(dout).max())


def test_pooling_gaps_get_no_gradient_and_a_nan_window_routes_to_its_nan():
    """Pooling(2, 2, stride=3) on 6x6 covers rows and columns 0, 1, 3, 4: rows and columns 2 and 5 get
    0, never whatever memory held. A window holding NaN gives NaN, and its gradient goes to the NaN
    (PyTorch's rule), not to a number beside it."""
    x = np.arange(36.0).reshape(1, 1, 6, 6)
    pool = Pooling(2, 2, stride=3)
    pool.forward(x)
    dx = pool.backward(np.ones((1, 1, 2, 2)))[0, 0]
    assert dx[[2, 5], :].sum() == 0 and dx[:, [2, 5]].sum() == 0
    np.testing.assert_array_equal(dx[[1, 4]][:, [1, 4]], np.ones((2, 2)))  # each window's maximum
    x = np.array([[[[1.0, np.nan], [3.0, 2.0]]]])
    pool = Pooling(2, 2, stride=2)
    assert np.isnan(pool.forward(x)).all()
    np.testing.assert_array_equal(pool.backward(np.ones((1, 1, 1, 1)))[0, 0], [[0.0, 1.0], [0.0, 0.0]])


def test_evaluating_many_images_keeps_memory_bounded():
    """predict, accuracy and evaluate take as many images at a time as a memory budget allows: 2,000
    28x28 images through the CLI's conv net once needed 5 GB of columns; now about 100 MB."""
    import tracemalloc

    from framework import engine
    model = conv_net((1, 28, 28), filters=(32, 32), seed=0, dtype=np.float32)
    x = np.random.default_rng(0).random((2000, 1, 28, 28), dtype=np.float32)
    t = np.arange(2000) % 10
    batch = engine.evaluation_batch(model, x)
    assert 1 <= batch < 200
    tracemalloc.start()
    try:
        scores = model.predict(x)
        accuracy = model.accuracy(x, t)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * engine.EVALUATION_MEMORY
    np.testing.assert_allclose(scores[:batch + 5], model.forward(x[:batch + 5]), rtol=1e-5, atol=1e-6)
    assert accuracy == np.mean(scores.argmax(axis=1) == t)
