"""The fast paths added for training speed (bench/train_speed.py) change no numbers or semantics.

* ``sgd_update(..., out=)`` and ``Network.update(..., in_place=True)`` give the
  same numbers as the default new-array update; ``train`` leaves arrays taken
  from the network beforehand untouched.
* ``Activation.backward`` / ``backprop_error`` / ``output_error`` with ``a=sigma(z)``
  give exactly what they give without it.
* ``Network.backward`` is exactly the composition of the public Equations 1-4.
* The in-place sigmoid is accurate, warning-free and keeps float32.
"""

import warnings

import numpy as np
import pytest

from bpkit import (
    Network,
    backprop_error,
    bias_gradient,
    get_activation,
    output_error,
    sgd_update,
    sigmoid,
    softmax_cross_entropy,
    weight_gradient,
)

ELEMENTWISE = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sgd_update_out_matches_the_new_array_result(dtype):
    rng = np.random.default_rng(0)
    W = rng.normal(size=(4, 3)).astype(dtype)
    g = rng.normal(size=(4, 3)).astype(dtype)
    g_before = g.copy()
    expected = sgd_update(W, g, 0.3)
    out = np.empty_like(W)
    assert sgd_update(W, g, 0.3, out=out) is out
    np.testing.assert_array_equal(out, expected)
    W_in_place = W.copy()
    result = sgd_update(W_in_place, g, 0.3, out=W_in_place)
    assert result is W_in_place and result.dtype == dtype
    np.testing.assert_array_equal(W_in_place, expected)
    np.testing.assert_array_equal(g, g_before)  # grad is never changed


@pytest.mark.parametrize(
    "out", [np.empty((3, 4)), np.empty((4, 3), dtype=np.float32), [[0.0] * 3] * 4],
    ids=["wrong shape", "wrong dtype", "not an array"],
)
def test_sgd_update_out_must_fit(out):
    W, g = np.ones((4, 3)), np.ones((4, 3))
    message = r"out must be an array of W\[2\]'s shape \(4, 3\) and dtype float64"
    with pytest.raises(ValueError, match=message):
        sgd_update(W, g, 0.1, name="W[2]", out=out)


def _net_and_grads(dtype=np.float64):
    rng = np.random.default_rng(1)
    net = Network([5, 4, 3], "tanh", "softmax", "cross_entropy", seed=2, dtype=dtype)
    X = rng.normal(size=(5, 6))
    Y = np.eye(3)[:, rng.integers(0, 3, 6)]
    dW, db = net.backward(net.forward(X), Y)
    return net, X, Y, dW, db


def test_update_in_place_gives_the_same_weights_and_keeps_the_arrays():
    net_new, _, _, dW, db = _net_and_grads()
    net_in_place, *_ = _net_and_grads()
    old_arrays = net_new.W[1:] + net_new.b[1:]
    old_values = [p.copy() for p in old_arrays]
    net_new.update(dW, db, 0.2)
    for p, v in zip(old_arrays, old_values, strict=True):  # default: new arrays, old ones unchanged
        np.testing.assert_array_equal(p, v)
    same_arrays = net_in_place.W[1:] + net_in_place.b[1:]
    net_in_place.update(dW, db, 0.2, in_place=True)
    for l in range(1, net_new.L + 1):
        assert net_in_place.W[l] is same_arrays[l - 1]
        np.testing.assert_array_equal(net_in_place.W[l], net_new.W[l])
        np.testing.assert_array_equal(net_in_place.b[l], net_new.b[l])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_train_leaves_arrays_taken_before_it_unchanged_and_keeps_dtype(dtype):
    net, X, Y, _, _ = _net_and_grads(dtype)
    before = net.W[1:] + net.b[1:]
    values = [p.copy() for p in before]
    net.train(X, Y, epochs=2, batch_size=4, learning_rate=0.5, progress=False)
    for p, v in zip(before, values, strict=True):
        np.testing.assert_array_equal(p, v)
    assert not np.array_equal(net.W[1], values[0])  # it did train
    assert all(p.dtype == dtype for p in net.W[1:] + net.b[1:])


def test_train_equals_forward_backward_update_by_hand():
    net, X, Y, _, _ = _net_and_grads()
    by_hand, *_ = _net_and_grads()
    net.train(X, Y, epochs=1, batch_size=4, learning_rate=0.5, seed=3, progress=False)
    order = np.random.default_rng(3).permutation(X.shape[1])
    for start in range(0, X.shape[1], 4):
        idx = order[start:start + 4]
        dW, db = by_hand.backward(by_hand.forward(X[:, idx]), Y[:, idx])
        by_hand.update(dW, db, 0.5)
    for l in range(1, net.L + 1):
        np.testing.assert_array_equal(net.W[l], by_hand.W[l])
        np.testing.assert_array_equal(net.b[l], by_hand.b[l])


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_backward_with_a_is_exactly_backward_from_z(name, dtype):
    act = get_activation(name)
    rng = np.random.default_rng(4)
    z = (rng.normal(size=(5, 7)) * 4).astype(dtype)
    g = rng.normal(size=(5, 7)).astype(dtype)
    a = act.forward(z)
    from_a = act.backward(z, g, a=a)
    assert from_a.dtype == dtype
    np.testing.assert_array_equal(from_a, act.backward(z, g))
    W_next, delta_next = rng.normal(size=(3, 5)).astype(dtype), rng.normal(size=(3, 7)).astype(dtype)
    np.testing.assert_array_equal(backprop_error(W_next, delta_next, z, name, a=a),
                                  backprop_error(W_next, delta_next, z, name))
    np.testing.assert_array_equal(output_error(g, z, name, a=a), output_error(g, z, name))


def test_a_must_have_the_shape_of_z():
    z = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"a\[1\] has shape \(2, 3\) but z\[1\] has shape \(3, 2\)"):
        backprop_error(np.ones((4, 3)), np.ones((4, 2)), z, "sigmoid", layer=1, a=np.zeros((2, 3)))


@pytest.mark.parametrize("hidden", ELEMENTWISE)
@pytest.mark.parametrize(("output", "loss"), [("softmax", "cross_entropy"), ("sigmoid", "mse")])
def test_network_backward_is_exactly_equations_1_to_4(hidden, output, loss):
    rng = np.random.default_rng(5)
    net = Network([4, 6, 5, 3], hidden, output, loss, seed=6)
    X = rng.normal(size=(4, 9))
    Y = np.eye(3)[:, rng.integers(0, 3, 9)]
    cache = net.forward(X)
    dW, db = net.backward(cache, Y)
    L = net.L
    if output == "softmax":
        delta = softmax_cross_entropy(cache.z[L], Y)[1]
    else:
        delta = output_error(net.loss_fn.gradient(cache.a[L], Y), cache.z[L], output)
    for l in range(L, 0, -1):
        np.testing.assert_array_equal(dW[l], weight_gradient(delta, cache.a[l - 1]))
        np.testing.assert_array_equal(db[l], bias_gradient(delta))
        if l > 1:
            delta = backprop_error(net.W[l], delta, cache.z[l - 1], hidden)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_is_accurate_in_both_tails(dtype):
    z = np.linspace(-80, 80, 321).reshape(1, -1)
    reference = 1.0 / (1.0 + np.exp(-z.astype(np.longdouble)))   # extended precision
    s = _quiet(sigmoid.forward, z.astype(dtype))
    assert s.dtype == dtype
    rel = np.abs(s.astype(np.longdouble) - reference) / reference
    assert float(rel.max()) <= 4 * np.finfo(dtype).eps   # relative accuracy, even where sigma is tiny
    d = _quiet(sigmoid.derivative, z.astype(dtype))
    assert d.dtype == dtype and np.all(d >= 0)


def test_sigmoid_keeps_non_contiguous_input_and_does_not_mutate_it():
    z = np.arange(12.0).reshape(3, 4)[:, ::2] - 5
    before = z.copy()
    s = sigmoid.forward(z)
    np.testing.assert_array_equal(z, before)
    np.testing.assert_allclose(s, 1 / (1 + np.exp(-before)), rtol=1e-15)
