r"""Lesson 10: ``init_weights(sizes, method, seed)``, judged by the statistics of what it produces.

bpkit's own contract (``bpkit.init_weights``): method "xavier" (Glorot,
Var(W[l]) = 2/(n_{l-1} + n_l), for tanh and the sigmoid) or "he"
(Var(W[l]) = 2/n_{l-1}, for ReLU); returns (W, b), lists of length L + 1
with None at index 0, W[l] of shape (n_l, n_{l-1}) and zero biases b[l] of
shape (n_l, 1).

An initialisation has no single right answer -- any random draw of the right
kind will do -- so it is not compared with a truth entry by entry. After the
usual diagnoses (it ran, lists of arrays, no NaN, the shapes), in this order:

1. **biases zero**;
2. **symmetry**: if all rows of a W[l] are equal, every unit of layer l
   computes the same thing and gets the same gradient for ever;
3. **seeded**: the same seed gives the same weights, another seed others;
4. **centred, with the right variance**: the mean of each W[l] is 0 and the
   mean of its squares the method's variance, each within six standard
   errors for the number of entries (a normal and a uniform draw both pass);
   a wrong variance is matched against the usual wrong rules and named;
5. **the signal survives**: the grader sends its own input batch (variance
   1) through the student's weights with the method's activation (tanh or
   the sigmoid for Xavier, ReLU for He) and requires Var(z[l]) to stay in
   SIGNAL_BAND at every layer.

Only arrays cross from the student's side: the weights and biases of the
first call, and the weights of a second call with the same seed and of a
third with another seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..calling import decode_status, flat_outputs
from ..diagnosis import FLOAT32_NOTE, not_a_function_outputs, preliminary
from ..result import Verdict, num
from .base import Case, Exercise, Mistake, OutputSpec, ref, shape_cause, unit_below, unpack_pair

Array = np.ndarray

#: Standard errors allowed between a sample statistic and its target.
SIGMAS = 6.0
#: Var(z[l]) of every layer must stay inside this band (the input has variance 1).
SIGNAL_BAND = (0.01, 20.0)
#: Names of the second and third calls' arrays in the outputs: ``"same seed:W[2]"``.
SAME, OTHER = "same seed", "other seed"
#: The activation each case sends the signal through, by method (in turn for Xavier).
SIGNAL_ACTIVATIONS = {"xavier": ("tanh", "sigmoid"), "he": ("relu",)}
METHODS = ("xavier", "he")

_RULE_TEXT = {"xavier": "Xavier's 2/(n_in + n_out)", "he": "He's 2/n_in"}


@dataclass(frozen=True)
class Rule:
    """A variance rule, right or wrong: ``variance(n_in, n_out)`` and how to name it."""

    id: str
    title: str
    explanation: str
    variance: Callable[[int, int], float]


def _xavier(i: int, o: int) -> float:
    return 2.0 / (i + o)


def _he(i: int, o: int) -> float:
    return 2.0 / i



def wrong_rules(activation: str) -> list[Rule]:
    """The wrong variances students use, most likely first, for a case's activation."""
    rule = ref.INIT_FOR[activation]
    target = ref.INIT_VARIANCE[rule]
    right = _RULE_TEXT[rule]
    act = the(activation)
    limit = "sqrt(6/(n_in + n_out))" if rule == "xavier" else "sqrt(6/n_in)"
    if rule == "he":
        first = [Rule("xavier-for-relu", "Xavier's variance where method 'he' was asked",
                      "your weights have Xavier's variance 2/(n_in + n_out), made for tanh and the sigmoid; "
                      "method = 'he' asks for He's, made for ReLU. "
                      "ReLU sets about half of its inputs to 0, which halves the variance at every layer, "
                      "so in a deep ReLU network the signal (and the gradient) fades away. He's rule "
                      "doubles the variance to make up for it: 2/n_in.", _xavier)]
        grows = "about n_in/2 per layer: the ReLU signal explodes"
    else:
        first = [Rule("he-for-tanh-sigmoid", "He's variance where method 'xavier' was asked",
                      "your weights have He's variance 2/n_in, made for ReLU (method = 'xavier' asks for "
                      "Xavier's): ReLU zeroes about half of its "
                      f"inputs and the 2 makes up for that, but {act} zeroes nothing, so here z comes out "
                      f"too large and more units sit near the flat ends of {act}, where σ′ is small. Use "
                      "Xavier's variance 2/(n_in + n_out).", _he)]
        grows = f"about n_in per layer: {act} saturates (σ′ ≈ 0, so the gradients vanish)"
    return first + [
        Rule("lecun", "variance 1/n_in",
             f"your weights have variance 1/n_in (LeCun's rule); this exercise asks for {right}"
             + (", the compromise between 1/n_in (steady forward signal) and 1/n_out (steady gradients)."
                if rule == "xavier" else ": ReLU halves the variance, so it needs twice 1/n_in."),
             lambda i, o: 1.0 / i),
        Rule("normal-1", "N(0, 1) weights",
             f"your weights have variance 1 (a standard normal draw, unscaled): each z adds up n_in "
             f"terms, so Var(z) grows by {grows}. Scale the draw to {right}.",
             lambda i, o: 1.0),
        Rule("variance-as-std", "variance passed as the standard deviation",
             "your weights have the square of the right variance: the scale of rng.normal (and "
             f"np.random.normal) is the standard deviation, so pass the square root of {right}.",
             lambda i, o: target(i, o) ** 2),
        Rule("too-small", "weights too small (0.01 · N(0, 1))",
             "your weights have variance 1e-4 (0.01 times a standard normal draw): each layer shrinks "
             f"the signal, and after a few layers it has vanished. Use {right}.",
             lambda i, o: 1e-4),
        Rule("uniform-limit", "uniform limits too narrow",
             "your weights are uniform with a third of the right variance: U(−a, a) has variance a²/3, "
             f"so for variance v the limit is a = sqrt(3 v), here {limit}.",
             lambda i, o: target(i, o) / 3.0),
        Rule("limit-as-std", "uniform limit used as the standard deviation",
             f"your weights have three times the right variance: {limit} is the limit a of the "
             "uniform version U(−a, a); a normal draw takes the standard deviation sqrt(v) of the "
             f"variance v = {right[len(right.split(' ')[0]) + 1:]}.",
             lambda i, o: 3.0 * target(i, o)),
    ]


def the(activation: str) -> str:
    """``"the sigmoid"``, ``"tanh"``, ``"ReLU"``: an activation's name in a sentence."""
    return {"sigmoid": "the sigmoid", "relu": "ReLU"}.get(activation, activation)


def init_mistakes(case: Case) -> list[Mistake]:
    """The named mistakes of ``init-weights`` (no answer arrays: they are recognised by statistics)."""
    fixed = [Mistake("bias-not-zero", "biases not zero", "biases start at 0."),
             Mistake("symmetry", "all units of a layer identical", "draw the weights at random."),
             Mistake("not-seeded", "not seeded", "draw from np.random.default_rng(seed)."),
             Mistake("ignores-seed", "ignores the seed", "pass the seed on."),
             Mistake("not-centred", "weights not centred at 0", "draw from a distribution with mean 0.")]
    return fixed + [Mistake(r.id, r.title, r.explanation) for r in wrong_rules(case.meta["activation"])]


@dataclass
class Finding:
    """One thing wrong with an initialisation: a known mistake's id (or ``""``), a title and lines."""

    id: str
    title: str
    lines: list[str]


def _layers(ls: list[int]) -> str:
    """``"W[1], W[2], W[3]"`` (at most four, then "...")."""
    return ", ".join(f"W[{l}]" for l in ls[:4]) + (", ..." if len(ls) > 4 else "")




#: Widths of init-weights cases alternate between a narrow and a wide range, so that every layer
#: has n_in and n_out far apart: rules such as 1/n_in and 2/(n_in + n_out) then differ everywhere.
INIT_NARROW, INIT_WIDE = (40, 64), (96, 128)
#: Layers of an init-weights case (L), and columns of the grader's input batch.
INIT_DEPTHS, INIT_BATCH = (8, 9, 10), 128


def alternating_widths(rng: np.random.Generator, k: int) -> list[int]:
    """``k`` distinct widths, alternately narrow and wide (which comes first is random)."""
    half = (k + 1) // 2
    narrow = rng.choice(np.arange(INIT_NARROW[0], INIT_NARROW[1] + 1), size=half, replace=False)
    wide = rng.choice(np.arange(INIT_WIDE[0], INIT_WIDE[1] + 1), size=half, replace=False)
    first = int(rng.integers(2))
    return [int((narrow if (i + first) % 2 == 0 else wide)[i // 2]) for i in range(k)]



# --------------------------------------------------------------------------- the judge, step by step

@dataclass
class InitJudging:
    """The student's weights and biases of one case, as float64 lists indexed 1..L."""

    case: object
    outputs: dict[str, Array]
    arrays: dict[str, Array]
    W: list
    b: list

    @property
    def L(self) -> int:
        return int(self.case.meta["L"])

    @property
    def act(self) -> str:
        return self.case.meta["activation"]

    @property
    def method(self) -> str:
        return self.case.meta["method"]


def bias_findings(j: InitJudging) -> list[Finding]:
    """1. Every bias zero."""
    nonzero = [l for l in range(1, j.L + 1) if np.any(j.b[l] != 0)]
    if not nonzero:
        return []
    l = nonzero[0]
    return [Finding("bias-not-zero", "biases not zero", [
        f"b[{l}] is not zero (its largest entry is {num(np.max(np.abs(j.b[l])))}): start every bias at 0 "
        "-- the random weights alone make the units differ, e.g. b.append(np.zeros((n_out, 1)))."])]


def symmetry_finding(j: InitJudging) -> Finding | None:
    """2. No W[l] whose rows are all equal (then the units of layer l stay identical)."""
    same_rows = [l for l in range(1, j.L + 1) if np.all(j.W[l] == j.W[l][:1])]
    if not same_rows:
        return None
    l = same_rows[0]
    W = j.W[l]
    if not np.any(W):
        title, what = "all weights zero", f"every weight of {_layers(same_rows)} is 0"
    elif np.all(W == W.flat[0]):
        title, what = "all weights equal", f"every weight of W[{l}] is {num(W.flat[0])}"
    else:
        title, what = "all units of a layer identical", f"all rows of W[{l}] are the same"
    return Finding("symmetry", title, [
        f"{what}: then every unit of layer {l} computes the same value and gets the same gradient, "
        "so the units stay identical for ever (the symmetry is never broken). Draw the weights "
        "at random."])


def _call(j: InitJudging, tag: str) -> list:
    return [j.outputs.get(f"{tag}:W[{l}]") for l in range(1, j.L + 1)]


def seed_findings(j: InitJudging) -> list[Finding]:
    """3. The same seed gives the same weights; another seed other weights."""
    notes = decode_status(j.outputs).get("notes") or {}
    seed, other, method = j.case.meta["student_seed"], j.case.meta["other_seed"], j.method
    again = _call(j, SAME)
    changed = [l for l in range(1, j.L + 1)
               if again[l - 1] is None or not np.array_equal(again[l - 1], j.W[l])]
    if SAME in notes:
        return [Finding("not-seeded", "fails when called again", [
            f"Called a second time, init_weights(sizes, {method!r}, {seed}) {notes[SAME]}."])]
    if changed:
        return [Finding("not-seeded", "not seeded", [
            f"Called twice with the same seed ({seed}), init_weights gave different weights "
            f"(W[{changed[0]}] differs): the random numbers must come from a generator made from the seed, "
            "rng = np.random.default_rng(seed), not from np.random.randn or np.random.normal "
            "(numpy's global generator, which moves on at every call)."])]
    others = _call(j, OTHER)
    if OTHER in notes:
        return [Finding("not-seeded", "fails when called again", [
            f"Called with another seed, init_weights(sizes, {method!r}, {other}) {notes[OTHER]}."])]
    if any(o is None for o in others):               # an honest call always sends them back
        return [Finding("not-seeded", "no answer for another seed", [
            f"The weights for seed {other} did not come back, so the seed could not be checked."])]
    if all(np.array_equal(o, j.W[l]) for l, o in zip(range(1, j.L + 1), others, strict=True)):
        return [Finding("ignores-seed", "ignores the seed", [
            f"Seeds {seed} and {other} gave the very same weights: make the generator from the seed "
            "you are given, rng = np.random.default_rng(seed)."])]
    return []


@dataclass
class Moments:
    """Per layer (index 1..L): entries, mean square, mean and the allowed relative error."""

    n: list
    second: list
    mean: list
    rel_tol: list

    @classmethod
    def of(cls, W: list) -> Moments:
        L = len(W) - 1
        n = [None] + [W[l].size for l in range(1, L + 1)]
        return cls(n, [None] + [float(np.mean(W[l] ** 2)) for l in range(1, L + 1)],
                   [None] + [float(np.mean(W[l])) for l in range(1, L + 1)],
                   [None] + [SIGMAS * math.sqrt(2.0 / n[l]) for l in range(1, L + 1)])

    def fits(self, sizes: list[int], variance: Callable[[int, int], float]) -> bool:
        return all(abs(self.second[l] / variance(sizes[l - 1], sizes[l]) - 1.0) <= self.rel_tol[l]
                   for l in range(1, len(self.n)))


def _off_centre(j: InitJudging, mo: Moments, exact: bool) -> Finding | None:
    off = [l for l in range(1, j.L + 1) if abs(mo.mean[l]) > SIGMAS * math.sqrt(mo.second[l] / mo.n[l])]
    if not off:
        return None
    l = off[0]
    measured = (f"The mean of W[{l}] is {num(mo.mean[l])} where a random draw centred at 0 gives at most "
                f"±{num(SIGMAS * math.sqrt(mo.second[l] / mo.n[l]), 2)}" if exact
                else f"The mean of W[{l}] is far from 0")
    return Finding("not-centred", "weights not centred at 0", [
        f"{measured}: draw from a distribution with mean 0, rng.normal(0, std, shape) or "
        "rng.uniform(-a, a, shape) (np.random.rand draws from [0, 1))."])


def variance_finding(j: InitJudging, exact: bool) -> Finding | None:
    """4. Centred at 0, with the method's variance (or a named wrong rule)."""
    mo = Moments.of(j.W)
    off = _off_centre(j, mo, exact)
    sizes, rule = j.case.meta["sizes"], j.method
    target = ref.INIT_VARIANCE[rule]
    if off is not None or mo.fits(sizes, target):
        return off
    for r in wrong_rules(j.act):
        if mo.fits(sizes, r.variance):
            text = r.explanation
            return Finding(r.id, r.title, ["Your" + text[4:] if text.startswith("your ") else text])
    l = next(k for k in range(1, j.L + 1)
             if abs(mo.second[k] / target(sizes[k - 1], sizes[k]) - 1.0) > mo.rel_tol[k])
    i, o = sizes[l - 1], sizes[l]
    formula = f"2/({i} + {o})" if rule == "xavier" else f"2/{i}"
    measured = f"is {num(mo.second[l])}" if exact else "is off"
    return Finding("", "wrong variance", [
        f"The mean square of W[{l}]'s entries {measured}, but method {rule!r} needs "
        f"{_RULE_TEXT[rule]} = {formula} = {num(target(i, o))} (n_in = {i}, n_out = {o}); "
        f"a right draw of its {mo.n[l]} entries lands within ±{100 * mo.rel_tol[l]:.0f}% of that."])


def signal_text(j: InitJudging, exact: bool) -> tuple[str, bool, bool]:
    """5. ``(sentence, vanishes, explodes)``: Var(z[l]) of the grader's batch through the layers."""
    act = ref.ACTIVATIONS[j.act]
    variances = ref.preactivation_variances(j.W, j.b, j.case.arrays["X"], act)[1:]
    lo, hi = SIGNAL_BAND
    vanishes, explodes = min(variances) < lo, max(variances) > hi
    if not exact:
        return ("With such weights the signal " + ("explodes." if explodes else "vanishes." if vanishes
                                                  else "keeps its size."), vanishes, explodes)
    shown = sorted({1, (j.L + 1) // 2, j.L})
    trace = ", ".join(f"Var(z[{l}]) = {num(variances[l - 1], 3)}" for l in shown)
    text = f"With these weights and {the(j.act)}, an input batch of variance 1 gives {trace}"
    if explodes and j.act in ("tanh", "sigmoid"):
        sat = ref.saturated_fraction(j.W, j.b, j.case.arrays["X"], act)
        text += (f": the signal explodes, and {100 * sat:.0f}% of layer {j.L}'s "
                 f"{the(j.act).split()[-1]} units are saturated.")
    else:
        text += ": the signal explodes." if explodes else ": the signal vanishes." if vanishes else "."
    return text, vanishes, explodes


def judge_init(exercise: Exercise, case, outputs: dict[str, Array]) -> Verdict:
    """The verdict on one ``init-weights`` case, from the student's arrays and grader-owned code."""
    early, arrays = preliminary(exercise, case, outputs)
    if early is not None:
        return early
    L = int(case.meta["L"])
    j = InitJudging(case, outputs, arrays,
                    [None] + [np.asarray(arrays[f"W[{l}]"], np.float64) for l in range(1, L + 1)],
                    [None] + [np.asarray(arrays[f"b[{l}]"], np.float64) for l in range(1, L + 1)])
    findings = bias_findings(j)
    symmetric = symmetry_finding(j)
    if symmetric is not None:
        return _verdict(case, [*findings, symmetric], arrays)
    findings += seed_findings(j)
    # An unseeded draw differs at every call: then no number computed from it is printed, so that
    # the report stays the same from run to run (only what is always true of such a draw is said).
    exact = not any(f.id == "not-seeded" for f in findings)
    variance = variance_finding(j, exact)
    signal, vanishes, explodes = signal_text(j, exact)
    if variance is not None:
        variance.lines.append(signal)
        findings.append(variance)
    elif vanishes or explodes:
        lo, hi = SIGNAL_BAND
        findings.append(Finding("", "the signal vanishes" if vanishes else "the signal explodes", [
            f"{signal} Every layer should keep Var(z[l]) between {lo:g} and {hi:g} "
            "(the initialisation's whole point)."]))
    return _verdict(case, findings, arrays)


def _verdict(case: Case, findings: list[Finding], arrays: dict[str, Array]) -> Verdict:
    if not findings:
        if any(a.dtype == np.float32 for a in arrays.values()):
            return Verdict(case.index, case.description, True, "float32", "passed (float32)", [
                "Your weights are float32; their statistics are right, so they pass.", *FLOAT32_NOTE])
        return Verdict(case.index, case.description, True, "passed", "passed")
    ids = tuple(f.id for f in findings if f.id)
    lines: list[str] = []
    for f in findings:
        if len(findings) == 1:
            lines += f.lines
        else:
            lines += [f"{f.title}: {f.lines[0]}", *f.lines[1:]]
    diagnosis = "mistake" if ids else "mismatch"
    return Verdict(case.index, case.description, False, diagnosis, " + ".join(f.title for f in findings),
                   lines, ids)


class InitWeightsExercise(Exercise):
    """Lesson 10: an initialisation, judged by statistics (:func:`judge_init`)."""

    id, lesson, function = "init-weights", 10, "init_weights"
    signature = "init_weights(sizes, method, seed)"
    title = "random weights that keep the signal's size from layer to layer (Xavier or He); zero biases"
    hints = (
        "Each W[l] is (sizes[l], sizes[l-1]) and each b[l] a zero column (sizes[l], 1); the lists start "
        "with None so that layer l sits at index l.",
        "Make one generator from the seed and draw every layer from it; Xavier's variance is "
        "2/(n_in + n_out) and He's 2/n_in, where n_in = sizes[l-1] and n_out = sizes[l].",
        "A normal draw takes the standard deviation, the square root of the variance, and must be "
        "centred at 0. Use the method argument to choose the variance.",
    )
    hint_for = {"bias-not-zero": 1, "symmetry": 2, "not-seeded": 2, "ignores-seed": 2, "not-centred": 3,
                "xavier-for-relu": 3, "he-for-tanh-sigmoid": 3, "lecun": 2, "normal-1": 2,
                "variance-as-std": 3, "too-small": 2, "uniform-limit": 3, "limit-as-std": 3,
                "transposed": 1, "not-an-array": 1, "mismatch": 2}


    def build(self, rng, index, seed):
        method = METHODS[(index + seed) % 2]
        choices = SIGNAL_ACTIVATIONS[method]
        act = choices[((index + seed) // 2) % len(choices)]
        L = int(rng.choice(INIT_DEPTHS))
        sizes = alternating_widths(rng, L + 1)
        X = rng.standard_normal((sizes[0], INIT_BATCH))      # grader-only: the signal sent through
        student_seed = int(rng.integers(0, 2**31 - 1))
        other_seed = (student_seed + 1 + int(rng.integers(0, 1000))) % (2**31 - 1)
        return self._case(index, seed, {"X": X},
                          f"sizes {'-'.join(map(str, sizes))}, method {method!r}, seed {student_seed}",
                          L=L, sizes=sizes, method=method, activation=act, student_seed=student_seed,
                          other_seed=other_seed)

    def arguments(self, case):
        return (list(case.meta["sizes"]), case.meta["method"], int(case.meta["student_seed"])), {}

    def outputs(self, case):
        L, sizes = int(case.meta["L"]), case.meta["sizes"]
        specs = []
        for l in range(1, L + 1):
            specs.append(OutputSpec(f"W[{l}]", (sizes[l], sizes[l - 1]), f"unit {{}} of layer {l}",
                                    unit_below(l)))
            specs.append(OutputSpec(f"b[{l}]", (sizes[l], 1), f"unit {{}} of layer {l}", ""))
        return specs

    def unpack(self, value, case):
        return unpack_pair(value, int(case.meta["L"]), ("W", "b"), self.function)

    def call(self, fn, case):
        """The first call's ``W[l]``, ``b[l]``; then ``W[l]`` again for the same seed and for another."""
        if not callable(fn):
            return not_a_function_outputs(fn)
        args, watched = self.arguments(case)
        arrays, status = self.call_once(fn, case, args, watched)
        if status["kind"] != "ok" or status["types"]:
            return flat_outputs(arrays, status)
        sizes, method, L = case.meta["sizes"], case.meta["method"], int(case.meta["L"])
        notes = {}
        for tag, seed in ((SAME, case.meta["student_seed"]),
                          (OTHER, case.meta["other_seed"])):
            again, st = self.call_once(fn, case, (list(sizes), method, int(seed)), {})
            if st["kind"] == "exception":
                notes[tag] = f"raised {st.get('type')}: {st.get('message')}"
            elif st["kind"] != "ok" or any(f"W[{l}]" not in again for l in range(1, L + 1)):
                notes[tag] = "returned something other than the lists (W, b)"
            else:
                arrays.update({f"{tag}:W[{l}]": again[f"W[{l}]"] for l in range(1, L + 1)})
        status["notes"] = notes
        return flat_outputs(arrays, status)

    def compute_truth(self, case):
        return {}                                        # judged by statistics, not entry by entry

    def mistakes(self, case):
        return init_mistakes(case)

    def judge(self, case, outputs):
        return judge_init(self, case, outputs)

    def shape_cause(self, case, spec, got):
        if spec.name.startswith("W") and got == spec.shape[::-1]:
            l = spec.name[2:-1]
            return "transposed", (f"it is transposed, (n_in, n_out): W[{l}] has one row per unit of layer "
                                  f"{l} and one column per unit of the layer below, shape (n_l, n_(l-1)) -- "
                                  "draw it as rng.normal(0, std, (sizes[l], sizes[l - 1]))")
        return shape_cause(spec, got)


EXERCISE = InitWeightsExercise()
