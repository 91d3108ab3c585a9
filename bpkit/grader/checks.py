r"""The checks a lesson's check cell calls: ``check_<function>(fn)``.

Each check runs the student's function on a few seeded test cases and
returns a :class:`~bpkit.grader.result.CheckResult`, which Jupyter shows as
a small coloured report (plain text elsewhere). A check never raises
because of the student's code, never prints to stderr, and gives the same
report on every run and every machine.

Every check has the same signature::

    check_X(fn, *, seed=0, n_cases=None, cases=None) -> CheckResult

* ``fn`` -- the student's function itself (not the result of calling it);
* ``seed`` -- which case set to draw; another seed gives other cases
  (an instructor grades on a seed students do not know);
* ``n_cases`` -- how many cases (default: the exercise's, usually 3);
* ``cases`` -- explicit :class:`~bpkit.grader.cases.Case` objects instead.

How a case is judged (in this order): not attempted (``NotImplementedError``)
→ raised an error (with your line) → not an array → NaN/inf → wrong shape
(with the likely cause) → inputs changed in place → a known mistake → float32
precision (passes, with a note) → where the values differ, with the worst
entry. Gradients are compared with central differences of the grader's own
forward pass, each entry within 10 times its own finite-difference error
estimate; values are compared with the grader's own float64 computation,
within a few float64 roundings.

>>> def sigmoid(z):
...     raise NotImplementedError
>>> print(check_sigmoid(sigmoid))
check_sigmoid: not attempted yet -- sigmoid still raises NotImplementedError
  Write the body of the function, run its cell, then run this check again.
"""

from __future__ import annotations

from collections.abc import Callable

from .cases import Case
from .exercises import EXERCISES
from .result import CheckResult, Verdict


def run_check(exercise_id: str, fn: Callable, *, seed: int = 0, n_cases: int | None = None,
              cases: list[Case] | None = None) -> CheckResult:
    """Run ``fn`` on the cases of an exercise and judge each one, in this process.

    Student code runs through the exercise's ``call`` and is judged by its
    ``judge`` exactly as the instructor grader does across processes. Once
    a case is *not attempted*, the remaining cases are not run.
    """
    ex = EXERCISES[exercise_id]
    cases = list(cases) if cases is not None else ex.make_cases(seed, n_cases)
    verdicts: list[Verdict] = []
    for case in cases:
        if verdicts and verdicts[-1].diagnosis in ("not-attempted", "not-a-function") and not (
                ex.independent_cases and verdicts[-1].diagnosis == "not-attempted"):
            last = verdicts[-1]
            verdicts.append(Verdict(case.index, case.description, False, last.diagnosis, last.title,
                                    list(last.lines)))
            continue
        try:
            verdicts.append(ex.judge(case, ex.call(fn, case)))
        except Exception as exc:  # noqa: BLE001 -- a grader bug must not break a lesson
            verdicts.append(Verdict(case.index, case.description, False, "grader-error",
                                    "grader error", [f"The grader itself failed ({type(exc).__name__}); "
                                                     "please report this case and seed."]))
    return CheckResult(ex.check_name, ex.id, verdicts, ex.display_name, ex.needs)


def check_sigmoid(fn: Callable, *, seed: int = 0, n_cases: int | None = None,
                  cases: list[Case] | None = None) -> CheckResult:
    r"""Check ``sigmoid(z)`` (lesson 00): :math:`\sigma(z) = 1/(1+e^{-z})` entry by entry.

    Cases: arrays ``z`` of non-square shapes with entries in [-6, 6] (every
    third case in [-30, 30]). Truth: the grader's own overflow-free sigmoid;
    an entry passes within 10 float64 roundings. Recognised mistakes: the
    sign in the exponent (``np.exp(z)``), the missing ``1 +``, the missing
    ``1 /``, returning σ′ or tanh.
    """
    return run_check("sigmoid", fn, seed=seed, n_cases=n_cases, cases=cases)


def check_forward_step(fn: Callable, *, seed: int = 0, n_cases: int | None = None,
                       cases: list[Case] | None = None) -> CheckResult:
    r"""Check ``forward_step(W, a_prev, b, sigma)`` (lesson 01): ``(z, a)`` with
    :math:`z = W a^{[l-1]} + b`, :math:`a = \sigma(z)`.

    Cases: ``W (n_l, n_{l-1})``, ``a_prev (n_{l-1}, 1)``, ``b (n_l, 1)`` with
    distinct sizes, and ``sigma`` a plain function that is tanh, ReLU or the
    sigmoid in turn (so a hard-coded sigmoid fails). Truth: the grader's own
    float64 product, within float64 rounding. Recognised mistakes: returning
    ``a`` alone, ``(a, z)``, ``b`` left out or added after σ, σ not applied,
    sigmoid hard-coded, ``W.T`` (the product does not fit).
    """
    return run_check("forward-step", fn, seed=seed, n_cases=n_cases, cases=cases)


def check_numerical_gradient(fn: Callable, *, seed: int = 0, n_cases: int | None = None,
                             cases: list[Case] | None = None) -> CheckResult:
    r"""Check ``numerical_gradient(f, x, h=1e-5)`` (lesson 02): the central
    difference :math:`(f(x + h e_i) - f(x - h e_i)) / 2h` for every entry.

    Cases: test functions with coupled entries (a cubic, a log-sum-exp,
    sines plus a square) at ``x`` with entries in (-1, 1), called with
    ``h`` = 1e-5, 1e-3 and 1e-2 in turn, positionally: ``fn(f, x, h)``.
    Truth: the grader's own central difference with the same ``h``, within
    its rounding error. Recognised mistakes: a forward or backward
    difference, dividing by ``h`` instead of ``2h``, ignoring ``h``, moving
    every entry at once, the sign; ``x`` not restored is reported as a
    changed input.
    """
    return run_check("numerical-gradient", fn, seed=seed, n_cases=n_cases, cases=cases)


def check_sigmoid_prime(fn: Callable, *, seed: int = 0, n_cases: int | None = None,
                        cases: list[Case] | None = None) -> CheckResult:
    r"""Check ``sigmoid_prime(z)`` (lesson 02): :math:`\sigma'(z) = \sigma(z)(1-\sigma(z))`.

    Truth: central differences of the grader's sigmoid, entry by entry.
    Recognised mistakes: the formula used with ``z`` in place of ``a``
    (``z * (1 - z)``), returning σ(z), the tanh formula, the sign.
    """
    return run_check("sigmoid-prime", fn, seed=seed, n_cases=n_cases, cases=cases)


def check_tanh_prime(fn: Callable, *, seed: int = 0, n_cases: int | None = None,
                     cases: list[Case] | None = None) -> CheckResult:
    r"""Check ``tanh_prime(z)`` (lesson 02): :math:`1 - \tanh^2(z)`.

    Truth: central differences of ``np.tanh``, entry by entry. Recognised
    mistakes: ``1 - z**2`` (σ′ at a), the missing square, returning tanh(z),
    the sign.
    """
    return run_check("tanh-prime", fn, seed=seed, n_cases=n_cases, cases=cases)


def check_relu_prime(fn: Callable, *, seed: int = 0, n_cases: int | None = None,
                     cases: list[Case] | None = None) -> CheckResult:
    r"""Check ``relu_prime(z)`` (lesson 02): 1 where :math:`z > 0`, else 0.

    Cases keep :math:`|z| \ge 10^{-3}`; an entry within a step of the kink
    (in hand-made cases) accepts either one-sided slope. Recognised
    mistakes: returning ReLU(z), 1 and 0 swapped, the sign.
    """
    return run_check("relu-prime", fn, seed=seed, n_cases=n_cases, cases=cases)


def check_output_error_mse(fn: Callable, *, seed: int = 0, n_cases: int | None = None,
                           cases: list[Case] | None = None) -> CheckResult:
    r"""Check ``output_error_mse(z_L, y)`` (lesson 03): :math:`\delta^{[L]}` for a
    sigmoid output and the MSE with the ½ convention, mean over the columns.

    Truth: central differences of :math:`\frac{1}{2m}\sum(\sigma(z)-y)^2`.
    Recognised mistakes: σ′ missing, σ′ taken at ``a`` (or the formula used
    with ``z``), the sign, the ½ of the MSE (a factor 2 either way), a sum or
    double mean over the batch (when ``m > 1``), a transposed result.
    """
    return run_check("output-error-mse", fn, seed=seed, n_cases=n_cases, cases=cases)


def check_output_error_bce(fn: Callable, *, seed: int = 0, n_cases: int | None = None,
                           cases: list[Case] | None = None) -> CheckResult:
    r"""Check ``output_error_bce(z_L, y)`` (lesson 03): :math:`\delta^{[L]} = (a - y)/m`
    for a sigmoid output with binary cross-entropy.

    Truth: central differences of the mean cross-entropy computed from the
    logits. Recognised mistakes: σ′ multiplied in (it cancels), σ′ missing
    (returning dL/da), the sign, sum/mean over the batch.
    """
    return run_check("output-error-bce", fn, seed=seed, n_cases=n_cases, cases=cases)


def check_output_error(fn: Callable, *, seed: int = 0, n_cases: int | None = None,
                       cases: list[Case] | None = None) -> CheckResult:
    r"""Check ``output_error(grad_a, z_L, sigma_prime)`` (lesson 03): **Equation 1**,
    :math:`\delta^{[L]} = \partial L/\partial a^{[L]} \odot \sigma'(z^{[L]})`.

    Cases pass ``sigma_prime`` for tanh, ReLU and the sigmoid in turn. Truth:
    central differences of :math:`\sum g \odot \sigma(z)`. Recognised
    mistakes: σ′ missing, σ′ taken at ``grad_a``, the sign, ``@`` for ⊙.
    """
    return run_check("output-error", fn, seed=seed, n_cases=n_cases, cases=cases)


def check_backprop_error(fn: Callable, *, seed: int = 0, n_cases: int | None = None,
                         cases: list[Case] | None = None) -> CheckResult:
    r"""Check ``backprop_error(W_next, delta_next, z, sigma_prime)`` (lesson 04):
    **Equation 2**, :math:`\delta^{[l]} = (W^{[l+1]})^T \delta^{[l+1]} \odot \sigma'(z^{[l]})`.

    Cases: distinct ``n_{l+1} != n_l`` (so ``W`` cannot pass for ``W.T``),
    ``sigma_prime`` for tanh, ReLU and the sigmoid in turn. Truth: central
    differences of :math:`L(z) = \sum \delta^{[l+1]} \odot (W^{[l+1]}\sigma(z))`.
    Recognised mistakes: ``W`` instead of ``W.T`` (the product fails, or
    ``reshape`` used to "transpose"), σ′ missing, the sign, a transposed
    result, ``(n,)`` against ``(n, 1)`` broadcasting.
    """
    return run_check("backprop-error", fn, seed=seed, n_cases=n_cases, cases=cases)


def check_weight_gradient(fn: Callable, *, seed: int = 0, n_cases: int | None = None,
                          cases: list[Case] | None = None) -> CheckResult:
    r"""Check ``weight_gradient(delta, a_prev)`` (lesson 05): **Equation 3**,
    :math:`\partial L/\partial W^{[l]} = \delta^{[l]} (a^{[l-1]})^T`.

    Truth: central differences of :math:`\sum \delta \odot (W a^{[l-1]})`
    in every entry of ``W``. Recognised mistakes: the transposed result
    (``a_prev @ delta.T``, or it reshaped), ``a_prev`` not transposed (the
    product fails), the sign.
    """
    return run_check("weight-gradient", fn, seed=seed, n_cases=n_cases, cases=cases)


def check_bias_gradient(fn: Callable, *, seed: int = 0, n_cases: int | None = None,
                        cases: list[Case] | None = None) -> CheckResult:
    r"""Check ``bias_gradient(delta)`` (lesson 05): **Equation 4**,
    :math:`\partial L/\partial b^{[l]} = \delta^{[l]}` summed over the columns, shape ``(n_l, 1)``.

    Truth: central differences of :math:`\sum \delta \odot (u + b\mathbf 1^T)`
    in every entry of ``b``. Recognised mistakes: a 1-D result, a single
    number, the sign, a mean instead of a sum (when ``m > 1``).
    """
    return run_check("bias-gradient", fn, seed=seed, n_cases=n_cases, cases=cases)


def check_backward(fn: Callable, *, seed: int = 0, n_cases: int | None = None,
                   cases: list[Case] | None = None) -> CheckResult:
    r"""Check ``backward(W, b, x, y)`` (lesson 06): the whole backward pass for one
    example, sigmoid in every layer, MSE with the ½ convention.

    Cases: networks with 2 or 3 layers of distinct widths (2 to 7), ``W`` and
    ``b`` as lists indexed 0..L with entry 0 ``None``; the answer is
    ``(dW, db)`` in the same form. Truth: central differences of the
    grader's own forward pass and loss in every weight and bias. The report
    says which layers are right and which equation to look at. Recognised
    mistakes: σ′ missing or taken at ``a`` (in Equation 1, 2 or both), ``W``
    instead of ``W.T``, ``a[l]`` instead of ``a[l-1]``, a transposed ``dW``,
    the ½ of the MSE, the sign -- and pairs of these.
    """
    return run_check("backward", fn, seed=seed, n_cases=n_cases, cases=cases)


def check_backward_batch(fn: Callable, *, seed: int = 0, n_cases: int | None = None,
                         cases: list[Case] | None = None) -> CheckResult:
    r"""Check ``backward_batch(W, b, X, Y)`` (lesson 07): the backward pass for a
    batch of ``m`` columns; the loss is the **mean** over the batch.

    As :func:`check_backward`, with batches of m = 3, 5, 6 or 7 (never a
    layer width). Further recognised mistakes: a sum instead of the mean,
    the mean taken twice (also in Equation 4 alone), ``db`` keeping the
    batch axis.
    """
    return run_check("backward-batch", fn, seed=seed, n_cases=n_cases, cases=cases)


def check_sgd_update(fn: Callable, *, seed: int = 0, n_cases: int | None = None,
                     cases: list[Case] | None = None) -> CheckResult:
    r"""Check ``sgd_update(W, b, dW, db, learning_rate)`` (lesson 08): new lists
    ``W_new[l] = W[l] - learning_rate * dW[l]`` (and ``b``); the inputs must not change.

    Truth: the grader's own update, within float64 rounding. Recognised
    mistakes: the sign, the learning rate left out, returning only the
    step, ``b`` or ``W`` not updated; updating in place (``W[l] -= ...``) or
    replacing the items of the caller's list is reported as a changed input.
    """
    return run_check("sgd-update", fn, seed=seed, n_cases=n_cases, cases=cases)


def check_softmax_output_error(fn: Callable, *, seed: int = 0, n_cases: int | None = None,
                               cases: list[Case] | None = None) -> CheckResult:
    r"""Check ``softmax_output_error(z_L, Y)`` (lesson 09): :math:`\delta^{[L]} = (\hat y - Y)/m`
    for a softmax output with cross-entropy, from the logits.

    Cases: batches of one-hot targets. Truth: central differences of the
    mean cross-entropy computed with log-sum-exp. Recognised mistakes: a sum
    instead of the mean, the mean taken twice, the sign, σ′ multiplied in,
    softmax over the wrong axis or the whole array, a sigmoid instead of
    softmax, a transposed result.
    """
    return run_check("softmax-output-error", fn, seed=seed, n_cases=n_cases, cases=cases)


def check_init_weights(fn: Callable, *, seed: int = 0, n_cases: int | None = None,
                       cases: list[Case] | None = None) -> CheckResult:
    r"""Check ``init_weights(sizes, activation, seed)`` (lesson 10): ``(W, b)``, lists indexed
    0..L with ``W[0] = b[0] = None``, ``W[l]`` of shape ``(n_l, n_{l-1})`` drawn at random with
    Xavier's variance :math:`2/(n_{l-1}+n_l)` for ``"tanh"`` and ``"sigmoid"`` or He's
    :math:`2/n_{l-1}` for ``"relu"`` (normal or uniform), and ``b[l]`` zeros of shape ``(n_l, 1)``.

    Cases: networks of 8 to 10 layers whose widths alternate between 40-64 and 96-128, with tanh,
    ReLU and the sigmoid in turn. There is no single right answer, so the weights are judged by
    statistics (:mod:`bpkit.grader.initstats`): biases zero; no layer with identical units; the
    same seed gives the same weights and another seed others; each ``W[l]`` centred with the
    target variance, within six standard errors for its number of entries; and the grader's own
    input batch (variance 1), sent forward through the layers, keeps :math:`\mathrm{Var}(z^{[l]})`
    between 0.01 and 20 at every layer. Recognised mistakes: transposed ``W``, all zeros or
    constant (symmetry), not seeded or ignoring the seed, :math:`\mathcal N(0,1)`, He for
    tanh/sigmoid, Xavier for ReLU, :math:`1/n_{l-1}`, the variance passed as the standard
    deviation, 0.01 times a normal draw, uniform limits off by :math:`\sqrt 3`, uncentred
    weights (``np.random.rand``), non-zero biases.
    """
    return run_check("init-weights", fn, seed=seed, n_cases=n_cases, cases=cases)


def check_backward_fixed(fn: Callable, *, seed: int = 0, n_cases: int | None = None,
                         cases: list[Case] | None = None) -> CheckResult:
    r"""Check ``backward_fixed(W, b, X, Y)`` (lesson 11): the backward pass of a network with
    **tanh** hidden layers and a **sigmoid** output, MSE with the ½ convention, mean over the
    ``m`` columns; returns ``(dW, db)``.

    As :func:`check_backward_batch` (2 or 3 layers of distinct widths, batches of 3 to 7), with
    the truth from the grader's own tanh/sigmoid forward pass. Further recognised mistakes: the
    bugs of lesson 11 -- tanh′ written 1 − z² (the formula of a used with z), ``W`` instead of
    ``Wᵀ`` (the product fails) or the weights of the wrong layer, ``db`` averaged over the batch
    -- and σ′ of the wrong activation (the sigmoid's in the tanh layers, or a sigmoid forward
    pass), alone or in pairs.
    """
    return run_check("backward-fixed", fn, seed=seed, n_cases=n_cases, cases=cases)


def check_op_backward(fns: dict[str, Callable], *, seed: int = 0, n_cases: int | None = None,
                      cases: list[Case] | None = None) -> CheckResult:
    r"""Check the backward rules of lesson 12's operations, given as a dict::

        check_op_backward({"add": add_backward, "mul": mul_backward, "tanh": tanh_backward,
                           "exp": exp_backward, "pow": pow_backward})

    ``add_backward(x, y, grad)`` and ``mul_backward(x, y, grad)`` return ``(gx, gy)``;
    ``tanh_backward(x, grad)``, ``exp_backward(x, grad)`` and ``pow_backward(x, n, grad)`` return
    ``gx``. ``x``, ``y`` and ``grad`` are arrays of one shape (the operations work entry by entry);
    ``grad`` is dL/d(out), the gradient arriving from above; ``n`` is a number.

    One case per operation (a dict without some operation fails only those cases). Truth: central
    differences of :math:`L = \sum \mathrm{grad} \odot \mathrm{op}(x, y)` in ``x`` (and ``y``).
    Recognised mistakes: ``grad`` not multiplied in, ``x`` and ``y`` swapped in mul, add's and
    mul's rules mixed up, tanh′ as 1 − x² (at the input, not the output), the missing square,
    the power rule without lowering the exponent or without the factor n, the sign.
    """
    return run_check("op-backward", fns, seed=seed, n_cases=n_cases, cases=cases)
