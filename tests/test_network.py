"""The network: backward pass vs numerical gradients, init, forward cache, predict, train."""

import numpy as np
import pytest
from helpers_core import (
    ALL_ACTIVATIONS,
    KINK_MARGIN,
    KINKED,
    STEP,
    assert_matches_estimate,
    one_hot,
    steps_for,
)

from bpkit import History, Network, init_weights, softmax_cross_entropy
from bpkit.numgrad import network_numerical_gradients

#: (output activation, loss) pairs where the loss is defined on the output's range.
OUTPUT_LOSS = [
    ("sigmoid", "mse"), ("sigmoid", "binary_cross_entropy"), ("sigmoid", "cross_entropy"),
    ("softmax", "cross_entropy"),  # the fused, log-sum-exp path
    ("softmax", "mse"), ("softmax", "binary_cross_entropy"),
    ("identity", "mse"), ("tanh", "mse"), ("relu", "mse"), ("leaky_relu", "mse"),
]
ARCHITECTURES = [[3, 5, 2], [4, 6, 3, 2]]
BATCH = 7  # different from every layer width


def targets(rng, output, loss, n, m):
    if loss == "mse" and output not in ("sigmoid", "softmax"):
        return rng.normal(size=(n, m))
    if loss == "cross_entropy" or output == "softmax":
        return one_hot(rng.integers(0, n, size=m), n)
    return rng.uniform(0.0, 1.0, size=(n, m))


def z_ok(net, z, l):
    """Off the kink (and not all dead) wherever layer ``l`` uses a ReLU-type activation."""
    if net.activation(l).name not in KINKED:
        return True
    return bool(np.min(np.abs(z)) >= KINK_MARGIN and np.any(z > 0))


def not_saturated(net, a_L, margin=1e-3):
    """Sigmoid and softmax outputs stay within ``[margin, 1 - margin]``.

    The error estimate's round-off term assumes f is computed to about eps |f|. A saturated output
    breaks that: log(1 - a) with a near 1 (cross-entropy), or a loss that is a tiny difference of
    large terms (a confidently right softmax), carry round-off far above eps |f| and can swamp a
    central difference. Such ill-conditioned cases are not drawn.
    """
    if net.output.name not in ("sigmoid", "softmax"):
        return True
    return bool(np.min(a_L) >= margin and np.max(a_L) <= 1 - margin)


def make_case(hidden, output, loss, sizes, m, seed=0):
    """A network with random biases and data ``(X, Y)`` that keep every ReLU away from its kink."""
    rng = np.random.default_rng(seed)
    net = Network(sizes, hidden=hidden, output=output, loss=loss, seed=seed)
    for _ in range(200):
        for l in range(1, net.L + 1):
            net.b[l] = rng.normal(0, 0.5, size=net.b[l].shape)
        X = rng.normal(size=(sizes[0], m))
        cache = net.forward(X)
        if all(z_ok(net, cache.z[l], l) for l in range(1, net.L + 1)) and not_saturated(net, cache.output):
            return net, X, targets(rng, output, loss, sizes[-1], m)
    raise AssertionError("could not draw a case away from the ReLU kink and from saturation")


def check_network_gradients(net, X, Y, what):
    loss, dW, db = net.gradients(X, Y)
    num_h = network_numerical_gradients(net, X, Y, h=STEP)
    num_2h = network_numerical_gradients(net, X, Y, h=2 * STEP)
    for l in range(1, net.L + 1):
        pairs = [(net.W[l], dW[l], f"dW[{l}]"), (net.b[l], db[l], f"db[{l}]")]
        for i, (param, grad, name) in enumerate(pairs):
            assert grad.shape == param.shape, f"{what} {name}: shape {grad.shape}, expected {param.shape}"
            fsum = np.full(param.shape, 2 * abs(loss))  # |f(x+s)| + |f(x-s)| ~ 2 |L|
            assert_matches_estimate(grad, num_h[i][l], num_2h[i][l], fsum, steps_for(param, STEP),
                                    what=f"{what} {name}")


@pytest.mark.parametrize("hidden", ALL_ACTIVATIONS)
@pytest.mark.parametrize(("output", "loss"), OUTPUT_LOSS)
def test_backward_matches_numerical_gradients(hidden, output, loss):
    for sizes in ARCHITECTURES:
        for m in (1, BATCH):
            net, X, Y = make_case(hidden, output, loss, sizes, m, seed=len(sizes) + m)
            check_network_gradients(net, X, Y, what=f"{sizes} m={m} {hidden}/{output}/{loss}")


def test_gradients_returns_the_loss_and_backward_does_not_change_the_network():
    net, X, Y = make_case("tanh", "sigmoid", "mse", [3, 5, 2], BATCH)
    W_before = [w.copy() for w in net.W[1:]]
    loss, dW, db = net.gradients(X, Y)
    assert loss == net.loss(X, Y)
    assert dW[0] is None and db[0] is None and len(dW) == len(db) == net.L + 1
    for w, w0 in zip(net.W[1:], W_before, strict=True):
        np.testing.assert_array_equal(w, w0)


def test_softmax_cross_entropy_network_uses_the_fused_loss():
    net, X, Y = make_case("relu", "softmax", "cross_entropy", [4, 6, 3], BATCH)
    cache = net.forward(X)
    loss, delta = net.output_delta(cache, Y)
    expected_loss, expected_delta = softmax_cross_entropy(cache.z[net.L], Y)
    assert loss == expected_loss
    np.testing.assert_array_equal(delta, expected_delta)


# --------------------------------------------------------------------------- initialisation

@pytest.mark.parametrize(
    ("method", "std_of"),
    [("xavier", lambda n_in, n_out: np.sqrt(2 / (n_in + n_out))),
     ("he", lambda n_in, n_out: np.sqrt(2 / n_in)),
     ("normal", lambda n_in, n_out: 1.0)],
)
def test_init_statistics(method, std_of):
    sizes = [300, 200, 150]
    W, b = init_weights(sizes, method, seed=0)
    for l in (1, 2):
        expected = std_of(sizes[l - 1], sizes[l])
        assert W[l].std() == pytest.approx(expected, rel=0.03)
        assert abs(W[l].mean()) < 0.02 * expected
        assert np.all(b[l] == 0)


def test_init_shapes_and_the_empty_layer_zero():
    sizes = [4, 7, 3, 2]
    W, b = init_weights(sizes, "he", seed=1)
    assert len(W) == len(b) == 4
    assert W[0] is None and b[0] is None
    assert [w.shape for w in W[1:]] == [(7, 4), (3, 7), (2, 3)]
    assert [v.shape for v in b[1:]] == [(7, 1), (3, 1), (2, 1)]
    assert all(w.dtype == np.float64 for w in W[1:])


def test_init_is_reproducible_from_the_seed():
    W1, _ = init_weights([5, 4, 3], seed=42)
    W2, _ = init_weights([5, 4, 3], seed=42)
    W3, _ = init_weights([5, 4, 3], seed=43)
    for l in (1, 2):
        np.testing.assert_array_equal(W1[l], W2[l])
        assert not np.array_equal(W1[l], W3[l])
    np.testing.assert_array_equal(Network([5, 4, 3], seed=42).W[2], W1[2])


def test_init_float32():
    W, b = init_weights([3, 4, 2], seed=0, dtype=np.float32)
    assert all(w.dtype == np.float32 for w in W[1:]) and all(v.dtype == np.float32 for v in b[1:])


def test_network_attributes_and_repr():
    net = Network([3, 4, 2], hidden="relu", output="softmax", loss="ce", init="he")
    assert net.L == 2 and net.sizes == [3, 4, 2]
    assert net.activation(1).name == "relu" and net.activation(2).name == "softmax"
    assert repr(net) == ("Network(sizes=[3, 4, 2], hidden='relu', output='softmax', loss='cross_entropy', "
                         "init='he', dtype=float64)")


# --------------------------------------------------------------------------- forward

def test_forward_cache_shapes_and_contents():
    net = Network([4, 6, 3, 2], hidden="tanh", output="sigmoid", seed=3)
    X = np.random.default_rng(0).normal(size=(4, BATCH))
    cache = net.forward(X)
    assert cache.z[0] is None and len(cache.z) == len(cache.a) == 4
    np.testing.assert_array_equal(cache.a[0], X)
    for l, n in enumerate([6, 3, 2], start=1):
        assert cache.z[l].shape == cache.a[l].shape == (n, BATCH)
        np.testing.assert_array_equal(cache.a[l], net.activation(l)(cache.z[l]))
        np.testing.assert_allclose(cache.z[l], net.W[l] @ cache.a[l - 1] + net.b[l], rtol=1e-14, atol=1e-15)
    assert cache.output is cache.a[3]


def test_forward_accepts_a_single_column_and_integer_input():
    net = Network([3, 4, 2], seed=0)
    cache = net.forward(np.array([[1], [0], [2]]))
    assert cache.output.shape == (2, 1) and cache.output.dtype == np.float64


# --------------------------------------------------------------------------- predict and accuracy

def test_predict_and_accuracy_multiclass_with_one_hot_and_integer_labels():
    net = Network([3, 5, 4], hidden="tanh", output="softmax", loss="ce", seed=2)
    X = np.random.default_rng(1).normal(size=(3, 10))
    predicted = net.predict(X)
    assert predicted.shape == (10,) and predicted.dtype.kind == "i"
    np.testing.assert_array_equal(predicted, np.argmax(net.forward(X).output, axis=0))
    labels = predicted.copy()
    labels[:3] = (labels[:3] + 1) % 4  # three of ten wrong
    assert net.accuracy(X, labels) == pytest.approx(0.7)
    assert net.accuracy(X, one_hot(labels, 4)) == pytest.approx(0.7)


@pytest.mark.parametrize(("output", "threshold", "bias"),
                         [("sigmoid", 0.5, 0.0), ("identity", 0.5, 0.5), ("tanh", 0.0, 0.0)])
def test_predict_and_accuracy_with_one_output_unit(output, threshold, bias):
    net = Network([2, 1], output=output, seed=0)
    net.W[1] = np.array([[1.0, 0.0]])  # z = x_0 (+ bias): the class is the sign of x_0
    net.b[1] = np.array([[bias]])
    X = np.array([[-2.0, -0.5, 0.5, 3.0, -1.0], [9.0, 9.0, -9.0, 0.0, 1.0]])
    np.testing.assert_array_equal(net.predict(X), [0, 0, 1, 1, 0])
    assert net.forward(X).output[0, 2] > threshold > net.forward(X).output[0, 1]
    row = np.array([[0.0, 1.0, 1.0, 1.0, 0.0]])  # the second example is wrong
    assert net.accuracy(X, row) == pytest.approx(0.8)
    assert net.accuracy(X, np.array([0, 1, 1, 1, 0])) == pytest.approx(0.8)


# --------------------------------------------------------------------------- update and training

def blobs(seed=0, m=120, dtype=np.float64):
    """Two separable Gaussian blobs in 2-D; labels as a (1, m) row."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=m)
    X = rng.normal(0, 0.6, size=(2, m)) + np.where(labels == 1, 1.5, -1.5)
    return X.astype(dtype), labels.reshape(1, -1).astype(dtype)


def test_update_is_gradient_descent_on_every_layer():
    net, X, Y = make_case("sigmoid", "sigmoid", "mse", [4, 6, 3, 2], BATCH)
    loss, dW, db = net.gradients(X, Y)
    W_before, b_before = [None] + [w.copy() for w in net.W[1:]], [None] + [v.copy() for v in net.b[1:]]
    net.update(dW, db, learning_rate=0.01)
    for l in range(1, net.L + 1):
        np.testing.assert_allclose(net.W[l], W_before[l] - 0.01 * dW[l], rtol=1e-15)
        np.testing.assert_allclose(net.b[l], b_before[l] - 0.01 * db[l], rtol=1e-15)
    assert net.loss(X, Y) < loss


def test_one_epoch_with_one_full_batch_is_one_gradient_step():
    X, Y = blobs(m=20)
    net = Network([2, 3, 1], hidden="tanh", loss="bce", seed=1)
    _, dW, db = net.gradients(X, Y)
    expected = [W - 0.5 * g for W, g in zip(net.W[1:], dW[1:], strict=True)]
    net.train(X, Y, epochs=1, batch_size=20, learning_rate=0.5, progress=False)
    for W, W_expected in zip(net.W[1:], expected, strict=True):
        np.testing.assert_allclose(W, W_expected, rtol=1e-12, atol=1e-15)


def test_train_returns_a_history_per_epoch_from_the_minibatches_by_default():
    X, Y = blobs()
    X_val, Y_val = blobs(seed=1, m=40)
    net = Network([2, 4, 1], hidden="tanh", output="sigmoid", loss="bce", seed=0)
    history = net.train(X, Y, epochs=5, batch_size=16, learning_rate=0.5,
                        validation=(X_val, Y_val), progress=False)
    assert isinstance(history, History)
    assert history.evaluated == "minibatch means" and history.epochs == [1, 2, 3, 4, 5]
    assert len(history.loss) == len(history.accuracy) == 5
    assert len(history.val_loss) == len(history.val_accuracy) == 5
    assert all(isinstance(v, float) for v in history.loss + history.accuracy)
    assert history.loss[-1] < history.loss[0] and history.accuracy[-1] > 0.9
    # validation is measured on the validation data with the weights at the end of each epoch
    assert history.val_loss[-1] == pytest.approx(net.loss(X_val, Y_val))
    assert history.val_accuracy[-1] == net.accuracy(X_val, Y_val)
    assert repr(history).startswith("History(epochs=5, loss=")


@pytest.mark.parametrize(("output", "loss"), [("sigmoid", "bce"), ("softmax", "ce"), ("tanh", "mse")])
def test_default_history_is_the_mean_over_the_epochs_minibatches(output, loss):
    """Entry e is the mean over epoch e's examples of the loss and accuracy of the forward pass that
    trained on them, each batch scored with the weights before its own update."""
    rng = np.random.default_rng(5)
    n_L = 3 if output == "softmax" else 1
    X = rng.normal(size=(2, 37))
    labels = rng.integers(0, n_L if n_L > 1 else 2, size=37)
    Y = one_hot(labels, n_L) if n_L > 1 else labels[None, :].astype(float) * (2 if output == "tanh" else 1)
    if output == "tanh":
        Y = Y - 1.0          # targets -1 and 1
    net = Network([2, 5, n_L], hidden="sigmoid", output=output, loss=loss, seed=3)
    by_hand = Network([2, 5, n_L], hidden="sigmoid", output=output, loss=loss, seed=3)
    history = net.train(X, Y, epochs=2, batch_size=8, learning_rate=0.4, seed=9, progress=False)
    rng_order = np.random.default_rng(9)
    for epoch in range(2):
        order = rng_order.permutation(37)
        loss_sum, correct = 0.0, 0
        for start in range(0, 37, 8):
            idx = order[start:start + 8]
            loss_sum += by_hand.loss(X[:, idx], Y[:, idx]) * len(idx)
            correct += by_hand.accuracy(X[:, idx], Y[:, idx]) * len(idx)
            by_hand.update(*by_hand.backward(by_hand.forward(X[:, idx]), Y[:, idx]), 0.4)
        assert history.loss[epoch] == pytest.approx(loss_sum / 37, rel=1e-12)
        assert history.accuracy[epoch] == pytest.approx(correct / 37, rel=1e-12)


def test_evaluate_every_records_the_full_data_every_k_epochs_and_the_last():
    X, Y = blobs()
    X_val, Y_val = blobs(seed=1, m=40)
    net = Network([2, 4, 1], hidden="tanh", output="sigmoid", loss="bce", seed=0)
    history = net.train(X, Y, epochs=5, batch_size=16, learning_rate=0.5, validation=(X_val, Y_val),
                        progress=False, evaluate_every=2)
    assert history.evaluated == "full data" and history.epochs == [2, 4, 5]
    assert len(history.loss) == len(history.accuracy) == len(history.val_loss) == 3
    assert history.loss[-1] == pytest.approx(net.loss(X, Y))
    assert history.accuracy[-1] == net.accuracy(X, Y)
    assert history.val_loss[-1] == pytest.approx(net.loss(X_val, Y_val))
    every = Network([2, 4, 1], hidden="tanh", output="sigmoid", loss="bce", seed=0)
    history_1 = every.train(X, Y, epochs=5, batch_size=16, learning_rate=0.5, progress=False,
                            evaluate_every=1)
    assert history_1.epochs == [1, 2, 3, 4, 5]
    assert history_1.loss[1] == history.loss[0] and history_1.loss[3] == history.loss[1]
    with pytest.raises(ValueError, match=r"evaluate_every must be an integer >= 1; got 0"):
        every.train(X, Y, epochs=1, progress=False, evaluate_every=0)


def test_train_without_validation_leaves_those_lists_empty_and_zero_epochs_changes_nothing():
    X, Y = blobs(m=10)
    net = Network([2, 3, 1], seed=0)
    W1 = net.W[1].copy()
    assert net.train(X, Y, epochs=0, progress=False).loss == []
    np.testing.assert_array_equal(net.W[1], W1)
    history = net.train(X, Y, epochs=2, progress=False)
    assert history.val_loss == [] and history.val_accuracy == []
    assert repr(History()) == "History(epochs=0)"


def test_train_with_progress_false_prints_nothing(capsys):
    X, Y = blobs(m=30)
    Network([2, 3, 1], seed=0).train(X, Y, epochs=3, batch_size=8, progress=False)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_training_is_reproducible_from_the_seeds():
    X, Y = blobs(m=50)

    def trained(train_seed):
        net = Network([2, 5, 1], hidden="relu", init="he", seed=7)
        net.train(X, Y, epochs=3, batch_size=8, learning_rate=0.3, seed=train_seed, progress=False)
        return net

    a, b, c = trained(0), trained(0), trained(1)
    for l in (1, 2):
        np.testing.assert_array_equal(a.W[l], b.W[l])
        np.testing.assert_array_equal(a.b[l], b.b[l])
    assert not np.array_equal(a.W[1], c.W[1])  # a different shuffle gives different weights


def test_float32_network_trains_and_stays_float32():
    X, Y = blobs(m=100, dtype=np.float32)
    net = Network([2, 6, 1], hidden="tanh", output="sigmoid", loss="bce", dtype=np.float32, seed=0)
    history = net.train(X, Y, epochs=10, batch_size=10, learning_rate=0.5, progress=False)
    assert np.all(np.isfinite(history.loss))
    assert history.loss[-1] < 0.5 * history.loss[0] and history.accuracy[-1] > 0.9
    for l in (1, 2):
        assert net.W[l].dtype == np.float32 and net.b[l].dtype == np.float32
    cache = net.forward(X.astype(np.float64))  # inputs are cast to the network's dtype
    assert all(a.dtype == np.float32 for a in cache.a) and all(z.dtype == np.float32 for z in cache.z[1:])
    _, dW, db = net.gradients(X, Y)
    assert all(g.dtype == np.float32 for g in dW[1:] + db[1:])


def test_float32_softmax_network_stays_float32():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 12)).astype(np.float32)
    Y = one_hot(rng.integers(0, 3, size=12), 3).astype(np.float32)
    net = Network([3, 4, 3], hidden="relu", output="softmax", loss="ce", dtype=np.float32, seed=0)
    _, dW, db = net.gradients(X, Y)
    assert all(g.dtype == np.float32 for g in dW[1:] + db[1:])


def test_one_output_unit_predicts_by_the_midpoint_of_its_targets():
    X = np.zeros((2, 3))
    for output, a_L, expected in [("sigmoid", [0.3, 0.5, 0.7], [0, 0, 1]),
                                  ("identity", [0.3, 0.5, 0.7], [0, 0, 1]),
                                  ("tanh", [-0.2, 0.0, 0.2], [0, 0, 1])]:
        net = Network([2, 1], output=output)
        assert np.array_equal(net._classes(np.array([a_L])), expected), output
        assert net.predict(X).shape == (3,)
