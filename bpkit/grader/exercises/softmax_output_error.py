"""Lesson 09: ``softmax_output_error(z_L, Y)``: δ[L] = (softmax(z[L]) − Y)/m, softmax with mean cross-entropy.

Cases: batches of m >= 3 one-hot columns; from case 2 on the logits of one
example sit near 1000 (the lesson requires the max-shift, without which
np.exp overflows). Truth: central differences of the grader's mean
cross-entropy, taken at the logits shifted by each column's max (softmax
does not change under that shift; the truth stays precise at large logits).
"""

from __future__ import annotations

import numpy as np

from ..cases import distinct_sizes, shape_text
from ..mistakes import transposed_result
from ._families import DeltaExercise
from .base import Mistake, central_difference, ref

#: Logits of the large column of a case (the lesson's overflow example).
LARGE_LOGIT = 1000.0


def _row_shifted(z: np.ndarray) -> np.ndarray:
    """Columns normalised after a shift by each row's max (not a softmax of z any more)."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    with np.errstate(all="ignore"):
        return e / e.sum(axis=0, keepdims=True)


class SoftmaxOutputErrorExercise(DeltaExercise):
    id, lesson, function = "softmax-output-error", 9, "softmax_output_error"
    signature = "softmax_output_error(z_L, Y)"
    title = "δ[L] for a softmax output with cross-entropy, from the logits (mean)"
    batch = True
    hints = (
        "Softmax works on each column (one example) separately: exponentiate, then divide by the "
        "column's sum, so every column of ŷ adds up to 1.",
        "With cross-entropy the softmax Jacobian cancels: δ = (ŷ − Y)/m, no σ′ factor. The 1/m is the "
        "mean over the m columns.",
        "np.exp(1000) overflows to inf: subtract each column's maximum from its logits before "
        "exponentiating (np.max with axis=0 and keepdims=True) -- softmax does not change.",
    )
    hint_for = {"not-finite": 3, "softmax-axis": 1, "sigmoid-instead": 1, "sigma-prime-extra": 2,
                "sum-not-mean": 2, "mean-twice": 2, "sign": 2, "constant-multiple": 2,
                "transposed-result": 1, "mismatch": 1}

    def build(self, rng, index, seed):
        n = distinct_sizes(rng, 1, low=3)[0]
        m = self.m(rng, (n,))
        z = rng.uniform(-3, 3, (n, m))
        Y = np.eye(n)[:, rng.integers(0, n, m)]
        what = f"z_L {shape_text(z)}, Y {shape_text(Y)} one-hot"
        if index >= 1:
            j = int(rng.integers(m))
            z[:, j] += LARGE_LOGIT
            what += f", logits near {LARGE_LOGIT:g} in example {j + 1}"
        return self._case(index, seed, {"z_L": z, "Y": Y}, what)

    def arguments(self, case):
        z, Y = case.array("z_L"), case.array("Y")
        return (z, Y), {"z_L": z, "Y": Y}

    def compute_truth(self, case):
        Y, z = case.arrays["Y"], case.arrays["z_L"]
        shifted = z - z.max(axis=0, keepdims=True)
        return {"delta": central_difference(lambda Z: ref.softmax_ce_scalar(Z, Y), shifted)}

    def magnitude(self, case):
        z, Y = case.arrays["z_L"], case.arrays["Y"]
        p = ref.softmax(z, axis=0)
        return {"delta": (p + Y + p * np.abs(z)) / z.shape[1]}

    def mistakes(self, case):
        z, Y = case.arrays["z_L"], case.arrays["Y"]
        m = z.shape[1]
        p = ref.softmax(z, axis=0)
        d = (p - Y) / m
        shifted = np.exp(z - z.max(axis=0, keepdims=True))
        with np.errstate(all="ignore"):
            return [
                Mistake("sum-not-mean", "the 1/m is missing",
                        f"your δ is ŷ − Y, {m} times too large: the loss is the mean over the m = {m} "
                        "examples, so δ = (ŷ − Y)/m.", {"delta": p - Y}, batch_only=True),
                Mistake("mean-twice", "1/m taken twice",
                        f"your δ is (ŷ − Y)/m², divided by m = {m} once too often.", {"delta": d / m},
                        batch_only=True),
                Mistake("sign", "sign flipped", "your δ is (Y − ŷ)/m; δ = (ŷ − Y)/m.", {"delta": -d}),
                Mistake("sigma-prime-extra", "σ′ multiplied in",
                        "your δ is (ŷ − Y) ⊙ ŷ(1 − ŷ)/m: with softmax and cross-entropy the "
                        "Jacobian cancels, "
                        "leaving δ = (ŷ − Y)/m with no extra factor.", {"delta": d * p * (1 - p)}),
                Mistake("softmax-axis", "softmax over the wrong axis",
                        "your ŷ normalises each row (over the examples); softmax normalises each "
                        "column "
                        "(over the units of one example): axis=0.",
                        {"delta": (ref.softmax(z, axis=1) - Y) / m}),
                Mistake("softmax-axis", "softmax over the whole array",
                        "your ŷ normalises over every entry at once; softmax works per column: "
                        "axis=0, keepdims=True.", {"delta": (ref.softmax(z, axis=None) - Y) / m}),
                Mistake("sigmoid-instead", "sigmoid instead of softmax",
                        "your ŷ is σ(z) entry by entry; the output is softmax(z) per column.",
                        {"delta": (ref.sigmoid(z) - Y) / m}),
                Mistake("softmax-axis", "max-shift along the rows (axis=1)",
                        "your ŷ subtracts each row's maximum: that changes each column differently, so ŷ is "
                        "no longer softmax(z); shift each column by its own max (axis=0, keepdims=True).",
                        {"delta": (_row_shifted(z) - Y) / m}),
                Mistake("softmax-axis", "shifted per column, but normalised over the whole array",
                        "your ŷ subtracts each column's max (right) but then divides by e.sum() over every "
                        "entry; normalise each column: e / e.sum(axis=0, keepdims=True).",
                        {"delta": (shifted / shifted.sum() - Y) / m}),
                Mistake("log-softmax", "log softmax instead of softmax",
                        "your δ is (log ŷ − Y)/m: the log belongs to the loss, not to δ; "
                        "δ = (ŷ − Y)/m uses the probabilities ŷ = softmax(z_L).",
                        {"delta": (np.log(p) - Y) / m}),
                Mistake("forgot-Y", "the − Y is missing",
                        "your δ is ŷ/m, the probabilities themselves; δ = (ŷ − Y)/m subtracts the one-hot "
                        "targets Y.", {"delta": p / m}),
                transposed_result(d, "delta"),
            ]

    def not_finite_lines(self, case):
        return [f"np.exp of a logit near {LARGE_LOGIT:g} overflows to inf (and inf/inf is NaN): subtract "
                "each column's maximum from z_L before np.exp -- softmax(z − max) equals softmax(z)."]


EXERCISE = SoftmaxOutputErrorExercise()
