"""Lesson 11: ``backward_fixed(W, b, X, Y)``: the backward pass, debugged.

tanh in the hidden layers under a sigmoid output, mean ½-MSE over a batch.
Cases, truth and mistakes: bpkit/grader/exercises/backward.py (with the
mistakes that mix up the two activations).
"""

from __future__ import annotations

from .backward_batch import BackwardBatchExercise


class BackwardFixedExercise(BackwardBatchExercise):
    id, lesson, function = "backward-fixed", 11, "backward_fixed"
    signature = "backward_fixed(W, b, X, Y)"
    title = "the backward pass with tanh hidden layers and a sigmoid output (MSE, mean over the batch)"
    hidden, output = "tanh", "sigmoid"
    hints = (
        "Compare your gradients layer by layer with numerical ones: the highest layer that disagrees "
        "points at the equation to look at.",
        "Two activations, two derivatives: the output layer is a sigmoid, σ′ = a(1 − a); the hidden "
        "layers are tanh, σ′ = 1 − a². Each must be used in its own layers only.",
        "A gradient that is off by the same factor everywhere is a constant (the 1/m, a 2, a sign); "
        "one that is off only in the lower layers is Equation 2 (the transpose, σ′ at the right z).",
    )
    hint_for = {"wrong-activation": 2, "sigma-prime-at-a": 2, "formula-at-z": 2, "sum-not-mean": 3,
                "mean-twice": 3, "constant-multiple": 3, "w-not-transposed": 3, "mismatch": 1}


EXERCISE = BackwardFixedExercise()
