"""Exports for the tools instructors already use: an nbgrader course and a Gradescope autograder.

``bpkit export nbgrader -o COURSE`` and ``bpkit export gradescope -o autograder.zip``.

Modules, one idea each:

* :mod:`~bpkit.export.autograde_cell` -- what an exported nbgrader test cell runs, in the student's kernel;
* :mod:`~bpkit.export.nbgrader_course` -- writing the nbgrader course from ``solutions/``;
* :mod:`~bpkit.export.handins` -- grafting nbgrader's cell metadata into hand-ins from ``bpkit release``;
* :mod:`~bpkit.export.gradescope` -- writing the Gradescope autograder zip;
* :mod:`~bpkit.export.gradescope_run` -- what the zip's ``run_autograder`` runs: ``bpkit grade``, then
  ``results.json``.
* :mod:`~bpkit.export.commands` -- the ``bpkit export`` subcommand's options, turned into the above.

This package imports nothing at import time: the test cells import only
:mod:`~bpkit.export.autograde_cell` (and through it :mod:`bpkit.grader`).
"""
