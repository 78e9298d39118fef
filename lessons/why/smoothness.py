"""Smoothness: does BatchNorm make the loss landscape smoother (Santurkar et al. 2018, Sec. 3.1, Fig. 4), and does
BatchNorm with its input distribution made unstable on purpose (noisy BatchNorm, Sec. 2.1) still train?

Every few steps, with θ the weights and g the gradient on the current batch, the probe moves along −g by
η = m · lr for each m in PROBE_MULTIPLIERS (same batch, same injected noise) and records

    loss range       max_η L(θ − ηg) − min_η L(θ − ηg)              (over η = 0 and the probed steps)
    gradient change  max_η ‖∇L(θ − ηg) − g‖
    β-smoothness     max_η ‖∇L(θ − ηg) − g‖ / ‖ηg‖

each model separately. Lower is smoother. A seed counts as smoother with BatchNorm when its median over the probes
is lower than no norm's.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bn_core.nn import Sequential, softmax_cross_entropy
from lessons.format import format_number
from lessons.training import Step, evaluate, fit
from lessons.why.lab import (
    NORM_NAMES,
    Budget,
    Lab,
    Verdict,
    holds,
    lab_data,
    loss_curves,
    of_seeds,
    stacked_mlp,
)
from lessons.why.noise import set_replay, with_noise

NOISY = "BatchNorm + noise"
NETWORKS = (("none", False), ("batch", False), ("batch", True))  # (norm, noisy: lab.injected_noise after each BN)
DEFAULT = Lab(dataset="spirals", n_train=300, depth=4, width=32, lr=1.0, batch_size=32, steps=200,
              injected_noise=0.5)
PROBE_MULTIPLIERS = (0.25, 0.5, 1.0, 2.0, 4.0)
PROBES = 20
MEASURES = ("loss range", "gradient change", "β-smoothness")
FINAL_WINDOW = 20  # steps averaged for the final training loss


def _squared(grads: list[np.ndarray]) -> np.ndarray:
    return sum(np.square(g).reshape(g.shape[0], -1).sum(axis=1) for g in grads)


def landscape_probe(model: Sequential, step: Step, lr: float) -> dict[str, np.ndarray]:
    """The three measures at this step, each (S,), computed on a copy of the model."""
    probe = copy.deepcopy(model)
    set_replay(probe, True)
    grad_norm = np.sqrt(_squared(step.grads))
    losses, changes, betas = [step.loss], [], []
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for m in PROBE_MULTIPLIERS:
            eta = m * lr
            for q, p, g in zip(probe.parameters(), model.parameters(), step.grads, strict=True):
                q[...] = p - eta * g
            loss, dlogits = softmax_cross_entropy(probe(step.x), step.y)
            probe.backward(dlogits)
            change = np.sqrt(_squared([a - b for a, b in zip(probe.gradients(), step.grads, strict=True)]))
            losses.append(loss)
            changes.append(change)
            betas.append(change / (eta * grad_norm))
    losses = np.stack(losses)
    return {"loss range": losses.max(axis=0) - losses.min(axis=0), "gradient change": np.max(changes, axis=0),
            "β-smoothness": np.max(betas, axis=0)}


@dataclass(frozen=True)
class SmoothnessResult:
    """probes: network, seed, step, measure, value. curves: network, step, median/low/high training loss over
    seeds (block means of at most 50 blocks). per_seed: network, seed, final training loss, the median of each
    measure, diverged."""

    lab: Lab
    probes: pd.DataFrame
    curves: pd.DataFrame
    per_seed: pd.DataFrame
    verdict: Verdict


def network_name(norm: str, noisy: bool) -> str:
    return NOISY if noisy else NORM_NAMES[norm]


def run(lab: Lab = DEFAULT, budget: Budget | None = None) -> SmoothnessResult:
    budget = budget or Budget()
    data = lab_data(lab)
    every = max(1, lab.steps // PROBES)
    probe_frames, curve_frames, seed_frames = [], [], []
    for norm, noisy in NETWORKS:
        name = network_name(norm, noisy)
        model = stacked_mlp(lab, norm)
        if noisy:
            model = with_noise(model, lab.injected_noise, seed=lab.seed)

        def on_step(current: Sequential, step: Step, name: str = name) -> None:
            budget.check(step.step, lab.steps)
            if (step.step - 1) % every == 0:
                for measure, value in landscape_probe(current, step, lab.lr).items():
                    probe_frames.append(pd.DataFrame({"network": name, "seed": lab.seeds, "step": step.step,
                                                      "measure": measure, "value": value}))

        history = fit(model, data.x_train, data.y_train, lr=lab.lr, steps=lab.steps, batch_size=lab.batch_size,
                      seeds=lab.seeds, momentum=lab.momentum, on_step=on_step)
        curve_frames.append(loss_curves(history.loss, network=name))
        _, test_accuracy = evaluate(model, data.x_test, data.y_test)
        last = history.loss[:, -FINAL_WINDOW:]
        final = np.where(history.diverged, np.nan, np.nansum(last, axis=1) / np.maximum(np.isfinite(last).sum(1), 1))
        seed_frames.append(pd.DataFrame({"network": name, "seed": lab.seeds, "final_loss": final,
                                         "test_accuracy": test_accuracy, "diverged": history.diverged}))
    probes = pd.concat(probe_frames, ignore_index=True)
    probes = probes[np.isfinite(probes.value)].reset_index(drop=True)
    medians = probes.groupby(["network", "seed", "measure"], sort=False).value.median().unstack("measure")
    per_seed = pd.concat(seed_frames, ignore_index=True).join(medians, on=["network", "seed"])
    return SmoothnessResult(lab, probes, pd.concat(curve_frames, ignore_index=True), per_seed,
                            verdict(per_seed))


def verdict(per_seed: pd.DataFrame) -> Verdict:
    """Smoother with BatchNorm (β-smoothness and gradient change), seed by seed; lower final loss; and how noisy
    BatchNorm trained next to plain BatchNorm."""
    wide = per_seed.set_index(["seed", "network"]).unstack("network")
    total = len(wide)
    smoother = {m: int((wide[m]["BatchNorm"] < wide[m]["No norm"]).sum()) for m in MEASURES}
    lower = int((wide["final_loss"]["BatchNorm"] < wide["final_loss"]["No norm"]).sum())
    noisy_close = int((wide["final_loss"][NOISY] < wide["final_loss"]["No norm"]).sum())
    loss = wide["final_loss"].median()
    text = (f"BatchNorm's landscape was smoother than no norm's in {of_seeds(smoother['β-smoothness'], total)} by "
            f"β-smoothness, {of_seeds(smoother['gradient change'], total)} by gradient change and "
            f"{of_seeds(smoother['loss range'], total)} by loss range. Final training loss (median of the last "
            f"{FINAL_WINDOW} steps): no norm {format_number(loss['No norm'], 3)}, BatchNorm "
            f"{format_number(loss['BatchNorm'], 3)} (lower in {of_seeds(lower, total)}), BatchNorm + noise "
            f"{format_number(loss[NOISY], 3)} (lower than no norm's in {of_seeds(noisy_close, total)}).")
    smooth = holds(smoother["β-smoothness"], total) and holds(smoother["gradient change"], total)
    if smooth and not holds(lower, total):
        text += (f" Smoother did not reliably mean a lower training loss: BatchNorm ended lower in only "
                 f"{of_seeds(lower, total)}. A smoother landscape permits larger steps; at one fixed learning rate a "
                 "rougher one can still be descended as far.")
    elif not smooth:
        text += " At these settings the data do not show BatchNorm smoothing the landscape."
    return Verdict(smooth, text)
