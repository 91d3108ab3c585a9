"""Checks at the public boundary: clear errors that name the argument.

The public functions of the equations, activations, losses and network
call these helpers before they compute anything, so a wrong shape or dtype is reported as, for example,
``W[2] has shape (3, 4) but a[1] has 5 rows`` instead of a numpy broadcast
error three calls deeper.
"""

from __future__ import annotations

import math

import numpy as np


def label(name: str, layer: int | None) -> str:
    """``label("W", 2) -> "W[2]"``; ``label("W", None) -> "W"``."""
    return name if layer is None else f"{name}[{layer}]"


def as_matrix(x: object, name: str, layer: int | None = None) -> np.ndarray:
    """Return ``x`` as a 2-D floating array, or raise a clear error.

    Integers and booleans are converted to float64; complex, object and
    string data are refused. A 1-D array is refused with a hint, since
    columns are examples and a single example must be ``(n, 1)``.
    Errors call the argument ``label(name, layer)`` (built only when needed).
    """
    # Fast path (the common case, once per argument of every call in a training
    # step): already a 2-D floating ndarray, returned as it is.
    if type(x) is np.ndarray and x.ndim == 2 and x.dtype.kind == "f":
        return x
    name = label(name, layer)
    if x is None:
        raise TypeError(f"{name} is None; expected a 2-D numpy array")
    arr = as_real_array(x, name)
    if arr.ndim != 2:
        hint = ""
        if arr.ndim == 1:
            hint = f"; for one example use a column of shape ({arr.shape[0]}, 1), e.g. x.reshape(-1, 1)"
        raise ValueError(
            f"{name} has shape {arr.shape} but must be 2-D (rows are units, columns are examples){hint}"
        )
    return arr


def as_real_array(x: object, name: str) -> np.ndarray:
    """Return ``x`` (any shape: array, list or number) as a floating ndarray, or raise a clear error.

    Integers and booleans become float64; ``None``, ragged lists and complex,
    object or string data raise ``TypeError`` naming the argument.
    """
    if type(x) is np.ndarray and x.dtype.kind == "f":
        return x
    if x is None:
        raise TypeError(f"{name} is None; expected a numpy array")
    if isinstance(x, np.ndarray):
        arr = x
    else:
        try:
            arr = np.asarray(x)
        except (ValueError, TypeError) as err:  # e.g. a ragged list of lists
            raise TypeError(f"{name} could not be made into an array: {err}") from None
    kind = arr.dtype.kind
    if kind in "iub":
        return arr.astype(np.float64)
    if kind != "f":
        raise TypeError(
            f"{name} has dtype {arr.dtype}; expected a real floating array (float64 or float32)"
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
    if type(x) is float and 0.0 < x < math.inf:  # fast path: a plain, valid float
        return x
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number; got {type(x).__name__}")
    value = float(x)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {x!r}")
    return value
