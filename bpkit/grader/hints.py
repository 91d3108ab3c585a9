"""Staged hints: on by default, off for graded work.

Every exercise carries 1-3 hints (``Exercise.hints``), the last close to the
answer without giving it. A check shows them only when asked --
``result.hint()`` gives the next one, ``result.hint(k)`` hint k, and the
HTML report has one collapsed box per hint -- and a failing check ends with
a pointer to the hint that fits its diagnosis.

An instructor who hands out graded work turns them off:
``bpkit release --no-hints`` writes lessons whose set-up cell calls
:func:`hints_off`, and then checks show no hints and no pointer.

>>> hints_off(); hints_enabled()
False
>>> hints_on(); hints_enabled()
True
"""

from __future__ import annotations

import html
from dataclasses import dataclass

_STATE = {"enabled": True}
#: What a check says when hints are off.
OFF_TEXT = "Hints are turned off for this assignment."


def hints_off() -> None:
    """Turn hints off for this session (graded work): no hints, no pointer to them."""
    _STATE["enabled"] = False


def hints_on() -> None:
    """Turn hints back on (the default)."""
    _STATE["enabled"] = True


def hints_enabled() -> bool:
    """Whether checks show hints."""
    return bool(_STATE["enabled"])


@dataclass(frozen=True)
class HintText:
    """One hint as a check shows it: ``Hint 2 of 3 (sigmoid): ...``."""

    number: int
    total: int
    exercise: str
    text: str

    def __str__(self) -> str:
        if not self.number:
            return self.text
        return f"Hint {self.number} of {self.total} ({self.exercise}): {self.text}"

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return f'<div class="bpkit-hint" style="padding: 2px 10px;">{html.escape(str(self))}</div>'


def pointer_text(check_call: str, number: int) -> str:
    """The last line of a failing report: which hint fits."""
    text = f"Stuck? Hint {number} is about this: _.hint({number}) in the next cell"
    return text + (f", or {check_call}.hint({number})." if check_call else ".")
