"""Every solution notebook with widgets, run in JupyterLab and driven in headless Chromium.

For each notebook in ``solutions/`` that imports ``ipywidgets`` or ``bpkit.widgets``
(found by reading the notebooks, not from a list), the test opens it in a
JupyterLab started for this session alone, clears its outputs, runs all cells
and waits for a final state: the run-all command has finished, every code cell
has an execution count (or one raised) and the kernel is idle. Then, for every
widget the notebook displays, it checks that

- the widget rendered as a widget: no "Error displaying widget", no error
  widget ("Failed to load model class ..."), no plain-text repr such as
  ``interactive(children=(...))`` anywhere in the notebook's outputs;
- each control changes the output it drives: a slider gets arrow keys, a
  dropdown another option, a button a click. The test then waits until every
  message that the change sent to the kernel has been answered by an ``idle``
  status, and compares the widget's output area (its text, and the ``src`` of
  its images, where the inline backend puts matplotlib figures) before and
  after.

A screenshot of each notebook (and of the page when a check fails) goes to
``tests/.browser-screens/`` (or ``$BPKIT_SCREENSHOTS``); the test prints the
path. A negative control runs the same checker on a notebook whose widget
cannot render and expects it to fail, naming that widget.

Chromium is Debian's (``/usr/bin/chromium``, or ``$BPKIT_CHROMIUM``), driven by
Python Playwright: nothing downloads a browser. Without either, every test
here is skipped with the reason. Every wait is bounded: Playwright's
``page.evaluate`` has no timeout, so page state is read through
``wait_for_function``, which has one.
"""

from __future__ import annotations

import ast
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
SCREENS = Path(os.environ.get("BPKIT_SCREENSHOTS", ROOT / "tests" / ".browser-screens"))
CHROMIUM = Path(os.environ.get("BPKIT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--disable-dev-shm-usage", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

# Bounds, in milliseconds, on every wait.
SERVER_START_S = 90
PAGE_LOAD_MS = 90_000       # JupyterLab's page, the notebook and its kernel
RUN_ALL_MS = 120_000
RENDER_MS = 30_000          # a widget's view, once its cell has run
KERNEL_REPLY_MS = 30_000    # the kernel's answer to a control's change
SETTLE_MS = 5_000           # the output area redrawing after that answer
ACTION_MS = 15_000          # a click, a key press, a screenshot

#: A cell uses widgets if it imports ipywidgets or bpkit.widgets.
WIDGET_IMPORT = re.compile(
    r"^\s*(?:import\s+(?:ipywidgets|bpkit\.widgets)\b|from\s+(?:ipywidgets|bpkit\.widgets)\b|from\s+bpkit\s+import\s+.*\bwidgets\b)",
    re.M,
)
#: What a widget looks like when no widget manager rendered it: its Python repr.
TEXT_REPR = re.compile(r"\b[A-Za-z_]\w*\(children=\(")


def widget_notebooks(folder: Path = SOLUTIONS) -> list[Path]:
    """The notebooks in ``folder`` with a code cell that imports ipywidgets or bpkit.widgets."""
    found = []
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if any(c.cell_type == "code" and WIDGET_IMPORT.search(c.source) for c in nb.cells):
            found.append(path)
    return found


# --------------------------------------------------------------------------- JavaScript run in the page

#: The open notebook panel for ``path`` and its kernel, once both are ready.
JS_NOTEBOOK_READY = """(path) => {
  const app = window.jupyterapp;
  const w = app && app.shell && app.shell.currentWidget;
  if (!w || !w.context || w.context.path !== path || !w.context.isReady) return false;
  if (!w.content || !w.content.widgets) return false;
  const k = w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle' && k.connectionStatus === 'connected';
}"""

#: Start clear-outputs-then-run-all; its promise's end is recorded in window.__bpkitRun.
JS_RUN_ALL = """() => {
  const app = window.jupyterapp;
  app.shell.collapseLeft();
  const run = window.__bpkitRun = {done: false, error: null};
  app.commands.execute('notebook:clear-all-cell-outputs')
    .then(() => app.commands.execute('notebook:run-all-cells'))
    .then(() => { run.done = true; }, (e) => { run.error = String(e); run.done = true; });
  return true;
}"""

#: The final state of Run All: the command is done, the kernel idle, and every non-empty code cell
#: executed, or some cell raised (Run All stops there).
JS_RUN_ALL_FINISHED = """() => {
  const run = window.__bpkitRun;
  if (!run || !run.done) return false;
  const w = window.jupyterapp.shell.currentWidget;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  if (k && k.status === 'dead') return true;   // nothing more will run: say so at once
  if (!k || k.status !== 'idle') return false;
  const code = w.content.widgets.filter(
    (c) => c.model.type === 'code' && c.model.sharedModel.getSource().trim());
  const raised = code.some((c) => c.model.outputs.toJSON().some((o) => o.output_type === 'error'));
  return raised || code.every((c) => c.model.executionCount !== null);
}"""

#: Each code cell: its source, execution count and outputs; widget outputs are tagged in the DOM
#: with data-bpkit-widget="<cell>-<output>" so Playwright can find them.
JS_CELLS = """(mime) => {
  const w = window.jupyterapp.shell.currentWidget;
  const cells = [];
  w.content.widgets.forEach((c, i) => {
    if (c.model.type !== 'code') return;
    const outputs = c.model.outputs.toJSON().map((o, k) => {
      const data = o.data || {};
      const view = c.outputArea.widgets[k];
      if (data[mime] && view) view.node.setAttribute('data-bpkit-widget', i + '-' + k);
      return {type: o.output_type, mimes: Object.keys(data), ename: o.ename || null, evalue: o.evalue || null,
              widget: !!data[mime], text: view ? view.node.innerText.slice(0, 2000) : ''};
    });
    cells.push({index: i, source: c.model.sharedModel.getSource(), count: c.model.executionCount, outputs});
  });
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  return {cells, kernel: k ? k.status : 'none'};
}"""

#: A widget output has finished loading: a view, an error widget, or an error text.
JS_WIDGET_SETTLED = """(node) => {
  const text = node.innerText || '';
  if (text.includes('Error displaying widget')) return true;
  if (text.includes('Loading widget...')) return false;
  return !!node.querySelector('.jupyter-widgets');
}"""

#: What a widget output shows: error widgets (their message revealed), and its controls outside its
#: own output areas, each tagged data-bpkit-control="<n>".
JS_WIDGET_STATE = """(node) => {
  const own = (el) => { const out = el.parentElement && el.parentElement.closest('.widget-output');
                        return !out || !node.contains(out); };
  const errors = Array.from(node.querySelectorAll('.jupyter-widgets-error-widget')).map((e) => {
    e.click();   // the error widget shows its message when clicked
    return (e.innerText || '').trim();
  });
  const label = (el) => { const l = el.querySelector('.widget-label'); return l ? l.innerText.trim() : ''; };
  const controls = [];
  const tag = (el, kind, extra) => { el.setAttribute('data-bpkit-control', String(controls.length));
                                     controls.push(Object.assign({kind, id: controls.length}, extra)); };
  node.querySelectorAll('.widget-slider').forEach((s) => {
    const h = s.querySelector('.noUi-handle');
    if (!own(s) || !h) return;
    tag(s, 'slider', {label: label(s), value: h.getAttribute('aria-valuenow'),
                      min: h.getAttribute('aria-valuemin'), max: h.getAttribute('aria-valuemax')});
  });
  node.querySelectorAll('.widget-dropdown').forEach((d) => {
    const sel = d.querySelector('select');
    if (!own(d) || !sel) return;
    tag(d, 'dropdown', {label: label(d), value: sel.value,
                        options: Array.from(sel.options).map((o) => o.value)});
  });
  node.querySelectorAll('button.widget-button').forEach((b) => {
    if (!own(b)) return;
    tag(b, 'button', {label: (b.innerText || b.title || '').trim()});
  });
  const outputs = Array.from(node.querySelectorAll('.widget-output')).filter(own);
  return {text: (node.innerText || '').slice(0, 500), errors, controls, outputs: outputs.length,
          rendered: !!node.querySelector('.jupyter-widgets:not(.jupyter-widgets-error-widget)')};
}"""

#: What the widget's (first own) output area shows: its text and its images' sources, hashed.
JS_OUTPUT_SIGNATURE = """(node) => {
  const out = node.querySelector('.widget-output');
  if (!out) return {hash: '', text: '', images: 0};
  const imgs = Array.from(out.querySelectorAll('img')).map((i) => i.getAttribute('src') || '');
  const svgs = Array.from(out.querySelectorAll('svg')).map((s) => s.outerHTML);
  const s = (out.innerText || '') + '\\u0000' + imgs.join('\\u0000') + '\\u0000' + svgs.join('\\u0000');
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
  return {hash: h.toString(16) + ':' + s.length, text: (out.innerText || '').trim().slice(0, 200),
          images: imgs.length + svgs.length};
}"""

#: Record every comm message sent to the kernel from now on, and the idle status that ends each.
JS_TRACK_KERNEL = """() => {
  const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  if (window.__bpkitTrack) window.__bpkitTrack.stop();
  const t = {sent: [], idle: []};
  const slot = (_, args) => {
    const m = args.msg;
    if (args.direction === 'send' && m.header.msg_type === 'comm_msg') t.sent.push(m.header.msg_id);
    if (args.direction === 'recv' && m.header.msg_type === 'status' && m.content.execution_state === 'idle'
        && m.parent_header && m.parent_header.msg_id) t.idle.push(m.parent_header.msg_id);
  };
  k.anyMessage.connect(slot);
  t.stop = () => k.anyMessage.disconnect(slot);
  window.__bpkitTrack = t;
  return true;
}"""

#: Every message the change sent has been answered and the kernel is idle.
JS_KERNEL_ANSWERED = """() => {
  const t = window.__bpkitTrack;
  const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  return t.sent.length > 0 && t.sent.every((id) => t.idle.includes(id)) && k.status === 'idle';
}"""

JS_TRACK_STATE = """() => {
  const t = window.__bpkitTrack;
  const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  return {sent: t.sent.length, answered: t.sent.filter((id) => t.idle.includes(id)).length, status: k.status};
}"""

#: Height of the whole notebook, for a screenshot of all of it.
JS_NOTEBOOK_HEIGHT = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const outer = w.content.node.querySelector('.jp-WindowedPanel-outer') || w.content.node;
  outer.scrollTop = 0;
  return {scroll: outer.scrollHeight, client: outer.clientHeight};
}"""


def js(page, function: str, arg=None, timeout: float = ACTION_MS):
    """``page.evaluate`` with a timeout: ``function(arg)``'s value, read through ``wait_for_function``."""
    wrapped = f"(arg) => ({{value: ({function})(arg)}})"
    return page.wait_for_function(wrapped, arg=arg, timeout=timeout).json_value()["value"]


# --------------------------------------------------------------------------- JupyterLab for the session

@dataclass
class Lab:
    """A JupyterLab server started for this session, serving ``root``."""

    url: str
    token: str
    root: Path
    log: Path

    def notebook_url(self, relpath: str) -> str:
        # ?reset: start from an empty workspace, so no notebook opened before is restored
        return f"{self.url}/lab/tree/{relpath}?reset&token={self.token}"

    def api(self, method: str, path: str, timeout: float = 10) -> bytes:
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()

    def shut_down_kernels(self) -> None:
        for kernel in json.loads(self.api("GET", "/api/kernels")):
            try:
                self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)
            except urllib.error.URLError:
                pass


#: Lab's settings for a test: no news toast, no update check, no kernel dialog, every cell in the DOM.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
        {"windowingMode": "none", "autoStartDefaultKernel": True, "kernelShutdown": True},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}


def chromium_unavailable() -> str | None:
    """Why the browser tests cannot run here, or None if they can."""
    if not CHROMIUM.exists():
        return (f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium; "
                ".ci/run does) or set BPKIT_CHROMIUM")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"Python Playwright is not importable ({error}): pip install -e '.[test]'"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process_group(process: subprocess.Popen) -> None:
    """SIGTERM the server's process group (it then shuts its kernels down), SIGKILL if it lingers."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session")
def chromium_ready() -> None:
    reason = chromium_unavailable()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def lab(chromium_ready, tmp_path_factory) -> Iterator[Lab]:
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "root"
    (root / "solutions").mkdir(parents=True)
    for notebook in widget_notebooks():
        shutil.copy(notebook, root / "solutions" / notebook.name)
    write_broken_notebook(root / "fixtures" / "broken_widget.ipynb")
    dirs = {name: base / name for name in ("config", "data", "settings", "workspaces", "runtime", "ipython")}
    for folder in dirs.values():
        folder.mkdir()
    for name, values in LAB_SETTINGS.items():
        (dirs["settings"] / name).parent.mkdir(parents=True, exist_ok=True)
        (dirs["settings"] / name).write_text(json.dumps(values), encoding="utf-8")
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(dirs["config"]), JUPYTER_DATA_DIR=str(dirs["data"]),
               JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
               JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
               JUPYTER_RUNTIME_DIR=str(dirs["runtime"]), IPYTHONDIR=str(dirs["ipython"]))
    env.pop("MPLBACKEND", None)   # a backend set here would reach the kernels, and figures would vanish
    port, token = free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False",
               "--LabApp.expose_app_in_browser=True"]
    log = base / "jupyterlab.log"
    with open(log, "wb") as log_file:
        process = subprocess.Popen(command, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log_file,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = Lab(url=f"http://127.0.0.1:{port}", token=token, root=root, log=log)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"JupyterLab exited with {process.returncode}; its log {log} ends:\n{tail(log)}")
            try:
                server.api("GET", "/api/status", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer in {SERVER_START_S} s; "
                                f"its log {log} ends:\n{tail(log)}")
                time.sleep(0.25)
        yield server
    finally:
        try:
            server.shut_down_kernels()
        except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
            pass
        stop_process_group(process)


@pytest.fixture(scope="session")
def browser(chromium_ready):
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                                  headless=True, timeout=60_000)
        except Error as error:
            pytest.fail(f"{CHROMIUM} is installed but did not start under Playwright: {error}")
        try:
            yield chromium
        finally:
            chromium.close()


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError as error:
        return f"(unreadable: {error})"


# --------------------------------------------------------------------------- the checker

@dataclass
class Widget:
    """One widget output: where it is and how to name it in a message."""

    cell: int
    output: int
    source: str

    @property
    def selector(self) -> str:
        return f'[data-bpkit-widget="{self.cell}-{self.output}"]'

    @property
    def name(self) -> str:
        """The cell, and the first line of its last statement (the one that usually shows the widget)."""
        lines = self.source.splitlines()
        try:
            shown = lines[ast.parse(self.source).body[-1].lineno - 1].strip()
        except (SyntaxError, IndexError):
            shown = next((line.strip() for line in reversed(lines) if line.strip()), "")
        if len(shown) > 70:
            shown = shown[:67] + "..."
        return f"cell {self.cell} `{shown}`"


def check_notebook(browser, lab: Lab, relpath: str, screens: Path = SCREENS) -> list[str]:
    """Run ``relpath`` in JupyterLab and check every widget it displays; return what was verified.

    Raises AssertionError listing every problem, each naming its widget (cell and source line), after
    saving a screenshot of the page at that moment (its path is in the message).
    """
    from playwright.sync_api import Error as PlaywrightError

    screens.mkdir(parents=True, exist_ok=True)
    stem = Path(relpath).stem
    for old in (screens / f"{stem}.png", screens / f"{stem}-failure.png"):   # no stale pictures
        old.unlink(missing_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(ACTION_MS)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(first_line(m.text)) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(f"uncaught: {first_line(str(e))}"))
    stage = "opening the notebook"
    try:
        page.goto(lab.notebook_url(relpath), timeout=PAGE_LOAD_MS)
        page.wait_for_function(JS_NOTEBOOK_READY, arg=relpath, timeout=PAGE_LOAD_MS)
        stage = "running all cells"
        js(page, JS_RUN_ALL)
        page.wait_for_function(JS_RUN_ALL_FINISHED, timeout=RUN_ALL_MS)
        stage = "reading the cells"
        stage = "checking the widgets"
        verified, problems = inspect_widgets(page, relpath)
        if problems:
            raise AssertionError("\n".join(problems))
        verified.append(f"screenshot {screenshot(page, screens / f'{stem}.png')}")
        verified += [f"browser console error: {line}" for line in console]
        return verified
    except (AssertionError, PlaywrightError) as error:
        try:
            shot = screenshot(page, screens / f"{stem}-failure.png")
        except PlaywrightError as shot_error:
            shot = f"(no screenshot: {shot_error})"
        errors = "\n  ".join(console[-10:]) or "none"
        kind = "" if isinstance(error, AssertionError) else f"while {stage}: "
        if stage == "running all cells":
            kind += f"{unfinished_cells(page)}; "
        raise AssertionError(f"{relpath}: {kind}{error}\nscreenshot: {shot}\n"
                             f"browser console errors (last 10):\n  {errors}") from None
    finally:
        context.close()
        try:
            lab.shut_down_kernels()
        except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
            pass


def unfinished_cells(page) -> str:
    """Which cells had not finished when Run All timed out, for the failure message."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        notebook = js(page, JS_CELLS, WIDGET_MIME, timeout=5_000)
    except PlaywrightError as error:
        return f"(cells unreadable: {first_line(str(error))})"
    waiting = [c["index"] for c in notebook["cells"] if c["source"].strip() and c["count"] is None]
    return f"cells not yet run: {waiting} (kernel {notebook['kernel']})"


def inspect_widgets(page, relpath: str) -> tuple[list[str], list[str]]:
    """Check the executed notebook on ``page``: (what was verified, the problems found), cell by cell."""
    verified: list[str] = []
    problems: list[str] = []
    notebook = js(page, JS_CELLS, WIDGET_MIME)
    cells = notebook["cells"]
    raised = any(out["type"] == "error" for cell in cells for out in cell["outputs"])
    unrun = [c["index"] for c in cells if c["source"].strip() and c["count"] is None]
    if unrun and not raised:
        problems.append(f"cells {unrun} did not run (kernel {notebook['kernel']})")
    widgets = 0
    for cell in cells:
        for k, out in enumerate(cell["outputs"]):
            if out["type"] == "error":
                problems.append(f"cell {cell['index']} raised {out['ename']}: {out['evalue']}")
            elif out["widget"]:
                widgets += 1
                verified_one, problems_one = check_widget(page, Widget(cell["index"], k, cell["source"]))
                verified += verified_one
                problems += problems_one
            elif match := TEXT_REPR.search(out["text"]):
                line = out["text"][match.start():].splitlines()[0][:80]
                problems.append(f"cell {cell['index']} shows a widget as plain text, not as a widget: "
                                f"{line!r}")
    if not widgets:
        problems.append(f"{relpath} imports widgets but displayed none")
    return verified, problems


def check_widget(page, widget: Widget) -> tuple[list[str], list[str]]:
    """Check that ``widget`` rendered, then move each control and see its output change."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    node = page.locator(widget.selector)
    handle = node.element_handle(timeout=ACTION_MS)
    try:
        page.wait_for_function(JS_WIDGET_SETTLED, arg=handle, timeout=RENDER_MS)
    except PlaywrightTimeout:
        text = js(page, "(n) => n.innerText", handle).strip()[:200]
        return [], [f"{widget.name}: widget did not render in {RENDER_MS / 1000:.0f} s (it shows {text!r})"]
    state = js(page, JS_WIDGET_STATE, handle)
    if state["errors"]:
        messages = "; ".join(map(error_widget_message, state["errors"]))
        return [], [f"{widget.name}: widget did not render: {messages}"]
    if "Error displaying widget" in state["text"] or not state["rendered"]:
        return [], [f"{widget.name}: widget did not render: {' '.join(state['text'].split())[:200]!r}"]
    if TEXT_REPR.search(state["text"]):
        return [], [f"{widget.name}: widget shows a plain-text repr: {state['text'][:120]!r}"]
    if not state["controls"]:
        return [], [f"{widget.name}: rendered, but has no slider, dropdown or button to move"]
    if not state["outputs"]:
        return [], [f"{widget.name}: rendered, but has no output area for its controls to drive"]
    verified = [f"{widget.name}: rendered as a widget"]
    problems = []
    for control in state["controls"]:
        try:
            verified.append(f"{widget.name}: {move_control(page, handle, control)}")
        except AssertionError as error:
            problems.append(f"{widget.name}: {error}")
    return verified, problems


def move_control(page, widget_handle, control: dict) -> str:
    """Change one control, wait until the kernel has answered, and check the output changed."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    what = f"{control['kind']} {control['label']!r}"
    locator = page.locator(f'[data-bpkit-control="{control["id"]}"]').first
    before = js(page, JS_OUTPUT_SIGNATURE, widget_handle)
    js(page, JS_TRACK_KERNEL)
    if control["kind"] == "slider":
        readout = locator.locator(".widget-readout")
        old = readout.inner_text().strip() if readout.count() else control["value"]
        at_max = control["value"] is not None and control["value"] == control["max"]
        locator.locator(".noUi-handle").focus()
        for _ in range(3):
            page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
        new = readout.inner_text().strip() if readout.count() else control["value"]
        change = f"{old} -> {new}"
    elif control["kind"] == "dropdown":
        options, old = control["options"], control["value"]
        new = options[(options.index(old) + 1) % len(options)] if old in options else options[0]
        locator.locator("select").select_option(value=new)
        change = f"{control['value']} -> {new}"
    else:
        locator.click()
        change = "clicked"
    try:
        page.wait_for_function(JS_KERNEL_ANSWERED, timeout=KERNEL_REPLY_MS)
    except PlaywrightTimeout:
        track = js(page, JS_TRACK_STATE)
        if not track["sent"]:
            raise AssertionError(f"{what} ({change}) sent nothing to the kernel in "
                                 f"{KERNEL_REPLY_MS / 1000:.0f} s") from None
        raise AssertionError(f"{what} ({change}): the kernel answered {track['answered']} of "
                             f"{track['sent']} messages in {KERNEL_REPLY_MS / 1000:.0f} s "
                             f"(kernel {track['status']})") from None
    after = settled_signature(page, widget_handle, before["hash"])
    if after["hash"] == before["hash"]:
        raise AssertionError(f"{what} ({change}): the kernel answered, but the output it drives did not "
                             f"change (it shows {after['text'][:80]!r}, {after['images']} image(s))")
    if not after["text"] and not after["images"]:
        raise AssertionError(f"{what} ({change}): the output it drives is empty afterwards")
    shown = f"{after['images']} image(s)" if after["images"] else repr(after["text"][:60])
    return f"{what} {change}: output changed (now {shown})"


def settled_signature(page, widget_handle, before: str) -> dict:
    """The output's signature once it differs from ``before`` and holds still, or as it is after SETTLE_MS."""
    deadline = time.monotonic() + SETTLE_MS / 1000
    last = js(page, JS_OUTPUT_SIGNATURE, widget_handle)
    while time.monotonic() < deadline:
        page.wait_for_timeout(200)
        now = js(page, JS_OUTPUT_SIGNATURE, widget_handle)
        if now["hash"] == last["hash"] and now["hash"] != before:
            return now
        last = now
    return last


def first_line(text: str, width: int = 200) -> str:
    return (text.strip().splitlines() or [""])[0][:width]


def error_widget_message(text: str) -> str:
    """An error widget's text, without its how-to line and the JavaScript stack."""
    text = " ".join(re.sub(r"\[Open Browser Console[^\]]*\]", "", text).split())
    return re.split(r" at \S+ \(", text, maxsplit=1)[0][:300]


def screenshot(page, path: Path) -> Path:
    """The whole notebook in one picture: the viewport grows to the notebook's height first."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        height = js(page, JS_NOTEBOOK_HEIGHT, timeout=5_000)
        extra = max(0, height["scroll"] - height["client"])
        page.set_viewport_size({"width": 1280, "height": min(900 + extra, 12_000)})
        page.wait_for_timeout(300)
    except PlaywrightError:   # no notebook on the page: a picture of what is there is still wanted
        pass
    page.screenshot(path=str(path), timeout=ACTION_MS)
    return path


# --------------------------------------------------------------------------- the broken notebook

BROKEN_WIDGET = '''\
import ipywidgets as widgets
from traitlets import Unicode


class BrokenGauge(widgets.DOMWidget):
    """A widget whose JavaScript module does not exist: no browser can render it."""
    _model_module = Unicode("bpkit-no-such-widget-module").tag(sync=True)
    _model_module_version = Unicode("0.0.1").tag(sync=True)
    _model_name = Unicode("BrokenGaugeModel").tag(sync=True)
    _view_module = Unicode("bpkit-no-such-widget-module").tag(sync=True)
    _view_module_version = Unicode("0.0.1").tag(sync=True)
    _view_name = Unicode("BrokenGaugeView").tag(sync=True)


BrokenGauge()
'''

#: What a widget looks like to a front end without a widget manager.
TEXT_ONLY_WIDGET = '''\
from IPython.display import display

display({"text/plain": "VBox(children=(IntSlider(value=3, description='n'),))"}, raw=True)
'''

#: A widget that renders, but whose slider changes nothing it shows.
FROZEN_WIDGET = '''\
def frozen_output(n):
    print("this never changes")


widgets.interactive(frozen_output, n=widgets.IntSlider(value=1, min=0, max=5, description="frozen"))
'''


def write_broken_notebook(path: Path) -> None:
    """A widget that cannot render, a widget's plain-text repr, and a slider that changes nothing."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("Negative control of the browser tests."),
                nbformat.v4.new_code_cell(BROKEN_WIDGET), nbformat.v4.new_code_cell(TEXT_ONLY_WIDGET),
                nbformat.v4.new_code_cell(FROZEN_WIDGET)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


# --------------------------------------------------------------------------- the tests

NOTEBOOKS = widget_notebooks()


def test_some_solution_notebooks_have_widgets():
    assert NOTEBOOKS, f"no notebook in {SOLUTIONS} imports ipywidgets or bpkit.widgets"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_widgets_render_and_respond(notebook, browser, lab, record_property, capsys):
    verified = check_notebook(browser, lab, f"solutions/{notebook.name}")
    for n, line in enumerate(verified):
        record_property(f"verified-{n}", line)
    with capsys.disabled():
        print(f"\n[browser] {notebook.name}:\n  " + "\n  ".join(verified))


def test_checker_fails_on_widgets_that_do_not_work(browser, lab, capsys):
    """The negative control: the same checker, on a notebook whose widgets are broken, fails naming each."""
    with pytest.raises(AssertionError) as failure:
        check_notebook(browser, lab, "fixtures/broken_widget.ipynb")
    message = str(failure.value)
    # the widget that cannot render is named, with why
    assert "`BrokenGauge()`: widget did not render" in message, message
    assert "Failed to load model class 'BrokenGaugeModel'" in message, message
    # the widget shown as plain text
    assert "cell 2 shows a widget as plain text" in message and "VBox(children=" in message, message
    # the slider that changes nothing it shows
    assert "slider 'frozen' (1 -> 4)" in message and "did not change" in message, message
    assert "broken_widget-failure.png" in message, message
    with capsys.disabled():
        print("\n[browser] the negative control failed as it should:\n  " + message.replace("\n", "\n  "))
