"""`bpkit grade` against hostile submissions: each attack class of issue 11 gets its row, and changes nothing
else.

One class -- every attack of ``instructor_attacks.attacks``, links, a FIFO, names of odd bytes, a 2 MB cell,
library calls, and three honest victims graded after the attackers -- is graded once for the module in a
single worker slot (so every attacker shares its server with the victims). Each test reads its rows and
checks the machine around the worker. Network attacks target only loopback listeners of this test.
"""

from __future__ import annotations

import csv
import ctypes
import errno
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from instructor_attacks import attacks, host_thread_names
from instructor_fixtures import CORRECT, SOLUTIONS, needs_sandbox, save, with_cell

from bpkit.cli import main
from bpkit.grader.cellscope import other_cell_message
from bpkit.instructor import bwrap
from bpkit.instructor.batch import locked
from bpkit.instructor.feedback import file_stem

SECRET = "sandbox term"
MARKER = f"bpkz{os.getpid() % 100000}"
SHM_KEY = 0x42000000 + os.getpid() % 100000
VICTIMS = ["zz-victim-1", "zz-victim-2", "zz-victim-3"]
ODD = os.fsdecode(b"m\xfcller")

pytestmark = needs_sandbox


def grade(src: Path, out: Path, *extra: str) -> int:
    return main(["grade", str(src), "-o", str(out), "--secret", SECRET, "--timeout", "10", "--memory", "512",
                 "--workers", "1", "--no-progress", *extra])


def rows_of(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="", encoding="utf-8", errors="surrogateescape") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def victim(i: int):
    return with_cell(f"# victim {i}\n" + CORRECT)


def _state() -> dict:
    """What a worker must not be able to change in the grading process."""
    return {"fsize": resource.getrlimit(resource.RLIMIT_FSIZE),
            "nofile": resource.getrlimit(resource.RLIMIT_NOFILE),
            "nice": os.getpriority(os.PRIO_PROCESS, 0), "affinity": os.sched_getaffinity(0),
            "scheduler": os.sched_getscheduler(0)}


def _shm_exists(key: int) -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.shmget(ctypes.c_int(key), ctypes.c_size_t(0), ctypes.c_int(0)) >= 0


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("attacks")
    src = tmp / "submissions"
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen()
    tcp.setblocking(False)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.setblocking(False)
    unix = socket.socket(socket.AF_UNIX)
    unix_path = str(tmp / "host.sock")
    unix.bind(unix_path)
    unix.listen()
    unix.setblocking(False)
    outside = tmp / "root-owned.txt"
    outside.write_text("root's file")
    outside.chmod(0o644)
    token = tmp / "token.txt"
    token.write_text("TOKEN-7f3a9c")
    cases = attacks(tcp.getsockname()[1], udp.getsockname()[1], unix_path, SHM_KEY, MARKER, [str(outside)])
    for a in cases:
        save(with_cell(a.cell), src / a.student / "00-welcome.ipynb")
    # links, a FIFO, odd names, collisions, a huge cell, library calls
    (src / "a-link-file").mkdir(parents=True)
    os.symlink(SOLUTIONS / "00-welcome.ipynb", src / "a-link-file" / "00-welcome.ipynb")
    (src / "a-link-passwd").mkdir()
    os.symlink("/etc/passwd", src / "a-link-passwd" / "00-welcome.ipynb")
    os.symlink(token, src / "a-link-token_00-welcome.ipynb")
    os.symlink(SOLUTIONS, src / "a-link-folder")
    (src / "a-fifo").mkdir()
    os.mkfifo(src / "a-fifo" / "00-welcome.ipynb")
    save(with_cell("# ü\n" + CORRECT), src / ODD / "00-welcome.ipynb")
    save(with_cell(CORRECT), src / "atk-coll!" / "00-welcome.ipynb")
    save(with_cell("def sigmoid(z):\n    return z\n"), src / "atk-coll-2" / "00-welcome.ipynb")
    save(with_cell("x = 1" + " + 1" * 500_000 + "\n" + CORRECT), src / "a-huge-cell" / "00-welcome.ipynb")
    save(with_cell("def sigmoid(z):\n    return bpkit.sigmoid(z)\n"), src / "a-library" / "00-welcome.ipynb")
    save(with_cell("from bpkit.grader import reference\n" + CORRECT), src / "a-grader" / "00-welcome.ipynb")
    for i, name in enumerate(VICTIMS):
        save(victim(i), src / name / "00-welcome.ipynb")
    before, threads_before = _state(), host_thread_names()
    stat_before = {p: os.stat(p) for p in (str(outside), os.path.realpath(sys.executable))}
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    code = grade(src, tmp / "out")
    got = {"tmp": tmp, "src": src, "out": tmp / "out", "code": code, "rows": rows_of(tmp / "out"),
           "attacks": {a.student: a for a in cases}, "before": before, "after": _state(),
           "threads": host_thread_names() - threads_before, "stat_before": stat_before,
           "stat_after": {p: os.stat(p) for p in stat_before},
           "rss_growth_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024,
           "received": []}
    for attempt in (tcp.accept, lambda: udp.recv(100), unix.accept):
        try:
            got["received"].append(attempt())
        except BlockingIOError:
            pass
    got["shm_on_host"] = _shm_exists(SHM_KEY)
    for s in (tcp, udp, unix):
        s.close()
    return got


ATTACKS = [a.student for a in attacks(1, 2, "/x", 3, "m", [])]


@pytest.mark.parametrize("student", ATTACKS)
def test_each_attack_gets_its_row_and_points(attacked, student):
    a = attacked["attacks"][student]
    row = attacked["rows"][student]
    assert (row["status"], row["points"]) == (a.status, a.points), row
    assert a.reason in row["reason"], row["reason"]


def test_the_grading_process_keeps_its_limits_priority_affinity_and_scheduler(attacked):
    assert attacked["after"] == attacked["before"]


def test_victims_graded_after_the_attackers_in_the_same_slot_are_untouched(attacked, tmp_path):
    for name in VICTIMS:
        assert attacked["rows"][name]["status"] == "passed", attacked["rows"][name]
    alone = tmp_path / "alone"
    for i, name in enumerate(VICTIMS):
        save(victim(i), alone / name / "00-welcome.ipynb")
    assert grade(alone, tmp_path / "out") == 0
    clean = rows_of(tmp_path / "out")
    for name in VICTIMS:
        assert attacked["rows"][name] == clean[name]
        assert ((attacked["out"] / "feedback" / f"{name}.md").read_bytes()
                == (tmp_path / "out" / "feedback" / f"{name}.md").read_bytes())


def test_network_attacks_reach_no_listener_of_the_host(attacked):
    assert attacked["received"] == []


def test_shared_memory_does_not_survive_a_worker(attacked):
    assert not attacked["shm_on_host"]


def test_files_outside_keep_their_mode_owner_and_times(attacked):
    for path, before in attacked["stat_before"].items():
        after = attacked["stat_after"][path]
        assert (after.st_mode, after.st_uid, after.st_mtime_ns, after.st_size) == (
            before.st_mode, before.st_uid, before.st_mtime_ns, before.st_size), path


def test_nothing_a_worker_started_is_left_anywhere(attacked):
    assert not any(MARKER in name for name in attacked["threads"])
    assert not list(Path("/tmp").glob("fill*")) and not list(Path("/dev/shm").glob("fill*"))


def test_a_hidden_phase_exit_status_reaches_no_feedback(attacked):
    text = (attacked["out"] / "feedback" / "a-exit-status.md").read_text()
    assert "76" not in text and "exit status" not in text
    assert "the worker ended early while running sigmoid on a hidden case" in text.lower()


@pytest.mark.parametrize("student, kind", [
    ("a-link-file", "symbolic link"), ("a-link-passwd", "symbolic link"), ("a-link-token", "symbolic link"),
    ("a-link-folder", "symbolic link"), ("a-fifo", "FIFO")])
def test_links_and_fifos_get_a_row_and_are_never_opened(attacked, student, kind):
    row = attacked["rows"][student]
    assert row["status"] == "unreadable" and kind in row["reason"] and row["points"] == "0", row
    assert row["lesson"] == ("--" if student == "a-link-folder" else "00")
    for p in attacked["out"].rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            assert b"TOKEN-7f3a9c" not in data and b"root:x:0:0" not in data, p


def test_a_name_of_any_bytes_is_exact_in_the_csv_and_escaped_in_its_file_name(attacked):
    raw = (attacked["out"] / "gradebook.csv").read_bytes()
    assert b"\r\nm\xfcller,00,sigmoid,1,1,passed,all 6 cases passed\r\n" in raw
    assert (attacked["out"] / "feedback" / "m%FCller.md").is_file()
    assert "m\ufffdller" in (attacked["out"] / "feedback" / "m%FCller.md").read_text()


def test_two_students_never_share_a_feedback_file(attacked):
    first = (attacked["out"] / "feedback" / f"{file_stem('atk-coll!')}.md").read_text()
    second = (attacked["out"] / "feedback" / f"{file_stem('atk-coll-2')}.md").read_text()
    assert "# Feedback: atk-coll!" in first and "Total: 1 of 1 points" in first
    assert "# Feedback: atk-coll-2" in second and "Total: 0 of 1 points" in second


def test_an_oversized_cell_is_a_clear_reason_not_a_memory_blow_up(attacked):
    row = attacked["rows"]["a-huge-cell"]
    assert row["status"] == "error" and "the cell is too large to grade" in row["reason"], row
    assert attacked["rss_growth_mb"] < 400


def test_library_calls_are_flagged(attacked):
    lib, grader = attacked["rows"]["a-library"], attacked["rows"]["a-grader"]
    assert lib["points"] == "1" and "its cell uses bpkit.sigmoid, bpkit's own answer" in lib["reason"]
    assert "bpkit.grader, the grader's own code" in grader["reason"]
    assert "bpkit.sigmoid" in (attacked["out"] / "feedback" / "a-library.md").read_text()


def test_library_calls_zero_and_allow(tmp_path):
    save(with_cell("import bpkit as bp\ndef sigmoid(z):\n    return bp.activations.sigmoid(z)\n"),
         tmp_path / "s" / "lib" / "00-welcome.ipynb")
    save(with_cell(CORRECT), tmp_path / "s" / "own" / "00-welcome.ipynb")
    assert grade(tmp_path / "s", tmp_path / "zero", "--library-calls", "zero") == 0
    rows = rows_of(tmp_path / "zero")
    assert (rows["lib"]["status"], rows["lib"]["points"]) == ("library-call", "0")
    assert "bpkit.activations.sigmoid" in rows["lib"]["reason"]
    assert (rows["own"]["status"], rows["own"]["points"]) == ("passed", "1")
    assert grade(tmp_path / "s", tmp_path / "allow", "--library-calls", "allow") == 0
    assert rows_of(tmp_path / "allow")["lib"]["reason"] == "all 6 cases passed"


def test_a_helper_from_another_cell_gets_the_lesson_checks_own_words(tmp_path):
    import nbformat

    nb = with_cell("def sigmoid(z):\n    return 1 / (1 + np.exp(-z * SCALE))\n")
    nb.cells.insert(2, nbformat.v4.new_code_cell("SCALE = 1.0\n"))
    save(nb, tmp_path / "s" / "helper" / "00-welcome.ipynb")
    assert grade(tmp_path / "s", tmp_path / "o") == 0
    message = other_cell_message("sigmoid", ["SCALE"])
    row = rows_of(tmp_path / "o")["helper"]
    assert row["status"] == "failed" and row["reason"].startswith(message), row
    assert message in (tmp_path / "o" / "feedback" / "helper.md").read_text()


def test_a_second_run_on_a_locked_output_folder_stops_with_a_clear_message(tmp_path, capsys):
    save(with_cell(CORRECT), tmp_path / "s" / "a" / "00-welcome.ipynb")
    with locked(tmp_path / "o"):
        assert grade(tmp_path / "s", tmp_path / "o") == 2
    assert "another `bpkit grade`" in capsys.readouterr().err
    assert not (tmp_path / "o" / "gradebook.csv").exists()
    assert grade(tmp_path / "s", tmp_path / "o") == 0


def test_a_full_output_disk_keeps_what_was_written_and_exits_3(tmp_path, capsys):
    src = tmp_path / "s"
    for i in range(4):
        save(with_cell(f"# {i}\n" + CORRECT), src / f"s{i}" / "00-welcome.ipynb")
    out = tmp_path / "small"
    out.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(out)], capture_output=True).returncode == 0
    try:
        if mounted:
            (out / "ballast").write_bytes(b"x" * (1000 * 1024))
        else:
            pytest.skip("cannot mount a small tmpfs here (needs root)")
        code = grade(src, out)
        assert code == 3
        assert "cannot be written" in capsys.readouterr().out
        kept = list((out / "results").glob("*.json"))
        assert kept and all(json.loads(p.read_text())["exercises"] for p in kept)   # complete, kept
        (out / "ballast").unlink()
        assert grade(src, out) == 0                      # with space again: resumes, regrades nothing kept
        end = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()][-1]
        assert end["reused"] == len(kept) and len(rows_of(out)) == 4
    finally:
        if mounted:
            subprocess.run(["umount", str(out)], check=False)


def test_odd_limits_of_the_grading_process_do_not_stop_it(tmp_path):
    save(with_cell(CORRECT), tmp_path / "s" / "a" / "00-welcome.ipynb")

    def low_fsize():
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)

    done = subprocess.run([sys.executable, "-m", "bpkit", "grade", str(tmp_path / "s"), "-o",
                           str(tmp_path / "o"), "--secret", SECRET, "--no-progress", "--workers", "1"],
                          preexec_fn=low_fsize,
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "passed" in (tmp_path / "o" / "gradebook.csv").read_text()


def test_without_bwrap_grading_stops_before_it_starts_unless_no_sandbox(tmp_path, monkeypatch, capsys):
    save(with_cell(CORRECT), tmp_path / "s" / "a" / "00-welcome.ipynb")
    monkeypatch.setattr(bwrap, "find", lambda: None)
    assert grade(tmp_path / "s", tmp_path / "o") == 4
    err = capsys.readouterr().err
    assert "apt-get install bubblewrap" in err and "Docker" in err and "--no-sandbox" in err
    assert not (tmp_path / "o" / "gradebook.csv").exists()
    assert grade(tmp_path / "s", tmp_path / "o", "--no-sandbox") == 0
    assert "--no-sandbox" in capsys.readouterr().out
    log = (tmp_path / "o" / "log.jsonl").read_text()
    assert '"sandbox": "none"' in log and '"event": "warning"' in log


def test_bwrap_that_cannot_create_namespaces_is_reported(tmp_path):
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(bwrap.SandboxUnavailable, match="cannot create its namespaces.*No permissions"):
        bwrap.check(str(fake))


def test_a_failure_of_the_grader_itself_is_a_grader_error_and_regraded_next_time(tmp_path, monkeypatch):
    from bpkit.instructor import pool

    save(with_cell(CORRECT), tmp_path / "s" / "a" / "00-welcome.ipynb")
    real = pool.WorkerServer.run

    def broken(self, job, **kw):
        return {"reply": {"error": "the sandbox could not be set up (test)"}, "files": {}, "sizes": {}}

    monkeypatch.setattr(pool.WorkerServer, "run", broken)
    assert grade(tmp_path / "s", tmp_path / "o") == 1
    row = rows_of(tmp_path / "o")["a"]
    assert row["status"] == "grader-error" and "regraded on the next run" in row["reason"]
    monkeypatch.setattr(pool.WorkerServer, "run", real)
    assert grade(tmp_path / "s", tmp_path / "o") == 0
    assert rows_of(tmp_path / "o")["a"]["status"] == "passed"


def test_shm_key_is_free_before_the_run():
    assert not _shm_exists(SHM_KEY) or errno.EEXIST   # a stale key would make the shm test meaningless


def test_sandbox_start_up_is_recorded_per_run(attacked):
    events = [json.loads(line) for line in (attacked["out"] / "log.jsonl").read_text().splitlines()]
    start = next(e for e in events if e["event"] == "start")
    assert start["sandbox"] == "bubblewrap"
    assert shutil.which("bwrap") or Path("/usr/bin/bwrap").exists()


def test_no_sandbox_still_kills_what_a_worker_left_behind(tmp_path):
    from instructor_fixtures import ORPHAN_MARKER, failure_modes

    (mode,) = [m for m in failure_modes(tmp_path) if m.student == "child-left-running"]
    save(mode.content, tmp_path / "s" / mode.student / mode.filename)
    assert grade(tmp_path / "s", tmp_path / "o", "--no-sandbox") == 0
    assert "left 1 process running" in rows_of(tmp_path / "o")[mode.student]["reason"]
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                assert ORPHAN_MARKER.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes(), pid
            except OSError:
                continue


def _tasks_can_be_capped() -> bool:
    from bpkit.instructor import cgroup

    path = cgroup.create(f"bpkit-test-probe-{os.getpid()}")
    cgroup.remove(path)
    return path is not None


@pytest.mark.skipif(not _tasks_can_be_capped(), reason="no writable cgroup pids controller here: a fork bomb "
                    "would be stopped only by the time limit, so it is not run")
def test_a_fork_bomb_is_capped_and_dies_with_its_worker(tmp_path):
    from bpkit.instructor import cgroup

    bomb = ("import os, time\n"
            "def sigmoid(z):\n"
            "    if os.fork() == 0:\n"
            "        while True:\n"
            "            try:\n                os.fork()\n"
            "            except OSError:\n                time.sleep(1)\n"
            "    return 1 / (1 + np.exp(-z))\n")
    save(with_cell(bomb), tmp_path / "s" / "a-bomb" / "00-welcome.ipynb")
    save(victim(0), tmp_path / "s" / "zz-victim" / "00-welcome.ipynb")
    code = grade(tmp_path / "s", tmp_path / "o", "--timeout", "30")
    rows = rows_of(tmp_path / "o")
    assert code == 0 and rows["zz-victim"]["status"] == "passed", rows
    # The bomb's own cases may run out of time while it fills its cap (a loaded machine): its grade
    # is its own business; what must hold is the cap, the victim's grade and the clean-up.
    assert rows["a-bomb"]["status"] in ("passed", "failed", "timeout"), rows
    if "it left " in rows["a-bomb"]["reason"]:
        assert 1 <= int(rows["a-bomb"]["reason"].split("it left ")[1].split()[0]) <= cgroup.MAX_TASKS
    assert not list(Path("/sys/fs/cgroup/pids").glob(f"bpkit-grade-{os.getpid()}-*"))
