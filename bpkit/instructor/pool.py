"""The trusted side of the workers: start worker servers, send them jobs, read their one-line replies.

One :class:`WorkerServer` per parallel slot, each a separate Python process
(:func:`bpkit.instructor.worker.serve`) started with a clean environment
(no variables of the instructor's shell, so no secret), its own session (a
Ctrl-C in the terminal reaches the grader, which then stops the servers),
and a fixed import path. A :class:`WorkerPool` lends them to the grading
threads.

A reply is a small JSON object: how the worker ended (``exit`` status or
``signal``), whether it ran out of time, how long it took and how many
leftover processes were killed. If a server stops answering (it should
not: it never runs submitted code itself), it is killed and restarted and
the job is reported as a grader error.
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

from .worker import BOOT

#: Seconds to wait for a server to start (import numpy and bpkit).
START_TIMEOUT = 60.0
#: Seconds a server may take beyond a job's time limit to kill and clean up.
GRACE = 15.0


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
    """One worker server process and the pipe to it."""

    def __init__(self, home: str, log: str | None = None, stopping: threading.Event | None = None,
                 wait: bool = True):
        self.home, self.log = home, log
        self.stopping = stopping or threading.Event()
        self.proc: subprocess.Popen | None = None
        self.info: dict[str, Any] = {}
        self._buffer = bytearray()
        self.spawn()
        if wait:
            self.ready()

    def start(self) -> None:
        self.spawn()
        self.ready()

    def spawn(self) -> None:
        """Start the process (without waiting for it to be ready)."""
        stderr = open(self.log, "ab") if self.log else subprocess.DEVNULL
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-s", "-c", BOOT, json.dumps(server_path())],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=server_env(self.home),
                cwd=self.home, start_new_session=True, close_fds=True)
        finally:
            if stderr is not subprocess.DEVNULL:
                stderr.close()
        self._buffer = bytearray()

    def ready(self) -> None:
        """Wait for the server's hello line."""
        line = self._read_line(time.monotonic() + START_TIMEOUT)
        if line is None:
            self.kill()
            raise ServerError("a worker server did not start (see the log in the output folder)")
        self.info = json.loads(line)

    def _read_line(self, deadline: float) -> bytes | None:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self._buffer.extend(chunk)
        i = self._buffer.index(b"\n")
        line = bytes(self._buffer[:i])
        del self._buffer[: i + 1]
        return line

    def run(self, folder: str, *, timeout: float, memory_mb: int, print_cap: int, file_bytes: int,
            landlock: bool = True) -> dict[str, Any]:
        """Run the job in ``folder``; the server's reply (``{"error": ...}`` if the server failed)."""
        req = {"dir": folder, "timeout": timeout, "cpu_seconds": int(math.ceil(timeout)) + 1,
               "memory_mb": memory_mb, "print_cap": print_cap, "file_bytes": file_bytes,
               "landlock": landlock}
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write((json.dumps(req) + "\n").encode())
            self.proc.stdin.flush()
            line = self._read_line(time.monotonic() + timeout + GRACE)
        except (OSError, ValueError):
            line = None
        if line is None:
            self.restart()
            return {"error": "the worker server stopped answering"}
        try:
            reply = json.loads(line)
        except ValueError:
            self.restart()
            return {"error": "the worker server sent an unreadable reply"}
        return reply if isinstance(reply, dict) else {"error": "the worker server sent an unreadable reply"}

    def restart(self) -> None:
        self.kill()
        if not self.stopping.is_set():
            self.start()

    def kill(self) -> None:
        if self.proc is None:
            return
        try:
            self.proc.send_signal(signal.SIGTERM)           # the server kills its worker, then exits
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
        if self.proc is not None:
            for f in (self.proc.stdin, self.proc.stdout):
                try:
                    if f:
                        f.close()
                except OSError:
                    pass


class WorkerPool:
    """``n`` worker servers, lent out one at a time with :meth:`server`."""

    def __init__(self, n: int, home: str | Path, log: str | None = None):
        self.home = str(home)
        self._idle: queue.Queue[WorkerServer] = queue.Queue()
        self.stopping = threading.Event()
        self.servers = [WorkerServer(self.home, log, self.stopping, wait=False) for _ in range(max(1, n))]
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
