"""The one mechanism behind every normalization layer: normalize over a set of axes, scale and shift, and its
backward.

    mean = mean(x),  var = mean((x - mean)^2)    over `stat_axes` (two-pass, biased variance)
    xhat = (x - mean) / sqrt(var + eps)
    y    = gamma * xhat + beta                   gamma, beta broadcast with `param_bshape`

`normalize_forward` returns `(y, cache)`; `norm_backward(dy, cache)` returns `(dx, dgamma, dbeta)`.
This is the bare formula, so it accepts any eps: with eps = 0 a constant group gives 0/0 = NaN, which is what
the formula says. Each layer in `functional` adds its library's own checks (torch refuses eps <= 0 in training).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .stats import count_reduced, group_sum


@dataclass(frozen=True)
class NormCache:
    """What the backward pass needs from the forward pass, and the statistics the forward used.

    xhat:        normalized input, x's shape.
    invstd:      1 / sqrt(var + eps), in `view_shape` with the reduced axes kept as size 1.
    gamma:       gamma broadcast against x, or None without a scale.
    has_beta:    whether a shift was applied (RMSNorm has none).
    view_shape:  shape in which statistics are taken: x's shape, or (N, G, C/G * spatial) for group norm.
    stat_axes:   axes of the view that each statistic reduces.
    param_axes:  axes of x that gamma and beta are shared across (summed for their gradients).
    param_shape: shape of gamma and beta.
    centered:    False for RMSNorm, whose mean is fixed at 0 (no mean(g) term in dx).
    batch_stats: False when the statistics are constants (BatchNorm in eval mode: dx = g * invstd).
    mean, var:   the statistics used, shaped like invstd: the batch's, the running ones in eval mode, or 0 and
                 the mean square for RMSNorm. The backward does not read them; they are kept because the
                 running-statistics updates (BatchNorm, Batch Renorm) and the lessons need exactly these
                 numbers, and recomputing them would be another pass over x.
    """

    xhat: np.ndarray
    invstd: np.ndarray
    gamma: np.ndarray | None
    has_beta: bool
    view_shape: tuple[int, ...]
    stat_axes: tuple[int, ...]
    param_axes: tuple[int, ...]
    param_shape: tuple[int, ...]
    centered: bool
    batch_stats: bool
    mean: np.ndarray
    var: np.ndarray

    @property
    def group_size(self) -> int:
        """M, the number of values that share one statistic."""
        return count_reduced(self.view_shape, self.stat_axes)


def normalize_forward(
    x: np.ndarray,
    *,
    stat_axes: tuple[int, ...],
    param_bshape: tuple[int, ...],
    gamma=None,
    beta=None,
    eps: float = 1e-5,
    view_shape: tuple[int, ...] | None = None,
    centered: bool = True,
    stats: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, NormCache]:
    """The one mechanism: normalize x over `stat_axes` of `view_shape`, then y = gamma * xhat + beta.

    x:            float array of any shape.
    stat_axes:    axes of the view reduced by each statistic.
    param_bshape: shape gamma and beta are reshaped to so they broadcast against x.
    view_shape:   reshape applied before taking statistics (group norm); default x.shape.
    centered:     subtract the mean (True) or only divide by the root mean square (False, RMSNorm).
    stats:        fixed (mean, var) broadcastable to the view, e.g. running statistics; default: from x.
    Returns (y, cache), y of x's shape and dtype.
    """
    xv = x if view_shape is None else x.reshape(view_shape)
    m = count_reduced(xv.shape, stat_axes)
    # Where the formula divides by zero (eps = 0 on a constant group, an empty group) the result is NaN or inf,
    # as in torch: the numbers say so, without warnings.
    with np.errstate(divide="ignore", invalid="ignore"):
        if stats is not None:
            mean, var = (np.asarray(s, dtype=x.dtype) for s in stats)
        elif centered:
            mean = (group_sum(xv, stat_axes) / m).astype(x.dtype)
        else:
            mean = np.zeros((1,) * xv.ndim, dtype=x.dtype)
        deviations = xv - mean
        if stats is None:
            var = (group_sum(deviations * deviations, stat_axes) / m).astype(x.dtype)
        invstd = 1.0 / np.sqrt(var + x.dtype.type(eps))
        xhat = (deviations * invstd).reshape(x.shape)
    param_axes = tuple(i for i, d in enumerate(param_bshape) if d == 1)
    given = gamma if gamma is not None else beta
    # gamma's own shape: a size-1 axis of param_bshape may be a real axis of gamma (one channel, for instance).
    param_shape = tuple(d for i, d in enumerate(param_bshape) if d != 1) if given is None else np.shape(given)
    gamma_b = None if gamma is None else np.asarray(gamma, dtype=x.dtype).reshape(param_bshape)
    y = xhat if gamma_b is None else xhat * gamma_b
    if beta is not None:
        y = y + np.asarray(beta, dtype=x.dtype).reshape(param_bshape)
    cache = NormCache(
        xhat=xhat, invstd=invstd, gamma=gamma_b, has_beta=beta is not None, view_shape=xv.shape,
        stat_axes=tuple(stat_axes), param_axes=param_axes, param_shape=param_shape, centered=centered,
        batch_stats=stats is None, mean=mean, var=var,
    )
    return y, cache


def norm_backward(dy, cache: NormCache) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Gradients of any layer built by `normalize_forward`.

    With g = dy * gamma (the gradient reaching xhat), M values per statistic and means over each normalized group:
        dbeta  = sum(dy)                  over the axes beta is shared across
        dgamma = sum(dy * xhat)           over the axes gamma is shared across
        dx     = invstd * (g - mean(g) - xhat * mean(g * xhat))   (batch statistics)
        dx     = invstd * (g - xhat * mean(g * xhat))             (RMSNorm: its mean is fixed at 0)
        dx     = invstd * g                                        (fixed statistics, BatchNorm eval)
    dy: x's shape. Returns (dx, dgamma, dbeta); dgamma/dbeta are None when the layer has no gamma/beta.
    """
    dtype = cache.xhat.dtype
    dy = np.asarray(dy, dtype=dtype)
    if dy.shape != cache.xhat.shape:
        raise RuntimeError(f"dy must have the output's shape {cache.xhat.shape}, got {dy.shape}")  # as torch

    def param_sum(v: np.ndarray) -> np.ndarray:
        return group_sum(v, cache.param_axes).astype(dtype).reshape(cache.param_shape)

    def group_mean(v: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):  # an empty group: 0 / 0, a NaN that reaches no element
            return (group_sum(v, cache.stat_axes) / cache.group_size).astype(dtype)

    dbeta = param_sum(dy) if cache.has_beta else None
    dgamma = None if cache.gamma is None else param_sum(dy * cache.xhat)
    g = (dy if cache.gamma is None else dy * cache.gamma).reshape(cache.view_shape)
    xhat = cache.xhat.reshape(cache.view_shape)
    dx = g
    if cache.batch_stats:
        dx = g - xhat * group_mean(g * xhat)
        if cache.centered:
            dx = dx - group_mean(g)
    return (dx * cache.invstd).reshape(dy.shape), dgamma, dbeta
