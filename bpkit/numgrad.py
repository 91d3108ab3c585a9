"""Numerical gradients by central differences, the ground truth for every check.

For a scalar function f of an array x,

    ∂f/∂x_i ≈ (f(x + h e_i) − f(x − h e_i)) / (2h).

Choice of step: the truncation error of a central difference shrinks like h²
while the round-off error grows like ε/h (ε ≈ 2.2e-16 in float64); the sum is
smallest near h ≈ ε^(1/3) ≈ 1e-5. Measured on an 8-16-16-4 sigmoid network
the relative error is about 5e-10 at h = 1e-4, 1e-10 at 1e-5 and 1e-9 at
1e-6. We use h = 1e-5 · max(1, |x_i|), so the step is relative to the entry's
own size. Always evaluate f in float64.

>>> import numpy as np
>>> x = np.array([[1.0, 2.0]])
>>> np.round(numerical_gradient(lambda v: float(np.sum(v ** 3)), x), 6)
array([[ 3., 12.]])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from ._validate import positive_number

Array = np.ndarray
DEFAULT_STEP = 1e-5


def _step(value: float, h: float) -> float:
    return h * max(1.0, abs(value))


def numerical_gradient(
    f: Callable[[Array], float], x: Array, h: float = DEFAULT_STEP,
    entries: Iterable[tuple[int, ...]] | None = None,
) -> Array:
    """Central-difference gradient of a scalar function f at x.

    x is changed in place one entry at a time and always restored, so f may
    close over x (for example a network's W[2]).

    Args:
        f: a function of x returning a scalar (it is called with x itself).
        x: a float array of any shape; not changed on return.
        h: the relative step; entry i moves by h · max(1, |x_i|).
        entries: index tuples to differentiate; the others are left at 0.
            None means every entry.

    Returns:
        An array of x's shape holding ∂f/∂x_i.

    >>> x = np.array([[3.0]])
    >>> numerical_gradient(lambda v: float(v[0, 0] ** 2), x).round(6)
    array([[6.]])
    """
    x = _float_array(x, "x")
    h = positive_number(h, "h")
    grad = np.zeros(x.shape, dtype=np.float64)
    indices = np.ndindex(x.shape) if entries is None else (tuple(i) for i in entries)
    for i in indices:
        old = x[i]
        step = _step(float(old), h)
        try:
            x[i] = old + step
            f_plus = _scalar(f(x))
            x[i] = old - step
            f_minus = _scalar(f(x))
        finally:
            x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * step)
    return grad


def directional_derivative(
    f: Callable[[Array], float], x: Array, direction: Array, h: float = DEFAULT_STEP
) -> float:
    """Central difference of f along direction d: ∇f(x) · d.

    Two evaluations of f check a whole gradient at once: compare the result
    with np.sum(analytic_gradient * direction). x is restored.

    >>> x = np.array([[1.0, 2.0]]); d = np.array([[1.0, 0.0]])
    >>> round(directional_derivative(lambda v: float(np.sum(v ** 2)), x, d), 6)
    2.0
    """
    x = _float_array(x, "x")
    h = positive_number(h, "h")
    direction = np.asarray(direction, dtype=np.float64)
    if direction.shape != x.shape:
        raise ValueError(f"direction has shape {direction.shape} but x has shape {x.shape}")
    scale = float(np.linalg.norm(direction))
    if scale == 0:
        raise ValueError("direction must not be all zeros")
    step = h * max(1.0, float(np.max(np.abs(x)))) / scale
    old = x.copy()
    try:
        x += step * direction
        f_plus = _scalar(f(x))
        x[...] = old - step * direction
        f_minus = _scalar(f(x))
    finally:
        x[...] = old
    return (f_plus - f_minus) / (2 * step)


def random_direction(shape: tuple[int, ...], seed: int | None = 0) -> Array:
    """A random unit-norm direction of the given shape (standard normal, normalised)."""
    d = np.random.default_rng(seed).standard_normal(shape)
    return d / np.linalg.norm(d)


def relative_error(a: Array, b: Array) -> float:
    """Norm-wise relative error ‖a − b‖ / (‖a‖ + ‖b‖).

    0 when both are zero. Around 1e-9 or less means "agree" for a float64
    central difference; 1e-2 or more means a bug.

    >>> relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    0.0
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a has shape {a.shape} but b has shape {b.shape}; they must match")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def network_numerical_gradients(net, X: Array, Y: Array, h: float = DEFAULT_STEP):
    """Central-difference (dW, db) of net.loss(X, Y) for every parameter of a
    Network, indexed like net.W and net.b.

    Costs two forward passes per parameter: use it on small networks.
    """
    def loss(_: Array) -> float:
        return net.loss(X, Y)

    dW = [None] + [numerical_gradient(loss, net.W[l], h) for l in range(1, net.L + 1)]
    db = [None] + [numerical_gradient(loss, net.b[l], h) for l in range(1, net.L + 1)]
    return dW, db


def _scalar(value: object) -> float:
    """f(x) as a float, or a clear error when f did not return one number."""
    if isinstance(value, np.ndarray) and value.size != 1:
        raise TypeError(f"f must return a single number; got ndarray of shape {value.shape}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"f must return a single number; got {type(value).__name__}") from None


def _float_array(x: Array, name: str) -> Array:
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(
            f"{name} must be a floating numpy array changed in place; got "
            f"{type(x).__name__}{'' if not isinstance(x, np.ndarray) else ' of dtype ' + str(x.dtype)}"
        )
    return x
