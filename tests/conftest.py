"""Shared pytest set-up. Only nbval support lives here.

Notebooks are checked with, for example::

    pytest --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg tests lessons solutions

nbval compares each code cell's stored outputs with a fresh run. Text that
varies from run to run inside an otherwise stable output is rewritten by the
regexes of ``tests/nbval_sanitize.cfg``; an output type that varies as a
whole is left out of the comparison here.

pytest calls a conftest's hooks only for files under the conftest's own
folder, and ``lessons/`` and ``solutions/`` are not under ``tests/``. So the
hook is a small plugin that this conftest registers for the whole run: keep
``tests`` among pytest's arguments (as above) when checking notebooks.
"""

#: Output types nbval must not compare, beyond its own list (which already
#: skips image/png, image/jpeg, widget views, metadata and tracebacks):
#: - image/svg+xml: matplotlib writes the date and random clip-path ids into
#:   every SVG, so no two runs agree. Like a PNG, the picture is not compared.
SKIP_COMPARE = ("image/svg+xml",)


class NbvalSkips:
    """Adds :data:`SKIP_COMPARE` to each notebook's ``skip_compare``."""

    def pytest_collectstart(self, collector):
        skip = getattr(collector, "skip_compare", None)       # only nbval's notebook collectors have it
        if skip is not None and str(collector.path).endswith(".ipynb"):
            collector.skip_compare = tuple(skip) + tuple(k for k in SKIP_COMPARE if k not in skip)


def pytest_configure(config):
    config.pluginmanager.register(NbvalSkips(), "bpkit-nbval-skips")
