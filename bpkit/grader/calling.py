"""Running a student's function and packing what came back into plain arrays.

This is the only module that executes student code. It returns a *flat*
``dict`` of ``name -> numpy.ndarray``: one array per answer (``"dW[2]"``,
``"z"``, ...) plus :data:`STATUS`, a 0-d string array holding a small JSON
record of everything that is not an array -- not attempted, an exception
and the student's own line, a value that was ``None`` or a list, inputs
changed in place. Only such a dict crosses the process boundary in the
instructor grader (:mod:`numpy` can save it without pickling), and the
judge reads nothing else.

While the student's code runs, warnings are silenced (numpy's overflow
warnings go to stderr and would make notebook output differ between runs);
what the student prints is left alone.
"""

from __future__ import annotations

import json
import os
import re
import sysconfig
import traceback
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .result import digits_to_show, index_text, num, position_text

Array = np.ndarray

#: Key of the status record in an outputs dict.
STATUS = "!status"
#: Longest exception message kept (characters).
MAX_MESSAGE = 240
#: An answer array larger than this many times the expected size is not kept.
MAX_SIZE_FACTOR = 64

_HERE = os.path.dirname(os.path.abspath(__file__))
_BPKIT = os.path.dirname(_HERE)
_LIBRARY_DIRS = tuple(
    {os.path.abspath(p) for p in (
        sysconfig.get_paths().get("stdlib", ""), sysconfig.get_paths().get("platstdlib", ""),
        sysconfig.get_paths().get("purelib", ""), sysconfig.get_paths().get("platlib", ""),
        os.path.dirname(np.__file__), _BPKIT,
    ) if p}
)
#: File names of notebook cells: IPython's (``/tmp/ipykernel_4242/123.py``, or
#: ``<ipython-input-7-...>`` in older versions). They change every run, so a
#: report says "the cell" instead.
_CELL = re.compile(r"(<ipython-input-[^>]*>|ipykernel_\d+|/tmp/[^/]*ipykernel)")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")


def _is_library(filename: str) -> bool:
    if filename.startswith("<"):
        return filename.startswith(("<frozen", "<__array_function__"))
    path = os.path.abspath(filename)
    return any(path == d or path.startswith(d + os.sep) for d in _LIBRARY_DIRS)


def student_frame(tb) -> dict[str, Any] | None:
    """The deepest traceback frame in the student's own code.

    Returns ``{"where": ..., "line": n, "code": ..., "function": ...}`` where
    ``where`` is ``"cell"`` for a notebook cell (whose file name, such as
    ``/tmp/ipykernel_4242/123.py``, changes every run and is never shown),
    the file's base name for a file, and the pseudo-name itself for code
    without a file (``"<string>"`` for ``exec`` or ``python -c``); ``line`` is
    the line within that cell or file; ``code`` is that line's source, or
    ``""`` when the source cannot be found. ``None`` when no frame belongs to
    the student.
    """
    frames = [f for f in traceback.extract_tb(tb) if not _is_library(f.filename)]
    if not frames:
        return None
    f = frames[-1]
    if _CELL.search(f.filename):
        where = "cell"
    elif f.filename.startswith("<"):
        where = f.filename
    else:
        where = os.path.basename(f.filename)
    return {"where": where, "line": int(f.lineno or 0), "code": (f.line or "").strip()[:160],
            "function": f.name}


_MATMUL = re.compile(r"^matmul: .*\(size (\d+) is different from (\d+)\)$")
_DOT = re.compile(r"^shapes \(([\d, ]+)\) and \(([\d, ]+)\) not aligned: "
                  r"(\d+) \(dim \d+\) != (\d+) \(dim \d+\)$")


def clean_message(text: str) -> str:
    """One line, no memory addresses, at most :data:`MAX_MESSAGE` characters.

    numpy's messages for a matrix product that does not fit are rewritten in
    one plain form (they also differ between numpy versions)::

        matrix product does not fit: the left factor has 3 columns, the right factor 6 rows
    """
    text = _ADDRESS.sub("0x...", " ".join(str(text).split()))
    if m := _MATMUL.match(text):
        text = MATMUL_TEXT.format(m.group(2), m.group(1))
    elif m := _DOT.match(text):
        text = MATMUL_TEXT.format(m.group(3), m.group(4))
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


#: The one form of a failed matrix product (left columns, right rows).
MATMUL_TEXT = "matrix product does not fit: the left factor has {} columns, the right factor {} rows"


def run(fn: Callable, args: tuple) -> tuple[Any, dict[str, Any]]:
    """Call ``fn(*args)``; return ``(value, status)`` and never raise (except KeyboardInterrupt).

    ``status["kind"]`` is ``"ok"``, ``"not-attempted"`` (``NotImplementedError``)
    or ``"exception"`` (with the type, a cleaned message and the student's frame).
    """
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            value = fn(*args)
    except NotImplementedError as exc:
        return None, {"kind": "not-attempted", "frame": student_frame(exc.__traceback__)}
    except (Exception, SystemExit) as exc:  # noqa: B902 -- a check must survive the student's code
        return None, {
            "kind": "exception",
            "type": type(exc).__name__,
            "message": clean_message(str(exc)),
            "frame": student_frame(exc.__traceback__),
        }
    return value, {"kind": "ok"}


def describe(value: Any) -> str:
    """A short name for what a student returned: ``"None"``, ``"a list of 3 items"``, ..."""
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype}"
    if isinstance(value, (list, tuple)):
        kind = "list" if isinstance(value, list) else "tuple"
        return f"a {kind} of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        return "a dict"
    if isinstance(value, (bool, np.bool_)):
        return "a bool"
    if isinstance(value, (int, float, np.number)):
        return f"a number ({type(value).__name__})"
    return f"a {type(value).__name__}"


def to_array(value: Any, expected_size: int) -> tuple[Array | None, str | None]:
    """The student's answer as a real numeric ndarray, or ``(None, what it was)``.

    Numbers become 0-d arrays (so a stray ``np.sum`` is reported as a shape
    problem, not a type problem); ``np.matrix`` becomes a plain array;
    booleans and integers are accepted; lists, ``None``, complex and object
    arrays are refused with a description.
    """
    if isinstance(value, (bool, int, float, np.number, np.bool_)) and not isinstance(value, complex):
        value = np.asarray(value)
    if not isinstance(value, np.ndarray):
        return None, describe(value)
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        return None, f"an array of dtype {arr.dtype} (it must hold real numbers)"
    if arr.size > MAX_SIZE_FACTOR * max(expected_size, 16):
        return None, f"an array of shape {arr.shape}, far too large"
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    return np.array(arr, copy=True), None


def encode_status(status: dict[str, Any]) -> Array:
    """The status record as a 0-d unicode array (JSON inside)."""
    return np.array(json.dumps(status, sort_keys=True, default=str))


def decode_status(outputs: dict[str, Array]) -> dict[str, Any]:
    """Read the status record back, defensively: the outputs may come from an untrusted worker.

    Every field is checked for its type and cut to a sane length, so the
    judge can use it without further care; anything unreadable gives
    ``{"kind": "corrupt"}``.
    """
    raw = outputs.get(STATUS)
    try:
        if not isinstance(raw, np.ndarray) or raw.dtype.kind != "U" or raw.ndim != 0:
            raise ValueError
        status = json.loads(str(raw[()])[:100_000])
        if not isinstance(status, dict) or not isinstance(status.get("kind"), str):
            raise ValueError
    except ValueError:
        return {"kind": "corrupt"}

    def text(value: Any, limit: int = MAX_MESSAGE) -> str:
        return clean_message(value)[:limit] if isinstance(value, (str, int, float)) else ""

    clean: dict[str, Any] = {"kind": text(status["kind"], 40)}
    for key in ("type", "message", "got", "called"):
        if key in status:
            clean[key] = text(status[key])
    frame = status.get("frame")
    if isinstance(frame, dict):
        line = frame.get("line")
        clean["frame"] = {"where": text(frame.get("where"), 80), "code": text(frame.get("code"), 160),
                          "function": text(frame.get("function"), 80),
                          "line": int(line) if isinstance(line, int) else 0}
    types = status.get("types")
    if isinstance(types, dict):
        clean["types"] = {str(k)[:80]: text(v) for k, v in list(types.items())[:50]}
    notes = status.get("notes")
    if isinstance(notes, dict):
        clean["notes"] = {str(k)[:80]: text(v) for k, v in list(notes.items())[:10]}
    mutated = status.get("mutated")
    if isinstance(mutated, list):
        clean["mutated"] = [{"name": text(m.get("name"), 80), "kind": text(m.get("kind"), 10),
                             "detail": text(m.get("detail"))} for m in mutated[:5] if isinstance(m, dict)]
    return clean


def snapshot(value: Any) -> Any:
    """A deep copy of an argument's arrays (lists keep the identity of their items)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return (list(value), [v.copy() if isinstance(v, np.ndarray) else v for v in value])
    return None


#: Answers are sent back with each array argument as it was after the call, under this
#: prefix, so that whether the student changed an input is judged by the trusted side.
INPUT_PREFIX = "!in:"


def input_arrays(name: str, value: Any) -> list[tuple[str, Array]]:
    """The arrays of one argument, named as messages name them: ``W`` or ``W[1]``, ``W[2]``..."""
    if isinstance(value, np.ndarray):
        return [(name, value)]
    if isinstance(value, list):
        return [(f"{name}[{l}]", v) for l, v in enumerate(value) if isinstance(v, np.ndarray)]
    return []


def changes(name: str, before: Any, after: Any, rtol: float = 0.0) -> list[dict[str, str]]:
    """What the student's code changed in one argument, as ``[{"name", "detail"}]``.

    With ``rtol > 0``, an entry that moved by at most ``rtol * (1 + |old|)``
    counts as unchanged (an entry put back by ``x[i] += h; ...; x[i] -= h``
    may land one rounding away from where it was).
    """
    out = []
    if isinstance(before, np.ndarray):
        out += _array_change(name, before, after, rtol)
    elif isinstance(before, tuple):
        items, copies = before
        if len(after) != len(items):
            out.append({"name": name, "kind": "list", "detail": f"the list {name} now has {len(after)} "
                                                                f"items instead of {len(items)}"})
            return out
        for l, (old_obj, old_copy) in enumerate(zip(items, copies, strict=True)):
            if after[l] is not old_obj:
                out.append({"name": f"{name}[{l}]", "kind": "list",
                            "detail": f"{name}[{l}] was replaced by a new value (the list {name} itself "
                                      "was changed)"})
            elif isinstance(old_copy, np.ndarray):
                out += _array_change(f"{name}[{l}]", old_copy, after[l], rtol)
    return out


def _array_change(name: str, before: Array, after: Any, rtol: float = 0.0) -> list[dict[str, str]]:
    if not isinstance(after, np.ndarray) or after.shape != before.shape:
        return [{"name": name, "kind": "array", "detail": f"{name} was reshaped or replaced in place"}]
    with np.errstate(all="ignore"):
        same = (after == before) | (np.isnan(after) & np.isnan(before))
        if rtol > 0:
            same |= np.abs(after - before) <= rtol * (1 + np.abs(before))
    diff = ~same
    if not diff.any():
        return []
    i = tuple(int(k) for k in np.argwhere(diff)[0])
    k = digits_to_show(float(before[i]), float(after[i]))
    return [{
        "name": name,
        "kind": "array",
        "detail": f"{int(diff.sum())} of {diff.size} entries of {name} changed; "
                  f"{name}{index_text(i)} ({position_text(i)}) was {num(before[i], k)} "
                  f"and is now {num(after[i], k)}",
    }]


def flat_outputs(arrays: dict[str, Array], status: dict[str, Any]) -> dict[str, Array]:
    """The dict that crosses the process boundary: answers plus :data:`STATUS`."""
    out = {k: v for k, v in arrays.items() if isinstance(v, np.ndarray)}
    out[STATUS] = encode_status(status)
    return out
