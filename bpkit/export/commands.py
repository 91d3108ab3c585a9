"""``bpkit export nbgrader|gradescope``: from the command's options to the exports.

(The ``export`` subcommand in :mod:`bpkit.cli` parses the options and calls :func:`run_export`.)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .nbgrader_course import CourseOptions, ExportError, parse_group

__all__ = ["ExportError", "run_export"]


def _lessons(spec: str | None) -> list[int]:
    from ..grader import EXERCISES

    every = sorted({int(ex.lesson) for ex in EXERCISES.values()})
    if spec is None:
        return every
    try:
        lessons = sorted({int(x) for x in spec.split(",") if x.strip()})
    except ValueError:
        raise ExportError(f"--lessons {spec!r}: write lesson numbers separated by commas, "
                          "e.g. 03,04") from None
    unknown = [n for n in lessons if n not in every]
    if unknown or not lessons:
        raise ExportError(f"--lessons {spec!r}: no graded exercises in lesson(s) "
                          f"{', '.join(f'{n:02d}' for n in unknown) or '(none given)'}")
    return lessons


def _check(args: argparse.Namespace) -> None:
    if args.points <= 0 or args.timeout <= 0:
        raise ExportError("--points and --timeout must be positive")
    if args.hidden_cases is not None and args.hidden_cases < 0:
        raise ExportError("--hidden-cases must be at least 0")


def export_nbgrader(args: argparse.Namespace) -> int:
    from ..release import solution_notebooks
    from .handins import prepare_handins
    from .nbgrader_course import export_course

    out = Path(args.output)
    if getattr(args, "secret", None):
        raise ExportError("an nbgrader course never holds the secret: drop --secret, and set BPKIT_SECRET "
                          "in the environment of `nbgrader autograde` instead")
    if args.prepare_submissions:
        handins = Path(args.prepare_submissions)
        if not handins.is_dir():
            raise ExportError(f"no folder of hand-ins {handins}")
        done = prepare_handins(handins, out)
        for line in done.skipped:
            print(f"skipped {line}")
        print(f"{len(done.written)} hand-ins prepared in {out / 'submitted'}: now run "
              "`nbgrader autograde ASSIGNMENT` there")
        return 0
    solutions = Path(args.solutions)
    if not solutions.is_dir():
        raise ExportError(f"solutions folder {solutions} does not exist (or pass --solutions DIR)")
    groups = dict(parse_group(g) for g in args.assignment)
    opts = CourseOptions(points=args.points, hidden_cases=args.hidden_cases or 0, timeout=args.timeout,
                         groups=groups)
    written = export_course(solution_notebooks(solutions), out, opts)
    print(f"nbgrader course written to {out} ({len(written) - 1} notebooks); next, in {out}: "
          "nbgrader generate_assignment ASSIGNMENT")
    if opts.hidden_cases:
        print(f"  {opts.hidden_cases} hidden cases per exercise: "
              "run `nbgrader autograde` with BPKIT_SECRET set")
    return 0


def export_gradescope(args: argparse.Namespace, secret: str | None) -> int:
    from .gradescope import export_autograder
    from .gradescope_run import AutograderConfig

    hidden = 3 if args.hidden_cases is None else args.hidden_cases
    if hidden and not secret:
        raise ExportError("hidden cases need the instructor's secret: pass --secret S or set BPKIT_SECRET "
                          "(or --hidden-cases 0)")
    cfg = AutograderConfig(lessons=_lessons(args.lessons), points=args.points, hidden_cases=hidden,
                           secret=secret if hidden else None, timeout=args.timeout,
                           hidden_visibility=args.hidden_visibility)
    out = export_autograder(Path(args.output), cfg)
    print(f"Gradescope autograder written to {out} (lessons {', '.join(f'{n:02d}' for n in cfg.lessons)}); "
          "it holds the secret: keep it private")
    return 0


def run_export(args: argparse.Namespace, secret: str | None) -> int:
    _check(args)
    if args.format == "nbgrader":
        return export_nbgrader(args)
    return export_gradescope(args, secret)
