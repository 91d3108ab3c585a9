"""The judge's order, batch-only naming and the constant-multiple diagnosis (issue 10, points 1 and 4)."""

from __future__ import annotations

from grader_bugs import BATCH_ONLY, BUGS

from bpkit.grader import EXERCISES, run_check
from bpkit.grader import diagnosis as d

BY_NAME = {b[0]: b for b in BUGS}


def test_the_documented_order_is_the_list_the_judge_runs():
    order = d.documented_order()
    assert len(order) == len(d.DIAGNOSES)
    assert [line.split(". ", 1)[1].split(":")[0] for line in order] == [
        f.__name__.replace("_", " ") for f in d.DIAGNOSES]
    # the module's docstring lists the same steps in the same order
    doc = d.__doc__
    steps = ("not a function", "not attempted", "raised an error", "not an array", "NaN or inf",
             "wrong shape", "changed its inputs", "passed", "a known mistake", "a constant multiple",
             "wrong values")
    positions = [doc.index(word) for word in steps]
    assert positions == sorted(positions)


def test_batch_only_bugs_pass_the_one_example_case_and_say_so():
    for name in BATCH_ONLY:
        _, eid, fn, _ = BY_NAME[name]
        result = run_check(eid, fn)
        assert result.verdicts[0].passed, name                     # case 1 is one example
        text = str(result)
        m = EXERCISES[eid].batch_of(EXERCISES[eid].make_cases(0)[1])
        assert f"right for one example, wrong for a batch of {m}" in text, (name, text)


def test_a_constant_multiple_is_said_as_a_fraction():
    _, eid, fn, _ = BY_NAME["backward-5/7"]
    text = str(run_check(eid, fn))
    assert "every entry is 5/7 of expected" in text
    assert "Every entry of dW[3], db[3]" in text and "is 5/7 times the expected value" in text


def test_a_b_left_out_of_the_forward_pass_is_named_not_sent_to_equation_1():
    _, eid, fn, _ = BY_NAME["backward-no-bias"]
    text = str(run_check(eid, fn))
    assert "b left out of the forward pass" in text and "check Equation 1" not in text
