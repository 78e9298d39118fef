"""Two-class 2-D toy datasets, generated in code from a seed: two spirals, moons, circles and XOR blobs.

Every dataset lies roughly in the square [-1, 1]^2 before noise; `noise` is the standard deviation of the
Gaussian jitter added to each coordinate, in those units. Classes are balanced and the train/test split is
stratified, so both halves hold the same share of each class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DATASETS = {"spirals": "Two spirals", "moons": "Moons", "circles": "Circles", "xor": "XOR blobs"}

_SPIRAL_TURNS = 1.25
_CIRCLE_RADII = (0.45, 1.0)
_XOR_CENTRE = 0.5
_XOR_SPREAD = 0.15


@dataclass(frozen=True)
class ToyData:
    """A train/test split. x_*: (n, 2) float64 points; y_*: (n,) int64 labels in {0, 1}."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def x_all(self) -> np.ndarray:
        """Every point, train then test: (n_train + n_test, 2)."""
        return np.concatenate([self.x_train, self.x_test])


def _spirals(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    label = np.arange(n) % 2
    t = np.sqrt(rng.uniform(0.0, 1.0, n)) * 0.9 + 0.1  # radius in (0.1, 1], denser further out
    angle = 2 * np.pi * _SPIRAL_TURNS * t + np.pi * label
    return np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1), label


def _moons(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    label = np.arange(n) % 2
    theta = rng.uniform(0.0, np.pi, n)
    upper = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    lower = np.stack([1.0 - np.cos(theta), 0.5 - np.sin(theta)], axis=1)
    points = np.where(label[:, None] == 0, upper, lower)
    return (points - [0.5, 0.25]) / 1.5, label


def _circles(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    label = np.arange(n) % 2
    theta = rng.uniform(0.0, 2 * np.pi, n)
    radius = np.where(label == 0, _CIRCLE_RADII[1], _CIRCLE_RADII[0])
    return radius[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=1), label


def _xor(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    corner = np.arange(n) % 4
    signs = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]], dtype=np.float64)[corner]
    label = (corner >= 2).astype(np.int64)  # same signs: class 0; opposite signs: class 1
    return _XOR_CENTRE * signs + _XOR_SPREAD * rng.standard_normal((n, 2)), label


_GENERATORS = {"spirals": _spirals, "moons": _moons, "circles": _circles, "xor": _xor}


def make_points(name: str, n_samples: int, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`n_samples` points of dataset `name` with Gaussian noise of standard deviation `noise`.

    Returns (x, y): x (n_samples, 2) float64, y (n_samples,) int64 in {0, 1}, half of each class
    (the first class gets the odd one out). Same arguments, same points.
    """
    if name not in _GENERATORS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {tuple(DATASETS)}")
    if int(n_samples) != n_samples or n_samples < 4:
        raise ValueError(f"n_samples must be an integer >= 4, got {n_samples}")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise}")
    rng = np.random.default_rng(seed)
    x, y = _GENERATORS[name](rng, int(n_samples))
    x = x + noise * rng.standard_normal(x.shape)
    return x.astype(np.float64), y.astype(np.int64)


def make_dataset(name: str, n_samples: int = 400, noise: float = 0.1, seed: int = 0,
                 test_fraction: float = 0.25) -> ToyData:
    """Points from `make_points` split into train and test, stratified by class, reproducible for a seed."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    x, y = make_points(name, n_samples, noise, seed)
    rng = np.random.default_rng([seed, 1])
    test = np.zeros(len(y), dtype=bool)
    for label in (0, 1):
        members = rng.permutation(np.flatnonzero(y == label))
        test[members[: int(round(test_fraction * len(members)))]] = True
    return ToyData(x[~test], y[~test], x[test], y[test])
