"""Every speed trick of bpkit, in one private module: the training loop of Network.train.

The teaching code (bpkit.equations, Network.forward / backward / update) is
written as the formulas. This module runs the same arithmetic for minibatch
SGD with the tricks a training loop needs, and gives the same weights to
rounding (tests/test_speed_paths.py checks it for every activation and loss,
in float64 and float32):

* buffers: z[l], a[l] and the backward products are preallocated once per
  batch width and written in place (np.matmul(..., out=), in-place ufuncs);
* σ′ from the forward pass's output a = σ(z) (Activation.derivative_from_output:
  a(1 − a) for the sigmoid), instead of evaluating σ again;
* in-place forward activations for the built-in sigmoid, tanh, ReLU, leaky
  ReLU, identity and softmax (looked up by the Activation object);
* the fused output error: δ[L] = (a[L] − y)/m for softmax + cross-entropy and
  for sigmoid + binary cross-entropy (the network's logit_loss), the loss value
  taken from what the forward pass already has (log-sum-exp, softplus);
* the update folded into Equation 3: W[l] ← W[l] − α δ[l] a[l-1]ᵀ is one BLAS
  gemm with β = 1 (scipy.linalg.blas), so the gradient dW[l] never exists as
  an array and W[l] is not streamed through memory a second time. The order
  of the backward pass is kept: W[l]ᵀ δ[l] (Equation 2) uses W[l] before its update;
* the per-epoch History figures (mean minibatch loss and accuracy) from the
  forward pass, with no second pass over the data.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.linalg import blas

from . import activations as act
from .losses import sigmoid_bce, softmax_ce

Array = np.ndarray


def classes(a_L: Array, tanh_output: bool) -> Array:
    """The predicted class of each column of a[L]: argmax, or a[L] > 0.5 (> 0 after tanh) for one unit."""
    if a_L.shape[0] == 1:
        return (a_L[0] > (0.0 if tanh_output else 0.5)).astype(np.int64)
    return np.argmax(a_L, axis=0)


# --------------------------------------------------------------------------- in-place activations
# Each writes σ(z) into out (or returns z itself for the identity) and returns it.


def _sigmoid_into(z: Array, out: Array) -> Array:
    # 1/(1 + e^-z) in 4 passes. For very negative z, e^-z overflows to inf and
    # the result is exactly 0, σ(z) correctly rounded down to the subnormal range;
    # the overflow is expected and silenced (there is no 0/0 or inf/inf).
    with np.errstate(over="ignore"):
        np.negative(z, out=out)
        np.exp(out, out=out)
    out += 1.0
    return np.divide(1.0, out, out=out)


def _tanh_into(z: Array, out: Array) -> Array:
    return np.tanh(z, out=out)


def _relu_into(z: Array, out: Array) -> Array:
    return np.maximum(z, 0.0, out=out)


def _leaky_relu_into(z: Array, out: Array) -> Array:
    np.multiply(z, act.LEAKY_SLOPE, out=out)
    return np.maximum(z, out, out=out)        # z > 0.01 z exactly when z > 0


def _identity_into(z: Array, out: Array) -> Array:
    return z


def _softmax_into(z: Array, out: Array) -> Array:
    np.subtract(z, np.max(z, axis=0, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= np.sum(out, axis=0, keepdims=True)
    return out


_FORWARD_INTO: dict[act.Activation, Callable[[Array, Array], Array]] = {
    act.sigmoid: _sigmoid_into, act.tanh: _tanh_into, act.relu: _relu_into,
    act.leaky_relu: _leaky_relu_into, act.identity: _identity_into, act.softmax: _softmax_into,
}


def _forward_into(activation: act.Activation) -> Callable[[Array, Array], Array]:
    fast = _FORWARD_INTO.get(activation) if type(activation) is act.Activation else None
    return fast if fast is not None else (lambda z, out: activation.forward(z))


def _times_sigma_prime(e: Array, z: Array, a: Array, activation: act.Activation) -> Array:
    """e ⊙ σ′(z), written into e, with σ′ taken from a = σ(z) where the activation says how."""
    if activation is act.sigmoid:               # e ⊙ a (1 − a), without new arrays but one
        e *= a
        e *= 1.0 - a
        return e
    if not activation.elementwise:               # softmax: the Jacobian-transpose product
        return activation.backward(z, e)
    if activation.derivative_from_output is not None:
        e *= activation.derivative_from_output(a)
    else:
        e *= activation.derivative(z)
    return e


# --------------------------------------------------------------------------- the update as one gemm


def _gemm_for(dtype: np.dtype):
    return blas.dgemm if dtype == np.float64 else blas.sgemm


def _as_fortran_operand(x: Array) -> tuple[Array, int]:
    """(x, 0) if x is Fortran-ordered, else (x.T, 1): what BLAS reads without a copy."""
    return (x, 0) if x.flags.f_contiguous else (x.T, 1)


def _descend(W: Array, delta: Array, a_prev: Array, alpha: float, gemm) -> None:
    """W ← W − α δ a_prevᵀ in place, as one gemm with β = 1 on Wᵀ (W is C-ordered, so Wᵀ is Fortran)."""
    a, trans_a = _as_fortran_operand(a_prev)          # op(a) = a_prev, (n_{l-1}, m)
    b, trans_b = _as_fortran_operand(delta.T)         # op(b) = δᵀ, (m, n_l)
    result = gemm(-alpha, a, b, 1.0, W.T, trans_a, trans_b, 1)
    if not np.may_share_memory(result, W):   # BLAS had to work on a copy (never for Network.train's W)
        W[...] = result.T


# --------------------------------------------------------------------------- the training loop


class _Buffers:
    """The arrays one training step writes, for one batch width k."""

    def __init__(self, sizes: list[int], k: int, dtype: np.dtype) -> None:
        L = len(sizes) - 1
        self.z = [None] + [np.empty((n, k), dtype) for n in sizes[1:]]
        self.a = [None] + [np.empty((n, k), dtype) for n in sizes[1:]]
        self.e = [None] + [np.empty((n, k), dtype) for n in sizes[1:L]]   # W[l+1]ᵀ δ[l+1]


class Trainer:
    """Minibatch SGD for one Network, with the tricks above; epoch() runs one epoch.

    net.W[l] and net.b[l] must be C-ordered arrays of net.dtype that the
    trainer may update in place (Network.train makes them so); X and Y are
    checked (n_0, m) and (n_L, m) arrays, labels the class of each column.
    """

    def __init__(self, net, X: Array, Y: Array, labels: Array, batch_size: int) -> None:
        self.net = net
        # Fortran order keeps each column (example) contiguous, so gathering a
        # shuffled minibatch copies whole columns rather than striding rows.
        self.X = np.asfortranarray(X)
        self.Y = np.asfortranarray(Y)
        self.labels = labels
        self.batch_size = batch_size
        self.forward_into = [None] + [_forward_into(net.activation(l)) for l in range(1, net.L + 1)]
        self.fused = net.logit_loss in (softmax_ce, sigmoid_bce)
        self.gemm = _gemm_for(net.dtype)
        self._buffers: dict[int, _Buffers] = {}

    def epoch(self, order: Array, learning_rate: float) -> tuple[float, float]:
        """One epoch over the columns in order; returns (mean loss, accuracy) over its minibatches."""
        loss_sum, correct = 0.0, 0
        for start in range(0, order.shape[0], self.batch_size):
            batch_loss, batch_correct = self.step(order[start:start + self.batch_size], learning_rate)
            loss_sum += batch_loss
            correct += batch_correct
        m = max(order.shape[0], 1)
        return loss_sum / m, correct / m

    def step(self, idx: Array, learning_rate: float) -> tuple[float, int]:
        """One SGD step on the columns idx; returns (sum of the examples' losses, number correct)."""
        net, W, b = self.net, self.net.W, self.net.b
        k = idx.shape[0]
        buf = self._buffers.get(k) or self._buffers.setdefault(k, _Buffers(net.sizes, k, net.dtype))
        a = [self.X[:, idx]] + [None] * net.L
        Y = self.Y[:, idx]
        for l in range(1, net.L + 1):                                   # forward
            z = np.matmul(W[l], a[l - 1], out=buf.z[l])
            z += b[l]
            a[l] = self.forward_into[l](z, buf.a[l])
        loss, delta = self._output(buf.z[net.L], a[net.L], Y)            # Equation 1
        correct = int(np.count_nonzero(classes(a[net.L], net.output.name == "tanh") == self.labels[idx]))
        for l in range(net.L, 0, -1):
            if l > 1:
                e = np.matmul(W[l].T, delta, out=buf.e[l - 1])          # Equation 2, W[l] before its update
            _descend(W[l], delta, a[l - 1], learning_rate, self.gemm)   # Equation 3 + update
            b[l] -= learning_rate * np.sum(delta, axis=1, keepdims=True)  # Equation 4 + update
            if l > 1:
                delta = _times_sigma_prime(e, buf.z[l - 1], a[l - 1], net.hidden)
        return loss, correct

    def _output(self, z: Array, a: Array, Y: Array) -> tuple[float, Array]:
        """(sum of the batch's losses, δ[L]) from the forward pass's z[L] and a[L]."""
        net, k = self.net, z.shape[1]
        if self.fused:                                 # δ[L] = (a[L] − y)/m for both logit losses
            if net.logit_loss is softmax_ce:
                z_max = np.max(z, axis=0, keepdims=True)
                lse = z_max + np.log(np.sum(np.exp(z - z_max), axis=0, keepdims=True))
                loss = float(np.sum(lse) - np.sum(Y * z))
            else:
                loss = float(np.sum(np.logaddexp(0, z) - Y * z))
            delta = a - Y
            delta *= 1.0 / k
            return loss, delta
        loss = net.loss_fn.value(a, Y) * k
        grad_a = net.loss_fn.gradient(a, Y)
        return loss, _times_sigma_prime(grad_a, z, a, net.output)
