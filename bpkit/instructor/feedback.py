"""Per-student feedback, in Markdown and in HTML.

One file of each per student, ``feedback/<student>.md`` and ``.html``, with
a table of points and, for each exercise:

* on the **public** cases -- the ones the lesson's check cell runs -- the very
  report the student saw in the lesson (:class:`~bpkit.grader.result.CheckResult`,
  same text, same diagnoses);
* on the **hidden** cases, only how many passed and the titles of the
  failures ("wrong values", "σ′ missing"): never their inputs, their
  numbers or anything the submission printed or raised while it held them;
* why an exercise could not be run (no cell, a syntax error, a time limit).
"""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path
from typing import Any

from ..grader.result import CheckResult
from .gradebook import lesson_text
from .grading import record_verdict

_INTRO = ("Each exercise is worth 1 point: the fraction of its test cases your function passes, "
          "counting the public cases (the ones your check cell runs) and hidden cases of the same kind.")
_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.")
#: Longest file stem (bytes); a longer one is cut and ends in a hash of the whole name.
MAX_STEM = 120


def file_stem(student: str, taken: set[str] | None = None) -> str:
    """The file name (without ``.md``/``.html``) of a student's feedback: one name, one file.

    Every byte of the name (UTF-8; other bytes as they are) that is not a
    letter, a digit or one of ``_ - .`` becomes ``%XX``, as does a leading
    dot: the mapping is one-to-one, so two students never share a file, and
    it does not depend on who else is in the class. ``taken`` (case-folded
    stems already used) is checked and updated if given: names that differ
    only in case (``Ann``, ``ann``) then get a hash after ``~``, so that they
    stay apart on a file system that ignores case.

    >>> file_stem("atk-coll!"), file_stem("atk-coll-2"), file_stem("müller"), file_stem(".x")
    ('atk-coll%21', 'atk-coll-2', 'm%C3%BCller', '%2Ex')
    >>> file_stem(bytes([109, 252]).decode("utf-8", "surrogateescape"))     # the bytes m, 0xFC
    'm%FC'
    """
    raw = student.encode("utf-8", "surrogateescape")
    stem = "".join(chr(b) if b in _SAFE and not (i == 0 and b == 0x2E) else f"%{b:02X}"
                   for i, b in enumerate(raw)) or "%"
    if len(stem) > MAX_STEM:
        stem = stem[: MAX_STEM - 17] + "~" + hashlib.sha256(raw).hexdigest()[:16]
    if taken is not None:
        if stem.casefold() in taken:
            stem = stem[: MAX_STEM - 17] + "~" + hashlib.sha256(raw).hexdigest()[:16]
        taken.add(stem.casefold())
    return stem


def shown(student: str) -> str:
    """A student's name as text (bytes that are not UTF-8 shown as U+FFFD)."""
    return student.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _md(text: str) -> str:
    """Text for Markdown outside a code block: a submission's own words (an exception message, a
    folder name) must not become HTML or a link in a viewer."""
    return html.escape(" ".join(str(text).split()), quote=False).replace("[", "\\[").replace("`", "\\`")


def _fence(text: str) -> str:
    """A code fence longer than any run of backticks inside ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _points(x: float) -> str:
    return f"{float(x):.2f}".rstrip("0").rstrip(".") if float(x) != int(float(x)) else str(int(float(x)))


def _check_result(ex: dict[str, Any]) -> CheckResult | None:
    if not ex.get("public"):
        return None
    verdicts = [record_verdict(v) for v in ex["public"]]
    return CheckResult(ex.get("check") or f"check_{ex['function']}", ex["id"], verdicts, ex["function"])


def _hidden_line(ex: dict[str, Any]) -> str:
    hidden = ex.get("hidden") or []
    if not hidden:
        return ""
    passed = sum(bool(v["passed"]) for v in hidden)
    line = f"Hidden cases: {passed} of {len(hidden)} passed."
    titles = []
    for v in hidden:
        if not v["passed"] and v["title"] not in titles:
            titles.append(v["title"])
    if titles:
        line += " Failures: " + ", ".join(titles) + "."
    return line


def _notes(ex: dict[str, Any], extra: list[str]) -> list[str]:
    return [n[0].upper() + n[1:] + "." for n in list(ex.get("notes", [])) + extra]


def markdown(student: str, lessons: list[tuple[dict[str, Any], list[dict[str, Any]], list[str]]]) -> str:
    """The Markdown feedback of one student: ``lessons`` is ``[(index entry, exercises, notes)]``."""
    student = shown(student)
    out = [f"# Feedback: {_md(student)}", "", _INTRO, "", "| lesson | exercise | points | status |",
           "|---|---|---|---|"]
    got = total = 0.0
    for entry, exercises, _ in lessons:
        for ex in exercises:
            out.append(f"| {lesson_text(entry)} | {ex['id']} | {_points(ex['points'])} / "
                       f"{_points(ex['max_points'])} | {ex['status']} |")
            got += float(ex["points"])
            total += float(ex["max_points"])
    out += ["", f"**Total: {_points(got)} of {_points(total)} points**"]
    for entry, exercises, notes in lessons:
        out += ["", f"## Lesson {lesson_text(entry)} ({_md(shown(Path(entry['file']).name))})"]
        for ex in exercises:
            out += ["", f"### {ex['id']}: {_points(ex['points'])} of {_points(ex['max_points'])} "
                        f"point{'s' if float(ex['max_points']) != 1 else ''}, {ex['status']}", ""]
            result = _check_result(ex)
            if result is not None:
                text = str(result)
                fence = _fence(text)
                out += ["Public cases (the check cell of the lesson):", "", fence + "text", text, fence]
            elif ex.get("explanation"):
                out += [_md(line) for line in ex["explanation"]]
            hidden = _hidden_line(ex)
            if hidden:
                out += ["", _md(hidden)]
            if ex["status"] in ("timeout", "crashed"):
                out += ["", _md(ex["reason"][0].upper() + ex["reason"][1:] + ".")]
            for text in ex.get("advice", []):
                out += ["", _md(text)]
            for note in _notes(ex, notes):
                out += ["", f"Note: {_md(note)}"]
    return "\n".join(out) + "\n"


_CSS = """body { font-family: system-ui, sans-serif; max-width: 52em; margin: 2em auto; padding: 0 1em; }
table.points { border-collapse: collapse; } table.points td, table.points th { border: 1px solid #ccc;
padding: 2px 8px; } .passed { color: #2e7d32; } .failed, .error, .missing, .timeout, .crashed,
.unreadable { color: #c62828; } .not-attempted { color: #9a6700; } pre { white-space: pre-wrap; }"""


def html_page(student: str, lessons: list[tuple[dict[str, Any], list[dict[str, Any]], list[str]]]) -> str:
    """The HTML feedback of one student (a standalone page)."""
    e = html.escape
    student = shown(student)
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>Feedback: {e(student)}</title><style>{_CSS}</style></head><body>",
             f"<h1>Feedback: {e(student)}</h1>", f"<p>{e(_INTRO)}</p>",
             '<table class="points"><tr><th>lesson</th><th>exercise</th><th>points</th><th>status</th></tr>']
    got = total = 0.0
    for entry, exercises, _ in lessons:
        for ex in exercises:
            parts.append(f"<tr><td>{lesson_text(entry)}</td><td>{e(ex['id'])}</td>"
                         f"<td>{_points(ex['points'])} / {_points(ex['max_points'])}</td>"
                         f'<td class="{e(ex["status"])}">{e(ex["status"])}</td></tr>')
            got += float(ex["points"])
            total += float(ex["max_points"])
    parts += ["</table>", f"<p><b>Total: {_points(got)} of {_points(total)} points</b></p>"]
    for entry, exercises, notes in lessons:
        name = e(shown(Path(entry["file"]).name))
        parts.append(f"<h2>Lesson {lesson_text(entry)} (<code>{name}</code>)</h2>")
        for ex in exercises:
            parts.append(f'<h3>{e(ex["id"])}: {_points(ex["points"])} of {_points(ex["max_points"])}, '
                         f'<span class="{e(ex["status"])}">{e(ex["status"])}</span></h3>')
            result = _check_result(ex)
            if result is not None:
                parts.append("<p>Public cases (the check cell of the lesson):</p>")
                parts.append(result._repr_html_())
            elif ex.get("explanation"):
                parts.append("<p>" + "<br>".join(e(line) for line in ex["explanation"]) + "</p>")
            hidden = _hidden_line(ex)
            if hidden:
                parts.append(f"<p>{e(hidden)}</p>")
            if ex["status"] in ("timeout", "crashed"):
                parts.append(f"<p>{e(ex['reason'][0].upper() + ex['reason'][1:])}.</p>")
            for text in ex.get("advice", []):
                parts.append(f"<p>{e(text)}</p>")
            for note in _notes(ex, notes):
                parts.append(f"<p><i>Note: {e(note)}</i></p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
