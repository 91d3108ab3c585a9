"""Lesson 02: ``sigmoid_prime(z)``, σ′(z) = σ(z)(1 − σ(z)) entry by entry.

Cases: z of non-square shapes, entries in [-4, 4]; case 3 passes z as
float32. Truth: central differences of the grader's sigmoid, entry by entry.
"""

from __future__ import annotations

import numpy as np

from ._families import ActivationPrime
from .base import Mistake, ref

NAME = "sigmoid_prime(z)"


class SigmoidPrimeExercise(ActivationPrime):
    id, function, act = "sigmoid-prime", "sigmoid_prime", "sigmoid"
    position = 1
    signature, title = "sigmoid_prime(z)", "the derivative of the sigmoid"
    hints = (
        "σ′(z) = σ(z)(1 − σ(z)): first compute the activation a = σ(z) of the z you are given, "
        "then combine it with itself.",
        "The formula a(1 − a) takes a = σ(z), not z itself, and σ must be applied exactly once: "
        "not zero times, not twice.",
        "Compute s = σ(z) once (bpkit.sigmoid or your own), then return the entry-by-entry "
        "product of s and one minus s.",
    )
    hint_for = {"formula-at-z": 2, "sigma-prime-at-a": 2, "sigma-instead": 1, "tanh-formula": 3,
                "sign": 3, "mismatch": 1}

    def mistakes(self, case):
        z = case.arrays["z"]
        s = ref.sigmoid(z)
        ss = ref.sigmoid(s)
        return [
            Mistake("formula-at-z", "a(1 − a) used with z",
                    "your values are z(1 − z): the formula a(1 − a) needs a = σ(z). "
                    "Compute s = sigmoid(z) first, then s * (1 - s).", {NAME: z * (1 - z)}),
            Mistake("sigma-prime-at-a", "σ′ taken at a = σ(z) instead of z",
                    "your values are σ′(σ(z)): σ was applied twice, once before calling the derivative and "
                    "once inside it. σ′(z) = σ(z)(1 − σ(z)) with σ applied once, to z.",
                    {NAME: ss * (1 - ss)}),
            Mistake("sigma-instead", "returned σ(z)", "your values are σ(z) itself; σ′(z) = σ(z)(1 − σ(z)).",
                    {NAME: s}),
            Mistake("tanh-formula", "1 − σ(z)²", "your values are 1 − σ(z)², the tanh formula; "
                    "for the sigmoid σ′(z) = σ(z)(1 − σ(z)).", {NAME: 1 - s * s}),
            Mistake("tanh-formula", "tanh′ used: 1 − tanh(z)²",
                    "your values are 1 − tanh(z)², the derivative of tanh; the sigmoid's is σ(z)(1 − σ(z)).",
                    {NAME: 1 - np.tanh(z) ** 2}),
            Mistake("square-missing", "the square is missing: e^(−z)/(1 + e^(−z))",
                    "your values are e^(−z)/(1 + e^(−z)); σ′(z) = e^(−z)/(1 + e^(−z))² -- the denominator is "
                    "squared.", {NAME: 1 - s}),
            Mistake("sigma-squared", "σ(z)² instead of σ(z)(1 − σ(z))",
                    "your values are σ(z)², the sigmoid squared; σ′(z) = σ(z)(1 − σ(z)): s * (1 - s).",
                    {NAME: s * s}),
            Mistake("sign", "sign flipped", "your values are −σ′(z); σ′(z) = σ(z)(1 − σ(z)) is positive.",
                    {NAME: -s * (1 - s)}),
        ]


EXERCISE = SigmoidPrimeExercise()
