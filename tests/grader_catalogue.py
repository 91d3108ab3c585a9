"""A black-box catalogue of realistic student answers, wrong and right, for every exercise.

Written from the exercises' promises (the stubs' docstrings and the lesson
text), not from the grader's code: each wrong answer is a mistake a real
student makes, with a regex of the mistake's *name* as the student should
read it in the report; each right answer is another way of writing the
truth (loops, einsum, another order of operations, float32, integers).

:data:`CATALOGUE` is a list of :class:`Answer`. ``Answer.exercises`` lists
the ids the answer belongs to, newest first (``update-parameters`` was
``sgd-update``); :func:`exercise_id` picks the one that exists in the
grader under test. ``init_weights``' third argument is an activation
("tanh", "sigmoid", "relu") in the old lesson and a method ("xavier",
"he") in the new one: the answers here accept both.

>>> sum(a.correct for a in CATALOGUE) > 50 and sum(not a.correct for a in CATALOGUE) > 200
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

# --------------------------------------------------------------------------- the record


@dataclass(frozen=True)
class Answer:
    """One student answer: the exercise ids it is for, its name, the function (or dict of them)."""

    exercises: tuple[str, ...]
    name: str
    fn: Any
    #: None for a correct answer; else a regex (case-insensitive) of the mistake's name in the report
    named: str | None
    #: the mistake in one line (for FINDINGS.md)
    why: str = ""

    @property
    def correct(self) -> bool:
        return self.named is None

    @property
    def id(self) -> str:
        return f"{self.exercises[0]}:{self.name}"


CATALOGUE: list[Answer] = []

UPDATE = ("update-parameters", "sgd-update")


def exercise_id(answer: Answer, available) -> str | None:
    """The first of the answer's exercise ids that the grader under test has."""
    return next((e for e in answer.exercises if e in available), None)


def _ids(exercise: str | tuple[str, ...]) -> tuple[str, ...]:
    return (exercise,) if isinstance(exercise, str) else tuple(exercise)


def bug(exercise, named: str, why: str = "", name: str | None = None):
    """Register a wrong answer (a decorator)."""

    def deco(fn):
        CATALOGUE.append(Answer(_ids(exercise), name or fn.__name__, fn, named, why))
        return fn

    return deco


def good(exercise, name: str | None = None):
    """Register a correct answer (a decorator)."""

    def deco(fn):
        CATALOGUE.append(Answer(_ids(exercise), name or fn.__name__, fn, None, "correct"))
        return fn

    return deco


# --------------------------------------------------------------------------- regexes of names
# About meaning, so that they survive rewording. Matched case-insensitively against str(result).

MUTATED = r"chang|mutat|in[ -]place|modif|overwr|not restored"
SIGN = r"\bsign\b|negat|opposite"
TRANSPOSED = r"transpos"
NO_MEAN = (
    r"1/m\b.{0,40}(missing|forgot|left out|omitted|lacks|without)|(missing|forgot|left out|omitted|"
    r"without|lacks|no) (the )?1/m|sum instead of (the )?mean|summed instead|not (divided|averaged)|"
    r"times m\b|\bm times\b"
)
TWICE_MEAN = r"twice|two times|1/m²|1/m\^2|m²|m\*\*2|double"
BATCH_ONLY = (
    r"for one example|one example but|wrong for a batch|for a batch|over the batch|across the batch|"
    r"the batch (axis|dimension)|batch axis|one per example|first (column|example)|"
    r"only (the )?(first|one) (column|example)|"
    r"single column|each column|every column|m ?> ?1|m ?≥ ?2|sum(med)? over (the )?(columns|examples)|"
    r"columns? (are|is) (summed|dropped|ignored)"
)
SIGMA_PRIME_MISSING = (
    r"σ′.{0,30}(missing|left out|forgot|omitted|not multiplied)|(missing|without|forgot|no|"
    r"lacks) (the )?(factor )?σ′|sigma_prime.{0,20}(missing|not called|unused|never)|(missing|"
    r"without) .{0,20}derivative"
)
AT_A = (
    r"σ′\(a|σ′ ?\(σ|sigma_prime\(a|at a\b|of a instead|σ′ of a|σ\(σ\(z|applied twice|sigmoid_prime\(a|twice"
)
FORMULA_OF_A_WITH_Z = (
    r"formula (of|for|in terms of) a .{0,40}z|with z in place of a|z in place of a|z instead of a\b|"
    r"z ?\* ?\(1 ?[-−] ?z\)|1 ?[-−] ?z ?(\*\*|\^)? ?2|1 ?[-−] ?z²|z\(1 ?[-−] ?z\)"
)
W_NOT_WT = r"transpos|W(\[l ?\+? ?1?\])?\.T\b|Wᵀ|W\^T|\(W\[l ?\+ ?1\]\)ᵀ"
HALF = r"½|1/2|factor (of )?2|twice|2 ?×|× ?2|half|double"
HADAMARD = (
    r"⊙|hadamard|entry[- ]by[- ]entry|element[- ]?wise|\* not @|@ (for|instead of|where) \*|"
    r"matrix product where"
)
ONE_D = r"\(n,\)|\(\d+,\)|1-d|one-dimensional|keepdims|ravel|flatten|broadcast"
AXIS = r"axis|\(1, ?m\)|\(1, ?\d+\)|rows instead|over the (units|rows)"
SCALAR = r"single number|scalar|one number|a float|shape \(\)|0-d"
LR = (
    r"learning[_ ]rate (is )?(missing|left out|not (multiplied|applied|used)|applied twice|squared|ignored)|"
    r"(without|forgot|missing|no|divided by|divide by|times) (the )?learning[_ ]rate|\bα\b|alpha|step size"
)
NOT_RESTORED = r"restor|not put back|" + MUTATED
CONSTANT = r"constant|multiple|times the (expected|truth)|\d/\d+ of|× the|factor"
LAYER_INPUT = (
    r"a\[l\](?! ?[-−])|a\[l ?[-−] ?1\]|layer's input|wrong layer|activations of (the )?(wrong|same|"
    r"this) layer|off by one"
)
BIAS_FORWARD = (
    r"\bb\b.{0,30}(missing|left out|forgot|omitted|not added)|without (the )?b\b|"
    r"bias.{0,30}(missing|left out|forgot|omitted|not added)|(forgot|missing|left out|"
    r"without) (the )?bias|\+ ?b\b"
)
NONE_ENTRY = r"index 0|entry 0|\[0\]|None|L ?\+ ?1 items|items but must"
RAISED = r"error|raised|exception"
HARD_CODED = (
    r"hard.?cod|the {arg} (you were |it was )?given|{arg} argument|(use|call|ignor\w*) (the )?{arg}|"
    r"not the {arg}|sigmoid'?s? (derivative |σ′ )?(instead|in place) of"
)


# --------------------------------------------------------------------------- shared helpers


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def _sigp(z):
    s = _sig(z)
    return s * (1 - s)


def _forward(W, b, X, hidden=_sig, out=_sig, bias=True):
    L = len(W) - 1
    a, z = [X], [None]
    for l in range(1, L + 1):
        z.append(W[l] @ a[l - 1] + (b[l] if bias else 0))
        a.append(out(z[l]) if l == L else hidden(z[l]))
    return z, a


def _he(third) -> bool:
    """init_weights' third argument: an activation (old lesson 10) or a method (new lesson 10)."""
    return str(third).lower() in ("relu", "he")


# ==================== lesson 00: sigmoid

EX = "sigmoid"


@good(EX)
def sigmoid_plain(z):
    return 1 / (1 + np.exp(-z))


@good(EX)
def sigmoid_via_tanh(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


@good(EX)
def sigmoid_e_power(z):
    return (1 + np.e ** (-z)) ** -1


@good(EX)
def sigmoid_logaddexp(z):
    return np.exp(-np.logaddexp(0.0, -z))


@good(EX)
def sigmoid_loop_math(z):
    out = np.empty(np.shape(z))
    for i in np.ndindex(out.shape):
        zi = float(z[i])
        out[i] = 1 / (1 + math.exp(-zi)) if zi >= 0 else math.exp(zi) / (1 + math.exp(zi))
    return out


@good(EX)
def sigmoid_float32(z):
    z32 = np.asarray(z, dtype=np.float32)
    return np.float32(1) / (np.float32(1) + np.exp(-z32))


@bug(EX, r"sign|exponent.{0,30}[-−]z|np\.exp\(-z\)", "np.exp(z): the sign of the exponent")
def sigmoid_exp_plus(z):
    return 1 / (1 + np.exp(z))


@bug(
    EX,
    r"numerator|1 ?[-−] ?σ|σ\( ?[-−] ?z ?\)|top",
    "np.exp(-z)/(1+np.exp(-z)): numerator e^-z, i.e. 1 - σ(z)",
)
def sigmoid_numerator_exp(z):
    return np.exp(-z) / (1 + np.exp(-z))


@bug(EX, r"1 ?\+|plus one|missing 1\b|the one", "1/np.exp(-z): the 1 + is missing")
def sigmoid_no_one_plus(z):
    return 1 / np.exp(-z)


@bug(EX, r"1 ?/|reciprocal|invert|inverse|divid", "1 + np.exp(-z): the 1/ is missing")
def sigmoid_no_reciprocal(z):
    return 1 + np.exp(-z)


@bug(EX, r"parenthes|bracket|precedence|1 ?/|order of operations", "1/1 + np.exp(-z): precedence")
def sigmoid_precedence(z):
    return 1 / 1 + np.exp(-z)


@bug(EX, r"σ′|sigma'|sigmoid_prime|derivative", "returns σ(z)(1-σ(z)), the derivative")
def sigmoid_returns_derivative(z):
    s = 1 / (1 + np.exp(-z))
    return s * (1 - s)


@bug(EX, r"tanh", "returns np.tanh(z)")
def sigmoid_is_tanh(z):
    return np.tanh(z)


@bug(EX, MUTATED, "computes in the caller's z (z *= -1 ...)")
def sigmoid_in_place(z):
    np.negative(z, out=z)
    np.exp(z, out=z)
    z += 1
    return 1 / z


@bug(EX, r"clip|large|saturat|\|z\|", "clips z to [-5, 5] 'against overflow'")
def sigmoid_clipped(z):
    return 1 / (1 + np.exp(-np.clip(z, -5, 5)))


@bug(EX, r"list|array|type", "returns a Python list")
def sigmoid_list(z):
    return (1 / (1 + np.exp(-z))).tolist()


@bug(EX, r"None|return", "forgets the return")
def sigmoid_no_return(z):
    s = 1 / (1 + np.exp(-z))  # noqa: F841


@bug(EX, r"math\.|TypeError|only (length-1|size-1)|scalar", "math.exp on an array (TypeError)")
def sigmoid_math_exp(z):
    return 1 / (1 + math.exp(-z))


@bug(EX, r"exp\(-2|[-−]2 ?z|2 ?z\b|factor (of )?2|twice|doubl|scaled", "np.exp(-2*z): the exponent scaled")
def sigmoid_exp_2z(z):
    return 1 / (1 + np.exp(-2 * z))


# ==================== lesson 01: forward step

EX = "forward-step"


@good(EX)
def forward_step_plain(W, a_prev, b, sigma):
    z = W @ a_prev + b
    return z, sigma(z)


@good(EX)
def forward_step_dot(W, a_prev, b, sigma):
    z = np.dot(W, a_prev) + b
    a = sigma(z)
    return (z, a)


@good(EX)
def forward_step_einsum(W, a_prev, b, sigma):
    z = np.einsum("ij,jm->im", W, a_prev) + b
    return z, sigma(z)


@good(EX)
def forward_step_transposed_order(W, a_prev, b, sigma):
    z = (a_prev.T @ W.T + b.T).T
    return z, sigma(z)


@good(EX)
def forward_step_loops(W, a_prev, b, sigma):
    n_l, n_prev = W.shape
    m = a_prev.shape[1]
    z = np.zeros((n_l, m))
    for i in range(n_l):
        for j in range(m):
            z[i, j] = b[i, 0] + sum(W[i, k] * a_prev[k, j] for k in range(n_prev))
    return z, sigma(z)


@good(EX)
def forward_step_float32(W, a_prev, b, sigma):
    z = W.astype(np.float32) @ a_prev.astype(np.float32) + b.astype(np.float32)
    return z, sigma(z)


@bug(EX, BIAS_FORWARD, "b left out: z = W @ a_prev")
def forward_step_no_b(W, a_prev, b, sigma):
    z = W @ a_prev
    return z, sigma(z)


@bug(EX, r"after σ|after sigma|after the activation|outside|σ\(z\) ?\+ ?b|inside", "b added after σ")
def forward_step_b_after_sigma(W, a_prev, b, sigma):
    z = W @ a_prev
    return z + b, sigma(z) + b


@bug(EX, r"transpos|W\.T|Wᵀ|does not fit|W on the left", "W.T @ a_prev")
def forward_step_WT(W, a_prev, b, sigma):
    z = W.T @ a_prev + b
    return z, sigma(z)


@bug(EX, r"pair|tuple|\(z, ?a\)|both|two", "returns a only")
def forward_step_only_a(W, a_prev, b, sigma):
    return sigma(W @ a_prev + b)


@bug(EX, r"swap|order|\(a, ?z\)|\(z, ?a\)|other way", "returns (a, z)")
def forward_step_swapped(W, a_prev, b, sigma):
    z = W @ a_prev + b
    return sigma(z), z


@bug(EX, HARD_CODED.format(arg="sigma"), "hard-codes the sigmoid")
def forward_step_hardcoded_sigmoid(W, a_prev, b, sigma):
    z = W @ a_prev + b
    return z, 1 / (1 + np.exp(-z))


@bug(EX, r"not applied|σ (is )?missing|apply|without σ|a = z|activation", "σ not applied: a = z")
def forward_step_no_sigma(W, a_prev, b, sigma):
    z = W @ a_prev + b
    return z, z


@bug(EX, r"[⊙*]|element|entry[- ]by[- ]entry|matrix product|@|np\.dot", "W * a_prev.T (element-wise, not @)")
def forward_step_elementwise(W, a_prev, b, sigma):
    z = np.sum(W * a_prev.T, axis=1, keepdims=True) + b
    return z, sigma(z)


@bug(
    EX,
    r"\(n,\)|\(\d+,\)|1-d|ravel|flatten|broadcast|keep .{0,20}2-d",
    "b flattened to (n,): z broadcasts to (n, n)",
)
def forward_step_b_flat(W, a_prev, b, sigma):
    z = W @ a_prev + b.ravel()
    return z, sigma(z)


@bug(EX, BATCH_ONLY, "uses only the first column of a_prev")
def forward_step_first_column(W, a_prev, b, sigma):
    z = W @ a_prev[:, :1] + b
    return z, sigma(z)


@bug(EX, BATCH_ONLY + r"|mean|axis", "averages a_prev over the batch first")
def forward_step_mean_batch(W, a_prev, b, sigma):
    z = W @ a_prev.mean(axis=1, keepdims=True) + b
    return z, sigma(z)


@bug(EX, MUTATED, "b += W @ a_prev: adds into the caller's b")
def forward_step_adds_into_b(W, a_prev, b, sigma):
    b += W @ a_prev
    return b, sigma(b)


@bug(EX, r"transpos|b\.T|broadcast|\(n_l, ?1\)", "b.T: (n,1)+(1,n) broadcasts to (n, n)")
def forward_step_bT(W, a_prev, b, sigma):
    z = W @ a_prev + b.T
    return z, sigma(z)


# ==================== lesson 02: numerical gradient

EX = "numerical-gradient"


@good(EX)
def numgrad_copy_loop(f, x, h=1e-5):
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        g[i] = (fp - fm) / (2 * h)
    return g


@good(EX)
def numgrad_basis_vectors(f, x, h=1e-5):
    x = np.asarray(x, dtype=float)
    g = np.zeros(x.shape)
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = h
        e = e.reshape(x.shape)
        g.flat[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


@good(EX)
def numgrad_fresh_copies(f, x, h=1e-5):
    g = np.zeros(np.shape(x), dtype=float)
    for i in np.ndindex(g.shape):
        xp = x.astype(float)
        xm = x.astype(float)
        xp[i] += h
        xm[i] -= h
        g[i] = (f(xp) - f(xm)) / (2 * h)
    return g


@good(EX)
def numgrad_nditer(f, x, h=1e-5):
    x = x.astype(np.float64)  # a copy
    grad = np.empty_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        keep = x[i]
        x[i] = keep + h
        up = f(x)
        x[i] = keep - h
        down = f(x)
        x[i] = keep
        grad[i] = (up - down) / (h + h)
    return grad


@bug(EX, r"forward difference|one[- ]sided|central", "forward difference (f(x+h) - f(x)) / h")
def numgrad_forward_difference(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    fx = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        g[i] = (f(x) - fx) / h
        x[i] = old
    return g


@bug(EX, r"backward difference|one[- ]sided|central", "backward difference (f(x) - f(x-h)) / h")
def numgrad_backward_difference(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    fx = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old - h
        g[i] = (fx - f(x)) / h
        x[i] = old
    return g


@bug(EX, r"2 ?h|2 ?\* ?h|factor (of )?2|twice|double", "divides by h instead of 2h")
def numgrad_over_h(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        g[i] = (fp - fm) / h
    return g


@bug(
    EX,
    CONSTANT + "|" + r"parenthes|precedence|bracket|2 ?h|/ ?\(2 ?\* ?h\)|\* ?h",
    "(fp - fm) / 2 * h: precedence",
)
def numgrad_precedence(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        g[i] = (fp - fm) / 2 * h
    return g


@bug(
    EX,
    r"ignor.{0,20}\bh\b|\bh\b (is |was )?(ignored|not used)|the (step|h) (you were |it was )?given|"
    r"(its own|a fixed|the default) (step|h)|1e-5 instead",
    "ignores the h it is given (always 1e-5)",
)
def numgrad_ignores_h(f, x, h=1e-5):
    return numgrad_copy_loop(f, x, 1e-5)


@bug(EX, NOT_RESTORED, "x not restored after each entry")
def numgrad_not_restored(f, x, h=1e-5):
    g = np.zeros_like(x, dtype=float)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        g[i] = (fp - fm) / (2 * h)
    return g


@bug(EX, r"at once|every entry|all entries|one (entry|at a time)|e_i|each entry", "moves every entry at once")
def numgrad_all_at_once(f, x, h=1e-5):
    return np.full(np.shape(x), (f(x + h) - f(x - h)) / (2 * h))


@bug(EX, SIGN, "(f(x-h) - f(x+h)) / 2h: the sign")
def numgrad_sign(f, x, h=1e-5):
    return -numgrad_copy_loop(f, x, h)


@bug(
    EX,
    r"integer|\bint\b|int64|dtype|astype\(float|convert|float64 copy",
    "no float conversion: an integer x rounds x ± h",
)
def numgrad_no_float(f, x, h=1e-5):
    x = x.copy()
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        g[i] = (fp - fm) / (2 * h)
    return g


@bug(EX, r"shape|flat|1-d|\(\d+,\)|ravel", "returns a flat (size,) array")
def numgrad_flat(f, x, h=1e-5):
    return numgrad_copy_loop(f, x, h).ravel()


@bug(
    EX,
    CONSTANT + "|" + r"h ?²|h\^2|h\*\*2|divid.{0,20}\bh\b|extra (factor|division)|1/h|too large by",
    "divides by 2*h**2",
)
def numgrad_h_squared(f, x, h=1e-5):
    return numgrad_copy_loop(f, x, h) / h


# ==================== lesson 02: σ′, tanh′, ReLU′

EX = "sigmoid-prime"


@good(EX)
def sigmoid_prime_plain(z):
    s = 1 / (1 + np.exp(-z))
    return s * (1 - s)


@good(EX)
def sigmoid_prime_exp(z):
    e = np.exp(-z)
    return e / (1 + e) ** 2


@good(EX)
def sigmoid_prime_tanh(z):
    return 0.25 * (1 - np.tanh(z / 2) ** 2)


@good(EX)
def sigmoid_prime_s_minus_s2(z):
    s = 1 / (1 + np.exp(-z))
    return s - s * s


@good(EX)
def sigmoid_prime_float32(z):
    s = 1 / (1 + np.exp(-z.astype(np.float32)))
    return s * (1 - s)


@bug(EX, AT_A, "σ′(σ(z)): the lesson's classic mistake (sigmoid applied twice)")
def sigmoid_prime_of_sigma(z):
    a = 1 / (1 + np.exp(-z))
    s = 1 / (1 + np.exp(-a))
    return s * (1 - s)


@bug(EX, FORMULA_OF_A_WITH_Z, "z * (1 - z): the formula in a used with z")
def sigmoid_prime_z_formula(z):
    return z * (1 - z)


@bug(EX, r"σ\(z\) itself|itself|not (its|the) derivative|returned σ|the sigmoid", "returns σ(z)")
def sigmoid_prime_returns_sigma(z):
    return 1 / (1 + np.exp(-z))


@bug(EX, r"tanh", "1 - tanh(z)**2 (the tanh formula)")
def sigmoid_prime_tanh_formula(z):
    return 1 - np.tanh(z) ** 2


@bug(EX, SIGN, "s * (s - 1): the sign")
def sigmoid_prime_sign(z):
    s = 1 / (1 + np.exp(-z))
    return s * (s - 1)


@bug(EX, r"square|\*\*2|²|\^2", "e^-z / (1 + e^-z): the square missing")
def sigmoid_prime_no_square(z):
    e = np.exp(-z)
    return e / (1 + e)


@bug(EX, r"tanh|1 ?[-−] ?σ²|1 ?[-−] ?s\*\*2|square", "1 - s**2 (the tanh formula with σ)")
def sigmoid_prime_one_minus_s2(z):
    s = 1 / (1 + np.exp(-z))
    return 1 - s**2


@bug(EX, MUTATED, "z[:] = σ(z); return z * (1 - z): changes z")
def sigmoid_prime_in_place(z):
    z[...] = 1 / (1 + np.exp(-z))
    return z * (1 - z)


@bug(EX, CONSTANT + r"|factor (of )?4|4 ?×|× ?4|¼|1/4|0\.25", "a stray factor: 4 s (1 - s)")
def sigmoid_prime_times_4(z):
    s = 1 / (1 + np.exp(-z))
    return 4 * s * (1 - s)


EX = "tanh-prime"


@good(EX)
def tanh_prime_plain(z):
    return 1 - np.tanh(z) ** 2


@good(EX)
def tanh_prime_cosh(z):
    return 1 / np.cosh(z) ** 2


@good(EX)
def tanh_prime_t_times_t(z):
    t = np.tanh(z)
    return 1.0 - t * t


@good(EX)
def tanh_prime_via_sigmoid(z):
    s = 1 / (1 + np.exp(-2 * z))
    return 4 * s * (1 - s)


@good(EX)
def tanh_prime_float32(z):
    t = np.tanh(np.float32(1) * z.astype(np.float32))
    return np.float32(1) - t**2


@bug(EX, FORMULA_OF_A_WITH_Z, "1 - z**2: the formula in a used with z")
def tanh_prime_z_formula(z):
    return 1 - z**2


@bug(EX, r"square|\*\*2|²|\^2", "1 - tanh(z): the square missing")
def tanh_prime_no_square(z):
    return 1 - np.tanh(z)


@bug(EX, r"itself|not (its|the) derivative|returned tanh|tanh\(z\)", "returns tanh(z)")
def tanh_prime_returns_tanh(z):
    return np.tanh(z)


@bug(EX, SIGN, "tanh**2 - 1: the sign")
def tanh_prime_sign(z):
    return np.tanh(z) ** 2 - 1


@bug(EX, r"square|²|\*\*|tanh\(z ?\*\*|z²|inside", "1 - tanh(z**2): squares z, not tanh")
def tanh_prime_square_inside(z):
    return 1 - np.tanh(z**2)


@bug(EX, r"sigmoid|σ", "σ(z)(1 - σ(z)): the sigmoid's derivative")
def tanh_prime_sigmoid_formula(z):
    s = 1 / (1 + np.exp(-z))
    return s * (1 - s)


@bug(EX, r"square|²|\*\*2|cosh|sech", "1/cosh(z): the square missing")
def tanh_prime_sech(z):
    return 1 / np.cosh(z)


@bug(EX, r"\*\*|square|²|times 2|2 ?\*|\* ?2", "1 - tanh(z)*2: * for **")
def tanh_prime_times_two(z):
    return 1 - np.tanh(z) * 2


@bug(EX, AT_A + r"|tanh\(tanh", "1 - tanh(tanh(z))**2: taken at a")
def tanh_prime_of_tanh(z):
    return 1 - np.tanh(np.tanh(z)) ** 2


@bug(EX, MUTATED, "np.tanh(z, out=z): overwrites z")
def tanh_prime_in_place(z):
    np.tanh(z, out=z)
    return 1 - z**2


EX = "relu-prime"


@good(EX)
def relu_prime_astype(z):
    return (z > 0).astype(float)


@good(EX)
def relu_prime_where_int(z):
    return np.where(z > 0, 1, 0)


@good(EX)
def relu_prime_bool(z):
    return z > 0


@good(EX)
def relu_prime_heaviside(z):
    return np.heaviside(z, 0.0)


@good(EX)
def relu_prime_float32(z):
    return (z > 0).astype(np.float32)


@good(EX)
def relu_prime_loop(z):
    out = np.zeros(z.shape)
    for i in np.ndindex(z.shape):
        if z[i] > 0:
            out[i] = 1.0
    return out


@bug(EX, r"itself|not (its|the) derivative|returned relu|relu\(z\)|max", "returns ReLU(z) = max(z, 0)")
def relu_prime_returns_relu(z):
    return np.maximum(z, 0)


@bug(EX, r"z ?= ?0|at 0|at zero|kink|>= ?0|≥ ?0|convention", "(z >= 0): 1 at z = 0, the stub says 0")
def relu_prime_ge(z):
    return (z >= 0).astype(float)


@bug(EX, r"z ?= ?0|at 0|at zero|kink|nan|heaviside|convention", "np.heaviside(z, 1): 1 at z = 0")
def relu_prime_heaviside_one(z):
    return np.heaviside(z, 1.0)


@bug(EX, r"z ?= ?0|at 0|at zero|kink|nan|divi", "max(z, 0) / z: NaN at z = 0")
def relu_prime_relu_over_z(z):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.maximum(z, 0) / z


@bug(EX, r"z ?= ?0|at 0|at zero|kink|nan|divi|0\.5|½", "(z + |z|) / (2z): NaN at z = 0")
def relu_prime_abs_formula(z):
    with np.errstate(invalid="ignore", divide="ignore"):
        return (z + np.abs(z)) / (2 * z)


@bug(EX, r"z ?= ?0|at 0|at zero|kink|0\.5|½|sign", "(np.sign(z) + 1) / 2: 0.5 at z = 0")
def relu_prime_sign_half(z):
    return (np.sign(z) + 1) / 2


@bug(EX, r"sign|[-−]1|negative", "np.sign(z): -1 for negative z")
def relu_prime_sign(z):
    return np.sign(z)


@bug(EX, r"sign|[-−]1|negative|z ?/ ?\|z\||nan", "z / |z|: -1 for negative z, NaN at 0")
def relu_prime_z_over_abs(z):
    with np.errstate(invalid="ignore", divide="ignore"):
        return z / np.abs(z)


@bug(EX, r"swap|1 and 0|0 and 1|revers|< ?0|invert", "(z < 0): 1 and 0 swapped")
def relu_prime_swapped(z):
    return (z < 0).astype(float)


@bug(EX, MUTATED, "z[z > 0] = 1; z[z <= 0] = 0: overwrites z")
def relu_prime_in_place(z):
    z[z > 0] = 1
    z[z <= 0] = 0
    return z


@bug(EX, SIGN, "-(z > 0): the sign")
def relu_prime_negated(z):
    return -(z > 0).astype(float)


# ==================== lesson 03: output error

EX = "output-error-mse"


@good(EX)
def mse_plain(z_L, y):
    m = z_L.shape[1]
    a = 1 / (1 + np.exp(-z_L))
    return (a - y) * a * (1 - a) / m


@good(EX)
def mse_other_order(z_L, y):
    a = _sig(z_L)
    return (1 / z_L.shape[1]) * (a * (1 - a)) * (a - y)


@good(EX)
def mse_divide_first(z_L, y):
    m = np.shape(z_L)[1]
    a = 0.5 * (1 + np.tanh(z_L / 2))
    return np.divide(a - y, m) * _sigp(z_L)


@good(EX)
def mse_loop_columns(z_L, y):
    m = z_L.shape[1]
    out = np.zeros(z_L.shape)
    for j in range(m):
        a = _sig(z_L[:, j])
        out[:, j] = (a - y[:, j]) * a * (1 - a) / m
    return out


@good(EX)
def mse_float32(z_L, y):
    z = z_L.astype(np.float32)
    a = 1 / (1 + np.exp(-z))
    return (a - y.astype(np.float32)) * a * (1 - a) / np.float32(z.shape[1])


@bug(EX, NO_MEAN + "|" + BATCH_ONLY, "no 1/m")
def mse_no_mean(z_L, y):
    a = _sig(z_L)
    return (a - y) * a * (1 - a)


@bug(EX, TWICE_MEAN, "1/m twice")
def mse_mean_twice(z_L, y):
    m = z_L.shape[1]
    a = _sig(z_L)
    return (a - y) * a * (1 - a) / m / m


@bug(EX, r"mean|axis|" + BATCH_ONLY, "np.mean over the batch: (n, 1)")
def mse_np_mean(z_L, y):
    a = _sig(z_L)
    return np.mean((a - y) * a * (1 - a), axis=1, keepdims=True)


@bug(EX, r"single number|scalar|np\.mean|mean of|one number|shape \(\)", "np.mean of everything: one number")
def mse_scalar_mean(z_L, y):
    a = _sig(z_L)
    return np.mean((a - y) * a * (1 - a))


@bug(EX, SIGMA_PRIME_MISSING, "σ′ missing: (a - y)/m")
def mse_no_sigma_prime(z_L, y):
    return (_sig(z_L) - y) / z_L.shape[1]


@bug(EX, AT_A, "σ′ taken at a: sigmoid_prime(a)")
def mse_sigma_prime_at_a(z_L, y):
    a = _sig(z_L)
    return (a - y) * _sigp(a) / z_L.shape[1]


@bug(EX, FORMULA_OF_A_WITH_Z, "z (1 - z) for σ′: the formula in a used with z")
def mse_z_formula(z_L, y):
    a = _sig(z_L)
    return (a - y) * z_L * (1 - z_L) / z_L.shape[1]


@bug(EX, SIGN, "(y - a): the sign")
def mse_sign(z_L, y):
    a = _sig(z_L)
    return (y - a) * a * (1 - a) / z_L.shape[1]


@bug(EX, HALF, "2 (a - y): the ½ convention ignored")
def mse_factor_two(z_L, y):
    a = _sig(z_L)
    return 2 * (a - y) * a * (1 - a) / z_L.shape[1]


@bug(
    EX,
    CONSTANT
    + "|"
    + r"n_l\b|len\(|shape\[0\]|number of (rows|units|outputs|classes)|1/m|wrong m|instead of m\b",
    "m = len(z_L): divides by n_L",
)
def mse_divides_by_n(z_L, y):
    m = len(z_L)
    a = _sig(z_L)
    return (a - y) * a * (1 - a) / m


@bug(
    EX,
    CONSTANT + "|" + r"\.size|n_L ?[×*] ?m|1/\(n|1/m|number of entries|instead of m\b",
    "divides by z_L.size (n_L * m)",
)
def mse_divides_by_size(z_L, y):
    a = _sig(z_L)
    return (a - y) * a * (1 - a) / z_L.size


@bug(EX, TRANSPOSED, "returns the transpose")
def mse_transposed(z_L, y):
    return mse_plain(z_L, y).T


@bug(EX, MUTATED, "z_L[:] = σ(z_L): overwrites the input")
def mse_in_place(z_L, y):
    m = z_L.shape[1]
    z_L[...] = _sig(z_L)
    return (z_L - y) * z_L * (1 - z_L) / m


EX = "output-error-bce"


@good(EX)
def bce_plain(z_L, y):
    return (_sig(z_L) - y) / z_L.shape[1]


@good(EX)
def bce_times_inverse(z_L, y):
    return (1.0 / z_L.shape[1]) * (0.5 * (1 + np.tanh(z_L / 2)) - y)


@good(EX)
def bce_loop_columns(z_L, y):
    n, m = z_L.shape
    out = np.empty((n, m))
    for j in range(m):
        for i in range(n):
            v = float(z_L[i, j])
            a = 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
            out[i, j] = (a - y[i, j]) / m
    return out


@good(EX)
def bce_float32(z_L, y):
    z = z_L.astype(np.float32)
    return (1 / (1 + np.exp(-z)) - y.astype(np.float32)) / np.float32(z.shape[1])


@good(EX)
def bce_integer_targets(z_L, y):
    y = y.astype(int)  # targets are 0/1
    return (_sig(z_L) - y) / z_L.shape[1]


@bug(EX, NO_MEAN + "|" + BATCH_ONLY, "no 1/m")
def bce_no_mean(z_L, y):
    return _sig(z_L) - y


@bug(EX, TWICE_MEAN, "1/m twice")
def bce_mean_twice(z_L, y):
    return (_sig(z_L) - y) / z_L.shape[1] ** 2


@bug(
    EX,
    r"σ′.{0,40}(cancel|extra|not needed|should not|multipl)|cancel|extra (factor )?σ′|σ′ multiplied",
    "σ′ multiplied in (it cancels)",
)
def bce_sigma_prime_in(z_L, y):
    a = _sig(z_L)
    return (a - y) * a * (1 - a) / z_L.shape[1]


@bug(EX, SIGN, "(y - a)/m: the sign")
def bce_sign(z_L, y):
    return (y - _sig(z_L)) / z_L.shape[1]


@bug(
    EX,
    r"dL/da|∂L/∂a|dl_da|σ′.{0,30}missing|divid.{0,30}σ′|not multiplied",
    "returns dL/da = (a-y)/(a(1-a))/m",
)
def bce_returns_dL_da(z_L, y):
    a = _sig(z_L)
    return (a - y) / (a * (1 - a)) / z_L.shape[1]


@bug(EX, r"mean|axis|" + BATCH_ONLY, "np.mean over the batch: (n, 1)")
def bce_np_mean(z_L, y):
    return np.mean(_sig(z_L) - y, axis=1, keepdims=True)


@bug(
    EX,
    CONSTANT
    + "|"
    + r"n_l\b|len\(|shape\[0\]|number of (rows|units|outputs|classes)|1/m|wrong m|instead of m\b",
    "m = len(z_L): divides by n_L",
)
def bce_divides_by_n(z_L, y):
    return (_sig(z_L) - y) / len(z_L)


@bug(EX, r"parenthes|precedence|bracket|1/m|y ?/ ?m", "a - y / m: precedence")
def bce_precedence(z_L, y):
    m = z_L.shape[1]
    return _sig(z_L) - y / m


@bug(EX, r"sum|axis|" + BATCH_ONLY, "sums over the batch: (n, 1)")
def bce_summed(z_L, y):
    return np.sum(_sig(z_L) - y, axis=1, keepdims=True) / z_L.shape[1]


@bug(EX, r"sigmoid|σ|logit|z_L ?[-−] ?y|activation", "z_L - y: the sigmoid not applied")
def bce_no_sigmoid(z_L, y):
    return (z_L - y) / z_L.shape[1]


EX = "output-error"


@good(EX)
def output_error_plain(grad_a, z_L, sigma_prime):
    return grad_a * sigma_prime(z_L)


@good(EX)
def output_error_multiply(grad_a, z_L, sigma_prime):
    return np.multiply(sigma_prime(z_L), grad_a)


@good(EX)
def output_error_loop(grad_a, z_L, sigma_prime):
    sp = sigma_prime(z_L)
    out = np.empty(grad_a.shape)
    for i in np.ndindex(grad_a.shape):
        out[i] = grad_a[i] * sp[i]
    return out


@good(EX)
def output_error_float32(grad_a, z_L, sigma_prime):
    return grad_a.astype(np.float32) * np.asarray(sigma_prime(z_L), dtype=np.float32)


@bug(EX, SIGMA_PRIME_MISSING, "σ′ missing: returns grad_a")
def output_error_no_sigma_prime(grad_a, z_L, sigma_prime):
    return grad_a.copy()


@bug(
    EX,
    r"σ′ ?\(grad|sigma_prime\(grad|(at|of|to) grad_a|wrong (argument|place)|σ′ (taken|evaluated) at",
    "σ′ taken at grad_a",
)
def output_error_sigma_prime_of_grad(grad_a, z_L, sigma_prime):
    return grad_a * sigma_prime(grad_a)


@bug(EX, SIGN, "the sign")
def output_error_sign(grad_a, z_L, sigma_prime):
    return -grad_a * sigma_prime(z_L)


@bug(EX, HADAMARD + r"|@", "@ for ⊙: grad_a @ σ′(z).T")
def output_error_matmul(grad_a, z_L, sigma_prime):
    return grad_a @ sigma_prime(z_L).T


@bug(EX, TRANSPOSED, "returns the transpose")
def output_error_transposed(grad_a, z_L, sigma_prime):
    return (grad_a * sigma_prime(z_L)).T


@bug(EX, HARD_CODED.format(arg="sigma_prime"), "hard-codes σ′ of the sigmoid")
def output_error_hardcoded_sigmoid(grad_a, z_L, sigma_prime):
    return grad_a * _sigp(z_L)


@bug(EX, CONSTANT + "|" + r"1/m|mean|divided by m|extra m\b", "divides by m (grad_a already has it)")
def output_error_divides_by_m(grad_a, z_L, sigma_prime):
    return grad_a * sigma_prime(z_L) / z_L.shape[1]


@bug(EX, r"\+|sum|add|product|⊙|multipl", "grad_a + σ′(z)")
def output_error_plus(grad_a, z_L, sigma_prime):
    return grad_a + sigma_prime(z_L)


@bug(EX, MUTATED, "grad_a *= σ′(z): overwrites the input")
def output_error_in_place(grad_a, z_L, sigma_prime):
    grad_a *= sigma_prime(z_L)
    return grad_a


@bug(EX, AT_A + r"|σ\(z|activation", "σ′(σ(z)): σ′ taken at a = σ(z)")
def output_error_sigma_prime_of_sigma(grad_a, z_L, sigma_prime):
    return grad_a * sigma_prime(_sig(z_L))


# ==================== lesson 04: backprop error

EX = "backprop-error"


@good(EX)
def backprop_plain(W_next, delta_next, z, sigma_prime):
    return (W_next.T @ delta_next) * sigma_prime(z)


@good(EX)
def backprop_dot(W_next, delta_next, z, sigma_prime):
    return np.multiply(np.dot(W_next.T, delta_next), sigma_prime(z))


@good(EX)
def backprop_einsum(W_next, delta_next, z, sigma_prime):
    return np.einsum("ki,km->im", W_next, delta_next) * sigma_prime(z)


@good(EX)
def backprop_row_form(W_next, delta_next, z, sigma_prime):
    return (delta_next.T @ W_next).T * sigma_prime(z)


@good(EX)
def backprop_loops(W_next, delta_next, z, sigma_prime):
    n_next, n_l = W_next.shape
    m = delta_next.shape[1]
    sp = sigma_prime(z)
    out = np.zeros((n_l, m))
    for i in range(n_l):
        for j in range(m):
            out[i, j] = sum(W_next[k, i] * delta_next[k, j] for k in range(n_next)) * sp[i, j]
    return out


@good(EX)
def backprop_float32(W_next, delta_next, z, sigma_prime):
    return (
        (W_next.T.astype(np.float32) @ delta_next.astype(np.float32))
        * np.float32(1)
        * np.asarray(sigma_prime(z), dtype=np.float32)
    )


@bug(EX, W_NOT_WT, "W instead of W.T")
def backprop_W(W_next, delta_next, z, sigma_prime):
    return (W_next @ delta_next) * sigma_prime(z)


@bug(EX, r"reshape|transpos", "W.reshape(n_l, n_next) to 'transpose'")
def backprop_reshape(W_next, delta_next, z, sigma_prime):
    return (W_next.reshape(W_next.shape[1], W_next.shape[0]) @ delta_next) * sigma_prime(z)


@bug(EX, SIGMA_PRIME_MISSING, "σ′ missing")
def backprop_no_sigma_prime(W_next, delta_next, z, sigma_prime):
    return W_next.T @ delta_next


@bug(EX, HADAMARD + r"|@", "@ for ⊙")
def backprop_matmul_sigma_prime(W_next, delta_next, z, sigma_prime):
    return (W_next.T @ delta_next) @ sigma_prime(z).T


@bug(EX, SIGN, "the sign")
def backprop_sign(W_next, delta_next, z, sigma_prime):
    return -(W_next.T @ delta_next) * sigma_prime(z)


@bug(EX, TRANSPOSED, "returns the transpose")
def backprop_transposed(W_next, delta_next, z, sigma_prime):
    return ((W_next.T @ delta_next) * sigma_prime(z)).T


@bug(EX, r"σ′ ?\(z|at z|argument|σ′ of|sigma_prime\(W|wrong place|of the product", "σ′ taken at W.T δ")
def backprop_sigma_prime_of_product(W_next, delta_next, z, sigma_prime):
    return sigma_prime(W_next.T @ delta_next)


@bug(EX, AT_A + r"|σ\(z", "σ′(σ(z)): σ′ taken at a")
def backprop_sigma_prime_of_sigma(W_next, delta_next, z, sigma_prime):
    return (W_next.T @ delta_next) * sigma_prime(_sig(z))


@bug(EX, ONE_D, "ravel(): (n,) broadcast against (n, 1)")
def backprop_ravel(W_next, delta_next, z, sigma_prime):
    return (W_next.T @ delta_next) * sigma_prime(z).ravel()


@bug(EX, MUTATED, "z *= ...: overwrites z")
def backprop_in_place(W_next, delta_next, z, sigma_prime):
    z[...] = sigma_prime(z)
    z *= W_next.T @ delta_next
    return z


@bug(EX, BATCH_ONLY + r"|broadcast", "sum(W * delta_next, axis=0).T: right only for m = 1")
def backprop_broadcast_sum(W_next, delta_next, z, sigma_prime):
    return np.sum(W_next * delta_next, axis=0, keepdims=True).T * sigma_prime(z)


@bug(EX, BATCH_ONLY, "uses only the first column of delta_next")
def backprop_first_column(W_next, delta_next, z, sigma_prime):
    return (W_next.T @ delta_next[:, :1]) * sigma_prime(z)


@bug(EX, CONSTANT + "|" + r"1/m|mean|divided by m|extra m\b", "divides by m again")
def backprop_divides_by_m(W_next, delta_next, z, sigma_prime):
    return (W_next.T @ delta_next) * sigma_prime(z) / z.shape[1]


@bug(
    EX,
    r"order|σ′\(z\).{0,30}(outside|after|multipl)|inside|before the product|broadcast|⊙",
    "W.T @ (δ ⊙ σ′(z)): wrong order",
)
def backprop_sigma_prime_inside(W_next, delta_next, z, sigma_prime):
    return W_next.T @ (delta_next * sigma_prime(z))


@bug(EX, HARD_CODED.format(arg="sigma_prime"), "hard-codes the sigmoid's σ′")
def backprop_hardcoded_sigmoid(W_next, delta_next, z, sigma_prime):
    return (W_next.T @ delta_next) * _sigp(z)


# ==================== lesson 05: weight and bias gradients

EX = "weight-gradient"


@good(EX)
def weight_gradient_plain(delta, a_prev):
    return delta @ a_prev.T


@good(EX)
def weight_gradient_loop_outer(delta, a_prev):
    out = np.zeros((delta.shape[0], a_prev.shape[0]))
    for j in range(delta.shape[1]):
        out += np.outer(delta[:, j], a_prev[:, j])
    return out


@good(EX)
def weight_gradient_einsum(delta, a_prev):
    return np.einsum("im,jm->ij", delta, a_prev)


@good(EX)
def weight_gradient_transpose_of_transpose(delta, a_prev):
    return (a_prev @ delta.T).T


@good(EX)
def weight_gradient_tensordot(delta, a_prev):
    return np.tensordot(delta, a_prev, axes=([1], [1]))


@good(EX)
def weight_gradient_float32(delta, a_prev):
    return delta.astype(np.float32) @ a_prev.astype(np.float32).T


@bug(EX, TRANSPOSED, "a_prev @ delta.T: the transpose")
def weight_gradient_transposed(delta, a_prev):
    return a_prev @ delta.T


@bug(EX, r"transpos|reshape", "the transpose, reshaped to fit")
def weight_gradient_reshaped(delta, a_prev):
    return (a_prev @ delta.T).reshape(delta.shape[0], a_prev.shape[0])


@bug(EX, r"transpos|a_prev\.T|aᵀ|does not fit", "delta @ a_prev: not transposed")
def weight_gradient_no_T(delta, a_prev):
    return delta @ a_prev


@bug(EX, SIGN, "the sign")
def weight_gradient_sign(delta, a_prev):
    return -(delta @ a_prev.T)


@bug(EX, r"outer|" + BATCH_ONLY, "np.outer(delta, a_prev): right only for m = 1")
def weight_gradient_outer(delta, a_prev):
    return np.outer(delta, a_prev)


@bug(EX, BATCH_ONLY + r"|\* ?a_prev|@|matrix product|broadcast", "delta * a_prev.T: right only for m = 1")
def weight_gradient_broadcast(delta, a_prev):
    return delta * a_prev.T


@bug(EX, r"1/m|mean|divid|\bm\b|" + CONSTANT, "dW / m")
def weight_gradient_over_m(delta, a_prev):
    return delta @ a_prev.T / delta.shape[1]


@bug(EX, BATCH_ONLY, "only the first column")
def weight_gradient_first_column(delta, a_prev):
    return delta[:, :1] @ a_prev[:, :1].T


@bug(EX, BATCH_ONLY + r"|last column", "only the last column (a loop that overwrites)")
def weight_gradient_loop_overwrites(delta, a_prev):
    out = None
    for j in range(delta.shape[1]):
        out = np.outer(delta[:, j], a_prev[:, j])
    return out


@bug(EX, r"transpos|order|does not fit|a_prev\.T", "a_prev.T @ delta: the product does not fit")
def weight_gradient_wrong_order(delta, a_prev):
    return a_prev.T @ delta


EX = "bias-gradient"


@good(EX)
def bias_gradient_plain(delta):
    return np.sum(delta, axis=1, keepdims=True)


@good(EX)
def bias_gradient_ones(delta):
    return delta @ np.ones((delta.shape[1], 1))


@good(EX)
def bias_gradient_reshape(delta):
    return delta.sum(axis=-1).reshape(-1, 1)


@good(EX)
def bias_gradient_loop(delta):
    out = np.zeros((delta.shape[0], 1))
    for j in range(delta.shape[1]):
        out[:, 0] += delta[:, j]
    return out


@good(EX)
def bias_gradient_einsum(delta):
    return np.einsum("im->i", delta)[:, None]


@good(EX)
def bias_gradient_float32(delta):
    return delta.astype(np.float32).sum(axis=1, keepdims=True)


@bug(EX, ONE_D, "np.sum(delta, axis=1): (n,), keepdims forgotten")
def bias_gradient_1d(delta):
    return np.sum(delta, axis=1)


@bug(EX, SCALAR + r"|axis", "np.sum(delta): one number")
def bias_gradient_scalar(delta):
    return np.sum(delta)


@bug(EX, SIGN, "the sign")
def bias_gradient_sign(delta):
    return -np.sum(delta, axis=1, keepdims=True)


@bug(EX, r"mean|1/m|average|sum", "np.mean instead of a sum")
def bias_gradient_mean(delta):
    return np.mean(delta, axis=1, keepdims=True)


@bug(EX, r"sum|" + BATCH_ONLY, "db = delta, unsummed")
def bias_gradient_unsummed(delta):
    return delta.copy()


@bug(EX, AXIS, "axis=0: (1, m)")
def bias_gradient_axis0(delta):
    return np.sum(delta, axis=0, keepdims=True)


@bug(EX, BATCH_ONLY, "only the first column")
def bias_gradient_first_column(delta):
    return delta[:, :1].copy()


@bug(EX, TRANSPOSED + r"|\(1, ?\d+\)|a row\b|row vector|\(1, ?n", "a (1, n) row")
def bias_gradient_row(delta):
    return delta.sum(axis=1).reshape(1, -1)


@bug(EX, MUTATED, "sums into delta's first column in place")
def bias_gradient_in_place(delta):
    for j in range(1, delta.shape[1]):
        delta[:, 0] += delta[:, j]
    return delta[:, :1].copy()


@bug(EX, r"max|sum|" + BATCH_ONLY, "np.max instead of a sum")
def bias_gradient_max(delta):
    return np.max(delta, axis=1, keepdims=True)


# ==================== lessons 06, 07, 11: backward passes


def make_backward(
    *,
    hidden="sigmoid",
    out_prime="z",
    hidden_prime="z",
    factor=1.0,
    mean=True,
    bias="sum",
    transpose=True,
    dW_form="right",
    layer_input="prev",
    forward_bias=True,
    dtype=None,
    db_mean_extra=False,
    dW_over_m=False,
    first_column=False,
    swap_return=False,
    skip_first_layer=False,
    no_none=False,
    mutate_W=False,
    W_layer=0,
):
    """A backward pass (sigmoid output, MSE ½, mean over m) with chosen mistakes.

    ``hidden`` -- the hidden activation of the forward pass ("sigmoid", "tanh");
    ``out_prime``/``hidden_prime`` -- how σ′ is computed: "z" (right), "a" (σ′(a)),
    "z-formula" (a(1-a) / 1-a² written with z), "none", "sigmoid" (the sigmoid's σ′ of z),
    "sigmoid-a" (a(1-a) of the hidden a), "tanh-a" (1 - a²);
    ``factor`` -- multiplies δ[L]; ``mean`` -- the 1/m in δ[L]; ``bias`` -- "sum", "mean", "keep", "axis0";
    ``dW_form`` -- "right", "transposed", "outer"; ``layer_input`` -- "prev" (a[l-1]) or "same" (a[l]);
    ``W_layer`` -- Equation 2 uses W[l + W_layer] (0 is right), ``transpose`` -- W.T or W.
    """
    act = {"sigmoid": (_sig, lambda z, a: a * (1 - a)), "tanh": (np.tanh, lambda z, a: 1 - a**2)}
    h_f, h_p = act[hidden]

    def prime(kind, z, a, right):
        return {
            "z": lambda: right(z, a),
            "a": lambda: right(a, h_f(a) if right is h_p else _sig(a)),
            "z-formula": lambda: (z * (1 - z)) if right is act["sigmoid"][1] else (1 - z**2),
            "none": lambda: 1.0,
            "sigmoid": lambda: _sigp(z),
            "sigmoid-a": lambda: a * (1 - a),
            "tanh-a": lambda: 1 - a**2,
        }[kind]()

    def backward(W, b, X, Y):
        L = len(W) - 1
        if first_column:
            X, Y = X[:, :1], Y[:, :1]
        m = X.shape[1]
        z, a = _forward(W, b, X, hidden=h_f, bias=forward_bias)
        delta = factor * (a[L] - Y) * prime(out_prime, z[L], a[L], act["sigmoid"][1])
        if mean:
            delta = delta / m
        dW, db = [None] * (L + 1), [None] * (L + 1)
        for l in range(L, 1 if skip_first_layer else 0, -1):
            a_in = a[l - 1] if layer_input == "prev" else a[l]
            dW[l] = {
                "right": lambda d, x: d @ x.T,
                "transposed": lambda d, x: x @ d.T,
                "outer": lambda d, x: np.outer(d, x),
            }[dW_form](delta, a_in)
            if dW_over_m:
                dW[l] = dW[l] / m
            db[l] = {
                "sum": lambda d: d.sum(axis=1, keepdims=True),
                "mean": lambda d: d.mean(axis=1, keepdims=True),
                "keep": lambda d: d,
                "axis0": lambda d: d.sum(axis=0, keepdims=True),
            }[bias](delta)
            if db_mean_extra:
                db[l] = db[l] / m
            if l > 1:
                Wl = W[l + W_layer] if 1 <= l + W_layer <= L else W[l]
                if mutate_W:
                    W[l] = W[l].T
                    Wl = W[l]
                else:
                    Wl = Wl.T if transpose else Wl
                delta = (Wl @ delta) * prime(hidden_prime, z[l - 1], a[l - 1], h_p)
        if dtype is not None:
            dW = [None] + [None if g is None else g.astype(dtype) for g in dW[1:]]
            db = [None] + [None if g is None else g.astype(dtype) for g in db[1:]]
        if no_none:
            dW, db = dW[1:], db[1:]
        return (db, dW) if swap_return else (dW, db)

    return backward


BACKWARD_IDS = ("backward", "backward-batch")


def _both(name: str, named: str, why: str, **kw):
    """The same mistake for lesson 06 (one example) and lesson 07 (a batch)."""
    for ex in BACKWARD_IDS:
        CATALOGUE.append(Answer((ex,), name, make_backward(**kw), named, why))


# ---- correct backward passes (one example and batch): one function serves both lessons


def backward_loops_per_layer(W, b, X, Y):
    L = len(W) - 1
    m = X.shape[1]
    A, Z = [X], [None]
    for l in range(1, L + 1):
        Z.append(W[l] @ A[-1] + b[l])
        A.append(_sig(Z[-1]))
    dW, db = [None] * (L + 1), [None] * (L + 1)
    delta = None
    for l in range(L, 0, -1):
        if l == L:
            delta = (A[L] - Y) * A[L] * (1 - A[L]) / m
        else:
            delta = (W[l + 1].T @ delta) * A[l] * (1 - A[l])  # Equation 2 first, then 3 and 4
        dW[l] = delta @ A[l - 1].T
        db[l] = np.sum(delta, axis=1).reshape(-1, 1)
    return dW, db


def backward_mean_at_the_end(W, b, X, Y):
    L = len(W) - 1
    m = X.shape[1]
    z, a = _forward(W, b, X)
    delta = (a[L] - Y) * _sigp(z[L])  # no 1/m yet
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        dW[l] = (delta @ a[l - 1].T) / m
        db[l] = delta.sum(axis=1, keepdims=True) / m
        if l > 1:
            delta = (W[l].T @ delta) * _sigp(z[l - 1])
    return dW, db


def backward_per_example(W, b, X, Y):
    L = len(W) - 1
    m = X.shape[1]
    dW = [None] + [np.zeros_like(w) for w in W[1:]]
    db = [None] + [np.zeros_like(v) for v in b[1:]]
    for j in range(m):
        z, a = _forward(W, b, X[:, j : j + 1])
        delta = (a[L] - Y[:, j : j + 1]) * _sigp(z[L])
        for l in range(L, 0, -1):
            dW[l] += delta @ a[l - 1].T / m
            db[l] += delta / m
            if l > 1:
                delta = (W[l].T @ delta) * _sigp(z[l - 1])
    return dW, db


def backward_einsum_dict(W, b, X, Y):
    L = len(W) - 1
    m = X.shape[1]
    z, a = _forward(W, b, X)
    grads_W, grads_b = {}, {}
    delta = np.einsum("im,im->im", a[L] - Y, _sigp(z[L])) / m
    for l in reversed(range(1, L + 1)):
        grads_W[l] = np.einsum("im,jm->ij", delta, a[l - 1])
        grads_b[l] = np.einsum("im->i", delta)[:, np.newaxis]
        if l > 1:
            delta = np.einsum("ki,km->im", W[l], delta) * _sigp(z[l - 1])
    return [None] + [grads_W[l] for l in range(1, L + 1)], [None] + [grads_b[l] for l in range(1, L + 1)]


def backward_float32(W, b, X, Y):
    W32 = [None] + [w.astype(np.float32) for w in W[1:]]
    b32 = [None] + [v.astype(np.float32) for v in b[1:]]
    return backward_loops_per_layer(W32, b32, X.astype(np.float32), Y.astype(np.float32))


def backward_via_bpkit(W, b, X, Y):
    import bpkit

    net = bpkit.Network([W[1].shape[1]] + [w.shape[0] for w in W[1:]], seed=0)
    net.W = [None] + [w.copy() for w in W[1:]]
    net.b = [None] + [v.copy() for v in b[1:]]
    return net.backward(net.forward(X), Y)


for _fn in (
    backward_loops_per_layer,
    backward_mean_at_the_end,
    backward_per_example,
    backward_einsum_dict,
    backward_float32,
):
    for _ex in BACKWARD_IDS:
        CATALOGUE.append(Answer((_ex,), _fn.__name__, _fn, None, "correct"))


def backward_one_example_db_is_delta(W, b, x, y):
    """Lesson 06's own solution: db = delta (right for one example)."""
    L = len(W) - 1
    z, a = _forward(W, b, x)
    delta = (a[L] - y) * _sigp(z[L])
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        dW[l] = delta @ a[l - 1].T
        db[l] = delta
        if l > 1:
            delta = (W[l].T @ delta) * _sigp(z[l - 1])
    return dW, db


CATALOGUE.append(
    Answer(("backward",), "backward_db_is_delta", backward_one_example_db_is_delta, None, "correct")
)
CATALOGUE.append(
    Answer(("backward",), "backward_outer_one_example", make_backward(dW_form="outer"), None, "correct")
)  # np.outer is right for m = 1

EQ1 = r"equation 1|output layer|δ\[L\]|δ\[\d\]"
_both("sigma_prime_missing_eq1", SIGMA_PRIME_MISSING, "σ′ missing in Equation 1", out_prime="none")
_both("sigma_prime_missing_eq2", SIGMA_PRIME_MISSING, "σ′ missing in Equation 2", hidden_prime="none")
_both(
    "sigma_prime_missing_both",
    SIGMA_PRIME_MISSING,
    "σ′ missing everywhere",
    out_prime="none",
    hidden_prime="none",
)
_both("sigma_prime_at_a_both", AT_A, "σ′(a) in Equations 1 and 2", out_prime="a", hidden_prime="a")
_both("sigma_prime_at_a_eq1", AT_A, "σ′(a) in Equation 1", out_prime="a")
_both("sigma_prime_at_a_eq2", AT_A, "σ′(a) in Equation 2", hidden_prime="a")
_both(
    "z_formula_both",
    FORMULA_OF_A_WITH_Z,
    "z(1 - z) for σ′: the formula in a used with z",
    out_prime="z-formula",
    hidden_prime="z-formula",
)
_both("W_not_transposed", W_NOT_WT, "W instead of W.T in Equation 2", transpose=False)
_both("a_l_instead_of_a_l_minus_1", LAYER_INPUT, "a[l] instead of a[l-1] in every layer", layer_input="same")
_both("dW_transposed", TRANSPOSED, "a[l-1] @ delta.T: every dW transposed", dW_form="transposed")
_both("factor_two", HALF, "2 (a - y): the ½ of the MSE", factor=2.0)
_both("sign", SIGN, "(y - a): the sign", factor=-1.0)
_both(
    "no_bias_in_forward",
    BIAS_FORWARD + r"|forward pass",
    "b left out of the forward pass",
    forward_bias=False,
)
_both(
    "layer_1_missing", r"None|missing|not computed|range\(L, ?1", "loop stops at l = 2", skip_first_layer=True
)
_both("lists_without_None", NONE_ENTRY, "dW[1:], db[1:]: no None at index 0", no_none=True)
_both("returns_db_dW", r"swap|order|\(dW, ?db\)|other way", "returns (db, dW)", swap_return=True)
_both(
    "weights_of_next_layer",
    r"wrong layer|W\[l ?\+ ?1\]|W\[l\]ᵀ|weights of (the )?(wrong|next|other) layer|off by one|"
    r"does not fit|transpos",
    "Equation 2 with W[l+1] (off by one)",
    W_layer=1,
)
_both("db_axis0", AXIS, "db summed over axis 0: (1, m)", bias="axis0")
_both(
    "tanh_prime_in_sigmoid_net",
    r"tanh|1 ?[-−] ?a ?(²|\*\*2|\^2)|wrong activation|derivative of (the )?wrong",
    "1 - a² (tanh′) in a sigmoid network",
    hidden_prime="tanh-a",
)
_both(
    "sigma_prime_missing_eq1_and_factor_two",
    SIGMA_PRIME_MISSING + "|" + HALF,
    "two mistakes: σ′ missing in Eq. 1 and 2(a - y)",
    out_prime="none",
    factor=2.0,
)


def backward_mutates_W(W, b, X, Y):
    """Transposes the caller's weights in their list."""
    L = len(W) - 1
    m = X.shape[1]
    z, a = _forward(W, b, X)
    delta = (a[L] - Y) * _sigp(z[L]) / m
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        dW[l] = delta @ a[l - 1].T
        db[l] = delta.sum(axis=1, keepdims=True)
        if l > 1:
            W[l] = W[l].T
            delta = (W[l] @ delta) * _sigp(z[l - 1])
    return dW, db


def backward_db_scalar(W, b, X, Y):
    dW, db = backward_loops_per_layer(W, b, X, Y)
    return dW, [None] + [float(np.sum(v)) for v in db[1:]]


def backward_eq2_before_eq3(W, b, X, Y):
    """Moves δ down a layer before dW[l] and db[l] are taken from it."""
    L = len(W) - 1
    m = X.shape[1]
    z, a = _forward(W, b, X)
    delta = (a[L] - Y) * _sigp(z[L]) / m
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        if l < L:
            delta = (W[l + 1].T @ delta) * _sigp(z[l])
        dW[l] = delta @ a[l - 1].T
        db[l] = delta.sum(axis=1, keepdims=True)
    return dW, db


def backward_delta_moved_too_early(W, b, X, Y):
    """Equation 2 before Equation 3: dW[l] is taken from δ[l-1]."""
    L = len(W) - 1
    m = X.shape[1]
    z, a = _forward(W, b, X)
    delta = (a[L] - Y) * _sigp(z[L]) / m
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        db[l] = delta.sum(axis=1, keepdims=True)
        if l > 1:
            delta = (W[l].T @ delta) * _sigp(z[l - 1])
        dW[l] = delta @ a[l - 1].T
    return dW, db


for _ex in BACKWARD_IDS:
    CATALOGUE.append(
        Answer(
            (_ex,), "mutates_W_list", backward_mutates_W, MUTATED, "W[l] = W[l].T inside the caller's list"
        )
    )
    CATALOGUE.append(
        Answer(
            (_ex,),
            "db_scalar",
            backward_db_scalar,
            SCALAR + r"|float|not an array|number instead",
            "db[l] = a single number",
        )
    )
    CATALOGUE.append(
        Answer(
            (_ex,),
            "eq2_before_eq3",
            backward_delta_moved_too_early,
            r"order|before|δ\[l ?[-−] ?1\]|wrong layer|δ of layer|equation 2",
            "Equation 2 before Equation 3: dW[l] from δ[l-1]",
        )
    )
    CATALOGUE.append(Answer((_ex,), "backward_eq2_first", backward_eq2_before_eq3, None, "correct"))

# batch-only mistakes (lesson 07); for one example they are right, so lesson 06 keeps them out
BATCH = "backward-batch"
for _name, _named, _why, _kw in (
    ("no_mean", NO_MEAN + "|" + BATCH_ONLY, "no 1/m anywhere (a sum, not the mean)", {"mean": False}),
    (
        "mean_twice_everywhere",
        TWICE_MEAN,
        "1/m twice: in δ[L] and again in dW and db",
        {"dW_over_m": True, "db_mean_extra": True},
    ),
    (
        "db_mean_instead_of_sum",
        TWICE_MEAN + r"|averaged|mean instead of (a |the )?sum|np\.mean",
        "db averaged (δ already has 1/m)",
        {"bias": "mean"},
    ),
    ("db_unsummed", r"sum|" + BATCH_ONLY + r"|axis|keepdims", "db[l] = delta, unsummed", {"bias": "keep"}),
    (
        "dW_over_m_again",
        TWICE_MEAN + r"|divided by m again|extra 1/m|1/m (again|too)",
        "dW divided by m again",
        {"dW_over_m": True},
    ),
    ("outer", r"outer|" + BATCH_ONLY, "np.outer(delta, a[l-1])", {"dW_form": "outer"}),
    ("first_column_only", BATCH_ONLY, "uses only the first example", {"first_column": True}),
    (
        "no_mean_and_W",
        NO_MEAN + "|" + W_NOT_WT + "|" + BATCH_ONLY,
        "two mistakes: no 1/m and W for W.T",
        {"mean": False, "transpose": False},
    ),
):
    CATALOGUE.append(Answer((BATCH,), _name, make_backward(**_kw), _named, _why))


def backward_batch_db_forgets_mean(W, b, X, Y):
    """1/m put at the end of dW only; db forgets it."""
    L = len(W) - 1
    m = X.shape[1]
    z, a = _forward(W, b, X)
    delta = (a[L] - Y) * _sigp(z[L])
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        dW[l] = delta @ a[l - 1].T / m
        db[l] = delta.sum(axis=1, keepdims=True)
        if l > 1:
            delta = (W[l].T @ delta) * _sigp(z[l - 1])
    return dW, db


def backward_batch_np_mean_bias(W, b, X, Y):
    """δ without 1/m; dW = δ aᵀ / m; db = np.mean(δ, axis=1) -- 1-D."""
    dW, db = backward_mean_at_the_end(W, b, X, Y)
    return dW, [None] + [v.ravel() for v in db[1:]]


CATALOGUE.append(
    Answer(
        (BATCH,),
        "db_forgets_mean",
        backward_batch_db_forgets_mean,
        NO_MEAN + r"|db\[\d\].{0,40}(1/m|mean|a sum)|" + BATCH_ONLY,
        "1/m in dW only; db is a sum",
    )
)
CATALOGUE.append(Answer((BATCH,), "db_1d", backward_batch_np_mean_bias, ONE_D, "db[l] of shape (n,)"))

# ---- lesson 11: tanh hidden layers, sigmoid output

FIXED = "backward-fixed"


def backward_fixed_plain(W, b, X, Y):
    L = len(W) - 1
    m = X.shape[1]
    z, a = _forward(W, b, X, hidden=np.tanh)
    delta = (a[L] - Y) * a[L] * (1 - a[L]) / m
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        dW[l] = delta @ a[l - 1].T
        db[l] = delta.sum(axis=1, keepdims=True)
        if l > 1:
            delta = (W[l].T @ delta) * (1 - a[l - 1] ** 2)
    return dW, db


def backward_fixed_tanh_of_z(W, b, X, Y):
    L = len(W) - 1
    m = X.shape[1]
    z, a = _forward(W, b, X, hidden=np.tanh)
    delta = (a[L] - Y) / m * _sigp(z[L])
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        dW[l] = np.einsum("im,jm->ij", delta, a[l - 1])
        db[l] = delta @ np.ones((m, 1))
        if l > 1:
            delta = (delta.T @ W[l]).T * (1 - np.tanh(z[l - 1]) ** 2)
    return dW, db


def backward_fixed_per_example(W, b, X, Y):
    L = len(W) - 1
    m = X.shape[1]
    dW = [None] + [np.zeros(w.shape) for w in W[1:]]
    db = [None] + [np.zeros(v.shape) for v in b[1:]]
    for j in range(m):
        z, a = _forward(W, b, X[:, [j]], hidden=np.tanh)
        delta = (a[L] - Y[:, [j]]) * a[L] * (1 - a[L])
        for l in range(L, 0, -1):
            dW[l] += delta @ a[l - 1].T
            db[l] += delta
            if l > 1:
                delta = (W[l].T @ delta) / np.cosh(z[l - 1]) ** 2
    return [None] + [g / m for g in dW[1:]], [None] + [g / m for g in db[1:]]


def backward_fixed_float32(W, b, X, Y):
    f = np.float32
    return backward_fixed_plain(
        [None] + [w.astype(f) for w in W[1:]], [None] + [v.astype(f) for v in b[1:]], X.astype(f), Y.astype(f)
    )


for _fn in (
    backward_fixed_plain,
    backward_fixed_tanh_of_z,
    backward_fixed_per_example,
    backward_fixed_float32,
):
    CATALOGUE.append(Answer((FIXED,), _fn.__name__, _fn, None, "correct"))


SIGMOID_IN_TANH = (
    r"sigmoid(′|'s derivative| derivative|'s σ′)|derivative of the sigmoid|a ?\*? ?\(1 ?[-−] ?a\)|"
    r"wrong activation|in the tanh layers"
)


def _fixed(name, named, why, **kw):
    kw.setdefault("hidden", "tanh")
    CATALOGUE.append(Answer((FIXED,), name, make_backward(**kw), named, why))


_fixed(
    "tanh_prime_one_minus_z2",
    FORMULA_OF_A_WITH_Z,
    "1 - z**2 for tanh′ (lesson 11's bug 3)",
    hidden_prime="z-formula",
)
_fixed("W_not_transposed", W_NOT_WT, "W[l] @ delta (lesson 11's bug 2)", transpose=False)
_fixed("db_mean", TWICE_MEAN + r"|mean|average|equation 4", "db averaged (lesson 11's bug 1)", bias="mean")
_fixed(
    "sigmoid_prime_in_tanh_layers_a_form",
    SIGMOID_IN_TANH,
    "a(1 - a) in the tanh layers",
    hidden_prime="sigmoid-a",
)
_fixed(
    "sigmoid_prime_in_tanh_layers_z_form",
    SIGMOID_IN_TANH,
    "σ′(z) of the sigmoid in the tanh layers",
    hidden_prime="sigmoid",
)
_fixed(
    "sigmoid_forward_everywhere",
    r"sigmoid (forward|in the hidden|hidden)|hidden layers? (use|are|is|must be) tanh|"
    r"forward pass.{0,40}(sigmoid|tanh)|tanh in the hidden|wrong activation|not tanh",
    "sigmoid in the hidden layers of the forward pass too",
    hidden="sigmoid",
)
_fixed("tanh_prime_at_a", AT_A + r"|tanh\(a|tanh\(tanh", "1 - tanh(a)**2: tanh′ at a", hidden_prime="a")
_fixed(
    "sigma_prime_missing_output", SIGMA_PRIME_MISSING, "σ′ missing in Equation 1 (BCE's δ)", out_prime="none"
)
_fixed("no_mean", NO_MEAN + "|" + BATCH_ONLY, "no 1/m", mean=False)
_fixed("a_l_instead_of_a_l_minus_1", LAYER_INPUT, "a[l] instead of a[l-1]", layer_input="same")
_fixed(
    "weights_of_next_layer",
    r"wrong layer|W\[l ?\+ ?1\]|W\[l\]ᵀ|weights of (the )?(wrong|next|other) layer|off by one|"
    r"does not fit|transpos",
    "Equation 2 with the weights of the wrong layer",
    W_layer=1,
)
_fixed("dW_transposed", TRANSPOSED, "every dW transposed", dW_form="transposed")
_fixed("db_unsummed", r"sum|" + BATCH_ONLY + r"|axis|keepdims", "db = delta, unsummed", bias="keep")
_fixed(
    "lesson_11_bugs_1_and_3",
    FORMULA_OF_A_WITH_Z + "|" + TWICE_MEAN + r"|mean",
    "db averaged and 1 - z**2 (lesson 11 after fixing W.T)",
    hidden_prime="z-formula",
    bias="mean",
)
_fixed("factor_two", HALF, "2 (a - y)", factor=2.0)
_fixed("sign", SIGN, "the sign", factor=-1.0)


def backward_fixed_tanh_output(W, b, X, Y):
    """tanh everywhere, the output too."""
    L = len(W) - 1
    m = X.shape[1]
    z, a = _forward(W, b, X, hidden=np.tanh, out=np.tanh)
    delta = (a[L] - Y) * (1 - a[L] ** 2) / m
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        dW[l] = delta @ a[l - 1].T
        db[l] = delta.sum(axis=1, keepdims=True)
        if l > 1:
            delta = (W[l].T @ delta) * (1 - a[l - 1] ** 2)
    return dW, db


def backward_buggy(W, b, X, Y):
    """Lesson 11's own buggy function, as the student finds it."""
    L = len(W) - 1
    m = X.shape[1]
    a, z = [X], [None]
    for l in range(1, L + 1):
        z.append(W[l] @ a[l - 1] + b[l])
        a.append(_sig(z[l]) if l == L else np.tanh(z[l]))
    delta = (a[L] - Y) * a[L] * (1 - a[L]) / m
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        dW[l] = delta @ a[l - 1].T
        db[l] = delta.mean(axis=1, keepdims=True)
        if l > 1:
            delta = (W[l] @ delta) * (1 - z[l - 1] ** 2)
    return dW, db


CATALOGUE.append(
    Answer(
        (FIXED,),
        "tanh_output",
        backward_fixed_tanh_output,
        r"tanh (at|in) the output|output (layer )?(uses|is|must be) (a )?sigmoid|sigmoid at the output|"
        r"output activation|wrong activation",
        "tanh at the output as well",
    )
)
CATALOGUE.append(
    Answer(
        (FIXED,), "lesson_11_backward_buggy", backward_buggy, W_NOT_WT, "lesson 11's backward_buggy unchanged"
    )
)


def backward_fixed_mutates_W(W, b, X, Y):
    """Transposes the caller's weights in their list."""
    L = len(W) - 1
    m = X.shape[1]
    z, a = _forward(W, b, X, hidden=np.tanh)
    delta = (a[L] - Y) * a[L] * (1 - a[L]) / m
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        dW[l] = delta @ a[l - 1].T
        db[l] = delta.sum(axis=1, keepdims=True)
        if l > 1:
            W[l] = W[l].T
            delta = (W[l] @ delta) * (1 - a[l - 1] ** 2)
    return dW, db


CATALOGUE.append(
    Answer(
        (FIXED,), "mutates_W_list", backward_fixed_mutates_W, MUTATED, "W[l] = W[l].T in the caller's list"
    )
)


# ==================== lesson 08: the update


@good(UPDATE)
def update_comprehension(W, b, dW, db, learning_rate):
    W_new = [None] + [W[l] - learning_rate * dW[l] for l in range(1, len(W))]
    b_new = [None] + [b[l] - learning_rate * db[l] for l in range(1, len(b))]
    return W_new, b_new


@good(UPDATE)
def update_copy_then_in_place(W, b, dW, db, learning_rate):
    W_new, b_new = [None], [None]
    for l in range(1, len(W)):
        w = W[l].copy()
        w -= learning_rate * dW[l]
        v = np.array(b[l], copy=True)
        v -= learning_rate * db[l]
        W_new.append(w)
        b_new.append(v)
    return W_new, b_new


@good(UPDATE)
def update_zip(W, b, dW, db, learning_rate):
    W_new = [None] + [
        np.subtract(w, np.multiply(learning_rate, g)) for w, g in zip(W[1:], dW[1:], strict=True)
    ]
    b_new = [None] + [v + (-learning_rate) * g for v, g in zip(b[1:], db[1:], strict=True)]
    return W_new, b_new


@good(UPDATE)
def update_tuple_lists(W, b, dW, db, learning_rate):
    L = len(W) - 1
    W_new, b_new = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        W_new[l] = -learning_rate * dW[l] + W[l]
        b_new[l] = -(learning_rate * db[l] - b[l])
    return W_new, b_new


@bug(UPDATE, SIGN + r"|ascent|\+", "W + lr dW: gradient ascent")
def update_sign(W, b, dW, db, learning_rate):
    return (
        [None] + [W[l] + learning_rate * dW[l] for l in range(1, len(W))],
        [None] + [b[l] + learning_rate * db[l] for l in range(1, len(b))],
    )


@bug(UPDATE, LR, "learning rate left out")
def update_no_lr(W, b, dW, db, learning_rate):
    return (
        [None] + [W[l] - dW[l] for l in range(1, len(W))],
        [None] + [b[l] - db[l] for l in range(1, len(b))],
    )


@bug(UPDATE, r"step|only|the change|learning_rate \* dw|[-−] ?α|not the new", "returns only the step")
def update_returns_step(W, b, dW, db, learning_rate):
    return (
        [None] + [-learning_rate * dW[l] for l in range(1, len(W))],
        [None] + [-learning_rate * db[l] for l in range(1, len(b))],
    )


@bug(UPDATE, r"\bb\b|bias", "b not updated")
def update_b_unchanged(W, b, dW, db, learning_rate):
    return (
        [None] + [W[l] - learning_rate * dW[l] for l in range(1, len(W))],
        [None] + [b[l].copy() for l in range(1, len(b))],
    )


@bug(UPDATE, r"\bW\b|weight", "W not updated")
def update_W_unchanged(W, b, dW, db, learning_rate):
    return (
        [None] + [W[l].copy() for l in range(1, len(W))],
        [None] + [b[l] - learning_rate * db[l] for l in range(1, len(b))],
    )


@bug(UPDATE, MUTATED, "W[l] -= lr dW[l]: in place")
def update_in_place(W, b, dW, db, learning_rate):
    for l in range(1, len(W)):
        W[l] -= learning_rate * dW[l]
        b[l] -= learning_rate * db[l]
    return W, b


@bug(UPDATE, MUTATED + r"|list|copy", "W[l] = W[l] - ...: replaces the caller's list items")
def update_replaces_items(W, b, dW, db, learning_rate):
    for l in range(1, len(W)):
        W[l] = W[l] - learning_rate * dW[l]
        b[l] = b[l] - learning_rate * db[l]
    return W, b


@bug(UPDATE, LR + r"|divid", "W - dW / lr")
def update_divides_by_lr(W, b, dW, db, learning_rate):
    return (
        [None] + [W[l] - dW[l] / learning_rate for l in range(1, len(W))],
        [None] + [b[l] - db[l] / learning_rate for l in range(1, len(b))],
    )


@bug(UPDATE, LR + r"|twice|squared|²", "lr applied twice")
def update_lr_squared(W, b, dW, db, learning_rate):
    return (
        [None] + [W[l] - learning_rate * learning_rate * dW[l] for l in range(1, len(W))],
        [None] + [b[l] - learning_rate**2 * db[l] for l in range(1, len(b))],
    )


@bug(UPDATE, NONE_ENTRY, "lists without None at index 0")
def update_no_none(W, b, dW, db, learning_rate):
    return (
        [W[l] - learning_rate * dW[l] for l in range(1, len(W))],
        [b[l] - learning_rate * db[l] for l in range(1, len(b))],
    )


@bug(
    UPDATE,
    r"\bdb\b|\bdW\b|swap|mixed|gradient of|bias gradient|wrong gradient",
    "W - lr db: the wrong gradient",
)
def update_W_with_db(W, b, dW, db, learning_rate):
    return (
        [None] + [W[l] - learning_rate * db[l] for l in range(1, len(W))],
        [None] + [b[l] - learning_rate * db[l] for l in range(1, len(b))],
    )


@bug(
    UPDATE, r"last layer|not updated|unchanged|off by one|range\(", "range(1, L): the last layer not updated"
)
def update_off_by_one(W, b, dW, db, learning_rate):
    L = len(W) - 1
    W_new = [None] + [W[l] - learning_rate * dW[l] for l in range(1, L)] + [W[L].copy()]
    b_new = [None] + [b[l] - learning_rate * db[l] for l in range(1, L)] + [b[L].copy()]
    return W_new, b_new


@bug(UPDATE, r"pair|tuple|\(W_new, ?b_new\)|both|two|only W", "returns W_new only")
def update_returns_W_only(W, b, dW, db, learning_rate):
    return [None] + [W[l] - learning_rate * dW[l] for l in range(1, len(W))]


# ==================== lesson 09: softmax

EX = "softmax-output-error"
UNSHIFTED = (
    r"max.?shift|subtract(ing)? the max|shift|overflow|underflow|large (logit|value)|stab|nan\b|"
    r"inf\b|not finite"
)
WRONG_AXIS = (
    r"axis|along (the )?rows|over (the )?rows|per row|each row|down (each|the) column|sums? to 1|"
    r"normali[sz]ed over"
)


@good(EX)
def softmax_plain(z_L, Y):
    e = np.exp(z_L - z_L.max(axis=0, keepdims=True))
    return (e / e.sum(axis=0, keepdims=True) - Y) / z_L.shape[1]


@good(EX)
def softmax_no_keepdims(z_L, Y):
    e = np.exp(z_L - np.max(z_L, axis=0))
    return (e / np.sum(e, axis=0) - Y) / z_L.shape[1]


@good(EX)
def softmax_log_sum_exp(z_L, Y):
    top = z_L.max(axis=0, keepdims=True)
    log_p = z_L - top - np.log(np.exp(z_L - top).sum(axis=0, keepdims=True))
    return (np.exp(log_p) - Y) * (1.0 / z_L.shape[1])


@good(EX)
def softmax_column_loop(z_L, Y):
    n, m = z_L.shape
    out = np.zeros((n, m))
    for j in range(m):
        col = z_L[:, j] - np.max(z_L[:, j])
        p = np.exp(col) / np.sum(np.exp(col))
        out[:, j] = (p - Y[:, j]) / m
    return out


@good(EX)
def softmax_float32(z_L, Y):
    z = z_L.astype(np.float32)
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return (e / e.sum(axis=0, keepdims=True) - Y.astype(np.float32)) / np.float32(z.shape[1])


@good(EX)
def softmax_integer_targets(z_L, Y):
    labels = np.argmax(Y, axis=0)  # one-hot back to labels
    e = np.exp(z_L - z_L.max(axis=0))
    p = e / e.sum(axis=0)
    p[labels, np.arange(z_L.shape[1])] -= 1
    return p / z_L.shape[1]


@bug(EX, UNSHIFTED, "no max-shift: NaN at a large logit")
def softmax_unshifted(z_L, Y):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z_L)
        return (e / e.sum(axis=0, keepdims=True) - Y) / z_L.shape[1]


@bug(
    EX, UNSHIFTED + r"|global max|max of (the )?whole", "shift by the global max: a column underflows to 0/0"
)
def softmax_global_shift(z_L, Y):
    with np.errstate(invalid="ignore", divide="ignore"):
        e = np.exp(z_L - np.max(z_L))
        return (e / e.sum(axis=0, keepdims=True) - Y) / z_L.shape[1]


@bug(EX, WRONG_AXIS + r"|shift", "max-shift along axis=1 (per row): not a softmax any more")
def softmax_row_shift(z_L, Y):
    e = np.exp(z_L - z_L.max(axis=1, keepdims=True))
    return (e / e.sum(axis=0, keepdims=True) - Y) / z_L.shape[1]


@bug(EX, NO_MEAN + "|" + BATCH_ONLY, "no 1/m")
def softmax_no_mean(z_L, Y):
    return softmax_plain(z_L, Y) * z_L.shape[1]


@bug(EX, TWICE_MEAN, "1/m twice")
def softmax_mean_twice(z_L, Y):
    return softmax_plain(z_L, Y) / z_L.shape[1]


@bug(EX, SIGN, "(Y - p)/m: the sign")
def softmax_sign(z_L, Y):
    return -softmax_plain(z_L, Y)


@bug(EX, r"σ′|sigma'|derivative|p ?\(1 ?[-−] ?p\)|cancel|extra", "(p - Y) p (1 - p) / m: σ′ multiplied in")
def softmax_sigma_prime_in(z_L, Y):
    e = np.exp(z_L - z_L.max(axis=0, keepdims=True))
    p = e / e.sum(axis=0, keepdims=True)
    return (p - Y) * p * (1 - p) / z_L.shape[1]


@bug(EX, WRONG_AXIS, "normalised along axis=1 (rows)")
def softmax_wrong_axis(z_L, Y):
    e = np.exp(z_L - z_L.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True) - Y) / z_L.shape[1]


@bug(
    EX,
    r"whole (array|batch|matrix)|all (the )?entries|entire|axis|sums? to 1|normali[sz]ed over|"
    r"every entry together",
    "normalised over the whole array",
)
def softmax_whole_array(z_L, Y):
    e = np.exp(z_L - z_L.max())
    return (e / e.sum() - Y) / z_L.shape[1]


@bug(EX, r"sigmoid", "a sigmoid instead of softmax")
def softmax_is_sigmoid(z_L, Y):
    return (_sig(z_L) - Y) / z_L.shape[1]


@bug(EX, TRANSPOSED, "returns the transpose")
def softmax_transposed(z_L, Y):
    return softmax_plain(z_L, Y).T


@bug(
    EX,
    CONSTANT
    + "|"
    + r"n_l\b|len\(|shape\[0\]|number of (rows|units|outputs|classes)|1/m|wrong m|instead of m\b",
    "m = len(z_L): divides by the number of classes",
)
def softmax_divides_by_n(z_L, Y):
    return softmax_plain(z_L, Y) * z_L.shape[1] / len(z_L)


@bug(
    EX,
    r"[-−] ?Y\b|minus Y|subtract(ed)? Y|target|ŷ itself|probabilit|Y missing|forgot Y",
    "forgets - Y: returns softmax / m",
)
def softmax_forgets_Y(z_L, Y):
    e = np.exp(z_L - z_L.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True) / z_L.shape[1]


@bug(EX, MUTATED, "z_L -= z_L.max(axis=0): shifts the caller's array")
def softmax_in_place(z_L, Y):
    z_L -= z_L.max(axis=0, keepdims=True)
    e = np.exp(z_L)
    return (e / e.sum(axis=0, keepdims=True) - Y) / z_L.shape[1]


# ==================== lesson 10: initialisation

INIT = "init-weights"


@good(INIT)
def init_normal(sizes, method, seed):
    rng = np.random.default_rng(seed)
    W, b = [None], [None]
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        var = 2.0 / n_in if _he(method) else 2.0 / (n_in + n_out)
        W.append(rng.normal(0.0, np.sqrt(var), (n_out, n_in)))
        b.append(np.zeros((n_out, 1)))
    return W, b


@good(INIT)
def init_uniform(sizes, method, seed):
    rng = np.random.default_rng(seed)
    W, b = [None], [None]
    for l in range(1, len(sizes)):
        n_in, n_out = sizes[l - 1], sizes[l]
        limit = np.sqrt(6 / n_in) if _he(method) else np.sqrt(6 / (n_in + n_out))
        W.append(rng.uniform(-limit, limit, size=(n_out, n_in)))
        b.append(np.zeros((n_out, 1)))
    return W, b


@good(INIT)
def init_legacy_float32(sizes, method, seed):
    rs = np.random.RandomState(seed)
    W = [None] + [
        (rs.randn(o, i) * np.sqrt(2 / i if _he(method) else 2 / (i + o))).astype(np.float32)
        for i, o in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    return W, [None] + [np.zeros((o, 1), dtype=np.float32) for o in sizes[1:]]


def _init(sizes, method, seed, *, std=None, rng=None, shape=None, bias=None, dist="normal", first=None):
    rng = np.random.default_rng(seed) if rng is None else rng
    W, b = ([None], [None]) if first is None else first
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        s = std(n_in, n_out, method) if std else np.sqrt(2 / n_in if _he(method) else 2 / (n_in + n_out))
        shp = (n_out, n_in) if shape is None else shape(n_in, n_out)
        W.append(rng.normal(0, s, shp) if dist == "normal" else dist(rng, s, shp))
        b.append(np.zeros((n_out, 1)) if bias is None else bias(rng, n_out))
    return W, b


def _register_init(name, named, why, fn):
    CATALOGUE.append(Answer((INIT,), name, fn, named, why))


_register_init(
    "zeros",
    r"zero|symmetr|identical|constant",
    "all-zero weights",
    lambda sizes, method, seed: _init(sizes, method, seed, std=lambda i, o, m: 0.0),
)
_register_init(
    "constant",
    r"symmetr|identical|constant|same",
    "every weight 0.1",
    lambda sizes, method, seed: _init(sizes, method, seed, dist=lambda r, s, shp: np.full(shp, 0.1)),
)
_register_init(
    "standard_normal",
    r"N\(0, ?1\)|standard normal|variance|too large|explod|1\b",
    "N(0, 1): no scaling",
    lambda sizes, method, seed: _init(sizes, method, seed, std=lambda i, o, m: 1.0),
)
_register_init(
    "always_he",
    r"\bHe\b|Xavier|Glorot|2/n",
    "He for every activation",
    lambda sizes, method, seed: _init(sizes, method, seed, std=lambda i, o, m: np.sqrt(2 / i)),
)
_register_init(
    "always_xavier",
    r"\bHe\b|Xavier|Glorot|relu",
    "Xavier for ReLU too",
    lambda sizes, method, seed: _init(sizes, method, seed, std=lambda i, o, m: np.sqrt(2 / (i + o))),
)
_register_init(
    "one_over_n",
    r"1/n|variance|half|factor",
    "Var = 1/n_in",
    lambda sizes, method, seed: _init(sizes, method, seed, std=lambda i, o, m: np.sqrt(1 / i)),
)
_register_init(
    "variance_as_std",
    r"standard deviation|std|sqrt|√|scale|variance",
    "the variance passed as the standard deviation",
    lambda sizes, method, seed: _init(
        sizes, method, seed, std=lambda i, o, m: 2 / i if _he(m) else 2 / (i + o)
    ),
)
_register_init(
    "times_0_01",
    r"0\.01|too small|vanish|variance|small",
    "0.01 * randn",
    lambda sizes, method, seed: _init(sizes, method, seed, std=lambda i, o, m: 0.01),
)
_register_init(
    "not_seeded",
    r"seed|reproduc|same weights",
    "np.random.default_rng(): not seeded",
    lambda sizes, method, seed: _init(sizes, method, seed, rng=np.random.default_rng()),
)
_register_init(
    "ignores_seed",
    r"seed|same weights|another seed|other seed",
    "default_rng(0): the seed ignored",
    lambda sizes, method, seed: _init(sizes, method, 0),
)
_register_init(
    "transposed",
    TRANSPOSED + r"|shape",
    "W[l] of shape (n_{l-1}, n_l)",
    lambda sizes, method, seed: _init(sizes, method, seed, shape=lambda i, o: (i, o)),
)
_register_init(
    "random_biases",
    r"bias|\bb\b|zero",
    "biases drawn at random",
    lambda sizes, method, seed: _init(sizes, method, seed, bias=lambda r, o: 0.1 * r.standard_normal((o, 1))),
)
_register_init(
    "uncentred_rand",
    r"cent|mean|uniform|positive|rand\b|shift|offset|zero mean",
    "np.random.rand-style weights in [0, a): not centred",
    lambda sizes, method, seed: _init(
        sizes, method, seed, dist=lambda r, s, shp: r.uniform(0, s * np.sqrt(12), shp)
    ),
)
_register_init(
    "uniform_limit_is_std",
    r"√3|sqrt\(3\)|sqrt 3|uniform|limit|variance|too small",
    "uniform(-σ, σ): the limit off by √3",
    lambda sizes, method, seed: _init(sizes, method, seed, dist=lambda r, s, shp: r.uniform(-s, s, shp)),
)
_register_init(
    "fan_out",
    r"fan|n_l\b|n_\{l-1\}|n_{l ?[-−] ?1}|variance|\bHe\b|Xavier|input width",
    "He with n_out instead of n_in (Xavier correct)",
    lambda sizes, method, seed: _init(
        sizes, method, seed, std=lambda i, o, m: np.sqrt(2 / o) if _he(m) else np.sqrt(2 / (i + o))
    ),
)
_register_init(
    "no_none",
    NONE_ENTRY,
    "lists without None at index 0",
    lambda sizes, method, seed: tuple(v[1:] for v in init_normal(sizes, method, seed)),
)
_register_init(
    "bias_1d",
    ONE_D + r"|shape|\(n_l, ?1\)",
    "b[l] of shape (n_l,)",
    lambda sizes, method, seed: (
        init_normal(sizes, method, seed)[0],
        [None] + [np.zeros(o) for o in sizes[1:]],
    ),
)
_register_init(
    "global_legacy_seed_ignored",
    r"seed|same weights|another seed|other seed",
    "np.random.randn without seeding (global state)",
    lambda sizes, method, seed: _init(sizes, method, seed, dist=lambda r, s, shp: s * np.random.randn(*shp)),
)


# ==================== lesson 12: op backward rules

OP = "op-backward"


def add_backward(x, y, grad):
    return grad, grad


def mul_backward(x, y, grad):
    return grad * y, grad * x


def tanh_backward(x, grad):
    return grad * (1 - np.tanh(x) ** 2)


def exp_backward(x, grad):
    return grad * np.exp(x)


def pow_backward(x, n, grad):
    return grad * n * x ** (n - 1)


OPS_RIGHT = {
    "add": add_backward,
    "mul": mul_backward,
    "tanh": tanh_backward,
    "exp": exp_backward,
    "pow": pow_backward,
}


def _ops(**replace: Callable) -> dict[str, Callable]:
    return {**OPS_RIGHT, **replace}


CATALOGUE.append(Answer((OP,), "dict_plain", dict(OPS_RIGHT), None, "correct"))
CATALOGUE.append(
    Answer((OP,), "dict_full_names", {f"{k}_backward": v for k, v in OPS_RIGHT.items()}, None, "correct")
)
CATALOGUE.append(
    Answer(
        (OP,),
        "namespace_other_formulas",
        SimpleNamespace(
            add_backward=lambda x, y, grad: (grad.copy(), 1.0 * grad),
            mul_backward=lambda x, y, grad: (np.multiply(y, grad), np.multiply(grad, x)),
            tanh_backward=lambda x, grad: grad / np.cosh(x) ** 2,
            exp_backward=lambda x, grad: np.exp(x) * grad,
            pow_backward=lambda x, n, grad: n * x**n / x * grad,
        ),
        None,
        "correct",
    )
)
CATALOGUE.append(
    Answer(
        (OP,),
        "float32",
        {
            "add": lambda x, y, grad: (grad.astype(np.float32), grad.astype(np.float32)),
            "mul": lambda x, y, grad: ((grad * y).astype(np.float32), (grad * x).astype(np.float32)),
            "tanh": lambda x, grad: grad.astype(np.float32) * (1 - np.tanh(x.astype(np.float32)) ** 2),
            "exp": lambda x, grad: grad.astype(np.float32) * np.exp(x.astype(np.float32)),
            "pow": lambda x, n, grad: (
                grad.astype(np.float32) * np.float32(n) * x.astype(np.float32) ** np.float32(n - 1)
            ),
        },
        None,
        "correct",
    )
)


def _op_bug(name, named, why, **replace):
    CATALOGUE.append(Answer((OP,), name, _ops(**replace), named, why))


GRAD_MISSING = (
    r"grad.{0,40}(not multiplied|missing|left out|forgot|ignored|times)|upstream|chain rule|"
    r"(without|forgot|missing) .{0,10}grad|arriving"
)
_op_bug(
    "add_without_grad",
    GRAD_MISSING,
    "add returns (1, 1)",
    add=lambda x, y, grad: (np.ones_like(x), np.ones_like(y)),
)
RULES_MIXED = (
    r"mul('s)? rule|add('s)? rule|rules? (of|for) (add|mul)|mixed|swapped (the )?rules|product rule|sum rule"
)
_op_bug(
    "add_like_mul",
    RULES_MIXED,
    "add returns (grad*y, grad*x): the mul rule",
    add=lambda x, y, grad: (grad * y, grad * x),
)
_op_bug(
    "add_single",
    r"pair|tuple|two|\(gx, ?gy\)|both|each input",
    "add returns grad alone",
    add=lambda x, y, grad: grad,
)
_op_bug(
    "mul_swapped",
    r"swap|x and y|y and x|other input|crossed",
    "mul returns (grad*x, grad*y)",
    mul=lambda x, y, grad: (grad * x, grad * y),
)
_op_bug("mul_without_grad", GRAD_MISSING, "mul returns (y, x)", mul=lambda x, y, grad: (y.copy(), x.copy()))
_op_bug(
    "mul_like_add", RULES_MIXED, "mul returns (grad, grad): the add rule", mul=lambda x, y, grad: (grad, grad)
)
_op_bug("mul_sign", SIGN, "mul with the sign flipped", mul=lambda x, y, grad: (-grad * y, -grad * x))
_op_bug(
    "mul_in_place", MUTATED, "grad *= y: overwrites grad", mul=lambda x, y, grad: _mul_in_place(x, y, grad)
)
_op_bug(
    "tanh_one_minus_x2",
    r"1 ?[-−] ?x|input|output|in place of|at x|tanh\(x\) first|formula",
    "grad * (1 - x**2): tanh′ at the input",
    tanh=lambda x, grad: grad * (1 - x**2),
)
_op_bug(
    "tanh_no_square", r"square|²|\*\*2", "grad * (1 - tanh(x))", tanh=lambda x, grad: grad * (1 - np.tanh(x))
)
_op_bug(
    "tanh_square_outside",
    r"square|²|\*\*2|parenthes",
    "grad * (1 - tanh(x))**2",
    tanh=lambda x, grad: grad * (1 - np.tanh(x)) ** 2,
)
_op_bug(
    "tanh_forward_value",
    r"derivative|tanh′|itself|forward value|tanh\(x\)",
    "grad * tanh(x)",
    tanh=lambda x, grad: grad * np.tanh(x),
)
_op_bug(
    "tanh_without_grad", GRAD_MISSING, "1 - tanh(x)**2 without grad", tanh=lambda x, grad: 1 - np.tanh(x) ** 2
)
_op_bug("exp_without_grad", GRAD_MISSING, "exp returns exp(x)", exp=lambda x, grad: np.exp(x))
_op_bug("exp_plus", r"\+|multipl|product|chain", "grad + exp(x)", exp=lambda x, grad: grad + np.exp(x))
_op_bug(
    "exp_power_rule",
    r"power|x ?\*|exp\(x ?[-−] ?1\)|derivative",
    "grad * x * exp(x - 1): the power rule on exp",
    exp=lambda x, grad: grad * x * np.exp(x - 1),
)
_op_bug(
    "pow_no_factor_n",
    r"factor n|\bn\b|times n|n ?\*",
    "grad * x**(n-1)",
    pow=lambda x, n, grad: grad * x ** (n - 1),
)
_op_bug(
    "pow_exponent_not_lowered",
    r"exponent|n ?[-−] ?1|lower|x\*\*n\b",
    "grad * n * x**n",
    pow=lambda x, n, grad: grad * n * x**n,
)
_op_bug(
    "pow_precedence",
    r"parenthes|precedence|bracket|n ?[-−] ?1|exponent",
    "grad * n * x ** n - 1",
    pow=lambda x, n, grad: grad * n * x**n - 1,
)
_op_bug(
    "pow_without_grad", GRAD_MISSING, "n * x**(n-1) without grad", pow=lambda x, n, grad: n * x ** (n - 1)
)
_op_bug(
    "tanh_in_place", MUTATED, "np.tanh(x, out=x): overwrites x", tanh=lambda x, grad: _tanh_in_place(x, grad)
)
_op_bug("tanh_sign", SIGN, "grad * (tanh(x)**2 - 1)", tanh=lambda x, grad: grad * (np.tanh(x) ** 2 - 1))


def _mul_in_place(x, y, grad):
    gy = grad * x
    grad *= y
    return grad, gy


def _tanh_in_place(x, grad):
    np.tanh(x, out=x)
    return grad * (1 - x**2)


# ==================== held-out variants
# Added at 22:40 UTC, after the issue-10 helper had named the mistakes above: the same mistakes
# written another way (or with other numbers), to see whether a diagnosis generalises.

HELD_OUT: list[str] = []
AT_GRAD = (
    r"(tanh′?|exp)\(grad|at grad\b|of grad\b|(to|on) grad\b|wrong (argument|place)|"
    r"instead of (at )?x\b|the input x"
)


def held_out(exercise, named: str, why: str = ""):
    def deco(fn):
        bug(exercise, named, why)(fn)
        HELD_OUT.append(CATALOGUE[-1].id)
        return fn

    return deco


def good_held_out(exercise):
    def deco(fn):
        good(exercise)(fn)
        HELD_OUT.append(CATALOGUE[-1].id)
        return fn

    return deco


@held_out("sigmoid", r"clip|large|saturat|\|z\|", "clips z to [-10, 10]")
def sigmoid_clipped_10(z):
    return 1 / (1 + np.exp(-np.clip(z, -10, 10)))


@held_out("sigmoid", r"exp\(-z ?/ ?2|z ?/ ?2|half|factor|scaled|½", "np.exp(-z/2): the exponent scaled")
def sigmoid_exp_half_z(z):
    return 1 / (1 + np.exp(-z / 2))


@held_out("sigmoid", r"sign|σ\( ?[-−] ?z ?\)|1 ?[-−] ?σ|exponent", "1 - 1/(1 + e^-z) = σ(-z)")
def sigmoid_one_minus(z):
    return 1 - 1 / (1 + np.exp(-z))


@held_out("sigmoid", r"square|²|\*\*2|squared", "(1/(1 + e^-z))**2")
def sigmoid_squared(z):
    return (1 / (1 + np.exp(-z))) ** 2


@held_out("sigmoid-prime", CONSTANT + r"|½|1/2|half", "s(1 - s)/2")
def sigmoid_prime_half(z):
    s = 1 / (1 + np.exp(-z))
    return s * (1 - s) / 2


@held_out("sigmoid-prime", r"square|²|\*\*2|σ\(z\)²|s ?\*\* ?2|σ²", "σ(z)**2")
def sigmoid_prime_s_squared(z):
    return (1 / (1 + np.exp(-z))) ** 2


@held_out("tanh-prime", r"cube|³|\*\*3|\^3|power|square", "1 - tanh(z)**3")
def tanh_prime_cubed(z):
    return 1 - np.tanh(z) ** 3


@held_out("tanh-prime", SIGN + r"|1 ?\+|plus", "1 + tanh(z)**2")
def tanh_prime_plus(z):
    return 1 + np.tanh(z) ** 2


@good_held_out("tanh-prime")
def tanh_prime_factored(z):
    t = np.tanh(z)
    return (1 - t) * (1 + t)


@held_out("relu-prime", r"z ?= ?0|at 0|at zero|kink|>= ?0|≥ ?0|convention", "np.where(z >= 0, 1.0, 0.0)")
def relu_prime_where_ge(z):
    return np.where(z >= 0, 1.0, 0.0)


@good_held_out("relu-prime")
def relu_prime_sign_clipped(z):
    return np.maximum(np.sign(z), 0)


@good_held_out("relu-prime")
def relu_prime_ceil_clip(z):
    return np.clip(np.ceil(z), 0, 1)


@held_out(
    "output-error-mse",
    CONSTANT + r"|m ?[-−] ?1|1/m|nan|inf|divid",
    "divides by m - 1 (the unbiased-variance habit)",
)
def mse_m_minus_one(z_L, y):
    a = _sig(z_L)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (a - y) * a * (1 - a) / (z_L.shape[1] - 1)


@held_out("output-error-mse", AXIS + "|" + BATCH_ONLY + r"|mean", "np.mean over axis 0: (1, m)")
def mse_mean_axis0(z_L, y):
    a = _sig(z_L)
    return np.mean((a - y) * a * (1 - a), axis=0, keepdims=True)


@held_out("output-error-mse", HALF, "½ (a - y): the ½ applied to the gradient too")
def mse_half_again(z_L, y):
    a = _sig(z_L)
    return 0.5 * (a - y) * a * (1 - a) / z_L.shape[1]


@held_out(
    "output-error-bce",
    CONSTANT + r"|n_l\b|shape\[0\]|number of (rows|units|outputs)|1/m|instead of m\b",
    "divides by y.shape[0] (n_L) instead of m",
)
def bce_divides_by_rows(z_L, y):
    return (_sig(z_L) - y) / y.shape[0]


@held_out("backprop-error", TRANSPOSED, "(δᵀ W) * σ′(z)ᵀ: the transpose")
def backprop_row_result(W_next, delta_next, z, sigma_prime):
    return (delta_next.T @ W_next) * sigma_prime(z).T


@held_out("weight-gradient", TRANSPOSED, "einsum('ij,kj->ik', a_prev, delta): the transpose")
def weight_gradient_einsum_transposed(delta, a_prev):
    return np.einsum("ij,kj->ik", a_prev, delta)


@held_out(
    "weight-gradient", CONSTANT + r"|1/m|mean|divided by m", "np.mean of the outer products over the columns"
)
def weight_gradient_mean_loop(delta, a_prev):
    m = delta.shape[1]
    return sum(np.outer(delta[:, j], a_prev[:, j]) for j in range(m)) / m


@held_out("bias-gradient", r"mean|1/m|average|sum|" + CONSTANT, "the sum, then / m, written apart")
def bias_gradient_sum_over_m(delta):
    return np.sum(delta, axis=1).reshape(-1, 1) / delta.shape[1]


@held_out(
    BATCH,
    CONSTANT + "|" + NO_MEAN + r"|1/m|X\.shape\[0\]|n_0|rows|wrong m|instead of m\b",
    "m = len(X): divides by n_0 instead of m",
)
def backward_batch_m_is_rows(W, b, X, Y):
    L = len(W) - 1
    m = len(X)
    z, a = _forward(W, b, X)
    delta = (a[L] - Y) * _sigp(z[L]) / m
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        dW[l] = delta @ a[l - 1].T
        db[l] = delta.sum(axis=1, keepdims=True)
        if l > 1:
            delta = (W[l].T @ delta) * _sigp(z[l - 1])
    return dW, db


@held_out(
    UPDATE, MUTATED, "W_new = W.copy(): a shallow copy, then W_new[l] -= ... changes the caller's arrays"
)
def update_shallow_copy(W, b, dW, db, learning_rate):
    W_new, b_new = W.copy(), b.copy()
    for l in range(1, len(W)):
        W_new[l] -= learning_rate * dW[l]
        b_new[l] -= learning_rate * db[l]
    return W_new, b_new


@held_out(
    "softmax-output-error",
    r"whole (array|batch|matrix)|all (the )?entries|entire|axis|sums? to 1|normali[sz]ed over",
    "shifted per column, but normalised by e.sum() over the whole array",
)
def softmax_shift_then_whole_sum(z_L, Y):
    e = np.exp(z_L - z_L.max(axis=0, keepdims=True))
    return (e / e.sum() - Y) / z_L.shape[1]


@held_out(
    "softmax-output-error",
    CONSTANT + r"|n_l\b|shape\[0\]|number of (rows|units|outputs|classes)|1/m|instead of m\b",
    "divides by Y.shape[0] (classes)",
)
def softmax_divides_by_classes(z_L, Y):
    e = np.exp(z_L - z_L.max(axis=0, keepdims=True))
    return (e / e.sum(axis=0, keepdims=True) - Y) / Y.shape[0]


@held_out(
    "init-weights",
    r"variance|half|factor|1/\(n|too small|Xavier|\bHe\b",
    "Xavier as 1/(n_in + n_out): half the variance",
)
def init_xavier_without_two(sizes, method, seed):
    return _init(sizes, method, seed, std=lambda i, o, m: np.sqrt(2 / i) if _he(m) else np.sqrt(1 / (i + o)))


@held_out(
    "init-weights",
    r"√3|sqrt\(3\)|uniform|limit|variance|too large",
    "the uniform limit √(6/(n_in+n_out)) used as a std",
)
def init_limit_as_std(sizes, method, seed):
    return _init(sizes, method, seed, std=lambda i, o, m: np.sqrt(6 / i) if _he(m) else np.sqrt(6 / (i + o)))


for _name, _named, _why, _rep in (
    (
        "pow_factor_n_minus_1",
        r"factor n|\bn\b|times n|n ?\*|n ?[-−] ?1",
        "grad * (n - 1) * x**(n - 1)",
        {"pow": lambda x, n, grad: grad * (n - 1) * x ** (n - 1)},
    ),
    (
        "mul_both_x",
        r"swap|x and y|y and x|other input|crossed|same",
        "mul returns (grad*x, grad*x)",
        {"mul": lambda x, y, grad: (grad * x, grad * x)},
    ),
    (
        "tanh_at_grad",
        AT_GRAD,
        "grad * (1 - tanh(grad)**2)",
        {"tanh": lambda x, grad: grad * (1 - np.tanh(grad) ** 2)},
    ),
    ("exp_of_grad", AT_GRAD, "grad * exp(grad)", {"exp": lambda x, grad: grad * np.exp(grad)}),
):
    _op_bug(_name, _named, _why, **_rep)
    HELD_OUT.append(CATALOGUE[-1].id)


# ==================== held-out variants, second batch (added 22:55 UTC)


@held_out(
    "forward-step", BIAS_FORWARD + r"|\ba\b.{0,30}\bb\b", "z has b, but a = sigma(W @ a_prev) forgets it"
)
def forward_step_b_only_in_z(W, a_prev, b, sigma):
    z = W @ a_prev + b
    return z, sigma(W @ a_prev)


@held_out("forward-step", SIGN + r"|[-−] ?b\b|minus b|subtract", "z = W @ a_prev - b")
def forward_step_minus_b(W, a_prev, b, sigma):
    z = W @ a_prev - b
    return z, sigma(z)


@held_out(
    "numerical-gradient",
    r"h ?/ ?2|half (the )?step|step (of )?h/2|2h",
    "(f(x + h/2) - f(x - h/2)) / h: a central difference, but not the one asked for",
)
def numgrad_half_steps(f, x, h=1e-5):
    return numgrad_copy_loop(f, x, h / 2)


@held_out(
    "output-error-mse",
    r"tanh|1 ?[-−] ?a ?(²|\*\*2|\^2)|wrong (activation|derivative)",
    "tanh′ (1 - a²) for the sigmoid output",
)
def mse_tanh_prime(z_L, y):
    a = _sig(z_L)
    return (a - y) * (1 - a**2) / z_L.shape[1]


@held_out("output-error-bce", AXIS + "|" + BATCH_ONLY + r"|mean", "np.mean over axis 0: (1, m)")
def bce_mean_axis0(z_L, y):
    return np.mean(_sig(z_L) - y, axis=0, keepdims=True)


@held_out(
    "weight-gradient", r"transpos|does not fit|order|a_prev\.T", "delta.T @ a_prev: the product does not fit"
)
def weight_gradient_deltaT(delta, a_prev):
    return delta.T @ a_prev


@held_out(
    "bias-gradient",
    AXIS + r"|\(m, ?1\)|axis 0|over the (units|rows)",
    "delta.sum(axis=0).reshape(-1, 1): (m, 1)",
)
def bias_gradient_axis0_column(delta):
    return delta.sum(axis=0).reshape(-1, 1)


@good_held_out("softmax-output-error")
def softmax_over_Y_sum(z_L, Y):
    e = np.exp(z_L - z_L.max(axis=0, keepdims=True))
    return (e / e.sum(axis=0, keepdims=True) - Y) / Y.sum()  # one-hot: Y.sum() is m


@held_out("softmax-output-error", r"\blog\b|log[- ]?softmax|log\(", "(log softmax - Y)/m")
def softmax_log_probabilities(z_L, Y):
    top = z_L.max(axis=0, keepdims=True)
    log_p = z_L - top - np.log(np.exp(z_L - top).sum(axis=0, keepdims=True))
    return (log_p - Y) / z_L.shape[1]


@held_out(
    UPDATE,
    r"\bdW\b|\bdb\b|wrong gradient|updated with dW|each parameter|its own gradient",
    "b - lr dW: the wrong gradient (broadcasts to W's shape)",
)
def update_b_with_dW(W, b, dW, db, learning_rate):
    return (
        [None] + [W[l] - learning_rate * dW[l] for l in range(1, len(W))],
        [None] + [b[l] - learning_rate * dW[l] for l in range(1, len(b))],
    )


@held_out(UPDATE, r"swap|order|\(W_new, ?b_new\)|other way|pair", "returns (b_new, W_new)")
def update_swapped(W, b, dW, db, learning_rate):
    W_new, b_new = update_comprehension(W, b, dW, db, learning_rate)
    return b_new, W_new


@good_held_out("init-weights")
def init_drawn_transposed(sizes, method, seed):
    rng = np.random.default_rng(seed)
    W, b = [None], [None]
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        std = np.sqrt(2 / n_in) if _he(method) else np.sqrt(2 / (n_in + n_out))
        W.append(np.ascontiguousarray(rng.normal(0.0, std, (n_in, n_out)).T))  # drawn (in, out), then .T
        b.append(np.zeros((n_out, 1)))
    return W, b


@held_out("init-weights", r"bias|\bb\b|zero", "biases all 1")
def init_bias_ones(sizes, method, seed):
    W, _ = init_normal(sizes, method, seed)
    return W, [None] + [np.ones((o, 1)) for o in sizes[1:]]


def backward_delta_never_moves(W, b, X, Y):
    """Computes δ of the layer below but never assigns it back: every layer gets δ[L]."""
    L = len(W) - 1
    m = X.shape[1]
    z, a = _forward(W, b, X)
    delta = (a[L] - Y) * _sigp(z[L]) / m
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        dW[l] = delta @ a[l - 1].T
        db[l] = delta.sum(axis=1, keepdims=True)
        if l > 1:
            delta_below = (W[l].T @ delta) * _sigp(z[l - 1])  # noqa: F841
    return dW, db


DELTA_STALE = (
    r"not (updated|propagated|passed|moved)|same δ|(?-i:δ\[L\])|never (updated|changes)|stale|"
    r"Equation 2 (is )?(missing|never)|layer below"
)
for _ex in BACKWARD_IDS:
    for _name, _named, _why, _fn in (
        (
            "delta_never_moves",
            DELTA_STALE,
            "δ of the layer below computed but not assigned",
            backward_delta_never_moves,
        ),
        (
            "z_formula_eq2_only",
            FORMULA_OF_A_WITH_Z,
            "z(1 - z) in Equation 2 only",
            make_backward(hidden_prime="z-formula"),
        ),
        (
            "factor_three",
            CONSTANT + r"|3 ?×|× ?3|three times|factor (of )?3",
            "3 (a - y)",
            make_backward(factor=3.0),
        ),
    ):
        CATALOGUE.append(Answer((_ex,), _name, _fn, _named, _why))
        HELD_OUT.append(CATALOGUE[-1].id)


def _backward_fixed_tanh_prime_square_outside(W, b, X, Y):
    L = len(W) - 1
    m = X.shape[1]
    z, a = _forward(W, b, X, hidden=np.tanh)
    delta = (a[L] - Y) * a[L] * (1 - a[L]) / m
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        dW[l] = delta @ a[l - 1].T
        db[l] = delta.sum(axis=1, keepdims=True)
        if l > 1:
            delta = (W[l].T @ delta) * (1 - a[l - 1]) ** 2
    return dW, db


CATALOGUE.append(
    Answer(
        (FIXED,),
        "tanh_prime_square_outside",
        _backward_fixed_tanh_prime_square_outside,
        r"square|²|\*\*2|\(1 ?[-−] ?a\)",
        "(1 - a)**2 for tanh′",
    )
)
HELD_OUT.append(CATALOGUE[-1].id)
CATALOGUE.append(
    Answer(
        (FIXED,),
        "z_formula_at_output",
        make_backward(hidden="tanh", out_prime="z-formula"),
        FORMULA_OF_A_WITH_Z,
        "z(1 - z) for the output's σ′",
    )
)
HELD_OUT.append(CATALOGUE[-1].id)

for _name, _named, _why, _rep in (
    (
        "add_minus",
        SIGN + r"|subtract|[-−] ?grad",
        "add returns (grad, -grad)",
        {"add": lambda x, y, grad: (grad, -grad)},
    ),
    (
        "pow_exponent_raised",
        r"exponent|n ?[-−] ?1|lower|n ?\+ ?1",
        "grad * n * x**(n + 1)",
        {"pow": lambda x, n, grad: grad * n * x ** (n + 1)},
    ),
    (
        "exp_divided",
        r"divid|exp\(-x\)|exp\([-−]x\)|inverse|reciprocal|sign",
        "grad / exp(x)",
        {"exp": lambda x, grad: grad / np.exp(x)},
    ),
    (
        "mul_both_y",
        r"swap|x and y|y and x|other input|crossed|same",
        "mul returns (grad*y, grad*y)",
        {"mul": lambda x, y, grad: (grad * y, grad * y)},
    ),
):
    _op_bug(_name, _named, _why, **_rep)
    HELD_OUT.append(CATALOGUE[-1].id)


# ==================== held-out variants, third batch (added 23:10 UTC)


@held_out(UPDATE, SIGN + r"|ascent|\+ ?learning", "W right, but b + lr db")
def update_sign_in_b_only(W, b, dW, db, learning_rate):
    return (
        [None] + [W[l] - learning_rate * dW[l] for l in range(1, len(W))],
        [None] + [b[l] + learning_rate * db[l] for l in range(1, len(b))],
    )


@held_out("forward-step", TRANSPOSED, "returns (z, a.T)")
def forward_step_a_transposed(W, a_prev, b, sigma):
    z = W @ a_prev + b
    return z, sigma(z).T


@held_out("backprop-error", r"twice|square|σ′²|σ′ ?\(z\) ?(\*\*|²)|two factors", "σ′(z) multiplied in twice")
def backprop_sigma_prime_twice(W_next, delta_next, z, sigma_prime):
    return (W_next.T @ delta_next) * sigma_prime(z) * sigma_prime(z)


def _sign_in_eq2(hidden):
    h_p = {"sigmoid": lambda a: a * (1 - a), "tanh": lambda a: 1 - a**2}[hidden]
    h_f = {"sigmoid": _sig, "tanh": np.tanh}[hidden]

    def backward(W, b, X, Y):
        L = len(W) - 1
        m = X.shape[1]
        z, a = _forward(W, b, X, hidden=h_f)
        delta = (a[L] - Y) * a[L] * (1 - a[L]) / m
        dW, db = [None] * (L + 1), [None] * (L + 1)
        for l in range(L, 0, -1):
            dW[l] = delta @ a[l - 1].T
            db[l] = delta.sum(axis=1, keepdims=True)
            if l > 1:
                delta = -(W[l].T @ delta) * h_p(a[l - 1])
        return dW, db

    return backward


for _ex, _hidden in (("backward", "sigmoid"), ("backward-batch", "sigmoid"), (FIXED, "tanh")):
    CATALOGUE.append(
        Answer(
            (_ex,),
            "sign_in_eq2_only",
            _sign_in_eq2(_hidden),
            SIGN,
            "Equation 2 with a minus sign (δ flips sign every layer)",
        )
    )
    HELD_OUT.append(CATALOGUE[-1].id)


# --------------------------------------------------------------------------- control answers


def perturbed(value: Any) -> Any:
    """A wrong answer with no pattern: every array entry scaled by 1 + 0.3 sin(1.7 k + 0.4)."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        k = np.arange(value.size).reshape(value.shape)
        return value * (1 + 0.3 * np.sin(1.7 * k + 0.4)) + 0.05 * np.cos(2.3 * k)
    if isinstance(value, (list, tuple)):
        return type(value)(perturbed(v) for v in value)
    return value


def control(answer: Answer, every: int = 1) -> Any:
    """A wrong answer derived from a correct one, for checking that a regex is not boilerplate.

    Every ``every``-th call is wrong (so with ``every=2`` a report lists passed and failed cases).
    """
    fn = answer.fn
    if isinstance(fn, dict):
        return {k: control(Answer(answer.exercises, k, v, None), every) for k, v in fn.items()}
    calls = [0]

    def wrong(*args, **kwargs):
        calls[0] += 1
        value = fn(*args, **kwargs)
        return perturbed(value) if calls[0] % every == 1 % every else value

    return wrong
