r"""The base of every exercise: :class:`Exercise` and the helpers exercise modules share.

An exercise has three parts, kept apart so that the instructor grader can
run the middle one in an untrusted worker process:

``make_cases(seed, n)``
    ``n`` seeded :class:`~bpkit.grader.cases.Case` objects (trusted side).
``call(fn, case)``
    runs the student's ``fn`` on fresh copies of the case's inputs and
    returns a flat ``dict`` of ``name -> numpy.ndarray``: the answer arrays
    and a status record (:mod:`bpkit.grader.calling`). This is the only part
    that executes student code, and it returns nothing but arrays.
``judge(case, outputs)``
    the :class:`~bpkit.grader.result.Verdict`, computed from the case and
    those arrays with grader-owned code only (:mod:`bpkit.grader.diagnosis`).

>>> from bpkit.grader.exercises import EXERCISES
>>> EXERCISES["backprop-error"].promises_batch
True
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import reference as ref
from ..calling import INPUT_PREFIX, changes, describe, flat_outputs, input_arrays, run, snapshot, to_array
from ..cases import Case, batch_size, case_rng, distinct_sizes
from ..diagnosis import KnownError, OutputSpec, judge, not_a_function_outputs, shape_cause
from ..gradcheck import Truth, central_difference
from ..matching import DISTINCT_RTOL, MATCH_RTOL
from ..mistakes import Mistake
from ..result import Verdict

__all__ = ["ACTIVATION_CYCLE", "EPS", "BadReturn", "Case", "Exercise", "KnownError", "Mistake", "OutputSpec",
           "Truth", "central_difference", "describe", "elementwise_truth", "layer_list", "layers_text",
           "matmul_error", "mismatch", "ref", "shape_2d", "shape_cause", "unit_below"]

Array = np.ndarray
EPS = ref.EPS
#: Activations of cases that take a sigma or sigma_prime, in turn.
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
    #: 1-3 staged hints, the last close to the answer without giving it (shown only when asked).
    hints: tuple[str, ...] = ()
    #: Which hint (1-based) fits a failing verdict: mistake id, shape cause or diagnosis -> hint number.
    hint_for: dict[str, int] = {}
    #: Position among the exercises of its lesson (EXERCISES lists lesson by lesson, then by this).
    position: int = 0
    #: The stub promises inputs of shape (n, m): the cases must include batches (m >= 2).
    promises_batch: bool = False

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

    def m_for(self, rng: np.random.Generator, index: int, exclude: tuple[int, ...]) -> int:
        """For exercises whose stub says (n, m): one example in case 1, a batch from case 2 on."""
        return 1 if index == 0 else batch_size(rng, exclude)

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

    def mistakes(self, case: Case) -> list[Mistake]:
        return []

    def judge(self, case: Case, outputs: dict[str, Array]) -> Verdict:
        """The verdict on one case (trusted side): the ordered diagnoses of :mod:`bpkit.grader.diagnosis`."""
        return judge(self, case, outputs)

    def magnitude(self, case: Case) -> dict[str, Array]:
        """Per answer entry, the magnitude of what was summed to compute it (scales the float32 allowance).

        Default: the largest expected entry of each array. Exercises whose answers are sums
        (products, means) override it with the sum of the terms' absolute values.
        """
        return {n: np.full(t.expected.shape, float(np.max(np.abs(t.expected), initial=0.0)))
                for n, t in self.truth(case).items()}

    def batch_of(self, case: Case) -> int:
        """The case's batch size m (1 when the answer has no batch axis)."""
        return max([s.m for s in self.outputs(case)] + [1])

    def hint_number(self, diagnosis: str, ids: tuple[str, ...] = ()) -> int:
        """The hint (1-based) that fits a failing verdict: the first of its mistake or cause ids in
        :attr:`hint_for`, else its diagnosis, else 0 (no pointer)."""
        for key in (*ids, diagnosis):
            if key in self.hint_for:
                return self.hint_for[key]
        return 0

    # ------------------------------------------------------------------ message hooks
    def shape_cause(self, case: Case, spec: OutputSpec, got: tuple[int, ...]) -> tuple[str, str]:
        return shape_cause(spec, got)

    def exception_hint(self, case: Case, status: dict[str, Any]) -> KnownError | None:
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

    def not_finite_lines(self, case: Case) -> list[str]:
        return ["NaN comes from 0/0, inf - inf or log of a negative number; inf from overflow "
                "(np.exp of a large number) or division by 0."]

    def __repr__(self) -> str:
        return f"Exercise({self.id!r}, lesson {self.lesson:02d}: {self.signature})"


# --------------------------------------------------------------------------- helpers

_MISMATCH = re.compile(r"the left factor has (\d+) columns, the right factor (\d+) rows")


def mismatch(status: dict[str, Any]) -> tuple[int, int] | None:
    """``(columns of the left factor, rows of the right factor)`` of a failed ``@`` / ``np.dot``."""
    if status.get("type") != "ValueError":
        return None
    m = _MISMATCH.search(str(status.get("message", "")))
    return (int(m.group(1)), int(m.group(2))) if m else None


def matmul_error(status: dict[str, Any]) -> bool:
    return mismatch(status) is not None


def failing_code(status: dict[str, Any]) -> str:
    """The student's failing line, as the status record has it."""
    return str((status.get("frame") or {}).get("code", ""))


def transposes(code: str) -> bool:
    return ".T" in code or "transpose" in code


def elementwise_truth(z: Array, terms: Callable[[Array], tuple]) -> Truth:
    return central_difference(terms, z, elementwise=True)


def shape_2d(rng: np.random.Generator, m: int | None = None) -> tuple[int, int]:
    r, c = distinct_sizes(rng, 2)
    return (r, c) if m is None else (r, m)


def unit_below(l: int) -> str:
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


def layer_list(seq: Any, L: int, name: str, function: str) -> list:
    """``[None, item 1, ..., item L]`` from a student's list indexed 0..L (or a dict keyed 1..L)."""
    if isinstance(seq, dict):
        return [None] + [seq.get(l) for l in range(1, L + 1)]
    if isinstance(seq, np.ndarray) or not isinstance(seq, (list, tuple)):
        raise BadReturn(f"{function} returned {describe(seq)} for {name}; it must be a list "
                        f"[None, {name}[1], ..., {name}[{L}]].")
    if len(seq) == L:
        raise BadReturn(f"{name} has {L} items but must have {L + 1}: [None, {name}[1], ..., {name}[{L}]] "
                        "-- index 0 is None, so that layer l is at index l.")
    if len(seq) != L + 1:
        raise BadReturn(f"{name} has {len(seq)} items but must have {L + 1}: [None, {name}[1], ..., "
                        f"{name}[{L}]].")
    return list(seq)


def unpack_pair(value: Any, L: int, names: tuple[str, str], function: str) -> dict[str, Any]:
    """``{"W[1]": ..., "b[1]": ...}`` from a returned pair of layer lists ``(W, b)``."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise BadReturn(f"{function} returned {describe(value)}; it must return the pair "
                        f"({names[0]}, {names[1]}).")
    out = {}
    for name, seq in zip(names, value, strict=True):
        items = layer_list(seq, L, name, function)
        for l in range(1, L + 1):
            out[f"{name}[{l}]"] = items[l]
    return out
