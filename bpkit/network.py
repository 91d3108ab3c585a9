r"""A multi-layer perceptron whose backward pass is built only from Equations 1-4.

Layers are numbered exactly as in the math: ``net.W[1] .. net.W[L]`` and
``net.b[1] .. net.b[L]``; index 0 holds ``None`` because layer 0 is the input
and has no parameters.

>>> net = Network([2, 3, 1], seed=0)
>>> net
Network(sizes=[2, 3, 1], hidden='sigmoid', output='sigmoid', loss='mse', init='xavier', dtype=float64)
>>> net.W[1].shape, net.b[2].shape
((3, 2), (1, 1))
>>> cache = net.forward(np.ones((2, 4)))          # 4 examples as columns
>>> cache.a[2].shape
(1, 4)
>>> dW, db = net.backward(cache, np.zeros((1, 4)))
>>> dW[1].shape == net.W[1].shape
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._validate import as_matrix, positive_number
from .activations import Activation, get_activation
from .equations import (
    backprop_error,
    bias_gradient,
    forward_step,
    output_error,
    sgd_update,
    weight_gradient,
)
from .losses import Loss, get_loss, softmax_cross_entropy

Array = np.ndarray
INITIALISATIONS = ("xavier", "he", "normal")


def init_weights(
    sizes: list[int], method: str = "xavier", seed: int | None = 0, dtype: type = np.float64
) -> tuple[list[Array | None], list[Array | None]]:
    r"""Random weights and zero biases for a network with layer widths ``sizes``.

    * ``"xavier"`` (Glorot, for sigmoid and tanh): :math:`W^{[l]}_{ij} \sim \mathcal N(0, 2/(n_{l-1}+n_l))`
    * ``"he"`` (for ReLU): :math:`W^{[l]}_{ij} \sim \mathcal N(0, 2/n_{l-1})`
    * ``"normal"``: :math:`W^{[l]}_{ij} \sim \mathcal N(0, 1)` (Nielsen's choice; saturates deep nets)

    Args:
        sizes: ``[n_0, n_1, ..., n_L]``, the input width first.
        method: one of ``"xavier"``, ``"he"``, ``"normal"``.
        seed: seed for ``numpy.random.default_rng``.
        dtype: ``np.float64`` or ``np.float32``.

    Returns:
        ``(W, b)``: lists of length ``L + 1`` with ``W[0] = b[0] = None``,
        ``W[l]`` of shape ``(n_l, n_{l-1})`` and ``b[l]`` of shape ``(n_l, 1)``.

    >>> W, b = init_weights([4, 3, 2], "he", seed=1)
    >>> [w.shape for w in W[1:]], [v.shape for v in b[1:]]
    ([(3, 4), (2, 3)], [(3, 1), (2, 1)])
    """
    sizes = _check_sizes(sizes)
    if method not in INITIALISATIONS:
        raise ValueError(f"unknown initialisation {method!r}; choose one of {INITIALISATIONS}")
    rng = np.random.default_rng(seed)
    W: list[Array | None] = [None]
    b: list[Array | None] = [None]
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        std = {"xavier": np.sqrt(2.0 / (n_in + n_out)), "he": np.sqrt(2.0 / n_in), "normal": 1.0}[method]
        W.append((rng.standard_normal((n_out, n_in)) * std).astype(dtype))
        b.append(np.zeros((n_out, 1), dtype=dtype))
    return W, b


def _check_sizes(sizes: list[int]) -> list[int]:
    sizes = list(sizes)
    if len(sizes) < 2 or not all(isinstance(n, (int, np.integer)) and n > 0 for n in sizes):
        raise ValueError(
            f"sizes must list at least two positive integers [n_0, ..., n_L]; got {sizes!r}"
        )
    return [int(n) for n in sizes]


@dataclass
class Cache:
    """What the forward pass keeps for the backward pass.

    ``z[l]`` for ``l = 1..L`` (``z[0]`` is ``None``) and ``a[l]`` for ``l = 0..L``,
    each of shape ``(n_l, m)``.
    """

    z: list[Array | None]
    a: list[Array]

    @property
    def output(self) -> Array:
        """:math:`a^{[L]}`, the network's prediction."""
        return self.a[-1]


@dataclass
class History:
    """Per-epoch training record: mean loss and accuracy on the training data
    (and on validation data when given)."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)

    def __repr__(self) -> str:
        if not self.loss:
            return "History(epochs=0)"
        return (f"History(epochs={len(self.loss)}, loss={self.loss[-1]:.4f}, "
                f"accuracy={self.accuracy[-1]:.4f})")


class Network:
    """A fully connected network: ``sizes = [n_0, n_1, ..., n_L]``.

    Args:
        sizes: layer widths, input first.
        hidden: activation of layers ``1..L-1`` (name or Activation).
        output: activation of layer ``L``.
        loss: ``"mse"``, ``"binary_cross_entropy"`` or ``"cross_entropy"``
            (with a ``"softmax"`` output this uses the fused, log-sum-exp
            :func:`~bpkit.losses.softmax_cross_entropy`).
        init: ``"xavier"``, ``"he"`` or ``"normal"`` (see :func:`init_weights`).
        seed: seed for the initial weights.
        dtype: ``np.float64`` (default) or ``np.float32``.
    """

    def __init__(
        self,
        sizes: list[int],
        hidden: str | Activation = "sigmoid",
        output: str | Activation = "sigmoid",
        loss: str | Loss = "mse",
        init: str = "xavier",
        seed: int | None = 0,
        dtype: type = np.float64,
    ) -> None:
        if np.dtype(dtype) not in (np.dtype(np.float64), np.dtype(np.float32)):
            raise TypeError(f"dtype must be float64 or float32; got {np.dtype(dtype)}")
        self.sizes = _check_sizes(sizes)
        self.L = len(self.sizes) - 1
        self.hidden = get_activation(hidden)
        self.output = get_activation(output)
        self.loss_fn = get_loss(loss)
        self.init = init
        self.dtype = np.dtype(dtype)
        self.W, self.b = init_weights(self.sizes, init, seed, self.dtype.type)
        self._fused_softmax = self.output.name == "softmax" and self.loss_fn.name == "cross_entropy"

    def __repr__(self) -> str:
        return (f"Network(sizes={self.sizes}, hidden={self.hidden.name!r}, output={self.output.name!r}, "
                f"loss={self.loss_fn.name!r}, init={self.init!r}, dtype={self.dtype})")

    def activation(self, l: int) -> Activation:
        """The activation of layer ``l`` (1..L)."""
        return self.output if l == self.L else self.hidden

    def _inputs(self, X: Array, name: str = "X") -> Array:
        X = as_matrix(X, name)
        if X.shape[0] != self.sizes[0]:
            raise ValueError(
                f"{name} has shape {X.shape} but the network takes {self.sizes[0]} inputs: "
                f"{name} needs shape ({self.sizes[0]}, m), one column per example"
            )
        return X.astype(self.dtype, copy=False)

    def _targets(self, Y: Array, m: int) -> Array:
        Y = as_matrix(Y, "Y")
        if Y.shape != (self.sizes[-1], m):
            raise ValueError(
                f"Y has shape {Y.shape} but must be ({self.sizes[-1]}, {m}): "
                f"one column of {self.sizes[-1]} targets per example"
            )
        return Y.astype(self.dtype, copy=False)

    def forward(self, X: Array) -> Cache:
        """Run Equation z = W a + b, a = σ(z) for l = 1..L and keep every z[l], a[l].

        Args:
            X: inputs :math:`a^{[0]}`, shape ``(n_0, m)``.
        """
        a: list[Array] = [self._inputs(X)]
        z: list[Array | None] = [None]
        for l in range(1, self.L + 1):
            z_l, a_l = forward_step(self.W[l], a[l - 1], self.b[l], self.activation(l), layer=l)
            z.append(z_l)
            a.append(a_l)
        return Cache(z, a)

    def output_delta(self, cache: Cache, Y: Array) -> tuple[float, Array]:
        """The mean loss and δ[L] (Equation 1, or the fused softmax-cross-entropy shortcut)."""
        Y = self._targets(Y, cache.a[0].shape[1])
        if self._fused_softmax:
            return softmax_cross_entropy(cache.z[self.L], Y)
        a_L = cache.a[self.L]
        loss = self.loss_fn.value(a_L, Y)
        delta = output_error(self.loss_fn.gradient(a_L, Y), cache.z[self.L], self.output, layer=self.L)
        return loss, delta

    def backward(self, cache: Cache, Y: Array) -> tuple[list[Array | None], list[Array | None]]:
        """Gradients of the mean loss by Equations 1-4, layer L down to 1.

        Args:
            cache: from :meth:`forward`.
            Y: targets, shape ``(n_L, m)``.

        Returns:
            ``(dW, db)``, lists indexed like ``W`` and ``b`` (entry 0 is ``None``).
        """
        _, delta = self.output_delta(cache, Y)                           # Equation 1
        dW: list[Array | None] = [None] * (self.L + 1)
        db: list[Array | None] = [None] * (self.L + 1)
        for l in range(self.L, 0, -1):
            dW[l] = weight_gradient(delta, cache.a[l - 1], layer=l)      # Equation 3
            db[l] = bias_gradient(delta, layer=l)                         # Equation 4
            if l > 1:
                delta = backprop_error(self.W[l], delta, cache.z[l - 1],  # Equation 2
                                       self.hidden, layer=l - 1)
        return dW, db

    def gradients(self, X: Array, Y: Array) -> tuple[float, list[Array | None], list[Array | None]]:
        """Forward then backward: ``(loss, dW, db)`` for inputs ``X`` and targets ``Y``."""
        cache = self.forward(X)
        loss, _ = self.output_delta(cache, Y)
        dW, db = self.backward(cache, Y)
        return loss, dW, db

    def loss(self, X: Array, Y: Array) -> float:
        """Mean loss over the columns of ``X``."""
        return self.output_delta(self.forward(X), Y)[0]

    def update(self, dW: list[Array | None], db: list[Array | None], learning_rate: float) -> None:
        """Apply the gradient-descent update to every ``W[l]`` and ``b[l]``."""
        for l in range(1, self.L + 1):
            self.W[l] = sgd_update(self.W[l], dW[l], learning_rate, name=f"W[{l}]")
            self.b[l] = sgd_update(self.b[l], db[l], learning_rate, name=f"b[{l}]")

    def predict(self, X: Array) -> Array:
        """Predicted class of each column: argmax of a[L] (or a[L] > 0.5 for one output unit).

        Returns an integer array of shape ``(m,)``.
        """
        a_L = self.forward(X).output
        if a_L.shape[0] == 1:
            threshold = 0.0 if self.output.name in ("identity", "tanh") else 0.5
            return (a_L[0] > threshold).astype(np.int64)
        return np.argmax(a_L, axis=0)

    def accuracy(self, X: Array, Y: Array) -> float:
        """Fraction of columns whose predicted class matches ``Y``.

        ``Y`` may be one-hot ``(n_L, m)``, a ``(1, m)`` row of 0/1 targets, or
        a ``(m,)`` vector of integer labels.
        """
        return float(np.mean(self.predict(X) == labels_of(Y)))

    def train(
        self,
        X: Array,
        Y: Array,
        epochs: int = 10,
        batch_size: int = 32,
        learning_rate: float = 0.1,
        seed: int | None = 0,
        validation: tuple[Array, Array] | None = None,
        progress: bool = True,
    ) -> History:
        """Minibatch stochastic gradient descent.

        Each epoch shuffles the columns (with ``numpy.random.default_rng(seed)``),
        cuts them into batches of ``batch_size``, and for each batch runs
        forward, backward (Equations 1-4) and the update. After each epoch it
        records the mean loss and the accuracy on all of ``X`` (and on
        ``validation = (X_val, Y_val)`` if given).

        Args:
            X: inputs ``(n_0, m)``; Y: targets ``(n_L, m)``.
            progress: show a progress bar (a widget in Jupyter, text in a terminal).

        Returns:
            A :class:`History`.
        """
        X = self._inputs(X)
        m = X.shape[1]
        Y = self._targets(Y, m)
        learning_rate = positive_number(learning_rate, "learning_rate")
        if not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"epochs must be an integer >= 0; got {epochs!r}")
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be an integer >= 1; got {batch_size!r}")
        # Fortran order keeps each column (example) contiguous, so gathering a
        # shuffled minibatch copies whole columns rather than striding rows.
        X = np.asfortranarray(X)
        Y = np.asfortranarray(Y)
        rng = np.random.default_rng(seed)
        history = History()
        bar = _progress(epochs, progress)
        for _ in range(epochs):
            order = rng.permutation(m)
            for start in range(0, m, batch_size):
                idx = order[start:start + batch_size]
                cache = self.forward(X[:, idx])
                dW, db = self.backward(cache, Y[:, idx])
                self.update(dW, db, learning_rate)
            history.loss.append(self.loss(X, Y))
            history.accuracy.append(self.accuracy(X, Y))
            if validation is not None:
                history.val_loss.append(self.loss(*validation))
                history.val_accuracy.append(self.accuracy(*validation))
            if bar is not None:
                bar.set_postfix(loss=f"{history.loss[-1]:.4f}", acc=f"{history.accuracy[-1]:.3f}")
                bar.update(1)
        if bar is not None:
            bar.close()
        return history


def labels_of(Y: Array) -> Array:
    """Integer class labels ``(m,)`` from one-hot ``(n, m)``, a 0/1 row ``(1, m)`` or labels ``(m,)``."""
    Y = np.asarray(Y)
    if Y.ndim == 1:
        return Y.astype(np.int64)
    if Y.shape[0] == 1:
        return (Y[0] > 0.5).astype(np.int64)
    return np.argmax(Y, axis=0)


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="epochs", unit="epoch", leave=False)
