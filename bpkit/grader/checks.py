"""The checks a lesson's check cell calls: ``check_<function>(fn)``.

Each check runs the student's function on a few seeded test cases and
returns a CheckResult, which Jupyter shows as a small coloured report
(plain text elsewhere). A check never raises because of the student's code,
never prints to stderr, and gives the same report on every run and every
machine. Every check has the same signature::

    check_X(fn, *, seed=0, n_cases=None, cases=None) -> CheckResult

* fn -- the student's function itself (not the result of calling it);
* seed -- which case set to draw; another seed gives other cases
  (an instructor grades on a seed students do not know);
* n_cases -- how many cases (default: the exercise's, usually 3);
* cases -- explicit Case objects instead.

How a case is judged: the ordered diagnoses of bpkit.grader.diagnosis
(``bpkit.grader.diagnosis.documented_order()`` lists them). What each
exercise's cases contain, its truth and its known mistakes are written at the
top of its module, bpkit/grader/exercises/<id>.py; ``help(check_X)`` shows it.

A function that uses a name defined only in another notebook cell passes or
fails as usual, with a note: graded work runs the exercise cell alone.

>>> def sigmoid(z):
...     raise NotImplementedError
>>> print(check_sigmoid(sigmoid))
check_sigmoid: not attempted yet -- sigmoid still raises NotImplementedError
  Write the body of the function, run its cell, then run this check again.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from .cases import Case
from .cellscope import lesson_names_from_other_cells, other_cell_message
from .exercises import EXERCISES
from .hints import hints_enabled
from .result import CheckResult, Verdict

_STOPPERS = ("not-attempted", "not-a-function")


def other_cell_notes(exercise, fn: Any) -> tuple[str, ...]:
    """The note for each student function that borrows names from other notebook cells (lesson side)."""
    fns = fn.values() if isinstance(fn, dict) else [fn]
    notes = []
    for f in fns:
        names = lesson_names_from_other_cells(f) if callable(f) else []
        if names:
            notes.append(other_cell_message(getattr(f, "__name__", exercise.function), names))
    return tuple(dict.fromkeys(notes))


def _judge_all(ex, fn: Any, cases: list[Case]) -> list[Verdict]:
    verdicts: list[Verdict] = []
    for case in cases:
        if verdicts and verdicts[-1].diagnosis in _STOPPERS and not (
                ex.independent_cases and verdicts[-1].diagnosis == "not-attempted"):
            last = verdicts[-1]
            verdicts.append(Verdict(case.index, case.description, False, last.diagnosis, last.title,
                                    list(last.lines)))
            continue
        try:
            verdicts.append(ex.judge(case, ex.call(fn, case)))
        except Exception as exc:  # noqa: BLE001 -- a grader bug must not break a lesson
            verdicts.append(Verdict(case.index, case.description, False, "grader-error",
                                    "grader error", [f"The grader itself failed ({type(exc).__name__}); "
                                                     "please report this case and seed."]))
    return verdicts


def run_check(exercise_id: str, fn: Callable, *, seed: int = 0, n_cases: int | None = None,
              cases: list[Case] | None = None) -> CheckResult:
    """Run fn on the cases of an exercise and judge each one, in this process.

    Student code runs through the exercise's call and is judged by its
    judge exactly as the instructor grader does across processes. Once a
    case is not attempted, the remaining cases are not run. The result
    carries the exercise's hints (unless hints are off) and the number of
    the one that fits the first failing case.
    """
    ex = EXERCISES[exercise_id]
    cases = list(cases) if cases is not None else ex.make_cases(seed, n_cases)
    verdicts = _judge_all(ex, fn, cases)
    failing = next((v for v in verdicts if not v.passed), None)
    show = hints_enabled() and failing is not None and failing.diagnosis not in _STOPPERS
    number = ex.hint_number(failing.diagnosis, (*failing.mistakes, failing.cause)) if show else 0
    name = getattr(fn, "__name__", "")
    call = f"{ex.check_name}({name})" if isinstance(name, str) and name.isidentifier() else ""
    return CheckResult(ex.check_name, ex.id, verdicts, ex.display_name, ex.needs,
                       hints=ex.hints if hints_enabled() else (), hint_number=number,
                       notes=other_cell_notes(ex, fn), call=call)


def _check(exercise_id: str) -> Callable[..., CheckResult]:
    """The public check of one exercise, its docstring its module's."""
    ex = EXERCISES[exercise_id]

    def check(fn: Callable, *, seed: int = 0, n_cases: int | None = None,
              cases: list[Case] | None = None) -> CheckResult:
        return run_check(exercise_id, fn, seed=seed, n_cases=n_cases, cases=cases)

    module = sys.modules[type(ex).__module__]
    check.__name__ = check.__qualname__ = ex.check_name
    check.__doc__ = (f"Check {ex.signature} (lesson {ex.lesson:02d}): {ex.title}.\n\n"
                     f"Usage: {ex.check_name}({ex.function if not ex.independent_cases else 'functions'}) "
                     f"-> CheckResult (exercise {ex.id!r}, bpkit/grader/exercises/{ex.function}.py).\n\n"
                     + (module.__doc__ or "").split("\n", 1)[-1].strip().replace("``", "") + "\n")
    return check


check_sigmoid = _check("sigmoid")
check_forward_step = _check("forward-step")
check_numerical_gradient = _check("numerical-gradient")
check_sigmoid_prime = _check("sigmoid-prime")
check_tanh_prime = _check("tanh-prime")
check_relu_prime = _check("relu-prime")
check_output_error_mse = _check("output-error-mse")
check_output_error_bce = _check("output-error-bce")
check_output_error = _check("output-error")
check_backprop_error = _check("backprop-error")
check_weight_gradient = _check("weight-gradient")
check_bias_gradient = _check("bias-gradient")
check_backward = _check("backward")
check_backward_batch = _check("backward-batch")
check_update_parameters = _check("update-parameters")
check_softmax_output_error = _check("softmax-output-error")
check_init_weights = _check("init-weights")
check_backward_fixed = _check("backward-fixed")
check_op_backward = _check("op-backward")
check_train = _check("train")
#: The old name of lesson 08's check (the exercise was sgd_update).
check_sgd_update = check_update_parameters
