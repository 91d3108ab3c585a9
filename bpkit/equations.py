r"""The seed's equations, one public function each.

Notation (layers are numbered :math:`1..L`; :math:`a^{[0]}` is the input):

.. math::
    z^{[l]} = W^{[l]} a^{[l-1]} + b^{[l]}, \qquad a^{[l]} = \sigma(z^{[l]}),
    \qquad \delta^{[l]} = \frac{\partial L}{\partial z^{[l]}}.

Shapes: columns are examples. :math:`W^{[l]}` is ``(n_l, n_{l-1})``,
:math:`b^{[l]}` is ``(n_l, 1)``, :math:`a^{[l]}, z^{[l]}, \delta^{[l]}` are
``(n_l, m)`` for a batch of ``m`` examples (``m = 1`` for a single column).

For a batch, :math:`L` is the *mean* loss, so :math:`\partial L/\partial a^{[L]}`
already carries the :math:`1/m` (see :mod:`bpkit.losses`) and the equations
below are exactly the seed's: Equation 3 becomes a matrix product that sums
over the batch and Equation 4 a sum over columns.

===============  ================  =======================================================
function         equation          formula
===============  ================  =======================================================
forward_step     forward pass      :math:`z = W a^{[l-1]} + b`, :math:`a = \sigma(z)`
output_error     Equation 1 (BP1)  :math:`\delta^{[L]} = \partial L/\partial a^{[L]} \odot \sigma'(z^{[L]})`
backprop_error   Equation 2 (BP2)  :math:`\delta^{[l]} = (W^{[l+1]})^T \delta^{[l+1]} \odot \sigma'(z^{[l]})`
weight_gradient  Equation 3 (BP3)  :math:`\partial L/\partial W^{[l]} = \delta^{[l]} (a^{[l-1]})^T`
bias_gradient    Equation 4 (BP4)  :math:`\partial L/\partial b^{[l]} = \sum_j \delta^{[l]}_{:,j}`
sgd_update       gradient descent  :math:`\theta \leftarrow \theta - \alpha\, \partial L/\partial \theta`
===============  ================  =======================================================

Every function but ``sgd_update`` accepts an optional ``layer`` number, used
only to name the arrays in error messages (``W[2]`` rather than ``W``);
``sgd_update`` takes the parameter's ``name`` (``"W[2]"``) for the same purpose.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_matrix, label, positive_number, same_shape
from .activations import Activation, get_activation

Array = np.ndarray


def forward_step(
    W: Array, a_prev: Array, b: Array, activation: str | Activation = "sigmoid",
    *, layer: int | None = None,
) -> tuple[Array, Array]:
    r"""One layer of the forward pass.

    .. math:: z^{[l]} = W^{[l]} a^{[l-1]} + b^{[l]}, \qquad a^{[l]} = \sigma(z^{[l]})

    Args:
        W: weights :math:`W^{[l]}`, shape ``(n_l, n_{l-1})``.
        a_prev: previous activations :math:`a^{[l-1]}`, shape ``(n_{l-1}, m)``.
        b: biases :math:`b^{[l]}`, shape ``(n_l, 1)``; broadcast over the ``m`` columns.
        activation: :math:`\sigma`, a name such as ``"relu"`` or an :class:`~bpkit.activations.Activation`.
        layer: the layer number ``l``, only for error messages.

    Returns:
        ``(z, a)``, both of shape ``(n_l, m)``.

    >>> W = np.array([[1.0, -1.0]]); b = np.array([[0.5]])
    >>> z, a = forward_step(W, np.array([[2.0], [1.0]]), b, "relu")
    >>> z, a
    (array([[1.5]]), array([[1.5]]))
    """
    act = get_activation(activation)
    prev = layer - 1 if layer is not None else None
    W = as_matrix(W, "W", layer)
    a_prev = as_matrix(a_prev, "a", prev) if layer is not None else as_matrix(a_prev, "a_prev")
    b = as_matrix(b, "b", layer)
    if W.shape[1] != a_prev.shape[0]:
        raise ValueError(
            f"{label('W', layer)} has shape {W.shape} but "
            f"{label('a', prev) if layer is not None else 'a_prev'} has {a_prev.shape[0]} rows; "
            f"W needs {a_prev.shape[0]} columns, one per unit of the previous layer"
        )
    if b.shape != (W.shape[0], 1):
        raise ValueError(
            f"{label('b', layer)} has shape {b.shape} but must be ({W.shape[0]}, 1), "
            f"one bias per row of {label('W', layer)}"
        )
    z = W @ a_prev
    if z.dtype == b.dtype:
        z += b  # in place: z is a fresh array (same result as W @ a_prev + b)
    else:
        z = z + b
    return z, act.forward(z)


def output_error(
    grad_a: Array, z: Array, activation: str | Activation = "sigmoid", *, layer: int | None = None,
    a: Array | None = None,
) -> Array:
    r"""**Equation 1** (BP1): the error at the output layer.

    .. math:: \delta^{[L]} = \frac{\partial L}{\partial a^{[L]}} \odot \sigma'(z^{[L]})

    For softmax, whose outputs are coupled, the Hadamard product becomes the
    Jacobian-transpose product (use :func:`bpkit.losses.softmax_cross_entropy`
    for the simpler :math:`(\hat y - y)/m` when the loss is cross-entropy).

    Args:
        grad_a: :math:`\partial L/\partial a^{[L]}`, shape ``(n_L, m)`` (from ``loss.gradient``).
        z: :math:`z^{[L]}`, shape ``(n_L, m)``.
        activation: the output activation :math:`\sigma`.
        layer: the number ``L`` of the output layer, only for error messages.
        a: optional :math:`a^{[L]} = \sigma(z^{[L]})` from the forward pass; built-in
            activations then take :math:`\sigma'(z^{[L]})` from it instead of
            evaluating :math:`\sigma` again (see :meth:`~bpkit.activations.Activation.backward`).

    Returns:
        :math:`\delta^{[L]}`, shape ``(n_L, m)``.

    >>> output_error(np.array([[2.0]]), np.array([[0.0]]), "sigmoid")  # 2 * sigma'(0)
    array([[0.5]])
    """
    act = get_activation(activation)
    grad_a = as_matrix(grad_a, "dL/da", layer)
    z = as_matrix(z, "z", layer)
    if grad_a.shape != z.shape:
        same_shape(grad_a, label("dL/da", layer), z, label("z", layer))
    return act.backward(z, grad_a, a=_output_of(a, z, layer))


def backprop_error(
    W_next: Array, delta_next: Array, z: Array, activation: str | Activation = "sigmoid",
    *, layer: int | None = None, a: Array | None = None,
) -> Array:
    r"""**Equation 2** (BP2): propagate the error one layer backward.

    .. math:: \delta^{[l]} = \left( (W^{[l+1]})^T \delta^{[l+1]} \right) \odot \sigma'(z^{[l]})

    Args:
        W_next: :math:`W^{[l+1]}`, shape ``(n_{l+1}, n_l)``.
        delta_next: :math:`\delta^{[l+1]}`, shape ``(n_{l+1}, m)``.
        z: :math:`z^{[l]}`, shape ``(n_l, m)``.
        activation: the activation :math:`\sigma` of layer ``l``.
        layer: the number ``l`` of the layer whose error is computed, only for error messages.
        a: optional :math:`a^{[l]} = \sigma(z^{[l]})` from the forward pass; built-in
            activations then take :math:`\sigma'(z^{[l]})` from it (for the sigmoid,
            :math:`a(1-a)`) instead of evaluating :math:`\sigma` again -- the same
            numbers, as :meth:`bpkit.Network.backward` does.

    Returns:
        :math:`\delta^{[l]}`, shape ``(n_l, m)``.

    >>> W_next = np.array([[1.0, 2.0]])                 # n_{l+1} = 1, n_l = 2
    >>> backprop_error(W_next, np.array([[4.0]]), np.zeros((2, 1)), "sigmoid")
    array([[1.],
           [2.]])
    """
    act = get_activation(activation)
    if layer is None:
        W_next = as_matrix(W_next, "W_next")
        delta_next = as_matrix(delta_next, "delta_next")
    else:
        W_next = as_matrix(W_next, "W", layer + 1)
        delta_next = as_matrix(delta_next, "delta", layer + 1)
    z = as_matrix(z, "z", layer)
    if W_next.shape[0] != delta_next.shape[0] or z.shape != (W_next.shape[1], delta_next.shape[1]):
        _backprop_shape_error(W_next, delta_next, z, layer)
    return act.backward(z, W_next.T @ delta_next, a=_output_of(a, z, layer))


def _output_of(a: Array | None, z: Array, layer: int | None) -> Array | None:
    """The optional ``a = sigma(z)`` argument, checked against ``z``."""
    if a is None:
        return None
    a = as_matrix(a, "a", layer)
    if a.shape != z.shape:
        same_shape(a, label("a", layer), z, label("z", layer))
    return a


def _backprop_shape_error(W_next: Array, delta_next: Array, z: Array, layer: int | None) -> None:
    nxt = layer + 1 if layer is not None else None
    w_name = label("W", nxt) if layer is not None else "W_next"
    d_name = label("delta", nxt) if layer is not None else "delta_next"
    if W_next.shape[0] != delta_next.shape[0]:
        raise ValueError(
            f"{w_name} has shape {W_next.shape} but {d_name} has {delta_next.shape[0]} rows; "
            f"they must both have n_{{l+1}} = {W_next.shape[0]} rows"
        )
    raise ValueError(
        f"{label('z', layer)} has shape {z.shape} but must be "
        f"({W_next.shape[1]}, {delta_next.shape[1]}): {w_name} has {W_next.shape[1]} columns "
        f"and {d_name} has {delta_next.shape[1]} examples"
    )


def weight_gradient(delta: Array, a_prev: Array, *, layer: int | None = None) -> Array:
    r"""**Equation 3** (BP3): the gradient of the loss with respect to :math:`W^{[l]}`.

    .. math:: \frac{\partial L}{\partial W^{[l]}} = \delta^{[l]} (a^{[l-1]})^T

    With ``m`` columns this one matrix product sums the ``m`` per-example outer
    products; the :math:`1/m` of the mean loss is already inside :math:`\delta`.

    Args:
        delta: :math:`\delta^{[l]}`, shape ``(n_l, m)``.
        a_prev: :math:`a^{[l-1]}`, shape ``(n_{l-1}, m)``.
        layer: the layer number ``l``, only for error messages.

    Returns:
        :math:`\partial L/\partial W^{[l]}`, shape ``(n_l, n_{l-1})`` -- the shape of :math:`W^{[l]}`.

    >>> weight_gradient(np.array([[1.0], [2.0]]), np.array([[3.0], [4.0], [5.0]]))
    array([[ 3.,  4.,  5.],
           [ 6.,  8., 10.]])
    """
    delta = as_matrix(delta, "delta", layer)
    a_prev = as_matrix(a_prev, "a", layer - 1) if layer is not None else as_matrix(a_prev, "a_prev")
    if delta.shape[1] != a_prev.shape[1]:
        d_name = label("delta", layer)
        a_name = label("a", layer - 1) if layer is not None else "a_prev"
        raise ValueError(
            f"{d_name} has shape {delta.shape} but {a_name} has shape {a_prev.shape}; "
            f"both need the same number of columns (examples)"
        )
    return delta @ a_prev.T


def bias_gradient(delta: Array, *, layer: int | None = None) -> Array:
    r"""**Equation 4** (BP4): the gradient of the loss with respect to :math:`b^{[l]}`.

    .. math:: \frac{\partial L}{\partial b^{[l]}} = \delta^{[l]}
              \quad\text{(one example)},\qquad
              \sum_{j=1}^{m} \delta^{[l]}_{:,j} \quad\text{(a batch)}

    The bias is shared by every column, so its gradient sums the columns of
    :math:`\delta` (a sum, not a mean: the :math:`1/m` is already inside
    :math:`\delta`).

    Args:
        delta: :math:`\delta^{[l]}`, shape ``(n_l, m)``.
        layer: the layer number ``l``, only for error messages.

    Returns:
        :math:`\partial L/\partial b^{[l]}`, shape ``(n_l, 1)`` -- the shape of :math:`b^{[l]}`.

    >>> bias_gradient(np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[3.],
           [7.]])
    """
    delta = as_matrix(delta, "delta", layer)
    return np.add.reduce(delta, axis=1, keepdims=True)  # np.sum without its Python wrapper


def sgd_update(
    param: Array, grad: Array, learning_rate: float, *, name: str = "param", out: Array | None = None
) -> Array:
    r"""The gradient-descent update of one parameter array.

    .. math:: \theta \leftarrow \theta - \alpha \frac{\partial L}{\partial \theta}

    Args:
        param: :math:`W^{[l]}` ``(n_l, n_{l-1})`` or :math:`b^{[l]}` ``(n_l, 1)``.
        grad: its gradient, the same shape.
        learning_rate: :math:`\alpha > 0`.
        name: what ``param`` is called in error messages, e.g. ``"W[2]"``.
        out: optional array to write the result into, of ``param``'s shape and
            of the result's dtype. ``out=param`` updates ``param`` in place
            (same numbers, no new array), as :meth:`bpkit.Network.train` does
            to save allocating a new :math:`W` at every step.

    Returns:
        The updated parameter: a new array (``param`` is not changed), or
        ``out`` when it is given. ``grad`` is never changed.

    >>> sgd_update(np.array([[1.0, 2.0]]), np.array([[0.5, -0.5]]), learning_rate=0.1)
    array([[0.95, 2.05]])
    >>> W = np.array([[1.0, 2.0]])
    >>> _ = sgd_update(W, np.array([[0.5, -0.5]]), 0.1, out=W)    # in place
    >>> W
    array([[0.95, 2.05]])
    """
    alpha = positive_number(learning_rate, "learning_rate")
    param = as_matrix(param, name)
    grad = as_matrix(grad, f"grad of {name}")
    if param.shape != grad.shape:
        same_shape(param, name, grad, f"grad of {name}")
    if out is None:
        return param - alpha * grad
    step = alpha * grad
    dtype = param.dtype if step.dtype == param.dtype else np.result_type(param, step)
    if not isinstance(out, np.ndarray) or out.shape != param.shape or out.dtype != dtype:
        got = f"shape {out.shape}, dtype {out.dtype}" if isinstance(out, np.ndarray) else type(out).__name__
        raise ValueError(f"out must be an array of {name}'s shape {param.shape} and dtype {dtype}; got {got}")
    return np.subtract(param, step, out=out)
