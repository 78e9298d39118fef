"""A pretrained BN network meets new data: domain shift with AdaBN, and fine-tuning with frozen BatchNorm.

AdaBN (Li et al. 2016, "Revisiting Batch Normalization For Practical Domain Adaptation", arXiv:1603.04779,
Alg. 1): keep every weight, re-estimate each BN layer's statistics on the (unlabelled) target inputs.

Fine-tuning on a few labelled target samples in tiny batches, three ways:
- BN in training mode (PyTorch's `model.train()`): tiny-batch statistics normalize and update the running ones;
- BN frozen as after `bn.eval()` in PyTorch: the running statistics stay the source's, γ and β still train;
- BN frozen as Keras' `layer.trainable = False` (Keras ≥ 2.1.3 / Keras 3): inference mode and γ, β fixed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from bn_core.nn import BatchNorm1d, Sequential, mlp
from bn_core.toy_data import make_dataset
from lessons.recalibration import SEEDS, WIDTHS, population_statistics, snapshot, with_statistics
from lessons.training import evaluate, fit

SHIFTS = ("translate", "scale", "rotate")
SHIFT_MAGNITUDES = tuple(float(m) for m in np.round(np.linspace(0.0, 2.0, 9), 2))
FINE_TUNE_BATCHES = (2, 4, 8, 16, 32)
FINE_TUNE_SAMPLES = 32
FINE_TUNE_STEPS = 100
FINE_TUNE_MODES = ("BN in training mode", "BN frozen: bn.eval()", "BN frozen: trainable=False")
_TRANSLATION = np.array([0.7, 0.7])


def shift_inputs(x: np.ndarray, kind: str, magnitude: float) -> np.ndarray:
    """The target domain: x (N, 2) translated by magnitude·(0.7, 0.7), scaled by 1 + magnitude, or rotated by
    magnitude·45°."""
    if kind not in SHIFTS:
        raise ValueError(f"kind must be one of {SHIFTS}, got {kind!r}")
    if kind == "translate":
        return x + magnitude * _TRANSLATION
    if kind == "scale":
        return x * (1.0 + magnitude)
    angle = magnitude * np.pi / 4
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return x @ rotation.T


@dataclass(frozen=True)
class Pretrained:
    """S = len(SEEDS) networks (2, 16, 16, 2) with BN trained on the source data (moons)."""

    model: Sequential
    source_accuracy: np.ndarray  # (S,) on the source test set, eval mode


def pretrain(seeds: tuple[int, ...] = SEEDS) -> Pretrained:
    data = make_dataset("moons", 400, noise=0.15, seed=0)
    model = mlp(WIDTHS, norm="batch", models=len(seeds), seed=0)
    fit(model, data.x_train, data.y_train, lr=0.3, steps=300, batch_size=32, seeds=list(seeds), momentum=0.9)
    return Pretrained(snapshot(model), evaluate(model, data.x_test, data.y_test)[1])


@dataclass(frozen=True)
class AdaBN:
    """Target test accuracy (S, len(magnitudes)) with the source's statistics and with the target's (AdaBN)."""

    kind: str
    magnitudes: tuple[float, ...]
    source_stats: np.ndarray
    target_stats: np.ndarray


def adabn_experiment(pretrained: Pretrained, kind: str, magnitudes: tuple[float, ...] = SHIFT_MAGNITUDES) -> AdaBN:
    """Evaluate the pretrained networks on shifted test inputs, with source statistics and with statistics
    re-estimated on the shifted training inputs (labels unused)."""
    data = make_dataset("moons", 400, noise=0.15, seed=0)
    source, target = [], []
    for magnitude in magnitudes:
        x_test = shift_inputs(data.x_test, kind, magnitude)
        source.append(evaluate(pretrained.model, x_test, data.y_test)[1])
        statistics = population_statistics(pretrained.model, shift_inputs(data.x_train, kind, magnitude))
        target.append(evaluate(with_statistics(pretrained.model, statistics), x_test, data.y_test)[1])
    return AdaBN(kind, tuple(magnitudes), np.stack(source, axis=1), np.stack(target, axis=1))


class FrozenBatchNorm1d(BatchNorm1d):
    """A BatchNorm1d that stays in eval mode whatever `train()` says (torchvision.ops.FrozenBatchNorm2d's
    behaviour); with affine=False its γ and β are not parameters either (Keras' trainable=False)."""

    def __init__(self, bn: BatchNorm1d, *, affine: bool):
        self.shape, self.layer, self.affine = bn.shape, copy.deepcopy(bn.layer), affine
        self.train()

    def train(self, mode: bool = True) -> FrozenBatchNorm1d:
        self.training = False
        return self

    def parameters(self) -> list[np.ndarray]:
        return super().parameters() if self.affine else []

    def gradients(self) -> list[np.ndarray]:
        return super().gradients() if self.affine else []


def with_frozen_batch_norm(model: Sequential, *, affine: bool) -> Sequential:
    """A copy of `model` with every BatchNorm1d frozen in eval mode."""
    model = copy.deepcopy(model)
    model.layers = [FrozenBatchNorm1d(layer, affine=affine) if isinstance(layer, BatchNorm1d) else layer
                    for layer in model.layers]
    return model


@dataclass(frozen=True)
class FineTuning:
    """Target test accuracy (S,) per mode after fine-tuning with `batch_size`; `before`: (S,) without it."""

    batch_size: int
    accuracy: dict[str, np.ndarray]
    before: np.ndarray


def fine_tune_experiment(pretrained: Pretrained, batch_size: int = 2, *, kind: str = "rotate",
                         magnitude: float = 1.0, lr: float = 0.05) -> FineTuning:
    """Fine-tune copies of the pretrained networks on FINE_TUNE_SAMPLES labelled target samples (a rotated
    moons set) for FINE_TUNE_STEPS SGD steps (momentum 0.9) in batches of `batch_size`, in each of
    FINE_TUNE_MODES."""
    target = make_dataset("moons", 400, noise=0.15, seed=5)
    x_few = shift_inputs(target.x_train[:FINE_TUNE_SAMPLES], kind, magnitude)
    y_few = target.y_train[:FINE_TUNE_SAMPLES]
    x_test = shift_inputs(target.x_test, kind, magnitude)
    seeds = list(range(pretrained.model.parameters()[0].shape[0]))
    accuracy = {}
    for mode in FINE_TUNE_MODES:
        model = (copy.deepcopy(pretrained.model) if mode == FINE_TUNE_MODES[0]
                 else with_frozen_batch_norm(pretrained.model, affine=mode == FINE_TUNE_MODES[1]))
        fit(model, x_few, y_few, lr=lr, steps=FINE_TUNE_STEPS, batch_size=batch_size, seeds=seeds, momentum=0.9)
        accuracy[mode] = evaluate(model, x_test, target.y_test)[1]
    return FineTuning(batch_size, accuracy, evaluate(pretrained.model, x_test, target.y_test)[1])
