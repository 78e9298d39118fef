"""Two small losses on a layer's output, each returning (loss, dy): the upstream gradient backward starts from.

    squared_error(y, target) = ½ Σ (y − target)²    dy = y − target
    weighted_sum(y, weights) = Σ w · y              dy = w

A batch-norm layer ignores shifts of its input, so a constant upstream gradient gives an input gradient of exactly 0.
The default targets and weights are therefore a ramp, different for every sample, with a nonzero mean so that no
term of the input gradient vanishes by accident.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

LOSSES = ("squared error", "weighted sum")


def _check_same_shape(y: np.ndarray, other: np.ndarray, name: str) -> None:
    if y.shape != other.shape:
        raise ValueError(f"{name} must have the output's shape {y.shape}, got {other.shape}")


def squared_error(y, target) -> tuple[float, np.ndarray]:
    """½‖y − target‖² and its gradient y − target. y, target: same shape. Returns (loss, dy of y's shape)."""
    y, target = np.asarray(y, dtype=np.float64), np.asarray(target, dtype=np.float64)
    _check_same_shape(y, target, "target")
    residual = y - target
    return 0.5 * float(np.sum(residual * residual)), residual


def weighted_sum(y, weights) -> tuple[float, np.ndarray]:
    """Σ wᵢ·yᵢ and its gradient w. y, weights: same shape. Returns (loss, dy of y's shape)."""
    y, weights = np.asarray(y, dtype=np.float64), np.asarray(weights, dtype=np.float64)
    _check_same_shape(y, weights, "weights")
    return float(np.sum(weights * y)), weights.copy()


def loss_function(name: str) -> Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]:
    """The loss called `name` (one of LOSSES), as f(y, values) -> (loss, dy)."""
    if name == "squared error":
        return squared_error
    if name == "weighted sum":
        return weighted_sum
    raise ValueError(f"unknown loss {name!r}; choose one of {LOSSES}")


def default_values(m: int) -> np.ndarray:
    """Default target (or weights) for m samples: a ramp from −1 to 2, rounded to 2 decimals. Shape (m,)."""
    if m < 1:
        raise ValueError(f"need at least one sample, got {m}")
    return np.round(np.linspace(-1.0, 2.0, m), 2)
