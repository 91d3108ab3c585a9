"""The instructor side: grade a class's notebooks safely, in parallel, into a gradebook and feedback.

``bpkit grade SUBMISSIONS -o OUT`` (:func:`~bpkit.instructor.batch.grade_class`) and
``bpkit merge OUT1 OUT2 ... -o OUT`` (:func:`~bpkit.instructor.batch.merge_outputs`).

Modules, one idea each:

* :mod:`~bpkit.instructor.submissions` -- finding the submitted notebooks (no links followed), their code;
* :mod:`~bpkit.instructor.worker` -- the untrusted side: server, keeper and worker of one phase;
* :mod:`~bpkit.instructor.bwrap` -- the outer wall: a worker server inside bubblewrap;
* :mod:`~bpkit.instructor.sandbox` -- the inner walls: namespaces per run, limits, capabilities,
  seccomp, Landlock;
* :mod:`~bpkit.instructor.pool` -- starting worker servers and talking to them;
* :mod:`~bpkit.instructor.borrowed` -- exercise cells that call bpkit's own answers;
* :mod:`~bpkit.instructor.protocol` -- what crosses between parent and worker (arrays only);
* :mod:`~bpkit.instructor.grading` -- grading one submission: phases, judging, points;
* :mod:`~bpkit.instructor.gradebook` -- result records, the index, the gradebook, atomic files;
* :mod:`~bpkit.instructor.feedback` -- per-student feedback in Markdown and HTML;
* :mod:`~bpkit.instructor.summary` -- per-exercise means and the histogram of scores;
* :mod:`~bpkit.instructor.batch` -- grading a class, merging shards.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {"GradeOptions": "batch", "GradingUsageError": "batch", "grade_class": "batch",
            "merge_outputs": "batch", "parse_shard": "batch", "Limits": "grading",
            "lesson_exercises": "grading"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    # Lazy, so that a worker server (which imports bpkit.instructor.worker) loads no more than it needs.
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
