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

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._validate import as_real_array

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
        r""":math:`\sigma(z)`, after checking ``z`` (lists, numbers and integer arrays are converted)."""
        return self.forward(as_real_array(z, "z"))

    def backward(self, z: Array, grad_a: Array, *, a: Array | None = None) -> Array:
        r""":math:`\partial L/\partial z` from :math:`\partial L/\partial a` at ``z``.

        Element-wise: :math:`\partial L/\partial a \odot \sigma'(z)`.
        Softmax (per column): :math:`s \odot (g - s^T g)` with :math:`s = \mathrm{softmax}(z)`.

        ``a``, optional, is :math:`\sigma(z)` when the caller already has it
        (the forward pass's activations). The built-in element-wise activations
        then write :math:`\sigma'(z)` in terms of it -- :math:`a(1-a)` for the
        sigmoid, :math:`1-a^2` for tanh -- instead of evaluating
        :math:`\sigma(z)` again: the same numbers, computed faster. This is
        still :math:`\sigma'` *at* ``z`` (not :math:`\sigma'(a)`, a classic
        bug). Softmax reuses ``a`` as :math:`s`; other activations ignore it.
        """
        z = as_real_array(z, "z")
        grad_a = as_real_array(grad_a, "grad_a")
        if z.shape != grad_a.shape:
            raise ValueError(f"grad_a has shape {grad_a.shape} but z has shape {z.shape}; they must match")
        if self.elementwise:
            from_a = _DERIVATIVE_FROM_OUTPUT.get(self.derivative) if a is not None else None
            if from_a is None:
                d = self.derivative(z)
            else:
                a = as_real_array(a, "a")
                if a.shape != z.shape:
                    raise ValueError(f"a has shape {a.shape} but z has shape {z.shape}; a must be sigma(z)")
                d = from_a(a)
            if (self.derivative in _RETURNS_NEW_ARRAY and type(d) is np.ndarray and type(grad_a) is np.ndarray
                    and d.shape == grad_a.shape and d.dtype == grad_a.dtype):
                d *= grad_a  # d is a new array of the result's shape and dtype: reuse it
                return d
            return grad_a * d
        s = self.forward(z) if a is None else as_real_array(a, "a")
        return s * (grad_a - np.sum(s * grad_a, axis=0, keepdims=True))

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


def _sigmoid(z: Array) -> Array:
    if type(z) is np.ndarray and z.dtype in _FLOAT32_64 and z.ndim:
        # 1/(1 + e^-z), computed in place (4 passes over z, one new array). For
        # very negative z, e^-z overflows to inf and the result is exactly 0,
        # which is sigma(z) correctly rounded down to the subnormal range
        # (sigma(z) < 2.3e-308 in float64, < 1.2e-38 in float32). The overflow
        # is expected, so it is silenced; there is no 0/0 or inf/inf anywhere.
        with np.errstate(over="ignore"):
            s = np.negative(z)
            np.exp(s, out=s)
        s += 1.0
        return np.divide(1.0, s, out=s)
    # Anything else (lists, scalars, 0-d arrays, float16, ...): exp(-|z|) never
    # overflows: for z >= 0 use 1/(1+e^-z), for z < 0 use e^z/(1+e^z).
    z = np.asarray(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _sigmoid_derivative(z: Array) -> Array:
    s = _sigmoid(z)
    if type(s) is not np.ndarray:
        return s * (1.0 - s)
    d = 1.0 - s
    d *= s  # s (1 - s), without a third array
    return d


def _tanh_derivative(z: Array) -> Array:
    t = np.tanh(z)
    return 1.0 - t * t


def _relu(z: Array) -> Array:
    return np.maximum(z, 0)


def _float_dtype(z: Array) -> np.dtype:
    """``z``'s dtype if it is floating, else float64 (a derivative of integers is still real)."""
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
    if type(z) is np.ndarray and z.dtype.kind == "f" and z.ndim:
        # The same arithmetic in place, with the ufunc reductions np.max / np.sum call.
        e = z - np.maximum.reduce(z, axis=0, keepdims=True)
        np.exp(e, out=e)
        e /= np.add.reduce(e, axis=0, keepdims=True)
        return e
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


_FLOAT32_64 = (np.dtype(np.float32), np.dtype(np.float64))

#: The built-in derivatives, which always return a new array: ``backward`` may
#: multiply ``grad_a`` into it in place instead of allocating a third array.
_RETURNS_NEW_ARRAY = frozenset({
    _sigmoid_derivative, _tanh_derivative, _relu_derivative, _leaky_relu_derivative, _identity_derivative,
})

# sigma'(z) in terms of a = sigma(z), for ``Activation.backward(z, grad_a, a=a)``:
# each gives the same numbers as the derivative it stands for (a is exactly what
# the forward function returned for z), without evaluating sigma again.


def _sigmoid_derivative_from_output(a: Array) -> Array:
    d = 1.0 - a
    d *= a  # a (1 - a) = sigma'(z)
    return d


def _tanh_derivative_from_output(a: Array) -> Array:
    return 1.0 - a * a


def _relu_derivative_from_output(a: Array) -> Array:
    return (a > 0).astype(_float_dtype(a))  # max(z, 0) > 0 exactly when z > 0


def _leaky_relu_derivative_from_output(a: Array) -> Array:
    return np.where(a > 0, 1.0, LEAKY_SLOPE).astype(_float_dtype(a))  # a > 0 exactly when z > 0


_DERIVATIVE_FROM_OUTPUT = {
    _sigmoid_derivative: _sigmoid_derivative_from_output,
    _tanh_derivative: _tanh_derivative_from_output,
    _relu_derivative: _relu_derivative_from_output,
    _leaky_relu_derivative: _leaky_relu_derivative_from_output,
    _identity_derivative: _identity_derivative,
}

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
