"""Internal covariate shift, measured two ways, with and without BatchNorm.

1. As Ioffe & Szegedy 2015 (Fig. 1b, c) show it: the 15th, 50th and 85th percentiles of each hidden unit's input to
   its ReLU over a fixed probe set of inputs, through training. Drift of a unit = its median's mean distance from
   where it started, in units of its starting spread ((85th − 15th percentile) / 2).
2. As Santurkar et al. 2018 define it (Definition 2.1): for layer i, G = the gradient of its weights now and G′ the
   same gradient after every layer below i has taken the optimizer's real step (momentum included), on the same
   batch. ‖G − G′‖ / ‖G‖ (relative, so networks with different weight scales compare) and cos(G, G′).

Probes run on a copy of the network, so training (and BatchNorm's running statistics) is untouched.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bn_core.nn import Linear, Module, ReLU, Sequential, Tanh, softmax_cross_entropy
from lessons.format import format_number
from lessons.training import Step, fit, next_update
from lessons.why.lab import NORM_NAMES, Budget, Lab, Verdict, holds, lab_data, of_seeds, stacked_mlp

DEFAULT = Lab(dataset="spirals", n_train=300, depth=4, width=32, lr=0.05, momentum=0.9, batch_size=32, steps=300)
NORMS = ("none", "batch")
PROBE_POINTS = 256
CHECKPOINTS = 20
PERCENTILES = (15, 50, 85)


def unit_inputs(model: Sequential, x: np.ndarray) -> list[np.ndarray]:
    """Each hidden block's input to its activation, (S, N, width) per block, for inputs x (S, N, D), computed on a
    copy in training mode (so BatchNorm normalizes over x, and the model's running statistics are untouched)."""
    probe = copy.deepcopy(model)
    probe(x)
    layers = probe.layers
    return [layers[i - 1].out for i, m in enumerate(layers) if isinstance(m, ReLU | Tanh)]


def parameter_blocks(model: Sequential) -> list[int]:
    """For each of model.parameters(), the block it belongs to: 0 for the first Linear and the norm after it, ..."""
    blocks, block = [], -1
    for module in model.layers:
        if isinstance(module, Linear):
            block += 1
        blocks += [block] * len(module.parameters())
    return blocks


def gradients_at(model: Module, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    with np.errstate(over="ignore", invalid="ignore"):
        _, dlogits = softmax_cross_entropy(model(x), y)
        model.backward(dlogits)
    return model.gradients()


def gradient_shift(model: Sequential, step: Step) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Santurkar et al.'s Definition 2.1 at this step: for each block i ≥ 1, (i, relative ‖G − G′‖ (S,),
    cos(G, G′) (S,)), G′ computed after the blocks below i took the optimizer's next update."""
    probe = copy.deepcopy(model)
    blocks = parameter_blocks(model)
    update = next_update(step.optimizer, step.grads)
    weight_index = [blocks.index(b) for b in range(max(blocks) + 1)]  # a block's Linear weight comes first
    rows = []
    for i in range(1, max(blocks) + 1):
        for q, p, u, b in zip(probe.parameters(), model.parameters(), update, blocks, strict=True):
            q[...] = p + u if b < i else p
        after = gradients_at(probe, step.x, step.y)[weight_index[i]]
        before = step.grads[weight_index[i]]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            norm_before = np.sqrt(np.square(before).sum(axis=(1, 2)))
            norm_after = np.sqrt(np.square(after).sum(axis=(1, 2)))
            change = np.sqrt(np.square(after - before).sum(axis=(1, 2))) / norm_before
            cosine = (before * after).sum(axis=(1, 2)) / (norm_before * norm_after)
        rows.append((i, change, cosine))
    return rows


@dataclass(frozen=True)
class CovariateShiftResult:
    """percentiles: norm, seed, layer (1...), unit (1...), step, p15, p50, p85 at every checkpoint.
    drift: per norm and seed, the median drift over all hidden units. shift: norm, seed, step, layer (2 ...
    output), change (relative ‖G − G′‖), cosine. shift_summary: per norm and seed, median change and cosine.
    unit: a typical unit of the last hidden layer for the first seed (see typical_unit)."""

    lab: Lab
    percentiles: pd.DataFrame
    drift: pd.DataFrame
    shift: pd.DataFrame
    shift_summary: pd.DataFrame
    verdict: Verdict
    unit: int


def run(lab: Lab = DEFAULT, budget: Budget | None = None) -> CovariateShiftResult:
    budget = budget or Budget()
    data = lab_data(lab)
    probe_x = np.broadcast_to(data.x_test[:PROBE_POINTS], (lab.n_seeds, min(PROBE_POINTS, len(data.x_test)), 2))
    every = max(1, lab.steps // CHECKPOINTS)
    pct_frames, shift_rows = [], []
    for norm in NORMS:
        model = stacked_mlp(lab, norm)

        def on_step(current: Sequential, step: Step, norm: str = norm) -> None:
            budget.check(step.step, lab.steps)
            if (step.step - 1) % every:
                return
            for layer, z in enumerate(unit_inputs(current, probe_x), start=1):
                p15, p50, p85 = np.percentile(z, PERCENTILES, axis=1)  # each (S, width)
                s, width = p50.shape
                pct_frames.append(pd.DataFrame({
                    "norm": NORM_NAMES[norm], "seed": np.repeat(lab.seeds, width), "layer": layer,
                    "unit": np.tile(np.arange(1, width + 1), s), "step": step.step - 1,
                    "p15": p15.ravel(), "p50": p50.ravel(), "p85": p85.ravel()}))
            for layer, change, cosine in gradient_shift(current, step):
                shift_rows.append(pd.DataFrame({"norm": NORM_NAMES[norm], "seed": lab.seeds, "step": step.step,
                                                "layer": layer + 1, "change": change, "cosine": cosine}))

        fit(model, data.x_train, data.y_train, lr=lab.lr, steps=lab.steps, batch_size=lab.batch_size,
            seeds=lab.seeds, momentum=lab.momentum, on_step=on_step)
    percentiles = pd.concat(pct_frames, ignore_index=True)
    shift = pd.concat(shift_rows, ignore_index=True)
    shift = shift[np.isfinite(shift.change) & np.isfinite(shift.cosine)].reset_index(drop=True)
    drift = unit_drift(percentiles)
    shift_summary = shift.groupby(["norm", "seed"], sort=False)[["change", "cosine"]].median().reset_index()
    return CovariateShiftResult(lab, percentiles, drift, shift, shift_summary, verdict(drift, shift_summary),
                                typical_unit(percentiles, lab.depth, lab.seed))


def typical_unit(percentiles: pd.DataFrame, layer: int, seed: int) -> int:
    """The unit of `layer` (first seed) whose drift without normalization is the median of that layer's: a typical
    unit, as Ioffe & Szegedy's Fig. 1 shows one. Both networks start from the same weights, so unit j is the same
    unit at step 0 in both."""
    rows = percentiles[(percentiles.norm == "No norm") & (percentiles.layer == layer) & (percentiles.seed == seed)]
    drift = _per_unit(rows).droplevel(["norm", "seed", "layer"]).dropna().sort_values()
    return int(drift.index[len(drift) // 2]) if len(drift) else 1


def _per_unit(percentiles: pd.DataFrame) -> pd.Series:
    first = percentiles[percentiles.step == 0].set_index(["norm", "seed", "layer", "unit"])
    later = percentiles[percentiles.step > 0].set_index(["norm", "seed", "layer", "unit"])
    spread = ((first.p85 - first.p15) / 2).replace(0.0, np.nan)
    moved = (later.p50 - first.p50.reindex(later.index)).abs() / spread.reindex(later.index)
    return moved.groupby(level=["norm", "seed", "layer", "unit"], sort=False).mean()


def unit_drift(percentiles: pd.DataFrame) -> pd.DataFrame:
    """Per norm and seed: the median over units of |p50(t) − p50(0)| / ((p85(0) − p15(0)) / 2), averaged over the
    checkpoints after the first. Columns norm, seed, drift."""
    return _per_unit(percentiles).groupby(level=["norm", "seed"], sort=False).median().rename("drift").reset_index()


def verdict(drift: pd.DataFrame, shift_summary: pd.DataFrame) -> Verdict:
    """The per-unit drift claim (smaller with BatchNorm, seed by seed), and what Santurkar et al.'s measure says."""
    d = drift.pivot(index="seed", columns="norm", values="drift")
    smaller, total = int((d["BatchNorm"] < d["No norm"]).sum()), len(d)
    g = shift_summary.pivot(index="seed", columns="norm", values="change")
    less = int((g["BatchNorm"] < g["No norm"]).sum())
    text = (f"Per unit, on the fixed probe inputs, a hidden unit's median moved a median "
            f"{format_number(d['No norm'].median(), 2)} starting spreads without normalization and "
            f"{format_number(d['BatchNorm'].median(), 2)} with BatchNorm: smaller with BatchNorm in "
            f"{of_seeds(smaller, total)}. By Santurkar et al.'s gradient measure, the layers' gradients changed "
            f"{'less' if less * 2 > total else 'more'} with BatchNorm (median ‖G − G′‖ / ‖G‖ "
            f"{format_number(g['BatchNorm'].median(), 2)} vs {format_number(g['No norm'].median(), 2)}; less in "
            f"{of_seeds(less, total)}).")
    if not holds(smaller, total):
        text += " At these settings the data do not show BatchNorm holding the units' distributions stiller."
    return Verdict(holds(smaller, total), text)
