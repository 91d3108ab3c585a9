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

import errno
import fcntl
import hashlib
import os
import resource
import signal
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..grader.cases import hidden_seed
from . import bwrap, cgroup, feedback, summary
from .feedback import shown
from .gradebook import (
    RESULTS,
    any_ungraded,
    clean_temporaries,
    csv_bytes,
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
from .sandbox import readable_roots
from .submissions import MAX_NOTEBOOK, Unreadable, discover, in_shard, read_submission

EXIT_OK, EXIT_UNGRADED = 0, 1
#: The output disk is full (or a file-size limit was hit): every result written so far is kept.
EXIT_DISK_FULL = 3
#: bubblewrap is missing or cannot create namespaces (and --no-sandbox was not given).
EXIT_NO_SANDBOX = 4
_DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
LIBRARY_CALLS = ("flag", "zero", "allow")


class GradingUsageError(ValueError):
    """Bad input to a grading command (no submissions, mismatched shards, a busy folder): exit status 2."""


class DiskFull(OSError):
    """The output folder cannot be written: no space, a quota, or a file-size limit."""


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
    sandbox: bool = True
    library_calls: str = "flag"


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

    rec = unreadable_result(plan, sha, f"the grader failed ({type(err).__name__}: {str(err)[:160]}); "
                                       "it is regraded on the next run")
    for ex in rec["exercises"]:
        ex["status"] = GRADER_ERROR
    rec["problem"] = None
    return rec


def _grade_one(data: bytes, name: str, plan: LessonPlan, pool: WorkerPool, limits: Limits) -> dict[str, Any]:
    try:
        return grade_notebook(data, name, plan, pool, limits)
    except Exception as err:  # noqa: BLE001 -- one submission's grader failure is its row, not the run's end
        return _failed_result(plan, hashlib.sha256(data).hexdigest(), err)


def _reusable(rec: dict[str, Any] | None, plan: LessonPlan) -> bool:
    """A stored result may stand in for grading -- never one the grader itself failed."""
    return (rec is not None and rec.get("config") == plan.config and rec.get("format") == FORMAT
            and not any(ex.get("status") == GRADER_ERROR for ex in rec.get("exercises", [])))


def steady_limits() -> None:
    """Make this process robust to odd limits it was started with.

    The soft limits on file size and open files are raised to their hard
    limits, and SIGXFSZ is ignored, so that a write past a file-size limit
    fails (and is reported as a full disk) instead of killing the run.
    """
    for which in (resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE):
        try:
            soft, hard = resource.getrlimit(which)
            if soft != hard:
                resource.setrlimit(which, (hard, hard))
        except (ValueError, OSError):
            pass
    try:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    except (ValueError, OSError, AttributeError):      # not the main thread: leave it
        pass


@contextmanager
def locked(out: Path):
    """Hold ``OUT/.lock`` for the run; :class:`GradingUsageError` if another run holds it."""
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out / ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GradingUsageError(f"another `bpkit grade` or `bpkit merge` is writing to {out}: wait for "
                                    "it "
                                    "to finish (or grade into another folder)") from None
        yield
    finally:
        os.close(fd)


def _sandbox(opts: GradeOptions) -> str | None:
    """The path of a working bwrap, None with --no-sandbox; :class:`SandboxUnavailable` otherwise."""
    if not opts.sandbox:
        return None
    return bwrap.check()


def grade_class(submissions: Path, out: Path, opts: GradeOptions,
                echo: Callable[[str], None] = print) -> int:
    """Grade every submission in ``submissions`` (this shard's) into ``out``; the exit status."""
    started = time.monotonic()
    steady_limits()
    if not submissions.is_dir():
        raise GradingUsageError(f"submissions folder {submissions} does not exist")
    if opts.hidden_cases and not opts.secret:
        raise GradingUsageError("hidden cases need the instructor's secret: pass --secret or set "
                                "BPKIT_SECRET (or use --hidden-cases 0)")
    if opts.library_calls not in LIBRARY_CALLS:
        raise GradingUsageError(f"--library-calls must be one of {', '.join(LIBRARY_CALLS)}")
    subs, ignored = discover(submissions)
    if not subs:
        raise GradingUsageError(f"no submissions found in {submissions} (see `bpkit grade --help` for the "
                                "layouts)")
    exe = _sandbox(opts)
    with locked(out):
        try:
            return _grade_locked(submissions, out, opts, echo, subs, ignored, exe, started)
        except DiskFull as err:
            echo(f"bpkit grade: the output folder {out} cannot be written ({err.strerror}): every result "
                 "written before is kept; free some space and run the same command again (it resumes)")
            return EXIT_DISK_FULL


def _guard_disk(func: Callable, *args: Any, **kwargs: Any) -> Any:
    try:
        return func(*args, **kwargs)
    except OSError as err:
        if err.errno in _DISK_ERRORS:
            raise DiskFull(err.errno, os.strerror(err.errno)) from None
        raise


def _entries(submissions: Path, out: Path, chosen: list, plans: dict[int, LessonPlan], opts: GradeOptions,
             seed: int | None) -> tuple[list[dict[str, Any]], dict[str, tuple], int]:
    entries: list[dict[str, Any]] = []
    todo: dict[str, tuple[bytes, str, LessonPlan, list[str]]] = {}
    reused = 0
    for s in chosen:
        if s.lesson is None:
            entries.append({"student": s.student, "lesson": None, "file": s.name, "sha256": None,
                            "result": None, "config": None, "problem": s.problem})
            continue
        if s.lesson not in plans:
            plans[s.lesson] = LessonPlan(s.lesson, seed, opts.hidden_cases, opts.library_calls)
        plan = plans[s.lesson]
        entry: dict[str, Any] = {"student": s.student, "lesson": s.lesson, "file": s.name, "sha256": None,
                                 "result": None, "config": plan.config, "problem": None}
        entries.append(entry)
        if not plan.exercises:
            continue
        try:
            data = read_submission(submissions, s, MAX_NOTEBOOK)
        except Unreadable as err:
            entry["problem"] = str(err)
            continue
        entry["sha256"] = hashlib.sha256(data).hexdigest()
        entry["result"] = result_name(entry["sha256"], s.lesson)
        if not opts.force and _reusable(load_result(out, entry["result"]), plan):
            reused += 1
            continue
        if entry["result"] in todo:
            todo[entry["result"]][3].append(s.student)
        else:
            todo[entry["result"]] = (data, s.name, plan, [s.student])
    return entries, todo, reused


def _grade_locked(submissions: Path, out: Path, opts: GradeOptions, echo: Callable[[str], None], subs: list,
                  ignored: list[str], exe: str | None, started: float) -> int:
    chosen = [s for s in subs if in_shard(s.student, opts.shard)]
    _guard_disk((out / RESULTS).mkdir, exist_ok=True)
    clean_temporaries(out)
    seed = hidden_seed(opts.secret) if opts.hidden_cases and opts.secret else None
    plans: dict[int, LessonPlan] = {}
    entries, todo, reused = _entries(submissions, out, chosen, plans, opts, seed)
    head = {"format": FORMAT, "bpkit": __version__, "hidden_cases": opts.hidden_cases,
            "shard": f"{opts.shard[0]}/{opts.shard[1]}" if opts.shard else None, "ignored": ignored}
    _guard_disk(save_index, out, entries, **head)
    _guard_disk(log_event, out, "start", submissions=str(submissions), shard=head["shard"], students=len(
        {s.student for s in chosen}), notebooks=len(chosen), to_grade=len(todo), reused=reused,
        workers=opts.workers, timeout=opts.limits.timeout, memory_mb=opts.limits.memory_mb,
        hidden_cases=opts.hidden_cases, ignored=ignored, sandbox="bubblewrap" if exe else "none",
        library_calls=opts.library_calls)
    if exe is None:
        echo("warning: --no-sandbox: submissions run without bubblewrap, with this user's rights (they can "
             "read your files and reach the network); grade only trusted work this way, or inside a "
             "throw-away container")
        _guard_disk(log_event, out, "warning", sandbox="none",
                    message="--no-sandbox: workers are not inside bubblewrap")
    for line in ignored:
        echo("ignored: " + shown(line))
    landlock = None
    if todo:
        landlock = _run(todo, out, opts, echo, exe)
    code = _guard_disk(write_reports, out, entries)
    took = time.monotonic() - started
    _guard_disk(log_event, out, "end", graded=len(todo), reused=reused, seconds=round(took, 2), exit=code,
                landlock=landlock)
    echo(f"graded {_plural(len(todo), 'notebook')}"
         + (f" ({reused} unchanged since an earlier run, not regraded)" if reused else "")
         + f" for {_plural(len({e['student'] for e in entries}), 'student')} in {took:.1f} s -> "
         f"{out / 'gradebook.csv'}")
    if code != EXIT_OK:
        echo("some submissions could not be graded: see the rows with status "
             "unreadable, grader-error, not-graded or no-exercises")
    return code


def _record(out: Path, key: str, rec: dict[str, Any], todo_item: tuple) -> None:
    rec["file"] = todo_item[1]
    _guard_disk(save_result, out, key, rec)
    _guard_disk(log_event, out, "graded", result=key, students=todo_item[3], file=todo_item[1],
                lesson=rec["lesson"],
                seconds=round(sum(r.get("seconds") or 0 for r in rec.get("runs", [])), 3),
                statuses={e["id"]: e["status"] for e in rec["exercises"]},
                points=round(sum(e["points"] for e in rec["exercises"]), 4),
                runs=rec.get("runs", []), notes=rec.get("notes", []))


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
         echo: Callable[[str], None], exe: str | None) -> int:
    import numpy
    from tqdm.auto import tqdm

    import bpkit

    _remove_stale_folders()
    tmp = tempfile.mkdtemp(prefix=_TMP_PREFIX)
    Path(tmp, "pid").write_text(str(os.getpid()))
    n = max(1, min(int(opts.workers), len(todo)))
    executor = ThreadPoolExecutor(max_workers=n, thread_name_prefix="bpkit-grade")
    pool = None
    try:
        roots = readable_roots({"numpy": numpy, "bpkit": bpkit})
        pool = WorkerPool(n, tmp, log=str(out / "workers.log"), bwrap=exe, roots=roots)
        _guard_disk(log_event, out, "sandbox", bubblewrap=exe, isolated=pool.isolated, landlock=pool.landlock,
                    pids_max=cgroup.MAX_TASKS if pool.tasks_capped else None)
        if pool.landlock == 0 and exe is None and opts.limits.landlock:
            echo("warning: neither bubblewrap nor Landlock confines the workers here: submissions can read "
                 "and write the grading user's files")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            futures = {executor.submit(_grade_one, data, name, plan, pool, opts.limits): key
                       for key, (data, name, plan, _) in todo.items()}
            bar = tqdm(total=len(futures), unit="notebook", desc="grading", file=sys.stderr,
                       disable=True if not opts.progress else None, dynamic_ncols=True)
            with bar:
                for fut in as_completed(futures):
                    key = futures[fut]
                    _record(out, key, fut.result(), todo[key])
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
    write_atomic(out / "gradebook.csv", csv_bytes(table))
    columns, trows = totals(table)
    write_atomic(out / "totals.csv", csv_bytes(trows, tuple(columns)))
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
    with locked(dest):
        try:
            return _merge_locked(folders, dest, echo)
        except OSError as err:
            if err.errno in _DISK_ERRORS:
                echo(f"bpkit merge: {dest} cannot be written ({err.strerror}); free some space and run it "
                     "again")
                return EXIT_DISK_FULL
            raise


def _merge_locked(folders: list[Path], dest: Path, echo: Callable[[str], None]) -> int:
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
            key = (str(e["student"]), -1 if e.get("lesson") is None else int(e["lesson"]))
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
