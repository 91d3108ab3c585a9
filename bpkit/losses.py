"""Loss functions: the mean loss over a batch and its gradient.

Columns are examples. For a batch of m columns the loss is the mean of the
per-example losses,

    L = (1/m) Σ_j ℓ(a_j, y_j),

so every gradient here carries the factor 1/m, and that factor then rides
along in δ through Equations 1-4. For one example (m = 1) the mean is the
example's own loss.

Two kinds of loss:

* Loss, on the network's output a = a[L]: value(a, y) -> float and
  gradient(a, y) -> ∂L/∂a (the shape of a), which Equation 1 turns into δ[L].
  mse, binary_cross_entropy and cross_entropy are of this kind.
* LogitLoss, an output activation and a loss fused into one function of the
  logits z = z[L]: value(z, y) and delta(z, y) -> δ[L] = ∂L/∂z directly. The
  two built in, softmax_ce and sigmoid_bce, are exact where a saturates
  (a = 0 or 1 in floating point), and a Network uses them automatically for a
  softmax output with cross-entropy and for a sigmoid output with binary
  cross-entropy.

>>> import numpy as np
>>> a = np.array([[0.5, 1.0]]); y = np.array([[0.0, 1.0]])
>>> float(mse.value(a, y))      # (1/2)(0.25 + 0) / 2 examples
0.0625
>>> mse.gradient(a, y)          # (a - y) / m
array([[0.25, 0.  ]])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ._validate import as_matrix, same_shape
from .activations import Activation, sigmoid, softmax

Array = np.ndarray

#: Probabilities are clipped to [EPS, 1 − EPS] inside logarithms so that a
#: saturated output (exactly 0.0 or 1.0 in floating point) gives a finite loss.
#: In float32, where 1 − 1e-12 rounds to 1.0, the dtype's own machine epsilon is
#: used instead. (The logit losses need no clipping.)
EPS = 1e-12


@dataclass(frozen=True)
class Loss:
    """A loss on the network's output a, with its gradient ∂L/∂a.

    value(a, y) is the mean loss over the m columns of a and y, both (n_L, m);
    gradient(a, y) is ∂L/∂a, shape (n_L, m), including the 1/m.

    >>> mse(np.array([[3.0]]), np.array([[1.0]]))     # calling a Loss gives its value
    2.0
    """

    name: str
    _value: Callable[[Array, Array], float]
    _gradient: Callable[[Array, Array], Array]

    def value(self, a: Array, y: Array) -> float:
        """Mean loss over the batch; a and y both (n_L, m)."""
        a, y = _pair(a, y)
        return float(self._value(a, y))

    def gradient(self, a: Array, y: Array) -> Array:
        """∂L/∂a, shape (n_L, m), including the 1/m."""
        a, y = _pair(a, y)
        return self._gradient(a, y)

    def __call__(self, a: Array, y: Array) -> float:
        return self.value(a, y)

    def __repr__(self) -> str:
        return f"Loss({self.name!r})"


@dataclass(frozen=True)
class LogitLoss:
    """An output activation and a loss fused into one function of the logits z = z[L].

    value(z, y) is the mean loss of activation(z) against y; delta(z, y) is
    δ[L] = ∂L/∂z[L] directly (Equation 1 with the product already simplified);
    calling the object gives both, (value, delta). z and y are (n_L, m).

    Attributes:
        name: e.g. "softmax_cross_entropy".
        activation: the output activation it is fused with.
        loss: the loss on a = activation(z) that it computes.

    >>> loss, delta = sigmoid_bce(np.array([[-800.0]]), np.array([[1.0]]))
    >>> loss, delta                      # exact where σ(z) rounds to 0
    (800.0, array([[-1.]]))
    """

    name: str
    activation: Activation
    loss: Loss
    _value: Callable[[Array, Array], float] = field(repr=False)
    _delta: Callable[[Array, Array], Array] = field(repr=False)
    _check_targets: Callable[[Array, str], None] | None = field(default=None, repr=False)

    def value(self, z: Array, y: Array) -> float:
        """Mean loss over the batch; z and y both (n_L, m)."""
        z, y = self._checked(z, y)
        return float(self._value(z, y))

    def delta(self, z: Array, y: Array) -> Array:
        """δ[L] = ∂L/∂z[L], shape (n_L, m), including the 1/m."""
        z, y = self._checked(z, y)
        return self._delta(z, y)

    def check_targets(self, y: Array, name: str = "y") -> None:
        """Raise a ValueError naming y unless y holds targets this loss is exact for."""
        if self._check_targets is not None:
            self._check_targets(as_matrix(y, name), name)

    def __call__(self, z: Array, y: Array) -> tuple[float, Array]:
        z, y = self._checked(z, y)
        return float(self._value(z, y)), self._delta(z, y)

    def _checked(self, z: Array, y: Array) -> tuple[Array, Array]:
        z, y = _pair(z, y, "z[L]")
        self.check_targets(y)
        return z, y

    def __repr__(self) -> str:
        return f"LogitLoss({self.name!r})"


def _pair(a: Array, y: Array, a_name: str = "a[L]") -> tuple[Array, Array]:
    a = as_matrix(a, a_name)
    y = as_matrix(y, "y")
    same_shape(a, a_name, y, "y")
    if a.shape[1] == 0:  # the mean over no examples would be 0/0
        raise ValueError(f"{a_name} has shape {a.shape}: no examples (columns) to average the loss over")
    return a, y


# --------------------------------------------------------------------------- losses on a = a[L]


def _mse_value(a: Array, y: Array) -> float:
    return 0.5 * np.sum((a - y) ** 2) / a.shape[1]


def _mse_gradient(a: Array, y: Array) -> Array:
    return (a - y) / a.shape[1]


def _clip_probability(a: Array) -> Array:
    """a clipped to [eps, 1 - eps] with eps large enough for a's dtype."""
    eps = max(EPS, float(np.finfo(a.dtype).eps))
    return np.clip(a, eps, 1 - eps)


def _bce_value(a: Array, y: Array) -> float:
    p = _clip_probability(a)
    return -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) / a.shape[1]


def _bce_gradient(a: Array, y: Array) -> Array:
    p = _clip_probability(a)
    return (p - y) / (p * (1 - p)) / a.shape[1]


def _ce_value(a: Array, y: Array) -> float:
    return -np.sum(y * np.log(np.clip(a, EPS, None))) / a.shape[1]


def _ce_gradient(a: Array, y: Array) -> Array:
    return -y / np.clip(a, EPS, None) / a.shape[1]


#: Mean squared error with the 1/2 convention: ℓ = ½‖a − y‖², so ∂L/∂a = (a − y)/m
#: with no stray factor 2.
mse = Loss("mse", _mse_value, _mse_gradient)

#: Binary cross-entropy, for outputs in (0, 1): ℓ = −Σ_i [y_i log a_i + (1 − y_i) log(1 − a_i)],
#: ∂L/∂a = (a − y) / (a(1 − a)) / m. After a sigmoid output prefer sigmoid_bce, exact from the logits.
binary_cross_entropy = Loss("binary_cross_entropy", _bce_value, _bce_gradient)

#: Categorical cross-entropy on probabilities (softmax outputs): ℓ = −Σ_i y_i log a_i,
#: ∂L/∂a = −y / a / m. After a softmax output prefer softmax_cross_entropy (softmax_ce),
#: which works from the logits and is exact where a underflows.
cross_entropy = Loss("cross_entropy", _ce_value, _ce_gradient)

LOSSES: dict[str, Loss] = {
    "mse": mse,
    "binary_cross_entropy": binary_cross_entropy,
    "bce": binary_cross_entropy,
    "cross_entropy": cross_entropy,
    "ce": cross_entropy,
}


def get_loss(loss: str | Loss) -> Loss:
    """Return the Loss named loss ("mse", "binary_cross_entropy", "cross_entropy" or an alias),
    or the object itself.

    >>> get_loss("mse")
    Loss('mse')
    """
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str) and loss.lower() in LOSSES:
        return LOSSES[loss.lower()]
    raise ValueError(f"unknown loss {loss!r}; choose one of {sorted(LOSSES)} or pass a Loss object")


# --------------------------------------------------------------------------- losses on the logits z = z[L]


def log_sum_exp(z: Array) -> Array:
    """log Σ_i exp(z_i) for each column, shape (1, m), without overflow.

    >>> round(float(log_sum_exp(np.array([[1000.0], [1000.0]]))[0, 0]) - 1000.0, 6)  # log 2
    0.693147
    """
    z_max = np.max(z, axis=0, keepdims=True)
    return z_max + np.log(np.sum(np.exp(z - z_max), axis=0, keepdims=True))


def softmax_cross_entropy(z: Array, y: Array) -> tuple[float, Array]:
    """Cross-entropy of softmax(z) against one-hot y, and its delta[L].

    Works from the logits z = z[L] with the log-sum-exp trick, which never overflows:

        L = (1/m) Σ_j ( log Σ_i exp(z_ij) − Σ_i y_ij z_ij )

    and, because softmax and cross-entropy cancel so neatly, Equation 1
    collapses to

        δ[L] = ∂L/∂z[L] = (ŷ − y) / m,    ŷ = softmax(z[L]).

    That holds when each column of y sums to 1, so y must hold probabilities
    (non-negative columns summing to 1, such as one-hot columns); anything else
    is a ValueError naming y.

    Args:
        z: the logits z[L], shape (n_L, m).
        y: the targets, one-hot (or probability) columns, shape (n_L, m).

    Returns:
        (loss, delta): the mean loss (a float) and δ[L], shape (n_L, m).

    Example:
        >>> loss, delta = softmax_cross_entropy(np.zeros((2, 1)), np.array([[1.0], [0.0]]))
        >>> round(loss, 4), delta.ravel()
        (0.6931, array([-0.5,  0.5]))
    """
    return softmax_ce(z, y)


def _softmax_ce_value(z: Array, y: Array) -> float:
    return np.sum(log_sum_exp(z) - np.sum(y * z, axis=0, keepdims=True)) / z.shape[1]


def _softmax_ce_delta(z: Array, y: Array) -> Array:
    y_hat = np.exp(z - log_sum_exp(z))                 # softmax(z)
    return (y_hat - y) / z.shape[1]


def _probability_columns(y: Array, name: str) -> None:
    """Raise unless every column of y is non-negative and sums to 1 (to sqrt(eps))."""
    sums = np.sum(y, axis=0)
    tolerance = float(np.sqrt(np.finfo(y.dtype).eps))
    bad = np.flatnonzero(np.abs(sums - 1) > tolerance)
    if bad.size:
        raise ValueError(
            f"{name} must hold probabilities for softmax + cross-entropy, each column summing to 1 "
            f"(one-hot, say); column {bad[0]} of {name} sums to {float(sums[bad[0]]):.6g}"
        )
    if np.min(y, initial=0.0) < 0:
        column = int(np.flatnonzero(np.min(y, axis=0) < 0)[0])
        raise ValueError(
            f"{name} must hold probabilities for softmax + cross-entropy, with no negative entry; "
            f"column {column} of {name} has {float(np.min(y[:, column])):.6g}"
        )


def sigmoid_binary_cross_entropy(z: Array, y: Array) -> tuple[float, Array]:
    """Binary cross-entropy of σ(z) against targets y, and its delta[L].

    Works from the logits z = z[L]: since log σ(z) = −softplus(−z) and
    log(1 − σ(z)) = −softplus(z), with softplus(z) = log(1 + e^z),

        L = (1/m) Σ_j Σ_i ( softplus(z_ij) − y_ij z_ij )

    computed without overflow, and Equation 1 collapses to

        δ[L] = ∂L/∂z[L] = (σ(z[L]) − y) / m.

    Both stay exact where σ(z) rounds to 0 or 1 (|z| > 37 in float64), where
    binary_cross_entropy on a = σ(z) has to clip.

    Args:
        z: the logits z[L], shape (n_L, m).
        y: the targets, usually 0 or 1, shape (n_L, m).

    Returns:
        (loss, delta): the mean loss (a float) and δ[L], shape (n_L, m).

    Example:
        >>> loss, delta = sigmoid_binary_cross_entropy(np.array([[-30.0]]), np.array([[1.0]]))
        >>> round(loss, 10), delta.round(10)
        (30.0, array([[-1.]]))
    """
    return sigmoid_bce(z, y)


def _sigmoid_bce_value(z: Array, y: Array) -> float:
    return np.sum(np.logaddexp(0, z) - y * z) / z.shape[1]    # logaddexp(0, z) = softplus(z)


def _sigmoid_bce_delta(z: Array, y: Array) -> Array:
    return (sigmoid.forward(z) - y) / z.shape[1]


#: Softmax and cross-entropy from the logits (see softmax_cross_entropy).
softmax_ce = LogitLoss("softmax_cross_entropy", softmax, cross_entropy,
                       _softmax_ce_value, _softmax_ce_delta, _probability_columns)
#: Sigmoid and binary cross-entropy from the logits (see sigmoid_binary_cross_entropy).
sigmoid_bce = LogitLoss("sigmoid_binary_cross_entropy", sigmoid, binary_cross_entropy,
                        _sigmoid_bce_value, _sigmoid_bce_delta)


def logit_loss(activation: Activation, loss: Loss) -> LogitLoss | None:
    """The fused LogitLoss for an output activation followed by loss, or None if bpkit has none.

    >>> from bpkit.activations import softmax
    >>> logit_loss(softmax, cross_entropy), logit_loss(sigmoid, mse)
    (LogitLoss('softmax_cross_entropy'), None)
    """
    for fused in (softmax_ce, sigmoid_bce):
        if fused.activation is activation and fused.loss is loss:
            return fused
    return None
