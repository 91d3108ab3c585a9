"""What a Gradescope autograder's ``run_autograder`` runs: ``bpkit grade``, then ``results.json``.

``python -m bpkit.export.gradescope_run [ROOT]`` (ROOT: ``$BPKIT_AUTOGRADER_ROOT``, else ``/autograder``):

1. the submitted notebooks (``ROOT/submission/**/NN-topic.ipynb``; symlinks and hidden files
   skipped; for a lesson handed in twice, the name that sorts first) are copied into a folder
   laid out for ``bpkit grade``;
2. ``bpkit grade`` grades them, with the secret and settings of ``ROOT/source/bpkit-autograder.json``
   (the secret is passed in the environment, never on a command line), in its sandbox -- or, only
   in Gradescope's own container (ROOT is ``/autograder``) and only when bubblewrap cannot create
   namespaces there, with ``--no-sandbox``, since that container is then the per-submission sandbox
   (the output says so);
3. ``ROOT/results/results.json`` gets, for every exercise of the assignment's lessons, a test for
   its public cases (visible, with the lesson's report) and one for its hidden cases (with the
   visibility chosen at export, e.g. ``after_published``; only how many passed and the titles of
   the failures). Their scores add up to the points of ``bpkit grade``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..grader import EXERCISES
from ..grader.result import CheckResult
from ..instructor.gradebook import entry_exercises, load_index
from ..instructor.grading import lesson_exercises, record_verdict
from ..instructor.submissions import lesson_of

DEFAULT_ROOT = Path("/autograder")
ROOT_ENV = "BPKIT_AUTOGRADER_ROOT"
CONFIG = "bpkit-autograder.json"
STUDENT = "student"


@dataclass
class AutograderConfig:
    """What the zip grades with (``source/bpkit-autograder.json``)."""

    lessons: list[int]
    points: float = 1.0
    hidden_cases: int = 3
    secret: str | None = None
    timeout: float = 30.0
    hidden_visibility: str = "after_published"

    @classmethod
    def load(cls, path: Path) -> AutograderConfig:
        return cls(**json.loads(path.read_text(encoding="utf-8")))


@dataclass
class Test:
    """One entry of results.json's ``tests`` (Gradescope's field names)."""

    name: str
    number: str
    score: float
    max_score: float
    status: str
    output: str
    visibility: str = "visible"


@dataclass
class Results:
    """results.json (Gradescope's field names)."""

    tests: list[Test] = field(default_factory=list)
    output: str = ""
    execution_time: float = 0.0
    visibility: str = "visible"
    stdout_visibility: str = "hidden"


# --------------------------------------------------------------------------- the sandbox

def bubblewrap_works() -> bool:
    """Whether bubblewrap can create the namespaces ``bpkit grade``'s sandbox needs, here."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return False
    probe = [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--dev", "/dev",
             "--proc", "/proc", "true"]
    try:
        return subprocess.run(probe, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def sandbox_flags(bubblewrap_ok: bool, in_container: bool) -> tuple[list[str], str]:
    """Extra ``bpkit grade`` options, and a note for the output, for where we run.

    The sandbox is used whenever it works. Without it, ``--no-sandbox`` is passed only inside
    Gradescope's container, which is itself the per-submission sandbox; anywhere else
    ``bpkit grade`` is left to refuse.

    >>> sandbox_flags(True, True)
    ([], '')
    >>> sandbox_flags(False, True)[0]
    ['--no-sandbox']
    >>> sandbox_flags(False, False)[0]
    []
    """
    if bubblewrap_ok:
        return [], ""
    if in_container:
        return ["--no-sandbox"], ("Graded without bpkit's bubblewrap sandbox: this container cannot create "
                                  "namespaces, and Gradescope's per-submission container is the sandbox.")
    return [], ""


# --------------------------------------------------------------------------- the submission

def collect(submission: Path, dest: Path, lessons: list[int]) -> tuple[dict[int, str], list[str]]:
    """Copy the submitted notebooks of ``lessons`` to ``dest/student/``: ``({lesson: file}, notes)``."""
    found: dict[int, list[Path]] = {}
    for folder, dirs, files in os.walk(submission, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__MACOSX")))
        for name in sorted(files):
            path = Path(folder) / name
            lesson = lesson_of(name)
            if name.startswith(".") or not name.endswith(".ipynb") or lesson is None or path.is_symlink():
                continue
            found.setdefault(lesson, []).append(path)
    taken: dict[int, str] = {}
    notes = []
    (dest / STUDENT).mkdir(parents=True, exist_ok=True)
    for lesson, paths in sorted(found.items()):
        paths.sort(key=lambda p: (p.name, str(p)))
        rel = [str(p.relative_to(submission)) for p in paths]
        if lesson not in lessons:
            notes.append(f"Ignored {', '.join(rel)}: lesson {lesson:02d} is not part of this assignment.")
            continue
        shutil.copyfile(paths[0], dest / STUDENT / paths[0].name, follow_symlinks=False)
        taken[lesson] = rel[0]
        if len(rel) > 1:
            notes.append(f"Lesson {lesson:02d}: graded {rel[0]}; ignored {', '.join(rel[1:])}.")
    return taken, notes


# --------------------------------------------------------------------------- results.json

def _public_text(ex: dict[str, Any]) -> str:
    if ex.get("public"):
        verdicts = [record_verdict(v) for v in ex["public"]]
        check = ex.get("check") or f"check_{ex['function']}"
        text = str(CheckResult(check, ex["id"], verdicts, ex["function"]))
    else:
        text = "\n".join(ex.get("explanation") or [])
    if ex.get("status") in ("timeout", "crashed", "error", "missing"):
        text += f"\n{ex['status']}: {ex['reason']}"
    return "\n".join([text] + [f"Note: {n}." for n in ex.get("notes") or []])


def _hidden_text(ex: dict[str, Any], n: int) -> str:
    hidden = ex.get("hidden") or []
    if not hidden:
        return f"Hidden cases: none ran ({ex.get('status')}: the public cases could not run)."
    passed = sum(bool(v["passed"]) for v in hidden)
    titles = list(dict.fromkeys(v["title"] for v in hidden if not v["passed"]))
    line = f"Hidden cases: {passed} of {n} passed."
    return line + (" Failures: " + ", ".join(titles) + "." if titles else "")


def exercise_tests(lesson: int, k: int, ex: dict[str, Any], cfg: AutograderConfig) -> list[Test]:
    """The public test and (with hidden cases) the hidden test of one graded exercise."""
    n_pub = EXERCISES[ex["id"]].n_cases
    total = n_pub + cfg.hidden_cases
    unit = cfg.points / total
    passed_pub = sum(bool(v["passed"]) for v in ex.get("public") or [])
    name = f"{lesson:02d} {ex['id']}: {ex['function']}"
    tests = [Test(f"{name} (public cases)", f"{lesson}.{k}", round(unit * passed_pub, 4),
                  round(unit * n_pub, 4), "passed" if passed_pub == n_pub else "failed", _public_text(ex))]
    if cfg.hidden_cases:
        passed_hid = sum(bool(v["passed"]) for v in ex.get("hidden") or [])
        tests.append(Test(f"{name} (hidden cases)", f"{lesson}.{k}h", round(unit * passed_hid, 4),
                          round(unit * cfg.hidden_cases, 4),
                          "passed" if passed_hid == cfg.hidden_cases else "failed",
                          _hidden_text(ex, cfg.hidden_cases), cfg.hidden_visibility))
    return tests


def missing_tests(lesson: int, cfg: AutograderConfig, why: str) -> list[Test]:
    """Zero-score tests for a lesson that could not be graded (no notebook, or the grader failed)."""
    out = []
    for k, ex in enumerate(lesson_exercises(lesson), start=1):
        rec = {"id": ex.id, "function": ex.function, "public": [], "hidden": [], "status": "missing",
               "explanation": [why], "reason": why}
        out += exercise_tests(lesson, k, rec, cfg)
    return out


def results(out: Path | None, cfg: AutograderConfig, taken: dict[int, str], notes: list[str]) -> Results:
    """results.json from ``bpkit grade``'s output folder ``out`` (None: it did not run)."""
    graded: dict[int, list[dict[str, Any]]] = {}
    if out is not None:
        for entry in load_index(out)["submissions"]:
            if isinstance(entry.get("lesson"), int):         # rows of links or FIFOs name no lesson
                graded[entry["lesson"]] = entry_exercises(out, entry)
    res = Results(output="\n".join(notes))
    for lesson in cfg.lessons:
        if lesson in graded:
            for k, ex in enumerate(graded[lesson], start=1):
                res.tests += exercise_tests(lesson, k, ex, cfg)
        else:
            why = (f"No notebook {lesson:02d}-....ipynb was submitted." if lesson not in taken
                   else "The notebook could not be graded (see the output above).")
            res.tests += missing_tests(lesson, cfg, why)
    return res


# --------------------------------------------------------------------------- main

def grade(cfg: AutograderConfig, subs: Path, out: Path, flags: list[str]) -> subprocess.CompletedProcess:
    """Run ``bpkit grade`` on the collected notebooks (the secret in its environment)."""
    cmd = [sys.executable, "-m", "bpkit", "grade", str(subs), "-o", str(out), "--no-progress",
           "--hidden-cases", str(cfg.hidden_cases), "--timeout", f"{cfg.timeout:g}", *flags]
    env = {k: v for k, v in os.environ.items() if k != "BPKIT_SECRET"}
    if cfg.secret:
        env["BPKIT_SECRET"] = cfg.secret
    return subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def run(root: Path) -> Results:
    """Grade ``root/submission``; write and return ``root/results/results.json``."""
    cfg = AutograderConfig.load(root / "source" / CONFIG)
    flags, note = sandbox_flags(bubblewrap_works(), in_container=root == DEFAULT_ROOT)
    with tempfile.TemporaryDirectory(prefix="bpkit-gradescope-") as tmp:
        taken, notes = collect(root / "submission", Path(tmp) / "submissions", cfg.lessons)
        notes = ([note] if note else []) + notes
        out = Path(tmp) / "graded"
        done = grade(cfg, Path(tmp) / "submissions", out, flags) if taken else None
        print(done.stdout if done is not None else "no notebook of this assignment was submitted")
        if done is not None and done.returncode not in (0, 1):
            notes.append(f"bpkit grade failed (exit status {done.returncode}); nothing could be graded.")
            res = results(None, cfg, {}, notes)
            for t in res.tests:
                t.output = "Not graded: the autograder failed; please tell your instructor."
        else:
            res = results(out if done is not None else None, cfg, taken, notes)
    (root / "results").mkdir(parents=True, exist_ok=True)
    tmp_file = root / "results" / "results.json.tmp"
    tmp_file.write_text(json.dumps(asdict(res), indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp_file, root / "results" / "results.json")
    return res


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0] if argv else os.environ.get(ROOT_ENV) or DEFAULT_ROOT)
    res = run(root)
    got = sum(t.score for t in res.tests)
    total = sum(t.max_score for t in res.tests)
    print(f"results.json: {len(res.tests)} tests, {got:g} of {total:g} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
