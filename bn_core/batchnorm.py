"""A batch-normalization layer with running statistics, as torch.nn.BatchNorm1d/2d (or Keras 3)."""

from __future__ import annotations

import numpy as np

from .functional import batch_norm_axes, batch_norm_forward
from .normalize import NormCache, norm_backward, normalize_forward
from .stats import as_float_array

CONVENTIONS = ("pytorch", "keras")


def update_running(running: np.ndarray, batch_value: np.ndarray, momentum: float) -> np.ndarray:
    """Exponential moving average in PyTorch's convention: momentum is the weight of the *new* value.

        running <- (1 - momentum) * running + momentum * batch_value
    Keras writes the same update with its momentum weighting the *old* value (keras = 1 - torch).
    running, batch_value: (C,) (any matching shapes). Returns the new running value, same shape.
    """
    return (1.0 - momentum) * running + momentum * batch_value


def keras_to_torch_momentum(keras_momentum: float) -> float:
    """Keras' momentum (weight of the old value, default 0.99) as PyTorch's (weight of the new batch)."""
    return 1.0 - keras_momentum


def torch_to_keras_momentum(torch_momentum: float) -> float:
    """PyTorch's momentum (weight of the new batch, default 0.1) as Keras' (weight of the old value)."""
    return 1.0 - torch_momentum


class BatchNorm:
    """Batch normalization over the channel axis 1 of (N, C), (N, C, L) or (N, C, H, W) inputs.

    Matches torch.nn.BatchNorm1d/2d: gamma starts at 1, beta at 0, running_mean at 0, running_var at 1.
    In training mode each call normalizes with the batch statistics (biased variance) and updates
        running_mean <- (1 - momentum) * running_mean + momentum * batch_mean
        running_var  <- (1 - momentum) * running_var  + momentum * batch_var_unbiased
    momentum=None averages all batches seen so far (factor 1 / num_batches_tracked).
    In eval mode it normalizes with the running statistics, so each sample's output is independent of
    the rest of the batch. With track_running_stats=False there are no running statistics and both modes
    use the batch's own. As in torch 2.13 the constructor accepts any eps and momentum; a training forward
    refuses eps <= 0 and a single value per channel; an empty batch leaves the running statistics alone.

    `BatchNorm.keras(...)` builds Keras 3's variant: momentum weighs the old value, epsilon defaults
    to 1e-3, the moving variance is the *biased* batch variance, and neither eps = 0 nor one value per
    channel is refused (Keras 3.15 computes the bare formula).
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, *, convention: str = "pytorch"):
        if int(num_features) != num_features:
            raise TypeError(f"num_features must be an integer, got {num_features!r}")
        if num_features < 0:
            raise RuntimeError(f"num_features must be >= 0 (the length of gamma and the buffers), got {num_features}")
        if convention not in CONVENTIONS:
            raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
        self.num_features = int(num_features)
        self.eps = float(eps)
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.convention = convention
        self.gamma = np.ones(self.num_features) if affine else None
        self.beta = np.zeros(self.num_features) if affine else None
        self.training = True
        self._cache: NormCache | None = None
        self.reset_running_stats()

    @classmethod
    def keras(cls, num_features: int, momentum: float = 0.99, epsilon: float = 1e-3) -> BatchNorm:
        """Keras 3 `BatchNormalization(momentum, epsilon)`: momentum is the weight of the *old* moving value."""
        return cls(num_features, eps=epsilon, momentum=keras_to_torch_momentum(momentum), convention="keras")

    def reset_running_stats(self) -> None:
        """running_mean <- 0, running_var <- 1, num_batches_tracked <- 0 (None without running statistics)."""
        if self.track_running_stats:
            self.running_mean = np.zeros(self.num_features)
            self.running_var = np.ones(self.num_features)
            self.num_batches_tracked = 0
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def train(self, mode: bool = True) -> BatchNorm:
        self.training = mode
        return self

    def eval(self) -> BatchNorm:
        return self.train(False)

    @property
    def uses_batch_stats(self) -> bool:
        """True when the next forward normalizes with the batch's own statistics."""
        return self.training or not self.track_running_stats

    def __call__(self, x) -> np.ndarray:
        """Forward pass. x: (N, C, *) with C == num_features; returns y of the same shape."""
        x = as_float_array(x)
        if x.ndim < 2:
            raise ValueError(f"expected input of shape (N, {self.num_features}, *), got {x.shape}")
        if x.shape[1] != self.num_features and (self.affine or self.track_running_stats):
            raise RuntimeError(
                f"expected input of shape (N, {self.num_features}, *), got {x.shape}: gamma, beta and the running "
                f"statistics hold {self.num_features} channels"
            )
        if self.uses_batch_stats and self.convention == "keras":
            # Keras 3.15 refuses neither eps <= 0 nor a single value per channel: the bare formula.
            bshape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
            y, cache = normalize_forward(x, stat_axes=batch_norm_axes(x.ndim), param_bshape=bshape,
                                         gamma=self.gamma, beta=self.beta, eps=self.eps)
        elif self.uses_batch_stats:
            y, cache = batch_norm_forward(x, self.gamma, self.beta, eps=self.eps)
        else:
            y, cache = batch_norm_forward(x, self.gamma, self.beta, eps=self.eps, running_mean=self.running_mean,
                                          running_var=self.running_var, training=False)
        if self.training and self.track_running_stats:
            self._update_running_stats(cache)
        self._cache = cache
        return y

    def _update_running_stats(self, cache: NormCache) -> None:
        self.num_batches_tracked += 1
        m = cache.group_size
        if m == 0:  # an empty batch has no statistics: torch counts the call and leaves the buffers alone
            return
        batch_mean = cache.mean.reshape(-1).astype(np.float64)
        batch_var = cache.var.reshape(-1).astype(np.float64)
        if self.convention == "pytorch":
            batch_var = batch_var * m / (m - 1)  # m > 1 is guaranteed: batch_norm_forward raised otherwise
        factor = 1.0 / self.num_batches_tracked if self.momentum is None else self.momentum
        self.running_mean = update_running(self.running_mean, batch_mean, factor)
        self.running_var = update_running(self.running_var, batch_var, factor)

    def backward(self, dy) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Gradients of the last forward: dy of the output's shape -> (dx, dgamma, dbeta)."""
        if self._cache is None:
            raise RuntimeError("backward called before a forward pass")
        return norm_backward(dy, self._cache)

    def parameters(self) -> list[np.ndarray]:
        return [] if not self.affine else [self.gamma, self.beta]

    def __repr__(self) -> str:
        mode = "train" if self.training else "eval"
        if self.convention == "keras":
            return (f"BatchNorm.keras({self.num_features}, momentum={torch_to_keras_momentum(self.momentum):g}, "
                    f"epsilon={self.eps:g}) [{mode}]")
        return (f"BatchNorm({self.num_features}, eps={self.eps:g}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}) [{mode}]")
