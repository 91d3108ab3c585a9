"""The judge: from a case and the student's arrays to a :class:`~bpkit.grader.result.Verdict`.

The judge is the ordered list :data:`DIAGNOSES` of small functions; each one
looks at a :class:`Judging` (the case, the student's arrays, the truth) and
either returns a verdict or ``None`` to pass the case on to the next. The
first that answers decides. The order, as :func:`documented_order` prints it:

1. **not a function** -- the check was given something that cannot be called.
2. **not attempted** -- the function raised ``NotImplementedError``.
3. **raised an error** -- any other exception, with the student's own line,
   named when the exercise knows the error (``W`` where ``Wᵀ`` belongs).
4. **not an array** -- ``None``, a list, a single array where a pair was due.
5. **NaN or inf** -- which answer, how many entries, the first one.
6. **wrong shape** -- with the likely cause (transposed, batch axis kept or
   lost, ``(n,)`` for ``(n, 1)``, summed over the wrong axis, broadcast).
7. **changed its inputs** -- which input, which entry.
8. **passed** -- every entry within its tolerance (float32 answers within
   float32 rounding of the magnitude of what was summed pass, with a note).
9. **a known mistake** -- each exercise module lists the mistakes students
   make, computed from the case's own data; batch-only ones say so.
10. **a constant multiple** -- every entry is the same multiple of the truth
    ("every entry is 5/7 of expected").
11. **wrong values** -- which answer, which entries, the worst entry.

The judge reads only the case and the outputs dict (see
:mod:`bpkit.grader.calling`); it never runs student code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .calling import STATUS, decode_status
from .gradcheck import TOLERANCE, Truth
from .matching import DISTINCT_RTOL, MATCH_RTOL, match_mistakes
from .result import Verdict
from .shapes import SHAPE_TITLES, OutputSpec, shape_cause
from .wording import frame_lines, mismatch_lines, plural, ratio_text, sentence

if TYPE_CHECKING:  # pragma: no cover
    from .cases import Case
    from .exercises.base import Exercise

__all__ = ["DIAGNOSES", "DISTINCT_RTOL", "FLOAT32_NOTE", "MATCH_RTOL", "Hint", "Judging", "KnownError",
           "OutputSpec", "documented_order", "judge", "not_a_function_outputs", "preliminary", "shape_cause"]

Array = np.ndarray
EPS32 = float(np.finfo(np.float32).eps)
#: float32 answers pass within this many float32 epsilons of the magnitude of what was summed.
FLOAT32_FACTOR = 64.0
FLOAT32_NOTE = ("Note that float32 keeps only about 7 significant digits; numpy's default, float64, "
                "keeps about 16 (the checks compare with float64).",)


@dataclass
class KnownError:
    """An exercise's reading of an exception: a known mistake's id, title and fix."""

    id: str
    title: str
    explanation: str


#: The old name of :class:`KnownError`.
Hint = KnownError


@dataclass
class Judging:
    """Everything one diagnosis may look at (built once per case by :func:`judge`)."""

    exercise: Exercise
    case: Case
    outputs: dict[str, Array]
    status: dict[str, Any]
    specs: list[OutputSpec]
    fname: str
    arrays: dict[str, Array] = field(default_factory=dict)
    _compared: dict[str, Any] = field(default_factory=dict)

    def verdict(self, passed: bool, diagnosis: str, title: str, lines: list[str], mistakes=(),
                cause: str = "") -> Verdict:
        return Verdict(self.case.index, self.case.description, passed, diagnosis, title, list(lines),
                       tuple(mistakes), cause)

    # the comparison with the truth, computed once for the diagnoses that need it
    @property
    def truths(self) -> dict[str, Truth]:
        return self.exercise.truth(self.case)

    def compared(self) -> dict[str, Any]:
        if not self._compared:
            excess = {s.name: self.truths[s.name].excess(self.arrays[s.name]) for s in self.specs}
            bad = {n: e > TOLERANCE for n, e in excess.items()}
            self._compared.update(excess=excess, bad=bad,
                                  wrong=[s for s in self.specs if bad[s.name].any()])
        return self._compared

    @property
    def float32(self) -> bool:
        return any(self.arrays[s.name].dtype == np.float32 for s in self.specs)

    def where(self, hint: bool = True) -> list[str]:
        """Where the answer differs; ``hint``: with the exercise's reading of which equation is wrong
        (left out when a known mistake already says what happened)."""
        c = self.compared()
        wrong = [s.name for s in c["wrong"]]
        right = [s.name for s in self.specs if s.name not in wrong]
        hint = self.exercise.where_hint(self.case, wrong, right) if hint and len(self.specs) > 1 else ""
        return mismatch_lines(self.specs, self.truths, self.arrays, c["excess"], c["bad"], hint)


Diagnosis = Callable[[Judging], "Verdict | None"]


# --------------------------------------------------------------------------- did it run?

def not_a_function(j: Judging) -> Verdict | None:
    """The check was given something that is not a function."""
    if j.status["kind"] != "not-a-function":
        return None
    lines = j.exercise.not_a_function_lines(j.case, j.status)
    return j.verdict(False, "not-a-function", "not a function", lines)


def not_attempted(j: Judging) -> Verdict | None:
    """The function raised NotImplementedError."""
    if j.status["kind"] != "not-attempted":
        return None
    return j.verdict(False, "not-attempted", "not attempted yet", [
        j.status.get("message") or
        f"{j.fname} raises NotImplementedError: write its body, run the cell, then the check."])


def raised(j: Judging) -> Verdict | None:
    """Another exception, with the student's line; named when the exercise knows it."""
    if j.status["kind"] != "exception":
        return None
    frame = j.status.get("frame") or {}
    kind = j.status.get("type", "an error")
    lines = [f"{j.fname} raised {kind}: {j.status.get('message', '')}".rstrip(": ")]
    if frame:
        lines += frame_lines(frame)
    known = j.exercise.exception_hint(j.case, j.status)
    if known is not None:
        return j.verdict(False, "mistake", known.title, lines + [known.explanation], mistakes=(known.id,))
    return j.verdict(False, "exception", f"raised {kind}", lines)


def not_an_array(j: Judging) -> Verdict | None:
    """An unreadable answer, the wrong container, ``None`` or a non-numeric answer."""
    kind = j.status["kind"]
    if kind == "corrupt":
        return j.verdict(False, "not-an-array", "unreadable answer",
                         ["The answer could not be read back (it was not a set of plain arrays)."])
    if kind == "bad-return":
        return j.verdict(False, "not-an-array", "wrong kind of return value", [j.status.get("message", "")])
    types = j.status.get("types", {}) if isinstance(j.status.get("types"), dict) else {}
    problems = []
    for s in j.specs:
        a = j.outputs.get(s.name)
        if s.name in types or not isinstance(a, np.ndarray) or a.dtype.kind not in "biuf":
            problems.append(f"{s.name} is {types.get(s.name, 'missing')}; it must be a numpy array of shape "
                            f"{tuple(s.shape)}.")
        else:
            j.arrays[s.name] = a
    if not problems:
        return None
    none = any(types.get(s.name) == "None" for s in j.specs)
    title = "returned None" if none and len(problems) == len(j.specs) else "not an array"
    if none:
        problems.append("A function that ends without `return ...` returns None.")
    return j.verdict(False, "not-an-array", title, problems)


def not_finite(j: Judging) -> Verdict | None:
    """NaN or inf: which answer, how many entries, the first one."""
    lines = []
    for s in j.specs:
        a = j.arrays[s.name]
        nan, inf = np.isnan(a), np.isinf(a)
        if nan.any() or inf.any():
            bad = nan | inf
            first = tuple(int(k) for k in np.argwhere(bad)[0]) if a.ndim else ()
            what = " and ".join(w for w, mk in (("NaN", nan), ("inf", inf)) if mk.any())
            lines.append(f"{s.name} has {what} in {int(bad.sum())} of {a.size} entries; "
                         f"the first at {s.where(first)}.")
    if not lines:
        return None
    lines += j.exercise.not_finite_lines(j.case)
    return j.verdict(False, "not-finite", "NaN or inf", lines)


def wrong_shape(j: Judging) -> Verdict | None:
    """The first answer of the wrong shape, with the likely cause."""
    for s in j.specs:
        got = tuple(j.arrays[s.name].shape)
        if got != tuple(s.shape):
            cause, why = j.exercise.shape_cause(j.case, s, got)
            msg = [f"{s.name} has shape {got} but must be {tuple(s.shape)}"
                   + (f" ({s.axes()})." if s.axes() else ".")]
            if why:
                msg.append(f"Likely cause: {why}.")
            title = SHAPE_TITLES.get(cause, "wrong shape")
            if cause == "batch-axis-kept":
                title = f"right for one example, wrong for a batch of {s.m}: not summed over the examples"
            return j.verdict(False, "shape", title, msg, cause=cause)
    return None


def mutated(j: Judging) -> Verdict | None:
    """The function changed its inputs in place (judged from the arrays sent back)."""
    found = [m for m in j.status.get("mutated") or [] if m.get("kind") == "list"]
    found += j.exercise.input_changes(j.case, j.outputs)
    if not found:
        return None
    return j.verdict(False, "mutated", "changed its inputs", j.exercise.mutation_lines(j.case, found))


# --------------------------------------------------------------------------- the values

def float32_allowed(j: Judging, name: str) -> Array:
    """Per entry, how far a float32 answer may lie from the float64 truth: FLOAT32_FACTOR float32
    epsilons of the magnitude of what was summed (the exercise's ``magnitude``)."""
    return FLOAT32_FACTOR * EPS32 * j.exercise.magnitude(j.case)[name]


def _float32_within(j: Judging, name: str) -> bool:
    t = j.truths[name]
    got = np.asarray(j.arrays[name], np.float64)
    tol = float32_allowed(j, name)
    inside = (got >= t.lo - tol) & (got <= t.hi + tol)
    return bool(np.all(inside | t.unchecked))


def passed(j: Judging) -> Verdict | None:
    """Every entry within its tolerance -- or, for float32, within float32 rounding."""
    wrong = j.compared()["wrong"]
    f32 = j.float32 and j.exercise.float32_ok
    if wrong and not (f32 and all(_float32_within(j, s.name) for s in wrong)):
        return None
    kinks = sum(t.kinks for t in j.truths.values())
    note = ([f"({plural(kinks, 'entry')} within a step of a ReLU kink: checked against "
             "the one-sided derivatives.)"] if kinks else [])
    if j.float32:
        return j.verdict(True, "float32", "passed (float32)", [
            "Your answer is float32 and agrees with the float64 truth to float32 precision, so it passes.",
            *FLOAT32_NOTE, *note])
    return j.verdict(True, "passed", "passed", note)


def _mistake_title(mk, m: int) -> str:
    if mk.batch_only and m > 1:
        return f"right for one example, wrong for a batch of {m}: {mk.title}"
    return mk.title


def known_mistake(j: Judging) -> Verdict | None:
    """A known mistake of the exercise explains the answer."""
    c = j.compared()
    found = match_mistakes(j.exercise.mistakes(j.case), j.truths, j.arrays, j.specs, c["bad"],
                           j.exercise.match_rtol, j.exercise.distinct_rtol)
    if not found:
        return None
    m = j.exercise.batch_of(j.case)
    ids = [i for mk in found for i in mk.ids]
    title = " + ".join(_mistake_title(mk, m) for mk in found)
    if len(found) == 1:
        lines = [sentence(found[0].explanation)]
    else:
        lines = [f"{_mistake_title(mk, m)}: {mk.explanation}" for mk in found]
    return j.verdict(False, "mistake", title, lines + j.where(hint=False), mistakes=ids)


def _common_ratio(j: Judging) -> float | None:
    """The ratio got/expected when it is the same for every wrong array's every entry."""
    ratios = []
    for s in j.compared()["wrong"]:
        t, got = j.truths[s.name], np.asarray(j.arrays[s.name], np.float64)
        e = t.expected
        if not np.any(e != 0):
            return None
        c = float(np.sum(got * e) / np.sum(e * e))
        if abs(c - 1.0) < 1e-3 or not np.isfinite(c):     # a ratio of 1.0001 is a wrong value
            return None
        allowed = TOLERANCE * t.noise * max(1.0, abs(c)) + 1e-6 * np.max(np.abs(c * e))
        if np.any(np.abs(got - c * e) > allowed):
            return None
        ratios.append(c)
    if not ratios or max(ratios) - min(ratios) > 1e-6 * max(abs(r) for r in ratios):
        return None
    return ratios[0]


def constant_multiple(j: Judging) -> Verdict | None:
    """Every wrong entry is the same multiple of the truth ("every entry is 5/7 of expected")."""
    c = _common_ratio(j)
    if c is None:
        return None
    arrays = ", ".join(s.name for s in j.compared()["wrong"])
    text = ratio_text(c)
    lines = [f"Every entry of {arrays} is {text} times the expected value: the shape of the answer is "
             "right and only a constant factor is wrong -- look for a number (a 2, a 1/m, a sign, "
             "a learning rate) multiplied in or left out."]
    return j.verdict(False, "mistake", f"every entry is {text} of expected", lines + j.where(),
                     mistakes=("constant-multiple",))


def wrong_values(j: Judging) -> Verdict:
    """Where the values differ, and the worst entry's numbers."""
    lines = j.where()
    if j.float32 and j.exercise.float32_ok:
        lines.append("Part of your answer is float32; the differences are larger than float32 rounding "
                     "alone explains.")
    return j.verdict(False, "mismatch", "wrong values", lines)


#: The judge, in order: the first diagnosis that returns a verdict decides.
DIAGNOSES: tuple[Diagnosis, ...] = (
    not_a_function, not_attempted, raised, not_an_array, not_finite, wrong_shape, mutated,
    passed, known_mistake, constant_multiple, wrong_values,
)
#: How many of :data:`DIAGNOSES` look only at what came back (before any comparison with the truth).
PRELIMINARY = 7


def documented_order() -> list[str]:
    """The first line of each diagnosis's docstring, in the judge's order."""
    return [f"{k}. {d.__name__.replace('_', ' ')}: {(d.__doc__ or '').strip().splitlines()[0]}"
            for k, d in enumerate(DIAGNOSES, start=1)]


def start(exercise: Exercise, case: Case, outputs: dict[str, Array]) -> Judging:
    """The :class:`Judging` of one case (the status record read defensively)."""
    status = decode_status(outputs)
    # the function that ran: the exercise's, unless another was checked (lesson 11's backward_buggy)
    called = str(status.get("called", ""))
    fname = called if called.isidentifier() else exercise.case_function(case)
    return Judging(exercise, case, outputs, status, exercise.outputs(case), fname)


def preliminary(exercise: Exercise, case: Case, outputs: dict[str, Array]) -> tuple[Verdict | None, dict]:
    """The diagnoses that need no truth: ``(verdict, {})`` when one applies, else
    ``(None, answer arrays by name)``."""
    j = start(exercise, case, outputs)
    for diagnose in DIAGNOSES[:PRELIMINARY]:
        v = diagnose(j)
        if v is not None:
            return v, {}
    return None, j.arrays


def judge(exercise: Exercise, case: Case, outputs: dict[str, Array]) -> Verdict:
    """The verdict on one case, from grader-owned code and the student's arrays only."""
    j = start(exercise, case, outputs)
    for diagnose in DIAGNOSES:
        v = diagnose(j)
        if v is not None:
            return v
    raise AssertionError("the last diagnosis always answers")  # pragma: no cover


def not_a_function_outputs(fn: object) -> dict[str, Array]:
    """Outputs recording that the check was given something that is not callable."""
    from .calling import describe, encode_status

    return {STATUS: encode_status({"kind": "not-a-function", "got": describe(fn)})}
