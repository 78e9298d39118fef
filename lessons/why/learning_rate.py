"""Learning rate: does BatchNorm let a network train at larger learning rates (Ioffe & Szegedy 2015, Sec. 3.3)?

Every learning rate of LR_GRID and every seed trains as one stack per normalization (per-model learning rates,
`lessons.training.StackedSGD`). A seed's largest trained rate is the largest at which it neither diverged nor ended
with a training loss above TRAINED_LOSS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lessons.format import format_number
from lessons.training import evaluate, fit
from lessons.why.lab import (
    NORM_NAMES,
    TRAINED_LOSS,
    Budget,
    Lab,
    Verdict,
    bands,
    grid_value,
    holds,
    lab_data,
    loss_curves,
    needed_seeds,
    of_seeds,
    seed_grid,
    stacked_mlp,
)

LR_GRID = (0.1, 0.3, 1.0, 3.0, 10.0)
DEFAULT = Lab(dataset="spirals", n_train=300, depth=4, width=16, batch_size=32, steps=150)
NORMS = ("none", "batch")
# Diverged runs and losses above this are drawn at this ceiling (the chart's top), so a band never leaves the axis.
LOSS_CEILING = 3.0


@dataclass(frozen=True)
class LearningRateResult:
    """runs: one row per run: norm, lr, seed, loss (final training loss, eval mode, capped at LOSS_CEILING),
    train_accuracy (NaN where diverged), diverged, trained. bands: median/low/high of loss per norm and lr.
    largest: per norm and seed, the largest trained learning rate (NaN: none trained). curves: the training loss
    per step (mini-batch, training mode; block means, lab.loss_curves) per norm and lr: norm, lr, step, median,
    low, high, seeds."""

    lab: Lab
    runs: pd.DataFrame
    bands: pd.DataFrame
    largest: pd.DataFrame
    verdict: Verdict
    curves: pd.DataFrame


def run(lab: Lab = DEFAULT, budget: Budget | None = None) -> LearningRateResult:
    budget = budget or Budget()
    data = lab_data(lab)
    frames, curves = [], []
    for norm in NORMS:
        grid = seed_grid(lab, LR_GRID, "lr")
        model = stacked_mlp(lab, norm, repeats=len(LR_GRID))
        history = fit(model, data.x_train, data.y_train, lr=grid.lr.to_numpy(), steps=lab.steps,
                      batch_size=lab.batch_size, seeds=grid.seed.tolist(), momentum=lab.momentum,
                      on_step=lambda _m, step: budget.check(step.step, lab.steps))
        loss, accuracy = evaluate(model, data.x_train, data.y_train)
        curves += [loss_curves(history.loss[(grid.lr == lr).to_numpy()], norm=NORM_NAMES[norm], lr=lr)
                   for lr in LR_GRID]
        diverged = history.diverged | ~np.isfinite(loss)
        loss = np.where(diverged, LOSS_CEILING, np.minimum(np.nan_to_num(loss, nan=LOSS_CEILING), LOSS_CEILING))
        frames.append(grid.assign(norm=NORM_NAMES[norm], loss=loss,
                                  train_accuracy=np.where(diverged, np.nan, accuracy), diverged=diverged,
                                  trained=~diverged & (loss < TRAINED_LOSS)))
    runs = pd.concat(frames, ignore_index=True).drop(columns="model")
    largest = (runs.assign(trained_lr=runs.lr.where(runs.trained)).groupby(["norm", "seed"], sort=False)
               .trained_lr.max().reset_index())
    return LearningRateResult(lab, runs, bands(runs, ["norm", "lr"], "loss"), largest, verdict(largest, lab),
                              pd.concat(curves, ignore_index=True))


def curve_reading(result: LearningRateResult, lr: float) -> str:
    """What the loss curves at learning rate `lr` show, per norm: the median loss at the last step every seed
    reached, and how many seeds diverged."""
    runs = result.runs[result.runs.lr == lr]
    parts = []
    for norm in result.runs.norm.unique():
        own = runs[runs.norm == norm]
        diverged, seeds = int(own.diverged.sum()), len(own)
        curve = result.curves[(result.curves.norm == norm) & (result.curves.lr == lr)]
        if diverged == seeds or curve.empty:
            parts.append(f"{norm}: every seed diverged")
            continue
        last = curve.iloc[-1]
        text = f"{norm}: median loss {format_number(last['median'], 3)} at step {int(last.step)}"
        parts.append(text + (f" over the {int(last.seeds)} of {seeds} seeds that did not diverge" if diverged
                             else ", no seed diverged"))
    return f"At learning rate {grid_value(lr)}: " + "; ".join(parts) + "."


def verdict(largest: pd.DataFrame, lab: Lab) -> Verdict:
    """Does BatchNorm's largest trained learning rate exceed no norm's, seed by seed?"""
    wide = largest.pivot(index="seed", columns="norm", values="trained_lr")
    bn, plain = wide["BatchNorm"].fillna(0.0), wide["No norm"].fillna(0.0)
    wins, total = int((bn > plain).sum()), len(wide)

    def median_rate(rates: pd.Series) -> str:
        trained = rates[rates > 0]
        return "none of the rates" if trained.empty else f"lr {grid_value(float(np.median(rates)))}"

    text = (f"BatchNorm's largest learning rate that trained exceeded no norm's in {of_seeds(wins, total)} "
            f"(median largest: BatchNorm {median_rate(bn)}, no norm {median_rate(plain)}; trained means no "
            f"divergence and a final training loss below {grid_value(TRAINED_LOSS)}).")
    if not holds(wins, total):
        text += f" At these settings the data do not show the claim: it needs BatchNorm ahead in {needed_seeds(total)}."
        if not 4 <= lab.depth <= 6:
            text += " In these small networks it shows at 4–6 hidden layers."
    return Verdict(holds(wins, total), text)
