"""Batch, Layer, Instance, Group and RMS normalization side by side, on "images" of shape (N, C, S).

S = H·W: the spatial positions of one channel, flattened. Every variant normalizes each value with a mean
and a spread computed over a set of values; the variants differ only in which values share that set
(Wu & He 2018, Group Normalization, Fig. 2). `group_ids` names the set of every value, so "which values
share statistics" is a plain integer array that the normalization itself can be checked against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bn_core.functional import batch_norm, group_norm, instance_norm, layer_norm, rms_norm
from lessons.format import format_number
from lessons.torch_errors import EPS_NOT_POSITIVE, SINGLE_VALUE, pytorch_training_error

VARIANTS = ("BatchNorm", "LayerNorm", "InstanceNorm", "GroupNorm", "RMSNorm")


def check_shape(shape: tuple[int, int, int], num_groups: int) -> None:
    """Raise ValueError unless shape = (N, C, S) has positive sizes and num_groups divides C."""
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"shape must be (N, C, S) with positive sizes, got {shape}")
    if num_groups < 1 or shape[1] % num_groups:
        raise ValueError(f"the number of groups must divide the {shape[1]} channels, got {num_groups}")


def group_ids(variant: str, shape: tuple[int, int, int], num_groups: int = 1) -> np.ndarray:
    """For every value of a tensor of shape (N, C, S), the id of the set it shares its statistics with.

    BatchNorm: one set per channel c. LayerNorm and RMSNorm: one per sample n. InstanceNorm: one per (n, c).
    GroupNorm: one per (n, g), channel c belonging to group g = c // (C / G).
    Returns integers 0 .. (number of sets − 1), shape (N, C, S).
    """
    check_shape(shape, num_groups)
    n, c, _ = shape
    sample = np.arange(n)[:, None, None]
    channel = np.arange(c)[None, :, None]
    if variant == "BatchNorm":
        ids = channel
    elif variant in ("LayerNorm", "RMSNorm"):
        ids = sample
    elif variant == "InstanceNorm":
        ids = sample * c + channel
    elif variant == "GroupNorm":
        ids = sample * num_groups + channel // (c // num_groups)
    else:
        raise ValueError(f"unknown variant {variant!r}; choose one of {VARIANTS}")
    return np.broadcast_to(ids, shape).copy()


def sharing_mask(variant: str, shape: tuple[int, int, int], num_groups: int, cell: tuple[int, int, int]) -> np.ndarray:
    """Boolean (N, C, S): the values that share their statistics with `cell` = (n, c, s) (the cell included)."""
    ids = group_ids(variant, shape, num_groups)
    return ids == ids[cell]


@dataclass(frozen=True)
class VariantFacts:
    """What one variant computes for an input of shape (N, C, H, W), S = H·W.

    axes:          the axes each statistic is taken over.
    num_stats:     how many statistics (mean–variance pairs; root mean squares for RMSNorm) one forward computes.
    group_size:    how many values share each statistic.
    param_shape:   the shape of γ and β as torch 2.13 creates them (RMSNorm has γ only; InstanceNorm none by
                   default).
    batch_dependent:      whether a sample's output depends on the other samples of the batch.
    differs_at_inference: whether eval mode computes something different from training mode (with the
                          layer's torch defaults; InstanceNorm does with track_running_stats=True).
    subtracts_mean:       False for RMSNorm, which divides by the root mean square and subtracts nothing.
    """

    name: str
    axes: str
    statistic: str
    num_stats: int
    group_size: int
    param_shape: str
    batch_dependent: bool
    differs_at_inference: bool
    subtracts_mean: bool = True


def variant_facts(variant: str, shape: tuple[int, int, int], num_groups: int = 1) -> VariantFacts:
    """The facts of `variant` for an input of shape (N, C, S) and, for GroupNorm, `num_groups` groups."""
    check_shape(shape, num_groups)
    n, c, s = shape
    mean_var = "mean and variance"
    if variant == "BatchNorm":
        return VariantFacts(variant, "(N, H, W)", mean_var, c, n * s, "(C,), per channel", True, True)
    if variant == "LayerNorm":
        return VariantFacts(variant, "(C, H, W)", mean_var, n, c * s, "(C, H, W), per element", False, False)
    if variant == "InstanceNorm":
        return VariantFacts(variant, "(H, W)", mean_var, n * c, s,
                            "(C,) with affine=True; none with affine=False (the default)", False, False)
    if variant == "GroupNorm":
        return VariantFacts(variant, "(C/G, H, W)", mean_var, n * num_groups, c // num_groups * s,
                            "(C,), per channel", False, False)
    if variant == "RMSNorm":
        return VariantFacts(variant, "(C, H, W)", "root mean square", n, c * s, "γ only: (C, H, W); no β",
                            False, False, subtracts_mean=False)
    raise ValueError(f"unknown variant {variant!r}; choose one of {VARIANTS}")


def normalize(variant: str, x: np.ndarray, num_groups: int = 1, eps: float = 1e-5) -> np.ndarray:
    """x of shape (N, C, S) through `variant` (training mode, γ = 1, β = 0), computed by bn_core.functional.

    LayerNorm and RMSNorm normalize over (C, S), as torch's LayerNorm([C, H, W]) / RMSNorm([C, H, W]).
    Raises ValueError where PyTorch does: BatchNorm with a single value per channel (N·S = 1), InstanceNorm
    with a single spatial position (S = 1), GroupNorm when G does not divide C.
    """
    x = np.asarray(x, dtype=np.float64)
    if variant == "BatchNorm":
        return batch_norm(x, eps=eps)
    if variant == "LayerNorm":
        return layer_norm(x, x.shape[1:], eps=eps)
    if variant == "InstanceNorm":
        return instance_norm(x, eps=eps)
    if variant == "GroupNorm":
        return group_norm(x, num_groups, eps=eps)
    if variant == "RMSNorm":
        return rms_norm(x, x.shape[1:], eps=eps)
    raise ValueError(f"unknown variant {variant!r}; choose one of {VARIANTS}")


def normalize_all(x: np.ndarray, num_groups: int = 1, eps: float = 1e-5) -> dict[str, np.ndarray | str]:
    """Every variant's output for x of shape (N, C, S): name -> output (N, C, S), or the error message."""
    outputs: dict[str, np.ndarray | str] = {}
    for variant in VARIANTS:
        try:
            outputs[variant] = normalize(variant, x, num_groups, eps)
        except ValueError as error:
            outputs[variant] = str(error)
    return outputs


@dataclass(frozen=True)
class ImagePopulation:
    """Where synthetic "images" of C channels come from.

    Value (n, c, s) = brightness_n + offset_c + scale_c · contrast_n · z, z ~ N(0, 1), with a per-sample
    brightness_n ~ N(0, brightness_sd²) and contrast_n = exp(N(0, contrast_sd²)): per-channel offsets and
    scales (what BatchNorm removes) and per-sample brightness and contrast (what LayerNorm removes).
    offsets, scales: (C,).
    """

    offsets: np.ndarray
    scales: np.ndarray
    brightness_sd: float = 2.0
    contrast_sd: float = 0.4

    def sample(self, n: int, s: int, rng: np.random.Generator) -> np.ndarray:
        """n images with s spatial positions: shape (n, C, s)."""
        brightness = self.brightness_sd * rng.standard_normal(n)[:, None, None]
        contrast = np.exp(self.contrast_sd * rng.standard_normal(n))[:, None, None]
        z = rng.standard_normal((n, self.offsets.size, s))
        return brightness + self.offsets[None, :, None] + self.scales[None, :, None] * contrast * z


def image_population(num_channels: int, seed: int = 0) -> ImagePopulation:
    """A population with channel offsets spread over −6 … 6 and scales over 0.5 … 3, shuffled by `seed`."""
    rng = np.random.default_rng(seed)
    offsets = rng.permutation(np.linspace(-6.0, 6.0, num_channels))
    scales = rng.permutation(np.geomspace(0.5, 3.0, num_channels))
    return ImagePopulation(offsets, scales)


def synthetic_images(shape: tuple[int, int, int], seed: int = 0) -> np.ndarray:
    """A batch of shape (N, C, S) from `image_population(C, seed)`, reproducible for a seed."""
    check_shape(shape, 1)
    n, c, s = shape
    return image_population(c, seed).sample(n, s, np.random.default_rng(seed + 1))


# What is left of each kind of variation after normalization: the spread (standard deviation) of...
RESIDUALS = {
    "sample brightness": "per-sample means",
    "sample contrast": "per-sample standard deviations",
    "channel offset": "per-channel means (over the batch)",
    "per-image channel offset": "per-(sample, channel) means",
}


def residual_spreads(y: np.ndarray) -> dict[str, float]:
    """How much of each kind of variation y of shape (N, C, S) still carries (keys as in RESIDUALS).

    0 means the layer removed it: e.g. LayerNorm makes every per-sample mean 0, so their spread is 0.
    """
    return {
        "sample brightness": float(y.mean(axis=(1, 2)).std()),
        "sample contrast": float(y.std(axis=(1, 2)).std()),
        "channel offset": float(y.mean(axis=(0, 2)).std()),
        "per-image channel offset": float(y.mean(axis=2).std()),
    }


BATCH_SIZES = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)


def batch_size_sensitivity(
    num_channels: int,
    spatial: int,
    num_groups: int,
    *,
    batch_sizes: tuple[int, ...] = BATCH_SIZES,
    trials: int = 32,
    eps: float = 1e-5,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """How much one fixed sample's output moves when the rest of its batch is redrawn.

    For each batch size B, the probe image is normalized together with B − 1 fresh images from the same
    population, `trials` times; the spread is the standard deviation of the probe's output over the trials,
    averaged over its C·S values. Returns name -> spreads of shape (len(batch_sizes),); NaN where the
    variant cannot run (InstanceNorm with S = 1, BatchNorm with B·S = 1).
    """
    population = image_population(num_channels, seed)
    rng = np.random.default_rng(seed + 2)
    probe = population.sample(1, spatial, rng)
    spreads = {variant: np.full(len(batch_sizes), np.nan) for variant in VARIANTS}
    for i, size in enumerate(batch_sizes):
        batches = [np.concatenate([probe, population.sample(size - 1, spatial, rng)]) for _ in range(trials)]
        for variant in VARIANTS:
            try:
                probe_outputs = np.stack([normalize(variant, x, num_groups, eps)[0] for x in batches])
            except ValueError:
                continue
            spreads[variant][i] = probe_outputs.std(axis=0).mean()
    return spreads


@dataclass(frozen=True)
class Equivalences:
    """Numerical checks of the identities between variants, for one batch x of shape (N, C, S).

    group1_vs_layer:         max |GroupNorm(G=1) − LayerNorm over (C, H, W)|.
    group_c_vs_instance:     max |GroupNorm(G=C) − InstanceNorm|, None when InstanceNorm cannot run (S = 1).
    batch1_vs_instance:      max |BatchNorm − InstanceNorm| on the first sample alone (N = 1), None when S = 1 or
                             ε = 0 (BatchNorm refuses it in training).
    single_vector:           the first sample's values at position 0, shape (1, C): a batch of one vector.
    batch_norm_single_error: PyTorch's error for BatchNorm on that (1, C) batch in training mode ("" if it runs).
    layer_norm_single:       LayerNorm's output for the same (1, C) batch.
    """

    group1_vs_layer: float
    group_c_vs_instance: float | None
    batch1_vs_instance: float | None
    single_vector: np.ndarray
    batch_norm_single_error: str
    layer_norm_single: np.ndarray


def _max_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)))


def equivalences(x: np.ndarray, eps: float = 1e-5) -> Equivalences:
    """Compute every identity of `Equivalences` for x of shape (N, C, S) with bn_core's layers."""
    x = np.asarray(x, dtype=np.float64)
    c, s = x.shape[1:]
    group1 = _max_abs_diff(normalize("GroupNorm", x, 1, eps), normalize("LayerNorm", x, eps=eps))
    group_c = batch1 = None
    if s > 1:
        group_c = _max_abs_diff(normalize("GroupNorm", x, c, eps), normalize("InstanceNorm", x, eps=eps))
        if eps > 0:  # BatchNorm refuses ε = 0 in training, as torch does
            batch1 = _max_abs_diff(normalize("BatchNorm", x[:1], eps=eps), normalize("InstanceNorm", x[:1], eps=eps))
    vector = x[:1, :, 0]
    return Equivalences(group1, group_c, batch1, vector, pytorch_training_error(vector, eps) or "",
                        layer_norm(vector, c, eps=eps))


def variant_label(variant: str, num_groups: int) -> str:
    return f"GroupNorm (G = {num_groups})" if variant == "GroupNorm" else variant


def sharing_titles(shape: tuple[int, int, int], num_groups: int) -> dict[str, str]:
    """variant -> the title of its grid, short enough for a phone: the layer and what it normalizes over (the
    counts are in `facts_table`)."""
    return {variant: f"{variant_label(variant, num_groups)}: over {variant_facts(variant, shape, num_groups).axes}"
            for variant in VARIANTS}


AT_INFERENCE = {"BatchNorm": "yes: running statistics",
                "InstanceNorm": "only if it tracks running statistics (off by default in PyTorch)"}


def facts_table(shape: tuple[int, int, int], num_groups: int) -> pd.DataFrame:
    """The facts of every variant for (N, C, S), one row per layer, with user-facing column names."""
    rows = []
    for variant in VARIANTS:
        facts = variant_facts(variant, shape, num_groups)
        rows.append({
            "Layer": variant, "Statistics over": facts.axes, "Statistic": facts.statistic,
            "Subtracts the mean": "yes" if facts.subtracts_mean else "no",
            "How many": facts.num_stats, "Values in each set": facts.group_size,
            "γ / β shape (torch defaults)": facts.param_shape,
            "Depends on batch": "yes" if facts.batch_dependent else "no",
            "Differs at inference": AT_INFERENCE.get(variant, "no"),
        })
    return pd.DataFrame(rows)


SPREAD_THRESHOLD = 1e-3  # a residual spread below this counts as removed


@dataclass(frozen=True)
class SameData:
    """One synthetic batch x (N, C, S) through every variant (training mode, γ = 1, β = 0).

    outputs: variant -> output (N, C, S), for the variants that run on this shape.
    errors:  variant -> the error message of those that cannot (e.g. InstanceNorm with S = 1).
    spreads: rows "Input" and each output, columns RESIDUALS' kinds, plus "removed" (the kinds whose spread is
             below SPREAD_THRESHOLD, "—" if none).
    """

    x: np.ndarray
    outputs: dict[str, np.ndarray]
    errors: dict[str, str]
    spreads: pd.DataFrame
    equivalences: Equivalences


def same_data(shape: tuple[int, int, int], num_groups: int, eps: float = 1e-5, seed: int = 0) -> SameData:
    """The Same-data lesson for a batch of `shape` from `synthetic_images(shape, seed)`."""
    x = synthetic_images(shape, seed)
    results = normalize_all(x, num_groups, eps)
    outputs = {name: y for name, y in results.items() if not isinstance(y, str)}
    errors = {name: y for name, y in results.items() if isinstance(y, str)}
    spreads = pd.DataFrame({name: residual_spreads(y) for name, y in {"Input": x, **outputs}.items()}).T
    spreads["removed"] = [", ".join(kind for kind in RESIDUALS if spreads.at[name, kind] < SPREAD_THRESHOLD) or "—"
                          for name in spreads.index]
    return SameData(x, outputs, errors, spreads, equivalences(x, eps))


def sensitivity_table(spreads: dict[str, np.ndarray], batch_sizes: tuple[int, ...] = BATCH_SIZES) -> pd.DataFrame:
    """`batch_size_sensitivity`'s spreads as a table: index batch size, one column per variant."""
    return pd.DataFrame(spreads, index=pd.Index(batch_sizes, name="batch size")).round(4)


def divisors(num_channels: int) -> tuple[int, ...]:
    """The group counts GroupNorm accepts for C channels: the divisors of C."""
    return tuple(d for d in range(1, num_channels + 1) if num_channels % d == 0)


def sensitivity_verdict(table: pd.DataFrame) -> str:
    """What the batch-size sensitivity table shows, in words computed from it (index: batch size)."""
    batch_norm = table["BatchNorm"].dropna()
    measured = {name: table[name].dropna() for name in VARIANTS}  # a layer that cannot run here has no points
    flat = [name for name in VARIANTS if name != "BatchNorm" and len(measured[name]) and (measured[name] == 0).all()]
    text = ""
    if len(batch_norm) >= 2:
        small, large = batch_norm.index[batch_norm.index > 1][0], batch_norm.index[-1]
        text = (f"BatchNorm's output depends on who else is in the batch: spread {format_number(batch_norm[small], 3)}"
                f" at B = {small}, {format_number(batch_norm[large], 3)} at B = {large} (about 1/√B predicts "
                f"{format_number(batch_norm[small] * (small / large) ** 0.5, 3)}).")
        if batch_norm.index[0] == 1 and batch_norm.iloc[0] == 0:
            text += " At B = 1 it normalizes like InstanceNorm: spread 0."
    if flat:
        text += f" {', '.join(flat)}: spread 0 at every batch size (their lines lie on the zero line)."
    return text.strip()


def equivalence_sentence(eq: Equivalences) -> str:
    """The identities between variants, as computed for one batch (Markdown)."""
    pairs = [("GroupNorm(G = 1) and LayerNorm", eq.group1_vs_layer),
             ("GroupNorm(G = C) and InstanceNorm", eq.group_c_vs_instance),
             ("BatchNorm on 1 image and InstanceNorm", eq.batch1_vs_instance)]
    spatial = eq.group_c_vs_instance is not None  # computed whenever H·W ≥ 2
    missing = "needs H·W ≥ 2" if not spatial else "BatchNorm needs ε > 0 in training"
    listed = "; ".join(f"{name}: {format_number(diff) if diff is not None else missing}" for name, diff in pairs)
    return (f"**Same statistics, computed** (largest |Δ| between the two normalized outputs x̂): {listed}. Their γ and "
            "β differ: see *Beyond the statistics*.")


def cannot_run(variant: str, error: str) -> str:
    """Why `variant` did not run on the user's settings (`error`: bn_core's message) and what to change (Markdown)."""
    if error.startswith(EPS_NOT_POSITIVE):
        remedy = "Pick ε > 0 to see it: PyTorch refuses ε = 0 in training too."
    elif error.startswith(SINGLE_VALUE):
        remedy = "Increase N or H·W to see it."
    else:
        remedy = "Increase H·W to see it."
    return f"**{variant}** cannot run with these settings: {error.rstrip('.')}. {remedy}"


def sensitivity_missing(table: pd.DataFrame, eps: float) -> str | None:
    """Which lines of the batch-size sensitivity chart are missing points, why, and what to change; None if none."""
    reasons = []
    if table["BatchNorm"].isna().all() and eps <= 0:
        reasons.append("BatchNorm refuses ε = 0 in training (PyTorch too): pick ε > 0")
    elif table["BatchNorm"].isna().any():
        reasons.append("BatchNorm needs more than one value per channel (batch size × H·W ≥ 2): increase H·W")
    if table["InstanceNorm"].isna().any():
        reasons.append("InstanceNorm needs H·W ≥ 2: increase H·W")
    return f"Some points are missing. {'; '.join(reasons)}." if reasons else None


def single_vector_sentence(eq: Equivalences) -> str:
    """BatchNorm and LayerNorm on a batch of one vector (Markdown)."""
    batch_norm_does = f"raises `ValueError: {eq.batch_norm_single_error}`" if eq.batch_norm_single_error else "runs"
    outputs = ", ".join(format_number(v, 3) for v in eq.layer_norm_single[0])
    return (f"**A batch of one vector**, shape (1, {eq.single_vector.shape[1]}), in training mode: BatchNorm "
            f"{batch_norm_does}; LayerNorm over its C features gives {outputs}.")
