"""BatchNorm makes the weights before it scale-invariant, and what that does to weight decay (van Laarhoven 2017,
"L2 Regularization versus Batch and Weight Normalization", arXiv:1706.05350; Hoffer et al. 2018, "Norm matters",
arXiv:1803.01814).

- Scale invariance: BN(αz) = BN(z) up to ε (exactly, BN_ε(α·z) = BN_{ε/α²}(z)), so scaling the weights W of the layer
  before BatchNorm by α > 0 leaves the output unchanged and divides their gradient by α.
- Effective learning rate: an SGD step on W then changes the function as a step of lr/‖W‖² on the unit sphere.
  Without weight decay ‖W‖ grows (each gradient is orthogonal to W, so ‖W‖² gains lr²‖g‖² per step) and the
  effective step shrinks; weight decay pulls ‖W‖ back and keeps it up.
- The redundant bias: a bias added before BatchNorm is subtracted again with the batch mean, so its gradient is 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bn_core.nn import BatchNorm1d, Linear, Module, ReLU, Sequential
from bn_core.normalize import normalize_forward
from bn_core.toy_data import make_dataset
from lessons.format import format_number
from lessons.training import evaluate, fit, linears

WEIGHT_DECAY_NAMES = {False: "BatchNorm", True: "BatchNorm + weight decay"}


@dataclass(frozen=True)
class Invariance:
    """A Linear layer followed by BatchNorm, with its weights scaled by alpha.

    output_gap: max |y(αW) − y(W)| at the layer's ε; exact_gap: the same with ε·α² for the scaled layer (the
    identity BN_{εα²}(αz) = BN_ε(z)); gradient_ratio: ‖∂L/∂(αW)‖ / ‖∂L/∂W‖ (1/α when invariant);
    bias_gradient: max |∂L/∂b| of the bias before BatchNorm.
    """

    alpha: float
    eps: float
    output_gap: float
    exact_gap: float
    gradient_ratio: float
    bias_gradient: float


def linear_batchnorm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float, dy: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """y = BN(x @ W + b) in training mode, and the gradients of sum(y * dy) for W and b.
    x: (N, D_in); weight: (D_in, D_out); bias: (D_out,); dy: (N, D_out). Returns (y, dW, db)."""
    linear = Linear(*weight.shape, models=1)
    linear.weight, linear.bias = weight[None].copy(), bias[None].copy()
    norm = BatchNorm1d(weight.shape[1], eps=eps)
    layer = Sequential(linear, norm)
    y = layer(x[None])
    layer.backward(dy[None])
    return y[0], linear.dweight[0], linear.dbias[0]


def invariance(alpha: float, *, eps: float = 1e-5, seed: int = 0) -> Invariance:
    """Measure scale invariance on a random batch of 32 samples × 8 inputs -> 4 features."""
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal((32, 8)), rng.standard_normal((8, 4)) / np.sqrt(8), rng.standard_normal(4)
    dy = rng.standard_normal((32, 4))
    y, dw, db = linear_batchnorm(x, w, b, eps, dy)
    y_scaled, dw_scaled, _ = linear_batchnorm(x, alpha * w, alpha * b, eps, dy)
    exact, _ = normalize_forward(x @ (alpha * w) + alpha * b, stat_axes=(0,), param_bshape=(1, 4),
                                 eps=eps * alpha**2)
    return Invariance(alpha, eps, float(np.abs(y_scaled - y).max()), float(np.abs(exact - y).max()),
                      float(np.linalg.norm(dw_scaled) / np.linalg.norm(dw)), float(np.abs(db).max()))


@dataclass(frozen=True)
class DecaySpec:
    """Training a BatchNorm network with and without weight decay (L2 coupled into SGD, as PyTorch's)."""

    weight_decay: float = 5e-3
    lr: float = 0.2
    steps: int = 400
    width: int = 32
    depth: int = 3
    batch_size: int = 32
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    dataset: str = "spirals"


def decay_network(spec: DecaySpec) -> Module:
    """[Linear (no bias) -> BatchNorm -> ReLU] x depth -> Linear: every hidden weight matrix is scale-invariant."""
    rng = np.random.default_rng(list(spec.seeds))
    models, widths = len(spec.seeds), (2,) + (spec.width,) * spec.depth
    layers: list[Module] = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
        layers += [Linear(fan_in, fan_out, models=models, bias=False, rng=rng), BatchNorm1d(fan_out, models=models),
                   ReLU()]
    return Sequential(*layers, Linear(spec.width, 2, models=models, rng=rng))


def weight_norms(model: Module) -> np.ndarray:
    """(S,) the norm of all scale-invariant (hidden) weights of each model together."""
    hidden = linears(model)[:-1]
    return np.sqrt(sum(np.square(layer.weight).sum(axis=(1, 2)) for layer in hidden))


def train_with_decay(spec: DecaySpec, decay: bool) -> pd.DataFrame:
    """One row per step and seed: ‖W‖, the effective learning rate lr/‖W‖², the batch accuracy; and test
    accuracy at the end (column `test accuracy`, on the last step's rows)."""
    data = make_dataset(spec.dataset, 400, noise=0.1, seed=spec.seeds[0])
    model = decay_network(spec)
    norms = []
    run = fit(model, data.x_train, data.y_train, lr=spec.lr, steps=spec.steps, batch_size=spec.batch_size,
              seeds=list(spec.seeds), weight_decay=spec.weight_decay if decay else 0.0,
              on_step=lambda m, step: norms.append(weight_norms(m)))
    norms = np.array(norms)  # (steps, S)
    _, test_accuracy = evaluate(model, data.x_test, data.y_test)
    steps, seeds = np.meshgrid(np.arange(1, len(norms) + 1), spec.seeds, indexing="ij")
    frame = pd.DataFrame({"run": WEIGHT_DECAY_NAMES[decay], "step": steps.ravel(), "seed": seeds.ravel(),
                          "weight norm": norms.ravel(), "effective lr": (spec.lr / norms**2).ravel(),
                          "accuracy": run.accuracy.T[: len(norms)].ravel()})
    frame["test accuracy"] = np.nan
    last = frame["step"] == len(norms)
    frame.loc[last, "test accuracy"] = test_accuracy
    return frame


def decay_experiment(spec: DecaySpec) -> pd.DataFrame:
    return pd.concat([train_with_decay(spec, decay) for decay in (False, True)], ignore_index=True)


def band(frame: pd.DataFrame, column: str, smooth: int = 1) -> pd.DataFrame:
    """Median, min and max over seeds of `column` per run and step (a rolling mean of `smooth` steps first)."""
    values = frame.pivot_table(index="step", columns=["run", "seed"], values=column)
    if smooth > 1:
        values = values.rolling(smooth, min_periods=1).mean()
    stacked = values.T.groupby(level="run")
    parts = [pd.DataFrame({"run": run, "step": group.columns, "median": group.median().to_numpy(),
                           "low": group.min().to_numpy(), "high": group.max().to_numpy()})
             for run, group in stacked]
    return pd.concat(parts, ignore_index=True)


def decay_verdict(frame: pd.DataFrame, spec: DecaySpec) -> str:
    """What the runs show about ‖W‖, the effective learning rate and accuracy, computed from them."""
    first, last = frame["step"].min(), frame["step"].max()
    by = frame.set_index(["run", "step", "seed"])
    plain, decayed = WEIGHT_DECAY_NAMES[False], WEIGHT_DECAY_NAMES[True]
    start, end = by.loc[plain].xs(first, level="step"), by.loc[plain].xs(last, level="step")
    grew = int((end["weight norm"] > start["weight norm"]).sum())
    end_decay = by.loc[decayed].xs(last, level="step")
    n = len(spec.seeds)
    text = (f"Without weight decay ‖W‖ grew from {start['weight norm'].median():.2f} to "
            f"{end['weight norm'].median():.2f} over {last} steps (grew in {grew} of {n} seeds), so the effective "
            f"learning rate lr/‖W‖² went from {format_number(start['effective lr'].median(), 3)} to "
            f"{format_number(end['effective lr'].median(), 3)}. With weight decay "
            f"{format_number(spec.weight_decay, 2)}, "
            f"‖W‖ ended at {end_decay['weight norm'].median():.2f} and the effective rate at "
            f"{format_number(end_decay['effective lr'].median(), 3)}. ")
    accuracy_plain, accuracy_decay = end["test accuracy"].median(), end_decay["test accuracy"].median()
    return text + (f"Test accuracy: {accuracy_plain:.0%} without and {accuracy_decay:.0%} with weight decay "
                   "(medians over seeds).")
