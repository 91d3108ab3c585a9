"""Lesson 03: ``output_error(grad_a, z_L, sigma_prime)``: Equation 1, δ[L] = dL/da[L] ⊙ σ′(z[L]).

Cases: case 1 one column, the others batches of m >= 3; sigma_prime is the
derivative of tanh, ReLU or the sigmoid in turn (ReLU's z kept away from its
kink). Truth: central differences of Σ grad_a ⊙ σ(z).
"""

from __future__ import annotations

import numpy as np

from ..cases import away_from_kink, distinct_sizes, shape_text
from ..mistakes import transposed_result
from ._families import DeltaExercise
from .base import ACTIVATION_CYCLE, KnownError, Mistake, elementwise_truth, matmul_error, ref


class OutputErrorExercise(DeltaExercise):
    id, lesson, function = "output-error", 3, "output_error"
    position = 2
    signature = "output_error(grad_a, z_L, sigma_prime)"
    title = "Equation 1: δ[L] = dL/da[L] ⊙ σ′(z[L])"
    hints = (
        "Equation 1 has two factors: the gradient arriving at the output, grad_a, and the slope of "
        "the activation at the output's pre-activation.",
        "sigma_prime is a function you are given: call it on z_L (not on grad_a). grad_a already holds "
        "any 1/m of a mean loss, so do not divide again.",
        "⊙ is the entry-by-entry product (* in numpy), not the matrix product @.",
    )
    hint_for = {"sigma-prime-missing": 1, "sigma-prime-at-a": 2, "mean-twice": 2, "sign": 1,
                "matmul-for-hadamard": 3, "transposed-result": 3, "mismatch": 1}

    def build(self, rng, index, seed):
        n = distinct_sizes(rng, 1)[0]
        m = self.m_for(rng, index, (n,))
        act = ACTIVATION_CYCLE[(index + seed) % 3]
        z = rng.uniform(-3, 3, (n, m))
        if ref.ACTIVATIONS[act].kinked:
            z = away_from_kink(z)
        g = rng.standard_normal((n, m)) / m
        return self._case(index, seed, {"grad_a": g, "z_L": z},
                          f"grad_a {shape_text(g)}, z_L {shape_text(z)}, sigma_prime = {act}'",
                          activation=act)

    def arguments(self, case):
        g, z = case.array("grad_a"), case.array("z_L")
        return (g, z, ref.student_sigma_prime(case.meta["activation"])), {"grad_a": g, "z_L": z}

    def compute_truth(self, case):
        g, z = case.arrays["grad_a"], case.arrays["z_L"]
        act = ref.ACTIVATIONS[case.meta["activation"]]
        return {"delta": elementwise_truth(z, lambda v: ref.weighted_activation_terms(v, g, act))}

    def magnitude(self, case):
        g, z = case.arrays["grad_a"], case.arrays["z_L"]
        act = ref.ACTIVATIONS[case.meta["activation"]]
        return {"delta": np.abs(g) * (np.abs(act.prime(z)) + np.abs(z))}

    def mistakes(self, case):
        g, z = case.arrays["grad_a"], case.arrays["z_L"]
        act = ref.ACTIVATIONS[case.meta["activation"]]
        d = g * act.prime(z)
        m = z.shape[1]
        out = [
            Mistake("sigma-prime-missing", "σ′ missing",
                    "your δ equals grad_a: Equation 1 multiplies it entry by entry by sigma_prime(z_L).",
                    {"delta": g}),
            Mistake("sigma-prime-at-a", "σ′ taken at grad_a instead of z_L",
                    "your δ is grad_a ⊙ σ′(grad_a); σ′ is taken at z_L: grad_a * sigma_prime(z_L).",
                    {"delta": g * act.prime(g)}),
            Mistake("sign", "sign flipped", "your δ is −grad_a ⊙ σ′(z_L).", {"delta": -d}),
            transposed_result(d, "delta"),
        ]
        out += [Mistake("sigma-prime-at-a", "σ′ taken at a = σ(z_L) instead of z_L",
                        "your δ uses σ′(σ(z_L)): the activation was applied before calling sigma_prime; "
                        "σ′ is taken at z_L itself.", {"delta": g * act.prime(act.f(z))}),
                Mistake("plus-for-product", "+ instead of ⊙",
                        "your δ is grad_a + σ′(z_L); ⊙ is a product, entry by entry: grad_a * "
                        "sigma_prime(z_L).",
                        {"delta": g + act.prime(z)})]
        if act.name != "sigmoid":
            out.append(Mistake("hard-coded-sigmoid", "sigmoid′ hard-coded",
                               f"your δ uses the sigmoid's σ′, but this case passed sigma_prime = "
                               f"{act.name}′: "
                               "call the sigma_prime you are given.", {"delta": g * ref.sigmoid_prime(z)}))
        if m > 1:
            out.append(Mistake("mean-twice", "divided by m",
                               "your δ is divided by m, but grad_a already carries the 1/m of the mean loss: "
                               "Equation 1 is grad_a * sigma_prime(z_L), nothing more.",
                               {"delta": d / m}, batch_only=True))
        return out

    def exception_hint(self, case, status):
        if matmul_error(status):
            return KnownError("matmul-for-hadamard", "@ used for ⊙",
                              "Equation 1's ⊙ is the entry-by-entry product: grad_a * "
                              "sigma_prime(z_L), not @.")
        return None


EXERCISE = OutputErrorExercise()
