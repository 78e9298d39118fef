"""Reproducible example batches: the seed page's 8 x 4 batch and seeded synthetic features."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The example batch of the page this app grew from: 8 samples (rows) x 4 features (columns).
SEED_EXAMPLE_BATCH = np.array(
    [
        [-0.96, 15.85, 23.19, 25.19],
        [-1.71, 13.96, 21.25, 27.30],
        [-2.76, 9.92, 14.74, 36.08],
        [2.25, 13.01, 16.39, 31.11],
        [-2.88, 11.44, 17.65, 28.10],
        [-1.42, 9.79, 9.10, 33.09],
        [4.48, 14.81, 20.23, 28.16],
        [2.09, 13.21, 17.62, 35.79],
    ]
)

DISTRIBUTIONS = ("normal", "uniform", "skewed", "bimodal", "heavy-tailed", "with outliers")

_LOGNORMAL_SIGMA = 0.6
_BIMODAL_CENTRE = 0.9  # modes at +-0.9, each with standard deviation sqrt(1 - 0.9^2): total variance 1
_T_DF = 3.0
_OUTLIER_FRACTION = 0.05


def feature_names(num_features: int) -> list[str]:
    """Default feature labels, one per column of a (N, F) batch: F0, F1, ..., F(num_features - 1)."""
    return [f"F{j}" for j in range(num_features)]


def seed_example_batch() -> np.ndarray:
    """The seed page's example batch, shape (8, 4), float64 (a fresh copy)."""
    return SEED_EXAMPLE_BATCH.copy()


@dataclass(frozen=True)
class FeatureSpec:
    """One feature's population: a distribution shape, a mean and a scale (standard deviation).

    For "with outliers" the scale is the standard deviation of the bulk; 5% of samples lie 6 to 10 scales away.
    """

    distribution: str = "normal"
    mean: float = 0.0
    scale: float = 1.0

    def __post_init__(self):
        if self.distribution not in DISTRIBUTIONS:
            raise ValueError(f"unknown distribution {self.distribution!r}; choose one of {DISTRIBUTIONS}")
        if not np.isfinite(self.mean) or not np.isfinite(self.scale) or self.scale < 0:
            raise ValueError(f"mean must be finite and scale finite and >= 0, got {self.mean}, {self.scale}")


def standard_sample(rng: np.random.Generator, distribution: str, n: int) -> np.ndarray:
    """n draws with population mean 0 and (except "with outliers") standard deviation 1. Shape (n,)."""
    if distribution == "normal":
        return rng.standard_normal(n)
    if distribution == "uniform":
        return rng.uniform(-np.sqrt(3.0), np.sqrt(3.0), n)
    if distribution == "skewed":
        s2 = _LOGNORMAL_SIGMA**2
        mean, std = np.exp(s2 / 2), np.sqrt((np.exp(s2) - 1) * np.exp(s2))
        return (rng.lognormal(0.0, _LOGNORMAL_SIGMA, n) - mean) / std
    if distribution == "bimodal":
        signs = rng.choice([-1.0, 1.0], n)
        return signs * _BIMODAL_CENTRE + rng.standard_normal(n) * np.sqrt(1 - _BIMODAL_CENTRE**2)
    if distribution == "heavy-tailed":
        return rng.standard_t(_T_DF, n) / np.sqrt(_T_DF / (_T_DF - 2))
    if distribution == "with outliers":
        z = rng.standard_normal(n)
        outliers = rng.random(n) < _OUTLIER_FRACTION
        z[outliers] = rng.choice([-1.0, 1.0], outliers.sum()) * rng.uniform(6.0, 10.0, outliers.sum())
        return z
    raise ValueError(f"unknown distribution {distribution!r}; choose one of {DISTRIBUTIONS}")


def make_batch(specs: list[FeatureSpec], batch_size: int, seed: int | np.random.Generator = 0) -> np.ndarray:
    """A batch of shape (batch_size, len(specs)): column j drawn from specs[j], reproducible for a seed."""
    if int(batch_size) != batch_size or batch_size < 1 or not specs:
        raise ValueError(f"need an integer batch_size >= 1 and at least one feature, got {batch_size} and {len(specs)}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    columns = [spec.mean + spec.scale * standard_sample(rng, spec.distribution, int(batch_size)) for spec in specs]
    return np.stack(columns, axis=1)


def seed_like_specs(num_features: int = 4) -> list[FeatureSpec]:
    """`num_features` feature populations resembling the seed batch: different means and scales per feature.

    The first four are normal, like the seed batch's columns; the following ones cycle through the other shapes.
    """
    if int(num_features) != num_features or num_features < 1:
        raise ValueError(f"num_features must be a positive integer, got {num_features}")
    base = [FeatureSpec("normal", 0.0, 2.5), FeatureSpec("normal", 12.75, 2.2),
            FeatureSpec("normal", 17.5, 4.5), FeatureSpec("normal", 30.6, 3.9)]
    others = DISTRIBUTIONS[1:]
    extra = [FeatureSpec(others[(i - 1) % len(others)], 5.0 * i, 1.0 + i) for i in range(1, int(num_features) - 3)]
    return (base + extra)[:num_features]
