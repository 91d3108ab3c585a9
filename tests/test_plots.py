"""Tests of bpkit.plots: the data functions on their numbers, the plot functions on what they draw."""

import matplotlib

matplotlib.use("Agg")  # no display in tests; never set MPLBACKEND (the notebooks' kernels would inherit it)

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection, PathCollection  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402
from matplotlib.patches import Circle, Rectangle  # noqa: E402

from bpkit import Network, plots, sigmoid  # noqa: E402
from bpkit.numgrad import network_numerical_gradients  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def slope(h, e):
    """Least-squares slope of log e against log h."""
    return float(np.polyfit(np.log10(h), np.log10(e), 1)[0])


# --------------------------------------------------------------------------- 00, 01


def test_plot_activations_draws_each_curve_and_its_derivative():
    z = np.linspace(-3, 3, 61)
    ax = plots.plot_activations(["sigmoid", "tanh", "relu"], z=z)
    lines = [line for line in ax.get_lines() if len(line.get_xdata()) == z.size]
    assert len(lines) == 6
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(lines[0].get_ydata(), s)
    np.testing.assert_allclose(lines[1].get_ydata(), s * (1 - s))
    np.testing.assert_allclose(lines[3].get_ydata(), 1 - np.tanh(z) ** 2)
    assert lines[0].get_color() == lines[1].get_color() and lines[1].get_linestyle() == "--"
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["sigmoid(z)", "sigmoid'(z)"]


def test_plot_activations_refuses_softmax():
    with pytest.raises(ValueError, match="softmax is not element-wise"):
        plots.plot_activations(["softmax"])


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_neuron_response_is_sigma_of_w_x_plus_b(activation):
    x, a = plots.neuron_response(-1.5, 0.5, activation, x_range=(-2.0, 3.0), n=11)
    assert x.shape == a.shape == (11,)
    np.testing.assert_allclose(x, np.linspace(-2, 3, 11))
    z = -1.5 * x + 0.5
    expected = {"sigmoid": 1 / (1 + np.exp(-z)), "tanh": np.tanh(z), "relu": np.maximum(z, 0)}[activation]
    np.testing.assert_allclose(a, expected)


def test_plot_neuron_marks_where_z_is_zero():
    ax = plots.plot_neuron(2.0, -1.0, "sigmoid")
    curve, mark = ax.get_lines()
    np.testing.assert_allclose(curve.get_ydata(), plots.neuron_response(2.0, -1.0, "sigmoid")[1])
    assert mark.get_xdata()[0] == pytest.approx(0.5)                  # -b/w
    assert ax.get_ylim() == (-0.05, 1.05)                              # fixed, so sliders do not rescale
    assert len(plots.plot_neuron(0.0, 1.0, "relu").get_lines()) == 1   # w = 0: z is never 0


# --------------------------------------------------------------------------- 02


def test_step_size_errors_truncation_falls_as_h_squared_then_round_off_rises():
    hs = np.logspace(-13, 0, 53)
    errors = plots.step_size_errors(np.sin, np.cos, 1.0, hs)
    assert errors.shape == hs.shape
    big = (hs >= 1e-4) & (hs <= 1e-1)
    assert slope(hs[big], errors[big]) == pytest.approx(2.0, abs=0.05)       # truncation ~ h^2
    small = hs <= 1e-9
    assert -1.5 < slope(hs[small], errors[small]) < -0.5                    # round-off ~ eps/h
    best = hs[np.argmin(errors)]
    assert 1e-7 <= best <= 1e-4                                              # near eps^(1/3) ~ 6e-6
    assert errors[0] > 1e3 * errors.min() and errors[-1] > 1e3 * errors.min()


def test_step_size_errors_forward_difference_is_first_order():
    hs = np.logspace(-4, -1, 7)
    errors = plots.step_size_errors(np.exp, np.exp, 0.5, hs, method="forward")
    assert slope(hs, errors) == pytest.approx(1.0, abs=0.05)
    # the leading term: f''(x) h / 2
    np.testing.assert_allclose(errors[0], np.exp(0.5) * hs[0] / 2, rtol=1e-3)


def test_step_size_errors_refuses_bad_input():
    with pytest.raises(ValueError, match="steps > 0"):
        plots.step_size_errors(np.sin, np.cos, 1.0, [1e-3, 0.0])
    with pytest.raises(ValueError, match="method"):
        plots.step_size_errors(np.sin, np.cos, 1.0, [1e-3], method="backward")


def test_plot_step_size_errors_draws_errors_and_two_guides():
    hs = np.logspace(-10, -1, 10)
    ax = plots.plot_step_size_errors(np.sin, np.cos, 1.0, hs)
    data, truncation, round_off = ax.get_lines()
    np.testing.assert_allclose(data.get_ydata(), plots.step_size_errors(np.sin, np.cos, 1.0, hs))
    np.testing.assert_allclose(truncation.get_ydata()[-1], data.get_ydata()[-1])
    assert ax.get_xscale() == ax.get_yscale() == "log"


# --------------------------------------------------------------------------- 04


@pytest.fixture
def small_net():
    net = Network([3, 4, 5, 2], seed=3)
    x = np.array([[0.5], [-1.0], [2.0]])
    y = np.array([[1.0], [0.0]])
    return net, x, y


def test_backward_steps_reveal_one_delta_per_step(small_net):
    net, x, y = small_net
    steps = plots.backward_steps(net, x, y)
    assert [s.layer for s in steps] == [None, 3, 2, 1]
    assert "Equation 1" in steps[1].equation and "Equation 2" in steps[2].equation
    for k, s in enumerate(steps):
        known = [l for l, d in enumerate(s.deltas) if d is not None]
        assert known == list(range(net.L - k + 1, net.L + 1))          # L, then L-1, ...: nothing else


def test_backward_steps_deltas_are_the_networks_own(small_net):
    net, x, y = small_net
    final = plots.backward_steps(net, x, y)[-1].deltas
    _, dW, db = net.gradients(x, y)
    cache = net.forward(x)
    for l in range(1, net.L + 1):
        np.testing.assert_allclose(final[l], db[l])                              # Eq. 4, one example
        np.testing.assert_allclose(final[l] @ cache.a[l - 1].T, dW[l])           # Eq. 3
        assert final[l].shape == (net.sizes[l], 1)


def test_backward_steps_with_softmax_and_a_batch():
    net = Network([2, 3, 3], output="softmax", loss="cross_entropy", seed=0)
    X = np.array([[0.1, -0.4, 1.2, 0.7], [0.3, 0.8, -1.0, 0.2]])
    Y = np.eye(3)[:, [0, 2, 1, 2]]
    deltas = plots.backward_steps(net, X, Y)[-1].deltas
    _, dW, db = net.gradients(X, Y)
    for l in (1, 2):
        np.testing.assert_allclose(deltas[l].sum(axis=1, keepdims=True), db[l])


def test_draw_network_draws_units_connections_and_highlight(small_net):
    net, x, y = small_net
    deltas = plots.backward_steps(net, x, y)[2].deltas                  # delta[3], delta[2] known
    ax = plots.draw_network(net.sizes, deltas, highlight_layer=2)
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    assert len(circles) == sum(net.sizes)
    assert len([p for p in ax.patches if isinstance(p, Rectangle)]) == 1
    (edges,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(edges.get_segments()) == 3 * 4 + 4 * 5 + 5 * 2
    # Colours: unknown layers white; known units red if delta > 0, blue if < 0.
    by_layer = np.split(np.array(circles), np.cumsum(net.sizes)[:-1])
    assert all(tuple(c.get_facecolor()) == (1.0, 1.0, 1.0, 1.0) for c in by_layer[1])
    for circle, value in zip(by_layer[3], deltas[3][:, 0], strict=True):
        r, _, b, _ = circle.get_facecolor()
        assert (r > b) == (value > 0)
    labels = {t.get_text() for t in ax.texts}
    assert f"{deltas[3][0, 0]:.2g}" in labels and "layer 3" in labels


def test_draw_network_without_deltas_and_bad_deltas():
    ax = plots.draw_network([2, 3, 1])
    assert len([p for p in ax.patches if isinstance(p, Circle)]) == 6
    with pytest.raises(ValueError, match=r"delta\[1\] has shape \(3, 2\) but draw_network shows one example"):
        plots.draw_network([2, 3, 1], [None, np.zeros((3, 2)), None])
    with pytest.raises(ValueError, match="deltas has 2 entries"):
        plots.draw_network([2, 3, 1], [None, np.zeros((3, 1))])
    with pytest.raises(ValueError, match="highlight_layer is 5"):
        plots.draw_network([2, 3, 1], highlight_layer=5)


# --------------------------------------------------------------------------- 06


def test_plot_gradient_check_scatters_every_entry():
    net = Network([2, 3, 1], seed=0)
    X, Y = np.array([[0.5], [-0.2]]), np.array([[1.0]])
    _, dW, _ = net.gradients(X, Y)
    num_dW, _ = network_numerical_gradients(net, X, Y)
    ax = plots.plot_gradient_check(num_dW, dW)
    (points,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(points.get_offsets()) == 2 * 3 + 3 * 1
    np.testing.assert_allclose(points.get_offsets()[:, 0], np.concatenate([dW[1].ravel(), dW[2].ravel()]))
    assert len(ax.get_lines()) == 1
    assert ax.get_title() == "relative error < 1e-07: agree"
    wrong = [dW[1], 1.5 * dW[2]]
    assert ax.get_title() != plots.plot_gradient_check(num_dW, wrong).get_title()
    assert plots.plot_gradient_check(num_dW, wrong).get_title().endswith(": DISAGREE")


def test_plot_gradient_check_refuses_mismatched_sizes():
    with pytest.raises(ValueError, match="numerical has 3 entries but analytic has 2"):
        plots.plot_gradient_check(np.zeros(3), np.zeros(2))


# --------------------------------------------------------------------------- 07-08


def separable(m=40, seed=0):
    X = np.random.default_rng(seed).normal(size=(2, m))
    return X, (X[0:1] + X[1:2] > 0).astype(float)


def test_plot_decision_boundary_fills_regions_and_scatters_examples():
    X, Y = separable()
    net = Network([2, 4, 1], seed=0)
    net.train(X, Y, epochs=30, learning_rate=2.0, batch_size=8, progress=False)
    ax = plots.plot_decision_boundary(net, X, Y, resolution=50)
    assert sum(isinstance(c, ContourSet) for c in ax.collections) == 1
    (points,) = [c for c in ax.collections if isinstance(c, PathCollection) and not isinstance(c, ContourSet)]
    np.testing.assert_allclose(points.get_offsets(), X.T)
    assert f"{net.accuracy(X, Y):.2f}" in ax.get_title()
    # the legend names each class in the colour its points are drawn in
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["class 0", "class 1"]
    labels, colours = Y.ravel().astype(int), points.to_rgba(points.get_array())
    for handle, c in zip(legend.legend_handles, (0, 1), strict=True):
        np.testing.assert_allclose(handle.get_markerfacecolor(), colours[labels == c][0])


def test_plot_decision_boundary_needs_two_inputs():
    with pytest.raises(ValueError, match="takes 3"):
        plots.plot_decision_boundary(Network([3, 1]), np.zeros((3, 2)), np.zeros((1, 2)))


def test_plot_loss_curve_from_history_and_from_a_list():
    X, Y = separable()
    net = Network([2, 3, 1], seed=0)
    history = net.train(X, Y, epochs=4, progress=False, validation=(X, Y))
    ax = plots.plot_loss_curve(history)
    train, val = ax.get_lines()
    np.testing.assert_allclose(train.get_ydata(), history.loss)
    np.testing.assert_allclose(train.get_xdata(), [1, 2, 3, 4])
    np.testing.assert_allclose(val.get_ydata(), history.val_loss)
    assert len(plots.plot_loss_curve([3.0, 2.0, 1.0], log=True).get_lines()) == 1
    every_third = net.train(X, Y, epochs=7, evaluate_every=3, progress=False)
    (line,) = plots.plot_loss_curve(every_third).get_lines()
    np.testing.assert_allclose(line.get_xdata(), [3, 6, 7])             # the epochs evaluated
    ax = plots.plot_loss_curve(np.linspace(1.0, 0.1, 20))     # lesson 09: 20 epochs
    ax.figure.canvas.draw()
    ticks = [t for t in ax.get_xticks() if 1 <= t <= 20]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks


def test_train_and_plot_trains_and_draws_two_panels():
    X, Y = separable(64)
    fig, history = plots.train_and_plot(X, Y, [2, 4, 1], learning_rate=2.0, epochs=40, batch_size=8)
    assert len(history.loss) == 40 and history.loss[-1] < history.loss[0]
    assert len(fig.axes) == 2
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), history.loss)


# --------------------------------------------------------------------------- 09


def test_confusion_matrix_counts():
    y_true = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 2, 2, 0, 2])
    c = plots.confusion_matrix(y_true, y_pred, 4)
    expected = np.array([[1, 1, 0, 0], [0, 2, 1, 0], [1, 0, 3, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(c, expected)
    assert c.dtype.kind == "i" and c.sum() == y_true.size
    np.testing.assert_array_equal(c.sum(axis=1), np.bincount(y_true, minlength=4))


def test_confusion_matrix_refuses_bad_labels():
    with pytest.raises(ValueError, match="y_pred must hold integer labels 0..2"):
        plots.confusion_matrix([0, 1], [0, 3], 3)
    with pytest.raises(ValueError, match="y_true must hold integer labels"):
        plots.confusion_matrix([0.0, 1.0], [0, 1], 3)
    with pytest.raises(ValueError, match="y_true has 2 labels but y_pred has 1"):
        plots.confusion_matrix([0, 1], [0], 3)


def test_plot_confusion_matrix_writes_every_count():
    counts = np.array([[5, 1], [0, 7]])
    ax = plots.plot_confusion_matrix(counts, class_names=["no", "yes"])
    assert len(ax.images) == 1
    assert [t.get_text() for t in ax.texts] == ["5", "1", "0", "7"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["no", "yes"]


def test_plot_digit_grid_titles_labels_and_wrong_predictions():
    images = np.arange(64 * 12, dtype=float).reshape(64, 12)
    labels = np.arange(12) % 10
    preds = labels.copy()
    preds[3] = 8
    fig = plots.plot_digit_grid(images, labels, preds, ncols=5)
    assert len(fig.axes) == 12                                     # 3 rows of 5, the 3 spare axes removed
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[3] == "3→8" and titles[4] == "4"
    assert fig.axes[3].title.get_color() == "tab:red"
    np.testing.assert_array_equal(fig.axes[1].images[0].get_array(), images[:, 1].reshape(8, 8))


def test_plot_digit_grid_refuses_bad_shapes():
    with pytest.raises(ValueError, match="not a square image"):
        plots.plot_digit_grid(np.zeros((10, 2)), [0, 1])
    with pytest.raises(ValueError, match="one image per column"):
        plots.plot_digit_grid(np.zeros((2, 8, 8)), [0, 1])
    with pytest.raises(ValueError, match="need 2 entries"):
        plots.plot_digit_grid(np.zeros((64, 2)), [0, 1, 2])


# --------------------------------------------------------------------------- 10-11


def test_layer_gradient_norms_are_the_frobenius_norms_of_dW():
    X, Y = separable(32)
    net = Network([2, 6, 6, 6, 1], seed=1)
    norms = plots.layer_gradient_norms(net, X, Y)
    _, dW, _ = net.gradients(X, Y)
    assert norms[0] is None and len(norms) == net.L + 1
    np.testing.assert_allclose(norms[1:], [np.linalg.norm(dW[l]) for l in range(1, net.L + 1)])


def test_layer_gradient_norms_show_sigmoid_gradients_vanishing():
    X = np.random.default_rng(0).normal(size=(10, 64))
    Y = (X[:1] > 0).astype(float)
    net = Network([10] + [32] * 6 + [1], hidden=sigmoid, init="xavier", seed=0)
    norms = plots.layer_gradient_norms(net, X, Y)
    assert norms[1] < norms[net.L - 1] / 10                        # each sigmoid layer shrinks delta


def test_plot_layer_norms_one_line_per_call():
    ax = plots.plot_layer_norms([None, 1e-3, 1e-2, 1e-1], label="a")
    plots.plot_layer_norms([None, 1.0, 1.0, 1.0], ax=ax, label="b")
    first, second = ax.get_lines()
    np.testing.assert_array_equal(first.get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(first.get_ydata(), [1e-3, 1e-2, 1e-1])
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
