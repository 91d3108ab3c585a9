"""Buggy answers, one per diagnosis the grader promises to recognise.

Each entry of :data:`BUGS` is ``(name, exercise id, buggy function, expected)``
where ``expected`` names the diagnosis the check must report: a diagnosis id
(``"not-finite"``, ``"mutated"``, ...), ``"shape:<cause>"`` for a wrong shape
with its likely cause, or ``"mistake:<id>"`` for a known mistake.
"""

from __future__ import annotations

import grader_solutions as ok
import numpy as np

sig = ok.sigmoid
sigp = ok.sigmoid_prime


def _forward(W, b, X):
    L = len(W) - 1
    a, z = [X], [None]
    for l in range(1, L + 1):
        z.append(W[l] @ a[l - 1] + b[l])
        a.append(sig(z[l]))
    return z, a


def make_backward(*, out="z", hidden="z", factor=1.0, mean=True, bias="sum", transpose=True,
                  dtype=None, tweak=None):
    """A backward pass with chosen mistakes (the bugs a student makes)."""

    def backward(W, b, X, Y):
        L = len(W) - 1
        m = X.shape[1]
        z, a = _forward(W, b, X)
        sp = {"z": lambda l: sigp(z[l]), "a": lambda l: sigp(a[l]), "none": lambda l: 1.0}
        delta = factor * (a[L] - Y) * sp[out](L)
        if mean:
            delta = delta / m
        dW, db = [None] * (L + 1), [None] * (L + 1)
        for l in range(L, 0, -1):
            dW[l] = delta @ a[l - 1].T
            db[l] = {"sum": lambda d: d.sum(axis=1, keepdims=True),
                     "mean": lambda d: d.mean(axis=1, keepdims=True),
                     "keep": lambda d: d}[bias](delta)
            if l > 1:
                Wl = W[l].T if transpose else W[l]
                delta = (Wl @ delta) * sp[hidden](l - 1)
        if dtype is not None:
            dW = [None] + [g.astype(dtype) for g in dW[1:]]
            db = [None] + [g.astype(dtype) for g in db[1:]]
        if tweak is not None:
            tweak(dW, db)
        return dW, db

    return backward


def _stub(*args, **kwargs):
    # YOUR CODE HERE
    raise NotImplementedError()


# --------------------------------------------------------------------------- the bugs

def sigmoid_name_error(z):
    s = 1 / (1 + np.exp(-z))
    return s + undefined_variable  # noqa: F821


def sigmoid_log(z):
    return np.log(z)


def sigmoid_list(z):
    return (1 / (1 + np.exp(-z))).tolist()


def sigmoid_none(z):
    s = 1 / (1 + np.exp(-z))  # noqa: F841 -- forgot to return it


def sigmoid_without_minus(z):
    return 1.0 / (1.0 + np.exp(z))


def sigmoid_off(z):
    s = 1 / (1 + np.exp(-z))
    s[0, 0] += 1e-6
    return s


def forward_step_only_a(W, a_prev, b, sigma):
    return sigma(W @ a_prev + b)


def forward_step_hard_coded(W, a_prev, b, sigma):
    z = W @ a_prev + b
    return z, 1 / (1 + np.exp(-z))


def forward_step_no_bias(W, a_prev, b, sigma):
    z = W @ a_prev
    return z, sigma(z)


def forward_step_transposed_W(W, a_prev, b, sigma):
    z = W.T @ a_prev + b
    return z, sigma(z)


def forward_step_swapped(W, a_prev, b, sigma):
    z = W @ a_prev + b
    return sigma(z), z


def forward_step_in_place(W, a_prev, b, sigma):
    a_prev *= 1.0
    a_prev += 0.0
    W += 1.0
    z = (W - 1.0) @ a_prev + b
    return z, sigma(z)


def numgrad_forward(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    fx = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        g[i] = (f(x) - fx) / h
        x[i] = old
    return g


def numgrad_ignores_h(f, x, h=1e-5):
    return ok.numerical_gradient(f, x, 1e-5)


def numgrad_by_h(f, x, h=1e-5):
    return 2 * ok.numerical_gradient(f, x, h)


def numgrad_not_restored(f, x, h=1e-5):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        g[i] = (fp - fm) / (2 * h)        # forgot x[i] = old
    return g


def numgrad_all_at_once(f, x, h=1e-5):
    return np.full(x.shape, (f(x + h) - f(x - h)) / (2 * h))


def sigmoid_prime_at_a(z):
    return z * (1 - z)


def tanh_prime_at_a(z):
    return 1 - z**2


def tanh_prime_no_square(z):
    return 1 - np.tanh(z)


def relu_prime_relu(z):
    return np.maximum(z, 0)


def relu_prime_ge(z):
    return (z >= 0).astype(float)


def mse_sigma_prime_missing(z_L, y):
    return (sig(z_L) - y) / z_L.shape[1]


def mse_sigma_prime_at_a(z_L, y):
    a = sig(z_L)
    return (a - y) * sigp(a) / z_L.shape[1]


def mse_half(z_L, y):
    a = sig(z_L)
    return 2 * (a - y) * a * (1 - a) / z_L.shape[1]


def bce_sign(z_L, y):
    return (y - sig(z_L)) / z_L.shape[1]


def bce_sigma_prime_extra(z_L, y):
    a = sig(z_L)
    return (a - y) * a * (1 - a) / z_L.shape[1]


def output_error_no_sigma_prime(grad_a, z_L, sigma_prime):
    return grad_a * 1.0


def output_error_transposed(grad_a, z_L, sigma_prime):
    return (grad_a * sigma_prime(z_L)).T


def backprop_W(W_next, delta_next, z, sigma_prime):
    return (W_next @ delta_next) * sigma_prime(z)


def backprop_W_reshaped(W_next, delta_next, z, sigma_prime):
    return (W_next.reshape(W_next.shape[1], W_next.shape[0]) @ delta_next) * sigma_prime(z)


def backprop_matmul_sigma_prime(W_next, delta_next, z, sigma_prime):
    return (W_next.T @ delta_next) @ sigma_prime(z)


def backprop_no_sigma_prime(W_next, delta_next, z, sigma_prime):
    return W_next.T @ delta_next


def backprop_1d(W_next, delta_next, z, sigma_prime):
    return (W_next.T @ delta_next).ravel() * sigma_prime(z).ravel()


def backprop_broadcast(W_next, delta_next, z, sigma_prime):
    return (W_next.T @ delta_next) * sigma_prime(z).ravel()


def backprop_mutates_z(W_next, delta_next, z, sigma_prime):
    z *= 1.5
    return (W_next.T @ delta_next) * sigma_prime(z / 1.5)


def backprop_nan(W_next, delta_next, z, sigma_prime):
    d = (W_next.T @ delta_next) * sigma_prime(z)
    d[-1, 0] = np.nan
    return d


def weight_gradient_transposed(delta, a_prev):
    return a_prev @ delta.T


def weight_gradient_transposed_reshaped(delta, a_prev):
    return (a_prev @ delta.T).reshape(delta.shape[0], a_prev.shape[0])


def weight_gradient_no_T(delta, a_prev):
    return delta @ a_prev


def bias_gradient_1d(delta):
    return np.sum(delta, axis=1)


def bias_gradient_number(delta):
    return np.sum(delta)


def bias_gradient_sign(delta):
    return -np.sum(delta, axis=1, keepdims=True)


def backward_lists_without_none(W, b, x, y):
    dW, db = ok.backward(W, b, x, y)
    return dW[1:], db[1:]


def sgd_in_place(W, b, dW, db, learning_rate):
    for l in range(1, len(W)):
        W[l] -= learning_rate * dW[l]
        b[l] -= learning_rate * db[l]
    return W, b


def sgd_replaces(W, b, dW, db, learning_rate):
    for l in range(1, len(W)):
        W[l] = W[l] - learning_rate * dW[l]
        b[l] = b[l] - learning_rate * db[l]
    return W, b


def sgd_sign(W, b, dW, db, learning_rate):
    return ([None] + [W[l] + learning_rate * dW[l] for l in range(1, len(W))],
            [None] + [b[l] + learning_rate * db[l] for l in range(1, len(b))])


def sgd_no_rate(W, b, dW, db, learning_rate):
    return ([None] + [W[l] - dW[l] for l in range(1, len(W))],
            [None] + [b[l] - db[l] for l in range(1, len(b))])


def sgd_bias_forgotten(W, b, dW, db, learning_rate):
    return ([None] + [W[l] - learning_rate * dW[l] for l in range(1, len(W))], list(b))


def _softmax(z, axis=0):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_sum(z_L, Y):
    return _softmax(z_L) - Y


def softmax_twice(z_L, Y):
    return (_softmax(z_L) - Y) / z_L.shape[1] ** 2


def softmax_wrong_axis(z_L, Y):
    return (_softmax(z_L, axis=1) - Y) / z_L.shape[1]


def softmax_sigma_prime(z_L, Y):
    p = _softmax(z_L)
    return (p - Y) * p * (1 - p) / z_L.shape[1]


def softmax_sign(z_L, Y):
    return (Y - _softmax(z_L)) / z_L.shape[1]


def _scale_first(dW, db):
    dW[1] = dW[1] * 1.0001


# --------------------------------------------------------------------------- lesson 10: init_weights

def _init(rule, *, dist="normal", seeded=True, fixed_seed=None, bias=0.0, transpose=False, mean=0.0):
    """An init_weights with chosen mistakes: rule(n_in, n_out, activation) -> the variance used."""

    def init_weights(sizes, activation, seed):
        rng = np.random.default_rng(fixed_seed if fixed_seed is not None else seed) if seeded else None
        W, b = [None], [None]
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
            var = rule(n_in, n_out, activation)
            shape = (n_in, n_out) if transpose else (n_out, n_in)
            if not seeded:
                w = np.random.randn(*shape) * np.sqrt(var)
            elif dist == "uniform":
                a = np.sqrt(3 * var)
                w = rng.uniform(-a, a, shape)
            else:
                w = rng.normal(0.0, np.sqrt(var), shape)
            W.append(w + mean)
            b.append(np.full((n_out, 1), bias))
        return W, b

    return init_weights


def _right(n_in, n_out, activation):
    return 2.0 / n_in if activation == "relu" else 2.0 / (n_in + n_out)


def init_zeros(sizes, activation, seed):
    W = [None] + [np.zeros((o, i)) for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
    b = [None] + [np.zeros((o, 1)) for o in sizes[1:]]
    return W, b


def init_rand(sizes, activation, seed):
    rng = np.random.default_rng(seed)
    W = [None] + [rng.random((o, i)) for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
    b = [None] + [np.zeros((o, 1)) for o in sizes[1:]]
    return W, b


def init_variance_as_std(sizes, activation, seed):
    rng = np.random.default_rng(seed)
    W, b = [None], [None]
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        W.append(rng.normal(0.0, _right(n_in, n_out, activation), (n_out, n_in)))    # scale is the std!
        b.append(np.zeros((n_out, 1)))
    return W, b


def init_b_1d(sizes, activation, seed):
    W, b = ok.init_weights(sizes, activation, seed)
    return W, [None] + [v.ravel() for v in b[1:]]


# --------------------------------------------------------------------------- lesson 11: backward_fixed

def _fixed_forward(W, b, X):
    L = len(W) - 1
    a, z = [X], [None]
    for l in range(1, L + 1):
        z.append(W[l] @ a[l - 1] + b[l])
        a.append(sig(z[l]) if l == L else np.tanh(z[l]))
    return z, a


def make_backward_fixed(*, transpose=True, tanh_prime="a", bias="sum", out_prime="sigmoid", mean=True,
                        forward_sigmoid=False):
    """Lesson 11's backward pass with chosen bugs (the lesson plants the first three)."""

    def backward_fixed(W, b, X, Y):
        L = len(W) - 1
        m = X.shape[1]
        if forward_sigmoid:
            z, a = _forward(W, b, X)
        else:
            z, a = _fixed_forward(W, b, X)
        out = {"sigmoid": a[L] * (1 - a[L]), "tanh": 1 - a[L] ** 2}[out_prime]
        delta = (a[L] - Y) * out
        if mean:
            delta = delta / m
        dW, db = [None] * (L + 1), [None] * (L + 1)
        for l in range(L, 0, -1):
            dW[l] = delta @ a[l - 1].T
            db[l] = delta.mean(axis=1, keepdims=True) if bias == "mean" else delta.sum(axis=1, keepdims=True)
            if l > 1:
                hp = {"a": 1 - a[l - 1] ** 2, "z": 1 - z[l - 1] ** 2, "sigmoid": a[l - 1] * (1 - a[l - 1]),
                      "sigmoid-z": ok.sigmoid(z[l - 1]) * (1 - ok.sigmoid(z[l - 1]))}
                Wl = W[l].T if transpose else W[l]
                delta = (Wl @ delta) * hp[tanh_prime]
        return dW, db

    return backward_fixed


def backward_fixed_wrong_layer(W, b, X, Y):
    L = len(W) - 1
    z, a = _fixed_forward(W, b, X)
    delta = (a[L] - Y) * a[L] * (1 - a[L]) / X.shape[1]
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        dW[l] = delta @ a[l - 1].T
        db[l] = delta.sum(axis=1, keepdims=True)
        if l > 1:
            delta = (W[l - 1].T @ delta) * (1 - a[l - 1] ** 2)     # the layer below's weights
    return dW, db


# --------------------------------------------------------------------------- lesson 12: op backward

def _ops(**changes):
    fns = dict(ok.OP_BACKWARD)
    fns.update(changes)
    return fns


def mul_swapped(x, y, grad):
    return grad * x, grad * y


def mul_no_grad(x, y, grad):
    return y, x


def tanh_at_x(x, grad):
    return grad * (1 - x ** 2)


def pow_not_lowered(x, n, grad):
    return grad * n * x ** n


def exp_sign(x, grad):
    return -grad * np.exp(x)


def add_single(x, y, grad):
    return grad


def tanh_in_place(x, grad):
    grad *= 1 - np.tanh(x) ** 2
    return grad


BUGS = [
    # diagnosis 1: not attempted
    *[(f"stub-{ex}", ex, dict.fromkeys(ok.OP_BACKWARD, _stub) if ex == "op-backward" else _stub,
       "not-attempted") for ex in ok.SOLUTIONS],
    # 2: raised an error, with the student's line
    ("name-error", "sigmoid", sigmoid_name_error, "exception"),
    ("W-for-WT-crash", "backprop-error", backprop_W, "mistake:w-not-transposed"),
    ("W-for-WT-crash-backward", "backward", make_backward(transpose=False), "mistake:w-not-transposed"),
    ("matmul-for-hadamard", "backprop-error", backprop_matmul_sigma_prime, "mistake:matmul-for-hadamard"),
    ("no-T-crash", "weight-gradient", weight_gradient_no_T, "mistake:a-not-transposed"),
    ("W.T-forward", "forward-step", forward_step_transposed_W, "mistake:matmul-order"),
    # 3: None / not an array
    ("none", "sigmoid", sigmoid_none, "not-an-array"),
    ("list", "sigmoid", sigmoid_list, "not-an-array"),
    ("only-a", "forward-step", forward_step_only_a, "not-an-array"),
    ("lists-without-none", "backward", backward_lists_without_none, "not-an-array"),
    # 4: NaN / inf
    ("log-nan", "sigmoid", sigmoid_log, "not-finite"),
    ("nan-entry", "backprop-error", backprop_nan, "not-finite"),
    # 5: shape, with cause
    ("transposed", "weight-gradient", weight_gradient_transposed, "shape:transposed"),
    ("transposed-delta", "output-error", output_error_transposed, "shape:transposed"),
    ("batch-axis-kept", "backward-batch", make_backward(bias="keep"), "shape:batch-axis-kept"),
    ("1-d", "bias-gradient", bias_gradient_1d, "shape:1-d"),
    ("1-d-delta", "backprop-error", backprop_1d, "shape:1-d"),
    ("number", "bias-gradient", bias_gradient_number, "shape:single-number"),
    ("broadcast", "backprop-error", backprop_broadcast, "shape:broadcast"),
    # 6: inputs changed
    ("mutates-z", "backprop-error", backprop_mutates_z, "mutated"),
    ("forward-in-place", "forward-step", forward_step_in_place, "mutated"),
    ("sgd-in-place", "update-parameters", sgd_in_place, "mutated"),
    ("sgd-replaces", "update-parameters", sgd_replaces, "mutated"),
    ("x-not-restored", "numerical-gradient", numgrad_not_restored, "mutated"),
    # 7: known mistakes
    ("sigma-prime-missing-eq2", "backprop-error", backprop_no_sigma_prime, "mistake:sigma-prime-missing"),
    ("sigma-prime-missing-mse", "output-error-mse", mse_sigma_prime_missing, "mistake:sigma-prime-missing"),
    ("sigma-prime-missing-eq1", "output-error", output_error_no_sigma_prime, "mistake:sigma-prime-missing"),
    ("sigma-prime-missing-backward", "backward", make_backward(out="none", hidden="none"),
     "mistake:sigma-prime-missing"),
    ("sigma-prime-missing-hidden", "backward-batch", make_backward(hidden="none"),
     "mistake:sigma-prime-missing"),
    ("sigma-prime-at-a-mse", "output-error-mse", mse_sigma_prime_at_a, "mistake:sigma-prime-at-a"),
    ("sigma-prime-at-a-backward", "backward", make_backward(out="a", hidden="a"), "mistake:sigma-prime-at-a"),
    ("sigma-prime-at-a-hidden", "backward-batch", make_backward(hidden="a"), "mistake:sigma-prime-at-a"),
    ("sigmoid-prime-formula-at-z", "sigmoid-prime", sigmoid_prime_at_a, "mistake:formula-at-z"),
    ("tanh-prime-formula-at-z", "tanh-prime", tanh_prime_at_a, "mistake:formula-at-z"),
    ("tanh-prime-no-square", "tanh-prime", tanh_prime_no_square, "mistake:square-missing"),
    ("relu-prime-relu", "relu-prime", relu_prime_relu, "mistake:sigma-instead"),
    ("W-reshaped", "backprop-error", backprop_W_reshaped, "mistake:w-not-transposed"),
    ("transposed-result", "weight-gradient", weight_gradient_transposed_reshaped,
     "mistake:transposed-result"),
    ("sum-not-mean", "backward-batch", make_backward(mean=False), "mistake:sum-not-mean"),
    ("sum-not-mean-softmax", "softmax-output-error", softmax_sum, "mistake:sum-not-mean"),
    ("mean-twice-bias", "backward-batch", make_backward(bias="mean"), "mistake:mean-twice"),
    ("mean-twice-softmax", "softmax-output-error", softmax_twice, "mistake:mean-twice"),
    ("sign-bce", "output-error-bce", bce_sign, "mistake:sign"),
    ("sign-softmax", "softmax-output-error", softmax_sign, "mistake:sign"),
    ("sign-sgd", "update-parameters", sgd_sign, "mistake:sign"),
    ("sign-bias", "bias-gradient", bias_gradient_sign, "mistake:sign"),
    ("mse-half", "output-error-mse", mse_half, "mistake:mse-half"),
    ("mse-half-backward", "backward", make_backward(factor=2.0), "mistake:mse-half"),
    ("two-mistakes", "backward-batch", make_backward(factor=2.0, hidden="none"), "mistake:mse-half"),
    ("exponent-sign", "sigmoid", sigmoid_without_minus, "mistake:exponent-sign"),
    ("hard-coded-sigmoid", "forward-step", forward_step_hard_coded, "mistake:hard-coded-sigmoid"),
    ("missing-bias", "forward-step", forward_step_no_bias, "mistake:missing-bias"),
    ("swapped", "forward-step", forward_step_swapped, "mistake:swapped"),
    ("forward-difference", "numerical-gradient", numgrad_forward, "mistake:forward-difference"),
    ("ignores-h", "numerical-gradient", numgrad_ignores_h, "mistake:ignores-h"),
    ("divided-by-h", "numerical-gradient", numgrad_by_h, "mistake:divided-by-h"),
    ("all-entries", "numerical-gradient", numgrad_all_at_once, "mistake:all-entries"),
    ("bce-sigma-prime-extra", "output-error-bce", bce_sigma_prime_extra, "mistake:sigma-prime-extra"),
    ("softmax-sigma-prime", "softmax-output-error", softmax_sigma_prime, "mistake:sigma-prime-extra"),
    ("softmax-axis", "softmax-output-error", softmax_wrong_axis, "mistake:softmax-axis"),
    ("learning-rate-missing", "update-parameters", sgd_no_rate, "mistake:learning-rate-missing"),
    ("bias-not-updated", "update-parameters", sgd_bias_forgotten, "mistake:bias-not-updated"),
    # lessons 10-12
    ("init-transposed", "init-weights", _init(_right, transpose=True), "shape:transposed"),
    ("init-b-1d", "init-weights", init_b_1d, "shape:1-d"),
    ("init-zeros", "init-weights", init_zeros, "mistake:symmetry"),
    ("init-not-seeded", "init-weights", _init(_right, seeded=False), "mistake:not-seeded"),
    ("init-ignores-seed", "init-weights", _init(_right, fixed_seed=0), "mistake:ignores-seed"),
    ("init-normal-1", "init-weights", _init(lambda i, o, act: 1.0), "mistake:normal-1"),
    ("init-randn-unseeded", "init-weights", _init(lambda i, o, act: 1.0, seeded=False), "mistake:normal-1"),
    ("init-xavier-for-relu", "init-weights", _init(lambda i, o, act: 2.0 / (i + o)),
     "mistake:xavier-for-relu"),
    ("init-he-for-tanh", "init-weights", _init(lambda i, o, act: 2.0 / i), "mistake:he-for-tanh-sigmoid"),
    ("init-lecun", "init-weights", _init(lambda i, o, act: 1.0 / i), "mistake:lecun"),
    ("init-too-small", "init-weights", _init(lambda i, o, act: 1e-4), "mistake:too-small"),
    ("init-variance-as-std", "init-weights", init_variance_as_std, "mistake:variance-as-std"),
    ("init-uniform-limit", "init-weights", _init(lambda i, o, act: _right(i, o, act) / 3, dist="uniform"),
     "mistake:uniform-limit"),
    ("init-rand", "init-weights", init_rand, "mistake:not-centred"),
    ("init-bias", "init-weights", _init(_right, bias=0.1), "mistake:bias-not-zero"),
    ("init-shifted", "init-weights", _init(_right, mean=0.3), "mistake:not-centred"),
    ("fixed-lesson-11-bugs", "backward-fixed",
     make_backward_fixed(transpose=False, tanh_prime="z", bias="mean"), "mistake:w-not-transposed"),
    ("fixed-two-bugs-left", "backward-fixed", make_backward_fixed(tanh_prime="z", bias="mean"),
     "mistake:sigma-prime-at-a"),
    ("fixed-tanh-prime-z", "backward-fixed", make_backward_fixed(tanh_prime="z"), "mistake:sigma-prime-at-a"),
    ("fixed-db-mean", "backward-fixed", make_backward_fixed(bias="mean"), "mistake:mean-twice"),
    ("fixed-sigmoid-prime-hidden", "backward-fixed", make_backward_fixed(tanh_prime="sigmoid"),
     "mistake:wrong-activation"),
    ("fixed-sigmoid-network", "backward-fixed",
     make_backward_fixed(forward_sigmoid=True, tanh_prime="sigmoid"), "mistake:wrong-activation"),
    ("fixed-sum-not-mean", "backward-fixed", make_backward_fixed(mean=False), "mistake:sum-not-mean"),
    ("fixed-wrong-layer", "backward-fixed", backward_fixed_wrong_layer, "mistake:wrong-layer"),
    ("op-mul-swapped", "op-backward", _ops(mul=mul_swapped), "mistake:swapped-inputs"),
    ("op-mul-no-grad", "op-backward", _ops(mul=mul_no_grad), "mistake:missing-grad"),
    ("op-tanh-at-x", "op-backward", _ops(tanh=tanh_at_x), "mistake:tanh-prime-at-x"),
    ("op-pow-not-lowered", "op-backward", _ops(pow=pow_not_lowered), "mistake:exponent-not-lowered"),
    ("op-exp-sign", "op-backward", _ops(exp=exp_sign), "mistake:sign"),
    ("op-add-single", "op-backward", _ops(add=add_single), "not-an-array"),
    ("op-tanh-in-place", "op-backward", _ops(tanh=tanh_in_place), "mutated"),
    ("op-missing", "op-backward", {k: v for k, v in ok.OP_BACKWARD.items() if k != "exp"}, "not-attempted"),
    # 8: float32 passes with a note
    ("float32", "backward-batch", make_backward(dtype=np.float32), "float32"),
    # 9: otherwise, where it differs
    ("off-by-1e-4", "backward", make_backward(tweak=_scale_first), "mismatch"),
    ("tiny-offset", "sigmoid", sigmoid_off, "mismatch"),
]


# --------------------------------------------------------------------------- issue 10's list

def sigmoid_prime_of_sigma(z):                  # lesson 02's classic: sigma'(sigma(z))
    a = ok.sigmoid(z)
    return ok.sigmoid_prime(a)


def sigmoid_exp_over(z):                        # e^-z / (1 + e^-z): the numerator is wrong
    return np.exp(-z) / (1 + np.exp(-z))


def relu_prime_ratio(z):                        # z / |z| is 0/0 at z = 0
    return np.maximum(z / np.abs(z), 0)


def numgrad_in_place_int(f, x, h=1e-5):         # steps an integer x in place
    g = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        g[i] = (fp - fm) / (2 * h)
    return g


def mse_no_mean(z_L, y):
    a = ok.sigmoid(z_L)
    return (a - y) * a * (1 - a)


def mse_mean_twice(z_L, y):
    return ok.output_error_mse(z_L, y) / z_L.shape[1]


def mse_np_mean(z_L, y):
    a = ok.sigmoid(z_L)
    return np.mean((a - y) * a * (1 - a), axis=1, keepdims=True)


def mse_by_rows(z_L, y):
    a = ok.sigmoid(z_L)
    return (a - y) * a * (1 - a) / z_L.shape[0]


def bce_no_mean(z_L, y):
    return ok.sigmoid(z_L) - y


def bce_z_for_a(z_L, y):
    return (z_L - y) / z_L.shape[1]


def bias_unsummed(delta):
    return delta


def bias_np_mean(delta):
    return np.mean(delta, axis=1, keepdims=True)


def bias_axis_0(delta):
    return np.sum(delta, axis=0, keepdims=True)


def bias_first_column(delta):
    return delta[:, :1]


def weight_outer(delta, a_prev):
    return np.outer(delta, a_prev)


def weight_star(delta, a_prev):
    return delta * a_prev.T


def weight_over_m(delta, a_prev):
    return delta @ a_prev.T / delta.shape[1]


def weight_first_column(delta, a_prev):
    return delta[:, :1] @ a_prev[:, :1].T


def backprop_over_m(W_next, delta_next, z, sigma_prime):
    return ok.backprop_error(W_next, delta_next, z, sigma_prime) / z.shape[1]


def backprop_sigma_prime_of_back(W_next, delta_next, z, sigma_prime):
    back = W_next.T @ delta_next
    return back * sigma_prime(back)


def output_error_over_m(grad_a, z_L, sigma_prime):
    return grad_a * sigma_prime(z_L) / z_L.shape[1]


def forward_step_first_column(W, a_prev, b, sigma):
    z = np.repeat(W @ a_prev[:, :1] + b, a_prev.shape[1], axis=1)
    return z, sigma(z)


def softmax_no_shift(z_L, Y):
    e = np.exp(z_L)
    return (e / e.sum(axis=0, keepdims=True) - Y) / z_L.shape[1]


def backward_five_sevenths(W, b, X, Y):
    dW, db = ok.backward_batch(W, b, X, Y)
    return [None] + [g * 5 / 7 for g in dW[1:]], [None] + [g * 5 / 7 for g in db[1:]]


def backward_no_bias(W, b, X, Y):
    return ok.backward_batch(W, [None] + [np.zeros_like(v) for v in b[1:]], X, Y)


def backward_a_l_everywhere(W, b, X, Y):            # a[l] for a[l-1] in every layer
    L = len(W) - 1
    z, a = _forward(W, b, X)
    delta = (a[L] - Y) * sigp(z[L]) / X.shape[1]
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        dW[l] = delta @ a[l].T
        db[l] = delta.sum(axis=1, keepdims=True)
        if l > 1:
            delta = (W[l].T @ delta) * sigp(z[l - 1])
    return dW, db


BUGS_ISSUE_10 = [
    ("sigma-prime-of-sigma", "sigmoid-prime", sigmoid_prime_of_sigma, "mistake:sigma-prime-at-a"),
    ("exp-over-one-plus-exp", "sigmoid", sigmoid_exp_over, "mistake:exponent-sign"),
    ("relu-ratio-nan", "relu-prime", relu_prime_ratio, "not-finite"),
    ("relu-prime-one-at-zero", "relu-prime", relu_prime_ge, "mistake:one-at-zero"),
    ("numgrad-integer", "numerical-gradient", numgrad_in_place_int, "mistake:integer-input"),
    ("mse-no-1/m", "output-error-mse", mse_no_mean, "mistake:sum-not-mean"),
    ("mse-1/m-twice", "output-error-mse", mse_mean_twice, "mistake:mean-twice"),
    ("mse-np-mean", "output-error-mse", mse_np_mean, "shape:batch-axis-lost"),
    ("mse-by-rows", "output-error-mse", mse_by_rows, "mistake:wrong-m"),
    ("bce-no-1/m", "output-error-bce", bce_no_mean, "mistake:sum-not-mean"),
    ("bce-z-for-a", "output-error-bce", bce_z_for_a, "mistake:z-for-a"),
    ("db-unsummed", "bias-gradient", bias_unsummed, "shape:batch-axis-kept"),
    ("db-np-mean", "bias-gradient", bias_np_mean, "mistake:mean-twice"),
    ("db-axis-0", "bias-gradient", bias_axis_0, "shape:wrong-axis"),
    ("db-first-column", "bias-gradient", bias_first_column, "mistake:first-column-only"),
    ("dW-np-outer", "weight-gradient", weight_outer, "shape:outer-flattens"),
    ("dW-star", "weight-gradient", weight_star, "mistake:hadamard-for-matmul"),
    ("dW-over-m", "weight-gradient", weight_over_m, "mistake:mean-twice"),
    ("dW-first-column", "weight-gradient", weight_first_column, "mistake:first-column-only"),
    ("backprop-over-m", "backprop-error", backprop_over_m, "mistake:mean-twice"),
    ("backprop-sigma-prime-at-back", "backprop-error", backprop_sigma_prime_of_back,
     "mistake:sigma-prime-at-a"),
    ("output-error-over-m", "output-error", output_error_over_m, "mistake:mean-twice"),
    ("forward-first-column", "forward-step", forward_step_first_column, "mistake:first-column-only"),
    ("softmax-no-shift", "softmax-output-error", softmax_no_shift, "not-finite"),
    ("backward-5/7", "backward-batch", backward_five_sevenths, "mistake:constant-multiple"),
    ("backward-no-bias", "backward-batch", backward_no_bias, "mistake:missing-bias"),
    ("backward-a-l", "backward-batch", backward_a_l_everywhere, "shape:wrong-layer"),
    ("dW-over-m-backward", "backward-batch", make_backward(tweak=lambda dW, db: dW.__setitem__(
        slice(1, None), [g / 3 for g in dW[1:]])), "mistake:constant-multiple"),
    ("fixed-sigmoid-prime-at-z", "backward-fixed", make_backward_fixed(tanh_prime="sigmoid-z"),
     "mistake:wrong-activation"),
]

#: Bugs that are right for one example and must be named as batch-only.
BATCH_ONLY = ("mse-no-1/m", "mse-1/m-twice", "bce-no-1/m", "db-unsummed", "db-np-mean", "db-first-column",
              "dW-star", "dW-over-m", "dW-first-column", "backprop-over-m", "output-error-over-m",
              "forward-first-column")
BUGS += BUGS_ISSUE_10
