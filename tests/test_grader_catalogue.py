"""The catalogue of realistic student answers (tests/grader_catalogue.py), judged from outside.

Only the public API is used: ``run_check(id, fn, seed=s)`` and its result's
``passed`` and text, and, for many-seed runs, ``EXERCISES[id].make_cases``,
``.call`` and ``.judge`` exactly as a check runs them.

* every wrong answer fails on every seed tried, and the report names the mistake
  (a regex of its name, about meaning rather than wording);
* every correct answer passes 1,000 seeds (one case per seed) and the default check;
* a name regex is never satisfied by the report of an unrelated wrong answer
  (so it cannot pass by matching boilerplate).

Run as a script for the summary that FINDINGS.md is written from::

    python tests/test_grader_catalogue.py [--seeds 1000] [exercise ...]
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from types import SimpleNamespace

import grader_catalogue as cat
import numpy as np
import pytest

from bpkit.grader import EXERCISES, Case, run_check

BUG_SEEDS = (0, 1, 2)
N_SEEDS = 1000
BUGGY = [a for a in cat.CATALOGUE if not a.correct]
CORRECT = [a for a in cat.CATALOGUE if a.correct]


def _exercise(answer: cat.Answer) -> str:
    eid = cat.exercise_id(answer, EXERCISES)
    assert eid is not None, f"none of {answer.exercises} is an exercise of this grader"
    return eid


def _rename(f, name: str) -> None:
    try:
        f.__name__ = f.__qualname__ = name
    except (AttributeError, TypeError):
        pass


def as_student(eid: str, fn):
    """Give ``fn`` the name the lesson's stub gives it, as a student's function has.

    A report may quote the function's name (``check_sigmoid(sigmoid)``): the catalogue's
    own names (``sigmoid_clipped``) must not be what a regex finds.
    """
    name = getattr(EXERCISES[eid], "function", eid.replace("-", "_"))
    if isinstance(fn, dict):
        for key, f in fn.items():
            _rename(f, key if key.endswith("_backward") else f"{key}_backward")
    elif isinstance(fn, SimpleNamespace):
        for key, f in vars(fn).items():
            _rename(f, key)
    else:
        _rename(fn, name)
    return fn


def judge_seed(eid: str, fn, seed: int):
    """``(passed, diagnosis, text)`` for one case of ``seed`` (case index ``seed % n`` of its set)."""
    ex = EXERCISES[eid]
    fn = as_student(eid, fn)
    n = int(getattr(ex, "n_cases", 1) or 1)
    case = ex.make_cases(seed, n)[seed % n]
    if hasattr(ex, "judge") and hasattr(ex, "call"):
        verdict = ex.judge(case, ex.call(fn, case))
        return verdict.passed, verdict.diagnosis, " | ".join(getattr(verdict, "lines", []) or [])[:300]
    result = run_check(eid, fn, cases=[case])
    return result.passed, result.diagnosis, str(result)[:300]


def report(eid: str, fn, seed: int) -> tuple[bool, str]:
    result = run_check(eid, as_student(eid, fn), seed=seed)
    return bool(result.passed), str(result)


# --------------------------------------------------------------------------- the catalogue's shape


def _covered():
    return {cat.exercise_id(a, EXERCISES) for a in cat.CATALOGUE} - {None}


#: Exercises whose catalogue lives elsewhere: lesson 13's training loop takes the grader's own
#: recording parts, so its wrong and right loops are in tests/test_capstone.py (make_train and
#: its mistakes; the correct loops of test_correct_loops_pass_1000_seeds).
ELSEWHERE = {"train"}


def test_every_exercise_has_wrong_and_right_answers():
    ours = set(EXERCISES) - ELSEWHERE
    assert ours <= _covered(), ours - _covered()
    for eid in ours:
        wrong = [a for a in BUGGY if cat.exercise_id(a, EXERCISES) == eid]
        right = [a for a in CORRECT if cat.exercise_id(a, EXERCISES) == eid]
        assert len(wrong) >= 8, (eid, len(wrong))
        assert len(right) >= 3, (eid, len(right))


def test_answer_names_are_unique_within_an_exercise():
    seen = defaultdict(list)
    for a in cat.CATALOGUE:
        seen[(a.exercises, a.name)].append(a)
    assert all(len(v) == 1 for v in seen.values()), [k for k, v in seen.items() if len(v) > 1]


# --------------------------------------------------------------------------- wrong answers


@pytest.mark.parametrize("answer", BUGGY, ids=lambda a: a.id)
def test_wrong_answer_fails_and_is_named(answer):
    eid = _exercise(answer)
    for seed in BUG_SEEDS:
        passed, text = report(eid, answer.fn, seed)
        assert not passed, f"PASSED on seed {seed}: {answer.why}\n{text}"
        assert re.search(answer.named, text, re.IGNORECASE), (
            f"seed {seed}: failed without naming it ({answer.why}; wanted /{answer.named}/):\n{text}"
        )


def _controls():
    """One unrelated wrong answer per exercise: a correct one with a patternless error added."""
    out = {}
    for a in CORRECT:
        eid = cat.exercise_id(a, EXERCISES)
        if eid is not None and eid not in out and eid != "init-weights":
            out[eid] = a
    return sorted(out.items())


@pytest.mark.parametrize("every", [1, 2], ids=["all-wrong", "some-wrong"])
@pytest.mark.parametrize("eid, answer", _controls(), ids=lambda x: x if isinstance(x, str) else "")
def test_a_name_regex_is_not_boilerplate(eid, answer, every):
    passed, text = report(eid, cat.control(answer, every), 0)
    assert not passed, text
    loose = [
        a.name
        for a in BUGGY
        if cat.exercise_id(a, EXERCISES) == eid and re.search(a.named, text, re.IGNORECASE)
    ]
    assert not loose, (loose, text)


# --------------------------------------------------------------------------- correct answers


@pytest.mark.parametrize("answer", CORRECT, ids=lambda a: a.id)
def test_correct_answer_passes_every_seed(answer):
    eid = _exercise(answer)
    passed, text = report(eid, answer.fn, 0)
    assert passed, text
    failures = []
    for seed in range(N_SEEDS):
        ok, diagnosis, lines = judge_seed(eid, answer.fn, seed)
        if not ok:
            failures.append((seed, diagnosis, lines))
    assert not failures, f"{len(failures)} of {N_SEEDS} seeds fail: {failures[:3]}"


KINKED = {"relu-prime": "z", "output-error": "z_L", "backprop-error": "z"}
NEAR_KINK = (0.0, 1e-12, -1e-12, 1e-9, -1e-9, 1e-7, -1e-7, 3e-6, -3e-6, 2e-5, -2e-5)


def _relu_cases(eid: str, seeds: range):
    """The seeds' ReLU cases with a third of the inputs to ReLU at 0 or within a step of it."""
    name = KINKED[eid]
    for seed in seeds:
        for case in EXERCISES[eid].make_cases(seed, 3):
            if eid != "relu-prime" and "relu" not in str(case.meta.get("activation", case.description)):
                continue
            rng = np.random.default_rng(seed)
            arrays = {k: np.array(v, dtype=np.float64) for k, v in case.arrays.items()}
            flat = arrays[name].reshape(-1)
            k = max(1, flat.size // 3)
            flat[rng.choice(flat.size, k, replace=False)] = rng.choice(NEAR_KINK, k)
            yield (
                seed,
                Case(
                    case.exercise,
                    case.index,
                    case.seed,
                    arrays,
                    dict(case.meta),
                    case.description + ", near the kink",
                ),
            )


@pytest.mark.parametrize("answer", [a for a in CORRECT if a.exercises[0] in KINKED], ids=lambda a: a.id)
def test_correct_answer_passes_at_and_near_the_relu_kink(answer):
    """The stated convention is ReLU′(0) = 0; a gradient within a step of the kink may take either slope."""
    eid = _exercise(answer)
    fn = as_student(eid, answer.fn)
    failures = []
    for seed, case in _relu_cases(eid, range(150)):
        result = run_check(eid, fn, cases=[case])
        if not result.passed:
            failures.append((seed, str(result)[:400]))
    assert not failures, f"{len(failures)} cases fail: {failures[:2]}"


# --------------------------------------------------------------------------- the summary for FINDINGS.md


def _first_line(text: str) -> str:
    """The first failing case's diagnosis and its first line of explanation."""
    lines = text.splitlines()
    at = next((i for i, x in enumerate(lines) if x.startswith(("All ", "Case ", "Cases "))), 1)
    return " / ".join(x.strip() for x in lines[at : at + 2])[:240]


def summary(exercises: list[str], n_seeds: int) -> str:
    import bpkit

    rows = [f"grader: {bpkit.__file__}", ""]
    counts = defaultdict(int)
    for eid in sorted(EXERCISES):
        if exercises and eid not in exercises:
            continue
        passed, unnamed, named, bad = [], [], 0, []
        for a in BUGGY:
            if cat.exercise_id(a, EXERCISES) != eid:
                continue
            verdicts = [report(eid, a.fn, s) for s in BUG_SEEDS]
            tag = " (held-out)" if a.id in cat.HELD_OUT else ""
            if any(p for p, _ in verdicts):
                counts["held-out passed" if tag else "original passed"] += 1
                seeds = [s for s, (p, _) in zip(BUG_SEEDS, verdicts, strict=True) if p]
                passed.append(f"`{a.name}`{tag} ({a.why}) PASSES on seed(s) {seeds}")
            elif not all(re.search(a.named, t, re.I) for _, t in verdicts):
                t = next(t for _, t in verdicts if not re.search(a.named, t, re.I))
                unnamed.append(f'`{a.name}`{tag} ({a.why}): said "{_first_line(t)}"')
                counts["held-out unnamed" if tag else "original unnamed"] += 1
            else:
                named += 1
                counts["held-out named" if tag else "original named"] += 1
        for a in CORRECT:
            if cat.exercise_id(a, EXERCISES) != eid:
                continue
            fails = [(s, *judge_seed(eid, a.fn, s)[1:]) for s in range(n_seeds)]
            fails = [f for f in fails if f[1] is not None]
            fails = [(s, d, t) for s, d, t in fails if not judge_seed(eid, a.fn, s)[0]]
            if fails:
                s, d, t = fails[0]
                bad.append(f"`{a.name}` fails {len(fails)}/{n_seeds} seeds, e.g. seed {s}: {d}: {t[:160]}")
        counts["named"] += named
        counts["unnamed"] += len(unnamed)
        counts["passed"] += len(passed)
        counts["correct-failing"] += len(bad)
        rows.append(
            f"### {eid}: {named} named, {len(unnamed)} unnamed, {len(passed)} PASS; "
            f"{len(bad)} correct answers failing"
        )
        rows += [f"- PASS: {x}" for x in passed] + [f"- unnamed: {x}" for x in unnamed]
        rows += [f"- correct fails: {x}" for x in bad]
        rows.append("")
        print("\n".join(rows[-(len(passed) + len(unnamed) + len(bad) + 2) :]), file=sys.stderr, flush=True)
    rows.insert(1, f"totals: {dict(counts)}")
    return "\n".join(rows)


if __name__ == "__main__":
    args = sys.argv[1:]
    seeds = N_SEEDS
    if "--seeds" in args:
        i = args.index("--seeds")
        seeds = int(args[i + 1])
        del args[i : i + 2]
    print(summary(args, seeds))
