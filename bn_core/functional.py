"""Normalization layers as pure functions, with one forward and one backward that serve them all.

Every layer here is "subtract the mean and divide by the standard deviation over some axes, then scale
by gamma and shift by beta". The layers differ only in which axes share a statistic and in the shape of
gamma and beta:

| layer          | statistics over (for x of shape (N, C, H, W)) | gamma, beta shape |
| -------------- | --------------------------------------------- | ----------------- |
| batch_norm     | (N, H, W) per channel                         | (C,)              |
| layer_norm     | the trailing `normalized_shape` axes          | normalized_shape  |
| instance_norm  | (H, W) per sample and channel                 | (C,)              |
| group_norm     | (C/G, H, W) per sample and group              | (C,)              |
| rms_norm       | trailing axes, root mean square, no centering | normalized_shape  |

`*_forward` functions return `(y, cache)`; `norm_backward(dy, cache)` returns `(dx, dgamma, dbeta)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .stats import as_float_array, count_reduced, group_sum, mean_and_deviations


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


def _channel_param(p, num_channels: int, name: str, dtype) -> np.ndarray | None:
    """Validate a per-channel vector of shape (C,)."""
    if p is None:
        return None
    p = np.asarray(p, dtype=dtype)
    if p.shape != (num_channels,):
        raise ValueError(
            f"{name} must have shape ({num_channels},) to match the {num_channels} channels, got {p.shape}"
        )
    return p


def _channel_broadcast_shape(x: np.ndarray) -> tuple[int, ...]:
    """(1, C, 1, ..., 1): the shape that makes a (C,) vector broadcast against x of shape (N, C, *)."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


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


def batch_norm_axes(ndim: int) -> tuple[int, ...]:
    """Axes batch norm reduces for an input with `ndim` dimensions: every axis but 1 (the channels)."""
    return (0,) + tuple(range(2, ndim))


def batch_norm_forward(
    x,
    gamma=None,
    beta=None,
    *,
    eps: float = 1e-5,
    running_mean=None,
    running_var=None,
    training: bool = True,
    allow_single_value: bool = False,
) -> tuple[np.ndarray, NormCache]:
    """Batch normalization, PyTorch semantics (torch.nn.functional.batch_norm without the running update).

    x: (N, C), (N, C, L) or (N, C, H, W). gamma, beta, running_mean, running_var: (C,).
    training=True normalizes with the batch mean and the *biased* batch variance (divide by M = N*H*W);
    training=False uses running_mean and running_var instead.
    allow_single_value: Keras normalizes a single value per channel (to beta); PyTorch raises, the default.
    Returns (y, cache); y has x's shape and dtype. The running statistics are never modified here:
    `BatchNorm` does that.
    """
    x = as_float_array(x)
    if x.ndim < 2:
        raise ValueError(f"batch_norm expects input of shape (N, C), (N, C, L) or (N, C, H, W); got shape {x.shape}")
    c = x.shape[1]
    gamma = _channel_param(gamma, c, "gamma", x.dtype)
    beta = _channel_param(beta, c, "beta", x.dtype)
    axes = batch_norm_axes(x.ndim)
    bshape = _channel_broadcast_shape(x)
    if training:
        m = count_reduced(x.shape, axes)
        if m == 0:
            raise ValueError(f"batch_norm got an empty batch (input size {x.shape}): there is nothing to normalize")
        if m == 1 and not allow_single_value:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size {x.shape}: the batch "
                "variance of a single value is 0, so nothing is left to normalize. Use a batch of at least 2, "
                "eval mode (running statistics), or a layer that does not depend on the batch (LayerNorm, GroupNorm)."
            )
        return normalize_forward(x, stat_axes=axes, param_bshape=bshape, gamma=gamma, beta=beta, eps=eps)
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm with training=False needs running_mean and running_var")
    running_mean = _channel_param(running_mean, c, "running_mean", x.dtype).reshape(bshape)
    running_var = _channel_param(running_var, c, "running_var", x.dtype).reshape(bshape)
    return normalize_forward(
        x, stat_axes=axes, param_bshape=bshape, gamma=gamma, beta=beta, eps=eps, stats=(running_mean, running_var)
    )


def layer_norm_forward(
    x, normalized_shape, gamma=None, beta=None, *, eps: float = 1e-5
) -> tuple[np.ndarray, NormCache]:
    """Layer normalization (torch.nn.functional.layer_norm): statistics per sample over the trailing axes.

    x: (*, *normalized_shape). gamma, beta: normalized_shape (elementwise). Returns (y, cache).
    """
    x = as_float_array(x)
    shape = _trailing_shape(x, normalized_shape, "layer_norm")
    k = len(shape)
    gamma = _elementwise_param(gamma, shape, "gamma", x.dtype)
    beta = _elementwise_param(beta, shape, "beta", x.dtype)
    axes = tuple(range(x.ndim - k, x.ndim))
    bshape = (1,) * (x.ndim - k) + shape
    return normalize_forward(x, stat_axes=axes, param_bshape=bshape, gamma=gamma, beta=beta, eps=eps)


def _trailing_shape(x: np.ndarray, normalized_shape, name: str) -> tuple[int, ...]:
    shape = (normalized_shape,) if np.isscalar(normalized_shape) else tuple(normalized_shape)
    shape = tuple(int(d) for d in shape)
    if not shape or len(shape) > x.ndim or x.shape[x.ndim - len(shape):] != shape:
        raise ValueError(f"{name}: normalized_shape {shape} must match the trailing axes of the input shape {x.shape}")
    return shape


def _elementwise_param(p, shape: tuple[int, ...], name: str, dtype) -> np.ndarray | None:
    if p is None:
        return None
    p = np.asarray(p, dtype=dtype)
    if p.shape != shape:
        raise ValueError(f"{name} must have the normalized shape {shape}, got {p.shape}")
    return p


def group_norm_forward(x, num_groups: int, gamma=None, beta=None, *, eps: float = 1e-5) -> tuple[np.ndarray, NormCache]:
    """Group normalization (torch.nn.functional.group_norm): channels split into `num_groups` groups,
    statistics per sample and group over the group's channels and all spatial positions.

    x: (N, C, *) with C divisible by num_groups. gamma, beta: (C,). Returns (y, cache).
    """
    x = as_float_array(x)
    if x.ndim < 2:
        raise ValueError(f"group_norm expects input of shape (N, C, *), got shape {x.shape}")
    n, c = x.shape[:2]
    if int(num_groups) != num_groups or num_groups < 1 or c % num_groups:
        raise ValueError(f"num_groups must be a positive divisor of the number of channels {c}, got {num_groups}")
    gamma = _channel_param(gamma, c, "gamma", x.dtype)
    beta = _channel_param(beta, c, "beta", x.dtype)
    return normalize_forward(
        x, stat_axes=(2,), view_shape=(n, int(num_groups), -1),
        param_bshape=_channel_broadcast_shape(x), gamma=gamma, beta=beta, eps=eps,
    )


def instance_norm_forward(x, gamma=None, beta=None, *, eps: float = 1e-5) -> tuple[np.ndarray, NormCache]:
    """Instance normalization (torch.nn.functional.instance_norm with input statistics):
    statistics per sample and channel over the spatial axes.

    x: (N, C, L) or (N, C, H, W) with more than one spatial element. gamma, beta: (C,). Returns (y, cache).
    """
    x = as_float_array(x)
    if x.ndim < 3:
        raise ValueError(f"instance_norm expects input of shape (N, C, L) or (N, C, H, W), got shape {x.shape}")
    axes = tuple(range(2, x.ndim))
    if count_reduced(x.shape, axes) <= 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size {x.shape}: "
            "instance norm takes its statistics over the spatial positions of each channel."
        )
    c = x.shape[1]
    gamma = _channel_param(gamma, c, "gamma", x.dtype)
    beta = _channel_param(beta, c, "beta", x.dtype)
    return normalize_forward(
        x, stat_axes=axes, param_bshape=_channel_broadcast_shape(x), gamma=gamma, beta=beta, eps=eps
    )


def rms_norm_forward(x, normalized_shape, gamma=None, *, eps: float = 1e-6) -> tuple[np.ndarray, NormCache]:
    """RMS normalization (torch.nn.functional.rms_norm): y = x / sqrt(mean(x^2) + eps) * gamma over the
    trailing axes; no mean subtraction and no beta.

    x: (*, *normalized_shape). gamma: normalized_shape. Returns (y, cache).
    """
    x = as_float_array(x)
    shape = _trailing_shape(x, normalized_shape, "rms_norm")
    gamma = _elementwise_param(gamma, shape, "gamma", x.dtype)
    k = len(shape)
    return normalize_forward(
        x, stat_axes=tuple(range(x.ndim - k, x.ndim)), param_bshape=(1,) * (x.ndim - k) + shape,
        gamma=gamma, eps=eps, centered=False,
    )


def batch_norm(x, gamma=None, beta=None, *, eps=1e-5, running_mean=None, running_var=None, training=True):
    """Batch normalization output only; see `batch_norm_forward`."""
    return batch_norm_forward(
        x, gamma, beta, eps=eps, running_mean=running_mean, running_var=running_var, training=training
    )[0]


def layer_norm(x, normalized_shape, gamma=None, beta=None, *, eps=1e-5):
    """Layer normalization output only; see `layer_norm_forward`."""
    return layer_norm_forward(x, normalized_shape, gamma, beta, eps=eps)[0]


def group_norm(x, num_groups, gamma=None, beta=None, *, eps=1e-5):
    """Group normalization output only; see `group_norm_forward`."""
    return group_norm_forward(x, num_groups, gamma, beta, eps=eps)[0]


def instance_norm(x, gamma=None, beta=None, *, eps=1e-5):
    """Instance normalization output only; see `instance_norm_forward`."""
    return instance_norm_forward(x, gamma, beta, eps=eps)[0]


def rms_norm(x, normalized_shape, gamma=None, *, eps=1e-6):
    """RMS normalization output only; see `rms_norm_forward`."""
    return rms_norm_forward(x, normalized_shape, gamma, eps=eps)[0]
