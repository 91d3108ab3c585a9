"""Correct answers pass, over 1,000 seeds, for every exercise; the cases are what they promise.

Each seed draws one fresh case (so 1,000 seeds are 1,000 different cases)
and runs it through ``call`` and ``judge`` exactly as a check does.
"""

from __future__ import annotations

import grader_solutions as ok
import numpy as np
import pytest

from bpkit.grader import EXERCISES, check_relu_prime, hidden_seed, run_check
from bpkit.grader.cases import KINK_MARGIN, near_kink
from bpkit.grader.exercises import ACTIVATION_CYCLE

SEEDS = range(1000)
LESSON_EXERCISES = sorted(EXERCISES)


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
        case = ex.make_cases(seed, 1)[0]
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


def _relu_prime_at_zero_is_one(z):
    return (z >= 0).astype(float)


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
        fns = [ok.SOLUTIONS[exercise_id]] + ([_relu_prime_at_zero_is_one] if ex.id == "relu-prime" else [])
        for fn in fns:
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
                if ex.id == "relu-prime" or case.meta["activation"] == "relu":
                    assert np.min(np.abs(case.arrays[name])) >= KINK_MARGIN


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


def test_batch_exercises_use_batches_and_lessons_before_07_single_examples():
    for ex in EXERCISES.values():
        for case in ex.make_cases(3, 3):
            batched = ("X", "delta", "z_L", "a_prev", "delta_next")
            m = {a.shape[1] for n, a in case.arrays.items() if n in batched}
            if ex.lesson >= 7 and ex.id not in ("sgd-update", "op-backward"):     # op-backward: no batch
                assert m and min(m) > 2, ex.id
            elif ex.lesson <= 6 and m:
                assert m == {1}, ex.id


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


def _softmax_unstable(z_L, Y):
    e = np.exp(z_L)
    return (e / e.sum(axis=0) - Y) / z_L.shape[1]


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


def _init_weights_via_bpkit(sizes, activation, seed):
    import bpkit

    return bpkit.init_weights(sizes, "he" if activation == "relu" else "xavier", seed)


def _init_weights_uniform(sizes, activation, seed):
    rng = np.random.default_rng(seed)
    W, b = [None], [None]
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        a = np.sqrt(6 / n_in) if activation == "relu" else np.sqrt(6 / (n_in + n_out))   # Glorot/He uniform
        W.append(rng.uniform(-a, a, size=(n_out, n_in)))
        b.append(np.zeros((n_out, 1)))
    return W, b


def _init_weights_float32(sizes, activation, seed):
    W, b = ok.init_weights(sizes, activation, seed)
    return [None] + [w.astype(np.float32) for w in W[1:]], [None] + [v.astype(np.float32) for v in b[1:]]


def _init_weights_legacy_seeded(sizes, activation, seed):
    rs = np.random.RandomState(seed)                      # the old seeded generator is fine too
    W = [None] + [rs.randn(o, i) * np.sqrt(2 / i if activation == "relu" else 2 / (i + o))
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
    ("numerical-gradient", _numgrad_add_subtract),
    ("sigmoid", _sigmoid_tanh), ("sigmoid", _sigmoid_exp), ("sigmoid-prime", _sigmoid_prime_exp),
    ("tanh-prime", _tanh_prime_cosh), ("relu-prime", _relu_prime_where), ("relu-prime", _relu_prime_bool),
    ("weight-gradient", _weight_gradient_loop), ("weight-gradient", _weight_gradient_einsum),
    ("backprop-error", _backprop_error_dot), ("softmax-output-error", _softmax_unstable),
    ("backward", _backward_float64_via_bpkit), ("backward-batch", _backward_float64_via_bpkit),
    ("sgd-update", _sgd_update_copying),
    ("backward-fixed", _backward_fixed_via_bpkit), ("init-weights", _init_weights_via_bpkit),
    ("init-weights", _init_weights_uniform), ("init-weights", _init_weights_float32),
    ("init-weights", _init_weights_legacy_seeded), ("op-backward", _Ops),
    ("op-backward", {f"{op}_backward": fn for op, fn in ok.OP_BACKWARD.items()}),
]


@pytest.mark.parametrize("exercise_id, fn", ALTERNATIVES, ids=lambda x: getattr(x, "__name__", x))
def test_other_correct_formulations_pass(exercise_id, fn):
    ex = EXERCISES[exercise_id]
    for seed in range(50 if exercise_id == "init-weights" else 200):     # init-weights: 1,000 above
        case = ex.make_cases(seed, 1)[0]
        verdict = ex.judge(case, ex.call(fn, case))
        assert verdict.passed, (seed, verdict.lines)
