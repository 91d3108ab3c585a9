"""Hostile submissions for the sandbox tests: one per attack class of issue 11.

Each attack's exercise cell defines a correct ``sigmoid`` that returns the
right answer only if every attempt of the attack failed (``ATTACKED`` marks
where it would return a wrong one), so the row's points say whether the
attack got through; the test then also checks that nothing outside the
worker changed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from instructor_fixtures import with_cell

RIGHT = "1 / (1 + np.exp(-z))"
#: The answer when an attack got through: wrong on every case.
WRONG = "z * 0"


@dataclass
class Attack:
    """One hostile submission and the row it must get."""

    student: str
    cell: str
    status: str = "passed"
    reason: str = "all 6 cases passed"
    points: str = "1"


def answer(condition: str) -> str:
    """The last line of an attack's sigmoid: right if ``condition`` (the attack failed) holds."""
    return f"    return {RIGHT} if ({condition}) else {WRONG}\n"


def attacks(tcp_port: int, udp_port: int, unix_path: str, shm_key: int, marker: str,
            outside: list[str]) -> list[Attack]:
    """Every attack; the ports, paths and key are the test's own listeners and markers on the host."""
    return [
        Attack("a-prlimit", "import os, resource\n"
               "def sigmoid(z):\n"
               "    for pid in [os.getppid(), 1] + list(range(2, 400)):\n"
               "        if pid not in (0, os.getpid()):\n"
               "            try:\n"
               "                resource.prlimit(pid, resource.RLIMIT_FSIZE, (0, 0))\n"
               "                resource.prlimit(pid, resource.RLIMIT_NOFILE, (3, 3))\n"
               "            except Exception:\n"
               "                pass\n" + answer("True")),
        Attack("a-renice", "import os, ctypes\n"
               "try:\n    ctypes.CDLL(None).unshare(0x10000000)\nexcept Exception:\n    pass\n"
               "def sigmoid(z):\n"
               "    for pid in range(1, 400):\n"
               "        if pid == os.getpid():\n            continue\n"
               "        for f in (lambda: os.setpriority(os.PRIO_PROCESS, pid, 19),\n"
               "                  lambda: os.sched_setaffinity(pid, {0}),\n"
               "                  lambda: os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0)),\n"
               "                  lambda: os.kill(pid, 19)):\n"
               "            try:\n                f()\n            except Exception:\n                pass\n"
               + answer("True")),
        Attack("a-disk-fill", "import os\n"
               "def sigmoid(z):\n"
               "    written = 0\n"
               "    for folder in ('.', '/tmp', '/dev/shm', '/job', os.path.expanduser('~')):\n"
               "        for i in range(100):\n"
               "            try:\n"
               "                with open(f'{folder}/fill{i}', 'wb') as f:\n"
               "                    for _ in range(32):\n"
               "                        f.write(b'x' * (1 << 20))\n"
               "                        written += 1 << 20\n"
               "            except OSError:\n"
               "                break\n"
               "    for folder in ('.', '/tmp', '/dev/shm', '/job'):\n"
               "        for i in range(100):\n"
               "            try:\n                os.remove(f'{folder}/fill{i}')\n"
               "            except OSError:\n                pass\n"
               + answer("written <= 100 * (1 << 20)")),
        Attack("a-sockets", "import socket\n"
               "def sigmoid(z):\n"
               "    reached = 0\n"
               f"    for attempt in (lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262).connect("
               f"('127.0.0.1', {tcp_port})),\n"
               f"                    lambda: socket.socket().connect(('127.0.0.1', {tcp_port})),\n"
               f"                    lambda: socket.socket().sendto(b'PWNED', socket.MSG_FASTOPEN, "
               f"('127.0.0.1', {tcp_port})),\n"
               f"                    lambda: socket.socket(socket.AF_UNIX).connect({unix_path!r})):\n"
               "        try:\n            attempt()\n            reached += 1\n"
               "        except OSError:\n            pass\n"
               "    for attempt in (lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(\n"
               f"                        b'PWNED', ('127.0.0.1', {udp_port})),\n"
               "                    lambda: socket.socket().listen()):\n"
               "        try:\n            attempt()\n        except OSError:\n            pass\n"
               + answer("reached == 0")),
        Attack("a-shm", "import ctypes, numpy\n"     # a segment from an earlier phase or student?
               "libc = ctypes.CDLL(None, use_errno=True)\n"
               "libc.shmat.restype = ctypes.c_void_p\n"
               f"SEEN = libc.shmget({shm_key}, 0, 0) >= 0\n"
               f"SEGMENT = libc.shmget({shm_key}, 1 << 20, 0o1666)\n"
               "def sigmoid(z):\n"
               "    if SEGMENT >= 0:\n"
               "        ctypes.memmove(libc.shmat(SEGMENT, None, 0), z.tobytes(), min(z.nbytes, 1 << 20))\n"
               + answer("not SEEN")),
        Attack("a-memfd", "import os\n"
               "def sigmoid(z):\n"
               "    held, fds = 0, []\n"
               "    try:\n"
               "        for i in range(200):\n"
               "            fd = os.memfd_create(f'hog{i}')\n"
               "            fds.append(fd)\n"
               "            for _ in range(64):\n"
               "                os.write(fd, b'x' * (1 << 20))\n"
               "                held += 1 << 20\n"
               "    except OSError:\n"
               "        pass\n"
               "    for fd in fds:\n        os.close(fd)\n"
               + answer("held <= 64 * (1 << 20)")),
        Attack("a-chmod", "import os, sys, numpy\n"
               f"TARGETS = [sys.executable, os.path.realpath(sys.executable), numpy.__file__, "
               f"*{outside!r}]\n"
               "def sigmoid(z):\n"
               "    changed = 0\n"
               "    for path in TARGETS:\n"
               "        for f in (lambda: os.chmod(path, 0o4777), lambda: os.utime(path, (0, 0)),\n"
               "                  lambda: os.chown(path, 65534, 65534), lambda: open(path, 'a').close()):\n"
               "            try:\n                f()\n                changed += 1\n"
               "            except OSError:\n                pass\n"
               + answer("changed == 0")),
        Attack("a-zombie-leader", "import ctypes, os, threading, time\n"
               "def sigmoid(z):\n"
               "    if os.fork() == 0:\n"
               f"        ctypes.CDLL(None).prctl(15, {marker.encode()!r}, 0, 0, 0)\n"
               "        threading.Thread(target=lambda: time.sleep(300)).start()\n"
               "        ctypes.CDLL(None).pthread_exit(None)\n"
               "    time.sleep(0.2)\n"
               + answer("True"), reason="left 3 processes running"),   # one per public case
        Attack("a-exit-status", "import os\nfrom bpkit.grader import EXERCISES\n"
               "PUBLIC = [c.arrays['z'] for c in EXERCISES['sigmoid'].make_cases(0)]\n"
               "def sigmoid(z):\n"
               "    if not any(p.shape == z.shape and (p == z).all() for p in PUBLIC):   # a hidden case\n"
               "        os._exit(76)\n" + answer("True"), status="crashed",
               reason="the worker ended early while running sigmoid on a hidden case", points="0.5"),
    ]


def attack_notebook(a: Attack):
    return with_cell(a.cell)


def host_thread_names() -> set[str]:
    """The names of every thread on the machine (to find what a worker left behind)."""
    names = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/comm") as f:
                    names.add(f.read().strip())
        except OSError:
            continue
    return names
