"""The forward step, Equations 1-4 and the update, each against finite differences.

Each equation gets a scalar function whose exact gradient is what the equation
claims to compute, and that gradient is compared with central differences by
the estimate rule of ``helpers_core`` (no loose absolute tolerance). Shapes are
drawn by hypothesis with ``n_l``, ``n_{l-1}`` and ``m`` all different, so a
transposed answer cannot even have the right shape; both single examples
(``m = 1``) and batches are covered.
"""

import numpy as np
import pytest
from helpers_core import (
    ALL_ACTIVATIONS,
    CORE_SETTINGS,
    KINK_MARGIN,
    KINKED,
    central_difference,
    check_gradient,
    distinct_dims,
    linear_magnitude,
    one_hot,
    passes_estimate_rule,
    random_z,
    seeds,
)
from hypothesis import given, settings

from bpkit import (
    backprop_error,
    bias_gradient,
    forward_step,
    get_activation,
    get_loss,
    mse,
    output_error,
    sgd_update,
    weight_gradient,
)

LOSSES = ("mse", "binary_cross_entropy", "cross_entropy")
SINGLE_OR_BATCH = pytest.mark.parametrize("single", [True, False], ids=["m=1", "batch"])


def layer_data(rng, n_l, n_prev, m, activation):
    """``W (n_l, n_prev)``, ``a_prev (n_prev, m)``, ``b (n_l, 1)``.

    For ReLUs every ``|z| >= 1e-3`` (off the kink) and some ``z > 0`` (not all units dead).
    """
    for _ in range(100):
        W = rng.normal(0, 1 / np.sqrt(n_prev), size=(n_l, n_prev))
        a_prev = rng.normal(size=(n_prev, m))
        b = rng.normal(0, 0.5, size=(n_l, 1))
        z = W @ a_prev + b
        if activation not in KINKED or (np.min(np.abs(z)) >= KINK_MARGIN and np.any(z > 0)):
            return W, a_prev, b
    raise AssertionError("could not draw data away from the ReLU kink")


def output_case(rng, n, m, activation, loss):
    """``z[L]`` and ``y`` such that ``a = sigma(z)`` lies where ``loss`` is defined and smooth."""
    needs_probability = loss != "mse" and activation not in ("sigmoid", "softmax")
    z = rng.uniform(0.05, 0.95, size=(n, m)) if needs_probability else random_z(rng, (n, m), activation)
    if loss == "mse":
        y = rng.normal(size=(n, m))
    elif loss == "binary_cross_entropy":
        y = rng.uniform(0.0, 1.0, size=(n, m))
    else:
        y = one_hot(rng.integers(0, n, size=m), n)
    return z, y


# --------------------------------------------------------------------------- forward step

@pytest.mark.parametrize("activation", ALL_ACTIVATIONS)
@SINGLE_OR_BATCH
@CORE_SETTINGS
@given(seed=seeds, dims=distinct_dims)
def test_forward_step_returns_z_and_sigma_of_z(activation, single, seed, dims):
    n_l, n_prev, m = dims
    m = 1 if single else m
    rng = np.random.default_rng(seed)
    W, a_prev, b = layer_data(rng, n_l, n_prev, m, activation)
    z, a = forward_step(W, a_prev, b, activation)
    assert z.shape == a.shape == (n_l, m)
    np.testing.assert_allclose(z, W @ a_prev + b, rtol=1e-14, atol=1e-15)
    np.testing.assert_array_equal(a, get_activation(activation)(z))


def _students_sigmoid(z):
    return 1 / (1 + np.exp(-z))


@pytest.mark.parametrize(("sigma", "name"), [(np.tanh, "tanh"), (_students_sigmoid, "sigmoid"),
                                             (lambda z: np.maximum(z, 0), "relu")])
def test_forward_step_takes_a_plain_function_as_sigma(sigma, name):
    """Lesson 01's exercise forward_step(W, a_prev, b, sigma) and bpkit's have one contract."""
    rng = np.random.default_rng(3)
    W, a_prev, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 5)), rng.normal(size=(3, 1))
    z, a = forward_step(W, a_prev, b, sigma)
    np.testing.assert_allclose(z, W @ a_prev + b, rtol=1e-14, atol=1e-15)
    np.testing.assert_array_equal(a, sigma(z))
    np.testing.assert_allclose(a, forward_step(W, a_prev, b, name)[1], rtol=1e-14, atol=1e-300)
    with pytest.raises(ValueError, match=r"W\[2\] has shape \(3, 4\) but a\[1\] has 5 rows"):
        forward_step(W, rng.normal(size=(5, 2)), b, sigma, layer=2)


@pytest.mark.parametrize(("fn", "formula"), [
    (forward_step, "z = W @ a_prev + b"),
    (output_error, "return grad_a * sigma.derivative(z)"),
    (backprop_error, "return (W_next.T @ delta_next) * sigma.derivative(z)"),
    (weight_gradient, "return delta @ a_prev.T"),
    (bias_gradient, "return np.sum(delta, axis=1, keepdims=True)"),
    (sgd_update, "return param - learning_rate * grad"),
])
def test_each_equation_body_is_one_check_and_its_formula(fn, formula):
    """What bpkit.backprop_error?? shows a student: the check line, then the formula."""
    import inspect

    source = inspect.getsource(fn)
    body = source.split('"""')[2].strip().splitlines()
    assert len(body) <= 4, body
    assert "=" in body[0] and "(" in body[0]       # the one line that checks the arguments
    assert formula in [line.strip() for line in body]
    for forbidden in (":math:", "``", ":class:", ":func:", ":meth:"):
        assert forbidden not in fn.__doc__, (fn.__name__, forbidden)


@SINGLE_OR_BATCH
@CORE_SETTINGS
@given(seed=seeds, dims=distinct_dims)
def test_forward_step_linear_part_matches_finite_differences(single, seed, dims):
    """With f = sum(G * z): df/dW = G a_prev^T, df/da_prev = W^T G, df/db = sum of G's columns."""
    n_l, n_prev, m = dims
    m = 1 if single else m
    rng = np.random.default_rng(seed)
    W, a_prev, b = layer_data(rng, n_l, n_prev, m, "identity")
    G = rng.normal(size=(n_l, m))

    def z_of(W_, a_, b_):
        return forward_step(W_, a_, b_, "identity")[0]

    size = linear_magnitude(G, W, a_prev, b)
    check_gradient(lambda v: np.sum(G * z_of(v, a_prev, b)), W, G @ a_prev.T,
                   what="dz/dW", magnitude=lambda v: size)
    check_gradient(lambda v: np.sum(G * z_of(W, v, b)), a_prev, W.T @ G,
                   what="dz/da_prev", magnitude=lambda v: size)
    check_gradient(lambda v: np.sum(G * z_of(W, a_prev, v)), b, G.sum(axis=1, keepdims=True),
                   what="dz/db", magnitude=lambda v: size)


# --------------------------------------------------------------------------- Equation 1

@pytest.mark.parametrize("activation", ALL_ACTIVATIONS)
@pytest.mark.parametrize("loss", LOSSES)
@SINGLE_OR_BATCH
@settings(CORE_SETTINGS, max_examples=12)
@given(seed=seeds, dims=distinct_dims)
def test_equation_1_output_error_is_dL_dz(activation, loss, single, seed, dims):
    """delta[L] = dL/da (.) sigma'(z[L]) is the gradient of L(z) = loss(sigma(z), y)."""
    n, _, m = dims
    m = 1 if single else m
    act, fn = get_activation(activation), get_loss(loss)
    z, y = output_case(np.random.default_rng(seed), n, m, activation, loss)
    delta = output_error(fn.gradient(act(z), y), z, activation)
    assert delta.shape == (n, m)
    check_gradient(lambda v: fn.value(act(v), y), z, delta, what=f"Eq 1 ({activation}, {loss})")


# --------------------------------------------------------------------------- Equation 2

@pytest.mark.parametrize("activation", ALL_ACTIVATIONS)
@SINGLE_OR_BATCH
@CORE_SETTINGS
@given(seed=seeds, dims=distinct_dims)
def test_equation_2_backprop_error_is_dL_dz(activation, single, seed, dims):
    """With L(z) = sum(delta_next * (W_next sigma(z) + b)), dL/dz is exactly delta[l]."""
    n_next, n_l, m = dims
    m = 1 if single else m
    rng = np.random.default_rng(seed)
    act = get_activation(activation)
    W_next = rng.normal(size=(n_next, n_l))
    b_next = rng.normal(size=(n_next, 1))
    delta_next = rng.normal(size=(n_next, m))
    z = random_z(rng, (n_l, m), activation)
    delta = backprop_error(W_next, delta_next, z, activation)
    assert delta.shape == (n_l, m)
    check_gradient(
        lambda v: np.sum(delta_next * (W_next @ act(v) + b_next)), z, delta, what=f"Eq 2 ({activation})",
        magnitude=lambda v: linear_magnitude(delta_next, W_next, act(v), b_next),
    )


# --------------------------------------------------------------------------- Equations 3 and 4

@SINGLE_OR_BATCH
@CORE_SETTINGS
@given(seed=seeds, dims=distinct_dims)
def test_equations_3_and_4_for_a_linear_function_of_z(single, seed, dims):
    """With L = sum(delta * (W a_prev + b)), dL/dW = delta a_prev^T and dL/db = sum_j delta[:, j]."""
    n_l, n_prev, m = dims
    m = 1 if single else m
    rng = np.random.default_rng(seed)
    W, a_prev, b = layer_data(rng, n_l, n_prev, m, "identity")
    delta = rng.normal(size=(n_l, m))
    dW, db = weight_gradient(delta, a_prev), bias_gradient(delta)
    assert dW.shape == W.shape and db.shape == b.shape
    size = linear_magnitude(delta, W, a_prev, b)
    check_gradient(lambda v: np.sum(delta * (v @ a_prev + b)), W, dW, what="Eq 3", magnitude=lambda v: size)
    check_gradient(lambda v: np.sum(delta * (W @ a_prev + v)), b, db, what="Eq 4", magnitude=lambda v: size)


@pytest.mark.parametrize("activation", ALL_ACTIVATIONS)
@SINGLE_OR_BATCH
@CORE_SETTINGS
@given(seed=seeds, dims=distinct_dims)
def test_equations_3_and_4_through_a_layer_and_the_mean_loss(activation, single, seed, dims):
    """One layer a = sigma(W a_prev + b) under the mean MSE: Eq 1 then Eqs 3, 4 give dL/dW, dL/db."""
    n_l, n_prev, m = dims
    m = 1 if single else m
    rng = np.random.default_rng(seed)
    act = get_activation(activation)
    W, a_prev, b = layer_data(rng, n_l, n_prev, m, activation)
    y = rng.normal(size=(n_l, m))
    z, a = forward_step(W, a_prev, b, activation)
    delta = output_error(mse.gradient(a, y), z, activation)
    check_gradient(lambda v: mse.value(act(v @ a_prev + b), y), W, weight_gradient(delta, a_prev),
                   what=f"Eq 3 ({activation})")
    check_gradient(lambda v: mse.value(act(W @ a_prev + v), y), b, bias_gradient(delta),
                   what=f"Eq 4 ({activation})")


def test_bias_gradient_sums_not_averages():
    delta = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.5]])
    np.testing.assert_array_equal(bias_gradient(delta), [[6.0], [0.0]])


def test_weight_gradient_sums_the_outer_products_of_the_examples():
    rng = np.random.default_rng(0)
    delta, a_prev = rng.normal(size=(3, 4)), rng.normal(size=(2, 4))
    outer_sum = sum(np.outer(delta[:, j], a_prev[:, j]) for j in range(4))
    np.testing.assert_allclose(weight_gradient(delta, a_prev), outer_sum, rtol=1e-13, atol=1e-15)


# --------------------------------------------------------------------------- the update

@SINGLE_OR_BATCH
@CORE_SETTINGS
@given(seed=seeds, dims=distinct_dims)
def test_sgd_update_moves_down_the_gradient(single, seed, dims):
    """For F(theta) = 1/2 sum c (theta - t)^2 and g = dF/dtheta, the update is theta - alpha g:
    checked exactly, and through d/d(alpha) F(update(alpha)) = -g . grad F(theta - alpha g)."""
    n_l, n_prev, _ = dims
    shape = (n_l, 1) if single else (n_l, n_prev)  # a bias or a weight matrix
    rng = np.random.default_rng(seed)
    theta, target = rng.normal(size=shape), rng.normal(size=shape)
    c = rng.uniform(0.5, 2.0, size=shape)
    g = c * (theta - target)
    theta_before, g_before = theta.copy(), g.copy()

    alpha0 = 0.3
    new = sgd_update(theta, g, alpha0)
    np.testing.assert_array_equal(new, theta - alpha0 * g)

    def F_after_step(alpha):
        return 0.5 * np.sum(c * (sgd_update(theta, g, float(alpha[0])) - target) ** 2)

    dF_dalpha = -np.sum(g * c * (theta - alpha0 * g - target))
    check_gradient(F_after_step, np.array([alpha0]), np.array([dF_dalpha]), what="d/dalpha F(update)")
    np.testing.assert_array_equal(theta, theta_before)
    np.testing.assert_array_equal(g, g_before)


def test_sgd_update_does_not_mutate_its_inputs_and_returns_a_new_array():
    W = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    dW = np.array([[0.5, -0.5, 1.0], [0.0, 2.0, -1.0]])
    W_copy, dW_copy = W.copy(), dW.copy()
    new = sgd_update(W, dW, learning_rate=0.1)
    assert new is not W and not np.shares_memory(new, W)
    np.testing.assert_array_equal(W, W_copy)
    np.testing.assert_array_equal(dW, dW_copy)
    np.testing.assert_allclose(new, W - 0.1 * dW, rtol=1e-15)


def test_sgd_update_keeps_float32():
    W = np.ones((2, 3), dtype=np.float32)
    assert sgd_update(W, np.ones_like(W), 0.5).dtype == np.float32


# --------------------------------------------------------------------------- the rule has teeth

def _wrong_eq1_sigma_prime_of_a(grad_a, z, act):
    return grad_a * act.derivative(act(z))


def _wrong_eq1_sum_not_mean(grad_a, z, act):
    return grad_a * act.derivative(z) * z.shape[1]


def _wrong_eq1_one_entry_off_by_one_percent(grad_a, z, act):
    delta = grad_a * act.derivative(z)
    delta[np.unravel_index(np.argmin(np.abs(delta)), delta.shape)] *= 1.01
    return delta


@pytest.mark.parametrize(
    "wrong", [_wrong_eq1_sigma_prime_of_a, _wrong_eq1_sum_not_mean, _wrong_eq1_one_entry_off_by_one_percent]
)
def test_the_pass_rule_rejects_known_mistakes(wrong):
    """The same comparison that passes the library fails classic bugs, even on the smallest entry."""
    rng = np.random.default_rng(11)
    act = get_activation("sigmoid")
    z, y = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))

    def L(v):
        return mse.value(act(v), y)

    assert passes_estimate_rule(L, z, output_error(mse.gradient(act(z), y), z, act))
    assert not passes_estimate_rule(L, z, wrong(mse.gradient(act(z), y), z, act))


def test_central_difference_restores_its_input():
    x = np.array([[1.0, -2.0], [3.0, 0.5]])
    before = x.copy()
    central_difference(lambda v: float(np.sum(v ** 2)), x, 1e-5)
    np.testing.assert_array_equal(x, before)


def test_no_public_docstring_of_the_core_modules_shows_raw_rest():
    """help(bpkit.X) and X? in a notebook show plain text: no :math:, ``literals`` or :class: roles."""
    import inspect

    import bpkit
    from bpkit import activations, equations, losses, network, numgrad

    objects = [bpkit, activations, equations, losses, network, numgrad]
    for module in objects[1:]:
        for name, obj in vars(module).items():
            if not name.startswith("_") and getattr(obj, "__module__", None) == module.__name__:
                objects.append(obj)
                if inspect.isclass(obj):
                    objects += [m for n, m in vars(obj).items() if not n.startswith("_") and callable(m)]
    assert len(objects) > 30
    for obj in objects:
        doc = inspect.getdoc(obj) or ""
        for raw in (":math:", "``", ":class:", ":func:", ":meth:", ":mod:", ".. math::"):
            assert raw not in doc, (getattr(obj, "__name__", obj), raw)
