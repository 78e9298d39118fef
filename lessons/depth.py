"""Gradients at initialization as networks get deeper (Yang et al. 2019, "A Mean Field Theory of Batch
Normalization", arXiv:1902.08129; De & Smith 2020, "Batch Normalization Biases Residual Blocks Towards the Identity
Function in Deep Networks", arXiv:2002.10444).

Three architectures of the same width, He-initialised, ReLU, evaluated on one batch before any training:
- plain:     [Linear -> ReLU] x depth
- batchnorm: [Linear -> BatchNorm -> ReLU] x depth, no skip connections: BatchNorm itself makes the gradient grow
             geometrically towards the input (Yang et al.)
- residual:  pre-activation residual blocks x + [BatchNorm -> ReLU -> Linear] (He et al. 2016); each skip carries
             the signal past the branch, so the gradient grows only slowly with depth (De & Smith).
For each, the norm of the loss gradient with respect to every hidden layer's weights, per seed. (A branch ending in
a BatchNorm with γ = 0 — zero-γ, Goyal et al. 2017 — or scaled by a zero scalar — SkipInit, De & Smith — starts as
the identity: its weights get exactly zero gradient until that scale moves, so it is not drawn here.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bn_core.nn import BatchNorm1d, Linear, Module, ReLU, Residual, Sequential, mlp, softmax_cross_entropy
from bn_core.toy_data import make_dataset
from lessons.format import format_number
from lessons.training import linears

ARCHITECTURES = {"plain": "No norm", "batchnorm": "BatchNorm", "residual": "Residual + BatchNorm"}
DEPTHS = (4, 8, 16, 24, 32, 50)


@dataclass(frozen=True)
class DepthSpec:
    """depth: hidden weight layers (for residual networks, one per block); width: units per layer."""

    depth: int = 32
    width: int = 32
    batch_size: int = 64
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)


def build(architecture: str, spec: DepthSpec) -> Module:
    """The stacked network (one model per seed) for one architecture."""
    models, width = len(spec.seeds), spec.width
    if architecture != "residual":
        norm = "batch" if architecture == "batchnorm" else "none"
        return mlp((2,) + (width,) * (spec.depth + 1) + (2,), norm=norm, models=models, seed=list(spec.seeds))
    rng = np.random.default_rng(list(spec.seeds))
    layers: list[Module] = [Linear(2, width, models=models, rng=rng)]
    for _ in range(spec.depth):
        layers.append(Residual(BatchNorm1d(width, models=models), ReLU(), Linear(width, width, models=models, rng=rng)))
    layers += [BatchNorm1d(width, models=models), ReLU(), Linear(width, 2, models=models, rng=rng)]
    return Sequential(*layers)


def hidden_weight_layers(model: Module) -> list[Linear]:
    """The hidden layers' Linear modules, input side first (the input and output projections left out)."""
    found = linears(model)
    return found[1:-1] if len(found) > 2 else found


def gradient_norms(architecture: str, spec: DepthSpec) -> np.ndarray:
    """(depth, S) ‖∂L/∂W_l‖ of each hidden layer l at initialization, per seed, on one training batch."""
    data = make_dataset("spirals", 400, noise=0.1, seed=spec.seeds[0])
    x, y = data.x_train[: spec.batch_size], data.y_train[: spec.batch_size]
    model = build(architecture, spec)
    with np.errstate(over="ignore", invalid="ignore"):
        _, dlogits = softmax_cross_entropy(model(np.broadcast_to(x, (len(spec.seeds), *x.shape))), y)
        model.backward(dlogits)
        return np.stack([np.sqrt(np.square(layer.dweight).sum(axis=(1, 2))) for layer in hidden_weight_layers(model)])


def profile_table(spec: DepthSpec) -> pd.DataFrame:
    """One row per architecture and hidden layer: the median, min and max over seeds of ‖∂L/∂W_l‖."""
    frames = []
    for architecture, name in ARCHITECTURES.items():
        norms = gradient_norms(architecture, spec)
        frames.append(pd.DataFrame({"architecture": name, "layer": np.arange(1, len(norms) + 1),
                                    "median": np.median(norms, axis=1), "low": norms.min(axis=1),
                                    "high": norms.max(axis=1)}))
    return pd.concat(frames, ignore_index=True)


def growth_table(spec: DepthSpec, depths: tuple[int, ...] = DEPTHS) -> pd.DataFrame:
    """One row per architecture, depth and seed: first-to-last hidden layer gradient ratio ‖∂L/∂W_1‖ / ‖∂L/∂W_L‖."""
    rows = []
    for depth in depths:
        at_depth = DepthSpec(depth, spec.width, spec.batch_size, spec.seeds)
        for architecture, name in ARCHITECTURES.items():
            norms = gradient_norms(architecture, at_depth)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratios = norms[0] / norms[-1]
            rows += [{"architecture": name, "depth": depth, "seed": seed, "ratio": r}
                     for seed, r in zip(spec.seeds, ratios, strict=True)]
    return pd.DataFrame(rows)


def growth_summary(growth: pd.DataFrame) -> pd.DataFrame:
    """Median, min and max ratio over seeds per architecture and depth."""
    grouped = growth.groupby(["architecture", "depth"], sort=False)["ratio"]
    return grouped.agg(median="median", low="min", high="max").reset_index()


def verdict(growth: pd.DataFrame) -> str:
    """What the ratios show, computed from them: how BatchNorm without skips and the residual network scale."""
    summary = growth_summary(growth)
    shallow, deep = summary["depth"].min(), summary["depth"].max()

    def ratio(name: str, depth: int) -> float:
        return float(summary.loc[(summary["architecture"] == name) & (summary["depth"] == depth), "median"].iloc[0])

    bn_shallow, bn_deep = ratio("BatchNorm", shallow), ratio("BatchNorm", deep)
    res_deep, plain_deep = ratio("Residual + BatchNorm", deep), ratio("No norm", deep)
    seeds = growth["seed"].nunique()
    grows = growth[(growth["architecture"] == "BatchNorm") & (growth["depth"] == deep)]["ratio"]
    more = int((grows > bn_shallow).sum())
    text = (f"Without skip connections, BatchNorm's first-layer gradient is {format_number(bn_shallow, 3)}× the last "
            f"layer's at depth {shallow} and {format_number(bn_deep, 3)}× at depth {deep} (medians over {seeds} seeds; "
            f"larger at depth "
            f"{deep} in {more} of {seeds}). ")
    if bn_deep > 10 * max(bn_shallow, 1.0):
        text += "The gradient explodes towards the input as depth grows: BatchNorm causes it. "
    else:
        text += "At these settings the growth is mild. "
    return text + (f"With residual blocks the ratio at depth {deep} is {format_number(res_deep, 3)}×; the plain "
                   f"He-initialised network's is {format_number(plain_deep, 3)}×.")
