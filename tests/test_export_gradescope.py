"""``bpkit export gradescope``: the zip, and its run_autograder run here on Gradescope's layout.

``/autograder`` is replaced by a temporary folder through ``$BPKIT_AUTOGRADER_ROOT``, and the
container's venv by this Python through ``$BPKIT_AUTOGRADER_PYTHON``; everything else is what
Gradescope runs: the zip unpacked into ``ROOT/source``, ``run_autograder`` copied to ``ROOT``, the
student's files in ``ROOT/submission``, and ``ROOT/results/results.json`` read back.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

try:
    import tomllib
except ImportError:                         # Python 3.10
    tomllib = None

from bpkit.cli import main
from bpkit.export.gradescope_run import sandbox_flags

ROOT = Path(__file__).resolve().parent.parent
SECRET = "gradescope test secret"
LESSON = "03-output-error.ipynb"
#: student -> {exercise id: (old, new)} applied to the solution; None: the released stub.
HANDINS = {
    "ada": {},
    "bo": None,
    "cy": {"output-error": ("return grad_a * sigma_prime(z_L)", "return grad_a")},          # σ′ missing
    "di": {"output-error-bce": ("return (bpkit.sigmoid(z_L) - y) / m",                      # batch-only bug
                                "return (bpkit.sigmoid(z_L) - y) / (m if z_L.shape[1] > 1 else 1)")},
    "ed": {"output-error": ("return grad_a * sigma_prime(z_L)", "import os\n    os._exit(1)")},  # crash
}
TEST_KEYS = {"name", "number", "score", "max_score", "status", "output", "visibility"}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}


def _notebook(changes):
    if changes is None:
        return nbformat.read(ROOT / "lessons" / LESSON, as_version=4)
    nb = nbformat.read(ROOT / "solutions" / LESSON, as_version=4)
    for cell in nb.cells:
        for tag in cell.metadata.get("tags", []):
            if tag.startswith("exercise:") and tag[9:] in changes:
                old, new = changes[tag[9:]]
                assert old in cell.source
                cell.source = cell.source.replace(old, new)
    return copy.deepcopy(nb)


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    zip_path = tmp_path_factory.mktemp("zip") / "autograder.zip"
    assert main(["export", "gradescope", "-o", str(zip_path), "--secret", SECRET, "--hidden-cases", "2",
                 "--lessons", "03,04", "--points", "3"]) == 0
    return zip_path


def _gradescope(zip_path: Path, root: Path, files: dict[str, nbformat.NotebookNode]) -> dict:
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(root / "source")
    run = root / "run_autograder"
    run.write_bytes((root / "source" / "run_autograder").read_bytes())
    run.chmod(0o755)
    for name, nb in files.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, root / "submission" / name)
    (root / "results").mkdir(exist_ok=True)
    env = {**os.environ, "BPKIT_AUTOGRADER_ROOT": str(root), "BPKIT_AUTOGRADER_PYTHON": sys.executable}
    env.pop("BPKIT_SECRET", None)
    done = subprocess.run([str(run)], cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_the_zip_holds_what_gradescope_needs(autograder):
    with zipfile.ZipFile(autograder) as z:
        names = set(z.namelist())
        assert {"setup.sh", "run_autograder", "bpkit-autograder.json", "bpkit-src/pyproject.toml",
                "bpkit-src/bpkit/cli.py", "bpkit-src/bpkit/data/digits.npz"} <= names
        assert not [n for n in names if "__pycache__" in n]
        for script in ("setup.sh", "run_autograder"):
            assert z.getinfo(script).external_attr >> 16 & 0o111, f"{script} is not executable"
            assert z.read(script).startswith(b"#!/usr/bin/env bash\n")
        cfg = json.loads(z.read("bpkit-autograder.json"))
        project = tomllib.loads(z.read("bpkit-src/pyproject.toml").decode())["project"] if tomllib else None
    assert cfg == {"lessons": [3, 4], "points": 3.0, "hidden_cases": 2, "secret": SECRET, "timeout": 30.0,
                   "hidden_visibility": "after_published"}
    if project is not None:                 # setup.sh pip-installs bpkit-src: this bpkit, its dependencies
        assert project["name"] == "bpkit" and any(d.startswith("numpy") for d in project["dependencies"])


def test_hidden_cases_need_a_secret(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("BPKIT_SECRET", raising=False)
    assert main(["export", "gradescope", "-o", str(tmp_path / "a.zip")]) == 2
    assert "hidden cases need the instructor's secret" in capsys.readouterr().err
    assert main(["export", "gradescope", "-o", str(tmp_path / "a.zip"), "--lessons", "99",
                 "--hidden-cases", "0"]) == 2


def test_no_sandbox_only_where_the_container_is_the_sandbox():
    assert sandbox_flags(True, in_container=True) == ([], "")
    assert sandbox_flags(True, in_container=False) == ([], "")
    flags, note = sandbox_flags(False, in_container=True)
    assert flags == ["--no-sandbox"] and "container is the sandbox" in note
    assert sandbox_flags(False, in_container=False) == ([], "")


@pytest.mark.slow
def test_run_autograder_writes_gradescopes_results_with_bpkit_grades_points(autograder, tmp_path):
    results = {}
    for student, changes in HANDINS.items():
        files = {f"work/{LESSON}": _notebook(changes), "notes.txt.ipynb": _notebook({})}
        if student == "ada":
            files[f"zz/{LESSON}"] = _notebook(HANDINS["cy"])              # a second copy: ignored
        results[student] = _gradescope(autograder, tmp_path / student, files)
        (tmp_path / "handins" / student).mkdir(parents=True)
        nbformat.write(_notebook(changes), tmp_path / "handins" / student / LESSON)
    assert main(["grade", str(tmp_path / "handins"), "-o", str(tmp_path / "graded"), "--secret", SECRET,
                 "--hidden-cases", "2", "--no-progress"]) in (0, 1)
    with open(tmp_path / "graded" / "gradebook.csv", newline="") as f:
        expected = {(r["student"], r["exercise"]): 3 * float(r["points"]) for r in csv.DictReader(f)}

    for student, res in results.items():
        assert set(res) >= {"tests", "output", "visibility"}
        by_exercise: dict[str, float] = {}
        for test in res["tests"]:
            assert set(test) == TEST_KEYS and test["visibility"] in VISIBILITIES
            assert isinstance(test["score"], float) and 0 <= test["score"] <= test["max_score"]
            assert test["status"] in ("passed", "failed") and isinstance(test["output"], str)
            ex_id = test["name"].split(" ")[1].rstrip(":")
            by_exercise[ex_id] = by_exercise.get(ex_id, 0.0) + test["score"]
            if "(hidden cases)" in test["name"]:
                assert test["visibility"] == "after_published" and test["output"].startswith("Hidden cases:")
                assert test["max_score"] == pytest.approx(3 * 2 / 5, abs=1e-4)
            else:
                assert test["visibility"] == "visible"
        lesson03 = {k: v for k, v in by_exercise.items() if (student, k) in expected}
        assert lesson03 == pytest.approx({k: v for (s, k), v in expected.items() if s == student}, abs=1e-3)
        # lesson 04 was not handed in: its exercise is there, with 0 points and why
        missing = [t for t in res["tests"] if t["name"].startswith("04 ")]
        assert missing and all(t["score"] == 0 for t in missing)
        assert "No notebook 04-" in missing[0]["output"]
        assert sum(t["max_score"] for t in res["tests"]) == pytest.approx(3 * 4, abs=1e-3)   # 4 exercises
    assert "Lesson 03: graded work/03-output-error.ipynb; ignored zz/03-output-error.ipynb" \
        in results["ada"]["output"]
    assert sum(t["score"] for t in results["ada"]["tests"]) == pytest.approx(3 * 3, abs=1e-3)
    assert sum(t["score"] for t in results["bo"]["tests"]) == 0
    cy = next(t for t in results["cy"]["tests"] if t["name"].startswith("03 output-error: ") and
              "public" in t["name"])
    assert "σ′ missing" in cy["output"] and cy["score"] == 0
    ed = next(t for t in results["ed"]["tests"] if t["name"].startswith("03 output-error: "))
    assert "crashed" in ed["output"]
