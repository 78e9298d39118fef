"""Normalization layers as pure functions: each is `normalize_forward` with its own axes and affine shape.

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

Each function accepts and refuses what its torch 2.13 namesake does, raising the same kind of error
(ValueError or RuntimeError) with a message that says why; the default eps is torch's.
`*_forward` functions return `(y, cache)`; `norm_backward(dy, cache)` returns `(dx, dgamma, dbeta)`.
"""

from __future__ import annotations

import numpy as np

from .normalize import NormCache, normalize_forward
from .stats import as_float_array, count_reduced


def _channel_param(p, num_channels: int, name: str, dtype) -> np.ndarray | None:
    """Validate a per-channel vector of shape (C,)."""
    if p is None:
        return None
    p = np.asarray(p, dtype=dtype)
    if p.shape != (num_channels,):
        raise RuntimeError(
            f"{name} must have shape ({num_channels},) to match the {num_channels} channels, got {p.shape}"
        )
    return p


def _channel_broadcast_shape(x: np.ndarray) -> tuple[int, ...]:
    """(1, C, 1, ..., 1): the shape that makes a (C,) vector broadcast against x of shape (N, C, *)."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def batch_norm_axes(ndim: int) -> tuple[int, ...]:
    """Axes batch norm reduces for an input with `ndim` dimensions: every axis but 1 (the channels)."""
    return (0,) + tuple(range(2, ndim))


def check_training_batch(shape: tuple[int, ...], eps: float) -> None:
    """torch's two refusals in training, in its order: a single value per channel (N * H * W == 1), eps <= 0."""
    if count_reduced(shape, batch_norm_axes(len(shape))) == 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {shape}: the batch "
            "variance of a single value is 0, so nothing is left to normalize. Use a batch of at least 2, "
            "eval mode (running statistics), or a layer that does not depend on the batch (LayerNorm, GroupNorm)."
        )
    if eps <= 0:
        raise ValueError(
            f"batch_norm eps must be positive during training, but got {eps}: a channel whose batch values are all "
            "equal has variance 0, and sqrt(0 + eps) is then 0 (0/0 = NaN) or the root of a negative number. "
            "torch 2.13 refuses it in training; in eval mode (eps >= 0), LayerNorm, GroupNorm and the bare "
            "formula (normalize_forward) accept eps = 0"
        )


def batch_norm_forward(
    x, gamma=None, beta=None, *, eps: float = 1e-5, running_mean=None, running_var=None, training: bool = True
) -> tuple[np.ndarray, NormCache]:
    """Batch normalization, as torch.nn.functional.batch_norm without its in-place running update.

    x: (N, C), (N, C, L) or (N, C, H, W). gamma, beta, running_mean, running_var: (C,).
    training=True normalizes with the batch mean and the *biased* batch variance (divide by M = N*H*W); it needs
    eps > 0 and more than one value per channel. training=False uses running_mean and running_var; eps >= 0.
    An empty batch gives an empty output. Returns (y, cache); y has x's shape and dtype.
    The running statistics are never modified here: `BatchNorm` does that.
    """
    x = as_float_array(x)
    if x.ndim < 2:
        raise ValueError(f"batch_norm expects input of shape (N, C), (N, C, L) or (N, C, H, W); got shape {x.shape}")
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be None or neither be None")
    c = x.shape[1]
    gamma = _channel_param(gamma, c, "gamma", x.dtype)
    beta = _channel_param(beta, c, "beta", x.dtype)
    axes, bshape = batch_norm_axes(x.ndim), _channel_broadcast_shape(x)
    if training:
        check_training_batch(x.shape, eps)
        return normalize_forward(x, stat_axes=axes, param_bshape=bshape, gamma=gamma, beta=beta, eps=eps)
    if running_mean is None:
        raise RuntimeError("running_mean must be defined in evaluation mode: eval normalizes with running statistics")
    if eps < 0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}: running_var + eps could be negative")
    stats = (_channel_param(running_mean, c, "running_mean", x.dtype).reshape(bshape),
             _channel_param(running_var, c, "running_var", x.dtype).reshape(bshape))
    return normalize_forward(x, stat_axes=axes, param_bshape=bshape, gamma=gamma, beta=beta, eps=eps, stats=stats)


def layer_norm_forward(
    x, normalized_shape, gamma=None, beta=None, *, eps: float = 1e-5
) -> tuple[np.ndarray, NormCache]:
    """Layer normalization (torch.nn.functional.layer_norm): statistics per sample over the trailing axes.

    x: (*, *normalized_shape). gamma, beta: normalized_shape (elementwise). Any eps, as torch. Returns (y, cache).
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
        raise RuntimeError(
            f"{name}: normalized_shape {shape} must match the trailing axes of the input shape {x.shape} "
            "(at least one axis): the statistics are taken over exactly those axes"
        )
    return shape


def _elementwise_param(p, shape: tuple[int, ...], name: str, dtype) -> np.ndarray | None:
    if p is None:
        return None
    p = np.asarray(p, dtype=dtype)
    if p.shape != shape:
        raise RuntimeError(f"{name} must have the normalized shape {shape}, one value per element, got {p.shape}")
    return p


def group_norm_forward(x, num_groups: int, gamma=None, beta=None, *, eps: float = 1e-5) -> tuple[np.ndarray, NormCache]:
    """Group normalization (torch.nn.functional.group_norm): channels split into `num_groups` groups,
    statistics per sample and group over the group's channels and all spatial positions.

    x: (N, C, *) with C divisible by num_groups. gamma, beta: (C,). Any eps, as torch. Returns (y, cache).
    """
    x = as_float_array(x)
    if x.ndim < 2:
        raise RuntimeError(f"group_norm expects input of shape (N, C, *) (at least 2 dimensions), got {x.shape}")
    if int(num_groups) != num_groups:
        raise TypeError(f"num_groups must be an integer, got {num_groups!r}")
    num_groups = int(num_groups)
    n, c = x.shape[:2]
    if num_groups == 0:  # torch's own C % G fails first
        raise ZeroDivisionError("num_groups must be positive: the channels cannot be split into 0 groups")
    if num_groups < 0:
        raise RuntimeError(f"Expected num groups to be greater than 0, got {num_groups}")
    if c % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got input of shape {x.shape} "
            f"and num_groups={num_groups}: each group holds C/G whole channels"
        )
    gamma = _channel_param(gamma, c, "gamma", x.dtype)
    beta = _channel_param(beta, c, "beta", x.dtype)
    group_values = count_reduced(x.shape, tuple(range(1, x.ndim))) // num_groups
    return normalize_forward(
        x, stat_axes=(2,), view_shape=(n, num_groups, group_values),
        param_bshape=_channel_broadcast_shape(x), gamma=gamma, beta=beta, eps=eps,
    )


def instance_norm_forward(
    x, gamma=None, beta=None, *, eps: float = 1e-5, running_mean=None, running_var=None, use_input_stats: bool = True
) -> tuple[np.ndarray, NormCache]:
    """Instance normalization (torch.nn.functional.instance_norm): statistics per sample and channel over the
    spatial axes. use_input_stats=False normalizes with running_mean and running_var instead, as
    InstanceNorm(track_running_stats=True) does in eval mode.

    x: (N, C, L) or (N, C, H, W); with input statistics more than one spatial element. gamma, beta, running_mean,
    running_var: (C,). Any eps, as torch. Returns (y, cache).
    """
    x = as_float_array(x)
    if x.ndim < 2:
        raise ValueError(f"instance_norm expects input of shape (N, C, L) or (N, C, H, W), got shape {x.shape}")
    c = x.shape[1]
    gamma = _channel_param(gamma, c, "gamma", x.dtype)
    beta = _channel_param(beta, c, "beta", x.dtype)
    axes, bshape = tuple(range(2, x.ndim)), _channel_broadcast_shape(x)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
        stats = (_channel_param(running_mean, c, "running_mean", x.dtype).reshape(bshape),
                 _channel_param(running_var, c, "running_var", x.dtype).reshape(bshape))
        return normalize_forward(x, stat_axes=axes, param_bshape=bshape, gamma=gamma, beta=beta, eps=eps, stats=stats)
    if count_reduced(x.shape, axes) == 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size {x.shape}: "
            "instance norm takes its statistics over the spatial positions of each channel."
        )
    return normalize_forward(x, stat_axes=axes, param_bshape=bshape, gamma=gamma, beta=beta, eps=eps)


def rms_norm_forward(x, normalized_shape, gamma=None, *, eps: float | None = None) -> tuple[np.ndarray, NormCache]:
    """RMS normalization (torch.nn.functional.rms_norm): y = x / sqrt(mean(x^2) + eps) * gamma over the
    trailing axes; no mean subtraction and no beta. eps=None (torch's default) is the machine epsilon of x's
    dtype, np.finfo(dtype).eps: 2.2e-16 for float64, 1.2e-7 for float32.

    x: (*, *normalized_shape). gamma: normalized_shape. Returns (y, cache).
    """
    x = as_float_array(x)
    if not np.isscalar(normalized_shape) and len(normalized_shape) > x.ndim:  # torch raises a ValueError here
        raise ValueError(f"Input tensor must have at least {len(normalized_shape)} dimensions, but got {x.ndim}")
    shape = _trailing_shape(x, normalized_shape, "rms_norm")
    gamma = _elementwise_param(gamma, shape, "gamma", x.dtype)
    k = len(shape)
    return normalize_forward(
        x, stat_axes=tuple(range(x.ndim - k, x.ndim)), param_bshape=(1,) * (x.ndim - k) + shape,
        gamma=gamma, eps=float(np.finfo(x.dtype).eps) if eps is None else eps, centered=False,
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


def instance_norm(x, gamma=None, beta=None, *, eps=1e-5, running_mean=None, running_var=None, use_input_stats=True):
    """Instance normalization output only; see `instance_norm_forward`."""
    return instance_norm_forward(x, gamma, beta, eps=eps, running_mean=running_mean, running_var=running_var,
                                 use_input_stats=use_input_stats)[0]


def rms_norm(x, normalized_shape, gamma=None, *, eps=None):
    """RMS normalization output only; see `rms_norm_forward`."""
    return rms_norm_forward(x, normalized_shape, gamma, eps=eps)[0]
