"""Shared shapes of exercise: element-wise activations' derivatives and δ-shaped answers.

Private (not an exercise itself): :class:`ActivationPrime` is the base of
``sigmoid-prime``, ``tanh-prime`` and ``relu-prime``; :class:`DeltaExercise`
of every exercise whose answer is one ``(n_l, m)`` array ``delta``.
"""

from __future__ import annotations

import numpy as np

from ..cases import away_from_kink, shape_text
from .base import Exercise, OutputSpec, elementwise_truth, ref, shape_2d

#: Cases of this index (mod 3) pass their input as float32.
FLOAT32_CASE = 2


def as_input(case, name: str) -> np.ndarray:
    """A fresh copy of an input, float32 when the case says so."""
    x = case.array(name)
    return x.astype(np.float32) if case.meta.get("dtype") == "float32" else x


class ActivationPrime(Exercise):
    """σ′(z) entry by entry; truth: central differences of the grader's activation."""

    lesson = 2
    act = "sigmoid"

    def build(self, rng, index, seed):
        shape = shape_2d(rng)
        z = rng.uniform(-4.0, 4.0, shape)
        meta = {}
        if ref.ACTIVATIONS[self.act].kinked:
            z = away_from_kink(z)
        if index % 3 == FLOAT32_CASE:
            z = z.astype(np.float32).astype(np.float64)
            meta["dtype"] = "float32"
        what = f"z {shape_text(z)}" + (" float32" if meta else "")
        return self._case(index, seed, {"z": z}, what, **meta)

    def arguments(self, case):
        z = as_input(case, "z")
        return (z,), {"z": z}

    def outputs(self, case):
        return [OutputSpec(f"{self.function}(z)", case.arrays["z"].shape)]

    def compute_truth(self, case):
        act = ref.ACTIVATIONS[self.act]
        return {f"{self.function}(z)": elementwise_truth(
            case.arrays["z"], lambda z: ref.activation_terms(z, act))}

    def magnitude(self, case):
        z = case.arrays["z"]
        return {f"{self.function}(z)": 1.0 + np.abs(z)}


class DeltaExercise(Exercise):
    """Exercises whose answer is one δ-shaped array (n_l, m)."""

    promises_batch = True
    _z = "z_L"
    _units = "unit {} of the output layer"

    def outputs(self, case):
        z = case.arrays[self._z]
        return [OutputSpec("delta", z.shape, self._units, "example {}", z.shape[1])]
