"""Each optimizer: one or two steps against its formula worked by hand, and a quadratic minimised."""
import numpy as np
import pytest

from framework.optimizers import SGD, AdaGrad, Adam, AdamW, Momentum, Nesterov, RMSprop


def step(optimizer, w, g):
    params, grads = {"W1": np.array(w, dtype=float)}, {"W1": np.array(g, dtype=float)}
    optimizer.update(params, grads)
    return params["W1"]


def test_sgd_one_step():
    np.testing.assert_allclose(step(SGD(lr=0.1), [1.0, -2.0], [0.5, 1.0]), [0.95, -2.1])


def test_momentum_two_steps():
    opt, params = Momentum(lr=0.1, momentum=0.9), {"w": np.array([1.0])}
    opt.update(params, {"w": np.array([2.0])})  # v = 2; w = 1 - 0.2
    assert params["w"][0] == pytest.approx(0.8)
    opt.update(params, {"w": np.array([1.0])})  # v = 0.9 * 2 + 1 = 2.8; w = 0.8 - 0.28
    assert params["w"][0] == pytest.approx(0.52)


def test_nesterov_two_steps():
    opt, params = Nesterov(lr=0.1, momentum=0.9), {"w": np.array([1.0])}
    opt.update(params, {"w": np.array([2.0])})  # v = 2; w = 1 - 0.1 * (2 + 1.8) = 0.62
    assert params["w"][0] == pytest.approx(0.62)
    opt.update(params, {"w": np.array([1.0])})  # v = 2.8; w = 0.62 - 0.1 * (1 + 2.52) = 0.268
    assert params["w"][0] == pytest.approx(0.268)


def test_adagrad_two_steps():
    opt, params = AdaGrad(lr=0.5), {"w": np.array([1.0])}
    opt.update(params, {"w": np.array([2.0])})  # h = 4; w = 1 - 0.5 * 2 / 2 = 0.5
    assert params["w"][0] == pytest.approx(0.5)
    opt.update(params, {"w": np.array([3.0])})  # h = 13; w = 0.5 - 0.5 * 3 / sqrt(13)
    assert params["w"][0] == pytest.approx(0.5 - 1.5 / np.sqrt(13))


def test_rmsprop_one_step():
    # h = 0.01 * 4 = 0.04; w = 1 - 0.1 * 2 / (0.2 + 1e-8)
    assert step(RMSprop(lr=0.1), [1.0], [2.0])[0] == pytest.approx(1 - 0.2 / (0.2 + 1e-8))


def test_adam_first_step_moves_by_lr_and_second_by_formula():
    opt, params = Adam(lr=0.01), {"w": np.array([1.0])}
    opt.update(params, {"w": np.array([4.0])})
    # m = 0.4, v = 0.016; m_hat = 4, v_hat = 16: w = 1 - 0.01 * 4 / (4 + 1e-8)
    assert params["w"][0] == pytest.approx(1 - 0.01 * 4 / (4 + 1e-8), rel=1e-12)
    opt.update(params, {"w": np.array([-2.0])})
    m = 0.9 * 0.4 + 0.1 * -2.0
    v = 0.999 * 0.016 + 0.001 * 4.0
    m_hat, v_hat = m / (1 - 0.9 ** 2), v / (1 - 0.999 ** 2)
    assert params["w"][0] == pytest.approx(1 - 0.01 * 4 / (4 + 1e-8) - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8),
                                          rel=1e-12)
    assert opt.t == 2


def test_adamw_decays_before_the_adam_step():
    w = step(AdamW(lr=0.1, weight_decay=0.5), [2.0], [3.0])
    assert w[0] == pytest.approx(2.0 * (1 - 0.05) - 0.1 * 3 / (3 + 1e-8))


@pytest.mark.parametrize("optimizer", [SGD(lr=0.1), Momentum(lr=0.05), Nesterov(lr=0.05), AdaGrad(lr=0.5),
                                       RMSprop(lr=0.05), Adam(lr=0.1), AdamW(lr=0.1, weight_decay=0.0)],
                         ids=lambda o: type(o).__name__)
def test_minimises_a_quadratic(optimizer):
    """f(x, y) = x**2 / 20 + y**2, the book's test function, from (-7, 2)."""
    params = {"xy": np.array([-7.0, 2.0])}
    for _ in range(1000):
        x, y = params["xy"]
        optimizer.update(params, {"xy": np.array([x / 10, 2 * y])})
    x, y = params["xy"]
    assert x ** 2 / 20 + y ** 2 < 1e-3


@pytest.mark.parametrize("cls", [SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam, AdamW])
def test_state_and_updates_keep_float32(cls):
    params = {"W": np.ones((2, 2), np.float32)}
    opt = cls(lr=np.float64(0.01))  # even a numpy float64 learning rate must not upcast
    opt.update(params, {"W": np.full((2, 2), 0.5, np.float32)})
    assert params["W"].dtype == np.float32
    for slot in cls.state_names:
        assert getattr(opt, slot)["W"].dtype == np.float32


def test_bad_hyperparameters_and_shapes():
    with pytest.raises(ValueError, match="lr must be >= 0, got -0.1"):
        SGD(lr=-0.1)
    with pytest.raises(ValueError, match="beta1 must be < 1"):
        Adam(beta1=1.0)
    with pytest.raises(ValueError, match=r"grads\['w'\] must have shape \(2,\), got \(3,\)"):
        SGD().update({"w": np.zeros(2)}, {"w": np.zeros(3)})
    assert repr(Adam()) == "Adam(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-08)"


def test_plain_numbers_are_the_book_optimizers_and_refused_by_ours_with_the_way_out():
    from framework import book
    params, grads = {"x": -7.0, "y": np.zeros(2)}, {"x": 0.7, "y": np.ones(2)}
    book.SGD(lr=0.5).update(params, grads)
    assert params["x"] == -7.35 and type(params["x"]) is float and params["y"].tolist() == [-0.5, -0.5]
    with pytest.raises(TypeError, match=r"params\['x'\] must be a float numpy array.*framework.book's optimizers"):
        SGD(lr=0.5).update({"x": -7.0}, {"x": 0.7})


def test_one_rule_for_every_learning_rate_and_a_run_that_a_schedule_took_to_zero_resumes(tmp_path):
    from framework.callbacks import LearningRateScheduler, ModelCheckpoint
    from framework.checkpoint import load_checkpoint
    from framework.cli import main
    from framework.network import MLP
    from framework.schedules import CosineAnnealing, ExponentialDecay
    from framework.training import fit
    from framework.optimizers import OPTIMIZERS
    makers = [lambda lr, cls=cls: cls(lr=lr) for cls in OPTIMIZERS.values()]
    makers += [lambda lr: CosineAnnealing(lr, 3), lambda lr: CosineAnnealing(1.0, 3, min_lr=lr),
               lambda lr: ExponentialDecay(lr)]
    for make in makers:
        assert make(0.0) is not None and make(0) is not None
        for bad, error in ((-0.1, ValueError), (float("inf"), ValueError), ("0.1", TypeError)):
            with pytest.raises(error, match=r"lr must be (>= 0|finite|a number), got"):
                make(bad)
    with pytest.raises(SystemExit):
        main(["train", "--lr", "-0.1"])
    rng = np.random.default_rng(0)
    x, t = rng.random((40, 4)), rng.integers(0, 2, 40)
    path = tmp_path / "cosine.npz"
    whole, optimizer = MLP(4, [3], 2, seed=0), Adam(lr=0.01)
    scheduler = LearningRateScheduler(CosineAnnealing(0.01, 2))  # epoch 3 and on: lr = min_lr = 0
    fit(whole, optimizer, x, t, epochs=4, progress=0, seed=0, callbacks=[scheduler, ModelCheckpoint(path)])
    saved = load_checkpoint(path)
    assert saved.optimizer.lr == 0.0 and saved.history.lr[-1] == 0.0
    fit(saved.model, saved.optimizer, x, t, epochs=5, progress=0, seed=0, resume_from=saved,
        callbacks=[LearningRateScheduler(CosineAnnealing(0.01, 2))])
    before = whole.get_weights()["params"]
    assert all(np.array_equal(saved.model.params[k], before[k]) for k in before)  # lr 0: nothing moves
