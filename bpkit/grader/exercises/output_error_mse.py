"""Lesson 03: ``output_error_mse(z_L, y)``: δ[L] for a sigmoid output and the mean ½-MSE.

δ[L] = (a − y) ⊙ σ′(z[L]) / m with a = σ(z[L]), for a batch of m columns.
Cases: case 1 one column, the others batches of m >= 3 (m unequal to the
width). Truth: central differences of the grader's mean loss.
"""

from __future__ import annotations

import numpy as np

from ..cases import distinct_sizes, shape_text
from ..mistakes import batch_variants, transposed_result
from ._families import DeltaExercise
from .base import Mistake, elementwise_truth, ref


def wrong_divisors(d: np.ndarray, n: int, m: int) -> list[Mistake]:
    """δ divided by the number of units n, or by n·m, instead of by m (only distinct when n ≠ m)."""
    if n == m:
        return []
    return [Mistake("wrong-m", "divided by n (the units) instead of m (the examples)",
                    f"your δ is divided by {n}, the number of rows; the mean is over the m = {m} columns "
                    "(examples): m = z_L.shape[1].", {"delta": d * m / n}),
            Mistake("wrong-m", "divided by the number of entries",
                    f"your δ is divided by n·m = {n * m}, every entry counted; the mean is over the "
                    f"m = {m} examples only: m = z_L.shape[1].", {"delta": d / n},
                    batch_only=True)][: 2 if m > 1 else 1]


class OutputErrorMSEExercise(DeltaExercise):
    id, lesson, function = "output-error-mse", 3, "output_error_mse"
    signature = "output_error_mse(z_L, y)"
    title = "δ[L] for a sigmoid output and the mean squared error (½ convention, mean)"
    hints = (
        "Equation 1: δ[L] = dL/da[L] ⊙ σ′(z[L]). With L = ½‖a − y‖² the first factor is a − y; "
        "then multiply by σ′ taken at z_L.",
        "For a batch the loss is the mean over the m columns, so δ carries one factor 1/m, "
        "where m is the number of columns of z_L (not of rows).",
        "Compute a = σ(z_L) once; σ′(z_L) is then a(1 − a). Combine entry by entry (with *, not @), "
        "and divide by m exactly once.",
    )
    hint_for = {"sigma-prime-missing": 1, "sigma-prime-at-a": 3, "formula-at-z": 3, "sign": 1,
                "mse-half": 1, "sum-not-mean": 2, "mean-twice": 2, "wrong-m": 2, "batch-axis-lost": 2,
                "constant-multiple": 2, "transposed-result": 3, "mismatch": 1}

    def build(self, rng, index, seed):
        n = distinct_sizes(rng, 1)[0]
        m = self.m_for(rng, index, (n,))
        z = rng.uniform(-3, 3, (n, m))
        y = rng.uniform(0, 1, (n, m))
        return self._case(index, seed, {"z_L": z, "y": y}, f"z_L {shape_text(z)}, y {shape_text(y)}")

    def arguments(self, case):
        z, y = case.array("z_L"), case.array("y")
        return (z, y), {"z_L": z, "y": y}

    def compute_truth(self, case):
        z, y = case.arrays["z_L"], case.arrays["y"]
        return {"delta": elementwise_truth(z, lambda v: ref.mse_sigmoid_terms(v, y, z.shape[1]))}

    def magnitude(self, case):
        z, y = case.arrays["z_L"], case.arrays["y"]
        a = ref.sigmoid(z)
        return {"delta": (np.abs(a) + np.abs(y)) * (a * (1 - a) + np.abs(z)) / z.shape[1]}

    def mistakes(self, case):
        z, y = case.arrays["z_L"], case.arrays["y"]
        n, m = z.shape
        a = ref.sigmoid(z)
        d = (a - y) * ref.sigmoid_prime(z) / m
        return [
            Mistake("sigma-prime-missing", "σ′ missing",
                    "your δ is (a − y)/m, without the factor σ′(z) = a(1 − a) of Equation 1.",
                    {"delta": (a - y) / m}),
            Mistake("sigma-prime-at-a", "σ′ taken at a = σ(z) instead of z",
                    "your δ uses σ′(a) = σ(a)(1 − σ(a)): σ was applied twice. Equation 1 needs "
                    "σ′(z) = a(1 − a).", {"delta": (a - y) * ref.sigmoid_prime(a) / m}),
            Mistake("formula-at-z", "a(1 − a) used with z",
                    "your δ uses z(1 − z); the formula a(1 − a) needs a = σ(z).",
                    {"delta": (a - y) * z * (1 - z) / m}),
            Mistake("sign", "sign flipped", "your δ is (y − a) σ′(z)/m; dL/da = a − y.", {"delta": -d}),
            Mistake("tanh-formula", "tanh′ (1 − a²) at a sigmoid output",
                    "your δ uses 1 − a², the derivative of tanh; the output is a sigmoid, "
                    "so σ′(z) = a(1 − a).", {"delta": (a - y) * (1 - a * a) / m}),
            Mistake("mse-half", "the ½ of the MSE",
                    "your δ is twice the truth: with L = ½‖a − y‖² the 2 of the square cancels the ½, "
                    "so dL/da = a − y, not 2(a − y).", {"delta": 2 * d}),
            Mistake("mse-half", "the ½ of the MSE (twice)",
                    "your δ is half the truth: dL/da = a − y (the ½ already cancelled the 2).",
                    {"delta": d / 2}),
            *batch_variants(d, m, "delta"),
            *wrong_divisors(d, n, m),
            transposed_result(d, "delta"),
        ]


EXERCISE = OutputErrorMSEExercise()
