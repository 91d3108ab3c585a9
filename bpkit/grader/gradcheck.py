r"""Numerical truth: central differences with their own error estimate.

For an entry :math:`x_i` with step :math:`h_i = 10^{-5}\max(1, |x_i|)`,

.. math::
    D(h) = \frac{f(x + h e_i) - f(x - h e_i)}{2h}, \qquad
    \mathrm{est} = |D(h) - D(2h)| + \frac{4\varepsilon\,(|f_+| + |f_-|)}{2h}.

:math:`D(h)` is the expected value. Its error has two parts: truncation,
which :math:`|D(h) - D(2h)|` over-estimates (it is about three times the
truncation error of :math:`D(h)`), and rounding, bounded by the second term
(:math:`|f_\pm|` is replaced by the *magnitude* of what was added up, so
that cancellation inside :math:`f` cannot hide rounding). An answer passes
an entry when

.. math:: |\text{got} - D(h)| \le C\,\mathrm{est} \qquad (C = \texttt{TOLERANCE} = 10).

Correct analytic gradients land below about :math:`0.3\,\mathrm{est}`; real
mistakes land hundreds to millions of est away, including a 10 % error on a
single gradient entry of size :math:`10^{-5}` -- which a fixed absolute
tolerance such as ``atol=1e-5`` lets through.

**Kinks.** When the function has kinks (ReLU), each evaluation also reports
a boolean state (which side of each kink it is on). If the state at
:math:`x \pm h` or :math:`x \pm 2h` differs from the state at :math:`x`, the
stencil straddles a kink and the central difference means nothing. The
entry is then checked against the one-sided derivatives taken wholly on
either side (:math:`[x - 2h, x - h]` and :math:`[x + h, x + 2h]`, or from
:math:`x` itself when the side is smooth from :math:`x` on): any value in
the range they span is accepted, so a kink within a step of the data is
never charged to the student. An entry with kinks on both sides within the
stencil is not checked at all (and counted).

>>> import numpy as np
>>> t = central_difference(lambda X: (np.sum(X ** 3, axis=(1, 2)), np.sum(np.abs(X) ** 3, axis=(1, 2)), None),
...                        np.array([[1.0, 2.0, -0.5]]))
>>> t.expected.round(6)
array([[ 3.  , 12.  ,  0.75]])
>>> bool(np.all(t.noise < 1e-8))
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray
EPS = float(np.finfo(np.float64).eps)
#: Relative step: entry ``i`` moves by ``STEP * max(1, |x_i|)``.
STEP = 1e-5
#: An entry passes when ``|got - expected| <= TOLERANCE * noise``.
TOLERANCE = 10.0

#: ``fun(X) -> (values, magnitudes, state or None)``.
ScalarFunction = Callable[[Array], tuple]


@dataclass
class Truth:
    """What an answer array should be, and how precisely that is known.

    Attributes:
        expected: the best value, shape of the answer.
        noise: per-entry estimate of the error in ``expected`` (> 0).
        lo, hi: per-entry accepted range before the tolerance; equal to
            ``expected`` except at kinks, where they span the one-sided
            derivatives.
        unchecked: entries that cannot be checked (a kink on each side).
        kinks: how many entries straddled a kink.
        method: ``"central difference"`` or ``"exact"`` (value exercises).
    """

    expected: Array
    noise: Array
    lo: Array
    hi: Array
    unchecked: Array
    kinks: int = 0
    method: str = "central difference"

    @classmethod
    def exact(cls, expected: Array, noise: Array) -> Truth:
        """Truth of a value exercise: ``expected`` known up to the rounding bound ``noise``."""
        expected = np.asarray(expected, dtype=np.float64)
        noise = np.broadcast_to(np.asarray(noise, dtype=np.float64), expected.shape).copy()
        noise = np.maximum(noise, np.finfo(np.float64).tiny)
        return cls(expected, noise, expected, expected, np.zeros(expected.shape, bool), 0, "exact")

    def excess(self, got: Array) -> Array:
        """Per entry, how many noise estimates ``got`` lies outside the accepted range (0 inside)."""
        got = np.asarray(got, dtype=np.float64)
        below = np.maximum(self.lo - got, 0.0)
        above = np.maximum(got - self.hi, 0.0)
        out = (below + above) / self.noise
        out[self.unchecked] = 0.0
        return out


def steps_for(x: Array, step: float = STEP) -> Array:
    """Per-entry step ``step * max(1, |x_i|)``."""
    return step * np.maximum(1.0, np.abs(x))


def central_difference(
    fun: ScalarFunction, x: Array, *, elementwise: bool = False, step: float = STEP
) -> Truth:
    r"""Central differences of a scalar function at ``x``, every entry, with error estimates.

    Args:
        fun: if ``elementwise`` is false, ``fun(X)`` takes a stack ``X`` of
            shape ``(k, *x.shape)`` and returns ``(values (k,), magnitudes (k,),
            state)`` where ``state`` is ``None`` or a boolean array ``(k, ...)``.
            If ``elementwise`` is true, the scalar is a sum of one term per entry:
            ``fun(X)`` takes an array shaped like ``x`` and returns terms,
            magnitudes and state (or ``None``) shaped like ``x``.
        x: the float64 point.
        step: relative step.

    Returns:
        A :class:`Truth` shaped like ``x``.
    """
    x = np.asarray(x, dtype=np.float64)
    shape, n = x.shape, x.size
    s = steps_for(x.ravel(), step)
    offsets = (1.0, -1.0, 2.0, -2.0)
    points = [x.ravel() + o * s for o in offsets]          # coordinate of entry i in each evaluation

    if elementwise:
        vals, mags, states = [], [], []
        for p in [x.ravel(), *points]:
            v, mg, st = fun(p.reshape(shape))
            vals.append(np.ravel(v))
            mags.append(np.ravel(mg))
            states.append(None if st is None else np.ravel(st)[:, None])
    else:
        idx = np.arange(n)
        stack = np.empty((len(offsets), n, n))
        stack[:] = x.ravel()
        for j, p in enumerate(points):
            stack[j, idx, idx] = p
        v0, m0, st0 = fun(x[None])
        v, mg, st = fun(stack.reshape(len(offsets) * n, *shape))
        v = np.asarray(v, dtype=np.float64).reshape(len(offsets), n)
        mg = np.asarray(mg, dtype=np.float64).reshape(len(offsets), n)
        vals = [np.full(n, float(np.ravel(v0)[0])), *v]
        mags = [np.full(n, float(np.ravel(m0)[0])), *mg]
        if st is None:
            states = [None] * 5
        else:
            st = np.asarray(st).reshape(len(offsets), n, -1)
            states = [np.broadcast_to(np.asarray(st0).reshape(1, -1), (n, st.shape[2])), *st]

    f0, fp1, fm1, fp2, fm2 = vals
    g0, gp1, gm1, gp2, gm2 = mags
    x0 = x.ravel()
    xp1, xm1, xp2, xm2 = points
    d1 = (fp1 - fm1) / (xp1 - xm1)
    d2 = (fp2 - fm2) / (xp2 - xm2)
    noise = np.abs(d1 - d2) + 4 * EPS * (np.abs(gp1) + np.abs(gm1)) / (xp1 - xm1)
    noise = np.maximum(noise, np.finfo(np.float64).tiny)
    lo, hi = d1.copy(), d1.copy()
    unchecked = np.zeros(n, bool)
    kinks = 0

    if states[0] is not None:
        s0, sp1, sm1, sp2, sm2 = states
        crossed = np.any((sp1 != s0) | (sm1 != s0) | (sp2 != s0) | (sm2 != s0), axis=1)
        kinks = int(crossed.sum())
        for i in np.flatnonzero(crossed):
            sides = []                                   # (derivative, noise) on each smooth side
            for sa, sb, fa, fb, xa, xb, ga, gb, s_near, f_near, x_near, g_near in (
                (sp1, sp2, fp1, fp2, xp1, xp2, gp1, gp2, s0, f0, x0, g0),
                (sm2, sm1, fm2, fm1, xm2, xm1, gm2, gm1, s0, f0, x0, g0),
            ):
                if not np.array_equal(sa[i], sb[i]):
                    continue                             # a kink between the two outer points
                far = (fb[i] - fa[i]) / (xb[i] - xa[i])
                nz = 4 * EPS * (abs(ga[i]) + abs(gb[i])) / abs(xb[i] - xa[i])
                if np.array_equal(s_near[i], sa[i]):     # smooth from x itself: use the nearer pair
                    xn, fn = (xp1, fp1) if xa is xp1 else (xm1, fm1)
                    near = (fn[i] - f_near[i]) / (xn[i] - x_near[i])
                    nz = abs(near - far) + 4 * EPS * (abs(g_near[i]) + abs(ga[i])) / abs(xn[i] - x_near[i])
                    sides.append((near, nz))
                else:
                    sides.append((far, nz))
            if not sides:
                unchecked[i] = True
                continue
            ds = [d for d, _ in sides]
            lo[i], hi[i] = min(ds), max(ds)
            d1[i] = ds[0] if len(ds) == 1 else 0.5 * (ds[0] + ds[1])
            noise[i] = max(max(nz for _, nz in sides), np.finfo(np.float64).tiny)

    return Truth(
        d1.reshape(shape), noise.reshape(shape), lo.reshape(shape), hi.reshape(shape),
        unchecked.reshape(shape), kinks,
    )
