"""Tests of bpkit.release and the `bpkit` command: solutions/ -> lessons/, executing, staying in sync."""

from __future__ import annotations

import os
import runpy
import shutil
import sys
import types
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from bpkit import release
from bpkit.cli import main
from bpkit.release import (
    NotebookExecutionError,
    ReleaseError,
    check_exercises,
    check_unique_exercises,
    execute_notebook,
    lesson_differences,
    make_lesson,
    release_notebook,
    strip_regions,
    sync_problems,
    write_atomic,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))


def code(source: str, *tags: str, **metadata) -> nbformat.NotebookNode:
    cell = new_code_cell(source, metadata=dict(metadata))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def notebook(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = new_notebook(cells=list(cells))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def save(nb: nbformat.NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


# --------------------------------------------------------------------------- markers


def test_solution_region_becomes_stub_at_the_markers_indentation():
    source = (
        "class Net:\n"
        "    def forward(self, x):\n"
        "        ### BEGIN SOLUTION\n"
        "        y = 2 * x\n"
        "        return y\n"
        "        ### END SOLUTION\n"
        "\n"
        "def g(x):\n"
        "    ### BEGIN SOLUTION\n"
        "    x = x + 1\n"
        "    ### END SOLUTION\n"
        "    return x"
    )
    assert strip_regions(source) == (
        "class Net:\n"
        "    def forward(self, x):\n"
        "        # YOUR CODE HERE\n"
        "        raise NotImplementedError()\n"
        "\n"
        "def g(x):\n"
        "    # YOUR CODE HERE\n"
        "    raise NotImplementedError()\n"
        "    return x"
    )


def test_top_level_region_and_trailing_newline_kept():
    assert strip_regions("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n") == (
        "# YOUR CODE HERE\nraise NotImplementedError()\n")


def test_markdown_region_becomes_your_answer_here():
    source = "Why?\n\n### BEGIN SOLUTION\nBecause $a = b$.\n\nAnd more.\n### END SOLUTION\nEnd."
    assert strip_regions(source, "markdown") == "Why?\n\nYOUR ANSWER HERE\nEnd."


def test_hidden_tests_are_removed():
    source = ("check(f)\n### BEGIN HIDDEN TESTS\nassert f(1) == 2\nassert f(2) == 4\n"
              "### END HIDDEN TESTS\nprint('done')")
    assert strip_regions(source) == "check(f)\nprint('done')"


def test_source_without_markers_is_unchanged():
    source = "x = 1  # no markers here\n\n  y = 2\n"
    assert strip_regions(source) == source
    prose = "In the end, solutions differ.\nThe end solution is a stub."
    assert strip_regions(prose, "markdown") == prose


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [
        ("a\n### END SOLUTION", 2, "without a '### BEGIN SOLUTION'"),
        ("### BEGIN SOLUTION\nx = 1", 1, "never closed"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", 2, "nested"),
        ("### BEGIN SOLUTION\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\n### END SOLUTION", 2, "nested"),
        ("### BEGIN SOLUTION\nx\n### END HIDDEN TESTS", 3, "expected '### END SOLUTION'"),
        ("    ### BEGIN SOLUTION\n    x\n### END SOLUTION", 3, "indented 0 characters"),
        ("x = 1\n## BEGIN SOLUTION\n", 2, "looks like a marker"),
        ("### begin solution\n", 1, "looks like a marker"),
        ("### BEGIN SOLUTION\nx\n###END SOLUTION", 3, "looks like a marker"),
        ("### BEGIN SOLUTION\nx = 1  ### END SOLUTION", 2, "looks like a marker"),
    ],
)
def test_bad_markers_name_notebook_cell_and_line(source, line, words):
    nb = notebook(code("import numpy as np"), code(source, "exercise:ex"))
    with pytest.raises(ReleaseError) as err:
        make_lesson(nb, "solutions/07-x.ipynb", known=None)
    message = str(err.value)
    assert message.startswith(f"solutions/07-x.ipynb, cell 1, line {line}:"), message
    assert words in message


def test_bad_marker_in_markdown_cell_is_refused():
    nb = notebook(new_markdown_cell("Answer:\n### BEGIN SOLUTION\nforty-two"))
    with pytest.raises(ReleaseError, match=r"nb\.ipynb, cell 0, line 2: .*never closed"):
        make_lesson(nb, "nb.ipynb", known=None)


# --------------------------------------------------------------------------- exercise tags


SOLVED = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION"


def test_solution_cell_without_exercise_tag_is_refused():
    nb = notebook(code("import numpy"), code(SOLVED, "other-tag"))
    with pytest.raises(ReleaseError, match=r"^nb\.ipynb, cell 1: has a '### BEGIN SOLUTION' region but no "):
        make_lesson(nb, "nb.ipynb", known=None)


def test_exercise_tag_without_solution_region_is_refused():
    nb = notebook(code("def f(x):\n    return x", "exercise:f"))
    with pytest.raises(ReleaseError, match=r"cell 0: is tagged 'exercise:f' but has no"):
        make_lesson(nb, "nb.ipynb", known=None)


def test_unknown_exercise_id_is_refused_with_a_suggestion():
    nb = notebook(code(SOLVED, "exercise:sigmiod"))
    with pytest.raises(ReleaseError, match=r"cell 0: unknown exercise id 'sigmiod'; did you mean 'sigmoid'"):
        make_lesson(nb, "nb.ipynb", known={"sigmoid", "forward-step"})


def test_duplicate_exercise_id_in_a_notebook_is_refused():
    nb = notebook(code(SOLVED, "exercise:f"), code("x = 1"), code(SOLVED, "exercise:f"))
    with pytest.raises(ReleaseError, match=r"cell 2: exercise id 'f' is already used by cell 0"):
        make_lesson(nb, "nb.ipynb", known=None)


def test_two_exercise_tags_on_one_cell_are_refused():
    nb = notebook(code(SOLVED, "exercise:f", "exercise:g"))
    with pytest.raises(ReleaseError, match="has 2 exercise tags"):
        check_exercises(nb, "nb.ipynb", known=None)


def test_duplicate_exercise_id_across_notebooks_is_refused(tmp_path):
    a = save(notebook(code(SOLVED, "exercise:f")), tmp_path / "01-a.ipynb")
    b = save(notebook(code(SOLVED, "exercise:g"), code(SOLVED, "exercise:f")), tmp_path / "02-b.ipynb")
    with pytest.raises(ReleaseError, match=r"02-b\.ipynb: exercise id 'f' is already used in .*01-a\.ipynb"):
        check_unique_exercises([a, b], known=None)


def test_markdown_answer_needs_no_exercise_tag():
    nb = notebook(new_markdown_cell("### BEGIN SOLUTION\nyes\n### END SOLUTION"))
    assert make_lesson(nb, "nb.ipynb", known=set()).cells[0].source == "YOUR ANSWER HERE"


def test_registry_is_optional(monkeypatch):
    # No grader yet: ids are not checked against a registry.
    monkeypatch.setitem(sys.modules, "bpkit.grader.exercises", None)
    assert release.known_exercise_ids() is None
    # A registry: its keys are the known ids.
    fake = types.ModuleType("bpkit.grader.exercises")
    fake.EXERCISES = {"sigmoid": object(), "forward-step": object()}
    monkeypatch.setitem(sys.modules, "bpkit.grader.exercises", fake)
    assert release.known_exercise_ids() == {"sigmoid", "forward-step"}
    with pytest.raises(ReleaseError, match="unknown exercise id 'nope'"):
        make_lesson(notebook(code(SOLVED, "exercise:nope")), "nb.ipynb")


# --------------------------------------------------------------------------- the lesson notebook


def test_ids_tags_and_metadata_are_kept_and_changed_outputs_cleared():
    intro = new_markdown_cell("# Title", metadata={"jupyter": {"source_hidden": False}})
    setup = code("x = 1", "setup", collapsed=True)
    setup.outputs = [new_output("stream", name="stdout", text="kept\n")]
    setup.execution_count = 1
    exercise = code(SOLVED, "exercise:f", "nbval-ignore-output", deletable=False,
                    execution={"iopub.status.busy": "2024-01-01T00:00:00Z"})
    exercise.outputs = [new_output("stream", name="stdout", text="solution output\n")]
    exercise.execution_count = 2
    nb = notebook(intro, setup, exercise)
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    before = nbformat.writes(nb)

    lesson = make_lesson(nb, "nb.ipynb", known={"f"})

    assert nbformat.writes(nb) == before                      # the solution is not changed
    assert [c.id for c in lesson.cells] == [c.id for c in nb.cells]
    assert [c.cell_type for c in lesson.cells] == ["markdown", "code", "code"]
    assert lesson.cells[0].metadata == {"jupyter": {"source_hidden": False}}
    assert lesson.cells[1].metadata == {"tags": ["setup"], "collapsed": True}
    assert lesson.cells[1].outputs == setup.outputs and lesson.cells[1].execution_count == 1
    # The exercise: stub, same tags and metadata, but no timing metadata and no stale outputs.
    assert lesson.cells[2].source == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    assert lesson.cells[2].metadata == {"tags": ["exercise:f", "nbval-ignore-output"], "deletable": False}
    assert lesson.cells[2].outputs == [] and lesson.cells[2].execution_count is None
    assert lesson.metadata == {"kernelspec": nb.metadata.kernelspec}
    nbformat.validate(lesson)


# --------------------------------------------------------------------------- writing


def test_write_atomic_replaces_the_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "nb.ipynb"
    write_atomic(notebook(code("x = 1")), path)
    path.chmod(0o640)
    write_atomic(notebook(code("x = 2")), path)
    assert nbformat.read(path, as_version=4).cells[0].source == "x = 2"
    assert (path.stat().st_mode & 0o777) == 0o640              # permissions kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nb.ipynb"]


def test_write_atomic_failure_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "nb.ipynb"
    write_atomic(notebook(code("x = 1")), path)
    old = path.read_bytes()

    def disk_full(fd):
        raise OSError("disk full")

    monkeypatch.setattr("bpkit._files.os.fsync", disk_full)    # the new text is written, not yet safe
    with pytest.raises(OSError, match="disk full"):
        write_atomic(notebook(code("x = 2")), path)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nb.ipynb"]


def test_write_atomic_refuses_an_invalid_notebook(tmp_path):
    nb = notebook(code("x = 1"))
    nb.cells[0]["bogus"] = 1
    with pytest.raises(nbformat.ValidationError):
        write_atomic(nb, tmp_path / "nb.ipynb")
    assert not list(tmp_path.iterdir())


# --------------------------------------------------------------------------- executing


def test_execute_notebook_runs_in_its_folder_with_the_inline_backend(tmp_path, monkeypatch):
    # MPLBACKEND in the environment must not reach the kernel: figures would vanish.
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = notebook(
        code("import os\nimport matplotlib\nprint(os.path.basename(os.getcwd()))"),
        new_markdown_cell("text"),
        code("print(matplotlib.get_backend())", execution={"iopub.status.busy": "old"}),
        code("6 * 7"),
    )
    path = save(nb, tmp_path / "work" / "nb.ipynb")
    execute_notebook(path)
    first = path.read_bytes()
    done = nbformat.read(path, as_version=4)
    assert done.cells[0].outputs[0].text == "work\n"
    assert "inline" in done.cells[2].outputs[0].text
    assert done.cells[3].outputs[0].data["text/plain"] == "42"
    assert [c.get("execution_count") for c in done.cells] == [1, None, 2, 3]
    assert all("execution" not in c.metadata for c in done.cells)     # no timing metadata
    assert "widgets" not in done.metadata
    execute_notebook(path)
    assert path.read_bytes() == first                                 # deterministic


def test_execute_failure_names_the_notebook_and_cell(tmp_path):
    nb = notebook(code("x = 1"), code("raise ValueError('boom')"), code("y = 2"))
    path = save(nb, tmp_path / "nb.ipynb")
    before = path.read_bytes()
    with pytest.raises(NotebookExecutionError, match=r"nb\.ipynb, cell 1: execution failed(.|\n)*boom"):
        execute_notebook(path)
    assert path.read_bytes() == before


def test_cli_execute_stops_a_cell_at_the_timeout(tmp_path, capsys):
    path = save(notebook(code("import time\ntime.sleep(60)")), tmp_path / "slow.ipynb")
    before = path.read_bytes()
    assert main(["execute", "--timeout", "1", str(path)]) == 1
    err = capsys.readouterr().err
    assert "slow.ipynb, cell 0: execution timed out" in err and "1 of 1 notebooks failed" in err
    assert path.read_bytes() == before


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    """The fixture solutions notebook, released and executed once for this module."""
    lesson = tmp_path_factory.mktemp("lessons") / "00-sample.ipynb"
    release_notebook(FIXTURES / "solutions" / "00-sample.ipynb", lesson)
    return lesson


def test_release_executes_the_lesson(released):
    nb = nbformat.read(released, as_version=4)
    sources = "\n".join(c.source for c in nb.cells)
    assert "BEGIN" not in sources and "1.0 / (1.0 + np.exp(-z))" not in sources
    check = next(c for c in nb.cells if "check" in c.metadata.get("tags", []))
    assert [o.text for o in check.outputs] == ["sigmoid: not attempted\n"]
    plot = nb.cells[-1]
    assert any("image/png" in o.get("data", {}) for o in plot.outputs)
    assert all(c.execution_count is not None for c in nb.cells if c.cell_type == "code")


def test_release_is_idempotent(released, tmp_path):
    again = tmp_path / "00-sample.ipynb"
    release_notebook(FIXTURES / "solutions" / "00-sample.ipynb", again)
    assert again.read_bytes() == released.read_bytes()


# --------------------------------------------------------------------------- in sync


def test_fixture_lessons_are_in_sync():
    assert sync_problems(FIXTURES / "solutions", FIXTURES / "lessons") == []


@pytest.fixture
def course(tmp_path) -> Path:
    """A copy of the fixture course: solutions/ and its released lessons/."""
    shutil.copytree(FIXTURES / "solutions", tmp_path / "solutions")
    shutil.copytree(FIXTURES / "lessons", tmp_path / "lessons")
    return tmp_path


def _edit_lesson(course: Path, edit) -> None:
    path = course / "lessons" / "00-sample.ipynb"
    nb = nbformat.read(path, as_version=4)
    edit(nb)
    nbformat.write(nb, path)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda nb: setattr(nb.cells[3], "source", nb.cells[3].source + "\n# edited"), "cell 3 (id "),
        (lambda nb: nb.cells[3].metadata.update(tags=["exercise:other"]), "metadata differs"),
        (lambda nb: setattr(nb.cells[2], "cell_type", "raw") or nb.cells[2].pop("attachments", None),
         "cell_type differs"),
        (lambda nb: nb.cells.pop(), "expected 7 cells, found 6"),
        (lambda nb: setattr(nb.cells[0], "id", "renamed"), "id differs"),
        (lambda nb: nb.metadata.update(title="x"), "notebook metadata differs"),
    ],
)
def test_sync_detects_a_lesson_that_release_would_not_write(course, edit, expected):
    _edit_lesson(course, edit)
    problems = sync_problems(course / "solutions", course / "lessons")
    assert len(problems) == 1 and expected in problems[0], problems


def test_sync_ignores_outputs(course):
    def drop_outputs(nb):
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nb.metadata["language_info"] = {"name": "python", "version": "0.0"}

    _edit_lesson(course, drop_outputs)
    assert sync_problems(course / "solutions", course / "lessons") == []


def test_sync_detects_missing_and_orphan_lessons(course):
    (course / "lessons" / "00-sample.ipynb").rename(course / "lessons" / "99-old.ipynb")
    problems = sync_problems(course / "solutions", course / "lessons")
    assert any("00-sample.ipynb is missing" in p for p in problems)
    assert any("99-old.ipynb has no" in p for p in problems)


def test_source_diff_is_shown(course):
    _edit_lesson(course, lambda nb: setattr(nb.cells[1], "source", "import pandas"))
    (problem,) = sync_problems(course / "solutions", course / "lessons")
    assert "\n    -import pandas\n    +import matplotlib.pyplot as plt\n    +import numpy as np" in problem


@pytest.mark.parametrize("solution", SOLUTIONS or [None], ids=lambda p: p.name if p else "none")
def test_lessons_match_solutions(solution):
    """lessons/ is what `bpkit release` writes from solutions/ (outputs are nbval's business)."""
    if solution is None:
        assert not LESSONS, "lessons/ has notebooks but solutions/ has none: lessons are made from solutions"
        pytest.skip("solutions/ has no notebooks yet: nothing to compare")
    problems = lesson_differences(solution, ROOT / "lessons" / solution.name)
    assert not problems, "run `bpkit release`:\n" + "\n".join(problems)


def test_every_lesson_has_a_solution_and_exercise_ids_are_unique():
    orphans = [p.name for p in LESSONS if not (ROOT / "solutions" / p.name).exists()]
    assert not orphans, f"lessons without a solutions notebook: {orphans}"
    check_unique_exercises(SOLUTIONS)


# --------------------------------------------------------------------------- the command line


def test_cli_release_then_check_sync(tmp_path, capsys):
    shutil.copytree(FIXTURES / "solutions", tmp_path / "solutions")
    args = ["--solutions", str(tmp_path / "solutions"), "--lessons", str(tmp_path / "lessons")]
    assert main(["release", "--no-execute", *args]) == 0
    assert "00-sample.ipynb (written, not executed)" in capsys.readouterr().out
    assert main(["check-sync", *args]) == 0
    assert "in sync" in capsys.readouterr().out
    _edit_lesson(tmp_path, lambda nb: setattr(nb.cells[1], "source", "x = 1"))
    assert main(["check-sync", *args]) == 1
    err = capsys.readouterr().err
    assert "source differs" in err and "out of sync" in err
    assert main(["release", "--no-execute", *args, "00-sample"]) == 0      # a bare name, found in --solutions
    assert main(["check-sync", *args]) == 0


def test_cli_release_reports_a_bad_notebook(tmp_path, capsys):
    save(notebook(code(SOLVED)), tmp_path / "solutions" / "01-bad.ipynb")
    status = main(["release", "--no-execute", "--solutions", str(tmp_path / "solutions"),
                   "--lessons", str(tmp_path / "lessons")])
    assert status == 1
    err = capsys.readouterr().err
    assert "01-bad.ipynb, cell 0: has a '### BEGIN SOLUTION' region but no 'exercise:<id>' tag" in err
    assert not (tmp_path / "lessons" / "01-bad.ipynb").exists()


def test_cli_usage_errors(tmp_path, capsys):
    assert main(["check-sync", "--solutions", str(tmp_path / "nope")]) == 2
    assert "solutions folder" in capsys.readouterr().err
    assert main(["execute", str(tmp_path / "missing.ipynb")]) == 2
    assert "no notebook" in capsys.readouterr().err
    assert main(["release", "--solutions", str(tmp_path / "nope")]) == 2
    assert main(["no-such-command"]) == 2
    assert main([]) == 2


def test_cli_release_of_an_empty_folder_says_so(tmp_path, capsys):
    (tmp_path / "solutions").mkdir()
    args = ["--solutions", str(tmp_path / "solutions"), "--lessons", str(tmp_path / "lessons")]
    assert main(["release", *args]) == 0
    assert "nothing to release" in capsys.readouterr().out


def test_python_dash_m_bpkit(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["python -m bpkit", "--help"])
    with pytest.raises(SystemExit) as exit:
        runpy.run_module("bpkit", run_name="__main__")
    assert exit.value.code == 0
    out = capsys.readouterr().out
    for name in ("release", "execute", "check-sync"):
        assert name in out


# --------------------------------------------------------------------------- nbval support


def test_sanitize_file_is_read_whole_and_does_what_it_says():
    from nbval.plugin import get_sanitize_patterns

    text = (ROOT / "tests" / "nbval_sanitize.cfg").read_text()
    patterns = get_sanitize_patterns(text)
    # nbval silently drops a malformed pair: every "regex:" line must have been read.
    assert len(patterns) == sum(line.startswith("regex:") for line in text.splitlines()) == 3

    def sanitize(s: str) -> str:
        import re

        for regex, replace in patterns:
            s = re.sub(regex, replace, s)
        return s

    assert sanitize("<object object at 0x7f0d616c7390>") == "<object object at 0xADDRESS>"
    assert sanitize("100%|██████████| 3/3 [00:00<00:00, 56679.78it/s]") == (
        "100%|██████████| 3/3 [ELAPSED<REMAINING, RATE]")
    assert sanitize("epochs:   0%|          | 0/5 [00:00<?, ?epoch/s]") == (
        "epochs:   0%|          | 0/5 [ELAPSED<REMAINING, RATE]")
    assert sanitize("10/10 [1:02:03<00:00,  1.21s/epoch, loss=0.1]") == "10/10 [ELAPSED<REMAINING, RATE]"
    assert sanitize("saved /tmp/tmpk3j2h1g0/w.npz") == "saved TMPDIR/w.npz"
    assert sanitize("saved /var/folders/xy/abc_12/T/tmpk3j2_1g0/w.npz") == "saved TMPDIR/w.npz"
    unchanged = "loss [0.12, 0.10] at step 3; array([[0.5]]) /tmp/data.npz"
    assert sanitize(unchanged) == unchanged


def test_conftest_adds_skip_compare_to_notebook_collectors(request):
    plugin = request.config.pluginmanager.get_plugin("bpkit-nbval-skips")
    notebook_collector = types.SimpleNamespace(path=Path("lessons/01-x.ipynb"), skip_compare=("metadata",))
    plugin.pytest_collectstart(notebook_collector)
    assert notebook_collector.skip_compare == ("metadata", "image/svg+xml")
    other = types.SimpleNamespace(path=Path("tests/test_x.py"))
    plugin.pytest_collectstart(other)
    assert not hasattr(other, "skip_compare")


def test_widget_model_ids_are_made_deterministic():
    from bpkit.release import WIDGET_VIEW, _strip_volatile

    def executed(model_id: str) -> nbformat.NotebookNode:
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell("slider", id="cell-a")
        cell.outputs = [nbformat.v4.new_output(
            "display_data", data={WIDGET_VIEW: {"model_id": model_id, "version_major": 2},
                                  "text/plain": "IntSlider(value=0)"})]
        nb.cells.append(cell)
        nb.metadata["widgets"] = {"state": {model_id: {}}}
        return nb

    first, second = executed("3f2a" * 8), executed("9c1d" * 8)
    _strip_volatile(first)
    _strip_volatile(second)
    assert first == second
    assert "widgets" not in first.metadata
    assert first.cells[0].outputs[0].data[WIDGET_VIEW]["model_id"] != "3f2a" * 8


def test_write_atomic_gives_a_new_file_the_umask_and_keeps_an_old_files_mode(tmp_path):
    from bpkit._files import write_atomic as write_bytes

    old_umask = os.umask(0o027)
    try:
        write_bytes(tmp_path / "new.txt", "x")
        assert (tmp_path / "new.txt").stat().st_mode & 0o777 == 0o640
        (tmp_path / "old.txt").write_text("a")
        (tmp_path / "old.txt").chmod(0o600)
        write_bytes(tmp_path / "old.txt", b"b")
        assert (tmp_path / "old.txt").stat().st_mode & 0o777 == 0o600
        assert (tmp_path / "old.txt").read_bytes() == b"b"
    finally:
        os.umask(old_umask)
