"""Hand-ins that came from ``bpkit release``, made gradable by nbgrader: ``--prepare-submissions``.

nbgrader grades only the cells that carry its metadata, and scores a hand-in
without any 0 without a word. Lessons from ``bpkit release`` carry bpkit's
tags instead, so each hand-in gets the metadata of the exported course:

* the exercise cell (tagged ``exercise:<id>``, or failing that the cell that
  defines the function, the same rule as ``bpkit grade``) becomes the solution
  cell of that exercise; an exercise with no cell at all gets an empty one;
* the check cell (tagged ``check:<id>``) becomes the exercise's test cell, whose
  source ``nbgrader autograde`` then puts back from ``source/``; a missing one
  is re-added by nbgrader (``add_missing_cells`` in the exported config).

The hand-ins are read from a folder laid out as for ``bpkit grade``
(``alice/03-output-error.ipynb`` or ``alice_03-output-error.ipynb``) and
written where ``nbgrader autograde`` looks for them:
``COURSE/submitted/<student>/<assignment>/<notebook>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..instructor.grading import lesson_exercises
from ..instructor.submissions import Unreadable, discover, extract, read_notebook, read_submission
from .nbgrader_course import CHECK_TAG, ExportError, _tagged, lesson_number, solution_metadata


@dataclass
class Prepared:
    """What :func:`prepare_handins` did: files written, and files skipped with why."""

    written: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def course_lessons(course: Path) -> dict[int, Path]:
    """Lesson number -> its notebook in an exported course's ``source/<assignment>/``."""
    out: dict[int, Path] = {}
    for path in sorted((course / "source").glob("*/[0-9][0-9]-*.ipynb")):
        out[lesson_number(path)] = path
    if not out:
        raise ExportError(f"{course} has no source/<assignment>/NN-topic.ipynb: export the course first "
                          "(bpkit export nbgrader -o COURSE)")
    return out


def test_metadata(source: nbformat.NotebookNode) -> dict[str, dict]:
    """Exercise id -> the nbgrader metadata of its test cell in a course's source notebook."""
    out = {}
    for cell in source.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and str(meta.get("grade_id", "")).endswith("-autograder"):
            out[meta["grade_id"][: -len("-autograder")]] = dict(meta)
    return out


def graft(nb: nbformat.NotebookNode, lesson: int, tests: dict[str, dict]) -> nbformat.NotebookNode:
    """``nb`` with nbgrader's metadata on the exercise and check cells of ``lesson``'s exercises.

    ``tests`` is :func:`test_metadata` of the course's notebook for the lesson.
    """
    exercises = lesson_exercises(lesson)
    for cell in nb.cells:
        if isinstance(cell.get("metadata"), dict):
            cell.metadata.pop("nbgrader", None)            # only the course's metadata counts
    code = extract(nb, {ex.id: ex.function for ex in exercises})
    for ex in exercises:
        found = code.found.get(ex.id)
        if found is None:
            cell = nbformat.v4.new_code_cell(f"# No cell for the exercise {ex.id} was handed in.")
            nb.cells.append(cell)
        else:
            cell = nb.cells[found.cell]
        cell.metadata["nbgrader"] = solution_metadata(ex.id)
    wanted = set(tests)
    for cell in nb.cells:
        check = _tagged(cell, CHECK_TAG)
        if check in wanted and cell.get("cell_type") == "code":
            cell.metadata["nbgrader"] = dict(tests[check])
            wanted.discard(check)                          # one test cell per exercise
    return nb


def prepare_handins(handins: Path, course: Path) -> Prepared:
    """Graft the course's metadata into each hand-in under ``handins``; write them to ``course/submitted``."""
    lessons = course_lessons(course)
    tests = {n: test_metadata(nbformat.read(p, as_version=4)) for n, p in lessons.items()}
    subs, ignored = discover(handins)
    done = Prepared(skipped=list(ignored))
    for sub in subs:
        if sub.problem or sub.lesson is None:        # a link, a FIFO, a linked folder: never opened
            done.skipped.append(f"{sub.name}: {sub.problem or 'not a notebook file'}")
            continue
        if sub.lesson not in lessons:
            done.skipped.append(f"{sub.name}: lesson {sub.lesson:02d} is not in the course")
            continue
        try:
            nb = read_notebook(read_submission(handins, sub), sub.name)
        except (Unreadable, OSError) as err:
            done.skipped.append(f"{sub.name}: {err}")
            continue
        source = lessons[sub.lesson]
        dest = course / "submitted" / sub.student / source.parent.name / source.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(graft(nb, sub.lesson, tests[sub.lesson]), dest)
        done.written.append(dest)
    return done
