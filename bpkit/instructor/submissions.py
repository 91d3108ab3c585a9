r"""Finding the submitted notebooks, and the code in them that the grader runs.

Two layouts of the submissions folder are understood (they may be mixed):

**A folder per student** -- the student is the folder's name, the lesson the
two digits that start the notebook's name::

    submissions/alice/03-output-error.ipynb
    submissions/bob/03-output-error.ipynb

**Flat files** -- the student's name and the lesson's file name joined by an
underscore, in either order (an LMS download usually looks like this; the
lesson's part has no underscore)::

    submissions/alice_03-output-error.ipynb
    submissions/03-output-error_bob.ipynb

Hidden files and folders (``.ipynb_checkpoints``) are skipped; other files
that name no lesson are listed as ignored. A file that names a lesson is a
submission even when it is not a notebook, so that it gets a row saying so.
If a student has two files for one lesson, the one whose name sorts first
is graded and the other is listed as ignored.

Nothing under the submissions folder is followed through a symbolic link:
the folder is walked with descriptors (``O_NOFOLLOW``), a link -- to a file
or to a folder -- gets a row that says so and its target is never opened,
and so does a FIFO, a socket or a device. Names of any bytes are kept
exactly (undecodable bytes as Python's surrogate escapes).

In a notebook, the code of an exercise is the cell tagged
``exercise:<id>``, as handed out; a cell that lost its tag but defines the
exercise's function is used instead (with a note). IPython magics and shell
lines (``%time``, ``!pip``) become ``pass``. The grader runs these cells
only, after a fixed preamble (``import numpy as np``, ``import bpkit``) and
those imports from the notebook's other cells that the exercise cells use.

>>> parse_name("alice_03-output-error.ipynb")
('alice', 3)
>>> parse_name("03-output-error_bob.ipynb")
('bob', 3)
>>> lesson_of("07-batches.ipynb")
7
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..grader.cellscope import parse

#: A lesson's file name: two digits, a dash, a topic without underscores.
_LESSON = r"(?P<lesson>\d{2})-[^_/\\]*"
_FLAT = (re.compile(rf"^(?P<student>.+?)_{_LESSON}$"), re.compile(rf"^{_LESSON}_(?P<student>.+)$"))
_IN_FOLDER = re.compile(r"^(?P<lesson>\d{2})-")
#: Largest notebook read (bytes).
MAX_NOTEBOOK = 20 * 1024 * 1024
#: Largest code cell parsed (characters): an exercise cell is a few hundred.
MAX_CELL = 200_000
#: Most cells a notebook may have.
MAX_CELLS = 5000
#: Always run before the exercise cells.
PREAMBLE = ("import numpy as np", "import bpkit")
EXERCISE_TAG = "exercise:"
#: How a cell too large to parse is described.
TOO_LARGE = "the cell is too large to grade"
_MAGIC = re.compile(r"^(\s*)[%!]")


@dataclass(frozen=True)
class Submission:
    """One submitted entry: who, which lesson, where (``name`` is relative to the submissions folder).

    ``problem`` says why it cannot be read at all (a symbolic link, a FIFO);
    ``lesson`` is None for a linked folder, whose lessons are not looked at.
    """

    student: str
    lesson: int | None
    path: Path
    name: str
    problem: str | None = None

    @property
    def sort_key(self) -> tuple:
        return (self.student.casefold(), self.student, -1 if self.lesson is None else self.lesson, self.name)


def parse_name(filename: str) -> tuple[str, int] | None:
    """``(student, lesson)`` from a flat file name, or ``None``."""
    stem = Path(filename).stem if filename.endswith(".ipynb") else filename
    for pattern in _FLAT:
        m = pattern.match(stem)
        if m and m["student"].strip(" _-."):
            return m["student"].strip(" _-."), int(m["lesson"])
    return None


def lesson_of(filename: str) -> int | None:
    """The lesson of a file inside a student's folder (``NN-topic...``), or ``None``."""
    m = _IN_FOLDER.match(filename)
    return int(m["lesson"]) if m else None


def _kind(mode: int) -> str | None:
    """Why an entry that is not a plain file cannot be a submission (None for a plain file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "a symbolic link, not followed (hand in the notebook itself)"
    if stat.S_ISFIFO(mode):
        return "not a regular file (a FIFO)"
    if stat.S_ISSOCK(mode):
        return "not a regular file (a socket)"
    device = stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
    return "not a regular file (a device)" if device else "not a regular file"


def _entries(fd: int) -> list[tuple[str, int]]:
    """``(name, lstat mode)`` of every entry of an open folder, sorted by name, hidden ones left out."""
    out = []
    for name in sorted(os.listdir(fd)):
        if name.startswith("."):
            continue
        try:
            out.append((name, os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode))
        except OSError:
            continue
    return out


def _open_folder(name: str, dir_fd: int) -> int:
    return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)


def discover(folder: Path) -> tuple[list[Submission], list[str]]:
    """Every submission in ``folder`` (sorted), and the files ignored (with why)."""
    found: dict[tuple[str, int | None], list[Submission]] = {}
    ignored: list[str] = []
    top = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for name, mode in _entries(top):
            if stat.S_ISDIR(mode):
                _discover_student(top, name, folder, found, ignored)
                continue
            parsed = parse_name(name)
            if parsed is None:
                if stat.S_ISLNK(mode):          # perhaps a linked student folder: a row, never followed
                    found.setdefault((name, None), []).append(Submission(name, None, folder / name, name,
                                                                         "a symbolic link, not followed"))
                else:
                    ignored.append(f"{name}: names no student and lesson (student_NN-topic.ipynb)")
                continue
            student, lesson = parsed
            found.setdefault((student, lesson), []).append(
                Submission(student, lesson, folder / name, name, _kind(mode)))
    finally:
        os.close(top)
    subs = []
    for (student, lesson), items in found.items():
        items.sort(key=lambda s: (s.problem is not None, not s.name.endswith(".ipynb"), s.name))
        subs.append(items[0])
        what = f"lesson {lesson:02d}" if lesson is not None else "no lesson"
        ignored += [f"{s.name}: a second file for {student}, {what} ({items[0].name} is graded)"
                    for s in items[1:]]
    return sorted(subs, key=lambda s: s.sort_key), sorted(ignored)


def _discover_student(top: int, student: str, folder: Path, found: dict, ignored: list[str]) -> None:
    try:
        fd = _open_folder(student, top)
    except OSError as err:
        found.setdefault((student, None), []).append(
            Submission(student, None, folder / student, student,
                       f"the folder cannot be read ({err.strerror})"))
        return
    try:
        for name, mode in _entries(fd):
            rel = f"{student}/{name}"
            lesson = lesson_of(name) if not stat.S_ISDIR(mode) else None
            if lesson is None:
                ignored.append(f"{rel}: does not start with a lesson number (NN-)")
                continue
            found.setdefault((student, lesson), []).append(
                Submission(student, lesson, folder / student / name, rel, _kind(mode)))
    finally:
        os.close(fd)


def read_submission(folder: Path, sub: Submission, limit: int = MAX_NOTEBOOK) -> bytes:
    """The bytes of a submitted file, opened without following any link; :class:`Unreadable` if not."""
    if sub.problem:
        raise Unreadable(sub.problem)
    parts = sub.name.split("/")
    fds = [os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)]
    try:
        for part in parts[:-1]:
            fds.append(_open_folder(part, fds[-1]))
        try:
            fds.append(os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                               dir_fd=fds[-1]))
        except OSError as err:
            raise Unreadable("a symbolic link, not followed (hand in the notebook itself)"
                             if err.errno == 40 else f"cannot read the file ({err.strerror})") from None
        st = os.fstat(fds[-1])
        problem = _kind(st.st_mode)
        if problem:
            raise Unreadable(problem)
        if st.st_size > limit:
            raise Unreadable(f"the file is too large ({st.st_size / (1024 * 1024):.1f} MB; at most "
                             f"{limit // (1024 * 1024)} MB)")
        data = os.read(fds[-1], limit + 1)
        while len(data) <= limit:
            chunk = os.read(fds[-1], limit + 1 - len(data))
            if not chunk:
                break
            data += chunk
        if len(data) > limit:
            raise Unreadable(f"the file is too large (more than {limit // (1024 * 1024)} MB)")
        return data
    except OSError as err:
        raise Unreadable(f"cannot read the file ({err.strerror})") from None
    finally:
        for fd in reversed(fds):
            os.close(fd)


def in_shard(student: str, shard: tuple[int, int] | None) -> bool:
    """Whether ``student`` is in shard ``(i, n)`` (1-based); a student's lessons all go to one shard."""
    if shard is None:
        return True
    i, n = shard
    h = int.from_bytes(hashlib.sha256(student.encode("utf-8", "surrogateescape")).digest()[:8], "big")
    return h % n == i - 1


# --------------------------------------------------------------------------- notebooks


class Unreadable(Exception):
    """The file is not a notebook that can be graded."""


def read_notebook(data: bytes, name: str) -> Any:
    """Parse a submitted notebook (an nbformat ``NotebookNode``); :class:`Unreadable` with a short reason
    if it is not one. Sizes are checked before the JSON is parsed, by :mod:`json` alone."""
    if not name.endswith(".ipynb"):
        raise Unreadable(f"not a notebook ({Path(name).suffix or 'no extension'}; expected .ipynb)")
    if len(data) > MAX_NOTEBOOK:
        raise Unreadable(f"the file is too large ({len(data) // (1024 * 1024)} MB)")
    if not data.strip():
        raise Unreadable("the file is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("not a notebook (the file is not text; was it saved as a notebook?)") from None
    import nbformat

    try:                                # plain JSON, not schema-validated: what the grader needs is checked
        nb = json.loads(text)
        if isinstance(nb, dict) and nb.get("nbformat") != 4 and "worksheets" in nb:
            nb = nbformat.convert(nbformat.from_dict(nb), 4)    # an old (version 3) notebook
    except Exception as err:  # noqa: BLE001 -- any parse failure is a corrupt file
        raise Unreadable(f"not a valid notebook ({type(err).__name__}: {_first_line(err)})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise Unreadable("not a valid notebook (it has no cells)")
    if len(nb["cells"]) > MAX_CELLS:
        raise Unreadable(f"the notebook has too many cells ({len(nb['cells'])}; at most {MAX_CELLS})")
    return nbformat.from_dict(nb)


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return (text[0] if text else "")[:120]


def strip_magics(source: str) -> str:
    """IPython magics and shell escapes (lines starting with ``%`` or ``!``) become ``pass``."""
    return "\n".join(_MAGIC.sub(r"\1pass  # ", line) if _MAGIC.match(line) else line
                     for line in source.split("\n"))


@dataclass
class Found:
    """Where an exercise's code is: the cell index, and how it was found (``"tag"`` or ``"def"``)."""

    cell: int
    how: str


@dataclass
class NotebookCode:
    """What the grader runs from one notebook.

    Attributes:
        cells: ``(cell index, source)`` of the cells to run, in notebook order.
        found: exercise id -> where its code is (missing ids: no cell).
        syntax: cell index -> a one-line syntax error (those cells are not run).
        preamble: import statements run before the cells.
        sources: cell index -> source of every code cell small enough to read (for the notes on
            helpers from other cells and on calls of bpkit's own functions).
    """

    cells: list[tuple[int, str]] = field(default_factory=list)
    found: dict[str, Found] = field(default_factory=dict)
    syntax: dict[int, str] = field(default_factory=dict)
    preamble: list[str] = field(default_factory=list)
    sources: dict[int, str] = field(default_factory=dict)


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(str(s) for s in src) if isinstance(src, list) else str(src)


def _tags(cell) -> list[str]:
    metadata = cell.get("metadata")
    tags = metadata.get("tags") if isinstance(metadata, dict) else None
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def _parse(source: str) -> tuple[ast.Module | None, str | None]:
    try:
        return parse(source), None          # serialised: submissions are parsed in threads
    except SyntaxError as err:
        where = f"line {err.lineno}" if err.lineno else "its cell"
        return None, f"SyntaxError at {where}: {err.msg}"
    except (ValueError, RecursionError, MemoryError) as err:
        return None, f"{type(err).__name__}: the cell cannot be compiled"


def extract(nb: dict[str, Any], functions: dict[str, str]) -> NotebookCode:
    """The code to run for the exercises ``functions`` (id -> function name)."""
    code = NotebookCode()
    cells = [(i, c) for i, c in enumerate(nb["cells"])
             if isinstance(c, dict) and c.get("cell_type") == "code"]
    sources = {i: strip_magics(_source(c)) for i, c in cells}
    trees: dict[int, ast.Module | None] = {}

    def tree(i: int) -> ast.Module | None:          # cells are parsed only when needed, if not too large
        if i not in trees:
            if len(sources[i]) > MAX_CELL:
                trees[i], err = None, (f"{TOO_LARGE} ({len(sources[i]) / 1e6:.1f} million characters; "
                                       f"at most {MAX_CELL // 1000} thousand)")
            else:
                trees[i], err = _parse(sources[i])
            if err:
                code.syntax[i] = err
        return trees[i]

    chosen: set[int] = set()
    for ex_id, function in functions.items():
        tagged = [i for i, c in cells if EXERCISE_TAG + ex_id in _tags(c)]
        if tagged:
            chosen.update(tagged)
            code.found[ex_id] = Found(tagged[-1], "tag")
            continue
        defining = [i for i, _ in cells if f"def {function}" in sources[i] and tree(i) is not None and any(
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function
            for node in trees[i].body)]
        if defining:
            chosen.add(defining[-1])
            code.found[ex_id] = Found(defining[-1], "def")
    for i in sorted(chosen):
        tree(i)
    code.cells = [(i, sources[i]) for i, _ in cells if i in chosen and i not in code.syntax]
    used = {n.id for i, _ in code.cells for n in ast.walk(trees[i]) if isinstance(n, ast.Name)}
    preamble = list(PREAMBLE)
    for i, _ in cells:
        if i in chosen or "import" not in sources[i] or tree(i) is None:
            continue
        for node in trees[i].body:
            if isinstance(node, ast.Import):
                names = {a.asname or a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = {a.asname or a.name for a in node.names if a.name != "*"}
            else:
                continue
            statement = ast.unparse(node)
            if names & used and statement not in preamble:
                preamble.append(statement)
    code.preamble = preamble
    code.sources = {i: src for i, src in sources.items() if len(src) <= MAX_CELL}
    return code
