"""Numerical gradients: central differences, selected entries, restoring x, directional checks."""

import numpy as np
import pytest

from bpkit.numgrad import (
    DEFAULT_STEP,
    directional_derivative,
    network_numerical_gradients,
    numerical_gradient,
    random_direction,
    relative_error,
)

C = np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]])


def cubic(v):
    """f(x) = sum(c x^3 + sin x); gradient 3 c x^2 + cos x."""
    return float(np.sum(C * v ** 3 + np.sin(v)))


def cubic_gradient(v):
    return 3 * C * v ** 2 + np.cos(v)


def test_numerical_gradient_matches_the_analytic_gradient_everywhere():
    x = np.random.default_rng(0).normal(size=(2, 3))
    grad = numerical_gradient(cubic, x)
    assert grad.shape == x.shape and grad.dtype == np.float64
    assert relative_error(grad, cubic_gradient(x)) < 1e-9


def test_numerical_gradient_step_is_relative_to_the_entry():
    """Entries of size 1e6 still get an accurate derivative (an absolute step of 1e-5 would not)."""
    x = np.array([[1e6, -3e5]])
    grad = numerical_gradient(lambda v: float(np.sum(np.cos(v / 1e5) * 1e10)), x)
    assert relative_error(grad, -np.sin(x / 1e5) * 1e5) < 1e-8


def test_numerical_gradient_of_selected_entries_leaves_the_others_at_zero():
    x = np.random.default_rng(1).normal(size=(2, 3))
    calls = []

    def f(v):
        calls.append(1)
        return cubic(v)

    grad = numerical_gradient(f, x, entries=[(0, 2), (1, 0)])
    assert len(calls) == 4  # two evaluations per selected entry
    expected = cubic_gradient(x)
    for i in [(0, 2), (1, 0)]:
        assert grad[i] == pytest.approx(expected[i], rel=1e-8)
    mask = np.ones(x.shape, dtype=bool)
    mask[0, 2] = mask[1, 0] = False
    assert np.all(grad[mask] == 0)


def test_numerical_gradient_restores_x_and_f_sees_the_perturbed_array():
    x = np.array([[0.3, -1.2], [2.0, 0.0]])
    before = x.copy()
    seen = []

    def f(v):
        assert v is x  # f is called with x itself, so it may close over it
        seen.append(v.copy())
        return cubic(np.hstack([v, v[:, :1]]))

    numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)
    assert len(seen) == 8 and not any(np.array_equal(s, before) for s in seen)


def test_numerical_gradient_restores_x_even_when_f_raises():
    x = np.array([[1.0, 2.0, 3.0]])
    before = x.copy()
    count = [0]

    def f(v):
        count[0] += 1
        if count[0] == 4:  # fails on the second entry's x - h evaluation
            raise RuntimeError("boom")
        return float(np.sum(v))

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_works_for_any_shape():
    x = np.array([1.5, -0.5, 2.0])  # 1-D is fine here: this is a generic tool
    assert relative_error(numerical_gradient(lambda v: float(np.sum(v ** 2)), x), 2 * x) < 1e-10
    scalar = np.array(2.0)
    assert numerical_gradient(lambda v: float(v ** 3), scalar)[()] == pytest.approx(12.0, rel=1e-9)


@pytest.mark.parametrize("h", [1e-4, 1e-6])
def test_numerical_gradient_accepts_a_step(h):
    x = np.array([[0.7, -0.2]])
    grad = numerical_gradient(lambda v: float(np.sum(np.sin(v))), x, h=h)
    assert relative_error(grad, np.cos(x)) < 1e-6


@pytest.mark.parametrize(
    ("x", "got"),
    [(np.array([[1, 2]]), "ndarray of dtype int64"), ([[1.0, 2.0]], "list"), (2.0, "float"),
     (np.array([[True]]), "ndarray of dtype bool")],
)
def test_numerical_gradient_needs_a_float_array_it_can_change(x, got):
    with pytest.raises(TypeError, match=f"x must be a floating numpy array changed in place; got {got}"):
        numerical_gradient(lambda v: 0.0, x)
    with pytest.raises(TypeError, match="x must be a floating numpy array"):
        directional_derivative(lambda v: 0.0, x, np.ones((1, 2)))


def test_default_step_is_near_the_cube_root_of_eps():
    cube_root = np.finfo(np.float64).eps ** (1 / 3)  # 6e-6: balances truncation and round-off
    assert cube_root / 10 < DEFAULT_STEP < cube_root * 10


def test_directional_derivative_is_the_gradient_dotted_with_the_direction():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 3))
    before = x.copy()
    d = random_direction(x.shape, seed=3)
    value = directional_derivative(cubic, x, d)
    assert value == pytest.approx(float(np.sum(cubic_gradient(x) * d)), rel=1e-8)
    np.testing.assert_array_equal(x, before)


def test_directional_derivative_restores_x_even_when_f_raises():
    x = np.array([[1.0, 2.0]])
    before = x.copy()

    def f(v):
        raise ValueError("nope")

    with pytest.raises(ValueError, match="nope"):
        directional_derivative(f, x, np.ones((1, 2)))
    np.testing.assert_array_equal(x, before)


def test_directional_derivative_is_linear_in_the_direction():
    x = np.array([[0.4, -0.9, 1.3]])
    d = np.array([[1.0, 2.0, -1.0]])

    def f(v):
        return float(np.sum(v ** 3))

    along_d = directional_derivative(f, x, d)
    assert along_d == pytest.approx(float(np.sum(3 * x ** 2 * d)), rel=1e-8)
    assert directional_derivative(f, x, 10 * d) == pytest.approx(10 * along_d, rel=1e-8)


def test_random_direction_has_unit_norm_and_is_seeded():
    d = random_direction((3, 4), seed=5)
    assert d.shape == (3, 4) and np.linalg.norm(d) == pytest.approx(1.0, rel=1e-15)
    np.testing.assert_array_equal(d, random_direction((3, 4), seed=5))


def test_relative_error_values():
    a = np.array([3.0, 4.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(a, np.zeros(2)) == 1.0
    assert relative_error(a, -a) == 1.0
    assert relative_error(a, 1.1 * a) == pytest.approx(0.1 / 2.1)
    assert relative_error(a, 1.1 * a) == relative_error(1.1 * a, a)


def test_network_numerical_gradients_are_indexed_like_the_parameters():
    from bpkit import Network

    net = Network([3, 4, 2], hidden="tanh", seed=0)
    X = np.random.default_rng(0).normal(size=(3, 5))
    Y = np.random.default_rng(1).uniform(size=(2, 5))
    W_before = [w.copy() for w in net.W[1:]]
    dW, db = network_numerical_gradients(net, X, Y)
    assert dW[0] is None and db[0] is None
    assert [g.shape for g in dW[1:]] == [(4, 3), (2, 4)] and [g.shape for g in db[1:]] == [(4, 1), (2, 1)]
    for w, w0 in zip(net.W[1:], W_before, strict=True):
        np.testing.assert_array_equal(w, w0)
    _, dW_exact, db_exact = net.gradients(X, Y)
    for l in (1, 2):
        assert relative_error(dW[l], dW_exact[l]) < 1e-8 and relative_error(db[l], db_exact[l]) < 1e-8
