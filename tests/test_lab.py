"""README's first command ends in `bpkit lab`: it must really serve the lessons."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bpkit.cli import lab_command, main

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_lab_command_adds_allow_root_only_for_root():
    assert "--allow-root" in lab_command("lessons", euid=0)
    assert "--allow-root" not in lab_command("lessons", euid=1000)
    assert lab_command("lessons", ["--no-browser"], euid=1000)[-2:] == ["lessons", "--no-browser"]


def test_lab_passes_jupyterlab_options_through(monkeypatch):
    seen = []
    monkeypatch.setattr("subprocess.call", lambda argv: seen.append(argv) or 0)
    assert main(["lab", "--no-browser"]) == 0
    assert main(["lab", "lessons", "--ServerApp.port=9999"]) == 0
    assert seen[0][3] == "lessons" and seen[0][-1] == "--no-browser"
    assert seen[1][-1] == "--ServerApp.port=9999"


def test_lab_passes_options_with_separate_values_through(monkeypatch, capsys):
    # the issue: "bpkit lab --no-browser --port 8899" took 8899 for the folder
    seen = []
    monkeypatch.setattr("subprocess.call", lambda argv: seen.append(argv) or 0)
    assert main(["lab", "--no-browser", "--port", "8899"]) == 0
    assert seen[-1][3] == "lessons" and seen[-1][-3:] == ["--no-browser", "--port", "8899"]
    assert main(["lab", "lessons", "--port", "8899", "--ServerApp.ip", "127.0.0.1"]) == 0
    assert seen[-1][3] == "lessons" and seen[-1][-4:] == ["--port", "8899", "--ServerApp.ip", "127.0.0.1"]
    assert main(["lab", "--", "--port", "8899"]) == 0
    assert seen[-1][3] == "lessons" and seen[-1][-2:] == ["--port", "8899"]
    assert capsys.readouterr().err == ""


def test_lab_help_is_bpkits(capsys):
    assert main(["lab", "--help"]) == 0
    out = capsys.readouterr().out
    assert "FOLDER, when given, must come first" in out and "--port 8899" in out


def test_other_commands_still_refuse_unknown_options(capsys):
    assert main(["check-sync", "--no-such-option"]) == 2
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err


def test_lab_refuses_a_missing_folder(tmp_path, capsys):
    assert main(["lab", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_bpkit_lab_serves_the_lessons(tmp_path):
    port, token = free_port(), "bpkit-test-token"
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR",
                 "JUPYTERLAB_WORKSPACES_DIR", "IPYTHONDIR"):
        env[name] = str(tmp_path / name.lower())
    log = (tmp_path / "lab.log").open("wb")       # a file, not a pipe: a full pipe would stall the server
    server = subprocess.Popen(
        [sys.executable, "-m", "bpkit", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         "--port", str(port), f"--IdentityProvider.token={token}"],      # a value as the next word
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
        start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/api/contents?token={token}"
        deadline, listing = time.monotonic() + 60, None
        while listing is None and time.monotonic() < deadline:
            assert server.poll() is None, (tmp_path / "lab.log").read_text(errors="replace")[-2000:]
            try:
                with urllib.request.urlopen(url, timeout=5) as reply:
                    listing = json.load(reply)
            except OSError:
                time.sleep(0.3)
        assert listing is not None, "JupyterLab did not answer within 60 s"
        served = {item["name"] for item in listing["content"]}
        assert {p.name for p in (ROOT / "lessons").glob("*.ipynb")} <= served
        assert "00-welcome.ipynb" in served
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
