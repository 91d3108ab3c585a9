r"""The lessons' pictures: small data functions and the plots drawn from them.

Every picture is split in two: a **data function** that computes what is
shown (tested on its numbers), and a **plot function** that draws it with
matplotlib's object API. Plot functions take an optional ax to draw into
(a new figure is made with matplotlib.pyplot.subplots otherwise) and
return the Axes (or the Figure, for a grid of axes). Nothing here calls
plt.show(): a lesson cell ends with it.

* lesson 00: plot_activations
* lesson 01: neuron_response -> plot_neuron
* lesson 02: step_size_errors -> plot_step_size_errors
* lesson 04: backward_steps -> draw_network
* lesson 06: plot_gradient_check
* lessons 07-08: plot_decision_boundary, plot_loss_curve, train_and_plot
* lesson 09: confusion_matrix -> plot_confusion_matrix; plot_digit_grid
* lessons 10-11: layer_gradient_norms -> plot_layer_norms

>>> x, y = neuron_response(w=2.0, b=-1.0, activation="sigmoid", x_range=(-1.0, 1.0), n=3)
>>> x, y.round(4)
(array([-1.,  0.,  1.]), array([0.0474, 0.2689, 0.7311]))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Rectangle
from matplotlib.ticker import MaxNLocator

from .activations import Activation, get_activation
from .data import to_labels
from .equations import backprop_error, forward_step
from .network import History, Network
from .numgrad import relative_error

Array = np.ndarray

#: The diverging colour map for signed quantities such as delta: blue < 0 < red.
DELTA_CMAP = "coolwarm"
#: Activations whose outputs are bounded get fixed y-limits, so that a slider
#: moving w or b moves the curve, not the axes.
_BOUNDED_YLIM = {"sigmoid": (-0.05, 1.05), "tanh": (-1.1, 1.1)}


def _axes(ax: Axes | None, figsize: tuple[float, float] = (6.0, 4.0)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


# --------------------------------------------------------------------------- 00: activations


def plot_activations(names: Sequence[str | Activation], ax: Axes | None = None,
                     z: Array | None = None) -> Axes:
    r"""Each activation σ(z) (solid) and its derivative σ′(z) (dashed, same colour).

    Args:
        names: activations, by name ("sigmoid", "tanh", "relu", ...) or as objects.
        ax: where to draw; a new figure if None.
        z: the points, 1-D; default 401 points on [-5, 5].

    Returns:
        The Axes, with two lines per activation.
    """
    z = np.linspace(-5.0, 5.0, 401) if z is None else np.asarray(z, dtype=np.float64)
    ax = _axes(ax)
    for name in names:
        act = get_activation(name)
        if act.derivative is None:
            raise ValueError(f"{act.name} is not element-wise, so it has no curve sigma'(z) to plot")
        (line,) = ax.plot(z, act.forward(z), label=f"{act.name}(z)")
        ax.plot(z, act.derivative(z), "--", color=line.get_color(), label=f"{act.name}'(z)")
    ax.axhline(0.0, color="0.8", lw=0.8, zorder=0)
    ax.set_xlabel("z")
    ax.set_title("activations (solid) and their derivatives (dashed)")
    ax.legend(fontsize="small")
    return ax


# --------------------------------------------------------------------------- 01: one neuron


def neuron_response(w: float, b: float, activation: str | Activation = "sigmoid",
                    x_range: tuple[float, float] = (-5.0, 5.0), n: int = 201) -> tuple[Array, Array]:
    r"""The output of one neuron with one input, a = σ(w x + b), along x.

    Computed with bpkit.equations.forward_step (W = [[w]], a row of inputs).

    Args:
        w, b: the weight and the bias.
        activation: σ.
        x_range: the interval of inputs x.
        n: how many points.

    Returns:
        (x, a), both 1-D of length n.
    """
    x = np.linspace(x_range[0], x_range[1], n)
    _, a = forward_step(np.array([[float(w)]]), x[np.newaxis, :], np.array([[float(b)]]), activation)
    return x, a[0]


def plot_neuron(w: float, b: float, activation: str | Activation = "sigmoid", ax: Axes | None = None,
                x_range: tuple[float, float] = (-5.0, 5.0)) -> Axes:
    r"""Draw a = σ(w x + b) against x, marking where z = 0 (at x = -b/w).

    Returns:
        The Axes: one line for the response, and a dotted vertical line at
        x = -b/w when that lies inside x_range.
    """
    act = get_activation(activation)
    x, a = neuron_response(w, b, act, x_range)
    ax = _axes(ax)
    ax.plot(x, a, lw=2)
    if w != 0 and x_range[0] <= -b / w <= x_range[1]:
        ax.axvline(-b / w, color="0.5", ls=":", lw=1)
    ax.set_xlim(*x_range)
    if act.name in _BOUNDED_YLIM:
        ax.set_ylim(*_BOUNDED_YLIM[act.name])
    ax.set_xlabel("input x")
    ax.set_ylabel("output a")
    ax.set_title(f"a = {act.name}(w x + b),  w = {w:.2f}, b = {b:.2f}")
    return ax


# --------------------------------------------------------------------------- 02: step size


def step_size_errors(f: Callable[[float], float], df: Callable[[float], float], x: float,
                     hs: Sequence[float] | Array, method: str = "central") -> Array:
    """Error of a finite-difference derivative of a scalar function, one entry per step h.

        central:  | (f(x+h) - f(x-h)) / (2h) - f'(x) |
        forward:  | (f(x+h) - f(x)) / h - f'(x) |

    For large h the truncation error dominates (∝ h² for
    central, ∝ h for forward differences); for small h
    round-off dominates (at most about ε |f(x)| / h).

    Args:
        f: the function, float -> float; df: its exact derivative.
        x: the point.
        hs: the steps, all > 0.
        method: "central" or "forward".

    Returns:
        The absolute errors, a float64 array shaped like hs.

    >>> errs = step_size_errors(np.sin, np.cos, 1.0, [1e-1, 1e-2])
    >>> bool(errs[1] < errs[0] / 50)          # 10x smaller h, ~100x smaller error
    True
    """
    hs = np.asarray(hs, dtype=np.float64)
    if hs.size == 0 or np.any(~(hs > 0)):
        raise ValueError("hs must be steps > 0")
    if method not in ("central", "forward"):
        raise ValueError(f"method must be 'central' or 'forward'; got {method!r}")
    exact = float(df(x))
    fx = float(f(x))
    errors = np.empty_like(hs)
    for i, h in np.ndenumerate(hs):
        if method == "central":
            estimate = (float(f(x + h)) - float(f(x - h))) / (2 * h)
        else:
            estimate = (float(f(x + h)) - fx) / h
        errors[i] = abs(estimate - exact)
    return errors


def plot_step_size_errors(f: Callable[[float], float], df: Callable[[float], float], x: float,
                          hs: Sequence[float] | Array | None = None, ax: Axes | None = None,
                          method: str = "central") -> Axes:
    r"""Log-log plot of step_size_errors with the two guides it follows.

    Draws three lines: the measured error; the truncation guide (∝ h²,
    or h for forward differences) through the error at the largest h;
    and the round-off bound ε |f(x)| / h (an upper estimate: measured errors
    usually run about ten times below it).
    Errors of exactly 0 are drawn at 1e-17 so the log scale can show them.
    """
    hs = np.logspace(-13, 0, 53) if hs is None else np.asarray(hs, dtype=np.float64)
    errors = step_size_errors(f, df, x, hs, method)
    order = 2 if method == "central" else 1
    eps = np.finfo(np.float64).eps
    h_max = hs.max()
    ax = _axes(ax)
    ax.loglog(hs, np.maximum(errors, 1e-17), "o-", ms=3, label=f"{method} difference error")
    ax.loglog(hs, errors[hs.argmax()] * (hs / h_max) ** order, "--", color="0.5",
              label=f"truncation ~ h^{order}")
    ax.loglog(hs, eps * max(abs(float(f(x))), eps) / hs, ":", color="0.3", label="round-off bound eps|f|/h")
    ax.set_ylim(1e-17, 1.0)
    ax.set_xlabel("step h")
    ax.set_ylabel("|estimate - exact|")
    ax.set_title(f"error of the {method} difference at x = {x:g}")
    ax.legend(fontsize="small")
    return ax


# --------------------------------------------------------------------------- 04: the backward pass


@dataclass
class BackwardStep:
    """One moment of the backward pass.

    Attributes:
        layer: the layer whose delta this step computed; None for the
            start (forward pass done, no delta known yet).
        equation: how it was computed, in words.
        deltas: the deltas known so far, a list indexed 0..L (entry 0 and
            the layers not reached yet are None), each (n_l, m).
    """

    layer: int | None
    equation: str
    deltas: list[Array | None]


def backward_steps(net: Network, x: Array, y: Array) -> list[BackwardStep]:
    r"""The backward pass of net on (x, y), one BackwardStep per delta.

    Step 0 is the start; step 1 computes δ[L] (Equation 1, or
    (ŷ - y)/m for softmax with cross-entropy); step k computes
    δ[L-k+1] by Equation 2. The deltas are the network's own
    (see bpkit.network.Network.backward).

    Args:
        net: the network; x: inputs (n_0, m); y: targets (n_L, m).

    Returns:
        L + 1 steps.
    """
    cache = net.forward(x)
    _, delta = net.output_delta(cache, y)
    deltas: list[Array | None] = [None] * (net.L + 1)
    steps = [BackwardStep(None, "forward pass done: no delta known yet", list(deltas))]
    L = net.L
    deltas[L] = delta
    steps.append(BackwardStep(L, f"Equation 1: delta[{L}] = dL/da[{L}] * sigma'(z[{L}])", list(deltas)))
    for l in range(L - 1, 0, -1):
        deltas[l] = backprop_error(net.W[l + 1], deltas[l + 1], cache.z[l], net.hidden, layer=l)
        steps.append(BackwardStep(
            l, f"Equation 2: delta[{l}] = (W[{l + 1}]^T delta[{l + 1}]) * sigma'(z[{l}])", list(deltas)))
    return steps


def draw_network(sizes: Sequence[int], deltas: Sequence[Array | None] | None = None,
                 highlight_layer: int | None = None, ax: Axes | None = None, values: bool = True) -> Axes:
    r"""Draw a small network: one column of units per layer 0..L, every connection a grey line.

    Units of a layer whose delta is given are coloured by it (blue negative,
    red positive, white zero, one colour scale for the whole picture) and,
    with values, labelled with it; other units are white.

    Args:
        sizes: [n_0, ..., n_L].
        deltas: indexed 0..L like BackwardStep.deltas; delta[l]
            is (n_l, 1) or (n_l,) (one example).
        highlight_layer: a layer to frame (the one being computed).
        values: write each known delta inside its unit.

    Returns:
        The Axes: one Circle per unit, one
        LineCollection of connections, and a
        Rectangle around highlight_layer.
    """
    sizes = [int(n) for n in sizes]
    L = len(sizes) - 1
    known = _delta_columns(sizes, deltas)
    ax = _axes(ax, figsize=(1.8 * (L + 1) + 1.0, 0.7 * max(sizes) + 1.0))
    top = max(sizes)
    pos = [[(l, (n - 1) / 2 - i) for i in range(n)] for l, n in enumerate(sizes)]
    edges = [(p, q) for l in range(1, L + 1) for p in pos[l - 1] for q in pos[l]]
    ax.add_collection(LineCollection(edges, colors="0.75", linewidths=0.8, zorder=1))
    vmax = max([float(np.max(np.abs(d))) for d in known.values()] + [1e-12])
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-vmax, vmax=vmax)
    cmap = plt.get_cmap(DELTA_CMAP)
    radius = 0.3
    for l, column in enumerate(pos):
        for i, (px, py) in enumerate(column):
            face = cmap(norm(known[l][i])) if l in known else "white"
            ax.add_patch(Circle((px, py), radius, facecolor=face, edgecolor="0.2", zorder=2))
            if values and l in known:
                ax.text(px, py, f"{known[l][i]:.2g}", ha="center", va="center", fontsize=6, zorder=3)
        ax.text(l, -(top - 1) / 2 - 0.6, "input" if l == 0 else f"layer {l}", ha="center", va="top")
    if highlight_layer is not None:
        if not 0 <= highlight_layer <= L:
            raise ValueError(f"highlight_layer is {highlight_layer} but the layers are 0..{L}")
        half = (sizes[highlight_layer] - 1) / 2 + 0.4
        ax.add_patch(Rectangle((highlight_layer - 0.4, -half), 0.8, 2 * half, fill=False,
                               edgecolor="tab:orange", lw=2, zorder=4))
    ax.set_xlim(-0.6, L + 0.6)
    ax.set_ylim(-(top - 1) / 2 - 1.0, (top - 1) / 2 + 0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def _delta_columns(sizes: list[int], deltas: Sequence[Array | None] | None) -> dict[int, Array]:
    """{l: delta[l] as a 1-D array} for the known deltas, with clear errors."""
    if deltas is None:
        return {}
    if len(deltas) != len(sizes):
        raise ValueError(f"deltas has {len(deltas)} entries but the network has layers 0..{len(sizes) - 1}; "
                         "index deltas like W, with entry 0 None")
    known = {}
    for l, d in enumerate(deltas):
        if d is None:
            continue
        d = np.asarray(d, dtype=np.float64)
        if d.ndim == 2 and d.shape[1] == 1:
            d = d[:, 0]
        if d.shape != (sizes[l],):
            raise ValueError(f"delta[{l}] has shape {d.shape} but draw_network shows one example: "
                             f"it needs shape ({sizes[l]}, 1)")
        known[l] = d
    return known


# --------------------------------------------------------------------------- 06: gradient check


def _flat(arrays: Array | Sequence[Array | None]) -> Array:
    if isinstance(arrays, np.ndarray):
        return arrays.astype(np.float64).ravel()
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays if a is not None])


def plot_gradient_check(numerical: Array | Sequence[Array | None], analytic: Array | Sequence[Array | None],
                        ax: Axes | None = None, threshold: float = 1e-7) -> Axes:
    """Scatter every analytic gradient entry (x) against its numerical estimate (y), with the line y = x.

    Args:
        numerical, analytic: arrays of one shape, or lists like dW (None entries skipped).
        threshold: the relative error below which the two agree.

    Returns:
        The Axes: one scatter and one line. The title gives a verdict, not the
        number, when they agree ("relative error < 1e-07: agree"), since the
        last digits of a tiny error change from machine to machine; otherwise
        the error ("relative error 0.17: DISAGREE").
    """
    num, ana = _flat(numerical), _flat(analytic)
    if num.shape != ana.shape:
        raise ValueError(f"numerical has {num.size} entries but analytic has {ana.size}; they must match")
    ax = _axes(ax, figsize=(4.5, 4.5))
    ax.scatter(ana, num, s=12, alpha=0.8)
    lo, hi = float(min(num.min(), ana.min())), float(max(num.max(), ana.max()))
    ax.plot([lo, hi], [lo, hi], color="0.5", lw=1)
    ax.set_xlabel("analytic (backpropagation)")
    ax.set_ylabel("numerical (central differences)")
    err = relative_error(num, ana)
    ax.set_title(f"relative error < {threshold:.0e}: agree" if err < threshold
                 else f"relative error {err:.2g}: DISAGREE")
    return ax


# --------------------------------------------------------------------------- 07-08: training


def plot_decision_boundary(net: Network, X: Array, Y: Array, ax: Axes | None = None,
                           resolution: int = 200) -> Axes:
    """Colour the plane by the class net predicts, and scatter the examples by their label.

    Args:
        net: a network with 2 inputs.
        X: (2, m); Y: targets in any form bpkit.data.to_labels takes.
        resolution: grid points along each axis.

    Returns:
        The Axes: one filled contour set, one scatter, and a legend naming the
        colour of each class ("class 0", "class 1", ...).
    """
    if net.sizes[0] != 2:
        raise ValueError(f"plot_decision_boundary draws 2-D inputs; this network takes {net.sizes[0]}")
    X = np.asarray(X, dtype=np.float64)
    labels = to_labels(Y)
    pad = 0.1 * (X.max(axis=1) - X.min(axis=1)) + 1e-9
    g0 = np.linspace(X[0].min() - pad[0], X[0].max() + pad[0], resolution)
    g1 = np.linspace(X[1].min() - pad[1], X[1].max() + pad[1], resolution)
    G0, G1 = np.meshgrid(g0, g1)
    pred = net.predict(np.vstack([G0.ravel(), G1.ravel()])).reshape(G0.shape)
    k = max(int(labels.max()), int(pred.max())) + 1
    ax = _axes(ax, figsize=(4.5, 4.5))
    cmap, norm = plt.get_cmap("RdBu" if k == 2 else "tab10"), Normalize(vmin=0, vmax=max(k - 1, 1))
    ax.contourf(G0, G1, pred, levels=np.arange(k + 1) - 0.5, cmap=cmap, norm=norm, alpha=0.3)
    ax.scatter(X[0], X[1], c=labels, cmap=cmap, norm=norm, s=12, edgecolors="k", linewidths=0.3)
    marks = [Line2D([], [], linestyle="", marker="o", markersize=5, markerfacecolor=cmap(norm(c)),
                    markeredgecolor="k", markeredgewidth=0.3, label=f"class {c}") for c in range(k)]
    ax.legend(handles=marks, fontsize="small", framealpha=0.8)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(f"decision regions (accuracy {net.accuracy(X, Y):.2f})")
    return ax


def plot_loss_curve(history: History | Sequence[float], ax: Axes | None = None, log: bool = False) -> Axes:
    """The loss after each recorded epoch (and the validation loss when recorded).

    A History records every epoch by default, or every k-th with
    Network.train(evaluate_every=k); the x-axis is the epoch each entry belongs to.

    Args:
        history: a bpkit.network.History, or a plain list of losses.
        log: use a log scale for the loss.

    Returns:
        The Axes: one line, two with validation loss.
    """
    losses = history.loss if isinstance(history, History) else list(history)
    val = history.val_loss if isinstance(history, History) else []
    ax = _axes(ax)
    recorded = history.epochs if isinstance(history, History) else []
    epochs = np.asarray(recorded) if len(recorded) == len(losses) else np.arange(1, len(losses) + 1)
    ax.plot(epochs, losses, label="training loss")
    if val:
        ax.plot(epochs, val, label="validation loss")
    if log:
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))      # whole epochs
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean loss")
    ax.legend(fontsize="small")
    return ax


def train_and_plot(X: Array, Y: Array, sizes: Sequence[int], learning_rate: float = 0.5, epochs: int = 100,
                   batch_size: int = 16, seed: int = 0, **network_options) -> tuple[Figure, History]:
    """Train a fresh Network(sizes, seed=seed, **network_options) and show how it went.

    Left: plot_loss_curve; right (for 2-D inputs): plot_decision_boundary.

    Returns:
        (figure, history).
    """
    net = Network(list(sizes), seed=seed, **network_options)
    history = net.train(X, Y, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                        seed=seed, progress=False)
    two_d = net.sizes[0] == 2
    fig, axes = plt.subplots(1, 2 if two_d else 1, figsize=(9.0 if two_d else 5.0, 4.0), squeeze=False)
    plot_loss_curve(history, ax=axes[0, 0])
    if two_d:
        plot_decision_boundary(net, X, Y, ax=axes[0, 1])
    fig.tight_layout()
    return fig, history


# --------------------------------------------------------------------------- 09: digits


def confusion_matrix(y_true: Array, y_pred: Array, n: int) -> Array:
    """Counts of (true class, predicted class): C[i, j] = examples of class i predicted as j.

    Args:
        y_true, y_pred: integer labels 0..n-1, shape (m,).
        n: the number of classes.

    Returns:
        An (n, n) integer array; its rows sum to the class counts.

    >>> confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], 3)
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])
    """
    y_true = np.asarray(y_true).ravel()
    y_pred = np.asarray(y_pred).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} labels but y_pred has {y_pred.size}; they must match")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and (y.dtype.kind not in "iu" or y.min() < 0 or y.max() >= n):
            raise ValueError(f"{name} must hold integer labels 0..{n - 1}")
    counts = np.zeros((n, n), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts


def plot_confusion_matrix(counts: Array, ax: Axes | None = None,
                          class_names: Sequence[str] | None = None) -> Axes:
    """Show a confusion matrix as an image with every count written in its cell.

    Returns:
        The Axes: one image and n * n texts.
    """
    counts = np.asarray(counts)
    n = counts.shape[0]
    names = [str(i) for i in range(n)] if class_names is None else list(class_names)
    ax = _axes(ax, figsize=(0.5 * n + 2.0, 0.5 * n + 1.5))
    ax.imshow(counts, cmap="Blues")
    threshold = counts.max() / 2 if counts.size else 0
    for (i, j), c in np.ndenumerate(counts):
        ax.text(j, i, str(c), ha="center", va="center", fontsize=8,
                color="white" if c > threshold else "black")
    ax.set_xticks(range(n), names)
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    return ax


def plot_digit_grid(images: Array, labels: Sequence[int], preds: Sequence[int] | None = None,
                    ncols: int = 10, shape: tuple[int, int] | None = None) -> Figure:
    """A grid of images, each titled with its label (and the prediction, in red when wrong).

    Args:
        images: (n_pixels, m), one image per column (square unless shape is given).
        labels: m true labels; preds: m predictions, or None.
        ncols: images per row.
        shape: (height, width) of one image.

    Returns:
        The Figure, with one Axes per image.
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 2:
        raise ValueError(f"images has shape {images.shape}; it must be (n_pixels, m), one image per column")
    n_pixels, m = images.shape
    if shape is None:
        side = int(round(np.sqrt(n_pixels)))
        if side * side != n_pixels:
            raise ValueError(f"{n_pixels} pixels is not a square image: pass shape=(height, width)")
        shape = (side, side)
    labels = np.asarray(labels).ravel()
    if labels.size != m or (preds is not None and np.asarray(preds).size != m):
        raise ValueError(f"there are {m} images: labels (and preds) need {m} entries")
    ncols = max(1, min(ncols, m))
    nrows = max(1, -(-m // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.1 * ncols, 1.3 * nrows), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= m:
            fig.delaxes(ax)
            continue
        ax.imshow(images[:, k].reshape(shape), cmap="gray_r")
        if preds is None:
            ax.set_title(str(labels[k]), fontsize=9)
        else:
            p = int(np.asarray(preds).ravel()[k])
            wrong = p != labels[k]
            ax.set_title(f"{labels[k]}→{p}" if wrong else str(labels[k]), fontsize=9,
                         color="tab:red" if wrong else "black")
    return fig


# --------------------------------------------------------------------------- 10-11: gradient size by layer


def layer_gradient_norms(net: Network, X: Array, Y: Array) -> list[float | None]:
    r"""The size of each layer's weight gradient, ‖∂L/∂W[l]‖ (Frobenius norm).

    Vanishing (or exploding) gradients show up as norms that shrink (or grow)
    layer by layer towards the input.

    Returns:
        A list indexed 0..L like net.W: entry 0 is None.
    """
    _, dW, _ = net.gradients(X, Y)
    return [None] + [float(np.linalg.norm(dW[l])) for l in range(1, net.L + 1)]


def plot_layer_norms(norms: Sequence[float | None], ax: Axes | None = None, label: str | None = None) -> Axes:
    """Plot layer_gradient_norms against the layer number on a log scale.

    Call it again with the same ax (and a label) to compare networks.

    Returns:
        The Axes, with one more line.
    """
    layers = [l for l, v in enumerate(norms) if v is not None]
    ax = _axes(ax)
    ax.semilogy(layers, [norms[l] for l in layers], "o-", label=label)
    ax.set_xticks(layers)
    ax.set_xlabel("layer l")
    ax.set_ylabel("||dL/dW[l]||")
    if label is not None:
        ax.legend(fontsize="small")
    return ax
