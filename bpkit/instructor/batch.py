"""Grading a whole class (``bpkit grade``) and joining the shards of one (``bpkit merge``).

:func:`grade_class` discovers the submissions, keeps this shard's students,
skips every notebook already graded with the same set-up (its result record
exists under its content hash), grades the rest in parallel -- one worker
server per slot, a thread per slot that sends jobs and judges the answers --
writes each result as soon as it is judged, and finally rebuilds every
report from the index and the results.

:func:`merge_outputs` joins output folders of shards graded with the same
secret and settings into one, as if the class had been graded in one run.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..grader.cases import hidden_seed
from . import feedback, summary
from .gradebook import (
    RESULTS,
    any_ungraded,
    clean_temporaries,
    csv_text,
    entry_exercises,
    entry_key,
    entry_result,
    load_index,
    load_result,
    log_event,
    result_name,
    rows,
    save_index,
    save_result,
    totals,
    write_atomic,
)
from .grading import FORMAT, GRADER_ERROR, LessonPlan, Limits, grade_notebook, remove_tree
from .pool import WorkerPool
from .submissions import MAX_NOTEBOOK, discover, in_shard

EXIT_OK, EXIT_UNGRADED = 0, 1


class GradingUsageError(ValueError):
    """Bad input to a grading command (no submissions, mismatched shards): exit status 2."""


def default_workers() -> int:
    """The cores this process may use (its CPU affinity where the system has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@dataclass
class GradeOptions:
    """Everything ``bpkit grade`` can be told (see its ``--help``)."""

    workers: int = field(default_factory=default_workers)
    limits: Limits = field(default_factory=Limits)
    shard: tuple[int, int] | None = None
    force: bool = False
    secret: str | None = None
    hidden_cases: int = 3
    progress: bool = True


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/8"`` -> ``(2, 8)``: the second of eight slices (1-based)."""
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise GradingUsageError(f"--shard must look like I/N (e.g. 2/8), not {text!r}") from None
    if not 1 <= i <= n:
        raise GradingUsageError(f"--shard {text}: I must be between 1 and N")
    return i, n


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _failed_result(plan: LessonPlan, sha: str, err: BaseException) -> dict[str, Any]:
    from .grading import unreadable_result

    rec = unreadable_result(plan, sha, f"the grader failed ({type(err).__name__}: {str(err)[:160]})")
    for ex in rec["exercises"]:
        ex["status"] = GRADER_ERROR
    rec["problem"] = None
    return rec


def _grade_one(data: bytes, name: str, plan: LessonPlan, pool: WorkerPool, limits: Limits,
               tmp: str) -> dict[str, Any]:
    import hashlib

    try:
        return grade_notebook(data, name, plan, pool, limits, tmp)
    except Exception as err:  # noqa: BLE001 -- one submission's grader failure is its row, not the run's end
        return _failed_result(plan, hashlib.sha256(data).hexdigest(), err)


def _reusable(rec: dict[str, Any] | None, plan: LessonPlan) -> bool:
    return (rec is not None and rec.get("config") == plan.config and rec.get("format") == FORMAT
            and not any(ex.get("status") == GRADER_ERROR for ex in rec.get("exercises", [])))


def grade_class(submissions: Path, out: Path, opts: GradeOptions,
                echo: Callable[[str], None] = print) -> int:
    """Grade every submission in ``submissions`` (this shard's) into ``out``; the exit status."""
    started = time.monotonic()
    if not submissions.is_dir():
        raise GradingUsageError(f"submissions folder {submissions} does not exist")
    if opts.hidden_cases and not opts.secret:
        raise GradingUsageError("hidden cases need the instructor's secret: pass --secret or set "
                                "BPKIT_SECRET (or use --hidden-cases 0)")
    subs, ignored = discover(submissions)
    if not subs:
        raise GradingUsageError(f"no submissions found in {submissions} (see `bpkit grade --help` for the "
                                "layouts)")
    chosen = [s for s in subs if in_shard(s.student, opts.shard)]
    out.mkdir(parents=True, exist_ok=True)
    (out / RESULTS).mkdir(exist_ok=True)
    clean_temporaries(out)
    seed = hidden_seed(opts.secret) if opts.hidden_cases and opts.secret else None
    plans: dict[int, LessonPlan] = {}
    entries: list[dict[str, Any]] = []
    todo: dict[str, tuple[bytes, str, LessonPlan, list[str]]] = {}
    reused = 0
    for s in chosen:
        if s.lesson not in plans:
            plans[s.lesson] = LessonPlan(s.lesson, seed, opts.hidden_cases)
        plan = plans[s.lesson]
        entry: dict[str, Any] = {"student": s.student, "lesson": s.lesson, "file": s.name, "sha256": None,
                                 "result": None, "config": plan.config, "problem": None}
        entries.append(entry)
        if not plan.exercises:
            continue
        try:
            if s.path.stat().st_size > MAX_NOTEBOOK:
                entry["problem"] = f"the file is too large ({s.path.stat().st_size // (1024 * 1024)} MB)"
                continue
            data = s.path.read_bytes()
        except OSError as err:
            entry["problem"] = f"cannot read the file ({err.strerror})"
            continue
        import hashlib

        entry["sha256"] = hashlib.sha256(data).hexdigest()
        entry["result"] = result_name(entry["sha256"], s.lesson)
        if not opts.force and _reusable(load_result(out, entry["result"]), plan):
            reused += 1
            continue
        if entry["result"] in todo:
            todo[entry["result"]][3].append(s.student)
        else:
            todo[entry["result"]] = (data, s.name, plan, [s.student])
    head = {"format": FORMAT, "bpkit": __version__, "hidden_cases": opts.hidden_cases,
            "shard": f"{opts.shard[0]}/{opts.shard[1]}" if opts.shard else None, "ignored": ignored}
    save_index(out, entries, **head)
    log_event(out, "start", submissions=str(submissions), shard=head["shard"], students=len(
        {s.student for s in chosen}), notebooks=len(chosen), to_grade=len(todo), reused=reused,
        workers=opts.workers, timeout=opts.limits.timeout, memory_mb=opts.limits.memory_mb,
        hidden_cases=opts.hidden_cases, ignored=ignored)
    for line in ignored:
        echo(f"ignored: {line}")
    landlock = None
    if todo:
        landlock = _run(todo, out, opts, echo)
    code = write_reports(out, entries)
    took = time.monotonic() - started
    log_event(out, "end", graded=len(todo), reused=reused, seconds=round(took, 2), exit=code,
              landlock=landlock)
    echo(f"graded {_plural(len(todo), 'notebook')}"
         + (f" ({reused} unchanged since an earlier run, not regraded)" if reused else "")
         + f" for {_plural(len({e['student'] for e in entries}), 'student')} in {took:.1f} s -> "
         f"{out / 'gradebook.csv'}")
    if code != EXIT_OK:
        echo("some submissions could not be graded: see the rows with status "
             "unreadable, grader-error, not-graded or no-exercises")
    return code


_TMP_PREFIX = "bpkit-grade-"


def _remove_stale_folders() -> None:
    """Remove the temporary folders of grading runs that were killed (their process is gone)."""
    base = Path(tempfile.gettempdir())
    for folder in base.glob(_TMP_PREFIX + "*"):
        try:
            pid = int((folder / "pid").read_text())
            os.kill(pid, 0)
        except ProcessLookupError:
            remove_tree(str(folder))
        except (OSError, ValueError):
            continue                                    # not ours, or still starting: leave it


def _run(todo: dict[str, tuple[bytes, str, LessonPlan, list[str]]], out: Path, opts: GradeOptions,
         echo: Callable[[str], None]) -> int:
    from tqdm.auto import tqdm

    _remove_stale_folders()
    tmp = tempfile.mkdtemp(prefix=_TMP_PREFIX)
    Path(tmp, "pid").write_text(str(os.getpid()))
    n = max(1, min(int(opts.workers), len(todo)))
    executor = ThreadPoolExecutor(max_workers=n, thread_name_prefix="bpkit-grade")
    pool = None
    try:
        pool = WorkerPool(n, tmp, log=str(out / "workers.log"))
        if not opts.limits.landlock:
            echo("warning: --no-landlock: workers are not confined to their folders")
        elif pool.landlock == 0:
            echo("warning: Landlock is not available on this system: submissions can read and write the "
                 "grading user's files. Grade in a container or as a separate user (see the README).")
        elif pool.landlock < 6:
            echo(f"warning: Landlock ABI {pool.landlock} (before Linux 6.12) cannot stop workers from "
                 "signalling other processes: a submission could stop this run (see the README).")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            futures = {executor.submit(_grade_one, data, name, plan, pool, opts.limits, tmp): key
                       for key, (data, name, plan, _) in todo.items()}
            bar = tqdm(total=len(futures), unit="notebook", desc="grading", file=sys.stderr,
                       disable=True if not opts.progress else None, dynamic_ncols=True)
            with bar:
                for fut in as_completed(futures):
                    key = futures[fut]
                    rec = fut.result()
                    rec["file"] = todo[key][1]
                    save_result(out, key, rec)
                    log_event(out, "graded", result=key, students=todo[key][3], file=todo[key][1],
                              lesson=rec["lesson"], seconds=round(sum(r.get("seconds") or 0 for r in
                                                                       rec.get("runs", [])), 3),
                              statuses={e["id"]: e["status"] for e in rec["exercises"]},
                              points=round(sum(e["points"] for e in rec["exercises"]), 4),
                              runs=rec.get("runs", []), notes=rec.get("notes", []))
                    bar.update(1)
        executor.shutdown(wait=True)
        return pool.landlock
    except BaseException:
        if pool is not None:
            pool.stop()
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        if pool is not None:
            pool.close()
        remove_tree(tmp)


# --------------------------------------------------------------------------- reports

def write_reports(out: Path, entries: list[dict[str, Any]]) -> int:
    """Rebuild the gradebook, totals, feedback and summary from the index and the results."""
    table = rows(out, entries)
    write_atomic(out / "gradebook.csv", csv_text(table))
    columns, trows = totals(table)
    write_atomic(out / "totals.csv", csv_text(trows, tuple(columns)))
    _write_feedback(out, entries)
    fig = summary.figures(table)
    write_atomic(out / "summary.md", summary.markdown(fig))
    write_atomic(out / "summary.json", summary.json_text(fig))
    write_atomic(out / "histogram.png", summary.histogram_png(fig))
    return EXIT_UNGRADED if any_ungraded(table) else EXIT_OK


def _write_feedback(out: Path, entries: list[dict[str, Any]]) -> None:
    folder = out / "feedback"
    folder.mkdir(exist_ok=True)
    by_student: dict[str, list[dict[str, Any]]] = {}
    for e in sorted(entries, key=entry_key):
        by_student.setdefault(e["student"], []).append(e)
    taken: set[str] = set()
    written = set()
    for student, items in by_student.items():
        lessons = []
        for e in items:
            rec = entry_result(out, e)
            lessons.append((e, entry_exercises(out, e), list(rec.get("notes", [])) if rec else []))
        stem = feedback.file_stem(student, taken)
        write_atomic(folder / f"{stem}.md", feedback.markdown(student, lessons))
        write_atomic(folder / f"{stem}.html", feedback.html_page(student, lessons))
        written |= {f"{stem}.md", f"{stem}.html"}
    for p in folder.iterdir():
        if p.suffix in (".md", ".html") and p.name not in written:
            p.unlink()


# --------------------------------------------------------------------------- merge

def merge_outputs(folders: list[Path], dest: Path, echo: Callable[[str], None] = print) -> int:
    """Join the output folders of shards into ``dest``; the exit status."""
    entries: dict[tuple[str, int], dict[str, Any]] = {}
    where: dict[tuple[str, int], Path] = {}
    configs: dict[int, str] = {}
    dest.mkdir(parents=True, exist_ok=True)
    (dest / RESULTS).mkdir(exist_ok=True)
    clean_temporaries(dest)
    hidden = set()
    for folder in folders:
        try:
            index = load_index(folder)
        except (OSError, ValueError) as err:
            raise GradingUsageError(f"{folder} is not an output folder of `bpkit grade` ({err})") from None
        hidden.add(index.get("hidden_cases"))
        for e in index["submissions"]:
            key = (str(e["student"]), int(e["lesson"]))
            if key in entries and entries[key] != e:
                raise GradingUsageError(f"{key[0]}, lesson {key[1]:02d} is in both {where[key]} and {folder} "
                                        "with different files")
            if configs.setdefault(key[1], e["config"]) != e["config"]:
                raise GradingUsageError(f"{folder} was graded with other settings (secret, --hidden-cases or "
                                        "bpkit version) than the folders before it; grade every shard alike")
            entries[key], where[key] = e, folder
            if e.get("result"):
                src = folder / RESULTS / e["result"]
                target = dest / RESULTS / e["result"]
                if src.is_file() and src.resolve() != target.resolve():
                    data = src.read_bytes()
                    if not target.is_file() or target.read_bytes() != data:
                        write_atomic(target, data)
    if len(hidden) > 1:
        raise GradingUsageError("the folders were graded with different --hidden-cases")
    merged = sorted(entries.values(), key=entry_key)
    save_index(dest, merged, format=FORMAT, bpkit=__version__, hidden_cases=hidden.pop() if hidden else None,
               shard=None, merged_from=[str(f) for f in folders], ignored=[])
    code = write_reports(dest, merged)
    log_event(dest, "merge", folders=[str(f) for f in folders], submissions=len(merged), exit=code)
    echo(f"merged {len(folders)} folders: {_plural(len(merged), 'notebook')} of "
         f"{_plural(len({e['student'] for e in merged}), 'student')} -> {dest / 'gradebook.csv'}")
    return code
