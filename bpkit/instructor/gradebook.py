"""The output folder: result records, the index of submissions, the gradebook.

::

    OUT/
      results/<sha256>-<NN>.json   one record per graded notebook, keyed by the
                                   SHA-256 of its bytes and the lesson number
      submissions.json             the index: who submitted which file (and its hash)
      gradebook.csv                one row per student, lesson and exercise
      totals.csv                   one row per student, one column per lesson
      feedback/<student>.md|.html  per-student feedback
      summary.md, summary.json, histogram.png
      log.jsonl                    one JSON object per event, appended

Every file is written atomically (a temporary file in the same folder, then
:func:`os.replace`), so a run killed at any moment leaves each file either
as it was or complete. The gradebook is always rebuilt from the index and
the result records, so a run killed and rerun gives the same bytes as one
uninterrupted run.

``gradebook.csv`` has the columns :data:`COLUMNS`, rows sorted by student,
lesson and exercise (the lesson's order). ``points`` is a plain decimal
(``0.6667``); text cells that a spreadsheet would take for a formula (they
start with ``=``, ``+``, ``-``, ``@``) get a leading ``'``. A student's
name is written exactly, byte for byte, even when it is not UTF-8 (a folder
``m\xfcller`` gives those bytes in the CSV); the JSON files escape it
(``\udcfc``), which reads back as the same name.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

from .._files import write_atomic
from .grading import NOT_GRADED, UNGRADED, UNREADABLE, lesson_exercises

COLUMNS = ("student", "lesson", "exercise", "points", "max_points", "status", "reason")
RESULTS = "results"
INDEX = "submissions.json"
#: Longest reason in the gradebook (characters).
MAX_REASON = 300
_TEXT = ("student", "exercise", "status", "reason")


# --------------------------------------------------------------------------- atomic files

def clean_temporaries(out: Path) -> None:
    """Remove temporary files left by a run that was killed mid-write."""
    for folder in (out, out / RESULTS, out / "feedback"):
        if folder.is_dir():
            for p in folder.glob(".*.tmp"):
                try:
                    p.unlink()
                except OSError:
                    pass


def log_event(out: Path, event: str, **fields: Any) -> None:
    """Append one JSON line to ``OUT/log.jsonl``."""
    rec = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "event": event, **fields}
    with open(out / "log.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(rec, sort_keys=True, default=str) + "\n")


# --------------------------------------------------------------------------- results and index

def result_name(sha: str, lesson: int) -> str:
    return f"{sha}-{int(lesson):02d}.json"


def load_result(out: Path, name: str) -> dict[str, Any] | None:
    """A result record, or ``None`` if it is missing or unreadable."""
    try:
        with open(out / RESULTS / name, encoding="utf-8") as f:
            rec = json.load(f)
    except (OSError, ValueError):
        return None
    return rec if isinstance(rec, dict) else None


def save_result(out: Path, name: str, record: dict[str, Any]) -> None:
    write_atomic(out / RESULTS / name, json.dumps(record, indent=1, sort_keys=True))


def save_index(out: Path, entries: list[dict[str, Any]], **head: Any) -> None:
    """Write ``submissions.json``: the run's set-up and one entry per submission."""
    entries = sorted(entries, key=entry_key)
    write_atomic(out / INDEX, json.dumps({**head, "submissions": entries}, indent=1, sort_keys=True))


def load_index(out: Path) -> dict[str, Any]:
    with open(out / INDEX, encoding="utf-8") as f:
        index = json.load(f)
    if not isinstance(index, dict) or not isinstance(index.get("submissions"), list):
        raise ValueError(f"{out / INDEX} is not an index of submissions")
    return index


def entry_key(e: dict[str, Any]) -> tuple:
    lesson = -1 if e.get("lesson") is None else int(e["lesson"])
    return (str(e["student"]).casefold(), str(e["student"]), lesson, str(e["file"]))


def lesson_text(entry: dict[str, Any]) -> str:
    """The lesson column: ``03``, or ``--`` for an entry with no lesson (a linked folder)."""
    return "--" if entry.get("lesson") is None else f"{int(entry['lesson']):02d}"


def csv_bytes(table: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS) -> bytes:
    """:func:`csv_text` as the file's bytes: UTF-8, a name of other bytes kept exactly."""
    return csv_text(table, columns).encode("utf-8", "surrogateescape")


# --------------------------------------------------------------------------- rows

def _points(x: float) -> str:
    s = f"{round(float(x), 4):.4f}".rstrip("0").rstrip(".")
    return s if s not in ("", "-0") else "0"


def _safe(text: str) -> str:
    """One line, no spreadsheet formula."""
    text = " ".join(str(text).split())
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def entry_result(out: Path, entry: dict[str, Any]) -> dict[str, Any] | None:
    """The result record of an index entry, if it exists and matches the entry's set-up."""
    if not entry.get("result"):
        return None
    rec = load_result(out, entry["result"])
    if rec is None or rec.get("config") != entry.get("config"):
        return None
    return rec


def entry_exercises(out: Path, entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-exercise results of one submission, synthesised when it has none."""
    rec = entry_result(out, entry)
    if rec is not None:
        return rec["exercises"]
    if entry.get("problem"):
        status, reason = UNREADABLE, entry["problem"]
    else:
        status, reason = NOT_GRADED, "not graded yet: run `bpkit grade` again (it resumes)"
    if entry.get("lesson") is None:
        return [{"id": "-", "function": "", "points": 0.0, "max_points": 0.0, "status": status,
                 "reason": reason, "notes": [], "public": [], "hidden": [], "explanation": [reason + "."]}]
    exercises = lesson_exercises(int(entry["lesson"]))
    if not exercises:
        return [{"id": "-", "function": "", "points": 0.0, "max_points": 0.0, "status": "no-exercises",
                 "reason": f"lesson {int(entry['lesson']):02d} has no graded exercises", "notes": [],
                 "public": [], "hidden": [], "explanation": []}]
    return [{"id": ex.id, "function": ex.function, "points": 0.0, "max_points": 1.0, "status": status,
             "reason": reason, "notes": [], "public": [], "hidden": [], "explanation": [reason + "."]}
            for ex in exercises]


def rows(out: Path, entries: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Every gradebook row, sorted: student, lesson, then the lesson's exercise order."""
    table = []
    for entry in sorted(entries, key=entry_key):
        rec = entry_result(out, entry)
        extra = list(rec.get("notes", [])) if rec else []
        for ex in entry_exercises(out, entry):
            reason = "; ".join([ex["reason"]] + list(ex.get("notes", [])) + extra)
            if len(reason) > MAX_REASON:
                reason = reason[: MAX_REASON - 3] + "..."
            table.append({"student": entry["student"], "lesson": lesson_text(entry),
                          "exercise": ex["id"], "points": _points(ex["points"]),
                          "max_points": _points(ex["max_points"]), "status": ex["status"], "reason": reason})
    return table


def csv_text(table: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(columns)
    for r in table:
        w.writerow([_safe(r[c]) if c in _TEXT else r[c] for c in columns])
    return buf.getvalue()


def totals(table: list[dict[str, str]]) -> tuple[list[str], list[dict[str, str]]]:
    """One row per student: points per lesson, total, maximum (for an LMS import)."""
    lessons = sorted({r["lesson"] for r in table})
    by_student: dict[str, dict[str, float]] = {}
    order: list[str] = []
    for r in table:
        s = by_student.setdefault(r["student"], {})
        if r["student"] not in order:
            order.append(r["student"])
        s[r["lesson"]] = s.get(r["lesson"], 0.0) + float(r["points"])
        s["max"] = s.get("max", 0.0) + float(r["max_points"])
    columns = ["student"] + [f"lesson {lesson}" for lesson in lessons] + ["total", "max_points"]
    out = []
    for student in order:
        s = by_student[student]
        row = {"student": student, "total": _points(sum(s.get(lesson, 0.0) for lesson in lessons)),
               "max_points": _points(s["max"])}
        row.update({f"lesson {lesson}": _points(s[lesson]) if lesson in s else "" for lesson in lessons})
        out.append(row)
    return columns, out


def any_ungraded(table: list[dict[str, str]]) -> bool:
    return any(r["status"] in UNGRADED for r in table)
