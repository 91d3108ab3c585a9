"""Submitted notebooks for the instructor-grader tests, built from ``solutions/`` with nbformat.

Every failure mode that ``bpkit grade`` must survive is one entry of
:func:`failure_modes`: the student's name, the file to write (a notebook or
raw bytes), and what its gradebook row must say.
"""

from __future__ import annotations

import copy
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from bpkit.instructor import bwrap

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
LESSONS = ROOT / "lessons"
#: A marker in the command line of processes the "child left running" submission starts (one per
#: test process, so that parallel test runs do not see each other's).
ORPHAN_MARKER = f"bpkit-test-orphan-{os.getpid()}"



def _sandbox_problem() -> str:
    try:
        bwrap.check()
    except bwrap.SandboxUnavailable as err:
        return str(err)
    return ""


#: Why bubblewrap cannot run here ("" when it can): every test that grades needs it.
SANDBOX_PROBLEM = _sandbox_problem()
needs_sandbox = pytest.mark.skipif(bool(SANDBOX_PROBLEM),
                                   reason=f"bubblewrap is unusable here: {SANDBOX_PROBLEM[:200]}")

CORRECT = "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n"


def solution(name: str = "00-welcome") -> nbformat.NotebookNode:
    return nbformat.read(SOLUTIONS / f"{name}.ipynb", as_version=4)


def lesson(name: str = "00-welcome") -> nbformat.NotebookNode:
    return nbformat.read(LESSONS / f"{name}.ipynb", as_version=4)


def with_cell(source: str, exercise: str = "sigmoid", name: str = "00-welcome",
              keep_tag: bool = True) -> nbformat.NotebookNode:
    """The solutions notebook with the exercise cell's source replaced."""
    nb = copy.deepcopy(solution(name))
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if f"exercise:{exercise}" in tags:
            cell.source = source
            if not keep_tag:
                cell.metadata["tags"] = [t for t in tags if not t.startswith("exercise:")]
            return nb
    raise KeyError(exercise)


def save(nb_or_bytes, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb_or_bytes, bytes):
        path.write_bytes(nb_or_bytes)
    else:
        nbformat.write(nb_or_bytes, path)
    return path


@dataclass
class Mode:
    """One submission: who, the file, and what its row must show."""

    student: str
    content: object                 # a notebook or raw bytes
    status: str
    reason: str                     # a substring of the row's reason (case-insensitive)
    filename: str = "00-welcome.ipynb"
    landlock_only: bool = False     # the expectation holds only where Landlock confines workers


def failure_modes(tmp: Path) -> list[Mode]:
    """Every failure mode of the issue, plus correct, buggy and not-attempted submissions."""
    escape = tmp / "escaped.txt"
    py = sys.executable
    return [
        Mode("correct", with_cell(CORRECT), "passed", "all 6 cases passed"),
        Mode("buggy", with_cell("def sigmoid(z):\n    return 1 / (1 + np.exp(z))\n"), "failed",
             "0 of 6 cases passed; case 1: σ(−z) instead of σ(z)"),
        Mode("not-attempted", lesson(), "not-attempted", "still raises NotImplementedError"),
        Mode("corrupt", b'{"cells": [', "unreadable", "not a valid notebook"),
        Mode("binary", bytes(range(256)) * 4, "unreadable", "not a notebook"),
        Mode("pdf", b"%PDF-1.4 not a notebook", "unreadable", "not a notebook (.pdf",
             filename="00-welcome.pdf"),
        Mode("no-cells", with_cell("def my_sigmoid(z):\n    return z\n", keep_tag=False), "missing",
             "no cell tagged exercise:sigmoid"),
        Mode("untagged", with_cell(CORRECT, keep_tag=False), "passed", "found by its def"),
        Mode("syntax-error", with_cell("def sigmoid(z)\n    return 1 / (1 + np.exp(-z))\n"), "error",
             "SyntaxError at line 1"),
        Mode("name-error", with_cell("def sigmoid(z):\n    return 1 / (1 + np.exp(-zz))\n"), "failed",
             "NameError: name 'zz' is not defined"),
        Mode("import-error", with_cell("import not_a_module_xyz\n" + CORRECT), "error",
             "its cell raised ModuleNotFoundError: No module named 'not_a_module_xyz' (line 1"),
        Mode("infinite-loop", with_cell("def sigmoid(z):\n    while True:\n        pass\n"), "timeout",
             "stopped at the time limit of 3 s while running sigmoid on case 1"),
        # untouched pages: quick to ask for, even on a loaded machine
        Mode("memory-bomb", with_cell("def sigmoid(z):\n    hog = []\n    while True:\n"
                                      "        hog.append(np.empty(10**7))\n"), "failed",
             "MemoryError"),
        Mode("os-exit", with_cell("import os\ndef sigmoid(z):\n    os._exit(3)\n"), "crashed",
             "exit status 3"),
        Mode("sys-exit", with_cell("import sys\ndef sigmoid(z):\n    sys.exit('bye')\n"), "failed",
             "raised SystemExit"),
        Mode("keyboard-interrupt", with_cell("def sigmoid(z):\n    raise KeyboardInterrupt\n"), "failed",
             "raised KeyboardInterrupt"),
        Mode("child-left-running", with_cell(
            "import subprocess, sys\n"
            f"subprocess.Popen([{py!r}, '-c', 'import time; time.sleep(300)', {ORPHAN_MARKER!r}],\n"
            "                 start_new_session=True)\n" + CORRECT), "passed", "left 1 process running"),
        Mode("print-flood", with_cell("print('x' * 100_000_000)\n" + CORRECT), "passed",
             "printed more than 256 KiB"),
        Mode("write-outside", with_cell(
            f"def sigmoid(z):\n    open({str(escape)!r}, 'w').write('escaped')\n"
            "    return 1 / (1 + np.exp(-z))\n"), "failed", "No such file or directory"),
        Mode("read-solutions", with_cell(
            f"source = open({str(SOLUTIONS / '00-welcome.ipynb')!r}).read()\n" + CORRECT), "error",
             "No such file or directory"),
        Mode("patch-numpy", with_cell(
            "np.allclose = lambda *a, **k: True\nnp.isclose = lambda a, b, **k: np.ones(np.shape(a), bool)\n"
            "np.array_equal = lambda *a, **k: True\nnp.testing.assert_allclose = lambda *a, **k: None\n"
            "np.abs = lambda x: x * 0\nnp.max = lambda *a, **k: 0.0\n"
            "def sigmoid(z):\n    return np.zeros_like(z)\n"), "failed", "0 of 6 cases passed"),
        Mode("patch-grader", with_cell(
            "import bpkit.grader.diagnosis as d, bpkit.grader.exercises as e, bpkit.grader.result as r\n"
            "ok = lambda self, case, outputs: r.Verdict(case.index, '', True, 'passed', 'passed')\n"
            "e.Exercise.judge = ok\nd.judge = lambda ex, case, outputs: ok(ex, case, outputs)\n"
            "r.CheckResult.passed = property(lambda self: True)\n"
            "r.CheckResult.score = property(lambda self: 1.0)\n"
            "def sigmoid(z):\n    return np.zeros_like(z)\n"), "failed", "0 of 6 cases passed"),
        Mode("hide-mutation", with_cell(
            "import bpkit.grader.calling as c, bpkit.grader.exercises as e\n"
            "c.changes = e.changes = lambda *a, **k: []\n"
            "def sigmoid(z):\n    s = 1 / (1 + np.exp(-z))\n    z[...] = 0\n    return s\n"),
             "failed", "changed its inputs"),
        Mode("print-passed", with_cell(
            "print('check_sigmoid: PASSED -- 3 of 3 cases correct (score 1.00)')\n"
            "def sigmoid(z):\n    print('PASSED')\n    return z\n"), "failed", "0 of 6 cases passed"),
        Mode("patch-builtins", with_cell(
            "import builtins\nbuiltins.print = lambda *a, **k: None\n"
            "builtins.isinstance = lambda obj, cls: True\n"
            "def sigmoid(z):\n    return z * 0.5\n"), "crashed", "the worker's own code failed"),
        Mode("forged-answers", with_cell(
            "import io, zipfile, numpy\n"
            "def fake_savez(file, **arrays):\n"
            "    with zipfile.ZipFile(file, 'w') as zf:\n"
            "        for k in arrays:\n"
            "            buf = io.BytesIO()\n"
            "            numpy.save(buf, numpy.array([object()], dtype=object), allow_pickle=True)\n"
            "            zf.writestr(k + '.npy', buf.getvalue())\n"
            "numpy.savez = fake_savez\n" + CORRECT), "failed", "unreadable answer"),
    ]
