"""Lesson 02: ``tanh_prime(z)``, tanh′(z) = 1 − tanh(z)² entry by entry.

Cases: z of non-square shapes, entries in [-4, 4]; case 3 passes z as
float32. Truth: central differences of tanh, entry by entry.
"""

from __future__ import annotations

import numpy as np

from ._families import ActivationPrime
from .base import Mistake

NAME = "tanh_prime(z)"


class TanhPrimeExercise(ActivationPrime):
    id, function, act = "tanh-prime", "tanh_prime", "tanh"
    position = 2
    signature, title = "tanh_prime(z)", "the derivative of tanh"
    hints = (
        "tanh′(z) = 1 − tanh(z)²: it is 1 at z = 0 and close to 0 for large |z|.",
        "The formula 1 − a² takes the activation a = tanh(z), not z itself; tanh is applied once.",
        "np.tanh works on a whole array: compute the activation once, then return one minus its "
        "entry-by-entry square.",
    )
    hint_for = {"formula-at-z": 2, "sigma-prime-at-a": 2, "square-missing": 3, "sigma-instead": 1,
                "sign": 1, "mismatch": 1}

    def mistakes(self, case):
        z = case.arrays["z"]
        t = np.tanh(z)
        tt = np.tanh(t)
        return [
            Mistake("formula-at-z", "1 − a² used with z",
                    "your values are 1 − z²: the formula 1 − a² needs a = tanh(z). Use 1 - np.tanh(z)**2.",
                    {NAME: 1 - z * z}),
            Mistake("sigma-prime-at-a", "tanh′ taken at a = tanh(z) instead of z",
                    "your values are 1 − tanh(tanh(z))²: tanh was applied twice. tanh′(z) = 1 − tanh(z)².",
                    {NAME: 1 - tt * tt}),
            Mistake("square-missing", "the square is missing", "your values are 1 − tanh(z); "
                    "the derivative is 1 − tanh(z)².", {NAME: 1 - t}),
            Mistake("sigma-instead", "returned tanh(z)", "your values are tanh(z) itself; "
                    "tanh′(z) = 1 − tanh(z)².", {NAME: t}),
            Mistake("square-inside", "1 − tanh(z²): the square inside",
                    "your values are 1 − tanh(z²); the square belongs outside: 1 − tanh(z)².",
                    {NAME: 1 - np.tanh(z * z)}),
            Mistake("sigmoid-formula", "the sigmoid's derivative σ(z)(1 − σ(z))",
                    "your values are σ(z)(1 − σ(z)), the sigmoid's derivative; tanh′(z) = 1 − tanh(z)².",
                    {NAME: 1 / (1 + np.exp(-z)) * (1 - 1 / (1 + np.exp(-z)))}),
            Mistake("square-missing", "1/cosh(z): the square is missing",
                    "your values are 1/cosh(z); tanh′(z) = 1/cosh(z)² (sech², = 1 − tanh(z)²).",
                    {NAME: 1 / np.cosh(z)}),
            Mistake("times-two", "1 − 2 tanh(z): * 2 where ** 2 belongs",
                    "your values are 1 − 2 tanh(z): tanh(z) * 2 doubles; the square is tanh(z) ** 2.",
                    {NAME: 1 - 2 * t}),
            Mistake("cubed", "1 − tanh(z)³: the power is 3",
                    "your values are 1 − tanh(z)³ (** 3); the derivative squares: 1 − tanh(z)**2.",
                    {NAME: 1 - t ** 3}),
            Mistake("plus-square", "1 + tanh(z)²: plus where minus belongs",
                    "your values are 1 + tanh(z)²; the derivative subtracts the square: 1 − tanh(z)².",
                    {NAME: 1 + t * t}),
            Mistake("sign", "sign flipped", "your values are tanh(z)² − 1; the derivative is 1 − tanh(z)².",
                    {NAME: t * t - 1}),
        ]


EXERCISE = TanhPrimeExercise()
