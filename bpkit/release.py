r"""Make the student notebooks in ``lessons/`` from the single source in ``solutions/``.

Each ``solutions/NN-topic.ipynb`` holds the exercise answers between
nbgrader-style markers, each marker alone on its line (indentation allowed)::

    def sigmoid(z):
        ### BEGIN SOLUTION
        return 1 / (1 + np.exp(-z))
        ### END SOLUTION

:func:`release_notebook` writes ``lessons/NN-topic.ipynb`` by these rules:

* a ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region in a **code** cell
  becomes ``# YOUR CODE HERE`` and ``raise NotImplementedError()`` at the
  markers' indentation; in a **Markdown** (or raw) cell it becomes
  ``YOUR ANSWER HERE``;
* a ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` region is removed;
* every code cell with a solution region carries exactly one tag
  ``exercise:<id>``, each id at most once, and (when :mod:`bpkit.grader.exercises`
  exists) a known one; a cell so tagged must have a solution region;
* cell ids, tags and other metadata are kept; the volatile ``execution``
  timing metadata and the notebook's widget state are dropped;
* the outputs of every cell whose source changed are cleared; then the lesson
  is executed (kernel ``python3`` of the current environment, working
  directory = the lessons folder) so its stored outputs are current;
* the file is written atomically (a temporary file, then :func:`os.replace`).

Unbalanced, nested or misspelt markers are refused with an error naming the
notebook, the cell index and the line. :func:`execute_notebook` refreshes a
notebook's stored outputs in place (used for ``solutions/``), and
:func:`lesson_differences` / :func:`sync_problems` tell whether ``lessons/``
is what a release would write, outputs aside.

>>> print(strip_regions("def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"))
def f(x):
    # YOUR CODE HERE
    raise NotImplementedError()
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import importlib
import os
import re
import subprocess
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from . import _files

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
ANSWER_STUB = ("YOUR ANSWER HERE",)
EXERCISE_TAG = "exercise:"
KERNEL_NAME = "python3"
#: Seconds one cell may run before execution is abandoned.
DEFAULT_TIMEOUT = 120

#: A marker line: indentation, then exactly one of the four markers.
_MARKER = re.compile(r"^(?P<indent>[ \t]*)### (?P<edge>BEGIN|END) (?P<kind>SOLUTION|HIDDEN TESTS)\s*$")
#: Anything that looks like a marker; if it is not exactly one, it is refused
#: rather than silently left in the lesson (which would leak an answer).
_MARKER_LIKE = re.compile(r"(^\s*|#)#*\s*(BEGIN|END)\s*(SOLUTION|HIDDEN\s*TESTS)", re.IGNORECASE)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: Notebook metadata set by executing, not by the author.
_VOLATILE_NOTEBOOK_METADATA = ("language_info", "widgets")


class ReleaseError(ValueError):
    """A solutions notebook cannot be released as it is (bad markers or exercise tags)."""


class NotebookExecutionError(RuntimeError):
    """A notebook failed to execute: a cell raised, timed out, or the kernel died."""


@dataclass
class _Where:
    """Where we are, for error messages: ``solutions/01-x.ipynb, cell 3``."""

    notebook: str
    cell: int | None = None

    def __str__(self) -> str:
        return self.notebook if self.cell is None else f"{self.notebook}, cell {self.cell}"


# --------------------------------------------------------------------------- markers


def strip_regions(source: str, cell_type: str = "code", where: str = "<cell>") -> str:
    """Replace solution regions with a stub and remove hidden-test regions.

    Args:
        source: the cell's source.
        cell_type: ``"code"`` (stub ``# YOUR CODE HERE`` / ``raise NotImplementedError()``)
            or anything else (stub ``YOUR ANSWER HERE``).
        where: names the notebook and cell in error messages.

    Returns:
        The new source; unchanged when it has no markers.

    Raises:
        ReleaseError: for a nested, unclosed, unopened, mismatched or misspelt marker.
    """
    stub = CODE_STUB if cell_type == "code" else ANSWER_STUB
    out: list[str] = []
    open_marker: tuple[str, str, int] | None = None     # (kind, indent, line number)
    lines = source.split("\n")
    for number, line in enumerate(lines, start=1):
        m = _MARKER.match(line)
        if m is None:
            if _MARKER_LIKE.search(line):
                raise ReleaseError(
                    f"{where}, line {number}: {line.strip()!r} looks like a marker but is not one; "
                    f"write exactly {BEGIN_SOLUTION!r}, {END_SOLUTION!r}, {BEGIN_HIDDEN!r} or "
                    f"{END_HIDDEN!r} alone on its line"
                )
            if open_marker is None:
                out.append(line)
            continue
        edge, kind, indent = m["edge"], m["kind"], m["indent"]
        if edge == "BEGIN":
            if open_marker is not None:
                raise ReleaseError(
                    f"{where}, line {number}: nested '### BEGIN {kind}' inside the "
                    f"'### BEGIN {open_marker[0]}' of line {open_marker[2]}, which is not closed yet"
                )
            open_marker = (kind, indent, number)
            continue
        if open_marker is None:
            raise ReleaseError(
                f"{where}, line {number}: '### END {kind}' without a '### BEGIN {kind}' before it")
        open_kind, open_indent, open_number = open_marker
        if kind != open_kind:
            raise ReleaseError(
                f"{where}, line {number}: '### END {kind}' closes the '### BEGIN {open_kind}' of line "
                f"{open_number}; expected '### END {open_kind}'"
            )
        if indent != open_indent:
            raise ReleaseError(
                f"{where}, line {number}: '### END {kind}' is indented {len(indent)} characters but its "
                f"'### BEGIN {kind}' (line {open_number}) is indented {len(open_indent)}; indent them alike"
            )
        if kind == "SOLUTION":
            out.extend(indent + s for s in stub)
        open_marker = None
    if open_marker is not None:
        raise ReleaseError(
            f"{where}, line {open_marker[2]}: '### BEGIN {open_marker[0]}' is never closed "
            f"(add '### END {open_marker[0]}')"
        )
    return "\n".join(out)


def _has_solution(source: str) -> bool:
    return any((m := _MARKER.match(line)) and m["kind"] == "SOLUTION" for line in source.split("\n"))


def exercise_ids(cell: NotebookNode) -> list[str]:
    """The ids of the cell's ``exercise:<id>`` tags."""
    tags = cell.get("metadata", {}).get("tags", [])
    return [t[len(EXERCISE_TAG):] for t in tags if t.startswith(EXERCISE_TAG)]


def known_exercise_ids() -> Collection[str] | None:
    """The exercise ids of :data:`bpkit.grader.exercises.EXERCISES`, or ``None`` if it does not exist yet."""
    try:
        module = importlib.import_module("bpkit.grader.exercises")
    except ModuleNotFoundError as err:
        if err.name in ("bpkit.grader", "bpkit.grader.exercises"):
            return None
        raise
    registry = getattr(module, "EXERCISES", None)
    return None if registry is None else set(registry)


_UNSET = object()


def check_exercises(nb: NotebookNode, name: str,
                    known: Collection[str] | None | object = _UNSET) -> list[str]:
    """Check the exercise tags of a solutions notebook and return its exercise ids in order.

    Args:
        nb: the solutions notebook.
        name: its name, for error messages.
        known: the valid ids; by default those of the grader's registry, and
            no check of the ids themselves when the registry does not exist.

    Raises:
        ReleaseError: a bad marker (see :func:`strip_regions`); a code cell
            with a solution region but no (or several) ``exercise:`` tags; a
            tag on a cell without a solution region or on a non-code cell; an
            unknown id; an id used twice.
    """
    if known is _UNSET:
        known = known_exercise_ids()
    seen: dict[str, int] = {}
    for index, cell in enumerate(nb.cells):
        where = _Where(name, index)
        strip_regions(cell.source, cell.cell_type, str(where))      # bad markers first: the clearer error
        ids = exercise_ids(cell)
        has_solution = _has_solution(cell.source)
        if cell.cell_type != "code":
            if ids:
                raise ReleaseError(
                    f"{where}: an 'exercise:' tag belongs on a code cell, not a {cell.cell_type} cell")
            continue
        if has_solution and not ids:
            raise ReleaseError(
                f"{where}: has a '{BEGIN_SOLUTION}' region but no 'exercise:<id>' tag; "
                "tag the cell with the id of its exercise (see spec/EXERCISES.md)"
            )
        if len(ids) > 1:
            raise ReleaseError(f"{where}: has {len(ids)} exercise tags {ids}; one cell holds one exercise")
        if ids and not has_solution:
            raise ReleaseError(
                f"{where}: is tagged 'exercise:{ids[0]}' but has no '{BEGIN_SOLUTION}' region, "
                "so its answer would be handed out as it is"
            )
        for ex in ids:
            if known is not None and ex not in known:
                close = difflib.get_close_matches(ex, sorted(known), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ReleaseError(f"{where}: unknown exercise id {ex!r}{hint}")
            if ex in seen:
                raise ReleaseError(f"{where}: exercise id {ex!r} is already used by cell {seen[ex]}")
            seen[ex] = index
    return list(seen)


def check_unique_exercises(paths: Iterable[str | os.PathLike],
                           known: Collection[str] | None | object = _UNSET) -> dict[str, Path]:
    """Check that no exercise id is used in two notebooks; return ``{id: notebook}``.

    Each notebook is also checked on its own by :func:`check_exercises`.
    """
    if known is _UNSET:
        known = known_exercise_ids()
    owner: dict[str, Path] = {}
    for path in map(Path, paths):
        for ex in check_exercises(nbformat.read(path, as_version=4), str(path), known):
            if ex in owner:
                raise ReleaseError(f"{path}: exercise id {ex!r} is already used in {owner[ex]}")
            owner[ex] = path
    return owner


# --------------------------------------------------------------------------- the lesson


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _strip_volatile(nb: NotebookNode) -> None:
    """Drop what changes from run to run: cells' ``execution`` timestamps and widget state.

    A widget view's ``model_id`` is random and, once the widget state is
    dropped, points at nothing; it is replaced by one derived from the cell
    id, so executing a notebook twice writes the same file.
    """
    nb.metadata.pop("widgets", None)
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        for number, output in enumerate(cell.get("outputs", [])):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if isinstance(view, dict) and "model_id" in view:
                key = f"{cell.get('id', index)}:{number}".encode()
                view["model_id"] = hashlib.sha256(key).hexdigest()[:32]


#: The line ``bpkit release --no-hints`` puts first in a lesson's first code cell.
HINTS_OFF_LINE = "import bpkit.grader; bpkit.grader.hints_off()  # graded work: checks show no hints"


def hints_off_cell(lesson: NotebookNode) -> None:
    """Put :data:`HINTS_OFF_LINE` first in the lesson's first code cell (its set-up cell)."""
    for cell in lesson.cells:
        if cell.cell_type == "code":
            if not cell.source.startswith(HINTS_OFF_LINE):
                cell.source = HINTS_OFF_LINE + ("\n" + cell.source if cell.source else "")
                cell.outputs = []
                cell.execution_count = None
            return
    lesson.cells.insert(0, nbformat.v4.new_code_cell(HINTS_OFF_LINE))


def make_lesson(solution: NotebookNode, name: str = "<notebook>",
                known: Collection[str] | None | object = _UNSET, hints: bool = True) -> NotebookNode:
    """The lesson notebook for a solutions notebook (not executed; ``solution`` is not changed).

    Cells whose source changed lose their outputs and execution count; other
    cells keep theirs, so run :func:`execute` afterwards for current outputs.
    With ``hints=False`` (``bpkit release --no-hints``, for graded work) the
    first code cell starts with :data:`HINTS_OFF_LINE`, so the lesson's checks
    show no hints and no pointer to them.
    """
    check_exercises(solution, name, known)
    lesson = copy.deepcopy(solution)
    for index, cell in enumerate(lesson.cells):
        new = strip_regions(cell.source, cell.cell_type, str(_Where(name, index)))
        if new != cell.source:
            cell.source = new
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
    if not hints:
        hints_off_cell(lesson)
    _strip_volatile(lesson)
    return lesson


# --------------------------------------------------------------------------- executing


def _kernel_manager():
    """A kernel manager for ``python3`` that always runs *this* Python's ipykernel.

    A ``python3`` kernelspec installed elsewhere (in the user's home, say)
    might point at another interpreter without bpkit; this one cannot.
    """
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    class CurrentEnvKernelSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str):
            if kernel_name == KERNEL_NAME:
                return self.kernel_spec_class(resource_dir=RESOURCES, **get_kernel_dict())
            return super().get_kernel_spec(kernel_name)

    return AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=CurrentEnvKernelSpecs())


def execute(nb: NotebookNode, cwd: str | os.PathLike, timeout: float = DEFAULT_TIMEOUT,
            name: str = "<notebook>") -> NotebookNode:
    """Execute every code cell of ``nb`` in place, in a fresh kernel started in ``cwd``.

    The outputs are stored as a front end would; the run adds no timing
    metadata and no widget state, so executing twice gives the same file.

    Raises:
        NotebookExecutionError: naming the notebook and cell that failed.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellControlSignal, DeadKernelError

    current = {"index": None}

    def on_cell_start(cell: NotebookNode, cell_index: int) -> None:
        current["index"] = cell_index

    client = NotebookClient(
        nb, km=_kernel_manager(), kernel_name=KERNEL_NAME, timeout=timeout,
        record_timing=False, on_cell_start=on_cell_start,
        resources={"metadata": {"path": str(cwd)}},
    )
    # The kernel inherits our environment, except MPLBACKEND: a non-inline
    # backend there would make every figure vanish from the stored outputs.
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    try:
        # cleanup_kc: shut this notebook's kernel down when it is done (nbclient keeps kernels
        # alive that run under a manager it was given, until the whole command exits).
        client.execute(env=env, stderr=subprocess.DEVNULL, cleanup_kc=True)
    except (CellControlSignal, DeadKernelError) as err:   # a cell raised or timed out; kernel died
        where = _Where(name, current["index"])
        reason = "timed out" if isinstance(err, TimeoutError) else "failed"
        text = _ANSI.sub("", str(err))                     # tracebacks come coloured for a terminal
        raise NotebookExecutionError(f"{where}: execution {reason}:\n{text}") from err
    _strip_volatile(nb)
    return nb


def write_atomic(nb: NotebookNode, path: str | os.PathLike) -> None:
    """Validate ``nb`` and write it to ``path`` atomically (see :func:`bpkit._files.write_atomic`)."""
    nbformat.validate(nb)
    text = nbformat.writes(nb)
    _files.write_atomic(path, text if text.endswith("\n") else text + "\n")


def execute_notebook(path: str | os.PathLike, timeout: float = DEFAULT_TIMEOUT) -> NotebookNode:
    """Refresh a notebook's stored outputs in place (run in its own folder); return it."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    execute(nb, path.parent, timeout, str(path))
    write_atomic(nb, path)
    return nb


# --------------------------------------------------------------------------- releasing


def release_notebook(solution: str | os.PathLike, lesson: str | os.PathLike, run: bool = True,
                     timeout: float = DEFAULT_TIMEOUT, hints: bool = True) -> NotebookNode:
    """Write the lesson for one solutions notebook (executed unless ``run`` is false); return it.

    ``hints=False``: the lesson's checks show no hints (see :func:`make_lesson`)."""
    solution, lesson = Path(solution), Path(lesson)
    nb = make_lesson(nbformat.read(solution, as_version=4), str(solution), hints=hints)
    lesson.parent.mkdir(parents=True, exist_ok=True)
    if run:
        execute(nb, lesson.parent, timeout, str(lesson))
    write_atomic(nb, lesson)
    return nb


def solution_notebooks(solutions_dir: str | os.PathLike) -> list[Path]:
    """The ``*.ipynb`` files of ``solutions_dir``, sorted (checkpoints are not included)."""
    return sorted(Path(solutions_dir).glob("*.ipynb"))


# --------------------------------------------------------------------------- in sync?


def _comparable(nb: NotebookNode) -> tuple[dict, list[dict]]:
    """What must agree between a lesson and its release: everything but outputs."""
    meta = {k: v for k, v in nb.metadata.items() if k not in _VOLATILE_NOTEBOOK_METADATA}
    cells = [{k: v for k, v in c.items() if k not in ("outputs", "execution_count")} for c in nb.cells]
    return meta, cells


def compare_lessons(expected: NotebookNode, actual: NotebookNode, max_lines: int = 12) -> list[str]:
    """Differences between two lesson notebooks, outputs and execution counts ignored.

    Returns a list of short, human-readable lines (empty when they agree).
    """
    exp_meta, exp_cells = _comparable(expected)
    act_meta, act_cells = _comparable(actual)
    problems = []
    if exp_meta != act_meta:
        problems.append(f"notebook metadata differs: expected {exp_meta!r}, found {act_meta!r}")
    if len(exp_cells) != len(act_cells):
        problems.append(f"expected {len(exp_cells)} cells, found {len(act_cells)}")
    for index, (e, a) in enumerate(zip(exp_cells, act_cells, strict=False)):
        for key in sorted(set(e) | set(a)):
            if e.get(key) == a.get(key):
                continue
            label = f"cell {index} (id {e.get('id', '?')})"
            if key == "source":
                diff = list(difflib.unified_diff(
                    a["source"].splitlines(), e["source"].splitlines(),
                    "found", "expected", lineterm="", n=1))
                more = [f"... {len(diff) - max_lines} more diff lines"] if len(diff) > max_lines else []
                problems.append(f"{label}: source differs\n    " + "\n    ".join(diff[:max_lines] + more))
            else:
                problems.append(f"{label}: {key} differs: expected {e.get(key)!r}, found {a.get(key)!r}")
    return problems


def lesson_differences(solution: str | os.PathLike, lesson: str | os.PathLike) -> list[str]:
    """How ``lesson`` differs from what :func:`release_notebook` would make of ``solution``."""
    solution, lesson = Path(solution), Path(lesson)
    if not lesson.exists():
        return [f"{lesson} is missing: run `bpkit release {solution}`"]
    expected = make_lesson(nbformat.read(solution, as_version=4), str(solution))
    return [f"{lesson}: {p}" for p in compare_lessons(expected, nbformat.read(lesson, as_version=4))]


def sync_problems(solutions_dir: str | os.PathLike, lessons_dir: str | os.PathLike) -> list[str]:
    """Every way ``lessons_dir`` differs from a release of ``solutions_dir`` (outputs ignored).

    Includes lessons without a solutions notebook and exercise ids used in
    two notebooks. An empty list means in sync.
    """
    solutions_dir, lessons_dir = Path(solutions_dir), Path(lessons_dir)
    solutions = solution_notebooks(solutions_dir)
    problems: list[str] = []
    try:
        check_unique_exercises(solutions)
    except ReleaseError as err:
        problems.append(str(err))
    for solution in solutions:
        try:
            problems += lesson_differences(solution, lessons_dir / solution.name)
        except ReleaseError as err:
            problems.append(str(err))
    names = {s.name for s in solutions}
    for lesson in sorted(lessons_dir.glob("*.ipynb")):
        if lesson.name not in names:
            problems.append(f"{lesson} has no {solutions_dir / lesson.name}: delete it or add its solution")
    return problems
