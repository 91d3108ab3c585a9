"""Does a notebook cell stall under nbclient? Execute one notebook many times and time every cell.

The stall this looks for: a cell whose kernel has long finished, yet nbclient
waits for its reply until the cell timeout runs out, then carries on as if
nothing happened (the reply was there all along). With a short ``--timeout``
such a cell shows up as taking almost exactly the timeout.

    python bench/widget_stall.py solutions/08-training.ipynb --runs 30 --timeout 20 --load 2

``--load N`` runs N busy loops (one process each, killed at the end) to mimic
a busy machine. The report lists, per cell, the median and the longest time,
and every run in which a cell took more than half the timeout.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def busy() -> None:          # pragma: no cover - runs in a child process
    while True:
        pass


def _seconds(stamp: str) -> float:
    from datetime import datetime
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def run_once(path: Path, timeout: float) -> dict[str, float]:
    """Execute the notebook once (as bpkit execute does); return each code cell's wall time, by cell id."""
    from nbclient import NotebookClient

    from bpkit.release import KERNEL_NAME, _kernel_manager

    nb = nbformat.read(path, as_version=4)
    starts: dict[int, float] = {}
    times: dict[str, float] = {}

    def on_start(cell, cell_index):
        starts[cell.get("id", cell_index)] = time.monotonic()

    def on_done(cell, cell_index, execute_reply):
        key = cell.get("id", cell_index)
        times[key] = time.monotonic() - starts[key]
        stamps = cell.metadata.get("execution", {})
        if times[key] > timeout / 2 and stamps:        # when did the *kernel* say what?
            t0 = _seconds(stamps["iopub.status.busy"])
            print(f"  {key}: kernel-side times after busy: " + ", ".join(
                f"{name} {_seconds(value) - t0:.2f} s" for name, value in stamps.items()), flush=True)

    client = NotebookClient(nb, km=_kernel_manager(), kernel_name=KERNEL_NAME, timeout=timeout,
                            record_timing=True, on_cell_start=on_start, on_cell_executed=on_done,
                            resources={"metadata": {"path": str(path.parent)}})
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    client.execute(env=env, stderr=subprocess.DEVNULL, cleanup_kc=True)   # km given: not shut down otherwise
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=20.0, help="cell timeout in seconds (20)")
    parser.add_argument("--load", type=int, default=0, help="busy-loop processes to run meanwhile (0)")
    parser.add_argument("--no-output-sync", action="store_true",
                        help="experiment: stop nbclient's Output-widget mimic from sending its state back "
                             "to the kernel (on the shell channel, where the cell's reply is awaited)")
    args = parser.parse_args(argv)
    if args.no_output_sync:
        from nbclient.output_widget import OutputWidget
        OutputWidget.sync_state = lambda self: None

    loaders = [multiprocessing.Process(target=busy, daemon=True) for _ in range(args.load)]
    for p in loaders:
        p.start()
    per_run: list[dict[str, float]] = []
    failures = 0
    try:
        for run in range(1, args.runs + 1):
            try:
                times = run_once(args.notebook, args.timeout)
            except Exception as err:        # a real timeout (no reply at all) or a failing cell
                failures += 1
                print(f"run {run}: FAILED: {type(err).__name__}: {str(err).splitlines()[0][:120]}")
                continue
            per_run.append(times)
            slow = [(i, t) for i, t in times.items() if t > args.timeout / 2]
            note = ", ".join(f"cell {i} took {t:.1f} s" for i, t in slow) or "no stall"
            print(f"run {run}: total {sum(times.values()):5.1f} s, {note}", flush=True)
    finally:
        for p in loaders:
            p.kill()
            p.join()
    if per_run:
        print(f"\n{args.notebook.name}: {len(per_run)} runs, {failures} failed, load {args.load}, "
              f"timeout {args.timeout:g} s")
        print("cell      median s   longest s   runs above timeout/2")
        for i in per_run[0]:
            col = [times[i] for times in per_run]
            stalls = sum(t > args.timeout / 2 for t in col)
            print(f"{i:8s}  {statistics.median(col):8.2f}   {max(col):9.2f}   {stalls:4d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
