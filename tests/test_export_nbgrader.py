"""``bpkit export nbgrader``: the course's metadata, the test cells' verdicts, and real nbgrader runs.

The last test runs nbgrader itself (generate_assignment, autograde, generate_feedback, export) on a
handful of hand-ins -- correct, stub, a named mistake, a batch-only bug, a crash -- some from
nbgrader's release and some from ``bpkit release`` (prepared with ``--prepare-submissions``), and
asserts that every exercise gets the points ``bpkit grade --hidden-cases 0`` gives it.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import nbformat
import pytest

from bpkit.cli import main
from bpkit.export.autograde_cell import _verdicts, autograde, hidden_line
from bpkit.export.nbgrader_course import (
    CourseOptions,
    ExportError,
    assignments,
    course_notebook,
    parse_group,
)
from bpkit.grader import EXERCISES, hidden_seed, hints_off, hints_on, run_check
from bpkit.grader.result import Verdict

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]-*.ipynb"))
BIN = Path(sys.executable).parent


def _tags(cell, prefix):
    return [t[len(prefix):] for t in cell.get("metadata", {}).get("tags", []) if t.startswith(prefix)]


# --------------------------------------------------------------------------- the course's notebooks

@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name[:2])
def test_every_exercise_is_a_solution_cell_with_one_locked_test_cell(path):
    nb = course_notebook(nbformat.read(path, as_version=4), CourseOptions(points=2.5))
    lesson = int(path.name[:2])
    wanted = sorted(ex.id for ex in EXERCISES.values() if int(ex.lesson) == lesson)
    solutions = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                 if c.metadata.get("nbgrader", {}).get("solution")]
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert sorted(solutions) == wanted
    assert sorted(c.metadata.nbgrader.grade_id for c in tests) == sorted(f"{i}-autograder" for i in wanted)
    for cell in tests:
        meta = cell.metadata.nbgrader
        assert meta.locked and not meta.solution and meta.points == 2.5 and meta.schema_version == 3
        ex_id = meta.grade_id[: -len("-autograder")]
        assert f"autograde({ex_id!r}, globals(), points=2.5" in cell.source
    # each test cell comes after its exercise cell; no check cell is left that runs in the kernel
    where = {c.metadata.nbgrader.grade_id: k for k, c in enumerate(nb.cells) if c.metadata.get("nbgrader")}
    assert all(where[f"{i}-autograder"] > where[i] for i in wanted)
    assert not [c for c in nb.cells if _tags(c, "check:") and not c.metadata.get("nbgrader")]
    ids = [c.id for c in nb.cells]
    assert len(ids) == len(set(ids))
    nbformat.validate(nb)


def test_hidden_cases_sit_in_a_hidden_tests_region_and_no_secret_is_written():
    nb = course_notebook(nbformat.read(SOLUTIONS[3], as_version=4), CourseOptions(hidden_cases=4))
    tests = [c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    for source in tests:
        lines = source.splitlines()
        begin, end = lines.index("### BEGIN HIDDEN TESTS"), lines.index("### END HIDDEN TESTS")
        assert lines[begin + 1].startswith("_hidden = 4") and end == begin + 2
        assert "hidden_cases=_hidden" in lines[-1]


def test_groups_and_their_errors():
    assert parse_group("ps1=00-02,05") == ("ps1", [0, 1, 2, 5])
    for bad in ("ps1", "=03", "ps 1=03", "ps1=3a", "ps1="):
        with pytest.raises(ExportError, match="NAME=LESSONS|not a lesson"):
            parse_group(bad)
    assert list(assignments(SOLUTIONS[:2], {})) == [SOLUTIONS[0].stem, SOLUTIONS[1].stem]
    assert assignments(SOLUTIONS, {"a": [1, 0]})["a"] == SOLUTIONS[:2]
    with pytest.raises(ExportError, match="no solution notebook for lesson 42"):
        assignments(SOLUTIONS, {"a": [42]})


def test_the_nbgrader_export_refuses_a_secret(tmp_path, capsys):
    assert main(["export", "nbgrader", "-o", str(tmp_path / "c"), "--secret", "s"]) == 2
    assert "never holds the secret" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_a_cell_tagged_with_an_unknown_exercise_is_refused():
    nb = nbformat.read(SOLUTIONS[0], as_version=4)
    nb.cells[0].metadata["tags"] = ["exercise:no-such-thing"]
    with pytest.raises(ExportError, match="exercise:no-such-thing.*no such exercise"):
        course_notebook(nb, CourseOptions(), "00-welcome.ipynb")


# --------------------------------------------------------------------------- what a test cell gives

def _output_error(body):
    namespace = {"np": __import__("numpy")}
    exec(f"import os\ndef output_error(grad_a, z_L, sigma_prime):\n    {body}\n", namespace)
    return namespace


@pytest.mark.parametrize("body, points", [
    ("return grad_a * sigma_prime(z_L)", 2.0),            # correct
    ("raise NotImplementedError()", 0.0),                 # stub
    ("return grad_a", 0.0),                               # σ′ missing
    ("return grad_a * sigma_prime(z_L) if grad_a.shape[0] != 6 else grad_a", 4 / 3),
])
def test_the_test_cell_gives_the_checks_score_times_the_points(body, points, capsys):
    ns = _output_error(body)
    assert autograde("output-error", ns, points=2.0) == pytest.approx(points, abs=1e-4)
    score = run_check("output-error", ns["output_error"]).score
    assert points == pytest.approx(2.0 * score, abs=1e-4)
    out = capsys.readouterr()
    hints_off()                        # graded output carries no pointer to the lesson's hints
    try:
        assert str(run_check("output-error", ns["output_error"])) in out.out    # the lesson's report
    finally:
        hints_on()
    assert out.err == ""


def test_a_crash_or_a_loop_costs_the_unfinished_cases_and_prints_nothing_of_the_student(capsys):
    ns = _output_error("print('to stdout'); import sys; print('to stderr', file=sys.stderr)\n"
                       "    if grad_a.shape[0] == 6: os._exit(3)\n    return grad_a * sigma_prime(z_L)")
    assert autograde("output-error", ns) == pytest.approx(1 / 3, abs=1e-4)    # case 1 passed, 2 crashed
    out = capsys.readouterr()
    assert "the process ended early (exit status 3" in out.out and "while running case 2" in out.out
    assert "to stdout" not in out.out and out.err == ""
    ns = _output_error("while True: pass")
    assert autograde("output-error", ns, timeout=0.5) == 0.0
    assert "stopped at the time limit of 0.5 s" in capsys.readouterr().out


def test_hidden_cases_come_from_the_secret_and_show_only_counts_and_titles(monkeypatch, capsys):
    ns = _output_error("return grad_a * sigma_prime(z_L) if grad_a.shape[0] % 2 else -grad_a")
    monkeypatch.delenv("BPKIT_SECRET", raising=False)
    with pytest.raises(RuntimeError, match="set BPKIT_SECRET"):
        autograde("output-error", ns, hidden_cases=3)
    monkeypatch.setenv("BPKIT_SECRET", "term secret")
    got = autograde("output-error", ns, hidden_cases=3)
    hidden = EXERCISES["output-error"].make_cases(hidden_seed("term secret"), 3)
    public = run_check("output-error", ns["output_error"])
    secret = run_check("output-error", ns["output_error"], cases=hidden)
    assert got == pytest.approx((public.n_passed + secret.n_passed) / 6, abs=1e-4)
    out = capsys.readouterr().out
    assert f"Hidden cases: {secret.n_passed} of 3 passed." in out
    for case in hidden:
        assert case.description not in out or case.description in str(public)


def test_only_complete_verdict_lines_count():
    line = json.dumps(asdict(Verdict(0, "z (3, 5)", True, "passed", "passed"))).encode()
    assert len(_verdicts(line + b"\n" + line[:20], 3)) == 1                 # cut off by a kill
    assert len(_verdicts(line + b"\nnot json\n" + line + b"\n", 3)) == 1    # garbage stops the count
    assert len(_verdicts((line + b"\n") * 5, 3)) == 3


def test_hidden_titles_are_fixed_words():
    v = Verdict(0, "x", False, "exception", "raised ValueError: the hidden input was [1, 2]")
    assert hidden_line([v]) == "Hidden cases: 0 of 1 passed. Failures: raised an error."


# --------------------------------------------------------------------------- with the real nbgrader

#: student -> {exercise id: (old text, new text)} applied to the correct answer; None: the stub.
HANDINS = {
    "ada": {},                                                                   # all correct
    "bo": None,                                                                  # stubs
    "cy": {"output-error": ("return grad_a * sigma_prime(z_L)", "return grad_a")},   # σ′ missing
    "di": {"backward-batch": ("db[l] = np.sum(delta, axis=1, keepdims=True)",       # batch-only bug
                              "db[l] = delta[:, [0]] * 1.0")},
    "ed": {"output-error": ("return grad_a * sigma_prime(z_L)", "import os\n    os._exit(1)")},  # crash
}
FROM_BPKIT = ("di", "ed")          # handed in from `bpkit release` lessons, prepared for nbgrader
LESSONS = ("03-output-error.ipynb", "07-mini-batches.ipynb")


def _answers(nb, changes, name):
    out = copy.deepcopy(nb)
    solutions = {i: c.source for c in nbformat.read(ROOT / "solutions" / name, as_version=4).cells
                 for i in _tags(c, "exercise:")}
    for cell in out.cells:
        for ex_id in _tags(cell, "exercise:"):
            source = solutions[ex_id]
            if ex_id in changes:
                old, new = changes[ex_id]
                assert old in source
                source = source.replace(old, new)
            cell.source = source
    return out


def _run(cmd, cwd, env):
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{cmd} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.mark.slow
def test_nbgrader_gives_the_points_of_bpkit_grade(tmp_path):
    pytest.importorskip("nbgrader")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}   # nbgrader calls alembic
    env.pop("BPKIT_SECRET", None)
    course, handins = tmp_path / "course", tmp_path / "handins"
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    for name in LESSONS:
        shutil.copy(ROOT / "solutions" / name, solutions / name)
    assert main(["export", "nbgrader", "-o", str(course), "--solutions", str(solutions),
                 "--assignment", "ps1=03,07"]) == 0
    _run([str(BIN / "nbgrader"), "generate_assignment", "ps1", "--force"], course, env)
    for student, changes in HANDINS.items():
        for name in LESSONS:
            base = ROOT / "lessons" / name if student in FROM_BPKIT else course / "release" / "ps1" / name
            nb = nbformat.read(base, as_version=4)
            if changes is not None:
                nb = _answers(nb, changes, name)
            (handins / student).mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, handins / student / name)
            if student not in FROM_BPKIT:
                dest = course / "submitted" / student / "ps1"
                dest.mkdir(parents=True, exist_ok=True)
                nbformat.write(nb, dest / name)
    prepare = tmp_path / "from-bpkit"
    for student in FROM_BPKIT:
        shutil.copytree(handins / student, prepare / student)
    assert main(["export", "nbgrader", "-o", str(course), "--prepare-submissions", str(prepare)]) == 0
    _run([str(BIN / "nbgrader"), "autograde", "ps1", "--force"], course, env)
    _run([str(BIN / "nbgrader"), "generate_feedback", "ps1", "--force"], course, env)
    _run([str(BIN / "nbgrader"), "export"], course, env)

    assert main(["grade", str(handins), "-o", str(tmp_path / "graded"), "--hidden-cases", "0",
                 "--no-progress", "--timeout", "30"]) in (0, 1)
    with open(tmp_path / "graded" / "gradebook.csv", newline="") as f:
        bpkit_points = {(r["student"], r["exercise"]): float(r["points"]) for r in csv.DictReader(f)}

    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        nbgrader_points = {}
        for student in HANDINS:
            for name in LESSONS:
                for ex_id in (i for i, e in EXERCISES.items() if int(e.lesson) == int(name[:2])):
                    grade = gb.find_grade(f"{ex_id}-autograder", name[:-6], "ps1", student)
                    nbgrader_points[(student, ex_id)] = float(grade.score)
    assert nbgrader_points == pytest.approx(bpkit_points, abs=1e-4)
    # the handful shows what it should: full marks, zeros for stubs, the mistake, the batch bug, the crash
    assert nbgrader_points[("ada", "backward-batch")] == 1.0 and nbgrader_points[("bo", "output-error")] == 0
    assert nbgrader_points[("cy", "output-error")] == 0 and nbgrader_points[("cy", "output-error-mse")] == 1
    assert 0 <= nbgrader_points[("di", "backward-batch")] < 1
    assert nbgrader_points[("ed", "output-error")] == 0 and nbgrader_points[("ed", "output-error-bce")] == 1
    with open(course / "grades.csv", newline="") as f:
        totals = {r["student_id"]: float(r["score"]) for r in csv.DictReader(f)}
    assert totals == pytest.approx({s: sum(p for (t, _), p in bpkit_points.items() if t == s)
                                    for s in HANDINS}, abs=1e-3)
    # formgrader's feedback shows bpkit's diagnosis
    feedback = (course / "feedback" / "cy" / "ps1" / "03-output-error.html").read_text()
    assert "σ′ missing" in feedback


def test_preparing_hand_ins_never_opens_a_link_or_a_fifo(tmp_path, capsys):
    """--prepare-submissions reads hand-ins as bpkit grade does: links and FIFOs are skipped, unopened."""
    course, handins = tmp_path / "course", tmp_path / "handins"
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    shutil.copy(ROOT / "solutions" / "03-output-error.ipynb", solutions)
    assert main(["export", "nbgrader", "-o", str(course), "--solutions", str(solutions)]) == 0
    (handins / "ada").mkdir(parents=True)
    shutil.copy(ROOT / "lessons" / "03-output-error.ipynb", handins / "ada")
    secret = tmp_path / "secret.ipynb"
    secret.write_text("{}")
    (handins / "eve_03-output-error.ipynb").symlink_to(secret)
    (handins / "mal").symlink_to(ROOT / "solutions", target_is_directory=True)
    os.mkfifo(handins / "fifo_03-output-error.ipynb")
    assert main(["export", "nbgrader", "-o", str(course), "--prepare-submissions", str(handins)]) == 0
    submitted = course / "submitted"
    written = sorted(p.relative_to(submitted).as_posix() for p in submitted.rglob("*.ipynb"))
    assert written == ["ada/03-output-error/03-output-error.ipynb"]
