"""README.md's two set-up commands stay true: CI runs the test command verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, re.S)]


def test_readme_opens_with_two_commands():
    commands = setup_commands()
    assert len(commands) == 2, commands
    lessons, tests = commands
    assert lessons.endswith("bpkit lab") and "pip install -e ." in lessons
    assert "'.[test]'" in tests and "pytest" in tests and "ruff check" in tests


def test_ci_runs_readme_test_command_verbatim():
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert setup_commands()[1] in ci_lines


def test_every_lesson_is_listed_in_the_tour():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for notebook in sorted((ROOT / "lessons").glob("*.ipynb")):
        assert notebook.name in readme, f"README's tour does not list {notebook.name}"
