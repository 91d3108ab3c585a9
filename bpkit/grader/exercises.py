r"""The exercise registry: cases, calling the student's function, and judging.

Every exercise of the lessons is an :class:`Exercise` in :data:`EXERCISES`,
keyed by its id (the notebook cell tag ``exercise:<id>``). Each one has
three parts, kept apart so that the instructor grader can run the middle
one in an untrusted worker process:

``make_cases(seed, n)``
    ``n`` seeded :class:`~bpkit.grader.cases.Case` objects (trusted side).
``call(fn, case)``
    runs the student's ``fn`` on fresh copies of the case's inputs and
    returns a flat ``dict`` of ``name -> numpy.ndarray``: the answer arrays
    (``"delta"``, ``"dW[2]"``, ...) and a status record
    (:mod:`bpkit.grader.calling`). This is the only part that executes
    student code, and it returns nothing but arrays.
``judge(case, outputs)``
    the :class:`~bpkit.grader.result.Verdict`, computed from the case and
    those arrays with grader-owned code only (:mod:`bpkit.grader.diagnosis`).

The truth of a gradient exercise is a central difference of a grader-owned
scalar function (:mod:`bpkit.grader.reference`, :mod:`bpkit.grader.gradcheck`);
the truth of a value exercise (``sigmoid``, ``forward-step``, ``sgd-update``)
is the grader's own float64 computation, with a tolerance from float64
rounding. Either way it is computed lazily and kept on the case.

**Adding an exercise**: subclass
:class:`Exercise`, set ``id``, ``lesson``, ``function`` and ``signature``,
write ``build`` (one case from a generator), ``arguments``, ``outputs`` and
``compute_truth``, optionally ``unpack`` and ``mistakes``, then
``register(MyExercise())`` and add a ``check_...`` function to
:mod:`bpkit.grader.checks`. Lessons 10-12 show the other hooks: an answer
without a single truth is judged by its own ``judge`` (``init-weights``,
by statistics, with ``call`` running the student's function several times);
an exercise made of several functions takes a dict of them, names the one a
case calls with ``case_function`` and builds that dict from a notebook's
namespace with ``student_object`` (``op-backward``, whose cases are
``independent_cases``).

>>> sorted(EXERCISES)[:3]
['backprop-error', 'backward', 'backward-batch']
>>> case = EXERCISES["backprop-error"].make_cases(seed=0, n=1)[0]
>>> sorted(case.arrays)
['W_next', 'delta_next', 'z']
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from . import initstats
from . import mistakes as mk
from . import reference as ref
from .calling import INPUT_PREFIX, changes, flat_outputs, input_arrays, run, snapshot, to_array
from .cases import (
    Case,
    away_from_kink,
    batch_size,
    case_rng,
    distinct_sizes,
    shape_text,
)
from .diagnosis import (
    DISTINCT_RTOL,
    MATCH_RTOL,
    Hint,
    OutputSpec,
    judge,
    not_a_function_outputs,
    shape_cause,
)
from .gradcheck import Truth, central_difference
from .result import Verdict

Array = np.ndarray
EPS = ref.EPS
ACTIVATION_CYCLE = ("tanh", "relu", "sigmoid")


class BadReturn(Exception):
    """The student returned the wrong kind of container (e.g. one array instead of a pair)."""


class Exercise:
    """One exercise: its cases, how to call the student's function, and how to judge the answer.

    Subclasses set the class attributes and implement :meth:`build`,
    :meth:`arguments`, :meth:`outputs` and :meth:`compute_truth`.
    """

    id: str = ""
    lesson: int = 0
    function: str = ""          # the student's function name
    signature: str = ""         # e.g. "backprop_error(W_next, delta_next, z, sigma_prime)"
    title: str = ""             # what it computes, one line
    n_cases: int = 3            # default number of cases of a check
    batch: bool = False         # True: cases are batches of m > 1 columns
    #: A known mistake matches when within the noise tolerance plus ``match_rtol`` of its largest entry,
    match_rtol: float = MATCH_RTOL
    #: ... and is only considered if it differs from the truth by ``distinct_rtol`` of the largest entry.
    distinct_rtol: float = DISTINCT_RTOL
    #: A float32 answer within float32 rounding passes with a note.
    float32_ok: bool = True
    #: Inputs that move by less than this (relative) count as unchanged.
    restore_rtol: float = 0.0
    #: True when each case calls a different student function (lesson 12's ops):
    #: then a case that is not attempted does not stop the others.
    independent_cases: bool = False

    @property
    def check_name(self) -> str:
        return f"check_{self.function}"

    @property
    def display_name(self) -> str:
        """What the student wrote, for a report's headline (``"sigmoid"``)."""
        return self.function

    @property
    def needs(self) -> str:
        """What the check must be given, e.g. ``"a function: check_sigmoid(sigmoid)"``."""
        return f"a function: {self.check_name}({self.function})"

    def case_function(self, case: Case) -> str:
        """The name of the student function a case calls (one per exercise, except lesson 12)."""
        return self.function

    def student_object(self, namespace: dict[str, Any]) -> Any:
        """What a check is given, taken from the namespace of a student's notebook.

        The student's function itself for every exercise but lesson 12's, whose
        check takes a dict of several functions. (For the instructor grader.)
        """
        return namespace.get(self.function)

    # ------------------------------------------------------------------ cases
    def make_cases(self, seed: int = 0, n: int | None = None) -> list[Case]:
        """``n`` cases drawn from ``seed`` (case ``i`` depends only on the id, the seed and ``i``)."""
        n = self.n_cases if n is None else int(n)
        return [self.build(case_rng(self.id, seed, i), i, seed) for i in range(n)]

    def build(self, rng: np.random.Generator, index: int, seed: int) -> Case:
        raise NotImplementedError

    def _case(self, index: int, seed: int, arrays: dict[str, Array], description: str, **meta) -> Case:
        return Case(self.id, index, seed, {k: np.asarray(v, np.float64) for k, v in arrays.items()},
                    meta, description)

    def m(self, rng: np.random.Generator, exclude: tuple[int, ...]) -> int:
        return batch_size(rng, exclude) if self.batch else 1

    # ------------------------------------------------------------------ calling (untrusted side)
    def arguments(self, case: Case) -> tuple[tuple, dict[str, Any]]:
        """``(args, watched)``: fresh arguments for the student, and those to check for changes."""
        raise NotImplementedError

    def outputs(self, case: Case) -> list[OutputSpec]:
        raise NotImplementedError

    def unpack(self, value: Any, case: Case) -> dict[str, Any]:
        """Name the parts of what the student returned (default: one answer array)."""
        return {self.outputs(case)[0].name: value}

    def call(self, fn: Callable, case: Case) -> dict[str, Array]:
        """Run ``fn`` on the case; return only arrays (answers and the status record)."""
        if not callable(fn):
            return not_a_function_outputs(fn)
        args, watched = self.arguments(case)
        arrays, status = self.call_once(fn, case, args, watched)
        return flat_outputs(arrays, status)

    def call_once(self, fn: Callable, case: Case, args: tuple,
                  watched: dict[str, Any]) -> tuple[dict[str, Array], dict[str, Any]]:
        """One call of ``fn(*args)``: ``(answer arrays, status record)``."""
        before = {k: snapshot(v) for k, v in watched.items()}
        value, status = run(fn, args)
        if status["kind"] != "ok":
            name = getattr(fn, "__name__", "")
            if isinstance(name, str) and name.isidentifier() and name != self.case_function(case):
                status["called"] = name                  # e.g. lesson 11's backward_buggy
            return {}, status
        specs = self.outputs(case)
        try:
            values = {s.name: None for s in specs} if value is None else self.unpack(value, case)
        except BadReturn as exc:
            return {}, {"kind": "bad-return", "message": str(exc)}
        except Exception:  # noqa: BLE001 -- a strange object from the student
            return {}, {"kind": "bad-return", "message": f"{self.case_function(case)} returned something "
                        "that could not be read as the answer."}
        arrays, types = {}, {}
        for s in specs:
            arr, what = to_array(values.get(s.name), int(np.prod(s.shape)))
            if arr is None:
                types[s.name] = what
            else:
                arrays[s.name] = arr
        for k, v in watched.items():                     # judged by input_changes, on the trusted side
            arrays.update((INPUT_PREFIX + n, np.array(a, copy=True)) for n, a in input_arrays(k, v))
        replaced = [c for k, v in watched.items() for c in changes(k, before[k], v) if c["kind"] == "list"]
        return arrays, {"kind": "ok", "types": types, "mutated": replaced[:5]}

    def input_changes(self, case: Case, outputs: dict[str, Array]) -> list[dict[str, str]]:
        """How the arrays sent back under :data:`INPUT_PREFIX` differ from the case's inputs.

        Trusted side: an input the worker did not send back counts as changed.
        """
        found = []
        for k, v in self.arguments(case)[1].items():
            for n, before in input_arrays(k, v):
                after = outputs.get(INPUT_PREFIX + n)
                if after is None:
                    found.append({"name": n, "kind": "array", "detail": f"{n} was not sent back"})
                else:
                    found += changes(n, before, after, self.restore_rtol)
        return found

    # ------------------------------------------------------------------ judging (trusted side)
    def truth(self, case: Case) -> dict[str, Truth]:
        """The truth of every answer array (computed once per case)."""
        if "truth" not in case._memo:
            case._memo["truth"] = self.compute_truth(case)
        return case._memo["truth"]

    def compute_truth(self, case: Case) -> dict[str, Truth]:
        raise NotImplementedError

    def mistakes(self, case: Case) -> list[mk.Mistake]:
        return []

    def judge(self, case: Case, outputs: dict[str, Array]) -> Verdict:
        return judge(self, case, outputs)

    # ------------------------------------------------------------------ message hooks
    def shape_cause(self, case: Case, spec: OutputSpec, got: tuple[int, ...]) -> tuple[str, str]:
        return shape_cause(spec, got)

    def exception_hint(self, case: Case, status: dict[str, Any]) -> Hint | None:
        return None

    def not_a_function_lines(self, case: Case, status: dict[str, Any]) -> list[str]:
        return [f"The check needs the function itself, {self.check_name}({self.function}), "
                f"not the result of calling it ({self.check_name}({self.function}(...))).",
                f"It got {status.get('got', 'something else')}."]

    def mutation_lines(self, case: Case, mutated: list[dict[str, str]]) -> list[str]:
        return [f"{self.case_function(case)} changed its input {mutated[0].get('name')} in place: "
                f"{mutated[0].get('detail')}.",
                "The caller's arrays must stay as they were: compute new arrays "
                "(x = x + 1, not x += 1, which writes into the caller's array)."]

    def where_hint(self, case: Case, wrong: list[str], right: list[str]) -> str:
        return ""

    def __repr__(self) -> str:
        return f"Exercise({self.id!r}, lesson {self.lesson:02d}: {self.signature})"


EXERCISES: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    """Add an exercise to :data:`EXERCISES` (keyed by its id) and return it."""
    EXERCISES[exercise.id] = exercise
    return exercise


# --------------------------------------------------------------------------- helpers

_MISMATCH = re.compile(r"the left factor has (\d+) columns, the right factor (\d+) rows")


def _mismatch(status: dict[str, Any]) -> tuple[int, int] | None:
    """``(columns of the left factor, rows of the right factor)`` of a failed ``@`` / ``np.dot``."""
    if status.get("type") != "ValueError":
        return None
    m = _MISMATCH.search(str(status.get("message", "")))
    return (int(m.group(1)), int(m.group(2))) if m else None


def _matmul_error(status: dict[str, Any]) -> bool:
    return _mismatch(status) is not None


def _code(status: dict[str, Any]) -> str:
    return str((status.get("frame") or {}).get("code", ""))


def _transposes(code: str) -> bool:
    return ".T" in code or "transpose" in code


def _elementwise_truth(z: Array, terms: Callable[[Array], tuple]) -> Truth:
    return central_difference(terms, z, elementwise=True)


def _shape_2d(rng: np.random.Generator, m: int | None = None) -> tuple[int, int]:
    r, c = distinct_sizes(rng, 2)
    return (r, c) if m is None else (r, m)


# --------------------------------------------------------------------------- lesson 00

class SigmoidExercise(Exercise):
    id, lesson, function = "sigmoid", 0, "sigmoid"
    signature = "sigmoid(z)"
    title = "the logistic sigmoid, entry by entry"

    def build(self, rng, index, seed):
        shape = _shape_2d(rng)
        spread = 30.0 if index % 3 == 2 else 6.0
        z = rng.uniform(-spread, spread, shape)
        return self._case(index, seed, {"z": z}, f"z {shape_text(z)}, entries in [-{spread:g}, {spread:g}]")

    def arguments(self, case):
        z = case.array("z")
        return (z,), {"z": z}

    def outputs(self, case):
        return [OutputSpec("sigmoid(z)", case.arrays["z"].shape)]

    def compute_truth(self, case):
        s = ref.sigmoid(case.arrays["z"])
        return {"sigmoid(z)": Truth.exact(s, EPS * (np.abs(s) + 0.5))}

    def mistakes(self, case):
        return mk.sigmoid(case)


# --------------------------------------------------------------------------- lesson 01

class ForwardStepExercise(Exercise):
    id, lesson, function = "forward-step", 1, "forward_step"
    signature = "forward_step(W, a_prev, b, sigma)"
    title = "one layer of the forward pass: z = W a_prev + b, a = sigma(z)"

    def build(self, rng, index, seed):
        n_l, n_prev = distinct_sizes(rng, 2)
        m = self.m(rng, (n_l, n_prev))
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
            raise BadReturn(f"forward_step returned {_describe(value)}; it must return the pair (z, a).")
        return {"z": value[0], "a": value[1]}

    def compute_truth(self, case):
        W, a_prev, b = case.arrays["W"], case.arrays["a_prev"], case.arrays["b"]
        act = ref.ACTIVATIONS[case.meta["activation"]]
        z = W @ a_prev + b
        zn = EPS * (W.shape[1] + 1) * (np.abs(W) @ np.abs(a_prev) + np.abs(b))
        a = act.f(z)
        return {"z": Truth.exact(z, zn), "a": Truth.exact(a, zn + 2 * EPS * np.abs(a))}

    def mistakes(self, case):
        return mk.forward_step(case)

    def exception_hint(self, case, status):
        if _matmul_error(status):
            return Hint("matmul-order", "matrix product does not fit",
                        "W is (n_l, n_{l-1}) and a_prev is (n_{l-1}, m): z = W @ a_prev + b, "
                        "with W on the left and neither transposed.")
        return None


# --------------------------------------------------------------------------- lesson 02

NUMGRAD_FUNCTIONS = ("cubic", "logsumexp", "sin-square")
NUMGRAD_STEPS = (1e-5, 1e-3, 1e-2)


def numgrad_function(case: Case) -> Callable[[Array], float]:
    """The case's test function ``f(x) -> float`` (grader-owned; a fresh closure every call)."""
    c = np.array(case.arrays["c"])
    d = np.array(case.arrays["d"])
    kind = case.meta["function"]

    def f(x):
        x = np.asarray(x, dtype=np.float64)
        if kind == "cubic":
            return float(np.sum(c * x**3) + np.sum(d * x))
        if kind == "logsumexp":
            u = c * x
            top = np.max(u)
            return float(top + np.log(np.sum(np.exp(u - top))))
        return float(np.sum(np.sin(c * x)) + 0.5 * np.sum(d * x) ** 2)

    return f


_NUMGRAD_TEXT = {
    "cubic": "f(x) = sum(c x^3 + d x)",
    "logsumexp": "f(x) = log sum exp(c x)",
    "sin-square": "f(x) = sum sin(c x) + (sum d x)^2 / 2",
}


class NumericalGradientExercise(Exercise):
    id, lesson, function = "numerical-gradient", 2, "numerical_gradient"
    signature = "numerical_gradient(f, x, h=1e-5)"
    title = "the central-difference gradient of a scalar function"
    # Its mistakes (a forward difference, the wrong h) differ from the truth by ~1e-5 relative:
    # match them on the rounding noise alone.
    match_rtol, distinct_rtol, float32_ok = 0.0, 0.0, False
    # x[i] += h ... x[i] -= h may put x[i] back one rounding away: that counts as restored.
    restore_rtol = 64 * EPS

    def build(self, rng, index, seed):
        r, c_ = distinct_sizes(rng, 2, high=4)
        kind = NUMGRAD_FUNCTIONS[(index + seed) % 3]
        h = NUMGRAD_STEPS[(index + seed) % 3]
        x = rng.uniform(0.1, 0.9, (r, c_)) * rng.choice([-1.0, 1.0], (r, c_))
        c = rng.uniform(1.0, 2.5, (r, c_)) * rng.choice([-1.0, 1.0], (r, c_))
        d = rng.standard_normal((r, c_))
        return self._case(index, seed, {"x": x, "c": c, "d": d},
                          f"{_NUMGRAD_TEXT[kind]}, x {shape_text(x)}, h = {h:g}", function=kind, h=h)

    def arguments(self, case):
        x = case.array("x")
        return (numgrad_function(case), x, float(case.meta["h"])), {"x": x}

    def outputs(self, case):
        return [OutputSpec("grad", case.arrays["x"].shape)]

    def compute_truth(self, case):
        f = numgrad_function(case)
        x = case.array("x")
        h = float(case.meta["h"])
        grad = np.zeros(x.shape)
        noise = np.zeros(x.shape)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + h
            fp = f(x)
            x[i] = old - h
            fm = f(x)
            x[i] = old
            grad[i] = (fp - fm) / (2 * h)
            noise[i] = 4 * EPS * (abs(fp) + abs(fm)) / (2 * h) + 4 * EPS * (abs(old) + h) / h * abs(grad[i])
        return {"grad": Truth.exact(grad, noise)}

    def mistakes(self, case):
        return mk.numerical_gradient(case)

    def mutation_lines(self, case, mutated):
        first = mutated[0]
        return [f"x was not restored: {first.get('detail')}.",
                "numerical_gradient may move x[i] while it works, but must put every entry back "
                "(x[i] = old) before it returns -- or work on a copy of x."]


class _ActivationPrime(Exercise):
    lesson = 2
    act = "sigmoid"

    def build(self, rng, index, seed):
        shape = _shape_2d(rng)
        z = rng.uniform(-4.0, 4.0, shape)
        if ref.ACTIVATIONS[self.act].kinked:
            z = away_from_kink(z)
        return self._case(index, seed, {"z": z}, f"z {shape_text(z)}")

    def arguments(self, case):
        z = case.array("z")
        return (z,), {"z": z}

    def outputs(self, case):
        return [OutputSpec(f"{self.function}(z)", case.arrays["z"].shape)]

    def compute_truth(self, case):
        act = ref.ACTIVATIONS[self.act]
        return {f"{self.function}(z)": _elementwise_truth(
            case.arrays["z"], lambda z: ref.activation_terms(z, act))}


class SigmoidPrimeExercise(_ActivationPrime):
    id, function, act = "sigmoid-prime", "sigmoid_prime", "sigmoid"
    signature, title = "sigmoid_prime(z)", "the derivative of the sigmoid"

    def mistakes(self, case):
        return mk.sigmoid_prime(case)


class TanhPrimeExercise(_ActivationPrime):
    id, function, act = "tanh-prime", "tanh_prime", "tanh"
    signature, title = "tanh_prime(z)", "the derivative of tanh"

    def mistakes(self, case):
        return mk.tanh_prime(case)


class ReluPrimeExercise(_ActivationPrime):
    id, function, act = "relu-prime", "relu_prime", "relu"
    signature, title = "relu_prime(z)", "the derivative of ReLU"

    def mistakes(self, case):
        return mk.relu_prime(case)


# --------------------------------------------------------------------------- lesson 03

class _DeltaExercise(Exercise):
    """Exercises whose answer is one δ-shaped array (n_l, m)."""

    def outputs(self, case):
        z = case.arrays[self._z]
        return [OutputSpec("delta", z.shape, self._units, "example {}", z.shape[1])]

    _z = "z_L"
    _units = "unit {} of the output layer"


class OutputErrorMSEExercise(_DeltaExercise):
    id, lesson, function = "output-error-mse", 3, "output_error_mse"
    signature = "output_error_mse(z_L, y)"
    title = "δ[L] for a sigmoid output and the mean squared error (½ convention, mean)"

    def build(self, rng, index, seed):
        n = distinct_sizes(rng, 1)[0]
        m = self.m(rng, (n,))
        z = rng.uniform(-3, 3, (n, m))
        y = rng.uniform(0, 1, (n, m))
        return self._case(index, seed, {"z_L": z, "y": y}, f"z_L {shape_text(z)}, y {shape_text(y)}")

    def arguments(self, case):
        z, y = case.array("z_L"), case.array("y")
        return (z, y), {"z_L": z, "y": y}

    def compute_truth(self, case):
        z, y = case.arrays["z_L"], case.arrays["y"]
        return {"delta": _elementwise_truth(z, lambda v: ref.mse_sigmoid_terms(v, y, z.shape[1]))}

    def mistakes(self, case):
        return mk.output_error_mse(case)


class OutputErrorBCEExercise(OutputErrorMSEExercise):
    id, function = "output-error-bce", "output_error_bce"
    signature = "output_error_bce(z_L, y)"
    title = "δ[L] for a sigmoid output and binary cross-entropy (mean)"

    def build(self, rng, index, seed):
        n = distinct_sizes(rng, 1)[0]
        m = self.m(rng, (n,))
        z = rng.uniform(-3, 3, (n, m))
        y = rng.integers(0, 2, (n, m)).astype(float)
        return self._case(index, seed, {"z_L": z, "y": y}, f"z_L {shape_text(z)}, y {shape_text(y)} of 0/1")

    def compute_truth(self, case):
        z, y = case.arrays["z_L"], case.arrays["y"]
        return {"delta": _elementwise_truth(z, lambda v: ref.bce_sigmoid_terms(v, y, z.shape[1]))}

    def mistakes(self, case):
        return mk.output_error_bce(case)


class OutputErrorExercise(_DeltaExercise):
    id, lesson, function = "output-error", 3, "output_error"
    signature = "output_error(grad_a, z_L, sigma_prime)"
    title = "Equation 1: δ[L] = dL/da[L] ⊙ σ′(z[L])"

    def build(self, rng, index, seed):
        n = distinct_sizes(rng, 1)[0]
        m = self.m(rng, (n,))
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
        return {"delta": _elementwise_truth(z, lambda v: ref.weighted_activation_terms(v, g, act))}

    def mistakes(self, case):
        return mk.output_error(case)

    def exception_hint(self, case, status):
        if _matmul_error(status):
            return Hint("matmul-for-hadamard", "@ used for ⊙",
                        "Equation 1's ⊙ is the entry-by-entry product: grad_a * sigma_prime(z_L), not @.")
        return None


# --------------------------------------------------------------------------- lesson 04

class BackpropErrorExercise(_DeltaExercise):
    id, lesson, function = "backprop-error", 4, "backprop_error"
    signature = "backprop_error(W_next, delta_next, z, sigma_prime)"
    title = "Equation 2: δ[l] = (W[l+1])ᵀ δ[l+1] ⊙ σ′(z[l])"
    _z = "z"
    _units = "unit {} of layer l"

    def build(self, rng, index, seed):
        n_next, n_l = distinct_sizes(rng, 2)
        m = self.m(rng, (n_next, n_l))
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

    def mistakes(self, case):
        return mk.backprop_error(case)

    def exception_hint(self, case, status):
        n_next, n_l = case.arrays["W_next"].shape
        m = case.arrays["z"].shape[1]
        mismatch = _mismatch(status)
        if mismatch == (n_l, n_next):                       # W_next @ delta_next
            return Hint("w-not-transposed", "W instead of Wᵀ",
                        "W_next is (n_{l+1}, n_l) and delta_next is (n_{l+1}, m): Equation 2 multiplies "
                        "by the transpose, W_next.T @ delta_next, giving (n_l, m).")
        if mismatch == (m, n_l):                            # (W_next.T @ delta_next) @ sigma_prime(z)
            return Hint("matmul-for-hadamard", "@ used for ⊙",
                        "Equation 2 is (W_next.T @ delta_next) * sigma_prime(z): @ for the matrix "
                        "product, * (entry by entry) for ⊙.")
        if mismatch is not None:
            return Hint("matmul-order", "matrix product does not fit",
                        "W_next is (n_{l+1}, n_l) and delta_next is (n_{l+1}, m): "
                        "W_next.T @ delta_next is (n_l, m), the shape of z.")
        return None


# --------------------------------------------------------------------------- lesson 05

class WeightGradientExercise(Exercise):
    id, lesson, function = "weight-gradient", 5, "weight_gradient"
    signature = "weight_gradient(delta, a_prev)"
    title = "Equation 3: dL/dW[l] = δ[l] (a[l−1])ᵀ"

    def build(self, rng, index, seed):
        n_l, n_prev = distinct_sizes(rng, 2)
        m = self.m(rng, (n_l, n_prev))
        d = rng.standard_normal((n_l, m)) / m
        a = rng.uniform(0, 1, (n_prev, m))
        W = rng.standard_normal((n_l, n_prev))          # grader-only: the point of the derivative
        return self._case(index, seed, {"delta": d, "a_prev": a, "W": W},
                          f"delta {shape_text(d)}, a_prev {shape_text(a)}")

    def arguments(self, case):
        d, a = case.array("delta"), case.array("a_prev")
        return (d, a), {"delta": d, "a_prev": a}

    def outputs(self, case):
        n_l, n_prev = case.arrays["W"].shape
        return [OutputSpec("dW", (n_l, n_prev), "unit {} of layer l", "unit {} of layer l-1",
                           case.arrays["delta"].shape[1])]

    def compute_truth(self, case):
        d, a = case.arrays["delta"], case.arrays["a_prev"]
        return {"dW": central_difference(lambda Ws: ref.weight_scalar(Ws, d, a), case.arrays["W"])}

    def mistakes(self, case):
        return mk.weight_gradient(case)

    def shape_cause(self, case, spec, got):
        if got == spec.shape[::-1]:
            return "transposed", ("it is transposed, (n_{l-1}, n_l): a_prev @ delta.T gives the transpose; "
                                  "Equation 3 is delta @ a_prev.T")
        return shape_cause(spec, got)

    def exception_hint(self, case, status):
        n_prev, m = case.arrays["a_prev"].shape
        if _mismatch(status) == (m, n_prev):                 # delta @ a_prev
            return Hint("a-not-transposed", "a_prev not transposed",
                        "delta is (n_l, m) and a_prev is (n_{l-1}, m): Equation 3 needs the transpose, "
                        "delta @ a_prev.T, giving (n_l, n_{l-1}).")
        return None


class BiasGradientExercise(Exercise):
    id, lesson, function = "bias-gradient", 5, "bias_gradient"
    signature = "bias_gradient(delta)"
    title = "Equation 4: dL/db[l] = δ[l], summed over the examples"

    def build(self, rng, index, seed):
        n_l = distinct_sizes(rng, 1)[0]
        m = self.m(rng, (n_l,))
        d = rng.standard_normal((n_l, m)) / m
        u = rng.standard_normal((n_l, m))                # grader-only: W a[l-1], fixed
        b = 0.5 * rng.standard_normal((n_l, 1))          # grader-only: the point of the derivative
        return self._case(index, seed, {"delta": d, "u": u, "b": b}, f"delta {shape_text(d)}")

    def arguments(self, case):
        d = case.array("delta")
        return (d,), {"delta": d}

    def outputs(self, case):
        n_l, m = case.arrays["delta"].shape
        return [OutputSpec("db", (n_l, 1), "unit {} of layer l", "", m)]

    def compute_truth(self, case):
        d, u = case.arrays["delta"], case.arrays["u"]
        return {"db": central_difference(lambda Bs: ref.bias_scalar(Bs, d, u), case.arrays["b"])}

    def mistakes(self, case):
        return mk.bias_gradient(case)


# --------------------------------------------------------------------------- lesson 06-07

def _network(rng: np.random.Generator, index: int, batch: bool):
    L = 2 if index % 3 == 1 else 3
    m = batch_size(rng) if batch else 1
    sizes = distinct_sizes(rng, L + 1, exclude=(m,))
    arrays: dict[str, Array] = {}
    for l in range(1, L + 1):
        arrays[f"W[{l}]"] = rng.standard_normal((sizes[l], sizes[l - 1])) * (1.5 / np.sqrt(sizes[l - 1]))
        arrays[f"b[{l}]"] = 0.5 * rng.standard_normal((sizes[l], 1))
    arrays["X"] = rng.standard_normal((sizes[0], m))
    arrays["Y"] = rng.uniform(0, 1, (sizes[-1], m))
    return L, sizes, m, arrays


class BackwardExercise(Exercise):
    id, lesson, function = "backward", 6, "backward"
    signature = "backward(W, b, x, y)"
    title = "the whole backward pass for one example (sigmoid layers, MSE)"
    _x, _y = "x", "y"

    #: Activations of the hidden layers and of layer L (lessons 06-07: sigmoid everywhere).
    hidden, output = "sigmoid", "sigmoid"

    def build(self, rng, index, seed):
        L, sizes, m, arrays = _network(rng, index, self.batch)
        what = f"batch of {m}" if self.batch else "one example"
        meta = ({} if self.hidden == self.output == "sigmoid"
                else {"hidden": self.hidden, "output": self.output})
        acts = "" if not meta else f", {self.hidden} hidden, {self.output} output"
        return self._case(index, seed, arrays, f"sizes {'-'.join(map(str, sizes))}, {what}{acts}",
                          L=L, sizes=sizes, m=m, **meta)

    def arguments(self, case):
        W, b = case.layers("W"), case.layers("b")
        X, Y = case.array("X"), case.array("Y")
        return (W, b, X, Y), {"W": W, "b": b, self._x: X, self._y: Y}

    def outputs(self, case):
        L, sizes, m = int(case.meta["L"]), case.meta["sizes"], int(case.meta["m"])
        specs = []
        for l in range(L, 0, -1):
            specs.append(OutputSpec(f"dW[{l}]", (sizes[l], sizes[l - 1]), f"unit {{}} of layer {l}",
                                    _unit_below(l), m))
            specs.append(OutputSpec(f"db[{l}]", (sizes[l], 1), f"unit {{}} of layer {l}", "", m))
        return specs

    def unpack(self, value, case):
        L = int(case.meta["L"])
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise BadReturn(f"{self.function} returned {_describe(value)}; it must return the pair (dW, db).")
        out = {}
        for name, seq in zip(("dW", "db"), value, strict=True):
            items = _layer_list(seq, L, name, self.function)
            for l in range(1, L + 1):
                out[f"{name}[{l}]"] = items[l]
        return out

    def compute_truth(self, case):
        L = int(case.meta["L"])
        W = [None] + [case.arrays[f"W[{l}]"] for l in range(1, L + 1)]
        b = [None] + [case.arrays[f"b[{l}]"] for l in range(1, L + 1)]
        X, Y = case.arrays["X"], case.arrays["Y"]
        hidden, output = case.meta.get("hidden", "sigmoid"), case.meta.get("output", "sigmoid")
        out = {}
        for l in range(1, L + 1):
            for name, P in (("W", W[l]), ("b", b[l])):
                out[f"d{name}[{l}]"] = central_difference(
                    lambda S, name=name, l=l: ref.network_loss_stack(W, b, X, Y, name, l, S, hidden, output),
                    P)
        return out

    def mistakes(self, case):
        return mk.backward(case)

    def exception_hint(self, case, status):
        sizes, m = case.meta["sizes"], int(case.meta["m"])
        mismatch = _mismatch(status)
        if mismatch is None:
            return None
        code = _code(status)
        if any(mismatch == (sizes[l - 1], sizes[l]) for l in range(2, len(sizes))):
            if _transposes(code) and "W" in code:                                       # W[l-1].T @ delta
                return Hint("wrong-layer", "W of the wrong layer",
                            "δ[l] comes from the layer above: Equation 2 multiplies δ[l+1] by "
                            "(W[l+1])ᵀ, the weights of layer l+1 -- in a loop that stands at layer l "
                            "and computes δ[l-1], that is W[l].T @ delta.")
            return Hint("w-not-transposed", "W instead of Wᵀ",                          # W[l] @ delta
                        "W[l+1] is (n_{l+1}, n_l) and δ[l+1] is (n_{l+1}, m): Equation 2 needs the "
                        "transpose, W[l+1].T @ delta.")
        if mismatch[0] == m and mismatch[1] in sizes[:-1] and ("a[" in code or "a_prev" in code) \
                and not _transposes(code):                                            # delta @ a[l-1]
            return Hint("a-not-transposed", "a[l−1] not transposed",
                        "Equation 3 is δ[l] (a[l−1])ᵀ: delta @ a[l-1].T.")
        return None

    def shape_cause(self, case, spec, got):
        if spec.name.startswith("dW") and len(got) == 2 and got[0] == spec.shape[0] and got != spec.shape:
            L, sizes = int(case.meta["L"]), case.meta["sizes"]
            l = int(spec.name[3:-1])
            if l < L and got[1] == sizes[l]:
                return "wrong-layer", (f"it is (n_{l}, n_{l}): Equation 3 takes the activations of the "
                                       f"layer below, a[{l - 1}], not a[{l}]")
        return shape_cause(spec, got)

    def where_hint(self, case, wrong, right):
        L = int(case.meta["L"])
        top = max(int(n[3:-1]) for n in wrong)          # the highest layer with a wrong gradient
        dw, db = f"dW[{top}]" in wrong, f"db[{top}]" in wrong
        above = "" if top == L else layers_text(top + 1, L) + " right. "
        if dw and db:
            if top == L:
                grad = f"a[{L}] − y" if int(case.meta.get("m", 1)) == 1 else f"(a[{L}] − y)/m"
                return (f"Already the output layer {L} is wrong: check Equation 1, "
                        f"δ[{L}] = dL/da[{L}] ⊙ σ′(z[{L}]) with dL/da[{L}] = {grad}.")
            return (f"{above}δ[{top}] is wrong (so are dW[{top}] and db[{top}]): check Equation 2, "
                    f"δ[{top}] = (W[{top + 1}])ᵀ δ[{top + 1}] ⊙ σ′(z[{top}]).")
        if dw:
            return (f"{above}db[{top}] is right, so δ[{top}] is: check Equation 3, "
                    f"dW[{top}] = δ[{top}] (a[{top - 1}])ᵀ.")
        return (f"{above}dW[{top}] is right, so δ[{top}] is: check Equation 4, "
                f"db[{top}] = δ[{top}] summed over examples.")


class BackwardBatchExercise(BackwardExercise):
    id, lesson, function = "backward-batch", 7, "backward_batch"
    signature = "backward_batch(W, b, X, Y)"
    title = "the backward pass for a batch: gradients of the mean loss"
    batch = True
    _x, _y = "X", "Y"


# --------------------------------------------------------------------------- lesson 10

#: Widths of init-weights cases alternate between a narrow and a wide range, so that every layer
#: has n_in and n_out far apart: rules such as 1/n_in and 2/(n_in + n_out) then differ everywhere.
INIT_NARROW, INIT_WIDE = (40, 64), (96, 128)
#: Layers of an init-weights case (L), and columns of the grader's input batch.
INIT_DEPTHS, INIT_BATCH = (8, 9, 10), 128


def alternating_widths(rng: np.random.Generator, k: int) -> list[int]:
    """``k`` distinct widths, alternately narrow and wide (which comes first is random)."""
    half = (k + 1) // 2
    narrow = rng.choice(np.arange(INIT_NARROW[0], INIT_NARROW[1] + 1), size=half, replace=False)
    wide = rng.choice(np.arange(INIT_WIDE[0], INIT_WIDE[1] + 1), size=half, replace=False)
    first = int(rng.integers(2))
    return [int((narrow if (i + first) % 2 == 0 else wide)[i // 2]) for i in range(k)]


class InitWeightsExercise(Exercise):
    """Lesson 10: an initialisation, judged by statistics (:mod:`bpkit.grader.initstats`)."""

    id, lesson, function = "init-weights", 10, "init_weights"
    signature = "init_weights(sizes, activation, seed)"
    title = "random weights that keep the signal's size from layer to layer (Xavier or He); zero biases"

    def build(self, rng, index, seed):
        act = ACTIVATION_CYCLE[(index + seed) % 3]
        L = int(rng.choice(INIT_DEPTHS))
        sizes = alternating_widths(rng, L + 1)
        X = rng.standard_normal((sizes[0], INIT_BATCH))      # grader-only: the signal sent through
        student_seed = int(rng.integers(0, 2**31 - 1))
        other_seed = (student_seed + 1 + int(rng.integers(0, 1000))) % (2**31 - 1)
        return self._case(index, seed, {"X": X},
                          f"sizes {'-'.join(map(str, sizes))}, activation {act!r}, seed {student_seed}",
                          L=L, sizes=sizes, activation=act, student_seed=student_seed, other_seed=other_seed)

    def arguments(self, case):
        return (list(case.meta["sizes"]), case.meta["activation"], int(case.meta["student_seed"])), {}

    def outputs(self, case):
        L, sizes = int(case.meta["L"]), case.meta["sizes"]
        specs = []
        for l in range(1, L + 1):
            specs.append(OutputSpec(f"W[{l}]", (sizes[l], sizes[l - 1]), f"unit {{}} of layer {l}",
                                    _unit_below(l)))
            specs.append(OutputSpec(f"b[{l}]", (sizes[l], 1), f"unit {{}} of layer {l}", ""))
        return specs

    def unpack(self, value, case):
        L = int(case.meta["L"])
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise BadReturn(f"init_weights returned {_describe(value)}; it must return the pair (W, b).")
        out = {}
        for name, seq in zip(("W", "b"), value, strict=True):
            items = _layer_list(seq, L, name, self.function)
            for l in range(1, L + 1):
                out[f"{name}[{l}]"] = items[l]
        return out

    def call(self, fn, case):
        """The first call's ``W[l]``, ``b[l]``; then ``W[l]`` again for the same seed and for another."""
        if not callable(fn):
            return not_a_function_outputs(fn)
        args, watched = self.arguments(case)
        arrays, status = self.call_once(fn, case, args, watched)
        if status["kind"] != "ok" or status["types"]:
            return flat_outputs(arrays, status)
        sizes, act, L = case.meta["sizes"], case.meta["activation"], int(case.meta["L"])
        notes = {}
        for tag, seed in ((initstats.SAME, case.meta["student_seed"]),
                          (initstats.OTHER, case.meta["other_seed"])):
            again, st = self.call_once(fn, case, (list(sizes), act, int(seed)), {})
            if st["kind"] == "exception":
                notes[tag] = f"raised {st.get('type')}: {st.get('message')}"
            elif st["kind"] != "ok" or any(f"W[{l}]" not in again for l in range(1, L + 1)):
                notes[tag] = "returned something other than the lists (W, b)"
            else:
                arrays.update({f"{tag}:W[{l}]": again[f"W[{l}]"] for l in range(1, L + 1)})
        status["notes"] = notes
        return flat_outputs(arrays, status)

    def compute_truth(self, case):
        return {}                                        # judged by statistics, not entry by entry

    def mistakes(self, case):
        return initstats.init_mistakes(case)

    def judge(self, case, outputs):
        return initstats.judge_init(self, case, outputs)

    def shape_cause(self, case, spec, got):
        if spec.name.startswith("W") and got == spec.shape[::-1]:
            l = spec.name[2:-1]
            return "transposed", (f"it is transposed, (n_in, n_out): W[{l}] has one row per unit of layer "
                                  f"{l} and one column per unit of the layer below, shape (n_l, n_(l-1)) -- "
                                  "draw it as rng.normal(0, std, (sizes[l], sizes[l - 1]))")
        return shape_cause(spec, got)

# --------------------------------------------------------------------------- lesson 11

class BackwardFixedExercise(BackwardBatchExercise):
    """Lesson 11: the backward pass, debugged -- tanh hidden layers under a sigmoid output."""

    id, lesson, function = "backward-fixed", 11, "backward_fixed"
    signature = "backward_fixed(W, b, X, Y)"
    title = "the backward pass with tanh hidden layers and a sigmoid output (MSE, mean over the batch)"
    hidden, output = "tanh", "sigmoid"


# --------------------------------------------------------------------------- lesson 08

LEARNING_RATES = (0.05, 0.1, 0.2, 0.3)


class SGDUpdateExercise(Exercise):
    id, lesson, function = "sgd-update", 8, "sgd_update"
    signature = "sgd_update(W, b, dW, db, learning_rate)"
    title = "the gradient-descent update of every W[l] and b[l]"

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
                                    _unit_below(l)))
            specs.append(OutputSpec(f"b_new[{l}]", (sizes[l], 1), f"unit {{}} of layer {l}", ""))
        return specs

    def unpack(self, value, case):
        L = int(case.meta["L"])
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise BadReturn(f"sgd_update returned {_describe(value)}; "
                            "it must return the pair (W_new, b_new).")
        out = {}
        for name, seq in zip(("W_new", "b_new"), value, strict=True):
            items = _layer_list(seq, L, name, self.function)
            for l in range(1, L + 1):
                out[f"{name}[{l}]"] = items[l]
        return out

    def compute_truth(self, case):
        L, lr, A = int(case.meta["L"]), float(case.meta["learning_rate"]), case.arrays
        out = {}
        for p in ("W", "b"):
            for l in range(1, L + 1):
                P, G = A[f"{p}[{l}]"], A[f"d{p}[{l}]"]
                out[f"{p}_new[{l}]"] = Truth.exact(P - lr * G, 2 * EPS * (np.abs(P) + lr * np.abs(G)))
        return out

    def mistakes(self, case):
        return mk.sgd_update(case)

    def mutation_lines(self, case, mutated):
        first = mutated[0]
        return [f"sgd_update changed its input: {first.get('detail')}.",
                "The old parameters must stay as they were: build new lists, e.g. "
                "W_new = [None] + [W[l] - learning_rate * dW[l] for l in range(1, len(W))] "
                "(W[l] -= ... or W[l] = ... would change the caller's W)."]


# --------------------------------------------------------------------------- lesson 09

class SoftmaxOutputErrorExercise(_DeltaExercise):
    id, lesson, function = "softmax-output-error", 9, "softmax_output_error"
    signature = "softmax_output_error(z_L, Y)"
    title = "δ[L] for a softmax output with cross-entropy, from the logits (mean)"
    batch = True

    def build(self, rng, index, seed):
        n = distinct_sizes(rng, 1, low=3)[0]
        m = self.m(rng, (n,))
        z = rng.uniform(-3, 3, (n, m))
        Y = np.eye(n)[:, rng.integers(0, n, m)]
        return self._case(index, seed, {"z_L": z, "Y": Y}, f"z_L {shape_text(z)}, Y {shape_text(Y)} one-hot")

    def arguments(self, case):
        z, Y = case.array("z_L"), case.array("Y")
        return (z, Y), {"z_L": z, "Y": Y}

    def compute_truth(self, case):
        Y = case.arrays["Y"]
        return {"delta": central_difference(lambda Z: ref.softmax_ce_scalar(Z, Y), case.arrays["z_L"])}

    def mistakes(self, case):
        return mk.softmax_output_error(case)


# --------------------------------------------------------------------------- lesson 12

#: Lesson 12's operations, in the order of the cases; each has a student function ``<op>_backward``.
OPS = ("add", "mul", "tanh", "exp", "pow")
OP_SIGNATURES = {
    "add": "add_backward(x, y, grad)", "mul": "mul_backward(x, y, grad)", "tanh": "tanh_backward(x, grad)",
    "exp": "exp_backward(x, grad)", "pow": "pow_backward(x, n, grad)",
}
#: Exponents of pow cases (never 1, nor -1, whose rule n x^(n-1) would equal a sign mistake).
POW_EXPONENTS = (2.0, 3.0, 0.5, -2.0)
_OP_EXAMPLE = ('check_op_backward({"add": add_backward, "mul": mul_backward, "tanh": tanh_backward, '
               '"exp": exp_backward, "pow": pow_backward})')


class OpBackwardExercise(Exercise):
    """Lesson 12: the backward rule of each operation of a small autodiff, element-wise on arrays.

    For ``out = op(x, y)`` and the gradient ``grad`` = dL/d(out) arriving from above, a rule returns
    dL/dx (and dL/dy), the same shape as x: the truth is the central difference of
    :math:`L = \\sum \\mathrm{grad} \\odot \\mathrm{op}(x, y)`. One case per operation; the check takes a
    dict of the student's functions.
    """

    id, lesson, function = "op-backward", 12, "op_backward"
    signature = ", ".join(OP_SIGNATURES.values())
    title = "the backward rules of add, mul, tanh, exp and pow"
    n_cases = len(OPS)
    independent_cases = True
    functions = tuple(f"{op}_backward" for op in OPS)

    @property
    def display_name(self) -> str:
        return "each *_backward function"

    @property
    def needs(self) -> str:
        return f"a dict of functions: {_OP_EXAMPLE}"

    def case_function(self, case):
        return f"{case.meta['op']}_backward"

    def student_object(self, namespace):
        return {op: namespace[f"{op}_backward"] for op in OPS if f"{op}_backward" in namespace}

    def build(self, rng, index, seed):
        op = OPS[(index + seed) % len(OPS)]
        shape = _shape_2d(rng)
        arrays: dict[str, Array] = {}
        meta: dict[str, Any] = {"op": op}
        if op in ("add", "mul"):
            arrays["x"] = rng.standard_normal(shape)
            arrays["y"] = rng.standard_normal(shape)
            what = f"x {shape_text(arrays['x'])}, y {shape_text(arrays['y'])}"
        elif op == "pow":
            arrays["x"] = rng.uniform(0.5, 2.0, shape)
            meta["n"] = float(rng.choice(POW_EXPONENTS))
            what = f"x {shape_text(arrays['x'])} in [0.5, 2], n = {meta['n']:g}"
        else:
            arrays["x"] = rng.uniform(-2.0, 2.0, shape)
            what = f"x {shape_text(arrays['x'])}"
        arrays["grad"] = rng.standard_normal(shape)
        return self._case(index, seed, arrays, f"{op}_backward: {what}, grad {shape_text(arrays['grad'])}",
                          **meta)

    def arguments(self, case):
        op = case.meta["op"]
        x, g = case.array("x"), case.array("grad")
        if op in ("add", "mul"):
            y = case.array("y")
            return (x, y, g), {"x": x, "y": y, "grad": g}
        if op == "pow":
            return (x, float(case.meta["n"]), g), {"x": x, "grad": g}
        return (x, g), {"x": x, "grad": g}

    def outputs(self, case):
        shape = case.arrays["x"].shape
        names = ("gx", "gy") if case.meta["op"] in ("add", "mul") else ("gx",)
        return [OutputSpec(n, shape) for n in names]

    def unpack(self, value, case):
        fname = self.case_function(case)
        if case.meta["op"] in ("add", "mul"):
            if isinstance(value, np.ndarray) or not isinstance(value, (tuple, list)) or len(value) != 2:
                raise BadReturn(f"{fname} returned {_describe(value)}; it must return the pair (gx, gy): "
                                "one gradient for each input.")
            return {"gx": value[0], "gy": value[1]}
        if isinstance(value, (tuple, list)):
            raise BadReturn(f"{fname} returned {_describe(value)}; it has one input, so it returns one "
                            "array, gx, not a tuple.")
        return {"gx": value}

    def call(self, fn, case):
        op = case.meta["op"]
        name = f"{op}_backward"
        if isinstance(fn, dict):
            f = fn.get(op, fn.get(name))
        elif hasattr(fn, name):
            f = getattr(fn, name)                       # a module or namespace holding the functions
        elif callable(fn):
            return not_a_function_outputs(fn)
        else:
            f = None
        if f is None:
            return flat_outputs({}, {"kind": "not-attempted", "message": (
                f'The check was given no function for {op}: add "{op}": {name} to the dict.')})
        if not callable(f):
            return flat_outputs({}, {"kind": "not-a-function", "got": f"{_describe(f)} for {op}"})
        return super().call(f, case)

    def not_a_function_lines(self, case, status):
        return [f"check_op_backward needs a dict of your functions: {_OP_EXAMPLE}.",
                f"It got {status.get('got', 'something else')}."]

    def compute_truth(self, case):
        op, A = case.meta["op"], case.arrays
        x, g = A["x"], A["grad"]
        if op == "pow":
            return {"gx": _elementwise_truth(x, lambda v: ref.op_terms(op, v, float(case.meta["n"]), g))}
        if op in ("add", "mul"):
            y = A["y"]
            return {"gx": _elementwise_truth(x, lambda v: ref.op_terms(op, v, y, g, "x")),
                    "gy": _elementwise_truth(y, lambda v: ref.op_terms(op, v, x, g, "y"))}
        return {"gx": _elementwise_truth(x, lambda v: ref.op_terms(op, v, None, g))}

    def mistakes(self, case):
        return mk.op_backward(case)


# --------------------------------------------------------------------------- helpers

def _unit_below(l: int) -> str:
    """The template naming a column of W[l]: a unit of layer l-1, or an input for layer 1."""
    return "input {}" if l == 1 else f"unit {{}} of layer {l - 1}"


def layers_text(first: int, last: int) -> str:
    """``"Layer 3 is"``, ``"Layers 2 and 3 are"``, ``"Layers 2 to 4 are"``.

    >>> layers_text(3, 3), layers_text(2, 3), layers_text(1, 4)
    ('Layer 3 is', 'Layers 2 and 3 are', 'Layers 1 to 4 are')
    """
    if first == last:
        return f"Layer {first} is"
    if last == first + 1:
        return f"Layers {first} and {last} are"
    return f"Layers {first} to {last} are"


def _describe(value: Any) -> str:
    from .calling import describe

    return describe(value)


def _layer_list(seq: Any, L: int, name: str, function: str) -> list:
    """``[None, item 1, ..., item L]`` from a student's list indexed 0..L (or a dict keyed 1..L)."""
    if isinstance(seq, dict):
        return [None] + [seq.get(l) for l in range(1, L + 1)]
    if isinstance(seq, np.ndarray) or not isinstance(seq, (list, tuple)):
        raise BadReturn(f"{function} returned {_describe(seq)} for {name}; it must be a list "
                        f"[None, {name}[1], ..., {name}[{L}]].")
    if len(seq) == L:
        raise BadReturn(f"{name} has {L} items but must have {L + 1}: [None, {name}[1], ..., {name}[{L}]] "
                        "-- index 0 is None, so that layer l is at index l.")
    if len(seq) != L + 1:
        raise BadReturn(f"{name} has {len(seq)} items but must have {L + 1}: [None, {name}[1], ..., "
                        f"{name}[{L}]].")
    return list(seq)


for _ex in (
    SigmoidExercise(), ForwardStepExercise(), NumericalGradientExercise(), SigmoidPrimeExercise(),
    TanhPrimeExercise(), ReluPrimeExercise(), OutputErrorMSEExercise(), OutputErrorBCEExercise(),
    OutputErrorExercise(), BackpropErrorExercise(), WeightGradientExercise(), BiasGradientExercise(),
    BackwardExercise(), BackwardBatchExercise(), SGDUpdateExercise(), SoftmaxOutputErrorExercise(),
    InitWeightsExercise(), BackwardFixedExercise(), OpBackwardExercise(),
):
    register(_ex)
