"""Noisy BatchNorm (Santurkar et al. 2018, Sec. 2.1): after each BatchNorm layer, every activation of every sample
is perturbed by i.i.d. noise from a distribution with non-zero mean and non-unit variance, whose parameters are
themselves drawn anew at every step. The layer's output distribution is made unstable on purpose.

At step t, for each model and unit j: a mean shift μ ~ U(−a, a) and a scale σ ~ U(1, 1 + a); then for each sample i

    y_ij = c_ij · x_ij + b_ij,   c_ij ~ N(σ, (a/2)²),   b_ij ~ N(μ, (a/2)²)

a = strength (0: plain BatchNorm). `replay` reuses the last draw, so a probe of the loss landscape sees the same noise
as the step it probes.
"""

from __future__ import annotations

import numpy as np

from bn_core.nn import BatchNorm1d, Module, Sequential


class InjectedNoise(Module):
    """y = c ⊙ x + b with per-sample, per-step noise (see the module docstring); the identity in eval mode."""

    def __init__(self, strength: float, seed: int = 0):
        self.strength = strength
        self.rng = np.random.default_rng([seed, 7])
        self.replay = False

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """x: (S, N, D) -> (S, N, D)."""
        if not self.training:
            self.scale = None
            self.out = x
            return x
        if not self.replay:
            s, n, d = x.shape
            a = self.strength
            mean = self.rng.uniform(-a, a, (s, 1, d))
            scale = self.rng.uniform(1.0, 1.0 + a, (s, 1, d))
            self.scale = scale + (a / 2) * self.rng.standard_normal((s, n, d))
            self.shift = mean + (a / 2) * self.rng.standard_normal((s, n, d))
        self.out = self.scale * x + self.shift
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self.dout = dout
        return dout if self.scale is None else dout * self.scale


def with_noise(model: Sequential, strength: float, seed: int = 0) -> Sequential:
    """The same network with an InjectedNoise after every BatchNorm1d (the modules are shared, not copied)."""
    layers = []
    for k, module in enumerate(model.layers):
        layers.append(module)
        if isinstance(module, BatchNorm1d):
            layers.append(InjectedNoise(strength, seed=seed * 1000 + k))
    return Sequential(*layers)


def set_replay(model: Sequential, replay: bool) -> None:
    for module in model.layers:
        if isinstance(module, InjectedNoise):
            module.replay = replay
