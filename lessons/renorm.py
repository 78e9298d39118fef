"""The Variants page's experiments on Batch Renormalization and Ghost BatchNorm: a non-i.i.d. stream, the
train/inference gap of each layer, and batch-size sensitivity of Ghost BN."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bn_core.batchnorm import BatchNorm
from bn_core.normalize import normalize_forward
from bn_core.renorm import BatchRenorm, GhostBatchNorm, ghost_chunks
from lessons.format import format_number


@dataclass(frozen=True)
class RenormExperiment:
    """Train-vs-inference gap over a stream of small, non-iid minibatches, for BatchNorm and Batch Renorm.

    gap_bn, gap_renorm: (steps,) mean |training-mode output − inference-mode output| of each minibatch,
    the inference output computed with the running statistics the layer holds at that step.
    clipped: (steps,) share of channels whose r or d was clipped.
    unclipped_gap: the largest |training output − inference output| of Batch Renorm over every channel-step
    whose r and d were not clipped: 0 up to rounding, by construction (NaN if every channel-step was clipped).
    """

    gap_bn: np.ndarray
    gap_renorm: np.ndarray
    clipped: np.ndarray
    unclipped_gap: float


def non_iid_stream(steps: int, batch_size: int, num_features: int, seed: int = 0) -> np.ndarray:
    """Minibatches that are not i.i.d.: each comes from one of 4 clusters with its own mean, as when a data
    loader does not shuffle across classes. Shape (steps, batch_size, num_features); population mean 0."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 2.0, (4, num_features))
    centres -= centres.mean(axis=0)
    cluster = rng.integers(0, 4, steps)
    return centres[cluster][:, None, :] + rng.standard_normal((steps, batch_size, num_features))


@dataclass(frozen=True)
class RenormRun:
    """Per-feature results of one run over a stream (steps, batch, F): gap_bn, gap_renorm (steps, F) mean
    |training − inference output| per feature, clipped (steps, F) whether r or d was clipped, unclipped_gap as in
    RenormExperiment."""

    gap_bn: np.ndarray
    gap_renorm: np.ndarray
    clipped: np.ndarray
    unclipped_gap: float


def renorm_run(stream: np.ndarray, r_max: float, d_max: float, *, momentum: float = 0.02,
               eps: float = 1e-5) -> RenormRun:
    """Run BatchNorm and BatchRenorm side by side on `stream` (steps, batch, F); at every step compare each
    layer's training output for the minibatch with its inference output for the same minibatch (computed with
    the running statistics the layer holds at that step). Features are independent in both layers, so
    independent streams side by side along F are independent runs at the cost of one."""
    steps, _, num_features = stream.shape
    bn = BatchNorm(num_features, eps=eps, momentum=momentum, affine=False)
    renorm = BatchRenorm(num_features, r_max=r_max, d_max=d_max, momentum=momentum, eps=eps)
    gap_bn, gap_renorm = np.empty((steps, num_features)), np.empty((steps, num_features))
    clipped = np.empty((steps, num_features), dtype=bool)
    unclipped_gap = np.nan
    for t, x in enumerate(stream):
        eval_bn = bn.eval()(x)
        gap_bn[t] = np.abs(bn.train()(x) - eval_bn).mean(axis=0)
        eval_renorm = renorm.eval()(x)
        gap = np.abs(renorm.train()(x) - eval_renorm)
        gap_renorm[t] = gap.mean(axis=0)
        clipped[t] = renorm.last_stats.clipped
        if not clipped[t].all():
            unclipped_gap = np.fmax(unclipped_gap, gap[:, ~clipped[t]].max())
    return RenormRun(gap_bn, gap_renorm, clipped, float(unclipped_gap))


def renorm_experiment(r_max: float, d_max: float, *, steps: int = 300, batch_size: int = 4, num_features: int = 3,
                      momentum: float = 0.02, eps: float = 1e-5, seed: int = 0) -> RenormExperiment:
    """`renorm_run` on `non_iid_stream(steps, batch_size, num_features, seed)`, averaged over the features."""
    run = renorm_run(non_iid_stream(steps, batch_size, num_features, seed), r_max, d_max, momentum=momentum, eps=eps)
    return RenormExperiment(run.gap_bn.mean(axis=1), run.gap_renorm.mean(axis=1), run.clipped.mean(axis=1),
                            run.unclipped_gap)


RENORM_SEEDS = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class RenormSummary:
    """`renorm_experiment` at one (r_max, d_max) for several stream seeds.

    curves: "BatchNorm" / "Batch Renorm" -> (len(seeds), steps) gap of each seed's run.
    gap_bn, gap_renorm, clipped: (len(seeds),) means over the last `recent` steps of each seed's run.
    unclipped_gap: the largest gap on unclipped channel-steps over all seeds (the identity's rounding error).
    """

    r_max: float
    d_max: float
    recent: int
    curves: dict[str, np.ndarray]
    gap_bn: np.ndarray
    gap_renorm: np.ndarray
    clipped: np.ndarray
    unclipped_gap: float

    @property
    def ratio(self) -> np.ndarray:
        """(len(seeds),) Batch Renorm's gap over BatchNorm's."""
        return self.gap_renorm / self.gap_bn


def renorm_summary(r_max: float, d_max: float, *, seeds: tuple[int, ...] = RENORM_SEEDS, steps: int = 300,
                   batch_size: int = 4, num_features: int = 3, recent: int = 100) -> RenormSummary:
    """Every seed's `renorm_experiment` in one `renorm_run` (the seeds' streams side by side), summarised."""
    stream = np.concatenate([non_iid_stream(steps, batch_size, num_features, seed) for seed in seeds], axis=2)
    run = renorm_run(stream, r_max, d_max)

    def per_seed(values: np.ndarray) -> np.ndarray:  # (steps, seeds·F) -> (seeds, steps)
        return values.reshape(steps, len(seeds), num_features).mean(axis=2).T

    curves = {"BatchNorm": per_seed(run.gap_bn), "Batch Renorm": per_seed(run.gap_renorm)}
    window = slice(-recent, None)
    return RenormSummary(r_max, d_max, recent, curves, curves["BatchNorm"][:, window].mean(axis=1),
                         curves["Batch Renorm"][:, window].mean(axis=1), per_seed(run.clipped)[:, window].mean(axis=1),
                         run.unclipped_gap)


def renorm_metrics(summary: RenormSummary) -> list[tuple[str, str, str]]:
    """(label, value, help) of the page's three headline numbers, averaged over the seeds."""
    explained = "Mean |training output − inference output|, averaged over the seeds."
    return [(f"BatchNorm gap, last {summary.recent} steps", format_number(summary.gap_bn.mean(), 3), explained),
            (f"Batch Renorm gap, last {summary.recent} steps", format_number(summary.gap_renorm.mean(), 3), explained),
            ("Channel-steps with r or d clipped", f"{format_number(100 * summary.clipped.mean(), 2)} %",
             f"Among the last {summary.recent} steps of every seed.")]


def renorm_verdict(summary: RenormSummary) -> str:
    """What the runs show at these limits, in words computed from them (Markdown with LaTeX)."""
    ratio = summary.ratio
    limits = f"$r_{{max}} = {summary.r_max:g}$, $d_{{max}} = {summary.d_max:g}$"
    overall = summary.gap_renorm.mean() / summary.gap_bn.mean()  # of the two headline gaps, as the cards show them
    change = overall - 1
    size = (f"{format_number(100 * change, 2)} % larger than" if change > 0.02 else
            f"{format_number(-100 * change, 2)} % smaller than" if change < -0.02 else "about the same as")
    text = (f"At {limits}, Batch Renorm's gap is {format_number(overall, 2)} × BatchNorm's (the two gaps above; "
            f"{format_number(ratio.min(), 2)} to {format_number(ratio.max(), 2)} seed by seed, {len(ratio)} seeds): "
            f"{size} BatchNorm's, with r or d clipped in {format_number(100 * summary.clipped.mean(), 2)} % of "
            "the channel-steps.")
    if summary.r_max == 1 and summary.d_max == 0:
        text += (" With r = 1 and d = 0 its training output is BatchNorm's, but at inference it divides by a"
                 r" running mean of the batches' biased $\sigma_B$, which for batches of 4 is smaller than"
                 " BatchNorm's running unbiased σ: so the gap grows.")
    if np.isfinite(summary.unclipped_gap):
        text += (" Where r and d are not clipped, the training output equals the inference output by"
                 f" construction (largest difference {format_number(summary.unclipped_gap)}: rounding), an"
                 " identity, not a finding: the gap comes from the clipped channel-steps.")
    return text


GHOST_SIZES = (2, 4, 8, 16, 32, 64, 128, 256)
GHOST_TRIALS = 1000  # a spread's sampling error is then ~1 %; 24 trials left ratios from 0.81 to 1.10


@dataclass(frozen=True)
class GhostExperiment:
    """Noise in one sample's normalized value, by (virtual) batch size.

    ghost:      (len(ghost_sizes),) Ghost BN with virtual batches of g inside a batch of `batch_size`.
    small:      (len(ghost_sizes),) plain BatchNorm on a real batch of g.
    full_batch: plain BatchNorm on the whole batch of `batch_size`.
    Noise = standard deviation, over `trials` redrawn batches, of the probe sample's output, averaged over features.
    """

    ghost_sizes: tuple[int, ...]
    batch_size: int
    trials: int
    ghost: np.ndarray
    small: np.ndarray
    full_batch: float
    ghost_error: np.ndarray  # the standard errors of ghost and small (spread_error)
    small_error: np.ndarray


def ghost_normalize(x: np.ndarray, group: int, eps: float = 1e-5) -> np.ndarray:
    """Each batch x[t] (x: (T, N, C)) through training-mode Ghost BN with virtual batches of `group` (dividing N),
    all T at once: bn_core.renorm.ghost_batch_norm(x[t], group) for every t. Returns y of x's shape."""
    trials, size, channels = x.shape
    groups = x.reshape(trials * size // group, group, channels)  # the virtual batches, in order
    return normalize_forward(groups, stat_axes=(1,), param_bshape=(1, 1, channels), eps=eps)[0].reshape(x.shape)


def ghost_experiment(*, ghost_sizes: tuple[int, ...] = GHOST_SIZES, batch_size: int = 256, num_features: int = 4,
                     trials: int = GHOST_TRIALS, eps: float = 1e-5, seed: int = 0) -> GhostExperiment:
    """Measure how noisy the normalization of one fixed sample is with Ghost BN, small batches and a full batch.

    The probe is placed at a random position of each redrawn batch, so its virtual batch changes too. Every ghost
    size must divide batch_size. All trials are normalized at once: a batch of `trials` rows, each a redrawn batch.
    """
    rng = np.random.default_rng(seed)
    probe = rng.standard_normal(num_features)

    def probe_noise(size: int, group: int) -> tuple[float, float]:
        """The probe's output spread over the trials, in batches of `size` normalized in groups of `group` rows,
        and that spread's standard error."""
        x = rng.standard_normal((trials, size, num_features))
        at = rng.integers(0, size, trials)
        x[np.arange(trials), at] = probe
        outputs = ghost_normalize(x, group, eps)[np.arange(trials), at]
        return float(np.std(outputs, axis=0).mean()), spread_error(outputs)

    ghost, ghost_error = np.array([probe_noise(batch_size, g) for g in ghost_sizes]).T
    small, small_error = np.array([probe_noise(g, g) for g in ghost_sizes]).T
    return GhostExperiment(tuple(ghost_sizes), batch_size, trials, ghost, small, probe_noise(batch_size, batch_size)[0],
                           ghost_error, small_error)


def spread_error(outputs: np.ndarray) -> float:
    """Standard error of the mean over features of each feature's standard deviation, outputs: (T, F) draws.

    The delta method: Var(s) ≈ (μ₄ − σ⁴) / (4 T σ²) per feature. For g = 2 the outputs are near ±1, and a feature
    whose probe lies far out has a small, skewed spread with a large relative error."""
    trials = len(outputs)
    deviations = outputs - outputs.mean(axis=0)
    variance, fourth = (deviations**2).mean(axis=0), (deviations**4).mean(axis=0)
    per_feature = (fourth - variance**2) / (4 * trials * np.maximum(variance, np.finfo(float).tiny))
    return float(np.sqrt(per_feature.sum()) / outputs.shape[1])


GHOST_CONVENTIONS = {  # who applies which momentum to each virtual batch's update: bn_core's convention names
    "Hoffer et al. 2017 (Algorithm 1): full momentum per virtual batch": "hoffer",
    "Composer's GhostBatchNorm: momentum ÷ number of virtual batches": "composer",
}


@dataclass(frozen=True)
class GhostRunning:
    """Running mean of Ghost BN under both conventions, one feature, population mean `population_mean`.

    steps: (len,) large-batch step numbers 1…T; running_mean: convention name -> (T,) running μ after each step
    (starting from torch's 0); last_batch_weight: convention -> the weight the latest large batch gets in the
    running μ, 1 − (1 − m')^k with k virtual batches of momentum m'.
    """

    ghost_size: int
    batch_size: int
    num_chunks: int
    momentum: float
    population_mean: float
    steps: np.ndarray
    running_mean: dict[str, np.ndarray]
    last_batch_weight: dict[str, float]


def ghost_running(ghost_size: int, *, batch_size: int = 256, momentum: float = 0.1, steps: int = 20,
                  population_mean: float = 1.0, seed: int = 0) -> GhostRunning:
    """Train `bn_core.GhostBatchNorm` on `steps` large batches of one feature under each convention and record its
    running mean after every batch."""
    stream = population_mean + np.random.default_rng(seed).standard_normal((steps, batch_size, 1))
    parts = ghost_chunks(batch_size, ghost_size)
    curves, weights = {}, {}
    for name, convention in GHOST_CONVENTIONS.items():
        layer = GhostBatchNorm(1, ghost_size, momentum=momentum, convention=convention)
        curve = []
        for x in stream:
            layer(x)
            curve.append(float(layer.bn.running_mean[0]))
        curves[name] = np.array(curve)
        per_chunk = momentum if convention == "hoffer" else momentum / len(parts)
        weights[name] = 1 - (1 - per_chunk) ** len(parts)
    return GhostRunning(ghost_size, batch_size, len(parts), momentum, population_mean, np.arange(1, steps + 1),
                        curves, weights)


def ghost_verdict(result: GhostExperiment, ghost_size: int) -> str:
    """The Ghost BN noise at g = `ghost_size` against a real batch of g and the full batch, in words."""
    at = result.ghost_sizes.index(ghost_size)
    ratio = result.ghost[at] / result.small[at]
    text = (f"At g = {ghost_size}, one sample's normalized value spreads by {format_number(result.ghost[at], 3)} "
            f"over {result.trials} redrawn batches of {result.batch_size} with Ghost BN, "
            f"{format_number(result.small[at], 3)} with BatchNorm on a real batch of {ghost_size} "
            f"(ratio {format_number(ratio, 3)}), and "
            f"{format_number(result.full_batch, 3)} with BatchNorm on the full batch.")
    # Independent draws: the two spreads' difference has the standard error √(se_ghost² + se_small²).
    chance = np.hypot(result.ghost_error[at], result.small_error[at])
    if ghost_size == result.batch_size:
        text += (f" With g = {ghost_size} Ghost BN is plain BatchNorm on the full batch: the three spreads differ "
                 "only by their independent draws.")
    elif abs(result.ghost[at] - result.small[at]) <= 3 * chance:
        text += (f" The first two are the same within the sampling error of {result.trials} draws: each virtual batch "
                 f"is a real batch of {ghost_size}, so Ghost BN keeps its noise.")
    return text


def ghost_running_verdict(running: GhostRunning) -> str:
    """Both momentum conventions at this g, in words computed from `ghost_running`."""
    (hoffer, hoffer_weight), (composer, composer_weight) = running.last_batch_weight.items()
    k, m = running.num_chunks, running.momentum
    if k == 1:
        return f"**Running statistics**: with g = {running.batch_size} there is one virtual batch: both conventions " \
               f"are plain BatchNorm with momentum {m:g}."
    return (f"**Running statistics**: each of the {k} virtual batches updates them. Momentum {m:g} per virtual batch "
            f"(Hoffer et al., Algorithm 1) gives the latest large batch a weight of {format_number(hoffer_weight, 3)}; "
            f"momentum ÷ {k} (Composer's GhostBatchNorm) gives {format_number(composer_weight, 3)}, about one ordinary "
            f"step's {m:g}. After {len(running.steps)} large batches the running μ is "
            f"{format_number(running.running_mean[hoffer][-1], 3)} and "
            f"{format_number(running.running_mean[composer][-1], 3)} "
            f"(population mean {running.population_mean:g}).")
