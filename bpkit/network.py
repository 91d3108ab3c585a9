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

from ._validate import as_matrix, as_real_array, positive_number
from .activations import Activation, get_activation
from .data import to_labels
from .equations import (
    backprop_error,
    bias_gradient,
    forward_step,
    output_error,
    sgd_update,
    weight_gradient,
)
from .losses import Loss, _pair, _softmax_cross_entropy_delta, _softmax_cross_entropy_value, get_loss

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
    dtype = _check_dtype(dtype)
    if method not in INITIALISATIONS:
        raise ValueError(f"unknown initialisation {method!r}; choose one of {INITIALISATIONS}")
    rng = np.random.default_rng(seed)
    W: list[Array | None] = [None]
    b: list[Array | None] = [None]
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        std = {"xavier": np.sqrt(2.0 / (n_in + n_out)), "he": np.sqrt(2.0 / n_in), "normal": 1.0}[method]
        W.append((rng.standard_normal((n_out, n_in)) * std).astype(dtype))
        b.append(np.zeros((n_out, 1), dtype=dtype))
    return W, b


def _check_sizes(sizes: list[int]) -> list[int]:
    try:
        sizes = list(sizes)
    except TypeError:
        raise TypeError(f"sizes must be a list of layer widths [n_0, ..., n_L]; got {sizes!r}") from None
    if len(sizes) < 2 or not all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0 for n in sizes
    ):
        raise ValueError(
            f"sizes must list at least two positive integers [n_0, ..., n_L]; got {sizes!r}"
        )
    return [int(n) for n in sizes]


def _check_dtype(dtype: object) -> np.dtype:
    """``np.dtype(dtype)`` if it is float64 or float32, else a ``TypeError``."""
    try:
        checked = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float64 or float32; got {dtype!r}") from None
    if checked not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise TypeError(f"dtype must be float64 or float32; got {checked}")
    return checked


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
        dtype = _check_dtype(dtype)
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

    def _targets(self, Y: Array, m: int, name: str = "Y") -> Array:
        Y = as_matrix(Y, name)
        if Y.shape != (self.sizes[-1], m):
            raise ValueError(
                f"{name} has shape {Y.shape} but must be ({self.sizes[-1]}, {m}): "
                f"one column of {self.sizes[-1]} targets per example"
            )
        return Y.astype(self.dtype, copy=False)

    def _check_cache(self, cache: Cache) -> None:
        if not isinstance(cache, Cache):
            raise TypeError(f"cache must be the Cache returned by forward(); got {type(cache).__name__}")
        if len(cache.a) != self.L + 1:
            raise ValueError(
                f"cache has {len(cache.a) - 1} layers but the network has {self.L}; "
                "use the cache that this network's forward() returned"
            )

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
        return self._loss_value(cache, Y), self._output_error(cache, Y)

    def _z_and_targets(self, cache: Cache, Y: Array) -> tuple[Array, Array]:
        """``z[L]`` and ``Y``, checked against this network and the cache's batch."""
        self._check_cache(cache)
        Y = self._targets(Y, cache.a[0].shape[1])
        if self._fused_softmax:
            return _pair(cache.z[self.L], Y, "z[L]")      # the checks softmax_cross_entropy makes
        return cache.z[self.L], Y

    def _loss_value(self, cache: Cache, Y: Array) -> float:
        """The mean loss alone: what :meth:`loss` and the training history need."""
        z_L, Y = self._z_and_targets(cache, Y)
        if self._fused_softmax:
            return _softmax_cross_entropy_value(z_L, Y)
        return self.loss_fn.value(cache.a[self.L], Y)

    def _output_error(self, cache: Cache, Y: Array) -> Array:
        """δ[L] alone: what :meth:`backward` needs."""
        z_L, Y = self._z_and_targets(cache, Y)
        if self._fused_softmax:
            return _softmax_cross_entropy_delta(z_L, Y)
        a_L = cache.a[self.L]
        return output_error(self.loss_fn.gradient(a_L, Y), z_L, self.output, layer=self.L, a=a_L)

    def backward(self, cache: Cache, Y: Array) -> tuple[list[Array | None], list[Array | None]]:
        """Gradients of the mean loss by Equations 1-4, layer L down to 1.

        Args:
            cache: from :meth:`forward`.
            Y: targets, shape ``(n_L, m)``.

        Returns:
            ``(dW, db)``, lists indexed like ``W`` and ``b`` (entry 0 is ``None``).
        """
        delta = self._output_error(cache, Y)                             # Equation 1
        dW: list[Array | None] = [None] * (self.L + 1)
        db: list[Array | None] = [None] * (self.L + 1)
        for l in range(self.L, 0, -1):
            dW[l] = weight_gradient(delta, cache.a[l - 1], layer=l)      # Equation 3
            db[l] = bias_gradient(delta, layer=l)                         # Equation 4
            if l > 1:
                delta = backprop_error(self.W[l], delta, cache.z[l - 1],  # Equation 2
                                       self.hidden, layer=l - 1, a=cache.a[l - 1])
        return dW, db

    def gradients(self, X: Array, Y: Array) -> tuple[float, list[Array | None], list[Array | None]]:
        """Forward then backward: ``(loss, dW, db)`` for inputs ``X`` and targets ``Y``."""
        cache = self.forward(X)
        dW, db = self.backward(cache, Y)
        return self._loss_value(cache, Y), dW, db

    def loss(self, X: Array, Y: Array) -> float:
        """Mean loss over the columns of ``X``."""
        return self._loss_value(self.forward(X), Y)

    def update(
        self, dW: list[Array | None], db: list[Array | None], learning_rate: float, *, in_place: bool = False
    ) -> None:
        """Apply the gradient-descent update to every ``W[l]`` and ``b[l]``.

        By default each ``W[l]``, ``b[l]`` is replaced by a new array, so arrays
        taken from the network before the update keep their old values. With
        ``in_place=True`` the new values are written into the existing arrays
        (``sgd_update(..., out=W[l])``): the same numbers without allocating a
        new ``W`` per step, which is what :meth:`train` does with its own copies.
        """
        for name, grads in (("dW", dW), ("db", db)):
            if len(grads) != self.L + 1:
                raise ValueError(
                    f"{name} has {len(grads)} entries but must have L + 1 = {self.L + 1} (entry 0 is None)"
                )
        for l in range(1, self.L + 1):
            W, b = self.W[l], self.b[l]
            self.W[l] = sgd_update(W, dW[l], learning_rate, name=f"W[{l}]",
                                   out=W if in_place and _writable_like(W, dW[l]) else None)
            self.b[l] = sgd_update(b, db[l], learning_rate, name=f"b[{l}]",
                                   out=b if in_place and _writable_like(b, db[l]) else None)

    def predict(self, X: Array) -> Array:
        """Predicted class of each column: argmax of a[L]; with one output unit, a[L] > 0.5
        (a[L] > 0 for a tanh output, whose targets are -1 and 1).

        Returns an integer array of shape ``(m,)``.
        """
        return self._classes(self.forward(X).output)

    def _classes(self, a_L: Array) -> Array:
        if a_L.shape[0] == 1:
            threshold = 0.0 if self.output.name == "tanh" else 0.5
            return (a_L[0] > threshold).astype(np.int64)
        return np.argmax(a_L, axis=0)

    def accuracy(self, X: Array, Y: Array) -> float:
        """Fraction of columns whose predicted class matches ``Y``.

        ``Y`` may be one-hot ``(n_L, m)``, a ``(1, m)`` row of 0/1 targets, or
        a ``(m,)`` vector of integer labels.
        """
        predicted = self.predict(X)
        return float(np.mean(predicted == self._labels(Y, predicted.shape[0])))

    def _labels(self, Y: Array, m: int) -> Array:
        """:func:`bpkit.data.to_labels` of ``Y``, after checking that ``Y`` fits ``m`` examples."""
        Y = as_real_array(Y, "Y")
        n_L = self.sizes[-1]
        if Y.ndim == 1:
            if Y.shape[0] != m:
                raise ValueError(f"Y has shape {Y.shape} but X has {m} examples")
        elif Y.shape != (n_L, m):
            hint = ""
            if Y.shape == (1, m):
                hint = "; for integer labels pass a 1-D array of shape (m,), e.g. Y.ravel()"
            raise ValueError(
                f"Y has shape {Y.shape} but must be ({n_L}, {m}) (one-hot or targets) "
                f"or ({m},) (integer labels){hint}"
            )
        return to_labels(Y)

    def _loss_and_accuracy(self, X: Array, Y: Array) -> tuple[float, float]:
        """``(self.loss(X, Y), self.accuracy(X, Y))`` from one forward pass instead of two."""
        cache = self.forward(X)
        loss = self._loss_value(cache, Y)
        predicted = self._classes(cache.output)
        return loss, float(np.mean(predicted == self._labels(Y, predicted.shape[0])))

    def _sgd_epoch(self, X: Array, Y: Array, order: Array, batch_size: int, learning_rate: float) -> None:
        """One epoch of :meth:`train`: for each batch of columns ``order[k:k+batch_size]``,
        forward, backward (Equations 1-4) and the update, in place."""
        for start in range(0, X.shape[1], batch_size):
            idx = order[start:start + batch_size]
            cache = self.forward(X[:, idx])
            dW, db = self.backward(cache, Y[:, idx])
            self.update(dW, db, learning_rate, in_place=True)

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
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"epochs must be an integer >= 0; got {epochs!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be an integer >= 1; got {batch_size!r}")
        if validation is not None:  # checked now, not after the first epoch
            if not isinstance(validation, (tuple, list)) or len(validation) != 2:
                raise TypeError(f"validation must be a pair (X_val, Y_val); got {type(validation).__name__}")
            X_val = self._inputs(validation[0], "X_val")
            validation = (X_val, self._targets(validation[1], X_val.shape[1], "Y_val"))
        # Fortran order keeps each column (example) contiguous, so gathering a
        # shuffled minibatch copies whole columns rather than striding rows.
        X = np.asfortranarray(X)
        Y = np.asfortranarray(Y)
        # Training updates the weights in place (no new W per step); copying them
        # once first keeps any array taken from the network before train() as it was.
        for l in range(1, self.L + 1):
            self.W[l] = self.W[l].copy()
            self.b[l] = self.b[l].copy()
        rng = np.random.default_rng(seed)
        history = History()
        bar = _progress(epochs, progress)
        for _ in range(epochs):
            self._sgd_epoch(X, Y, rng.permutation(m), batch_size, learning_rate)
            loss, accuracy = self._loss_and_accuracy(X, Y)
            history.loss.append(loss)
            history.accuracy.append(accuracy)
            if validation is not None:
                loss, accuracy = self._loss_and_accuracy(*validation)
                history.val_loss.append(loss)
                history.val_accuracy.append(accuracy)
            if bar is not None:
                bar.set_postfix(loss=f"{history.loss[-1]:.4f}", acc=f"{history.accuracy[-1]:.3f}")
                bar.update(1)
        if bar is not None:
            bar.close()
        return history


def _writable_like(param: Array, grad: object) -> bool:
    """Can ``sgd_update(param, grad, ..., out=param)`` write the result into ``param``?"""
    return (type(param) is np.ndarray and isinstance(grad, np.ndarray) and param.dtype == grad.dtype
            and param.shape == grad.shape and param.flags.writeable)


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="epochs", unit="epoch", leave=False)
