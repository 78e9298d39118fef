"""Initialization: does BatchNorm make training insensitive to the initial weight scale (Ioffe & Szegedy 2015,
Sec. 3.3)?

Every Linear weight starts at a multiple (INIT_GRID) of He initialization, N(0, 2/fan-in); every scale and seed
trains as one stack per normalization. The headline is the accuracy at the worst scale, and the spread across scales.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lessons.format import format_number
from lessons.training import evaluate, fit
from lessons.why.lab import (
    NORM_NAMES,
    Budget,
    Lab,
    Verdict,
    bands,
    grid_value,
    holds,
    lab_data,
    needed_seeds,
    of_seeds,
    seed_grid,
    stacked_mlp,
)

INIT_GRID = (0.1, 0.3, 1.0, 3.0, 10.0)
DEFAULT = Lab(dataset="spirals", n_train=300, depth=4, width=32, lr=0.1, batch_size=32, steps=200)
NORMS = ("none", "batch")
# BatchNorm's accuracy counts as flat across scales when its worst scale is within this of its best.
FLAT = 0.05


@dataclass(frozen=True)
class InitializationResult:
    """runs: norm, scale, seed, test_accuracy (0.5 where a run diverged: a constant guess), diverged.
    bands: median/low/high of test accuracy per norm and scale. per_seed: per norm and seed, the worst and best
    accuracy over scales and the worst scale."""

    lab: Lab
    runs: pd.DataFrame
    bands: pd.DataFrame
    per_seed: pd.DataFrame
    verdict: Verdict


def run(lab: Lab = DEFAULT, budget: Budget | None = None) -> InitializationResult:
    budget = budget or Budget()
    data = lab_data(lab)
    frames = []
    for norm in NORMS:
        grid = seed_grid(lab, INIT_GRID, "scale")
        model = stacked_mlp(lab, norm, repeats=len(INIT_GRID), scales=INIT_GRID)
        history = fit(model, data.x_train, data.y_train, lr=lab.lr, steps=lab.steps, batch_size=lab.batch_size,
                      seeds=grid.seed.tolist(), momentum=lab.momentum,
                      on_step=lambda _m, step: budget.check(step.step, lab.steps))
        _, accuracy = evaluate(model, data.x_test, data.y_test)
        frames.append(grid.assign(norm=NORM_NAMES[norm], test_accuracy=np.where(history.diverged, 0.5, accuracy),
                                  diverged=history.diverged))
    runs = pd.concat(frames, ignore_index=True).drop(columns="model")
    grouped = runs.groupby(["norm", "seed"], sort=False)
    per_seed = grouped.test_accuracy.agg(worst="min", best="max").reset_index()
    per_seed["worst_scale"] = grouped.apply(lambda g: g.scale[g.test_accuracy.idxmin()], include_groups=False).values
    return InitializationResult(lab, runs, bands(runs, ["norm", "scale"], "test_accuracy"), per_seed,
                                verdict(per_seed, runs))


def verdict(per_seed: pd.DataFrame, runs: pd.DataFrame) -> Verdict:
    """Is BatchNorm's accuracy flat across scales (worst within FLAT of best), and its worst scale better than no
    norm's, seed by seed?"""
    wide = per_seed.pivot(index="seed", columns="norm", values=["worst", "best"])
    flat = (wide["best"]["BatchNorm"] - wide["worst"]["BatchNorm"]) <= FLAT
    better = wide["worst"]["BatchNorm"] > wide["worst"]["No norm"]
    total, n_flat, n_better = len(wide), int(flat.sum()), int(better.sum())
    diverged = runs[runs.diverged].groupby("norm").size()

    def worst(norm: str) -> str:
        medians = runs[runs.norm == norm].groupby("scale").test_accuracy.median()
        return f"{format_number(medians.min() * 100, 3)} % at {grid_value(medians.idxmin())}×"

    text = (f"Median test accuracy at the worst scale: BatchNorm {worst('BatchNorm')}, no norm {worst('No norm')}. "
            f"BatchNorm stayed within {grid_value(FLAT * 100)} points of its best at every scale in "
            f"{of_seeds(n_flat, total)}, and beat no norm at the worst scale in {of_seeds(n_better, total)}.")
    if diverged.get("No norm", 0):
        text += f" No norm diverged in {diverged['No norm']} of {total * len(INIT_GRID)} runs."
    shown = holds(n_flat, total) and holds(n_better, total)
    if not shown:
        text += f" At these settings the data do not show the claim: both parts must hold in {needed_seeds(total)}."
    return Verdict(shown, text)
