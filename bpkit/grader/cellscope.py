"""Names an exercise cell borrows from other cells, and what to tell the student about them.

Graded work runs each exercise cell alone (after ``import numpy as np``,
``import bpkit`` and the notebook's own import lines). A function that calls a
helper, or reads a constant, defined in another cell works in the lesson and
fails under grading with a ``NameError``. The lesson check and the
instructor's grade use the same two functions here, so they say the same
thing in the same words:

* :func:`names_from_other_cells` -- which names, read from source only (no
  code of the student's is run);
* :func:`other_cell_message` -- the explanation and the fix.

>>> cell = "def relu_prime(z):\\n    return step(z)\\n"
>>> others = ["import numpy as np", "def step(z):\\n    return (z > 0) * 1.0"]
>>> names_from_other_cells("relu_prime", cell, others)
['step']
>>> names_from_other_cells("relu_prime", cell + "def step(z):\\n    return z > 0\\n", others)
[]
"""

from __future__ import annotations

import ast
import builtins
import linecache
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

_BUILTINS = frozenset(dir(builtins)) | {"__name__", "__file__", "get_ipython", "display"}


#: CPython 3.11's ast.parse is not safe in concurrent threads (seen here: "SystemError: AST
#: constructor recursion depth mismatch" while bpkit grade's threads parsed cells), so every
#: parse of the trusted side goes through :func:`parse`, one at a time.
PARSE_LOCK = threading.Lock()


def parse(source: str) -> ast.Module:
    """ast.parse, serialised across threads (it raises what ast.parse raises).

    CPython 3.11's traceback module also parses (for its carets) in whatever thread
    formats an exception, which no lock here covers; the SystemError of that race is
    transient, so the parse is retried.
    """
    for _ in range(4):
        try:
            with PARSE_LOCK:
                return ast.parse(source)
        except SystemError:
            continue
    with PARSE_LOCK:
        return ast.parse(source)      # a fifth failure is not transient: let it raise


def _parse(source: str) -> ast.Module | None:
    try:
        return parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _target_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def bound_at_top(tree: ast.Module) -> set[str]:
    """Names a cell binds at its top level: defs, classes, assignments, imports, loop targets."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        else:
            names |= _target_names(node)
    return names


def imported(tree: ast.Module) -> set[str]:
    """Names bound by import statements anywhere in a cell (they are part of the grading preamble)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def _local_names(fn: ast.AST) -> set[str]:
    """Every name a function binds anywhere inside it (arguments, assignments, nested defs)."""
    names = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not fn:
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def free_names(tree: ast.Module, function: str) -> list[str]:
    """Global names the top-level ``def function`` of a cell reads, in order of first use."""
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef)
    defs = [n for n in tree.body if isinstance(n, kinds) and n.name == function]
    if not defs:
        return []
    fn = defs[-1]
    local = _local_names(fn)
    seen: dict[str, None] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in local:
            seen.setdefault(node.id, None)
    return [n for n in seen if n not in _BUILTINS]


def names_from_other_cells(function: str, cell: str, others: Iterable[str]) -> list[str]:
    """Names ``function`` (defined in ``cell``) reads that only another cell defines.

    ``others`` are the sources of the notebook's other cells. Imports are not
    counted (grading runs the notebook's import lines first), nor names no
    cell defines (that is a plain ``NameError``, which the lesson shows too).
    """
    tree = _parse(cell)
    if tree is None:
        return []
    wanted = [n for n in free_names(tree, function) if n not in bound_at_top(tree)]
    if not wanted:
        return []
    elsewhere: set[str] = set()
    imports = imported(tree)
    for source in others:
        other = _parse(source)
        if other is not None:
            elsewhere |= bound_at_top(other)
            imports |= imported(other)
    return [n for n in wanted if n in elsewhere and n not in imports]


def other_cell_message(function: str, names: Sequence[str]) -> str:
    """The explanation both the lesson check and ``bpkit grade`` give for :func:`names_from_other_cells`.

    >>> print(other_cell_message("backward", ["relu", "EPS"]))
    backward uses relu and EPS, defined in another cell. Graded work runs this exercise cell alone, where \
they do not exist (NameError). Fix: define relu and EPS inside this cell too.
    """
    listed = " and ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " and " + names[-1]
    pronoun = "it does" if len(names) == 1 else "they do"
    return (f"{function} uses {listed}, defined in another cell. Graded work runs this exercise cell "
            f"alone, where {pronoun} not exist (NameError). Fix: define {listed} inside this cell too.")


def lesson_names_from_other_cells(fn: Callable[..., Any]) -> list[str]:
    """:func:`names_from_other_cells` for a function defined in a running notebook (the lesson side).

    The cell's source comes from the line cache IPython keeps for each cell,
    the other cells from IPython's input history ``In``. Outside IPython, or
    for a function not defined in a cell, the answer is ``[]``.
    """
    code = getattr(fn, "__code__", None)
    glob = getattr(fn, "__globals__", None)
    history = glob.get("In") if isinstance(glob, dict) else None
    if code is None or not isinstance(history, list):
        return []
    cell = "".join(linecache.getlines(code.co_filename))
    if not cell:
        return []
    others = [s for s in history if isinstance(s, str) and s.strip() != cell.strip()]
    return names_from_other_cells(getattr(fn, "__name__", ""), cell, others)
