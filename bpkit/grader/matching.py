"""Which known mistake explains an answer: all mistakes compared at once, vectorised.

>>> from bpkit.grader.gradcheck import Truth
>>> t = {"d": Truth.exact(np.array([[1.0, 2.0]]), np.full((1, 2), 1e-15))}
>>> spec = [OutputSpec("d", (1, 2))]
>>> got = {"d": np.array([[-1.0, -2.0]])}
>>> mk = Mistake("sign", "sign flipped", "", {"d": -t["d"].expected})
>>> [m.id for m in match_mistakes([mk], t, got, spec, {"d": np.array([[True, True]])})]
['sign']
"""

from __future__ import annotations

import numpy as np

from .gradcheck import TOLERANCE, Truth
from .mistakes import Mistake
from .shapes import OutputSpec

Array = np.ndarray
#: A student's answer "is" a known mistake when it is this close (relative to the mistake's size).
MATCH_RTOL = 2e-5
#: ... and only mistakes at least this far from the truth (relative) are considered.
DISTINCT_RTOL = 1e-3


def _stack(mistakes: list[Mistake], names: list[str], expected: list[Array]) -> tuple[Array, Array]:
    """(C, given): each mistake's arrays laid end to end, one row per mistake (the truth where the
    mistake gives nothing or another shape), and which arrays each mistake gives."""
    blocks, given = [], []
    for n, e in zip(names, expected, strict=True):
        col, has = [], []
        for mk in mistakes:
            c = mk.outputs.get(n)
            if c is not None:
                c = np.asarray(c, dtype=np.float64)
            ok = c is not None and c.shape == e.shape
            col.append(c if ok else e)
            has.append(ok)
        blocks.append(np.array(col, dtype=np.float64).reshape(len(mistakes), e.size))
        given.append(has)
    return np.concatenate(blocks, axis=1), np.array(given, dtype=bool).T.copy()


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

    C, given = _stack(mistakes, names, [truths[n].expected for n in names])

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
