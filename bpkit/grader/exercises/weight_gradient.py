"""Lesson 05: ``weight_gradient(delta, a_prev)``: Equation 3, dL/dW[l] = δ[l] (a[l−1])ᵀ.

Summed over the m columns of a batch (δ already carries the 1/m of the mean
loss). Cases: case 1 one column, the others batches of m >= 3 unequal to
both widths. Truth: central differences of Σ δ ⊙ (W a_prev) in W.
"""

from __future__ import annotations

import re

import numpy as np

from ..cases import distinct_sizes, shape_text
from ..mistakes import first_column_only, transposed_reshaped
from .base import Exercise, KnownError, Mistake, OutputSpec, central_difference, mismatch, ref, shape_cause

_BROADCAST = re.compile(r"could not be broadcast together with shapes \((\d+),(\d+)\) \((\d+),(\d+)\)")


class WeightGradientExercise(Exercise):
    id, lesson, function = "weight-gradient", 5, "weight_gradient"
    signature = "weight_gradient(delta, a_prev)"
    title = "Equation 3: dL/dW[l] = δ[l] (a[l−1])ᵀ"
    promises_batch = True
    hints = (
        "The answer has W's shape, (n_l, n_{l-1}): one row per unit of layer l, one column per unit "
        "of the layer below. delta is (n_l, m) and a_prev is (n_{l-1}, m).",
        "For one example the gradient is an outer product; for a batch it is the sum of the m outer "
        "products, which a single matrix product over the shared m axis computes.",
        "Multiply delta by the transpose of a_prev with @ (not *, not np.outer). δ already carries "
        "the 1/m of the mean loss: do not divide by m.",
    )
    hint_for = {"transposed": 1, "transposed-result": 1, "a-not-transposed": 3, "outer-flattens": 2,
                "hadamard-for-matmul": 3, "mean-twice": 3, "first-column-only": 2, "sign": 3,
                "mismatch": 1}

    def build(self, rng, index, seed):
        n_l, n_prev = distinct_sizes(rng, 2)
        m = self.m_for(rng, index, (n_l, n_prev))
        d = rng.standard_normal((n_l, m)) / m
        a = rng.uniform(0, 1, (n_prev, m))
        W = rng.standard_normal((n_l, n_prev))          # grader-only: the point of the derivative
        return self._case(index, seed, {"delta": d, "a_prev": a, "W": W},
                          f"delta {shape_text(d)}, a_prev {shape_text(a)}")

    def arguments(self, case):
        d, a = case.array("delta"), case.array("a_prev")
        return (d, a), {"delta": d, "a_prev": a}

    def outputs(self, case):
        n_l, n_prev = case.arrays["W"].shape
        return [OutputSpec("dW", (n_l, n_prev), "unit {} of layer l", "unit {} of layer l-1",
                           case.arrays["delta"].shape[1])]

    def compute_truth(self, case):
        d, a = case.arrays["delta"], case.arrays["a_prev"]
        return {"dW": central_difference(lambda Ws: ref.weight_scalar(Ws, d, a), case.arrays["W"])}

    def magnitude(self, case):
        d, a = case.arrays["delta"], case.arrays["a_prev"]
        return {"dW": np.abs(d) @ np.abs(a).T}

    def mistakes(self, case):
        d, a = case.arrays["delta"], case.arrays["a_prev"]
        g = d @ a.T
        m = d.shape[1]
        out = [
            Mistake("transposed-result", "transposed result",
                    "your values are a_prev δᵀ reshaped to W's shape; Equation 3 is δ (a_prev)ᵀ: "
                    "delta @ a_prev.T.", {"dW": transposed_reshaped(g)}),
            Mistake("sign", "sign flipped", "your values are −δ (a_prev)ᵀ.", {"dW": -g}),
        ]
        if m > 1:
            out += [Mistake("mean-twice", "divided by m",
                            "your dW is divided by m, but δ already carries the 1/m of the mean loss: "
                            "Equation 3 sums over the examples, delta @ a_prev.T.", {"dW": g / m},
                            batch_only=True),
                    first_column_only("dW", d[:, :1] @ a[:, :1].T),
                    Mistake("first-column-only", "only the last example",
                            "your answer uses only the last column of the batch: delta @ a_prev.T sums over "
                            "all m examples (a loop that overwrites instead of adding keeps the last).",
                            {"dW": d[:, -1:] @ a[:, -1:].T}, batch_only=True)]
        return out

    def shape_cause(self, case, spec, got):
        n_l, n_prev = spec.shape
        m = spec.m
        if got == spec.shape[::-1]:
            return "transposed", ("it is transposed, (n_{l-1}, n_l): a_prev @ delta.T gives the transpose; "
                                  "Equation 3 is delta @ a_prev.T")
        if m > 1 and got == (n_l * m, n_prev * m):
            return "outer-flattens", (f"np.outer flattens both arrays, so for a batch of {m} it gives "
                                      f"({n_l * m}, {n_prev * m}); the sum of the outer products of the "
                                      "columns is the matrix product delta @ a_prev.T")
        return shape_cause(spec, got)

    def exception_hint(self, case, status):
        n_prev, m = case.arrays["a_prev"].shape
        n_l = case.arrays["delta"].shape[0]
        if mismatch(status) == (m, n_prev):                 # delta @ a_prev
            return KnownError("a-not-transposed", "a_prev not transposed",
                              "delta is (n_l, m) and a_prev is (n_{l-1}, m): Equation 3 needs the transpose, "
                              "delta @ a_prev.T, giving (n_l, n_{l-1}).")
        shapes = _BROADCAST.search(str(status.get("message", "")))
        if shapes and tuple(int(g) for g in shapes.groups()) == (n_l, m, m, n_prev):
            return KnownError("hadamard-for-matmul",
                              f"right for one example, wrong for a batch of {m}: * instead of @",
                              "delta * a_prev.T is the outer product for one column only; for a batch, "
                              "Equation 3 sums over the examples: delta @ a_prev.T.")
        return None


EXERCISE = WeightGradientExercise()
