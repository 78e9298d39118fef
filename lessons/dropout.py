"""Dropout before BatchNorm: the variance shift (Li et al. 2019, "Understanding the Disharmony between Dropout and
Batch Normalization by Variance Shift", arXiv:1801.05134).

Inverted dropout (torch.nn.Dropout) keeps each value with probability 1 − p and divides it by 1 − p. For an input
of mean c and variance v the mean is unchanged but the variance grows in training:

    Var_train = (c² + v) / (1 − p) − c²,      Var_inference = v

BN's running variance learns Var_train; at inference dropout is off, so BN divides by a σ that is too large and
its output's variance is v / Var_train < 1: the variance shift, measured here by streaming batches through a
bn_core BatchNorm layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bn_core.batchnorm import BatchNorm
from bn_core.stats import batch_var

RATES = tuple(float(p) for p in np.round(np.arange(0.0, 0.75, 0.05), 2))
MEANS = (0.0, 0.5, 1.0, 2.0)
BATCH_SIZE = 64
STEPS = 300
TEST_SAMPLES = 4_000


def dropout(x: np.ndarray, p, rng: np.random.Generator) -> np.ndarray:
    """Inverted dropout in training: zero each value with probability p, scale the rest by 1 / (1 − p).
    x: (N, C); p: a rate, or (C,) one rate per channel."""
    return x * (rng.random(x.shape) >= p) / (1.0 - p)


def predicted_shift(p: float, mean: float, var: float = 1.0) -> float:
    """Li et al.'s variance shift v / Var_train for dropout rate p before BN, inputs of mean c and variance v."""
    return var / ((mean**2 + var) / (1.0 - p) - mean**2)


@dataclass(frozen=True)
class VarianceShift:
    """For each seed and dropout rate, (S, R): BN's running variance (learnt with dropout on), the variance of BN's
    input at inference, and the variance of BN's output at inference (1 without a shift; γ = 1, β = 0)."""

    mean: float
    rates: tuple[float, ...]
    running_var: np.ndarray
    inference_var: np.ndarray
    output_var: np.ndarray

    @property
    def measured_shift(self) -> np.ndarray:
        """(S, R) inference variance / running variance."""
        return self.inference_var / self.running_var

    @property
    def predicted(self) -> np.ndarray:
        """(R,) Li et al.'s formula."""
        return np.array([predicted_shift(p, self.mean) for p in self.rates])


def variance_shift(mean: float = 1.0, rates: tuple[float, ...] = RATES, seeds: int = 5) -> VarianceShift:
    """Stream STEPS batches of N(mean, 1) inputs through dropout into a BatchNorm (momentum 0.1) in training mode,
    then measure at inference (no dropout) on TEST_SAMPLES inputs. One BN channel per (seed, rate): the channels
    are independent, so one layer runs every combination at once."""
    rng = np.random.default_rng(0)
    p = np.tile(np.asarray(rates, dtype=np.float64), seeds)
    bn = BatchNorm(len(p))
    for _ in range(STEPS):
        bn(dropout(rng.normal(mean, 1.0, (BATCH_SIZE, len(p))), p, rng))
    bn.eval()
    x_test = rng.normal(mean, 1.0, (TEST_SAMPLES, len(p)))
    shape = (seeds, len(rates))
    return VarianceShift(mean, tuple(rates), bn.running_var.reshape(shape), batch_var(x_test).reshape(shape),
                         batch_var(bn(x_test)).reshape(shape))
