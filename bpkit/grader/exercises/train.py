r"""Lesson 13, the capstone: the learner's own training loop, judged by replaying it.

The exercise::

    train(X, Y, sizes, epochs, batch_size, learning_rate, seed, parts) -> (W, b, losses)

``parts`` holds the building blocks of lessons 00-10 (``parts.sigmoid``,
``parts.forward_step``, ``parts.backward_batch``, ``parts.update_parameters``,
``parts.init_weights``); the loop starts from
``parts.init_weights(sizes, "xavier", seed)``, shuffles the columns afresh every
epoch with a generator seeded by ``seed``, takes one ``backward_batch`` and one
``update_parameters`` per minibatch of ``batch_size`` columns (the last one may
be smaller), and records after each epoch the mean loss on all of ``X``:
:math:`\mathcal L = \frac1{2m}\sum_j \lVert a^{[L]}_j - y_j \rVert^2`.

How it is judged (the learner's function is untrusted and never judges itself):

* in the lesson and under ``bpkit grade`` alike, the check passes **its own**
  parts, which record every call: the columns each ``backward_batch`` got, the
  parameters it was called at, and each update's parameters, gradient and
  learning rate. ``call`` returns that log and the learner's ``(W, b, losses)``
  as arrays, from two runs with the same seed;
* the trusted ``judge`` finds each logged minibatch among the columns of ``X``,
  checks that every epoch is one fresh permutation of the ``m`` columns cut
  into consecutive batches of ``batch_size`` (and ``Y`` cut the same way), then
  **replays** SGD itself, in float64, from its own initial weights with those
  batches, and compares the final weights and the per-epoch losses with what
  was returned; it computes the held-out accuracy of the returned weights on
  data the learner never sees. What was logged only ever names a mistake: a
  forged log still has to come with the weights a correct loop gives.

>>> from bpkit.grader import EXERCISES, check_train
>>> case = EXERCISES["train"].make_cases(seed=0, n=1)[0]
>>> print(case.description)
sizes 3-4-1, X (3, 16), 4 epochs of minibatches (3 of 5 and one of 1), learning_rate 5, seed 1048884210
>>> from bpkit.mine import reference_train
>>> check_train(reference_train).passed
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..calling import describe, flat_outputs
from ..cases import Case, shape_text
from ..diagnosis import not_a_function_outputs, preliminary
from ..mistakes import Mistake
from ..result import Verdict
from ..shapes import OutputSpec, shape_cause
from .base import BadReturn, Exercise

Array = np.ndarray

#: Initialisations ``parts.init_weights`` knows (lesson 10), and their codes in the log.
INIT_METHODS = ("xavier", "he")
#: Codes of the calls in ``log:calls``.
CALL_BACKWARD, CALL_UPDATE, CALL_INIT = 1, 2, 3
#: A run may call the parts this many times the expected number before it is stopped.
MAX_CALLS_FACTOR = 16
#: Choices of the cases: epochs, batch sizes, learning rates, held-out points.
EPOCHS, BATCH_SIZES, LEARNING_RATES, N_TEST = (3, 4), (4, 5, 6, 7), (2.0, 3.0, 5.0), 40
#: Relative tolerance of replayed weights and losses (float64 rounding, amplified by a few dozen steps).
RTOL = 1e-8


# --------------------------------------------------------------------------- the grader's own parts

def sigmoid(z: Array) -> Array:
    """σ(z) = 1 / (1 + e^(-z)) = (1 + tanh(z/2)) / 2: one ufunc, without overflow."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))


def forward_step(W: Array, a_prev: Array, b: Array, sigma: Callable) -> tuple[Array, Array]:
    """z = W a_prev + b, a = sigma(z)."""
    z = W @ a_prev + b
    return z, sigma(z)


def backward_batch(W: list, b: list, X: Array, Y: Array) -> tuple[list, list]:
    """Gradients of the mean MSE (with the ½) over the columns of X; sigmoid in every layer."""
    L, m = len(W) - 1, X.shape[1]
    a, z = [X], [None]
    for l in range(1, L + 1):
        z_l, a_l = forward_step(W[l], a[l - 1], b[l], sigmoid)
        z.append(z_l)
        a.append(a_l)
    delta = (a[L] - Y) / m * a[L] * (1 - a[L])
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        dW[l] = delta @ a[l - 1].T
        db[l] = np.sum(delta, axis=1, keepdims=True)
        if l > 1:
            delta = (W[l].T @ delta) * a[l - 1] * (1 - a[l - 1])
    return dW, db


def update_parameters(W: list, b: list, dW: list, db: list, learning_rate: float) -> tuple[list, list]:
    """New lists W[l] - learning_rate dW[l], b[l] - learning_rate db[l]."""
    L = len(W) - 1
    return ([None] + [W[l] - learning_rate * dW[l] for l in range(1, L + 1)],
            [None] + [b[l] - learning_rate * db[l] for l in range(1, L + 1)])


def init_weights(sizes: list[int], method: str, seed: int) -> tuple[list, list]:
    """Xavier (variance 2/(n_in + n_out)) or He (2/n_in) normal weights and zero biases, as bpkit's."""
    rng = np.random.default_rng(seed)
    W, b = [None], [None]
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        std = math.sqrt(2.0 / (n_in + n_out)) if method == "xavier" else math.sqrt(2.0 / n_in)
        W.append(rng.standard_normal((n_out, n_in)) * std)
        b.append(np.zeros((n_out, 1)))
    return W, b


def mean_loss(W: list, b: list, X: Array, Y: Array) -> float:
    """(1/2m) Σ_j ||a[L]_j - y_j||², the mean over the m columns."""
    a = X
    for l in range(1, len(W)):
        _, a = forward_step(W[l], a, b[l], sigmoid)
    return float(0.5 * np.sum((a - Y) ** 2) / X.shape[1])


def predict(W: list, b: list, X: Array) -> Array:
    """Predicted classes: a[L] > 0.5 for one output unit, else the argmax of each column."""
    a = X
    for l in range(1, len(W)):
        _, a = forward_step(W[l], a, b[l], sigmoid)
    return (a[0] > 0.5).astype(np.int64) if a.shape[0] == 1 else np.argmax(a, axis=0)


def labels(Y: Array) -> Array:
    return (Y[0] > 0.5).astype(np.int64) if Y.shape[0] == 1 else np.argmax(Y, axis=0)


# --------------------------------------------------------------------------- recording the parts' calls

class _Recorder:
    """The parts handed to one run of ``train``, with a log of every call (worker side)."""

    def __init__(self, case: Case):
        self.sizes = [int(n) for n in case.meta["sizes"]]
        self.L = len(self.sizes) - 1
        self.P = sum(self.sizes[l] * (self.sizes[l - 1] + 1) for l in range(1, self.L + 1))
        self.cap = MAX_CALLS_FACTOR * (2 * expected_batches(case) + 1)
        self.calls: list[int] = []
        self.X: list[Array] = []
        self.Y: list[Array] = []
        self.theta: list[Array] = []
        self.up_theta: list[Array] = []
        self.up_grad: list[Array] = []
        self.up_lr: list[float] = []
        self.init: list[list[float]] = []
        self.parts = SimpleNamespace(sigmoid=sigmoid, forward_step=forward_step,
                                     backward_batch=self.backward_batch,
                                     update_parameters=self.update_parameters, init_weights=self.init_weights)

    def _count(self, code: int) -> None:
        if len(self.calls) >= self.cap:
            raise RuntimeError(f"train called the parts more than {self.cap} times, far more than its "
                               "epochs and minibatches need: does a loop run too long?")
        self.calls.append(code)

    def _layers(self, seq: Any, name: str, part: str, cols: bool) -> list:
        if not isinstance(seq, (list, tuple)) or len(seq) != self.L + 1:
            raise ValueError(f"parts.{part}: {name} must be the list [None, {name}[1], ..., "
                             f"{name}[{self.L}]] (index 0 is None); got {_what(seq)}")
        out = [None]
        for l in range(1, self.L + 1):
            shape = (self.sizes[l], self.sizes[l - 1] if cols else 1)
            arr = np.asarray(seq[l], dtype=np.float64) if isinstance(seq[l], np.ndarray) else None
            if arr is None or arr.shape != shape:
                raise ValueError(f"parts.{part}: {name}[{l}] must be an array of shape {shape}; "
                                 f"got {_what(seq[l])}")
            out.append(arr)
        return out

    def _flat(self, W: list, b: list) -> Array:
        return np.concatenate([np.concatenate([W[l].ravel(), b[l].ravel()]) for l in range(1, self.L + 1)])

    def backward_batch(self, W, b, X, Y):
        W, b = self._layers(W, "W", "backward_batch", True), self._layers(b, "b", "backward_batch", False)
        X = np.asarray(X, dtype=np.float64) if isinstance(X, np.ndarray) else None
        Y = np.asarray(Y, dtype=np.float64) if isinstance(Y, np.ndarray) else None
        if X is None or X.ndim != 2 or X.shape[0] != self.sizes[0]:
            raise ValueError(f"parts.backward_batch: X must be an array ({self.sizes[0]}, B), one column "
                             "per example of the minibatch")
        if X.shape[1] == 0:
            raise ValueError("parts.backward_batch got a minibatch of 0 columns: the loop over the "
                             "minibatches went one step past the end of the epoch")
        if Y is None or Y.shape != (self.sizes[-1], X.shape[1]):
            raise ValueError(f"parts.backward_batch: Y must be an array ({self.sizes[-1]}, {X.shape[1]}), "
                             "one column per column of X")
        self._count(CALL_BACKWARD)
        self.X.append(X.copy())
        self.Y.append(Y.copy())
        self.theta.append(self._flat(W, b))
        return backward_batch(W, b, X, Y)

    def update_parameters(self, W, b, dW, db, learning_rate):
        part = "update_parameters"
        W, b = self._layers(W, "W", part, True), self._layers(b, "b", part, False)
        dW, db = self._layers(dW, "dW", part, True), self._layers(db, "db", part, False)
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float, np.number)):
            raise TypeError("parts.update_parameters: learning_rate must be a number; "
                            f"got {_what(learning_rate)}")
        self._count(CALL_UPDATE)
        self.up_theta.append(self._flat(W, b))
        self.up_grad.append(self._flat(dW, db))
        self.up_lr.append(float(learning_rate))
        return update_parameters(W, b, dW, db, float(learning_rate))

    def init_weights(self, sizes, method, seed):
        if not isinstance(sizes, (list, tuple)) or [int(n) for n in sizes] != self.sizes:
            raise ValueError(f"parts.init_weights: sizes must be the sizes train was given, {self.sizes}; "
                             f"got {sizes!r}"[:200])
        if method not in INIT_METHODS:
            raise ValueError(f"parts.init_weights: method must be one of {INIT_METHODS}; "
                             f"got {method!r}"[:200])
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"parts.init_weights: seed must be an integer; got {_what(seed)}")
        self._count(CALL_INIT)
        self.init.append([float(INIT_METHODS.index(method)), float(seed)])
        return init_weights(self.sizes, method, int(seed))

    def arrays(self) -> dict[str, Array]:
        """The log as arrays (what crosses to the judge)."""
        n0, nL, P = self.sizes[0], self.sizes[-1], self.P

        def stack(rows: list, width: int) -> Array:
            return np.array(rows, dtype=np.float64).reshape(len(rows), width)

        return {
            "log:calls": np.array(self.calls, dtype=np.float64),
            "log:sizes": np.array([x.shape[1] for x in self.X], dtype=np.float64),
            "log:X": np.concatenate(self.X, axis=1) if self.X else np.zeros((n0, 0)),
            "log:Y": np.concatenate(self.Y, axis=1) if self.Y else np.zeros((nL, 0)),
            "log:theta": stack(self.theta, P), "log:up_theta": stack(self.up_theta, P),
            "log:up_grad": stack(self.up_grad, P), "log:up_lr": np.array(self.up_lr, dtype=np.float64),
            "log:init": stack(self.init, 2),
        }


def _what(value: Any) -> str:
    return describe(value)


def expected_batches(case: Case) -> int:
    """Minibatches of a correct run: epochs × ⌈m / batch_size⌉."""
    m, B = case.arrays["X"].shape[1], int(case.meta["batch_size"])
    return int(case.meta["epochs"]) * -(-m // B)


# --------------------------------------------------------------------------- the log, read by the judge

class _Log:
    """The parts' log of one run, read defensively (it comes from an untrusted worker)."""

    def __init__(self, case: Case, outputs: dict[str, Array]):
        sizes = case.meta["sizes"]
        L = len(sizes) - 1
        P = sum(sizes[l] * (sizes[l - 1] + 1) for l in range(1, L + 1))

        def get(name: str, ndim: int, rows: int | None = None, cols: int | None = None) -> Array | None:
            a = outputs.get(name)
            if not isinstance(a, np.ndarray) or a.dtype.kind not in "biuf" or a.ndim != ndim:
                return None
            if (rows is not None and a.shape[0] != rows) or (cols is not None and a.shape[-1] != cols):
                return None
            return np.asarray(a, dtype=np.float64)

        self.calls = get("log:calls", 1)
        self.sizes = get("log:sizes", 1)
        self.X, self.Y = get("log:X", 2, rows=sizes[0]), get("log:Y", 2, rows=sizes[-1])
        self.theta, self.up_theta = get("log:theta", 2, cols=P), get("log:up_theta", 2, cols=P)
        self.up_grad, self.up_lr = get("log:up_grad", 2, cols=P), get("log:up_lr", 1)
        self.init = get("log:init", 2, cols=2)
        parts = (self.calls, self.sizes, self.X, self.Y, self.theta, self.up_theta, self.up_grad, self.up_lr,
                 self.init)
        self.ok = all(p is not None and bool(np.all(np.isfinite(p))) for p in parts)
        if self.ok:
            n = self.sizes
            self.ok = (bool(np.all((n >= 1) & (n <= self.X.shape[1]) & (n == np.round(n))))
                       and int(n.sum()) == self.X.shape[1] == self.Y.shape[1]
                       and len(n) == len(self.theta) and len(self.up_theta) == len(self.up_grad)
                       == len(self.up_lr))
        if self.ok:
            ends = np.cumsum(self.sizes.astype(np.int64))
            self.batches_X = np.split(self.X, ends[:-1], axis=1)
            self.batches_Y = np.split(self.Y, ends[:-1], axis=1)


def _columns(X: Array, batch: Array) -> Array:
    """For each column of ``batch``, its index in ``X`` (-1 where it is no column of X)."""
    where = {X[:, j].tobytes(): j for j in range(X.shape[1])}
    found = [where.get(np.ascontiguousarray(batch[:, k]).tobytes(), -1) for k in range(batch.shape[1])]
    return np.array(found, dtype=np.int64)


def _theta(W: list, b: list) -> Array:
    return np.concatenate([np.concatenate([W[l].ravel(), b[l].ravel()]) for l in range(1, len(W))])


def _unflat(theta: Array, sizes: list[int]) -> tuple[list, list]:
    W, b, k = [None], [None], 0
    for l in range(1, len(sizes)):
        n_out, n_in = sizes[l], sizes[l - 1]
        W.append(theta[k:k + n_out * n_in].reshape(n_out, n_in))
        k += n_out * n_in
        b.append(theta[k:k + n_out].reshape(n_out, 1))
        k += n_out
    return W, b


def _close(got: Array, expected: Array, rtol: float = RTOL) -> bool:
    got, expected = np.asarray(got, np.float64), np.asarray(expected, np.float64)
    if got.shape != expected.shape:
        return False
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    return bool(np.all(np.abs(got - expected) <= rtol * scale))


class Replay:
    """The grader's own SGD on given minibatches, from its own initial weights (trusted side)."""

    def __init__(self, case: Case, batches: list[Array]):
        sizes, X, Y = case.meta["sizes"], case.arrays["X"], case.arrays["Y"]
        lr, E = float(case.meta["learning_rate"]), int(case.meta["epochs"])
        W, b = init_weights(sizes, "xavier", int(case.meta["train_seed"]))
        self.start = _theta(W, b)
        self.before_last, self.batch_losses, self.losses, self.after_last = [], [], [], []
        self.lagging: list[float] = []      # the loss after each epoch without its last update
        self.last_start = self.start        # the weights before the very last update
        per_epoch = len(batches) // E if E else 0
        for e in range(E):
            epoch = batches[e * per_epoch:(e + 1) * per_epoch]
            losses = []
            for k, idx in enumerate(epoch):
                Xb, Yb = X[:, idx], Y[:, idx]
                losses.append(mean_loss(W, b, Xb, Yb))
                dW, db = backward_batch(W, b, Xb, Yb)
                if k == len(epoch) - 1:
                    self.before_last.append(losses[-1])
                    self.lagging.append(mean_loss(W, b, X, Y))
                    self.last_start = _theta(W, b)
                W, b = update_parameters(W, b, dW, db, lr)
                if k == len(epoch) - 1:
                    self.after_last.append(mean_loss(W, b, Xb, Yb))
            self.batch_losses.append((losses, [len(i) for i in epoch]))
            self.losses.append(mean_loss(W, b, X, Y))
        self.W, self.b = W, b
        self.end = _theta(W, b)


# --------------------------------------------------------------------------- the exercise

#: The mistakes the judge names, in the order it looks for them (id -> title, explanation).
MISTAKES: dict[str, tuple[str, str]] = {
    "no-backward": ("backward_batch never called", "The check follows your loop through the parts it "
                    "gives you: take every gradient with parts.backward_batch(W, b, X_batch, Y_batch)."),
    "update-before-gradient": ("the update before the gradient", "Your loop calls update_parameters "
                               "before backward_batch, so each step applies the gradient of the previous "
                               "minibatch. In each minibatch: first dW, db = backward_batch(...), then "
                               "W, b = update_parameters(W, b, dW, db, learning_rate)."),
    "not-columns": ("batch not taken from X", "backward_batch got columns that are not columns of X: "
                    "take a minibatch as X[:, idx], unchanged."),
    "x-without-y": ("shuffled X without Y", "The minibatches of X are shuffled but those of Y are not: "
                    "index both with the same columns, X[:, idx] and Y[:, idx]."),
    "pairing": ("X and Y columns do not match", "A minibatch's Y columns are not the targets of its X "
                "columns: index both with the same columns, X[:, idx] and Y[:, idx]."),
    "batch-size": ("minibatches of the wrong size", "Every minibatch has batch_size columns except the "
                   "last of an epoch, which holds what is left: for start in range(0, m, batch_size): "
                   "idx = order[start:start + batch_size]."),
    "dropped-last": ("last partial batch dropped", "m is not a multiple of batch_size, and the last, smaller "
                     "minibatch of each epoch was left out: range(0, m, batch_size) includes it."),
    "duplicated": ("overlapping minibatches", "Within an epoch some column was used twice (and another "
                   "not at all): consecutive minibatches are order[start:start + batch_size], no overlap."),
    "epochs": ("wrong number of epochs", "The loop ran another number of epochs than it was given: "
               "for epoch in range(epochs)."),
    "batch-count": ("wrong number of minibatches", "Each epoch has ceil(m / batch_size) minibatches, one "
                    "backward_batch and one update each."),
    "no-shuffle": ("no shuffling", "The minibatches take the columns in their stored order every epoch: "
                   "shuffle first, order = rng.permutation(m), with rng = np.random.default_rng(seed)."),
    "same-shuffle": ("the same shuffle every epoch", "Two epochs used the same order of the columns. Make "
                     "the generator once, before the epochs (rng = np.random.default_rng(seed)), and draw a "
                     "new order = rng.permutation(m) at the start of each epoch."),
    "no-init": ("init_weights not used", "Start from W, b = parts.init_weights(sizes, \"xavier\", seed)."),
    "init-method": ("He instead of Xavier", "This network has sigmoid layers: initialise with "
                    "parts.init_weights(sizes, \"xavier\", seed)."),
    "init-seed": ("init_weights given another seed", "Pass train's own seed: parts.init_weights(sizes, "
                  "\"xavier\", seed)."),
    "not-from-init": ("not started at the initial weights", "The first gradient was not taken at the weights "
                      "parts.init_weights(sizes, \"xavier\", seed) returned."),
    "learning-rate": ("wrong learning rate", "Pass train's own learning_rate to update_parameters."),
    "gradient-averaged": ("gradient divided again", "backward_batch already returns the gradient of the "
                          "mean loss; dividing it by the batch size again makes the steps too small. "
                          "Pass dW, db to update_parameters unchanged."),
    "gradient-changed": ("not the gradient just computed", "update_parameters must get the dW, db that "
                         "backward_batch returned for this minibatch, unchanged."),
    "update-discarded": ("update result not kept", "update_parameters returns new lists and leaves its "
                         "inputs alone: keep them, W, b = parts.update_parameters(W, b, dW, db, "
                         "learning_rate)."),
    "update-other-weights": ("update of other weights", "Each update must start from the weights the "
                             "gradient was just taken at."),
    "returned-initial": ("returned the initial weights", "Return the weights after the last update."),
    "returned-before-last": ("returned the weights before the last update", "Return the weights after the "
                             "last update."),
    "weights": ("wrong final weights", "The weights returned are not what SGD on your minibatches gives."),
    "loss-last-batch": ("the loss of the last batch only", "losses[e] must be the mean loss on all of X "
                        "after epoch e, not the loss of the epoch's last minibatch."),
    "loss-running": ("the mean of the minibatch losses", "losses[e] is the mean loss on all of X after "
                     "epoch e, as the exercise asks (Network.train(evaluate_every=1) records that), not the "
                     "average of the losses of the epoch's minibatches, which were taken at older weights."),
    "loss-sum": ("loss summed, not averaged", "losses[e] is the MEAN loss over the m columns: divide the "
                 "sum by m."),
    "loss-sum-batches": ("minibatch losses summed", "losses[e] is the mean loss on all of X after the "
                         "epoch, not a sum over the minibatches."),
    "loss-half": ("the ½ of the MSE", "The loss is (1/2m) Σ ||a[L] - y||², with the ½."),
    "loss-before-epoch": ("loss recorded before the epoch", "Record the loss after each epoch's updates, "
                          "not before them."),
    "loss-per-batch": ("one loss per minibatch", "Record one loss per epoch, after its last update."),
    "losses": ("wrong losses", "losses[e] must be the mean loss (1/2m) Σ ||a[L] - y||² on all of X after "
               "epoch e."),
    "not-seeded": ("not reproducible", "Two runs with the same seed gave different results: shuffle with "
                   "rng = np.random.default_rng(seed), not np.random.permutation."),
}

_HINTS = (
    "Follow the pseudo-code of section 2: initialise once; then for each epoch shuffle, cut the "
    "shuffled columns into minibatches, and for each minibatch take a gradient and an update; after "
    "the epoch, the loss on all of X.",
    "Make one seeded generator (np.random.default_rng) before the epochs, and at the start of each "
    "epoch draw a fresh permutation of the m column indices from it. Cut that permutation into "
    "consecutive slices of batch_size (the last may be shorter), and index X and Y with the same slice.",
    "In each minibatch, first the gradient at the current weights, then the update, and keep what "
    "update_parameters returns (W, b = ...). After the epoch's last update, send all of X through the "
    "layers with parts.forward_step and parts.sigmoid, and append the mean over the m columns of "
    "½ ||a[L] - y||².",
)


class _AnswersOnly:
    """The exercise seen through the learner's own answers (W, b, losses) only, for the shared
    first diagnoses (not attempted, raised, not an array, NaN, shape, inputs changed)."""

    def __init__(self, exercise: TrainExercise):
        self._ex = exercise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ex, name)

    def outputs(self, case: Case) -> list[OutputSpec]:
        return self._ex.answers(case)


class TrainExercise(Exercise):
    """Lesson 13: the training loop, made of the parts of lessons 00-10."""

    id, lesson, function = "train", 13, "train"
    signature = "train(X, Y, sizes, epochs, batch_size, learning_rate, seed, parts)"
    title = "minibatch SGD: shuffle, minibatches, epochs, one update per minibatch; the loss after each epoch"
    batch = True
    float32_ok = False
    hints = _HINTS
    #: Which hint (1-based) fits a failing verdict: mistake id or shape cause -> hint number.
    hint_for = {**{k: 1 for k in ("no-backward", "epochs", "batch-count", "no-init", "init-method",
                                  "init-seed", "not-from-init", "returned-initial", "returned-before-last",
                                  "weights", "not-an-array")},
                **{k: 2 for k in ("no-shuffle", "same-shuffle", "x-without-y", "pairing", "batch-size",
                                  "dropped-last", "duplicated", "not-columns", "not-seeded", "mutated")},
                **{k: 3 for k in ("update-before-gradient", "learning-rate", "gradient-averaged",
                                  "gradient-changed", "update-discarded", "update-other-weights",
                                  "loss-last-batch", "loss-running", "loss-sum", "loss-sum-batches",
                                  "loss-half", "loss-before-epoch", "loss-per-batch", "losses")}}
    #: The stub says X is (n_0, m): every case is a batch (the new grader's name for it).
    promises_batch = True

    # ------------------------------------------------------------------ cases
    def build(self, rng, index, seed):
        n_L = (1, 3, 2)[(index + seed) % 3]
        n_0 = int(rng.choice([n for n in (2, 3, 4) if n != n_L]))
        n_1 = int(rng.choice([n for n in range(4, 8) if n != n_0]))
        sizes = [n_0, n_1, n_L]
        B = int(rng.choice(BATCH_SIZES))
        k = int(rng.integers(3, 6))                  # minibatches per epoch: few, so the check stays fast
        m = B * k if index % 3 == 1 else B * k + int(rng.integers(1, B))   # case 2: m a multiple of B
        classes = max(2, n_L)
        centres = rng.standard_normal((classes, n_0))
        centres *= 2.5 / np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-9)

        def draw(count: int) -> tuple[Array, Array]:
            lab = np.arange(count) % classes
            rng.shuffle(lab)
            X = centres[lab].T + rng.standard_normal((n_0, count))
            Y = lab[None, :].astype(float) if n_L == 1 else np.eye(classes)[:, lab]
            return X, Y

        X, Y = draw(m)
        X_test, Y_test = draw(N_TEST)
        E, lr = int(rng.choice(EPOCHS)), float(rng.choice(LEARNING_RATES))
        student_seed = int(rng.integers(0, 2**31 - 1))
        rest = m % B
        split = f"{m // B} of {B}" + (f" and one of {rest}" if rest else "")
        return self._case(index, seed, {"X": X, "Y": Y, "X_test": X_test, "Y_test": Y_test},
                          f"sizes {'-'.join(map(str, sizes))}, X {shape_text(X)}, {E} epochs of minibatches "
                          f"({split}), learning_rate {lr:g}, seed {student_seed}",
                          sizes=sizes, L=2, epochs=E, batch_size=B, learning_rate=lr, train_seed=student_seed)

    # ------------------------------------------------------------------ calling (untrusted side)
    def arguments(self, case):
        X, Y = case.array("X"), case.array("Y")
        meta = case.meta
        return ((X, Y, list(meta["sizes"]), int(meta["epochs"]), int(meta["batch_size"]),
                 float(meta["learning_rate"]), int(meta["train_seed"])), {"X": X, "Y": Y})

    def answers(self, case: Case) -> list[OutputSpec]:
        """The learner's own answers: the final W[l], b[l] and one loss per epoch."""
        sizes = case.meta["sizes"]
        specs = []
        for l in range(1, len(sizes)):
            specs.append(OutputSpec(f"W[{l}]", (sizes[l], sizes[l - 1]), f"unit {{}} of layer {l}",
                                    "input {}" if l == 1 else f"unit {{}} of layer {l - 1}"))
            specs.append(OutputSpec(f"b[{l}]", (sizes[l], 1), f"unit {{}} of layer {l}", ""))
        specs.append(OutputSpec("losses", (int(case.meta["epochs"]),), "epoch {}"))
        return specs

    def outputs(self, case):
        """Every array ``call`` sends for a correct run (their sizes bound what bpkit grade reads back)."""
        sizes, E = case.meta["sizes"], int(case.meta["epochs"])
        n, cols = expected_batches(case), E * case.arrays["X"].shape[1]
        P = sum(sizes[l] * (sizes[l - 1] + 1) for l in range(1, len(sizes)))
        answers = self.answers(case)
        again = [OutputSpec("again:" + s.name, s.shape) for s in answers]
        log = [OutputSpec("log:calls", (2 * n + 1,)), OutputSpec("log:sizes", (n,)),
               OutputSpec("log:X", (sizes[0], cols)), OutputSpec("log:Y", (sizes[-1], cols)),
               OutputSpec("log:theta", (n, P)), OutputSpec("log:up_theta", (n, P)),
               OutputSpec("log:up_grad", (n, P)), OutputSpec("log:up_lr", (n,)),
               OutputSpec("log:init", (1, 2))]
        return answers + again + log

    def unpack(self, value, case):
        L = len(case.meta["sizes"]) - 1
        if not isinstance(value, (tuple, list)) or len(value) != 3:
            raise BadReturn(f"train returned {_what(value)}; it must return the triple (W, b, losses).")
        out: dict[str, Any] = {}
        for name, seq in zip(("W", "b"), value[:2], strict=True):
            if not isinstance(seq, (list, tuple)) or len(seq) != L + 1:
                raise BadReturn(f"train returned {_what(seq)} for {name}; it must be the list "
                                f"[None, {name}[1], ..., {name}[{L}]].")
            out.update({f"{name}[{l}]": seq[l] for l in range(1, L + 1)})
        losses = value[2]
        if isinstance(losses, (list, tuple)):
            try:
                converted = np.array(losses, dtype=np.float64)
            except (TypeError, ValueError):
                converted = None
            if converted is not None and converted.ndim == 1:
                losses = converted
        out["losses"] = losses
        return out

    def call(self, fn, case):
        """Run ``train`` twice with the grader's recording parts: the answers, the first run's log,
        and the second run's answers under ``again:``."""
        if not callable(fn):
            return not_a_function_outputs(fn)
        args, watched = self.arguments(case)
        rec = _Recorder(case)
        answers_only = _AnswersOnly(self)
        arrays, status = Exercise.call_once(answers_only, fn, case, args + (rec.parts,), watched)
        if status["kind"] != "ok" or status["types"]:
            return flat_outputs(arrays, status)
        arrays.update(rec.arrays())
        again_args, _ = self.arguments(case)
        again, st = Exercise.call_once(answers_only, fn, case, again_args + (_Recorder(case).parts,), {})
        if st["kind"] == "ok" and not st["types"]:
            arrays.update({"again:" + s.name: again[s.name] for s in self.answers(case) if s.name in again})
        else:
            status["notes"] = {"again": "the second run failed"}
        return flat_outputs(arrays, status)

    # ------------------------------------------------------------------ judging (trusted side)
    def compute_truth(self, case):
        return {}                                   # judged by replaying the logged minibatches

    def mistakes(self, case):
        return [Mistake(i, t, e) for i, (t, e) in MISTAKES.items()]

    def shape_cause(self, case, spec, got):
        if spec.name == "losses" and len(got) == 1:
            E, n = int(case.meta["epochs"]), expected_batches(case)
            if got[0] == n:
                return "loss-per-batch", "one loss per minibatch; train records one per epoch"
            if got[0] in (E - 1, E + 1):
                return "epochs", f"{got[0]} losses for {E} epochs: one per epoch, for epoch in range(epochs)"
        return shape_cause(spec, got)

    def judge(self, case: Case, outputs: dict[str, Array]) -> Verdict:
        early, answers = preliminary(_AnswersOnly(self), case, outputs)
        if early is not None and early.diagnosis == "shape" and early.cause in MISTAKES:
            early.title, early.mistakes = MISTAKES[early.cause][0], (early.cause,)
        if early is not None:
            return early
        log = _Log(case, outputs)
        if not log.ok:
            return self._verdict(case, False, "not-an-array", "unreadable answer",
                                 ["The record of the parts' calls could not be read back."])
        found = _diagnose(case, log, answers, outputs)
        if found is None:
            return self._verdict(case, True, "passed", "passed", _accuracy_lines(case, answers, None))
        key, lines = found
        title, explanation = MISTAKES[key]
        diagnosis = "mismatch" if key in ("weights", "losses") else "mistake"
        return self._verdict(case, False, diagnosis, title, [explanation] + lines, (key,))

    def _verdict(self, case, passed, diagnosis, title, lines, mistakes=()) -> Verdict:
        return Verdict(case.index, case.description, passed, diagnosis, title, list(lines), tuple(mistakes))


# --------------------------------------------------------------------------- the diagnoses

def _diagnose(case: Case, log: _Log, answers: dict[str, Array],
              outputs: dict[str, Array]) -> tuple[str, list[str]] | None:
    """The first mistake found, as ``(id, extra lines)``; ``None`` when the run is right."""
    calls = [int(c) for c in log.calls if int(c) in (CALL_BACKWARD, CALL_UPDATE)]
    if CALL_BACKWARD not in calls:
        return "no-backward", []
    if calls[0] == CALL_UPDATE:
        return "update-before-gradient", []
    found, batches = _check_batches(case, log)
    if found:
        return found
    replay = Replay(case, batches)
    got = np.concatenate([np.ravel(answers[s]) for s in _param_names(case)])
    if not _close(got, replay.end):                 # only now is the log read for what went wrong
        return _check_init(case, log) or _check_updates(case, log, batches) or \
            _weights_mistake(case, log, batches, replay, got, answers)
    found = _check_losses(case, answers["losses"], replay)
    if found:
        return found
    names = _param_names(case) + ["losses"]
    again = [outputs.get("again:" + n) for n in names]
    if any(not isinstance(a, np.ndarray) for a in again):
        return "not-seeded", ["The second run with the same seed did not return (W, b, losses)."]
    if not all(_close(a, answers[n], 0.0) for a, n in zip(again, names, strict=True)):
        return "not-seeded", []
    return None


def _param_names(case: Case) -> list[str]:
    L = len(case.meta["sizes"]) - 1
    return [f"{p}[{l}]" for l in range(1, L + 1) for p in ("W", "b")]


def _check_batches(case: Case, log: _Log) -> tuple[tuple[str, list[str]] | None, list[Array]]:
    """Column matching, X/Y pairing, sizes and counts, and the shuffle of each epoch."""
    X, Y = case.arrays["X"], case.arrays["Y"]
    m, B, E = X.shape[1], int(case.meta["batch_size"]), int(case.meta["epochs"])
    idx = [_columns(X, xb) for xb in log.batches_X]
    if any(np.any(i < 0) for i in idx):
        return ("not-columns", []), []
    if not all(np.array_equal(yb, Y[:, i]) for yb, i in zip(log.batches_Y, idx, strict=True)):
        ends = np.cumsum([0] + [len(i) for i in idx])
        in_order = [np.arange(a, b) % m for a, b in zip(ends[:-1], ends[1:], strict=True)]
        if all(np.array_equal(yb, Y[:, i]) for yb, i in zip(log.batches_Y, in_order, strict=True)):
            return ("x-without-y", []), []
        return ("pairing", []), []
    per = -(-m // B)
    sizes = [len(i) for i in idx]
    rest = m % B
    if any(s > B or (s < B and s != rest) for s in sizes):
        bad = next(s for s in sizes if s > B or (s < B and s != rest))
        return ("batch-size", [f"One minibatch has {bad} columns; batch_size is {B} and m is {m}."]), []
    if len(idx) != E * per:
        if rest and len(idx) == E * (m // B) and all(s == B for s in sizes):
            return ("dropped-last", []), []
        if len(idx) % per == 0 and len(idx) // per != E:
            return ("epochs", [f"It ran {len(idx) // per} epochs; train was given epochs={E}."]), []
        return ("batch-count", [f"backward_batch was called {len(idx)} times; {E} epochs of {per} "
                                f"minibatches are {E * per}."]), []
    orders = [np.concatenate(idx[e * per:(e + 1) * per]) for e in range(E)]
    for e, order in enumerate(orders):
        repeated = len(order) - len(np.unique(order))
        if repeated:
            were = "columns were" if repeated > 1 else "column was"
            return ("duplicated", [f"In epoch {e + 1}, {repeated} {were} used more than once."]), []
        if sizes[e * per:(e + 1) * per] != [B] * (per - 1) + [rest or B] or len(order) != m:
            return ("batch-size", [f"Epoch {e + 1}'s minibatches have sizes "
                                   f"{sizes[e * per:(e + 1) * per]}."]), []
    if all(np.array_equal(o, np.arange(m)) for o in orders):
        return ("no-shuffle", []), []
    for e in range(1, E):
        for f in range(e):
            if np.array_equal(orders[e], orders[f]):
                same = f"Epochs {f + 1} and {e + 1} took the columns in the same order."
                return ("same-shuffle", [same]), []
    return None, idx


def _check_init(case: Case, log: _Log) -> tuple[str, list[str]] | None:
    sizes, seed = case.meta["sizes"], int(case.meta["train_seed"])
    start = _theta(*init_weights(sizes, "xavier", seed))
    if _close(log.theta[0], start, 0.0):
        return None
    if len(log.init) == 0:
        return "no-init", []
    method, given = int(log.init[0][0]), int(log.init[0][1])
    if method != 0:
        return "init-method", []
    if given != seed:
        return "init-seed", [f"It was given seed {given}; train was given seed {seed}."]
    return "not-from-init", []


def _check_updates(case: Case, log: _Log, batches: list[Array]) -> tuple[str, list[str]] | None:
    """Each update: the learning rate, the gradient just computed, the weights it starts from, kept."""
    if len(log.up_lr) == 0:
        return None                                 # the learner wrote its own update: the replay judges
    lr, sizes = float(case.meta["learning_rate"]), case.meta["sizes"]
    X, Y = case.arrays["X"], case.arrays["Y"]
    for rate in log.up_lr:
        if not math.isclose(float(rate), lr, rel_tol=1e-12):
            return "learning-rate", [f"update_parameters was given learning_rate {float(rate):.6g}; train "
                                     f"was given {lr:g}."]
    for k in range(min(len(log.up_lr), len(batches))):
        W, b = _unflat(log.theta[k], sizes)
        grad = _theta(*backward_batch(W, b, X[:, batches[k]], Y[:, batches[k]]))
        if not _close(log.up_grad[k], grad):
            if _close(log.up_grad[k], grad / len(batches[k])):
                return "gradient-averaged", []
            return "gradient-changed", [f"Minibatch {k + 1}."]
        if not _close(log.up_theta[k], log.theta[k], 0.0):
            return "update-other-weights", [f"Minibatch {k + 1}."]
        if k + 1 < len(batches) and not _close(log.theta[k + 1], log.theta[k] - lr * log.up_grad[k]):
            if _close(log.theta[k + 1], log.theta[k], 0.0):
                return "update-discarded", []
            return "update-other-weights", [f"Between minibatches {k + 1} and {k + 2}."]
    return None


def _weights_mistake(case, log, batches, replay, got, answers) -> tuple[str, list[str]]:
    if _close(got, replay.start):
        return "returned-initial", []
    if batches and _close(got, replay.last_start):
        # each update a step behind (the update before the gradient) leaves out the last step only,
        # but then every epoch's loss lags behind too
        if _close(answers["losses"], np.array(replay.lagging), 1e-6):
            return "update-before-gradient", []
        return "returned-before-last", []
    return "weights", _accuracy_lines(case, answers, replay)


def _check_losses(case: Case, losses: Array, replay: Replay) -> tuple[str, list[str]] | None:
    expected = np.array(replay.losses)
    if _close(losses, expected):
        return None
    m = case.arrays["X"].shape[1]
    running = [float(np.dot(ls, n) / m) for ls, n in replay.batch_losses]
    plain = [float(np.mean(ls)) for ls, _ in replay.batch_losses]
    summed = [float(np.sum(ls)) for ls, _ in replay.batch_losses]
    start = mean_loss(*init_weights(case.meta["sizes"], "xavier", int(case.meta["train_seed"])),
                      case.arrays["X"], case.arrays["Y"])
    candidates = (
        ("loss-last-batch", replay.before_last), ("loss-last-batch", replay.after_last),
        ("loss-running", running), ("loss-running", plain), ("loss-sum", m * expected),
        ("loss-sum-batches", summed), ("loss-half", 2 * expected),
        ("loss-before-epoch", [start] + list(expected[:-1])),
    )
    for key, values in candidates:
        if _close(losses, np.array(values), 1e-6):
            return key, []
    e = int(np.argmax(np.abs(losses - expected)))
    return "losses", [f"Epoch {e + 1}: expected {expected[e]:.6g}, got {float(losses[e]):.6g}."]


def _accuracy_lines(case: Case, answers: dict[str, Array], replay: Replay | None) -> list[str]:
    """Held-out accuracy of the returned weights (and of the grader's replay), computed here."""
    sizes = case.meta["sizes"]
    W = [None] + [np.asarray(answers[f"W[{l}]"], np.float64) for l in range(1, len(sizes))]
    b = [None] + [np.asarray(answers[f"b[{l}]"], np.float64) for l in range(1, len(sizes))]
    X_test, y = case.arrays["X_test"], labels(case.arrays["Y_test"])
    with np.errstate(all="ignore"):
        right = int(np.sum(predict(W, b, X_test) == y))
    text = f"Held-out accuracy of the weights returned: {right} of {len(y)} points the loop never saw"
    if replay is None:
        return [text + "."]
    theirs = int(np.sum(predict(replay.W, replay.b, X_test) == y))
    return [text + f"; the grader's own SGD on your minibatches: {theirs} of {len(y)}."]


EXERCISE = TrainExercise()
