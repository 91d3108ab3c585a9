"""bpkit.widgets.init_widget with a depth slider (lesson 10)."""

import matplotlib

matplotlib.use("Agg")  # no display in tests; never set MPLBACKEND (the notebooks' kernels would inherit it)

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from bpkit import Network, plots, widgets  # noqa: E402


def test_init_widget_depth_slider_rebuilds_the_network():
    X = np.random.default_rng(2).normal(size=(4, 16))
    Y = (X[:1] > 0).astype(float)
    widget = widgets.init_widget(X, Y, [4, 8, 1], hidden="tanh", init="xavier", depth=3, max_depth=6)
    c = {w._kwarg: w for w in widget.kwargs_widgets}
    assert set(c) == {"init", "hidden", "depth"}
    assert (c["depth"].min, c["depth"].max, c["depth"].value) == (1, 6, 3)
    (line,) = widget.result.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3, 4])            # 3 hidden layers + output
    c["depth"].value = 5
    (line,) = widget.result.get_lines()
    expected = plots.layer_gradient_norms(Network([4] + [8] * 5 + [1], hidden="tanh", init="xavier"), X, Y)
    np.testing.assert_allclose(line.get_ydata(), expected[1:])
    plt.close("all")


def test_init_widget_without_depth_keeps_its_two_controls():
    X = np.random.default_rng(2).normal(size=(4, 16))
    widget = widgets.init_widget(X, (X[:1] > 0).astype(float), [4, 8, 1])
    assert {w._kwarg for w in widget.kwargs_widgets} == {"init", "hidden"}
    plt.close("all")
