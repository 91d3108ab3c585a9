"""Lesson 05: ``bias_gradient(delta)``: Equation 4, dL/db[l] = δ[l] summed over the m columns.

Cases: case 1 one column, the others batches of m >= 3. Truth: central
differences of Σ δ ⊙ (u + b) in b, the grader's own linear function.
"""

from __future__ import annotations

import numpy as np

from ..cases import distinct_sizes, shape_text
from .base import Exercise, Mistake, OutputSpec, central_difference, ref, shape_cause


class BiasGradientExercise(Exercise):
    id, lesson, function = "bias-gradient", 5, "bias_gradient"
    position = 1
    signature = "bias_gradient(delta)"
    title = "Equation 4: dL/db[l] = δ[l], summed over the examples"
    promises_batch = True
    hints = (
        "b[l] is one column (n_l, 1) shared by every example, so its gradient collects the "
        "contribution of all m columns of delta.",
        "Add up the columns of delta -- a sum along the examples' axis (axis=1), not along the units "
        "(axis=0) -- and keep the result 2-D, (n_l, 1).",
        "It is a sum, not a mean: δ already carries the 1/m of the mean loss. np.sum takes an axis "
        "and keepdims=True.",
    )
    hint_for = {"batch-axis-kept": 2, "wrong-axis": 2, "1-d": 3, "single-number": 2, "mean-twice": 3,
                "first-column-only": 1, "sign": 1, "mismatch": 1}

    def build(self, rng, index, seed):
        n_l = distinct_sizes(rng, 1)[0]
        m = self.m_for(rng, index, (n_l,))
        d = rng.standard_normal((n_l, m)) / m
        u = rng.standard_normal((n_l, m))                # grader-only: W a[l-1], fixed
        b = 0.5 * rng.standard_normal((n_l, 1))          # grader-only: the point of the derivative
        return self._case(index, seed, {"delta": d, "u": u, "b": b}, f"delta {shape_text(d)}")

    def arguments(self, case):
        d = case.array("delta")
        return (d,), {"delta": d}

    def outputs(self, case):
        n_l, m = case.arrays["delta"].shape
        return [OutputSpec("db", (n_l, 1), "unit {} of layer l", "", m)]

    def compute_truth(self, case):
        d, u = case.arrays["delta"], case.arrays["u"]
        return {"db": central_difference(lambda Bs: ref.bias_scalar(Bs, d, u), case.arrays["b"])}

    def magnitude(self, case):
        return {"db": np.sum(np.abs(case.arrays["delta"]), axis=1, keepdims=True)}

    def mistakes(self, case):
        d = case.arrays["delta"]
        g = d.sum(axis=1, keepdims=True)
        out = [Mistake("sign", "sign flipped", "your values are −δ summed.", {"db": -g})]
        m = d.shape[1]
        if m > 1:
            out += [Mistake("mean-twice", "mean instead of sum",
                            "your db is the mean of δ's columns, but δ already carries the 1/m of the mean "
                            "loss: Equation 4 sums over the examples.", {"db": g / m}, batch_only=True),
                    Mistake("max-not-sum", "max instead of sum",
                            "your db is the largest entry of each row of δ; Equation 4 sums δ over the "
                            "examples.", {"db": d.max(axis=1, keepdims=True)}, batch_only=True),
                    Mistake("first-column-only", "only the first example",
                            "your db is δ's first column; Equation 4 sums all m columns.", {"db": d[:, :1]},
                            batch_only=True)]
        return out

    def shape_cause(self, case, spec, got):
        if spec.m > 1 and got == (spec.shape[0], spec.m):
            return "batch-axis-kept", (f"db = delta is right for one example only: for a batch of {spec.m}, "
                                       "Equation 4 sums δ over the examples -- np.sum(delta, axis=1, "
                                       "keepdims=True)")
        return shape_cause(spec, got)


EXERCISE = BiasGradientExercise()
