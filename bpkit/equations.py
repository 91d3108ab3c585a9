"""The seed's equations, one public function each.

Notation (layers are numbered 1..L; a[0] is the input):

    z[l] = W[l] a[l-1] + b[l],    a[l] = σ(z[l]),    δ[l] = ∂L/∂z[l]

Shapes: columns are examples. W[l] is (n_l, n_{l-1}), b[l] is (n_l, 1), and
a[l], z[l], δ[l] are (n_l, m) for a batch of m examples (m = 1 for one column).

For a batch, L is the *mean* loss, so ∂L/∂a[L] already carries the 1/m (see
bpkit.losses) and the equations below are exactly the seed's: Equation 3
becomes a matrix product that sums over the batch, Equation 4 a sum over columns.

    function         equation           formula
    forward_step     forward pass       z = W a[l-1] + b,  a = σ(z)
    output_error     Equation 1 (BP1)   δ[L] = ∂L/∂a[L] ⊙ σ′(z[L])
    backprop_error   Equation 2 (BP2)   δ[l] = (W[l+1]ᵀ δ[l+1]) ⊙ σ′(z[l])
    weight_gradient  Equation 3 (BP3)   ∂L/∂W[l] = δ[l] a[l-1]ᵀ
    bias_gradient    Equation 4 (BP4)   ∂L/∂b[l] = Σ_j δ[l][:, j]
    sgd_update       gradient descent   θ ← θ − α ∂L/∂θ

Each function's body is its formula, after one line that checks the arguments
(shapes, dtypes) and raises an error naming the array that is wrong. Every
function but sgd_update accepts an optional layer number, used only to name
the arrays in those messages (W[2] rather than W); sgd_update takes the
parameter's name ("W[2]") for the same purpose. Network.train runs the same
arithmetic through a faster private path; Network.backward calls these.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._validate import as_matrix, label, positive_number, same_shape
from .activations import Activation, get_activation

Array = np.ndarray


def forward_step(
    W: Array, a_prev: Array, b: Array, activation: str | Activation | Callable[[Array], Array] = "sigmoid",
    *, layer: int | None = None,
) -> tuple[Array, Array]:
    """One layer of the forward pass.

        z[l] = W[l] a[l-1] + b[l],    a[l] = σ(z[l])

    Args:
        W: the weights W[l], shape (n_l, n_{l-1}).
        a_prev: the previous layer's activations a[l-1], shape (n_{l-1}, m).
        b: the biases b[l], shape (n_l, 1), added to each of the m columns.
        activation: σ, given as a name ("sigmoid", "tanh", "relu", ...), an
            Activation, or any function z -> σ(z), such as np.tanh or your own
            sigmoid.
        layer: the layer number l, used only to name arrays in error messages.

    Returns:
        (z, a), both of shape (n_l, m).

    Example:
        >>> W = np.array([[1.0, -1.0]]); b = np.array([[0.5]])
        >>> forward_step(W, np.array([[2.0], [1.0]]), b, "relu")
        (array([[1.5]]), array([[1.5]]))
        >>> z, a = forward_step(W, np.array([[2.0], [1.0]]), b, np.tanh)
        >>> a.round(4)
        array([[0.9051]])
    """
    W, a_prev, b, sigma = _forward_step_args(W, a_prev, b, activation, layer)
    z = W @ a_prev + b
    return z, sigma(z)


def output_error(
    grad_a: Array, z: Array, activation: str | Activation = "sigmoid", *, layer: int | None = None,
) -> Array:
    """Equation 1 (BP1): the error at the output layer.

        δ[L] = ∂L/∂a[L] ⊙ σ′(z[L])

    For softmax, whose outputs are coupled, the element-wise product becomes
    the Jacobian-transpose product (see Activation.backward); with
    cross-entropy, bpkit.softmax_cross_entropy gives the simpler (ŷ − y)/m.

    Args:
        grad_a: ∂L/∂a[L], shape (n_L, m), e.g. from loss.gradient(a, y).
        z: z[L], shape (n_L, m).
        activation: the output activation σ (a name or an Activation).
        layer: the number L of the output layer, used only in error messages.

    Returns:
        δ[L], shape (n_L, m).

    Example:
        >>> output_error(np.array([[2.0]]), np.array([[0.0]]), "sigmoid")  # 2 · σ′(0)
        array([[0.5]])
    """
    grad_a, z, sigma = _output_error_args(grad_a, z, activation, layer)
    if sigma.elementwise:
        return grad_a * sigma.derivative(z)
    return sigma.backward(z, grad_a)  # softmax: the Jacobian-transpose product


def backprop_error(
    W_next: Array, delta_next: Array, z: Array, activation: str | Activation = "sigmoid",
    *, layer: int | None = None,
) -> Array:
    """Equation 2 (BP2): propagate the error one layer backward.

        δ[l] = (W[l+1]ᵀ δ[l+1]) ⊙ σ′(z[l])

    Args:
        W_next: W[l+1], shape (n_{l+1}, n_l).
        delta_next: δ[l+1], shape (n_{l+1}, m).
        z: z[l], shape (n_l, m).
        activation: the activation σ of layer l (a name or an Activation). For
            softmax, whose units are coupled, the element-wise product becomes
            the Jacobian-transpose product (see Activation.backward).
        layer: the number l of the layer whose error is computed, used only in error messages.

    Returns:
        δ[l], shape (n_l, m).

    Example:
        >>> W_next = np.array([[1.0, 2.0]])                 # n_{l+1} = 1, n_l = 2
        >>> backprop_error(W_next, np.array([[4.0]]), np.zeros((2, 1)), "sigmoid")
        array([[1.],
               [2.]])
    """
    W_next, delta_next, z, sigma = _backprop_error_args(W_next, delta_next, z, activation, layer)
    if sigma.elementwise:
        return (W_next.T @ delta_next) * sigma.derivative(z)
    return sigma.backward(z, W_next.T @ delta_next)  # softmax: the Jacobian-transpose product


def weight_gradient(delta: Array, a_prev: Array, *, layer: int | None = None) -> Array:
    """Equation 3 (BP3): the gradient of the loss with respect to W[l].

        ∂L/∂W[l] = δ[l] a[l-1]ᵀ

    With m columns this one matrix product sums the m per-example outer
    products; the 1/m of the mean loss is already inside δ.

    Args:
        delta: δ[l], shape (n_l, m).
        a_prev: a[l-1], shape (n_{l-1}, m).
        layer: the layer number l, used only in error messages.

    Returns:
        ∂L/∂W[l], shape (n_l, n_{l-1}): the shape of W[l].

    Example:
        >>> weight_gradient(np.array([[1.0], [2.0]]), np.array([[3.0], [4.0], [5.0]]))
        array([[ 3.,  4.,  5.],
               [ 6.,  8., 10.]])
    """
    delta, a_prev = _weight_gradient_args(delta, a_prev, layer)
    return delta @ a_prev.T


def bias_gradient(delta: Array, *, layer: int | None = None) -> Array:
    """Equation 4 (BP4): the gradient of the loss with respect to b[l].

        ∂L/∂b[l] = δ[l]  for one example,   Σ_j δ[l][:, j]  for a batch of m columns

    The bias is shared by every column, so its gradient sums the columns of δ
    (a sum, not a mean: the 1/m is already inside δ).

    Args:
        delta: δ[l], shape (n_l, m).
        layer: the layer number l, used only in error messages.

    Returns:
        ∂L/∂b[l], shape (n_l, 1): the shape of b[l].

    Example:
        >>> bias_gradient(np.array([[1.0, 2.0], [3.0, 4.0]]))
        array([[3.],
               [7.]])
    """
    delta = as_matrix(delta, "delta", layer)
    return np.sum(delta, axis=1, keepdims=True)


def sgd_update(param: Array, grad: Array, learning_rate: float, *, name: str = "param") -> Array:
    """The gradient-descent update of one parameter array.

        θ ← θ − α ∂L/∂θ

    Args:
        param: θ, for example W[l] (n_l, n_{l-1}) or b[l] (n_l, 1).
        grad: its gradient ∂L/∂θ, the same shape.
        learning_rate: α > 0.
        name: what param is called in error messages, e.g. "W[2]".

    Returns:
        The updated parameter, a new array: param and grad are not changed.

    Example:
        >>> sgd_update(np.array([[1.0, 2.0]]), np.array([[0.5, -0.5]]), learning_rate=0.1)
        array([[0.95, 2.05]])
    """
    param, grad, learning_rate = _sgd_update_args(param, grad, learning_rate, name)
    return param - learning_rate * grad


# --------------------------------------------------------------------------- the boundary checks
# Each returns its arguments as checked 2-D float arrays, or raises an error
# that names the array that is wrong, its shape and the shape it needs.


def _forward_step_args(W, a_prev, b, activation, layer):
    prev = layer - 1 if layer is not None else None
    a_name = label("a", prev) if layer is not None else "a_prev"
    W = as_matrix(W, "W", layer)
    a_prev = as_matrix(a_prev, a_name)
    b = as_matrix(b, "b", layer)
    if W.shape[1] != a_prev.shape[0]:
        raise ValueError(
            f"{label('W', layer)} has shape {W.shape} but {a_name} has {a_prev.shape[0]} rows; "
            f"W needs {a_prev.shape[0]} columns, one per unit of the previous layer"
        )
    if b.shape != (W.shape[0], 1):
        raise ValueError(
            f"{label('b', layer)} has shape {b.shape} but must be ({W.shape[0]}, 1), "
            f"one bias per row of {label('W', layer)}"
        )
    return W, a_prev, b, _sigma(activation)


def _sigma(activation) -> Callable[[Array], Array]:
    """The function z -> σ(z) for an activation given by name, as an Activation, or as a function."""
    if callable(activation) and not isinstance(activation, Activation):
        return activation
    return get_activation(activation).forward


def _output_error_args(grad_a, z, activation, layer):
    sigma = get_activation(activation)
    grad_a = as_matrix(grad_a, "dL/da", layer)
    z = as_matrix(z, "z", layer)
    if grad_a.shape != z.shape:
        same_shape(grad_a, label("dL/da", layer), z, label("z", layer))
    return grad_a, z, sigma


def _backprop_error_args(W_next, delta_next, z, activation, layer):
    sigma = get_activation(activation)
    nxt = layer + 1 if layer is not None else None
    w_name = label("W", nxt) if layer is not None else "W_next"
    d_name = label("delta", nxt) if layer is not None else "delta_next"
    W_next = as_matrix(W_next, w_name)
    delta_next = as_matrix(delta_next, d_name)
    z = as_matrix(z, "z", layer)
    if W_next.shape[0] != delta_next.shape[0]:
        raise ValueError(
            f"{w_name} has shape {W_next.shape} but {d_name} has {delta_next.shape[0]} rows; "
            f"they must both have n_{{l+1}} = {W_next.shape[0]} rows"
        )
    if z.shape != (W_next.shape[1], delta_next.shape[1]):
        raise ValueError(
            f"{label('z', layer)} has shape {z.shape} but must be "
            f"({W_next.shape[1]}, {delta_next.shape[1]}): {w_name} has {W_next.shape[1]} columns "
            f"and {d_name} has {delta_next.shape[1]} examples"
        )
    return W_next, delta_next, z, sigma


def _weight_gradient_args(delta, a_prev, layer):
    a_name = label("a", layer - 1) if layer is not None else "a_prev"
    delta = as_matrix(delta, "delta", layer)
    a_prev = as_matrix(a_prev, a_name)
    if delta.shape[1] != a_prev.shape[1]:
        raise ValueError(
            f"{label('delta', layer)} has shape {delta.shape} but {a_name} has shape {a_prev.shape}; "
            f"both need the same number of columns (examples)"
        )
    return delta, a_prev


def _sgd_update_args(param, grad, learning_rate, name):
    learning_rate = positive_number(learning_rate, "learning_rate")
    param = as_matrix(param, name)
    grad = as_matrix(grad, f"grad of {name}")
    if param.shape != grad.shape:
        same_shape(param, name, grad, f"grad of {name}")
    return param, grad, learning_rate
