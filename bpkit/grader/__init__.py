"""The student-side grader: one check_<function> per exercise of the lessons.

>>> from bpkit.grader import check_backprop_error
>>> def backprop_error(W_next, delta_next, z, sigma_prime):
...     return (W_next.T @ delta_next) * sigma_prime(z)
>>> check_backprop_error(backprop_error).passed
True

Layout, one idea per module:

* exercises/ -- one module per exercise (its cases, call, truth, known
  mistakes, messages and hints), collected automatically into EXERCISES;
  exercises/base.py holds the Exercise base class (see the package's
  docstring for how an exercise module is written);
* checks -- the public check_* functions and run_check;
* diagnosis -- the judge: the ordered list of small diagnoses;
* cases -- seeded cases with distinct non-square shapes;
* reference -- the grader's own float64 forward computations;
* gradcheck -- central differences with their own error estimate;
* calling -- running student code, packing its answers into arrays;
* shapes, matching, mistakes, wording -- reading a wrong shape, matching
  known mistakes, the Mistake record, the words of a report;
* cellscope -- names an exercise cell borrows from other cells;
* hints -- staged hints and the switch that turns them off (hints_off);
* result -- Verdict and CheckResult (text and HTML).
"""

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
    check_train,
    check_update_parameters,
    check_weight_gradient,
    run_check,
)
from .exercises import EXERCISES, Exercise, register
from .hints import hints_enabled, hints_off, hints_on
from .result import CheckResult, Verdict

__all__ = [
    "EXERCISES", "Case", "CheckResult", "Exercise", "Verdict",
    "check_backprop_error", "check_backward", "check_backward_batch", "check_backward_fixed",
    "check_bias_gradient", "check_forward_step", "check_init_weights", "check_numerical_gradient",
    "check_op_backward", "check_output_error", "check_output_error_bce",
    "check_output_error_mse", "check_relu_prime", "check_sgd_update", "check_sigmoid",
    "check_sigmoid_prime", "check_softmax_output_error", "check_tanh_prime", "check_train",
    "check_update_parameters", "check_weight_gradient", "hidden_seed", "hints_enabled", "hints_off",
    "hints_on", "register", "run_check",
]
