"""What the Demo page computes: one batch through a batch-normalization layer, its statistics, and the
training steps that move the running statistics.

Everything is a pure function of its arguments, so the page can cache it and a link can reproduce it:
the k-th training step always sees the same fresh batch for the same seed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bn_core.batchnorm import BatchNorm
from bn_core.data import FeatureSpec, make_batch
from bn_core.functional import batch_norm_forward
from bn_core.stats import batch_mean, batch_var

MAX_BATCH_SIZE = 256
MAX_FEATURES = 8


@dataclass(frozen=True)
class LayerPass:
    """One batch through the layer, with the statistics it was normalized with.

    x, xhat, y:          (N, F) input, normalized input and output y = gamma * xhat + beta.
    batch_mean:          (F,) mean of x over the batch.
    batch_var:           (F,) biased variance of x over the batch (divide by N).
    used_mean, used_var: (F,) the statistics the layer normalized with: the batch's in training mode,
                         the running statistics in inference mode.
    eps:                 added to used_var before the square root.
    training:            which mode produced xhat.
    """

    x: np.ndarray
    xhat: np.ndarray
    y: np.ndarray
    batch_mean: np.ndarray
    batch_var: np.ndarray
    used_mean: np.ndarray
    used_var: np.ndarray
    eps: float
    training: bool

    @property
    def divisor(self) -> np.ndarray:
        """(F,) sqrt(used_var + eps): what each feature is divided by."""
        return np.sqrt(self.used_var + self.eps)

    @property
    def zero_divisor_features(self) -> list[int]:
        """Indices of features divided by zero (used_var + eps == 0): their xhat is NaN or infinite."""
        return [int(j) for j in np.flatnonzero(self.used_var + self.eps == 0)]


def layer_pass(x, gamma, beta, *, eps: float, training: bool, running_mean, running_var) -> LayerPass:
    """Normalize x of shape (N, F) as BatchNorm1d does, in training or inference mode.

    gamma, beta, running_mean, running_var: (F,). Training needs N >= 2 and raises ValueError otherwise
    (as PyTorch does: one value has no spread to normalize).
    """
    x = np.asarray(x, dtype=np.float64)
    y, cache = batch_norm_forward(x, gamma, beta, eps=eps, training=training,
                                  running_mean=running_mean, running_var=running_var)
    mean, var = batch_mean(x), batch_var(x)
    return LayerPass(
        x=x, xhat=cache.xhat, y=y, batch_mean=mean, batch_var=var,
        used_mean=cache.mean.reshape(-1), used_var=cache.var.reshape(-1), eps=float(eps), training=training,
    )


def statistics_table(step: LayerPass, names: list[str], running_mean=None, running_var=None) -> pd.DataFrame:
    """Per-feature statistics, one row per feature.

    Columns: the batch mean, biased variance, standard deviation and sqrt(var + eps); with running statistics
    given (inference mode) also the running mean, running variance and the sqrt(running_var + eps) actually
    divided by.
    """
    table = {
        "μ_B": step.batch_mean,
        "σ²_B": step.batch_var,
        "σ_B": np.sqrt(step.batch_var),
        "√(σ²_B+ε)": np.sqrt(step.batch_var + step.eps),
    }
    if running_mean is not None:
        table |= {
            "running μ": np.asarray(running_mean, dtype=np.float64),
            "running σ²": np.asarray(running_var, dtype=np.float64),
            "√(running σ²+ε)": np.sqrt(np.asarray(running_var, dtype=np.float64) + step.eps),
        }
    return pd.DataFrame(table, index=pd.Index(names, name="feature"))


def stages_table(step: LayerPass, names: list[str]) -> pd.DataFrame:
    """The three stages in one long table: columns sample, stage (input / normalized / output), then one per
    feature. Shape (3N, 2 + F)."""
    n = step.x.shape[0]
    frames = [
        pd.DataFrame(values, columns=names).assign(sample=np.arange(n), stage=stage)
        for stage, values in (("input", step.x), ("normalized", step.xhat), ("output", step.y))
    ]
    return pd.concat(frames, ignore_index=True)[["sample", "stage", *names]]


def fresh_batches(specs: tuple[FeatureSpec, ...], batch_size: int, seed: int, steps: int) -> Iterator[np.ndarray]:
    """The batches of training steps 1..steps, shape (batch_size, F) each, drawn from `specs`.

    Step k uses the random stream seeded by (seed, k): independent of the batch shown for `seed`, and
    the same every time, so the running statistics after k steps are a function of the settings alone.
    """
    for k in range(1, steps + 1):
        yield make_batch(list(specs), batch_size, np.random.default_rng([seed, k]))


def resampled_batches(pool: np.ndarray, seed: int, steps: int) -> Iterator[np.ndarray]:
    """Training batches drawn from a fixed data set: step k resamples the rows of `pool` (N, F) with
    replacement, seeded by (seed, k). Shape (N, F) each."""
    n = pool.shape[0]
    for k in range(1, steps + 1):
        yield pool[np.random.default_rng([seed, k]).integers(0, n, n)]


def train_layer(batches, num_features: int, momentum: float) -> BatchNorm:
    """A fresh BatchNorm (running mean 0, running variance 1) after a training forward on each batch."""
    layer = BatchNorm(num_features, momentum=momentum).train()
    for batch in batches:
        layer(batch)
    return layer


def undo_parameters(step: LayerPass) -> tuple[np.ndarray, np.ndarray]:
    """(gamma, beta) that make the layer the identity: gamma = sqrt(used_var + eps), beta = used_mean."""
    return step.divisor, step.used_mean.copy()


def running_share(momentum: float, steps: int) -> float:
    """Weight the running statistics give the data after `steps` updates: 1 - (1 - momentum)^steps.

    The rest, (1 - momentum)^steps, still sits on the initial values 0 (mean) and 1 (variance).
    """
    return 1.0 - (1.0 - momentum) ** steps


def apply_cell_edits(x: np.ndarray, names: list[str], edited_rows: dict) -> np.ndarray:
    """A copy of x (N, F) with table edits applied: edited_rows maps a row position (int or str) to
    {feature name: new value}. A cell emptied (None) or set to NaN/inf keeps its value: every sample needs a
    finite number in every feature."""
    edited = np.array(x, dtype=np.float64)
    for row, cells in edited_rows.items():
        for name, value in cells.items():
            if value is not None and np.isfinite(value):
                edited[int(row), names.index(name)] = value
    return edited


def affine_features(x: np.ndarray, scale, shift) -> np.ndarray:
    """x * scale + shift per feature. x: (N, F); scale, shift: scalars or (F,)."""
    return np.asarray(x, dtype=np.float64) * scale + shift


def normalized_moments(xhat: np.ndarray) -> tuple[float, float, float]:
    """(largest |mean|, smallest variance, largest variance) over the features of xhat (N, F), skipping
    features that are not finite (a division by zero); NaN when none is."""
    means, variances = xhat.mean(axis=0), xhat.var(axis=0)
    finite = np.isfinite(means) & np.isfinite(variances)
    if not finite.any():
        return np.nan, np.nan, np.nan
    return float(np.abs(means[finite]).max()), float(variances[finite].min()), float(variances[finite].max())


def max_abs_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Largest |a - b| over all entries (NaN when either holds NaN)."""
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
