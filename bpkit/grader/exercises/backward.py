"""Lessons 06, 07 and 11: the whole backward pass of a network, by Equations 1-4.

``backward(W, b, x, y)`` (lesson 06, one example), ``backward_batch(W, b, X, Y)``
(lesson 07, a batch of m >= 3 columns, m unequal to every width) and
``backward_fixed`` (lesson 11, tanh hidden layers) share this module's
cases, truth and mistakes: the truth of every dW[l] and db[l] is a central
difference of the grader's own forward pass and mean ½-MSE; the known
mistakes are those of backward_variant -- alone and in pairs.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass

import numpy as np

from ..cases import batch_size, distinct_sizes
from ..mistakes import Mistake, transposed_reshaped
from .base import (
    Exercise,
    KnownError,
    OutputSpec,
    central_difference,
    failing_code,
    layers_text,
    mismatch,
    ref,
    shape_cause,
    transposes,
    unit_below,
    unpack_pair,
)

Array = np.ndarray
_transposed_reshaped = transposed_reshaped


@dataclass(frozen=True)
class _Flag:
    key: str
    value: object
    id: str
    title: str
    explanation: str
    paired: bool = True     #: tried together with another mistake too (False: alone only, for speed)


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
    _Flag("bias", "mean", "mean-twice", "mean instead of sum in Equation 4",
          "db[l] is the mean of δ[l]'s columns, but δ already carries 1/m: Equation 4 sums them."),
    _Flag("dwm", "mean", "mean-twice", "dW divided by m again",
          "dW[l] is divided by m, but δ[l] already carries the 1/m: Equation 3 is δ[l] (a[l−1])ᵀ, a sum."),
    _Flag("fwd", "no-bias", "missing-bias", "b left out of the forward pass",
          "your gradients are those of a network without biases: the forward pass is "
          "z[l] = W[l] a[l−1] + b[l], so every a[l] and σ′(z[l]) depends on b[l] too."),
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
    _Flag("sp", ("z", "other-z"), "wrong-activation", "sigmoid′(z) in the tanh layers",
          "δ[l] of the hidden layers uses σ(z)(1 − σ(z)), the sigmoid's derivative; their activation is "
          "tanh, whose derivative is 1 − tanh(z)² = 1 − a[l]²."),
    _Flag("sp", ("other-z", "z"), "wrong-activation", "tanh′(z) at the sigmoid output",
          "δ[L] uses 1 − tanh(z[L])²; the output is a sigmoid, whose derivative is σ(z)(1 − σ(z)) = "
          "a(1 − a)."),
    _Flag("sp", ("swapped", "z"), "wrong-activation", "tanh′ at the sigmoid output",
          "δ[L] uses tanh's 1 − a²; the output is a sigmoid, whose derivative is a(1 − a)."),
    _Flag("sp", ("swapped", "swapped"), "wrong-activation", "σ′ of the other activation in every layer",
          "the output is a sigmoid (σ′ = a(1 − a)) and the hidden layers are tanh (σ′ = 1 − a²): "
          "your formulas are the other way round."),
    _Flag("sp", ("z", "square-outside"), "square-outside", "(1 − a)² for tanh′ in Equation 2",
          "δ[l] of the hidden layers uses (1 − a[l])²: the square belongs to a alone, tanh′ = 1 − a[l]² "
          "(1 - a**2)."),
    _Flag("fwd", "tanh-output", "wrong-activation", "tanh at the output as well",
          "your gradients are those of a network with tanh at the output too; the output layer is a "
          "sigmoid (in the forward pass and in σ′ of Equation 1), only the hidden layers are tanh."),
    _Flag("fwd", "sigmoid", "wrong-activation", "sigmoid in the hidden layers",
          "your gradients are those of a network with sigmoid hidden layers; here the hidden layers "
          "are tanh (only the output is a sigmoid), in the forward pass and in σ′."),
]


#: A sigmoid network only: the formulas of a used with z, and tanh's formula.
_SIGMOID_FLAGS = [
    _Flag("sp", ("formula-z", "formula-z"), "formula-at-z", "a(1 − a) used with z",
          "your σ′ are z(1 − z): the formula a(1 − a) needs the activations a[l] = σ(z[l]), not z[l]."),
    _Flag("sp", ("z", "formula-z"), "formula-at-z", "a(1 − a) used with z in Equation 2",
          "δ[l] of the hidden layers uses z(1 − z) at z[l]: the formula a(1 − a) needs a[l] = σ(z[l]), "
          "not z[l].", paired=False),
    _Flag("sp", ("swapped", "swapped"), "wrong-activation", "tanh′ (1 − a²) in a sigmoid network",
          "your σ′ are 1 − a², the derivative of tanh; every layer here is a sigmoid, σ′ = a(1 − a)."),
    _Flag("sp", ("z", "swapped"), "wrong-activation", "tanh′ (1 − a²) in the hidden layers of a "
          "sigmoid network",
          "δ[l] uses 1 − a[l]², the derivative of tanh; the hidden layers here are sigmoids, σ′ = a(1 − a)."),
]


def _derivatives(act: ref.Act, z: Array, a: Array) -> dict[str, Array]:
    """σ′ of one layer, right and wrong: at z, at a, a's formula used with z, the other activation's."""
    if act.name == "tanh":
        formula_z, swapped, other = 1.0 - z * z, a * (1.0 - a), ref.sigmoid_prime(z)
    elif act.name == "sigmoid":
        formula_z, swapped, other = z * (1.0 - z), 1.0 - a * a, ref.tanh_prime(z)
    else:
        formula_z = swapped = other = act.prime(z)
    return {"z": act.prime(z), "a": act.prime(a), "formula-z": formula_z, "swapped": swapped,
            "other-z": other, "square-outside": (1.0 - a) ** 2 if act.name == "tanh" else act.prime(z)}


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


#: Flags that only scale the answer (cheap: no new backward pass), and the structural pairs kept.
SCALING_KEYS = ("mean", "bias", "dwm", "half", "sign")
STRUCTURAL_PAIRS = {("sp", "wt"), ("sp", "dw"), ("sp", "fwd")}


def _common(f: _Flag) -> bool:
    return f.paired and (f.key != "sp" or f.value in _COMMON_SP)


def _likely_pair(f: _Flag, g: _Flag) -> bool:
    """Pairs of mistakes that are tried: common ones only, and at most one that changes the backward
    pass's structure unless it is σ′ with W reshaped, dW reshaped or b left out."""
    if not (_common(f) and _common(g)):
        return False
    if f.key in SCALING_KEYS or g.key in SCALING_KEYS:
        return True
    return (f.key, g.key) in STRUCTURAL_PAIRS or (g.key, f.key) in STRUCTURAL_PAIRS


#: σ′ variants common enough to be paired with another structural mistake.
_COMMON_SP = {("none", "none"), ("a", "a"), ("z", "none"), ("z", "a"), ("z", "formula-z"), ("z", "other-z")}


#: Flags that only exist for a batch (they agree with the truth when m = 1).
BATCH_KEYS = ("mean", "bias", "dwm")


def absolute_backward(case) -> dict[str, Array]:
    """What was summed for each gradient, in absolute values (the float32 allowance's scale):
    Equations 1-4 run with |W|, |a| and |σ′| + |z| (the effect of rounding z itself)."""
    L = int(case.meta["L"])
    hidden, output = case.meta.get("hidden", "sigmoid"), case.meta.get("output", "sigmoid")
    W = [None] + [case.arrays[f"W[{l}]"] for l in range(1, L + 1)]
    b = [None] + [case.arrays[f"b[{l}]"] for l in range(1, L + 1)]
    X, Y = case.arrays["X"], case.arrays["Y"]
    z, a = ref.network_forward(W, b, X, ref.ACTIVATIONS[hidden], ref.ACTIVATIONS[output])
    acts = [None] + [ref.ACTIVATIONS[output if l == L else hidden] for l in range(1, L + 1)]
    zabs = [None] + [np.abs(W[l]) @ np.abs(a[l - 1]) + np.abs(b[l]) for l in range(1, L + 1)]
    slope = [None] + [np.abs(acts[l].prime(z[l])) + 0.25 * zabs[l] for l in range(1, L + 1)]
    delta = (np.abs(a[L]) + np.abs(Y)) * slope[L] / X.shape[1]
    out = {}
    for l in range(L, 0, -1):
        out[f"dW[{l}]"] = delta @ np.abs(a[l - 1]).T
        out[f"db[{l}]"] = delta.sum(axis=1, keepdims=True)
        if l > 1:
            delta = (np.abs(W[l]).T @ delta) * slope[l - 1]
    return out


@dataclass(frozen=True, eq=False)         # kw is a dict: compared and hashed by identity
class _Combo:
    """One mistake or pair of mistakes of the backward pass, as far as it does not depend on the case."""
    key: tuple               # the structural variant: (sp, wt, dw, fwd)
    kw: dict
    ids: tuple[str, ...]
    title: str
    explanation: str
    batch_only: bool


@functools.cache
def _combos(batch: bool, hidden: str, output: str) -> tuple[_Combo, ...]:
    """The mistakes tried for a case of this kind, alone and in likely pairs, in order of likelihood."""
    flags = [f for f in _BACKWARD_FLAGS if batch or f.key not in BATCH_KEYS]
    if hidden == "tanh" and output == "sigmoid":
        flags += _MIXED_FLAGS
    elif hidden == output == "sigmoid":
        flags += _SIGMOID_FLAGS
    combos = [(f,) for f in flags] + [
        c for c in itertools.combinations(flags, 2) if c[0].key != c[1].key and _likely_pair(*c)
    ]
    out = []
    for combo in combos:
        kw = {f.key: f.value for f in combo}
        key = (kw.get("sp", ("z", "z")), kw.get("wt", "T"), kw.get("dw", "ok"), kw.get("fwd", "ok"))
        expl = " ".join("Your" + f.explanation[4:] if f.explanation.startswith("your ") else f.explanation
                        for f in combo)
        out.append(_Combo(key, kw, tuple(f.id for f in combo), " + ".join(f.title for f in combo), expl,
                          any(f.key in BATCH_KEYS for f in combo)))
    return tuple(out)


def _scaled(grads: dict[str, Array], kw: dict, m: int) -> dict[str, Array]:
    """A structural variant's gradients with the combo's sign, ½ and 1/m, and the extra 1/m of a mean
    taken in Equation 3 or 4 only (multiplying by 1 is skipped: it is exact, the arrays are the same)."""
    factor = kw.get("sign", 1.0) * kw.get("half", 1.0) * {"mean": 1.0, "sum": m, "twice": 1.0 / m}[
        kw.get("mean", "mean")]
    extra = {"dW": 1.0 / m if kw.get("dwm") == "mean" else 1.0,
             "db": 1.0 / m if kw.get("bias") == "mean" else 1.0}
    out = {}
    for k, v in grads.items():
        e = extra.get(k[:2], 1.0)
        if factor != 1.0:
            v = v * factor
        out[k] = v * e if e != 1.0 else v
    return out


def backward_mistakes(case) -> list[Mistake]:
    """The known mistakes of a whole backward pass (lessons 06, 07 and 11), alone and in pairs."""
    L = int(case.meta["L"])
    hidden, output = case.meta.get("hidden", "sigmoid"), case.meta.get("output", "sigmoid")
    W = [None] + [case.arrays[f"W[{l}]"] for l in range(1, L + 1)]
    b = [None] + [case.arrays[f"b[{l}]"] for l in range(1, L + 1)]
    X, Y = case.arrays["X"], case.arrays["Y"]
    m = X.shape[1]
    forwards = {"ok": _forward_for(W, b, X, hidden, output),
                "no-bias": _forward_for(W, [None] + [np.zeros_like(v) for v in b[1:]], X, hidden, output)}
    if hidden == "tanh" and output == "sigmoid":
        forwards["sigmoid"] = _forward_for(W, b, X, "sigmoid", output)
        forwards["tanh-output"] = _forward_for(W, b, X, "tanh", "tanh")
    # sign, the ½ and the 1/m only scale the answer: compute each structural variant once.
    base: dict[tuple, dict[str, Array]] = {}
    out: list[Mistake] = []
    for c in _combos(m > 1, hidden, output):
        if c.key not in base:
            base[c.key] = backward_variant(W, b, X, Y, sp=c.key[0], wt=c.key[1], dw=c.key[2],
                                           forward=forwards[c.key[3]])
        out.append(Mistake(c.ids[0], c.title, c.explanation, _scaled(base[c.key], c.kw, m),
                           also=tuple(i for i in c.ids[1:] if i != c.ids[0]), batch_only=c.batch_only))
    if m > 1:
        one = _forward_for(W, b, X[:, :1], hidden, output)
        out.append(Mistake("first-column-only", "only the first example",
                           "your gradients are those of the first example alone: use all m columns of X "
                           "and Y, with the 1/m of the mean in δ[L].",
                           backward_variant(W, b, X[:, :1], Y[:, :1], forward=one), batch_only=True))
    return out


#: W[l].T with a plain loop index (no offset): the weight a loop standing at layer l needs.
_BARE_W_T = re.compile(r"\bW\[\s*[A-Za-z_]\w*\s*\]\s*\.T")


def _layer_shape_cause(case, spec, got: tuple[int, ...]) -> tuple[str, str] | None:
    """dW[l] shaped like db[l] (the pair swapped), like δ[l-1] a[l-1]ᵀ (Equation 2 too early), or "
    "np.outer's."""
    if not spec.name.startswith("dW") or len(got) != 2:
        return None
    sizes, m = case.meta["sizes"], int(case.meta.get("m", 1))
    l = int(spec.name[3:-1])
    if got == (sizes[l], 1):
        return "swapped-pair", ("it has db's shape: the pair came back in the other order -- "
                                "return dW, db (the weights' gradients first)")
    if l < len(sizes) - 1 and sizes[-1] != sizes[l] and got == (sizes[-1], sizes[l - 1]):
        return "delta-not-updated", (f"it is δ[L] (a[{l - 1}])ᵀ: δ was not updated -- Equation 2's result "
                                     f"must be assigned back to delta, so that layer {l} uses δ[{l}]")
    if l > 1 and got == (sizes[l - 1], sizes[l - 1]):
        return "wrong-layer", (f"it is δ[{l - 1}] (a[{l - 1}])ᵀ: δ was moved down a layer (Equation "
               "2) before "
                               f"Equations 3 and 4 used it -- compute dW[{l}] and db[{l}] from δ[{l}] first")
    if m > 1 and got == (sizes[l] * m, sizes[l - 1] * m):
        return "outer-flattens", (f"np.outer flattens both arrays, so for a batch of {m} it is the wrong "
                                  "product: dW[l] = δ[l] @ a[l-1].T sums the outer products of the columns")
    return None


def _network(rng: np.random.Generator, index: int, batch: bool):
    L = 2 if index % 3 == 1 else 3
    m = batch_size(rng) if batch else 1
    sizes = distinct_sizes(rng, L + 1, exclude=(m,))
    arrays: dict[str, Array] = {}
    for l in range(1, L + 1):
        arrays[f"W[{l}]"] = rng.standard_normal((sizes[l], sizes[l - 1])) * (1.5 / np.sqrt(sizes[l - 1]))
        arrays[f"b[{l}]"] = 0.5 * rng.standard_normal((sizes[l], 1))
    arrays["X"] = rng.standard_normal((sizes[0], m))
    arrays["Y"] = rng.uniform(0, 1, (sizes[-1], m))
    return L, sizes, m, arrays


class BackwardExercise(Exercise):
    id, lesson, function = "backward", 6, "backward"
    signature = "backward(W, b, x, y)"
    title = "the whole backward pass for one example (sigmoid layers, MSE)"
    _x, _y = "x", "y"

    #: Activations of the hidden layers and of layer L (lessons 06-07: sigmoid everywhere).
    hidden, output = "sigmoid", "sigmoid"
    hints = (
        "First the forward pass, keeping z[l] and a[l] of every layer (a[0] = x). Then Equation 1 "
        "for δ[L], and a loop from L down to 1.",
        "In the loop at layer l: dW[l] uses a[l-1], the activations of the layer below, and db[l] is "
        "δ[l] itself; then Equation 2 moves δ one layer down, through the transpose of W[l].",
        "σ′ is always taken at z (for the sigmoid, a(1 − a) with a = σ(z)), and the lists dW and db "
        "have L + 1 entries with None at index 0, like W and b.",
    )
    hint_for = {"wrong-layer": 2, "w-not-transposed": 2, "sigma-prime-missing": 1, "sigma-prime-at-a": 3,
                "formula-at-z": 3, "missing-bias": 1, "not-an-array": 3, "constant-multiple": 1,
                "mse-half": 1, "sign": 1, "mismatch": 1}

    def build(self, rng, index, seed):
        L, sizes, m, arrays = _network(rng, index, self.batch)
        what = f"batch of {m}" if self.batch else "one example"
        meta = ({} if self.hidden == self.output == "sigmoid"
                else {"hidden": self.hidden, "output": self.output})
        acts = "" if not meta else f", {self.hidden} hidden, {self.output} output"
        return self._case(index, seed, arrays, f"sizes {'-'.join(map(str, sizes))}, {what}{acts}",
                          L=L, sizes=sizes, m=m, **meta)

    def arguments(self, case):
        W, b = case.layers("W"), case.layers("b")
        X, Y = case.array("X"), case.array("Y")
        return (W, b, X, Y), {"W": W, "b": b, self._x: X, self._y: Y}

    def outputs(self, case):
        L, sizes, m = int(case.meta["L"]), case.meta["sizes"], int(case.meta["m"])
        specs = []
        for l in range(L, 0, -1):
            specs.append(OutputSpec(f"dW[{l}]", (sizes[l], sizes[l - 1]), f"unit {{}} of layer {l}",
                                    unit_below(l), m))
            specs.append(OutputSpec(f"db[{l}]", (sizes[l], 1), f"unit {{}} of layer {l}", "", m))
        return specs

    def unpack(self, value, case):
        return unpack_pair(value, int(case.meta["L"]), ("dW", "db"), self.function)

    def compute_truth(self, case):
        L = int(case.meta["L"])
        W = [None] + [case.arrays[f"W[{l}]"] for l in range(1, L + 1)]
        b = [None] + [case.arrays[f"b[{l}]"] for l in range(1, L + 1)]
        X, Y = case.arrays["X"], case.arrays["Y"]
        hidden, output = case.meta.get("hidden", "sigmoid"), case.meta.get("output", "sigmoid")
        out = {}
        for l in range(1, L + 1):
            for name, P in (("W", W[l]), ("b", b[l])):
                out[f"d{name}[{l}]"] = central_difference(
                    lambda S, name=name, l=l: ref.network_loss_stack(W, b, X, Y, name, l, S, hidden, output),
                    P)
        return out

    def mistakes(self, case):
        return backward_mistakes(case)

    def magnitude(self, case):
        return absolute_backward(case)

    def exception_hint(self, case, status):
        sizes, m = case.meta["sizes"], int(case.meta["m"])
        found = mismatch(status)
        if found is None:
            return None
        code = failing_code(status)
        if any(found == (sizes[l - 1], sizes[l]) for l in range(2, len(sizes))):
            if transposes(code) and "W" in code:                                       # W[l-1].T @ delta
                if found[1] == sizes[-1] and _BARE_W_T.search(code):           # W[l].T @ δ[L]
                    return KnownError(
                        "delta-not-updated", "δ not updated: δ[L] reached a lower layer",
                        f"the δ in this product still has δ[L]'s {sizes[-1]} rows: the result of Equation 2 "
                        "was not assigned back to delta, so this layer multiplies δ[L] again (with your "
                        "loop at layer l, W[l].T is the right weight) -- write "
                        "delta = (W[l].T @ delta) * sigma_prime(z[l-1]).")
                return KnownError("wrong-layer", "W of the wrong layer",
                            "δ[l] comes from the layer above: Equation 2 multiplies δ[l+1] by "
                            "(W[l+1])ᵀ, the weights of layer l+1 -- in a loop that stands at layer l "
                            "and computes δ[l-1], that is W[l].T @ delta.")
            return KnownError("w-not-transposed", "W instead of Wᵀ",                          # W[l] @ delta
                        "W[l+1] is (n_{l+1}, n_l) and δ[l+1] is (n_{l+1}, m): Equation 2 needs the "
                        "transpose, W[l+1].T @ delta.")
        if found[0] == m and found[1] in sizes[:-1] and ("a[" in code or "a_prev" in code) \
                and not transposes(code):                                            # delta @ a[l-1]
            return KnownError("a-not-transposed", "a[l−1] not transposed",
                        "Equation 3 is δ[l] (a[l−1])ᵀ: delta @ a[l-1].T.")
        return None

    def shape_cause(self, case, spec, got):
        cause = _layer_shape_cause(case, spec, got)
        if cause is not None:
            return cause
        if spec.name.startswith("dW") and len(got) == 2 and got[0] == spec.shape[0] and got != spec.shape:
            sizes = case.meta["sizes"]
            l = int(spec.name[3:-1])
            if got[1] == sizes[l] and sizes[l] != sizes[l - 1]:
                return "wrong-layer", (f"it is (n_{l}, n_{l}): Equation 3 takes the activations of the "
                                       f"layer below, a[{l - 1}], not a[{l}]")
        return shape_cause(spec, got)

    def where_hint(self, case, wrong, right):
        L = int(case.meta["L"])
        top = max(int(n[3:-1]) for n in wrong)          # the highest layer with a wrong gradient
        dw, db = f"dW[{top}]" in wrong, f"db[{top}]" in wrong
        above = "" if top == L else layers_text(top + 1, L) + " right. "
        if dw and db:
            if top == L:
                grad = f"a[{L}] − y" if int(case.meta.get("m", 1)) == 1 else f"(a[{L}] − y)/m"
                return (f"Already the output layer {L} is wrong: check Equation 1, "
                        f"δ[{L}] = dL/da[{L}] ⊙ σ′(z[{L}]) with dL/da[{L}] = {grad}.")
            return (f"{above}δ[{top}] is wrong (so are dW[{top}] and db[{top}]): check Equation 2, "
                    f"δ[{top}] = (W[{top + 1}])ᵀ δ[{top + 1}] ⊙ σ′(z[{top}]).")
        if dw:
            return (f"{above}db[{top}] is right, so δ[{top}] is: check Equation 3, "
                    f"dW[{top}] = δ[{top}] (a[{top - 1}])ᵀ.")
        return (f"{above}dW[{top}] is right, so δ[{top}] is: check Equation 4, "
                f"db[{top}] = δ[{top}] summed over the examples (a sum: δ already holds the 1/m).")


EXERCISE = BackwardExercise()
