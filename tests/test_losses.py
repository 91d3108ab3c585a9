"""Losses: values, dL/da against finite differences, the batch mean, fused softmax cross-entropy."""

import warnings

import numpy as np
import pytest
from helpers_core import check_gradient, one_hot

import bpkit
from bpkit.losses import (
    binary_cross_entropy,
    cross_entropy,
    get_loss,
    log_sum_exp,
    mse,
    softmax_cross_entropy,
)

LOSSES = ("mse", "binary_cross_entropy", "cross_entropy")
SHAPES = [(3, 1), (3, 5), (4, 2), (1, 6)]


def make_pair(loss: str, shape: tuple[int, int], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """An output ``a`` in the loss's domain and a matching target ``y``."""
    rng = np.random.default_rng(seed)
    n, m = shape
    if loss == "mse":
        return rng.normal(size=shape), rng.normal(size=shape)
    a = rng.uniform(0.05, 0.95, size=shape)
    if loss == "binary_cross_entropy":
        return a, rng.uniform(0.0, 1.0, size=shape)
    return a, one_hot(rng.integers(0, n, size=m), n)


def per_example(loss: str, a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The loss of each column, written out from the textbook formulas."""
    if loss == "mse":
        return 0.5 * np.sum((a - y) ** 2, axis=0)
    if loss == "binary_cross_entropy":
        return -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a), axis=0)
    return -np.sum(y * np.log(a), axis=0)


def test_mse_uses_the_one_half_convention():
    a, y = np.array([[3.0]]), np.array([[1.0]])
    assert mse.value(a, y) == 2.0  # (1/2)(3 - 1)^2, not (3 - 1)^2 = 4
    np.testing.assert_array_equal(mse.gradient(a, y), [[2.0]])  # a - y, no stray factor 2
    a, y = np.array([[0.5, 1.0]]), np.array([[0.0, 1.0]])
    assert mse.value(a, y) == 0.0625  # (1/2)(0.25 + 0) / 2 examples
    np.testing.assert_array_equal(mse.gradient(a, y), [[0.25, 0.0]])


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("shape", SHAPES)
def test_value_is_the_mean_of_the_per_example_losses(loss, shape):
    a, y = make_pair(loss, shape, seed=1)
    expected = np.mean(per_example(loss, a, y))
    assert get_loss(loss).value(a, y) == pytest.approx(expected, rel=1e-14, abs=0)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", [0, 1])
def test_gradient_matches_finite_differences(loss, shape, seed):
    fn = get_loss(loss)
    a, y = make_pair(loss, shape, seed)
    check_gradient(lambda v: fn.value(v, y), a, fn.gradient(a, y), what=f"d{loss}/da")


@pytest.mark.parametrize("loss", LOSSES)
def test_duplicating_the_batch_leaves_the_mean_loss_unchanged(loss):
    fn = get_loss(loss)
    a, y = make_pair(loss, (3, 4), seed=2)
    a2, y2 = np.hstack([a, a]), np.hstack([y, y])
    assert fn.value(a2, y2) == pytest.approx(fn.value(a, y), rel=1e-14)
    # ... and the gradient of each copy halves: every column carries 1/m.
    np.testing.assert_allclose(fn.gradient(a2, y2), np.hstack([fn.gradient(a, y)] * 2) / 2, rtol=1e-14)


@pytest.mark.parametrize("loss", LOSSES)
def test_gradient_keeps_the_shape_of_a(loss):
    a, y = make_pair(loss, (4, 3), seed=3)
    assert get_loss(loss).gradient(a, y).shape == (4, 3)


def test_integer_targets_are_accepted():
    a = np.array([[0.25, 0.75]])
    assert binary_cross_entropy.value(a, np.array([[0, 1]])) == pytest.approx(-np.log(0.75))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_binary_cross_entropy_is_finite_for_saturated_outputs(dtype):
    """A saturated sigmoid gives exactly 0.0 or 1.0; the loss and its gradient must stay finite."""
    a = np.array([[1.0, 0.0, 1.0, 0.0]], dtype=dtype)
    y = np.array([[0.0, 1.0, 1.0, 0.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = binary_cross_entropy.value(a, y)
        grad = binary_cross_entropy.gradient(a, y)
    assert np.isfinite(value) and value > 5.0  # two confidently wrong answers out of four cost a lot
    assert np.all(np.isfinite(grad))
    assert grad[0, 0] > 0 and grad[0, 1] < 0  # and points the right way


def test_cross_entropy_is_finite_when_a_probability_underflows():
    a = np.array([[0.0], [1.0]])
    y = np.array([[1.0], [0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(cross_entropy.value(a, y))
        assert np.all(np.isfinite(cross_entropy.gradient(a, y)))


# --------------------------------------------------------------------------- softmax + cross-entropy

def logits_and_targets(shape, seed):
    rng = np.random.default_rng(seed)
    n, m = shape
    return rng.normal(0, 2, size=shape), one_hot(rng.integers(0, n, size=m), n)


@pytest.mark.parametrize("shape", [(3, 1), (4, 6), (2, 3)])
def test_softmax_cross_entropy_equals_cross_entropy_of_softmax(shape):
    z, y = logits_and_targets(shape, seed=5)
    loss, _ = softmax_cross_entropy(z, y)
    assert isinstance(loss, float)
    assert loss == pytest.approx(cross_entropy.value(bpkit.softmax(z), y), rel=1e-13)


@pytest.mark.parametrize("shape", [(3, 1), (4, 6), (2, 3)])
def test_softmax_cross_entropy_delta_is_softmax_minus_y_over_m(shape):
    z, y = logits_and_targets(shape, seed=6)
    _, delta = softmax_cross_entropy(z, y)
    np.testing.assert_allclose(delta, (bpkit.softmax(z) - y) / shape[1], rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("shape", [(3, 1), (4, 6), (2, 3)])
@pytest.mark.parametrize("seed", [0, 1])
def test_softmax_cross_entropy_delta_is_the_gradient_of_the_loss(shape, seed):
    z, y = logits_and_targets(shape, seed)
    _, delta = softmax_cross_entropy(z, y)
    # The loss is log-sum-exp minus y.z, a difference that can cancel: round-off scales with both.
    check_gradient(lambda v: softmax_cross_entropy(v, y)[0], z, delta, what="delta[L] from logits",
                   magnitude=lambda v: np.sum(np.abs(log_sum_exp(v))) + np.sum(np.abs(y * v)))


def test_softmax_cross_entropy_delta_equals_equation_1_through_softmax():
    z, y = logits_and_targets((4, 5), seed=7)
    _, delta = softmax_cross_entropy(z, y)
    via_eq1 = bpkit.output_error(cross_entropy.gradient(bpkit.softmax(z), y), z, "softmax")
    np.testing.assert_allclose(delta, via_eq1, rtol=1e-12, atol=1e-16)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    z = np.array([[1000.0, -1000.0], [0.0, 1000.0], [-1000.0, 0.0]])
    y = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        loss, delta = softmax_cross_entropy(z, y)
    # Column 1: log-sum-exp = 1000 and z_y = 0, so its loss is 1000; column 2 is right: loss 0.
    assert loss == pytest.approx(500.0, rel=1e-12)
    np.testing.assert_allclose(delta, [[0.5, 0.0], [-0.5, 0.0], [0.0, 0.0]], atol=1e-300)


# --------------------------------------------------------------------------- lookup

@pytest.mark.parametrize(
    ("name", "expected"),
    [("mse", mse), ("MSE", mse), ("binary_cross_entropy", binary_cross_entropy),
     ("bce", binary_cross_entropy), ("cross_entropy", cross_entropy), ("ce", cross_entropy)],
)
def test_loss_lookup_by_name_and_alias(name, expected):
    assert get_loss(name) is expected
    assert get_loss(expected) is expected


def test_loss_is_callable_and_has_a_helpful_repr():
    a, y = make_pair("mse", (2, 3), seed=8)
    assert mse(a, y) == mse.value(a, y)
    assert repr(mse) == "Loss('mse')"


def test_unknown_loss_is_a_clear_error():
    with pytest.raises(ValueError, match=r"unknown loss 'hinge'; choose one of \[.*'mse'.*\]"):
        get_loss("hinge")
