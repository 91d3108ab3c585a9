"""Writing an nbgrader course from ``solutions/``: ``bpkit export nbgrader -o COURSE``.

::

    COURSE/
      nbgrader_config.py               the per-cell timeout; missing test cells are re-added
      source/<assignment>/NN-topic.ipynb

Each solution notebook is copied with nbgrader's metadata added:

* every exercise cell (tagged ``exercise:<id>``) becomes a *solution* cell
  whose ``grade_id`` is the exercise id, so ``nbgrader generate_assignment``
  turns its ``### BEGIN SOLUTION`` region into the same stub ``bpkit release``
  writes;
* each check cell (tagged ``check:<id>``) becomes a locked *autograder
  test* cell worth ``points`` (see :func:`course_notebook` for why it replaces
  the check cell rather than following it), which calls
  :func:`bpkit.export.autograde_cell.autograde`: it prints bpkit's report and
  ends with the points earned, which nbgrader takes as partial credit. Its
  hidden cases sit between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN
  TESTS``, so students do not see them, and are drawn from ``$BPKIT_SECRET``
  when ``nbgrader autograde`` runs -- the secret is never written to the course.

By default each lesson is its own assignment, named after its notebook
(``03-output-error``); ``groups`` puts several lessons in one assignment.

>>> parse_group("ps1=00-02,05")
('ps1', [0, 1, 2, 5])
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..grader import EXERCISES

SCHEMA_VERSION = 3
EXERCISE_TAG, CHECK_TAG = "exercise:", "check:"
SOLUTION_MARK = "### BEGIN SOLUTION"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class ExportError(Exception):
    """Bad input to an export (an unknown lesson in a group, a cell naming an unknown exercise, ...)."""


@dataclass
class CourseOptions:
    """What the exported course grades with.

    ``points`` per exercise; ``hidden_cases`` per exercise, drawn from ``$BPKIT_SECRET``
    at autograde time; ``timeout`` seconds per phase of one test cell; ``groups`` maps an
    assignment's name to its lesson numbers (empty: one assignment per lesson).
    """

    points: float = 1.0
    hidden_cases: int = 0
    timeout: float = 30.0
    groups: dict[str, list[int]] = field(default_factory=dict)

    @property
    def cell_timeout(self) -> int:
        """nbgrader's limit for one cell: a test cell's two phases, plus the lessons' slowest cells."""
        return int(2 * self.timeout + 60)


def parse_group(spec: str) -> tuple[str, list[int]]:
    """``"NAME=LESSONS"`` with LESSONS like ``00-02,05`` -> ``(NAME, [0, 1, 2, 5])``."""
    name, sep, lessons = spec.partition("=")
    if not sep or not _NAME.match(name.strip()) or not lessons.strip():
        raise ExportError(f"--assignment {spec!r}: write NAME=LESSONS, e.g. ps1=00-03 or ps2=04,05")
    numbers: list[int] = []
    for part in lessons.split(","):
        lo, dash, hi = part.strip().partition("-")
        if not lo.isdigit() or (dash and not hi.isdigit()):
            raise ExportError(f"--assignment {spec!r}: {part!r} is not a lesson number or range (04, 00-03)")
        numbers += list(range(int(lo), int(hi) + 1)) if dash else [int(lo)]
    return name.strip(), numbers


def lesson_number(path: Path) -> int:
    if not re.match(r"^\d{2}-", path.name):
        raise ExportError(f"{path.name}: a lesson's notebook is named NN-topic.ipynb")
    return int(path.name[:2])


def assignments(notebooks: list[Path], groups: dict[str, list[int]]) -> dict[str, list[Path]]:
    """Assignment name -> its notebooks: one per lesson, or the instructor's ``groups``."""
    by_lesson = {lesson_number(p): p for p in notebooks}
    if not groups:
        return {p.stem: [p] for p in notebooks}
    out: dict[str, list[Path]] = {}
    for name, lessons in groups.items():
        missing = [n for n in lessons if n not in by_lesson]
        if missing:
            raise ExportError(f"assignment {name}: no solution notebook for lesson "
                              + ", ".join(f"{n:02d}" for n in missing))
        out[name] = [by_lesson[n] for n in sorted(set(lessons))]
    return out


def _tagged(cell: dict, prefix: str) -> str | None:
    tags = [t for t in cell.get("metadata", {}).get("tags", []) if t.startswith(prefix)]
    return tags[-1][len(prefix):] if tags else None


def test_source(exercise_id: str, opts: CourseOptions) -> str:
    """The source of the autograder test cell of an exercise."""
    ex = EXERCISES[exercise_id]
    lines = [f"# Autograder test (locked): bpkit's verdict on {ex.display_name}, worth {opts.points:g} "
             f"point{'s' if opts.points != 1 else ''}.",
             "from bpkit.export.autograde_cell import autograde", ""]
    if opts.hidden_cases:
        lines += ["_hidden = 0", "### BEGIN HIDDEN TESTS",
                  f"_hidden = {int(opts.hidden_cases)}   # more cases, drawn from $BPKIT_SECRET",
                  "### END HIDDEN TESTS"]
    hidden = "_hidden" if opts.hidden_cases else "0"
    lines.append(f"autograde({exercise_id!r}, globals(), points={float(opts.points)!r}, "
                 f"hidden_cases={hidden}, timeout={float(opts.timeout)!r})")
    return "\n".join(lines)


def solution_metadata(grade_id: str) -> dict:
    return {"solution": True, "grade": False, "locked": False, "grade_id": grade_id,
            "schema_version": SCHEMA_VERSION}


def test_cell(exercise_id: str, opts: CourseOptions) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(test_source(exercise_id, opts))
    cell.id = f"{exercise_id}-autograder"[:64]
    cell.metadata["nbgrader"] = {"solution": False, "grade": True, "locked": True,
                                 "points": float(opts.points), "grade_id": f"{exercise_id}-autograder",
                                 "schema_version": SCHEMA_VERSION}
    cell.metadata["editable"] = False
    cell.metadata["deletable"] = False
    return cell


def course_notebook(nb: nbformat.NotebookNode, opts: CourseOptions, name: str = "") -> nbformat.NotebookNode:
    """A solution notebook with nbgrader's metadata; each check cell becomes the exercise's test cell.

    The test cell prints the very report the check cell printed, and gives the points. It takes
    the check cell's place (and keeps its id and tag) rather than following it, because a check
    cell runs the student's function inside the kernel: an ``os._exit`` there would kill the
    kernel and nbgrader would drop the whole notebook. An exercise without a check cell gets its
    test cell right after the exercise cell.
    """
    nb = copy.deepcopy(nb)
    cells: list = []
    pending: dict[str, int] = {}
    for cell in nb.cells:
        ex_id, check = _tagged(cell, EXERCISE_TAG), _tagged(cell, CHECK_TAG)
        if ex_id is not None:
            if ex_id not in EXERCISES:
                raise ExportError(f"{name}: a cell is tagged exercise:{ex_id}, "
                                  "but bpkit has no such exercise")
            cell.metadata["nbgrader"] = solution_metadata(ex_id)
            pending[ex_id] = len(cells)
        elif check is not None and check in pending:
            pending.pop(check)
            test = test_cell(check, opts)
            test.id = cell.get("id") or test.id
            test.metadata["tags"] = list(cell.metadata.get("tags", []))
            cell = test
        elif SOLUTION_MARK in "".join(cell.get("source", "")):
            cell.metadata["nbgrader"] = solution_metadata(f"cell-{cell.get('id') or len(cells)}")
        cells.append(cell)
    for ex_id, index in sorted(pending.items(), key=lambda kv: -kv[1]):
        cells.insert(index + 1, test_cell(ex_id, opts))
    nb.cells = cells
    return nb


def config_text(names: list[str], opts: CourseOptions) -> str:
    """``nbgrader_config.py`` for the course."""
    return "\n".join([
        "# Written by `bpkit export nbgrader`. See nbgrader's documentation for the other options.",
        "c = get_config()  # noqa: F821",
        "",
        "c.CourseDirectory.course_id = 'bpkit'",
        "# Longest time one cell may run (a test cell runs its public and hidden cases, each limited to",
        f"# {opts.timeout:g} s by the test cell itself).",
        f"c.Execute.timeout = {opts.cell_timeout}",
        "# Hand-ins without a test cell (a student deleted it, or they came from `bpkit release` and were",
        "# prepared by `bpkit export nbgrader --prepare-submissions`) get it back from source/.",
        "c.OverwriteCells.add_missing_cells = True",
        ""])


def export_course(solutions: list[Path], out: Path, opts: CourseOptions) -> list[Path]:
    """Write the course to ``out``; return the files written."""
    written = []
    groups = assignments(solutions, opts.groups)
    for name, notebooks in groups.items():
        for path in notebooks:
            nb = course_notebook(nbformat.read(path, as_version=4), opts, path.name)
            dest = out / "source" / name / path.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, dest)
            written.append(dest)
    config = out / "nbgrader_config.py"
    config.write_text(config_text(list(groups), opts))
    return [config] + written
