r"""Judging an initialisation (lesson 10) by the statistics of what it produces.

An initialisation has no single right answer -- any random draw of the right
kind will do -- so ``init-weights`` is not compared with a truth entry by
entry. Its checks, after the usual ones (it ran, lists of arrays, no NaN,
every ``W[l]`` of shape ``(n_l, n_{l-1})`` and ``b[l]`` of ``(n_l, 1)``), are
in this order:

1. **biases zero**;
2. **symmetry**: if all rows of a ``W[l]`` are equal (all zeros, a constant),
   every unit of layer l computes the same thing and gets the same gradient,
   and they stay identical for ever;
3. **seeded**: the same seed gives the same weights, another seed others;
4. **centred, with the right variance**: the mean of each ``W[l]`` is 0 and
   the mean of its squares is the target variance -- Xavier
   :math:`2/(n_{l-1}+n_l)` for tanh and the sigmoid, He :math:`2/n_{l-1}` for
   ReLU -- each within six standard errors for the number of entries
   (:math:`\pm 6\sqrt{2/N}` relative for the variance, :math:`\pm 6\sqrt{v/N}`
   for the mean): a normal and a uniform draw of the right variance both
   pass. A wrong variance is matched against the usual wrong rules (He for
   tanh, Xavier for ReLU, :math:`1/n_{l-1}`, :math:`\mathcal N(0,1)`, the
   variance passed as the standard deviation, ...) and named;
5. **the signal survives**: the grader draws its own input batch (variance 1),
   runs it forward through every layer with the student's weights and the
   case's activation (its own code), and requires :math:`\mathrm{Var}(z^{[l]})`
   to stay in :data:`SIGNAL_BAND` at every layer -- neither vanishing nor
   exploding (or saturating).

Only arrays cross from the student's side: the weights and biases of the
first call, and the weights of a second call with the same seed and of a
third with another seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import reference as ref
from .calling import decode_status
from .diagnosis import FLOAT32_NOTE, preliminary
from .mistakes import Mistake
from .result import Verdict, num

if TYPE_CHECKING:  # pragma: no cover
    from .cases import Case
    from .exercises import Exercise

Array = np.ndarray

#: Standard errors allowed between a sample statistic and its target.
SIGMAS = 6.0
#: Var(z[l]) of every layer must stay inside this band (the input has variance 1).
SIGNAL_BAND = (0.01, 20.0)
#: Names of the second and third calls' arrays in the outputs: ``"same seed:W[2]"``.
SAME, OTHER = "same seed", "other seed"

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
        first = [Rule("xavier-for-relu", "Xavier initialisation for ReLU",
                      "your weights have Xavier's variance 2/(n_in + n_out), made for tanh and the sigmoid. "
                      "ReLU sets about half of its inputs to 0, which halves the variance at every layer, "
                      "so in a deep ReLU network the signal (and the gradient) fades away. He's rule "
                      "doubles the variance to make up for it: 2/n_in.", _xavier)]
        grows = "about n_in/2 per layer: the ReLU signal explodes"
    else:
        first = [Rule("he-for-tanh-sigmoid", f"He initialisation for {act}",
                      "your weights have He's variance 2/n_in, made for ReLU: ReLU zeroes about half of its "
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


def judge_init(exercise: Exercise, case: Case, outputs: dict[str, Array]) -> Verdict:
    """The verdict on one ``init-weights`` case, from the student's arrays and grader-owned code."""
    early, arrays = preliminary(exercise, case, outputs)
    if early is not None:
        return early
    L, sizes, act = int(case.meta["L"]), case.meta["sizes"], case.meta["activation"]
    W = [None] + [np.asarray(arrays[f"W[{l}]"], np.float64) for l in range(1, L + 1)]
    b = [None] + [np.asarray(arrays[f"b[{l}]"], np.float64) for l in range(1, L + 1)]
    findings: list[Finding] = []

    # 1. zero biases
    nonzero = [l for l in range(1, L + 1) if np.any(b[l] != 0)]
    if nonzero:
        l = nonzero[0]
        findings.append(Finding("bias-not-zero", "biases not zero", [
            f"b[{l}] is not zero (its largest entry is {num(np.max(np.abs(b[l])))}): start every bias at 0 "
            "-- the random weights alone make the units differ, e.g. b.append(np.zeros((n_out, 1)))."]))

    # 2. symmetry
    same_rows = [l for l in range(1, L + 1) if np.all(W[l] == W[l][:1])]
    if same_rows:
        l = same_rows[0]
        if not np.any(W[l]):
            title, what = "all weights zero", f"every weight of {_layers(same_rows)} is 0"
        elif np.all(W[l] == W[l].flat[0]):
            title, what = "all weights equal", f"every weight of W[{l}] is {num(W[l].flat[0])}"
        else:
            title, what = "all units of a layer identical", f"all rows of W[{l}] are the same"
        findings.append(Finding("symmetry", title, [
            f"{what}: then every unit of layer {l} computes the same value and gets the same gradient, "
            "so the units stay identical for ever (the symmetry is never broken). Draw the weights "
            "at random."]))
        return _verdict(case, findings, arrays)

    # 3. seeded
    status = decode_status(outputs)
    notes = status.get("notes") or {}
    seed, other = case.meta["student_seed"], case.meta["other_seed"]
    again = [outputs.get(f"{SAME}:W[{l}]") for l in range(1, L + 1)]
    changed = [l for l in range(1, L + 1) if again[l - 1] is None or not np.array_equal(again[l - 1], W[l])]
    if SAME in notes:
        findings.append(Finding("not-seeded", "fails when called again", [
            f"Called a second time, init_weights(sizes, {act!r}, {seed}) {notes[SAME]}."]))
    elif changed:
        findings.append(Finding("not-seeded", "not seeded", [
            f"Called twice with the same seed ({seed}), init_weights gave different weights "
            f"(W[{changed[0]}] differs): the random numbers must come from a generator made from the seed, "
            "rng = np.random.default_rng(seed), not from np.random.randn or np.random.normal "
            "(numpy's global generator, which moves on at every call)."]))
    else:
        others = [outputs.get(f"{OTHER}:W[{l}]") for l in range(1, L + 1)]
        if OTHER in notes:
            findings.append(Finding("not-seeded", "fails when called again", [
                f"Called with another seed, init_weights(sizes, {act!r}, {other}) {notes[OTHER]}."]))
        elif any(o is None for o in others):           # an honest call always sends them back
            findings.append(Finding("not-seeded", "no answer for another seed", [
                f"The weights for seed {other} did not come back, so the seed could not be checked."]))
        elif all(np.array_equal(o, W[l]) for l, o in zip(range(1, L + 1), others, strict=True)):
            findings.append(Finding("ignores-seed", "ignores the seed", [
                f"Seeds {seed} and {other} gave the very same weights: make the generator from the seed "
                "you are given, rng = np.random.default_rng(seed)."]))

    # An unseeded draw differs at every call: then no number computed from it is printed, so that
    # the report stays the same from run to run (only what is always true of such a draw is said).
    exact = not any(f.id == "not-seeded" for f in findings)

    # 4. centred, right variance
    rule = ref.INIT_FOR[act]
    target = ref.INIT_VARIANCE[rule]
    n = [None] + [W[l].size for l in range(1, L + 1)]
    second = [None] + [float(np.mean(W[l] ** 2)) for l in range(1, L + 1)]
    mean = [None] + [float(np.mean(W[l])) for l in range(1, L + 1)]
    rel_tol = [None] + [SIGMAS * math.sqrt(2.0 / n[l]) for l in range(1, L + 1)]

    def fits(variance: Callable[[int, int], float]) -> bool:
        return all(abs(second[l] / variance(sizes[l - 1], sizes[l]) - 1.0) <= rel_tol[l]
                   for l in range(1, L + 1))

    off_centre = [l for l in range(1, L + 1) if abs(mean[l]) > SIGMAS * math.sqrt(second[l] / n[l])]
    variance_finding = None
    if off_centre:
        l = off_centre[0]
        measured = (f"The mean of W[{l}] is {num(mean[l])} where a random draw centred at 0 gives at most "
                    f"±{num(SIGMAS * math.sqrt(second[l] / n[l]), 2)}" if exact
                    else f"The mean of W[{l}] is far from 0")
        variance_finding = Finding("not-centred", "weights not centred at 0", [
            f"{measured}: draw from a distribution with mean 0, rng.normal(0, std, shape) or "
            "rng.uniform(-a, a, shape) (np.random.rand draws from [0, 1))."])
    elif not fits(target):
        for r in wrong_rules(act):
            if fits(r.variance):
                text = r.explanation
                text = "Your" + text[4:] if text.startswith("your ") else text
                variance_finding = Finding(r.id, r.title, [text])
                break
        else:
            l = next(k for k in range(1, L + 1)
                     if abs(second[k] / target(sizes[k - 1], sizes[k]) - 1.0) > rel_tol[k])
            i, o = sizes[l - 1], sizes[l]
            formula = f"2/({i} + {o})" if rule == "xavier" else f"2/{i}"
            measured = f"is {num(second[l])}" if exact else "is off"
            variance_finding = Finding("", "wrong variance", [
                f"The mean square of W[{l}]'s entries {measured}, but {the(act)} needs "
                f"{_RULE_TEXT[rule]} = {formula} = {num(target(i, o))} (n_in = {i}, n_out = {o}); "
                f"a right draw of its {n[l]} entries lands within ±{100 * rel_tol[l]:.0f}% of that."])

    # 5. the signal through the layers
    variances = ref.preactivation_variances(W, b, case.arrays["X"], ref.ACTIVATIONS[act])[1:]
    lo, hi = SIGNAL_BAND
    shown = sorted({1, (L + 1) // 2, L})
    trace = ", ".join(f"Var(z[{l}]) = {num(variances[l - 1], 3)}" for l in shown)
    vanishes, explodes = min(variances) < lo, max(variances) > hi
    signal = f"With these weights an input batch of variance 1 gives {trace}"
    if not exact:
        signal = "With such weights the signal " + ("explodes." if explodes else "vanishes." if vanishes
                                                    else "keeps its size.")
    elif explodes and act in ("tanh", "sigmoid"):
        sat = ref.saturated_fraction(W, b, case.arrays["X"], ref.ACTIVATIONS[act])
        signal += (f": the signal explodes, and {100 * sat:.0f}% of layer {L}'s {the(act).split()[-1]} units "
                   "are saturated.")
    elif explodes:
        signal += ": the signal explodes."
    elif vanishes:
        signal += ": the signal vanishes."
    else:
        signal += "."
    if variance_finding is not None:
        variance_finding.lines.append(signal)
        findings.append(variance_finding)
    elif vanishes or explodes:
        findings.append(Finding("", "the signal vanishes" if vanishes else "the signal explodes", [
            f"{signal} Every layer should keep Var(z[l]) between {lo:g} and {hi:g} "
            f"(the initialisation's whole point)."]))
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
