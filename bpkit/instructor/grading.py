"""Grading one submission: run its cells in workers, judge every case here, record the result.

How a submission is graded
--------------------------
1. The notebook is parsed here (never executed here); each exercise of its
   lesson is found by its cell tag (:mod:`bpkit.instructor.submissions`).
2. **Public phase**: a worker runs the exercise cells and calls each
   exercise's function on its *public* cases -- the very cases of the
   lesson's check cell -- and returns the answers as arrays.
3. **Hidden phase**: a second, fresh worker does the same on the *hidden*
   cases, drawn from the instructor's secret. Keeping the phases apart means
   that nothing the submission could write while it held a hidden case
   (an exception message, say) is ever shown to the student: hidden cases
   are reported by their verdict's title only.
4. Every case is judged **here**, by :meth:`Exercise.judge
   <bpkit.grader.exercises.Exercise.judge>`, from those arrays alone.

If a worker dies or runs out of time, the cases it finished keep their
verdicts, the exercise it was running gets the reason (``timeout`` or
``crashed``), and a new worker carries on with the exercises after it, so
one endless loop costs one exercise, not the notebook.

Points
------
Every exercise is worth :data:`MAX_POINTS` (1 point). It earns the fraction
of its cases that pass, public and hidden together: 3 public + 3 hidden
cases, 4 passed, is 0.6667 points. A case passes exactly when the lesson's
check would pass it.

Statuses
--------
``passed`` every case passed -- ``failed`` some did not -- ``not-attempted``
the function still raises ``NotImplementedError`` -- ``missing`` no cell
for the exercise -- ``error`` its cell does not compile, or raised before
the function was defined -- ``timeout`` the worker ran out of time --
``crashed`` the worker died (``os._exit``, a signal) -- ``unreadable`` the
file is not a notebook -- ``grader-error`` the grader itself failed (never
kept: regraded on the next run) -- ``library-call`` the cell calls bpkit's
own answer and ``--library-calls zero`` was given.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import threading
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from .. import __version__
from ..grader.cases import Case
from ..grader.cellscope import names_from_other_cells, other_cell_message
from ..grader.exercises import EXERCISES, Exercise
from ..grader.result import Verdict
from . import protocol
from .borrowed import library_calls
from .pool import WorkerPool
from .submissions import TOO_LARGE, NotebookCode, Unreadable, extract, read_notebook
from .worker import WORKER_FAILED

#: Version of the result records (a change regrades everything).
FORMAT = 1
#: Points per exercise.
MAX_POINTS = 1.0

PASSED, FAILED, NOT_ATTEMPTED, MISSING = "passed", "failed", "not-attempted", "missing"
ERROR, TIMEOUT, CRASHED = "error", "timeout", "crashed"
UNREADABLE, GRADER_ERROR, LIBRARY_CALL = "unreadable", "grader-error", "library-call"
NOT_GRADED, NO_EXERCISES = "not-graded", "no-exercises"
#: Statuses that mean the grader could not grade (exit status 1).
UNGRADED = (UNREADABLE, GRADER_ERROR, NOT_GRADED, NO_EXERCISES)


@dataclass
class Limits:
    """What a worker may use. ``timeout`` is wall-clock seconds per worker run."""

    timeout: float = 30.0
    memory_mb: int = 1024
    print_cap: int = 256 * 1024
    file_bytes: int = 16 * 1024 * 1024
    disk_mb: int = 64
    landlock: bool = True


def lesson_exercises(lesson: int) -> list[Exercise]:
    """The exercises of a lesson, in the registry's (the lesson's) order."""
    return [ex for ex in EXERCISES.values() if int(ex.lesson) == int(lesson)]


def display_name(ex: Exercise) -> str:
    return str(getattr(ex, "display_name", ex.function))


class LessonPlan:
    """A lesson's exercises and cases, their truths computed once, and the fingerprint of the set-up.

    ``public`` are the cases of the lesson's own check cells (seed 0, the
    default number); ``hidden`` are ``hidden`` more per exercise from
    ``seed`` (the instructor's secret).
    """

    def __init__(self, lesson: int, seed: int | None, hidden: int, library_calls: str = "flag"):
        self.lesson = int(lesson)
        self.library_calls = library_calls
        self.exercises = lesson_exercises(lesson)
        self.public: dict[str, list[Case]] = {ex.id: ex.make_cases(0) for ex in self.exercises}
        self.hidden: dict[str, list[Case]] = {
            ex.id: (ex.make_cases(int(seed), hidden) if hidden and seed is not None else [])
            for ex in self.exercises}
        for ex in self.exercises:
            for case in self.public[ex.id] + self.hidden[ex.id]:
                ex.truth(case)                          # once, before any thread judges
        head = {"format": FORMAT, "bpkit": __version__, "lesson": self.lesson, "hidden": hidden,
                "exercises": [[ex.id, len(self.public[ex.id])] for ex in self.exercises],
                "seed": hashlib.sha256(f"bpkit-hidden-{seed}".encode()).hexdigest()[:16] if hidden else None,
                "library_calls": library_calls}
        self.config = hashlib.sha256(json.dumps(head, sort_keys=True).encode()).hexdigest()[:16]
        self._packed: dict[tuple, bytes] = {}
        self._lock = threading.Lock()

    def cases(self, phase: str) -> dict[str, list[Case]]:
        return self.public if phase == "public" else self.hidden

    def packed(self, phase: str, ids: list[str]) -> bytes:
        key = (phase, tuple(ids))
        with self._lock:
            if key not in self._packed:
                self._packed[key] = protocol.pack_cases({i: self.cases(phase)[i] for i in ids})
            return self._packed[key]


# --------------------------------------------------------------------------- running a phase

@dataclass
class Phase:
    """What the workers of one phase sent back."""

    name: str
    outputs: dict[tuple[str, int], Any] = field(default_factory=dict)   # arrays, or why unreadable
    stopped: dict[str, tuple[str, str]] = field(default_factory=dict)    # id -> (status, reason)
    undefined: set[str] = field(default_factory=set)
    cells: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    printed: int = 0
    orphans: int = 0
    stdout: str = ""
    stderr: str = ""


def _text(value: Any, limit: int = 240) -> str:
    from ..grader.calling import clean_message

    return clean_message(value)[:limit] if isinstance(value, (str, int, float)) else ""


def _clean_cell(rec: Any) -> dict[str, Any] | None:
    if not isinstance(rec, dict) or not isinstance(rec.get("index"), int):
        return None
    out: dict[str, Any] = {"index": rec["index"], "ok": rec.get("ok") is True}
    if not out["ok"]:
        out["type"] = _text(rec.get("type"), 60) or "an error"
        out["message"] = _text(rec.get("message"))
        frame = rec.get("frame")
        if isinstance(frame, dict):
            out["line"] = frame.get("line") if isinstance(frame.get("line"), int) else 0
            out["code"] = _text(frame.get("code"), 160)
    return out


def _end(reply: dict[str, Any], limits: Limits, hidden: bool = False) -> tuple[str, str]:
    """``(status, reason)`` of a worker run that did not finish.

    For a hidden phase the reason is fixed words: how the worker ended (its
    exit status, its signal) is its own choice, and could spell a hidden input.
    """
    if reply.get("error"):
        return GRADER_ERROR, (f"the grader failed ({_text(reply['error'], 120)}); "
                              "it is regraded on the next run")
    if reply.get("timeout"):
        return TIMEOUT, f"stopped at the time limit of {limits.timeout:g} s"
    if hidden:
        return CRASHED, "the worker ended early"
    sig = reply.get("signal")
    if isinstance(sig, int):
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        why = {"SIGXCPU": " (the CPU time limit)", "SIGSEGV": " (a segmentation fault)",
               "SIGKILL": " (killed: out of memory?)", "SIGABRT": " (aborted)"}.get(name, "")
        return CRASHED, f"the worker was killed by {name}{why}"
    code = reply.get("exit")
    if code == WORKER_FAILED:
        return CRASHED, "the worker's own code failed (the notebook broke Python or bpkit inside it)"
    return CRASHED, (f"the worker process ended early (exit status {code}: os._exit() or a crash)"
                     if isinstance(code, int) else "the worker process ended early")


def _expected_sizes(ex: Exercise, case: Case) -> dict[str, int]:
    return {s.name: int(np.prod(s.shape)) if len(s.shape) else 1 for s in ex.outputs(case)}


def remove_tree(folder: str) -> None:
    """Remove a worker's folder even if the submission made parts of it read-only."""
    def fix(func, path, exc_info):
        try:
            os.chmod(os.path.dirname(path), stat.S_IRWXU)
            if not os.path.islink(path) and os.path.isdir(path):
                os.chmod(path, stat.S_IRWXU)
            func(path)
        except OSError:
            pass
    try:
        shutil.rmtree(folder, onerror=fix)
    except (OSError, RecursionError):                 # e.g. thousands of nested folders
        subprocess.run(["rm", "-rf", "--", folder], check=False, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


def _read_back(phase: Phase, got: dict[str, Any], plan: LessonPlan, pending: list[str]) -> dict[str, Any]:
    """Take a run's files into ``phase``; the worker's progress record."""
    cases = plan.cases(phase.name)
    by_id = {ex.id: ex for ex in plan.exercises}
    files, sizes = got["files"], got["sizes"]
    for ex_id in pending:
        for k, case in enumerate(cases[ex_id]):
            data = files.get(protocol.output_file(ex_id, k))
            if isinstance(data, str):
                phase.outputs[(ex_id, k)] = data
            elif data is not None:
                try:
                    expected = _expected_sizes(by_id[ex_id], case)
                    phase.outputs[(ex_id, k)] = protocol.parse_outputs(data, expected)
                except protocol.ProtocolError as err:
                    phase.outputs[(ex_id, k)] = str(err)
    printed = int(sizes.get(protocol.STDOUT, 0)) + int(sizes.get(protocol.STDERR, 0))
    phase.printed = max(phase.printed, printed)
    if not phase.stdout and not phase.stderr:
        for name in (protocol.STDOUT, protocol.STDERR):
            text = files.get(name)
            text = text.decode("utf-8", "replace")[:2000] if isinstance(text, bytes) else ""
            setattr(phase, "stdout" if name == protocol.STDOUT else "stderr", text)
    progress = files.get(protocol.PROGRESS)
    return protocol.parse_progress(progress) if isinstance(progress, bytes) else {}


def run_phase(phase: str, code: NotebookCode, plan: LessonPlan, ids: list[str], pool: WorkerPool,
              limits: Limits) -> Phase:
    """Run exercises ``ids`` on the phase's cases, in as many fresh workers as crashes require."""
    out = Phase(phase)
    cases = plan.cases(phase)
    by_id = {ex.id: ex for ex in plan.exercises}
    pending = [i for i in ids if cases.get(i)]
    job_base = {"preamble": code.preamble, "cells": [{"index": i, "source": s} for i, s in code.cells]}
    while pending:
        job = protocol.job_bytes({**job_base, "exercises": [{"id": i} for i in pending]},
                                 plan.packed(phase, pending))
        names = [protocol.output_file(i, k) for i in pending for k in range(len(cases[i]))]
        with pool.server() as server:
            got = server.run(job, timeout=limits.timeout, memory_mb=limits.memory_mb,
                             print_cap=limits.print_cap, file_bytes=limits.file_bytes,
                             disk_bytes=limits.disk_mb * 1024 * 1024, outputs=names, landlock=limits.landlock)
        reply = {k: got["reply"].get(k)
                 for k in ("exit", "signal", "timeout", "finished", "seconds", "setup", "cpu", "orphans",
                           "error")}
        out.runs.append({"phase": phase, **reply})
        progress = _read_back(out, got, plan, pending) if not reply.get("error") else {}
        out.orphans += int(reply.get("orphans") or 0)
        if not out.cells and isinstance(progress.get("cells"), list):
            out.cells = [c for c in map(_clean_cell, progress["cells"][:200]) if c is not None]
        undefined = progress.get("undefined")
        if isinstance(undefined, list):
            out.undefined |= {u for u in undefined if isinstance(u, str) and u in pending}
        if reply.get("finished") and progress.get("phase") == "done" and not reply.get("error"):
            break
        status, reason = _end(reply, limits, hidden=(phase == "hidden"))
        current = progress.get("exercise") if progress.get("phase") == "exercises" else None
        if isinstance(current, str) and current in pending and status != GRADER_ERROR:
            k = progress.get("case")
            where = (f"case {k + 1}" if phase == "public" else "a hidden case") if isinstance(k, int) else ""
            fn = display_name(by_id[current])
            out.stopped[current] = (status, f"{reason} while running {fn}"
                                    + (f" on {where}" if where else ""))
            pending = pending[pending.index(current) + 1:]
        else:
            for ex_id in pending:
                if ex_id not in out.undefined:
                    out.stopped[ex_id] = (status, f"{reason} while the notebook's cells ran"
                                          if status != GRADER_ERROR else reason)
            break
    return out


# --------------------------------------------------------------------------- judging

_STOP_TITLES = {TIMEOUT: "time limit", CRASHED: "worker crashed", GRADER_ERROR: "grader error"}


#: Titles the grader writes from fixed words alone. Any other title can hold what the
#: submission chose (an exception's class name, the shape it returned, the type of its
#: value), through which it could smuggle a hidden case's inputs into its feedback.
_FIXED_TITLE_DIAGNOSES = frozenset({"mistake", "mismatch", "not-finite", "mutated", "passed", "float32",
                                     "not-attempted", "no-answer", *_STOP_TITLES})
_HIDDEN_TITLES = {"exception": "raised an error", "shape": "wrong shape", "not-an-array": "not an array",
                  "not-a-function": "not a function"}


def hidden_view(v: Verdict) -> Verdict:
    """A hidden case's verdict as feedback may show it: a title of fixed words, no details."""
    if v.diagnosis in _FIXED_TITLE_DIAGNOSES:
        return replace(v, lines=[])
    return replace(v, title=_HIDDEN_TITLES.get(v.diagnosis, "wrong answer"), lines=[])


def judge_phase(ex: Exercise, cases: list[Case], phase: Phase) -> list[Verdict]:
    """The verdict of every case of ``ex`` in a phase, judged here from the returned arrays."""
    verdicts = []
    stopped = phase.stopped.get(ex.id)
    for k, case in enumerate(cases):
        got = phase.outputs.get((ex.id, k))
        if isinstance(got, dict):
            try:
                with np.errstate(all="ignore"):
                    v = ex.judge(case, got)
            except Exception as exc:  # noqa: BLE001 -- a grader bug costs this case, not the run
                v = Verdict(case.index, case.description, False, GRADER_ERROR, "grader error",
                            [f"The grader itself failed ({type(exc).__name__}: {_text(str(exc), 120)})."])
        elif isinstance(got, str):
            v = Verdict(case.index, case.description, False, "not-an-array", "unreadable answer",
                        [f"The answer could not be read back: {got}."])
        elif stopped is not None:
            v = Verdict(case.index, case.description, False, stopped[0], _STOP_TITLES[stopped[0]],
                        [stopped[1][0].upper() + stopped[1][1:] + "."])
        else:
            v = Verdict(case.index, case.description, False, "no-answer", "no answer",
                        ["No answer came back for this case (the worker did not save it)."])
        verdicts.append(v)
    return verdicts


def verdict_record(v: Verdict) -> dict[str, Any]:
    rec = asdict(v)
    rec["mistakes"] = list(rec.get("mistakes") or ())
    return rec


def record_verdict(rec: dict[str, Any]) -> Verdict:
    """A :class:`Verdict` back from its record."""
    return Verdict(int(rec["index"]), str(rec["description"]), bool(rec["passed"]), str(rec["diagnosis"]),
                   str(rec["title"]), list(rec.get("lines") or []), tuple(rec.get("mistakes") or ()),
                   str(rec.get("cause") or ""))


def _first_failure(public: list[Verdict], hidden: list[Verdict], limits: Limits) -> str:
    for v in public:
        if not v.passed:
            what = v.lines[0] if v.diagnosis == "exception" and v.lines else v.title
            if "MemoryError" in what:
                what += f" (the memory limit is {limits.memory_mb} MB)"
            return f"case {v.index + 1}: {what}"
    titles = sorted({v.title for v in hidden if not v.passed})
    n = sum(not v.passed for v in hidden)
    return f"{n} hidden case{'s' if n != 1 else ''}: {', '.join(titles)}"


def exercise_result(ex: Exercise, plan: LessonPlan, code: NotebookCode, public: Phase, hidden: Phase | None,
                    limits: Limits) -> dict[str, Any]:
    """One exercise's points, status, reason and verdicts."""
    fn = display_name(ex)
    res: dict[str, Any] = {"id": ex.id, "function": fn, "check": ex.check_name, "points": 0.0,
                           "max_points": MAX_POINTS, "status": "", "reason": "", "notes": [], "advice": [],
                           "public": [], "hidden": [], "explanation": []}
    found = code.found.get(ex.id)
    cell = None
    if found is not None:
        cell = next((c for c in public.cells if c["index"] == found.cell), None)
        if found.how == "def":
            res["notes"].append(f"found by its def: its cell had lost the tag exercise:{ex.id}")
    if found is None:
        res["status"] = MISSING
        res["reason"] = f"no cell tagged exercise:{ex.id}, and no cell defines {ex.function}()"
        res["explanation"] = [
            f"The grader looks for the cell tagged exercise:{ex.id} (as in the lesson you were given), "
            f"or failing that a cell that defines {ex.function}. Neither is in this notebook.",
            "Work in the lesson's own notebook, or keep the cell's tag when you copy it."]
        return res
    if found.cell in code.syntax:
        res["status"] = ERROR
        problem = code.syntax[found.cell]
        res["reason"] = problem if problem.startswith(TOO_LARGE) else f"its cell does not compile: {problem}"
        res["explanation"] = [f"The cell that defines {fn}: {problem}, so nothing in it ran."
                              if problem.startswith(TOO_LARGE) else
                              f"The cell that defines {fn} has a {problem}, so nothing in it ran."]
        return res
    if ex.id in public.undefined:
        res["status"] = ERROR
        if cell is not None and not cell["ok"]:
            where = f" (line {cell.get('line')}: {cell.get('code')})" if cell.get("line") else ""
            res["reason"] = (f"its cell raised {cell['type']}: {cell['message']}{where}, "
                             f"so {fn} was never defined").replace(": ,", ",")
        else:
            res["reason"] = f"{fn} is not defined after its cell runs (is the name right?)"
        if cell is not None and not cell["ok"] and cell["type"] == "NameError":
            res["reason"] += "; only the exercise cells and the notebook's imports run when grading"
        res["explanation"] = [res["reason"][0].upper() + res["reason"][1:] + "."]
        return res
    if cell is not None and not cell["ok"]:
        res["notes"].append(f"its cell raised {cell['type']} (line {cell.get('line', 0)}) "
                            f"after defining {fn}")
    pv = judge_phase(ex, plan.public[ex.id], public)
    hv = [hidden_view(v) for v in judge_phase(ex, plan.hidden[ex.id], hidden)] if hidden is not None else []
    if hidden is not None and ex.id in public.stopped:
        st = public.stopped[ex.id]
        hv = [Verdict(c.index, c.description, False, st[0], _STOP_TITLES[st[0]],
                      ["Not run: the exercise already stopped on a public case."])
              for c in plan.hidden[ex.id]]
    res["public"] = [verdict_record(v) for v in pv]
    res["hidden"] = [verdict_record(v) for v in hv]
    total = len(pv) + len(hv)
    passed = sum(v.passed for v in pv + hv)
    res["points"] = round(MAX_POINTS * passed / total, 4) if total else 0.0
    stop = public.stopped.get(ex.id) or (hidden.stopped.get(ex.id) if hidden is not None else None)
    if stop is not None:
        res["status"] = stop[0]
        reason = stop[1]
        if ex.id not in public.stopped:
            reason = reason.replace("a hidden case", "a hidden case (the public cases ran)")
        res["reason"] = f"{reason}; {passed} of {total} cases passed"
    elif passed == total:
        res["status"], res["reason"] = PASSED, f"all {total} cases passed"
    elif all(v.diagnosis == "not-attempted" for v in pv + hv):
        res["status"], res["reason"] = NOT_ATTEMPTED, f"{fn} still raises NotImplementedError"
    else:
        res["status"] = GRADER_ERROR if any(v.diagnosis == GRADER_ERROR for v in pv + hv) else FAILED
        res["reason"] = f"{passed} of {total} cases passed; {_first_failure(pv, hv, limits)}"
    _other_cells(res, ex, code, found.cell, any(_name_error(v) for v in pv))
    _library(res, ex, code, found.cell, plan.library_calls)
    return res


def _name_error(v: Verdict) -> bool:
    return not v.passed and v.diagnosis == "exception" and "NameError" in " ".join([v.title, *v.lines])


def _other_cells(res: dict[str, Any], ex: Exercise, code: NotebookCode, cell: int, name_error: bool) -> None:
    """Helpers the exercise borrows from other cells: the lesson check's own words, in reason and feedback."""
    source = code.sources.get(cell)
    if source is None:
        return
    names = names_from_other_cells(ex.function, source, [s for i, s in code.sources.items() if i != cell])
    if not names:
        return
    message = other_cell_message(ex.function, names)
    res["advice"] = [message]
    res["reason"] = message + " " + res["reason"] if name_error else res["reason"] + "; " + message


def _library(res: dict[str, Any], ex: Exercise, code: NotebookCode, cell: int, mode: str) -> None:
    """An exercise cell that calls bpkit's own answer: a note, or zero points (``--library-calls``)."""
    source = code.sources.get(cell)
    if mode == "allow" or source is None:
        return
    calls = library_calls(ex.function, source, code.preamble)
    if not calls:
        return
    own = [c for c in calls if c != "bpkit.grader"]
    parts = ([f"{', '.join(own)}, bpkit's own answer to this exercise"] if own else []) + (
        ["bpkit.grader, the grader's own code"] if "bpkit.grader" in calls else [])
    note = f"its cell uses {' and '.join(parts)}"
    if mode == "zero":
        res["status"], res["points"] = LIBRARY_CALL, 0.0
        res["reason"] = f"0 points: {note} (--library-calls zero); {res['reason']}"
    else:
        res["notes"].append(note)


# --------------------------------------------------------------------------- one submission

def unreadable_result(plan: LessonPlan, sha: str | None, problem: str) -> dict[str, Any]:
    return {"format": FORMAT, "sha256": sha, "lesson": plan.lesson, "config": plan.config,
            "problem": problem, "notes": [], "runs": [], "cells": [], "landlock": None,
            "output": {"printed_bytes": 0, "stdout": "", "stderr": ""},
            "exercises": [{"id": ex.id, "function": display_name(ex), "check": ex.check_name, "points": 0.0,
                           "max_points": MAX_POINTS, "status": UNREADABLE, "reason": problem, "notes": [],
                           "public": [], "hidden": [],
                           "explanation": [f"The file could not be graded: {problem}."]}
                          for ex in plan.exercises]}


def grade_notebook(data: bytes, name: str, plan: LessonPlan, pool: WorkerPool, limits: Limits
                   ) -> dict[str, Any]:
    """Grade one submitted file of ``plan``'s lesson; its result record (see :mod:`.gradebook`)."""
    sha = hashlib.sha256(data).hexdigest()
    try:
        nb = read_notebook(data, name)
    except Unreadable as err:
        return unreadable_result(plan, sha, str(err))
    try:
        code = extract(nb, {ex.id: ex.function for ex in plan.exercises})
    except Exception as err:  # noqa: BLE001 -- a notebook of strange shape
        problem = f"{type(err).__name__}: {str(err)[:120]}"
        return unreadable_result(plan, sha, f"its cells cannot be read ({problem})")
    runnable = [ex.id for ex in plan.exercises
                if ex.id in code.found and code.found[ex.id].cell not in code.syntax]
    public = run_phase("public", code, plan, runnable, pool, limits)
    hidden = None
    if any(plan.hidden.values()):
        again = [i for i in runnable if i not in public.undefined and i not in public.stopped]
        hidden = run_phase("hidden", code, plan, again, pool, limits)
    exercises = [exercise_result(ex, plan, code, public, hidden, limits) for ex in plan.exercises]
    phases = [public] + ([hidden] if hidden is not None else [])
    notes = []                          # from the public phase only: the hidden one chooses nothing we show
    printed = public.printed
    if printed >= limits.print_cap:
        notes.append(f"it printed more than {limits.print_cap // 1024} KiB while graded; "
                     "the rest was dropped")
    orphans = public.orphans
    if orphans:
        notes.append(f"it left {orphans} process{'es' if orphans != 1 else ''} running; "
                     f"{'they were' if orphans != 1 else 'it was'} killed")
    return {"format": FORMAT, "sha256": sha, "lesson": plan.lesson, "config": plan.config, "problem": None,
            "notes": notes, "exercises": exercises, "runs": [r for p in phases for r in p.runs],
            "cells": public.cells, "landlock": pool.landlock if limits.landlock else 0,
            "sandbox": "bubblewrap" if pool.isolated else "none",
            "output": {"printed_bytes": printed, "stdout": public.stdout, "stderr": public.stderr}}
