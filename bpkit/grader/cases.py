"""Test cases: seeded, float64, with distinct non-square shapes.

A :class:`Case` is everything one run of an exercise needs: named float64
arrays (the student's inputs and any grader-only data), a few JSON-able
settings in ``meta`` (an activation's name, the learning rate, ...) and a
one-line description for the report. Cases are made by each exercise's
``make_cases(seed, n)``; case ``i`` of seed ``s`` is drawn from its own
generator, seeded by the exercise id, ``s`` and ``i``, so

* the same seed always gives the same cases, on any machine;
* the first cases of a larger set are the cases of a smaller one;
* another seed gives a fresh set -- an instructor grades on **hidden cases**
  by choosing a seed students do not know (see :func:`hidden_seed`).

Shapes are chosen so that mistakes show: every dimension in a case differs
from the others (a transposed answer can never have the right shape, and
``W`` can never stand in for ``W.T``), batch sizes avoid 1 and 2 (so "sum
instead of mean", a factor ``m``, cannot look like the factor 2 of the MSE's
½), and values given to a ReLU stay at least :data:`KINK_MARGIN` from its
kink.

>>> rng = case_rng("demo", seed=0, index=0)
>>> dims = distinct_sizes(rng, 3)
>>> len(set(dims)) == 3 and min(dims) >= 2
True
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Array = np.ndarray

#: Values fed to a ReLU keep |z| >= KINK_MARGIN (100 steps of 1e-5).
KINK_MARGIN = 1e-3
#: Batch sizes used from lesson 07 on: never 1 or 2, never a layer width.
BATCH_SIZES = (3, 5, 6, 7)
#: Layer widths are drawn from this range (inclusive).
MIN_WIDTH, MAX_WIDTH = 2, 7


@dataclass
class Case:
    """One test case of one exercise.

    Attributes:
        exercise: the exercise id, e.g. ``"backprop-error"``.
        index: position in its case set (0-based; reports say "case index+1").
        seed: the seed the set was drawn from.
        arrays: named float64 arrays. Names of list entries carry their layer,
            e.g. ``"W[2]"``. Student inputs and grader-only data alike.
        meta: small JSON-able settings (activation names, learning rate, ``m``...).
        description: one line for the report, e.g. ``"W_next (3, 5), ..."``.
    """

    exercise: str
    index: int
    seed: int
    arrays: dict[str, Array]
    meta: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    _memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def array(self, name: str) -> Array:
        """A fresh float64 copy of ``arrays[name]`` (safe to hand to student code)."""
        return np.array(self.arrays[name], dtype=np.float64, copy=True)

    def layers(self, name: str) -> list:
        """``[None, copy of name[1], ..., copy of name[L]]`` from ``name[l]`` arrays."""
        L = int(self.meta["L"])
        return [None] + [self.array(f"{name}[{l}]") for l in range(1, L + 1)]

    def to_arrays(self) -> dict[str, Array]:
        """The case as a flat dict of arrays (for ``np.savez``, no pickling): the arrays
        under their own names plus ``"!case"``, a 0-d string holding the rest as JSON."""
        head = {"exercise": self.exercise, "index": self.index, "seed": self.seed, "meta": self.meta,
                "description": self.description}
        return {**{k: np.asarray(v) for k, v in self.arrays.items()}, "!case": np.array(json.dumps(head))}

    @classmethod
    def from_arrays(cls, data: dict[str, Array]) -> Case:
        """The inverse of :meth:`to_arrays`."""
        head = json.loads(str(np.asarray(data["!case"])[()]))
        arrays = {k: np.array(v, dtype=np.float64) for k, v in data.items() if k != "!case"}
        return cls(head["exercise"], int(head["index"]), int(head["seed"]), arrays, head["meta"],
                   head["description"])

    def replace(self, **arrays: Array) -> Case:
        """A copy with some arrays replaced (for hand-made cases, e.g. near a kink)."""
        new = {k: np.array(v, dtype=np.float64) for k, v in self.arrays.items()}
        for k, v in arrays.items():
            new[k] = np.array(v, dtype=np.float64)
        return Case(self.exercise, self.index, self.seed, new, dict(self.meta), self.description)


def case_rng(exercise: str, seed: int, index: int) -> np.random.Generator:
    """The generator of case ``index`` of ``exercise`` for ``seed``.

    Seeded by a checksum of the exercise id, the seed and the index, so
    exercises never share random streams and cases do not depend on how many
    are drawn.
    """
    salt = zlib.crc32(exercise.encode("utf-8"))
    return np.random.default_rng([salt, int(seed) % 2**63, int(index)])


def hidden_seed(secret: str) -> int:
    """A grading seed derived from an instructor's secret phrase.

    >>> hidden_seed("spring term") == hidden_seed("spring term")
    True
    """
    return int.from_bytes(hashlib.sha256(secret.encode("utf-8")).digest()[:8], "big") % 2**63


def distinct_sizes(
    rng: np.random.Generator, k: int, exclude: tuple[int, ...] = (), low: int = MIN_WIDTH,
    high: int = MAX_WIDTH,
) -> list[int]:
    """``k`` distinct widths in ``[low, high]``, none of them in ``exclude``."""
    pool = np.array([n for n in range(low, high + 1) if n not in exclude])
    return [int(n) for n in rng.choice(pool, size=k, replace=False)]


def batch_size(rng: np.random.Generator, exclude: tuple[int, ...] = ()) -> int:
    """A batch size from :data:`BATCH_SIZES` that is not one of the widths in ``exclude``."""
    pool = [m for m in BATCH_SIZES if m not in exclude]
    return int(rng.choice(pool))


def away_from_kink(values: Array, margin: float = KINK_MARGIN) -> Array:
    """Push every entry with ``|v| < margin`` out to ``±margin`` (keeping its sign)."""
    v = np.array(values, dtype=np.float64)
    small = np.abs(v) < margin
    v[small] = np.where(v[small] < 0, -margin, margin)
    return v


def near_kink(case: Case, name: str, rng: np.random.Generator, count: int = 3) -> Case:
    """A copy of ``case`` with ``count`` entries of ``arrays[name]`` put at or within a step of 0.

    Used by the tests to confirm that kink crossings are handled: the values
    are drawn from ``0``, ``±1e-7`` and ``±3e-6`` (inside the 1e-5 step).
    """
    z = np.array(case.arrays[name], dtype=np.float64)
    flat = z.ravel()
    picks = rng.choice(flat.size, size=min(count, flat.size), replace=False)
    flat[picks] = rng.choice([0.0, 1e-7, -1e-7, 3e-6, -3e-6], size=picks.size)
    return case.replace(**{name: flat.reshape(z.shape)})


def shape_text(x: Array) -> str:
    """``"(3, 5)"``."""
    return "(" + ", ".join(str(d) for d in np.shape(x)) + ("," if np.ndim(x) == 1 else "") + ")"
