r"""Your own library: the functions you wrote in lessons 00-10, collected from your saved notebooks.

The capstone (lesson 13) trains a network with **your** forward step, batched
backward pass, update and initialisation. :func:`collect` finds them: it reads
the lesson notebooks in a folder (by default the one the capstone runs in,
which in JupyterLab is your ``lessons/``), takes each exercise cell, the cell
tagged ``exercise:<id>`` exactly as you saved it, runs it on its own in a fresh
namespace, and runs that exercise's check on the function it defines. A
function joins your library when its check passes; until then bpkit's own
function of the same signature stands in, so the capstone always runs.

================== ======  ================================================
function           lesson  signature
================== ======  ================================================
sigmoid            00      ``sigmoid(z)``
forward_step       01      ``forward_step(W, a_prev, b, sigma) -> (z, a)``
backward_batch     07      ``backward_batch(W, b, X, Y) -> (dW, db)``
update_parameters  08      ``update_parameters(W, b, dW, db, learning_rate) -> (W, b)``
init_weights       10      ``init_weights(sizes, method, seed) -> (W, b)``
================== ======  ================================================

It reads only: nothing is written anywhere. Save your notebooks first (the
check reads the files, not your open kernels). The cells run in *this*
kernel, so they can do anything your own code can; a cell that never ends
stops the collection too (interrupt the kernel, fix that cell, save, rerun).

>>> library = collect("no-such-folder")
>>> print(library)
Your library, from the notebooks in no-such-folder:
  function           lesson  used
  sigmoid            00      bpkit's (no notebook 00-*.ipynb here)
  forward_step       01      bpkit's (no notebook 01-*.ipynb here)
  backward_batch     07      bpkit's (no notebook 07-*.ipynb here)
  update_parameters  08      bpkit's (no notebook 08-*.ipynb here)
  init_weights       10      bpkit's (no notebook 10-*.ipynb here)
0 of 5 are yours so far: pass a lesson's check, save its notebook, and run collect() again.
>>> W, b = library.init_weights([2, 3, 1], "xavier", 0)
>>> [w.shape for w in W[1:]]
[(3, 2), (1, 3)]
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .activations import sigmoid as _bpkit_sigmoid
from .equations import backprop_error, bias_gradient, output_error, sgd_update, weight_gradient
from .equations import forward_step as _bpkit_forward_step
from .losses import mse
from .network import init_weights as _bpkit_init_weights

Array = np.ndarray
#: The tag of an exercise's cell, and what runs before it (as when an instructor grades).
EXERCISE_TAG = "exercise:"
PREAMBLE = ["import numpy as np", "import bpkit"]
_MAGIC = re.compile(r"^(\s*)[%!]")


# --------------------------------------------------------------------------- bpkit's stand-ins

def forward_step(W: Array, a_prev: Array, b: Array, sigma: Callable) -> tuple[Array, Array]:
    """bpkit's forward step with lesson 01's signature: z = W a_prev + b, a = sigma(z).

    ``sigma`` is a function (your ``sigmoid``, or ``bpkit.sigmoid``).
    """
    z, _ = _bpkit_forward_step(W, a_prev, b, "identity")
    return z, sigma(z)


def backward_batch(W: list, b: list, X: Array, Y: Array) -> tuple[list, list]:
    """bpkit's Equations 1-4 for a batch with lesson 07's signature (sigmoid layers, mean MSE with the ½).

    Args:
        W, b: lists [None, W[1], ..., W[L]] and [None, b[1], ..., b[L]].
        X: inputs (n_0, m); Y: targets (n_L, m).

    Returns:
        (dW, db), lists indexed like W and b.
    """
    L = len(W) - 1
    z, a = [None], [X]
    for l in range(1, L + 1):
        z_l, a_l = _bpkit_forward_step(W[l], a[l - 1], b[l], "sigmoid", layer=l)
        z.append(z_l)
        a.append(a_l)
    delta = output_error(mse.gradient(a[L], Y), z[L], "sigmoid", layer=L)          # Equation 1
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        dW[l] = weight_gradient(delta, a[l - 1], layer=l)                             # Equation 3
        db[l] = bias_gradient(delta, layer=l)                                         # Equation 4
        if l > 1:
            delta = backprop_error(W[l], delta, z[l - 1], "sigmoid", layer=l - 1)     # Equation 2
    return dW, db


def update_parameters(W: list, b: list, dW: list, db: list, learning_rate: float) -> tuple[list, list]:
    """bpkit's gradient-descent step with lesson 08's signature: new lists W[l] - learning_rate dW[l], ..."""
    L = len(W) - 1
    return ([None] + [sgd_update(W[l], dW[l], learning_rate, name=f"W[{l}]") for l in range(1, L + 1)],
            [None] + [sgd_update(b[l], db[l], learning_rate, name=f"b[{l}]") for l in range(1, L + 1)])


def init_weights(sizes: list[int], method: str, seed: int) -> tuple[list, list]:
    """bpkit's initialisation with lesson 10's signature: ``method`` is ``"xavier"`` or ``"he"``."""
    return _bpkit_init_weights(sizes, method, seed)


def reference_train(X: Array, Y: Array, sizes: list[int], epochs: int, batch_size: int,
                    learning_rate: float, seed: int, parts: Any) -> tuple[list, list, list[float]]:
    """bpkit's training loop with lesson 13's signature, built from ``parts`` (what the capstone
    falls back on while your ``train`` has not passed its check).

    Returns:
        (W, b, losses): the final weights and the mean loss on all of X after each epoch.
    """
    W, b = parts.init_weights(sizes, "xavier", seed)
    rng = np.random.default_rng(seed)
    m = X.shape[1]
    losses = []
    for _ in range(epochs):
        order = rng.permutation(m)
        for start in range(0, m, batch_size):
            idx = order[start:start + batch_size]
            dW, db = parts.backward_batch(W, b, X[:, idx], Y[:, idx])
            W, b = parts.update_parameters(W, b, dW, db, learning_rate)
        a = X
        for l in range(1, len(W)):
            _, a = parts.forward_step(W[l], a, b[l], parts.sigmoid)
        losses.append(float(0.5 * np.sum((a - Y) ** 2) / m))
    return W, b, losses


# --------------------------------------------------------------------------- what is collected

@dataclass(frozen=True)
class Source:
    """Where one library function comes from: its lesson and the exercise ids and function names
    it has had (the newest first), and bpkit's stand-in."""

    name: str
    lesson: int
    names: tuple[tuple[str, str], ...]          # (exercise id, function name)
    fallback: Callable


SOURCES = (
    Source("sigmoid", 0, (("sigmoid", "sigmoid"),), _bpkit_sigmoid),
    Source("forward_step", 1, (("forward-step", "forward_step"),), forward_step),
    Source("backward_batch", 7, (("backward-batch", "backward_batch"),), backward_batch),
    Source("update_parameters", 8, (("update-parameters", "update_parameters"),), update_parameters),
    Source("init_weights", 10, (("init-weights", "init_weights"),), init_weights),
)


@dataclass(frozen=True)
class Row:
    """One line of the library's table: a function, its lesson, and whose is used (and why)."""

    name: str
    lesson: int
    yours: bool
    reason: str


@dataclass
class Library:
    """The five building blocks, yours where their checks passed and bpkit's elsewhere.

    Pass it wherever the capstone wants ``parts``: ``library.backward_batch(W, b, X, Y)``.
    """

    sigmoid: Callable
    forward_step: Callable
    backward_batch: Callable
    update_parameters: Callable
    init_weights: Callable
    rows: list[Row] = field(default_factory=list)
    folder: str = "."

    @property
    def yours(self) -> list[str]:
        """The names of the functions that are yours."""
        return [r.name for r in self.rows if r.yours]

    def __str__(self) -> str:
        where = "this folder" if self.folder in ("", ".") else self.folder
        lines = [f"Your library, from the notebooks in {where}:", "  function           lesson  used"]
        for r in self.rows:
            used = "yours" if r.yours else "bpkit's"
            lines.append(f"  {r.name:<18} {r.lesson:02d}      {used} ({r.reason})")
        n = len(self.yours)
        lines.append(f"{n} of {len(self.rows)} are yours" + (
            "." if n == len(self.rows) else
            " so far: pass a lesson's check, save its notebook, and run collect() again."))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


def collect(folder: str | Path = ".") -> Library:
    """Your library, collected from the lesson notebooks in ``folder`` (see the module's help).

    Args:
        folder: where your lessons are saved; the capstone's own folder by default.

    Returns:
        A :class:`Library`; ``print`` it for the table of what is yours.
    """
    base = Path(folder)
    chosen: dict[str, Callable] = {}
    rows = []
    for source in SOURCES:
        fn, reason = _yours(base, source)
        rows.append(Row(source.name, source.lesson, fn is not None, reason))
        chosen[source.name] = fn if fn is not None else source.fallback
    return Library(rows=rows, folder=str(folder), **chosen)


def _known(source: Source) -> list[tuple[str, str]]:
    """The (exercise id, function name) pairs of ``source`` that the grader knows today."""
    from .grader import EXERCISES

    return [(i, f) for i, f in source.names if i in EXERCISES]


def _notebooks(base: Path, lesson: int) -> list[Path]:
    """The notebooks of a lesson in ``base``, the shortest name (the lesson's own) first, then copies
    such as ``07-mini-batches-Copy1.ipynb``."""
    if not base.is_dir():
        return []
    return sorted((p for p in base.glob(f"{lesson:02d}-*.ipynb") if p.is_file()),
                  key=lambda p: (len(p.name), p.name))


def _code_cells(path: Path) -> list[tuple[list[str], str]]:
    """``(tags, source)`` of each code cell of a notebook (read as the JSON it is; nbformat's
    schema validation is not needed to find a cell, and takes seconds to import)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise ValueError("it has no cells")
    out = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        tags = (cell.get("metadata") or {}).get("tags") or []
        out.append(([t for t in tags if isinstance(t, str)] if isinstance(tags, list) else [],
                    "".join(map(str, src)) if isinstance(src, list) else str(src)))
    return out


def _imports(cells: list[tuple[list[str], str]], used: set[str]) -> list[str]:
    """The import statements of the notebook that bind a name the exercise cell uses (as grading does)."""
    found = []
    for _, source in cells:
        try:
            tree = ast.parse(_no_magics(source))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)) and not getattr(node, "level", 0):
                names = {a.asname or a.name.split(".")[0] for a in node.names if a.name != "*"}
                if names & used and ast.unparse(node) not in found:
                    found.append(ast.unparse(node))
    return found


def _no_magics(source: str) -> str:
    """IPython magics and shell lines (``%time``, ``!pip``) become ``pass``."""
    return "\n".join(_MAGIC.sub(r"\1pass  # ", line) for line in source.split("\n"))


def _yours(base: Path, source: Source) -> tuple[Callable | None, str]:
    """The learner's function for ``source`` and why it is used, or ``None`` and why not
    (the reason of the lesson's own notebook when no copy of it passes either)."""
    paths = _notebooks(base, source.lesson)
    if not paths:
        return None, f"no notebook {source.lesson:02d}-*.ipynb here"
    first = ""
    for path in paths:
        fn, reason = _from_notebook(path, source)
        if fn is not None:
            return fn, reason
        first = first or reason
    return None, first


def _from_notebook(path: Path, source: Source) -> tuple[Callable | None, str]:
    try:
        cells = _code_cells(path)
    except (OSError, ValueError) as err:
        return None, f"{path.name} cannot be read ({type(err).__name__})"
    for exercise_id, name in _known(source):
        tagged = [src for tags, src in cells if EXERCISE_TAG + exercise_id in tags]
        if not tagged:
            continue
        try:
            tree = ast.parse(_no_magics(tagged[-1]))
        except SyntaxError:
            return None, f"its cell in {path.name} does not compile"
        used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        fn, problem = _run_cell(PREAMBLE + _imports(cells, used), _no_magics(tagged[-1]), name)
        if fn is None:
            return None, problem
        return _checked(source, exercise_id, name, fn)
    return None, f"no cell tagged exercise:{source.names[0][0]} in {path.name}"


def _run_cell(imports: list[str], cell: str, name: str) -> tuple[Callable | None, str]:
    """Run the exercise cell (after the imports it needs) in a fresh namespace; what it printed is dropped."""
    namespace: dict[str, Any] = {"__name__": "__bpkit_mine__"}
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for statement in imports:
                exec(compile(statement, "<imports>", "exec"), namespace)
            exec(compile(cell, "<exercise cell>", "exec"), namespace)
    except Exception as exc:  # noqa: BLE001 -- a learner's cell may raise anything
        return None, f"its cell raised {type(exc).__name__}"
    fn = namespace.get(name)
    if not callable(fn):
        return None, f"its cell defines no function {name}"
    return fn, ""


def _checked(source: Source, exercise_id: str, name: str, fn: Callable) -> tuple[Callable | None, str]:
    """``fn`` (adapted to the library's signature) if the exercise's public check passes it."""
    from .grader import run_check

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        result = run_check(exercise_id, fn)
    if result.passed:
        return fn, "passed its check"
    if result.status == "not attempted":
        return None, "not attempted yet"
    return None, f"its check fails: {result.failures[0].title}"
