"""The judge: from a case and the student's arrays to a :class:`~bpkit.grader.result.Verdict`.

The diagnoses are tried in this order; the first that applies is the verdict.

1. **not attempted** -- the function raised ``NotImplementedError``.
2. **raised an error** -- any other exception, reported with the student's
   own line (line number within the cell and the code), and, where the
   error is a known one (a matrix product with ``W`` where ``Wᵀ`` belongs),
   the mistake's name.
3. **not an array** -- ``None``, a list, a single array where a pair was due.
4. **NaN or inf** -- which answer, how many entries, the first one.
5. **wrong shape** -- with the likely cause: transposed, batch axis kept or
   lost, ``(n,)`` instead of ``(n, 1)``, a single number, an ``(n, n)``
   from broadcasting ``(n,)`` against ``(n, 1)``.
6. **changed its inputs in place** -- which input, which entry.
7. **a known mistake** -- each exercise lists the mistakes students make
   (σ′ missing, σ′ at ``a``, ``W`` for ``Wᵀ``, a transposed result, a sum
   for a mean, a mean taken twice, a sign, the ½ of the MSE, ...); the
   grader computes each one's answer from the case's own data with its own
   code and compares.
8. **float32** -- right to float32 precision: *passes*, with a note.
9. **differs** -- which answer, which entries (one row? one column?), and
   the worst entry: expected, got, and the error as a multiple of the noise
   estimate.

The judge reads only the case and the outputs dict (see
:mod:`bpkit.grader.calling`); it never runs student code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .calling import STATUS, decode_status
from .gradcheck import TOLERANCE, Truth
from .mistakes import Mistake
from .result import Verdict, digits_to_show, index_text, num, position_text

if TYPE_CHECKING:  # pragma: no cover
    from .cases import Case
    from .exercises import Exercise

Array = np.ndarray
EPS32 = float(np.finfo(np.float32).eps)
#: float32 answers pass (with a note) within this many float32 epsilons of the largest expected entry.
FLOAT32_FACTOR = 64.0
FLOAT32_NOTE = ("Note that float32 keeps only about 7 significant digits; numpy's default, float64, "
                "keeps about 16 (the checks compare with float64).",)
#: A student's answer "is" a known mistake when it is this close (relative to the mistake's size).
MATCH_RTOL = 2e-5
#: ... and only mistakes at least this far from the truth (relative) are considered.
DISTINCT_RTOL = 1e-3


@dataclass(frozen=True)
class OutputSpec:
    """One answer array: its name, shape and what its axes mean (for messages).

    ``rows`` and ``cols`` are templates such as ``"unit {} of layer 2"`` or
    ``"example {}"`` (empty: nothing to say beyond the index); they are filled
    with numbers counted **from 1**, as the lessons count units and examples,
    while the index itself is numpy's, counted from 0 -- and every message says
    so. ``m`` is the case's batch size, used to name shape mistakes.

    >>> s = OutputSpec("dW[2]", (3, 5), "unit {} of layer 2", "unit {} of layer 1")
    >>> s.where((1, 4))
    '[1, 4] (row 1, column 4, counting from 0: unit 2 of layer 2, unit 5 of layer 1)'
    >>> s.axes()
    'rows: units of layer 2, columns: units of layer 1'
    """

    name: str
    shape: tuple[int, ...]
    rows: str = ""
    cols: str = ""
    m: int = 1

    def meaning(self, index: tuple[int, ...]) -> str:
        """What the entry at ``index`` is, e.g. ``"unit 2 of layer 2, example 1"`` (counted from 1)."""
        parts = []
        if len(index) >= 1 and self.rows:
            parts.append(self.rows.format(index[0] + 1))
        if len(index) >= 2 and self.cols and not (self.cols.startswith("example") and self.shape[1] == 1):
            parts.append(self.cols.format(index[1] + 1))
        return ", ".join(parts)

    def where(self, index: tuple[int, ...]) -> str:
        """The index, and what it means."""
        return f"{index_text(index)} ({position_text(index, self.meaning(index))})"

    def axes(self) -> str:
        """``"rows: units of layer 2, columns: examples"`` (empty if nothing to say)."""
        parts = []
        if self.rows:
            parts.append("rows: " + self.rows.replace(" {}", "s", 1))
        if self.cols and len(self.shape) > 1 and self.shape[1] > 1:
            parts.append("columns: " + self.cols.replace(" {}", "s", 1))
        return ", ".join(parts)


@dataclass
class Hint:
    """An exercise's reading of an exception: a known mistake's id, title and fix."""

    id: str
    title: str
    explanation: str


# --------------------------------------------------------------------------- formatting

def times_noise(ratio: float) -> str:
    """``"more than 10^4 times"``: the error in noise estimates, by power of ten (stable across machines)."""
    if not math.isfinite(ratio) or ratio >= 1e300:
        return "vastly more than"
    k = int(math.floor(math.log10(max(ratio, 1.0))))
    return f"more than 10^{k} times" if k >= 1 else "a few times"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# --------------------------------------------------------------------------- shapes

def shape_cause(spec: OutputSpec, got: tuple[int, ...]) -> tuple[str, str]:
    """``(cause id, explanation)`` of a wrong shape."""
    exp = spec.shape
    r = exp[0] if exp else 1
    c = exp[1] if len(exp) > 1 else 1
    m = spec.m
    size = int(np.prod(exp)) if exp else 1
    if got == ():
        return "single-number", ("it is a single number: something was summed (or averaged) over every "
                                 "entry -- give np.sum an axis, e.g. axis=1, keepdims=True")
    if len(exp) == 2 and got == (c, r):
        return "transposed", "it is transposed: rows and columns are swapped"
    if len(got) == 1 and got[0] == size:
        if c == 1:
            return "1-d", (f"it is 1-D, ({r},) instead of the column ({r}, 1): keep columns 2-D, "
                           "e.g. np.sum(..., axis=1, keepdims=True) or x.reshape(-1, 1)")
        return "flattened", "it was flattened to 1-D; keep the 2-D shape"
    if len(exp) == 2 and c == 1 and m > 1 and got == (r, m):
        return "batch-axis-kept", (f"it kept the batch axis: one column per example ({m}) instead of "
                                   "one column summed over them -- np.sum(..., axis=1, keepdims=True)")
    if len(exp) == 2 and c == m and m > 1 and got == (r, 1):
        return "batch-axis-lost", (f"it has one column where one per example ({m}) is needed: "
                                   "something was summed or averaged over the examples")
    if len(exp) == 2 and r > 1 and got == (1, c):
        return "wrong-axis", "it has one row: it was summed over the rows (axis=0) instead of the columns"
    if len(exp) == 2 and got == (max(r, c), max(r, c)) and min(r, c) == 1:
        n = max(r, c)
        return "broadcast", (f"it is ({n}, {n}): a 1-D ({n},) array met a ({n}, 1) column and numpy "
                             "broadcast them into a square -- keep every vector a 2-D column")
    if len(got) > len(exp):
        return "extra-axis", f"it has {len(got)} axes instead of {len(exp)}"
    return "other", ""


# --------------------------------------------------------------------------- the judge

def preliminary(exercise: Exercise, case: Case, outputs: dict[str, Array]) -> tuple[Verdict | None, dict]:
    """Diagnoses 1-6 (did it run, arrays, NaN, shapes, inputs changed): ``(verdict, {})`` when one
    applies, else ``(None, answer arrays by name)`` for the comparison with the truth."""
    def verdict(passed: bool, diagnosis: str, title: str, lines: list[str], mistakes=(), cause="") -> tuple:
        v = Verdict(case.index, case.description, passed, diagnosis, title, lines, tuple(mistakes), cause)
        return v, {}

    status = decode_status(outputs)
    kind = status["kind"]
    # the name of the function that ran: the exercise's, unless another was checked (lesson 11 checks
    # backward_buggy with check_backward_fixed)
    called = str(status.get("called", ""))
    fname = called if called.isidentifier() else exercise.case_function(case)
    specs = exercise.outputs(case)

    # 0-2: did it run at all?
    if kind == "not-a-function":
        return verdict(False, "not-a-function", "not a function", exercise.not_a_function_lines(case, status))
    if kind == "not-attempted":
        return verdict(False, "not-attempted", "not attempted yet", [
            status.get("message") or
            f"{fname} raises NotImplementedError: write its body, run the cell, then the check."])
    if kind == "exception":
        frame = status.get("frame") or {}
        lines = [f"{fname} raised {status.get('type', 'an error')}: {status.get('message', '')}".rstrip(": ")]
        if frame:
            lines += frame_lines(frame)
        hint = exercise.exception_hint(case, status)
        if hint is not None:
            return verdict(False, "mistake", hint.title, lines + [hint.explanation], mistakes=(hint.id,))
        return verdict(False, "exception", f"raised {status.get('type', 'an error')}", lines)
    if kind == "corrupt":
        return verdict(False, "not-an-array", "unreadable answer",
                       ["The answer could not be read back (it was not a set of plain arrays)."])
    if kind == "bad-return":
        return verdict(False, "not-an-array", "wrong kind of return value", [status.get("message", "")])

    # 3: every answer an array?
    types = status.get("types", {}) if isinstance(status.get("types"), dict) else {}
    arrays: dict[str, Array] = {}
    problems = []
    for s in specs:
        a = outputs.get(s.name)
        if s.name in types or not isinstance(a, np.ndarray) or a.dtype.kind not in "biuf":
            what = types.get(s.name, "missing")
            problems.append(f"{s.name} is {what}; it must be a numpy array of shape {tuple(s.shape)}.")
            continue
        arrays[s.name] = a
    if problems:
        none = any(types.get(s.name) == "None" for s in specs)
        title = "returned None" if none and len(problems) == len(specs) else "not an array"
        if none:
            problems.append("A function that ends without `return ...` returns None.")
        return verdict(False, "not-an-array", title, problems)

    # 4: NaN / inf
    lines = []
    for s in specs:
        a = arrays[s.name]
        nan, inf = np.isnan(a), np.isinf(a)
        if nan.any() or inf.any():
            bad = nan | inf
            first = tuple(int(k) for k in np.argwhere(bad)[0]) if a.ndim else ()
            what = " and ".join(w for w, mk in (("NaN", nan), ("inf", inf)) if mk.any())
            lines.append(f"{s.name} has {what} in {int(bad.sum())} of {a.size} entries; "
                         f"the first at {s.where(first)}.")
    if lines:
        lines.append("NaN comes from 0/0, inf - inf or log of a negative number; inf from overflow "
                     "(np.exp of a large number) or division by 0.")
        return verdict(False, "not-finite", "NaN or inf", lines)

    # 5: shapes
    for s in specs:
        got = tuple(arrays[s.name].shape)
        if got != tuple(s.shape):
            cause, why = exercise.shape_cause(case, s, got)
            msg = [f"{s.name} has shape {got} but must be {tuple(s.shape)}"
                   + (f" ({s.axes()})." if s.axes() else ".")]
            if why:
                msg.append(f"Likely cause: {why}.")
            title = {"transposed": "transposed", "1-d": "(n,) instead of (n, 1)",
                     "batch-axis-kept": "batch axis kept", "batch-axis-lost": "batch axis lost",
                     "single-number": "a single number", "broadcast": "(n, n) from broadcasting",
                     }.get(cause, "wrong shape")
            return verdict(False, "shape", title, msg, cause=cause)

    # 6: inputs changed in place
    mutated = [m for m in status.get("mutated") or [] if m.get("kind") == "list"]
    mutated += exercise.input_changes(case, outputs)
    if mutated:
        return verdict(False, "mutated", "changed its inputs", exercise.mutation_lines(case, mutated))
    return None, arrays


def judge(exercise: Exercise, case: Case, outputs: dict[str, Array]) -> Verdict:
    """The verdict on one case, from grader-owned code and the student's arrays only."""
    def verdict(passed: bool, diagnosis: str, title: str, lines: list[str], mistakes=(), cause="") -> Verdict:
        return Verdict(case.index, case.description, passed, diagnosis, title, lines, tuple(mistakes), cause)

    early, arrays = preliminary(exercise, case, outputs)
    if early is not None:
        return early
    specs = exercise.outputs(case)

    # compare with the truth
    truths: dict[str, Truth] = exercise.truth(case)
    excess = {s.name: truths[s.name].excess(arrays[s.name]) for s in specs}
    bad = {n: e > TOLERANCE for n, e in excess.items()}
    wrong = [s for s in specs if bad[s.name].any()]
    kinks = sum(t.kinks for t in truths.values())
    kink_note = ([f"({_plural(kinks, 'entry')} within a step of a ReLU kink: checked against "
                  "the one-sided derivatives.)"] if kinks else [])
    if not wrong:
        if any(arrays[s.name].dtype == np.float32 for s in specs):
            return verdict(True, "float32", "passed (float32)", [
                "Your answer is float32; it agrees with the float64 truth, so it passes.",
                *FLOAT32_NOTE, *kink_note])
        return verdict(True, "passed", "passed", kink_note)

    # 7: known mistakes
    found = match_mistakes(exercise.mistakes(case), truths, arrays, specs, bad,
                           exercise.match_rtol, exercise.distinct_rtol)
    where = mismatch_lines(exercise, case, specs, truths, arrays, excess, bad)
    if found:
        ids = [i for mk in found for i in mk.ids]
        title = " + ".join(mk.title for mk in found)
        if len(found) == 1:
            lines = [_sentence(found[0].explanation)]
        else:
            lines = [f"{m.title}: {m.explanation}" for m in found]
        return verdict(False, "mistake", title, lines + where, mistakes=ids)

    # 8: float32
    if exercise.float32_ok and any(arrays[s.name].dtype == np.float32 for s in specs) and all(
        _float32_ok(truths[s.name], arrays[s.name]) for s in wrong
    ):
        return verdict(True, "float32", "passed (float32)", [
            "Your answer is float32 and agrees with the float64 truth to float32 precision, so it passes.",
            *FLOAT32_NOTE])

    # 9: where it differs
    lines = where
    if exercise.float32_ok and all(_float32_ok(truths[s.name], arrays[s.name]) for s in wrong) and any(
            _float32_sized(truths[s.name], arrays[s.name]) for s in wrong):
        lines = lines + ["The differences are at the level of float32 rounding: is something converted "
                         "to float32 (np.float32, dtype='float32') along the way?"]
    return verdict(False, "mismatch", "wrong values", lines)


def frame_lines(frame: dict) -> list[str]:
    """Where the student's code failed: ``at line 3 of the cell, in f:`` and the line itself.

    A notebook cell is "the cell" (its temporary file name changes every
    run); a file is named by its base name. The code line is shown only when
    its source could be found.
    """
    where = frame.get("where") or ""
    place = "the cell" if where == "cell" else (where or "an unknown file")
    line = frame.get("line") or 0
    at = f"at line {line} of {place}" if line else f"in {place}"
    code = str(frame.get("code") or "").strip()
    function = frame.get("function") or ""
    head = f"  {at}" + (f", in {function}" if function else "")
    return [head + ":", f"    {code}"] if code else [head + "."]


def _float32_ok(truth: Truth, got: Array) -> bool:
    scale = float(np.max(np.abs(truth.expected))) if truth.expected.size else 0.0
    err = np.abs(np.asarray(got, np.float64) - truth.expected)
    err[truth.unchecked] = 0.0
    tol = FLOAT32_FACTOR * EPS32 * scale
    inside = (got >= truth.lo - tol) & (got <= truth.hi + tol)
    return bool(np.all(inside | (err <= tol)))


def _float32_sized(truth: Truth, got: Array) -> bool:
    """The largest error is at least the size of a float32 rounding of the largest entry."""
    scale = float(np.max(np.abs(truth.expected))) if truth.expected.size else 0.0
    return float(np.max(np.abs(np.asarray(got, np.float64) - truth.expected))) >= 0.25 * EPS32 * scale


def _sentence(text: str) -> str:
    """Start with a capital when the text starts with a plain word (never turn δ into Δ or db into Db)."""
    return "Your" + text[4:] if text.startswith("your ") else text


def match_mistakes(
    mistakes: list[Mistake], truths: dict[str, Truth], arrays: dict[str, Array],
    specs: list[OutputSpec], bad: dict[str, Array], match_rtol: float = MATCH_RTOL,
    distinct_rtol: float = DISTINCT_RTOL,
) -> list[Mistake]:
    """The known mistakes that explain the student's answer.

    A mistake is *considered* for an answer array when its value there is
    clearly not the truth (beyond 100 times the pass tolerance, and by more
    than ``distinct_rtol`` of the array's largest entry); it *explains* the
    array when the student's value is within the pass tolerance plus
    ``match_rtol`` of the mistake's largest entry. First a mistake that
    explains every wrong array and differs nowhere else is sought (in the
    exercise's order of likelihood); failing that, for each wrong array,
    the first mistake that explains it alone.

    All arrays are laid end to end and all mistakes stacked, so this is a
    handful of vectorised numpy operations however many mistakes there are.
    """
    if not mistakes:
        return []
    names = [s.name for s in specs]
    sizes = [truths[n].expected.size for n in names]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int)

    def cat(xs) -> Array:
        return np.concatenate([np.ravel(x) for x in xs])

    E = cat(truths[n].expected for n in names)
    N = cat(truths[n].noise for n in names)
    LO = cat(truths[n].lo for n in names)
    HI = cat(truths[n].hi for n in names)
    U = cat(truths[n].unchecked for n in names)
    G = cat(np.asarray(arrays[n], np.float64) for n in names)
    wrong = np.array([bool(bad[n].any()) for n in names])

    k = len(mistakes)
    C = np.tile(E, (k, 1))
    given = np.zeros((k, len(names)), bool)
    for i, mk in enumerate(mistakes):
        for j, n in enumerate(names):
            c = mk.outputs.get(n)
            if c is None:
                continue
            c = np.asarray(c, dtype=np.float64)
            if c.shape == truths[n].expected.shape:
                C[i, starts[j]:starts[j] + sizes[j]] = c.ravel()
                given[i, j] = True

    def seg_max(x: Array) -> Array:                       # (k, entries) -> (k, arrays)
        return np.maximum.reduceat(x, starts, axis=1)

    finite = np.isfinite(C)
    given &= np.minimum.reduceat(finite, starts, axis=1)
    C[~finite] = 0.0

    excess = (np.maximum(LO - C, 0.0) + np.maximum(C - HI, 0.0)) / N
    excess[:, U] = 0.0
    scale_e = seg_max(np.abs(E)[None, :])
    scale_c = seg_max(np.abs(C))
    distinct = given & (seg_max(excess) > 100 * TOLERANCE) & (
        seg_max(np.abs(C - E)) > distinct_rtol * np.maximum(scale_e, scale_c))
    tol = TOLERANCE * N + match_rtol * np.repeat(scale_c, sizes, axis=1)
    close = seg_max(np.abs(G - C) - tol) <= 0.0

    explains_all = distinct.any(axis=1) & np.all(np.where(distinct, close, ~wrong), axis=1)
    if explains_all.any():
        return [mistakes[int(np.argmax(explains_all))]]
    found: list[Mistake] = []
    for j in np.flatnonzero(wrong):
        hits = np.flatnonzero(distinct[:, j] & close[:, j])
        if hits.size and mistakes[hits[0]] not in found:
            found.append(mistakes[hits[0]])
    return found


def mismatch_lines(
    exercise: Exercise, case: Case, specs: list[OutputSpec], truths: dict[str, Truth],
    arrays: dict[str, Array], excess: dict[str, Array], bad: dict[str, Array],
) -> list[str]:
    """Where the answer differs and the numbers of the worst entry."""
    wrong = [s for s in specs if bad[s.name].any()]
    right = [s.name for s in specs if not bad[s.name].any()]
    lines = []
    if len(specs) > 1:
        lines.append(f"Wrong: {', '.join(s.name for s in wrong)}"
                     + (f"; right: {', '.join(right)}." if right else "."))
        hint = exercise.where_hint(case, [s.name for s in wrong], right)
        if hint:
            lines.append(hint)
    for s in wrong[:2]:
        b = bad[s.name]
        n_bad = int(b.sum())
        pattern = ""
        if b.ndim == 2 and n_bad > 1 and b.shape[0] > 1 and b.shape[1] > 1:
            rows = np.flatnonzero(b.any(axis=1))
            cols = np.flatnonzero(b.any(axis=0))
            if len(rows) == 1:
                meaning = s.rows.format(rows[0] + 1) if s.rows else ""
                pattern = f", all in row {rows[0]} (counting from 0{': ' + meaning if meaning else ''})"
            elif len(cols) == 1:
                meaning = s.cols.format(cols[0] + 1) if s.cols else ""
                pattern = f", all in column {cols[0]} (counting from 0{': ' + meaning if meaning else ''})"
        lines.append(f"{s.name} differs in {n_bad} of {b.size} entries{pattern}.")
        e = excess[s.name]
        i = tuple(int(k) for k in np.unravel_index(int(np.argmax(e)), e.shape))
        t = truths[s.name]
        got = float(np.asarray(arrays[s.name], np.float64)[i])
        if t.lo[i] != t.hi[i]:
            k = digits_to_show(t.hi[i] if got > t.hi[i] else t.lo[i], got)
            exp_txt = f"between {num(t.lo[i], k)} and {num(t.hi[i], k)} (a ReLU kink is within a step)"
            err = max(t.lo[i] - got, got - t.hi[i])
        else:
            k = digits_to_show(t.expected[i], got)
            exp_txt = num(t.expected[i], k)
            err = abs(got - t.expected[i])
        noise = "rounding noise" if t.method == "exact" else "finite-difference noise"
        lines.append(f"Worst entry {s.name}{s.where(i)}: expected {exp_txt}, got {num(got, k)};")
        lines.append(f"  error {float(err):.3g}, {times_noise(float(e[i]))} the estimated {noise}.")
    if len(wrong) > 2:
        lines.append(f"(and {len(wrong) - 2} more wrong array{'s' if len(wrong) > 3 else ''})")
    return lines


def not_a_function_outputs(fn: object) -> dict[str, Array]:
    """Outputs recording that the check was given something that is not callable."""
    from .calling import describe, encode_status

    return {STATUS: encode_status({"kind": "not-a-function", "got": describe(fn)})}
