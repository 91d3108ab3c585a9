"""The student-side grader: one ``check_<function>`` per exercise of the lessons.

>>> from bpkit.grader import check_backprop_error
>>> def backprop_error(W_next, delta_next, z, sigma_prime):
...     return (W_next.T @ delta_next) * sigma_prime(z)
>>> check_backprop_error(backprop_error).passed
True

Modules, one idea each:

* :mod:`~bpkit.grader.checks` -- the public ``check_*`` functions;
* :mod:`~bpkit.grader.exercises` -- the exercise registry: cases, ``call``, ``judge``;
* :mod:`~bpkit.grader.cases` -- seeded cases with distinct non-square shapes;
* :mod:`~bpkit.grader.reference` -- the grader's own float64 forward computations;
* :mod:`~bpkit.grader.gradcheck` -- central differences with their own error estimate;
* :mod:`~bpkit.grader.calling` -- running student code, packing its answers into arrays;
* :mod:`~bpkit.grader.mistakes` -- the known mistakes, computed from each case's data;
* :mod:`~bpkit.grader.initstats` -- judging an initialisation by statistics (lesson 10);
* :mod:`~bpkit.grader.diagnosis` -- the ordered diagnoses;
* :mod:`~bpkit.grader.result` -- ``Verdict`` and ``CheckResult`` (text and HTML);
* :mod:`~bpkit.grader.capstone` -- lesson 13: the training loop, judged by replaying its minibatches.
"""

from .capstone import check_train
from .cases import Case, hidden_seed
from .checks import (
    check_backprop_error,
    check_backward,
    check_backward_batch,
    check_backward_fixed,
    check_bias_gradient,
    check_forward_step,
    check_init_weights,
    check_numerical_gradient,
    check_op_backward,
    check_output_error,
    check_output_error_bce,
    check_output_error_mse,
    check_relu_prime,
    check_sgd_update,
    check_sigmoid,
    check_sigmoid_prime,
    check_softmax_output_error,
    check_tanh_prime,
    check_weight_gradient,
    run_check,
)
from .exercises import EXERCISES, Exercise, register
from .result import CheckResult, Verdict

__all__ = [
    "EXERCISES", "Case", "CheckResult", "Exercise", "Verdict",
    "check_backprop_error", "check_backward", "check_backward_batch", "check_backward_fixed",
    "check_bias_gradient", "check_forward_step", "check_init_weights", "check_numerical_gradient",
    "check_op_backward", "check_output_error", "check_output_error_bce",
    "check_output_error_mse", "check_relu_prime", "check_sgd_update", "check_sigmoid",
    "check_sigmoid_prime", "check_softmax_output_error", "check_tanh_prime", "check_train",
    "check_weight_gradient",
    "hidden_seed", "register", "run_check",
]
