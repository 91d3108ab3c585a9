"""Lesson 08: ``update_parameters(W, b, dW, db, learning_rate)``: one gradient-descent step for every layer.

W_new[l] = W[l] − learning_rate · dW[l] and b_new[l] = b[l] − learning_rate · db[l],
as new lists (the old parameters unchanged). Cases: networks of 2 or 3
layers, learning rates 0.05 to 0.3. Truth: the grader's own float64 update.
(Named update_parameters so that it does not shadow bpkit.sgd_update.)
"""

from __future__ import annotations

import numpy as np

from ..cases import distinct_sizes
from .base import EPS, Exercise, Mistake, OutputSpec, Truth, unit_below, unpack_pair

Array = np.ndarray

LEARNING_RATES = (0.05, 0.1, 0.2, 0.3)


class UpdateParametersExercise(Exercise):
    id, lesson, function = "update-parameters", 8, "update_parameters"
    signature = "update_parameters(W, b, dW, db, learning_rate)"
    title = "the gradient-descent update of every W[l] and b[l]"
    hints = (
        "Gradient descent moves every parameter a small step against its gradient: the step is the "
        "learning rate times the gradient.",
        "Do it for every layer l = 1..L, for W and for b, and build new lists: the caller's W and b "
        "must not change (W[l] -= ... writes into them).",
        "Return the pair of lists (W_new, b_new), each starting with None at index 0 like W and b.",
    )
    hint_for = {"sign": 1, "learning-rate-missing": 1, "step-only": 3, "bias-not-updated": 2,
                "weights-not-updated": 2, "mutated": 2, "not-an-array": 3, "constant-multiple": 1,
                "mismatch": 1}


    def build(self, rng, index, seed):
        L = 2 if index % 3 == 1 else 3
        sizes = distinct_sizes(rng, L + 1)
        lr = float(rng.choice(LEARNING_RATES))
        arrays = {}
        for l in range(1, L + 1):
            arrays[f"W[{l}]"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            arrays[f"b[{l}]"] = 0.5 * rng.standard_normal((sizes[l], 1))
            arrays[f"dW[{l}]"] = rng.standard_normal((sizes[l], sizes[l - 1]))
            arrays[f"db[{l}]"] = rng.standard_normal((sizes[l], 1))
        return self._case(index, seed, arrays, f"sizes {'-'.join(map(str, sizes))}, learning_rate = {lr:g}",
                          L=L, sizes=sizes, learning_rate=lr)

    def arguments(self, case):
        W, b, dW, db = (case.layers(n) for n in ("W", "b", "dW", "db"))
        return (W, b, dW, db, float(case.meta["learning_rate"])), {"W": W, "b": b, "dW": dW, "db": db}

    def outputs(self, case):
        L, sizes = int(case.meta["L"]), case.meta["sizes"]
        specs = []
        for l in range(1, L + 1):
            specs.append(OutputSpec(f"W_new[{l}]", (sizes[l], sizes[l - 1]), f"unit {{}} of layer {l}",
                                    unit_below(l)))
            specs.append(OutputSpec(f"b_new[{l}]", (sizes[l], 1), f"unit {{}} of layer {l}", ""))
        return specs

    def unpack(self, value, case):
        return unpack_pair(value, int(case.meta["L"]), ("W_new", "b_new"), self.function)

    def magnitude(self, case):
        L, lr, A = int(case.meta["L"]), float(case.meta["learning_rate"]), case.arrays
        return {f"{p}_new[{l}]": np.abs(A[f"{p}[{l}]"]) + lr * np.abs(A[f"d{p}[{l}]"])
                for p in ("W", "b") for l in range(1, L + 1)}

    def compute_truth(self, case):
        L, lr, A = int(case.meta["L"]), float(case.meta["learning_rate"]), case.arrays
        out = {}
        for p in ("W", "b"):
            for l in range(1, L + 1):
                P, G = A[f"{p}[{l}]"], A[f"d{p}[{l}]"]
                out[f"{p}_new[{l}]"] = Truth.exact(P - lr * G, 2 * EPS * (np.abs(P) + lr * np.abs(G)))
        return out

    def mistakes(self, case):
        L = int(case.meta["L"])
        lr = float(case.meta["learning_rate"])
        A = case.arrays
        new = {f"W_new[{l}]": A[f"W[{l}]"] - lr * A[f"dW[{l}]"] for l in range(1, L + 1)}
        new.update({f"b_new[{l}]": A[f"b[{l}]"] - lr * A[f"db[{l}]"] for l in range(1, L + 1)})

        def each(fw, fb) -> dict[str, Array]:
            out = {f"W_new[{l}]": fw(A[f"W[{l}]"], A[f"dW[{l}]"]) for l in range(1, L + 1)}
            out.update({f"b_new[{l}]": fb(A[f"b[{l}]"], A[f"db[{l}]"]) for l in range(1, L + 1)})
            return out

        return [
            Mistake("sign", "sign flipped", "you added the gradient; gradient descent subtracts it: "
                    "W[l] - learning_rate * dW[l].", each(lambda p, g: p + lr * g, lambda p, g: p + lr * g)),
            Mistake("learning-rate-missing", "learning rate missing",
                    "you subtracted the whole gradient; multiply it by learning_rate first.",
                    each(lambda p, g: p - g, lambda p, g: p - g)),
            Mistake("step-only", "returned the step, not the new parameters",
                    "your values are −learning_rate · gradient; add the parameters: "
                    "W[l] - learning_rate * dW[l].",
                    each(lambda p, g: -lr * g, lambda p, g: -lr * g)),
            Mistake("wrong-gradient", "W updated with db",
                "your W_new[l] is W[l] − learning_rate · db[l] (broadcast over the columns): each parameter "
                "takes its own gradient, W with dW and b with db.",
                {**new, **{f"W_new[{l}]": A[f"W[{l}]"] - lr * A[f"db[{l}]"] for l in range(1, L + 1)}}),
        Mistake("divided-by-rate", "divided by the learning rate",
                "your step is the gradient divided by learning_rate; multiply: W[l] - learning_rate * dW[l].",
                each(lambda p, g: p - g / lr, lambda p, g: p - g / lr)),
        Mistake("rate-squared", "learning rate applied twice",
                "your step is learning_rate² times the gradient: multiply by learning_rate once.",
                each(lambda p, g: p - lr * lr * g, lambda p, g: p - lr * lr * g)),
        Mistake("bias-not-updated", "b not updated", "your b_new equals b: update the biases too.",
                    each(lambda p, g: p - lr * g, lambda p, g: p)),
            Mistake("weights-not-updated", "W not updated", "your W_new equals W: update the weights too.",
                    each(lambda p, g: p, lambda p, g: p - lr * g)),
        ]

    def shape_cause(self, case, spec, got):
        l = int(spec.name.split("[")[1][:-1])
        sizes = case.meta["sizes"]
        w_shape, b_shape = (sizes[l], sizes[l - 1]), (sizes[l], 1)
        if spec.name.startswith("W_new") and got == b_shape:
            return "swapped-pair", ("it has b's shape: the pair came back in the other order -- "
                                    "return W_new, b_new (the weights first)")
        if spec.name.startswith("b_new") and got == w_shape:
            return "wrong-gradient", (f"it has W[{l}]'s shape: b was updated with dW (broadcast to W's "
                                      "shape); each parameter takes its own gradient: "
                                      "b[l] - learning_rate * db[l]")
        return super().shape_cause(case, spec, got)

    def mutation_lines(self, case, mutated):
        first = mutated[0]
        return [f"update_parameters changed its input: {first.get('detail')}.",
                "The old parameters must stay as they were: build new lists, e.g. "
                "W_new = [None] + [W[l] - learning_rate * dW[l] for l in range(1, len(W))] "
                "(W[l] -= ... or W[l] = ... would change the caller's W)."]


EXERCISE = UpdateParametersExercise()
