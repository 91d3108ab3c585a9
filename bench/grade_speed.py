#!/usr/bin/env python
"""How fast does ``bpkit grade`` grade a class?

Writes ``--n`` (200) synthetic submissions of one lesson (03, three
exercises) -- half correct, three in ten with a known mistake in one
exercise, one in five broken (syntax error, an exception, not attempted,
cells without their tags, a corrupt file, ``os._exit``, and two endless
loops that run into the time limit) -- every notebook different, so none
is graded from another's result. Then grades them all, with the default
settings (every worker inside bubblewrap) but a 5 s time limit, and prints
the submissions per second and the statuses. Target: at least 20 times
faster than ``nbgrader autograde`` on the same notebooks (measured here:
455 s for the 200, so at most about 22 s).

It also prints what the sandbox itself costs: ``bwrap ... true``; starting
one worker server inside bubblewrap and without it; the namespaces and
tmpfs that each worker run gets (from the results' records); and, unless
``--no-compare``, the same class graded again with ``--no-sandbox`` side
by side.

If nbgrader is installed, it also times ``nbgrader autograde`` on the same
notebooks, through ``bpkit export nbgrader`` (the course, with the same
hidden cases from the same secret, and ``--prepare-submissions`` for these
hand-ins), and prints the ratio and how many exercise grades agree with
``bpkit grade``'s.

Run from the repository root::

    python bench/grade_speed.py                # 200 submissions, one worker per core
    python bench/grade_speed.py --workers 2 --n 100
"""

from __future__ import annotations

import argparse
import collections
import copy
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402

from bpkit.instructor.batch import GradeOptions, grade_class  # noqa: E402
from bpkit.instructor.grading import Limits  # noqa: E402

NBGRADER_SECONDS = 2.28         # per submission: nbgrader autograde measured here, 455 s for 200
SPEEDUP = 20.0                  # the target: at least this many times faster than nbgrader
TARGET_SECONDS = NBGRADER_SECONDS * 200 / SPEEDUP

CORRECT = {
    "output-error-mse": "def output_error_mse(z_L, y):\n    m = z_L.shape[1]\n"
                        "    a = 1 / (1 + np.exp(-z_L))\n    return (a - y) * a * (1 - a) / m\n",
    "output-error-bce": "def output_error_bce(z_L, y):\n"
                        "    return (1 / (1 + np.exp(-z_L)) - y) / z_L.shape[1]\n",
    "output-error": "def output_error(grad_a, z_L, sigma_prime):\n    return grad_a * sigma_prime(z_L)\n",
}
BUGGY = [
    ("output-error-mse", "def output_error_mse(z_L, y):\n    a = 1 / (1 + np.exp(-z_L))\n"
                         "    return (a - y) * a * (1 - a)\n"),                        # sum, not mean
    ("output-error-mse", "def output_error_mse(z_L, y):\n    a = 1 / (1 + np.exp(-z_L))\n"
                         "    return (a - y) / z_L.shape[1]\n"),                       # sigma' missing
    ("output-error-bce", "def output_error_bce(z_L, y):\n    a = 1 / (1 + np.exp(-z_L))\n"
                         "    return (a - y) * a * (1 - a) / z_L.shape[1]\n"),         # sigma' extra
    ("output-error", "def output_error(grad_a, z_L, sigma_prime):\n    return grad_a\n"),   # sigma' missing
    ("output-error", "def output_error(grad_a, z_L, sigma_prime):\n    return -grad_a * sigma_prime(z_L)\n"),
]
BROKEN = ["syntax", "exception", "not-attempted", "untagged", "corrupt", "os-exit", "name-error",
          "not-attempted"]


def notebook(cells: dict[str, str], base: nbformat.NotebookNode, tags: bool = True) -> nbformat.NotebookNode:
    nb = copy.deepcopy(base)
    for cell in nb.cells:
        for tag in list(cell.get("metadata", {}).get("tags", [])):
            if tag.startswith("exercise:") and tag[9:] in cells:
                cell.source = cells[tag[9:]]
                if not tags:
                    cell.metadata["tags"].remove(tag)
    return nb


def write_class(folder: Path, n: int, loops: int) -> None:
    base = nbformat.read(ROOT / "solutions" / "03-output-error.ipynb", as_version=4)
    stub = nbformat.read(ROOT / "lessons" / "03-output-error.ipynb", as_version=4)
    for i in range(n):
        student = f"student{i:03d}"
        mine = f"# {student}\n"
        cells = {k: mine + v for k, v in CORRECT.items()}
        kind = i % 10
        nb: object
        if i in range(7, 7 + 10 * loops, 10):                               # endless loops
            cells["output-error"] = mine + "def output_error(grad_a, z_L, sigma_prime):\n    while True:\n" \
                                           "        pass\n"
            nb = notebook(cells, base)
        elif kind < 5:
            nb = notebook(cells, base)
        elif kind < 8:
            ex_id, source = BUGGY[i % len(BUGGY)]
            cells[ex_id] = mine + source
            nb = notebook(cells, base)
        else:
            broken = BROKEN[(i // 10) % len(BROKEN)]
            if broken == "syntax":
                cells["output-error-bce"] = mine + "def output_error_bce(z_L, y)\n    return y\n"
            elif broken == "exception":
                cells["output-error"] = mine + "raise RuntimeError('oops')\n" + CORRECT["output-error"]
            elif broken == "name-error":
                cells["output-error-mse"] = mine + "def output_error_mse(z_L, y):\n    return a - y\n"
            elif broken == "os-exit":
                cells["output-error"] = mine + "import os\ndef output_error(grad_a, z_L, sigma_prime):\n" \
                                               "    os._exit(1)\n"
            if broken == "corrupt":
                nb = ('{"cells": [' + mine).encode()
            elif broken == "not-attempted":
                nb = copy.deepcopy(stub)
                nb.cells.insert(0, nbformat.v4.new_markdown_cell(mine))
            else:
                nb = notebook(cells, base, tags=(broken != "untagged"))
        path = folder / student / "03-output-error.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(nb, bytes):
            path.write_bytes(nb)
        else:
            nbformat.write(nb, path)


# --------------------------------------------------------------------------- nbgrader, through the export

def _nbgrader_points(course: Path, students: list[str]) -> dict[tuple[str, str], float]:
    """(student, exercise) -> the points nbgrader gave, for the notebooks it graded."""
    from nbgrader.api import Gradebook, MissingEntry

    from bpkit.grader import EXERCISES

    ids = [i for i, ex in EXERCISES.items() if int(ex.lesson) == 3]
    points = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in students:
            for ex_id in ids:
                try:
                    grade = gb.find_grade(f"{ex_id}-autograder", "03-output-error", "03-output-error",
                                          student)
                except MissingEntry:
                    continue
                if grade.score is not None:
                    points[(student, ex_id)] = float(grade.score)
    return points


def time_nbgrader(src: Path, work: Path, n: int, out: Path, took: float, opts: GradeOptions) -> None:
    """Time ``nbgrader autograde`` on the same notebooks through ``bpkit export nbgrader``; print
    the ratio to ``took`` and how many exercise grades agree with ``bpkit grade``'s in ``out``."""
    bindir = Path(sys.executable).parent
    exe = bindir / "nbgrader"
    if not exe.exists():
        print("nbgrader is not installed here (pip install -e '.[test]' installs it): skipped its timing.")
        return
    from bpkit.export.handins import prepare_handins
    from bpkit.export.nbgrader_course import CourseOptions, export_course

    course = work / "nbgrader-course"
    export_course([ROOT / "solutions" / "03-output-error.ipynb"], course,
                  CourseOptions(hidden_cases=opts.hidden_cases, timeout=opts.limits.timeout))
    prepared = prepare_handins(src, course)
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
           "BPKIT_SECRET": opts.secret or ""}
    try:
        subprocess.run([str(exe), "generate_assignment", "03-output-error", "--force"], cwd=course, env=env,
                       check=True, capture_output=True)
        start = time.perf_counter()
        subprocess.run([str(exe), "autograde", "03-output-error", "--force"], cwd=course, env=env,
                       capture_output=True)
        nbg = time.perf_counter() - start
    except (subprocess.CalledProcessError, OSError) as err:
        print(f"nbgrader could not be timed here ({err}); skipped.")
        return
    with open(out / "gradebook.csv", newline="") as f:
        ours = {(r["student"], r["exercise"]): float(r["points"]) for r in csv.DictReader(f)}
    theirs = _nbgrader_points(course, sorted(p.name for p in src.iterdir()))
    agree = sum(abs(p - ours[k]) < 1e-4 for k, p in theirs.items())
    graded = len({s for s, _ in theirs})
    print(f"nbgrader autograde (through bpkit export nbgrader, {len(prepared.written)} hand-ins prepared, "
          f"{len(prepared.skipped)} unreadable): {nbg:.1f} s ({nbg / n:.2f} s per submission); "
          f"bpkit grade is {nbg / took:.1f} times faster")
    print(f"  grades: {agree} of {len(theirs)} exercise grades agree with bpkit grade's; nbgrader graded "
          f"{graded} of {n} notebooks ({len(ours) - len(theirs)} exercise rows only bpkit grade gave)")


def _median_seconds(run, times: int) -> float:
    spent = []
    for _ in range(times):
        start = time.perf_counter()
        run()
        spent.append(time.perf_counter() - start)
    return sorted(spent)[len(spent) // 2]


def sandbox_costs(out: Path, n: int, workers: int) -> None:
    """Print what bubblewrap itself costs: its start, a server's start, each run's namespaces."""
    import json

    import numpy

    import bpkit
    from bpkit.instructor import bwrap
    from bpkit.instructor.pool import WorkerServer
    from bpkit.instructor.sandbox import readable_roots

    exe = bwrap.check()
    roots = readable_roots({"numpy": numpy, "bpkit": bpkit})
    true = shutil.which("true") or "/usr/bin/true"
    bare_cmd = bwrap.command([true], roots + [os.path.dirname(os.path.realpath(true))], 1 << 20, exe)
    bare = _median_seconds(lambda: subprocess.run(bare_cmd, check=True), 9)
    home = tempfile.mkdtemp(prefix="bpkit-bench-home-")
    try:
        def server(sandboxed: bool) -> None:
            WorkerServer(home, bwrap=exe if sandboxed else None, roots=roots).close()

        boxed, plain = _median_seconds(lambda: server(True), 5), _median_seconds(lambda: server(False), 5)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    setups = []
    for record in (out / "results").glob("*.json"):
        runs = json.loads(record.read_text()).get("runs", [])
        setups.append(sum(r.get("setup") or 0.0 for r in runs))
    per_run = sum(setups) / max(1, len(setups))
    print(f"sandbox start-up: `bwrap ... true` {1000 * bare:.1f} ms; a worker server (Python, numpy, bpkit) "
          f"{1000 * boxed:.0f} ms in bubblewrap vs {1000 * plain:.0f} ms without, started {workers} times "
          f"for the class")
    print(f"  per notebook: {1000 * per_run:.1f} ms of fresh namespaces + tmpfs (both phases, all runs) "
          f"+ {1000 * workers * boxed / n:.1f} ms of server start = "
          f"{1000 * (per_run + workers * boxed / n):.1f} ms")


def options(args, sandbox: bool) -> GradeOptions:
    opts = GradeOptions(limits=Limits(timeout=args.timeout), secret="bench secret", progress=False,
                        sandbox=sandbox)
    if args.workers:
        opts.workers = args.workers
    return opts


def grade_once(src: Path, out: Path, args, sandbox: bool) -> tuple[float, int, list[dict]]:
    opts = options(args, sandbox)
    start, cpu = time.perf_counter(), _cpu()
    code = grade_class(src, out, opts, echo=lambda line: None)
    took = time.perf_counter() - start
    parent = _cpu() - cpu
    workers = _worker_cpu(out)
    print(f"  CPU: {parent:.1f} s in the grading process + {workers:.1f} s in its workers = "
          f"{1000 * (parent + workers) / args.n:.0f} ms per notebook (wall time depends on what else runs)")
    with open(out / "gradebook.csv", newline="") as f:
        return took, code, list(csv.DictReader(f))


def _cpu() -> float:
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def _worker_cpu(out: Path) -> float:
    import json

    return sum(r.get("cpu") or 0.0 for record in (out / "results").glob("*.json")
               for r in json.loads(record.read_text()).get("runs", []))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=200, help="submissions (default 200)")
    p.add_argument("--workers", type=int, default=None,
                   help="parallel workers (default: the number of cores)")
    p.add_argument("--timeout", type=float, default=5.0, help="time limit of a worker run (default 5 s)")
    p.add_argument("--loops", type=int, default=2, help="submissions with an endless loop (default 2)")
    p.add_argument("--keep", action="store_true", help="keep the submissions and the output folder")
    p.add_argument("--no-compare", action="store_true", help="do not grade again with --no-sandbox")
    args = p.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bpkit-bench-"))
    try:
        src, out = work / "submissions", work / "out"
        write_class(src, args.n, args.loops)
        workers = args.workers or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                                   else os.cpu_count() or 1)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        print(f"grading {args.n} submissions of lesson 03 (3 exercises, 3 public + 3 hidden cases each) "
              f"with {workers} workers on {cores} cores, time limit {args.timeout:g} s, in bubblewrap ...")
        took, code, rows = grade_once(src, out, args, sandbox=True)
        opts = options(args, sandbox=True)
        statuses = collections.Counter(r["status"] for r in rows)
        print(f"  {took:.1f} s: {args.n / took:.1f} submissions/s ({1000 * took / args.n:.0f} ms each); "
              f"exit status {code}")
        print("  rows by status: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
        target = TARGET_SECONDS * args.n / 200
        verdict = "met" if took <= target else "MISSED"
        print(f"  target: {args.n} in {target:.1f} s ({SPEEDUP:g} times nbgrader's {NBGRADER_SECONDS} s "
              f"per notebook) on 2 cores -- {verdict}")
        sandbox_costs(out, args.n, workers)
        if not args.no_compare:
            plain, _, plain_rows = grade_once(src, work / "out-plain", args, sandbox=False)
            same = sorted(map(str, plain_rows)) == sorted(map(str, rows))
            print(f"the same class with --no-sandbox: {plain:.1f} s; bubblewrap costs "
                  f"{1000 * (took - plain) / args.n:+.1f} ms per notebook; same gradebook: {same}")
        print(f"against nbgrader autograde's {NBGRADER_SECONDS * args.n:.0f} s measured here on an idle "
              f"machine: {NBGRADER_SECONDS * args.n / took:.1f} times faster")
        time_nbgrader(src, work, args.n, out, took, opts)
        if args.keep:
            print(f"kept {work}")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
