"""A small multilayer perceptron for 2-D classification, in the spirit of micrograd and cs231n's layers.

    x -> [Linear -> Norm -> ReLU] x depth -> Linear -> softmax cross-entropy

Norm is `bn_core.BatchNorm` (batch statistics in training, running statistics in eval), LayerNorm
(`bn_core.layer_norm_forward`, statistics per sample) or nothing. Each block's forward returns its output
and a cache; `MLP.backward` walks the caches in reverse, using `bn_core.norm_backward` for both norms.
`train` runs mini-batch SGD (optional momentum), deterministic for a seed, and stops at the first step
whose loss or gradients are not finite: the network diverged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from bn_core.batchnorm import BatchNorm
from bn_core.functional import layer_norm_forward
from bn_core.normalize import NormCache, norm_backward

NORMS = {"none": "No norm", "batch": "BatchNorm", "layer": "LayerNorm"}
# Above this loss the true class's probability, e^-loss, is below float64's smallest number (about e^-745):
# the run has blown up even where the arithmetic still returns finite numbers.
DIVERGED_LOSS = 1000.0


class BatchNormLayer(BatchNorm):
    """`bn_core.BatchNorm` with this module's explicit-cache interface (features on axis 1 of (N, D))."""

    def forward(self, z: np.ndarray, training: bool) -> tuple[np.ndarray, NormCache]:
        """z: (N, D) -> (y (N, D), cache). Training mode also updates the running statistics.
        The cache is handed over, not kept: the layer holds only its parameters and running statistics."""
        self.train(training)
        y = self(z)
        cache, self._cache = self._cache, None
        return y, cache


class LayerNormLayer:
    """torch.nn.LayerNorm(D) on (N, D): statistics per sample over its D features; elementwise gamma, beta."""

    def __init__(self, num_features: int, eps: float = 1e-5):
        self.gamma = np.ones(num_features)
        self.beta = np.zeros(num_features)
        self.eps = eps

    def forward(self, z: np.ndarray, training: bool) -> tuple[np.ndarray, NormCache]:
        """z: (N, D) -> (y (N, D), cache). The same in training and eval: no batch statistics."""
        del training
        return layer_norm_forward(z, z.shape[1], self.gamma, self.beta, eps=self.eps)

    def parameters(self) -> list[np.ndarray]:
        return [self.gamma, self.beta]


def make_norm(norm: str, width: int, eps: float = 1e-5, momentum: float = 0.1):
    """The normalization layer called `norm` ("none", "batch", "layer") for `width` features, or None."""
    if norm not in NORMS:
        raise ValueError(f"unknown normalization {norm!r}; choose one of {tuple(NORMS)}")
    if norm == "batch":
        return BatchNormLayer(width, eps=eps, momentum=momentum)
    if norm == "layer":
        return LayerNormLayer(width, eps=eps)
    return None


@dataclass(frozen=True)
class BlockCache:
    """What one hidden block's backward needs.

    x:           block input, (N, D_in).
    norm:        the normalization's cache, or None without one.
    noise_scale: (D,) scale injected after the norm ("noisy BN"), or None.
    z:           pre-activation, the ReLU's input, (N, D).
    """

    x: np.ndarray
    norm: NormCache | None
    noise_scale: np.ndarray | None
    z: np.ndarray


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(logits) against integer labels, and its gradient.

    logits: (N, K); y: (N,) ints in [0, K). Returns (loss, dlogits (N, K)). Non-finite logits give a NaN loss.
    """
    n = len(y)
    with np.errstate(invalid="ignore", over="ignore"):
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        dlogits = np.exp(log_probs)
    loss = -float(log_probs[np.arange(n), y].mean())
    dlogits[np.arange(n), y] -= 1.0
    return loss, dlogits / n


class MLP:
    """x (N, in_dim) -> [Linear -> norm -> ReLU] per hidden width -> Linear -> logits (N, out_dim).

    Weights start He-initialised times `init_scale`: W ~ N(0, init_scale^2 * 2 / fan_in); biases at 0.
    """

    def __init__(self, hidden: tuple[int, ...] = (32, 32), *, in_dim: int = 2, out_dim: int = 2, norm: str = "none",
                 init_scale: float = 1.0, seed: int = 0, eps: float = 1e-5, momentum: float = 0.1):
        if not hidden or any(int(h) != h or h < 1 for h in hidden):
            raise ValueError(f"hidden must list at least one positive layer width, got {hidden}")
        if not np.isfinite(init_scale) or init_scale <= 0:
            raise ValueError(f"init_scale must be a positive number, got {init_scale}")
        rng = np.random.default_rng(seed)
        sizes = (in_dim, *(int(h) for h in hidden), out_dim)
        self.norm = norm
        self.weights = [rng.standard_normal((a, b)) * init_scale * np.sqrt(2.0 / a) for a, b in pairwise(sizes)]
        self.biases = [np.zeros(b) for b in sizes[1:]]
        self.norms = [make_norm(norm, h, eps, momentum) for h in sizes[1:-1]]

    @property
    def depth(self) -> int:
        """Number of hidden blocks."""
        return len(self.norms)

    def parameters(self) -> list[np.ndarray]:
        """Every trained array, in the order `backward` returns gradients: W, b (and gamma, beta) per block,
        then the output layer's W, b."""
        params = []
        for w, b, norm in zip(self.weights[:-1], self.biases[:-1], self.norms, strict=True):
            params += [w, b] + ([] if norm is None else norm.parameters())
        return params + [self.weights[-1], self.biases[-1]]

    def parameter_layers(self) -> list[int]:
        """For each array of `parameters()`, the index of the layer it belongs to: 0 ... depth - 1 for the
        hidden blocks (W, b, gamma, beta), depth for the output layer."""
        counts = [2 + (0 if norm is None else len(norm.parameters())) for norm in self.norms] + [2]
        return [layer for layer, count in enumerate(counts) for _ in range(count)]

    def forward(self, x: np.ndarray, *, training: bool = True,
                noise: list[tuple[np.ndarray, np.ndarray]] | None = None) -> tuple[np.ndarray, list]:
        """x: (N, in_dim) -> (logits (N, out_dim), caches).

        training: BatchNorm uses (and updates) batch statistics; False uses its running statistics.
        noise: per hidden block a (scale, shift) pair of shape (D,) applied after the norm, z = y * scale + shift.
        caches: a `BlockCache` per hidden block, then the output layer's input (N, D_last).
        """
        caches = []
        h = x
        with np.errstate(over="ignore", invalid="ignore"):
            for i, norm in enumerate(self.norms):
                z = h @ self.weights[i] + self.biases[i]
                norm_cache = None
                if norm is not None:
                    z, norm_cache = norm.forward(z, training)
                scale = None
                if noise is not None:
                    scale, shift = noise[i]
                    z = z * scale + shift
                caches.append(BlockCache(h, norm_cache, scale, z))
                h = np.maximum(z, 0.0)
            caches.append(h)
            logits = h @ self.weights[-1] + self.biases[-1]
        return logits, caches

    def backward(self, dlogits: np.ndarray, caches: list) -> list[np.ndarray]:
        """Gradients of the loss for every array of `parameters()`, in the same order. dlogits: (N, out_dim)."""
        h = caches[-1]
        with np.errstate(over="ignore", invalid="ignore"):
            grads = [h.T @ dlogits, dlogits.sum(axis=0)]
            dh = dlogits @ self.weights[-1].T
            for i in reversed(range(self.depth)):
                cache = caches[i]
                dz = dh * (cache.z > 0)
                if cache.noise_scale is not None:
                    dz = dz * cache.noise_scale
                block_grads = []
                if cache.norm is not None:
                    dz, dgamma, dbeta = norm_backward(dz, cache.norm)
                    block_grads = [dgamma, dbeta]
                grads = [cache.x.T @ dz, dz.sum(axis=0)] + block_grads + grads
                dh = dz @ self.weights[i].T
        return grads

    def loss_and_grads(self, x: np.ndarray, y: np.ndarray,
                       noise: list[tuple[np.ndarray, np.ndarray]] | None = None) -> tuple[float, list, list]:
        """One training-mode forward and backward on (x (N, in_dim), y (N,)): (loss, grads, caches)."""
        logits, caches = self.forward(x, training=True, noise=noise)
        loss, dlogits = softmax_cross_entropy(logits, y)
        return loss, self.backward(dlogits, caches), caches

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities in eval mode (BatchNorm's running statistics): x (N, in_dim) -> (N, out_dim)."""
        logits, _ = self.forward(x, training=False)
        with np.errstate(over="ignore", invalid="ignore"):
            shifted = logits - logits.max(axis=1, keepdims=True)
            probs = np.exp(shifted)
            return probs / probs.sum(axis=1, keepdims=True)

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """(mean cross-entropy, accuracy) in eval mode on x (N, in_dim), y (N,)."""
        logits, _ = self.forward(x, training=False)
        loss, _ = softmax_cross_entropy(logits, y)
        return loss, float((logits.argmax(axis=1) == y).mean())

    def __repr__(self) -> str:
        widths = [w.shape[1] for w in self.weights[:-1]]
        return f"MLP(hidden={tuple(widths)}, norm={self.norm!r})"


@dataclass(frozen=True)
class TrainConfig:
    """Mini-batch SGD settings.

    lr: learning rate. steps: parameter updates. batch_size: samples per step (capped at the training set).
    momentum: SGD momentum, v <- momentum * v + grad, p <- p - lr * v (PyTorch's convention); 0 is plain SGD.
    seed: fixes the batch order and the injected noise. noise: strength a of the random shift and scale
    injected after every norm at every step (0: none): shift ~ U(-a, a), scale = (1 + a)^U(-1, 1) per feature.
    """

    lr: float = 0.1
    steps: int = 400
    batch_size: int = 32
    momentum: float = 0.0
    seed: int = 0
    noise: float = 0.0

    def __post_init__(self):
        if not np.isfinite(self.lr) or self.lr <= 0:
            raise ValueError(f"the learning rate must be a positive number, got {self.lr}")
        if int(self.steps) != self.steps or self.steps < 1:
            raise ValueError(f"steps must be a positive integer, got {self.steps}")
        if int(self.batch_size) != self.batch_size or self.batch_size < 2:
            raise ValueError(f"batch_size must be an integer >= 2 (BatchNorm needs two values), got {self.batch_size}")
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum}")
        if not np.isfinite(self.noise) or self.noise < 0:
            raise ValueError(f"noise must be a finite number >= 0, got {self.noise}")


@dataclass(frozen=True)
class TrainStep:
    """What a training step sees, handed to `train`'s on_step hook before the update."""

    step: int
    x: np.ndarray
    y: np.ndarray
    noise: list[tuple[np.ndarray, np.ndarray]] | None
    loss: float
    grads: list[np.ndarray]


@dataclass(frozen=True)
class History:
    """Per-step record of a training run (steps numbered from 1); NaN from the divergent step on.

    loss, accuracy: (steps,) on each step's mini-batch, training mode.
    preact_mean, preact_std: (steps, depth) mean and standard deviation of every ReLU input of a block
    over the mini-batch and the block's features.
    diverged_at: the first step whose loss or gradients were not finite, or None.
    """

    loss: np.ndarray
    accuracy: np.ndarray
    preact_mean: np.ndarray
    preact_std: np.ndarray
    diverged_at: int | None


def _sum_of_squares(arrays: list[np.ndarray]) -> float:
    with np.errstate(over="ignore", invalid="ignore"):
        return float(sum(np.vdot(a, a) for a in arrays))


def batch_indices(n: int, batch_size: int, steps: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of each step's mini-batch, (steps, min(batch_size, n)): a fresh shuffle every epoch, the
    incomplete last batch of an epoch dropped."""
    b = min(batch_size, n)
    per_epoch = n // b
    epochs = -(-steps // per_epoch)
    order = np.concatenate([rng.permutation(n)[: per_epoch * b] for _ in range(epochs)])
    return order[: steps * b].reshape(steps, b)


def sample_noise(rng: np.random.Generator, widths: list[int], strength: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """One step's injected (scale, shift) per block: shift ~ U(-a, a), scale = (1 + a)^U(-1, 1), shape (D,)."""
    return [((1.0 + strength) ** rng.uniform(-1.0, 1.0, d), rng.uniform(-strength, strength, d)) for d in widths]


def train(model: MLP, x: np.ndarray, y: np.ndarray, config: TrainConfig,
          on_step: Callable[[MLP, TrainStep], None] | None = None, max_loss: float = DIVERGED_LOSS) -> History:
    """Train `model` in place on x (n, in_dim), y (n,) with mini-batch SGD; returns the run's History.

    on_step(model, step) runs after each step's gradients and before its update (e.g. to probe the loss
    landscape). Training stops at the first step whose gradients are not finite (or so large that their
    squared norm overflows) or whose loss is not finite or above `max_loss`: the run diverged, and the
    model keeps the parameters it had at that step.
    """
    rng = np.random.default_rng(config.seed)
    noise_rng = np.random.default_rng([config.seed, 2])
    batches = batch_indices(len(y), config.batch_size, config.steps, rng)
    widths = [w.shape[1] for w in model.weights[:-1]]
    params = model.parameters()
    velocity = [np.zeros_like(p) for p in params]
    loss_log = np.full(config.steps, np.nan)
    accuracy_log = np.full(config.steps, np.nan)
    preact_mean = np.full((config.steps, model.depth), np.nan)
    preact_std = np.full((config.steps, model.depth), np.nan)
    for t, idx in enumerate(batches):
        noise = sample_noise(noise_rng, widths, config.noise) if config.noise > 0 else None
        xb, yb = x[idx], y[idx]
        logits, caches = model.forward(xb, training=True, noise=noise)
        loss, dlogits = softmax_cross_entropy(logits, yb)
        grads = model.backward(dlogits, caches)
        if not (loss <= max_loss and np.isfinite(_sum_of_squares(grads))):
            return History(loss_log, accuracy_log, preact_mean, preact_std, diverged_at=t + 1)
        loss_log[t] = loss
        accuracy_log[t] = (logits.argmax(axis=1) == yb).mean()
        preact_mean[t] = [c.z.mean() for c in caches[:-1]]
        preact_std[t] = [c.z.std() for c in caches[:-1]]
        if on_step is not None:
            on_step(model, TrainStep(t + 1, xb, yb, noise, loss, grads))
        with np.errstate(over="ignore", invalid="ignore"):
            for p, v, g in zip(params, velocity, grads, strict=True):
                v *= config.momentum
                v += g
                p -= config.lr * v
    return History(loss_log, accuracy_log, preact_mean, preact_std, diverged_at=None)
