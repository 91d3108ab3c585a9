"""Correct answers to every exercise, written independently of bpkit (plain numpy).

Used by the grader tests and by ``bench/grader_speed.py``. Each function has
exactly the signature the lesson gives the student.
"""

from __future__ import annotations

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def forward_step(W, a_prev, b, sigma):
    z = W @ a_prev + b
    return z, sigma(z)


def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad


def sigmoid_prime(z):
    s = sigmoid(z)
    return s * (1 - s)


def tanh_prime(z):
    return 1 - np.tanh(z) ** 2


def relu_prime(z):
    return (z > 0).astype(float)


def output_error_mse(z_L, y):
    a = sigmoid(z_L)
    return (a - y) * a * (1 - a) / z_L.shape[1]


def output_error_bce(z_L, y):
    return (sigmoid(z_L) - y) / z_L.shape[1]


def output_error(grad_a, z_L, sigma_prime):
    return grad_a * sigma_prime(z_L)


def backprop_error(W_next, delta_next, z, sigma_prime):
    return (W_next.T @ delta_next) * sigma_prime(z)


def weight_gradient(delta, a_prev):
    return delta @ a_prev.T


def bias_gradient(delta):
    return np.sum(delta, axis=1, keepdims=True)


def backward_batch(W, b, X, Y):
    L = len(W) - 1
    m = X.shape[1]
    a, z = [X], [None]
    for l in range(1, L + 1):
        z.append(W[l] @ a[l - 1] + b[l])
        a.append(sigmoid(z[l]))
    delta = (a[L] - Y) * sigmoid_prime(z[L]) / m
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        dW[l] = delta @ a[l - 1].T
        db[l] = delta.sum(axis=1, keepdims=True)
        if l > 1:
            delta = (W[l].T @ delta) * sigmoid_prime(z[l - 1])
    return dW, db


def backward(W, b, x, y):
    return backward_batch(W, b, x, y)


def update_parameters(W, b, dW, db, learning_rate):
    W_new = [None] + [W[l] - learning_rate * dW[l] for l in range(1, len(W))]
    b_new = [None] + [b[l] - learning_rate * db[l] for l in range(1, len(b))]
    return W_new, b_new


def softmax_output_error(z_L, Y):
    e = np.exp(z_L - z_L.max(axis=0, keepdims=True))
    p = e / e.sum(axis=0, keepdims=True)
    return (p - Y) / z_L.shape[1]


def init_weights(sizes, method, seed):
    rng = np.random.default_rng(seed)
    W, b = [None], [None]
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        var = 2.0 / n_in if method == "he" else 2.0 / (n_in + n_out)
        W.append(rng.normal(0.0, np.sqrt(var), (n_out, n_in)))
        b.append(np.zeros((n_out, 1)))
    return W, b


def backward_fixed(W, b, X, Y):
    L = len(W) - 1
    m = X.shape[1]
    a, z = [X], [None]
    for l in range(1, L + 1):
        z.append(W[l] @ a[l - 1] + b[l])
        a.append(sigmoid(z[l]) if l == L else np.tanh(z[l]))
    delta = (a[L] - Y) * a[L] * (1 - a[L]) / m
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        dW[l] = delta @ a[l - 1].T
        db[l] = delta.sum(axis=1, keepdims=True)
        if l > 1:
            delta = (W[l].T @ delta) * (1 - a[l - 1] ** 2)
    return dW, db


def add_backward(x, y, grad):
    return grad, grad


def mul_backward(x, y, grad):
    return grad * y, grad * x


def tanh_backward(x, grad):
    return grad * (1 - np.tanh(x) ** 2)


def exp_backward(x, grad):
    return grad * np.exp(x)


def pow_backward(x, n, grad):
    return grad * n * x ** (n - 1)


#: lesson 12's check takes its functions in a dict
OP_BACKWARD = {"add": add_backward, "mul": mul_backward, "tanh": tanh_backward, "exp": exp_backward,
               "pow": pow_backward}

#: exercise id -> correct function
def train(X, Y, sizes, epochs, batch_size, learning_rate, seed, parts):
    """Lesson 13: minibatch SGD with the parts the check gives; the mean loss on all of X per epoch."""
    W, b = parts.init_weights(sizes, "xavier", seed)
    rng = np.random.default_rng(seed)
    m = X.shape[1]
    losses = []
    for _ in range(epochs):
        order = rng.permutation(m)
        for start in range(0, m, batch_size):
            idx = order[start:start + batch_size]
            dW, db = parts.backward_batch(W, b, X[:, idx], Y[:, idx])
            W, b = parts.update_parameters(W, b, dW, db, learning_rate)
        a = X
        for l in range(1, len(W)):
            _, a = parts.forward_step(W[l], a, b[l], parts.sigmoid)
        losses.append(0.5 * np.sum((a - Y) ** 2) / m)
    return W, b, losses


SOLUTIONS = {
    "sigmoid": sigmoid, "forward-step": forward_step, "numerical-gradient": numerical_gradient,
    "sigmoid-prime": sigmoid_prime, "tanh-prime": tanh_prime, "relu-prime": relu_prime,
    "output-error-mse": output_error_mse, "output-error-bce": output_error_bce,
    "output-error": output_error, "backprop-error": backprop_error,
    "weight-gradient": weight_gradient, "bias-gradient": bias_gradient, "backward": backward,
    "backward-batch": backward_batch, "update-parameters": update_parameters,
    "softmax-output-error": softmax_output_error,
    "init-weights": init_weights, "backward-fixed": backward_fixed, "op-backward": OP_BACKWARD,
    "train": train,
}
