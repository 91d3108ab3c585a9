"""How grading inputs and outputs cross between the trusted parent and a worker.

Everything crosses through pipes, and nothing is ever unpickled. For each
run the grader sends the server one line of limits, then the **job** -- one
JSON line (the code to run: a fixed preamble of imports, then the
submission's exercise cells; which exercises to call) followed by the
**cases**, the bytes of an ``.npz`` of plain float64 arrays plus a JSON
header per case (:meth:`Case.to_arrays <bpkit.grader.cases.Case.to_arrays>`)
with the seed removed. The keeper reads the job; the worker writes, in its
own tmpfs:

``out/<exercise>.<k>.npz``
    one per case: what :meth:`Exercise.call
    <bpkit.grader.exercises.Exercise.call>` returned, the answer arrays and
    the 0-d status record. Written atomically, so a worker that dies leaves
    complete files only.
``progress.json``
    where it is (cells, which exercise and case), each cell's outcome, the
    functions it did not find. Used only to explain a zero; never to score.
``stdout.txt``, ``stderr.txt``
    what it printed (capped).

When the worker has been killed, the keeper reads those files (no links,
FIFOs or devices; a size cap on each and on all together) and sends them
back as one JSON line (an index) followed by their bytes.

The parent reads them as hostile input (:func:`parse_outputs`): a size cap
on every array, ``.npy`` headers checked before a byte is allocated, object
and structured dtypes refused. The verdicts are then computed in the parent
from these arrays alone.
"""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
from typing import Any

import numpy as np

from ..grader.calling import MAX_SIZE_FACTOR, STATUS
from ..grader.cases import Case

JOB = "job.json"
CASES = "cases.npz"
PROGRESS = "progress.json"
OUT = "out"
STDOUT = "stdout.txt"
STDERR = "stderr.txt"

#: Largest file the parent reads back from a worker (bytes).
MAX_FILE = 8 * 1024 * 1024
#: Largest total of the files a worker sends back (bytes).
MAX_TOTAL = 48 * 1024 * 1024
#: Largest progress record (bytes).
MAX_PROGRESS = 1024 * 1024
#: Largest status record (characters).
MAX_STATUS_CHARS = 100_000
_SEP = "|"


class ProtocolError(Exception):
    """A file from a worker that the parent refuses to read (too large, not a plain file, not arrays)."""


# --------------------------------------------------------------------------- parent -> worker

def pack_cases(cases: dict[str, list[Case]]) -> bytes:
    """The cases of several exercises as the bytes of one ``.npz`` (no pickles, no seeds)."""
    arrays: dict[str, np.ndarray] = {}
    for ex_id, items in cases.items():
        for k, case in enumerate(items):
            head = {"exercise": case.exercise, "index": case.index, "seed": 0, "meta": case.meta,
                    "description": case.description}
            for name, value in case.arrays.items():
                arrays[f"{ex_id}{_SEP}{k}{_SEP}{name}"] = np.asarray(value, dtype=np.float64)
            arrays[f"{ex_id}{_SEP}{k}{_SEP}!case"] = np.array(json.dumps(head, sort_keys=True))
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def unpack_cases(source: str | bytes) -> dict[str, list[Case]]:
    """The inverse of :func:`pack_cases` (worker side; the bytes, or a file, come from the parent)."""
    grouped: dict[str, dict[int, dict[str, np.ndarray]]] = {}
    with np.load(io.BytesIO(source) if isinstance(source, bytes) else source, allow_pickle=False) as data:
        for key in data.files:
            ex_id, k, name = key.split(_SEP, 2)
            grouped.setdefault(ex_id, {}).setdefault(int(k), {})[name] = data[key]
    return {ex_id: [Case.from_arrays(parts[k]) for k in sorted(parts)] for ex_id, parts in grouped.items()}


def job_bytes(job: dict[str, Any], cases: bytes) -> bytes:
    """What the keeper reads after the request line: the job as one JSON line, then the cases."""
    return json.dumps(job).encode() + b"\n" + cases


def output_file(exercise: str, k: int) -> str:
    """The worker-relative path of case ``k``'s outputs."""
    return os.path.join(OUT, f"{exercise}.{k}.npz")


# --------------------------------------------------------------------------- worker -> parent (worker side)

def save_outputs(path: str, outputs: dict[str, np.ndarray]) -> None:
    """Write one case's outputs atomically (worker side)."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        np.savez(f, **outputs)
    os.replace(tmp, path)


def save_progress(record: dict[str, Any]) -> None:
    """Replace ``progress.json`` (worker side, in its working folder)."""
    with open(PROGRESS + ".tmp", "w", encoding="utf-8") as f:
        json.dump(record, f)
    os.replace(PROGRESS + ".tmp", PROGRESS)


# --------------------------------------------------------------------------- worker -> parent (parent side)

def read_file(folder_fd: int, relative: str, limit: int) -> bytes:
    """Read a plain file beneath an open folder, refusing symlinks, FIFOs, devices and large files."""
    parts = relative.split("/")
    fds = []
    try:
        fd = folder_fd
        for part in parts[:-1]:
            fd = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            fds.append(fd)
        try:
            f = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=fd)
        except OSError as err:
            raise ProtocolError(f"cannot open {relative}: {err.strerror}") from None
        fds.append(f)
        st = os.fstat(f)
        if not stat.S_ISREG(st.st_mode):
            raise ProtocolError(f"{relative} is not a plain file")
        if st.st_size > limit:
            raise ProtocolError(f"{relative} is too large ({st.st_size} bytes)")
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(f, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            raise ProtocolError(f"{relative} is too large")
        return data
    except OSError as err:
        raise ProtocolError(f"cannot read {relative}: {err.strerror}") from None
    finally:
        for fd in fds:
            os.close(fd)


def file_size(folder_fd: int, relative: str) -> int:
    """Size of a plain file beneath the folder (0 if missing or not a plain file)."""
    try:
        st = os.stat(relative, dir_fd=folder_fd, follow_symlinks=False)
    except OSError:
        return 0
    return st.st_size if stat.S_ISREG(st.st_mode) else 0


def parse_npy(raw: bytes, max_elements: int, status: bool = False) -> np.ndarray:
    """One ``.npy`` member, validated before anything is allocated.

    Answers must be real numbers (bool, int, float); the status record a
    0-d unicode string. Object, structured and sub-array dtypes, a header
    whose shape does not match the bytes, or more than ``max_elements``
    entries are refused.
    """
    f = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f, max_header_size=4096)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f, max_header_size=4096)
        else:
            raise ProtocolError(f"unsupported .npy version {version}")
    except ProtocolError:
        raise
    except Exception as err:  # noqa: BLE001 -- a hostile header: any error means refuse
        raise ProtocolError(f"bad .npy header ({type(err).__name__})") from None
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
        raise ProtocolError("object or structured dtype refused")
    if status:
        if dtype.kind != "U" or shape != () or dtype.itemsize > 4 * MAX_STATUS_CHARS:
            raise ProtocolError("the status record must be a 0-d string")
    elif dtype.kind not in "biuf":
        raise ProtocolError(f"dtype {dtype} refused (real numbers only)")
    if not isinstance(shape, tuple) or len(shape) > 8 or any(not isinstance(d, int) or d < 0 for d in shape):
        raise ProtocolError("bad shape")
    count = 1
    for d in shape:
        count *= d
    if count > max_elements:
        raise ProtocolError(f"array of {count} entries refused (at most {max_elements})")
    body = raw[f.tell():]
    if len(body) != count * dtype.itemsize:
        raise ProtocolError("the data does not match the header")
    arr = np.frombuffer(body, dtype=dtype, count=count).reshape(shape, order="F" if fortran else "C")
    return np.array(arr, dtype=arr.dtype.newbyteorder("="))


def read_outputs(folder_fd: int, relative: str, expected: dict[str, int]) -> dict[str, np.ndarray]:
    """:func:`parse_outputs` of a file beneath an open folder."""
    return parse_outputs(read_file(folder_fd, relative, MAX_FILE), expected)


def parse_outputs(data: bytes, expected: dict[str, int]) -> dict[str, np.ndarray]:
    """One case's outputs from a worker (the bytes of its ``.npz``), as a dict the judge can take.

    ``expected`` maps each answer's name to its expected number of entries.
    An answer may have at most ``MAX_SIZE_FACTOR`` times that many (as the
    worker-side :func:`~bpkit.grader.calling.to_array` allows); an array
    under another name (some exercises send more, e.g. a second call's
    answer) at most that many times the largest expected size. The judge
    reads only the names it knows.
    """
    if len(data) > MAX_FILE:
        raise ProtocolError("the answer file is too large")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except Exception:  # noqa: BLE001
        raise ProtocolError("not an .npz archive") from None
    if len(infos) > 4 * len(expected) + 16:
        raise ProtocolError("too many arrays")
    largest = max(list(expected.values()) + [16])
    out: dict[str, np.ndarray] = {}
    total = 0
    for info in infos:
        if not info.filename.endswith(".npy") or len(info.filename) > 200:
            continue
        name = info.filename[:-4]
        max_elements = 1 if name == STATUS else MAX_SIZE_FACTOR * max(expected.get(name, largest), 16)
        limit = (4 * MAX_STATUS_CHARS + 512) if name == STATUS else 8 * max_elements + 512
        if info.file_size > limit:
            raise ProtocolError(f"{name} is too large")
        total += info.file_size
        if total > MAX_FILE:
            raise ProtocolError("outputs too large")
        try:
            with zf.open(info) as member:
                raw = member.read(limit + 1)
        except Exception:  # noqa: BLE001
            raise ProtocolError(f"{name} cannot be read") from None
        if len(raw) > limit:
            raise ProtocolError(f"{name} is too large")
        out[name] = parse_npy(raw, max_elements, status=(name == STATUS))
    return out


def read_progress(folder_fd: int) -> dict[str, Any]:
    """The worker's progress record, or ``{}`` if it is missing or unreadable."""
    try:
        return parse_progress(read_file(folder_fd, PROGRESS, MAX_PROGRESS))
    except ProtocolError:
        return {}


def parse_progress(data: bytes) -> dict[str, Any]:
    """The progress record from its bytes, or ``{}`` if it is unreadable."""
    if len(data) > MAX_PROGRESS:
        return {}
    try:
        record = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {}
    return record if isinstance(record, dict) else {}


def read_text(folder_fd: int, relative: str, limit: int = 2000) -> str:
    """The first ``limit`` characters of a worker's text file (for the instructor's log)."""
    try:
        fd = os.open(relative, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder_fd)
    except OSError:
        return ""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return ""
        return os.read(fd, 4 * limit).decode("utf-8", errors="replace")[:limit]
    finally:
        os.close(fd)
