"""The ``bpkit`` command (also ``python -m bpkit``).

::

    bpkit release [--solutions DIR] [--lessons DIR] [--no-execute] [NOTEBOOK ...]
    bpkit execute NOTEBOOK ...
    bpkit check-sync [--solutions DIR] [--lessons DIR]

Exit status: 0 on success; 1 when the work failed (a notebook cannot be
released or executed, or ``lessons/`` is out of sync); 2 for a usage error
(an unknown option, a missing folder or notebook).

Each subcommand is one function decorated with :func:`command`, which names
it and declares its arguments; the function gets the parsed arguments and
returns the exit status. Adding a subcommand is adding one such function.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .release import (
    DEFAULT_TIMEOUT,
    NotebookExecutionError,
    ReleaseError,
    check_unique_exercises,
    execute_notebook,
    release_notebook,
    solution_notebooks,
    sync_problems,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

Handler = Callable[[argparse.Namespace], int]
_COMMANDS: list[tuple[str, str, tuple[tuple[tuple[str, ...], dict], ...], Handler]] = []


class UsageError(Exception):
    """Bad arguments, such as a folder that does not exist: exit status 2."""


def arg(*flags: str, **kwargs) -> tuple[tuple[str, ...], dict]:
    """One argument of a subcommand, as for :meth:`argparse.ArgumentParser.add_argument`."""
    return flags, kwargs


def command(name: str, help: str, *arguments: tuple[tuple[str, ...], dict]) -> Callable[[Handler], Handler]:
    """Register the decorated function as the subcommand ``bpkit NAME``.

    The first line of ``help`` is the one-line summary in ``bpkit --help``;
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
    """Run ``bpkit`` with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    try:
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
_TIMEOUT = arg("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
               help=f"longest time one cell may run (default: {DEFAULT_TIMEOUT})")


@command(
    "release",
    "write lessons/ from solutions/: answers become stubs, then each lesson is executed\n\n"
    "Regions between '### BEGIN SOLUTION' and '### END SOLUTION' become\n"
    "'# YOUR CODE HERE' + 'raise NotImplementedError()' (Markdown: 'YOUR ANSWER HERE');\n"
    "'### BEGIN/END HIDDEN TESTS' regions are removed. Cell ids, tags and metadata are kept.",
    *_FOLDERS,
    arg("--no-execute", action="store_true",
        help="do not execute the lessons (cells that did not change keep the solutions' outputs)"),
    _TIMEOUT,
    arg("notebooks", nargs="*", metavar="NOTEBOOK",
        help="solutions notebooks to release, as paths or names in --solutions (default: all)"),
)
def release(args: argparse.Namespace) -> int:
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
            release_notebook(solution, lesson, run=not args.no_execute, timeout=args.timeout)
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
    notebooks = [_notebook(n) for n in args.notebooks]
    failed = 0
    for path in notebooks:
        start = time.perf_counter()
        try:
            execute_notebook(path, timeout=args.timeout)
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
    solutions = _folder(args.solutions, "solutions")
    lessons = _folder(args.lessons, "lessons")
    problems = sync_problems(solutions, lessons)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return _fail(f"{lessons} is out of sync with {solutions} ({len(problems)} problems): "
                     "run `bpkit release`")
    print(f"{lessons} is in sync with {solutions} ({len(solution_notebooks(solutions))} notebooks)")
    return EXIT_OK


# Issue 6 adds the instructor's commands here, one decorated function each:
#
#     @command("grade", "grade a folder of submitted notebooks into a gradebook", arg("submissions"), ...)
#     def grade(args: argparse.Namespace) -> int: ...
#
#     @command("merge", "...", ...)
#     def merge(args: argparse.Namespace) -> int: ...
