"""The exercises of lessons 10-12: an initialisation judged by statistics, the debugged backward
pass of lesson 11, and the backward rules of lesson 12's operations (a dict of functions)."""

from __future__ import annotations

import types

import grader_solutions as ok
import numpy as np
import pytest

from bpkit.grader import (
    EXERCISES,
    check_backward_fixed,
    check_init_weights,
    check_op_backward,
    run_check,
)
from bpkit.grader.exercises.init_weights import SIGNAL_BAND

# --------------------------------------------------------------------------- lesson 10: init-weights


def _scaled(factor):
    def init_weights(sizes, method, seed):
        W, b = ok.init_weights(sizes, method, seed)
        return [None] + [w * np.sqrt(factor) for w in W[1:]], b

    return init_weights


def test_init_cases_are_deep_with_alternating_widths():
    ex = EXERCISES["init-weights"]
    for seed in range(100):
        case = ex.make_cases(seed, 1)[0]
        sizes = case.meta["sizes"]
        assert 8 <= case.meta["L"] == len(sizes) - 1 <= 10
        assert all((a <= 64) != (b <= 64) for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        assert case.arrays["X"].shape == (sizes[0], 128) and 0.8 < np.var(case.arrays["X"]) < 1.2
        assert case.meta["student_seed"] != case.meta["other_seed"]


def test_the_right_variance_keeps_the_signal_inside_the_band():
    from bpkit.grader import reference as ref

    ex = EXERCISES["init-weights"]
    lo, hi = SIGNAL_BAND
    worst = [np.inf, 0.0]
    for seed in range(300):
        case = ex.make_cases(seed, 1)[0]
        W, b = ok.init_weights(case.meta["sizes"], case.meta["method"], 1 + seed)
        v = ref.preactivation_variances(W, b, case.arrays["X"], ref.ACTIVATIONS[case.meta["activation"]])[1:]
        worst = [min(worst[0], min(v)), max(worst[1], max(v))]
    assert 2 * lo < worst[0] and worst[1] < hi / 2          # a margin of 2 on both sides


def test_a_variance_20_percent_off_fails_and_says_what_it_should_be():
    result = check_init_weights(_scaled(1.2))
    assert not result.passed and result.diagnosis == "mismatch"
    text = str(result)
    assert "wrong variance" in text and "The mean square of W[" in text
    assert "needs Xavier's 2/(n_in + n_out) = 2/(" in text and "lands within ±" in text


def test_ignoring_the_method_fails_only_the_cases_of_the_other_method():
    def xavier_everywhere(sizes, method, seed):
        return ok.init_weights(sizes, "xavier", seed)

    def he_everywhere(sizes, method, seed):
        return ok.init_weights(sizes, "he", seed)

    result = check_init_weights(xavier_everywhere, n_cases=4)
    methods = [v.description.split("method ")[1].split(",")[0] for v in result.verdicts]
    assert set(methods) == {"'xavier'", "'he'"}
    assert [v.passed for v in result.verdicts] == [a != "'he'" for a in methods]
    assert "Xavier's variance where method 'he' was asked" in str(result)
    assert "the signal vanishes" in str(result)
    result = check_init_weights(he_everywhere, n_cases=4)
    assert [v.passed for v in result.verdicts] == [a == "'he'" for a in methods]
    assert {v.title for v in result.failures} == {"He's variance where method 'xavier' was asked"}


def test_an_unseeded_draw_gets_the_same_report_every_time():
    def unseeded(sizes, method, seed):
        W = [None] + [np.random.randn(o, i) for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
        return W, [None] + [np.zeros((o, 1)) for o in sizes[1:]]

    texts = {str(check_init_weights(unseeded)) for _ in range(3)}
    assert len(texts) == 1
    (text,) = texts
    assert "not seeded" in text and "N(0, 1) weights" in text and "Var(z[" not in text


def test_a_second_call_that_fails_is_reported():
    calls = []

    def once_only(sizes, method, seed):
        calls.append(seed)
        if len(calls) % 3 == 2:
            raise RuntimeError("the cache is empty")
        return ok.init_weights(sizes, method, seed)

    result = check_init_weights(once_only, n_cases=1)
    assert not result.passed and "not-seeded" in result.mistakes
    assert "Called a second time" in str(result) and "raised RuntimeError: the cache is empty" in str(result)


def test_identical_rows_are_symmetry_even_when_random():
    def one_row(sizes, method, seed):
        W, b = ok.init_weights(sizes, method, seed)
        return [None] + [np.repeat(w[:1], w.shape[0], axis=0) for w in W[1:]], b

    result = check_init_weights(one_row)
    assert result.mistakes == ["symmetry"] and "all rows of W[1] are the same" in str(result)


def test_init_reports_are_short_and_name_the_layer_shapes_on_a_transpose():
    def transposed(sizes, method, seed):
        W, b = ok.init_weights(sizes, method, seed)
        return [None] + [w.T.copy() for w in W[1:]], b

    text = str(check_init_weights(transposed))
    assert "Likely cause: it is transposed, (n_in, n_out)" in text
    assert len(text.splitlines()) <= 8


# --------------------------------------------------------------------------- lesson 11: backward-fixed

def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def backward_buggy(W, b, X, Y):
    """Lesson 11's backward pass with its three planted bugs (as the lesson shows it)."""
    L = len(W) - 1
    m = X.shape[1]
    a, z = [X], [None]
    for l in range(1, L + 1):
        z.append(W[l] @ a[l - 1] + b[l])
        a.append(_sigmoid(z[l]) if l == L else np.tanh(z[l]))
    delta = (a[L] - Y) * a[L] * (1 - a[L]) / m                  # Equation 1
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        dW[l] = delta @ a[l - 1].T                               # Equation 3
        db[l] = delta.mean(axis=1, keepdims=True)                # Equation 4 -- bug: mean
        if l > 1:
            delta = (W[l] @ delta) * (1 - z[l - 1] ** 2)         # Equation 2 -- bugs: W, z
    return dW, db


def test_lesson_11_bugs_first_the_missing_transpose_with_its_line():
    result = check_backward_fixed(backward_buggy)
    assert result.mistakes == ["w-not-transposed"]
    text = str(result)
    assert "delta = (W[l] @ delta) * (1 - z[l - 1] ** 2)" in text
    assert "test_grader_lessons_10_12.py, in backward_buggy:" in text


def test_lesson_11_bugs_then_the_other_two_together():
    def buggy_two(W, b, X, Y):
        """backward_buggy with its transpose fixed: W[l].T in Equation 2."""
        L = len(W) - 1
        m = X.shape[1]
        a, z = [X], [None]
        for l in range(1, L + 1):
            z.append(W[l] @ a[l - 1] + b[l])
            a.append(_sigmoid(z[l]) if l == L else np.tanh(z[l]))
        delta = (a[L] - Y) * a[L] * (1 - a[L]) / m
        dW, db = [None] * (L + 1), [None] * (L + 1)
        for l in range(L, 0, -1):
            dW[l] = delta @ a[l - 1].T
            db[l] = delta.mean(axis=1, keepdims=True)
            if l > 1:
                delta = (W[l].T @ delta) * (1 - z[l - 1] ** 2)
        return dW, db

    result = check_backward_fixed(buggy_two)
    assert set(result.mistakes) == {"mean-twice", "sigma-prime-at-a"}
    text = str(result)
    assert "mean instead of sum in Equation 4 + tanh′ written 1 − z² in Equation 2" in text
    assert "right for one example, wrong for a batch of" in text
    assert check_backward_fixed(ok.backward_fixed).passed


def test_the_sigmoid_backward_of_lesson_07_is_named_here():
    result = check_backward_fixed(ok.backward_batch)
    assert result.mistakes[0] == "wrong-activation" and "sigmoid in the hidden layers" in str(result)


def test_backward_fixed_truth_is_the_tanh_sigmoid_network():
    ex = EXERCISES["backward-fixed"]
    import bpkit

    for seed in range(20):
        case = ex.make_cases(seed, 1)[0]
        assert case.meta["hidden"] == "tanh" and case.meta["output"] == "sigmoid"
        L = case.meta["L"]
        net = bpkit.Network(case.meta["sizes"], hidden="tanh", output="sigmoid", loss="mse")
        net.W = case.layers("W")
        net.b = case.layers("b")
        dW, db = net.backward(net.forward(case.arrays["X"]), case.arrays["Y"])
        truth = ex.truth(case)
        for l in range(1, L + 1):
            np.testing.assert_allclose(truth[f"dW[{l}]"].expected, dW[l], rtol=1e-6, atol=1e-10)
            np.testing.assert_allclose(truth[f"db[{l}]"].expected, db[l], rtol=1e-6, atol=1e-10)


# --------------------------------------------------------------------------- lesson 12: op-backward

def test_op_cases_cover_every_operation_once_by_default():
    ex = EXERCISES["op-backward"]
    assert [c.meta["op"] for c in ex.make_cases(0)] == ["add", "mul", "tanh", "exp", "pow"]
    assert {c.meta["op"] for c in ex.make_cases(3, 10)} == {"add", "mul", "tanh", "exp", "pow"}
    assert all(c.meta["n"] not in (1.0, -1.0) for c in ex.make_cases(0, 50) if c.meta["op"] == "pow")


def test_one_function_instead_of_the_dict():
    result = check_op_backward(ok.mul_backward)
    assert result.status == "not a function" and not result.passed
    text = str(result)
    assert text.startswith("check_op_backward: FAILED -- it needs a dict of functions: "
                           'check_op_backward({"add"')
    assert "It got a function." in text


def test_unfinished_operations_fail_alone():
    def not_yet(*args):
        raise NotImplementedError()

    fns = dict(ok.OP_BACKWARD, tanh=not_yet, pow=not_yet)
    result = check_op_backward(fns)
    assert [v.passed for v in result.verdicts] == [True, True, False, True, False]
    assert result.status == "failed" and result.diagnosis == "not-attempted"
    assert "not_yet raises NotImplementedError" in str(result)           # the function given, by its name
    everything = check_op_backward(dict.fromkeys(ok.OP_BACKWARD, not_yet))
    assert everything.status == "not attempted"
    assert str(everything).startswith(
        "check_op_backward: not attempted yet -- each *_backward function still raises NotImplementedError")


def test_student_object_collects_the_functions_of_a_notebook():
    namespace = {f"{op}_backward": fn for op, fn in ok.OP_BACKWARD.items()}
    namespace["np"] = np
    ex = EXERCISES["op-backward"]
    fns = ex.student_object(namespace)
    assert set(fns) == set(ok.OP_BACKWARD)
    assert run_check("op-backward", fns).passed
    assert EXERCISES["sigmoid"].student_object({"sigmoid": ok.sigmoid}) is ok.sigmoid
    assert check_op_backward(types.SimpleNamespace(**namespace)).passed


@pytest.mark.parametrize("op, fn, mistake", [
    ("add", lambda x, y, grad: (grad * y, grad * x), "wrong-rule"),
    ("add", lambda x, y, grad: (np.ones_like(x), np.ones_like(y)), "missing-grad"),
    ("mul", lambda x, y, grad: (grad, grad), "wrong-rule"),
    ("tanh", lambda x, grad: grad * (1 - np.tanh(x)), "square-missing"),
    ("tanh", lambda x, grad: 1 - np.tanh(x) ** 2, "missing-grad"),
    ("exp", lambda x, grad: grad, "wrong-rule"),
    ("exp", lambda x, grad: np.exp(x), "missing-grad"),
    ("pow", lambda x, n, grad: grad * x ** (n - 1), "factor-n-missing"),
    ("pow", lambda x, n, grad: -grad * n * x ** (n - 1), "sign"),
])
def test_each_operation_names_its_mistakes(op, fn, mistake):
    for seed in range(5):                                   # every exponent of pow comes up
        result = check_op_backward(dict(ok.OP_BACKWARD, **{op: fn}), seed=seed)
        (failure,) = result.failures
        assert mistake in failure.mistakes, str(result)


@pytest.mark.parametrize("drop", ["answers", "note"])
def test_init_weights_without_evidence_for_another_seed_does_not_pass(drop):
    # Only a forged worker sends no answer for the second seed; missing evidence must not count as a pass.
    from bpkit.grader.calling import STATUS, decode_status, encode_status
    from bpkit.grader.exercises import EXERCISES
    from bpkit.grader.exercises.init_weights import OTHER

    ex = EXERCISES["init-weights"]
    case = ex.make_cases(seed=0, n=1)[0]
    outputs = ex.call(ok.init_weights, case)
    assert ex.judge(case, outputs).passed
    if drop == "answers":
        outputs = {k: v for k, v in outputs.items() if not k.startswith(OTHER + ":")}
        expected = "no answer for another seed"
    else:
        status = decode_status(outputs)
        status["notes"] = {OTHER: "raised ValueError"}
        outputs = {**outputs, STATUS: encode_status(status)}
        expected = "fails when called again"
    verdict = ex.judge(case, outputs)
    assert not verdict.passed and expected in verdict.title
