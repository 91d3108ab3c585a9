r"""Activation functions :math:`\sigma` and their derivatives :math:`\sigma'`.

Each activation is an :class:`Activation` object with three methods:

* ``forward(z)`` gives :math:`a = \sigma(z)`;
* ``derivative(z)`` gives :math:`\sigma'(z)` entry by entry (taken at
  :math:`z`, never at :math:`a`);
* ``backward(z, grad_a)`` gives :math:`\partial L/\partial z` from
  :math:`\partial L/\partial a`. For an element-wise activation this is the
  Hadamard product ``grad_a * derivative(z)`` of Equations 1 and 2; for
  softmax, whose outputs depend on every input of their column, it is the
  Jacobian-transpose product.

Look an activation up by name with :func:`get_activation`, or pass the object.

>>> import numpy as np
>>> z = np.array([[-1.0], [0.0], [2.0]])
>>> get_activation("relu").forward(z).ravel()
array([0., 0., 2.])
>>> sigmoid.derivative(np.zeros((1, 1)))
array([[0.25]])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """An activation function with its derivative.

    Attributes:
        name: the name used by :func:`get_activation`.
        forward: ``z -> sigma(z)``, any shape.
        derivative: ``z -> sigma'(z)``, same shape as ``z``; ``None`` for
            softmax, which has no element-wise derivative.
        elementwise: ``True`` when :math:`a_i` depends only on :math:`z_i`.
    """

    name: str
    forward: Callable[[Array], Array]
    derivative: Callable[[Array], Array] | None
    elementwise: bool = True

    def __call__(self, z: Array) -> Array:
        return self.forward(z)

    def backward(self, z: Array, grad_a: Array) -> Array:
        r""":math:`\partial L/\partial z` from :math:`\partial L/\partial a` at ``z``.

        Element-wise: :math:`\partial L/\partial a \odot \sigma'(z)`.
        Softmax (per column): :math:`s \odot (g - s^T g)` with :math:`s = \mathrm{softmax}(z)`.
        """
        if self.elementwise:
            return grad_a * self.derivative(z)
        s = self.forward(z)
        return s * (grad_a - np.sum(s * grad_a, axis=0, keepdims=True))

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


def _sigmoid(z: Array) -> Array:
    # exp(-|z|) never overflows: for z >= 0 use 1/(1+e^-z), for z < 0 use e^z/(1+e^z).
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _sigmoid_derivative(z: Array) -> Array:
    s = _sigmoid(z)
    return s * (1.0 - s)


def _tanh_derivative(z: Array) -> Array:
    t = np.tanh(z)
    return 1.0 - t * t


def _relu(z: Array) -> Array:
    return np.maximum(z, 0)


def _relu_derivative(z: Array) -> Array:
    # The derivative at exactly 0 is taken to be 0 (a subgradient).
    return (z > 0).astype(z.dtype)


LEAKY_SLOPE = 0.01


def _leaky_relu(z: Array) -> Array:
    return np.where(z > 0, z, LEAKY_SLOPE * z)


def _leaky_relu_derivative(z: Array) -> Array:
    return np.where(z > 0, 1.0, LEAKY_SLOPE).astype(z.dtype)


def _identity(z: Array) -> Array:
    return z


def _identity_derivative(z: Array) -> Array:
    return np.ones_like(z)


def _softmax(z: Array) -> Array:
    # Subtracting each column's max leaves softmax unchanged and keeps exp() <= 1.
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


#: sigma(z) = 1/(1+e^-z), computed without overflow; sigma'(z) = sigma(z)(1 - sigma(z)).
sigmoid = Activation("sigmoid", _sigmoid, _sigmoid_derivative)
#: tanh(z); derivative 1 - tanh(z)^2.
tanh = Activation("tanh", np.tanh, _tanh_derivative)
#: max(z, 0); derivative 1 for z > 0 and 0 otherwise (0 at the kink z = 0).
relu = Activation("relu", _relu, _relu_derivative)
#: z for z > 0, 0.01 z otherwise.
leaky_relu = Activation("leaky_relu", _leaky_relu, _leaky_relu_derivative)
#: z itself ("linear"); derivative 1.
identity = Activation("identity", _identity, _identity_derivative)
#: exp(z_i) / sum_j exp(z_j) over each column, max-shifted so exp never overflows.
softmax = Activation("softmax", _softmax, None, elementwise=False)

ACTIVATIONS: dict[str, Activation] = {
    a.name: a for a in (sigmoid, tanh, relu, leaky_relu, identity, softmax)
}
ACTIVATIONS["linear"] = identity


def get_activation(activation: str | Activation) -> Activation:
    """Return the :class:`Activation` named ``activation`` (or the object itself).

    >>> get_activation("tanh")
    Activation('tanh')
    """
    if isinstance(activation, Activation):
        return activation
    if isinstance(activation, str) and activation.lower() in ACTIVATIONS:
        return ACTIVATIONS[activation.lower()]
    raise ValueError(
        f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)} "
        "or pass an Activation object"
    )
