"""bpkit.mine: the learner's library, collected from their saved notebooks; bpkit's stand-ins."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import bpkit
from bpkit import mine
from bpkit.grader import (
    check_backward_batch,
    check_forward_step,
    check_init_weights,
    check_train,
    check_update_parameters,
)

ROOT = Path(__file__).resolve().parent.parent


def write_notebook(path: Path, *cells: tuple[str, str | None]) -> None:
    """A notebook of code cells ``(source, tag or None)``, as JupyterLab saves it."""
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "id": f"c{i}", "execution_count": None, "outputs": [],
         "metadata": {"tags": [tag]} if tag else {}, "source": source.splitlines(True)}
        for i, (source, tag) in enumerate(cells)]}
    path.write_text(json.dumps(nb), encoding="utf-8")


SIGMOID = "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n"
STUB_FORWARD = "def forward_step(W, a_prev, b, sigma):\n    raise NotImplementedError()\n"
SUM_NOT_MEAN = '''
def backward_batch(W, b, X, Y):
    L = len(W) - 1
    a, z = [X], [None]
    for l in range(1, L + 1):
        z.append(W[l] @ a[-1] + b[l])
        a.append(1 / (1 + np.exp(-z[-1])))
    delta = (a[L] - Y) * a[L] * (1 - a[L])          # the 1/m forgotten
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        dW[l] = delta @ a[l - 1].T
        db[l] = delta.sum(axis=1, keepdims=True)
        if l > 1:
            delta = (W[l].T @ delta) * a[l - 1] * (1 - a[l - 1])
    return dW, db
'''
RAISES = "helper = undefined_name\n\ndef update_parameters(W, b, dW, db, learning_rate):\n    return W, b\n"
NOISY_INIT = '''
for i in range(20000):
    print("a line the learner printed", i)
print("and to stderr", file=sys.stderr)

def init_weights(sizes, method, seed):
    rng = np.random.default_rng(seed)
    W, b = [None], [None]
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        gain = 2.0 if method == "he" else 2.0 * n_in / (n_in + n_out)
        W.append(rng.normal(0.0, math.sqrt(gain / n_in), (n_out, n_in)))
        b.append(np.zeros((n_out, 1)))
    return W, b
'''


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A learner's folder: one lesson right, one stub, one wrong, one that raises, one that prints a lot."""
    write_notebook(tmp_path / "00-welcome.ipynb", ("import numpy as np", None), (SIGMOID, "exercise:sigmoid"))
    write_notebook(tmp_path / "01-forward-pass.ipynb", (STUB_FORWARD, "exercise:forward-step"))
    write_notebook(tmp_path / "07-mini-batches.ipynb", (SUM_NOT_MEAN, "exercise:backward-batch"))
    write_notebook(tmp_path / "08-training.ipynb", (RAISES, "exercise:update-parameters"))
    write_notebook(tmp_path / "10-initialisation.ipynb", ("import math\nimport sys", None),
                   (NOISY_INIT, "exercise:init-weights"), ("print(init_weights)", None))
    return tmp_path


TABLE = """\
Your library, from the notebooks in {folder}:
  function           lesson  used
  sigmoid            00      yours (passed its check)
  forward_step       01      bpkit's (not attempted yet)
  backward_batch     07      bpkit's (its check fails: right for one example, wrong for a batch of 7: \
sum instead of mean over the batch)
  update_parameters  08      bpkit's (its cell raised NameError)
  init_weights       10      yours (passed its check)
2 of 5 are yours so far: pass a lesson's check, save its notebook, and run collect() again."""


def test_the_library_grows_as_checks_pass_and_the_table_says_why(folder, capsys):
    library = mine.collect(folder)
    assert str(library) == TABLE.format(folder=folder)
    assert capsys.readouterr() == ("", "")          # what the cells printed is not shown
    assert library.yours == ["sigmoid", "init_weights"]
    z = np.linspace(-3, 3, 7).reshape(1, 7)
    assert library.sigmoid is not bpkit.sigmoid and np.allclose(library.sigmoid(z), bpkit.sigmoid(z))
    assert library.forward_step is mine.forward_step and library.backward_batch is mine.backward_batch
    assert library.update_parameters is mine.update_parameters


def test_the_table_is_deterministic(folder):
    assert str(mine.collect(folder)) == str(mine.collect(folder)) == repr(mine.collect(folder))


def test_collecting_writes_nothing(folder):
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.rglob("*")}
    mine.collect(folder)
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.rglob("*")} == before


def test_the_collected_init_takes_the_method(folder):
    W, b = mine.collect(folder).init_weights([40, 100, 50], "xavier", 3)
    assert [w.shape for w in W[1:]] == [(100, 40), (50, 100)] and all(not v.any() for v in b[1:])
    assert abs(W[1].var() - 2 / 140) < 0.2 * 2 / 140            # Xavier's variance, not He's
    W_he, _ = mine.collect(folder).init_weights([40, 100, 50], "he", 3)
    assert abs(W_he[1].var() - 2 / 40) < 0.2 * 2 / 40


def test_problems_with_a_notebook_are_named(tmp_path):
    (tmp_path / "00-welcome.ipynb").write_text("{ not json", encoding="utf-8")
    no_colon = "def forward_step(W, a_prev, b, sigma)\n    pass"
    write_notebook(tmp_path / "01-forward-pass.ipynb", (no_colon, "exercise:forward-step"))
    write_notebook(tmp_path / "07-mini-batches.ipynb", (SIGMOID, None))
    write_notebook(tmp_path / "08-training.ipynb", ("x = 1", "exercise:update-parameters"))
    text = str(mine.collect(tmp_path))
    assert "sigmoid            00      bpkit's (00-welcome.ipynb cannot be read (JSONDecodeError))" in text
    assert "bpkit's (its cell in 01-forward-pass.ipynb does not compile)" in text
    assert "bpkit's (no cell tagged exercise:backward-batch in 07-mini-batches.ipynb)" in text
    assert "bpkit's (its cell defines no function update_parameters)" in text
    assert "bpkit's (no notebook 10-*.ipynb here)" in text


def test_magics_and_imports_from_other_cells_are_handled(tmp_path):
    write_notebook(tmp_path / "00-welcome.ipynb", ("%matplotlib inline\nfrom math import e", None),
                   ("%time\ndef sigmoid(z):\n    return 1 / (1 + e ** (-z))", "exercise:sigmoid"))
    assert mine.collect(tmp_path).yours == ["sigmoid"]


def test_the_course_solutions_are_all_yours_and_the_released_lessons_none():
    assert mine.collect(ROOT / "solutions").yours == [s.name for s in mine.SOURCES]
    lessons = mine.collect(ROOT / "lessons")
    assert lessons.yours == [] and all(r.reason == "not attempted yet" for r in lessons.rows)


# --------------------------------------------------------------------------- bpkit's stand-ins

def test_the_stand_ins_pass_the_lessons_own_checks():
    assert check_forward_step(mine.forward_step).passed
    assert check_backward_batch(mine.backward_batch).passed      # against central differences
    assert check_update_parameters(mine.update_parameters).passed   # new lists, inputs unchanged
    assert check_init_weights(mine.init_weights).passed


def test_the_reference_loop_passes_check_train_and_matches_network_train():
    assert check_train(mine.reference_train).passed
    X, Y = bpkit.data.moons(60, noise=0.1, seed=1)
    W, b, losses = mine.reference_train(X, Y, [2, 5, 1], 4, 7, 3.0, 2, mine.collect("no-such-folder"))
    net = bpkit.Network([2, 5, 1], seed=2)
    history = net.train(X, Y, epochs=4, batch_size=7, learning_rate=3.0, seed=2, progress=False,
                        evaluate_every=1)              # the full-data loss after every epoch
    for l in (1, 2):
        np.testing.assert_allclose(W[l], net.W[l], rtol=0, atol=1e-12)
    np.testing.assert_allclose(losses, history.loss, rtol=1e-12)


def test_a_copy_of_a_lesson_is_used_when_the_lessons_own_notebook_does_not_pass(tmp_path):
    write_notebook(tmp_path / "00-welcome.ipynb", ("def sigmoid(z):\n    raise NotImplementedError()",
                                                   "exercise:sigmoid"))
    assert "bpkit's (not attempted yet)" in str(mine.collect(tmp_path))
    write_notebook(tmp_path / "00-welcome-Copy1.ipynb", (SIGMOID, "exercise:sigmoid"))
    assert mine.collect(tmp_path).yours == ["sigmoid"]
