"""What an answer array should look like, and why a wrong shape is wrong.

:class:`OutputSpec` names one answer array (``"delta"``, ``"dW[2]"``), its
shape and what its rows and columns mean; :func:`shape_cause` reads a wrong
shape as the likely mistake (transposed, batch axis kept or lost, ``(n,)``
instead of ``(n, 1)``, summed over the wrong axis, broadcast into a square).

>>> shape_cause(OutputSpec("db", (4, 1), m=5), (1, 5))[0]
'wrong-axis'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .result import index_text, position_text


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


#: Titles of the shape causes, for the summary table.
SHAPE_TITLES = {
    "transposed": "transposed", "1-d": "(n,) instead of (n, 1)", "batch-axis-kept": "batch axis kept",
    "batch-axis-lost": "batch axis lost", "single-number": "a single number",
    "broadcast": "(n, n) from broadcasting", "wrong-axis": "summed over the wrong axis",
    "wrong-layer": "a[l] instead of a[l−1]", "outer-flattens": "np.outer of a batch",
    "delta-not-updated": "δ not updated: δ[L] reached a lower layer",
}


def _batch_cause(exp: tuple[int, ...], got: tuple[int, ...], m: int) -> tuple[str, str] | None:
    """Causes that involve the batch axis (m columns) or the axis of a sum."""
    r, c = exp
    if c == 1 and m > 1 and got == (r, m):
        return "batch-axis-kept", (f"it kept the batch axis: one column per example ({m}) instead of "
                                   "one column summed over them -- np.sum(..., axis=1, keepdims=True)")
    if c == m and m > 1 and got == (r, 1):
        return "batch-axis-lost", (f"it has one column where one per example ({m}) is needed: "
                                   "something was summed or averaged over the examples")
    if c == 1 and m > 1 and got in ((1, m), (m,)):
        return "wrong-axis", (f"it has one entry per example ({m}): it was summed over the units "
                              "(axis=0) instead of over the examples -- np.sum(..., axis=1, keepdims=True)")
    if r > 1 and got in ((1, c), (c,)) and c != r:
        return "wrong-axis", "it has one row: it was summed over the rows (axis=0) instead of the columns"
    return None


def shape_cause(spec: OutputSpec, got: tuple[int, ...]) -> tuple[str, str]:
    """``(cause id, explanation)`` of a wrong shape (``("other", "")`` when no cause is known)."""
    exp = tuple(spec.shape)
    size = int(np.prod(exp)) if exp else 1
    if got == ():
        return "single-number", ("it is a single number: something was summed (or averaged) over every "
                                 "entry -- give np.sum an axis, e.g. axis=1, keepdims=True")
    if len(exp) == 2 and got == exp[::-1]:
        return "transposed", "it is transposed: rows and columns are swapped"
    if len(got) == 1 and got[0] == size:
        if len(exp) == 2 and exp[1] == 1:
            return "1-d", (f"it is 1-D, ({exp[0]},) instead of the column ({exp[0]}, 1): keep columns 2-D, "
                           "e.g. np.sum(..., axis=1, keepdims=True) or x.reshape(-1, 1)")
        return "flattened", "it was flattened to 1-D; keep the 2-D shape"
    if len(exp) == 2:
        cause = _batch_cause(exp, got, spec.m)
        if cause is not None:
            return cause
        n = max(exp)
        if got == (n, n) and min(exp) == 1:
            return "broadcast", (f"it is ({n}, {n}): either @ (a matrix product) was used where ⊙ belongs -- "
                                 "a column @ a row is an outer product; ⊙ is *, entry by entry -- or a row "
                                 f"or a 1-D array met a ({n}, 1) column and numpy broadcast them "
                                 f"into a square")
    if len(got) > len(exp):
        return "extra-axis", f"it has {len(got)} axes instead of {len(exp)}"
    return "other", ""
