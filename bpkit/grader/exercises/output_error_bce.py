"""Lesson 03: ``output_error_bce(z_L, y)``: δ[L] for a sigmoid output and the mean binary cross-entropy.

δ[L] = (σ(z[L]) − y) / m: σ′ cancels against the loss's derivative. Cases:
case 1 one column, the others batches of m >= 3; y of 0s and 1s. Truth:
central differences of the grader's mean loss.
"""

from __future__ import annotations

import numpy as np

from ..cases import distinct_sizes, shape_text
from ..mistakes import batch_variants, transposed_result
from .base import Mistake, elementwise_truth, ref
from .output_error_mse import OutputErrorMSEExercise, wrong_divisors


class OutputErrorBCEExercise(OutputErrorMSEExercise):
    id, function = "output-error-bce", "output_error_bce"
    position = 1
    signature = "output_error_bce(z_L, y)"
    title = "δ[L] for a sigmoid output and binary cross-entropy (mean)"
    hints = (
        "With cross-entropy, dL/da = (a − y) / (a(1 − a)) for one example; Equation 1 multiplies it "
        "by σ′(z) = a(1 − a). Write both factors down and simplify before you code.",
        "After the simplification no σ′ is left at all. For a batch the loss is the mean over the m "
        "columns, so δ carries one factor 1/m.",
        "m is the number of columns of z_L; a = σ(z_L) entry by entry; δ is a − y divided by m once.",
    )
    hint_for = {"sigma-prime-extra": 2, "sigma-prime-missing": 1, "z-for-a": 3, "sign": 1,
                "sum-not-mean": 2, "mean-twice": 2, "wrong-m": 3, "batch-axis-lost": 2,
                "constant-multiple": 2, "transposed-result": 3, "mismatch": 1}

    def build(self, rng, index, seed):
        n = distinct_sizes(rng, 1)[0]
        m = self.m_for(rng, index, (n,))
        z = rng.uniform(-3, 3, (n, m))
        y = rng.integers(0, 2, (n, m)).astype(float)
        return self._case(index, seed, {"z_L": z, "y": y}, f"z_L {shape_text(z)}, y {shape_text(y)} of 0/1")

    def compute_truth(self, case):
        z, y = case.arrays["z_L"], case.arrays["y"]
        return {"delta": elementwise_truth(z, lambda v: ref.bce_sigmoid_terms(v, y, z.shape[1]))}

    def magnitude(self, case):
        z, y = case.arrays["z_L"], case.arrays["y"]
        a = ref.sigmoid(z)
        return {"delta": (np.abs(a) + np.abs(y) + np.abs(z)) / z.shape[1]}

    def mistakes(self, case):
        z, y = case.arrays["z_L"], case.arrays["y"]
        n, m = z.shape
        a = ref.sigmoid(z)
        d = (a - y) / m
        return [
            Mistake("sigma-prime-extra", "σ′ multiplied in",
                    "your δ is (a − y) σ′(z)/m: for a sigmoid output with cross-entropy, "
                    "dL/da = (a − y)/(a(1 − a)) and σ′(z) = a(1 − a) cancel, leaving δ = (a − y)/m.",
                    {"delta": d * ref.sigmoid_prime(z)}),
            Mistake("sigma-prime-missing", "σ′ missing",
                    "your δ is dL/da = (a − y)/(a(1 − a))/m; Equation 1 multiplies it by σ′(z) = a(1 − a).",
                    {"delta": d / ref.sigmoid_prime(z)}),
            Mistake("z-for-a", "z used where a = σ(z) belongs",
                    "your δ is (z − y)/m; the output is a = σ(z_L): δ = (σ(z_L) − y)/m.",
                    {"delta": (z - y) / m}),
            Mistake("sign", "sign flipped", "your δ is (y − a)/m; δ = (a − y)/m.", {"delta": -d}),
            Mistake("precedence", "a − y / m: brackets missing",
                    "your δ is a − y/m: / binds tighter than -, so only y was divided by m; "
                    "put a − y in brackets before dividing.", {"delta": a - y / m}),
            *batch_variants(d, m, "delta"),
            *wrong_divisors(d, n, m),
            transposed_result(d, "delta"),
        ]


EXERCISE = OutputErrorBCEExercise()
