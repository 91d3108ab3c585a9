"""The private fast path of Network.train (bpkit._fast) gives the numbers of the literal equations.

* For every hidden activation, every (output, loss) pair and both dtypes, train() ends with the
  weights that forward / backward / update (the public equations) give, to rounding.
* Network.backward is exactly the composition of the public Equations 1-4.
* The tricks on their own: the in-place activations, σ′ from a, and the update folded into one
  BLAS gemm, each against its plain formula.
* train() leaves arrays taken from the network beforehand untouched and keeps the dtype.
"""

import warnings

import numpy as np
import pytest
from helpers_core import ALL_ACTIVATIONS, ELEMENTWISE, one_hot

from bpkit import (
    Network,
    _fast,
    backprop_error,
    bias_gradient,
    get_activation,
    output_error,
    sigmoid,
    weight_gradient,
)

OUTPUT_LOSS = [
    ("sigmoid", "mse"), ("sigmoid", "binary_cross_entropy"), ("sigmoid", "cross_entropy"),
    ("softmax", "cross_entropy"), ("softmax", "mse"), ("softmax", "binary_cross_entropy"),
    ("identity", "mse"), ("tanh", "mse"), ("relu", "mse"), ("leaky_relu", "mse"),
]
#: max |W_fast - W_literal| / max |W_literal| after training: rounding only.
ROUNDING = {np.float64: 1e-11, np.float32: 2e-4}


def _data(output, loss, dtype, m=23, n_L=3, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(4, m))
    if loss == "mse" and output not in ("sigmoid", "softmax"):
        Y = rng.normal(size=(n_L, m))
    elif loss == "cross_entropy" or output == "softmax":
        Y = one_hot(rng.integers(0, n_L, size=m), n_L)
    else:
        Y = rng.uniform(0.0, 1.0, size=(n_L, m))
    return X.astype(dtype), Y.astype(dtype)


def _by_the_equations(net, X, Y, epochs, batch_size, learning_rate, seed):
    """What train() does, written with the public forward / backward / update only."""
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(X.shape[1])
        for start in range(0, X.shape[1], batch_size):
            idx = order[start:start + batch_size]
            dW, db = net.backward(net.forward(X[:, idx]), Y[:, idx])
            net.update(dW, db, learning_rate)


def _gap(fast, literal):
    return max(float(np.max(np.abs(f.astype(np.float64) - s))) / float(np.max(np.abs(s)))
               for f, s in zip(fast, literal, strict=True))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("output", "loss"), OUTPUT_LOSS)
@pytest.mark.parametrize("hidden", ALL_ACTIVATIONS)
def test_train_gives_the_weights_of_the_literal_equations(hidden, output, loss, dtype):
    X, Y = _data(output, loss, dtype)
    make = lambda: Network([4, 6, 5, 3], hidden, output, loss, seed=2, dtype=dtype)  # noqa: E731
    fast, literal = make(), make()
    for net in (fast, literal):  # non-zero biases, so Equation 4 and the bias add are exercised
        for l in range(1, net.L + 1):
            net.b[l] = np.linspace(-0.3, 0.3, net.b[l].shape[0], dtype=dtype).reshape(-1, 1)
    history = fast.train(X, Y, epochs=3, batch_size=5, learning_rate=0.1, seed=4, progress=False)
    _by_the_equations(literal, X, Y, epochs=3, batch_size=5, learning_rate=0.1, seed=4)
    assert all(np.isfinite(history.loss))
    assert all(w.dtype == dtype for w in fast.W[1:] + fast.b[1:])
    assert not np.allclose(fast.W[1], make().W[1])                      # it did train
    assert _gap(fast.W[1:] + fast.b[1:], literal.W[1:] + literal.b[1:]) <= ROUNDING[dtype]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_sigmoid_bce_trains_like_the_equations_in_saturation(dtype):
    """|z| in the hundreds: the fused δ = (a − y)/m is exact where BCE on a would clip."""
    X = np.array([[1.0, -1.0, 2.0, 0.5]], dtype)
    Y = np.array([[1.0, 0.0, 0.0, 1.0]], dtype)
    fast, literal = (Network([1, 1], output="sigmoid", loss="bce", dtype=dtype) for _ in range(2))
    for net in (fast, literal):
        net.W[1] = np.array([[-300.0]], dtype)
    fast.train(X, Y, epochs=2, batch_size=2, learning_rate=0.1, seed=0, progress=False)
    _by_the_equations(literal, X, Y, epochs=2, batch_size=2, learning_rate=0.1, seed=0)
    assert _gap(fast.W[1:] + fast.b[1:], literal.W[1:] + literal.b[1:]) <= ROUNDING[dtype]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_train_leaves_arrays_taken_before_it_unchanged_and_keeps_dtype(dtype):
    X, Y = _data("softmax", "cross_entropy", dtype)
    net = Network([4, 6, 5, 3], "tanh", "softmax", "cross_entropy", seed=2, dtype=dtype)
    before = net.W[1:] + net.b[1:]
    values = [p.copy() for p in before]
    net.train(X, Y, epochs=2, batch_size=4, learning_rate=0.5, progress=False)
    for p, v in zip(before, values, strict=True):
        np.testing.assert_array_equal(p, v)
    assert not np.array_equal(net.W[1], values[0])  # it did train
    assert all(p.dtype == dtype for p in net.W[1:] + net.b[1:])


def test_train_refuses_parameters_of_the_wrong_shape():
    X, Y = _data("sigmoid", "mse", np.float64)
    net = Network([4, 6, 3], seed=0)
    net.W[2] = np.zeros((3, 5))
    with pytest.raises(ValueError, match=r"W\[2\] has shape \(3, 5\) but must be \(3, 6\)"):
        net.train(X, Y, epochs=1, progress=False)


@pytest.mark.parametrize("hidden", ELEMENTWISE)
@pytest.mark.parametrize(("output", "loss"), OUTPUT_LOSS)
def test_network_backward_is_exactly_equations_1_to_4(hidden, output, loss):
    X, Y = _data(output, loss, np.float64, m=9)
    net = Network([4, 6, 5, 3], hidden, output, loss, seed=6)
    cache = net.forward(X)
    dW, db = net.backward(cache, Y)
    L = net.L
    if net.logit_loss is not None:
        delta = net.logit_loss.delta(cache.z[L], Y)
    else:
        delta = output_error(net.loss_fn.gradient(cache.a[L], Y), cache.z[L], output)
    for l in range(L, 0, -1):
        np.testing.assert_array_equal(dW[l], weight_gradient(delta, cache.a[l - 1]))
        np.testing.assert_array_equal(db[l], bias_gradient(delta))
        if l > 1:
            delta = backprop_error(net.W[l], delta, cache.z[l - 1], hidden)


@pytest.mark.parametrize("name", ALL_ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_in_place_activations_are_the_activation(name, dtype):
    act = get_activation(name)
    z = (np.random.default_rng(4).normal(size=(5, 7)) * 4).astype(dtype)
    before = z.copy()
    out = _fast._forward_into(act)(z, np.empty_like(z))
    np.testing.assert_array_equal(z, before)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, act.forward(z), rtol=4 * np.finfo(dtype).eps, atol=0)


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigma_prime_from_the_output_is_sigma_prime_at_z(name, dtype):
    act = get_activation(name)
    rng = np.random.default_rng(4)
    z = (rng.normal(size=(5, 7)) * 4).astype(dtype)
    e = rng.normal(size=(5, 7)).astype(dtype)
    expected = e * act.derivative(z)
    got = _fast._times_sigma_prime(e.copy(), z, act.forward(z), act)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, expected, rtol=8 * np.finfo(dtype).eps, atol=0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", ["C", "F"])
def test_the_update_folded_into_one_gemm_is_w_minus_alpha_delta_a_transposed(dtype, order):
    rng = np.random.default_rng(7)
    W = rng.normal(size=(4, 6)).astype(dtype)
    delta = rng.normal(size=(4, 5)).astype(dtype)
    a_prev = np.asarray(rng.normal(size=(6, 5)), dtype=dtype, order=order)
    expected = W - 0.3 * (delta @ a_prev.T)
    same = W
    _fast._descend(W, delta, a_prev, 0.3, _fast._blas_for(np.dtype(dtype))[0])
    assert W is same
    np.testing.assert_allclose(W, expected, rtol=16 * np.finfo(dtype).eps, atol=16 * np.finfo(dtype).eps)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("which", ["literal", "in place"])
def test_sigmoid_is_accurate_in_both_tails(dtype, which):
    z = np.linspace(-80, 80, 321).reshape(1, -1).astype(dtype)
    reference = 1.0 / (1.0 + np.exp(-z.astype(np.longdouble)))   # extended precision
    if which == "literal":
        s = _quiet(sigmoid.forward, z)
    else:
        s = _quiet(_fast._sigmoid_into, z, np.empty_like(z))
    assert s.dtype == dtype
    rel = np.abs(s.astype(np.longdouble) - reference) / reference
    assert float(rel.max()) <= 4 * np.finfo(dtype).eps   # relative accuracy, even where sigma is tiny
    d = _quiet(sigmoid.derivative, z)
    assert d.dtype == dtype and np.all(d >= 0)
