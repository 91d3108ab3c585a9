"""Activations: sigma' against central differences, softmax's backward, stability, lookup."""

import warnings

import numpy as np
import pytest
from helpers_core import (
    ALL_ACTIVATIONS,
    ELEMENTWISE,
    STEP,
    assert_matches_estimate,
    check_gradient,
    elementwise_difference,
    random_z,
)

import bpkit
from bpkit.activations import LEAKY_SLOPE, Activation, get_activation, softmax


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_derivative_matches_central_differences(name, seed):
    act = get_activation(name)
    z = random_z(np.random.default_rng(seed), (5, 7), name, scale=3.0)
    D_h, fsum, step = elementwise_difference(act.forward, z, STEP)
    D_2h, _, _ = elementwise_difference(act.forward, z, 2 * STEP)
    assert_matches_estimate(act.derivative(z), D_h, D_2h, fsum, step, what=f"{name}'")


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_backward_is_grad_times_derivative(name):
    act = get_activation(name)
    rng = np.random.default_rng(3)
    z = random_z(rng, (4, 6), name)
    grad_a = rng.normal(size=(4, 6))
    np.testing.assert_array_equal(act.backward(z, grad_a), grad_a * act.derivative(z))


def test_known_derivative_values():
    z0 = np.zeros((1, 1))
    assert bpkit.sigmoid.derivative(z0)[0, 0] == 0.25
    assert bpkit.tanh.derivative(z0)[0, 0] == 1.0
    assert bpkit.relu.derivative(z0)[0, 0] == 0.0  # the documented choice at the kink
    z = np.array([[-2.0, 3.0]])
    np.testing.assert_array_equal(bpkit.leaky_relu.derivative(z), [[LEAKY_SLOPE, 1.0]])
    np.testing.assert_array_equal(bpkit.identity.derivative(z), [[1.0, 1.0]])


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_softmax_backward_matches_finite_differences(seed):
    """softmax.backward(z, g) is the gradient of sum(g * softmax(z)) with respect to z."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 2, size=(4, 3))
    g = rng.normal(size=(4, 3))
    check_gradient(lambda v: np.sum(g * softmax(v)), z, softmax.backward(z, g), what="softmax backward",
                   magnitude=lambda v: np.sum(np.abs(g) * softmax(v)))


def test_softmax_backward_is_jacobian_transpose_product():
    z = np.array([[0.5], [-1.0], [2.0]])
    g = np.array([[1.0], [2.0], [-3.0]])
    s = softmax(z)[:, 0]
    jacobian = np.diag(s) - np.outer(s, s)
    np.testing.assert_allclose(softmax.backward(z, g)[:, 0], jacobian.T @ g[:, 0], rtol=1e-14, atol=1e-15)


def test_softmax_columns_are_probabilities_and_independent():
    rng = np.random.default_rng(4)
    z = rng.normal(0, 3, size=(5, 4))
    s = softmax(z)
    assert np.all(s > 0)
    np.testing.assert_allclose(s.sum(axis=0), 1.0, rtol=0, atol=1e-15)
    for j in range(4):
        np.testing.assert_allclose(s[:, [j]], softmax(z[:, [j]]), rtol=1e-15)


def _no_warnings(fn, *args):
    """Call ``fn`` turning overflow / invalid / divide-by-zero (and any warning) into errors.

    Underflow to 0 (exp(-1000)) is the expected, harmless outcome, so it is allowed.
    """
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        return fn(*args)


def test_sigmoid_is_stable_for_large_inputs():
    z = np.concatenate([np.linspace(-1000, 1000, 401), [-1000.0, 1000.0, -745.5, 710.0]]).reshape(1, -1)
    s = _no_warnings(bpkit.sigmoid, z)
    d = _no_warnings(bpkit.sigmoid.derivative, z)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(d))
    assert np.all((s >= 0) & (s <= 1)) and np.all(d >= 0)
    assert s[0, -4] == 0.0 and s[0, -3] == 1.0
    np.testing.assert_allclose(s + _no_warnings(bpkit.sigmoid, -z), 1.0, rtol=0, atol=1e-15)


def test_sigmoid_float32_is_stable_and_keeps_dtype():
    z = np.array([[-1000.0, -50.0, 0.0, 50.0, 1000.0]], dtype=np.float32)
    s = _no_warnings(bpkit.sigmoid, z)
    assert s.dtype == np.float32
    assert s[0, 0] == 0.0 and s[0, 2] == 0.5 and s[0, 3] == 1.0 and s[0, 4] == 1.0
    assert 0.0 < s[0, 1] < 1e-20


def test_softmax_is_max_shifted():
    z = np.array([[1000.0, 1000.0, -1000.0], [1000.0, 0.0, 0.0]])
    s = _no_warnings(softmax, z)
    np.testing.assert_allclose(s, [[0.5, 1.0, 0.0], [0.5, 0.0, 1.0]], rtol=0, atol=1e-300)
    z_small = np.array([[1.0], [2.0], [3.0]])
    np.testing.assert_allclose(softmax(z_small + 1000.0), softmax(z_small), rtol=1e-14)
    g = np.array([[1.0], [0.0], [0.0]])
    assert np.all(np.isfinite(_no_warnings(softmax.backward, z_small + 1000.0, g)))


@pytest.mark.parametrize("name", ALL_ACTIVATIONS)
def test_activations_keep_float32(name):
    act = get_activation(name)
    z = np.array([[-1.5, 0.5], [2.0, -0.25]], dtype=np.float32)
    assert act(z).dtype == np.float32
    assert act.backward(z, np.ones_like(z)).dtype == np.float32
    if act.elementwise:
        assert act.derivative(z).dtype == np.float32


@pytest.mark.parametrize("name", ALL_ACTIVATIONS)
def test_lookup_by_name_returns_the_module_object(name):
    act = get_activation(name)
    assert isinstance(act, Activation)
    assert act is getattr(bpkit, name)
    assert get_activation(name.upper()) is act
    assert get_activation(act) is act
    assert repr(act) == f"Activation({name!r})"


def test_linear_is_identity():
    assert get_activation("linear") is bpkit.identity


def test_custom_activation_object_passes_through():
    cube = Activation("cube", lambda z: z ** 3, lambda z: 3 * z ** 2)
    assert get_activation(cube) is cube
    z = np.array([[2.0]])
    assert cube(z)[0, 0] == 8.0 and cube.backward(z, np.ones((1, 1)))[0, 0] == 12.0


@pytest.mark.parametrize("bad", ["sigmod", "", None, 3, np.tanh])
def test_unknown_activation_is_a_clear_error(bad):
    with pytest.raises(ValueError, match=r"unknown activation .*choose one of \[.*'relu'.*\]"):
        get_activation(bad)
