"""Writing a Gradescope autograder: ``bpkit export gradescope -o autograder.zip``.

The zip holds what Gradescope's autograder contract asks for, at its root:

* ``setup.sh`` -- run once when Gradescope builds the image: installs Python and
  bubblewrap with apt-get, then bpkit (from ``bpkit-src/``) into ``/autograder/bpkit-venv``;
* ``run_autograder`` -- run for every submission: ``python -m bpkit.export.gradescope_run``
  (see :mod:`bpkit.export.gradescope_run`); ``$BPKIT_AUTOGRADER_ROOT`` replaces
  ``/autograder`` and ``$BPKIT_AUTOGRADER_PYTHON`` the venv's Python, for trying it elsewhere;
* ``bpkit-autograder.json`` -- the lessons, points, hidden cases, time limit and the
  instructor's **secret** (so keep the zip as private as the secret);
* ``bpkit-src/`` -- this bpkit's own package and a ``pyproject.toml``, so the container grades
  with exactly the checks the lessons were released with.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

from .. import __version__
from .gradescope_run import CONFIG, AutograderConfig

SETUP_SH = """#!/usr/bin/env bash
# Written by `bpkit export gradescope`: run once by Gradescope when it builds the autograder image.
set -euo pipefail
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-pip bubblewrap
python3 -m venv /autograder/bpkit-venv
/autograder/bpkit-venv/bin/pip install -q /autograder/source/bpkit-src
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Written by `bpkit export gradescope`: run by Gradescope for every submission.
# Grades /autograder/submission/*.ipynb with `bpkit grade`; writes /autograder/results/results.json.
set -u
ROOT="${BPKIT_AUTOGRADER_ROOT:-/autograder}"
PYTHON="${BPKIT_AUTOGRADER_PYTHON:-/autograder/bpkit-venv/bin/python}"
exec "$PYTHON" -m bpkit.export.gradescope_run "$ROOT"
"""


def pyproject() -> str:
    """A ``pyproject.toml`` that installs this bpkit package (its dependencies as installed here)."""
    try:
        requires = [r for r in metadata.requires("bpkit") or [] if "extra ==" not in r]
    except metadata.PackageNotFoundError:
        requires = ["numpy>=1.24", "matplotlib>=3.7", "nbformat>=5.9"]
    return "\n".join([
        "[build-system]", 'requires = ["setuptools>=68"]', 'build-backend = "setuptools.build_meta"', "",
        "[project]", 'name = "bpkit"', f'version = "{__version__}"', 'requires-python = ">=3.10"',
        "dependencies = " + json.dumps(requires), "",
        "[project.scripts]", 'bpkit = "bpkit.cli:main"', "",
        "[tool.setuptools.packages.find]", 'include = ["bpkit*"]', "",
        "[tool.setuptools.package-data]", 'bpkit = ["data/*.npz", "data/*.md"]', ""])


def package_files() -> list[tuple[Path, str]]:
    """``(file, name in the zip)`` for every file of the bpkit package (no caches)."""
    package = Path(__file__).resolve().parent.parent
    return [(p, "bpkit-src/bpkit/" + p.relative_to(package).as_posix())
            for p in sorted(package.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")]


def _add(z: zipfile.ZipFile, name: str, data: str | bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (0o755 if executable else 0o644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, data)


def export_autograder(out: Path, cfg: AutograderConfig) -> Path:
    """Write the autograder zip to ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as z:
        _add(z, "setup.sh", SETUP_SH, executable=True)
        _add(z, "run_autograder", RUN_AUTOGRADER, executable=True)
        _add(z, CONFIG, json.dumps(asdict(cfg), indent=1) + "\n")
        _add(z, "bpkit-src/pyproject.toml", pyproject())
        for path, name in package_files():
            _add(z, name, path.read_bytes())
    return out
