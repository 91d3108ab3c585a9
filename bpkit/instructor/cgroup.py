"""A cap on the processes of one worker server's sandbox, where the machine lets us set one.

Inside its own user namespace a worker of a grader that runs as root is
still the root user to the kernel's process accounting, which exempts it
from ``RLIMIT_NPROC``: a fork bomb would then be stopped only by the time
limit. Where a cgroup ``pids`` controller is writable (cgroup v1's
``/sys/fs/cgroup/pids``, or cgroup v2 with ``pids`` in the root's
``cgroup.subtree_control`` -- typically when grading as root), each server
gets a group of its own with ``pids.max`` = :data:`MAX_TASKS`, and every
process of its sandbox is born in it. Elsewhere this does nothing, and the
README says a fork bomb is not contained there.
"""

from __future__ import annotations

import os
import signal
import time

#: Processes and threads one server's sandbox may hold at once.
MAX_TASKS = 512
_V1 = "/sys/fs/cgroup/pids"
_V2 = "/sys/fs/cgroup"


def _base() -> str | None:
    if os.path.isfile(os.path.join(_V1, "cgroup.procs")):
        return _V1
    try:
        with open(os.path.join(_V2, "cgroup.subtree_control")) as f:
            return _V2 if "pids" in f.read().split() else None
    except OSError:
        return None


def create(name: str) -> str | None:
    """A new group ``name`` capped at :data:`MAX_TASKS`, or None if none can be made here."""
    base = _base()
    if base is None:
        return None
    path = os.path.join(base, name)
    try:
        os.mkdir(path, 0o755)
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        with open(os.path.join(path, "pids.max"), "w") as f:
            f.write(str(MAX_TASKS))
    except OSError:
        remove(path)
        return None
    return path


def join(path: str) -> None:
    """Move the calling process into group ``path`` (in a child, before it starts the sandbox)."""
    with open(os.path.join(path, "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))


def _kill_all(path: str) -> None:
    """SIGKILL every process still in the group (what a fork bomb left as its server ended)."""
    try:
        with open(os.path.join(path, "cgroup.procs")) as f:
            pids = [int(p) for p in f.read().split()]
    except (OSError, ValueError):
        return
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def remove(path: str | None, wait: float = 5.0) -> None:
    """Remove a group once it is empty, killing what is left in it, for at most ``wait`` seconds.

    A group that still holds processes cannot be removed; processes killed a
    moment ago may not have left it yet, so this retries instead of leaving
    the group behind.
    """
    if not path:
        return
    deadline = time.monotonic() + wait
    while True:
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                return
            _kill_all(path)
            time.sleep(0.05)
