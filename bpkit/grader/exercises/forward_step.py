"""Lesson 01: ``forward_step(W, a_prev, b, sigma)`` -> ``(z, a)``, one layer of the forward pass.

z = W a_prev + b and a = sigma(z), for a batch a_prev of shape (n_{l-1}, m).
Cases: distinct widths, case 1 one column, the others batches of m >= 3
columns (m unequal to both widths), sigma a plain function that is tanh,
ReLU or the sigmoid in turn (so a hard-coded sigmoid fails). Truth: the
grader's own float64 product, within float64 rounding.
"""

from __future__ import annotations

import numpy as np

from ..cases import distinct_sizes, shape_text
from .base import (
    ACTIVATION_CYCLE,
    EPS,
    BadReturn,
    Exercise,
    KnownError,
    Mistake,
    OutputSpec,
    Truth,
    describe,
    matmul_error,
    ref,
)


class ForwardStepExercise(Exercise):
    id, lesson, function = "forward-step", 1, "forward_step"
    signature = "forward_step(W, a_prev, b, sigma)"
    title = "one layer of the forward pass: z = W a_prev + b, a = sigma(z)"
    promises_batch = True
    hints = (
        "Write down the shapes: W is (n_l, n_{l-1}) and a_prev is (n_{l-1}, m). Which order of the "
        "matrix product gives (n_l, m)?",
        "b is a single column (n_l, 1); numpy adds it to every column of the product by itself "
        "(broadcasting), so no loop over the examples is needed. The bias goes in before the activation.",
        "sigma is a function you are given: call it on z (do not write the sigmoid yourself), and "
        "return the pair with z first.",
    )
    hint_for = {"matmul-order": 1, "missing-bias": 2, "bias-after-sigma": 2, "broadcast": 2,
                "hard-coded-sigmoid": 3, "swapped": 3, "sigma-not-applied": 3, "not-an-array": 3,
                "first-column-only": 2}

    def build(self, rng, index, seed):
        n_l, n_prev = distinct_sizes(rng, 2)
        m = self.m_for(rng, index, (n_l, n_prev))
        act = ACTIVATION_CYCLE[(index + seed) % 3]
        W = rng.standard_normal((n_l, n_prev))
        a_prev = rng.standard_normal((n_prev, m))
        b = 0.5 * rng.standard_normal((n_l, 1))
        return self._case(index, seed, {"W": W, "a_prev": a_prev, "b": b},
                          f"W {shape_text(W)}, a_prev {shape_text(a_prev)}, b {shape_text(b)}, sigma = {act}",
                          activation=act)

    def arguments(self, case):
        W, a_prev, b = case.array("W"), case.array("a_prev"), case.array("b")
        return (W, a_prev, b, ref.student_sigma(case.meta["activation"])), {"W": W, "a_prev": a_prev, "b": b}

    def outputs(self, case):
        n_l, m = case.arrays["W"].shape[0], case.arrays["a_prev"].shape[1]
        return [OutputSpec("z", (n_l, m), "unit {} of the layer", "example {}", m),
                OutputSpec("a", (n_l, m), "unit {} of the layer", "example {}", m)]

    def unpack(self, value, case):
        if isinstance(value, np.ndarray):
            raise BadReturn("forward_step returned a single array; it must return the pair (z, a): "
                            "`return z, a`.")
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise BadReturn(f"forward_step returned {describe(value)}; it must return the pair (z, a).")
        return {"z": value[0], "a": value[1]}

    def _summed(self, case):
        W, a_prev, b = case.arrays["W"], case.arrays["a_prev"], case.arrays["b"]
        return np.abs(W) @ np.abs(a_prev) + np.abs(b)

    def compute_truth(self, case):
        W, a_prev, b = case.arrays["W"], case.arrays["a_prev"], case.arrays["b"]
        act = ref.ACTIVATIONS[case.meta["activation"]]
        z = W @ a_prev + b
        zn = EPS * (W.shape[1] + 1) * self._summed(case)
        a = act.f(z)
        return {"z": Truth.exact(z, zn), "a": Truth.exact(a, zn + 2 * EPS * np.abs(a))}

    def magnitude(self, case):
        s = self._summed(case)
        a = self.truth(case)["a"].expected
        return {"z": s, "a": s + np.abs(a)}

    def mistakes(self, case):
        W, a_prev, b = case.arrays["W"], case.arrays["a_prev"], case.arrays["b"]
        act = ref.ACTIVATIONS[case.meta["activation"]]
        z = W @ a_prev + b
        zb = W @ a_prev
        out = [
            Mistake("missing-bias", "b left out",
                    "your z equals W a_prev without + b; the forward step is z = W a_prev + b.",
                    {"z": zb, "a": act.f(zb)}),
            Mistake("missing-bias", "b left out of z",
                    "your z is W a_prev without + b (a is right): z = W @ a_prev + b.", {"z": zb}),
            Mistake("bias-after-sigma", "b added after σ",
                    "your a is σ(W a_prev) + b; the bias goes inside: a = σ(W a_prev + b).",
                    {"z": zb, "a": act.f(zb) + b}),
            Mistake("swapped", "returned (a, z)", "your pair is (a, z); return z first: return z, a.",
                    {"z": act.f(z), "a": z}),
            Mistake("sigma-not-applied", "σ not applied", "your a equals z; a = sigma(z).", {"a": z}),
            Mistake("sign", "b subtracted: W a_prev − b",
                    "your z is W a_prev − b; the bias is added: z = W @ a_prev + b.",
                    {"z": zb - b, "a": act.f(zb - b)}),
            Mistake("bias-summed", "b summed into one number",
                    "your z adds the sum of b's entries to every unit; add the column b itself.",
                    {"z": zb + b.sum(), "a": act.f(zb + b.sum())}),
        ]
        if a_prev.shape[1] > 1:
            z1 = np.repeat(W @ a_prev[:, :1] + b, a_prev.shape[1], axis=1)
            out.append(Mistake("first-column-only", "only the first example",
                               "every column of your z is the first example's: use the whole batch, "
                               "W @ a_prev is (n_l, m).", {"z": z1, "a": act.f(z1)}, batch_only=True))
        if act.name != "sigmoid":
            out.insert(0, Mistake(
                "hard-coded-sigmoid", "sigmoid hard-coded",
                f"your a is sigmoid(z), but this case passed sigma = {act.name}: call the sigma you "
                f"are given.",
                {"a": ref.sigmoid(z)}))
        return out

    def exception_hint(self, case, status):
        if matmul_error(status):
            return KnownError("matmul-order", "matrix product does not fit",
                              "W is (n_l, n_{l-1}) and a_prev is (n_{l-1}, m): z = W @ a_prev + b, "
                              "with W on the left and neither transposed.")
        return None


EXERCISE = ForwardStepExercise()
