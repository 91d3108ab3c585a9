"""The untrusted side: a worker process that runs one phase of one submission's exercise cells.

Three kinds of process, none of which ever serves two submissions with
student code:

* the **server** (one per parallel slot, :class:`bpkit.instructor.pool.WorkerPool`)
  starts inside bubblewrap (:mod:`bpkit.instructor.bwrap`), imports numpy
  and ``bpkit.grader`` once, and for each job reads one line of limits and
  forks a keeper. It never runs submitted code, and never reads a job's
  code, cases or answers: its memory, which every later worker inherits,
  holds nothing of any submission;
* the **keeper** (trusted, one per job) reads the job from the grader's
  pipe, gives itself and its next child namespaces of their own
  (:func:`bpkit.instructor.sandbox.isolate`: user, mount, PID, IPC,
  network, UTS, cgroup; a fresh size-capped tmpfs; an empty ``/proc``),
  forks the worker, waits for it with the wall-time limit, counts what
  the worker left running, kills it -- PID 1 of its namespace, so every
  process it started dies with it -- and sends the worker's files,
  size-checked, back to the grader;
* the **worker** (untrusted from its first line of student code): closes
  every descriptor but a "done" pipe, sends its output to capped files,
  limits itself (memory, CPU, file size, open files), drops every
  capability, refuses itself memory files (``memfd_create``: their pages
  count against no limit), confines itself with Landlock where the kernel
  has it, and
  only then runs a fixed preamble (``import numpy as np``, ``import bpkit``,
  the notebook's imports that the exercise cells use), the exercise cells,
  and for each case :meth:`Exercise.call
  <bpkit.grader.exercises.Exercise.call>`, saving the returned arrays
  (:mod:`bpkit.instructor.protocol`).

The worker never judges: whatever a submission does to numpy, bpkit,
builtins or this module changes nothing but the arrays it writes, and the
grader judges those with its own, unpatched code. With ``--no-sandbox``
the server runs without bubblewrap and the keeper without namespaces (a
temporary folder, a process group and a subreaper instead).
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


#: The one writable folder of a sandboxed worker (a tmpfs of its own).
WORK = "/job"
#: The descriptor on which a worker says that it has finished ("D").
DONE_FD = 3


# --------------------------------------------------------------------------- the worker (untrusted)

def _confine(req: dict[str, Any], work: str, done: int) -> None:
    """Everything a worker does before it runs a line of the submission."""
    if not req.get("isolated"):
        os.setsid()
    sandbox.prctl(sandbox.PR_SET_PDEATHSIG, signal.SIGKILL)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)          # a write past the size limit fails, not kills
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    os.chdir(work)
    os.mkdir(protocol.OUT, 0o700)
    null = os.open(os.devnull, os.O_RDONLY)
    out = os.open(protocol.STDOUT, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(protocol.STDERR, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    if done != DONE_FD:
        os.dup2(done, DONE_FD)
    os.closerange(DONE_FD + 1, 1 << 16)                      # nothing leads back to the grader
    os.environ.clear()
    os.environ.update({"HOME": work, "TMPDIR": work, "PATH": os.defpath, "LANG": "C.UTF-8",
                       "MPLCONFIGDIR": work, "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1",
                       "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    nproc = sandbox.user_processes() + 32 if os.getuid() != 0 and not req.get("isolated") else None
    sandbox.set_limits(req["memory_mb"], req["cpu_seconds"], req["file_bytes"], nproc)
    sandbox.drop_capabilities()
    sandbox.block_memory_files()
    if req.get("landlock", True):
        sandbox.landlock(list(req.get("roots", [])) + [os.devnull], [work])


def cell_filename(index: int) -> str:
    """The file name of a cell's code: the form IPython uses, so that reports say "in the cell"."""
    return f"<ipython-input-{index}-bpkit>"


def _exception_record(exc: BaseException) -> dict[str, Any]:
    return {"type": type(exc).__name__, "message": clean_message(str(exc)),
            "frame": student_frame(exc.__traceback__)}


def run_job(job: dict[str, Any], cases_npz: bytes) -> None:
    """Run a job in the current folder (already confined): cells, then every case of every exercise."""
    cases = protocol.unpack_cases(cases_npz)
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
        fn = exercise.student_object(namespace)
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


def _child(req: dict[str, Any], work: str, done: int, job: dict[str, Any], cases_npz: bytes) -> None:
    """The forked worker: confine, run, say "done", wait to be killed -- never returns."""
    code = WORKER_FAILED
    try:
        _confine(req, work, done)
        sys.stdin = open(os.devnull, encoding="utf-8")
        sys.stdout = sys.__stdout__ = CappedText(1, req["print_cap"])
        sys.stderr = sys.__stderr__ = CappedText(2, req["print_cap"])
        warnings.simplefilter("ignore")
        np.seterr(all="ignore")
        run_job(job, cases_npz)
        os.write(DONE_FD, b"D")
        code = DONE
        while True:                 # the keeper counts what is still running, then kills us all
            time.sleep(3600)
    except BaseException:  # noqa: BLE001
        try:
            os.write(2, traceback.format_exc()[-2000:].encode())
        except BaseException:  # noqa: BLE001
            pass
    finally:
        os._exit(code)


# --------------------------------------------------------------------------- the keeper (trusted)

def _children(proc: int, pid: int) -> list[int]:
    """The current children of process ``pid``, read through the ``/proc`` descriptor ``proc``."""
    kids: set[int] = set()
    try:
        task = os.open(f"{pid}/task", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=proc)
    except OSError:
        return []
    try:
        for tid in os.listdir(task):
            try:
                fd = os.open(f"{tid}/children", os.O_RDONLY | os.O_CLOEXEC, dir_fd=task)
            except OSError:
                continue
            try:
                kids.update(int(x) for x in os.read(fd, 1 << 20).split())
            except (OSError, ValueError):
                pass
            finally:
                os.close(fd)
    finally:
        os.close(task)
    return sorted(kids)


def _running(proc: int, pid: int) -> bool:
    """Whether ``pid`` still runs: not a zombie, or a zombie leader whose threads live on."""
    try:
        fd = os.open(f"{pid}/stat", os.O_RDONLY | os.O_CLOEXEC, dir_fd=proc)
        try:
            state = os.read(fd, 4096).rsplit(b")", 1)[1].split()[0]
        finally:
            os.close(fd)
        if state != b"Z":
            return True
        task = os.open(f"{pid}/task", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=proc)
        try:
            return len(os.listdir(task)) > 1
        finally:
            os.close(task)
    except (OSError, IndexError):
        return False


def descendants(proc: int, pid: int) -> list[int]:
    """Every process below ``pid`` (children, their children, ...)."""
    found, todo = [], [pid]
    while todo and len(found) < 100_000:
        kids = _children(proc, todo.pop())
        found += kids
        todo += kids
    return found


def _exited(pid: int) -> bool:
    """Whether the worker has ended (without reaping it: its resource usage is read when it is)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _wait(pid: int, done: int, timeout: float) -> tuple[bool, bool]:
    """Wait for the worker to say it is done, to end, or to run out of time: ``(said done, timed out)``."""
    deadline = time.monotonic() + timeout
    pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    watch = [done]
    try:
        while not _exited(pid):
            left = deadline - time.monotonic()
            if left <= 0:
                return False, True
            fds = watch + ([pidfd] if pidfd is not None else [])
            ready, _, _ = select.select(fds, [], [], left if pidfd is not None else min(left, 0.005))
            if done in ready:
                if os.read(done, 1) == b"D":
                    return True, False
                watch = []                              # closed (or garbage): wait for the end or the time
        return False, False
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _kill_all(pid: int, proc: int, isolated: bool) -> int:
    """Kill the worker and everything it started; how many of those were still running."""
    left = [p for p in descendants(proc, pid) if _running(proc, p)]
    if isolated:                    # PID 1 of its namespace: the kernel kills the rest with it
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        return len(left)
    for p in [pid, *left]:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    try:                            # once it is dead, what it started has come back to us (a subreaper)
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    except ChildProcessError:
        pass
    killed = set(left)
    for _ in range(200):            # orphans came back to us (a subreaper): kill until none are left
        _reap_others(pid)
        kids = [k for k in _children(proc, os.getpid()) if k != pid and _running(proc, k)]
        if not kids:
            break
        for k in kids:
            try:
                os.kill(k, signal.SIGKILL)
                killed.add(k)
            except OSError:
                pass
        time.sleep(0.002)
    return len(killed)


def _reap_others(worker: int) -> None:
    for k in _children_any():
        if k != worker:
            try:
                os.waitpid(k, os.WNOHANG)
            except ChildProcessError:
                pass


def _children_any() -> list[int]:
    try:
        return [int(x) for x in open(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read().split()]
    except (OSError, ValueError):
        return []


def _collect(work: str, names: list[str]) -> tuple[list[dict[str, Any]], bytes]:
    """The worker's files, each size-checked and never followed through a link: ``(index, bytes)``."""
    index: list[dict[str, Any]] = []
    chunks: list[bytes] = []
    total = 0
    try:
        fd = os.open(work, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as err:
        return [{"name": "", "error": f"the worker's folder is gone ({err.strerror})"}], b""
    try:
        wanted = [(protocol.PROGRESS, protocol.MAX_PROGRESS), (protocol.STDOUT, -1), (protocol.STDERR, -1)]
        for name, limit in wanted + [(n, protocol.MAX_FILE) for n in names]:
            entry: dict[str, Any] = {"name": name, "size": protocol.file_size(fd, name)}
            try:
                if limit < 0:
                    data = protocol.read_text(fd, name, 2000).encode()
                elif entry["size"] + total > protocol.MAX_TOTAL:
                    raise protocol.ProtocolError("the answers together are too large")
                else:
                    data = protocol.read_file(fd, name, limit)
            except protocol.ProtocolError as err:
                if "No such file" in str(err):
                    continue
                entry["error"] = str(err)
                index.append(entry)
                continue
            entry["length"] = len(data)
            total += len(data)
            chunks.append(data)
            index.append(entry)
    finally:
        os.close(fd)
    return index, b"".join(chunks)


def _read_exactly(fd: int, n: int) -> bytes:
    parts, left = [], n
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the grader closed the pipe")
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _send(reply_fd: int, reply: dict[str, Any], index: list[dict[str, Any]], data: bytes) -> None:
    head = json.dumps({"reply": reply, "files": index}).encode() + b"\n"
    view = memoryview(head + data)
    while view:
        view = view[os.write(reply_fd, view):]


def keep(req: dict[str, Any], reply_fd: int) -> None:
    """The keeper of one job (see the module's docstring); never returns."""
    try:
        sandbox.prctl(sandbox.PR_SET_PDEATHSIG, signal.SIGKILL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raw = _read_exactly(0, int(req["job_bytes"]))
        split = raw.index(b"\n")
        job, cases_npz = json.loads(raw[:split]), raw[split + 1:]
        del raw
        _send(reply_fd, *run_one(req, job, cases_npz))
    except BaseException as exc:  # noqa: BLE001 -- the grader records a grader error
        try:
            _send(reply_fd, {"error": f"the keeper failed ({type(exc).__name__}: {str(exc)[:200]})"}, [], b"")
        except BaseException:  # noqa: BLE001
            pass
    finally:
        os._exit(0)


def run_one(req: dict[str, Any], job: dict[str, Any], cases_npz: bytes
            ) -> tuple[dict[str, Any], list[dict[str, Any]], bytes]:
    """Set up, fork the worker, wait, clean up: the reply, the index of the worker's files, their bytes."""
    start = time.monotonic()
    isolated = bool(req.get("isolated"))
    try:
        if isolated:
            proc, work = sandbox.isolate(WORK, int(req["disk_bytes"])), WORK
        else:
            sandbox.prctl(sandbox.PR_SET_CHILD_SUBREAPER, 1)
            import tempfile

            proc, work = os.open("/proc", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC), tempfile.mkdtemp(
                prefix="job-", dir=req["home"])
    except OSError as err:
        return {"error": f"the sandbox could not be set up ({err})"}, [], b""
    read_end, write_end = os.pipe()
    setup = time.monotonic() - start                    # what the namespaces and the tmpfs cost
    pid = _fork()
    if pid == 0:                                        # pragma: no cover -- runs in the worker
        try:
            os.close(read_end)
            os.close(proc)
            _child(req, work, write_end, job, cases_npz)
        finally:
            os._exit(WORKER_FAILED)
    os.close(write_end)
    del job, cases_npz
    status, finished, timed_out, cpu = None, False, False, 0.0
    try:
        finished, timed_out = _wait(pid, read_end, float(req["timeout"]))
    finally:
        orphans = _kill_all(pid, proc, isolated)
        try:
            _, status, usage = os.wait4(pid, 0)
            cpu = usage.ru_utime + usage.ru_stime
        except ChildProcessError:
            status = None
        os.close(read_end)
        os.close(proc)
    reply: dict[str, Any] = {"timeout": timed_out, "finished": finished, "orphans": orphans,
                             "seconds": round(time.monotonic() - start, 3), "setup": round(setup, 4),
                             "cpu": round(cpu, 4), "exit": None, "signal": None}
    if status is not None and not finished and not timed_out:
        if os.WIFEXITED(status):
            reply["exit"] = os.WEXITSTATUS(status)
        elif os.WIFSIGNALED(status):
            reply["signal"] = os.WTERMSIG(status)
    index, data = _collect(work, list(req.get("outputs", [])))
    if not isolated:
        _remove(work)
    return reply, index, data


def _remove(folder: str) -> None:
    import shutil
    import stat

    def fix(func, path, exc_info):
        try:
            os.chmod(os.path.dirname(path), stat.S_IRWXU)
            func(path)
        except OSError:
            pass
    try:
        shutil.rmtree(folder, onerror=fix)
    except (OSError, RecursionError):
        pass


# --------------------------------------------------------------------------- the server (trusted)

def _fork() -> int:
    """``os.fork``, waiting a little while the tasks of a killed worker are still being released."""
    for _ in range(100):
        try:
            return os.fork()
        except BlockingIOError:                         # EAGAIN: the task cap of the sandbox, for now
            time.sleep(0.05)
    return os.fork()


def _read_line(fd: int, limit: int = 1 << 16) -> bytes | None:
    """One line, read a byte at a time: what follows it (a job) is the keeper's to read, not ours."""
    line = bytearray()
    while len(line) < limit:
        b = os.read(fd, 1)
        if not b:
            return None
        if b == b"\n":
            return bytes(line)
        line += b
    return None


def _isolation_works() -> str:
    """Whether a keeper can isolate a worker here: "" if so, else why not."""
    pid = os.fork()
    if pid == 0:                                        # pragma: no cover -- a throw-away keeper
        code = 1
        try:
            proc = sandbox.isolate(WORK, 1 << 20)
            os.close(proc)
            inner = os.fork()
            if inner == 0:
                os._exit(0 if os.getpid() == 1 else 3)
            code = 0 if os.waitstatus_to_exitcode(os.waitpid(inner, 0)[1]) == 0 else 2
        except BaseException as exc:  # noqa: BLE001
            try:
                os.write(2, f"isolation: {exc}\n".encode())
            except OSError:
                pass
        finally:
            os._exit(code)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    return "" if code == 0 else f"the namespaces of a worker could not be created (code {code})"


def serve(isolated: bool = False) -> None:
    """The server's main loop: one request line in, a keeper's reply and one end line out, per job."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)            # the grader decides when we stop
    out = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)                                     # stray prints cannot corrupt the replies
    problem = _isolation_works() if isolated else ""
    hello = {"ready": True, "landlock": sandbox.landlock_abi(), "isolated": isolated and not problem,
             "problem": problem}
    os.write(out, (json.dumps(hello) + "\n").encode())
    if problem:
        return
    while True:
        line = _read_line(0)
        if line is None:
            break
        try:
            req = json.loads(line)
            req["isolated"] = isolated
        except ValueError:
            break                                           # out of step with the grader: stop
        pid = _fork()
        if pid == 0:                                        # pragma: no cover -- the keeper
            keep(req, out)
        status = os.waitpid(pid, 0)[1]
        end = {"end": True, "keeper": os.waitstatus_to_exitcode(status)}
        os.write(out, (json.dumps(end) + "\n").encode())


#: How the grader starts a server: ``python -s -c BOOT <sys.path as JSON> <1 if sandboxed>``.
BOOT = ("import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
        "from bpkit.instructor.worker import serve; serve(sys.argv[2] == '1')")
