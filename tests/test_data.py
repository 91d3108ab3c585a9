"""Tests for bpkit.data: shapes, dtypes, seeding, balance, ranges, the shipped digits, errors."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest

from bpkit import data

BINARY = {
    "xor": lambda **kw: data.xor(**{"noise": 0.1, **kw}),
    "two_spirals": data.two_spirals,
    "moons": data.moons,
    "circles": data.circles,
}
DIGITS_PER_CLASS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]   # 1797 in all


def _raw_digits() -> tuple[np.ndarray, np.ndarray]:
    with resources.files("bpkit.data").joinpath("digits.npz").open("rb") as f, np.load(f) as npz:
        return npz["images"], npz["labels"]


def _sorted_columns(X: np.ndarray) -> np.ndarray:
    """Columns in lexicographic order, so two sets of columns compare as multisets."""
    return X[:, np.lexsort(X[::-1])]


# --- the generated binary sets --------------------------------------------

@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("n", [1, 7, 200])
def test_binary_shapes_dtypes_and_targets(name, n):
    X, Y = BINARY[name](n=n, seed=0)
    assert X.shape == (2, n) and Y.shape == (1, n)
    assert X.dtype == np.float64 and Y.dtype == np.float64
    assert set(np.unique(Y)) <= {0.0, 1.0}
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("name", ["two_spirals", "moons", "circles"])
@pytest.mark.parametrize("n", [2, 9, 300])
def test_binary_classes_balance(name, n):
    _, Y = BINARY[name](n=n, seed=1)
    assert int(Y.sum()) == n // 2                      # class 1 gets n // 2, class 0 the rest


@pytest.mark.parametrize("name", ["two_spirals", "moons", "circles"])
def test_binary_columns_are_shuffled(name):
    _, Y = BINARY[name](n=200, seed=0)
    assert not np.all(np.diff(Y[0]) >= 0), "classes should be interleaved, not in two blocks"


@pytest.mark.parametrize("name", BINARY)
def test_same_seed_same_data_and_different_seed_different_data(name):
    X1, Y1 = BINARY[name](n=50, seed=3)
    X2, Y2 = BINARY[name](n=50, seed=3)
    X3, _ = BINARY[name](n=50, seed=4)
    assert np.array_equal(X1, X2) and np.array_equal(Y1, Y2)
    assert not np.allclose(X1, X3)


def test_xor_default_is_the_truth_table():
    X, Y = data.xor()
    assert np.array_equal(X, [[0, 0, 1, 1], [0, 1, 0, 1]])
    assert np.array_equal(Y, [[0, 1, 1, 0]])
    assert np.array_equal(Y[0], np.logical_xor(X[0], X[1]))


def test_xor_without_noise_repeats_the_corners_whatever_the_seed():
    X, Y = data.xor(12, seed=0)
    assert np.array_equal(X, np.tile(data.xor()[0], 3)) and int(Y.sum()) == 6
    assert np.array_equal(X, data.xor(12, seed=99)[0])


def test_xor_noise_is_centred_on_the_corners():
    X, Y = data.xor(4000, noise=0.1, seed=0)
    corners = np.tile(data.xor()[0], 1000)
    offset = X - corners
    assert abs(offset.mean()) < 0.01 and 0.09 < offset.std() < 0.11
    assert np.array_equal(Y, np.tile(data.xor()[1], 1000))


@pytest.mark.parametrize("turns", [0.75, 1.5, 3.0])
def test_two_spirals_lie_on_their_arms(turns):
    X, Y = data.two_spirals(500, noise=0.0, seed=0, turns=turns)
    r = np.hypot(*X)
    assert r.max() <= 1.0 + 1e-12 and r.min() >= 0.25 / turns - 1e-12
    # class 0: angle = 2 pi turns r (mod 2 pi); class 1: the same arm turned by pi.
    expected = 2 * np.pi * turns * r + np.pi * Y[0]
    angle_error = np.angle(np.exp(1j * (np.arctan2(X[1], X[0]) - expected)))
    assert np.abs(angle_error).max() < 1e-9


def test_moons_range_without_noise():
    X, Y = data.moons(500, noise=0.0, seed=0)
    assert X[0].min() >= -1.5 and X[0].max() <= 1.5
    assert X[1].min() >= -0.75 and X[1].max() <= 0.75
    upper, lower = X[:, Y[0] == 0], X[:, Y[0] == 1]
    assert np.allclose(np.hypot(upper[0] + 0.5, upper[1] + 0.25), 1.0) and np.all(upper[1] >= -0.25)
    assert np.allclose(np.hypot(lower[0] - 0.5, lower[1] - 0.25), 1.0) and np.all(lower[1] <= 0.25)


@pytest.mark.parametrize("factor", [0.2, 0.5, 0.8])
def test_circles_radii_without_noise(factor):
    X, Y = data.circles(300, noise=0.0, factor=factor, seed=0)
    r = np.hypot(*X)
    assert np.allclose(r[Y[0] == 0], 1.0) and np.allclose(r[Y[0] == 1], factor)


def test_noise_spreads_points():
    X0, _ = data.circles(400, noise=0.0, seed=0)
    X1, _ = data.circles(400, noise=0.1, seed=0)
    assert np.hypot(*X0).std() < np.hypot(*X1).std()


# --- argument errors ---------------------------------------------------------

@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("n", [0, -5])
def test_nonpositive_n_is_refused(name, n):
    with pytest.raises(ValueError, match=r"n must be a positive number of examples.*got " + str(n)):
        BINARY[name](n=n)


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("n", [2.5, "10", True, None])
def test_non_integer_n_is_refused(name, n):
    with pytest.raises(TypeError, match="n must be an integer"):
        BINARY[name](n=n)


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("noise", [-0.1, float("nan"), float("inf")])
def test_bad_noise_is_refused(name, noise):
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        BINARY[name](n=10, noise=noise)


def test_noise_of_wrong_type_is_refused():
    with pytest.raises(TypeError, match="noise must be a number"):
        data.moons(10, noise="0.1")


@pytest.mark.parametrize("factor", [0.0, 1.0, -0.5, 2.0])
def test_circles_factor_must_be_inside_the_unit_interval(factor):
    with pytest.raises(ValueError, match="factor must lie strictly between 0 and 1"):
        data.circles(10, factor=factor)


@pytest.mark.parametrize("turns", [0, -1.0, float("inf")])
def test_spirals_turns_must_be_positive(turns):
    with pytest.raises(ValueError, match="turns must be a finite number > 0"):
        data.two_spirals(10, turns=turns)


# --- one_hot and to_labels ----------------------------------------------------

def test_one_hot_columns_are_unit_vectors():
    labels = np.array([3, 0, 1, 3, 2])
    Y = data.one_hot(labels)
    assert Y.shape == (4, 5) and Y.dtype == np.float64
    assert np.array_equal(Y.sum(axis=0), np.ones(5))
    assert np.array_equal(np.argmax(Y, axis=0), labels)
    assert data.one_hot(labels, n_classes=10).shape == (10, 5)


def test_one_hot_accepts_whole_floats_and_round_trips():
    _, Y = data.moons(20, seed=0)
    Y2 = data.one_hot(Y[0], 2)
    assert Y2.shape == (2, 20)
    assert np.array_equal(data.to_labels(Y2), data.to_labels(Y))


def test_to_labels_of_each_form():
    assert np.array_equal(data.to_labels(np.array([[0.2, 0.7, 0.5]])), [0, 1, 0])
    assert np.array_equal(data.to_labels(data.one_hot([2, 1, 0])), [2, 1, 0])
    labels = data.to_labels(np.array([1.0, 0.0]))
    assert labels.dtype == np.int64 and np.array_equal(labels, [1, 0])


@pytest.mark.parametrize(
    "labels, n_classes, error, message",
    [
        ([[0, 1]], None, ValueError, r"labels has shape \(1, 2\) but must be 1-D"),
        ([0, -1], None, ValueError, "labels must be >= 0"),
        ([0, 3], 3, ValueError, "labels holds class 3 but n_classes=3"),
        ([0, 1], 0, ValueError, "n_classes must be >= 1"),
        ([0, 1], 2.0, TypeError, "n_classes must be an integer"),
        ([0.5, 1.0], None, ValueError, "labels must be whole numbers"),
        (["a", "b"], None, TypeError, "labels has dtype"),
    ],
)
def test_one_hot_errors(labels, n_classes, error, message):
    with pytest.raises(error, match=message):
        data.one_hot(labels, n_classes)


def test_to_labels_refuses_3d():
    with pytest.raises(ValueError, match="Y has shape"):
        data.to_labels(np.zeros((2, 3, 4)))


# --- train_test_split ------------------------------------------------------------

def _tagged(m: int = 100, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """X whose first row is the column index, Y one-hot with classes 0..k-1 cycling."""
    X = np.vstack([np.arange(m, dtype=float), np.zeros(m)])
    return X, data.one_hot(np.arange(m) % k, k)


def test_split_is_disjoint_complete_and_sized():
    X, Y = _tagged(100)
    split = data.train_test_split(X, Y, test_fraction=0.3, seed=0)
    train_ids, test_ids = split.X_train[0], split.X_test[0]
    assert len(test_ids) == 30 and len(train_ids) == 70
    assert not set(train_ids) & set(test_ids)
    assert sorted(np.concatenate([train_ids, test_ids])) == list(range(100))
    # targets travel with their inputs
    assert np.array_equal(split.labels_train, train_ids.astype(int) % 3)
    assert np.array_equal(split.labels_test, test_ids.astype(int) % 3)
    # order inside each set is the original order
    assert np.all(np.diff(train_ids) > 0) and np.all(np.diff(test_ids) > 0)


def test_split_is_stratified():
    X, Y = _tagged(300, 3)                                 # 100 per class
    split = data.train_test_split(X, Y, test_fraction=0.2, seed=5)
    assert np.array_equal(np.bincount(split.labels_test), [20, 20, 20])
    # 51 + 50 examples, 40 to test: quotas 20.2 and 19.8, so floors 20 + 19 and the
    # spare one goes to the larger remainder (class 1).
    X, Y = _tagged(101, 2)
    split = data.train_test_split(X, Y, test_fraction=0.4, seed=0)
    assert np.bincount(split.labels_test).tolist() == [20, 20]


def test_split_binary_row_targets():
    X, Y = data.moons(100, seed=0)
    split = data.train_test_split(X, Y, test_fraction=0.2)
    assert split.Y_train.shape == (1, 80) and split.Y_test.shape == (1, 20)
    assert int(split.Y_test.sum()) == 10


def test_split_reproducible_and_seed_dependent():
    X, Y = _tagged(100)
    a = data.train_test_split(X, Y, seed=1)
    b = data.train_test_split(X, Y, seed=1)
    c = data.train_test_split(X, Y, seed=2)
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    assert not np.array_equal(a.X_test, c.X_test)


def test_split_without_stratification():
    X, Y = _tagged(100)
    split = data.train_test_split(X, Y, test_fraction=0.25, seed=0, stratify=False)
    assert split.X_test.shape == (2, 25) and split.X_train.shape == (2, 75)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.2, 1.5])
def test_split_bad_fraction(fraction):
    X, Y = _tagged(10)
    with pytest.raises(ValueError, match="test_fraction must lie strictly between 0 and 1"):
        data.train_test_split(X, Y, test_fraction=fraction)


def test_split_fraction_leaving_an_empty_set():
    X, Y = _tagged(10)
    with pytest.raises(ValueError, match=r"test_fraction=0.01 of m=10 examples leaves 0 for testing"):
        data.train_test_split(X, Y, test_fraction=0.01)


def test_split_shape_errors():
    X, Y = _tagged(10)
    with pytest.raises(ValueError, match=r"X has 10 columns but Y has shape \(3, 9\)"):
        data.train_test_split(X, Y[:, :9])
    with pytest.raises(ValueError, match=r"X has shape \(10,\) but must be 2-D"):
        data.train_test_split(X[0], Y)
    with pytest.raises(ValueError, match=r"Y has shape \(10,\) but must be 2-D"):
        data.train_test_split(X, np.zeros(10))


# --- the shipped digits -------------------------------------------------------

def test_digits_file_is_shipped_small_and_well_formed():
    path = resources.files("bpkit.data").joinpath("digits.npz")
    assert path.is_file()
    with resources.as_file(path) as p:
        assert p.stat().st_size < 100_000
    images, labels = _raw_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8
    assert labels.shape == (1797,) and labels.dtype == np.uint8
    assert images.max() == 16 and images.min() == 0
    assert np.array_equal(np.bincount(labels), DIGITS_PER_CLASS)


def test_digits_shapes_dtypes_and_ranges():
    split = data.load_digits()
    X_train, Y_train, X_test, Y_test = split
    assert X_train.shape == (64, 1438) and X_test.shape == (64, 359)
    assert Y_train.shape == (10, 1438) and Y_test.shape == (10, 359)
    for X in (X_train, X_test):
        assert X.dtype == np.float64 and X.min() == 0.0 and X.max() == 1.0
        assert np.array_equal(X * 16, np.round(X * 16))          # pixel counts 0..16, scaled
    for Y in (Y_train, Y_test):
        assert Y.dtype == np.float64 and np.array_equal(Y.sum(axis=0), np.ones(Y.shape[1]))
    assert split.labels_test.shape == (359,) and split.labels_test.dtype == np.int64


def test_digits_split_is_stratified():
    split = data.load_digits(test_fraction=0.2, seed=0)
    expected = 0.2 * np.array(DIGITS_PER_CLASS)
    assert np.all(np.abs(np.bincount(split.labels_test, minlength=10) - expected) < 1)
    assert np.array_equal(np.bincount(split.labels_train) + np.bincount(split.labels_test), DIGITS_PER_CLASS)


def test_digits_split_is_a_partition_of_the_whole_set():
    images, labels = _raw_digits()
    whole = np.vstack([images.reshape(1797, 64).T / 16.0, labels[np.newaxis, :]])
    split = data.load_digits(test_fraction=0.3, seed=4)
    parts = np.hstack([np.vstack([split.X_train, split.labels_train]),
                       np.vstack([split.X_test, split.labels_test])])
    assert np.array_equal(_sorted_columns(parts), _sorted_columns(whole))


def test_digits_split_reproducible_and_seed_dependent():
    a, b, c = data.load_digits(seed=7), data.load_digits(seed=7), data.load_digits(seed=8)
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    assert not np.array_equal(a.X_test, c.X_test)


def test_digits_image_round_trip():
    images, labels = _raw_digits()
    split = data.load_digits(test_fraction=0.5, seed=0)
    # the first training column is the first image that the split kept for training
    first = split.X_train[:, 0].reshape(8, 8) * 16
    candidates = [j for j in range(1797) if np.array_equal(images[j], first)]
    assert candidates and labels[candidates[0]] == split.labels_train[0]


def test_digits_arrays_are_fresh_each_call():
    first = data.load_digits()
    first.X_train[:] = -1.0
    assert data.load_digits().X_train.min() == 0.0


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.2])
def test_digits_bad_fraction(fraction):
    with pytest.raises(ValueError, match="test_fraction must lie strictly between 0 and 1"):
        data.load_digits(test_fraction=fraction)


def test_digits_fraction_of_wrong_type():
    with pytest.raises(TypeError, match="test_fraction must be a number"):
        data.load_digits(test_fraction="0.2")
