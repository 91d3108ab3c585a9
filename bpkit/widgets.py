"""Sliders for the lessons, wired to the ordinary functions of bpkit.plots.

Each builder returns an ipywidgets.interactive: its controls are in
widget.children[:-1], its output area is widget.out, and the value the plot
function returned last is widget.result. Moving a control calls the function
again and redraws. Nothing else happens here: what is drawn is decided, and
tested, in bpkit.plots.

In a lesson, display the widget as the cell's last expression and tag the
cell nbval-ignore-output; put a static plot beside it for readers whose
viewer shows no widgets.

How the output area is written. ipywidgets' own interactive captures the
plot function's figures with "with widget.out:" and clear_output(wait=True).
A front end answers each captured output with a comm message on the kernel's
shell channel, and nbclient (bpkit execute and release) imitates that front
end, on the very channel where it is waiting for the cell's reply. On a busy
machine that wait could miss the reply and last until the cell timeout ran out
(lesson 08 stalled for 120 s, then carried on). So these widgets render each
figure to PNG themselves and set it as the output area's state: one message
from the kernel, nothing for a front end to send back during the cell
(bench/widget_stall.py measures it; tests/test_widgets.py keeps it so).
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.core.pylabtools import print_figure

from . import plots
from .network import INITIALISATIONS, Network

Array = np.ndarray
#: Sliders recompute when released rather than on every pixel of a drag.
_SLIDER = {"continuous_update": False, "readout_format": ".2f"}


def _figure_output(fig) -> dict:
    """The output record (as stored in a notebook) that shows fig as a PNG image.

    >>> fig, ax = plt.subplots(figsize=(2, 1))
    >>> record = _figure_output(fig)
    >>> record["output_type"], record["data"]["text/plain"], record["data"]["image/png"][:8]
    ('display_data', '<Figure size 200x100 with 1 Axes>', 'iVBORw0K')
    >>> plt.close(fig)
    """
    data = {"text/plain": repr(fig)}
    png = print_figure(fig, "png", base64=True)          # None for an empty figure
    if png:
        data["image/png"] = png
    return {"output_type": "display_data", "metadata": {}, "data": data}


class Interactive(widgets.interactive):
    """An ipywidgets.interactive whose output area is set, never captured (see the module's docstring)."""

    def update(self, *args) -> None:
        self.kwargs = {w._kwarg: w.get_interact_value() for w in self.kwargs_widgets}
        before = set(plt.get_fignums())
        try:
            self.result = self.f(**self.kwargs)
            outputs = []
        except Exception:               # show the error where the plot would be, as interact does
            outputs = [{"output_type": "stream", "name": "stderr", "text": traceback.format_exc()}]
        for number in [n for n in plt.get_fignums() if n not in before]:
            fig = plt.figure(number)
            outputs.append(_figure_output(fig))
            plt.close(fig)
        self.out.outputs = tuple(outputs)


def one_neuron_widget(w0: float = 1.0, b0: float = 0.0, activation: str = "sigmoid") -> widgets.interactive:
    """Lesson 01: sliders for w and b and a choice of activation; draws plots.plot_neuron."""
    def draw(w: float, b: float, activation: str):
        return plots.plot_neuron(w, b, activation)

    return Interactive(
        draw,
        w=widgets.FloatSlider(value=w0, min=-5.0, max=5.0, step=0.1, description="w", **_SLIDER),
        b=widgets.FloatSlider(value=b0, min=-5.0, max=5.0, step=0.1, description="b", **_SLIDER),
        activation=widgets.Dropdown(options=["sigmoid", "tanh", "relu"], value=activation, description="σ"),
    )


def backward_pass_widget(net: Network, x: Array, y: Array) -> widgets.interactive:
    """Lesson 04: step through the backward pass, one delta per step (plots.backward_steps).

    Args:
        net: a small network; x: one example (n_0, 1); y: its target (n_L, 1).
    """
    steps = plots.backward_steps(net, x, y)

    def draw(step: int):
        s = steps[step]
        ax = plots.draw_network(net.sizes, s.deltas, highlight_layer=s.layer)
        ax.set_title(f"step {step}: {s.equation}", fontsize=9)
        return ax

    slider = widgets.IntSlider(value=0, min=0, max=len(steps) - 1, description="step",
                               continuous_update=False)
    return Interactive(draw, step=slider)


def training_widget(X: Array, Y: Array, sizes: Sequence[int], epochs: int = 100,
                    learning_rate: float = 0.5, **network_options) -> widgets.interactive:
    """Lessons 07-08: pick learning rate, epochs and batch size; see plots.train_and_plot.

    network_options go to bpkit.network.Network (hidden, loss, ...).
    The returned widget's result is (figure, history).
    """
    def draw(learning_rate: float, epochs: int, batch_size: int):
        return plots.train_and_plot(X, Y, sizes, learning_rate=learning_rate, epochs=epochs,
                                    batch_size=batch_size, **network_options)

    return Interactive(
        draw,
        learning_rate=widgets.FloatLogSlider(value=learning_rate, base=10, min=-3, max=1, step=0.1,
                                       description="rate", continuous_update=False, readout_format=".3g"),
        epochs=widgets.IntSlider(value=epochs, min=1, max=max(500, epochs), description="epochs",
                           continuous_update=False),
        batch_size=widgets.Dropdown(options=[1, 4, 16, 64, 256], value=16, description="batch"),
    )


def init_widget(X: Array, Y: Array, sizes: Sequence[int], hidden: str = "sigmoid",
                init: str = "normal", depth: int | None = None, max_depth: int = 20,
                **network_options) -> widgets.interactive:
    """Lessons 10-11: pick an initialisation and a hidden activation; plot the gradient size per layer.

    Draws plots.layer_gradient_norms of a fresh Network(sizes, hidden=..., init=...).
    With depth (a number of hidden layers) a slider for the depth is added too, from 1 to
    max_depth: the network is then [sizes[0]] + [sizes[1]] * depth + [sizes[-1]].
    """
    def build(init: str, hidden: str, layers: Sequence[int]):
        net = Network(list(layers), hidden=hidden, init=init, **network_options)
        ax = plots.plot_layer_norms(plots.layer_gradient_norms(net, X, Y), label=f"{init}, {hidden}")
        ax.set_title("size of dL/dW[l] at initialisation")
        return ax

    controls = {
        "init": widgets.Dropdown(options=list(INITIALISATIONS), value=init, description="init"),
        "hidden": widgets.Dropdown(options=["sigmoid", "tanh", "relu"], value=hidden, description="hidden σ"),
    }
    if depth is None:
        def draw(init: str, hidden: str):
            return build(init, hidden, sizes)

        return Interactive(draw, **controls)

    def draw_deep(init: str, hidden: str, depth: int):
        return build(init, hidden, [sizes[0]] + [sizes[1]] * depth + [sizes[-1]])

    controls["depth"] = widgets.IntSlider(value=depth, min=1, max=max(max_depth, depth), description="depth",
                                          continuous_update=False)
    return Interactive(draw_deep, **controls)
