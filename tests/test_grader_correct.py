"""Correct answers pass, over 1,000 seeds, for every exercise; the cases are what they promise.

Each seed draws one fresh case (so 1,000 seeds are 1,000 different cases)
and runs it through ``call`` and ``judge`` exactly as a check does.
"""

from __future__ import annotations

import grader_solutions as ok
import numpy as np
import pytest

from bpkit.grader import EXERCISES, check_relu_prime, hidden_seed, run_check
from bpkit.grader.cases import KINK_MARGIN, case_rng, near_kink
from bpkit.grader.exercises.base import ACTIVATION_CYCLE
from bpkit.grader.exercises.relu_prime import ZEROS

SEEDS = range(1000)
LESSON_EXERCISES = sorted(EXERCISES)


def one_case(ex, seed):
    """Case ``seed % n_cases`` of seed ``seed``: over many seeds, every kind of case (one column,
    batches, float32, integer, large logits) is drawn equally often."""
    i = seed % ex.n_cases
    return ex.build(case_rng(ex.id, seed, i), i, seed)


def test_every_lesson_exercise_has_a_check_and_a_solution():
    assert set(EXERCISES) == set(ok.SOLUTIONS)
    import bpkit.grader as grader

    for ex in EXERCISES.values():
        check = getattr(grader, ex.check_name)
        assert check.__doc__ and ex.function in check.__doc__


@pytest.mark.parametrize("exercise_id", LESSON_EXERCISES)
def test_correct_answer_passes_1000_seeds(exercise_id):
    ex = EXERCISES[exercise_id]
    fn = ok.SOLUTIONS[exercise_id]
    failures = []
    for seed in SEEDS:
        case = one_case(ex, seed)
        verdict = ex.judge(case, ex.call(fn, case))
        if not verdict.passed:
            failures.append((seed, verdict.diagnosis, verdict.lines))
    assert not failures, failures[:3]


@pytest.mark.parametrize("exercise_id", LESSON_EXERCISES)
def test_correct_answer_passes_the_default_check(exercise_id):
    result = run_check(exercise_id, ok.SOLUTIONS[exercise_id])
    assert result.passed and result.score == 1.0 and result.diagnosis == "passed"
    n = EXERCISES[exercise_id].n_cases
    assert str(result).startswith(f"check_{EXERCISES[exercise_id].function}: PASSED -- {n} of {n}")


def _relu_seeds(exercise_id):
    """Seeds whose first case uses ReLU (activations cycle with index + seed)."""
    k = ACTIVATION_CYCLE.index("relu")
    return [s for s in range(3 * len(SEEDS)) if s % 3 == k][: len(SEEDS)]


@pytest.mark.parametrize("exercise_id, name, output", [
    ("relu-prime", "z", "relu_prime(z)"),
    ("output-error", "z_L", "delta"),
    ("backprop-error", "z", "delta"),
])
def test_relu_data_near_the_kink_is_handled(exercise_id, name, output):
    """Units at 0 or within a step of the kink: correct code still passes; the crossing is detected."""
    ex = EXERCISES[exercise_id]
    seeds = list(SEEDS) if exercise_id == "relu-prime" else _relu_seeds(exercise_id)
    crossed = 0
    for seed in seeds:
        case = ex.make_cases(seed, 1)[0]
        assert ex.id == "relu-prime" or case.meta["activation"] == "relu"
        case = near_kink(case, name, np.random.default_rng(seed), count=3)
        for fn in [ok.SOLUTIONS[exercise_id]]:
            verdict = ex.judge(case, ex.call(fn, case))
            assert verdict.passed, (seed, verdict.lines)
        crossed += ex.truth(case)[output].kinks
    assert crossed >= 2 * len(seeds)          # nearly every near-kink unit was seen crossing


def test_a_wrong_slope_near_the_kink_still_fails():
    def shifted(z):
        return (z > 0.5).astype(float)

    assert not check_relu_prime(shifted).passed


def test_cases_keep_relu_inputs_away_from_the_kink():
    for exercise_id, name in (("relu-prime", "z"), ("output-error", "z_L"), ("backprop-error", "z")):
        ex = EXERCISES[exercise_id]
        for seed in range(200):
            for case in ex.make_cases(seed, 3):
                z = np.abs(case.arrays[name])
                if ex.id == "relu-prime":            # the stated value at the kink, exactly 0
                    assert np.sum(z == 0) == ZEROS and np.min(z[z != 0]) >= KINK_MARGIN
                elif case.meta["activation"] == "relu":
                    assert np.min(z) >= KINK_MARGIN


# Lesson 13's answers are a trained network (a 2-class output layer has width 1) and one loss per
# epoch; its cases' promises are tested in test_capstone.py (test_cases_keep_their_promises).
@pytest.mark.parametrize("exercise_id", [e for e in LESSON_EXERCISES if e != "train"])
def test_cases_have_distinct_non_square_shapes(exercise_id):
    ex = EXERCISES[exercise_id]
    for seed in range(200):
        for case in ex.make_cases(seed, 3):
            for spec in ex.outputs(case):
                shape = tuple(spec.shape)
                assert len(shape) == 2 and shape[0] != shape[1], (case.description, spec.name)
                assert shape[0] >= 2
            if exercise_id == "backprop-error":
                n_next, n_l = case.arrays["W_next"].shape
                assert n_next != n_l
            if "sizes" in case.meta:
                sizes = case.meta["sizes"]
                assert len(set(sizes)) == len(sizes)
                m = case.meta.get("m", 1)
                assert m == 1 or (m not in sizes and m > 2)
            for name, arr in case.arrays.items():
                assert arr.dtype == np.float64, name


@pytest.mark.parametrize("exercise_id", LESSON_EXERCISES)
def test_cases_are_reproducible_and_seeds_differ(exercise_id):
    ex = EXERCISES[exercise_id]
    a, b = ex.make_cases(7, 3), ex.make_cases(7, 3)
    for x, y in zip(a, b, strict=True):
        assert x.description == y.description and x.meta == y.meta
        for name in x.arrays:
            np.testing.assert_array_equal(x.arrays[name], y.arrays[name])
    # the first cases of a larger set are the smaller set
    more = ex.make_cases(7, 5)
    for x, y in zip(a, more, strict=False):
        for name in x.arrays:
            np.testing.assert_array_equal(x.arrays[name], y.arrays[name])
    # a hidden seed draws other cases
    hidden = ex.make_cases(hidden_seed("instructor secret"), 3)
    assert any(
        h.arrays[k].shape != x.arrays[k].shape or not np.array_equal(h.arrays[k], x.arrays[k])
        for h, x in zip(hidden, a, strict=True) for k in x.arrays
    )


BATCHED = ("X", "delta", "z_L", "a_prev", "delta_next", "grad_a")


def _stub_promises_batch(ex):
    """Whether the exercise's stub in solutions/ says (n, m) (or (n_0, m)) for an input."""
    import json
    import re
    from pathlib import Path

    for path in sorted(Path(__file__).parents[1].joinpath("solutions").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if f"exercise:{ex.id}" in cell.get("metadata", {}).get("tags", []):
                source = "".join(cell["source"])
                return re.search(r"\(n_\{?\w+\}?, m\)|\(n_L, m\)|\(n_0, m\)", source) is not None
    return False


@pytest.mark.parametrize("exercise_id", LESSON_EXERCISES)
def test_an_exercise_whose_stub_promises_a_batch_has_batch_cases(exercise_id):
    """Public and hidden cases alike include batches (m >= 2, m unequal to every width)."""
    ex = EXERCISES[exercise_id]
    promised = _stub_promises_batch(ex)
    assert promised == ex.promises_batch, (ex.id, promised)
    if not promised:
        return
    for seed in (0, 1, hidden_seed("instructor secret")):
        ms = []
        for case in ex.make_cases(seed):
            widths = {d for n, a in case.arrays.items() for d in a.shape} - {
                a.shape[1] for n, a in case.arrays.items() if n in BATCHED}
            m = {a.shape[1] for n, a in case.arrays.items() if n in BATCHED}
            assert len(m) == 1, case.description
            ms.append(m.pop())
            if ms[-1] > 1:
                assert ms[-1] not in widths and ms[-1] not in case.meta.get("sizes", []), case.description
        assert max(ms) >= 2, (ex.id, seed, ms)


# --------------------------------------------------------------------------- other correct answers

def _sigmoid_tanh(z):
    return 0.5 * (1 + np.tanh(z / 2))


def _sigmoid_exp(z):
    e = np.exp(z)
    return e / (1 + e)


def _sigmoid_prime_exp(z):
    e = np.exp(-z)
    return e / (1 + e) ** 2


def _tanh_prime_cosh(z):
    return 1 / np.cosh(z) ** 2


def _relu_prime_where(z):
    return np.where(z > 0, 1, 0)           # integers are fine


def _relu_prime_bool(z):
    return z > 0                           # so are booleans


def _weight_gradient_loop(delta, a_prev):
    out = np.zeros((delta.shape[0], a_prev.shape[0]))
    for j in range(delta.shape[1]):
        out += np.outer(delta[:, j], a_prev[:, j])
    return out


def _weight_gradient_einsum(delta, a_prev):
    return np.einsum("im,jm->ij", delta, a_prev)


def _backprop_error_dot(W_next, delta_next, z, sigma_prime):
    return np.multiply(np.dot(W_next.T, delta_next), sigma_prime(z))


def _softmax_loop(z_L, Y):
    out = np.zeros_like(z_L)
    for j in range(z_L.shape[1]):
        col = z_L[:, j] - z_L[:, j].max()
        e = np.exp(col)
        out[:, j] = (e / e.sum() - Y[:, j]) / z_L.shape[1]
    return out


def _softmax_logsumexp(z_L, Y):
    lse = z_L.max(axis=0) + np.log(np.exp(z_L - z_L.max(axis=0)).sum(axis=0))
    return (np.exp(z_L - lse) - Y) / z_L.shape[1]


def _forward_step_loop(W, a_prev, b, sigma):
    z = np.zeros((W.shape[0], a_prev.shape[1]))
    for j in range(a_prev.shape[1]):
        z[:, j:j + 1] = W @ a_prev[:, j:j + 1] + b
    return z, sigma(z)


def _forward_step_einsum_float32(W, a_prev, b, sigma):
    z = np.einsum("ij,jm->im", W.astype(np.float32), a_prev.astype(np.float32)) + b.astype(np.float32)
    return z, sigma(z)


def _output_error_mse_float32(z_L, y):
    a = 1 / (1 + np.exp(-z_L.astype(np.float32)))
    return (a - y.astype(np.float32)) * a * (1 - a) / np.float32(z_L.shape[1])


def _output_error_mse_order(z_L, y):
    m = z_L.shape[1]
    a = 1 / (1 + np.exp(-z_L))
    return (a * (1 - a)) * (a / m - y / m)


def _output_error_bce_mean(z_L, y):
    a = 0.5 * (1 + np.tanh(z_L / 2))
    return (a - y) / len(z_L[0])


def _output_error_float32(grad_a, z_L, sigma_prime):
    return (grad_a.astype(np.float32) * sigma_prime(z_L.astype(np.float32))).astype(np.float32)


def _backprop_error_float32(W_next, delta_next, z, sigma_prime):
    W, d = W_next.astype(np.float32), delta_next.astype(np.float32)
    return (W.T @ d) * sigma_prime(z.astype(np.float32)).astype(np.float32)


def _backprop_error_loop(W_next, delta_next, z, sigma_prime):
    out = np.zeros_like(z)
    for j in range(z.shape[1]):
        out[:, j] = W_next.T.dot(delta_next[:, j]) * sigma_prime(z[:, j])
    return out


def _weight_gradient_float32(delta, a_prev):
    return delta.astype(np.float32) @ a_prev.astype(np.float32).T


def _bias_gradient_loop(delta):
    out = np.zeros((delta.shape[0], 1))
    for j in range(delta.shape[1]):
        out[:, 0] += delta[:, j]
    return out


def _bias_gradient_float32(delta):
    return delta.astype(np.float32).sum(axis=1).reshape(-1, 1)


def _bias_gradient_matmul(delta):
    return delta @ np.ones((delta.shape[1], 1))


def _backward_batch_float32(W, b, X, Y):
    f32 = [None] + [w.astype(np.float32) for w in W[1:]]
    g32 = [None] + [v.astype(np.float32) for v in b[1:]]
    return ok.backward_batch(f32, g32, X.astype(np.float32), Y.astype(np.float32))


def _sigmoid_float32(z):
    return (1 / (1 + np.exp(-z.astype(np.float32)))).astype(np.float32)


def _relu_prime_heaviside(z):
    return np.heaviside(z, 0.0)


def _numgrad_float_copy(f, x, h=1e-5):
    x = x.astype(float)
    g = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        e = np.zeros(x.shape)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def _backward_float64_via_bpkit(W, b, x, y):
    import bpkit

    net = bpkit.Network([W[1].shape[1]] + [w.shape[0] for w in W[1:]], seed=0)
    net.W = [None] + [w.copy() for w in W[1:]]
    net.b = [None] + [v.copy() for v in b[1:]]
    return net.backward(net.forward(x), y)


def _backward_fixed_via_bpkit(W, b, X, Y):
    import bpkit

    net = bpkit.Network([W[1].shape[1]] + [w.shape[0] for w in W[1:]], hidden="tanh", output="sigmoid",
                        loss="mse", seed=0)
    net.W = [None] + [w.copy() for w in W[1:]]
    net.b = [None] + [v.copy() for v in b[1:]]
    return net.backward(net.forward(X), Y)


def _init_weights_via_bpkit(sizes, method, seed):
    import bpkit

    return bpkit.init_weights(sizes, method, seed)


def _init_weights_uniform(sizes, method, seed):
    rng = np.random.default_rng(seed)
    W, b = [None], [None]
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        a = np.sqrt(6 / n_in) if method == "he" else np.sqrt(6 / (n_in + n_out))   # Glorot/He uniform
        W.append(rng.uniform(-a, a, size=(n_out, n_in)))
        b.append(np.zeros((n_out, 1)))
    return W, b


def _init_weights_float32(sizes, method, seed):
    W, b = ok.init_weights(sizes, method, seed)
    return [None] + [w.astype(np.float32) for w in W[1:]], [None] + [v.astype(np.float32) for v in b[1:]]


def _init_weights_legacy_seeded(sizes, method, seed):
    rs = np.random.RandomState(seed)                      # the old seeded generator is fine too
    W = [None] + [rs.randn(o, i) * np.sqrt(2 / i if method == "he" else 2 / (i + o))
                  for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
    return W, [None] + [np.zeros((o, 1)) for o in sizes[1:]]


class _Ops:
    """Lesson 12's rules written differently, handed over as a namespace instead of a dict."""

    @staticmethod
    def add_backward(x, y, grad):
        return grad.copy(), 1.0 * grad

    @staticmethod
    def mul_backward(x, y, grad):
        return np.multiply(grad, y), np.multiply(x, grad)

    @staticmethod
    def tanh_backward(x, grad):
        return grad / np.cosh(x) ** 2

    @staticmethod
    def exp_backward(x, grad):
        out = np.exp(x)                                   # the forward value, kept as micrograd does
        return out * grad

    @staticmethod
    def pow_backward(x, n, grad):
        return grad * n * x ** n / x


def _sgd_update_copying(W, b, dW, db, learning_rate):
    W_new, b_new = [None], [None]
    for l in range(1, len(W)):
        w = W[l].copy()
        w -= learning_rate * dW[l]          # in place, but on a copy
        W_new.append(w)
        b_new.append(np.subtract(b[l], learning_rate * db[l]))
    return W_new, b_new


def _numgrad_add_subtract(f, x, h=1e-5):
    if x.dtype.kind in "iu":                # lesson 02's warning: never step an integer array
        x = x.astype(float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += h
        fp = f(x)
        x[i] -= 2 * h
        fm = f(x)
        x[i] += h                           # back, up to one rounding
        g[i] = (fp - fm) / (2 * h)
    return g


ALTERNATIVES = [
    ("numerical-gradient", _numgrad_add_subtract), ("numerical-gradient", _numgrad_float_copy),
    ("sigmoid", _sigmoid_tanh), ("sigmoid", _sigmoid_exp), ("sigmoid", _sigmoid_float32),
    ("sigmoid-prime", _sigmoid_prime_exp),
    ("tanh-prime", _tanh_prime_cosh), ("relu-prime", _relu_prime_where), ("relu-prime", _relu_prime_bool),
    ("relu-prime", _relu_prime_heaviside),
    ("forward-step", _forward_step_loop), ("forward-step", _forward_step_einsum_float32),
    ("output-error-mse", _output_error_mse_float32), ("output-error-mse", _output_error_mse_order),
    ("output-error-bce", _output_error_bce_mean), ("output-error", _output_error_float32),
    ("weight-gradient", _weight_gradient_loop), ("weight-gradient", _weight_gradient_einsum),
    ("weight-gradient", _weight_gradient_float32),
    ("bias-gradient", _bias_gradient_loop), ("bias-gradient", _bias_gradient_float32),
    ("bias-gradient", _bias_gradient_matmul),
    ("backprop-error", _backprop_error_dot), ("backprop-error", _backprop_error_float32),
    ("backprop-error", _backprop_error_loop),
    ("softmax-output-error", _softmax_loop), ("softmax-output-error", _softmax_logsumexp),
    ("backward", _backward_float64_via_bpkit), ("backward-batch", _backward_float64_via_bpkit),
    ("backward-batch", _backward_batch_float32),
    ("update-parameters", _sgd_update_copying),
    ("backward-fixed", _backward_fixed_via_bpkit), ("init-weights", _init_weights_via_bpkit),
    ("init-weights", _init_weights_uniform), ("init-weights", _init_weights_float32),
    ("init-weights", _init_weights_legacy_seeded), ("op-backward", _Ops),
    ("op-backward", {f"{op}_backward": fn for op, fn in ok.OP_BACKWARD.items()}),
]


@pytest.mark.parametrize("exercise_id, fn", ALTERNATIVES, ids=lambda x: getattr(x, "__name__", x))
def test_other_correct_formulations_pass(exercise_id, fn):
    ex = EXERCISES[exercise_id]
    for seed in range(50 if exercise_id == "init-weights" else SEEDS.stop):   # init-weights: 1,000 above
        case = one_case(ex, seed)
        verdict = ex.judge(case, ex.call(fn, case))
        assert verdict.passed, (seed, verdict.lines)
