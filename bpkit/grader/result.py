"""What a check returns: per-case verdicts and a score, as plain text and as HTML.

A :class:`CheckResult` prints as a few lines of plain text and renders as a
small HTML box in Jupyter. Both are deterministic: every number is printed
with a fixed number of significant digits, nothing depends on timing,
memory addresses or file names, and no whole array is ever shown -- one
entry and a diagnosis say more than a wall of numbers. That is what lets
nbval compare a notebook's stored check output on another machine.

>>> v = Verdict(index=0, description="z (3, 5)", passed=True, diagnosis="passed", title="passed")
>>> print(CheckResult("check_sigmoid", "sigmoid", [v]))
check_sigmoid: PASSED -- 1 of 1 case correct (score 1.00)
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

#: Diagnosis ids, in the order the checks look for them.
ORDER = (
    "not-a-function",      # the check was given something that is not a function
    "not-attempted",       # NotImplementedError
    "exception",           # raised another error (with the student's line)
    "not-an-array",        # None, a list, a number where a pair was expected, ...
    "not-finite",          # NaN or inf, and where
    "shape",               # wrong shape, with the likely cause
    "mutated",             # changed its inputs in place
    "float32",             # right to float32 precision: passes with a note
    "mistake",             # a known mistake (or a constant multiple of the truth), named
    "mismatch",            # differs: where, and the worst entry's numbers
)


def num(x: float, digits: int = 4) -> str:
    """``digits`` significant digits, no ``-0``."""
    s = f"{float(x):.{digits}g}"
    return "0" if s in ("-0", "0") else s


def digits_to_show(expected: float, got: float) -> int:
    """Enough significant digits (4 to 12) for two nearby numbers to print differently."""
    scale = max(abs(expected), abs(got))
    diff = abs(expected - got)
    if diff == 0 or scale == 0:
        return 4
    return int(min(12, max(4, math.ceil(-math.log10(diff / scale)) + 1)))


def index_text(index: tuple[int, ...]) -> str:
    """numpy's index of an entry: ``(2, 0) -> "[2, 0]"``."""
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def position_text(index: tuple[int, ...], meaning: str = "") -> str:
    """Where an entry is, unambiguously: numpy's row and column (counted from 0),
    then what they mean (units and examples are counted from 1, as in the lessons).

    >>> position_text((2, 0), "unit 3 of layer 2, example 1")
    'row 2, column 0, counting from 0: unit 3 of layer 2, example 1'
    >>> position_text((4,))
    'entry 4, counting from 0'
    """
    if len(index) == 0:
        axes = "the only entry"
    elif len(index) == 1:
        axes = f"entry {int(index[0])}"
    else:
        axes = f"row {int(index[0])}, column {int(index[1])}"
        if len(index) > 2:
            axes += ", " + ", ".join(f"axis {k} at {int(i)}" for k, i in enumerate(index[2:], start=2))
    if len(index) == 0:
        return axes + (f": {meaning}" if meaning else "")
    return f"{axes}, counting from 0" + (f": {meaning}" if meaning else "")


@dataclass
class Verdict:
    """The outcome of one case.

    Attributes:
        index: the case's position (0-based; shown as ``case index+1``).
        description: the case in one line (shapes, activation, ...).
        passed: whether the case counts as correct.
        diagnosis: ``"passed"``, ``"float32"`` or one of :data:`ORDER`.
        title: a few words for the summary table, e.g. ``"σ′ missing"``.
        lines: the explanation, one string per line, no arrays dumped.
        mistakes: ids of the known mistakes recognised (``"sigma-prime-missing"``, ...).
        cause: for ``"shape"``, the likely cause's id (``"transposed"``, ``"batch-axis-kept"``, ...).
    """

    index: int
    description: str
    passed: bool
    diagnosis: str
    title: str
    lines: list[str] = field(default_factory=list)
    mistakes: tuple[str, ...] = ()
    cause: str = ""

    @property
    def label(self) -> str:
        return f"case {self.index + 1}"


class CheckResult:
    """The result of one check: verdicts, score and diagnosis.

    Attributes:
        check: the check's name, e.g. ``"check_backprop_error"``.
        exercise: the exercise id, e.g. ``"backprop-error"``.
        verdicts: one :class:`Verdict` per case.

    ``score`` is the fraction of cases passed; ``passed`` is true when all
    passed; ``diagnosis`` is the diagnosis of the first failing case
    (``"passed"`` if none failed); ``diagnoses`` lists every case's.
    ``str(result)`` is the plain-text report, ``result._repr_html_()`` the HTML.
    """

    def __init__(self, check: str, exercise: str, verdicts: list[Verdict], function: str = "",
                 needs: str = "", *, hints: tuple[str, ...] = (), hint_number: int = 0,
                 notes: tuple[str, ...] = (), call: str = ""):
        self.check = check
        self.exercise = exercise
        self.verdicts = list(verdicts)
        self.function = function or exercise.replace("-", "_")
        #: What the check must be given, for the headline when it got something else.
        self.needs = needs or f"a function: {check}({self.function})"
        #: The exercise's staged hints (empty when hints are off), and the one that fits the diagnosis.
        self.hints = tuple(hints)
        self.hint_number = int(hint_number) if self.hints and not self.passed else 0
        #: Notes shown whatever the verdict (e.g. a helper borrowed from another cell).
        self.notes = tuple(notes)
        self._call = call
        self._next_hint = 0

    # ------------------------------------------------------------------ hints
    def hint(self, k: int | None = None):
        """Hint ``k`` (1-based) of the exercise, or the next one not yet shown.

        Returns a small object that prints as ``Hint 2 of 3 (sigmoid): ...``.
        """
        from .hints import OFF_TEXT, HintText, hints_enabled

        if not self.hints or not hints_enabled():
            return HintText(0, 0, self.exercise, OFF_TEXT if self.hints or not hints_enabled()
                            else "This exercise has no hints.")
        if k is None:
            self._next_hint = min(self._next_hint + 1, len(self.hints))
            k = self._next_hint
        if not isinstance(k, int) or not 1 <= k <= len(self.hints):
            raise ValueError(f"hint number must be 1 to {len(self.hints)}, got {k!r}")
        return HintText(k, len(self.hints), self.exercise, self.hints[k - 1])

    def _tail(self) -> list[str]:
        """The last lines of the report: the notes, then the pointer to the hint that fits."""
        from .hints import pointer_text

        lines = list(self.notes)
        if self.hint_number:
            lines.append(pointer_text(self._call, self.hint_number))
        return lines

    # ------------------------------------------------------------------ summary
    @property
    def n_passed(self) -> int:
        return sum(v.passed for v in self.verdicts)

    @property
    def score(self) -> float:
        return self.n_passed / len(self.verdicts) if self.verdicts else 0.0

    @property
    def passed(self) -> bool:
        return bool(self.verdicts) and all(v.passed for v in self.verdicts)

    @property
    def failures(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.passed]

    @property
    def diagnosis(self) -> str:
        f = self.failures
        return f[0].diagnosis if f else "passed"

    @property
    def diagnoses(self) -> list[str]:
        return [v.diagnosis for v in self.verdicts]

    @property
    def mistakes(self) -> list[str]:
        """Every known mistake recognised in any case, in order, without repeats."""
        out: list[str] = []
        for v in self.verdicts:
            out += [m for m in v.mistakes if m not in out]
        return out

    @property
    def status(self) -> str:
        """``"passed"``, ``"not attempted"``, ``"not a function"`` or ``"failed"``."""
        if self.passed:
            return "passed"
        first = self.verdicts[0].diagnosis if self.verdicts else ""
        if first in ("not-attempted", "not-a-function") and all(v.diagnosis == first for v in self.verdicts):
            return first.replace("-", " ")           # "not attempted" / "not a function"
        return "failed"

    def headline(self) -> str:
        n, k = len(self.verdicts), self.n_passed
        plural = "case" if n == 1 else "cases"
        if self.status == "passed":
            return f"{self.check}: PASSED -- {k} of {n} {plural} correct (score {self.score:.2f})"
        if self.status == "not attempted":
            return f"{self.check}: not attempted yet -- {self.function} still raises NotImplementedError"
        if self.status == "not a function":
            return f"{self.check}: FAILED -- it needs {self.needs}"
        return f"{self.check}: FAILED -- {k} of {n} {plural} correct (score {self.score:.2f})"

    @property
    def _uniform(self) -> bool:
        """All cases failed the same way (then one explanation covers them all)."""
        return len({(v.passed, v.diagnosis, v.title) for v in self.verdicts}) == 1 and not self.passed

    def _show_table(self) -> bool:
        if self.status == "failed":
            return not self._uniform or len(self.verdicts) == 1
        return self.status == "passed" and any(v.diagnosis == "float32" for v in self.verdicts)

    def _table(self) -> list[tuple[str, str, str]]:
        return [(v.label, v.description, v.title) for v in self.verdicts]

    def _details(self) -> list[tuple[str, list[str]]]:
        """Explanations worth showing: the first failing case of each distinct diagnosis (at most 2),
        or the note of a passing case."""
        if self.status == "not attempted":
            return [("", ["Write the body of the function, run its cell, then run this check again."])]
        if self.status == "not a function":
            return [("", self.verdicts[0].lines)]
        if self._uniform and len(self.verdicts) > 1:
            v = self.verdicts[0]
            return [(f"All {len(self.verdicts)} cases: {v.title}. For example, {v.label}: {v.description}",
                     v.lines)]
        shown: list[tuple[str, list[str]]] = []
        seen: set[tuple[str, str]] = set()
        for v in self.failures:
            key = (v.diagnosis, v.title)
            if key in seen:
                continue
            seen.add(key)
            shown.append((f"{v.label.capitalize()}: {v.title}", v.lines))
            if len(shown) == 2:
                break
        if not shown:
            notes = [v for v in self.verdicts if v.lines]
            if notes:
                shown.append((f"Note ({notes[0].label})", notes[0].lines))
        return shown

    # ------------------------------------------------------------------ rendering
    def __str__(self) -> str:
        out = [self.headline()]
        if self._show_table():
            rows = self._table()
            w0 = max(len(r[0]) for r in rows)
            w1 = max(len(r[1]) for r in rows)
            out += [f"  {a:<{w0}}  {b:<{w1}}  {c}".rstrip() for a, b, c in rows]
        for head, lines in self._details():
            if head:
                out.append(head)
            out += ["  " + line for line in lines]
        out += self._tail()
        return "\n".join(out)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        color = {"passed": "#2e7d32", "not attempted": "#9a6700"}.get(self.status, "#c62828")
        mark = {"passed": "&#10004;", "not attempted": "&#9998;"}.get(self.status, "&#10008;")
        e = html.escape
        parts = [
            f'<div class="bpkit-check" style="border-left: 5px solid {color}; padding: 4px 10px; '
            f'margin: 4px 0;">',
            f'<div style="color: {color}; font-weight: bold;">{mark} {e(self.headline())}</div>',
        ]
        if self._show_table():
            parts.append('<table style="border-collapse: collapse; margin: 4px 0; font-size: 90%;">')
            for v in self.verdicts:
                c = "#2e7d32" if v.passed else "#c62828"
                parts.append(
                    f'<tr><td style="padding: 1px 8px 1px 0; text-align: left;">{e(v.label)}</td>'
                    f'<td style="padding: 1px 8px; text-align: left;"><code>{e(v.description)}</code></td>'
                    f'<td style="padding: 1px 8px; text-align: left; color: {c};">{e(v.title)}</td></tr>'
                )
            parts.append("</table>")
        for head, lines in self._details():
            if head:
                parts.append(f'<div style="font-weight: bold; margin-top: 4px;">{e(head)}</div>')
            parts.append('<pre style="margin: 2px 0 2px 1em; white-space: pre-wrap;">'
                         + e("\n".join(lines)) + "</pre>")
        for line in self._tail():
            parts.append(f'<div style="margin-top: 4px;">{e(line)}</div>')
        if self.hint_number:
            for k, text in enumerate(self.hints, start=1):
                parts.append(f'<details style="margin: 2px 0;"><summary>Hint {k} of {len(self.hints)}'
                             f'</summary><div style="margin-left: 1em;">{e(text)}</div></details>')
        parts.append("</div>")
        return "\n".join(parts)
