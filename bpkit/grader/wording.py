"""How a wrong answer is described: where it differs, the worst entry, the student's failing line.

Small formatting helpers shared by the judge (:mod:`bpkit.grader.diagnosis`);
every number is printed with fixed precision so reports are deterministic.

>>> times_noise(3.2e5)
'more than 10^5 times'
>>> ratio_text(5 / 7)
'5/7'
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .gradcheck import Truth
from .result import digits_to_show, num
from .shapes import OutputSpec

Array = np.ndarray


def times_noise(ratio: float) -> str:
    """``"more than 10^4 times"``: the error in noise estimates, by power of ten (stable across machines)."""
    if not math.isfinite(ratio) or ratio >= 1e300:
        return "vastly more than"
    k = int(math.floor(math.log10(max(ratio, 1.0))))
    return f"more than 10^{k} times" if k >= 1 else "a few times"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def ratio_text(c: float) -> str:
    """A ratio as a small fraction when it is one (``"5/7"``, ``"-1/2"``, ``"3"``), else 4 digits."""
    f = Fraction(c).limit_denominator(12)
    if abs(float(f) - c) <= 1e-6 * max(1.0, abs(c)):
        return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"
    return num(c, 4)


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


def sentence(text: str) -> str:
    """Start with a capital when the text starts with "your" (never turn δ into Δ or db into Db)."""
    return "Your" + text[4:] if text.startswith("your ") else text


def pattern_text(spec: OutputSpec, bad: Array) -> str:
    """``", all in row 2 (...)"`` when the wrong entries share one row or one column."""
    n_bad = int(bad.sum())
    if not (bad.ndim == 2 and n_bad > 1 and bad.shape[0] > 1 and bad.shape[1] > 1):
        return ""
    rows = np.flatnonzero(bad.any(axis=1))
    cols = np.flatnonzero(bad.any(axis=0))
    if len(rows) == 1:
        meaning = spec.rows.format(rows[0] + 1) if spec.rows else ""
        return f", all in row {rows[0]} (counting from 0{': ' + meaning if meaning else ''})"
    if len(cols) == 1:
        meaning = spec.cols.format(cols[0] + 1) if spec.cols else ""
        return f", all in column {cols[0]} (counting from 0{': ' + meaning if meaning else ''})"
    return ""


def worst_entry_lines(spec: OutputSpec, truth: Truth, got_array: Array, excess: Array) -> list[str]:
    """The worst entry: expected, got, and the error in noise estimates."""
    i = tuple(int(k) for k in np.unravel_index(int(np.argmax(excess)), excess.shape))
    got = float(np.asarray(got_array, np.float64)[i])
    if truth.lo[i] != truth.hi[i]:
        k = digits_to_show(truth.hi[i] if got > truth.hi[i] else truth.lo[i], got)
        exp_txt = f"between {num(truth.lo[i], k)} and {num(truth.hi[i], k)} (a ReLU kink is within a step)"
        err = max(truth.lo[i] - got, got - truth.hi[i])
    else:
        k = digits_to_show(truth.expected[i], got)
        exp_txt = num(truth.expected[i], k)
        err = abs(got - truth.expected[i])
    noise = "rounding noise" if truth.method == "exact" else "finite-difference noise"
    return [f"Worst entry {spec.name}{spec.where(i)}: expected {exp_txt}, got {num(got, k)};",
            f"  error {float(err):.3g}, {times_noise(float(excess[i]))} the estimated {noise}."]


def mismatch_lines(specs: list[OutputSpec], truths: dict[str, Truth], arrays: dict[str, Array],
                   excess: dict[str, Array], bad: dict[str, Array], where_hint: str = "") -> list[str]:
    """Where the answer differs and the numbers of the worst entry (at most two arrays)."""
    wrong = [s for s in specs if bad[s.name].any()]
    right = [s.name for s in specs if not bad[s.name].any()]
    lines = []
    if len(specs) > 1:
        lines.append(f"Wrong: {', '.join(s.name for s in wrong)}"
                     + (f"; right: {', '.join(right)}." if right else "."))
        if where_hint:
            lines.append(where_hint)
    for s in wrong[:2]:
        b = bad[s.name]
        lines.append(f"{s.name} differs in {int(b.sum())} of {b.size} entries{pattern_text(s, b)}.")
        lines += worst_entry_lines(s, truths[s.name], arrays[s.name], excess[s.name])
    if len(wrong) > 2:
        lines.append(f"(and {len(wrong) - 2} more wrong array{'s' if len(wrong) > 3 else ''})")
    return lines
