"""One sample moves every output: in training mode, BatchNorm couples the samples of a batch.

For one feature of a batch x_1 … x_m, y_i = γ x̂_i + β with the batch's mean and variance, so

    ∂y_i / ∂x_j = γ / √(σ²_B + ε) · (δ_ij − 1/m − x̂_i x̂_j / m)

The −1/m is the mean's share of every sample, −x̂_i x̂_j / m the variance's. Row i of the Jacobian is the
backward pass with dy = e_i, which is how `jacobian` computes it (bn_core's `norm_backward`); `finite_differences`
checks it. In eval mode the Jacobian is diagonal: γ / √(σ²_run + ε).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bn_core.data import seed_example_batch
from bn_core.functional import batch_norm, batch_norm_forward
from bn_core.normalize import norm_backward

VALUE_RANGE = (-10.0, 10.0)


def example_batch() -> np.ndarray:
    """The seed page's example batch, feature 1: (8,) values."""
    return seed_example_batch()[:, 0]


def outputs(x: np.ndarray, gamma: float = 1.0, beta: float = 0.0, eps: float = 1e-5) -> np.ndarray:
    """Training-mode BatchNorm of one feature x (m,) -> y (m,)."""
    return batch_norm(x.reshape(-1, 1), np.array([gamma]), np.array([beta]), eps=eps).reshape(-1)


def jacobian(x: np.ndarray, gamma: float = 1.0, eps: float = 1e-5) -> np.ndarray:
    """J[i, j] = ∂y_i / ∂x_j (m, m) of training-mode BatchNorm on x (m,), one backward pass per row."""
    m = len(x)
    _, cache = batch_norm_forward(x.reshape(m, 1), np.array([gamma]), np.array([0.0]), eps=eps)
    return np.stack([norm_backward(np.eye(m)[i].reshape(m, 1), cache)[0].reshape(-1) for i in range(m)])


def finite_differences(x: np.ndarray, gamma: float = 1.0, eps: float = 1e-5, h: float = 1e-6) -> np.ndarray:
    """The same Jacobian by central differences: column j = (y(x + h e_j) − y(x − h e_j)) / 2h."""
    columns = [(outputs(x + h * e, gamma, eps=eps) - outputs(x - h * e, gamma, eps=eps)) / (2 * h)
               for e in np.eye(len(x))]
    return np.stack(columns, axis=1)


@dataclass(frozen=True)
class Coupling:
    """Sample `moved` (0-based) of x set to `value`: outputs before and after, the Jacobian at the new batch and its
    largest disagreement with finite differences."""

    moved: int
    before: np.ndarray
    after: np.ndarray
    x_after: np.ndarray
    jacobian: np.ndarray
    finite_difference_error: float

    @property
    def others_moved(self) -> np.ndarray:
        """How far each other sample's output moved, |Δy_i| for i ≠ moved."""
        return np.abs(np.delete(self.after - self.before, self.moved))


def move_one_sample(x: np.ndarray, moved: int, value: float) -> Coupling:
    x_after = x.copy()
    x_after[moved] = value
    j = jacobian(x_after)
    return Coupling(moved, outputs(x), outputs(x_after), x_after, j,
                    float(np.max(np.abs(j - finite_differences(x_after)))))
