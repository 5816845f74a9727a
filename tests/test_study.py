"""Studying backprop: gradient_check, the trace facility, the naive layers, layer statistics."""
import numpy as np
import pytest

from framework.callbacks import LayerStatistics
from framework.datasets import load_digits
from framework.gradcheck import gradient_check
from framework.layers import Affine, BatchNormalization, Dropout, Layer, ReLU, Sigmoid, Tanh
from framework.naive_layers import AddLayer, MulLayer
from framework.network import MLP
from framework.optimizers import SGD
from framework.trace import trace
from framework.training import fit


class BrokenSigmoid(Layer):
    """A sigmoid whose backward forgets the factor (1 - out): the kind of bug gradient_check exists for."""

    def forward(self, x, train=True):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * self.out


class BrokenAffine(Affine):
    """Correct dx, but db forgets to sum over the batch (takes the first row only)."""

    def backward(self, dout):
        dx = super().backward(dout)
        self.grads["b"][...] = dout[0]
        return dx


def test_gradient_check_flags_broken_layers(rng):
    x = rng.normal(size=(4, 3))
    report = gradient_check(BrokenSigmoid(), x)
    assert not report.passed and not report["x"]["passed"] and report["x"]["max_rel_error"] > 0.1
    report = gradient_check(BrokenAffine(rng.normal(size=(3, 2)), rng.normal(size=2)), x)
    assert report["x"]["passed"] and report["W"]["passed"] and not report["b"]["passed"]
    assert "FAILED" in str(report)


@pytest.mark.parametrize("make", [
    lambda r: Affine(r.normal(size=(3, 2)), r.normal(size=2)), lambda r: ReLU(), lambda r: Sigmoid(),
    lambda r: Tanh(), lambda r: Dropout(0.3, seed=1), lambda r: BatchNormalization(r.normal(size=3) + 1, r.normal(size=3)),
])
def test_gradient_check_passes_every_real_layer(make, rng):
    x = np.where(np.abs(rng.normal(size=(5, 3))) < 0.05, 0.5, rng.normal(size=(5, 3)))
    report = gradient_check(make(rng), x, tolerance=1e-5)
    assert report.passed, str(report)


def test_gradient_check_on_networks_and_its_table(rng, capsys):
    (x, t), _ = load_digits()
    report = gradient_check(MLP(64, [10], 10, activation="tanh", seed=0), x[:4], t[:4], verbose=True)
    assert report.passed and [row["name"] for row in report.rows] == ["W1", "b1", "W2", "b2"]
    printed = capsys.readouterr().out
    assert "max rel error" in printed and "all passed" in printed
    assert report.as_dict()["rows"][0]["shape"] == (64, 10)


def test_gradient_check_refuses_float32_and_explains(rng):
    with pytest.raises(TypeError, match="float32 keeps about 7 significant digits"):
        gradient_check(MLP(4, [3], 2, seed=0, dtype=np.float32), np.zeros((2, 4), np.float32), [0, 1])
    with pytest.raises(TypeError, match="must be a network or a layer"):
        gradient_check(object(), np.zeros((2, 2)))


def test_naive_layers_give_the_books_apple_numbers():
    mul_apple, mul_tax = MulLayer(), MulLayer()
    price = mul_tax.forward(mul_apple.forward(100, 2), 1.1)
    assert price == pytest.approx(220)
    dapple_price, dtax = mul_tax.backward(1)
    dapple, dnum = mul_apple.backward(dapple_price)
    assert (dapple, dnum, dtax) == (pytest.approx(2.2), pytest.approx(110), 200)
    assert AddLayer().backward(3.0) == (3.0, 3.0)


def test_trace_records_every_node_and_matches_numerical_gradients():
    model = MLP(2, [2], 2, activation="sigmoid", seed=0)
    x, t = np.array([[1.0, 0.5]]), np.array([1])
    result = trace(model, x, t)
    assert [s["node"] for s in result.forward] == ["Affine1", "Sigmoid1", "Affine2", "SoftmaxCrossEntropy"]
    assert [s["node"] for s in result.backward] == ["SoftmaxCrossEntropy", "Affine2", "Sigmoid1", "Affine1"]
    assert result.loss == pytest.approx(model.loss(x, t))
    # Values follow each other: a node's input is the previous node's output, and so backward.
    np.testing.assert_array_equal(result.forward[1]["x"], result.forward[0]["out"])
    np.testing.assert_array_equal(result.backward[2]["dout"], result.backward[1]["dx"])
    # dW1 = x.T @ dout at the first Affine, as its formula says
    np.testing.assert_allclose(result.backward[3]["grads"]["W"], x.T @ result.backward[3]["dout"])
    for key in model.params:
        np.testing.assert_allclose(result.analytic[key], result.numerical[key], rtol=1e-6, atol=1e-10)
    assert result.max_error() < 1e-8
    assert "dx = dout * out * (1 - out)" in str(result)


def test_layer_statistics_show_vanishing_gradients_for_tiny_initial_weights():
    (x, t), _ = load_digits()
    runs = {}
    for init in (0.01, "he"):
        stats = LayerStatistics(x[:200])
        fit(MLP(64, [50] * 4, 10, weight_init=init, seed=0), SGD(lr=0.01), x, t, epochs=2, progress=0,
            callbacks=[stats])
        runs[init] = stats
    assert set(runs["he"].activations) == {"Affine1", "ReLU1", "Affine2", "ReLU2", "Affine3", "ReLU3",
                                           "Affine4", "ReLU4", "Affine5"}
    assert len(runs["he"].gradient_norms["W1"]) == 2
    assert runs[0.01].gradient_norms["W1"][-1] < 1e-3 * runs["he"].gradient_norms["W1"][-1]
    assert runs[0.01].activations["ReLU4"]["std"][-1] < 1e-4 < runs["he"].activations["ReLU4"]["std"][-1]
    assert "parameter" in runs["he"].table()


def test_layer_statistics_report_dead_relus_and_the_update_to_weight_ratio():
    import warnings

    from framework.doctor import TrainingWarning
    (x, t), _ = load_digits(normalize=False)  # raw pixels 0..16, as the diverging run
    runs = {}
    for lr in (0.01, 1000.0):
        stats = LayerStatistics(x[:300] / (16 if lr < 1 else 1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TrainingWarning)
            fit(MLP(64, [50], 10, seed=0), SGD(lr=lr), x / (16 if lr < 1 else 1), t, epochs=2, progress=0,
                callbacks=[stats])
        runs[lr] = stats
    good, bad = runs[0.01], runs[1000.0]
    assert set(good.activations["ReLU1"]) == {"mean", "std", "dead"} and "dead" not in good.activations["Affine1"]
    assert good.activations["ReLU1"]["dead"][-1] < 0.1 < 0.9 < bad.activations["ReLU1"]["dead"][-1]
    assert good.update_ratios["W1"][-1] < 1e-2 < 1e-1 < bad.update_ratios["W1"][0]  # then dead: no steps at all
    assert bad.update_ratios["W1"][-1] < 1e-6  # then (almost) no unit is alive to move its weights
    assert len(good.update_ratios["b1"]) == 2 and all(r > 0 for r in good.update_ratios["b1"])
    table = bad.table()
    assert "update/weight" in table and "dead" in table and "%" in table.splitlines()[2]


def test_the_update_ratio_and_dead_share_are_what_they_say():
    from framework.callbacks import LayerStatistics as Stats
    from framework.doctor import dead_share
    out = np.array([[0.0, 1.0, 0.0], [0.0, 2.0, 3.0]])
    assert dead_share(out) == 1 / 3
    assert dead_share(np.zeros((4, 2, 3, 3))) == 1.0
    net = MLP(4, [3], 2, seed=0)
    stats = Stats(np.ones((2, 4)))
    stats.set_context(net, None, None, None)
    before = {key: value.copy() for key, value in net.params.items()}
    stats.on_batch_begin(0, {})
    for key in net.params:
        net.grads[key][...] = 1.0
        net.params[key] += 0.5  # a step of 0.5 in every entry
    stats.on_batch_end(0, {})
    stats.on_epoch_end(1, {})
    for key, value in before.items():
        norm = np.linalg.norm(value)
        expected = None if norm == 0 else 0.5 * np.sqrt(value.size) / norm
        assert stats.update_ratios[key] == [expected] if expected is None else \
            abs(stats.update_ratios[key][0] - expected) <= 1e-12 * expected
    assert stats.update_ratios["b1"] == [None] and "-" in stats.table()
