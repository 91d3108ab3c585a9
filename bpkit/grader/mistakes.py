r"""Known mistakes: what each one's answer would be, computed from the case's own data.

The truth of every check is numerical; these are the *wrong* answers
students typically give, each computed here with the grader's own code
(:mod:`bpkit.grader.reference`) on the exact inputs of the case. When the
student's answer matches one of them and not the truth, the report names
the mistake instead of only saying "wrong".

Each function takes a :class:`~bpkit.grader.cases.Case` and returns a list
of :class:`Mistake`, most likely first. Mistake ids are shared between
exercises, so "σ′ missing" is ``"sigma-prime-missing"`` wherever it occurs:

==========================  =====================================================
id                          the mistake
==========================  =====================================================
``sigma-prime-missing``     the factor :math:`\sigma'(z)` of Equation 1 or 2 left out
``sigma-prime-at-a``        :math:`\sigma'` taken at :math:`a` instead of :math:`z`
``w-not-transposed``        :math:`W` where Equation 2 needs :math:`W^T`
``transposed-result``       the transposed answer, reshaped to fit
``sum-not-mean``            a sum over the batch where the loss is a mean
``mean-twice``              divided by :math:`m` twice
``sign``                    the sign flipped
``mse-half``                the ½ of the MSE dropped (or doubled)
==========================  =====================================================

and a few that belong to one exercise (``exponent-sign`` for the sigmoid,
``forward-difference`` for the numerical gradient, ``missing-bias`` for the
forward step, ...).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import reference as ref

if TYPE_CHECKING:  # pragma: no cover
    from .cases import Case

Array = np.ndarray


@dataclass
class Mistake:
    """A known mistake and the answer it gives on one case.

    ``outputs`` may cover only some of the answer arrays; the others are
    taken to be right.
    """

    id: str
    title: str
    explanation: str
    outputs: dict[str, Array] = field(default_factory=dict)
    also: tuple[str, ...] = ()      # further ids when several mistakes combine

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.id, *self.also)


def _transposed_reshaped(x: Array) -> Array:
    return x.T.reshape(x.shape)


# --------------------------------------------------------------------------- lesson 00-02

def sigmoid(case: Case) -> list[Mistake]:
    z = case.arrays["z"]
    s = ref.sigmoid(z)
    with np.errstate(all="ignore"):
        return [
            Mistake("exponent-sign", "sign flipped in the exponent",
                    "your values are 1/(1 + e^z) = σ(−z); the exponent must be −z: np.exp(-z).",
                    {"sigmoid(z)": ref.sigmoid(-z)}),
            Mistake("missing-one", "the 1 + is missing",
                    "your values are 1/e^(−z) = e^z; the denominator is 1 + e^(−z).",
                    {"sigmoid(z)": np.exp(z)}),
            Mistake("reciprocal", "1/(...) is missing",
                    "your values are 1 + e^(−z); the sigmoid is its reciprocal, 1 / (1 + e^(−z)).",
                    {"sigmoid(z)": 1.0 + np.exp(-z)}),
            Mistake("derivative-instead", "returned σ′(z)",
                    "your values are σ(z)(1 − σ(z)), the derivative; the exercise asks for σ(z) itself.",
                    {"sigmoid(z)": s * (1 - s)}),
            Mistake("tanh-instead", "returned tanh(z)", "your values are tanh(z), not 1/(1 + e^(−z)).",
                    {"sigmoid(z)": np.tanh(z)}),
        ]


def forward_step(case: Case) -> list[Mistake]:
    W, a_prev, b = case.arrays["W"], case.arrays["a_prev"], case.arrays["b"]
    act = ref.ACTIVATIONS[case.meta["activation"]]
    z = W @ a_prev + b
    zb = W @ a_prev
    out = [
        Mistake("missing-bias", "b left out",
                "your z equals W a_prev without + b; the forward step is z = W a_prev + b.",
                {"z": zb, "a": act.f(zb)}),
        Mistake("missing-bias", "b left out of z",
                "your z is W a_prev without + b (a is right).", {"z": zb}),
        Mistake("bias-after-sigma", "b added after σ",
                "your a is σ(W a_prev) + b; the bias goes inside: a = σ(W a_prev + b).",
                {"z": zb, "a": act.f(zb) + b}),
        Mistake("swapped", "returned (a, z)", "your pair is (a, z); return z first: return z, a.",
                {"z": act.f(z), "a": z}),
        Mistake("sigma-not-applied", "σ not applied", "your a equals z; a = sigma(z).", {"a": z}),
    ]
    if act.name != "sigmoid":
        out.insert(0, Mistake(
            "hard-coded-sigmoid", "sigmoid hard-coded",
            f"your a is sigmoid(z), but this case passed sigma = {act.name}: call the sigma you are given.",
            {"a": ref.sigmoid(z)}))
    return out


def numerical_gradient(case: Case) -> list[Mistake]:
    from .exercises import numgrad_function  # the case's own test function

    f = numgrad_function(case)
    x = case.array("x")
    h = float(case.meta["h"])

    def loop(g: Callable[[Array, tuple], float]) -> Array:
        out = np.zeros(x.shape)
        for i in np.ndindex(x.shape):
            out[i] = g(x.copy(), i)
        return out

    def at(x0: Array, i: tuple, d: float) -> float:
        x0[i] += d
        return f(x0)

    fx = f(x.copy())
    fwd = loop(lambda v, i: (at(v, i, h) - fx) / h)
    bwd = loop(lambda v, i: (fx - at(v, i, -h)) / h)
    cen = loop(lambda v, i: (at(v.copy(), i, h) - at(v.copy(), i, -h)) / (2 * h))
    both = (f(x + h) - f(x - h)) / (2 * h)
    out = [
        Mistake("forward-difference", "forward difference",
                "your values are (f(x + h e_i) − f(x)) / h; the central difference is "
                "(f(x + h e_i) − f(x − h e_i)) / (2h), far more accurate.", {"grad": fwd}),
        Mistake("backward-difference", "backward difference",
                "your values are (f(x) − f(x − h e_i)) / h; use (f(x + h e_i) − f(x − h e_i)) / (2h).",
                {"grad": bwd}),
        Mistake("divided-by-h", "divided by h instead of 2h",
                "your values are twice the central difference: the two points are 2h apart.",
                {"grad": 2 * cen}),
        Mistake("all-entries", "moved every entry at once",
                "every entry of your answer is (f(x + h) − f(x − h)) / (2h) with all of x moved: "
                "move one entry at a time (x[i] += h), then put it back.",
                {"grad": np.full(x.shape, both)}),
        Mistake("sign", "sign flipped", "your values are the negative of the central difference.",
                {"grad": -cen}),
    ]
    if h != 1e-5:
        h5 = 1e-5
        out.insert(0, Mistake(
            "ignores-h", "ignores h",
            f"your values are the central difference with h = 1e-05, but this case passed h = {h:g}: "
            "use the h you are given.",
            {"grad": loop(lambda v, i: (at(v.copy(), i, h5) - at(v.copy(), i, -h5)) / (2 * h5))}))
    return out


def sigmoid_prime(case: Case) -> list[Mistake]:
    z = case.arrays["z"]
    s = ref.sigmoid(z)
    name = "sigmoid_prime(z)"
    return [
        Mistake("sigma-prime-at-a", "σ′ taken at a instead of z",
                "your values are z(1 − z): the formula a(1 − a) needs a = σ(z). "
                "Compute s = sigmoid(z) first, then s * (1 - s).", {name: z * (1 - z)}),
        Mistake("sigma-instead", "returned σ(z)", "your values are σ(z) itself; σ′(z) = σ(z)(1 − σ(z)).",
                {name: s}),
        Mistake("tanh-formula", "1 − σ(z)²", "your values are 1 − σ(z)², the tanh formula; "
                "for the sigmoid σ′(z) = σ(z)(1 − σ(z)).", {name: 1 - s * s}),
        Mistake("sign", "sign flipped", "your values are −σ′(z).", {name: -s * (1 - s)}),
    ]


def tanh_prime(case: Case) -> list[Mistake]:
    z = case.arrays["z"]
    t = np.tanh(z)
    name = "tanh_prime(z)"
    return [
        Mistake("sigma-prime-at-a", "σ′ taken at a instead of z",
                "your values are 1 − z²: the formula 1 − a² needs a = tanh(z). Use 1 - np.tanh(z)**2.",
                {name: 1 - z * z}),
        Mistake("square-missing", "the square is missing", "your values are 1 − tanh(z); "
                "the derivative is 1 − tanh(z)².", {name: 1 - t}),
        Mistake("sigma-instead", "returned tanh(z)", "your values are tanh(z) itself.", {name: t}),
        Mistake("sign", "sign flipped", "your values are tanh(z)² − 1.", {name: t * t - 1}),
    ]


def relu_prime(case: Case) -> list[Mistake]:
    z = case.arrays["z"]
    name = "relu_prime(z)"
    return [
        Mistake("sigma-instead", "returned ReLU(z)", "your values are max(z, 0); the derivative is "
                "1 where z > 0 and 0 elsewhere.", {name: np.maximum(z, 0)}),
        Mistake("inverted", "1 and 0 swapped", "your values are 1 where z < 0; the slope is 1 where z > 0.",
                {name: (z < 0).astype(float)}),
        Mistake("sign", "sign flipped", "your values are −1 where z > 0.", {name: -(z > 0).astype(float)}),
    ]


# --------------------------------------------------------------------------- lesson 03-05

def _batch_variants(delta: Array, m: int, name: str) -> list[Mistake]:
    if m == 1:
        return []
    return [
        Mistake("sum-not-mean", "sum instead of mean over the batch",
                f"your values are {m} times too large: the loss is the mean over the m = {m} examples, "
                "so δ carries a factor 1/m.", {name: delta * m}),
        Mistake("mean-twice", "averaged twice",
                f"your values are {m} times too small: the 1/m of the mean is already in δ; "
                "do not divide by m again.", {name: delta / m}),
    ]


def output_error_mse(case: Case) -> list[Mistake]:
    z, y, m = case.arrays["z_L"], case.arrays["y"], z_cols(case)
    a = ref.sigmoid(z)
    d = (a - y) * ref.sigmoid_prime(z) / m
    n = "delta"
    return [
        Mistake("sigma-prime-missing", "σ′ missing",
                "your δ is (a − y)/m, without the factor σ′(z) = a(1 − a) of Equation 1.",
                {n: (a - y) / m}),
        Mistake("sigma-prime-at-a", "σ′ taken at a instead of z",
                "your δ uses σ′(a) = σ(a)(1 − σ(a)); Equation 1 needs σ′(z) = a(1 − a).",
                {n: (a - y) * ref.sigmoid_prime(a) / m}),
        Mistake("sigma-prime-at-a", "σ′ formula used with z",
                "your δ uses z(1 − z); the formula a(1 − a) needs a = σ(z).", {n: (a - y) * z * (1 - z) / m}),
        Mistake("sign", "sign flipped", "your δ is (y − a) σ′(z); dL/da = a − y.", {n: -d}),
        Mistake("mse-half", "the ½ of the MSE",
                "your δ is twice the truth: with L = ½‖a − y‖² the 2 of the square cancels the ½, "
                "so dL/da = a − y, not 2(a − y).", {n: 2 * d}),
        Mistake("mse-half", "the ½ of the MSE (twice)",
                "your δ is half the truth: dL/da = a − y (the ½ already cancelled the 2).", {n: d / 2}),
        *_batch_variants(d, m, n),
        Mistake("transposed-result", "transposed result", "your values are the transpose, reshaped to fit.",
                {n: _transposed_reshaped(d)}),
    ]


def output_error_bce(case: Case) -> list[Mistake]:
    z, y, m = case.arrays["z_L"], case.arrays["y"], z_cols(case)
    a = ref.sigmoid(z)
    d = (a - y) / m
    n = "delta"
    return [
        Mistake("sigma-prime-extra", "σ′ multiplied in",
                "your δ is (a − y) σ′(z)/m: for a sigmoid output with cross-entropy, "
                "dL/da = (a − y)/(a(1 − a)) "
                "and σ′(z) = a(1 − a) cancel, leaving δ = (a − y)/m.", {n: d * ref.sigmoid_prime(z)}),
        Mistake("sigma-prime-missing", "σ′ missing",
                "your δ is dL/da = (a − y)/(a(1 − a))/m; Equation 1 multiplies it by σ′(z) = a(1 − a).",
                {n: d / ref.sigmoid_prime(z)}),
        Mistake("sign", "sign flipped", "your δ is (y − a)/m.", {n: -d}),
        *_batch_variants(d, m, n),
        Mistake("transposed-result", "transposed result", "your values are the transpose, reshaped to fit.",
                {n: _transposed_reshaped(d)}),
    ]


def output_error(case: Case) -> list[Mistake]:
    g, z = case.arrays["grad_a"], case.arrays["z_L"]
    act = ref.ACTIVATIONS[case.meta["activation"]]
    d = g * act.prime(z)
    n = "delta"
    out = [
        Mistake("sigma-prime-missing", "σ′ missing",
                "your δ equals grad_a: Equation 1 multiplies it entry by entry by sigma_prime(z_L).", {n: g}),
        Mistake("sigma-prime-at-a", "σ′ taken at the wrong argument",
                "your δ is grad_a ⊙ σ′(grad_a); σ′ is taken at z_L.", {n: g * act.prime(g)}),
        Mistake("sign", "sign flipped", "your δ is −grad_a ⊙ σ′(z_L).", {n: -d}),
        Mistake("transposed-result", "transposed result", "your values are the transpose, reshaped to fit.",
                {n: _transposed_reshaped(d)}),
    ]
    m = z_cols(case)
    if m > 1:
        out.append(Mistake("mean-twice", "averaged twice",
                           "your δ is divided by m, but grad_a already carries the 1/m of the mean loss.",
                           {n: d / m}))
    return out


def backprop_error(case: Case) -> list[Mistake]:
    W, dn, z = case.arrays["W_next"], case.arrays["delta_next"], case.arrays["z"]
    act = ref.ACTIVATIONS[case.meta["activation"]]
    sp = act.prime(z)
    d = (W.T @ dn) * sp
    n = "delta"
    return [
        Mistake("sigma-prime-missing", "σ′ missing",
                "your δ is (W_next)ᵀ δ_next without the factor sigma_prime(z) of Equation 2.", {n: W.T @ dn}),
        Mistake("w-not-transposed", "W reshaped instead of transposed",
                "your δ uses W_next.reshape(...) where Equation 2 needs the transpose W_next.T; "
                "reshape keeps the order of the entries, it does not swap rows and columns.",
                {n: (W.reshape(W.shape[1], W.shape[0]) @ dn) * sp}),
        Mistake("sign", "sign flipped", "your δ is the negative of Equation 2's.", {n: -d}),
        Mistake("transposed-result", "transposed result", "your values are the transpose, reshaped to fit.",
                {n: _transposed_reshaped(d)}),
    ]


def weight_gradient(case: Case) -> list[Mistake]:
    d, a = case.arrays["delta"], case.arrays["a_prev"]
    g = d @ a.T
    out = [
        Mistake("transposed-result", "transposed result",
                "your values are a_prev δᵀ reshaped to W's shape; "
                "Equation 3 is δ (a_prev)ᵀ: delta @ a_prev.T.",
                {"dW": _transposed_reshaped(g)}),
        Mistake("sign", "sign flipped", "your values are −δ (a_prev)ᵀ.", {"dW": -g}),
    ]
    m = d.shape[1]
    if m > 1:
        out.append(Mistake("mean-twice", "averaged twice",
                           "your dW is divided by m, but δ already carries the 1/m of the mean loss: "
                           "Equation 3 sums over the examples.", {"dW": g / m}))
    return out


def bias_gradient(case: Case) -> list[Mistake]:
    d = case.arrays["delta"]
    g = d.sum(axis=1, keepdims=True)
    out = [Mistake("sign", "sign flipped", "your values are −δ.", {"db": -g})]
    m = d.shape[1]
    if m > 1:
        out.append(Mistake("mean-twice", "averaged twice",
                           "your db is the mean of δ's columns, but δ already carries the 1/m of the mean "
                           "loss: Equation 4 sums over the examples.", {"db": g / m}))
    return out


def z_cols(case: Case) -> int:
    return int(case.arrays["z_L"].shape[1])


# --------------------------------------------------------------------------- lesson 06-07

@dataclass(frozen=True)
class _Flag:
    key: str
    value: object
    id: str
    title: str
    explanation: str


_BACKWARD_FLAGS = [
    _Flag("sp", ("none", "none"), "sigma-prime-missing", "σ′ missing",
          "your gradients are what Equations 1 and 2 give without the factor σ′(z)."),
    _Flag("sp", ("a", "a"), "sigma-prime-at-a", "σ′ taken at a instead of z",
          "your gradients use σ′(a[l]); Equations 1 and 2 need σ′(z[l]) "
          "(for the sigmoid a[l](1 − a[l]), for tanh 1 − a[l]²)."),
    _Flag("sp", ("none", "z"), "sigma-prime-missing", "σ′ missing in Equation 1",
          "δ[L] lacks the factor σ′(z[L]): δ[L] = (a[L] − y) ⊙ σ′(z[L])."),
    _Flag("sp", ("z", "none"), "sigma-prime-missing", "σ′ missing in Equation 2",
          "δ[l] lacks the factor σ′(z[l]): δ[l] = (W[l+1])ᵀ δ[l+1] ⊙ σ′(z[l])."),
    _Flag("sp", ("a", "z"), "sigma-prime-at-a", "σ′ taken at a instead of z in Equation 1",
          "δ[L] uses σ′(a[L]) where it needs σ′(z[L])."),
    _Flag("sp", ("z", "a"), "sigma-prime-at-a", "σ′ taken at a instead of z in Equation 2",
          "δ[l] uses σ′(a[l]) where it needs σ′(z[l])."),
    _Flag("mean", "sum", "sum-not-mean", "sum instead of mean over the batch",
          "your gradients are m times too large: the loss is the mean over the batch, so δ[L] carries 1/m."),
    _Flag("mean", "twice", "mean-twice", "averaged twice",
          "your gradients are m times too small: divide by m once (in δ[L]), not again."),
    _Flag("bias", "mean", "mean-twice", "averaged twice in Equation 4",
          "db[l] is the mean of δ[l]'s columns, but δ already carries 1/m: Equation 4 sums them."),
    _Flag("half", 2.0, "mse-half", "the ½ of the MSE",
          "your gradients are twice the truth: with L = ½‖a − y‖², dL/da[L] = a[L] − y (no factor 2)."),
    _Flag("half", 0.5, "mse-half", "the ½ of the MSE (twice)",
          "your gradients are half the truth: dL/da[L] = a[L] − y; the ½ already cancelled the 2."),
    _Flag("sign", -1.0, "sign", "sign flipped",
          "your gradients point the wrong way: dL/da[L] = a[L] − y, not y − a[L]."),
    _Flag("wt", "reshape", "w-not-transposed", "W reshaped instead of transposed",
          "Equation 2 needs W[l+1].T; reshape keeps the order of the entries, it does not transpose."),
    _Flag("dw", "reshape", "transposed-result", "transposed dW",
          "dW[l] holds a[l−1] δ[l]ᵀ reshaped; Equation 3 is δ[l] (a[l−1])ᵀ."),
]


#: Lesson 11's network: tanh in the hidden layers, a sigmoid output. These mistakes only exist when
#: the two activations differ (or when the hidden one is tanh).
_MIXED_FLAGS = [
    _Flag("sp", ("z", "formula-z"), "sigma-prime-at-a", "tanh′ written 1 − z² in Equation 2",
          "δ[l] uses 1 − z[l]²: the formula 1 − a² needs a[l] = tanh(z[l]), so σ′(z[l]) = 1 − a[l]²."),
    _Flag("sp", ("formula-z", "z"), "sigma-prime-at-a", "σ′ written z(1 − z) in Equation 1",
          "δ[L] uses z[L](1 − z[L]): the formula a(1 − a) needs a[L] = σ(z[L])."),
    _Flag("sp", ("formula-z", "formula-z"), "sigma-prime-at-a", "σ′ formulas used with z",
          "your σ′ are a's formulas (1 − a², a(1 − a)) evaluated at z: use the activations a instead."),
    _Flag("sp", ("z", "swapped"), "wrong-activation", "sigmoid′ in the tanh layers",
          "δ[l] of the hidden layers uses the sigmoid's a(1 − a); their activation is tanh, "
          "whose derivative is 1 − a²."),
    _Flag("sp", ("swapped", "z"), "wrong-activation", "tanh′ at the sigmoid output",
          "δ[L] uses tanh's 1 − a²; the output is a sigmoid, whose derivative is a(1 − a)."),
    _Flag("sp", ("swapped", "swapped"), "wrong-activation", "σ′ of the other activation in every layer",
          "the output is a sigmoid (σ′ = a(1 − a)) and the hidden layers are tanh (σ′ = 1 − a²): "
          "your formulas are the other way round."),
    _Flag("fwd", "sigmoid", "wrong-activation", "sigmoid in the hidden layers",
          "your gradients are those of a network with sigmoid hidden layers; here the hidden layers "
          "are tanh (only the output is a sigmoid), in the forward pass and in σ′."),
]


def _derivatives(act: ref.Act, z: Array, a: Array) -> dict[str, Array]:
    """σ′ of one layer, right and wrong: at z, at a, a's formula used with z, the other activation's."""
    if act.name == "tanh":
        formula_z, swapped = 1.0 - z * z, a * (1.0 - a)
    elif act.name == "sigmoid":
        formula_z, swapped = z * (1.0 - z), 1.0 - a * a
    else:
        formula_z, swapped = act.prime(z), act.prime(z)
    return {"z": act.prime(z), "a": act.prime(a), "formula-z": formula_z, "swapped": swapped}


def _forward_for(W: list, b: list, X: Array, hidden: str, output: str) -> tuple[list, list]:
    """``(a, derivatives)`` lists indexed 0..L: the activations and :func:`_derivatives` per layer."""
    h, o = ref.ACTIVATIONS[hidden], ref.ACTIVATIONS[output]
    z, a = ref.network_forward(W, b, X, h, o)
    L = len(W) - 1
    return a, [None] + [_derivatives(o if l == L else h, z[l], a[l]) for l in range(1, L + 1)]


def backward_variant(
    W: list, b: list, X: Array, Y: Array, *, sp=("z", "z"), mean="mean", bias="sum", half=1.0,
    sign=1.0, wt="T", dw="ok", forward: tuple | None = None, hidden: str = "sigmoid",
    output: str = "sigmoid",
) -> dict[str, Array]:
    """Gradients of the mean ½-MSE of a network, with the given mistakes (grader-owned, analytic).

    ``hidden`` and ``output`` are the activations (sigmoid everywhere in lessons 06-07).
    ``sp = (Equation 1's, Equation 2's)`` σ′: ``"z"`` (right), ``"a"``, ``"none"``, ``"formula-z"``
    (a's formula used with z) or ``"swapped"`` (the other activation's formula).
    ``forward`` may pass the ``(a, derivatives)`` of :func:`_forward_for`, computed once for many variants.
    """
    L = len(W) - 1
    m = X.shape[1]
    if forward is None:
        forward = _forward_for(W, b, X, hidden, output)
    a, derivs = forward

    def sprime(l: int, where: str):
        return 1.0 if where == "none" else derivs[l][where]

    scale = {"mean": 1.0 / m, "sum": 1.0, "twice": 1.0 / m**2}[mean]
    delta = sign * half * scale * (a[L] - Y) * sprime(L, sp[0])
    out: dict[str, Array] = {}
    for l in range(L, 0, -1):
        g = delta @ a[l - 1].T
        out[f"dW[{l}]"] = _transposed_reshaped(g) if dw == "reshape" else g
        db = delta.sum(axis=1, keepdims=True)
        out[f"db[{l}]"] = db / m if bias == "mean" else db
        if l > 1:
            Wl = W[l].T if wt == "T" else W[l].reshape(W[l].shape[1], W[l].shape[0])
            delta = (Wl @ delta) * sprime(l - 1, sp[1])
    return out


def backward(case: Case) -> list[Mistake]:
    """The known mistakes of a whole backward pass (lessons 06, 07 and 11), alone and in pairs."""
    L = int(case.meta["L"])
    hidden, output = case.meta.get("hidden", "sigmoid"), case.meta.get("output", "sigmoid")
    W = [None] + [case.arrays[f"W[{l}]"] for l in range(1, L + 1)]
    b = [None] + [case.arrays[f"b[{l}]"] for l in range(1, L + 1)]
    X, Y = case.arrays["X"], case.arrays["Y"]
    forwards = {"ok": _forward_for(W, b, X, hidden, output)}
    batch = X.shape[1] > 1
    m = X.shape[1]
    flags = [f for f in _BACKWARD_FLAGS if batch or f.key not in ("mean", "bias")]
    if hidden == "tanh" and output == "sigmoid":
        flags += _MIXED_FLAGS
        forwards["sigmoid"] = _forward_for(W, b, X, "sigmoid", output)
    combos = [(f,) for f in flags] + [
        c for c in itertools.combinations(flags, 2) if c[0].key != c[1].key
    ]
    # sign, the ½ and the 1/m only scale the answer: compute each structural variant once.
    base: dict[tuple, dict[str, Array]] = {}
    out: list[Mistake] = []
    for combo in combos:
        kw = {f.key: f.value for f in combo}
        key = (kw.get("sp", ("z", "z")), kw.get("wt", "T"), kw.get("dw", "ok"), kw.get("fwd", "ok"))
        if key not in base:
            base[key] = backward_variant(W, b, X, Y, sp=key[0], wt=key[1], dw=key[2],
                                         forward=forwards[key[3]])
        factor = kw.get("sign", 1.0) * kw.get("half", 1.0) * {"mean": 1.0, "sum": m, "twice": 1.0 / m}[
            kw.get("mean", "mean")]
        grads = {k: v * (factor / m if k.startswith("db") and kw.get("bias") == "mean" else factor)
                 for k, v in base[key].items()}
        ids = [f.id for f in combo]
        title = " + ".join(f.title for f in combo)
        expl = " ".join("Your" + f.explanation[4:] if f.explanation.startswith("your ") else f.explanation
                        for f in combo)
        out.append(Mistake(ids[0], title, expl, grads, also=tuple(i for i in ids[1:] if i != ids[0])))
    return out


# --------------------------------------------------------------------------- lesson 08-09

def sgd_update(case: Case) -> list[Mistake]:
    L = int(case.meta["L"])
    lr = float(case.meta["learning_rate"])
    A = case.arrays
    new = {f"W_new[{l}]": A[f"W[{l}]"] - lr * A[f"dW[{l}]"] for l in range(1, L + 1)}
    new.update({f"b_new[{l}]": A[f"b[{l}]"] - lr * A[f"db[{l}]"] for l in range(1, L + 1)})

    def each(fw, fb) -> dict[str, Array]:
        out = {f"W_new[{l}]": fw(A[f"W[{l}]"], A[f"dW[{l}]"]) for l in range(1, L + 1)}
        out.update({f"b_new[{l}]": fb(A[f"b[{l}]"], A[f"db[{l}]"]) for l in range(1, L + 1)})
        return out

    return [
        Mistake("sign", "sign flipped", "you added the gradient; gradient descent subtracts it: "
                "W[l] - learning_rate * dW[l].", each(lambda p, g: p + lr * g, lambda p, g: p + lr * g)),
        Mistake("learning-rate-missing", "learning rate missing",
                "you subtracted the whole gradient; multiply it by learning_rate first.",
                each(lambda p, g: p - g, lambda p, g: p - g)),
        Mistake("step-only", "returned the step, not the new parameters",
                "your values are −learning_rate · gradient; add the parameters: "
                "W[l] - learning_rate * dW[l].",
                each(lambda p, g: -lr * g, lambda p, g: -lr * g)),
        Mistake("bias-not-updated", "b not updated", "your b_new equals b: update the biases too.",
                each(lambda p, g: p - lr * g, lambda p, g: p)),
        Mistake("weights-not-updated", "W not updated", "your W_new equals W: update the weights too.",
                each(lambda p, g: p, lambda p, g: p - lr * g)),
    ]


def softmax_output_error(case: Case) -> list[Mistake]:
    z, Y = case.arrays["z_L"], case.arrays["Y"]
    m = z.shape[1]
    p = ref.softmax(z, axis=0)
    d = (p - Y) / m
    n = "delta"
    return [
        Mistake("sum-not-mean", "sum instead of mean over the batch",
                f"your δ is ŷ − Y, {m} times too large: the loss is the mean over the m = {m} examples, "
                "so δ = (ŷ − Y)/m.", {n: p - Y}),
        Mistake("mean-twice", "averaged twice", f"your δ is (ŷ − Y)/m², divided by m = {m} once too often.",
                {n: d / m}),
        Mistake("sign", "sign flipped", "your δ is (Y − ŷ)/m.", {n: -d}),
        Mistake("sigma-prime-extra", "σ′ multiplied in",
                "your δ is (ŷ − Y) ⊙ ŷ(1 − ŷ)/m: with softmax and cross-entropy the Jacobian cancels, "
                "leaving δ = (ŷ − Y)/m with no extra factor.", {n: d * p * (1 - p)}),
        Mistake("softmax-axis", "softmax over the wrong axis",
                "your ŷ normalises each row (over the examples); softmax normalises each column "
                "(over the units of one example): axis=0.", {n: (ref.softmax(z, axis=1) - Y) / m}),
        Mistake("softmax-axis", "softmax over the whole array",
                "your ŷ normalises over every entry at once; softmax works per column: "
                "axis=0, keepdims=True.",
                {n: (ref.softmax(z, axis=None) - Y) / m}),
        Mistake("sigmoid-instead", "sigmoid instead of softmax",
                "your ŷ is σ(z) entry by entry; the output is softmax(z) per column.",
                {n: (ref.sigmoid(z) - Y) / m}),
        Mistake("transposed-result", "transposed result", "your values are the transpose, reshaped to fit.",
                {n: _transposed_reshaped(d)}),
    ]


# --------------------------------------------------------------------------- lesson 12

def op_backward(case: Case) -> list[Mistake]:
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
                    "your gx is grad * (1 − tanh(x)); the derivative is 1 − tanh(x)².", {"gx": g * (1 - t)}),
            Mistake("sign", "sign flipped", "your gx is grad * (tanh(x)² − 1).", {"gx": -g * (1 - t * t)}),
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
    ]
