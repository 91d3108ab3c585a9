"""The untrusted side: a worker process that runs one submission's exercise cells.

A **worker server** is a small Python process that the grader starts once per
parallel slot (:class:`bpkit.instructor.pool.WorkerPool`). It imports numpy
and ``bpkit.grader`` once, then, for each submission, forks a fresh
**worker** that:

1. leaves the server's session (its own process group, so the whole group
   can be killed) and asks to be killed if the server dies;
2. gets ``/dev/null`` as standard input and size-capped files as standard
   output and error, closes every other descriptor (nothing leads back to
   the grader), and moves into its own temporary folder;
3. limits itself (:mod:`bpkit.instructor.sandbox`): memory, CPU time, file
   size, open files; drops root's capabilities; and confines itself with
   Landlock where the kernel has it (read the Python installation, write its
   own folder, nothing else);
4. only then runs the submission: a fixed preamble (``import numpy as np``,
   ``import bpkit`` and the notebook's other imports that the exercise cells
   use), the exercise cells in notebook order, and for each case of each
   exercise :meth:`Exercise.call <bpkit.grader.exercises.Exercise.call>`,
   saving the returned arrays (:mod:`bpkit.instructor.protocol`).

The worker never judges. Whatever a submission does to numpy, bpkit,
builtins or this module inside its worker changes nothing but the arrays
that worker writes -- and the parent judges those with its own,
unpatched code.

The server waits for the worker with the wall-time limit, kills the
worker's process group when it ends or overruns, then kills any process the
worker left behind (the server is a *child subreaper*, so even processes
that started their own session come back to it), and reports to the parent
in one JSON line. If the grader itself goes away, the server notices (its
standard input closes), kills the worker and exits.
"""

from __future__ import annotations

import builtins
import io
import json
import linecache
import os
import select
import signal
import sys
import time
import traceback
import warnings
from typing import Any

import numpy as np

import bpkit  # noqa: F401 -- preloaded for the workers

from ..grader.calling import clean_message, flat_outputs, student_frame
from ..grader.exercises import EXERCISES
from . import protocol, sandbox

#: Exit status of a worker that finished its job (anything else: it was cut short).
DONE = 0
#: Exit status of a worker whose own code failed (the submission broke Python or bpkit inside it).
WORKER_FAILED = 70


class CappedText(io.TextIOBase):
    """``sys.stdout`` for a worker: writes to a file descriptor until ``cap`` bytes, then drops the rest."""

    def __init__(self, fd: int, cap: int):
        self._fd, self._cap, self.written, self.dropped = fd, cap, 0, 0

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        room = self._cap - self.written
        if room > 0:
            data = s[:room].encode("utf-8", errors="replace")[:room]
            try:
                os.write(self._fd, data)
            except OSError:
                pass
            self.written += len(data)
            self.dropped += max(0, len(s) - room)
        else:
            self.dropped += len(s)
        return len(s)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


# --------------------------------------------------------------------------- the worker (child)

def _confine(req: dict[str, Any], read_roots: list[str]) -> dict[str, Any]:
    """Steps 1-3 above. Returns what was achieved (for the log)."""
    folder = req["dir"]
    os.setsid()
    sandbox.prctl(sandbox.PR_SET_PDEATHSIG, signal.SIGKILL)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)          # a write past the size limit fails, not kills
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    null = os.open(os.devnull, os.O_RDONLY)
    out = os.open(os.path.join(folder, protocol.STDOUT), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(os.path.join(folder, protocol.STDERR), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    os.closerange(3, 1 << 16)
    os.chdir(folder)
    os.environ.clear()
    os.environ.update({"HOME": folder, "TMPDIR": folder, "PATH": os.defpath, "LANG": "C.UTF-8",
                       "MPLCONFIGDIR": folder, "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1",
                       "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    nproc = sandbox.user_processes() + 32 if os.getuid() != 0 else None
    sandbox.set_limits(req["memory_mb"], req["cpu_seconds"], req["file_bytes"], nproc)
    caps = sandbox.drop_capabilities()
    abi = sandbox.landlock(read_roots + [os.devnull], [folder]) if req.get("landlock", True) else 0
    return {"landlock": abi, "capabilities_dropped": caps}


def cell_filename(index: int) -> str:
    """The file name of a cell's code: the form IPython uses, so that reports say "in the cell"."""
    return f"<ipython-input-{index}-bpkit>"


def _exception_record(exc: BaseException) -> dict[str, Any]:
    return {"type": type(exc).__name__, "message": clean_message(str(exc)),
            "frame": student_frame(exc.__traceback__)}


def run_job() -> None:
    """Step 4: run the job in the current folder (already confined)."""
    job = json.load(open(protocol.JOB, encoding="utf-8"))
    cases = protocol.unpack_cases(protocol.CASES)
    # Keep our own references: a submission may replace these names in its modules.
    save_outputs, save_progress, exercises = protocol.save_outputs, protocol.save_progress, dict(EXERCISES)
    progress: dict[str, Any] = {"phase": "cells", "cells": [], "undefined": [], "preamble": []}

    def report(**changes: Any) -> None:
        progress.update(changes)
        try:
            save_progress(progress)
        except BaseException:  # noqa: BLE001 -- a patched json or open: only our progress is lost
            pass

    report()
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    for source in job["preamble"]:
        try:
            exec(compile(source, "<preamble>", "exec", dont_inherit=True), namespace)
        except BaseException as exc:  # noqa: BLE001
            progress["preamble"].append({"source": source[:200], **_exception_record(exc)})
    for cell in job["cells"]:
        report(cell=cell["index"])
        record = {"index": cell["index"], "ok": True}
        try:
            name = cell_filename(cell["index"])
            linecache.cache[name] = (len(cell["source"]), None, cell["source"].splitlines(True), name)
            code = compile(cell["source"], name, "exec", dont_inherit=True)
            exec(code, namespace)
        except BaseException as exc:  # noqa: BLE001 -- SystemExit, KeyboardInterrupt included
            record = {"index": cell["index"], "ok": False, **_exception_record(exc)}
        progress["cells"].append(record)
    for item in job["exercises"]:
        ex_id = item["id"]
        exercise = exercises[ex_id]
        get = getattr(exercise, "student_object", None)
        fn = get(namespace) if get is not None else namespace.get(exercise.function)
        if fn is None:
            report(undefined=progress["undefined"] + [ex_id])
            continue
        for k, case in enumerate(cases[ex_id]):
            report(phase="exercises", exercise=ex_id, case=k)
            try:
                outputs = exercise.call(fn, case)
            except BaseException as exc:  # noqa: BLE001 -- KeyboardInterrupt and the like
                outputs = flat_outputs({}, {"kind": "exception", **_exception_record(exc)})
            try:
                save_outputs(protocol.output_file(ex_id, k), outputs)
            except BaseException:  # noqa: BLE001 -- unsaveable outputs: the parent finds none
                pass
    report(phase="done")


def _child(req: dict[str, Any], read_roots: list[str]) -> None:
    """The forked worker: confine, run, exit -- never returns."""
    code = WORKER_FAILED
    try:
        _confine(req, read_roots)
        sys.stdin = open(os.devnull, encoding="utf-8")
        sys.stdout = sys.__stdout__ = CappedText(1, req["print_cap"])
        sys.stderr = sys.__stderr__ = CappedText(2, req["print_cap"])
        warnings.simplefilter("ignore")
        np.seterr(all="ignore")
        run_job()
        code = DONE
    except BaseException:  # noqa: BLE001
        try:
            os.write(2, traceback.format_exc()[-2000:].encode())
        except BaseException:  # noqa: BLE001
            pass
    finally:
        os._exit(code)


# --------------------------------------------------------------------------- the server

def _children(pid: int) -> list[int]:
    """The current children of process ``pid``."""
    kids: set[int] = set()
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    kids.update(int(x) for x in f.read().split())
            except OSError:
                raise FileNotFoundError from None
        return sorted(kids)
    except (OSError, ValueError):
        pass
    try:
        names = os.listdir("/proc")
    except OSError:                                     # no /proc: only the process group is killed
        return []
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                kids.add(int(name))
        except (OSError, IndexError, ValueError):
            continue
    return sorted(kids)


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def sweep() -> int:
    """Kill every process left behind by workers (they are our children now); return how many."""
    me, killed = os.getpid(), set()
    for _ in range(200):
        _reap()
        kids = [k for k in _children(me) if _alive(k)]
        if not kids:
            break
        for k in kids:
            try:
                os.kill(k, signal.SIGKILL)
                killed.add(k)
            except OSError:
                pass
        time.sleep(0.002)
    _reap()
    return len(killed)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


class _ParentGone(Exception):
    pass


def _wait(pid: int, timeout: float, watch_fd: int) -> tuple[int | None, bool]:
    """Wait for worker ``pid`` for ``timeout`` seconds; ``(wait status or None, timed out)``.

    Raises :class:`_ParentGone` if ``watch_fd`` (the server's stdin) becomes
    readable: the grader never writes while a job runs, so that is its end.
    """
    deadline = time.monotonic() + timeout
    pidfd = None
    if hasattr(os, "pidfd_open"):
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            pidfd = None
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status, False
            left = deadline - time.monotonic()
            if left <= 0:
                return None, True
            fds = [watch_fd] + ([pidfd] if pidfd is not None else [])
            ready, _, _ = select.select(fds, [], [], left if pidfd is not None else min(left, 0.005))
            if watch_fd in ready:
                raise _ParentGone
    finally:
        if pidfd is not None:
            os.close(pidfd)


def run_one(req: dict[str, Any], read_roots: list[str], watch_fd: int) -> dict[str, Any]:
    """Fork a worker for one job, wait for it, clean up after it; the reply for the grader."""
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:                                        # pragma: no cover -- runs in the worker
        try:
            _child(req, read_roots)
        finally:
            os._exit(WORKER_FAILED)
    status, timed_out = None, False
    try:
        status, timed_out = _wait(pid, float(req["timeout"]), watch_fd)
    finally:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        if status is None:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                status = os.waitpid(pid, 0)[1]
            except ChildProcessError:
                status = None
    orphans = sweep()
    reply: dict[str, Any] = {"timeout": timed_out, "seconds": round(time.monotonic() - start, 3),
                             "orphans": orphans, "exit": None, "signal": None}
    if status is not None:
        if os.WIFEXITED(status):
            reply["exit"] = os.WEXITSTATUS(status)
        elif os.WIFSIGNALED(status):
            reply["signal"] = os.WTERMSIG(status)
    return reply


def _read_line(fd: int, buffer: bytearray) -> bytes | None:
    while b"\n" not in buffer:
        chunk = os.read(fd, 65536)
        if not chunk:
            return None
        buffer.extend(chunk)
    i = buffer.index(b"\n")
    line = bytes(buffer[:i])
    del buffer[: i + 1]
    return line


def serve() -> None:
    """The worker server's main loop: one JSON request per line on stdin, one reply per line on stdout."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)            # the grader decides when we stop

    def stop(signum, frame):
        raise _ParentGone

    signal.signal(signal.SIGTERM, stop)
    sandbox.prctl(sandbox.PR_SET_CHILD_SUBREAPER, 1)
    read_roots = sandbox.readable_roots()
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)                                     # stray prints cannot corrupt the replies
    hello = {"ready": True, "pid": os.getpid(), "landlock": sandbox.landlock_abi(),
             "root": os.geteuid() == 0}
    out.write(json.dumps(hello) + "\n")
    buffer = bytearray()
    try:
        while True:
            line = _read_line(0, buffer)
            if line is None:
                break
            try:
                req = json.loads(line)
                reply = run_one(req, read_roots, 0)
            except _ParentGone:
                break
            except Exception as exc:  # noqa: BLE001 -- report, keep serving
                reply = {"error": f"{type(exc).__name__}: {exc}"}
            out.write(json.dumps(reply) + "\n")
    except _ParentGone:
        pass
    finally:
        sweep()


#: How the grader starts a server: ``python -s -c BOOT <sys.path as JSON>``.
BOOT = ("import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
        "from bpkit.instructor.worker import serve; serve()")
