"""Every diagnosis: a buggy answer that makes the mistake fails *with that diagnosis named*,
and the correct answer to the same exercise passes."""

from __future__ import annotations

import linecache
import sys

import grader_solutions as ok
import numpy as np
import pytest
from grader_bugs import BUGS

from bpkit.grader import EXERCISES, check_backprop_error, check_sigmoid, run_check
from bpkit.grader.result import ORDER

TITLES = {                      # what the report must say for each diagnosis
    "not-attempted": "not attempted yet",
    "exception": "raised",
    "not-an-array": None,       # several wordings: checked per bug below
    "not-finite": "NaN or inf",
    "shape": "has shape",
    "mutated": None,
    "float32": "float32",
    "mismatch": "Worst entry",
}


def _ids(bug):
    return bug[0]


@pytest.mark.parametrize("bug", BUGS, ids=_ids)
def test_bug_is_diagnosed_and_named(bug):
    name, exercise_id, fn, expected = bug
    result = run_check(exercise_id, fn)
    text = str(result)
    kind, _, detail = expected.partition(":")
    assert "grader-error" not in result.diagnoses
    if kind == "float32":
        assert result.passed and "float32" in result.diagnoses
        assert "float32" in text
        return
    assert not result.passed, text
    first = result.failures[0]
    assert first.diagnosis == kind, (first.diagnosis, text)
    if kind == "mistake":
        assert detail in first.mistakes, (first.mistakes, text)
        assert first.title in text
    elif kind == "shape":
        assert first.cause == detail, (first.cause, text)
        assert "Likely cause" in text
    elif TITLES.get(kind):
        assert TITLES[kind] in text, text
    # a correct answer to the same exercise passes
    assert run_check(exercise_id, ok.SOLUTIONS[exercise_id]).passed


def test_every_diagnosis_in_the_order_has_a_bug():
    covered = {b[3].partition(":")[0] for b in BUGS}
    assert covered >= set(ORDER) - {"not-a-function"}


def test_every_promised_mistake_has_a_bug():
    promised = {"sigma-prime-missing", "sigma-prime-at-a", "w-not-transposed", "transposed-result",
                "sum-not-mean", "mean-twice", "sign", "mse-half"}
    covered = {b[3].partition(":")[2] for b in BUGS if b[3].startswith("mistake:")}
    assert promised <= covered
    shapes = {b[3].partition(":")[2] for b in BUGS if b[3].startswith("shape:")}
    assert {"transposed", "batch-axis-kept", "1-d"} <= shapes


def test_the_student_line_is_reported():
    def sigmoid(z):
        e = np.exp(-z)
        return 1.0 / (1.0 + e) + undefined_name  # noqa: F821

    text = str(check_sigmoid(sigmoid))
    assert "NameError: name 'undefined_name' is not defined" in text
    assert "return 1.0 / (1.0 + e) + undefined_name" in text
    assert f"at line {sigmoid.__code__.co_firstlineno + 2} of test_grader_diagnoses.py, in sigmoid:" in text
    assert "in the cell" not in text and "of the cell" not in text


def test_a_notebook_cell_is_named_by_its_line_not_its_volatile_file_name():
    cell = (
        "import numpy as np\n"
        "def backprop_error(W_next, delta_next, z, sigma_prime):\n"
        "    d = W_next @ delta_next\n"
        "    return d * sigma_prime(z)\n"
    )
    namespace: dict = {}
    name = "/tmp/ipykernel_31337/2718281828.py"
    linecache.cache[name] = (len(cell), None, cell.splitlines(True), name)   # as IPython does
    exec(compile(cell, name, "exec"), namespace)
    text = str(check_backprop_error(namespace["backprop_error"]))
    assert "at line 3 of the cell, in backprop_error:" in text
    assert "d = W_next @ delta_next" in text
    assert "ipykernel" not in text and "2718281828" not in text
    assert "W instead of Wᵀ" in text
    # the older IPython file name form
    namespace = {}
    name = "<ipython-input-7-0123456789ab>"
    linecache.cache[name] = (len(cell), None, cell.splitlines(True), name)
    exec(compile(cell, name, "exec"), namespace)
    text2 = str(check_backprop_error(namespace["backprop_error"]))
    assert "at line 3 of the cell" in text2 and "ipython-input" not in text2
    # without the source (no linecache entry) the line number still shows, and the mistake is still named
    namespace = {}
    exec(compile(cell, "/tmp/ipykernel_31337/999.py", "exec"), namespace)
    text3 = str(check_backprop_error(namespace["backprop_error"]))
    assert "at line 3 of the cell, in backprop_error." in text3 and "W instead of Wᵀ" in text3
    assert not any(line.strip() == "" for line in text3.splitlines())


def test_code_without_a_source_file_prints_no_empty_code_line(tmp_path):
    """A lambda made by exec (or python -c) has no source to show: the line number only, no blank line."""
    namespace: dict = {}
    exec(compile("import numpy as np\nf = lambda z: np.exp(-z) + missing_name\n", "<string>", "exec"),
         namespace)
    text = str(check_sigmoid(namespace["f"]))
    assert "at line 2 of <string>, in <lambda>." in text, text
    assert "the cell" not in text
    assert not any(line.strip() == "" for line in text.splitlines()), text
    # a script whose file is gone by the time the error is reported: same
    script = tmp_path / "student_script.py"
    script.write_text("import numpy as np\nf = lambda z: np.exp(-z) + missing_name\n")
    namespace = {}
    exec(compile(script.read_text(), str(script), "exec"), namespace)
    script.unlink()
    text = str(check_sigmoid(namespace["f"]))
    assert "at line 2 of student_script.py, in <lambda>." in text, text
    assert not any(line.strip() == "" for line in text.splitlines()), text


def test_a_script_file_is_named_by_its_base_name(tmp_path):
    script = tmp_path / "my_answers.py"
    script.write_text("import numpy as np\n\ndef sigmoid(z):\n    return np.exp(-z) + missing_name\n")
    namespace: dict = {}
    exec(compile(script.read_text(), str(script), "exec"), namespace)
    text = str(check_sigmoid(namespace["sigmoid"]))
    assert "at line 4 of my_answers.py, in sigmoid:" in text
    assert "return np.exp(-z) + missing_name" in text
    assert str(tmp_path) not in text


def test_an_error_inside_a_helper_the_grader_passed_points_to_the_student_call():
    def output_error(grad_a, z_L, sigma_prime):
        return grad_a * sigma_prime("not an array")

    result = run_check("output-error", output_error)
    assert result.diagnosis == "exception"
    assert 'return grad_a * sigma_prime("not an array")' in str(result)


class _Weird:
    def __array__(self, *args, **kwargs):
        raise RuntimeError("no")

    def __len__(self):
        raise RuntimeError("no")


@pytest.mark.parametrize("fn, diagnosis", [
    (lambda z: _Weird(), "not-an-array"),
    (lambda z: {"a": 1}, "not-an-array"),
    (lambda z: z.astype(complex), "not-an-array"),
    (lambda z: np.array([object()] * z.size).reshape(z.shape), "not-an-array"),
    (lambda z: np.zeros(10**6), "not-an-array"),
    (lambda z: sys.exit(3), "exception"),
    (lambda z: 1 / 0, "exception"),
    (lambda z: [][1], "exception"),
    (lambda z: np.full(z.shape, np.inf), "not-finite"),
    (lambda z: 0.5, "shape"),
])
def test_a_check_never_raises_on_strange_answers(fn, diagnosis):
    result = check_sigmoid(fn)
    assert not result.passed and result.diagnosis == diagnosis, str(result)
    assert str(result) and result._repr_html_()


def test_strange_containers_for_pairs_and_lists():
    for value in (None, 3, (1,), (None, None), ([None], [None]), ("a", "b")):
        result = run_check("backward", lambda W, b, x, y, v=value: v)
        assert result.diagnosis == "not-an-array", (value, str(result))
    result = run_check("backward", lambda W, b, x, y: (dict(enumerate(W)), dict(enumerate(b))))
    assert result.diagnosis in ("mismatch", "mistake", "shape")   # dicts keyed by layer are read


def test_not_a_function():
    result = check_sigmoid(np.zeros((2, 3)))
    assert result.status == "not a function" and not result.passed
    assert "needs a function" in str(result) and "check_sigmoid(sigmoid)" in str(result)


def test_not_attempted_reads_well_and_stops_early():
    calls = []

    def sigmoid(z):
        calls.append(1)
        raise NotImplementedError()

    result = check_sigmoid(sigmoid)
    assert result.status == "not attempted" and result.score == 0.0
    assert len(calls) == 1 and len(result.verdicts) == 3
    assert str(result) == (
        "check_sigmoid: not attempted yet -- sigmoid still raises NotImplementedError\n"
        "  Write the body of the function, run its cell, then run this check again."
    )


def test_warnings_from_student_code_do_not_reach_stderr(capfd):
    def sigmoid(z):
        return 1 / (1 + np.exp(-1000 * z))       # overflows for z < 0

    check_sigmoid(sigmoid)
    out, err = capfd.readouterr()
    assert err == "" and out == ""


def test_what_the_student_prints_is_left_alone(capsys):
    def sigmoid(z):
        print("debug", z.shape)
        return 1 / (1 + np.exp(-z))

    result = check_sigmoid(sigmoid, n_cases=1)
    assert result.passed
    assert capsys.readouterr().out.startswith("debug (")


def test_a_multi_layer_mismatch_names_the_layer_and_the_equation():
    def backward(W, b, x, y):
        dW, db = ok.backward(W, b, x, y)
        dW[1] = dW[1] * 1.01
        return dW, db

    text = str(run_check("backward", backward))
    assert "Wrong: dW[1]" in text
    assert "db[1] is right, so δ[1] is: check Equation 3" in text
    assert "Worst entry dW[1][" in text and "expected" in text and "times the estimated" in text


def test_reported_numbers_never_dump_whole_arrays():
    for bug in BUGS:
        text = str(run_check(bug[1], bug[2]))
        assert "[[" not in text and "array(" not in text, bug[0]
        assert len(text.splitlines()) <= 25, bug[0]


def test_all_lesson_exercises_have_known_mistakes():
    for ex in EXERCISES.values():
        case = ex.make_cases(0, 1)[0]
        assert ex.mistakes(case), ex.id


def test_a_forward_pass_error_inside_backward_is_not_called_a_missing_transpose():
    def backward(W, b, x, y):
        a = x
        for l in range(1, len(W)):
            a = 1 / (1 + np.exp(-(a.T @ W[l] + b[l])))      # the product the wrong way round
        raise AssertionError("not reached")

    result = run_check("backward", backward)
    assert result.diagnosis == "exception" and result.mistakes == []
    assert "a.T @ W[l]" in str(result)
