"""bench/train_speed.py runs end to end (``--quick``) and prints every row.

A smoke test only: it checks that the benchmark works and what it reports,
never how fast anything is (timings are machine-dependent and noisy).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "bench" / "train_speed.py"

ROWS = [
    "GEMM floor float64", "bpkit float64", "bpkit train() float64", "plain numpy float64",
    "batch gather float64", "sigmoid exps float64", "calls alone float64",
    "GEMM floor float32", "bpkit float32", "bpkit train() float32",
    "plain numpy float32", "batch gather float32", "sigmoid exps float32", "calls alone float32",
    "per-example loop float64",
]


@pytest.fixture(scope="module")
def quick_run() -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--repeats", "1", "--no-torch"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


def test_quick_run_exits_0_without_errors(quick_run):
    assert quick_run.returncode == 0, quick_run.stderr
    assert "Traceback" not in quick_run.stderr


def test_quick_run_prints_every_row_with_a_ratio(quick_run):
    lines = quick_run.stdout.splitlines()
    for row in ROWS:
        matching = [line for line in lines if line.strip().startswith(row + " ")]
        assert matching, f"no {row!r} row in:\n{quick_run.stdout}"
        best, median, ratio, paired = matching[0].strip()[len(row):].split()[:4]
        assert float(best) >= 0 and float(median) >= 0 and float(ratio) >= 0 and float(paired) >= 0
    for floor in ("GEMM floor float64", "GEMM floor float32"):
        line = next(line for line in lines if line.startswith(floor))
        assert line.split()[5:7] == ["1.00", "1.00"]  # a floor is 1.00x itself, best and paired


def test_quick_run_prints_the_breakdown_against_the_targets(quick_run):
    """The pieces above the floor add up as printed, and each target gets a verdict."""
    out = quick_run.stdout
    for dtype, loop_target, train_target in (("float64", "1.15", "1.20"), ("float32", "1.25", "1.30")):
        pieces = re.search(rf"  {dtype}: 1\.00 floor \+ ([\d.]+) gather \+ ([\d.]+) sigmoid exps "
                           rf"\+ ([\d.]+) calls = ([\d.]+); the loop ([\d.]+)", out)
        assert pieces, out
        gather, exps, calls, least, _ = map(float, pieces.groups())
        assert abs(1.0 + gather + exps + calls - least) <= 0.015  # rounding of the printed figures
        verdicts = re.search(rf"  {dtype} targets: loop <= {loop_target} \((met|NOT met)\), "
                             rf"train\(\) <= {train_target} \((met|NOT met)\)", out)
        assert verdicts, out


def test_quick_run_reports_its_setup(quick_run):
    out = quick_run.stdout
    assert "[784, 128, 64, 10]" in out and "batch 64" in out
    assert "pinned to 1 thread" in out
    assert "OPENBLAS_CORETYPE=" in out
    assert "timed on 256 examples" in out and "scaled to 3,200" in out  # extrapolation is said
    assert "PyTorch: skipped (--no-torch)" in out
    assert "Same training?" in out


def test_torch_rows_or_a_skip_note():
    """Without --no-torch: PyTorch rows if it is installed, else a printed note (never a crash)."""
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--repeats", "1", "--examples", "640",
         "--loop-examples", "64"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    has_rows = "torch autograd float32" in run.stdout and "torch GEMM floor float32" in run.stdout
    assert has_rows or "PyTorch: skipped (not installed)" in run.stdout, run.stdout
