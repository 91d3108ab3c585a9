"""The instructor grader's parts: finding submissions, reading a worker's files as hostile, the sandbox."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
from instructor_fixtures import CORRECT, save, with_cell

from bpkit.grader import EXERCISES
from bpkit.grader.calling import STATUS, encode_status
from bpkit.instructor import protocol, sandbox
from bpkit.instructor.gradebook import csv_text
from bpkit.instructor.grading import LessonPlan, lesson_exercises
from bpkit.instructor.submissions import discover, extract, parse_name, read_notebook, strip_magics

# --------------------------------------------------------------------------- submissions


def test_discover_understands_both_layouts_and_lists_what_it_ignores(tmp_path):
    for rel in ("alice/03-output-error.ipynb", "alice/00-welcome.ipynb", "alice/notes.txt",
                "alice/.ipynb_checkpoints/03-output-error-checkpoint.ipynb",
                "bob_smith_03-output-error.ipynb",
                "03-output-error_carol.ipynb", "dave/03-output-error.ipynb", "dave/03-output-error (1).ipynb",
                "essay.ipynb", ".hidden/00-welcome.ipynb"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("{}")
    subs, ignored = discover(tmp_path)
    assert [(s.student, s.lesson, s.name) for s in subs] == [
        ("alice", 0, "alice/00-welcome.ipynb"), ("alice", 3, "alice/03-output-error.ipynb"),
        ("bob_smith", 3, "bob_smith_03-output-error.ipynb"), ("carol", 3, "03-output-error_carol.ipynb"),
        ("dave", 3, "dave/03-output-error (1).ipynb")]
    assert any(i.startswith("alice/notes.txt") for i in ignored)
    assert any(i.startswith("essay.ipynb") for i in ignored)
    assert any(i.startswith("dave/03-output-error.ipynb: a second file") for i in ignored)


@pytest.mark.parametrize("name, expected", [
    ("alice_03-output-error.ipynb", ("alice", 3)), ("03-output-error_bob.ipynb", ("bob", 3)),
    ("smith alice_12345_678_07-batches-1.ipynb", ("smith alice_12345_678", 7)),
    ("03-output-error.ipynb", None), ("alice.ipynb", None)])
def test_flat_file_names(name, expected):
    assert parse_name(name) == expected


def test_extract_finds_tagged_cells_imports_they_use_and_syntax_errors():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nimport math\nfrom os import path as p"),
        nbformat.v4.new_code_cell("%matplotlib inline\ndef sigmoid(z):\n    return 1 / (1 + math.exp(-z))",
                                  metadata={"tags": ["exercise:sigmoid"]}),
        nbformat.v4.new_code_cell("def relu_prime(z)\n    return z",
                                  metadata={"tags": ["exercise:relu-prime"]}),
        nbformat.v4.new_code_cell("def tanh_prime(z):\n    return 1 - np.tanh(z) ** 2"),
    ])
    code = extract(nb, {"sigmoid": "sigmoid", "relu-prime": "relu_prime", "tanh-prime": "tanh_prime",
                        "sigmoid-prime": "sigmoid_prime"})
    assert code.preamble == ["import numpy as np", "import bpkit", "import math"]
    assert [i for i, _ in code.cells] == [1, 3]
    assert code.cells[0][1].startswith("pass  # matplotlib inline")
    assert code.syntax == {2: "SyntaxError at line 1: expected ':'"}
    assert (code.found["tanh-prime"].how, code.found["sigmoid"].how) == ("def", "tag")
    assert "sigmoid-prime" not in code.found


def test_strip_magics_keeps_line_numbers():
    assert strip_magics("%%time\nx = 1\n  !ls\ny = 2") == "pass  # %time\nx = 1\n  pass  # ls\ny = 2"


@pytest.mark.parametrize("data, name, why", [
    (b"", "a.ipynb", "empty"), (b"\xff\xfe\x00", "a.ipynb", "not text"),
    (b"[1, 2]", "a.ipynb", "valid notebook"),
    (b"{}", "a.docx", "not a notebook (.docx")])
def test_read_notebook_refuses_what_is_not_a_notebook(data, name, why):
    with pytest.raises(Exception, match=None) as err:
        read_notebook(data, name)
    assert why in str(err.value)


def test_lesson_exercises_follow_the_lesson_order():
    assert [ex.id for ex in lesson_exercises(2)] == ["numerical-gradient", "sigmoid-prime", "tanh-prime",
                                                     "relu-prime"]
    assert lesson_exercises(99) == []


# --------------------------------------------------------------------------- protocol


def test_cases_cross_without_their_seed_and_come_back_equal(tmp_path):
    plan = LessonPlan(3, seed=12345, hidden=2)
    (tmp_path / "c.npz").write_bytes(protocol.pack_cases(plan.hidden))
    back = protocol.unpack_cases(str(tmp_path / "c.npz"))
    for ex_id, cases in plan.hidden.items():
        for a, b in zip(cases, back[ex_id], strict=True):
            assert b.seed == 0 and a.meta == b.meta and a.description == b.description
            assert all(np.array_equal(a.arrays[k], b.arrays[k]) for k in a.arrays)
    with zipfile.ZipFile(tmp_path / "c.npz") as zf:
        assert "12345" not in "".join(zf.read(n).decode("latin-1") for n in zf.namelist())


def _npz(tmp_path: Path, **arrays) -> int:
    (tmp_path / "out").mkdir(exist_ok=True)
    with open(tmp_path / "out" / "x.npz", "wb") as f:
        np.savez(f, **arrays)
    return os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)


def test_read_outputs_reads_numeric_arrays_within_their_size(tmp_path):
    fd = _npz(tmp_path, **{"delta": np.ones((3, 2)), "other": np.ones(5),
                           STATUS: encode_status({"kind": "ok"})})
    try:
        got = protocol.read_outputs(fd, "out/x.npz", {"delta": 6})
    finally:
        os.close(fd)
    assert sorted(got) == [STATUS, "delta", "other"] and got["delta"].shape == (3, 2)
    fd = _npz(tmp_path, delta=np.ones(64 * 16 + 1))     # more than 64 times the expected size
    try:
        with pytest.raises(protocol.ProtocolError, match="too large|refused"):
            protocol.read_outputs(fd, "out/x.npz", {"delta": 6})
    finally:
        os.close(fd)


def _raw_npz(tmp_path: Path, members: dict[str, bytes]) -> int:
    (tmp_path / "out").mkdir(exist_ok=True)
    with zipfile.ZipFile(tmp_path / "out" / "x.npz", "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)


def _npy(arr, **kw) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("member, why", [
    (_npy(np.array([object()], dtype=object), allow_pickle=True), "object"),
    (_npy(np.array(["text"])), "refused"),
    (_npy(np.zeros(2, dtype=[("a", "f8")])), "object or structured"),
    (_npy(np.ones((3, 2)))[:-8], "does not match"),
    (_npy(np.ones((3, 2))).replace(b"(3, 2)", b"(9999999999, 2)").replace(b"    ", b"", 1),
     "entries refused"),
    (b"not an npy file", "header"),
])
def test_read_outputs_refuses_hostile_arrays(tmp_path, member, why):
    fd = _raw_npz(tmp_path, {"delta.npy": member})
    try:
        with pytest.raises(protocol.ProtocolError, match=why):
            protocol.read_outputs(fd, "out/x.npz", {"delta": 6})
    finally:
        os.close(fd)


def test_read_outputs_refuses_an_oversized_status(tmp_path):
    fd = _raw_npz(tmp_path, {f"{STATUS}.npy": _npy(np.array(["x" * 200_000]))})
    try:
        with pytest.raises(protocol.ProtocolError):
            protocol.read_outputs(fd, "out/x.npz", {"delta": 6})
    finally:
        os.close(fd)


def test_read_file_refuses_symlinks_fifos_folders_and_large_files(tmp_path):
    (tmp_path / "secret").write_text("instructor only")
    (tmp_path / "link").symlink_to(tmp_path / "secret")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "big").write_bytes(b"x" * 2000)
    (tmp_path / "dir").mkdir()
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in ("link", "fifo", "big", "dir", "missing"):
            with pytest.raises(protocol.ProtocolError):
                protocol.read_file(fd, name, 1000)
        assert protocol.read_file(fd, "secret", 1000) == b"instructor only"
    finally:
        os.close(fd)


def test_progress_is_read_defensively(tmp_path):
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert protocol.read_progress(fd) == {}
        (tmp_path / protocol.PROGRESS).write_text("[" * 100_000)
        assert protocol.read_progress(fd) == {}
        (tmp_path / protocol.PROGRESS).write_text(json.dumps({"phase": "done"}))
        assert protocol.read_progress(fd) == {"phase": "done"}
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- sandbox, gradebook


def test_readable_roots_hold_bpkit_but_not_the_course_repository():
    import bpkit

    roots = sandbox.readable_roots()
    package = os.path.dirname(os.path.realpath(bpkit.__file__))
    solutions = os.path.join(os.path.dirname(package), "solutions")
    assert any(package == r or package.startswith(r + "/") for r in roots)
    assert not any(solutions.startswith(r + "/") for r in roots)
    assert "/" not in roots and os.path.realpath(os.path.expanduser("~")) not in roots


@pytest.mark.skipif(sandbox.landlock_abi() < 1, reason="Landlock is not available here")
def test_landlock_confines_a_forked_process(tmp_path):
    own = tmp_path / "own"
    own.mkdir()
    (tmp_path / "outside.txt").write_text("secret")
    pid = os.fork()
    if pid == 0:                                            # pragma: no cover -- the child
        code = 1
        try:
            assert sandbox.landlock(sandbox.readable_roots(), [str(own)]) >= 1
            (own / "ok.txt").write_text("fine")
            for attempt in (lambda: (tmp_path / "outside.txt").read_text(),
                            lambda: (tmp_path / "new.txt").write_text("no")):
                try:
                    attempt()
                    os._exit(2)
                except PermissionError:
                    pass
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert (own / "ok.txt").read_text() == "fine" and not (tmp_path / "new.txt").exists()


def test_csv_cells_cannot_be_spreadsheet_formulas():
    text = csv_text([{"student": "=HYPERLINK(1)", "lesson": "00", "exercise": "sigmoid", "points": "0",
                      "max_points": "1", "status": "failed", "reason": "+1 and\nnewline"}])
    assert text.splitlines()[1] == "'=HYPERLINK(1),00,sigmoid,0,1,failed,'+1 and newline"


def test_the_worker_is_given_the_exercise_cell_only(tmp_path):
    nb = with_cell(CORRECT)
    path = save(nb, tmp_path / "a.ipynb")
    code = extract(read_notebook(path.read_bytes(), "a.ipynb"), {"sigmoid": "sigmoid"})
    assert [s for _, s in code.cells] == [CORRECT]
    assert EXERCISES["sigmoid"].function == "sigmoid"


# --------------------------------------------------------------------------- names, links, library calls


def test_feedback_file_names_are_one_to_one_and_safe():
    import random

    from bpkit.instructor.feedback import file_stem

    rng = random.Random(11)
    names = {"atk-coll!", "atk-coll-2", "atk-coll_", "atk-coll", ".hidden", "%41", "A", "a"}
    names |= {bytes(rng.randrange(1, 256) for _ in range(rng.randrange(1, 12))).decode(
        "utf-8", "surrogateescape") for _ in range(2000)}
    stems = {file_stem(n) for n in names}
    assert len(stems) == len(names)
    safe = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.%~")
    assert all(set(s) <= safe for s in stems)
    assert not any(s.startswith(".") for s in stems)
    taken: set[str] = set()
    assert file_stem("Ann", taken) != file_stem("ann", taken)       # apart where case is ignored, too


def test_discover_lists_links_and_fifos_without_opening_them(tmp_path):
    from bpkit.instructor.submissions import Unreadable, discover, read_submission

    secret = tmp_path / "secret.ipynb"
    secret.write_text("SECRET")
    s = tmp_path / "s"
    (s / "ann").mkdir(parents=True)
    os.symlink(secret, s / "ann" / "00-welcome.ipynb")
    os.symlink(tmp_path, s / "bob")
    os.mkfifo(s / "cy_00-welcome.ipynb")
    subs, _ = discover(s)
    got = {x.student: x for x in subs}
    assert set(got) == {"ann", "bob", "cy"}
    assert got["bob"].lesson is None and "symbolic link" in got["bob"].problem
    for student, why in (("ann", "symbolic link"), ("bob", "symbolic link"), ("cy", "FIFO")):
        with pytest.raises(Unreadable, match=why):
            read_submission(s, got[student])


@pytest.mark.parametrize("function, cell, preamble, expected", [
    ("sigmoid", "def sigmoid(z):\n    return bpkit.sigmoid(z)\n", ["import bpkit"], ["bpkit.sigmoid"]),
    ("sigmoid", "import bpkit.activations as act\ndef sigmoid(z):\n    return act.sigmoid(z)\n", [],
     ["bpkit.activations.sigmoid"]),
    ("backprop_error", "from bpkit import backprop_error as bp\ndef backprop_error(W, d, z, s):\n"
     "    return bp(W, d, z, s)\n", [], ["bpkit.backprop_error"]),
    ("backprop_error", "def backprop_error(W, d, z, s):\n"
     "    return bpkit.equations.backprop_error(W, d, z, s)\n", ["import bpkit"],
     ["bpkit.equations.backprop_error"]),
    ("relu_prime", "def relu_prime(z):\n    f = bpkit.relu\n    return f.derivative(z)\n", ["import bpkit"],
     ["bpkit.relu.derivative"]),
    ("sigmoid", "def sigmoid(z):\n    return getattr(bpkit, 'sigmoid')(z)\n", ["import bpkit"],
     ["bpkit.sigmoid"]),
    ("sigmoid", "def sigmoid(z):\n    return getattr(bpkit, 'sig' + 'moid')(z)\n", ["import bpkit"],
     ["dynamic access to bpkit"]),
    ("sigmoid", "from bpkit.grader.reference import sigmoid as ref\ndef sigmoid(z):\n    return ref(z)\n", [],
     ["bpkit.grader"]),
    ("sigmoid", "from bpkit import grader\n" + CORRECT, [], ["bpkit.grader"]),
    ("sigmoid", CORRECT, ["import bpkit", "from bpkit import relu"], []),
    ("sigmoid_prime", "def sigmoid_prime(z):\n    s = bpkit.sigmoid(z)\n    return s * (1 - s)\n",
     ["import bpkit"], []),                                   # using another of bpkit's functions is fine
])
def test_library_calls_are_found_as_written(function, cell, preamble, expected):
    from bpkit.instructor.borrowed import library_calls

    assert library_calls(function, cell, preamble) == expected


def test_bwrap_command_binds_only_what_it_is_given():
    from bpkit.instructor import bwrap

    cmd = bwrap.command(["python3"], ["/usr", "/opt/venv", "/dev/urandom", "/job/x"], 1 << 20)
    binds = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--ro-bind-try"]
    assert binds == ["/opt/venv", "/usr"]
    for flag in ("--unshare-all", "--die-with-parent", "--new-session", "--cap-drop"):
        assert flag in cmd
    assert cmd[cmd.index("--uid") + 1] == "65534" and cmd[-1] == "python3"
    assert cmd.index("--remount-ro") > cmd.index("--tmpfs")
