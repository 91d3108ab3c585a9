"""Point 5 of issue 10: a function that borrows a helper from another cell passes (or fails) in the
lesson with a note, in the same words `bpkit grade` uses (cellscope.other_cell_message)."""

from __future__ import annotations

import ast
import linecache

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from bpkit.grader import cellscope, run_check
from bpkit.grader.cellscope import other_cell_message

HELPER_CELL = "import numpy as np\n\ndef logistic(v):\n    return 1 / (1 + np.exp(-v))\n"
EXERCISE_CELL = "def sigmoid(z):\n    return logistic(z)\n"
SELF_CONTAINED = "import numpy as np\n\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n"


def _define(cells: list[str], number: int = 3) -> dict:
    """Run cells as IPython does: each under its own file name in linecache, `In` holding the history."""
    namespace: dict = {"In": [""]}
    for k, source in enumerate(cells, start=number):
        name = f"/tmp/ipykernel_4242/{k}0000{k}.py"
        linecache.cache[name] = (len(source), None, source.splitlines(keepends=True), name)
        namespace["In"].append(source)
        exec(compile(source, name, "exec"), namespace)
    return namespace


def test_a_helper_from_another_cell_is_named_when_the_check_passes():
    ns = _define([HELPER_CELL, EXERCISE_CELL])
    result = run_check("sigmoid", ns["sigmoid"])
    note = other_cell_message("sigmoid", ["logistic"])
    assert result.passed and note in str(result)
    html = result._repr_html_()
    assert "logistic" in html and "Graded work runs this exercise cell" in html
    assert str(result) == str(run_check("sigmoid", ns["sigmoid"]))            # deterministic


def test_the_note_also_comes_with_a_failing_check():
    ns = _define([HELPER_CELL, "def sigmoid(z):\n    return logistic(-z)\n"])
    result = run_check("sigmoid", ns["sigmoid"])
    assert not result.passed and other_cell_message("sigmoid", ["logistic"]) in str(result)


def test_no_note_for_a_self_contained_cell_or_outside_ipython():
    ns = _define([HELPER_CELL, SELF_CONTAINED])
    assert "another cell" not in str(run_check("sigmoid", ns["sigmoid"]))

    def sigmoid(z):                       # defined in this file: no cell history
        return 1 / (1 + np.exp(-z))

    assert "another cell" not in str(run_check("sigmoid", sigmoid))


def test_lesson_12_notes_each_borrowing_function():
    helper = "import numpy as np\n\ndef one_minus_square(t):\n    return 1 - t ** 2\n"
    rules = ("def add_backward(x, y, grad):\n    return grad, grad\n\n"
             "def mul_backward(x, y, grad):\n    return grad * y, grad * x\n\n"
             "def tanh_backward(x, grad):\n    return grad * one_minus_square(np.tanh(x))\n\n"
             "def exp_backward(x, grad):\n    return grad * np.exp(x)\n\n"
             "def pow_backward(x, n, grad):\n    return grad * n * x ** (n - 1)\n")
    ns = _define([helper, rules])
    fns = {op: ns[f"{op}_backward"] for op in ("add", "mul", "tanh", "exp", "pow")}
    text = str(run_check("op-backward", fns))
    assert other_cell_message("tanh_backward", ["one_minus_square"]) in text
    assert "add_backward uses" not in text


def test_in_a_real_kernel(tmp_path):
    nb = nbformat.v4.new_notebook()
    check = "from bpkit.grader import check_sigmoid\nprint(check_sigmoid(sigmoid))"
    nb.cells = [nbformat.v4.new_code_cell(c) for c in (HELPER_CELL, EXERCISE_CELL, check)]
    resources = {"metadata": {"path": str(tmp_path)}}
    NotebookClient(nb, timeout=60, kernel_name="python3", resources=resources).execute()
    out = "".join(o.get("text", "") for o in nb.cells[2].outputs)
    assert "PASSED" in out and other_cell_message("sigmoid", ["logistic"]) in out


def test_the_trusted_side_parses_only_through_the_serialised_parse():
    """bpkit grade parses cells in threads; CPython 3.11's ast.parse is not thread-safe (a SystemError,
    "AST constructor recursion depth mismatch", was seen grading), so only cellscope.parse may call it."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "bpkit"
    callers = [p.relative_to(root).as_posix() for folder in ("instructor", "export", "grader")
               for p in (root / folder).rglob("*.py") if "ast.parse(" in p.read_text(encoding="utf-8")]
    assert callers == ["grader/cellscope.py"]


def test_parse_retries_the_transient_systemerror_then_lets_a_lasting_one_raise(monkeypatch):
    """The SystemError of the 3.11 race passes on a retry; one that does not pass is raised, not hidden."""
    real_parse, calls = ast.parse, []

    def flaky(source, *args, **kwargs):
        calls.append(source)
        if len(calls) <= 2:
            raise SystemError("AST constructor recursion depth mismatch (before=1, after=2)")
        return real_parse(source, *args, **kwargs)

    monkeypatch.setattr(cellscope.ast, "parse", flaky)
    tree = cellscope.parse("x = 1\n")
    assert isinstance(tree, ast.Module) and len(calls) == 3

    def broken(source, *args, **kwargs):
        calls.append(source)
        raise SystemError("lasting")

    calls.clear()
    monkeypatch.setattr(cellscope.ast, "parse", broken)
    with pytest.raises(SystemError, match="lasting"):
        cellscope.parse("x = 1\n")
    assert len(calls) == 5

    monkeypatch.setattr(cellscope.ast, "parse", real_parse)
    with pytest.raises(SyntaxError):        # what ast.parse raises otherwise goes through at once
        cellscope.parse("def (:\n")
