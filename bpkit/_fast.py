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

from . import activations as act
from .losses import sigmoid_bce, softmax_ce

Array = np.ndarray
# The ufunc reductions np.sum and np.max call, without their Python wrappers (~5 µs a call here).
_sum, _max = np.add.reduce, np.maximum.reduce


def classes(a_L: Array, tanh_output: bool) -> Array:
    """The predicted class of each column of a[L]: argmax, or a[L] > 0.5 (> 0 after tanh) for one unit."""
    if a_L.shape[0] == 1:
        return (a_L[0] > (0.0 if tanh_output else 0.5)).astype(np.int64)
    return a_L.argmax(axis=0)


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
    return _softmax_lse_into(z, out)[0]


def _softmax_lse_into(z: Array, out: Array) -> tuple[Array, Array]:
    """softmax(z) written into out, and log Σ_i exp(z_i) of each column (1, m), which the
    fused softmax + cross-entropy loss needs: both from one exp pass."""
    z_max = _max(z, axis=0, keepdims=True)
    np.subtract(z, z_max, out=out)
    np.exp(out, out=out)
    total = _sum(out, axis=0, keepdims=True)
    out /= total
    np.log(total, out=total)
    total += z_max
    return out, total


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


def _blas_for(dtype: np.dtype):
    """(gemm, gemv) of scipy's BLAS for float64 or float32. scipy is imported here, on the
    first training run, so that import bpkit (every grading worker does it) stays quick."""
    from scipy.linalg import blas

    return (blas.dgemm, blas.dgemv) if dtype == np.float64 else (blas.sgemm, blas.sgemv)


def _descend(W: Array, delta: Array, a_prev: Array, alpha: float, gemm) -> None:
    """W ← W − α δ a_prevᵀ in place, as one gemm with β = 1 on Wᵀ (W is C-ordered, so Wᵀ is Fortran).

    δ is C-ordered (so δᵀ is Fortran); a_prev is read as it is stored, without a copy.
    """
    if a_prev.flags.f_contiguous:
        gemm(-alpha, a_prev, delta.T, 1.0, W.T, 0, 0, 1)      # op(a) = a_prev
    else:
        gemm(-alpha, a_prev.T, delta.T, 1.0, W.T, 1, 0, 1)    # op(a) = (a_prevᵀ)ᵀ


# --------------------------------------------------------------------------- the training loop


class _Buffers:
    """The arrays one training step writes, for one batch width k."""

    def __init__(self, sizes: list[int], k: int, dtype: np.dtype) -> None:
        L = len(sizes) - 1
        self.z = [None] + [np.empty((n, k), dtype) for n in sizes[1:]]
        self.a = [None] + [np.empty((n, k), dtype) for n in sizes[1:]]
        self.e = [None] + [np.empty((n, k), dtype) for n in sizes[1:L]]   # W[l+1]ᵀ δ[l+1]
        self.delta = np.empty((sizes[-1], k), dtype)                        # δ[L]
        self.ones = np.ones(k, dtype)                                       # Σ_j δ[:, j] = δ · 1


class Trainer:
    """Minibatch SGD for one Network, with the tricks above; epoch() runs one epoch.

    X and Y are checked (n_0, m) and (n_L, m) arrays of net.dtype, labels the
    class of each column. The trainer updates net.W[l] and net.b[l] in place
    (Network.train hands it fresh C-ordered copies).
    """

    def __init__(self, net, X: Array, Y: Array, labels: Array, batch_size: int) -> None:
        for l in range(1, net.L + 1):
            for p in (net.W[l], net.b[l]):
                if not (type(p) is np.ndarray and p.dtype == net.dtype and p.flags.c_contiguous
                        and p.flags.writeable):
                    raise ValueError("the fast path needs C-ordered writeable W[l], b[l] of the net's dtype")
        self.net = net
        # Fortran order keeps each column (example) contiguous, so gathering a
        # shuffled minibatch copies whole columns rather than striding rows: for
        # Y (n_L, m) in C order, each of the n_L k entries would be a cache miss.
        self.X = np.asfortranarray(X)
        self.Y = np.asfortranarray(Y)
        self.labels = labels
        self.batch_size = batch_size
        self.forward_into = [None] + [_forward_into(net.activation(l)) for l in range(1, net.L + 1)]
        self.fused = net.logit_loss is softmax_ce or net.logit_loss is sigmoid_bce
        self.softmax_ce = net.logit_loss is softmax_ce
        self.tanh_output = net.output.name == "tanh"
        self.gemm, self.gemv = _blas_for(net.dtype)
        self.b_flat = [None] + [v.reshape(-1) for v in net.b[1:]]        # views of b[l], (n_l,)
        self._buffers: dict[int, _Buffers] = {}

    def epoch(self, order: Array, learning_rate: float) -> tuple[float, float]:
        """One epoch over the columns in order; returns (mean loss, accuracy) over its minibatches."""
        loss_sum = 0.0
        predicted = np.empty(order.shape[0], np.int64)
        n = self.batch_size
        for start in range(0, order.shape[0], n):
            loss_sum += self.step(order[start:start + n], learning_rate, predicted[start:start + n])
        m = max(order.shape[0], 1)
        return loss_sum / m, int(np.count_nonzero(predicted == self.labels[order])) / m

    def step(self, idx: Array, learning_rate: float, predicted: Array) -> float:
        """One SGD step on the columns idx: writes the class the forward pass predicts for each
        into predicted and returns the sum of the examples' losses."""
        net, W, L = self.net, self.net.W, self.net.L
        k = idx.shape[0]
        buf = self._buffers.get(k) or self._buffers.setdefault(k, _Buffers(net.sizes, k, net.dtype))
        a = [self.X[:, idx]] + [None] * L
        for l in range(1, L + 1):                                       # forward
            z = np.matmul(W[l], a[l - 1], out=buf.z[l])
            z += net.b[l]
            if l == L and self.softmax_ce:
                a[l], buf.lse = _softmax_lse_into(z, buf.a[l])
            else:
                a[l] = self.forward_into[l](z, buf.a[l])
        if a[L].shape[0] > 1:
            a[L].argmax(axis=0, out=predicted)
        else:
            predicted[:] = classes(a[L], self.tanh_output)
        loss, delta, scale = self._output(buf, a[L], self.Y[:, idx])      # Equation 1: δ[L] = scale · delta
        alpha = learning_rate * scale
        for l in range(L, 0, -1):
            if l > 1:
                e = np.matmul(W[l].T, delta, out=buf.e[l - 1])          # Equation 2, W[l] before its update
            _descend(W[l], delta, a[l - 1], alpha, self.gemm)           # Equation 3 + update
            self.gemv(-alpha, delta.T, buf.ones, 1.0, self.b_flat[l], 0, 1, 0, 1, 1, 1)  # Equation 4 + update
            if l > 1:
                delta = _times_sigma_prime(e, buf.z[l - 1], a[l - 1], net.hidden)
        return loss

    def _output(self, buf: _Buffers, a: Array, Y: Array) -> tuple[float, Array, float]:
        """(sum of the batch's losses, delta, scale) with δ[L] = scale · delta, from the forward pass.

        For the logit losses δ[L] = (a[L] − y)/m: delta is a[L] − y and the 1/m is
        left to the update (α/m), one pass fewer; the backward pass is linear in δ.
        """
        net, z = self.net, buf.z[self.net.L]
        k = z.shape[1]
        if self.fused:
            if self.softmax_ce:                            # Σ_j (log Σ_i exp(z_ij) − y_j · z_j)
                loss = float(buf.lse.sum() - np.vdot(Y, z))
            else:
                loss = float((np.logaddexp(0, z) - Y * z).sum())
            return loss, np.subtract(a, Y, out=buf.delta), 1.0 / k
        loss = net.loss_fn.value(a, Y) * k
        grad_a = net.loss_fn.gradient(a, Y)
        return loss, _times_sigma_prime(grad_a, z, a, net.output), 1.0
