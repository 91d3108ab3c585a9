#!/usr/bin/env python
"""How long does a student-side check take?

Runs every ``check_*`` of ``bpkit.grader`` on its default cases (3 cases,
lesson-sized: layer widths 2 to 7, networks of 2 or 3 layers, batches of up
to 7) with

* a **correct** answer (the common path: call, truth, compare), and
* a **wrong** answer whose every entry is 1 % off (the slowest path: every
  known mistake of the exercise is computed and compared, then the mismatch
  is located),

and prints the median and best wall-clock milliseconds per check over
``--repeats`` runs, and the slowest check. The target is at most 20 ms per check; a check cell
should feel instant. BLAS is pinned to one thread, as on a student's laptop
running one kernel.

Run from the repository root::

    python bench/grader_speed.py              # about ten seconds
    python bench/grader_speed.py --repeats 5  # quicker, noisier
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "tests"), os.path.join(HERE, "..")]

import grader_solutions as ok  # noqa: E402
import numpy as np  # noqa: E402

from bpkit.grader import EXERCISES, run_check  # noqa: E402

TARGET_MS = 20.0


def wrong(fn, factor: float = 1.01):
    """The same answer, every array entry 1 % too large (``fn`` may be lesson 12's dict of functions)."""
    if isinstance(fn, dict):
        return {k: wrong(f, factor) for k, f in fn.items()}

    def scale(v):
        if isinstance(v, np.ndarray):
            return v * factor
        if isinstance(v, (list, tuple)):
            return type(v)(scale(x) for x in v)
        return v

    def wrapped(*args):
        return scale(fn(*args))

    return wrapped


#: init-weights is judged by statistics: 1 % larger weights are still a right draw, 50 % are not.
WRONG_FACTOR = {"init-weights": 1.5}


def time_check(exercise_id: str, fn, repeats: int) -> tuple[float, float, bool]:
    run_check(exercise_id, fn)                                   # warm up (imports, caches)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = run_check(exercise_id, fn)
        times.append(1e3 * (time.perf_counter() - t0))
    return statistics.median(times), min(times), result.passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=25, help="runs per check (default 25)")
    args = parser.parse_args(argv)

    print(f"bpkit.grader check times, ms per check (3 default cases), median / best of {args.repeats}")
    print(f"{'check':<30} {'correct':>15} {'wrong':>15}")
    worst, slowest = 0.0, ""
    for exercise_id in sorted(EXERCISES):
        ex = EXERCISES[exercise_id]
        fn = ok.SOLUTIONS[exercise_id]
        med_ok, best_ok, passed = time_check(exercise_id, fn, args.repeats)
        bad = wrong(fn, WRONG_FACTOR.get(exercise_id, 1.01))
        med_bad, best_bad, failed_passed = time_check(exercise_id, bad, args.repeats)
        assert passed and not failed_passed, exercise_id
        if max(med_ok, med_bad) > worst:
            worst, slowest = max(med_ok, med_bad), ex.check_name
        print(f"{ex.check_name:<30} {med_ok:7.1f} / {best_ok:5.1f} {med_bad:7.1f} / {best_bad:5.1f}")
    verdict = "within" if worst <= TARGET_MS else "OVER"
    print(f"slowest median: {slowest}, {worst:.1f} ms ({verdict} the {TARGET_MS:.0f} ms target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
