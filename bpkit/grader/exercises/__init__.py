r"""The exercises of the lessons, one module each, collected automatically.

:data:`EXERCISES` maps each exercise id (the notebook cell tag
``exercise:<id>``) to its :class:`~bpkit.grader.exercises.base.Exercise`.
Every module of this package whose name does not start with ``_`` (and is
not ``base``) is imported, and its ``EXERCISE`` is registered: **adding an
exercise = adding one module here** (plus its solution notebook and its
tests); nothing else needs to change (``run_check(id, fn)`` and
``bpkit grade`` find it; a ``check_<function>`` wrapper in
:mod:`bpkit.grader.checks` is optional sugar).

How an exercise module is written (see ``backprop_error.py`` for a short
one, ``backward.py`` for a network, ``init_weights.py`` for a statistical
judge, ``op_backward.py`` for several functions in one exercise)::

    class BackpropErrorExercise(Exercise):
        id, lesson, function = "backprop-error", 4, "backprop_error"
        signature = "backprop_error(W_next, delta_next, z, sigma_prime)"
        promises_batch = True                 # the stub says (n, m)
        hints = ("...", "...", "...")         # 1-3 staged hints, the last close to the answer
        hint_for = {"w-not-transposed": 2}    # mistake/cause/diagnosis id -> the hint that fits

        def build(self, rng, index, seed):    # one Case from its own generator
        def arguments(self, case):            # (args for the student, {name: input to watch})
        def outputs(self, case):              # [OutputSpec(name, shape, rows, cols, m), ...]
        def unpack(self, value, case):        # optional: name the parts of a returned tuple
        def compute_truth(self, case):        # {name: Truth}: central differences or exact values
        def magnitude(self, case):            # optional: what was summed (float32 allowance)
        def mistakes(self, case):             # [Mistake(id, title, explanation, {name: answer})]
        def exception_hint(self, case, st):   # optional: name a known exception (KnownError)

    EXERCISE = BackpropErrorExercise()

``judge`` (the ordered diagnoses of :mod:`bpkit.grader.diagnosis`) and
``call`` come from the base class; an exercise without a single truth
overrides ``judge`` (``init-weights``).

>>> sorted(EXERCISES)[:3]
['backprop-error', 'backward', 'backward-batch']
>>> case = EXERCISES["backprop-error"].make_cases(seed=0, n=1)[0]
>>> sorted(case.arrays)
['W_next', 'delta_next', 'z']
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import BadReturn, Exercise

__all__ = ["EXERCISES", "BadReturn", "Exercise", "register"]

EXERCISES: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    """Add an exercise to :data:`EXERCISES` (keyed by its id) and return it."""
    EXERCISES[exercise.id] = exercise
    return exercise


def _collect() -> None:
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        exercise = getattr(module, "EXERCISE", None)
        if not isinstance(exercise, Exercise):
            raise TypeError(f"{module.__name__} must define EXERCISE, an Exercise instance")
        found.append(exercise)
    for exercise in sorted(found, key=lambda e: (e.lesson, e.position, e.id)):
        register(exercise)


_collect()
