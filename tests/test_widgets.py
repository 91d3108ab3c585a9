"""Tests of bpkit.widgets: each widget builds, and moving a control re-runs its plot function."""

import matplotlib

matplotlib.use("Agg")  # no display in tests; never set MPLBACKEND (the notebooks' kernels would inherit it)

import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bpkit import Network, plots, widgets  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def controls(widget: ipywidgets.interactive) -> dict:
    """The widget's controls by their keyword."""
    return {c._kwarg: c for c in widget.kwargs_widgets}


def test_one_neuron_widget_redraws_when_a_slider_moves():
    widget = widgets.one_neuron_widget()
    assert isinstance(widget, ipywidgets.interactive)
    assert isinstance(widget.out, ipywidgets.Output)
    c = controls(widget)
    assert set(c) == {"w", "b", "activation"}
    first = widget.result
    c["w"].value = -2.0
    c["activation"].value = "tanh"
    assert widget.result is not first
    (curve, *_) = widget.result.get_lines()
    np.testing.assert_allclose(curve.get_ydata(), plots.neuron_response(-2.0, 0.0, "tanh")[1])
    assert "w = -2.00" in widget.result.get_title()


def test_backward_pass_widget_steps_through_the_deltas():
    net = Network([2, 3, 2], seed=0)
    x, y = np.array([[0.3], [-0.7]]), np.array([[0.0], [1.0]])
    widget = widgets.backward_pass_widget(net, x, y)
    step = controls(widget)["step"]
    assert (step.min, step.max, step.value) == (0, net.L, 0)
    steps = plots.backward_steps(net, x, y)
    for k in range(net.L, -1, -1):
        step.value = k
        assert widget.result.get_title() == f"step {k}: {steps[k].equation}"
        written = {t.get_text() for t in widget.result.texts}
        for l in range(1, net.L + 1):
            value = f"{steps[-1].deltas[l][0, 0]:.2g}"
            assert (value in written) == (l > net.L - k), (k, l)


def test_training_widget_retrains_with_the_new_settings():
    X = np.random.default_rng(0).normal(size=(2, 32))
    Y = (X[:1] > 0).astype(float)
    widget = widgets.training_widget(X, Y, [2, 3, 1], epochs=3)
    c = controls(widget)
    assert set(c) == {"learning_rate", "epochs", "batch_size"}
    fig, history = widget.result
    assert len(history.loss) == 3 and len(fig.axes) == 2
    c["epochs"].value = 5
    assert len(widget.result[1].loss) == 5
    _, expected = plots.train_and_plot(X, Y, [2, 3, 1], learning_rate=c["learning_rate"].value, epochs=5,
                                       batch_size=c["batch_size"].value)
    np.testing.assert_allclose(widget.result[1].loss, expected.loss)


def test_init_widget_plots_the_chosen_initialisation():
    X = np.random.default_rng(1).normal(size=(4, 16))
    Y = (X[:1] > 0).astype(float)
    sizes = [4, 8, 8, 8, 1]
    widget = widgets.init_widget(X, Y, sizes)
    c = controls(widget)
    c["init"].value = "he"
    c["hidden"].value = "relu"
    (line,) = widget.result.get_lines()
    expected = plots.layer_gradient_norms(Network(sizes, hidden="relu", init="he"), X, Y)
    np.testing.assert_allclose(line.get_ydata(), expected[1:])
    assert widget.result.get_legend().get_texts()[0].get_text() == "he, relu"
