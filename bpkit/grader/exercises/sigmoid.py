"""Lesson 00: ``sigmoid(z)``, the logistic sigmoid 1/(1 + e^(−z)) entry by entry.

Cases: arrays z of non-square shapes with entries in [-6, 6], every third in
[-30, 30] (far into both tails); case 2 passes z as float32. Truth: the
grader's own overflow-free sigmoid, within float64 rounding.
"""

from __future__ import annotations

import numpy as np

from ..cases import shape_text
from ._families import FLOAT32_CASE, as_input
from .base import EPS, Exercise, Mistake, OutputSpec, Truth, ref, shape_2d

NAME = "sigmoid(z)"


class SigmoidExercise(Exercise):
    id, lesson, function = "sigmoid", 0, "sigmoid"
    signature = "sigmoid(z)"
    title = "the logistic sigmoid, entry by entry"
    hints = (
        "The sigmoid squashes every real number into (0, 1): at z = 0 it is 1/2, for large positive z "
        "close to 1, for large negative z close to 0. Check your function at those three points.",
        "The formula has three parts: the exponential of minus z, one plus that, and one over the sum. "
        "Mind the sign inside the exponential and where the brackets go.",
        "numpy's np.exp works on a whole array at once, so no loop is needed: build the denominator "
        "1 + e^(−z) as an array first, then take its reciprocal.",
    )
    # z clipped to [−10, 10] moves σ by at most 4.5e-5 -- far beyond rounding, but below the default
    # 1e-3 that a known mistake must differ from the truth by to be considered.
    distinct_rtol = 1e-6
    hint_for = {"exponent-sign": 2, "missing-one": 2, "reciprocal": 2, "minus-one": 2,
                "derivative-instead": 1, "tanh-instead": 1, "not-finite": 3, "mismatch": 1}

    def build(self, rng, index, seed):
        shape = shape_2d(rng)
        spread = 30.0 if index % 3 == 1 else 6.0
        z = rng.uniform(-spread, spread, shape)
        meta = {}
        if index % 3 == FLOAT32_CASE:
            z = z.astype(np.float32).astype(np.float64)
            meta["dtype"] = "float32"
        return self._case(index, seed, {"z": z}, f"z {shape_text(z)}{' float32' if meta else ''}, "
                          f"entries in [-{spread:g}, {spread:g}]", **meta)

    def arguments(self, case):
        z = as_input(case, "z")
        return (z,), {"z": z}

    def outputs(self, case):
        return [OutputSpec(NAME, case.arrays["z"].shape)]

    def compute_truth(self, case):
        s = ref.sigmoid(case.arrays["z"])
        return {NAME: Truth.exact(s, EPS * (np.abs(s) + 0.5))}

    def magnitude(self, case):
        z = case.arrays["z"]
        s = ref.sigmoid(z)
        return {NAME: s + s * (1 - s) * np.abs(z)}     # σ and the effect of rounding z itself

    def mistakes(self, case):
        z = case.arrays["z"]
        s = ref.sigmoid(z)
        with np.errstate(all="ignore"):
            return [
                Mistake("exponent-sign", "σ(−z) instead of σ(z)",
                        "your values are σ(−z) = 1/(1 + e^z) = e^(−z)/(1 + e^(−z)): either the sign in the "
                        "exponent is flipped or the numerator is e^(−z) instead of 1. "
                        "The sigmoid is 1/(1 + e^(−z)), with 1 on top.", {NAME: ref.sigmoid(-z)}),
                Mistake("missing-one", "the 1 + is missing",
                        "your values are 1/e^(−z) = e^z; the denominator is 1 + e^(−z).", {NAME: np.exp(z)}),
                Mistake("reciprocal", "1/(...) is missing",
                        "your values are 1 + e^(−z) (1/1 + ... divides only the 1 by 1); the sigmoid is "
                        "its reciprocal, 1/(1 + e^(−z)): put the whole denominator in brackets.",
                        {NAME: 1.0 + np.exp(-z)}),
                Mistake("minus-one", "1 − e^(−z) in the denominator",
                        "your values are 1/(1 − e^(−z)); the denominator is 1 + e^(−z).",
                        {NAME: 1.0 / (1.0 - np.exp(-z))}),
                *(Mistake("clipped", f"z clipped to [−{c}, {c}]",
                          f"your values are σ of z clipped to [−{c}, {c}]: clipping changes every large |z|; "
                          "the exact sigmoid needs no clip (np.exp(-z) overflowing to inf still gives 0).",
                          {NAME: ref.sigmoid(np.clip(z, -c, c))}) for c in (5, 10, 20)),
                Mistake("exponent-scaled", "e^(−2z): the exponent doubled",
                        "your values are 1/(1 + e^(−2z)); the exponent is −z, not −2z.",
                        {NAME: ref.sigmoid(2 * z)}),
                Mistake("exponent-scaled", "e^(−z/2): the exponent halved",
                        "your values are 1/(1 + e^(−z/2)); the exponent is −z, not −z/2.",
                        {NAME: ref.sigmoid(z / 2)}),
                Mistake("squared", "σ(z)² instead of σ(z)",
                        "your values are (1/(1 + e^(−z)))², the sigmoid squared; drop the ** 2.",
                        {NAME: s * s}),
                Mistake("derivative-instead", "returned σ′(z)",
                        "your values are σ(z)(1 − σ(z)), the derivative; the exercise asks for σ(z) itself.",
                        {NAME: s * (1 - s)}),
                Mistake("tanh-instead", "returned tanh(z)", "your values are tanh(z), not 1/(1 + e^(−z)).",
                        {NAME: np.tanh(z)}),
            ]


EXERCISE = SigmoidExercise()
