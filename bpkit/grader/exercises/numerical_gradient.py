"""Lesson 02: ``numerical_gradient(f, x, h=1e-5)``, the central difference for every entry of x.

(f(x + h e_i) − f(x − h e_i)) / (2h). Cases: test functions with coupled
entries (a cubic, a log-sum-exp, sines plus a square) at x with entries in
(-1, 1), called with h = 1e-5, 1e-3 and 1e-2 in turn, positionally:
fn(f, x, h). Every third case passes x as an integer array, as lesson 02
warns (x[i] += h in an integer array rounds the step away). Truth: the
grader's own central difference with the same h, within its rounding error.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..cases import Case, distinct_sizes, shape_text
from .base import EPS, Exercise, Mistake, OutputSpec, Truth

Array = np.ndarray
INTEGER_CASE = 1

NUMGRAD_FUNCTIONS = ("cubic", "logsumexp", "sin-square")
NUMGRAD_STEPS = (1e-5, 1e-3, 1e-2)


def numgrad_function(case: Case) -> Callable[[Array], float]:
    """The case's test function ``f(x) -> float`` (grader-owned; a fresh closure every call)."""
    c = np.array(case.arrays["c"])
    d = np.array(case.arrays["d"])
    kind = case.meta["function"]

    def f(x):
        x = np.asarray(x, dtype=np.float64)
        if kind == "cubic":
            return float(np.sum(c * x**3) + np.sum(d * x))
        if kind == "logsumexp":
            u = c * x
            top = np.max(u)
            return float(top + np.log(np.sum(np.exp(u - top))))
        return float(np.sum(np.sin(c * x)) + 0.5 * np.sum(d * x) ** 2)

    return f


_NUMGRAD_TEXT = {
    "cubic": "f(x) = sum(c x^3 + d x)",
    "logsumexp": "f(x) = log sum exp(c x)",
    "sin-square": "f(x) = sum sin(c x) + (sum d x)^2 / 2",
}


def _moved(f: Callable[[Array], float], x: Array, h: float) -> tuple[Array, Array]:
    """``(f(x + h e_i), f(x − h e_i))`` for every entry i, moving one entry at a time in a copy of x."""
    x = x.copy()
    fp, fm = np.zeros(x.shape), np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp[i] = f(x)
        x[i] = old - h
        fm[i] = f(x)
        x[i] = old
    return fp, fm


def _central(f: Callable[[Array], float], x: Array, h: float) -> Array:
    """The central difference (f(x + h e_i) − f(x − h e_i)) / (2h), one entry at a time, in a copy of x."""
    fp, fm = _moved(f, x, h)
    return (fp - fm) / (2 * h)


def _integer_steps(f: Callable[[Array], float], x: Array, h: float) -> Array:
    """The central difference computed in place in an integer copy of x (the steps truncated)."""
    return _central(f, x.astype(np.int64), h)


class NumericalGradientExercise(Exercise):
    id, lesson, function = "numerical-gradient", 2, "numerical_gradient"
    signature = "numerical_gradient(f, x, h=1e-5)"
    title = "the central-difference gradient of a scalar function"
    # Its mistakes (a forward difference, the wrong h) differ from the truth by ~1e-5 relative:
    # match them on the rounding noise alone.
    match_rtol, distinct_rtol, float32_ok = 0.0, 0.0, False
    # x[i] += h ... x[i] -= h may put x[i] back one rounding away: that counts as restored.
    restore_rtol = 64 * EPS
    hints = (
        "Move one entry of x at a time: x[i] up by h and, separately, down by h, evaluating f at "
        "both points; every other entry stays where it was.",
        "The two points are 2h apart, so the slope between them divides by 2h. After each entry, "
        "put x[i] back to its old value (or work on a copy), so that the caller's x is unchanged.",
        "np.ndindex(x.shape) visits every index of an array of any shape. If x holds integers, "
        "x[i] + h is rounded back to an integer: make a float copy of x first.",
    )
    hint_for = {"forward-difference": 2, "backward-difference": 2, "divided-by-h": 2, "all-entries": 1,
                "mutated": 2, "integer-input": 3, "ignores-h": 1, "sign": 1}

    def build(self, rng, index, seed):
        r, c_ = distinct_sizes(rng, 2, high=4)
        kind = NUMGRAD_FUNCTIONS[(index + seed) % 3]
        h = NUMGRAD_STEPS[(index + seed) % 3]
        x = rng.uniform(0.1, 0.9, (r, c_)) * rng.choice([-1.0, 1.0], (r, c_))
        c = rng.uniform(1.0, 2.5, (r, c_)) * rng.choice([-1.0, 1.0], (r, c_))
        d = rng.standard_normal((r, c_))
        meta = {"function": kind, "h": h}
        if index % 3 == INTEGER_CASE:
            x = rng.choice([-2.0, -1.0, 1.0, 2.0], (r, c_))
            c = c / 2.0
            meta["integer"] = True
        what = " of whole numbers" if meta.get("integer") else ""
        return self._case(index, seed, {"x": x, "c": c, "d": d},
                          f"{_NUMGRAD_TEXT[kind]}, x {shape_text(x)}{what}, h = {h:g}", **meta)

    def arguments(self, case):
        x = case.array("x")
        if case.meta.get("integer"):
            x = x.astype(np.int64)
        return (numgrad_function(case), x, float(case.meta["h"])), {"x": x}

    def outputs(self, case):
        return [OutputSpec("grad", case.arrays["x"].shape)]

    def compute_truth(self, case):
        f = numgrad_function(case)
        x = case.array("x")
        h = float(case.meta["h"])
        grad = np.zeros(x.shape)
        noise = np.zeros(x.shape)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + h
            fp = f(x)
            x[i] = old - h
            fm = f(x)
            x[i] = old
            grad[i] = (fp - fm) / (2 * h)
            noise[i] = 4 * EPS * (abs(fp) + abs(fm)) / (2 * h) + 4 * EPS * (abs(old) + h) / h * abs(grad[i])
        # an in-place x[i] += h ... -= h may leave every entry one rounding off: f moves by that much
        noise += 4 * EPS * float(np.sum(np.abs(grad) * (np.abs(x) + h))) / h
        return {"grad": Truth.exact(grad, noise)}

    def mistakes(self, case):
        f = numgrad_function(case)
        x = case.array("x")
        h = float(case.meta["h"])

        fx = f(x.copy())
        fp, fm = _moved(f, x, h)
        fwd, bwd, cen = (fp - fx) / h, (fx - fm) / h, (fp - fm) / (2 * h)
        both = (f(x + h) - f(x - h)) / (2 * h)
        out = [
            Mistake("forward-difference", "forward difference",
                    "your values are (f(x + h e_i) − f(x)) / h; the central difference is "
                    "(f(x + h e_i) − f(x − h e_i)) / (2h), far more accurate.", {"grad": fwd}),
            Mistake("backward-difference", "backward difference",
                    "your values are (f(x) − f(x − h e_i)) / h; use (f(x + h e_i) − f(x − h e_i)) / (2h).",
                    {"grad": bwd}),
            Mistake("divided-by-h", "divided by h instead of 2h",
                    "your values are twice the central difference: the two points are 2h apart.",
                    {"grad": 2 * cen}),
            Mistake("all-entries", "moved every entry at once",
                    "every entry of your answer is (f(x + h) − f(x − h)) / (2h) with all of x moved: "
                    "move one entry at a time (x[i] += h), then put it back.",
                    {"grad": np.full(x.shape, both)}),
            Mistake("sign", "sign flipped", "your values are the negative of the central difference.",
                    {"grad": -cen}),
            Mistake("precedence", "(f₊ − f₋) / 2 * h: brackets missing",
                    "your values are h² times the central difference: (fp - fm) / 2 * h divides by "
                    "2 and then "
                    "multiplies by h; put the denominator in brackets, / (2 * h).", {"grad": cen * h * h}),
            Mistake("half-steps", "steps of h/2: (f(x + h/2) − f(x − h/2)) / h",
                    "your values are the central difference with steps of h/2; the exercise asks for "
                    "x ± h, divided by 2h.",
                    {"grad": _central(f, x, h / 2)}),
            Mistake("divided-by-h-squared", "divided by 2h²",
                    "your values are 1/h times the central difference: divide by 2h, not 2h² (h**2).",
                    {"grad": cen / h}),
        ]
        if case.meta.get("integer"):
            steps = _integer_steps(f, x, h)
            out.insert(0, Mistake(
                "integer-input", "integer x: the step was rounded away",
                "x is an integer array in this case, so x[i] + h was stored as an integer and the step "
                "was lost: work on a float copy, x = x.astype(float).",
                {"grad": steps}))
            out.insert(0, Mistake(
                "integer-input", "integer x: the step was rounded away (and grad is an integer array)",
                "x is an integer array in this case, so x[i] + h was stored as an integer and the step "
                "was lost, and np.zeros_like(x) made grad integer too: work on a float64 copy, "
                "x = x.astype(float), before np.zeros_like(x).",
                {"grad": np.trunc(steps)}))
        if h != 1e-5:
            h5 = 1e-5
            out.insert(0, Mistake(
                "ignores-h", "ignores h",
                f"your values are the central difference with h = 1e-05, but this case passed h = {h:g}: "
                "use the h you are given.",
                {"grad": _central(f, x, h5)}))
        return out

    def mutation_lines(self, case, mutated):
        first = mutated[0]
        return [f"x was not restored: {first.get('detail')}.",
                "numerical_gradient may move x[i] while it works, but must put every entry back "
                "(x[i] = old) before it returns -- or work on a copy of x."]


EXERCISE = NumericalGradientExercise()
