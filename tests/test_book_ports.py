"""The book's ch. 4-6 scripts, ported onto digits with only their imports changed (from framework.book),
give the book's qualitative results. Each port is written from what the book's script does; the
sizes are the book's except where digits (1437 training images of 64 pixels) or a quick suite ask
for fewer iterations, said at each one."""
import numpy as np
import pytest

from framework.book import (AdaGrad, Adam, Momentum, MultiLayerNet, MultiLayerNetExtend, SGD, Trainer, TwoLayerNet,
                            shuffle_dataset, smooth_curve)
from framework.datasets import load_digits
from framework.gradcheck import gradient_check, numerical_with_kinks


@pytest.fixture(scope="module")
def digits():
    return load_digits(seed=0)


def batches(n, batch_size, iterations, seed=0):
    """The book's np.random.choice(train_size, batch_size) per iteration, from a seeded generator."""
    rng = np.random.default_rng(seed)
    for _ in range(iterations):
        yield rng.choice(n, batch_size)


def test_ch05_train_neuralnet(digits):
    (x_train, t_train), (x_test, t_test) = digits
    network = TwoLayerNet(input_size=64, hidden_size=50, output_size=10, seed=0)
    losses = []
    for batch_mask in batches(len(x_train), 100, 1500):  # the book: 10000 iterations on MNIST
        x_batch, t_batch = x_train[batch_mask], t_train[batch_mask]
        grad = network.gradient(x_batch, t_batch)
        for key in ("W1", "b1", "W2", "b2"):
            network.params[key] -= 0.1 * grad[key]
        losses.append(network.loss(x_batch, t_batch))
    assert np.mean(losses[:20]) > 2.2 > 0.5 > np.mean(losses[-100:])  # std 0.01 weights start at log 10
    assert network.accuracy(x_train, t_train) > 0.93 and network.accuracy(x_test, t_test) > 0.9


def test_ch05_gradient_check(digits):
    (x_train, t_train), _ = digits
    network = TwoLayerNet(input_size=64, hidden_size=50, output_size=10, seed=0)
    x_batch, t_batch = x_train[:3], t_train[:3]
    grad_numerical = network.numerical_gradient(x_batch, t_batch)
    grad_backprop = network.gradient(x_batch, t_batch)
    raw = {key: np.average(np.abs(grad_backprop[key] - grad_numerical[key])) for key in grad_numerical}
    kinked = set()
    for key in grad_numerical:
        # On digits, with weights of std 0.01, a step of h = 1e-4 moves some hidden units across
        # ReLU's kink, where the quotient means nothing; find those entries.
        numeric, kinks, _ = numerical_with_kinks(network.loss_function(x_batch, t_batch), network.params[key],
                                                 network.layers, step=1e-4)
        np.testing.assert_allclose(numeric, grad_numerical[key], rtol=1e-12, atol=1e-15)  # the book's quotient
        if kinks.any():
            kinked.add(key)
        # Away from them, backprop and the book's quotient agree as in the book. Its loss has 1e-7
        # inside the log, so they differ by about 1e-7 / p = 1e-6 relative (p = 0.1 for ten classes
        # at the start): 1e-10 absolute on MNIST's tiny gradients, 1e-9 on digits'.
        away = np.abs(grad_backprop[key] - numeric)[~kinks]
        assert np.average(away) < max(1e-9, 1e-5 * np.average(np.abs(grad_backprop[key]))), key
    assert kinked and kinked <= {"W1", "b1"}  # only the first layer feeds the ReLU
    assert max(raw[key] for key in kinked) > 1e-6  # what the book's average shows: the kinks, not backprop
    assert gradient_check(network, x_batch, t_batch).passed  # our check picks a step that avoids them


def test_ch06_optimizer_compare_naive():
    def df(x, y):
        return x / 10.0, 2.0 * y

    paths = {}
    for name, optimizer in (("SGD", SGD(lr=0.95)), ("Momentum", Momentum(lr=0.1)), ("AdaGrad", AdaGrad(lr=1.5)),
                            ("Adam", Adam(lr=0.3))):
        params, grads, path = {"x": -7.0, "y": 2.0}, {}, []
        for _ in range(30):
            path.append((params["x"], params["y"]))
            grads["x"], grads["y"] = df(params["x"], params["y"])
            optimizer.update(params, grads)
        paths[name] = np.array(path + [(params["x"], params["y"])])
    sign_changes = {name: int(np.sum(np.diff(np.sign(p[:, 1])) != 0)) for name, p in paths.items()}
    assert sign_changes["SGD"] == 30  # SGD zigzags across the valley at every step (the book's figure 6-3)
    assert all(sign_changes[name] < 10 for name in ("Momentum", "AdaGrad", "Adam"))
    distance = {name: np.hypot(*p[-1]) for name, p in paths.items()}
    assert distance["AdaGrad"] == min(distance.values()) < 0.2  # AdaGrad goes straight to the minimum


@pytest.mark.slow
def test_ch06_optimizer_compare_mnist(digits):
    (x_train, t_train), _ = digits
    final = {}
    for name, optimizer in (("SGD", SGD()), ("Momentum", Momentum()), ("AdaGrad", AdaGrad()), ("Adam", Adam())):
        network = MultiLayerNet(input_size=64, hidden_size_list=[100, 100, 100, 100], output_size=10, seed=0)
        losses = []
        for batch_mask in batches(len(x_train), 128, 500):  # the book: 2000 iterations
            grads = network.gradient(x_train[batch_mask], t_train[batch_mask])
            optimizer.update(network.params, grads)
            losses.append(network.loss(x_train[batch_mask], t_train[batch_mask]))
        final[name] = smooth_curve(losses)[-50:].mean()
    # The book's figure 6-9: SGD learns slowest; the other three are far below it.
    assert final["SGD"] == max(final.values())
    assert all(final[name] < final["SGD"] / 5 for name in ("Momentum", "AdaGrad", "Adam"))


@pytest.mark.slow
def test_ch06_weight_init_compare(digits):
    (x_train, t_train), _ = digits
    final = {}
    for key, weight_init_std in (("std=0.01", 0.01), ("Xavier", "sigmoid"), ("He", "relu")):
        network = MultiLayerNet(input_size=64, hidden_size_list=[100, 100, 100, 100], output_size=10,
                                weight_init_std=weight_init_std, seed=0)
        optimizer, losses = SGD(lr=0.01), []
        for batch_mask in batches(len(x_train), 128, 800):  # the book: 2000 iterations
            optimizer.update(network.params, network.gradient(x_train[batch_mask], t_train[batch_mask]))
            losses.append(network.loss(x_train[batch_mask], t_train[batch_mask]))
        final[key] = np.mean(losses[-50:])
    # The book's figure 6-15: std 0.01 never leaves log(10) = 2.30; He learns fastest.
    assert final["std=0.01"] > 2.29
    assert final["He"] < final["Xavier"] < 1.0


def test_ch06_batch_norm_test(digits):
    (x_train, t_train), _ = digits
    x_train, t_train = x_train[:1000], t_train[:1000]
    accuracy = {}
    for weight_init_std in (0.05, 1e-3):  # two of the book's 16 scales, where plain SGD cannot start
        for use_batchnorm in (False, True):
            network = MultiLayerNetExtend(input_size=64, hidden_size_list=[100, 100, 100, 100, 100], output_size=10,
                                          weight_init_std=weight_init_std, use_batchnorm=use_batchnorm, seed=0)
            optimizer = SGD(lr=0.01)
            for batch_mask in batches(len(x_train), 100, 200):  # 20 epochs of 10 iterations, as the book
                optimizer.update(network.params, network.gradient(x_train[batch_mask], t_train[batch_mask]))
            accuracy[weight_init_std, use_batchnorm] = network.accuracy(x_train, t_train)
    for weight_init_std in (0.05, 1e-3):  # the book's figure 6-19: BN learns where the plain network is stuck
        assert accuracy[weight_init_std, False] < 0.2 < 0.8 < accuracy[weight_init_std, True]


def test_ch06_batch_norm_needs_the_books_eps_at_the_smallest_scale(digits):
    from framework import layers
    (x_train, t_train), _ = digits
    x_train, t_train = x_train[:1000], t_train[:1000]
    accuracy = {}
    for eps in (1e-6, 1e-5):  # the book's, and PyTorch's (ours)
        network = MultiLayerNetExtend(input_size=64, hidden_size_list=[100] * 5, output_size=10,
                                      weight_init_std=1e-4, use_batchnorm=True, seed=0)
        for layer in network.layers:
            if isinstance(layer, layers.BatchNormalization):
                layer.eps = eps
        optimizer = SGD(lr=0.01)
        for batch_mask in batches(len(x_train), 100, 200):
            optimizer.update(network.params, network.gradient(x_train[batch_mask], t_train[batch_mask]))
        accuracy[eps] = network.accuracy(x_train, t_train)
    # At std 1e-4 a batch's variance is about 1e-8, far below 1e-5: that eps swamps it.
    assert accuracy[1e-5] < 0.2 < 0.4 < accuracy[1e-6]


def train_overfit(digits, network, epochs=201):
    """The book's setup for overfitting: 300 training samples, SGD lr 0.01, batch 100."""
    (x_train, t_train), (x_test, t_test) = digits
    x_train, t_train = x_train[:300], t_train[:300]
    optimizer = SGD(lr=0.01)
    for batch_mask in batches(300, 100, epochs * 3):
        optimizer.update(network.params, network.gradient(x_train[batch_mask], t_train[batch_mask]))
    return (network.accuracy(x_train, t_train), network.accuracy(x_test, t_test),
            network.loss(x_train, t_train), network.loss(x_test, t_test))


@pytest.mark.slow
def test_ch06_overfit_weight_decay(digits):
    sizes = dict(input_size=64, hidden_size_list=[100] * 6, output_size=10, seed=0)
    train_acc, test_acc, train_loss, test_loss = train_overfit(digits, MultiLayerNet(**sizes))
    decayed = train_overfit(digits, MultiLayerNet(weight_decay_lambda=0.1, **sizes))
    assert train_acc == 1.0  # the book's figure 6-20: the training set is memorized ...
    assert decayed[0] < 1.0 and decayed[0] - decayed[1] < train_acc - test_acc  # ... decay narrows the gap


@pytest.mark.slow
def test_ch06_overfit_dropout(digits):
    (x_train, t_train), (x_test, t_test) = digits
    results = {}
    for use_dropout in (False, True):
        network = MultiLayerNetExtend(input_size=64, hidden_size_list=[100] * 6, output_size=10,
                                      use_dropout=use_dropout, dropout_ration=0.2, seed=0)
        trainer = Trainer(network, x_train[:300], t_train[:300], x_test, t_test, epochs=301, mini_batch_size=100,
                          optimizer="sgd", optimizer_param={"lr": 0.01}, verbose=False, seed=0)
        trainer.train()
        assert len(trainer.train_acc_list) == len(trainer.test_acc_list) == 301
        results[use_dropout] = (trainer.train_acc_list[-1], network.loss(x_train[:300], t_train[:300]),
                                network.loss(x_test, t_test))
    assert results[False][0] == 1.0 > 0.95 > results[True][0]  # with dropout it no longer memorizes
    # On digits the gap closes in the loss: without dropout the test loss is over 10 times the
    # training loss; with it, about the same (in accuracy both gaps stay under 0.1 on this easy set).
    assert results[False][2] > 10 * results[False][1]
    assert results[True][2] < 1.3 * results[True][1]


@pytest.mark.slow
def test_ch06_hyperparameter_optimization(digits):
    (x_train, t_train), _ = digits
    x_train, t_train = shuffle_dataset(x_train[:500], t_train[:500], seed=0)
    x_val, t_val, x_train, t_train = x_train[:100], t_train[:100], x_train[100:], t_train[100:]
    rng = np.random.default_rng(0)
    results = []
    for _ in range(12):  # the book: 100 trials
        weight_decay, lr = 10 ** rng.uniform(-8, -4), 10 ** rng.uniform(-6, -2)
        network = MultiLayerNet(input_size=64, hidden_size_list=[100] * 6, output_size=10,
                                weight_decay_lambda=weight_decay, seed=0)
        trainer = Trainer(network, x_train, t_train, x_val, t_val, epochs=50, mini_batch_size=100,
                          optimizer="sgd", optimizer_param={"lr": lr}, verbose=False, seed=0)
        trainer.train()
        results.append((trainer.test_acc_list[-1], lr))
    results.sort(reverse=True)
    # The book's figure 6-24: the learning rate decides; the best runs have the largest rates.
    assert results[0][0] > 0.5 and results[-1][0] < 0.3
    assert min(lr for _, lr in results[:3]) > max(lr for _, lr in results[-3:])
