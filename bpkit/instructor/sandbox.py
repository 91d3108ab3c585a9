"""Linux confinement for a worker process: namespaces, resource limits, capabilities, seccomp, Landlock.

The outer wall is bubblewrap (:mod:`bpkit.instructor.bwrap`); everything here
is applied inside it, by a freshly forked process to *itself*, before a line
of a submission runs (:mod:`bpkit.instructor.worker`), and cannot be undone
by that process or its children:

* :func:`isolate` -- new user, mount, PID, IPC, network, UTS and cgroup
  namespaces for each run, with a fresh size-capped tmpfs and an empty
  ``/proc`` (called by the trusted keeper before it forks the worker);
* :func:`set_limits` -- ``setrlimit``: address space (the memory limit), CPU
  seconds (a backstop behind the parent's wall-clock limit), the size of any
  file written (so printing cannot fill the disk), no core files, a modest
  number of open files, and -- for a non-root user -- a cap on new processes;
* :func:`drop_capabilities` -- every capability given up (those of root, and
  those a new user namespace grants);
* :func:`block_memory_files` -- seccomp: no ``memfd_create``, whose pages no
  limit counts;
* :func:`landlock` -- `Landlock <https://docs.kernel.org/userspace-api/landlock.html>`_
  (Linux 5.13+, no privileges needed), a second wall: the worker may read
  only the Python installation and the packages already imported, may write
  only inside its own folder, may not open TCP connections, signal
  processes outside its sandbox or reach abstract Unix sockets (each where
  the running kernel's Landlock ABI supports it).

All calls go through :mod:`ctypes` to the C library: there is no dependency,
and on a system without a feature the function returns what was achieved
instead of raising (:func:`landlock_abi` is 0 where Landlock is missing;
:func:`isolate` raises :class:`SandboxError`, a grader error).
"""

from __future__ import annotations

import ctypes
import os
import platform
import resource
import struct
import sys

# --------------------------------------------------------------------------- syscalls

_SYS_LANDLOCK_CREATE_RULESET = 444      # the same number on every architecture since Linux 5.13
_SYS_LANDLOCK_ADD_RULE = 445
_SYS_LANDLOCK_RESTRICT_SELF = 446
_SYS_CAPGET_SET = {"x86_64": (125, 126), "aarch64": (90, 91)}

PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4

_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_RULE_PATH_BENEATH = 1

# filesystem rights, by the Landlock ABI that introduced them
FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13          # ABI 2
FS_TRUNCATE = 1 << 14       # ABI 3
FS_IOCTL_DEV = 1 << 15      # ABI 5
NET_BIND_TCP = 1 << 0       # ABI 4
NET_CONNECT_TCP = 1 << 1    # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0   # ABI 6
SCOPE_SIGNAL = 1 << 1                 # ABI 6

_FS_V1 = (1 << 13) - 1
_FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV

#: What a worker may do beneath the folders it may read.
READ = FS_READ_FILE | FS_READ_DIR | FS_EXECUTE
#: What a worker may do in its own folder: everything but special files, symlinks and cross-folder links.
WRITE = (READ | FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE_DIR | FS_MAKE_REG
         | FS_TRUNCATE)

#: System folders a Python process may need to read (shared libraries, time zone, ...).
SYSTEM_READ = ("/lib", "/lib32", "/lib64", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/local/lib",
               "/etc/ld.so.cache", "/etc/localtime", "/usr/share/zoneinfo",
               "/dev/urandom", "/dev/random", "/dev/zero")


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _syscall(number: int, *args) -> int:
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    return int(libc.syscall(ctypes.c_long(number), *args))


def prctl(option: int, arg2: int = 0) -> bool:
    """``prctl(option, arg2, 0, 0, 0)``; True on success."""
    if not sys.platform.startswith("linux"):
        return False
    libc = _libc()
    return libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg2), ctypes.c_ulong(0), ctypes.c_ulong(0),
                      ctypes.c_ulong(0)) == 0


# --------------------------------------------------------------------------- limits

def set_limits(memory_mb: int, cpu_seconds: int, file_bytes: int, processes: int | None = None) -> None:
    """Limit this process (and what it starts): memory, CPU time, file size, cores, files, processes."""
    def lim(which: int, value: int) -> None:
        try:
            soft, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass

    lim(resource.RLIMIT_AS, int(memory_mb) * 1024 * 1024)
    lim(resource.RLIMIT_CPU, int(cpu_seconds))
    lim(resource.RLIMIT_FSIZE, int(file_bytes))
    lim(resource.RLIMIT_CORE, 0)
    lim(resource.RLIMIT_NOFILE, 256)
    if processes is not None and os.getuid() != 0:      # the kernel never applies RLIMIT_NPROC to root
        lim(resource.RLIMIT_NPROC, processes)


def user_processes() -> int:
    """How many processes this user has now (to set RLIMIT_NPROC a little above it)."""
    uid, n = os.getuid(), 0
    try:
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    if os.stat(f"/proc/{name}").st_uid == uid:
                        n += 1
                except OSError:
                    pass
    except OSError:
        return 0
    return n


# --------------------------------------------------------------------------- capabilities

def drop_capabilities() -> bool:
    """Give up every capability (bounding, ambient, effective, permitted, inheritable).

    For root, and for a process that holds every capability of a user
    namespace it has just created (:func:`isolate`): it can no longer
    override permissions, mount, trace, load modules or reboot. Returns True
    if the capability sets are now empty.
    """
    if not sys.platform.startswith("linux"):
        return False
    for cap in range(64):
        if not prctl(PR_CAPBSET_DROP, cap):
            break
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    numbers = _SYS_CAPGET_SET.get(platform.machine())
    if numbers is None:
        return False
    header = struct.pack("Ii", 0x20080522, 0)           # _LINUX_CAPABILITY_VERSION_3, this process
    data = bytes(24)                                    # two {effective, permitted, inheritable} = 0
    hbuf = ctypes.create_string_buffer(header, len(header))
    dbuf = ctypes.create_string_buffer(data, len(data))
    return _syscall(numbers[1], hbuf, dbuf) == 0


# --------------------------------------------------------------------------- landlock

def landlock_abi() -> int:
    """The kernel's Landlock ABI version (0: not available)."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        v = _syscall(_SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                     ctypes.c_uint32(_LANDLOCK_CREATE_RULESET_VERSION))
    except (OSError, AttributeError):
        return 0
    return max(v, 0)


def _fs_rights(abi: int) -> int:
    rights = _FS_V1
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def landlock(read: list[str], write: list[str]) -> int:
    """Confine this process and its future children with Landlock.

    ``read``: files and folders it may read (and execute) beneath;
    ``write``: folders where it may also create, write and remove files.
    Everything else on the file system is refused (``PermissionError``);
    so are TCP ``bind``/``connect`` (ABI 4+), and signals to and abstract
    Unix sockets of processes outside the sandbox (ABI 6+).

    Returns the ABI applied, or 0 if Landlock is not available (then nothing
    was restricted).
    """
    abi = landlock_abi()
    if abi < 1:
        return 0
    handled = _fs_rights(abi)
    if abi >= 6:
        attr = struct.pack("QQQ", handled, NET_BIND_TCP | NET_CONNECT_TCP,
                           SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL)
    elif abi >= 4:
        attr = struct.pack("QQ", handled, NET_BIND_TCP | NET_CONNECT_TCP)
    else:
        attr = struct.pack("Q", handled)
    abuf = ctypes.create_string_buffer(attr, len(attr))
    ruleset = _syscall(_SYS_LANDLOCK_CREATE_RULESET, abuf, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    if ruleset < 0:
        return 0
    try:
        for paths, rights in ((read, READ), (write, WRITE)):
            for path in paths:
                _add_path_rule(ruleset, path, rights & handled)
        if not prctl(PR_SET_NO_NEW_PRIVS, 1):
            return 0
        if _syscall(_SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            return 0
    finally:
        os.close(ruleset)
    return abi


def _add_path_rule(ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return                                          # a folder that does not exist here
    try:
        if not os.path.isdir(path):
            rights &= _FILE_RIGHTS
        rule = struct.pack("=Qi", rights, fd)           # struct landlock_path_beneath_attr (packed)
        buf = ctypes.create_string_buffer(rule, len(rule))
        _syscall(_SYS_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(_LANDLOCK_RULE_PATH_BENEATH),
                 buf, ctypes.c_uint32(0))
    finally:
        os.close(fd)


def readable_roots(modules: dict | None = None) -> list[str]:
    """The folders a worker needs to read: the Python installation and the packages already imported.

    The installation's prefixes (which hold the standard library and the
    environment's ``site-packages``) and the folder of every imported
    top-level package -- ``bpkit`` itself, even when it is installed in
    editable mode from a course repository, without the rest of that
    repository (``solutions/`` stays unreadable). The root ``/`` and the
    user's home are never added whole.
    """
    modules = sys.modules if modules is None else modules
    home = os.path.realpath(os.path.expanduser("~"))
    roots = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix,
                                          sys.base_exec_prefix, sys.executable)}
    for name, module in list(modules.items()):
        if "." in name or module is None:
            continue
        path = getattr(module, "__file__", None)
        if not path:
            continue
        path = os.path.realpath(path)
        if os.path.basename(path).startswith("__init__."):
            roots.add(os.path.dirname(path))                  # a package: its folder
        else:
            roots.add(path)                                   # a single module: that file
    roots |= {p for p in SYSTEM_READ if os.path.exists(p)}
    roots = {r for r in roots if r not in ("/", home, os.path.dirname(home)) and os.path.exists(r)}
    return sorted(r for r in roots if not any(r.startswith(o.rstrip("/") + "/") for o in roots if o != r))


# --------------------------------------------------------------------------- namespaces (inside bubblewrap)

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
_ALL_NAMESPACES = (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS
                   | CLONE_NEWCGROUP)
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18


class SandboxError(OSError):
    """The per-run namespaces or mounts could not be set up (a grader error, not the notebook's)."""


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    libc = _libc()
    if libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None,
                  ctypes.c_ulong(flags), data.encode() if data else None) != 0:
        err = ctypes.get_errno()
        raise SandboxError(err, f"mount {fstype or 'bind'} on {target}: {os.strerror(err)}")


def isolate(work: str, size_bytes: int) -> int:
    """Give this process (and its next child) namespaces of their own; return a descriptor of ``/proc``.

    Called inside bubblewrap by a freshly forked, trusted process before it
    forks the worker that runs a submission: new user, mount, PID, IPC,
    network, UTS and cgroup namespaces (the next child is PID 1 of its own
    PID namespace, so it sees no other process, and everything it starts
    dies with it); the same unprivileged uid; a fresh tmpfs of
    ``size_bytes`` on ``work`` (the one writable place: ``/tmp`` and
    ``/dev/shm`` are folders of it, unless read-only binds of Python or bpkit
    sit under them); an empty, read-only ``/proc``. The
    returned descriptor of the previous ``/proc`` lets the caller count what
    the worker started; the worker must close it.
    """
    uid, gid = os.getuid(), os.getgid()
    if _libc().unshare(ctypes.c_int(_ALL_NAMESPACES)) != 0:
        err = ctypes.get_errno()
        raise SandboxError(err, f"unshare: {os.strerror(err)}")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    proc = os.open("/proc", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    _mount("tmpfs", work, "tmpfs", MS_NOSUID | MS_NODEV,
           f"size={int(size_bytes)},nr_inodes=4096,mode=0700,uid={uid},gid={gid}")
    for folder, target in (("tmp", "/tmp"), ("shm", "/dev/shm")):
        os.mkdir(os.path.join(work, folder), 0o700)
        # Only over an empty folder: where Python or bpkit live under /tmp (a checkout in /tmp, a
        # venv there), their read-only binds must stay visible. TMPDIR is the work folder anyway.
        if os.path.isdir(target) and not os.listdir(target):
            _mount(os.path.join(work, folder), target, None, MS_BIND | MS_REC)
    _mount("tmpfs", "/proc", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "size=4k,mode=0555")
    return proc


# --------------------------------------------------------------------------- seccomp

#: Calls a worker may not make, by machine: memory files (memfd_create, memfd_secret), whose pages
#: count against no limit a worker has (not its address space, not its tmpfs).
_BLOCKED = {"x86_64": (0xC000003E, (319, 447)), "aarch64": (0xC00000B7, (279, 447))}
_EPERM = 1


def block_memory_files() -> bool:
    """Forbid ``memfd_create`` and ``memfd_secret`` to this process and its children (seccomp).

    They fail with ``PermissionError``; everything else is allowed. On x86-64
    the x32 system-call numbers are refused too. Returns True if the filter
    is in place.
    """
    spec = _BLOCKED.get(platform.machine())
    if spec is None or not sys.platform.startswith("linux"):
        return False
    arch, numbers = spec
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny = 0x7FFF0000, 0x00050000 | _EPERM
    prog = [(ld, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, allow), (ld, 0, 0, 0)]
    if arch == 0xC000003E:
        prog += [(jge, 0, 1, 0x40000000), (ret, 0, 0, deny)]
    for n in numbers:
        prog += [(jeq, 0, 1, n), (ret, 0, 0, deny)]
    prog.append((ret, 0, 0, allow))
    raw = b"".join(struct.pack("HBBI", *ins) for ins in prog)
    buf = ctypes.create_string_buffer(raw, len(raw))

    class _Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = _Prog(len(prog), ctypes.cast(buf, ctypes.c_void_p))
    if not prctl(PR_SET_NO_NEW_PRIVS, 1):
        return False
    libc = _libc()
    return libc.prctl(ctypes.c_int(22), ctypes.c_ulong(2), ctypes.byref(fprog), ctypes.c_ulong(0),
                      ctypes.c_ulong(0)) == 0
