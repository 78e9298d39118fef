"""Where the variants differ beyond their statistics: affine parameters, running statistics, tokens.

Three facts the Variants page shows with numbers (torch 2.13 semantics, checked against torch in
tests/lessons/test_affine.py's golden values):
- GroupNorm(1, C) and GroupNorm(C, C) compute LayerNorm([C, H, W])'s and InstanceNorm's *statistics*, but
  GroupNorm's γ, β are per channel (C,), LayerNorm's per element (C, H, W), and InstanceNorm has none by
  default (affine=False).
- InstanceNorm(track_running_stats=True) keeps running statistics like BatchNorm and uses them in eval mode.
- In a transformer, LayerNorm(hidden) normalizes each token of a (batch, tokens, hidden) input on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bn_core.batchnorm import update_running
from bn_core.functional import group_norm, instance_norm, layer_norm
from lessons.format import ROUNDING_NOISE, format_number
from lessons.variants import image_population, synthetic_images


@dataclass(frozen=True)
class AffineComparison:
    """GroupNorm against LayerNorm and InstanceNorm for one batch x of shape (N, C, S).

    table: one row per pair: the largest |Δ| of the normalized x̂ (γ = 1, β = 0), and each side's learnable
    numbers (γ and β together).
    layer_gamma_residual: with LayerNorm's elementwise γ drawn at random (β = 0), the largest |Δ| left between
    its output and GroupNorm(G = 1) with the best per-channel γ (least squares): what GroupNorm cannot express.
    """

    table: pd.DataFrame
    layer_gamma_residual: float


def affine_comparison(x: np.ndarray, eps: float = 1e-5, seed: int = 0) -> AffineComparison:
    """Statistics equal, affine parameters not: the numbers for x of shape (N, C, S); S ≥ 2 for InstanceNorm."""
    x = np.asarray(x, dtype=np.float64)
    _, c, s = x.shape
    xhat_group1 = group_norm(x, 1, eps=eps)
    rows = [("GroupNorm(G = 1)", "LayerNorm([C, H, W])",
             float(np.abs(xhat_group1 - layer_norm(x, (c, s), eps=eps)).max()), 2 * c, 2 * c * s)]
    if s > 1:
        rows.append(("GroupNorm(G = C)", "InstanceNorm (affine=False, the default)",
                     float(np.abs(group_norm(x, c, eps=eps) - instance_norm(x, eps=eps)).max()), 2 * c, 0))
        rows.append(("GroupNorm(G = C)", "InstanceNorm(affine=True)", rows[-1][2], 2 * c, 2 * c))
    table = pd.DataFrame(rows, columns=["GroupNorm", "compared with", "largest |Δ| of x̂",
                                        "GroupNorm's learnable numbers", "its learnable numbers"])
    gamma = np.random.default_rng(seed).uniform(0.5, 1.5, (c, s))
    target = layer_norm(x, (c, s), gamma=gamma, eps=eps)
    with np.errstate(invalid="ignore"):  # a channel whose x̂ is all 0 (one value in all) has no best γ: NaN
        per_channel = (xhat_group1 * target).sum(axis=(0, 2)) / (xhat_group1 ** 2).sum(axis=(0, 2))
    residual = float(np.abs(xhat_group1 * per_channel[None, :, None] - target).max())
    return AffineComparison(table, residual)


@dataclass(frozen=True)
class InstanceRunning:
    """InstanceNorm with track_running_stats=True, after `steps` training batches of shape (N, C, S).

    running_mean, running_var: (C,), as torch updates them: the batch's per-instance means and unbiased
    variances (n = S), averaged over the samples, then the usual momentum update.
    table: for one fresh batch in eval mode, the spread left of the per-(sample, channel) means and the mean
    per-(sample, channel) standard deviation, without and with running statistics.
    """

    running_mean: np.ndarray
    running_var: np.ndarray
    table: pd.DataFrame


def instance_running_stats(batches: list[np.ndarray], momentum: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """torch.nn.InstanceNorm1d(C, track_running_stats=True)'s running (mean, var) after training on `batches`,
    each (N, C, S) with S ≥ 2; they start at 0 and 1, as torch's do."""
    num_channels = batches[0].shape[1]
    running_mean, running_var = np.zeros(num_channels), np.ones(num_channels)
    for x in batches:
        running_mean = update_running(running_mean, x.mean(axis=2).mean(axis=0), momentum)
        running_var = update_running(running_var, x.var(axis=2, ddof=1).mean(axis=0), momentum)
    return running_mean, running_var


def instance_norm_eval(shape: tuple[int, int, int], *, steps: int = 50, eps: float = 1e-5,
                       seed: int = 0) -> InstanceRunning:
    """Train InstanceNorm's running statistics on `steps` batches of `shape` (S ≥ 2) from the page's image
    population, then compare both eval modes on a fresh batch."""
    n, c, s = shape
    population = image_population(c, seed)
    rng = np.random.default_rng(seed + 3)
    running_mean, running_var = instance_running_stats([population.sample(n, s, rng) for _ in range(steps)])
    x = population.sample(n, s, rng)
    outputs = {
        "InstanceNorm (default: track_running_stats=False)": instance_norm(x, eps=eps),
        "InstanceNorm(track_running_stats=True)": instance_norm(x, eps=eps, running_mean=running_mean,
                                                                running_var=running_var, use_input_stats=False),
    }
    table = pd.DataFrame(
        [{"layer in eval mode": name, "spread of per-image channel means": float(y.mean(axis=2).std()),
          "mean per-image channel standard deviation": float(y.std(axis=2).mean())}
         for name, y in outputs.items()])
    return InstanceRunning(running_mean, running_var, table)


@dataclass(frozen=True)
class TokenLayerNorm:
    """LayerNorm in a transformer: x of shape (batch, tokens, hidden).

    per_token: one row per (sequence, token): the mean and standard deviation of LayerNorm(hidden)'s output
    over the hidden units (0 and 1 for every token).
    moved: how far token 1's output moves (largest |Δ|) when only the last token of its sequence changes:
    LayerNorm(hidden) (0: each token alone) against LayerNorm([tokens, hidden]) (statistics over the sequence).
    """

    shape: tuple[int, int, int]
    per_token: pd.DataFrame
    moved: dict[str, float]


def token_layer_norm(shape: tuple[int, int, int] = (2, 4, 8), eps: float = 1e-5, seed: int = 0) -> TokenLayerNorm:
    """torch.nn.LayerNorm(hidden) on a (batch, tokens, hidden) input, against LayerNorm([tokens, hidden])."""
    batch, tokens, hidden = shape
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, shape) * rng.uniform(0.5, 3.0, (batch, tokens, 1)) + rng.normal(0, 2, (batch, tokens, 1))
    y = layer_norm(x, hidden, eps=eps)
    sequence, token = (a.reshape(-1) + 1 for a in np.indices((batch, tokens)))
    # The output's mean is 0 up to float64's rounding (~1e-16, either sign): rounded, the table reads 0 for every
    # token rather than -1.388e-16 beside 0.
    output_mean = np.round(y.mean(axis=2).reshape(-1), 12) + 0.0
    per_token = pd.DataFrame({"sequence": sequence, "token": token,
                              "input mean": x.mean(axis=2).reshape(-1), "input std": x.std(axis=2).reshape(-1),
                              "output mean": output_mean, "output std": y.std(axis=2).reshape(-1)})
    changed = x.copy()
    changed[:, -1] = changed[:, -1] * 3.0 + 5.0
    moved = {
        "LayerNorm(hidden), per token": float(np.abs(layer_norm(changed, hidden, eps=eps)[:, 0] - y[:, 0]).max()),
        "LayerNorm([tokens, hidden]), per sequence": float(np.abs(
            layer_norm(changed, (tokens, hidden), eps=eps)[:, 0] - layer_norm(x, (tokens, hidden), eps=eps)[:, 0]
        ).max()),
    }
    return TokenLayerNorm(shape, per_token, moved)


def affine_sentence(comparison: AffineComparison) -> str:
    residual = comparison.layer_gamma_residual
    start = "With LayerNorm's elementwise γ drawn from [0.5, 1.5], the best per-channel γ of GroupNorm(G = 1)"
    if not np.isfinite(residual):
        return f"{start} has nothing to match: with a single value in the batch, x̂ is 0 for both."
    if residual < ROUNDING_NOISE:  # outputs of order 1: a residual this small is float64 rounding
        return (f"{start} matches its output up to rounding ({format_number(residual, 2)}): with one position per "
                "channel, an elementwise γ is a per-channel γ.")
    return f"{start} still misses its output by up to {format_number(residual, 3)}."


def token_sentences(tokens: TokenLayerNorm) -> tuple[str, str]:
    """What the token table shows and how far token 1 moves (Markdown), for the text before and after it."""
    batch, length, hidden = tokens.shape
    before = (f"**LayerNorm in a transformer**: `nn.LayerNorm({hidden})` on a (batch, tokens, hidden) = ({batch}, "
              f"{length}, {hidden}) input normalizes each token over its {hidden} hidden units: {batch * length} means "
              "and variances, one per token.")
    after = "Changing only the last token of each sequence moves token 1's output by: " + "; ".join(
        f"{name}: {format_number(moved, 3)}" for name, moved in tokens.moved.items()) + "."
    return before, after


def beyond_the_statistics(shape: tuple[int, int, int], eps: float = 1e-5, seed: int = 0
                          ) -> tuple[AffineComparison, InstanceRunning | None, TokenLayerNorm]:
    """The page's three lessons for a batch of `shape`; InstanceNorm's is None when S = 1 (it cannot run)."""
    running = instance_norm_eval(shape, eps=eps, seed=seed) if shape[2] > 1 else None
    comparison = affine_comparison(synthetic_images(shape, seed), eps, seed)
    return comparison, running, token_layer_norm(eps=eps, seed=seed)
