"""Hints (issue 13, point 7): 1-3 per exercise, never the solution's code, shown only when asked,
the pointer fitting the diagnosis; `bpkit release --no-hints` turns them off."""

from __future__ import annotations

import json
import re
from pathlib import Path

import grader_solutions as ok
import nbformat
import pytest
from grader_bugs import BUGS

from bpkit.grader import EXERCISES, hints_off, hints_on, run_check
from bpkit.release import HINTS_OFF_LINE, make_lesson

ROOT = Path(__file__).resolve().parents[1]
_REGION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


def _solution_lines() -> dict[str, list[str]]:
    """Exercise id -> the code lines of its solution regions in solutions/*.ipynb."""
    out: dict[str, list[str]] = {}
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            tags = [t for t in cell.get("metadata", {}).get("tags", []) if t.startswith("exercise:")]
            if tags:
                src = "".join(cell["source"])
                lines = [ln.split("#")[0].strip() for r in _REGION.findall(src) for ln in r.splitlines()]
                out[tags[0].split(":", 1)[1]] = [ln for ln in lines if len(ln) >= 12]
    return out


@pytest.fixture(autouse=True)
def _hints_back_on():
    yield
    hints_on()


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_every_exercise_has_one_to_three_hints_and_none_gives_the_solution_code(exercise_id):
    ex = EXERCISES[exercise_id]
    assert 1 <= len(ex.hints) <= 3 and all(isinstance(h, str) and len(h) > 40 for h in ex.hints)
    solution = _solution_lines()[exercise_id]
    assert solution, exercise_id
    squeezed = [h.replace(" ", "") for h in ex.hints]
    for line in solution:
        assert not any(line.replace(" ", "") in h for h in squeezed), (exercise_id, line)
    assert set(ex.hint_for.values()) <= set(range(1, len(ex.hints) + 1)), exercise_id


FAILING = [b for b in BUGS if b[3] not in ("not-attempted", "float32")]


@pytest.mark.parametrize("bug", FAILING, ids=lambda b: b[0])
def test_a_failing_check_points_at_the_hint_its_diagnosis_maps_to(bug):
    name, exercise_id, fn, expected = bug
    ex = EXERCISES[exercise_id]
    result = run_check(exercise_id, fn)
    first = result.failures[0]
    want = ex.hint_number(first.diagnosis, (*first.mistakes, first.cause))
    assert result.hint_number == want
    text = str(result)
    if want:
        assert text.splitlines()[-1].startswith(f"Stuck? Hint {want} is about this: _.hint({want})")
        assert f"<summary>Hint {want} of {len(ex.hints)}</summary>" in result._repr_html_()
    else:
        assert "Stuck?" not in text


def test_named_mistakes_point_at_a_specific_hint():
    result = run_check("output-error-mse", next(b[2] for b in BUGS if b[0] == "mse-no-1/m"))
    assert result.hint_number == 2 and "1/m" in str(result.hint(2))
    assert str(result).endswith(".hint(2).")


def test_hints_are_shown_only_when_asked_in_order_and_by_number():
    result = run_check("sigmoid", next(b[2] for b in BUGS if b[0] == "exponent-sign"))
    ex = EXERCISES["sigmoid"]
    assert not any(h in str(result) for h in ex.hints)
    assert str(result.hint()) == f"Hint 1 of {len(ex.hints)} (sigmoid): {ex.hints[0]}"
    assert str(result.hint()).startswith("Hint 2 of")
    assert str(result.hint(1)).startswith("Hint 1 of")
    assert str(result.hint()).startswith("Hint 3 of")
    assert str(result.hint()).startswith("Hint 3 of")           # the last one stays
    with pytest.raises(ValueError, match="hint number must be 1 to 3"):
        result.hint(4)
    html = result._repr_html_()
    assert html.count("<details") == len(ex.hints)


def test_a_passing_check_has_no_pointer_and_no_hint_boxes():
    result = run_check("sigmoid", ok.sigmoid)
    assert "Stuck?" not in str(result) and "<details" not in result._repr_html_()
    assert str(result.hint(1)).startswith("Hint 1 of")           # still there when asked


def test_hints_off_hides_hints_and_pointers():
    bug = next(b[2] for b in BUGS if b[0] == "mse-no-1/m")
    hints_off()
    result = run_check("output-error-mse", bug)
    assert not result.passed and "Stuck?" not in str(result)
    assert "<details" not in result._repr_html_()
    assert str(result.hint()) == "Hints are turned off for this assignment."
    assert str(result.hint(2)) == "Hints are turned off for this assignment."
    hints_on()
    assert "Stuck?" in str(run_check("output-error-mse", bug))


def test_release_no_hints_puts_the_switch_first_in_the_set_up_cell():
    solution = nbformat.read(ROOT / "solutions" / "03-output-error.ipynb", as_version=4)
    graded = make_lesson(solution, "03", hints=False)
    plain = make_lesson(solution, "03")
    first = next(c for c in graded.cells if c.cell_type == "code")
    assert first.source.splitlines()[0] == HINTS_OFF_LINE
    assert not any(HINTS_OFF_LINE in c.source for c in plain.cells)
    assert len(graded.cells) == len(plain.cells)
    # the switch works in a fresh namespace, as the lesson's kernel runs it
    exec(compile(HINTS_OFF_LINE, "<set-up cell>", "exec"), {})
    result = run_check("output-error-mse", next(b[2] for b in BUGS if b[0] == "mse-no-1/m"))
    assert "Stuck?" not in str(result)


def test_the_cli_has_the_no_hints_switch():
    from bpkit.cli import build_parser

    args = build_parser().parse_args(["release", "--no-hints", "--no-execute"])
    assert args.no_hints and args.no_execute
