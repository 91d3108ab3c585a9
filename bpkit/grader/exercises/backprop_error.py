"""Lesson 04: ``backprop_error(W_next, delta_next, z, sigma_prime)``: Equation 2.

δ[l] = (W[l+1])ᵀ δ[l+1] ⊙ σ′(z[l]), for a batch of m columns. Cases: case 1
one column, the others batches of m >= 3 unequal to both widths; sigma_prime
of tanh, ReLU or the sigmoid in turn. Truth: central differences of
Σ δ[l+1] ⊙ (W[l+1] σ(z[l])).
"""

from __future__ import annotations

import re

import numpy as np

from ..cases import away_from_kink, distinct_sizes, shape_text
from ..mistakes import transposed_result
from ._families import DeltaExercise
from .base import ACTIVATION_CYCLE, KnownError, Mistake, central_difference, mismatch, ref, shape_cause

_BROADCAST = re.compile(r"could not be broadcast together with shapes \((\d+),(\d+)\) \((\d+),(\d+)\)")


class BackpropErrorExercise(DeltaExercise):
    id, lesson, function = "backprop-error", 4, "backprop_error"
    signature = "backprop_error(W_next, delta_next, z, sigma_prime)"
    title = "Equation 2: δ[l] = (W[l+1])ᵀ δ[l+1] ⊙ σ′(z[l])"
    _z = "z"
    _units = "unit {} of layer l"
    hints = (
        "Write the shapes: W_next is (n_{l+1}, n_l), delta_next is (n_{l+1}, m), z is (n_l, m). "
        "Which product of W_next (or its transpose) with delta_next gives (n_l, m)?",
        "The error flows back through the transpose of W_next (a true transpose, .T -- reshape only "
        "re-reads the same entries in a new shape).",
        "Then multiply entry by entry (*, not @) by sigma_prime evaluated at z, the pre-activation of "
        "layer l. δ already carries any 1/m: no extra division.",
    )
    hint_for = {"w-not-transposed": 2, "sigma-prime-missing": 3, "sigma-prime-at-a": 3,
                "matmul-for-hadamard": 3, "matmul-order": 1, "transposed": 1, "transposed-result": 1,
                "mean-twice": 3, "sign": 3, "broadcast": 1, "mismatch": 1}

    def build(self, rng, index, seed):
        n_next, n_l = distinct_sizes(rng, 2)
        m = self.m_for(rng, index, (n_next, n_l))
        act = ACTIVATION_CYCLE[(index + seed) % 3]
        W = rng.standard_normal((n_next, n_l))
        dn = rng.standard_normal((n_next, m)) / m
        z = rng.uniform(-3, 3, (n_l, m))
        if ref.ACTIVATIONS[act].kinked:
            z = away_from_kink(z)
        return self._case(index, seed, {"W_next": W, "delta_next": dn, "z": z},
                          f"W_next {shape_text(W)}, delta_next {shape_text(dn)}, z {shape_text(z)}, "
                          f"sigma_prime = {act}'", activation=act)

    def arguments(self, case):
        W, dn, z = case.array("W_next"), case.array("delta_next"), case.array("z")
        return (W, dn, z, ref.student_sigma_prime(case.meta["activation"])), \
            {"W_next": W, "delta_next": dn, "z": z}

    def compute_truth(self, case):
        W, dn = case.arrays["W_next"], case.arrays["delta_next"]
        act = ref.ACTIVATIONS[case.meta["activation"]]
        return {"delta": central_difference(lambda Z: ref.backprop_scalar(Z, W, dn, act), case.arrays["z"])}

    def magnitude(self, case):
        W, dn, z = case.arrays["W_next"], case.arrays["delta_next"], case.arrays["z"]
        act = ref.ACTIVATIONS[case.meta["activation"]]
        return {"delta": (np.abs(W.T) @ np.abs(dn)) * (np.abs(act.prime(z)) + np.abs(z))}

    def mistakes(self, case):
        W, dn, z = case.arrays["W_next"], case.arrays["delta_next"], case.arrays["z"]
        act = ref.ACTIVATIONS[case.meta["activation"]]
        sp = act.prime(z)
        back = W.T @ dn
        d = back * sp
        out = [
            Mistake("sigma-prime-missing", "σ′ missing",
                    "your δ is (W_next)ᵀ δ_next without the factor sigma_prime(z) of Equation 2.",
                    {"delta": back}),
            Mistake("w-not-transposed", "W reshaped instead of transposed",
                    "your δ uses W_next.reshape(...) where Equation 2 needs the transpose W_next.T; "
                    "reshape keeps the order of the entries, it does not swap rows and columns.",
                    {"delta": (W.reshape(W.shape[1], W.shape[0]) @ dn) * sp}),
            Mistake("sigma-prime-at-a", "σ′ taken at (W_next)ᵀ δ_next instead of z",
                    "your δ is (W_next)ᵀ δ_next ⊙ σ′((W_next)ᵀ δ_next); σ′ is taken at z: "
                    "(W_next.T @ delta_next) * sigma_prime(z).", {"delta": back * act.prime(back)}),
            Mistake("sign", "sign flipped", "your δ is the negative of Equation 2's.", {"delta": -d}),
            Mistake("sigma-prime-twice", "σ′(z) multiplied in twice",
                    "your δ is (W_next)ᵀ δ_next ⊙ σ′(z)²: the factor sigma_prime(z) appears twice; "
                    "Equation 2 multiplies by it once.", {"delta": d * sp}),
            transposed_result(d, "delta"),
        ]
        out += [Mistake("sigma-prime-at-a", "returned σ′ of the product (W_next)ᵀ δ_next",
                        "your δ is sigma_prime(W_next.T @ delta_next): σ′ is taken at z, and multiplies the "
                        "product entry by entry: (W_next.T @ delta_next) * sigma_prime(z).",
                        {"delta": act.prime(back)}),
                Mistake("sigma-prime-at-a", "σ′ taken at a = σ(z) instead of z",
                        "your δ uses σ′(σ(z)): the activation was applied before calling sigma_prime; "
                        "σ′ is taken at z itself: sigma_prime(z).", {"delta": back * act.prime(act.f(z))})]
        if act.name != "sigmoid":
            out.append(Mistake("hard-coded-sigmoid", "sigmoid′ hard-coded",
                               f"your δ uses the sigmoid's σ′, but this case passed sigma_prime = "
                               f"{act.name}′: "
                               "call the sigma_prime you are given.", {"delta": back * ref.sigmoid_prime(z)}))
        m = z.shape[1]
        if m > 1:
            first = (W.T @ dn[:, :1]) * sp
            out.append(Mistake("first-column-only", "only the first example",
                               "every column of your δ is the first example's: use all m columns of "
                               "delta_next (the product W_next.T @ delta_next keeps them).", {"delta": first},
                               batch_only=True))
            out.append(Mistake("mean-twice", "divided by m",
                               "your δ is divided by m; δ_next already carries the 1/m of the mean loss, "
                               "so Equation 2 has no 1/m.", {"delta": d / m}, batch_only=True))
        return out

    def shape_cause(self, case, spec, got):
        if got == spec.shape[::-1]:
            return "transposed", ("it is transposed, (m, n_l): delta_next.T @ W_next gives the transpose; "
                                  "Equation 2 is W_next.T @ delta_next")
        return shape_cause(spec, got)

    def exception_hint(self, case, status):
        n_next, n_l = case.arrays["W_next"].shape
        m = case.arrays["z"].shape[1]
        found = mismatch(status)
        if found == (n_l, n_next):                           # W_next @ delta_next
            return KnownError("w-not-transposed", "W instead of Wᵀ",
                              "W_next is (n_{l+1}, n_l) and delta_next is (n_{l+1}, m): Equation 2 "
                              "multiplies "
                              "by the transpose, W_next.T @ delta_next, giving (n_l, m).")
        if found == (m, n_l):                                # (W_next.T @ delta_next) @ sigma_prime(z)
            return KnownError("matmul-for-hadamard", "@ used for ⊙",
                              "Equation 2 is (W_next.T @ delta_next) * sigma_prime(z): @ for the matrix "
                              "product, * (entry by entry) for ⊙.")
        if found is not None:
            return KnownError("matmul-order", "matrix product does not fit",
                              "W_next is (n_{l+1}, n_l) and delta_next is (n_{l+1}, m): "
                              "W_next.T @ delta_next is (n_l, m), the shape of z.")
        shapes = _BROADCAST.search(str(status.get("message", "")))
        if shapes and (int(shapes.group(1)), int(shapes.group(2))) == (m, n_l):
            return KnownError("transposed-result", "(m, n_l) from delta_next.T @ W_next",
                              "delta_next.T @ W_next is (m, n_l), the transpose of what Equation 2 needs: "
                              "W_next.T @ delta_next is (n_l, m), the shape of z.")
        return None


EXERCISE = BackpropErrorExercise()
