"""Folding a BatchNorm into the layer before it, for deployment.

In eval mode BatchNorm is a fixed affine map per channel, so it merges with the Linear or convolution before it:

    W' = γ / √(σ²_run + ε) · W          (each output channel's row of W scaled)
    b' = γ (b − μ_run) / √(σ²_run + ε) + β

This is what torch.nn.utils.fusion.fuse_linear_bn_eval / fuse_conv_bn_eval and torch.ao.quantization.fuse_modules
do. The folded layer equals Linear + BN in eval mode (to rounding) and differs in training mode, where BN uses the
batch's own μ_B, σ²_B instead of the running statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bn_core.batchnorm import BatchNorm
from bn_core.functional import batch_norm_axes
from bn_core.stats import batch_mean, batch_var

LAYERS = ("Linear", "Conv 3×3")
CONV_SIZE = 6  # input images are CONV_SIZE × CONV_SIZE; a valid 3×3 convolution leaves 4 × 4
KERNEL = 3
WARMUP_BATCHES = 50  # training batches that give the BN layer its running statistics


def conv2d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """A valid, stride-1 convolution (cross-correlation, as torch.nn.Conv2d) written as an einsum.

    x: (N, C_in, H, W); weight: (C_out, C_in, k, k); bias: (C_out,). Returns (N, C_out, H − k + 1, W − k + 1).
    """
    k = weight.shape[-1]
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))  # (N, C_in, H', W', k, k)
    return np.einsum("nchwij,ocij->nohw", windows, weight) + bias[None, :, None, None]


def linear(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """y = x Wᵀ + b as torch.nn.Linear: x (N, D_in), weight (D_out, D_in), bias (D_out,) -> (N, D_out)."""
    return x @ weight.T + bias


def fold(weight: np.ndarray, bias: np.ndarray, bn: BatchNorm) -> tuple[np.ndarray, np.ndarray]:
    """(W', b') of the layer that equals layer(W, b) followed by `bn` in eval mode.

    weight: (C_out, ...) with the output channel first (Linear (D_out, D_in), Conv (C_out, C_in, k, k)); bias (C_out,).
    """
    scale = bn.gamma / np.sqrt(bn.running_var + bn.eps)
    folded_weight = weight * scale.reshape((-1,) + (1,) * (weight.ndim - 1))
    folded_bias = (bias - bn.running_mean) * scale + bn.beta
    return folded_weight.astype(weight.dtype), folded_bias.astype(weight.dtype)


@dataclass(frozen=True)
class FoldingResult:
    """Linear/Conv + BN against the folded layer on one batch of N inputs.

    reference_eval, reference_train: the layer + BN outputs in eval / training mode; folded: the folded layer's.
    batch_mean, batch_std, running_mean, running_std: (C_out,) the statistics each mode normalizes with
    (std = √(var + ε)).
    """

    layer: str
    dtype: str
    reference_eval: np.ndarray
    reference_train: np.ndarray
    folded: np.ndarray
    batch_mean: np.ndarray
    batch_std: np.ndarray
    running_mean: np.ndarray
    running_std: np.ndarray

    @property
    def eval_difference(self) -> float:
        """max |folded − (layer + BN in eval mode)|."""
        return float(np.max(np.abs(self.folded.astype(np.float64) - self.reference_eval)))

    @property
    def train_difference(self) -> float:
        """max |folded − (layer + BN in training mode)|."""
        return float(np.max(np.abs(self.folded.astype(np.float64) - self.reference_train)))


def _inputs(layer: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """A batch with per-feature offsets and scales, as activations have: (N, 4) or (N, 3, 6, 6)."""
    if layer == "Linear":
        return rng.normal([1.0, -2.0, 0.5, 3.0], [1.0, 0.5, 2.0, 1.5], size=(n, 4))
    return rng.normal(0.5, 1.0, size=(n, 3, CONV_SIZE, CONV_SIZE)) + np.array([1.0, -1.0, 0.0])[None, :, None, None]


def folding_experiment(layer: str = "Linear", batch_size: int = 16, dtype: str = "float64", seed: int = 0
                       ) -> FoldingResult:
    """Give a layer + BN running statistics (WARMUP_BATCHES training batches) and random γ, β; then compare it,
    in both modes, with the folded layer on a fresh batch of `batch_size` inputs, computed in `dtype`."""
    if layer not in LAYERS:
        raise ValueError(f"layer must be one of {LAYERS}, got {layer!r}")
    if batch_size < 2:
        raise ValueError(f"training-mode BatchNorm needs a batch of at least 2, got {batch_size}")
    rng = np.random.default_rng(seed)
    channels = 3 if layer == "Linear" else 4
    fan_in = 4 if layer == "Linear" else 3 * KERNEL * KERNEL
    shape = (channels, 4) if layer == "Linear" else (channels, 3, KERNEL, KERNEL)
    weight = rng.standard_normal(shape) / np.sqrt(fan_in)
    bias = rng.standard_normal(channels)
    forward = linear if layer == "Linear" else conv2d
    bn = BatchNorm(channels)
    bn.gamma[:] = rng.uniform(0.5, 2.0, channels)
    bn.beta[:] = rng.normal(0.0, 1.0, channels)
    for _ in range(WARMUP_BATCHES):
        bn(forward(_inputs(layer, batch_size, rng), weight, bias))
    bn.eval()
    x = _inputs(layer, batch_size, rng)
    hidden = forward(x, weight, bias)
    reference_eval = bn(hidden)
    folded_weight, folded_bias = fold(weight, bias, bn)
    t = np.dtype(dtype).type
    folded = forward(x.astype(t), folded_weight.astype(t), folded_bias.astype(t))
    running_mean, running_std = bn.running_mean, np.sqrt(bn.running_var + bn.eps)
    axes = batch_norm_axes(hidden.ndim)
    return FoldingResult(
        layer=layer, dtype=dtype, reference_eval=reference_eval, reference_train=bn.train()(hidden), folded=folded,
        batch_mean=batch_mean(hidden, axes), batch_std=np.sqrt(batch_var(hidden, axes) + bn.eps),
        running_mean=running_mean, running_std=running_std,
    )
