"""Lesson 02: ``relu_prime(z)``: 1 where z > 0, else 0 -- and 0 at z = 0 exactly, by convention.

Cases: z of non-square shapes with entries in [-4, 4] kept at least 1e-3
from the kink, plus two entries exactly 0 in every case (the stub promises
"0 at z = 0"); case 3 passes z as float32. Truth: central differences of
ReLU away from the kink, and the stated 0 at z == 0.
"""

from __future__ import annotations

import numpy as np

from ._families import ActivationPrime
from .base import Mistake

NAME = "relu_prime(z)"
#: Entries set exactly to 0 in every case.
ZEROS = 2


class ReluPrimeExercise(ActivationPrime):
    id, function, act = "relu-prime", "relu_prime", "relu"
    position = 3
    signature, title = "relu_prime(z)", "the derivative of ReLU"
    hints = (
        "ReLU is z for z > 0 and 0 for z < 0: its slope is 1 on one side and 0 on the other.",
        "At z = 0 exactly the stub's convention is 0: the comparison that decides 1 must be strict.",
        "A comparison such as z > 0 gives a boolean array of z's shape; turn it into 0.0/1.0 numbers "
        "(avoid dividing by z or |z|, which is 0/0 at z = 0).",
    )
    hint_for = {"one-at-zero": 2, "not-finite": 3, "sigma-instead": 1, "inverted": 1, "sign": 1,
                "not-an-array": 3, "mismatch": 2}

    def build(self, rng, index, seed):
        case = super().build(rng, index, seed)
        z = case.arrays["z"]
        flat = z.ravel()
        flat[rng.choice(flat.size, size=ZEROS, replace=False)] = 0.0
        case.arrays["z"] = flat.reshape(z.shape)
        case.description += f", {ZEROS} entries exactly 0"
        return case

    def compute_truth(self, case):
        truth = super().compute_truth(case)[NAME]
        zero = case.arrays["z"] == 0
        for arr in (truth.expected, truth.lo, truth.hi):
            arr[zero] = 0.0                          # the stated convention, checked exactly
        truth.noise[zero] = np.finfo(np.float64).tiny
        truth.unchecked[zero] = False
        truth.kinks = max(0, truth.kinks - int(zero.sum()))
        return {NAME: truth}

    def mistakes(self, case):
        z = case.arrays["z"]
        return [
            Mistake("one-at-zero", "1 at z = 0 (the convention is 0)",
                    "your values are 1 at z = 0; the stub's convention is 0 there: use z > 0, not z >= 0.",
                    {NAME: (z >= 0).astype(float)}),
            Mistake("sigma-instead", "returned ReLU(z)", "your values are max(z, 0); the derivative is "
                    "1 where z > 0 and 0 elsewhere.", {NAME: np.maximum(z, 0)}),
            Mistake("inverted", "1 and 0 swapped", "your values are 1 where z < 0; the slope is 1 "
                    "where z > 0.",
                    {NAME: (z < 0).astype(float)}),
            Mistake("sign", "sign flipped", "your values are −1 where z > 0.",
                    {NAME: -(z > 0).astype(float)}),
        ]

    def not_finite_lines(self, case):
        return ["At z = 0 exactly, z / |z| (or z / z) is 0/0 = NaN: compare instead, "
                "e.g. (z > 0) turned into numbers, which is 0 at z = 0 as the stub says."]


EXERCISE = ReluPrimeExercise()
