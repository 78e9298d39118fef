"""Data-parallel training on K devices: each device's BatchNorm normalizes its own b samples, unless the statistics
are synchronized over all K·b (torch.nn.SyncBatchNorm).

SyncBatchNorm has every device compute its count, mean and variance, gathers them, and combines them into the
statistics of the whole K·b batch (torch's batch_norm_gather_stats_with_counts):

    μ = Σ_k n_k μ_k / n,     σ² = Σ_k n_k (σ²_k + (μ_k − μ)²) / n,     n = Σ_k n_k

Without it (plain DistributedDataParallel) each device normalizes with its own b samples' statistics, and the
running statistics kept are device 0's (DDP broadcasts rank 0's buffers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bn_core.nn import BatchNorm1d, Sequential, mlp
from bn_core.normalize import norm_backward, normalize_forward
from bn_core.stats import batch_mean, batch_var
from bn_core.toy_data import make_dataset
from lessons.recalibration import SEEDS
from lessons.training import evaluate, fit

DEVICES = (1, 2, 4, 8)
PER_DEVICE = (2, 4, 8, 16)
STEPS = 150
NOISE_DRAWS = 4000  # batches per spread: its ratio is then within ~2 % of the predicted one


def device_statistics(parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each device's (count (K,), mean (K, D), biased variance (K, D)) of its batch, parts[k]: (n_k, D)."""
    return (np.array([len(p) for p in parts]), np.stack([batch_mean(p) for p in parts]),
            np.stack([batch_var(p) for p in parts]))


def sync_statistics(counts: np.ndarray, means: np.ndarray, variances: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The whole batch's mean and biased variance (D,) from the devices' counts, means and variances."""
    weights = counts[:, None] / counts.sum()
    mean = (weights * means).sum(axis=0)
    return mean, (weights * (variances + (means - mean) ** 2)).sum(axis=0)


class DeviceBatchNorm1d(BatchNorm1d):
    """BatchNorm1d as K unsynchronized data-parallel devices run it: in training mode the batch (S, K·b, D) is K
    consecutive device batches of b samples, each normalized with its own statistics (γ, β shared); the running
    statistics follow device 0's batches. Eval mode: the running statistics, as BatchNorm1d."""

    def __init__(self, num_features: int, *, devices: int, models: int = 1):
        super().__init__(num_features, models=models)
        self.devices = devices

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.cache = None
        if not self.training:
            return super().__call__(x)
        s, n, d = x.shape
        super().__call__(x[:, : n // self.devices])  # device 0's forward: its running statistics
        self.out, self.cache = normalize_forward(x, stat_axes=(2,), view_shape=(s, self.devices, -1, d),
                                                 param_bshape=(s, 1, d), gamma=self.gamma, beta=self.beta,
                                                 eps=self.layer.eps)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self.cache is None:
            return super().backward(dout)
        self.dout = dout
        dx, self.dgamma, self.dbeta = norm_backward(dout, self.cache)
        return dx


def data_parallel_mlp(devices: int, *, sync: bool, models: int) -> Sequential:
    """The lab's (2, 16, 16, 2) BN network with each BN replaced by its K-device version unless `sync`."""
    model = mlp((2, 16, 16, 2), norm="batch", models=models, seed=0)
    if not sync:
        model.layers = [DeviceBatchNorm1d(layer.shape[1], devices=devices, models=models)
                        if isinstance(layer, BatchNorm1d) else layer for layer in model.layers]
    return model


@dataclass(frozen=True)
class DataParallel:
    """K devices × b samples each. accuracy: (S,) test accuracy per seed for each of "per device" and "synced";
    mean_spread: how far a batch mean strays from the population mean (root mean square over draws and input
    features) with b and with K·b samples, each batch drawn without replacement from the population_size training
    points."""

    devices: int
    per_device: int
    accuracy: dict[str, np.ndarray]
    mean_spread: dict[str, float]
    population_size: int

    def predicted_spread_ratio(self) -> float:
        """mean_spread's expected per device ÷ synced ratio: √K for independent samples, times the finite-population
        correction √((N − b)/(N − K·b)) of drawing without replacement from N points."""
        size, b, k = self.population_size, self.per_device, self.devices
        return float(np.sqrt(k * (size - b) / (size - k * b)))


def data_parallel_experiment(devices: int = 4, per_device: int = 4, seeds: tuple[int, ...] = SEEDS) -> DataParallel:
    data = make_dataset("moons", 400, noise=0.15, seed=0)
    accuracy = {}
    for name, sync in (("per device", False), ("synced", True)):
        model = data_parallel_mlp(devices, sync=sync, models=len(seeds))
        fit(model, data.x_train, data.y_train, lr=0.3, steps=STEPS, batch_size=devices * per_device,
            seeds=list(seeds), momentum=0.9)
        accuracy[name] = evaluate(model, data.x_test, data.y_test)[1]
    rng = np.random.default_rng(0)
    population = batch_mean(data.x_train)
    spread = {}
    for name, size in (("per device", per_device), ("synced", devices * per_device)):
        # NOISE_DRAWS batches at once, each the first `size` points of its own random order of the training set
        batches = np.argsort(rng.random((NOISE_DRAWS, len(data.x_train))), axis=1)[:, :size]
        means = data.x_train[batches].mean(axis=1)
        spread[name] = float(np.sqrt(((means - population) ** 2).mean()))
    return DataParallel(devices, per_device, accuracy, spread, len(data.x_train))
