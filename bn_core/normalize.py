"""The one mechanism behind every normalization layer: normalize over a set of axes, scale and shift, and its
backward.

    xhat = (x - mean) / sqrt(var + eps)   statistics over `stat_axes` (two-pass, biased variance)
    y    = gamma * xhat + beta            gamma, beta broadcast with `param_bshape`

`normalize_forward` returns `(y, cache)`; `norm_backward(dy, cache)` returns `(dx, dgamma, dbeta)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .stats import count_reduced, group_sum, mean_and_deviations


@dataclass(frozen=True)
class NormCache:
    """What the backward pass needs from the forward pass.

    xhat:        normalized input, x's shape.
    mean, var:   the statistics used, in `view_shape` with reduced axes kept as size 1 (for RMSNorm, mean is 0
                 and var is the mean square). In BatchNorm eval mode these are the running statistics.
    invstd:      1 / sqrt(var + eps), same shape as var.
    gamma:       gamma broadcast against x, or None without a scale.
    has_beta:    whether a shift was applied (RMSNorm has none).
    view_shape:  shape in which statistics are taken: x's shape, or (N, G, -1) for group norm.
    stat_axes:   axes of the view that each statistic reduces.
    param_axes:  axes of x that gamma and beta are shared across (summed for their gradients).
    param_shape: shape of gamma and beta.
    centered:    False for RMSNorm (no mean subtraction).
    batch_stats: False when the statistics are constants (BatchNorm in eval mode).
    """

    xhat: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    invstd: np.ndarray
    gamma: np.ndarray | None
    has_beta: bool
    view_shape: tuple[int, ...]
    stat_axes: tuple[int, ...]
    param_axes: tuple[int, ...]
    param_shape: tuple[int, ...]
    centered: bool = True
    batch_stats: bool = True

    @property
    def group_size(self) -> int:
        """M, the number of values that share one statistic."""
        return count_reduced(self.view_shape, self.stat_axes)


def _check_eps(eps: float) -> None:
    if not np.isfinite(eps) or eps < 0:
        raise ValueError(f"eps must be a finite number >= 0, got {eps}")


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
    _check_eps(eps)
    xv = x if view_shape is None else x.reshape(view_shape)
    view_shape = xv.shape
    m = count_reduced(view_shape, stat_axes)
    with np.errstate(divide="ignore", invalid="ignore"):
        if stats is not None:
            mean = np.asarray(stats[0], dtype=x.dtype)
            var = np.asarray(stats[1], dtype=x.dtype)
            deviations = xv - mean
        elif centered:
            mean, deviations = mean_and_deviations(xv, stat_axes)
            var = (group_sum(deviations, stat_axes, deviations) / m).astype(x.dtype)
        else:
            deviations = xv
            mean = np.zeros((1,) * xv.ndim, dtype=x.dtype)
            var = (group_sum(xv, stat_axes, xv) / m).astype(x.dtype)
        invstd = 1.0 / np.sqrt(var + x.dtype.type(eps))
        # deviations is a fresh array except for RMSNorm, where it is the input: scale it in place when we own it.
        xhat = xv * invstd if deviations is xv else np.multiply(deviations, invstd, out=deviations)
        xhat = xhat.reshape(x.shape)
    param_axes = tuple(i for i, d in enumerate(param_bshape) if d == 1)
    given = gamma if gamma is not None else beta
    # gamma's own shape: a size-1 axis of param_bshape may be a real axis of gamma (one channel, for instance).
    param_shape = _squeeze_to(param_bshape, param_axes) if given is None else np.shape(given)
    gamma_b = None if gamma is None else np.asarray(gamma, dtype=x.dtype).reshape(param_bshape)
    y = xhat if gamma_b is None else xhat * gamma_b
    if beta is not None:
        beta_b = np.asarray(beta, dtype=x.dtype).reshape(param_bshape)
        y = y + beta_b if y is xhat else np.add(y, beta_b, out=y)
    cache = NormCache(
        xhat=xhat, mean=mean, var=var, invstd=invstd, gamma=gamma_b, has_beta=beta is not None,
        view_shape=view_shape, stat_axes=tuple(stat_axes), param_axes=param_axes, param_shape=param_shape,
        centered=centered, batch_stats=stats is None,
    )
    return y, cache


def _squeeze_to(bshape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(d for i, d in enumerate(bshape) if i not in axes)


def norm_backward(dy, cache: NormCache) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Gradients of any layer built by `normalize_forward`.

    With g = dy * gamma, M values per statistic and sums over each normalized group:
        dbeta  = sum(dy)                  over the axes beta is shared across
        dgamma = sum(dy * xhat)           over the axes gamma is shared across
        dx     = invstd * (g - mean(g) - xhat * mean(g * xhat))   (centered layers)
        dx     = invstd * (g - xhat * mean(g * xhat))             (RMSNorm)
        dx     = invstd * g                                        (fixed statistics, BatchNorm eval)
    dy: x's shape. Returns (dx, dgamma, dbeta); dgamma/dbeta are None when the layer has no gamma/beta.
    """
    dtype = cache.xhat.dtype
    dy = np.asarray(dy, dtype=dtype)
    if dy.shape != cache.xhat.shape:
        raise ValueError(f"dy must have the output's shape {cache.xhat.shape}, got {dy.shape}")
    param_axes = cache.param_axes
    dbeta = group_sum(dy, param_axes).astype(dtype).reshape(cache.param_shape) if cache.has_beta else None
    dgamma = None
    g, scale = dy, cache.invstd
    if cache.gamma is not None:
        dgamma = group_sum(dy, param_axes, cache.xhat).astype(dtype).reshape(cache.param_shape)
        if _gamma_factors_out(cache):
            # Batch and instance norm: one gamma per normalized group, so it factors out of mean(g) and
            # mean(g * xhat), and g = dy * gamma is never formed.
            scale = cache.invstd * cache.gamma
        else:
            g = dy * cache.gamma
    g = g.reshape(cache.view_shape)
    if not cache.batch_stats:
        return (g * scale).reshape(dy.shape), dgamma, dbeta
    dx = _centered_gradient(g, cache.xhat.reshape(cache.view_shape), cache)
    dx *= scale
    return dx.reshape(dy.shape), dgamma, dbeta


def _gamma_factors_out(cache: NormCache) -> bool:
    """True when every normalized group shares one gamma: statistics taken in x's own shape, over axes that
    gamma is also shared across (batch norm, instance norm; not layer or group norm)."""
    return cache.view_shape == cache.xhat.shape and set(cache.stat_axes) <= set(cache.param_axes)


def _centered_gradient(g: np.ndarray, xv: np.ndarray, cache: NormCache) -> np.ndarray:
    """g - mean(g) - xhat * mean(g * xhat) per normalized group (without the mean(g) term for RMSNorm).

    g, xv: the upstream gradient and xhat in the view shape. Returns a new array of that shape, built in place:
    four passes over memory and no other full-size temporary.
    """
    m = cache.group_size
    axes = cache.stat_axes
    dx = np.multiply(xv, (group_sum(g, axes, xv) / m).astype(xv.dtype))
    if cache.centered:
        dx += (group_sum(g, axes) / m).astype(xv.dtype)
    return np.subtract(g, dx, out=dx)
