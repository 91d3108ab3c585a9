"""The trusted side of the workers: start worker servers, send them jobs, read what comes back.

One :class:`WorkerServer` per parallel slot, each a separate Python process
(:func:`bpkit.instructor.worker.serve`) started inside bubblewrap
(:mod:`bpkit.instructor.bwrap`; without it only with ``--no-sandbox``),
with a clean environment (no variables of the instructor's shell, so no
secret), its own session and a fixed import path. A :class:`WorkerPool`
lends them to the grading threads.

For each job the grader writes one line of limits and the job's bytes; the
server's keeper answers with an index line, the worker's files and the
server's end line (:mod:`bpkit.instructor.protocol`). If a server stops
answering or sends what it should not, it is killed and restarted and the
job is reported as a grader error.
"""

from __future__ import annotations

import json
import math
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import cgroup, protocol
from .bwrap import SandboxUnavailable, command
from .worker import BOOT

#: Seconds to wait for a server to start (import numpy and bpkit).
START_TIMEOUT = 60.0
#: Seconds a server may take beyond a job's time limit to kill and clean up.
GRACE = 15.0
#: Size of a sandboxed server's own tmpfs (it writes nothing there).
SERVER_DISK = 1 << 20


def server_path() -> list[str]:
    """The import path for a worker server: this process's, with ``bpkit``'s own folder guaranteed."""
    import bpkit

    path = []
    for p in sys.path:
        if not isinstance(p, str):
            continue
        p = os.path.abspath(p) if p else os.getcwd()
        if os.path.exists(p) and p not in path:
            path.append(p)
    root = os.path.dirname(os.path.dirname(os.path.abspath(bpkit.__file__)))
    if root not in path:
        path.append(root)
    return path


def server_env(home: str) -> dict[str, str]:
    """A clean environment: nothing from the instructor's shell but what Python itself needs."""
    env = {"PATH": os.defpath, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": home, "TMPDIR": home,
           "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    if "LD_LIBRARY_PATH" in os.environ:
        env["LD_LIBRARY_PATH"] = os.environ["LD_LIBRARY_PATH"]
    return env


class ServerError(RuntimeError):
    """A worker server did not start or stopped answering."""


class WorkerServer:
    """One worker server process and the pipe to it.

    ``bwrap`` is the path of bubblewrap (None: no sandbox); ``roots`` the
    folders the sandbox may read.
    """

    def __init__(self, home: str, log: str | None = None, stopping: threading.Event | None = None,
                 wait: bool = True, bwrap: str | None = None, roots: list[str] | None = None):
        self.home, self.log, self.bwrap, self.roots = home, log, bwrap, list(roots or [])
        self.stopping = stopping or threading.Event()
        self.proc: subprocess.Popen | None = None
        self.info: dict[str, Any] = {}
        self.group: str | None = None
        self._buffer = bytearray()
        self.spawn()
        if wait:
            self.ready()

    def start(self) -> None:
        self.spawn()
        self.ready()

    def argv(self) -> list[str]:
        python = [sys.executable, "-s", "-c", BOOT, json.dumps(server_path()), "1" if self.bwrap else "0"]
        if not self.bwrap:
            return python
        sandbox = command(python, self.roots, SERVER_DISK, self.bwrap)
        if self.group is None:
            return sandbox
        # join the capped group first, so that every process of the sandbox is born in it
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', os.path.join(self.group, "cgroup.procs"),
                *sandbox]

    def spawn(self) -> None:
        """Start the process (without waiting for it to be ready)."""
        stderr = open(self.log, "ab") if self.log else subprocess.DEVNULL
        if self.bwrap and self.group is None:
            self.group = cgroup.create(f"bpkit-grade-{os.getpid()}-{id(self):x}")
        try:
            self.proc = subprocess.Popen(
                self.argv(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                env=server_env("/job" if self.bwrap else self.home), cwd=self.home,
                start_new_session=True, close_fds=True)
        finally:
            if stderr is not subprocess.DEVNULL:
                stderr.close()
        self._buffer = bytearray()

    def ready(self) -> None:
        """Wait for the server's hello line; :class:`SandboxUnavailable` if it cannot isolate workers."""
        line = self._read_line(time.monotonic() + START_TIMEOUT)
        if line is None:
            self.kill()
            raise ServerError("a worker server did not start (see workers.log in the output folder)")
        self.info = json.loads(line)
        if self.info.get("problem"):
            self.kill()
            raise SandboxUnavailable(f"inside bubblewrap, {self.info['problem']}; see workers.log")

    def _read_line(self, deadline: float, limit: int = 1 << 20) -> bytes | None:
        assert self.proc is not None and self.proc.stdout is not None
        while b"\n" not in self._buffer:
            if len(self._buffer) > limit or not self._fill(deadline):
                return None
        i = self._buffer.index(b"\n")
        line = bytes(self._buffer[:i])
        del self._buffer[: i + 1]
        return line

    def _read_bytes(self, n: int, deadline: float) -> bytes | None:
        while len(self._buffer) < n:
            if not self._fill(deadline):
                return None
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    def _fill(self, deadline: float) -> bool:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    return False
                self._buffer.extend(chunk)
                return True

    def run(self, job: bytes, *, timeout: float, memory_mb: int, print_cap: int, file_bytes: int,
            disk_bytes: int, outputs: list[str], landlock: bool = True) -> dict[str, Any]:
        """Run one job: ``{"reply": ..., "files": {name: bytes or why unreadable}, "sizes": {name: n}}``.

        ``reply`` is ``{"error": ...}`` if the server or its keeper failed.
        """
        req = {"job_bytes": len(job), "timeout": timeout, "cpu_seconds": int(math.ceil(timeout)) + 1,
               "memory_mb": memory_mb, "print_cap": print_cap, "file_bytes": file_bytes,
               "disk_bytes": disk_bytes, "outputs": outputs, "landlock": landlock, "home": self.home,
               "roots": self.roots}
        assert self.proc is not None and self.proc.stdin is not None
        deadline = time.monotonic() + timeout + GRACE
        try:
            self.proc.stdin.write((json.dumps(req) + "\n").encode() + job)
            self.proc.stdin.flush()
            got = self._answer(deadline)
        except (OSError, ValueError):
            got = None
        if got is None:
            self.restart()
            return {"reply": {"error": "the grader's own worker stopped answering"}, "files": {}, "sizes": {}}
        return got

    def _answer(self, deadline: float) -> dict[str, Any] | None:
        line = self._read_line(deadline)
        if line is None:
            return None
        head = json.loads(line)
        if head.get("end"):                              # the keeper died before it could answer
            return {"reply": {"error": "the grader's own worker died"}, "files": {}, "sizes": {}}
        files: dict[str, Any] = {}
        sizes: dict[str, int] = {}
        entries = head.get("files")
        if not isinstance(entries, list) or not isinstance(head.get("reply"), dict):
            return None
        total = 0
        for e in entries:
            name, length = str(e.get("name", "")), e.get("length")
            sizes[name] = int(e.get("size") or 0)
            if "error" in e:
                files[name] = str(e["error"])[:200]
                continue
            if not isinstance(length, int) or length < 0 or total + length > protocol.MAX_TOTAL + (1 << 20):
                return None
            total += length
            data = self._read_bytes(length, deadline)
            if data is None:
                return None
            files[name] = data
        end = self._read_line(deadline)
        if end is None or not json.loads(end).get("end"):
            return None
        return {"reply": head["reply"], "files": files, "sizes": sizes}

    def restart(self) -> None:
        self.kill()
        if not self.stopping.is_set():
            self.start()

    def kill(self) -> None:
        if self.proc is None:
            return
        try:
            self.proc.send_signal(signal.SIGKILL if self.bwrap else signal.SIGTERM)   # the sandbox dies whole
            self.proc.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            try:
                self.proc.kill()
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._close_pipes()

    def close(self) -> None:
        """Ask the server to stop (its stdin closes) and wait for it."""
        if self.proc is None:
            return
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()
        self._close_pipes()

    def _close_pipes(self) -> None:
        if self.group is not None and self.proc is not None and self.proc.poll() is not None:
            cgroup.remove(self.group)                   # still busy (should not be): reused next time
            self.group = None
        if self.proc is not None:
            for f in (self.proc.stdin, self.proc.stdout):
                try:
                    if f:
                        f.close()
                except OSError:
                    pass


class WorkerPool:
    """``n`` worker servers, lent out one at a time with :meth:`server`."""

    def __init__(self, n: int, home: str | Path, log: str | None = None, bwrap: str | None = None,
                 roots: list[str] | None = None):
        self.home = str(home)
        self._idle: queue.Queue[WorkerServer] = queue.Queue()
        self.stopping = threading.Event()
        self.servers = [WorkerServer(self.home, log, self.stopping, wait=False, bwrap=bwrap, roots=roots)
                        for _ in range(max(1, n))]
        try:
            for s in self.servers:
                s.ready()
        except BaseException:
            self.stop()
            raise
        for s in self.servers:
            self._idle.put(s)

    @property
    def landlock(self) -> int:
        return int(self.servers[0].info.get("landlock", 0)) if self.servers else 0

    @property
    def isolated(self) -> bool:
        return bool(self.servers and self.servers[0].info.get("isolated"))

    @property
    def tasks_capped(self) -> bool:
        """Whether every server's sandbox is in a cgroup capped at :data:`cgroup.MAX_TASKS` tasks."""
        return bool(self.servers) and all(s.group is not None for s in self.servers)

    @contextmanager
    def server(self):
        s = self._idle.get()
        try:
            yield s
        finally:
            self._idle.put(s)

    def close(self) -> None:
        for s in self.servers:
            s.close()

    def stop(self) -> None:
        """Stop at once (Ctrl-C): kill every server, which kills its worker."""
        self.stopping.set()
        for s in self.servers:
            s.kill()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is not None:
            self.stop()
        self.close()
