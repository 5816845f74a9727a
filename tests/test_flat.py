"""framework.engine's packed buffers change no number (nor do in-place optimizer rules and the skipped first dx)."""
import numpy as np
import pytest

from framework import engine
from framework.layers import Affine, ReLU
from framework.network import MLP, Sequential
from framework.optimizers import OPTIMIZERS


def unpacked_copy(model):
    """The same network as a Sequential of separate arrays (updated key by key)."""
    W1, b1, W2, b2 = (model.params[k].copy() for k in ("W1", "b1", "W2", "b2"))
    return Sequential([Affine(W1, b1), ReLU(), Affine(W2, b2)])


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_packed_and_per_key_updates_are_identical(name):
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(20, 300)), rng.integers(0, 10, size=20)
    packed = MLP(300, [256], 10, seed=0)  # 79,626 parameters in one buffer
    plain = unpacked_copy(packed)
    assert engine.packed(packed.params) is not None and engine.packed(plain.params) is None
    opt_packed, opt_plain = OPTIMIZERS[name](lr=0.01), OPTIMIZERS[name](lr=0.01)
    for _ in range(3):
        for model, optimizer in ((packed, opt_packed), (plain, opt_plain)):
            model.loss(x, t)
            model.backward(input_grad=False)
            optimizer.update(model.params, model.grads)
    for key in packed.params:
        np.testing.assert_array_equal(packed.params[key], plain.params[key])
        for slot in opt_packed.state_names:
            np.testing.assert_array_equal(getattr(opt_packed, slot)[key], getattr(opt_plain, slot)[key])


def test_packed_views_are_the_layers_arrays_and_replacing_one_unpacks():
    model = MLP(4, [3], 2, seed=0)
    flat = engine.packed(model.params).buffer
    assert flat.size == model.parameter_count
    assert np.shares_memory(model.layers[0].params["W"], flat)
    model.layers[0].params["W"] = np.zeros((4, 3))  # a user swaps an array in by hand
    assert engine.packed(model.params) is None  # optimizers fall back to key-by-key updates
    before = model.layers[0].params["W"].copy()
    OPTIMIZERS["sgd"](lr=0.1).update(model.params, {k: np.ones_like(v) for k, v in model.params.items()})
    np.testing.assert_allclose(model.layers[0].params["W"], before - 0.1)


@pytest.mark.parametrize("replace", ["a layer's dict", "a layer", "an added layer", "a grads array"])
def test_every_kind_of_replacement_unpacks_and_training_still_reaches_the_layers(replace):
    from framework.layers import Affine, ReLU
    model = MLP(4, [3], 2, seed=0)
    assert engine.packed(model.params) is not None and engine.packed(model.grads) is not None
    if replace == "a layer's dict":
        model.layers[0].params = {key: value.copy() for key, value in model.layers[0].params.items()}
    elif replace == "a layer":
        model.layers[0] = Affine(model.layers[0].params["W"].copy(), model.layers[0].params["b"].copy())
    elif replace == "an added layer":
        model.layers.append(ReLU())
    else:
        model.layers[0].grads["W"] = np.zeros((4, 3))
    attribute = "grads" if replace == "a grads array" else "params"
    assert engine.packed(getattr(model, attribute)) is None
    if replace != "an added layer":
        x, t = np.ones((5, 4)), np.array([0, 1, 0, 1, 1])
        before = model.layers[0].params["W"].copy()
        model.loss_and_scores(x, t)
        model.backward()
        OPTIMIZERS["sgd"](lr=0.1).update(model.params, model.grads)
        np.testing.assert_allclose(model.layers[0].params["W"], before - 0.1 * model.layers[0].grads["W"])


def test_skipping_the_first_dx_changes_no_gradient():
    rng = np.random.default_rng(1)
    x, t = rng.normal(size=(6, 5)), rng.integers(0, 3, size=6)
    model = MLP(5, [4], 3, seed=0)
    model.loss(x, t)
    assert model.backward(input_grad=True).shape == x.shape
    full = {k: v.copy() for k, v in model.grads.items()}
    model.loss(x, t)
    assert model.backward(input_grad=False) is None
    for key in full:
        np.testing.assert_array_equal(model.grads[key], full[key])


def test_a_pickled_model_and_optimizer_keep_training_exactly_like_the_originals():
    import copy
    import pickle
    rng = np.random.default_rng(2)
    x, t = rng.normal(size=(30, 8)), rng.integers(0, 3, size=30)
    model, optimizer = MLP(8, [16], 3, seed=0), OPTIMIZERS["adam"](lr=0.01)
    from framework.training import fit
    fit(model, optimizer, x, t, epochs=2, batch_size=10, seed=0, progress=0)
    twin_model, twin_optimizer = pickle.loads(pickle.dumps((model, optimizer)))
    copied_model, copied_optimizer = copy.deepcopy((model, optimizer))
    assert engine.packed(twin_model.params) is not None and np.shares_memory(twin_model.layers[0].params["W"],
                                                                    engine.packed(twin_model.params).buffer)
    for m, o in ((model, optimizer), (twin_model, twin_optimizer), (copied_model, copied_optimizer)):
        fit(m, o, x, t, epochs=2, batch_size=10, seed=1, progress=0)
    for key in model.params:
        np.testing.assert_array_equal(twin_model.params[key], model.params[key])
        np.testing.assert_array_equal(copied_model.params[key], model.params[key])


@pytest.mark.parametrize("name", ["momentum", "adagrad", "adam"])
@pytest.mark.parametrize("replace", ["an entry", "the dict", "the dict's entries in place"])
def test_a_replaced_optimizer_state_is_what_the_next_packed_step_uses(name, replace):
    rng = np.random.default_rng(3)
    x, t = rng.normal(size=(12, 6)), rng.integers(0, 3, size=12)
    packed = MLP(6, [5], 3, seed=0)
    plain = unpacked_copy(packed)
    optimizers = {id(packed): OPTIMIZERS[name](lr=0.01), id(plain): OPTIMIZERS[name](lr=0.01)}

    def step(model):
        model.loss(x, t)
        model.backward(input_grad=False)
        optimizers[id(model)].update(model.params, model.grads)

    for model in (packed, plain):
        step(model)
        optimizer = optimizers[id(model)]
        slot = optimizer.state_names[-1]
        new = {key: np.full_like(value, 0.5) for key, value in getattr(optimizer, slot).items()}
        if replace == "an entry":
            getattr(optimizer, slot)["W1"] = new["W1"]
        elif replace == "the dict":
            setattr(optimizer, slot, new)
        else:
            getattr(optimizer, slot).clear()
            getattr(optimizer, slot).update(new)
        step(model)
    for key in packed.params:
        np.testing.assert_array_equal(packed.params[key], plain.params[key])
