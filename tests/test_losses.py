"""Losses: values, dL/da against finite differences, the batch mean, fused softmax cross-entropy."""

import warnings

import numpy as np
import pytest
from helpers_core import check_gradient, one_hot

import bpkit
from bpkit import Network
from bpkit.losses import (
    binary_cross_entropy,
    cross_entropy,
    get_loss,
    log_sum_exp,
    logit_loss,
    mse,
    sigmoid_bce,
    sigmoid_binary_cross_entropy,
    softmax_ce,
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


# --------------------------------------------------------------------------- sigmoid + BCE from the logits


@pytest.mark.parametrize("shape", [(1, 1), (1, 6), (3, 4)])
def test_sigmoid_bce_equals_bce_of_the_sigmoid_where_it_does_not_saturate(shape):
    rng = np.random.default_rng(11)
    z, y = rng.normal(0, 2, size=shape), rng.uniform(0, 1, size=shape)
    loss, delta = sigmoid_binary_cross_entropy(z, y)
    assert isinstance(loss, float)
    assert loss == pytest.approx(binary_cross_entropy.value(bpkit.sigmoid(z), y), rel=1e-13)
    np.testing.assert_allclose(delta, (bpkit.sigmoid(z) - y) / shape[1], rtol=1e-13, atol=1e-17)
    via_eq1 = bpkit.output_error(binary_cross_entropy.gradient(bpkit.sigmoid(z), y), z, "sigmoid")
    np.testing.assert_allclose(delta, via_eq1, rtol=1e-10, atol=1e-17)


@pytest.mark.parametrize("scale", [1.0, 30.0, 200.0, 800.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_sigmoid_bce_delta_is_the_gradient_of_its_loss_in_the_saturated_regime(scale, seed):
    """Logits of size 30-800, where a = σ(z) rounds to 0 or 1 and BCE on a has to clip."""
    rng = np.random.default_rng(seed)
    z = rng.choice([-1.0, 1.0], size=(2, 5)) * rng.uniform(0.5, 1.0, size=(2, 5)) * scale
    y = rng.integers(0, 2, size=(2, 5)).astype(float)
    _, delta = sigmoid_binary_cross_entropy(z, y)
    check_gradient(lambda v: sigmoid_binary_cross_entropy(v, y)[0], z, delta, what="sigmoid-BCE delta",
                   magnitude=lambda v: np.sum(np.logaddexp(0, v)) + np.sum(np.abs(y * v)))


@pytest.mark.parametrize("scale", [30.0, 200.0, 800.0])
def test_softmax_ce_delta_is_the_gradient_of_its_loss_in_the_saturated_regime(scale):
    rng = np.random.default_rng(2)
    z = rng.normal(size=(4, 5)) * scale
    y = one_hot(rng.integers(0, 4, size=5), 4)
    _, delta = softmax_cross_entropy(z, y)
    check_gradient(lambda v: softmax_cross_entropy(v, y)[0], z, delta, what="softmax-CE delta",
                   magnitude=lambda v: np.sum(np.abs(log_sum_exp(v))) + np.sum(np.abs(y * v)))


def test_the_issue_example_is_exact_at_z_30_and_800():
    """Network picks the fused sigmoid + BCE: loss 30 and db = -1 at z = -30 (clipped BCE gave 27.63
    and -0.0936), and at z = -800 loss 800 and db = -1 (clipped BCE gave a gradient of exactly 0)."""
    net = Network([2, 1], output="sigmoid", loss="binary_cross_entropy")
    assert net.logit_loss is sigmoid_bce
    X, Y = np.array([[1.0], [0.0]]), np.array([[1.0]])
    for w in (30.0, 800.0):
        net.W[1] = np.array([[-w, 0.0]])
        loss, dW, db = net.gradients(X, Y)
        assert loss == pytest.approx(w, rel=1e-15)
        assert db[1][0, 0] == pytest.approx(-1.0, rel=1e-13)
        np.testing.assert_allclose(dW[1], [[-1.0, 0.0]], rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_logit_losses_raise_no_warning_at_huge_logits(dtype):
    z = np.array([[-800.0, 800.0, 0.0], [3.0, -3.0, 800.0]], dtype)
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]], dtype)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        loss, delta = sigmoid_binary_cross_entropy(z, y)
        ce_loss, ce_delta = softmax_cross_entropy(z, y)
    assert np.isfinite(loss) and np.all(np.isfinite(delta)) and delta.dtype == dtype
    assert np.isfinite(ce_loss) and ce_delta.dtype == dtype


def test_logit_loss_is_chosen_for_the_two_fused_pairs_only():
    assert logit_loss(bpkit.softmax, cross_entropy) is softmax_ce
    assert logit_loss(bpkit.sigmoid, binary_cross_entropy) is sigmoid_bce
    assert logit_loss(bpkit.sigmoid, cross_entropy) is None
    assert logit_loss(bpkit.softmax, binary_cross_entropy) is None
    assert logit_loss(bpkit.tanh, mse) is None
    assert repr(softmax_ce) == "LogitLoss('softmax_cross_entropy')"


# --------------------------------------------------------------------------- softmax-CE targets


@pytest.mark.parametrize(("y", "pattern"), [
    (np.array([[1.0, 1.0], [0.0, 1.0]]), r"y must hold probabilities .* column 1 of y sums to 2"),
    (np.array([[0.0, 0.5], [0.0, 0.5]]), r"column 0 of y sums to 0"),
    (np.array([[1.5, 0.5], [-0.5, 0.5]]), r"no negative entry; column 0 of y has -0.5"),
])
def test_softmax_cross_entropy_refuses_targets_that_are_not_probabilities(y, pattern):
    with pytest.raises(ValueError, match=pattern):
        softmax_cross_entropy(np.zeros((2, 2)), y)


def test_a_softmax_ce_network_names_Y_when_the_targets_are_not_probabilities():
    net = Network([3, 4, 2], output="softmax", loss="cross_entropy")
    X, Y = np.zeros((3, 2)), np.array([[1.0, 1.0], [1.0, 0.0]])
    for call in (lambda: net.gradients(X, Y), lambda: net.loss(X, Y),
                 lambda: net.train(X, Y, epochs=1, progress=False)):
        with pytest.raises(ValueError, match=r"Y must hold probabilities .* column 0 of Y sums to 2"):
            call()
    with pytest.raises(ValueError, match=r"Y_val must hold probabilities"):
        net.train(X, np.eye(2), epochs=1, progress=False, validation=(X, Y))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_soft_probability_targets_are_accepted_and_exact(dtype):
    rng = np.random.default_rng(4)
    z = rng.normal(size=(3, 4))
    y = rng.dirichlet(np.ones(3), size=4).T.astype(dtype)     # columns sum to 1 up to rounding
    _, delta = softmax_cross_entropy(z.astype(dtype), y)
    np.testing.assert_allclose(delta, (bpkit.softmax(z) - y) / 4, rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-7 if dtype == np.float32 else 1e-16)
