"""Lesson 13's check, check_train: correct loops pass in several styles; each usual mistake fails by name.

Every loop here is a real student's loop, written with the ``parts`` the check hands over.
``make_train`` writes one with a chosen mistake; the other styles are written out.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

from bpkit.grader import EXERCISES, check_train, run_check
from bpkit.grader.calling import STATUS
from bpkit.grader.exercises.train import MISTAKES, Replay, expected_batches, labels, predict

EX = EXERCISES["train"]


def _loss(parts, W, b, X, Y, half=0.5, mean=True):
    a = X
    for l in range(1, len(W)):
        _, a = parts.forward_step(W[l], a, b[l], parts.sigmoid)
    total = half * np.sum((a - Y) ** 2)
    return total / X.shape[1] if mean else total


def make_train(mistake=""):
    """A training loop, right or with one of the mistakes students make."""

    def train(X, Y, sizes, epochs, batch_size, learning_rate, seed, parts):
        method = "he" if mistake == "init-he" else "xavier"
        W, b = parts.init_weights(sizes, method, 0 if mistake == "init-seed" else seed)
        W0, b0 = W, b
        rng = np.random.default_rng(seed)
        m = X.shape[1]
        rate = 0.1 if mistake == "learning-rate" else learning_rate
        losses = []
        fixed = rng.permutation(m)
        for _ in range(epochs - 1 if mistake == "epochs" else epochs):
            if mistake == "same-shuffle":
                order = np.random.default_rng(seed).permutation(m)
            elif mistake == "no-shuffle":
                order = np.arange(m)
            elif mistake == "not-seeded":
                order = np.random.permutation(m)
            elif mistake == "fixed-order":
                order = fixed
            else:
                order = rng.permutation(m)
            if mistake == "loss-before":
                losses.append(_loss(parts, W, b, X, Y))
            starts = range(0, m, batch_size)
            if mistake == "dropped-last":
                starts = range(0, m - batch_size + 1, batch_size)
            elif mistake == "past-the-end":
                starts = [k * batch_size for k in range(m // batch_size + 1)]
            elif mistake == "full-batch":
                starts = [0]
            batch_losses = []
            dW = [None] + [np.zeros_like(w) for w in W[1:]] if mistake == "update-first" else None
            db = [None] + [np.zeros_like(v) for v in b[1:]] if mistake == "update-first" else None
            for start in starts:
                idx = order[start:start + (m if mistake == "full-batch" else batch_size)]
                if mistake == "duplicated" and start + batch_size > m:
                    idx = order[-batch_size:]
                Xb = X[:, idx]
                Yb = Y[:, start:start + batch_size] if mistake == "x-without-y" else Y[:, idx]
                batch_losses.append(_loss(parts, W, b, Xb, Yb))
                if mistake == "update-first":
                    W, b = parts.update_parameters(W, b, dW, db, rate)
                    dW, db = parts.backward_batch(W, b, Xb, Yb)
                    continue
                dW, db = parts.backward_batch(W, b, Xb, Yb)
                if mistake == "averaged-again":
                    dW = [None] + [g / len(idx) for g in dW[1:]]
                    db = [None] + [g / len(idx) for g in db[1:]]
                if mistake == "discarded":
                    parts.update_parameters(W, b, dW, db, rate)
                else:
                    W, b = parts.update_parameters(W, b, dW, db, rate)
            if mistake == "loss-last-batch":
                losses.append(batch_losses[-1])
            elif mistake == "loss-running":
                losses.append(float(np.mean(batch_losses)))
            elif mistake == "loss-before":
                pass
            elif mistake == "loss-sum":
                losses.append(_loss(parts, W, b, X, Y, mean=False))
            elif mistake == "loss-no-half":
                losses.append(_loss(parts, W, b, X, Y, half=1.0))
            elif mistake == "loss-per-batch":
                losses.extend(batch_losses)
            else:
                losses.append(_loss(parts, W, b, X, Y))
        if mistake == "returned-initial":
            return W0, b0, losses
        return W, b, losses

    return train


def train_own_update(X, Y, sizes, epochs, batch_size, learning_rate, seed, parts):
    """Another style: the update written out, a shuffle in place of one array, a while loop, own loss."""
    W, b = parts.init_weights(sizes, "xavier", seed)
    rng = np.random.default_rng(seed)
    m = X.shape[1]
    order = np.arange(m)
    losses = np.zeros(epochs)
    for epoch in range(epochs):
        rng.shuffle(order)                              # a fresh shuffle of the last one: also fine
        start = 0
        while start < m:
            cols = order[start:start + batch_size]
            dW, db = parts.backward_batch(W, b, X[:, cols], Y[:, cols])
            W = [None] + [W[l] - learning_rate * dW[l] for l in range(1, len(W))]
            b = [None] + [b[l] - learning_rate * db[l] for l in range(1, len(b))]
            start += batch_size
        A = X
        for l in range(1, len(W)):
            A = 1 / (1 + np.exp(-(W[l] @ A + b[l])))
        losses[epoch] = np.mean(np.sum((A - Y) ** 2, axis=0)) / 2
    return W, b, losses


def train_shuffled_copies(X, Y, sizes, epochs, batch_size, learning_rate, seed, parts):
    """Another style: shuffled copies of X and Y, batches sliced from them, einsum for the loss."""
    W, b = parts.init_weights(sizes, "xavier", seed)
    rng = np.random.default_rng(seed)
    history = []
    for _ in range(epochs):
        perm = rng.permutation(X.shape[1])
        Xs, Ys = X[:, perm], Y[:, perm]
        for k in range(int(np.ceil(X.shape[1] / batch_size))):
            sl = slice(k * batch_size, (k + 1) * batch_size)
            grads = parts.backward_batch(W, b, Xs[:, sl], Ys[:, sl])
            W, b = parts.update_parameters(W, b, *grads, learning_rate)
        a = X
        for l in range(1, len(W)):
            _, a = parts.forward_step(W[l], a, b[l], parts.sigmoid)
        d = a - Y
        history.append(0.5 * np.einsum("ij,ij->", d, d) / X.shape[1])
    return tuple(W), tuple(b), tuple(history)


CORRECT = [make_train(), train_own_update, train_shuffled_copies]


# --------------------------------------------------------------------------- correct loops pass

@pytest.mark.parametrize("fn", CORRECT[:2], ids=["parts", "own-update"])
def test_correct_loops_pass_1000_seeds(fn):
    failures = []
    for seed in range(1000):
        case = EX.make_cases(seed, 1)[0]
        verdict = EX.judge(case, EX.call(fn, case))
        if not verdict.passed:
            failures.append((seed, verdict.title, verdict.lines))
    assert not failures, failures[:3]


def test_shuffled_copies_pass_300_seeds():
    for seed in range(300):
        case = EX.make_cases(seed, 1)[0]
        verdict = EX.judge(case, EX.call(train_shuffled_copies, case))
        assert verdict.passed, (seed, verdict.lines)


def test_the_default_check_passes_and_reports_the_held_out_accuracy():
    result = check_train(make_train())
    text = str(result)
    assert result.passed and text.startswith("check_train: PASSED -- 3 of 3 cases correct")
    assert "Held-out accuracy of the weights returned:" in text and " of 40 points" in text


def test_cases_keep_their_promises():
    kinds = set()
    for seed in range(300):
        for case in EX.make_cases(seed, 3):
            sizes, B, E = case.meta["sizes"], case.meta["batch_size"], case.meta["epochs"]
            m = case.arrays["X"].shape[1]
            assert len(set(sizes)) == 3 and E >= 3 and m > 2 * B
            kinds.add((case.index, m % B == 0, sizes[-1]))
            if case.index == 1:
                assert m % B == 0                           # an empty batch past the end shows here
            else:
                assert m % B != 0                           # a dropped last batch shows here
            assert len({c.tobytes() for c in case.arrays["X"].T}) == m      # columns can be found again
    assert {n for _, _, n in kinds} == {1, 2, 3}


def test_training_works_on_the_cases():
    """Correct SGD beats chance on held-out points in nearly every case (so the accuracy means something)."""
    better = 0
    for seed in range(200):
        case = EX.make_cases(seed, 1)[0]
        out = EX.call(make_train(), case)
        W = [None] + [out[f"W[{l}]"] for l in (1, 2)]
        b = [None] + [out[f"b[{l}]"] for l in (1, 2)]
        acc = np.mean(predict(W, b, case.arrays["X_test"]) == labels(case.arrays["Y_test"]))
        better += acc > 1.0 / max(2, case.meta["sizes"][-1]) + 0.1
    assert better >= 170


# --------------------------------------------------------------------------- each mistake fails with its name

MISTAKE_CASES = [
    ("no-shuffle", "no-shuffle"), ("same-shuffle", "same-shuffle"), ("fixed-order", "same-shuffle"),
    ("x-without-y", "x-without-y"), ("update-first", "update-before-gradient"),
    ("loss-last-batch", "loss-last-batch"), ("loss-sum", "loss-sum"), ("loss-running", "loss-running"),
    ("loss-no-half", "loss-half"), ("loss-before", "loss-before-epoch"), ("dropped-last", "dropped-last"),
    ("duplicated", "duplicated"), ("full-batch", "batch-size"), ("learning-rate", "learning-rate"),
    ("averaged-again", "gradient-averaged"), ("discarded", "update-discarded"), ("init-he", "init-method"),
    ("init-seed", "init-seed"), ("epochs", "epochs"), ("not-seeded", "not-seeded"),
    ("returned-initial", "returned-initial"),
]


@pytest.mark.parametrize("mistake, expected", MISTAKE_CASES, ids=[m for m, _ in MISTAKE_CASES])
def test_each_mistake_fails_with_its_name(mistake, expected):
    result = check_train(make_train(mistake))
    assert not result.passed
    assert expected in result.mistakes, (expected, str(result))
    assert MISTAKES[expected][0] in str(result)


@pytest.mark.parametrize("mistake, expected", MISTAKE_CASES, ids=[m for m, _ in MISTAKE_CASES])
def test_each_mistake_fails_on_hidden_cases_too(mistake, expected):
    failed = named = 0
    for seed in range(1, 41):
        case = EX.make_cases(seed, 1)[0]
        verdict = EX.judge(case, EX.call(make_train(mistake), case))
        failed += not verdict.passed
        named += expected in verdict.mistakes
    if mistake == "dropped-last":
        assert failed >= 20 and named == failed        # index 0: m is never a multiple of batch_size
    else:
        assert failed == 40 and named >= 38, (failed, named)


def test_a_minibatch_past_the_end_is_reported_with_a_clear_error():
    result = check_train(make_train("past-the-end"))
    text = str(result)
    assert not result.passed and "case 2" in text.lower()
    assert "0 columns" in text and "one step past the end" in text


def test_update_before_the_gradient_with_an_own_update_is_named_too():
    def train(X, Y, sizes, epochs, batch_size, learning_rate, seed, parts):
        W, b = parts.init_weights(sizes, "xavier", seed)
        rng = np.random.default_rng(seed)
        dW = [None] + [np.zeros_like(w) for w in W[1:]]
        db = [None] + [np.zeros_like(v) for v in b[1:]]
        losses = []
        for _ in range(epochs):
            order = rng.permutation(X.shape[1])
            for start in range(0, X.shape[1], batch_size):
                idx = order[start:start + batch_size]
                W = [None] + [W[l] - learning_rate * dW[l] for l in range(1, len(W))]
                b = [None] + [b[l] - learning_rate * db[l] for l in range(1, len(b))]
                dW, db = parts.backward_batch(W, b, X[:, idx], Y[:, idx])
            losses.append(_loss(parts, W, b, X, Y))
        return W, b, losses

    assert "update-before-gradient" in check_train(train).mistakes


def test_other_failures_are_named():
    def own_gradients(X, Y, sizes, epochs, batch_size, learning_rate, seed, parts):
        W, b = parts.init_weights(sizes, "xavier", seed)
        return W, b, [0.0] * epochs

    def shuffles_x_in_place(X, Y, sizes, epochs, batch_size, learning_rate, seed, parts):
        np.random.default_rng(seed).shuffle(X, axis=1)
        return make_train()(X, Y, sizes, epochs, batch_size, learning_rate, seed, parts)

    def stub(*args):
        raise NotImplementedError()

    assert check_train(own_gradients).mistakes == ["no-backward"]
    assert check_train(shuffles_x_in_place).diagnosis == "mutated"
    assert check_train(stub).status == "not attempted"
    assert check_train(lambda *a: None).diagnosis == "not-an-array"
    per_batch = check_train(make_train("loss-per-batch"))
    assert per_batch.mistakes == ["loss-per-batch"] and "one loss per minibatch" in str(per_batch)
    assert check_train(3).diagnosis == "not-a-function"


def test_a_runaway_loop_is_stopped():
    def forever(X, Y, sizes, epochs, batch_size, learning_rate, seed, parts):
        W, b = parts.init_weights(sizes, "xavier", seed)
        while True:
            dW, db = parts.backward_batch(W, b, X[:, :batch_size], Y[:, :batch_size])

    result = check_train(forever)
    assert result.diagnosis == "exception" and "does a loop run too long" in str(result)


# --------------------------------------------------------------------------- trust

def _roundtrip(outputs):
    buf = io.BytesIO()
    np.savez(buf, **outputs)
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def test_call_returns_only_arrays_that_survive_the_worker_boundary():
    for fn in CORRECT + [make_train("x-without-y"), make_train("update-first")]:
        for case in EX.make_cases(0):
            out = EX.call(fn, case)
            assert all(isinstance(v, np.ndarray) and v.dtype.kind in "biufU" for v in out.values())
            assert STATUS in out
            a, b = EX.judge(case, out), EX.judge(case, _roundtrip(out))
            assert (a.passed, a.title, a.lines) == (b.passed, b.title, b.lines)
            expected = {s.name: int(np.prod(s.shape)) for s in EX.outputs(case)}
            for name, arr in out.items():            # what bpkit grade would accept (protocol.read_outputs)
                if name != STATUS and not name.startswith("!in:"):
                    assert arr.size <= 64 * max(expected[name], 16), name


def test_a_forged_log_cannot_pass_wrong_weights():
    """The log only names mistakes: weights that SGD on the logged batches does not give still fail."""
    case = EX.make_cases(0, 1)[0]
    good = EX.call(make_train(), case)
    for name in ("W[1]", "b[2]"):
        forged = dict(good)
        forged[name] = good[name] + 1e-4
        forged["again:" + name] = forged[name]
        assert not EX.judge(case, forged).passed
    lazy = EX.call(make_train("no-shuffle"), case)      # a correct log and weights copied from another run
    lazy.update({k: v for k, v in good.items() if k.startswith("log:")})
    assert not EX.judge(case, lazy).passed


def test_a_forged_log_of_invalid_batches_fails_even_with_matching_weights():
    """Weights that SGD on the forged (unshuffled) batches gives, but the batches break the rules: fail."""
    case = EX.make_cases(0, 1)[0]
    out = EX.call(make_train("no-shuffle"), case)
    assert not EX.judge(case, out).passed


def test_the_judge_survives_hostile_outputs():
    case = EX.make_cases(0, 1)[0]
    good = EX.call(make_train(), case)
    for broken in ({}, {STATUS: np.array("nonsense")},
                   {**good, "log:X": np.zeros((1, 1))}, {**good, "log:sizes": np.array([-1.0])},
                   {**good, "log:calls": np.array([])}, {**good, "W[1]": np.zeros((9, 9))},
                   {**good, "log:calls": np.full(3, np.nan)}, {**good, "log:init": np.full((1, 2), np.inf)},
                   {**good, "log:sizes": good["log:sizes"] * 1e30}):
        verdict = EX.judge(case, broken)
        assert not verdict.passed and verdict.diagnosis != "grader-error"


def test_replay_agrees_with_bpkit_network_train():
    """The judge's own SGD is Network.train's when the batches are Network.train's shuffle."""
    import bpkit

    case = EX.make_cases(3, 1)[0]
    sizes, E, B = case.meta["sizes"], case.meta["epochs"], case.meta["batch_size"]
    X, Y, seed, lr = case.arrays["X"], case.arrays["Y"], case.meta["train_seed"], case.meta["learning_rate"]
    rng, m = np.random.default_rng(seed), X.shape[1]
    batches = []
    for _ in range(E):
        order = rng.permutation(m)
        batches += [order[s:s + B] for s in range(0, m, B)]
    assert len(batches) == expected_batches(case)
    replay = Replay(case, batches)
    net = bpkit.Network(sizes, seed=seed)
    history = net.train(X, Y, epochs=E, batch_size=B, learning_rate=lr, seed=seed, progress=False,
                            evaluate_every=1)
    for l in (1, 2):
        np.testing.assert_allclose(replay.W[l], net.W[l], rtol=0, atol=1e-12)
    np.testing.assert_allclose(replay.losses, history.loss, rtol=1e-12)


def test_check_output_is_deterministic_and_short():
    for mistake, _ in MISTAKE_CASES[:8]:
        a, b = str(check_train(make_train(mistake))), str(run_check("train", make_train(mistake)))
        assert a == b and len(a.splitlines()) <= 25 and "[[" not in a


def test_every_named_mistake_points_to_one_of_the_staged_hints():
    assert 1 <= len(EX.hints) <= 3
    assert set(MISTAKES) <= set(EX.hint_for)
    assert all(1 <= k <= len(EX.hints) for k in EX.hint_for.values())
    solution = "parts.update_parameters(W, b, dW, db, learning_rate)"
    assert not any(solution in hint for hint in EX.hints)          # close to the answer, not the answer
