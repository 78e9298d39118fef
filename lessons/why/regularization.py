"""Regularization: does BatchNorm narrow the generalization gap (Ioffe & Szegedy 2015, Sec. 3.4)?

A setting that can overfit (few training points, noisy labels near the boundary, a wide network), trained for the
same number of epochs at every batch size (so a small batch is not also a shorter training run), with and without
BatchNorm. Gap = training accuracy − test accuracy (eval mode, a fresh test set of TEST_POINTS points).
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
    holds,
    lab_data,
    needed_seeds,
    of_seeds,
    stacked_mlp,
)

BATCH_GRID = (4, 16, 64)
EPOCHS = 80
DEFAULT = Lab(dataset="moons", n_train=64, noise=0.3, depth=2, width=64, lr=0.1, batch_size=64, steps=EPOCHS)
NORMS = ("none", "batch")
# Test accuracy counts as higher above one standard error of an accuracy near 0.8 on TEST_POINTS points:
# √(0.8 · 0.2 / 1000) ≈ 1.3 points; smaller differences are within the test set's own noise.
GAIN = 0.013


@dataclass(frozen=True)
class RegularizationResult:
    """runs: norm, batch_size, seed, train_accuracy, test_accuracy, gap (train − test), diverged.
    bands: median/low/high of gap, train and test accuracy per norm and batch size (column `measure`).
    paired: per batch size and seed, BatchNorm minus no norm for gap and test accuracy."""

    lab: Lab
    runs: pd.DataFrame
    bands: pd.DataFrame
    paired: pd.DataFrame
    verdict: Verdict


def epochs_to_steps(epochs: int, n_train: int, batch_size: int) -> int:
    """SGD steps that make `epochs` passes over n_train points in batches of batch_size (capped at n_train)."""
    return epochs * max(1, n_train // min(batch_size, n_train))


def run(lab: Lab = DEFAULT, budget: Budget | None = None) -> RegularizationResult:
    """lab.steps is read as the number of epochs; lab.batch_size is not used (the grid is BATCH_GRID)."""
    budget = budget or Budget()
    data = lab_data(lab)
    rows = []
    for batch_size in sorted({min(b, lab.n_train) for b in BATCH_GRID}):
        steps = epochs_to_steps(lab.steps, lab.n_train, batch_size)
        for norm in NORMS:
            model = stacked_mlp(lab, norm)
            history = fit(model, data.x_train, data.y_train, lr=lab.lr, steps=steps, batch_size=batch_size,
                          seeds=lab.seeds, momentum=lab.momentum,
                          on_step=lambda _m, step, total=steps: budget.check(step.step, total))
            _, train_accuracy = evaluate(model, data.x_train, data.y_train)
            _, test_accuracy = evaluate(model, data.x_test, data.y_test)
            rows.append(pd.DataFrame({"norm": NORM_NAMES[norm], "batch_size": batch_size, "seed": lab.seeds,
                                      "train_accuracy": train_accuracy, "test_accuracy": test_accuracy,
                                      "diverged": history.diverged}))
    runs = pd.concat(rows, ignore_index=True)
    runs.loc[runs.diverged, ["train_accuracy", "test_accuracy"]] = np.nan
    runs["gap"] = runs.train_accuracy - runs.test_accuracy
    long = runs.melt(id_vars=["norm", "batch_size", "seed"], value_vars=["gap", "train_accuracy", "test_accuracy"],
                     var_name="measure")
    wide = runs.pivot_table(index=["batch_size", "seed"], columns="norm", values=["gap", "test_accuracy"])
    paired = pd.DataFrame({"gap": wide["gap"]["BatchNorm"] - wide["gap"]["No norm"],
                           "test_accuracy": wide["test_accuracy"]["BatchNorm"] - wide["test_accuracy"]["No norm"],
                           }).reset_index()
    return RegularizationResult(lab, runs, bands(long, ["measure", "norm", "batch_size"], "value"), paired,
                                verdict(paired))


def verdict(paired: pd.DataFrame) -> Verdict:
    """Regularization shows when BatchNorm narrows the gap AND generalizes better for it: at some batch size, in
    ≥ 4 of 5 seeds, a smaller gap and a test accuracy higher by more than GAIN (one standard error)."""
    lines, shown, narrowed = [], False, False
    for batch_size, group in paired.groupby("batch_size"):
        total = len(group)
        narrower = int((group.gap < 0).sum())
        better = int(((group.gap < 0) & (group.test_accuracy > GAIN)).sum())
        shown |= holds(better, total)
        narrowed |= holds(narrower, total)
        lines.append(f"at batch {batch_size}, BatchNorm's gap was smaller in {of_seeds(narrower, total)} (median "
                     f"{signed(group.gap.median() * 100)} points) and its test accuracy higher by more than "
                     f"{format_number(GAIN * 100, 2)} points in "
                     f"{of_seeds(better, total)} (median {signed(group.test_accuracy.median() * 100)} points)")
    total = paired.seed.nunique()
    text = "Against no norm: " + "; ".join(lines) + "."
    if shown:
        text += " At some batch size BatchNorm narrowed the gap and raised test accuracy: a regularizing effect."
    elif narrowed:
        text += (f" Where the gap narrowed, test accuracy did not rise with it in {needed_seeds(total)}, as a "
                 "claim needs: the gap closed from the training side (BatchNorm fitted the training set "
                 "less), which is not better generalization. At these settings the data do not show BatchNorm "
                 "regularizing.")
    else:
        text += " At these settings the data do not show BatchNorm regularizing: it never narrowed the gap."
    return Verdict(shown, text)


def signed(x: float) -> str:
    """A difference with its sign: +0.70, −1.3, 0."""
    text = format_number(x, 2)
    return f"+{text}" if x > 0 else text
