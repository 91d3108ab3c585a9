"""Checks at the public boundary: clear errors that name the argument.

Every public function of bpkit calls these helpers before it computes
anything, so a wrong shape or dtype is reported as, for example,
``W[2] has shape (3, 4) but a[1] has 5 rows`` instead of a numpy broadcast
error three calls deeper.
"""

from __future__ import annotations

import numpy as np


def label(name: str, layer: int | None) -> str:
    """``label("W", 2) -> "W[2]"``; ``label("W", None) -> "W"``."""
    return name if layer is None else f"{name}[{layer}]"


def as_matrix(x: object, name: str) -> np.ndarray:
    """Return ``x`` as a 2-D floating array, or raise a clear error.

    Integers and booleans are converted to float64; complex, object and
    string data are refused. A 1-D array is refused with a hint, since
    columns are examples and a single example must be ``(n, 1)``.
    """
    if x is None:
        raise TypeError(f"{name} is None; expected a 2-D numpy array")
    arr = np.asarray(x) if not isinstance(x, np.ndarray) else x
    kind = arr.dtype.kind
    if kind in "iub":
        arr = arr.astype(np.float64)
    elif kind != "f":
        raise TypeError(
            f"{name} has dtype {arr.dtype}; expected a real floating array (float64 or float32)"
        )
    if arr.ndim != 2:
        hint = ""
        if arr.ndim == 1:
            hint = f"; for one example use a column of shape ({arr.shape[0]}, 1), e.g. x.reshape(-1, 1)"
        raise ValueError(
            f"{name} has shape {arr.shape} but must be 2-D (rows are units, columns are examples){hint}"
        )
    return arr


def same_shape(a: np.ndarray, a_name: str, b: np.ndarray, b_name: str) -> None:
    """Raise ValueError unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(
            f"{a_name} has shape {a.shape} but {b_name} has shape {b.shape}; they must match"
        )


def positive_number(x: object, name: str) -> float:
    """Return ``x`` as a float, raising unless it is a finite number > 0."""
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number; got {type(x).__name__}")
    value = float(x)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {x!r}")
    return value
