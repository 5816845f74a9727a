"""The loss contract (losses.Loss): what every loss gives, used by every network, trainer, CLI and checkpoint."""
import numpy as np
import pytest

from framework import checkpoint as checkpoints
from framework.losses import Loss, MeanSquaredError, PoissonDeviance, SigmoidCrossEntropy, SoftmaxCrossEntropy
from framework.network import LOSSES, MLP, Sequential, conv_net
from framework.layers import Affine, ReLU

LOSS_TARGETS = {  # a loss, and targets of 3 outputs it takes
    SoftmaxCrossEntropy: lambda rng: rng.integers(0, 3, 12),
    SigmoidCrossEntropy: lambda rng: rng.integers(0, 2, (12, 3)),
    MeanSquaredError: lambda rng: rng.normal(size=(12, 3)),
    PoissonDeviance: lambda rng: rng.poisson(2.0, (12, 3)).astype(float),
}
NAMES = {cls: name for name, cls in LOSSES.items()}  # MLP and conv_net take a loss by its name
NETWORKS = {
    "MLP": (lambda loss: MLP(16, [5], 3, loss=NAMES[type(loss)], seed=0), (12, 16)),
    "conv_net": (lambda loss: conv_net((1, 4, 4), filters=(2,), hidden_size=5, output_size=3,
                                       loss=NAMES[type(loss)], seed=0), (12, 1, 4, 4)),
    "Sequential": (lambda loss: Sequential([Affine(np.ones((16, 4)) * 0.1, np.zeros(4)), ReLU(),
                                            Affine(np.ones((4, 3)) * 0.1, np.zeros(3))], loss=loss), (12, 16)),
}


@pytest.mark.parametrize("network", NETWORKS)
@pytest.mark.parametrize("loss", LOSS_TARGETS, ids=lambda cls: cls.__name__)
def test_every_network_with_every_loss_trains_saves_and_loads(network, loss, tmp_path):
    from framework.optimizers import Adam
    from framework.training import fit
    rng = np.random.default_rng(0)
    make, shape = NETWORKS[network]
    model = make(loss())
    x, t = rng.random(shape), LOSS_TARGETS[loss](rng)
    fit(model, Adam(), x, t, epochs=1, batch_size=4, progress=0)
    loaded = checkpoints.load(checkpoints.save(model, tmp_path / "m.npz"))
    assert type(loaded.loss_layer) is loss
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.evaluate(x, t) == model.evaluate(x, t)
    if loss.probabilities is None:
        with pytest.raises(TypeError, match="predict_proba needs a classification loss"):
            loaded.predict_proba(x)
    else:
        np.testing.assert_array_equal(loaded.predict_proba(x), model.predict_proba(x))


@pytest.mark.parametrize("loss", LOSS_TARGETS, ids=lambda cls: cls.__name__)
def test_each_loss_gives_what_the_contract_says(loss):
    rng = np.random.default_rng(1)
    scores, t = rng.normal(size=(12, 3)), LOSS_TARGETS[loss](rng)
    layer = loss()
    checked = layer.check_targets(t, 12, 3)
    assert layer.forward(scores, checked, check=False) == layer.forward(scores, t)
    labels, correct = layer.labels(scores), layer.correct(scores, checked)
    if loss in (MeanSquaredError, PoissonDeviance):
        assert labels is None and correct is None and layer.uniform_loss(3) is None
        expected = np.exp(scores) if loss is PoissonDeviance else scores
        np.testing.assert_array_equal(layer.predictions(scores), expected)
    else:
        p = layer.probabilities(scores)
        assert p.shape == (12, 3) and ((0 < p) & (p < 1)).all()
        right = (labels == checked) if labels.ndim == 1 else (labels == checked).all(axis=1)
        assert correct == int(right.sum())
        # the loss where training starts, at uniform scores, is what uniform_loss says
        assert abs(layer.forward(np.zeros((12, 3)), t) - layer.uniform_loss(3)) <= 1e-12


def test_a_loss_that_is_not_a_loss_layer_is_refused_by_name():
    class Duck:  # forward and backward, but none of the contract
        def forward(self, x, t):
            return 0.0

        def backward(self, dout=1.0):
            return 0.0
    for bad in (Duck(), SoftmaxCrossEntropy, ReLU()):
        with pytest.raises(TypeError, match=r"loss must be a loss layer instance \(framework.losses.Loss"):
            Sequential([Affine(np.ones((4, 2)), np.zeros(2))], loss=bad)

    class Halved(MeanSquaredError):  # a loss of one's own: a subclass gets the whole contract
        def _entries(self, y, t):
            loss, grad = super()._entries(y, t)
            return loss / 2, grad / 2
    model = Sequential([Affine(np.ones((4, 2)), np.zeros(2))], loss=Halved())
    assert isinstance(model.loss_layer, Loss) and model.loss_layer.labels(np.zeros((1, 2))) is None
