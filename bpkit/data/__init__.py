r"""Small data sets for the lessons: generated from a seed, or shipped inside the package.

Nothing is downloaded at run time. Every data set follows bpkit's convention
that **columns are examples**:

* X -- float64 inputs of shape (n_0, m): one column per example.
* Y -- float64 targets, one column per example, in the form a network's
  output layer wants:

  - **binary** tasks (xor, two_spirals, moons,
    circles): a (1, m) row of 0.0 / 1.0, for one sigmoid output
    unit and binary_cross_entropy (or mse);
  - **multi-class** tasks (load_digits): one-hot, (k, m) with a
    single 1.0 in each column, for a softmax output and cross_entropy.

* labels -- integer classes of shape (m,), for plots and confusion
  matrices: to_labels turns either form of Y into labels and
  one_hot turns labels back into one-hot columns.

Generators take seed and are reproducible: the same arguments give the same
arrays, bit for bit. The two classes of a binary set have sizes
n - n // 2 and n // 2 and their columns are shuffled together
(except xor, which keeps the corners in order).

>>> X, Y = two_spirals(200, noise=0.05, seed=0)
>>> X.shape, X.dtype, Y.shape
((2, 200), dtype('float64'), (1, 200))
>>> np.bincount(to_labels(Y))          # 100 examples of each class
array([100, 100])

The handwritten digits
----------------------
load_digits reads digits.npz, shipped beside this file: the 1797
8x8 images (pixel counts 0..16, uint8) and their labels (0..9, uint8)
of the UCI Machine Learning Repository's "Optical Recognition of Handwritten
Digits" data set by E. Alpaydin and C. Kaynak (1998),
https://doi.org/10.24432/C50P49, licensed CC BY 4.0. The copy was taken from
scikit-learn's digits.csv.gz (itself the UCI test-set file
optdigits.tes) and only converted, from CSV to numpy.savez_compressed
with each row's 64 pixels reshaped to an 8x8 uint8 image; no pixel or
label was changed. README.md in this folder has the details.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

Array = np.ndarray

__all__ = [
    "Split", "circles", "load_digits", "moons", "one_hot", "to_labels", "train_test_split",
    "two_spirals", "xor",
]

#: The four corners of the unit square and their XOR, in truth-table order.
XOR_INPUTS = np.array([[0.0, 0.0, 1.0, 1.0],
                       [0.0, 1.0, 0.0, 1.0]])
XOR_LABELS = np.array([0, 1, 1, 0])
XOR_INPUTS.flags.writeable = False
XOR_LABELS.flags.writeable = False

DIGITS_FILE = "digits.npz"
DIGITS_MAX_PIXEL = 16


# ---------------------------------------------------------------------------
# Argument checks: each error names the argument and what it needs.
# ---------------------------------------------------------------------------

def _check_count(n: object, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{name} must be an integer number of examples; got {type(n).__name__} {n!r}")
    if n <= 0:
        raise ValueError(f"{name} must be a positive number of examples (n >= 1); got {n}")
    return int(n)


def _number(x: object, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number; got {type(x).__name__} {x!r}")
    return float(x)


def _check_noise(noise: object) -> float:
    value = _number(noise, "noise")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"noise must be a finite number >= 0 (a standard deviation); got {noise!r}")
    return value


def _check_open_unit(x: object, name: str) -> float:
    value = _number(x, name)
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1; got {x!r}")
    return value


def _binary(rng: np.random.Generator, points: Array, labels: Array, noise: float) -> tuple[Array, Array]:
    """Add Gaussian noise, shuffle the columns, return (X, Y) with Y a (1, m) 0/1 row."""
    if noise > 0:
        points = points + noise * rng.standard_normal(points.shape)
    order = rng.permutation(points.shape[1])
    return np.ascontiguousarray(points[:, order]), labels[order].astype(np.float64)[np.newaxis, :]


def _class_sizes(n: int) -> tuple[int, int]:
    return n - n // 2, n // 2


# ---------------------------------------------------------------------------
# Labels <-> targets
# ---------------------------------------------------------------------------

def one_hot(labels: ArrayLike, n_classes: int | None = None) -> Array:
    """One-hot targets from integer labels: column j is 1 in row labels[j], 0 elsewhere.

    Args:
        labels: integer classes 0 .. n_classes-1, shape (m,). Floats
            holding whole numbers (such as Y[0] of a binary set) are accepted.
        n_classes: number of rows k; by default labels.max() + 1.

    Returns:
        float64 array of shape (n_classes, m) with a single 1.0 per column.

    >>> one_hot([2, 0, 1])
    array([[0., 1., 0.],
           [0., 0., 1.],
           [1., 0., 0.]])
    >>> one_hot([1, 0], n_classes=3).shape
    (3, 2)
    """
    y = np.asarray(labels)
    if y.ndim != 1:
        raise ValueError(f"labels has shape {y.shape} but must be 1-D, shape (m,): one class per example")
    if y.dtype.kind not in "iuf" and y.size:
        raise TypeError(f"labels has dtype {y.dtype}; expected integer class labels")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y) & (y == np.round(y))):
        raise ValueError("labels must be whole numbers (integer classes); got non-integer values")
    y = y.astype(np.int64)
    if y.size and y.min() < 0:
        raise ValueError(f"labels must be >= 0; got {int(y.min())}")
    if n_classes is None:
        n_classes = int(y.max()) + 1 if y.size else 1
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)):
        raise TypeError(f"n_classes must be an integer; got {type(n_classes).__name__} {n_classes!r}")
    if n_classes <= 0:
        raise ValueError(f"n_classes must be >= 1; got {n_classes}")
    if y.size and y.max() >= n_classes:
        raise ValueError(f"labels holds class {int(y.max())} but n_classes={n_classes} allows only "
                         f"0..{n_classes - 1}")
    Y = np.zeros((int(n_classes), y.size))
    Y[y, np.arange(y.size)] = 1.0
    return Y


def to_labels(Y: ArrayLike) -> Array:
    """Integer labels (m,) from targets: the inverse of one_hot.

    Args:
        Y: one-hot (k, m) (label = row of the largest entry), a (1, m)
            row of 0/1 targets (label = 1 where Y > 0.5), or labels (m,)
            (returned as int64).

    >>> to_labels(one_hot([2, 0, 1]))
    array([2, 0, 1])
    >>> to_labels(np.array([[0.0, 1.0, 1.0]]))
    array([0, 1, 1])
    """
    Y = np.asarray(Y)
    if Y.ndim == 1:
        return Y.astype(np.int64)
    if Y.ndim != 2:
        raise ValueError(f"Y has shape {Y.shape} but must be (k, m) targets or (m,) labels")
    if Y.shape[0] == 1:
        return (Y[0] > 0.5).astype(np.int64)
    return np.argmax(Y, axis=0).astype(np.int64)


# ---------------------------------------------------------------------------
# Generated data sets (all binary; 2-D inputs so they can be plotted)
# ---------------------------------------------------------------------------

def xor(n: int = 4, noise: float = 0.0, seed: int | None = 0) -> tuple[Array, Array]:
    r"""XOR of two bits: the smallest problem a single layer cannot solve.

    With the defaults it is the truth table itself, the four corners of the
    unit square in the order (0,0), (0,1), (1,0), (1,1) with targets 0, 1, 1, 0.
    With n > 4 example j is corner j % 4 (so the classes balance
    whenever n is a multiple of 4), and noise > 0 adds Gaussian noise
    of that standard deviation to every coordinate. Columns are not shuffled,
    so with noise = 0 the seed makes no difference.

    Args:
        n: number of examples m (>= 1).
        noise: standard deviation of the noise added to each input (>= 0).
        seed: seed for numpy.random.default_rng.

    Returns:
        (X, Y): X float64 (2, n), Y float64 (1, n) of 0/1.

    >>> X, Y = xor()
    >>> X
    array([[0., 0., 1., 1.],
           [0., 1., 0., 1.]])
    >>> Y
    array([[0., 1., 1., 0.]])
    >>> X, Y = xor(100, noise=0.1, seed=1)
    >>> X.shape, Y.shape, int(Y.sum())
    ((2, 100), (1, 100), 50)
    """
    n = _check_count(n)
    noise = _check_noise(noise)
    rng = np.random.default_rng(seed)
    corner = np.arange(n) % 4
    X = XOR_INPUTS[:, corner]
    if noise > 0:
        X = X + noise * rng.standard_normal(X.shape)
    return X, XOR_LABELS[corner].astype(np.float64)[np.newaxis, :]


def two_spirals(
    n: int = 200, noise: float = 0.0, seed: int | None = 0, turns: float = 1.5
) -> tuple[Array, Array]:
    r"""Two interleaved spiral arms, class 0 and class 1 (Lang and Witbrock's benchmark).

    Class 0 lies on the Archimedean spiral

        x = r(θ) (cos θ, sin θ),   r = θ / (2π turns),

    for θ between a quarter turn and the given number of full turns, with
    points spread evenly along the arm; class 1 is the same arm rotated by
    180 degrees. The radius is at most 1, so inputs lie in about [-1, 1].
    Neighbouring arms are 1 / (2 turns) apart, so noise much smaller
    than that keeps the classes separable.

    Args:
        n: number of examples m (>= 1); class 0 gets n - n // 2.
        noise: standard deviation of Gaussian noise on each coordinate (>= 0).
        seed: seed for numpy.random.default_rng.
        turns: how many times each arm winds round the origin (> 0).

    Returns:
        (X, Y): X float64 (2, n), Y float64 (1, n) of 0/1.

    >>> X, Y = two_spirals(300, noise=0.02, seed=0)
    >>> X.shape, Y.shape, int(Y.sum())
    ((2, 300), (1, 300), 150)
    >>> bool(np.abs(X).max() < 1.2)
    True
    """
    n = _check_count(n)
    noise = _check_noise(noise)
    turns = _number(turns, "turns")
    if not np.isfinite(turns) or turns <= 0:
        raise ValueError(f"turns must be a finite number > 0; got {turns!r}")
    rng = np.random.default_rng(seed)
    n0, n1 = _class_sizes(n)
    labels = np.repeat([0, 1], [n0, n1])
    # Arc length of r = c*theta grows like theta**2, so theta = sqrt(uniform)
    # spaces the points evenly along the arm.
    start = 0.25 / turns
    fraction = np.sqrt(rng.uniform(start**2, 1.0, n))
    theta = 2 * np.pi * turns * fraction
    points = fraction * np.stack([np.cos(theta), np.sin(theta)])
    points[:, labels == 1] *= -1.0
    return _binary(rng, points, labels, noise)


def moons(n: int = 200, noise: float = 0.1, seed: int | None = 0) -> tuple[Array, Array]:
    r"""Two interleaving half circles ("moons"), centred on the origin.

    Class 0 is the upper half of the unit circle, (cos t, sin t);
    class 1 is the lower half circle (1 - cos t, 1/2 - sin t),
    for t uniform in [0, π]. Both are then shifted by
    (-1/2, -1/4) so the inputs are centred: x in about
    [-1.5, 1.5], y in about [-0.75, 0.75].

    Args:
        n: number of examples m (>= 1); class 0 gets n - n // 2.
        noise: standard deviation of Gaussian noise on each coordinate (>= 0).
        seed: seed for numpy.random.default_rng.

    Returns:
        (X, Y): X float64 (2, n), Y float64 (1, n) of 0/1.

    >>> X, Y = moons(101, seed=3)
    >>> X.shape, Y.shape, int(Y.sum())
    ((2, 101), (1, 101), 50)
    """
    n = _check_count(n)
    noise = _check_noise(noise)
    rng = np.random.default_rng(seed)
    n0, n1 = _class_sizes(n)
    labels = np.repeat([0, 1], [n0, n1])
    t = rng.uniform(0.0, np.pi, n)
    upper = np.stack([np.cos(t), np.sin(t)])
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)])
    points = np.where(labels == 0, upper, lower) - np.array([[0.5], [0.25]])
    return _binary(rng, points, labels, noise)


def circles(
    n: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int | None = 0
) -> tuple[Array, Array]:
    r"""A small circle inside a large one: class 0 on the unit circle, class 1 on radius factor.

    Angles are uniform on [0, 2π). No straight line separates the
    classes, but one hidden layer can.

    Args:
        n: number of examples m (>= 1); class 0 (outer) gets n - n // 2.
        noise: standard deviation of Gaussian noise on each coordinate (>= 0).
        factor: radius of the inner circle, strictly between 0 and 1.
        seed: seed for numpy.random.default_rng.

    Returns:
        (X, Y): X float64 (2, n), Y float64 (1, n) of 0/1.

    >>> X, Y = circles(200, noise=0.0, factor=0.3, seed=0)
    >>> radius = np.hypot(*X)
    >>> bool(np.allclose(radius[Y[0] == 0], 1.0)), bool(np.allclose(radius[Y[0] == 1], 0.3))
    (True, True)
    """
    n = _check_count(n)
    noise = _check_noise(noise)
    factor = _check_open_unit(factor, "factor")
    rng = np.random.default_rng(seed)
    n0, n1 = _class_sizes(n)
    labels = np.repeat([0, 1], [n0, n1])
    angle = rng.uniform(0.0, 2 * np.pi, n)
    radius = np.where(labels == 0, 1.0, factor)
    points = radius * np.stack([np.cos(angle), np.sin(angle)])
    return _binary(rng, points, labels, noise)


# ---------------------------------------------------------------------------
# Splitting, and the shipped digits
# ---------------------------------------------------------------------------

class Split(NamedTuple):
    """A train/test split; unpacks as X_train, Y_train, X_test, Y_test.

    Each X is (n_0, m) and each Y is (n_L, m), columns being
    examples. labels_train and labels_test give the integer classes.
    """

    X_train: Array
    Y_train: Array
    X_test: Array
    Y_test: Array

    @property
    def labels_train(self) -> Array:
        """Integer classes of the training columns, shape (m_train,)."""
        return to_labels(self.Y_train)

    @property
    def labels_test(self) -> Array:
        """Integer classes of the test columns, shape (m_test,)."""
        return to_labels(self.Y_test)

    def __repr__(self) -> str:
        return (f"Split(X_train {self.X_train.shape}, Y_train {self.Y_train.shape}, "
                f"X_test {self.X_test.shape}, Y_test {self.Y_test.shape})")


def train_test_split(
    X: Array, Y: Array, test_fraction: float = 0.2, seed: int | None = 0, stratify: bool = True
) -> Split:
    """Split the columns of X and Y into a training and a test set, reproducibly.

    The test set gets round(test_fraction * m) columns. With
    stratify=True each class contributes in proportion to its size (the
    rounding remainders go to the classes with the largest ones), so class
    balance is kept. Within each set the columns keep their original order.

    Args:
        X: inputs (n_0, m).
        Y: targets (n_L, m) -- one-hot or a 0/1 row.
        test_fraction: share of the columns held out, strictly between 0 and 1.
        seed: seed for numpy.random.default_rng.
        stratify: keep the class proportions of Y in both sets.

    Returns:
        A Split (X_train, Y_train, X_test, Y_test).

    >>> X, Y = moons(100, seed=0)
    >>> X_train, Y_train, X_test, Y_test = train_test_split(X, Y, test_fraction=0.25)
    >>> X_train.shape, X_test.shape, int(Y_test.sum())
    ((2, 75), (2, 25), 12)
    """
    X = np.asarray(X)
    Y = np.asarray(Y)
    if X.ndim != 2:
        raise ValueError(f"X has shape {X.shape} but must be 2-D (n_0, m), one column per example")
    if Y.ndim != 2:
        raise ValueError(f"Y has shape {Y.shape} but must be 2-D (n_L, m), one column per example")
    m = X.shape[1]
    if Y.shape[1] != m:
        raise ValueError(f"X has {m} columns but Y has shape {Y.shape}; Y needs {m} columns, one per example")
    test_fraction = _check_open_unit(test_fraction, "test_fraction")
    n_test = int(round(test_fraction * m))
    if not 0 < n_test < m:
        raise ValueError(f"test_fraction={test_fraction} of m={m} examples leaves {n_test} for testing "
                         f"and {m - n_test} for training; both sets need at least one")
    rng = np.random.default_rng(seed)
    if stratify:
        labels = to_labels(Y)
        classes, counts = np.unique(labels, return_counts=True)
        quota = counts * (n_test / m)           # sums to n_test
        take = np.floor(quota).astype(np.int64)
        largest_remainders = np.argsort(-(quota - take), kind="stable")[: n_test - int(take.sum())]
        take[largest_remainders] += 1
        test = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:k]
                               for c, k in zip(classes, take, strict=True)])
    else:
        test = rng.permutation(m)[:n_test]
    is_test = np.zeros(m, dtype=bool)
    is_test[test] = True
    return Split(X[:, ~is_test], Y[:, ~is_test], X[:, is_test], Y[:, is_test])


@cache
def _digits_raw() -> tuple[Array, Array]:
    """The shipped images (1797, 8, 8) and labels (1797,), both uint8, read-only."""
    with resources.files(__name__).joinpath(DIGITS_FILE).open("rb") as f, np.load(f) as npz:
        images, labels = npz["images"], npz["labels"]
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def load_digits(test_fraction: float = 0.2, seed: int | None = 0) -> Split:
    """The 8x8 handwritten digits, split reproducibly (and stratified) into train and test sets.

    1797 images of the digits 0-9, about 180 of each, shipped with bpkit (see
    the module docstring for the source and licence). Each image becomes one
    column of 64 pixels, row by row, scaled from counts 0..16 to [0, 1];
    X[:, j].reshape(8, 8) gives image j back. Targets are one-hot.

    Args:
        test_fraction: share of the images held out for testing, strictly
            between 0 and 1 (the split is stratified by digit).
        seed: seed of the split; the same seed always gives the same split.

    Returns:
        A Split (X_train, Y_train, X_test, Y_test) with X
        float64 (64, m) and Y float64 one-hot (10, m);
        .labels_train and .labels_test hold the digits as (m,) ints.

    >>> X_train, Y_train, X_test, Y_test = load_digits()
    >>> X_train.shape, Y_train.shape, X_test.shape, Y_test.shape
    ((64, 1438), (10, 1438), (64, 359), (10, 359))
    >>> float(X_train.min()), float(X_train.max())
    (0.0, 1.0)
    """
    test_fraction = _check_open_unit(test_fraction, "test_fraction")
    images, labels = _digits_raw()
    X = images.reshape(len(images), -1).T / float(DIGITS_MAX_PIXEL)
    Y = one_hot(labels, 10)
    return train_test_split(X, Y, test_fraction=test_fraction, seed=seed, stratify=True)
