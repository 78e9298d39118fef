"""Batch statistics, computed two-pass.

The variance is always the mean of squared deviations from a mean computed first.
The one-pass shortcut E[x^2] - E[x]^2 cancels catastrophically when the values are large
and their spread small: in float32, [10000.001, 9999.999, 10000.007] gives -16.0 that way.
Partial sums are combined in float64 (PyTorch's CPU kernels accumulate in double too) and the statistics
rounded back to the input's dtype.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple


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
    """The dtype partial sums are combined in: float64, or the input's if it is wider. As in PyTorch's CPU
    kernels, float32 statistics are summed in float64 and only the result is rounded back to float32."""
    return np.promote_types(dtype, np.float64)


def _rows_view(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, int, int] | None:
    """(K, C, T) such that x.reshape(K, C, T) reduced over its axes 0 and 2 is x reduced over `axes`.

    Two layouts have one: trailing axes (layer/instance/group norm: K = 1, T = the trailing block) and every
    axis but 1 (batch norm on (N, C, *): K = N, T = the spatial block). None for any other set of axes.
    """
    ndim = len(shape)
    if axes and axes == tuple(range(axes[0], ndim)):
        return 1, count_reduced(shape, tuple(range(axes[0]))), count_reduced(shape, axes)
    if ndim >= 3 and axes == (0, *range(2, ndim)):
        return shape[0], shape[1], count_reduced(shape, tuple(range(2, ndim)))
    return None


def group_sum(x: np.ndarray, axes: tuple[int, ...], other: np.ndarray | None = None) -> np.ndarray:
    """sum(x) or sum(x * other) over `axes`, reduced axes kept as size 1, in `accumulator_dtype(x.dtype)`.

    The same numbers as np.sum(x * other, axis=axes, keepdims=True), but without the full-size temporary
    x * other, and faster: where `_rows_view` applies, each contiguous row is reduced by a pairwise sum or a dot
    product (np.vecdot), and the row sums are added in float64.
    x, other: float arrays of the same shape. Returns x's shape with `axes` set to 1.
    """
    axes = tuple(sorted(normalize_axis_tuple(axes, x.ndim)))
    acc = accumulator_dtype(x.dtype)
    keep_shape = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
    rows = _rows_view(x.shape, axes)
    if rows is None or rows[2] == 1:  # no contiguous rows to reduce: plain numpy
        product = x if other is None else x * other
        return product.sum(axis=axes, keepdims=True, dtype=acc)
    x3 = x.reshape(rows)
    row_sums = np.add.reduce(x3, axis=2) if other is None else np.vecdot(x3, other.reshape(rows))
    return row_sums.sum(axis=0, dtype=acc).reshape(keep_shape)


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

    x: any shape; returns (mean, deviations) with mean broadcastable to x and deviations of x's shape
    (a new array: the caller may overwrite it).
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
    var = (group_sum(deviations, axes, deviations) / (m - ddof)).astype(x.dtype)
    return var if keepdims else var.squeeze(axis=axes)
