"""What an exported nbgrader test cell runs: bpkit's verdict on one exercise, as nbgrader's partial credit.

nbgrader gives full credit to a test cell that does not raise, unless the
cell's last value is a number, which it takes as the points earned. bpkit's
checks never raise, so each exported test cell ends with :func:`autograde`,
whose value is the points::

    from bpkit.export.autograde_cell import autograde
    _hidden = 0
    ### BEGIN HIDDEN TESTS
    _hidden = 3
    ### END HIDDEN TESTS
    autograde("output-error", globals(), points=1.0, hidden_cases=_hidden, timeout=30.0)

:func:`autograde` finds the student's function in the notebook's namespace
(``EXERCISES[id].student_object``), runs it on the lesson's public cases and,
under nbgrader's autograde (where the hidden region is back), on
``hidden_cases`` more drawn from the instructor's secret in ``$BPKIT_SECRET``,
the same cases ``bpkit grade`` draws. It prints the lesson's report for the
public cases, one line for the hidden ones (how many passed and the titles of
the failures, never their inputs), and returns

    points x (cases passed) / (public + hidden cases), rounded to 4 decimals,

exactly the points ``bpkit grade`` gives the same function with the same secret.

Each phase runs in a child process forked from the kernel, one case after the
other, each verdict sent back as soon as it is judged. So, as with
``bpkit grade``, an ``os._exit`` or an endless loop costs the exercise the
cases it had not finished (and never the kernel, nor the other exercises),
and nothing the function prints reaches the cell's output (where nbgrader
would count any text on stderr as a failure).

This runs in the student's own kernel, after the student's code: it gives
bpkit's verdicts to honest work, but cannot protect itself from a notebook
that patches it (see README, "Already using nbgrader / Gradescope?").
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

from ..grader import EXERCISES, hidden_seed, run_check
from ..grader.cases import Case
from ..grader.result import CheckResult, Verdict

#: The environment variable that holds the instructor's secret while nbgrader autogrades.
SECRET_ENV = "BPKIT_SECRET"
#: Diagnoses whose titles are made of the grader's own words; others get a fixed title when hidden.
_FIXED = frozenset({"mistake", "mismatch", "not-finite", "mutated", "passed", "float32", "not-attempted"})
_HIDDEN_TITLES = {"exception": "raised an error", "shape": "wrong shape", "not-an-array": "not an array",
                  "not-a-function": "not a function"}


@dataclass
class Phase:
    """The verdicts of one phase's cases; ``stopped`` says why the rest have none ("" if all ran)."""

    verdicts: list[Verdict] = field(default_factory=list)
    stopped: str = ""
    #: ``"timeout"`` or ``"crashed"`` when stopped (the statuses of ``bpkit grade``).
    kind: str = ""


def _silence() -> None:
    """In the child: nothing it prints may reach the kernel's output (fds 0-2 to /dev/null)."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 -- the child ends with os._exit


def _child(out: int, exercise_id: str, obj: Any, cases: list[Case]) -> None:
    os.setsid()
    _silence()
    for case in cases:
        verdict = run_check(exercise_id, obj, cases=[case]).verdicts[0]
        os.write(out, (json.dumps(asdict(verdict)) + "\n").encode())


def run_cases(exercise_id: str, obj: Any, cases: list[Case], timeout: float) -> Phase:
    """Judge ``obj`` on ``cases`` in a forked child, stopping it after ``timeout`` seconds."""
    if not cases:
        return Phase()
    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)      # "fork() in a multi-threaded process"
        pid = os.fork()
    if pid == 0:                                                 # pragma: no cover -- the child
        try:
            os.close(read)
            _child(write, exercise_id, obj, cases)
        finally:
            os._exit(0)
    os.close(write)
    data, deadline, timed_out = b"", time.monotonic() + timeout, False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            if select.select([read], [], [], left)[0]:
                chunk = os.read(read, 65536)
                if not chunk:
                    break
                data += chunk
    finally:
        os.close(read)
        for kill in (os.killpg, os.kill):                        # the child and anything it started
            try:
                kill(pid, signal.SIGKILL)
            except OSError:
                pass
        _, status = os.waitpid(pid, 0)
    phase = Phase(_verdicts(data, len(cases)))
    if len(phase.verdicts) < len(cases):
        phase.kind = "timeout" if timed_out else "crashed"
        phase.stopped = (f"stopped at the time limit of {timeout:g} s" if timed_out
                         else f"the process ended early ({_ending(status)})")
    return phase


def _verdicts(data: bytes, n: int) -> list[Verdict]:
    """The verdicts in the child's complete lines, up to the first that is not one (at most ``n``)."""
    out: list[Verdict] = []
    for line in data.split(b"\n")[:-1][:n]:               # a line cut off by a kill is not complete
        try:
            d = json.loads(line)
            out.append(Verdict(int(d["index"]), str(d["description"]), bool(d["passed"]), str(d["diagnosis"]),
                               str(d["title"]), [str(x) for x in d.get("lines", [])],
                               tuple(str(m) for m in d.get("mistakes", ())), str(d.get("cause", ""))))
        except (ValueError, TypeError, KeyError, AttributeError):
            break
    return out


def _ending(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.WEXITSTATUS(status)}: os._exit() or a crash"


_TITLES = {"timeout": "time limit", "crashed": "crashed"}


def _stopped(cases: list[Case], phase: Phase, why: str = "") -> list[Verdict]:
    """Verdicts for the cases a stopped phase did not finish."""
    why = why or phase.stopped
    return [Verdict(c.index, c.description, False, phase.kind, _TITLES[phase.kind],
                    [why[0].upper() + why[1:] + "."]) for c in cases[len(phase.verdicts):]]


def hidden_line(verdicts: list[Verdict]) -> str:
    """How many hidden cases passed and the titles of the failures (fixed words only).

    >>> v = Verdict(0, "z (3, 5)", False, "exception", "raised ValueError: z = [1, 2]")
    >>> hidden_line([v, Verdict(1, "", True, "passed", "passed")])
    'Hidden cases: 1 of 2 passed. Failures: raised an error.'
    """
    titles: list[str] = []
    for v in verdicts:
        title = v.title if v.diagnosis in _FIXED else _HIDDEN_TITLES.get(v.diagnosis, "wrong answer")
        if not v.passed and title not in titles:
            titles.append(title)
    line = f"Hidden cases: {sum(v.passed for v in verdicts)} of {len(verdicts)} passed."
    return line + (" Failures: " + ", ".join(titles) + "." if titles else "")


def _hidden_cases(exercise_id: str, n: int) -> list[Case]:
    secret = os.environ.get(SECRET_ENV)
    if not secret:
        raise RuntimeError(f"this test cell asks for {n} hidden cases, drawn from the instructor's secret: "
                           f"set {SECRET_ENV} in the environment of `nbgrader autograde`")
    return EXERCISES[exercise_id].make_cases(hidden_seed(secret), n)


def autograde(exercise_id: str, namespace: dict[str, Any], points: float = 1.0, hidden_cases: int = 0,
              timeout: float = 30.0) -> float:
    """Grade one exercise as ``bpkit grade`` does; print the report, return the points earned.

    Args:
        exercise_id: the exercise, e.g. ``"output-error"`` (a key of ``bpkit.grader.EXERCISES``).
        namespace: the notebook's globals, where the student's function is.
        points: what the whole exercise is worth.
        hidden_cases: how many hidden cases to add (drawn from ``$BPKIT_SECRET``).
        timeout: seconds each phase (public, hidden) may run.
    """
    ex = EXERCISES[exercise_id]
    obj = ex.student_object(namespace)
    public_cases = ex.make_cases(0)
    hidden = _hidden_cases(exercise_id, hidden_cases) if hidden_cases > 0 else []
    public = run_cases(exercise_id, obj, public_cases, timeout)
    pv = public.verdicts + _stopped(public_cases, public)
    print(CheckResult(ex.check_name, ex.id, pv, ex.display_name, ex.needs))
    if public.stopped:
        print(f"{ex.display_name}: {public.stopped} while running case {len(public.verdicts) + 1}.")
        hv = _stopped(hidden, Phase(kind=public.kind),
                      "not run: the exercise already stopped on a public case")
    else:
        done = run_cases(exercise_id, obj, hidden, timeout)
        hv = done.verdicts + _stopped(hidden, done)
        if done.stopped:
            print(f"{ex.display_name}: {done.stopped} while running a hidden case.")
    if hv:
        print(hidden_line(hv))
    passed, total = sum(v.passed for v in pv + hv), len(pv) + len(hv)
    earned = round(float(points) * passed / total, 4) if total else 0.0
    print(f"{ex.id}: {earned:g} of {float(points):g} point{'s' if float(points) != 1 else ''} "
          f"({passed} of {total} cases passed)")
    return earned
