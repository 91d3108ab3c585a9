"""Sliders for the lessons, wired to the ordinary functions of :mod:`bpkit.plots`.

Each builder returns an :class:`ipywidgets.interactive`: its controls are in
``widget.children[:-1]``, its output area is ``widget.out``, and the value the
plot function returned last is ``widget.result``. Moving a control calls the
function again and redraws. Nothing else happens here: what is drawn is
decided, and tested, in :mod:`bpkit.plots`.

In a lesson, display the widget as the cell's last expression and tag the
cell ``nbval-ignore-output``; put a static plot beside it for readers whose
viewer shows no widgets.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np

from . import plots
from .network import INITIALISATIONS, Network

Array = np.ndarray
#: Sliders recompute when released rather than on every pixel of a drag.
_SLIDER = {"continuous_update": False, "readout_format": ".2f"}


def one_neuron_widget(w0: float = 1.0, b0: float = 0.0, activation: str = "sigmoid") -> widgets.interactive:
    """Lesson 01: sliders for ``w`` and ``b`` and a choice of activation; draws :func:`plots.plot_neuron`."""
    def draw(w: float, b: float, activation: str):
        return plots.plot_neuron(w, b, activation)

    return widgets.interactive(
        draw,
        w=widgets.FloatSlider(value=w0, min=-5.0, max=5.0, step=0.1, description="w", **_SLIDER),
        b=widgets.FloatSlider(value=b0, min=-5.0, max=5.0, step=0.1, description="b", **_SLIDER),
        activation=widgets.Dropdown(options=["sigmoid", "tanh", "relu"], value=activation, description="σ"),
    )


def backward_pass_widget(net: Network, x: Array, y: Array) -> widgets.interactive:
    """Lesson 04: step through the backward pass, one delta per step (:func:`plots.backward_steps`).

    Args:
        net: a small network; x: one example ``(n_0, 1)``; y: its target ``(n_L, 1)``.
    """
    steps = plots.backward_steps(net, x, y)

    def draw(step: int):
        s = steps[step]
        ax = plots.draw_network(net.sizes, s.deltas, highlight_layer=s.layer)
        ax.set_title(f"step {step}: {s.equation}", fontsize=9)
        return ax

    slider = widgets.IntSlider(value=0, min=0, max=len(steps) - 1, description="step",
                               continuous_update=False)
    return widgets.interactive(draw, step=slider)


def training_widget(X: Array, Y: Array, sizes: Sequence[int], epochs: int = 100,
                    learning_rate: float = 0.5, **network_options) -> widgets.interactive:
    """Lessons 07-08: pick learning rate, epochs and batch size; see :func:`plots.train_and_plot`.

    ``network_options`` go to :class:`~bpkit.network.Network` (``hidden``, ``loss``, ...).
    The returned widget's ``result`` is ``(figure, history)``.
    """
    def draw(learning_rate: float, epochs: int, batch_size: int):
        return plots.train_and_plot(X, Y, sizes, learning_rate=learning_rate, epochs=epochs,
                                    batch_size=batch_size, **network_options)

    return widgets.interactive(
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

    Draws :func:`plots.layer_gradient_norms` of a fresh ``Network(sizes, hidden=..., init=...)``.
    With ``depth`` (a number of hidden layers) a slider for the depth is added too, from 1 to
    ``max_depth``: the network is then ``[sizes[0]] + [sizes[1]] * depth + [sizes[-1]]``.
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

        return widgets.interactive(draw, **controls)

    def draw_deep(init: str, hidden: str, depth: int):
        return build(init, hidden, [sizes[0]] + [sizes[1]] * depth + [sizes[-1]])

    controls["depth"] = widgets.IntSlider(value=depth, min=1, max=max(max_depth, depth), description="depth",
                                          continuous_update=False)
    return widgets.interactive(draw_deep, **controls)
