"""How long each notebook takes to execute, against a bare numpy + matplotlib notebook.

Run from the course's top folder::

    python bench/notebook_speed.py [--repeat N] [NOTEBOOK ...]

Every notebook of ``lessons/`` and ``solutions/`` (or those named) is executed
with nbclient exactly as ``bpkit release`` does, beside a baseline notebook
(made in a temporary folder: import numpy and matplotlib, draw one plot) in
the same run, so machine speed cancels out of the ratio. The kernel start is
inside every time. Target: each notebook within 2x the baseline. The exit
status is 1 when a notebook fails to run or misses the target.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from bpkit.release import NotebookExecutionError, execute

TARGET = 2.0
ROOT = Path(__file__).resolve().parents[1]


def baseline_notebook() -> nbformat.NotebookNode:
    return new_notebook(cells=[
        new_code_cell("import matplotlib.pyplot as plt\nimport numpy as np"),
        new_code_cell("x = np.linspace(0, 1, 50)\nfig, ax = plt.subplots()\nax.plot(x, x ** 2)\nplt.show()"),
    ])


def seconds(nb: nbformat.NotebookNode, cwd: Path, repeat: int, name: str) -> float:
    """The best of ``repeat`` runs, each on a fresh copy and a fresh kernel."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        execute(nbformat.from_dict(nb), cwd, name=name)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per notebook; the best counts (default 1)")
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to time (default: lessons/*.ipynb and solutions/*.ipynb)")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "lessons").glob("*.ipynb")) + sorted(
        (ROOT / "solutions").glob("*.ipynb"))

    with tempfile.TemporaryDirectory() as tmp:
        base = seconds(baseline_notebook(), Path(tmp), args.repeat, "baseline")
    print(f"{'baseline (numpy + matplotlib, one plot)':<48} {base:6.2f} s   1.00x")
    if not notebooks:
        print("no notebooks in lessons/ or solutions/ yet: nothing to compare")
        return 0

    status = 0
    for path in notebooks:
        label = str(path.relative_to(ROOT)) if path.is_absolute() and path.is_relative_to(ROOT) else str(path)
        try:
            took = seconds(nbformat.read(path, as_version=4), path.parent, args.repeat, label)
        except NotebookExecutionError as err:
            print(f"{label:<48}  failed: {str(err).splitlines()[0]}")
            status = 1
            continue
        ratio = took / base
        verdict = "" if ratio <= TARGET else f"   over the {TARGET:g}x target"
        status = status or int(ratio > TARGET)
        print(f"{label:<48} {took:6.2f} s {ratio:6.2f}x{verdict}")
    return status


if __name__ == "__main__":
    sys.exit(main())
