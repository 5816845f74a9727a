"""framework.checks: the shared input checks name the argument, what was expected and what came."""
import numpy as np
import pytest

from framework.checks import (as_array, as_labels, check_bool, check_choice, check_dtype, check_number,
                                  check_sample_weight, one_hot_to_labels)


def test_check_number_types_bounds_and_plain_python_results():
    assert check_number(np.float32(0.5), "lr", low=0) == 0.5 and type(check_number(np.float32(0.5), "lr")) is float
    assert type(check_number(np.int64(3), "n", integer=True)) is int
    with pytest.raises(TypeError, match="lr must be a number, got '1'"):
        check_number("1", "lr")
    with pytest.raises(TypeError, match="epochs must be an integer, got 2.0"):
        check_number(2.0, "epochs", integer=True)
    with pytest.raises(TypeError, match="flag must be a number, got True"):
        check_number(True, "flag")
    with pytest.raises(ValueError, match="lr must be finite, got nan"):
        check_number(float("nan"), "lr")
    with pytest.raises(ValueError, match="ratio must be < 1, got 1"):
        check_number(1, "ratio", low=0, high=1, high_open=True)
    with pytest.raises(ValueError, match="lr must be > 0, got 0"):
        check_number(0, "lr", low=0, low_open=True)


def test_check_bool_refuses_strings_and_numbers():
    assert check_bool(np.bool_(True), "shuffle") is True
    for value in ("no", 0, None):
        with pytest.raises(TypeError, match=f"shuffle must be True or False, got {value!r}"):
            check_bool(value, "shuffle")


def test_check_choice_and_dtype():
    assert check_choice("relu", "activation", ("relu", "tanh")) == "relu"
    with pytest.raises(ValueError, match="activation must be one of 'relu', 'tanh'; got 'elu'"):
        check_choice("elu", "activation", ("relu", "tanh"))
    assert check_dtype("float32") is np.float32
    with pytest.raises(ValueError, match="dtype must be numpy.float32 or numpy.float64, got 'int8'"):
        check_dtype("int8")


def test_as_array_converts_integers_keeps_float32_and_refuses_the_rest():
    assert as_array([[1, 2]], "x").dtype == np.float64
    assert as_array(np.ones((1, 2), np.float32), "x").dtype == np.float32
    with pytest.raises(TypeError, match="x must be a numeric array, got a str"):
        as_array("abc", "x")
    with pytest.raises(TypeError, match="x must be a numeric array, got dtype complex128"):
        as_array([1j], "x")
    with pytest.raises(ValueError, match=r"x must not be empty, got shape \(0, 3\)"):
        as_array(np.zeros((0, 3)), "x")
    with pytest.raises(ValueError, match="x must be finite, got 2 NaN or infinite value"):
        as_array([[np.nan, 1.0, np.inf]], "x")
    with pytest.raises(ValueError, match=r"y must be 1-D or 2-D, got shape \(1, 1, 1\)"):
        as_array(np.ones((1, 1, 1)), "y", ndim=(1, 2))


def test_as_labels_accepts_labels_and_one_hot_and_says_what_is_wrong():
    np.testing.assert_array_equal(as_labels([2, 0], 2, 3), [2, 0])
    np.testing.assert_array_equal(as_labels(np.eye(3)[[2, 0]], 2, 3), [2, 0])
    np.testing.assert_array_equal(as_labels([1.0, 0.0], 2, 2), [1, 0])
    with pytest.raises(ValueError, match=r"t must hold labels in \[0, 2\], got 3 \(labels that start at 1\?"):
        as_labels([1, 3], 2, 3)
    with pytest.raises(ValueError, match=r"t must hold labels in \[0, 2\], got -1"):
        as_labels([-1, 0], 2, 3)
    with pytest.raises(ValueError, match="t must hold integer class labels, got non-integer value 0.5"):
        as_labels([0.5, 1.0], 2, 3)
    with pytest.raises(ValueError, match="t must have one entry per sample: expected 3, got 2"):
        as_labels([0, 1], 3, 3)
    with pytest.raises(ValueError, match=r"got a column of shape \(2, 1\); use t.ravel\(\)"):
        as_labels([[0], [1]], 2, 3)


def test_one_hot_rows_must_hold_a_single_one():
    np.testing.assert_array_equal(one_hot_to_labels(np.array([[0, 1], [1, 0]]), "t"), [1, 0])
    with pytest.raises(ValueError, match=r"row 1 is \[1, 1\], expected a single 1"):
        one_hot_to_labels(np.array([[0, 1], [1, 1]]), "t")


def test_sample_weight_checks():
    assert check_sample_weight([1, 2], 2, np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="sample_weight must be >= 0, got -1.0"):
        check_sample_weight([1, -1], 2, np.float64)
    with pytest.raises(ValueError, match="sample_weight must not be all zero"):
        check_sample_weight([0, 0], 2, np.float64)
    with pytest.raises(ValueError, match="one weight per sample: expected 3, got 2"):
        check_sample_weight([1, 1], 3, np.float64)
