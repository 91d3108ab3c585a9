"""A 10 % error in one tiny weight-gradient entry is caught.

The entry is made tiny (|g| about 1e-5, smaller than nearly every other
entry) by making the input it multiplies small. Fixed-tolerance gradient
checks miss such an error: PyTorch's ``gradcheck`` accepts
``|analytic - numerical| <= atol + rtol |numerical|`` with ``atol=1e-5,
rtol=1e-3``, and JAX's ``check_grads`` compares one random directional
derivative at a similar tolerance -- the error here is 1e-6, far inside
both. (Neither library is a dependency; their default rules are restated
below and applied to the same numbers.) The grader's rule compares the
error with the finite-difference error estimate of that very entry.
"""

from __future__ import annotations

import grader_solutions as ok
import numpy as np

from bpkit.grader import EXERCISES, run_check


def _tiny_case(exercise_id: str = "backward-batch", seed: int = 4, target: float = 1e-5):
    ex = EXERCISES[exercise_id]
    case = ex.make_cases(seed, 1)[0]
    dW1 = ex.truth(case)["dW[1]"].expected
    X = case.arrays["X"].copy()
    # dW[1][:, j] = delta[1] @ X[j, :].T: scale input row j so that entry (i, j) is about `target`.
    i, j = np.unravel_index(np.argmax(np.abs(dW1)), dW1.shape)
    X[j] *= target / abs(dW1[i, j])
    case = case.replace(X=X)
    g = ex.truth(case)["dW[1]"].expected
    return ex, case, (int(i), int(j)), g


def _off_by_ten_percent(index):
    def backward_batch(W, b, X, Y):
        dW, db = ok.backward_batch(W, b, X, Y)
        dW[1] = dW[1].copy()
        dW[1][index] *= 1.1
        return dW, db

    return backward_batch


def test_the_tiny_entry_is_tiny():
    ex, case, index, g = _tiny_case()
    assert 0.5e-5 < abs(g[index]) < 2e-5
    everything = np.concatenate([ex.truth(case)[s.name].expected.ravel() for s in ex.outputs(case)])
    assert np.mean(np.abs(everything) > abs(g[index])) > 0.75        # smaller than most


def test_ten_percent_off_on_a_tiny_entry_is_caught():
    ex, case, index, g = _tiny_case()
    fn = _off_by_ten_percent(index)
    result = run_check(ex.id, fn, cases=[case])
    assert not result.passed and result.diagnosis == "mismatch"
    text = str(result)
    assert "Wrong: dW[1];" in text
    assert f"dW[1] differs in 1 of {g.size} entries" in text
    assert f"Worst entry dW[1][{index[0]}, {index[1]}]" in text
    verdict = result.verdicts[0]
    assert any("more than 10^" in line for line in verdict.lines)
    # and the right answer on the same case passes
    assert run_check(ex.id, ok.backward_batch, cases=[case]).passed


def test_fixed_tolerance_rules_would_pass_it():
    ex, case, index, g = _tiny_case()
    outputs = ex.call(_off_by_ten_percent(index), case)
    got, numerical = outputs["dW[1]"], ex.truth(case)["dW[1]"].expected
    # torch.autograd.gradcheck defaults: atol=1e-5, rtol=1e-3, entry by entry
    assert np.all(np.abs(got - numerical) <= 1e-5 + 1e-3 * np.abs(numerical))
    # jax.test_util.check_grads (float64 tolerance 1e-5) compares one random direction's derivative
    v = np.random.default_rng(0).standard_normal(got.shape)
    assert abs(np.sum((got - numerical) * v)) <= 1e-5 * (1 + abs(np.sum(numerical * v)))


def test_other_tiny_entries_and_seeds():
    for seed in range(20):
        ex, case, index, g = _tiny_case(seed=seed)
        assert not run_check(ex.id, _off_by_ten_percent(index), cases=[case]).passed
        assert run_check(ex.id, ok.backward_batch, cases=[case]).passed
    ex, case, index, g = _tiny_case("backward", seed=2)
    assert not run_check(ex.id, _off_by_ten_percent(index), cases=[case]).passed
