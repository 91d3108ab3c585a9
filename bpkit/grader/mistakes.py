"""Known mistakes: the record, and the few wrong answers many exercises share.

Each exercise module lists its own known mistakes (``Exercise.mistakes(case)``),
each computed with grader-owned code on the case's own inputs. When the
student's answer matches one of them and not the truth, the report names the
mistake and its one-line fix instead of only saying "wrong". Mistake ids are
shared between exercises, so "σ′ missing" is ``"sigma-prime-missing"``
wherever it occurs (``tests/test_grader_diagnoses.py`` lists them all).

A mistake that exists only for a batch (the 1/m of the mean missing or taken
twice, the bias gradient left unsummed, ...) is marked ``batch_only``: the
report then says that the answer would be right for one example and is wrong
for a batch of m.

>>> d = np.ones((2, 3)) / 3
>>> [mk.id for mk in batch_variants(d, 3, "delta")]
['sum-not-mean', 'mean-twice']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

Array = np.ndarray


@dataclass
class Mistake:
    """A known mistake and the answer it gives on one case.

    Attributes:
        id: shared id, e.g. ``"sigma-prime-missing"``.
        title: a few words for the summary, e.g. ``"σ′ missing"``.
        explanation: what the student's values are, and the one-line fix.
        outputs: the mistake's answer arrays (those left out are taken to be right).
        also: further ids when several mistakes combine.
        batch_only: the mistake agrees with the truth for one example (m = 1).
    """

    id: str
    title: str
    explanation: str
    outputs: dict[str, Array] = field(default_factory=dict)
    also: tuple[str, ...] = ()
    batch_only: bool = False

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.id, *self.also)


def transposed_reshaped(x: Array) -> Array:
    """The transpose of ``x`` reshaped back to ``x``'s shape (what ``.T.reshape`` gives)."""
    return x.T.reshape(x.shape)


def transposed_result(truth: Array, name: str) -> Mistake:
    """The answer transposed and reshaped to fit."""
    return Mistake("transposed-result", "transposed result",
                   "your values are the transpose, reshaped to fit: do not reshape -- fix the order "
                   "of the product instead.", {name: transposed_reshaped(truth)})


def batch_variants(delta: Array, m: int, name: str) -> list[Mistake]:
    """The 1/m of a mean loss missing, or taken twice (only mistakes when m > 1)."""
    if m == 1:
        return []
    return [
        Mistake("sum-not-mean", "the 1/m is missing",
                f"your values are {m} times too large: the loss is the mean over the m = {m} examples, "
                "so δ carries a factor 1/m: divide once by m, the number of columns.", {name: delta * m},
                batch_only=True),
        Mistake("mean-twice", "1/m taken twice",
                f"your values are {m} times too small: the 1/m of the mean is taken once; "
                "do not divide by m again.", {name: delta / m}, batch_only=True),
    ]


def first_column_only(name: str, value: Array) -> Mistake:
    """Only the first example used (e.g. ``delta[:, 0:1]``), for a batch."""
    return Mistake("first-column-only", "only the first example",
                   "your answer uses only the first column (example 1) of the batch: "
                   "use every column, e.g. delta @ a_prev.T sums over all m examples.", {name: value},
                   batch_only=True)
