r"""The grader's own float64 forward computations -- the ground truth of every check.

Nothing here imports :mod:`bpkit.activations`, :mod:`bpkit.losses` or
:mod:`bpkit.equations`: a bug in the library must not be able to hide the
same bug in a student's answer. Everything is plain numpy in float64.

Two kinds of function live here:

* **Activations** (:data:`ACTIVATIONS`): :math:`\sigma` and :math:`\sigma'`
  by name. The checks hand these to student functions that take a ``sigma``
  or ``sigma_prime`` argument, and use :math:`\sigma` inside the scalar
  functions below.
* **Scalar functions** whose gradient is the answer of an exercise. The truth
  of a gradient exercise is the central difference of one of these (see
  :mod:`bpkit.grader.gradcheck`); none of them is an analytic gradient. Each
  takes a *stack* of perturbed copies of one argument -- shape
  ``(k, *shape)`` -- and returns, for each copy, the value, a magnitude
  (the sum of the absolute sizes of what was added up, which bounds the
  rounding error) and, where the function has kinks, a boolean state whose
  change marks a kink crossed. Functions that are sums of one term per entry
  (``elementwise``) instead take an array of the argument's own shape and
  return one term per entry.

For example, Equation 2's :math:`\delta^{[l]} = \partial L/\partial z^{[l]}`
is the gradient of

.. math:: L(z) = \sum \delta^{[l+1]} \odot \big(W^{[l+1]} \sigma(z)\big)

(:func:`backprop_scalar`), and the backward pass's gradients are those of
the mean MSE of a whole network (:func:`network_loss_stack`).

>>> z = np.array([[0.0, 2.0]])
>>> ACTIVATIONS["sigmoid"].f(z).round(4)
array([[0.5   , 0.8808]])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray
EPS = float(np.finfo(np.float64).eps)


# --------------------------------------------------------------------------- activations

def sigmoid(z: Array) -> Array:
    """:math:`1/(1+e^{-z})` without overflow (only :math:`e^{-|z|}` is computed)."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_prime(z: Array) -> Array:
    """:math:`\\sigma(z)(1-\\sigma(z))`."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z: Array) -> Array:
    return np.tanh(np.asarray(z, dtype=np.float64))


def tanh_prime(z: Array) -> Array:
    t = np.tanh(np.asarray(z, dtype=np.float64))
    return 1.0 - t * t


def relu(z: Array) -> Array:
    return np.maximum(np.asarray(z, dtype=np.float64), 0.0)


def relu_prime(z: Array) -> Array:
    """1 where :math:`z > 0`, else 0 (0 at the kink)."""
    return (np.asarray(z, dtype=np.float64) > 0).astype(np.float64)


def softplus(z: Array) -> Array:
    r""":math:`\log(1+e^{z})` without overflow: :math:`\max(z,0) + \log(1 + e^{-|z|})`."""
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


@dataclass(frozen=True)
class Act:
    """An activation known to the grader: name, :math:`\\sigma`, :math:`\\sigma'`, kinked or not."""

    name: str
    f: Callable[[Array], Array]
    prime: Callable[[Array], Array]
    kinked: bool = False

    def state(self, z: Array) -> Array | None:
        """Which side of every kink ``z`` is on (``None`` for smooth activations)."""
        return z > 0 if self.kinked else None


ACTIVATIONS: dict[str, Act] = {
    "sigmoid": Act("sigmoid", sigmoid, sigmoid_prime),
    "tanh": Act("tanh", tanh, tanh_prime),
    "relu": Act("relu", relu, relu_prime, kinked=True),
}


def student_sigma(name: str) -> Callable[[Array], Array]:
    """A fresh plain function ``z -> sigma(z)`` to hand to a student's code.

    It is a new function object each time (the student cannot tell it apart
    from their own) and it accepts anything numpy accepts.
    """
    f = ACTIVATIONS[name].f

    def sigma(z):
        return f(z)

    sigma.__name__ = name
    return sigma


def student_sigma_prime(name: str) -> Callable[[Array], Array]:
    """A fresh plain function ``z -> sigma'(z)`` to hand to a student's code."""
    fp = ACTIVATIONS[name].prime

    def sigma_prime(z):
        return fp(z)

    sigma_prime.__name__ = f"{name}_prime"
    return sigma_prime


# --------------------------------------------------------------------------- elementwise scalars
# Each returns (terms, magnitudes, state) with one term per entry of z; the
# scalar function is the sum of the terms, so its central difference in
# entry i only needs term i.

def activation_terms(z: Array, act: Act) -> tuple[Array, Array, Array | None]:
    r"""Terms of :math:`\sum_i \sigma(z_i)`: the gradient is :math:`\sigma'(z)`."""
    v = act.f(z)
    return v, np.abs(v), act.state(z)


def weighted_activation_terms(z: Array, g: Array, act: Act) -> tuple[Array, Array, Array | None]:
    r"""Terms of :math:`\sum_i g_i \sigma(z_i)`: the gradient is :math:`g \odot \sigma'(z)` (Equation 1)."""
    v = g * act.f(z)
    return v, np.abs(v), act.state(z)


def mse_sigmoid_terms(z: Array, y: Array, m: int) -> tuple[Array, Array, None]:
    r"""Terms of the mean MSE of a sigmoid output, :math:`\frac{1}{2m}\sum (\sigma(z)-y)^2`."""
    a = sigmoid(z)
    r = a - y
    v = 0.5 * r * r / m
    return v, v + np.abs(r) * (np.abs(a) + np.abs(y)) / m, None


def bce_sigmoid_terms(z: Array, y: Array, m: int) -> tuple[Array, Array, None]:
    r"""Terms of the mean binary cross-entropy of a sigmoid output, from the logits.

    .. math::
        -[y\log\sigma(z) + (1-y)\log(1-\sigma(z))]/m
        = [y\,\mathrm{softplus}(-z) + (1-y)\,\mathrm{softplus}(z)]/m
    """
    p, q = y * softplus(-z), (1.0 - y) * softplus(z)
    return (p + q) / m, (np.abs(p) + np.abs(q)) / m, None


# --------------------------------------------------------------------------- stacked scalars
# Each takes a stack of k perturbed copies of one argument, shape (k, *shape),
# and returns (values (k,), magnitudes (k,), state (k, ...) or None).

def _sum(x: Array) -> Array:
    return x.reshape(x.shape[0], -1).sum(axis=1)


def backprop_scalar(Z: Array, W_next: Array, delta_next: Array, act: Act):
    r""":math:`L(z) = \sum \delta^{[l+1]} \odot (W^{[l+1]}\sigma(z))`.

    Its gradient in ``z`` is Equation 2's :math:`\delta^{[l]}`.
    """
    s = act.f(Z)
    v = _sum(delta_next * np.matmul(W_next, s))
    mag = _sum(np.abs(delta_next) * np.matmul(np.abs(W_next), np.abs(s)))
    return v, mag, act.state(Z)


def weight_scalar(Ws: Array, delta: Array, a_prev: Array):
    r""":math:`L(W) = \sum \delta \odot (W a^{[l-1]})`.

    Its gradient in ``W`` is Equation 3's :math:`\delta (a^{[l-1]})^T`.
    """
    v = _sum(delta * np.matmul(Ws, a_prev))
    mag = _sum(np.abs(delta) * np.matmul(np.abs(Ws), np.abs(a_prev)))
    return v, mag, None


def bias_scalar(Bs: Array, delta: Array, base: Array):
    r""":math:`L(b) = \sum \delta \odot (u + b\,\mathbf 1^T)` for a fixed ``u``.

    Its gradient in ``b`` is Equation 4's :math:`\sum_j \delta_{:,j}`.
    """
    pre = base + Bs
    v = _sum(delta * pre)
    mag = _sum(np.abs(delta) * (np.abs(base) + np.abs(Bs)))
    return v, mag, None


def softmax_ce_scalar(Z: Array, Y: Array):
    r"""Mean cross-entropy of :math:`\mathrm{softmax}(z)` against ``Y`` (columns are examples).

    Computed from the logits:

    :math:`L = \frac1m\sum_j \big(\log\sum_i e^{z_{ij}} - \sum_i y_{ij} z_{ij}\big)`.
    """
    m = Z.shape[-1]
    zmax = Z.max(axis=-2, keepdims=True)
    lse = zmax + np.log(np.sum(np.exp(Z - zmax), axis=-2, keepdims=True))
    yz = np.sum(Y * Z, axis=-2, keepdims=True)
    v = _sum(lse - yz) / m
    mag = _sum(np.abs(lse) + np.sum(np.abs(Y * Z), axis=-2, keepdims=True)) / m
    return v, mag, None


def softmax(z: Array, axis: int | None = 0) -> Array:
    """Softmax over ``axis`` (0: over the units of each column, the right one)."""
    zmax = np.max(z, axis=axis, keepdims=True)
    e = np.exp(z - zmax)
    return e / np.sum(e, axis=axis, keepdims=True)


# --------------------------------------------------------------------------- whole networks

def network_forward(W: list, b: list, X: Array, act: Act | None = None,
                    output: Act | None = None) -> tuple[list, list]:
    """``(z, a)`` lists indexed 0..L (``z[0] = None``, ``a[0] = X``).

    ``act`` is the activation of the hidden layers and ``output`` that of
    layer L (default: ``act``); the sigmoid in every layer by default.
    """
    act = act or ACTIVATIONS["sigmoid"]
    output = output or act
    L = len(W) - 1
    z: list = [None]
    a: list = [X]
    for l in range(1, L + 1):
        z.append(W[l] @ a[l - 1] + b[l])
        a.append((output if l == L else act).f(z[l]))
    return z, a


def network_loss_stack(W: list, b: list, X: Array, Y: Array, name: str, layer: int, P: Array,
                       hidden: str = "sigmoid", output: str = "sigmoid"):
    r"""Mean MSE (½ convention) of a network, one value per copy of a parameter.

    Parameter ``name[layer]`` (``"W"`` or ``"b"``) is replaced by each of ``P``.
    The hidden layers use the activation ``hidden``, layer L ``output``
    (sigmoid everywhere by default, as in lessons 06-07; lesson 11 has tanh
    hidden layers under a sigmoid output).

    ``P`` is a stack ``(k, *W[layer].shape)`` (``name == "W"``) or
    ``(k, *b[layer].shape)`` (``name == "b"``). Layers below ``layer`` are
    computed once; from ``layer`` up every copy runs through the network.
    """
    act, out = ACTIVATIONS[hidden], ACTIVATIONS[output]
    L = len(W) - 1
    m = X.shape[1]
    _, a = network_forward(W[:layer], b[:layer], X, act, act)
    below = a[layer - 1]
    if name == "W":
        z = np.matmul(P, below) + b[layer]
    else:
        z = (W[layer] @ below) + P
    h = (out if layer == L else act).f(z)
    for l in range(layer + 1, L + 1):
        h = (out if l == L else act).f(np.matmul(W[l], h) + b[l])
    r = h - Y
    v = 0.5 * _sum(r * r) / m
    mag = v + _sum(np.abs(r) * (np.abs(h) + np.abs(Y))) / m
    return v, mag, None


# --------------------------------------------------------------------------- lesson 10: initialisation

#: The variance of every weight that each initialisation aims at, from the widths n_in = n_{l-1}
#: and n_out = n_l: Xavier (Glorot) for tanh and the sigmoid, He for ReLU.
INIT_VARIANCE: dict[str, Callable[[int, int], float]] = {
    "xavier": lambda n_in, n_out: 2.0 / (n_in + n_out),
    "he": lambda n_in, n_out: 2.0 / n_in,
}
#: Which initialisation each activation wants.
INIT_FOR: dict[str, str] = {"tanh": "xavier", "sigmoid": "xavier", "relu": "he"}


def preactivation_variances(W: list, b: list, X: Array, act: Act) -> list[float]:
    """``Var(z[l])`` for l = 1..L (index 0 is ``Var(X)``): every layer uses ``act``.

    The statistic a good initialisation keeps steady from layer to layer: it
    neither vanishes (to 0) nor explodes (or saturates a tanh or sigmoid).
    """
    out = [float(np.var(X))]
    a = X
    for l in range(1, len(W)):
        z = W[l] @ a + b[l]
        out.append(float(np.var(z)))
        a = act.f(z)
    return out


def saturated_fraction(W: list, b: list, X: Array, act: Act) -> float:
    """The fraction of last-hidden-layer activations stuck at a flat end of tanh or the sigmoid."""
    a = X
    for l in range(1, len(W)):
        a = act.f(W[l] @ a + b[l])
    if act.name == "tanh":
        return float(np.mean(np.abs(a) > 0.99))
    if act.name == "sigmoid":
        return float(np.mean((a < 0.01) | (a > 0.99)))
    return 0.0


# --------------------------------------------------------------------------- lesson 12: scalar operations

def _op_add(x: Array, y: Array) -> tuple[Array, Array]:
    return x + y, np.abs(x) + np.abs(y)


def _op_mul(x: Array, y: Array) -> tuple[Array, Array]:
    v = x * y
    return v, np.abs(v)


def _op_tanh(x: Array, y: Array | None = None) -> tuple[Array, Array]:
    v = np.tanh(x)
    return v, np.abs(v)


def _op_exp(x: Array, y: Array | None = None) -> tuple[Array, Array]:
    v = np.exp(x)
    return v, v


def _op_pow(x: Array, n: float) -> tuple[Array, Array]:
    v = np.power(x, n)
    return v, np.abs(v)


#: The element-wise operations of lesson 12's small autodiff: ``op(x, y) -> (value, magnitude)``
#: (``y`` is the second input of add and mul, the exponent n of pow, unused otherwise).
OPERATIONS: dict[str, Callable] = {
    "add": _op_add, "mul": _op_mul, "tanh": _op_tanh, "exp": _op_exp, "pow": _op_pow,
}


def op_terms(op: str, varying: Array, fixed, grad: Array, wrt: str = "x") -> tuple[Array, Array, None]:
    r"""Terms of :math:`L = \sum \mathrm{grad} \odot \mathrm{op}(x, y)`, one per entry of ``varying``.

    ``varying`` is the input ``wrt`` (``"x"`` or ``"y"``); ``fixed`` is the
    other one (or the exponent n of pow). The gradient of the sum in
    ``varying`` is what that input's backward rule must return.
    """
    f = OPERATIONS[op]
    v, mag = f(varying, fixed) if wrt == "x" else f(fixed, varying)
    return grad * v, np.abs(grad) * mag, None
