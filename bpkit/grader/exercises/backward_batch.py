"""Lesson 07: ``backward_batch(W, b, X, Y)``: the backward pass for a batch, gradients of the mean loss.

Cases: networks of 2 or 3 layers with distinct widths and a batch of
m >= 3 columns (m unequal to every width). Truth, mistakes and messages:
bpkit/grader/exercises/backward.py.
"""

from __future__ import annotations

from .backward import BackwardExercise


class BackwardBatchExercise(BackwardExercise):
    id, lesson, function = "backward-batch", 7, "backward_batch"
    signature = "backward_batch(W, b, X, Y)"
    title = "the backward pass for a batch: gradients of the mean loss"
    batch = True
    promises_batch = True
    _x, _y = "X", "Y"
    hints = (
        "Run the forward pass on the whole batch at once, keeping every Z[l] and A[l] (one column per "
        "example), then go backwards from layer L to 1 with Equations 1-4.",
        "The loss is the mean over the m examples: the 1/m enters once, in δ[L]. Equation 3's matrix "
        "product then sums over the examples, and Equation 4 must sum δ's columns too.",
        "Check each layer's indices: dW[l] uses A[l-1], the layer below; δ moves down through W[l]'s "
        "transpose and σ′ taken at Z[l-1]; db[l] is a (n_l, 1) column.",
    )
    hint_for = {"sum-not-mean": 2, "mean-twice": 2, "batch-axis-kept": 2, "wrong-layer": 3,
                "w-not-transposed": 3, "sigma-prime-missing": 1, "sigma-prime-at-a": 3,
                "missing-bias": 1, "constant-multiple": 2, "mismatch": 1}


EXERCISE = BackwardBatchExercise()
