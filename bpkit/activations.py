"""Activation functions σ and their derivatives σ′.

Each activation is an Activation object with three methods:

* forward(z) gives a = σ(z);
* derivative(z) gives σ′(z) entry by entry (taken at z, never at a);
* backward(z, grad_a) gives ∂L/∂z from ∂L/∂a. For an element-wise activation
  this is the Hadamard product grad_a ⊙ σ′(z) of Equations 1 and 2; for
  softmax, whose outputs depend on every input of their column, it is the
  Jacobian-transpose product.

Look an activation up by name with get_activation, or pass the object.

>>> import numpy as np
>>> z = np.array([[-1.0], [0.0], [2.0]])
>>> get_activation("relu").forward(z).ravel()
array([0., 0., 2.])
>>> sigmoid.derivative(np.zeros((1, 1)))
array([[0.25]])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ._validate import as_real_array

Array = np.ndarray


@dataclass(frozen=True)
class Activation:
    """An activation function σ with its derivative σ′.

    Attributes:
        name: the name used by get_activation.
        forward: z -> σ(z), any shape.
        derivative: z -> σ′(z), same shape as z (taken at z, never at a);
            None for softmax, which has no element-wise derivative.
        elementwise: True when a_i depends only on z_i.
        derivative_from_output: optional a -> σ′(z) written in terms of the
            output a = σ(z) (for the sigmoid a(1 − a), for tanh 1 − a²): the
            same numbers without evaluating σ again. Only bpkit's private
            training fast path uses it; the equations always take σ′ at z.

    >>> sigmoid.forward(np.zeros((1, 1))), sigmoid.derivative(np.zeros((1, 1)))
    (array([[0.5]]), array([[0.25]]))
    """

    name: str
    forward: Callable[[Array], Array]
    derivative: Callable[[Array], Array] | None
    elementwise: bool = True
    derivative_from_output: Callable[[Array], Array] | None = field(default=None, repr=False, compare=False)

    def __call__(self, z: Array) -> Array:
        """σ(z), after checking z (lists, numbers and integer arrays are converted)."""
        return self.forward(as_real_array(z, "z"))

    def backward(self, z: Array, grad_a: Array) -> Array:
        """∂L/∂z from ∂L/∂a at z.

        Element-wise: ∂L/∂a ⊙ σ′(z), the product in Equations 1 and 2.
        Softmax (per column): s ⊙ (g − sᵀg) with s = softmax(z) and g = ∂L/∂a,
        the Jacobian-transpose product, since each output depends on the
        whole column.

        >>> sigmoid.backward(np.zeros((1, 1)), np.array([[2.0]]))   # 2 · σ′(0)
        array([[0.5]])
        """
        z = as_real_array(z, "z")
        grad_a = as_real_array(grad_a, "grad_a")
        if z.shape != grad_a.shape:
            raise ValueError(f"grad_a has shape {grad_a.shape} but z has shape {z.shape}; they must match")
        if self.elementwise:
            return grad_a * self.derivative(z)
        s = self.forward(z)
        return s * (grad_a - np.sum(s * grad_a, axis=0, keepdims=True))

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


def _sigmoid(z: Array) -> Array:
    # exp(-|z|) never overflows: for z >= 0 use 1/(1+e^-z), for z < 0 use e^z/(1+e^z).
    z = np.asarray(z)
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


def _float_dtype(z: Array) -> np.dtype:
    """z's dtype if it is floating, else float64 (a derivative of integers is still real)."""
    return z.dtype if z.dtype.kind == "f" else np.dtype(np.float64)


def _relu_derivative(z: Array) -> Array:
    # The derivative at exactly 0 is taken to be 0 (a subgradient).
    z = np.asarray(z)
    return (z > 0).astype(_float_dtype(z))


LEAKY_SLOPE = 0.01


def _leaky_relu(z: Array) -> Array:
    z = np.asarray(z)
    return np.where(z > 0, z, LEAKY_SLOPE * z)


def _leaky_relu_derivative(z: Array) -> Array:
    z = np.asarray(z)
    return np.where(z > 0, 1.0, LEAKY_SLOPE).astype(_float_dtype(z))


def _identity(z: Array) -> Array:
    return z


def _identity_derivative(z: Array) -> Array:
    return np.ones_like(z)


def _softmax(z: Array) -> Array:
    # Subtracting each column's max leaves softmax unchanged and keeps exp() <= 1.
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


# sigma'(z) in terms of a = sigma(z), for the training fast path (bpkit._fast):
# each gives the same numbers as the derivative it stands for, a being exactly
# what the forward function returned for z, without evaluating sigma again.


def _sigmoid_derivative_from_output(a: Array) -> Array:
    return a * (1.0 - a)


def _tanh_derivative_from_output(a: Array) -> Array:
    return 1.0 - a * a


def _relu_derivative_from_output(a: Array) -> Array:
    return (a > 0).astype(_float_dtype(a))  # max(z, 0) > 0 exactly when z > 0


def _identity_derivative_from_output(a: Array) -> Array:
    return np.ones_like(a)


def _leaky_relu_derivative_from_output(a: Array) -> Array:
    return np.where(a > 0, 1.0, LEAKY_SLOPE).astype(_float_dtype(a))  # a > 0 exactly when z > 0


#: σ(z) = 1/(1 + e^(−z)), computed without overflow; σ′(z) = σ(z)(1 − σ(z)).
sigmoid = Activation("sigmoid", _sigmoid, _sigmoid_derivative,
                     derivative_from_output=_sigmoid_derivative_from_output)
#: tanh(z); derivative 1 − tanh(z)².
tanh = Activation("tanh", np.tanh, _tanh_derivative, derivative_from_output=_tanh_derivative_from_output)
#: max(z, 0); derivative 1 for z > 0 and 0 otherwise (0 at the kink z = 0).
relu = Activation("relu", _relu, _relu_derivative, derivative_from_output=_relu_derivative_from_output)
#: z for z > 0, 0.01 z otherwise; derivative 1 or 0.01.
leaky_relu = Activation("leaky_relu", _leaky_relu, _leaky_relu_derivative,
                        derivative_from_output=_leaky_relu_derivative_from_output)
#: z itself ("linear"); derivative 1.
identity = Activation("identity", _identity, _identity_derivative,
                      derivative_from_output=_identity_derivative_from_output)
#: exp(z_i) / Σ_j exp(z_j) over each column, max-shifted so exp never overflows.
softmax = Activation("softmax", _softmax, None, elementwise=False)

ACTIVATIONS: dict[str, Activation] = {
    a.name: a for a in (sigmoid, tanh, relu, leaky_relu, identity, softmax)
}
ACTIVATIONS["linear"] = identity


def get_activation(activation: str | Activation) -> Activation:
    """Return the Activation named activation ("sigmoid", "tanh", "relu", ...), or the object itself.

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
