r"""Loss functions: the mean loss over a batch and its gradient :math:`\partial L/\partial a`.

Columns are examples. For a batch of :math:`m` columns the loss is the
**mean** of the per-example losses,

.. math:: L = \frac{1}{m} \sum_{j=1}^{m} \ell(a_j, y_j),

so every gradient here carries the factor :math:`1/m`, and that factor then
rides along in :math:`\delta` through Equations 1-4. For one example
(:math:`m = 1`) the mean is the example's own loss.

Each loss is a :class:`Loss` with ``value(a, y) -> float`` and
``gradient(a, y) -> dL/da`` (same shape as ``a``).

>>> import numpy as np
>>> a = np.array([[0.5, 1.0]]); y = np.array([[0.0, 1.0]])
>>> float(mse.value(a, y))      # (1/2)(0.25 + 0) / 2 examples
0.0625
>>> mse.gradient(a, y)          # (a - y) / m
array([[0.25, 0.  ]])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._validate import as_matrix, same_shape

Array = np.ndarray

#: Probabilities are clipped to [EPS, 1 - EPS] inside logarithms so that a
#: saturated sigmoid (exactly 0.0 or 1.0 in floating point) gives a finite loss.
#: In float32, where 1 - 1e-12 rounds to 1.0, the dtype's own machine epsilon is
#: used instead (see :func:`_clip_probability`).
EPS = 1e-12


@dataclass(frozen=True)
class Loss:
    """A loss with its gradient with respect to the network's output ``a``."""

    name: str
    _value: Callable[[Array, Array], float]
    _gradient: Callable[[Array, Array], Array]

    def value(self, a: Array, y: Array) -> float:
        """Mean loss over the batch; ``a`` and ``y`` both ``(n_L, m)``."""
        a, y = _pair(a, y)
        return float(self._value(a, y))

    def gradient(self, a: Array, y: Array) -> Array:
        r""":math:`\partial L/\partial a`, shape ``(n_L, m)``, including the :math:`1/m`."""
        a, y = _pair(a, y)
        return self._gradient(a, y)

    def __call__(self, a: Array, y: Array) -> float:
        return self.value(a, y)

    def __repr__(self) -> str:
        return f"Loss({self.name!r})"


def _pair(a: Array, y: Array, a_name: str = "a[L]") -> tuple[Array, Array]:
    a = as_matrix(a, a_name)
    y = as_matrix(y, "y")
    same_shape(a, a_name, y, "y")
    if a.shape[1] == 0:  # the mean over no examples would be 0/0
        raise ValueError(f"{a_name} has shape {a.shape}: no examples (columns) to average the loss over")
    return a, y


def _mse_value(a: Array, y: Array) -> float:
    return 0.5 * np.sum((a - y) ** 2) / a.shape[1]


def _mse_gradient(a: Array, y: Array) -> Array:
    return (a - y) / a.shape[1]


def _clip_probability(a: Array) -> Array:
    """``a`` clipped to ``[eps, 1 - eps]`` with ``eps`` large enough for ``a``'s dtype."""
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


#: Mean squared error with the 1/2 convention: :math:`\ell = \tfrac12\lVert a - y\rVert^2`,
#: so :math:`\partial L/\partial a = (a - y)/m` with no stray factor 2.
mse = Loss("mse", _mse_value, _mse_gradient)

#: Binary cross-entropy, for sigmoid outputs in (0, 1):
#: :math:`\ell = -\sum_i [y_i \log a_i + (1-y_i)\log(1-a_i)]`,
#: :math:`\partial L/\partial a = (a-y) / (a(1-a)) / m`.
binary_cross_entropy = Loss("binary_cross_entropy", _bce_value, _bce_gradient)

#: Categorical cross-entropy on probabilities (softmax outputs):
#: :math:`\ell = -\sum_i y_i \log a_i`, :math:`\partial L/\partial a = -y / a / m`.
#: With a softmax output layer prefer :func:`softmax_cross_entropy`, which works
#: from the logits and is exact where :math:`a` underflows.
cross_entropy = Loss("cross_entropy", _ce_value, _ce_gradient)

LOSSES: dict[str, Loss] = {
    "mse": mse,
    "binary_cross_entropy": binary_cross_entropy,
    "bce": binary_cross_entropy,
    "cross_entropy": cross_entropy,
    "ce": cross_entropy,
}


def get_loss(loss: str | Loss) -> Loss:
    """Return the :class:`Loss` named ``loss`` (or the object itself).

    >>> get_loss("mse")
    Loss('mse')
    """
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str) and loss.lower() in LOSSES:
        return LOSSES[loss.lower()]
    raise ValueError(f"unknown loss {loss!r}; choose one of {sorted(LOSSES)} or pass a Loss object")


def log_sum_exp(z: Array) -> Array:
    r""":math:`\log \sum_i e^{z_i}` for each column, shape ``(1, m)``, without overflow.

    >>> round(float(log_sum_exp(np.array([[1000.0], [1000.0]]))[0, 0]) - 1000.0, 6)  # log 2
    0.693147
    """
    if type(z) is np.ndarray:  # the ufunc reductions np.max / np.sum call, minus their Python wrappers
        z_max = np.maximum.reduce(z, axis=0, keepdims=True)
        return z_max + np.log(np.add.reduce(np.exp(z - z_max), axis=0, keepdims=True))
    z_max = np.max(z, axis=0, keepdims=True)
    return z_max + np.log(np.sum(np.exp(z - z_max), axis=0, keepdims=True))


def softmax_cross_entropy(z: Array, y: Array) -> tuple[float, Array]:
    r"""Cross-entropy of softmax(z) against one-hot ``y``, and its :math:`\delta^{[L]}`.

    Works from the logits :math:`z = z^{[L]}` with the log-sum-exp trick:

    .. math:: L = \frac1m \sum_j \Big(\log\sum_i e^{z_{ij}} - \sum_i y_{ij} z_{ij}\Big)

    and, because softmax and cross-entropy cancel so neatly, Equation 1
    collapses to

    .. math:: \delta^{[L]} = \frac{\partial L}{\partial z^{[L]}} = \frac{\hat y - y}{m},
              \qquad \hat y = \mathrm{softmax}(z^{[L]}).

    (This holds when each column of ``y`` sums to 1.)

    Args:
        z: logits :math:`z^{[L]}`, shape ``(n_L, m)``.
        y: targets, one-hot (or any probability) columns, shape ``(n_L, m)``.

    Returns:
        ``(loss, delta)``: the mean loss (float) and :math:`\delta^{[L]}`, shape ``(n_L, m)``.

    >>> loss, delta = softmax_cross_entropy(np.zeros((2, 1)), np.array([[1.0], [0.0]]))
    >>> round(loss, 4), delta.ravel()
    (0.6931, array([-0.5,  0.5]))
    """
    z, y = _pair(z, y, "z[L]")
    lse = log_sum_exp(z)
    return _softmax_cross_entropy_value(z, y, lse), _softmax_cross_entropy_delta(z, y, lse)


def _softmax_cross_entropy_value(z: Array, y: Array, lse: Array | None = None) -> float:
    """The mean loss of :func:`softmax_cross_entropy` alone (``z``, ``y`` already checked)."""
    if lse is None:
        lse = log_sum_exp(z)
    return float((np.sum(lse * np.sum(y, axis=0, keepdims=True)) - np.sum(y * z)) / z.shape[1])


def _softmax_cross_entropy_delta(z: Array, y: Array, lse: Array | None = None) -> Array:
    r""":math:`\delta^{[L]} = (\hat y - y)/m` of :func:`softmax_cross_entropy` alone.

    For the backward pass, which needs no loss value. ``z`` and ``y`` must
    already be checked; ``lse`` is ``log_sum_exp(z)`` if the caller has it.
    """
    if lse is None:
        lse = log_sum_exp(z)
    delta = z - lse
    np.exp(delta, out=delta)                    # y_hat = softmax(z)
    if delta.dtype != y.dtype:
        return (delta - y) / z.shape[1]
    delta -= y                                   # in place, same arithmetic as (y_hat - y) / m
    delta /= z.shape[1]
    return delta
