"""Recalibrating BatchNorm's statistics: EMA running statistics lag a model that is still changing; PreciseBN
(Wu & Johnson 2021, "Rethinking 'Batch' in BatchNorm", arXiv:2105.07576, Sec. 3) recomputes them.

PreciseBN freezes the weights, runs `batches` training batches forward in training mode and sets each BN layer's
statistics to the plain average of those batches' means and (unbiased) variances, as fvcore's `update_bn_stats`
(and torch.optim.swa_utils.update_bn) do, which is BatchNorm with momentum=None.

Training does not read the running statistics (training mode normalizes with the batch's own), so one training
run serves every EMA momentum: the run reads each step's batch statistics and keeps an EMA for each of MOMENTA.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from bn_core.batchnorm import update_running
from bn_core.nn import BatchNorm1d, Module, Sequential, mlp
from bn_core.toy_data import make_dataset
from lessons.training import evaluate, fit

MOMENTA = (0.01, 0.03, 0.1, 0.3, 0.5)  # PyTorch convention: the weight of the new batch
RECALIBRATION_BATCHES = (1, 2, 4, 8, 16, 32, 64)
RECALIBRATION_BATCH_SIZE = 32
SEEDS = (0, 1, 2, 3, 4)
WIDTHS = (2, 16, 16, 2)

Statistics = list[tuple[np.ndarray, np.ndarray]]  # per BN layer: (mean (S, D), unbiased var (S, D))


def batch_norm_layers(model: Module) -> list[BatchNorm1d]:
    """Every BatchNorm1d in `model`, in forward order."""
    found = [model] if isinstance(model, BatchNorm1d) else []
    for child in model.children():
        found += batch_norm_layers(child)
    return found


def read_statistics(model: Module) -> Statistics:
    """Each BN layer's running (mean, var), copied."""
    return [(bn.running_mean.copy(), bn.running_var.copy()) for bn in batch_norm_layers(model)]


def with_statistics(model: Module, statistics: Statistics) -> Module:
    """A copy of `model` whose BN layers use `statistics` in eval mode."""
    model = copy.deepcopy(model)
    for bn, (mean, var) in zip(batch_norm_layers(model), statistics, strict=True):
        bn.layer.running_mean = mean.reshape(-1).copy()
        bn.layer.running_var = var.reshape(-1).copy()
    return model


def precise_statistics(model: Module, x: np.ndarray, batches: int, batch_size: int = RECALIBRATION_BATCH_SIZE,
                       seed: int = 0) -> Statistics:
    """PreciseBN: the average of `batches` batch statistics of x (N, D), weights frozen, in training mode."""
    probe = copy.deepcopy(model)
    for bn in batch_norm_layers(probe):
        bn.layer.momentum = None  # factor 1 / batches seen: a plain average
        bn.layer.reset_running_stats()
    s = probe.parameters()[0].shape[0]
    rng = np.random.default_rng([seed, 2])
    probe.train()
    for _ in range(batches):
        idx = rng.choice(len(x), min(batch_size, len(x)), replace=False)
        probe(np.broadcast_to(x[idx], (s, len(idx), x.shape[1])))
    return read_statistics(probe)


def population_statistics(model: Module, x: np.ndarray) -> Statistics:
    """The statistics of all of x (N, D) as one batch, weights frozen: what PreciseBN estimates."""
    return precise_statistics(model, x, batches=1, batch_size=len(x))


def ema_step(running: Statistics, batch: Statistics, momentum: float) -> Statistics:
    """One BatchNorm(momentum) update of every layer's running statistics with a step's batch statistics."""
    return [(update_running(rm, m, momentum), update_running(rv, v, momentum))
            for (rm, rv), (m, v) in zip(running, batch, strict=True)]


def snapshot(model: Sequential, *, momentum: float | None = 0.1) -> Sequential:
    """A lean copy of a `WIDTHS` BN network: its parameters and running statistics in a fresh model, without the
    activations and gradients the modules keep from their last forward and backward (90 % of a deep copy)."""
    fresh = mlp(WIDTHS, norm="batch", models=model.parameters()[0].shape[0], seed=0, momentum=momentum)
    for target, source in zip(fresh.parameters(), model.parameters(), strict=True):
        target[...] = source
    return with_statistics(fresh, read_statistics(model))


@dataclass(frozen=True)
class TrainingTrace:
    """One training run of S seeds with the model saved every few steps.

    steps: (T,) the checkpoint steps; models: T lean copies of the model; ema: for each of MOMENTA, the T running
    statistics BatchNorm(momentum) would hold at the checkpoints.
    """

    steps: np.ndarray
    models: list[Sequential]
    ema: dict[float, list[Statistics]]
    x_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def train_with_checkpoints(*, dataset: str = "moons", lr: float = 0.3, steps: int = 200, batch_size: int = 16,
                           every: int = 20, seeds: tuple[int, ...] = SEEDS) -> TrainingTrace:
    """Train a `WIDTHS` BN network with SGD (momentum 0.9), saving it every `every` steps.

    The BN layers run with momentum 1, so after each step their running statistics are that step's batch
    statistics, from which the EMA of every momentum in MOMENTA is kept.
    """
    data = make_dataset(dataset, 400, noise=0.15, seed=0)
    model = mlp(WIDTHS, norm="batch", models=len(seeds), seed=0, momentum=1.0)
    start = [(np.zeros_like(m), np.ones_like(v)) for m, v in read_statistics(model)]  # torch's initial buffers
    running = dict.fromkeys(MOMENTA, start)
    saved: list[Sequential] = []
    ema: dict[float, list[Statistics]] = {momentum: [] for momentum in MOMENTA}

    def record(model: Sequential, step) -> None:
        batch = read_statistics(model)
        for momentum in MOMENTA:
            running[momentum] = ema_step(running[momentum], batch, momentum)
        if step.step % every == 0:
            saved.append(snapshot(model, momentum=1.0))
            for momentum in MOMENTA:
                ema[momentum].append(running[momentum])

    # on_step runs after the forward and before the update: a checkpoint holds the weights that produced its
    # step's batch statistics, as a torch model evaluated at that point would.
    fit(model, data.x_train, data.y_train, lr=lr, steps=steps, batch_size=batch_size, seeds=list(seeds),
        momentum=0.9, on_step=record)
    return TrainingTrace(np.arange(every, steps + 1, every), saved, ema, data.x_train, data.x_test, data.y_test)


def eval_on_test(model: Module, statistics: Statistics, trace: TrainingTrace) -> tuple[np.ndarray, np.ndarray]:
    """(loss (S,), accuracy (S,)) on the test set in eval mode with the given statistics."""
    return evaluate(with_statistics(model, statistics), trace.x_test, trace.y_test)


@dataclass(frozen=True)
class Recalibration:
    """Test loss and accuracy in eval mode at each checkpoint, (S, T) each, for three sets of statistics:
    EMA running statistics (`momentum`), PreciseBN over `batches` batches, and the full training set's."""

    steps: np.ndarray
    momentum: float
    batches: int
    ema_loss: np.ndarray
    precise_loss: np.ndarray
    population_loss: np.ndarray
    ema_accuracy: np.ndarray
    precise_accuracy: np.ndarray


def recalibrate(trace: TrainingTrace, momentum: float, batches: int) -> Recalibration:
    """Evaluate every checkpoint of `trace` with EMA(momentum), PreciseBN(batches) and population statistics."""
    if momentum not in trace.ema:
        raise ValueError(f"momentum must be one of {tuple(trace.ema)}, got {momentum}")
    columns: dict[str, list] = {k: [] for k in ("ema", "precise", "population")}
    for model, ema in zip(trace.models, trace.ema[momentum], strict=True):
        columns["ema"].append(eval_on_test(model, ema, trace))
        columns["precise"].append(eval_on_test(model, precise_statistics(model, trace.x_train, batches), trace))
        columns["population"].append(eval_on_test(model, population_statistics(model, trace.x_train), trace))
    loss = {k: np.stack([c[0] for c in v], axis=1) for k, v in columns.items()}
    accuracy = {k: np.stack([c[1] for c in v], axis=1) for k, v in columns.items()}
    return Recalibration(trace.steps, momentum, batches, loss["ema"], loss["precise"], loss["population"],
                         accuracy["ema"], accuracy["precise"])


def momentum_gaps(trace: TrainingTrace) -> dict[float, np.ndarray]:
    """For each momentum, (S, T): EMA test loss minus the population statistics' test loss, per checkpoint."""
    population = [eval_on_test(m, population_statistics(m, trace.x_train), trace)[0] for m in trace.models]
    return {momentum: np.stack([eval_on_test(model, ema, trace)[0] - pop
                                for model, ema, pop in zip(trace.models, emas, population, strict=True)], axis=1)
            for momentum, emas in trace.ema.items()}


def batches_needed(trace: TrainingTrace, counts: tuple[int, ...] = RECALIBRATION_BATCHES) -> np.ndarray:
    """(S, len(counts)): PreciseBN's test loss minus the population statistics', for the last checkpoint."""
    model = trace.models[-1]
    population = eval_on_test(model, population_statistics(model, trace.x_train), trace)[0]
    return np.stack([eval_on_test(model, precise_statistics(model, trace.x_train, k), trace)[0] - population
                     for k in counts], axis=1)
