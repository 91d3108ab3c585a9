"""``python -m bpkit ...`` runs the ``bpkit`` command (see :mod:`bpkit.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
