"""Two fixes for batch normalization's dependence on the minibatch: Batch Renormalization and Ghost BatchNorm.

Batch Renormalization (Ioffe 2017, arXiv:1702.03275) normalizes with the batch statistics but then corrects
towards the running ones:

    σ_B = √(var_B + ε),  r = clip(σ_B / σ, 1/r_max, r_max),  d = clip((μ_B − μ) / σ, −d_max, d_max)
    x̂ = (x − μ_B) / σ_B · r + d,  y = γ x̂ + β,  then  μ += α (μ_B − μ),  σ += α (σ_B − σ)

While r and d are not clipped, x̂ = (x − μ) / σ: training computes what inference computes (an identity, not a
finding). r_max = 1, d_max = 0 is plain batch normalization.

Backward: the paper treats r and d as constants (stop_gradient). With x̂_B = (x − μ_B) / σ_B the batch-normalized
input, y = γ (r x̂_B + d) + β, so the gradient reaching x̂_B is dy·γ·r, and dx is batch norm's own backward of it:

    dx = norm_backward(dy·γ·r, cache of x̂_B),   dγ = Σ dy·x̂ = r Σ dy·x̂_B + d Σ dy,   dβ = Σ dy

Ghost Batch Normalization (Hoffer et al. 2017, arXiv:1705.08741) splits a large batch into virtual batches
and batch-normalizes each on its own, so the statistics are as noisy as a small batch's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .batchnorm import BatchNorm
from .functional import batch_norm_axes, batch_norm_forward
from .normalize import NormCache, norm_backward, normalize_forward
from .stats import as_float_array, count_reduced


@dataclass(frozen=True)
class RenormCache:
    """One Batch Renorm training forward: what its backward needs, and the statistics the running update reads.

    norm:        normalize_forward's cache of x̂_B = (x − μ_B) / σ_B, without γ and β: the backward runs on it.
    r, d:        (C,) the clipped corrections applied; constants for the backward.
    gamma:       (C,) or None; has_beta: whether β was added.
    batch_mean, batch_std: (C,) μ_B and σ_B = √(var_B + ε) (biased variance), for the running update.
    clipped:     (C,) True for the channels where r or d hit its limit.
    """

    norm: NormCache
    r: np.ndarray
    d: np.ndarray
    gamma: np.ndarray | None
    has_beta: bool
    batch_mean: np.ndarray
    batch_std: np.ndarray
    clipped: np.ndarray


def _channel_view(v: np.ndarray, ndim: int) -> np.ndarray:
    """(C,) -> (1, C, 1, ..., 1) for an input with `ndim` dimensions."""
    return np.asarray(v, dtype=np.float64).reshape((1, -1) + (1,) * (ndim - 2))


def batch_renorm_forward(
    x, running_mean, running_std, *, r_max: float, d_max: float, gamma=None, beta=None, eps: float = 1e-5
) -> tuple[np.ndarray, RenormCache]:
    """Batch Renormalization in training mode; the running statistics are not modified here.

    x: (N, C) or (N, C, *); running_mean, running_std, gamma, beta: (C,). r_max >= 1, d_max >= 0.
    Returns (y of x's shape, RenormCache).
    """
    x = as_float_array(x)
    if r_max < 1 or d_max < 0:
        raise ValueError(f"need r_max >= 1 and d_max >= 0, got r_max={r_max}, d_max={d_max}")
    if x.ndim < 2 or count_reduced(x.shape, batch_norm_axes(x.ndim)) < 2:
        raise ValueError(f"Batch Renorm needs more than 1 value per channel when training, got input size {x.shape}")
    bshape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    xhat_b, norm = normalize_forward(x, stat_axes=batch_norm_axes(x.ndim), param_bshape=bshape, eps=eps)
    batch_mean = norm.mean.reshape(-1).astype(np.float64)
    batch_std = np.sqrt(norm.var.reshape(-1).astype(np.float64) + eps)
    running_mean = np.asarray(running_mean, dtype=np.float64)
    running_std = np.asarray(running_std, dtype=np.float64)
    raw_r = batch_std / running_std
    raw_d = (batch_mean - running_mean) / running_std
    r = np.clip(raw_r, 1.0 / r_max, r_max)
    d = np.clip(raw_d, -d_max, d_max)
    xhat = xhat_b * _channel_view(r, x.ndim) + _channel_view(d, x.ndim)
    y = xhat if gamma is None else xhat * _channel_view(gamma, x.ndim)
    y = y if beta is None else y + _channel_view(beta, x.ndim)
    gamma = None if gamma is None else np.asarray(gamma, dtype=np.float64)
    cache = RenormCache(norm, r, d, gamma, beta is not None, batch_mean, batch_std, (r != raw_r) | (d != raw_d))
    return y, cache


def batch_renorm_backward(dy, cache: RenormCache) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Gradients of `batch_renorm_forward` with r and d held constant (Ioffe 2017's stop_gradient).

    dy: the output's shape (N, C, *). Returns (dx of dy's shape, dgamma (C,) or None, dbeta (C,) or None).
    """
    dy = np.asarray(dy, dtype=np.float64)
    axes = batch_norm_axes(dy.ndim)
    scale = cache.r if cache.gamma is None else cache.gamma * cache.r
    dx, _, _ = norm_backward(dy * _channel_view(scale, dy.ndim), cache.norm)
    dbeta = dy.sum(axis=axes)
    dgamma = None if cache.gamma is None else cache.r * (dy * cache.norm.xhat).sum(axis=axes) + cache.d * dbeta
    return dx, dgamma, dbeta if cache.has_beta else None


def renorm_inference(x, running_mean, running_std, *, gamma=None, beta=None) -> np.ndarray:
    """Batch Renorm at inference: y = γ (x − μ) / σ + β with the running μ and σ (σ already holds ε).

    x: (N, C, *); running_mean, running_std, gamma, beta: (C,). Returns y of x's shape.
    """
    x = as_float_array(x)
    stats = (_channel_view(running_mean, x.ndim), _channel_view(running_std, x.ndim) ** 2)
    y, _ = normalize_forward(x, stat_axes=batch_norm_axes(x.ndim), param_bshape=stats[0].shape, gamma=gamma,
                             beta=beta, eps=0.0, stats=stats)
    return y


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
        self.last_stats: RenormCache | None = None  # of the last training forward: r, d, clipped, ...

    def __call__(self, x) -> np.ndarray:
        """x: (N, C, *) -> y of the same shape."""
        if not self.training:
            return renorm_inference(x, self.running_mean, self.running_std)
        y, cache = batch_renorm_forward(x, self.running_mean, self.running_std, r_max=self.r_max,
                                        d_max=self.d_max, eps=self.eps)
        self.running_mean = self.running_mean + self.momentum * (cache.batch_mean - self.running_mean)
        self.running_std = self.running_std + self.momentum * (cache.batch_std - self.running_std)
        self.last_stats = cache
        return y

    def backward(self, dy) -> np.ndarray:
        """dx of the last training forward, r and d held constant. dy: (N, C, *) -> dx of the same shape."""
        if self.last_stats is None:
            raise RuntimeError("backward called before a training forward pass")
        return batch_renorm_backward(dy, self.last_stats)[0]

    def train(self, mode: bool = True) -> BatchRenorm:
        self.training = mode
        return self

    def eval(self) -> BatchRenorm:
        return self.train(False)


def ghost_chunks(batch_size: int, ghost_batch_size: int) -> list[slice]:
    """The virtual batches along axis 0, as torch.chunk(x, ceil(batch_size / ghost_batch_size)) cuts them
    (as Composer's GhostBatchNorm does): equal chunks of ceil(batch_size / number of chunks) samples, the last
    one possibly smaller."""
    if ghost_batch_size < 1 or batch_size < 1:
        raise ValueError(f"batch and ghost batch sizes must be >= 1, got {batch_size} and {ghost_batch_size}")
    num_chunks = -(-batch_size // ghost_batch_size)
    size = -(-batch_size // num_chunks)
    return [slice(start, min(start + size, batch_size)) for start in range(0, batch_size, size)]


def ghost_batch_norm(x, ghost_batch_size: int, gamma=None, beta=None, *, eps: float = 1e-5) -> np.ndarray:
    """Training-mode Ghost BatchNorm output: every virtual batch of x (N, C, *) batch-normalized on its own.

    gamma, beta: (C,), shared by all virtual batches. Returns y of x's shape.
    """
    x = as_float_array(x)
    chunks = [batch_norm_forward(x[part], gamma, beta, eps=eps)[0] for part in ghost_chunks(len(x), ghost_batch_size)]
    return np.concatenate(chunks)


GHOST_CONVENTIONS = {
    "hoffer": "every virtual batch updates the running statistics with the full momentum (Hoffer et al. 2017, "
              "Algorithm 1)",
    "composer": "every virtual batch updates them with momentum / number of virtual batches (MosaicML Composer's "
                "GhostBatchNorm)",
}


class GhostBatchNorm:
    """Ghost BatchNorm with running statistics: in training each virtual batch goes through one `BatchNorm`
    layer in turn, so every chunk updates the running statistics; eval uses them, as usual.

    How far one large batch of K virtual batches moves the running statistics depends on the convention:
    "hoffer" (default) applies the full momentum per virtual batch, as K ordinary steps would; "composer"
    divides the momentum by K, so the K updates together move them about as far as one ordinary step.
    """

    def __init__(self, num_features: int, ghost_batch_size: int, *, eps: float = 1e-5, momentum: float = 0.1,
                 convention: str = "hoffer"):
        if convention not in GHOST_CONVENTIONS:
            raise ValueError(f"convention must be one of {tuple(GHOST_CONVENTIONS)}, got {convention!r}")
        self.ghost_batch_size = ghost_batch_size
        self.momentum = momentum
        self.convention = convention
        self.bn = BatchNorm(num_features, eps=eps, momentum=momentum)

    def __call__(self, x) -> np.ndarray:
        """x: (N, C, *) -> y of the same shape."""
        if not self.bn.training:
            return self.bn(x)
        parts = ghost_chunks(len(x), self.ghost_batch_size)
        if self.convention == "composer" and self.momentum is not None:
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
