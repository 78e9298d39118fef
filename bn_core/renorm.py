"""Two fixes for batch normalization's dependence on the minibatch: Batch Renormalization and Ghost BatchNorm.

Batch Renormalization (Ioffe 2017, arXiv:1702.03275) normalizes with the batch statistics but then corrects
towards the running ones:

    σ_B = √(var_B + ε),  r = clip(σ_B / σ, 1/r_max, r_max),  d = clip((μ_B − μ) / σ, −d_max, d_max)
    x̂ = (x − μ_B) / σ_B · r + d,  y = γ x̂ + β,  then  μ += α (μ_B − μ),  σ += α (σ_B − σ)

r and d are constants for the backward pass. While they are not clipped, x̂ = (x − μ) / σ: training computes
what inference computes. r_max = 1, d_max = 0 is plain batch normalization.

Ghost Batch Normalization (Hoffer et al. 2017, arXiv:1705.08741) splits a large batch into virtual batches
and batch-normalizes each on its own, so the statistics are as noisy as a small batch's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .batchnorm import BatchNorm
from .functional import batch_norm_axes, batch_norm_forward
from .stats import as_float_array, mean_and_deviations


@dataclass(frozen=True)
class RenormStats:
    """The statistics of one Batch Renorm training forward, each of shape (C,).

    batch_mean, batch_std: μ_B and σ_B = √(var_B + ε) (biased variance).
    r, d: the clipped corrections actually applied.
    clipped: True for the channels where r or d hit its limit.
    """

    batch_mean: np.ndarray
    batch_std: np.ndarray
    r: np.ndarray
    d: np.ndarray
    clipped: np.ndarray


def _channel_view(v: np.ndarray, ndim: int) -> np.ndarray:
    """(C,) -> (1, C, 1, ..., 1) for an input with `ndim` dimensions."""
    return np.asarray(v, dtype=np.float64).reshape((1, -1) + (1,) * (ndim - 2))


def _affine(xhat: np.ndarray, gamma, beta) -> np.ndarray:
    y = xhat if gamma is None else xhat * _channel_view(gamma, xhat.ndim)
    return y if beta is None else y + _channel_view(beta, xhat.ndim)


def batch_renorm_forward(
    x, running_mean, running_std, *, r_max: float, d_max: float, gamma=None, beta=None, eps: float = 1e-5
) -> tuple[np.ndarray, RenormStats]:
    """Batch Renormalization in training mode; the running statistics are not modified here.

    x: (N, C) or (N, C, *); running_mean, running_std, gamma, beta: (C,). r_max >= 1, d_max >= 0.
    Returns (y of x's shape, RenormStats).
    """
    x = as_float_array(x)
    if r_max < 1 or d_max < 0:
        raise ValueError(f"need r_max >= 1 and d_max >= 0, got r_max={r_max}, d_max={d_max}")
    if x.ndim < 2 or x.size // max(x.shape[1], 1) < 2:
        raise ValueError(f"Batch Renorm needs more than 1 value per channel when training, got input size {x.shape}")
    axes = batch_norm_axes(x.ndim)
    mean, deviations = mean_and_deviations(x, axes)
    batch_std = np.sqrt(np.square(deviations).mean(axis=axes) + eps)
    batch_mean = mean.reshape(-1)
    running_mean = np.asarray(running_mean, dtype=np.float64)
    running_std = np.asarray(running_std, dtype=np.float64)
    raw_r = batch_std / running_std
    raw_d = (batch_mean - running_mean) / running_std
    r = np.clip(raw_r, 1.0 / r_max, r_max)
    d = np.clip(raw_d, -d_max, d_max)
    xhat = deviations / _channel_view(batch_std, x.ndim) * _channel_view(r, x.ndim) + _channel_view(d, x.ndim)
    stats = RenormStats(batch_mean, batch_std, r, d, (r != raw_r) | (d != raw_d))
    return _affine(xhat, gamma, beta), stats


def renorm_inference(x, running_mean, running_std, *, gamma=None, beta=None) -> np.ndarray:
    """Batch Renorm at inference: y = γ (x − μ) / σ + β with the running μ and σ. x: (N, C, *)."""
    x = as_float_array(x)
    xhat = (x - _channel_view(running_mean, x.ndim)) / _channel_view(running_std, x.ndim)
    return _affine(xhat, gamma, beta)


class BatchRenorm:
    """A Batch Renormalization layer over the channel axis 1, with running μ and σ (start 0 and 1).

    Training: `batch_renorm_forward`, then μ += momentum·(μ_B − μ), σ += momentum·(σ_B − σ).
    Eval: `renorm_inference`. The clipping limits r_max and d_max may be changed between steps
    (the paper starts at 1 and 0 and relaxes them).
    """

    def __init__(self, num_features: int, *, r_max: float = 3.0, d_max: float = 5.0, momentum: float = 0.01,
                 eps: float = 1e-5):
        self.r_max, self.d_max, self.momentum, self.eps = r_max, d_max, momentum, eps
        self.running_mean = np.zeros(num_features)
        self.running_std = np.ones(num_features)
        self.training = True
        self.last_stats: RenormStats | None = None

    def __call__(self, x) -> np.ndarray:
        """x: (N, C, *) -> y of the same shape."""
        if not self.training:
            return renorm_inference(x, self.running_mean, self.running_std)
        y, stats = batch_renorm_forward(x, self.running_mean, self.running_std, r_max=self.r_max,
                                        d_max=self.d_max, eps=self.eps)
        self.running_mean = self.running_mean + self.momentum * (stats.batch_mean - self.running_mean)
        self.running_std = self.running_std + self.momentum * (stats.batch_std - self.running_std)
        self.last_stats = stats
        return y

    def train(self, mode: bool = True) -> BatchRenorm:
        self.training = mode
        return self

    def eval(self) -> BatchRenorm:
        return self.train(False)


def ghost_chunks(batch_size: int, ghost_batch_size: int) -> list[slice]:
    """The virtual batches along axis 0, as torch.chunk(x, ceil(batch_size / ghost_batch_size)) cuts them
    (the convention of Composer's GhostBatchNorm): equal chunks of ceil(batch_size / number of chunks)
    samples, the last one possibly smaller."""
    if ghost_batch_size < 1 or batch_size < 1:
        raise ValueError(f"batch and ghost batch sizes must be >= 1, got {batch_size} and {ghost_batch_size}")
    num_chunks = -(-batch_size // ghost_batch_size)
    size = -(-batch_size // num_chunks)
    return [slice(start, min(start + size, batch_size)) for start in range(0, batch_size, size)]


def ghost_batch_norm(x, ghost_batch_size: int, gamma=None, beta=None, *, eps: float = 1e-5) -> np.ndarray:
    """Training-mode Ghost BatchNorm output: every virtual batch of x (N, C, *) batch-normalized on its own."""
    x = as_float_array(x)
    chunks = [batch_norm_forward(x[part], gamma, beta, eps=eps)[0] for part in ghost_chunks(len(x), ghost_batch_size)]
    return np.concatenate(chunks)


class GhostBatchNorm:
    """Ghost BatchNorm with running statistics, as Composer's GhostBatchNorm wraps torch's BatchNorm.

    Training: each virtual batch goes through one `BatchNorm` layer in turn, so every chunk updates the
    running statistics, each with momentum / (number of chunks): one large batch moves them about as far
    as one ordinary step. Eval: the `BatchNorm` layer's running statistics, as usual.
    """

    def __init__(self, num_features: int, ghost_batch_size: int, *, eps: float = 1e-5, momentum: float = 0.1):
        self.ghost_batch_size = ghost_batch_size
        self.momentum = momentum
        self.bn = BatchNorm(num_features, eps=eps, momentum=momentum)

    def __call__(self, x) -> np.ndarray:
        """x: (N, C, *) -> y of the same shape."""
        if not self.bn.training:
            return self.bn(x)
        parts = ghost_chunks(len(x), self.ghost_batch_size)
        self.bn.momentum = self.momentum / len(parts)
        try:
            return np.concatenate([self.bn(x[part]) for part in parts])
        finally:
            self.bn.momentum = self.momentum

    def train(self, mode: bool = True) -> GhostBatchNorm:
        self.bn.train(mode)
        return self

    def eval(self) -> GhostBatchNorm:
        return self.train(False)
