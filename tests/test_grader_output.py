"""Reports are deterministic text and valid HTML; call and judge only exchange arrays."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from html.parser import HTMLParser

import grader_solutions as ok
import numpy as np
import pytest
from grader_bugs import BUGS

from bpkit.grader import EXERCISES, CheckResult, run_check
from bpkit.grader.calling import STATUS

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = [b for b in BUGS if not b[0].startswith("stub-")][::4] + [BUGS[0]]


def _texts(bugs):
    return [(str(r), r._repr_html_()) for r in (run_check(b[1], b[2]) for b in bugs)]


def test_two_runs_give_identical_text_and_html():
    assert _texts(SAMPLE) == _texts(SAMPLE)


def test_another_process_gives_identical_text():
    """A fresh interpreter (other hash seed, other memory layout) prints the very same reports."""
    names = [b[0] for b in SAMPLE]
    code = (
        f"import sys; sys.path[:0] = [{HERE!r}]\n"
        "from grader_bugs import BUGS\n"
        "from bpkit.grader import run_check\n"
        f"names = {names!r}\n"
        "for b in BUGS:\n"
        "    if b[0] in names:\n"
        "        r = run_check(b[1], b[2]); print(str(r)); print(r._repr_html_()); print('=====')\n"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    here = "".join(f"{t}\n{h}\n=====\n" for (t, h) in (_texts([b for b in BUGS if b[0] in names])))
    assert out.stdout == here
    assert out.stderr == ""


def test_no_volatile_content():
    for text, _ in _texts(SAMPLE):
        for bad in ("0x", " at 0x", "/tmp/", "ipykernel", " ms", "seconds", "<function"):
            assert bad not in text, (bad, text)


class _Checker(HTMLParser):
    VOID = {"br", "hr", "img"}

    def __init__(self):
        super().__init__()
        self.stack, self.text = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (self.stack, tag)
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


@pytest.mark.parametrize("bug", SAMPLE, ids=lambda b: b[0])
def test_html_renders(bug):
    result = run_check(bug[1], bug[2])
    html = result._repr_html_()
    parser = _Checker()
    parser.feed(html)
    parser.close()
    assert parser.stack == []
    text = "".join(parser.text)
    assert result.headline() in text
    for v in result.verdicts:
        if result._show_table():
            assert v.description in text
    colour = "#2e7d32" if result.passed else ("#9a6700" if result.status == "not attempted" else "#c62828")
    assert colour in html


def test_passing_html_and_text():
    result = run_check("backprop-error", ok.backprop_error)
    assert str(result) == "check_backprop_error: PASSED -- 3 of 3 cases correct (score 1.00)"
    assert "&#10004;" in result._repr_html_()


def test_result_api():
    result = run_check("backward-batch", BUGS[[b[0] for b in BUGS].index("sum-not-mean")][2])
    assert isinstance(result, CheckResult)
    assert result.score == 0.0 and not result.passed
    assert result.diagnoses == ["mistake"] * 3
    assert result.mistakes == ["sum-not-mean"]
    assert repr(result) == str(result)


# --------------------------------------------------------------------------- call / judge split

def _roundtrip(outputs):
    """What an instructor's worker would send: an .npz written and read without pickling."""
    buf = io.BytesIO()
    np.savez(buf, **outputs)
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


@pytest.mark.parametrize("bug", [b for b in BUGS if not b[0].startswith("stub-")] + [BUGS[0]],
                         ids=lambda b: b[0])
def test_call_returns_only_arrays_and_judge_needs_nothing_else(bug):
    name, exercise_id, fn, _ = bug
    ex = EXERCISES[exercise_id]
    for case in ex.make_cases(0):
        outputs = ex.call(fn, case)
        assert all(isinstance(k, str) and isinstance(v, np.ndarray) for k, v in outputs.items())
        assert all(v.dtype.kind in "biufU" for v in outputs.values())
        assert STATUS in outputs
        direct = ex.judge(case, outputs)
        shipped = ex.judge(case, _roundtrip(outputs))
        assert (direct.passed, direct.diagnosis, direct.title, direct.lines) == \
               (shipped.passed, shipped.diagnosis, shipped.title, shipped.lines)


def test_judge_survives_corrupt_or_hostile_outputs():
    ex = EXERCISES["backprop-error"]
    case = ex.make_cases(0, 1)[0]
    good = ex.call(ok.backprop_error, case)
    for outputs in (
        {},
        {STATUS: np.array("not json")},
        {STATUS: np.array(b"bytes")},
        {STATUS: np.zeros(3)},
        {STATUS: np.array('{"kind": 3}')},
        {STATUS: good[STATUS]},                                   # status ok, answer missing
        {STATUS: good[STATUS], "delta": np.array(["x", "y"])},
        {STATUS: good[STATUS], "delta": good["delta"].astype(complex)},
        {STATUS: np.array('{"kind": "exception", "frame": 5, "message": "' + "x" * 10000 + '"}')},
    ):
        verdict = ex.judge(case, outputs)
        assert not verdict.passed
    assert ex.judge(case, good).passed


def test_judge_uses_the_grader_truth_not_anything_the_worker_says():
    """A worker claiming 'ok' with wrong arrays still fails; the truth is recomputed in the parent."""
    ex = EXERCISES["weight-gradient"]
    case = ex.make_cases(0, 1)[0]
    outputs = ex.call(ok.weight_gradient, case)
    outputs["dW"] = outputs["dW"] * 1.5
    assert not ex.judge(case, outputs).passed


def test_call_does_not_share_arrays_with_the_case():
    ex = EXERCISES["backprop-error"]
    case = ex.make_cases(0, 1)[0]
    before = {k: v.copy() for k, v in case.arrays.items()}

    def vandal(W_next, delta_next, z, sigma_prime):
        W_next[...] = 0
        delta_next[...] = 0
        z[...] = 0
        return z

    ex.call(vandal, case)
    for k in before:
        np.testing.assert_array_equal(case.arrays[k], before[k])


def test_call_in_another_process_then_judge_here(tmp_path):
    """The instructor grader's split: cases go out as arrays, answers come back as arrays."""
    ex = EXERCISES["backward-batch"]
    cases = ex.make_cases(11, 2)
    for i, case in enumerate(cases):
        np.savez(tmp_path / f"case{i}.npz", **case.to_arrays())
    worker = (
        f"import sys; sys.path[:0] = [{HERE!r}]\n"
        "import numpy as np\n"
        "from grader_bugs import make_backward\n"
        "from bpkit.grader import EXERCISES, Case\n"
        "for i in range(2):\n"
        f"    with np.load({str(tmp_path)!r} + f'/case{{i}}.npz', allow_pickle=False) as d:\n"
        "        case = Case.from_arrays({k: d[k] for k in d.files})\n"
        "    out = EXERCISES[case.exercise].call(make_backward(mean=False), case)\n"
        f"    np.savez({str(tmp_path)!r} + f'/out{{i}}.npz', **out)\n"
    )
    subprocess.run([sys.executable, "-c", worker], check=True, capture_output=True)
    for i, case in enumerate(cases):
        with np.load(tmp_path / f"out{i}.npz", allow_pickle=False) as d:
            verdict = ex.judge(case, {k: d[k] for k in d.files})
        assert verdict.diagnosis == "mistake" and "sum-not-mean" in verdict.mistakes


# --------------------------------------------------------------------------- where an entry is

def test_positions_say_how_they_count():
    """numpy's row and column count from 0; units, inputs and examples count from 1, as in the lessons."""
    def backward(W, b, x, y):
        dW, db = ok.backward(W, b, x, y)
        dW[1] = dW[1] * 1.01
        return dW, db

    text = str(run_check("backward", backward))
    assert "Layers 2 and 3 are right." in text
    worst = next(line for line in text.splitlines() if "Worst entry" in line)
    row, col = (int(k) for k in worst.split("dW[1][", 1)[1].split("]", 1)[0].split(", "))
    assert (f"dW[1][{row}, {col}] (row {row}, column {col}, counting from 0: "
            f"unit {row + 1} of layer 1, input {col + 1}):") in worst

    def backprop_error(W_next, delta_next, z, sigma_prime):
        d = (W_next.T @ delta_next) * sigma_prime(z)
        d[1] *= 1.1
        return d

    text = str(run_check("backprop-error", backprop_error))
    assert "Worst entry delta[1, 0] (row 1, column 0, counting from 0: unit 2 of layer l):" in text


def test_one_wrong_row_or_column_is_named_both_ways():
    def backward_batch(W, b, X, Y):
        dW, db = ok.backward_batch(W, b, X, Y)
        L = len(W) - 1
        dW[L] = dW[L].copy()
        dW[L][1] *= 1.5                                  # one unit of the output layer
        return dW, db

    result = run_check("backward-batch", backward_batch, n_cases=1)
    L = result.verdicts[0].description.count("-")
    assert f"all in row 1 (counting from 0: unit 2 of layer {L})." in str(result)


def test_layer_ranges_read_as_words():
    from bpkit.grader.exercises.base import layers_text

    assert layers_text(3, 3) == "Layer 3 is"
    assert layers_text(2, 3) == "Layers 2 and 3 are"
    assert layers_text(2, 5) == "Layers 2 to 5 are"


def test_a_changed_input_names_its_entry_the_same_way():
    def update_parameters(W, b, dW, db, learning_rate):
        W[1][0, 2] += 1.0
        return ok.update_parameters(W, b, dW, db, learning_rate)

    text = str(run_check("update-parameters", update_parameters))
    assert "W[1][0, 2] (row 0, column 2, counting from 0) was " in text
