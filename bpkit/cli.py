"""The bpkit command (also python -m bpkit):

    bpkit release [--solutions DIR] [--lessons DIR] [--no-execute] [--no-hints] [NOTEBOOK ...]
    bpkit execute NOTEBOOK ...
    bpkit check-sync [--solutions DIR] [--lessons DIR]
    bpkit lab [FOLDER] [JUPYTERLAB OPTIONS ...]
    bpkit grade SUBMISSIONS -o OUT [--workers N] [--timeout S] [--memory MB] [--shard I/N]
                [--force] [--secret S] [--hidden-cases K] [--library-calls {flag,zero,allow}]
                [--no-sandbox] [--no-progress]
    bpkit merge OUT1 OUT2 ... -o OUT

Exit status: 0 on success; 1 when the work failed (a notebook cannot be
released or executed, lessons/ is out of sync, a submission could not
be graded); 2 for a usage error (an unknown option, a missing folder or
notebook, no secret for hidden cases).

Each subcommand is one function decorated with command, which names
it and declares its arguments; the function gets the parsed arguments and
returns the exit status. Adding a subcommand is adding one such function.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

Handler = Callable[[argparse.Namespace], int]
_COMMANDS: list[tuple[str, str, tuple[tuple[tuple[str, ...], dict], ...], Handler]] = []


class UsageError(Exception):
    """Bad arguments, such as a folder that does not exist: exit status 2."""


def arg(*flags: str, **kwargs) -> tuple[tuple[str, ...], dict]:
    """One argument of a subcommand, as for argparse.ArgumentParser.add_argument."""
    return flags, kwargs


def command(name: str, help: str, *arguments: tuple[tuple[str, ...], dict]) -> Callable[[Handler], Handler]:
    """Register the decorated function as the subcommand bpkit NAME.

    The first line of help is the one-line summary in bpkit --help;
    the whole of it is the subcommand's description.
    """
    def register(handler: Handler) -> Handler:
        _COMMANDS.append((name, help, arguments, handler))
        return handler
    return register


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bpkit", description="bpkit: lessons, solutions and grading for the backpropagation course.")
    sub = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for name, help, arguments, handler in _COMMANDS:
        p = sub.add_parser(name, help=help.splitlines()[0], description=help,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        for flags, kwargs in arguments:
            p.add_argument(*flags, **kwargs)
        p.set_defaults(handler=handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run bpkit with argv (default: sys.argv[1:]); return the exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _lab_arguments(argv[1:]) if argv[:1] == ["lab"] else parser.parse_args(argv)
        if args is None:                # bpkit lab --help
            args = parser.parse_args(argv)
    except SystemExit as exit:          # argparse has printed the usage error or the help
        return int(exit.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.handler(args)
    except UsageError as err:
        print(f"bpkit {args.command}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"bpkit {args.command}: interrupted", file=sys.stderr)
        return 130


def _folder(path: str, what: str) -> Path:
    folder = Path(path)
    if not folder.is_dir():
        raise UsageError(f"{what} folder {folder} does not exist (run from the course's top folder, "
                         f"or pass --{what} DIR)")
    return folder


def _notebook(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"no notebook {path}")
    if path.suffix != ".ipynb":
        raise UsageError(f"{path} is not a notebook (.ipynb)")
    return path


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return EXIT_FAILED


_FOLDERS = (
    arg("--solutions", default="solutions", metavar="DIR",
        help="folder of solutions notebooks (default: ./solutions)"),
    arg("--lessons", default="lessons", metavar="DIR",
        help="folder of lesson notebooks (default: ./lessons)"),
)
# bpkit.release imports nbformat (about a second): only the commands that need it import it.
_TIMEOUT = arg("--timeout", type=float, default=None, metavar="SECONDS",
               help="longest time one cell may run (default: bpkit.release.DEFAULT_TIMEOUT)")


def lab_command(folder: str | Path, extra: Sequence[str] = (), euid: int | None = None) -> list[str]:
    """The command line that opens folder in JupyterLab from this Python environment.

    JupyterLab refuses to start as root without --allow-root; on the
    single-user machines (containers, CI) where one works as root it is added.

    >>> lab_command("lessons", euid=1000)[1:]
    ['-m', 'jupyterlab', 'lessons']
    >>> lab_command("lessons", ["--no-browser"], euid=0)[4:]
    ['--allow-root', '--no-browser']
    """
    euid = os.geteuid() if euid is None and hasattr(os, "geteuid") else euid
    root = ["--allow-root"] if euid == 0 else []
    return [sys.executable, "-m", "jupyterlab", str(folder), *root, *extra]


def _lab_arguments(rest: Sequence[str]) -> argparse.Namespace | None:
    """Split bpkit lab [FOLDER] [OPTIONS ...]: the folder only if it comes first.

    Everything after the folder goes to JupyterLab unchanged, so options that
    take their value as the next word (--port 8899) keep it. -- before
    the options ends bpkit's part explicitly. None for -h / --help,
    which argparse answers.

    >>> args = _lab_arguments(["--no-browser", "--port", "8899"])
    >>> args.folder, args.jupyter_args
    ('lessons', ['--no-browser', '--port', '8899'])
    >>> _lab_arguments(["solutions", "--port=8899"]).folder
    'solutions'
    """
    rest = list(rest)
    if rest[:1] in (["-h"], ["--help"]):
        return None
    folder = "lessons"
    if rest[:1] == ["--"]:
        rest = rest[1:]
    elif rest and not rest[0].startswith("-"):
        folder, rest = rest[0], rest[1:]
    return argparse.Namespace(command="lab", folder=folder, jupyter_args=rest, handler=lab)


@command(
    "lab",
    "open the lessons in JupyterLab (any further options go to JupyterLab)\n\n"
    "FOLDER, when given, must come first; every word after it is passed to\n"
    "JupyterLab as it is, e.g. 'bpkit lab --no-browser --port 8899'.",
    arg("folder", nargs="?", default="lessons", help="the folder to open (default: lessons)"),
    arg("jupyter_args", nargs=argparse.REMAINDER, metavar="...", help="options passed to JupyterLab"),
)
def lab(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    if not folder.is_dir():
        raise UsageError(f"folder {folder} does not exist (run from the course's top folder, "
                         "or name the folder of lessons)")
    return subprocess.call(lab_command(folder, args.jupyter_args))


@command(
    "release",
    "write lessons/ from solutions/: answers become stubs, then each lesson is executed\n\n"
    "Regions between '### BEGIN SOLUTION' and '### END SOLUTION' become\n"
    "'# YOUR CODE HERE' + 'raise NotImplementedError()' (Markdown: 'YOUR ANSWER HERE');\n"
    "'### BEGIN/END HIDDEN TESTS' regions are removed. Cell ids, tags and metadata are kept.",
    *_FOLDERS,
    arg("--no-execute", action="store_true",
        help="do not execute the lessons (cells that did not change keep the solutions' outputs)"),
    arg("--no-hints", action="store_true",
        help="for graded work: the lessons' checks show no hints (their set-up cell calls "
             "bpkit.grader.hints_off())"),
    _TIMEOUT,
    arg("notebooks", nargs="*", metavar="NOTEBOOK",
        help="solutions notebooks to release, as paths or names in --solutions (default: all)"),
)
def release(args: argparse.Namespace) -> int:
    from .release import (
        NotebookExecutionError,
        ReleaseError,
        check_unique_exercises,
        release_notebook,
        solution_notebooks,
    )

    lessons = Path(args.lessons)
    if args.notebooks:
        solutions = [_solution_path(n, Path(args.solutions)) for n in args.notebooks]
    else:
        solutions = solution_notebooks(_folder(args.solutions, "solutions"))
        if not solutions:
            print(f"no notebooks in {args.solutions}: nothing to release")
            return EXIT_OK
    try:
        check_unique_exercises(solutions)
    except ReleaseError as err:
        return _fail(f"bpkit release: {err}")
    failed = 0
    for solution in solutions:
        lesson = lessons / solution.name
        start = time.perf_counter()
        try:
            release_notebook(solution, lesson, run=not args.no_execute, timeout=_timeout(args),
                             hints=not args.no_hints)
        except (ReleaseError, NotebookExecutionError) as err:
            failed += 1
            print(f"bpkit release: {err}", file=sys.stderr)
            continue
        took = time.perf_counter() - start
        done = "written, not executed" if args.no_execute else f"executed in {took:.1f} s"
        print(f"{solution} -> {lesson} ({done})")
    if failed:
        return _fail(f"bpkit release: {failed} of {len(solutions)} notebooks failed")
    return EXIT_OK


def _timeout(args: argparse.Namespace) -> float:
    from .release import DEFAULT_TIMEOUT

    return DEFAULT_TIMEOUT if args.timeout is None else args.timeout


def _solution_path(name: str, solutions: Path) -> Path:
    path = Path(name)
    if not path.exists() and path.parent == Path("."):       # a bare name: look in --solutions
        path = solutions / (name if name.endswith(".ipynb") else name + ".ipynb")
    return _notebook(path)


@command(
    "execute",
    "execute notebooks and store their outputs in place (e.g. solutions/*.ipynb)",
    _TIMEOUT,
    arg("notebooks", nargs="+", metavar="NOTEBOOK", help="notebooks to execute, each in its own folder"),
)
def execute(args: argparse.Namespace) -> int:
    from .release import NotebookExecutionError, execute_notebook

    notebooks = [_notebook(n) for n in args.notebooks]
    failed = 0
    for path in notebooks:
        start = time.perf_counter()
        try:
            execute_notebook(path, timeout=_timeout(args))
        except NotebookExecutionError as err:
            failed += 1
            print(f"bpkit execute: {err}", file=sys.stderr)
            continue
        print(f"{path} (executed in {time.perf_counter() - start:.1f} s)")
    if failed:
        return _fail(f"bpkit execute: {failed} of {len(notebooks)} notebooks failed")
    return EXIT_OK


@command(
    "check-sync",
    "exit 1 if lessons/ is not what `bpkit release` would write from solutions/ (outputs ignored)",
    *_FOLDERS,
)
def check_sync(args: argparse.Namespace) -> int:
    from .release import solution_notebooks, sync_problems

    solutions = _folder(args.solutions, "solutions")
    lessons = _folder(args.lessons, "lessons")
    problems = sync_problems(solutions, lessons)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return _fail(f"{lessons} is out of sync with {solutions} ({len(problems)} problems): "
                     "run `bpkit release`")
    print(f"{lessons} is in sync with {solutions} ({len(solution_notebooks(solutions))} notebooks)")
    return EXIT_OK


# --------------------------------------------------------------------------- the instructor's commands

SECRET_ENV = "BPKIT_SECRET"


@command(
    "grade",
    "grade submitted notebooks into a gradebook, feedback and a summary\n\n"
    "SUBMISSIONS holds either a folder per student (alice/03-output-error.ipynb) or flat files\n"
    "with the student in the name (alice_03-output-error.ipynb or 03-output-error_alice.ipynb).\n"
    "Each notebook's exercise cells (tagged exercise:<id>) run in fresh workers inside bubblewrap\n"
    "(bwrap: own namespaces, no network, read-only Python, a small private tmpfs); every verdict\n"
    "is computed in this process from the arrays the workers return.\n"
    "Written to OUT: gradebook.csv, totals.csv, feedback/<student>.md|.html, summary.md,\n"
    "summary.json, histogram.png, log.jsonl, and results/ (one record per notebook, by content\n"
    "hash: a rerun grades only what is new or changed, unless --force).\n\n"
    "Points: each exercise is worth 1 point times the fraction of its cases passed (the lesson's\n"
    "public cases plus --hidden-cases hidden ones drawn from the secret).\n\n"
    "Exit status: 0 every submission graded; 1 some could not be graded (unreadable file, grader\n"
    "error; their rows are still written); 2 usage error (or OUT is locked by another run);\n"
    "3 the output disk is full (results written so far are kept; rerun to resume); 4 bubblewrap\n"
    "is missing or cannot create namespaces (install it, or pass --no-sandbox).",
    arg("submissions", metavar="SUBMISSIONS", help="folder of submitted notebooks"),
    arg("-o", "--output", required=True, metavar="OUT", help="output folder (created if missing)"),
    arg("--workers", type=int, default=None, metavar="N",
        help="submissions graded at once (default: the number of cores)"),
    arg("--timeout", type=float, default=30.0, metavar="SECONDS",
        help="wall-clock limit of one worker run (default: 30)"),
    arg("--memory", type=int, default=1024, metavar="MB",
        help="address-space limit of a worker, Python and numpy included (default: 1024)"),
    arg("--shard", default=None, metavar="I/N",
        help="grade only slice I of N (1-based; a student's notebooks stay together); "
             "join the slices with `bpkit merge`"),
    arg("--force", action="store_true", help="regrade notebooks that already have a result"),
    arg("--secret", default=None, metavar="S",
        help=f"the instructor's secret that draws the hidden cases (default: ${SECRET_ENV})"),
    arg("--hidden-cases", type=int, default=3, metavar="K", help="hidden cases per exercise (default: 3)"),
    arg("--library-calls", choices=("flag", "zero", "allow"), default="flag",
        help="an exercise cell that calls the bpkit function it asks for (or bpkit.grader): "
             "flag it in the gradebook and feedback, give the exercise zero points, or allow it "
             "(default: flag)"),
    arg("--no-sandbox", action="store_true",
        help="run workers without bubblewrap (UNSAFE for untrusted work: they get your user's rights; "
             "use only inside a throw-away container); warned about and logged"),
    arg("--no-progress", action="store_true", help="no progress bar"),
)
def grade(args: argparse.Namespace) -> int:
    from .instructor.batch import (
        EXIT_NO_SANDBOX,
        GradeOptions,
        GradingUsageError,
        default_workers,
        grade_class,
        parse_shard,
    )
    from .instructor.bwrap import SandboxUnavailable
    from .instructor.grading import Limits

    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be at least 1")
    if args.timeout <= 0 or args.memory < 256 or args.hidden_cases < 0:
        raise UsageError("--timeout must be positive, --memory at least 256 (MB), --hidden-cases at least 0")
    try:
        opts = GradeOptions(
            workers=args.workers or default_workers(),
            limits=Limits(timeout=args.timeout, memory_mb=args.memory),
            shard=parse_shard(args.shard) if args.shard else None, force=args.force,
            secret=args.secret or os.environ.get(SECRET_ENV) or None, hidden_cases=args.hidden_cases,
            progress=not args.no_progress, sandbox=not args.no_sandbox, library_calls=args.library_calls)
        return grade_class(Path(args.submissions), Path(args.output), opts)
    except GradingUsageError as err:
        raise UsageError(str(err)) from None
    except SandboxUnavailable as err:
        print(f"bpkit grade: {err}", file=sys.stderr)
        return EXIT_NO_SANDBOX


@command(
    "merge",
    "join the output folders of `bpkit grade --shard I/N` runs into one\n\n"
    "Results are copied into OUT and the gradebook, feedback and summary are rebuilt there, exactly\n"
    "as one unsharded run would have written them. The folders must come from the same class,\n"
    "graded with the same secret and settings. Exit status as for `bpkit grade`.",
    arg("folders", nargs="+", metavar="FOLDER", help="output folders of the shards"),
    arg("-o", "--output", required=True, metavar="OUT", help="output folder for the whole class"),
)
def merge(args: argparse.Namespace) -> int:
    from .instructor.batch import GradingUsageError, merge_outputs

    folders = [Path(f) for f in args.folders]
    for f in folders:
        if not f.is_dir():
            raise UsageError(f"no output folder {f}")
    try:
        return merge_outputs(folders, Path(args.output))
    except GradingUsageError as err:
        raise UsageError(str(err)) from None


@command(
    "export",
    "export the course for nbgrader or Gradescope, graded by bpkit's checks\n\n"
    "bpkit export nbgrader -o COURSE: an nbgrader course (nbgrader_config.py, source/<assignment>/) whose\n"
    "  exercise cells are solution cells and whose check cells are locked autograder tests giving bpkit's\n"
    "  points; then `nbgrader generate_assignment / autograde / generate_feedback / export` as usual.\n"
    "  Hidden cases are drawn from $BPKIT_SECRET when `nbgrader autograde` runs (never written out).\n"
    "  --prepare-submissions HANDINS: hand-ins from `bpkit release` lessons (laid out as for `bpkit grade`)\n"
    "  get nbgrader's metadata and are written to COURSE/submitted/<student>/<assignment>/.\n"
    "bpkit export gradescope -o autograder.zip: a Gradescope autograder (setup.sh, run_autograder, bpkit's\n"
    "  source, the secret) that grades the submitted notebooks with `bpkit grade`.",
    arg("format", choices=["nbgrader", "gradescope"], help="what to export"),
    arg("-o", "--output", required=True, metavar="OUT",
        help="the course folder (nbgrader) or the zip (gradescope)"),
    arg("--solutions", default="solutions", metavar="DIR", help="folder of solutions notebooks (nbgrader)"),
    arg("--points", type=float, default=1.0, metavar="P", help="points per exercise (default: 1)"),
    arg("--hidden-cases", type=int, default=None, metavar="K",
        help="hidden cases per exercise (default: 0 for nbgrader, 3 for gradescope)"),
    arg("--secret", default=None, metavar="S",
        help=f"gradescope: the secret, baked into the zip, that draws the hidden cases "
             f"(default: ${SECRET_ENV})"),
    arg("--timeout", type=float, default=30.0, metavar="SECONDS",
        help="time limit of one exercise's cases (nbgrader) or of one worker run (gradescope); default 30"),
    arg("--assignment", action="append", default=[], metavar="NAME=LESSONS",
        help="nbgrader: one assignment of several lessons, e.g. ps1=00-03 "
             "(repeatable; default: one assignment per lesson)"),
    arg("--lessons", default=None, metavar="LIST",
        help="gradescope: the lessons the assignment expects, e.g. 03,04 (default: every lesson)"),
    arg("--hidden-visibility", default="after_published",
        choices=["hidden", "after_due_date", "after_published", "visible"],
        help="gradescope: when students see the hidden cases' results (default: after_published)"),
    arg("--prepare-submissions", default=None, metavar="HANDINS",
        help="nbgrader: graft the course's metadata into hand-ins of `bpkit release` lessons"),
)
def export(args: argparse.Namespace) -> int:
    from .export.commands import ExportError, run_export

    try:
        return run_export(args, secret=args.secret or os.environ.get(SECRET_ENV) or None)
    except ExportError as err:
        raise UsageError(str(err)) from None
