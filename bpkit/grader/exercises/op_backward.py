"""Lesson 12: the backward rule of each operation of a small autodiff, element-wise on arrays.

add_backward(x, y, grad), mul_backward(x, y, grad), tanh_backward(x, grad),
exp_backward(x, grad) and pow_backward(x, n, grad). One case per operation;
the check takes a dict of the student's functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..calling import flat_outputs
from ..cases import shape_text
from ..diagnosis import not_a_function_outputs
from .base import BadReturn, Exercise, Mistake, OutputSpec, describe, elementwise_truth, ref, shape_2d

Array = np.ndarray


OPS = ("add", "mul", "tanh", "exp", "pow")

OP_SIGNATURES = {
    "add": "add_backward(x, y, grad)", "mul": "mul_backward(x, y, grad)", "tanh": "tanh_backward(x, grad)",
    "exp": "exp_backward(x, grad)", "pow": "pow_backward(x, n, grad)",
}

POW_EXPONENTS = (2.0, 3.0, 0.5, -2.0)

_OP_EXAMPLE = ('check_op_backward({"add": add_backward, "mul": mul_backward, "tanh": tanh_backward, '
               '"exp": exp_backward, "pow": pow_backward})')


class OpBackwardExercise(Exercise):
    """Lesson 12: the backward rule of each operation of a small autodiff, element-wise on arrays.

    For ``out = op(x, y)`` and the gradient ``grad`` = dL/d(out) arriving from above, a rule returns
    dL/dx (and dL/dy), the same shape as x: the truth is the central difference of
    L = Σ grad ⊙ op(x, y). One case per operation; the check takes a
    dict of the student's functions.
    """

    id, lesson, function = "op-backward", 12, "op_backward"
    signature = ", ".join(OP_SIGNATURES.values())
    title = "the backward rules of add, mul, tanh, exp and pow"
    hints = (
        "Each rule is the chain rule for one operation: the gradient arriving from above, grad, times "
        "the local derivative of the output with respect to that input.",
        "For a product the derivative with respect to one input is the other input; for a sum it is 1 "
        "for both; a rule with two inputs returns a pair, one gradient for each.",
        "tanh′ is 1 − tanh(x)² taken at the input x, exp′ is exp itself, and the power rule lowers the "
        "exponent by one and multiplies by it -- each multiplied entry by entry by grad.",
    )
    hint_for = {"missing-grad": 1, "swapped-inputs": 2, "wrong-rule": 2, "tanh-prime-at-x": 3,
                "square-missing": 3, "exponent-not-lowered": 3, "factor-n-missing": 3, "sign": 1,
                "not-an-array": 2, "mismatch": 1}

    n_cases = len(OPS)
    independent_cases = True
    functions = tuple(f"{op}_backward" for op in OPS)

    @property
    def display_name(self) -> str:
        return "each *_backward function"

    @property
    def needs(self) -> str:
        return f"a dict of functions: {_OP_EXAMPLE}"

    def case_function(self, case):
        return f"{case.meta['op']}_backward"

    def student_object(self, namespace):
        return {op: namespace[f"{op}_backward"] for op in OPS if f"{op}_backward" in namespace}

    def build(self, rng, index, seed):
        op = OPS[(index + seed) % len(OPS)]
        shape = shape_2d(rng)
        arrays: dict[str, Array] = {}
        meta: dict[str, Any] = {"op": op}
        if op in ("add", "mul"):
            arrays["x"] = rng.standard_normal(shape)
            arrays["y"] = rng.standard_normal(shape)
            what = f"x {shape_text(arrays['x'])}, y {shape_text(arrays['y'])}"
        elif op == "pow":
            arrays["x"] = rng.uniform(0.5, 2.0, shape)
            meta["n"] = float(rng.choice(POW_EXPONENTS))
            what = f"x {shape_text(arrays['x'])} in [0.5, 2], n = {meta['n']:g}"
        else:
            arrays["x"] = rng.uniform(-2.0, 2.0, shape)
            what = f"x {shape_text(arrays['x'])}"
        arrays["grad"] = rng.standard_normal(shape)
        return self._case(index, seed, arrays, f"{op}_backward: {what}, grad {shape_text(arrays['grad'])}",
                          **meta)

    def arguments(self, case):
        op = case.meta["op"]
        x, g = case.array("x"), case.array("grad")
        if op in ("add", "mul"):
            y = case.array("y")
            return (x, y, g), {"x": x, "y": y, "grad": g}
        if op == "pow":
            return (x, float(case.meta["n"]), g), {"x": x, "grad": g}
        return (x, g), {"x": x, "grad": g}

    def outputs(self, case):
        shape = case.arrays["x"].shape
        names = ("gx", "gy") if case.meta["op"] in ("add", "mul") else ("gx",)
        return [OutputSpec(n, shape) for n in names]

    def unpack(self, value, case):
        fname = self.case_function(case)
        if case.meta["op"] in ("add", "mul"):
            if isinstance(value, np.ndarray) or not isinstance(value, (tuple, list)) or len(value) != 2:
                raise BadReturn(f"{fname} returned {describe(value)}; it must return the pair (gx, gy): "
                                "one gradient for each input.")
            return {"gx": value[0], "gy": value[1]}
        if isinstance(value, (tuple, list)):
            raise BadReturn(f"{fname} returned {describe(value)}; it has one input, so it returns one "
                            "array, gx, not a tuple.")
        return {"gx": value}

    def call(self, fn, case):
        op = case.meta["op"]
        name = f"{op}_backward"
        if isinstance(fn, dict):
            f = fn.get(op, fn.get(name))
        elif hasattr(fn, name):
            f = getattr(fn, name)                       # a module or namespace holding the functions
        elif callable(fn):
            return not_a_function_outputs(fn)
        else:
            f = None
        if f is None:
            return flat_outputs({}, {"kind": "not-attempted", "message": (
                f'The check was given no function for {op}: add "{op}": {name} to the dict.')})
        if not callable(f):
            return flat_outputs({}, {"kind": "not-a-function", "got": f"{describe(f)} for {op}"})
        return super().call(f, case)

    def not_a_function_lines(self, case, status):
        return [f"check_op_backward needs a dict of your functions: {_OP_EXAMPLE}.",
                f"It got {status.get('got', 'something else')}."]

    def compute_truth(self, case):
        op, A = case.meta["op"], case.arrays
        x, g = A["x"], A["grad"]
        if op == "pow":
            return {"gx": elementwise_truth(x, lambda v: ref.op_terms(op, v, float(case.meta["n"]), g))}
        if op in ("add", "mul"):
            y = A["y"]
            return {"gx": elementwise_truth(x, lambda v: ref.op_terms(op, v, y, g, "x")),
                    "gy": elementwise_truth(y, lambda v: ref.op_terms(op, v, x, g, "y"))}
        return {"gx": elementwise_truth(x, lambda v: ref.op_terms(op, v, None, g))}

    def mistakes(self, case):
        """The usual slips in the backward rule of one operation of lesson 12's autodiff."""
        op, A = case.meta["op"], case.arrays
        x, g = A["x"], A["grad"]
        chain = ("the chain rule multiplies the local derivative by grad, the gradient arriving "
                 "from above")
        if op == "add":
            y = A["y"]
            ones = np.ones_like(x)
            return [
                Mistake("missing-grad", "grad not multiplied in",
                        f"your gx and gy are the local derivatives, 1 and 1, alone: {chain} "
                        "(gx = grad * 1, gy = grad * 1).", {"gx": ones, "gy": ones}),
                Mistake("wrong-rule", "mul's rule used for add",
                        "your gx is grad * y and gy grad * x, the rule of x * y; for x + y both "
                        "derivatives are 1: gx = grad, gy = grad.", {"gx": g * y, "gy": g * x}),
                Mistake("sign", "sign flipped", "your gx and gy are −grad; for x + y they are +grad.",
                        {"gx": -g, "gy": -g}),
            ]
        if op == "mul":
            y = A["y"]
            return [
                Mistake("swapped-inputs", "x and y swapped",
                        "your gx is grad * x: the derivative of x·y with respect to x is the *other* "
                        "input, so gx = grad * y and gy = grad * x.", {"gx": g * x, "gy": g * y}),
                Mistake("missing-grad", "grad not multiplied in",
                        f"your gx and gy are y and x alone: {chain}: gx = grad * y, gy = grad * x.",
                        {"gx": y, "gy": x}),
                Mistake("wrong-rule", "add's rule used for mul",
                        "your gx and gy are grad itself, the rule of x + y; for x · y, gx = grad * y "
                        "and gy = grad * x.", {"gx": g, "gy": g}),
                Mistake("sign", "sign flipped", "your gx and gy have the wrong sign.",
                        {"gx": -g * y, "gy": -g * x}),
            ]
        if op == "tanh":
            t = np.tanh(x)
            return [
                Mistake("tanh-prime-at-x", "1 − x² instead of 1 − tanh(x)²",
                        "your gx is grad * (1 − x²): the formula 1 − a² needs the output a = tanh(x), not "
                        "the input x: gx = grad * (1 - np.tanh(x)**2).", {"gx": g * (1 - x * x)}),
                Mistake("missing-grad", "grad not multiplied in",
                        f"your gx is 1 − tanh(x)² alone: {chain}.", {"gx": 1 - t * t}),
                Mistake("square-missing", "the square is missing",
                        "your gx is grad * (1 − tanh(x)); the derivative is 1 − tanh(x)².",
                        {"gx": g * (1 - t)}),
                Mistake("square-outside", "(1 − tanh(x))² instead of 1 − tanh(x)²",
                    "your gx is grad * (1 − tanh(x))²: the square belongs to tanh(x) alone -- mind the "
                    "brackets: 1 - np.tanh(x)**2.", {"gx": g * (1 - t) ** 2}),
            Mistake("forward-value", "tanh(x) instead of its derivative",
                    "your gx is grad * tanh(x), the forward value; the derivative is tanh′(x) = 1 − "
                    "tanh(x)².",
                    {"gx": g * t}),
            Mistake("sign", "sign flipped", "your gx is grad * (tanh(x)² − 1).",
                        {"gx": -g * (1 - t * t)}),
            Mistake("rule-at-grad", "tanh′ taken at grad instead of x",
                    "your gx is grad * (1 − tanh(grad)²): the local derivative is taken at the input x, "
                    "not at grad: gx = grad * (1 - np.tanh(x)**2).", {"gx": g * (1 - np.tanh(g) ** 2)}),
            ]
        if op == "exp":
            e = np.exp(x)
            return [
                Mistake("missing-grad", "grad not multiplied in", f"your gx is exp(x) alone: {chain}.",
                        {"gx": e}),
                Mistake("wrong-rule", "derivative taken as 1",
                        "your gx is grad itself; the derivative of exp(x) is exp(x): gx = grad * np.exp(x).",
                        {"gx": g}),
                Mistake("wrong-rule", "x instead of exp(x)",
                        "your gx is grad * x; the derivative of exp(x) is exp(x) itself.", {"gx": g * x}),
                Mistake("sign", "sign flipped", "your gx is −grad * exp(x).", {"gx": -g * e}),
            Mistake("rule-at-grad", "exp taken at grad instead of x",
                    "your gx is grad * exp(grad): the local derivative is exp of the input x, "
                    "not of grad: gx = grad * np.exp(x).", {"gx": g * np.exp(g)}),
            Mistake("divided", "grad divided by exp(x)",
                    "your gx is grad / exp(x) = grad * exp(−x); the chain rule multiplies: "
                    "gx = grad * np.exp(x).", {"gx": g / e}),
            Mistake("plus-for-product", "grad + exp(x): the chain rule multiplies",
                    "your gx is grad + exp(x); the chain rule multiplies the local derivative by grad: "
                    "grad * exp(x).", {"gx": g + e}),
            Mistake("power-rule-on-exp", "the power rule used on exp",
                    "your gx is grad * x * exp(x − 1), the power rule; exp is not a power of x: "
                    "its derivative is exp(x) itself.", {"gx": g * x * np.exp(x - 1)}),
            ]
        n = float(case.meta["n"])
        return [
            Mistake("missing-grad", "grad not multiplied in", f"your gx is n x^(n−1) alone: {chain}.",
                    {"gx": n * x ** (n - 1)}),
            Mistake("exponent-not-lowered", "the exponent is not lowered",
                    "your gx is grad * n * x^n; the power rule lowers the exponent by one: "
                    "gx = grad * n * x**(n - 1).", {"gx": g * n * x ** n}),
            Mistake("factor-n-missing", "the factor n is missing",
                    "your gx is grad * x^(n−1); the power rule also multiplies by n: "
                    "gx = grad * n * x**(n - 1).", {"gx": g * x ** (n - 1)}),
            Mistake("sign", "sign flipped", "your gx is −grad * n * x^(n−1).", {"gx": -g * n * x ** (n - 1)}),
            Mistake("exponent-raised", "the exponent raised: x^(n+1)",
                    "your gx is grad * n * x^(n+1); the power rule lowers the exponent by one: "
                    "gx = grad * n * x**(n - 1).", {"gx": g * n * x ** (n + 1)}),
        Mistake("precedence", "x ** n - 1: brackets missing in the exponent",
                "your gx is grad * n * x^n − 1: ** binds tighter than -, so the exponent needs brackets: "
                "x ** (n - 1).", {"gx": g * n * x ** n - 1}),
        ]


EXERCISE = OpBackwardExercise()
