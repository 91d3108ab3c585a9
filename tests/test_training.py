"""Training works end to end: bpkit.Network (backward pass = Equations 1-4) learns real problems.

Each test uses a fixed seed for the data, the initial weights and the
shuffling, so it is deterministic; the settings were chosen with a wide
margin, checked across many seeds (see the comment on each test). Each test
takes well under a second on a 2-core machine.
"""

from __future__ import annotations

import numpy as np
import pytest

from bpkit import Network, data


def test_xor_learns_all_four_points():
    # [2, 8, 1] tanh reached 100 % on the truth table by epoch 152 at worst over
    # 30 seeds (a [2, 2, 1] net gets stuck at 50 % for about a third of seeds).
    X, Y = data.xor()
    net = Network([2, 8, 1], hidden="tanh", output="sigmoid", loss="binary_cross_entropy", seed=0)
    history = net.train(X, Y, epochs=1000, batch_size=4, learning_rate=0.5, seed=0, progress=False)
    assert net.accuracy(X, Y) == 1.0
    assert np.array_equal(net.predict(X), [0, 1, 1, 0])
    assert history.loss[-1] < 0.05 < history.loss[0]


def test_two_spirals_training_accuracy():
    # With N(0, 1) initial weights the first layer starts with steep enough
    # features for the spiral; Xavier weights left plain SGD on a 60-70 %
    # plateau for about half of the seeds tried. Over 30 seeds this setting
    # passed 95 % by epoch 8 at worst and stayed at 100 % from epoch 50 on.
    X, Y = data.two_spirals(300, noise=0.02, seed=0)
    net = Network([2, 32, 32, 1], hidden="tanh", output="sigmoid", loss="binary_cross_entropy",
                  init="normal", seed=0)
    net.train(X, Y, epochs=100, batch_size=16, learning_rate=0.3, seed=0, progress=False)
    assert net.accuracy(X, Y) >= 0.95


def test_digits_test_accuracy():
    # Held-out accuracy over 10 weight/shuffle seeds on this split: 96.9-98.3 %
    # at the end, never below 96.1 % in the second half of training. (The
    # default split, seed=0, is the hardest of the ten splits tried: about
    # 95.5-96.4 %, too close to the bar for a robust test.)
    split = data.load_digits(test_fraction=0.2, seed=1)
    net = Network([64, 32, 10], hidden="tanh", output="softmax", loss="cross_entropy", seed=0)
    net.train(split.X_train, split.Y_train, epochs=30, batch_size=16, learning_rate=0.1, seed=0,
              progress=False)
    assert net.accuracy(split.X_train, split.Y_train) >= 0.98
    assert net.accuracy(split.X_test, split.Y_test) >= 0.95
    assert np.mean(net.predict(split.X_test) == split.labels_test) >= 0.95


@pytest.mark.parametrize(
    "make",
    [
        lambda: data.moons(200, noise=0.1, seed=0),
        lambda: data.circles(200, noise=0.05, seed=0),
        lambda: data.xor(200, noise=0.1, seed=0),
    ],
    ids=["moons", "circles", "noisy-xor"],
)
def test_small_binary_sets_learn(make):
    # 98-100 % over 10 seeds each.
    X, Y = make()
    net = Network([2, 16, 1], hidden="tanh", output="sigmoid", loss="binary_cross_entropy", seed=0)
    net.train(X, Y, epochs=100, batch_size=16, learning_rate=0.3, seed=0, progress=False)
    assert net.accuracy(X, Y) >= 0.95
