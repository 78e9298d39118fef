"""Central finite differences: the independent check on every analytic gradient in bn_core."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """d f / d x by central differences, (f(x + h e_i) - f(x - h e_i)) / 2h for each element i.

    f: maps an array of x's shape to a scalar. x: float64 array (not modified). Returns x's shape.
    Truncation error is O(h^2); with h = 1e-6 and float64 the total error is typically ~1e-9 or below.
    """
    x = np.array(x, dtype=np.float64)
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        orig = x[i]
        x[i] = orig + h
        f_plus = f(x)
        x[i] = orig - h
        f_minus = f(x)
        x[i] = orig
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def max_relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """max |a - n| / max(1, |a|, |n|): an error measure that is absolute near 0 and relative for large values."""
    analytic, numeric = np.asarray(analytic), np.asarray(numeric)
    scale = np.maximum(1.0, np.maximum(np.abs(analytic), np.abs(numeric)))
    return float(np.max(np.abs(analytic - numeric) / scale)) if analytic.size else 0.0
