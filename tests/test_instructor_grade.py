"""`bpkit grade`: a row for each failure mode, verdicts made in the parent, hidden cases kept hidden.

One class of submissions (``instructor_fixtures.failure_modes``) is graded once for the module, in
two workers with a 3 s time limit and a 512 MB memory limit; each test then reads its rows.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from instructor_fixtures import (
    CORRECT,
    LESSONS,
    ORPHAN_MARKER,
    SOLUTIONS,
    failure_modes,
    needs_sandbox,
    save,
    with_cell,
)

from bpkit.cli import main
from bpkit.grader import EXERCISES, check_sigmoid
from bpkit.grader.cases import hidden_seed
from bpkit.instructor import sandbox

SECRET = "spring term"
pytestmark = needs_sandbox
LANDLOCK = sandbox.landlock_abi() > 0


def grade(src: Path, out: Path, *extra: str) -> int:
    return main(["grade", str(src), "-o", str(out), "--secret", SECRET, "--timeout", "3", "--memory", "512",
                 "--workers", "2", "--no-progress", *extra])


def read_rows(out: Path) -> list[dict[str, str]]:
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("class")
    modes = failure_modes(tmp)
    for m in modes:
        save(m.content, tmp / "submissions" / m.student / m.filename)
    code = grade(tmp / "submissions", tmp / "out")
    rows = {r["student"]: r for r in read_rows(tmp / "out")}
    return {"tmp": tmp, "out": tmp / "out", "modes": {m.student: m for m in modes}, "rows": rows,
            "code": code}


MODES = [m.student for m in failure_modes(Path("/nonexistent"))]


@pytest.mark.parametrize("student", MODES)
def test_each_failure_mode_has_its_own_row_with_a_clear_reason(graded, student):
    mode = graded["modes"][student]
    if mode.landlock_only and not LANDLOCK:
        pytest.skip("Landlock is not available here: the worker is not confined to its folder")
    row = graded["rows"][student]
    assert (row["status"], row["lesson"], row["exercise"]) == (mode.status, "00", "sigmoid"), row
    assert mode.reason.lower() in row["reason"].lower(), row["reason"]
    assert row["max_points"] == "1"
    expected_points = "1" if mode.status == "passed" else "0"
    assert row["points"] == expected_points


def test_the_rest_of_the_class_is_graded_and_the_exit_status_says_some_could_not_be(graded):
    assert set(graded["rows"]) == set(MODES)
    assert graded["code"] == 1                    # unreadable files could not be graded; all rows written


def test_a_submission_cannot_write_outside_its_folder(graded):
    if not LANDLOCK:
        pytest.skip("Landlock is not available here")
    assert not (graded["tmp"] / "escaped.txt").exists()


def test_no_process_is_left_running(graded):
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            assert ORPHAN_MARKER.encode() not in cmdline, f"process {pid} was left running"


def test_output_files(graded):
    out = graded["out"]
    for name in ("gradebook.csv", "totals.csv", "summary.md", "summary.json", "histogram.png", "log.jsonl",
                 "submissions.json"):
        assert (out / name).is_file(), name
    assert (out / "histogram.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in (out / "feedback").iterdir()) == sorted(
        f"{s}.{ext}" for s in MODES for ext in ("md", "html"))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["students"] == len(MODES)
    (sigmoid,) = summary["exercises"]
    assert sigmoid["exercise"] == "sigmoid" and sigmoid["submissions"] == len(MODES)
    assert sigmoid["passed"] == sum(m.status == "passed" for m in graded["modes"].values())
    events = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [e["event"] for e in events][0] == "start" and events[-1]["event"] == "end"
    assert sum(e["event"] == "graded" for e in events) == len(MODES)
    header = (out / "gradebook.csv").read_text().splitlines()[0]
    assert header == "student,lesson,exercise,points,max_points,status,reason"
    with open(out / "totals.csv", newline="") as f:
        totals = {r["student"]: r for r in csv.DictReader(f)}
    assert totals["correct"]["lesson 00"] == "1" and totals["buggy"]["total"] == "0"


def test_feedback_shows_the_lessons_own_report_on_public_cases(graded):
    text = (graded["out"] / "feedback" / "buggy.md").read_text()
    from bpkit.grader import hints_off, hints_on

    hints_off()                                    # graded feedback carries no pointer to the lesson's hints
    try:
        expected = str(check_sigmoid(lambda z: 1 / (1 + np.exp(z))))
    finally:
        hints_on()
    assert expected in text
    assert "Hidden cases: 0 of 3 passed. Failures: σ(−z) instead of σ(z)." in text
    html = (graded["out"] / "feedback" / "buggy.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "σ(−z) instead of σ(z)" in html


def test_feedback_never_shows_what_a_submission_did_with_a_hidden_case(tmp_path):
    leak = with_cell("def sigmoid(z):\n    raise ValueError('LEAK ' + repr(np.round(z.ravel()[:3], 6)))\n")
    save(leak, tmp_path / "s" / "mallory" / "00-welcome.ipynb")
    assert grade(tmp_path / "s", tmp_path / "o") == 0
    text = (tmp_path / "o" / "feedback" / "mallory.md").read_text()
    html = (tmp_path / "o" / "feedback" / "mallory.html").read_text()
    ex = EXERCISES["sigmoid"]

    def leaked(case) -> str:                       # as the report prints it: one line, single spaces
        return " ".join(("LEAK " + repr(np.round(case.arrays["z"].ravel()[:3], 6))).split())

    for case in ex.make_cases(hidden_seed(SECRET), 3):
        secret = leaked(case)
        assert secret not in text and secret not in html
        assert case.description not in text or any(case.description == c.description
                                                    for c in ex.make_cases(0))
    public = ex.make_cases(0)[0]
    assert leaked(public) in text                  # public cases: reported as in the lesson
    assert "Hidden cases: 0 of 3 passed. Failures: raised an error." in text
    row = read_rows(tmp_path / "o")[0]
    assert row["status"] == "failed" and "LEAK" in row["reason"] and "case 1" in row["reason"]


@pytest.mark.parametrize("cell", [
    # an exception class named after the inputs
    "def sigmoid(z):\n    raise type('LEAK_' + '_'.join(str(int(abs(v) * 1e4)) for v in z.ravel()[:3]),"
    " (Exception,), {})()\n",
    # a returned shape that spells the first input
    "def sigmoid(z):\n    return np.zeros((int(abs(z.ravel()[0]) * 1e4) + 1, 1))\n",
], ids=["exception-name", "returned-shape"])
def test_hidden_titles_carry_nothing_the_submission_chose(tmp_path, cell):
    save(with_cell(cell), tmp_path / "s" / "mallory" / "00-welcome.ipynb")
    grade(tmp_path / "s", tmp_path / "o")
    text = (tmp_path / "o" / "feedback" / "mallory.md").read_text()
    (hidden_line,) = [line for line in text.splitlines() if line.startswith("Hidden cases:")]
    for case in EXERCISES["sigmoid"].make_cases(hidden_seed(SECRET), 3):
        assert str(int(abs(case.arrays["z"].ravel()[0]) * 1e4)) not in hidden_line
    failures = hidden_line.split("Failures: ", 1)[1].rstrip(".").split(", ")
    assert set(failures) <= {"raised an error", "wrong shape", "not an array"}, hidden_line


def test_a_lesson_with_several_exercises_and_an_endless_loop_costs_one_exercise(tmp_path):
    nb = with_cell("def output_error(grad_a, z_L, sigma_prime):\n    while True:\n        pass\n",
                   exercise="output-error", name="03-output-error")
    save(nb, tmp_path / "s" / "eve" / "03-output-error.ipynb")
    assert grade(tmp_path / "s", tmp_path / "o") == 0
    rows = {r["exercise"]: r for r in read_rows(tmp_path / "o")}
    assert list(rows) == ["output-error-mse", "output-error-bce", "output-error"]
    assert rows["output-error"]["status"] == "timeout"
    assert rows["output-error-mse"]["status"] == rows["output-error-bce"]["status"] == "passed"


def test_hidden_cases_count_in_the_points(tmp_path):
    # Right on the public cases (whose z has at most 7 rows), wrong on any larger input.
    nb = with_cell("def sigmoid(z):\n    s = 1 / (1 + np.exp(-z))\n"
                   "    return s if z.size <= 42 else s * 0\n")
    save(nb, tmp_path / "s" / "pat" / "00-welcome.ipynb")
    grade(tmp_path / "s", tmp_path / "o", "--hidden-cases", "5")
    (row,) = read_rows(tmp_path / "o")
    ex = EXERCISES["sigmoid"]
    public_ok = sum(c.arrays["z"].size <= 42 for c in ex.make_cases(0))
    hidden_ok = sum(c.arrays["z"].size <= 42 for c in ex.make_cases(hidden_seed(SECRET), 5))
    assert row["points"] == f"{(public_ok + hidden_ok) / 8:.4f}".rstrip("0").rstrip(".")


def test_flat_files_and_folders_are_both_understood(tmp_path):
    save(with_cell(CORRECT), tmp_path / "s" / "alice_00-welcome.ipynb")
    save(with_cell(CORRECT), tmp_path / "s" / "00-welcome_bob.ipynb")
    save(with_cell(CORRECT), tmp_path / "s" / "carol" / "00-welcome.ipynb")
    (tmp_path / "s" / "README.txt").write_text("not a submission")
    assert grade(tmp_path / "s", tmp_path / "o") == 0
    assert [(r["student"], r["status"]) for r in read_rows(tmp_path / "o")] == [
        ("alice", "passed"), ("bob", "passed"), ("carol", "passed")]


def test_usage_errors_exit_with_status_2(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "missing"), "-o", str(tmp_path / "o"), "--secret", "x"]) == 2
    (tmp_path / "empty").mkdir()
    assert main(["grade", str(tmp_path / "empty"), "-o", str(tmp_path / "o"), "--secret", "x"]) == 2
    save(with_cell(CORRECT), tmp_path / "s" / "a" / "00-welcome.ipynb")
    assert main(["grade", str(tmp_path / "s"), "-o", str(tmp_path / "o"), "--secret", "x",
                 "--shard", "3/2"]) == 2
    env = os.environ.pop("BPKIT_SECRET", None)
    try:
        assert main(["grade", str(tmp_path / "s"), "-o", str(tmp_path / "o")]) == 2
    finally:
        if env is not None:
            os.environ["BPKIT_SECRET"] = env
    assert main(["merge", str(tmp_path / "nothing"), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "--secret" in err and "no submissions found" in err and "--shard" in err


def test_all_graded_exits_0_and_hidden_cases_can_be_turned_off(tmp_path):
    save(with_cell(CORRECT), tmp_path / "s" / "a" / "00-welcome.ipynb")
    code = main(["grade", str(tmp_path / "s"), "-o", str(tmp_path / "o"), "--hidden-cases", "0",
                 "--no-progress", "--workers", "1"])
    assert code == 0
    assert read_rows(tmp_path / "o")[0]["reason"] == "all 3 cases passed"


def test_every_solution_passes_and_every_released_lesson_is_not_attempted(tmp_path):
    """The worker/parent split judges every exercise of every lesson as the lesson's own check does."""
    for folder, student in ((SOLUTIONS, "solutions"), (LESSONS, "lessons")):
        for nb in sorted(folder.glob("[0-9][0-9]-*.ipynb")):
            (tmp_path / "s" / student).mkdir(parents=True, exist_ok=True)
            shutil.copy(nb, tmp_path / "s" / student / nb.name)
    assert main(["grade", str(tmp_path / "s"), "-o", str(tmp_path / "o"), "--secret", SECRET,
                 "--timeout", "30", "--workers", "2", "--no-progress"]) == 0
    rows = read_rows(tmp_path / "o")
    graded = {r["exercise"] for r in rows}
    assert graded == {ex.id for ex in EXERCISES.values()
                      if any(SOLUTIONS.glob(f"{ex.lesson:02d}-*.ipynb"))}
    for r in rows:
        expected = "passed" if r["student"] == "solutions" else "not-attempted"
        assert (r["exercise"], r["status"]) == (r["exercise"], expected), r
