"""Batch statistics, computed two-pass.

The variance is always the mean of squared deviations from a mean computed first.
The one-pass shortcut E[x^2] - E[x]^2 cancels catastrophically when the values are large
and their spread small: in float32, [10000.001, 9999.999, 10000.007] gives -16.0 that way.
Sums are accumulated in float64 (PyTorch's CPU kernels accumulate in double too) and the statistics
rounded back to the input's dtype.
"""

from __future__ import annotations

import numpy as np


def as_float_array(x) -> np.ndarray:
    """Return `x` as a floating array: float inputs keep their dtype, anything else becomes float64."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    return x


def count_reduced(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    """Number of elements each statistic averages: the product of `shape` over `axes`."""
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


def accumulator_dtype(dtype) -> np.dtype:
    """The dtype sums are accumulated in: float64, or the input's if it is wider. As in PyTorch's CPU
    kernels, float32 statistics are summed in float64 and only the result is rounded back to float32."""
    return np.promote_types(dtype, np.float64)


def group_sum(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Sum of x over `axes`, accumulated in `accumulator_dtype(x.dtype)`.

    x: float array of any shape. Returns x's shape with `axes` kept as size 1 (it broadcasts against x).
    """
    return np.sum(x, axis=tuple(axes), keepdims=True, dtype=accumulator_dtype(x.dtype))


def batch_mean(x, axes: tuple[int, ...] = (0,), *, keepdims: bool = False) -> np.ndarray:
    """Mean over `axes`.

    x: any shape, e.g. (N, C) or (N, C, H, W); axes: the reduced axes.
    Returns x's shape without `axes` (or with them kept as size 1), in x's float dtype.
    """
    x = as_float_array(x)
    axes = tuple(axes)
    with np.errstate(invalid="ignore"):  # an empty group's mean is NaN, as numpy's
        mean = (group_sum(x, axes) / count_reduced(x.shape, axes)).astype(x.dtype)
    return mean if keepdims else mean.squeeze(axis=axes)


def mean_and_deviations(x, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """First pass of the two-pass variance: the mean over `axes` (kept as size-1 axes) and x - mean.

    x: any shape; returns (mean, deviations) with mean broadcastable to x and deviations of x's shape.
    """
    x = as_float_array(x)
    mean = batch_mean(x, axes, keepdims=True)
    return mean, x - mean


def batch_var(x, axes: tuple[int, ...] = (0,), *, ddof: int = 0, keepdims: bool = False) -> np.ndarray:
    """Variance over `axes`, two-pass: mean first, then the mean squared deviation.

    ddof=0 is the biased variance (divide by M) that batch norm normalizes with;
    ddof=1 is the unbiased variance (divide by M - 1) that PyTorch's running_var tracks.
    x: any shape; returns x's shape without `axes` (or with them kept as size 1), in x's float dtype.
    """
    x = as_float_array(x)
    axes = tuple(axes)
    m = count_reduced(x.shape, axes)
    if m - ddof <= 0:
        raise ValueError(f"variance with ddof={ddof} needs more than {ddof} value(s) per statistic, got {m}")
    _, deviations = mean_and_deviations(x, axes)
    var = (group_sum(deviations * deviations, axes) / (m - ddof)).astype(x.dtype)
    return var if keepdims else var.squeeze(axis=axes)
