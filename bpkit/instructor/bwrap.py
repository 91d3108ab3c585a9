"""The outer wall: the command line that starts a worker server inside bubblewrap, and a check that it works.

`bubblewrap <https://github.com/containers/bubblewrap>`_ (``bwrap``, the
sandbox Flatpak is built on) starts each worker server with:

* its own user, PID, IPC, network, UTS and cgroup namespaces
  (``--unshare-all``), uid and gid 65534 inside even when the grader runs as
  root, and no capabilities (``--cap-drop ALL``);
* a read-only view of only what Python and the imported packages need
  (:func:`~bpkit.instructor.sandbox.readable_roots`: the interpreter's
  prefixes, numpy's and bpkit's folders, the shared libraries) -- not the
  instructor's files, not ``solutions/``, not the output folder; the rest of
  the root is an empty, read-only tmpfs;
* one private, size-capped writable folder (``/job``), a private ``/proc``,
  a minimal read-only ``/dev``;
* ``--die-with-parent`` (if the grader dies, so does the sandbox) and
  ``--new-session`` (no terminal to inject keystrokes into).

Inside it, every job gets namespaces of its own again
(:func:`~bpkit.instructor.sandbox.isolate`), so that the server -- which
never runs submitted code -- is the only thing two submissions share.

>>> "--unshare-all" in command(["python3", "-c", "pass"], ["/usr"], 1 << 20)
True
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

#: Folders whose usual form is a link into /usr (Debian, Fedora, Arch ...).
_LINKED = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
#: The worker's writable folder (a tmpfs).
WORK = "/job"

INSTALL = ("Install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: "
           "`sudo dnf install bubblewrap`; Arch: `sudo pacman -S bubblewrap`). Inside Docker or Podman, "
           "bwrap needs user namespaces: start the container with `--security-opt seccomp=unconfined "
           "--security-opt apparmor=unconfined` (or `--privileged`), or grade inside a throw-away "
           "container that is itself the wall (`docker run --rm --network none --read-only ...`) and "
           "pass --no-sandbox there.")


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here (the message says how to fix it)."""


def find() -> str | None:
    """The path of ``bwrap``, or None."""
    return shutil.which("bwrap") or ("/usr/bin/bwrap" if os.access("/usr/bin/bwrap", os.X_OK) else None)


def command(argv: list[str], roots: list[str], work_bytes: int, exe: str = "bwrap") -> list[str]:
    """The ``bwrap`` command line that runs ``argv`` with read-only ``roots`` and a ``work_bytes`` tmpfs."""
    cmd = [exe, "--unshare-all", "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL",
           "--die-with-parent", "--new-session", "--hostname", "bpkit"]
    linked = set()
    for path in _LINKED:
        if os.path.islink(path):
            cmd += ["--symlink", os.readlink(path), path]
            linked.add(path)
    bound = []
    for root in sorted(set(roots)):
        if any(root == p or root.startswith(p + "/") for p in linked):
            root = os.path.realpath(root)
        if root in bound or any(root == p or root.startswith(p + "/") for p in ("/dev", "/proc", WORK)):
            continue                                    # --dev, --proc and the tmpfs provide those
        bound.append(root)
        cmd += ["--ro-bind-try", root, root]
    cmd += ["--proc", "/proc", "--dev", "/dev", "--dir", "/tmp", "--size", str(int(work_bytes)),
            "--tmpfs", WORK, "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", WORK, "--", *argv]
    return cmd


def check(exe: str | None = None) -> str:
    """The path of a ``bwrap`` that can create every namespace here; :class:`SandboxUnavailable` if none."""
    exe = exe or find()
    if exe is None:
        raise SandboxUnavailable("bpkit grade runs each submission inside bubblewrap (bwrap), which is not "
                                 "installed. " + INSTALL + " To grade without it (unsafe for untrusted "
                                 "work), pass --no-sandbox.")
    python = os.path.realpath(sys.executable)
    roots = [os.path.dirname(os.path.dirname(python)), "/usr"]
    try:
        done = subprocess.run(command([python, "-S", "-c", "pass"], roots, 1 << 20, exe),
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        why = str(err)
    else:
        if done.returncode == 0:
            return exe
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        why = why[0][:200]
    raise SandboxUnavailable(f"bubblewrap ({exe}) cannot create its namespaces here ({why}). " + INSTALL
                             + " To grade without it (unsafe for untrusted work), pass --no-sandbox.")
