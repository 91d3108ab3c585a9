"""Shared helpers for the core library tests (activations, losses, equations, network).

The truth is a central difference in float64, judged with the rule from
``/work/shared/notes/gradcheck.md``: the finite-difference error is estimated
from the difference itself,

    est = |D(h) - D(2h)| + 4 eps (|f+| + |f-|) / (2 step),

and an analytic gradient passes when

    |num - ana| <= FACTOR * est + REL_FLOOR * max|num| + FLOOR

in every entry. Correct code stays below about 0.3 est; injected bugs land
hundreds of est away, so ``FACTOR = 10`` leaves room on both sides. The floor
is tiny: 1e-8 of the array's largest numerical entry (central differences
resolve about 1e-10 of it at best) plus 1e-13. It covers the one case where
the estimate's round-off term ``eps |f|`` is too small: a loss that is a small
difference of large numbers (log-sum-exp minus y.z for a confident softmax).
A 1 % error on the smallest entry of a gradient still fails (see
``test_the_pass_rule_rejects_known_mistakes``). There is no loose absolute
tolerance.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st

EPS = float(np.finfo(np.float64).eps)
STEP = 1e-5
FACTOR = 10.0
FLOOR = 1e-13
REL_FLOOR = 1e-8

#: Settings shared by the property tests: no deadline (first calls are slow), modest size.
CORE_SETTINGS = settings(max_examples=30, deadline=None)

ELEMENTWISE = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
ALL_ACTIVATIONS = ELEMENTWISE + ("softmax",)
KINKED = ("relu", "leaky_relu")
KINK_MARGIN = 1e-3


# --------------------------------------------------------------------------- finite differences

def steps_for(x: np.ndarray, h: float) -> np.ndarray:
    """The per-entry step ``h * max(1, |x_i|)`` (the same rule as ``bpkit.numgrad``)."""
    return h * np.maximum(1.0, np.abs(np.asarray(x, dtype=np.float64)))


def central_difference(f: Callable[[np.ndarray], float], x: np.ndarray, h: float):
    """Entry-by-entry central difference of the scalar ``f`` at the float64 array ``x``.

    ``x`` is perturbed in place and restored. Returns ``(D, fsum, step)``, all shaped like
    ``x``: the difference quotient, ``|f(x+s)| + |f(x-s)|`` (the size of what is rounded)
    and the step ``s`` used.
    """
    assert x.dtype == np.float64, "finite differences are taken in float64"
    step = steps_for(x, h)
    D = np.zeros(x.shape)
    fsum = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = x[i]
        try:
            x[i] = old + step[i]
            f_plus = float(f(x))
            x[i] = old - step[i]
            f_minus = float(f(x))
        finally:
            x[i] = old
        D[i] = (f_plus - f_minus) / (2 * step[i])
        fsum[i] = abs(f_plus) + abs(f_minus)
    return D, fsum, step


def elementwise_difference(fn: Callable[[np.ndarray], np.ndarray], z: np.ndarray, h: float):
    """Central difference of an element-wise function at every entry of ``z`` at once."""
    step = steps_for(z, h)
    f_plus, f_minus = fn(z + step), fn(z - step)
    return (f_plus - f_minus) / (2 * step), np.abs(f_plus) + np.abs(f_minus), step


def error_estimate(D_h: np.ndarray, D_2h: np.ndarray, fsum: np.ndarray, step: np.ndarray) -> np.ndarray:
    """``|D(h) - D(2h)| + 4 eps (|f+| + |f-|) / (2 step)``: the finite-difference error estimate."""
    return np.abs(D_h - D_2h) + 4 * EPS * fsum / (2 * step)


def assert_matches_estimate(
    analytic: np.ndarray, D_h: np.ndarray, D_2h: np.ndarray, fsum: np.ndarray, step: np.ndarray,
    what: str = "gradient", require_nonzero: bool = True,
) -> None:
    """Fail, naming the worst entry, unless ``|D(h) - ana| <= FACTOR est + REL_FLOOR max|D(h)| + FLOOR``."""
    analytic = np.asarray(analytic)
    assert analytic.shape == D_h.shape, f"{what}: analytic shape {analytic.shape}, expected {D_h.shape}"
    assert np.all(np.isfinite(analytic)), f"{what}: analytic gradient has non-finite entries"
    if require_nonzero:
        assert np.any(analytic != 0), f"{what}: analytic gradient is all zeros (vacuous test case)"
    est = error_estimate(D_h, D_2h, fsum, step)
    err = np.abs(D_h - analytic.astype(np.float64))
    ratio = err / (FACTOR * est + REL_FLOOR * np.max(np.abs(D_h)) + FLOOR)
    worst = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
    assert ratio[worst] <= 1.0, (
        f"{what}: entry {tuple(int(i) for i in worst)} numerical {D_h[worst]:.12g}, "
        f"analytic {analytic[worst]:.12g}, |diff| {err[worst]:.3g} = {err[worst] / est[worst]:.3g} x est"
    )


def check_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, analytic: np.ndarray,
    what: str = "gradient", require_nonzero: bool = True,
    magnitude: Callable[[np.ndarray], float] | None = None,
) -> None:
    """Compare ``analytic`` with central differences of ``f`` at ``x`` by the estimate rule.

    The round-off part of the estimate uses ``|f(x+s)| + |f(x-s)|``. When ``f`` is a signed
    sum whose terms cancel, ``|f|`` understates what was rounded: pass ``magnitude``, the same
    expression built from absolute values (``sum(|c| * (|W| @ |a| + |b|))`` for
    ``sum(c * (W @ a + b))``), and ``2 * magnitude(x)`` is used instead.
    """
    D_h, fsum, step = central_difference(f, x, STEP)
    D_2h, _, _ = central_difference(f, x, 2 * STEP)
    if magnitude is not None:
        fsum = np.maximum(fsum, 2 * float(magnitude(x)))
    assert_matches_estimate(analytic, D_h, D_2h, fsum, step, what, require_nonzero)


def passes_estimate_rule(f: Callable[[np.ndarray], float], x: np.ndarray, analytic: np.ndarray) -> bool:
    """``True`` when ``check_gradient`` would pass (used to show that wrong answers fail)."""
    try:
        check_gradient(f, x, analytic, require_nonzero=False)
    except AssertionError:
        return False
    return True


def linear_magnitude(c: np.ndarray, W: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """``sum(|c| * (|W| @ |a| + |b|))``: the size of the terms summed in ``sum(c * (W @ a + b))``."""
    return float(np.sum(np.abs(c) * (np.abs(W) @ np.abs(a) + np.abs(b))))


# --------------------------------------------------------------------------- test data

def away_from_kink(z: np.ndarray, margin: float = KINK_MARGIN) -> np.ndarray:
    """``z`` with every entry pushed to ``|z| >= margin`` (sign kept), for ReLU-type tests."""
    sign = np.where(z >= 0, 1.0, -1.0)
    return np.where(np.abs(z) < margin, sign * margin * 2, z)


def random_z(rng: np.random.Generator, shape: tuple[int, ...], activation: str = "sigmoid",
             scale: float = 2.0) -> np.ndarray:
    """Pre-activations in about ``[-2 scale, 2 scale]``.

    For ReLU-type functions every entry is kept off the kink, and at least one is made positive
    so that a ReLU gradient cannot be all zeros (which would make a test vacuous).
    """
    z = rng.normal(0.0, scale, size=shape)
    if activation not in KINKED:
        return z
    z = away_from_kink(z)
    if np.all(z < 0):
        z.flat[0] = -z.flat[0]
    return z


def one_hot(labels: np.ndarray, n: int) -> np.ndarray:
    """``(n, m)`` one-hot columns from integer labels ``(m,)``."""
    Y = np.zeros((n, len(labels)))
    Y[labels, np.arange(len(labels))] = 1.0
    return Y


# --------------------------------------------------------------------------- hypothesis strategies

#: ``(n_l, n_prev, m)``, three different sizes in 2..7, so a transposed result cannot have the
#: right shape. Tests of a single example replace ``m`` by 1 (``n_l != n_prev`` still holds).
distinct_dims = st.lists(st.integers(2, 7), min_size=3, max_size=3, unique=True).map(tuple)

seeds = st.integers(min_value=0, max_value=2**32 - 1)
