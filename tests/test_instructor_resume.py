"""Nothing is lost: reruns skip what is graded, a SIGKILLed run resumes, shards merge into one gradebook.

Each comparison is of the gradebook's bytes against one uninterrupted, unsharded run of the same class.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from instructor_fixtures import CORRECT, lesson, needs_sandbox, save, with_cell

from bpkit.cli import main
from bpkit.instructor.submissions import in_shard

SECRET = "autumn"
pytestmark = needs_sandbox
SLOW = "import time\ntime.sleep(0.1)\n"
STUDENTS = ["ada", "ben", "cy", "dee", "eli", "fay", "gus", "hal", "ivy", "jo", "kim", "lu"]
#: Notebooks in the class: every student's lesson 00, every fourth student's lesson 03, and zed's.
TOTAL = len(STUDENTS) + len(STUDENTS[::4]) + 1


def make_class(folder: Path) -> None:
    """Twelve students, lessons 00 and 03: right, wrong and unfinished answers; every cell a little slow."""
    variants = [
        SLOW + CORRECT,
        SLOW + "def sigmoid(z):\n    return 1 / (1 + np.exp(z))\n",
        SLOW + "def sigmoid(z):\n    return np.tanh(z)\n",
    ]
    for i, student in enumerate(STUDENTS):
        mine = f"# {student}'s answer\n"                # every notebook differs (results are by content)
        save(with_cell(mine + variants[i % 3]), folder / student / "00-welcome.ipynb")
        if i % 4 == 0:
            save(with_cell(mine + SLOW + "def output_error(grad_a, z_L, sigma_prime):\n"
                           "    return grad_a * sigma_prime(z_L)\n", "output-error", "03-output-error"),
                 folder / student / "03-output-error.ipynb")
    save(lesson(), folder / "zed" / "00-welcome.ipynb")


def grade(src: Path, out: Path, *extra: str) -> int:
    return main(["grade", str(src), "-o", str(out), "--secret", SECRET, "--timeout", "10", "--no-progress",
                 "--workers", "2", *extra])


def events(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("resume")
    make_class(tmp / "submissions")
    assert grade(tmp / "submissions", tmp / "whole") == 0
    return tmp


def test_a_rerun_skips_what_is_graded_and_writes_the_same_gradebook(baseline, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(baseline / "whole", out)
    assert grade(baseline / "submissions", out) == 0
    end = events(out)[-1]
    assert end["event"] == "end" and end["graded"] == 0 and end["reused"] == TOTAL
    assert (out / "gradebook.csv").read_bytes() == (baseline / "whole" / "gradebook.csv").read_bytes()

    assert grade(baseline / "submissions", out, "--force") == 0
    assert events(out)[-1]["graded"] == TOTAL
    assert (out / "gradebook.csv").read_bytes() == (baseline / "whole" / "gradebook.csv").read_bytes()


def test_a_changed_notebook_is_regraded_alone(baseline, tmp_path):
    src, out = tmp_path / "submissions", tmp_path / "out"
    shutil.copytree(baseline / "submissions", src)
    shutil.copytree(baseline / "whole", out)
    save(with_cell(CORRECT), src / "ben" / "00-welcome.ipynb")       # ben fixes his answer
    assert grade(src, out) == 0
    assert events(out)[-1]["graded"] == 1
    rows = (out / "gradebook.csv").read_text().splitlines()
    assert "ben,00,sigmoid,1,1,passed,all 6 cases passed" in rows


def _children(pid: int) -> list[int]:
    kids = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if int((p / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    kids.append(int(p.name))
            except (OSError, IndexError, ValueError):
                pass
    return kids


def test_a_run_killed_with_sigkill_and_rerun_gives_the_same_gradebook(baseline, tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "bpkit", "grade", str(baseline / "submissions"), "-o", str(out), "--secret",
           SECRET, "--timeout", "10", "--no-progress", "--workers", "1"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    servers: list[int] = []
    while time.monotonic() < deadline and proc.poll() is None:
        servers = servers or _children(proc.pid)
        if len(list((out / "results").glob("*.json"))) >= 3:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be killed"
    scratch = [p.parent for p in Path(tempfile.gettempdir()).glob("bpkit-grade-*/pid")
               if p.read_text() == str(proc.pid)]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = len(list((out / "results").glob("*.json")))
    assert 3 <= done < TOTAL
    assert not (out / "gradebook.csv").exists()
    for _ in range(500):                        # its worker servers notice and stop
        if not [s for s in servers if Path(f"/proc/{s}").exists() and
                Path(f"/proc/{s}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]:
            break
        time.sleep(0.02)
    else:
        pytest.fail(f"worker servers {servers} outlived the killed grader")

    assert grade(baseline / "submissions", out) == 0
    end = events(out)[-1]
    assert end["graded"] == TOTAL - done and end["reused"] == done
    assert (out / "gradebook.csv").read_bytes() == (baseline / "whole" / "gradebook.csv").read_bytes()
    assert (out / "totals.csv").read_bytes() == (baseline / "whole" / "totals.csv").read_bytes()
    assert len(scratch) == 1 and not scratch[0].exists()     # the killed run's scratch folder is gone


def test_shards_merged_give_the_same_gradebook_as_one_run(baseline, tmp_path):
    shards = [tmp_path / "part1", tmp_path / "part2", tmp_path / "part3"]
    for i, out in enumerate(shards, start=1):
        assert grade(baseline / "submissions", out, "--shard", f"{i}/3") == 0
    sizes = [len(json.loads((s / "submissions.json").read_text())["submissions"]) for s in shards]
    assert sum(sizes) == TOTAL and all(sizes)
    assert main(["merge", *map(str, shards), "-o", str(tmp_path / "merged")]) == 0
    for name in ("gradebook.csv", "totals.csv", "summary.json"):
        assert (tmp_path / "merged" / name).read_bytes() == (baseline / "whole" / name).read_bytes(), name
    merged = sorted(p.name for p in (tmp_path / "merged" / "feedback").iterdir())
    assert merged == sorted(p.name for p in (baseline / "whole" / "feedback").iterdir())
    for name in merged:
        assert (tmp_path / "merged" / "feedback" / name).read_bytes() == \
            (baseline / "whole" / "feedback" / name).read_bytes()


def test_shards_partition_the_students():
    for n in (1, 2, 3, 8):
        for student in STUDENTS + ["zed", "Ünïcode name"]:
            assert sum(in_shard(student, (i, n)) for i in range(1, n + 1)) == 1


def test_merging_shards_graded_with_other_secrets_is_refused(baseline, tmp_path):
    assert grade(baseline / "submissions", tmp_path / "a", "--shard", "1/2") == 0
    assert main(["grade", str(baseline / "submissions"), "-o", str(tmp_path / "b"), "--secret", "other",
                 "--no-progress", "--shard", "2/2"]) == 0
    assert main(["merge", str(tmp_path / "a"), str(tmp_path / "b"), "-o", str(tmp_path / "m")]) == 2
