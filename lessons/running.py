"""Running statistics: a stream of batches through `BatchNorm`, and what goes wrong between training and inference.

A `Population` gives every feature a true mean and standard deviation, possibly drifting over the steps of
the stream. `simulate_stream` draws one batch per step, feeds it to a `BatchNorm` layer in training mode and
records, step by step, the batch statistics next to the layer's running estimates and the truth. The other
functions are the experiments the Training vs Inference page runs on a trained layer:

| function                   | question it answers                                                        |
| -------------------------- | -------------------------------------------------------------------------- |
| `single_sample`            | one sample at inference: fine in eval mode, an error (or β) in training    |
| `eval_gap`, `lag_gap`      | how far eval mode puts that sample; the start values' and drift's share    |
| `same_sample_in_batches`   | "forgot to call eval()": one sample, different batches, different outputs  |
| `mismatch_scenarios`       | wrong running statistics (too few steps, bad momentum, drift) shift output |
| `batch_size_spread`        | how far batch statistics stray from the population, for batch sizes 1…256  |

The `*_table` functions at the end lay the results out as DataFrames, one row per feature (F0, F1, ...).
Shapes: S steps, m samples per batch, C features.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from bn_core.batchnorm import BatchNorm, torch_to_keras_momentum
from bn_core.data import DISTRIBUTIONS, feature_names, standard_sample
from bn_core.functional import batch_norm
from bn_core.stats import batch_mean, batch_var
from lessons.codegen import no_equivalent_message
from lessons.torch_errors import TORCH_EPS_ERROR, pytorch_training_error

DRIFTS = ("none", "linear", "sudden")
STREAM_BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256)  # the batch sizes a stream can be drawn in (the page's choice)
CONVENTIONS = ("pytorch", "keras")

# Batch sizes for the batch-size experiment: roughly log-spaced from 1 to 256.
BATCH_SIZES = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256)
# Wu & He (2018, "Group Normalization", arXiv:1803.08494, Figure 1) trained ResNet-50 on ImageNet with BatchNorm
# at 32, 16, 8, 4 and 2 images per GPU: the error was about the same at 32 and 16, rose from 8 down, and reached
# 34.7% at 2 (GroupNorm: 24.1%, the abstract's "10.6% lower"). The shading marks the sizes below their flat region:
# one network on one task, not a threshold of batch normalization in general.
UNRELIABLE_BELOW = 16
SMALL_BATCH_SOURCE = ("Wu & He, [Group Normalization](https://arxiv.org/abs/1803.08494) (2018), Fig. 1: ResNet-50 on "
                      "ImageNet, BatchNorm's error about equal at 32 and 16 images per GPU, higher from 8 down, "
                      "34.7% at 2 (GroupNorm 24.1%).")

# The deployment drift of the "population drifted after training" scenario.
DEPLOYMENT_MEAN_SHIFT = 1.0  # in standard deviations of each feature
DEPLOYMENT_STD_FACTOR = 1.5

Progress = Callable[[float], None]


@dataclass(frozen=True)
class Population:
    """Per-feature normal populations, optionally drifting over the S steps of a stream.

    mean, std:   the population at step 0, one entry per feature (std > 0).
    drift:       "none"; "linear" (the change grows steadily and is complete at the last step);
                 "sudden" (the whole change happens at step `shift_step`).
    mean_shift:  how far each mean moves, in units of that feature's standard deviation.
    std_factor:  what each standard deviation is multiplied by once the change is complete.
    """

    mean: tuple[float, ...]
    std: tuple[float, ...]
    drift: str = "none"
    mean_shift: float = 0.0
    std_factor: float = 1.0
    shift_step: int = 0

    def __post_init__(self):
        if not self.mean or len(self.mean) != len(self.std):
            raise ValueError(f"need one mean and one std per feature, got {len(self.mean)} and {len(self.std)}")
        if not np.all(np.isfinite(self.mean)) or not np.all(np.isfinite(self.std)) or min(self.std) <= 0:
            raise ValueError(f"means must be finite and standard deviations finite and > 0, got {self.std}")
        if self.drift not in DRIFTS:
            raise ValueError(f"drift must be one of {DRIFTS}, got {self.drift!r}")
        if not np.isfinite(self.mean_shift) or not np.isfinite(self.std_factor) or self.std_factor <= 0:
            raise ValueError(f"mean_shift must be finite and std_factor > 0, got {self.mean_shift}, {self.std_factor}")
        if self.shift_step < 0:
            raise ValueError(f"shift_step must be >= 0, got {self.shift_step}")

    @property
    def num_features(self) -> int:
        return len(self.mean)

    def change(self, steps: int) -> np.ndarray:
        """Fraction of the drift applied at each step, from 0 (the start population) to 1. Shape (S,)."""
        t = np.arange(steps)
        if self.drift == "linear":
            return t / max(steps - 1, 1)
        if self.drift == "sudden":
            return (t >= self.shift_step).astype(np.float64)
        return np.zeros(steps)

    def moments(self, steps: int) -> tuple[np.ndarray, np.ndarray]:
        """True (mean, std) at every step, each of shape (S, C)."""
        frac = self.change(steps)[:, None]
        mean0, std0 = np.asarray(self.mean, dtype=np.float64), np.asarray(self.std, dtype=np.float64)
        return mean0 + frac * self.mean_shift * std0, std0 * (1 + frac * (self.std_factor - 1))

    def deployed(self, steps: int, mean_shift: float, std_factor: float) -> Population:
        """The population at the end of a stream of `steps` steps, then shifted once more (no drift)."""
        mean, std = self.moments(steps)
        return Population(tuple(mean[-1] + mean_shift * std[-1]), tuple(std[-1] * std_factor))


@dataclass(frozen=True)
class StreamSettings:
    """Everything that defines one simulated stream; hashable, so it can key a cache.

    momentum: PyTorch's convention (weight of the new batch) or None for the cumulative average.
    convention: "pytorch" (running_var tracks the unbiased batch variance, eps as given) or "keras"
    (Keras 3: moving variance tracks the biased batch variance, one value per channel allowed).
    """

    population: Population
    batch_size: int = 16
    steps: int = 300
    momentum: float | None = 0.1
    eps: float = 1e-5
    seed: int = 0
    convention: str = "pytorch"

    def __post_init__(self):
        if int(self.batch_size) != self.batch_size or self.batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {self.batch_size}")
        if int(self.steps) != self.steps or self.steps < 1:
            raise ValueError(f"steps must be a positive integer, got {self.steps}")
        if self.convention not in CONVENTIONS:
            raise ValueError(f"convention must be one of {CONVENTIONS}, got {self.convention!r}")
        if self.convention == "keras" and self.momentum is None:
            raise ValueError(no_equivalent_message("Keras"))


@dataclass(frozen=True)
class StreamRun:
    """The result of `simulate_stream`: per-step histories, each of shape (S, C), and the trained layer.

    batch_mean, batch_var_biased, batch_var_unbiased: statistics of the batch at each step
        (unbiased is NaN for batches of 1).
    running_mean, running_var: the layer's estimates after that step's update.
    true_mean, true_var: the population at that step.
    """

    settings: StreamSettings
    batch_mean: np.ndarray
    batch_var_biased: np.ndarray
    batch_var_unbiased: np.ndarray
    running_mean: np.ndarray
    running_var: np.ndarray
    true_mean: np.ndarray
    true_var: np.ndarray
    layer: BatchNorm


def make_layer(num_features: int, *, momentum: float | None, eps: float, convention: str) -> BatchNorm:
    """A fresh BatchNorm layer; momentum always in PyTorch's convention (Keras' is 1 - momentum).

    Raises ValueError for eps <= 0 in PyTorch's convention: torch 2.13 refuses it in training (checked with
    torch here; bn_core's own training forward raises the same), and every stream trains.
    """
    if convention == "pytorch" and eps <= 0:
        raise ValueError(TORCH_EPS_ERROR.format(eps=float(eps)))
    if convention == "keras":
        if momentum is None:
            raise ValueError(no_equivalent_message("Keras"))
        return BatchNorm.keras(num_features, momentum=torch_to_keras_momentum(momentum), epsilon=eps)
    return BatchNorm(num_features, eps=eps, momentum=momentum)


def draw_stream(settings: StreamSettings) -> np.ndarray:
    """The batches of the stream, shape (S, m, C), reproducible for settings.seed.

    Each feature draws from its own generator, so adding a feature leaves the others' batches as they were: a
    student who adds one sees the first features' curves stay put (and the browser keeps their charts)."""
    mean, std = settings.population.moments(settings.steps)
    shape = (settings.steps, settings.batch_size)
    z = np.stack([np.random.default_rng((settings.seed, j)).standard_normal(shape)
                  for j in range(settings.population.num_features)], axis=-1)
    return mean[:, None, :] + std[:, None, :] * z


def train_on_stream(layer: BatchNorm, batches: np.ndarray, progress: Progress | None = None,
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Feed batches (S, m, C) to `layer` in training mode, one per step; the layer is updated in place.

    Returns the running (mean, var) after each step, each (S, C). `progress(fraction)` is called about
    20 times along the way.
    """
    layer.train()
    steps = len(batches)
    running_mean = np.empty((steps, layer.num_features))
    running_var = np.empty((steps, layer.num_features))
    report_every = max(steps // 20, 1)
    for step, x in enumerate(batches):
        layer(x)
        running_mean[step] = layer.running_mean
        running_var[step] = layer.running_var
        if progress is not None and step % report_every == 0:
            progress(step / steps)
    return running_mean, running_var


def simulate_stream(settings: StreamSettings, progress: Progress | None = None) -> StreamRun:
    """Draw the stream of `settings` and train a fresh layer on it, recording every step.

    Raises ValueError (as torch does) for batches of one sample in the PyTorch convention.
    """
    batches = draw_stream(settings)
    layer = make_layer(settings.population.num_features, momentum=settings.momentum, eps=settings.eps,
                       convention=settings.convention)
    running_mean, running_var = train_on_stream(layer, batches, progress)
    true_mean, true_std = settings.population.moments(settings.steps)
    if settings.batch_size > 1:
        unbiased = batch_var(batches, axes=(1,), ddof=1)
    else:
        unbiased = np.full((settings.steps, settings.population.num_features), np.nan)
    return StreamRun(
        settings=settings, batch_mean=batch_mean(batches, axes=(1,)), batch_var_biased=batch_var(batches, axes=(1,)),
        batch_var_unbiased=unbiased, running_mean=running_mean, running_var=running_var,
        true_mean=true_mean, true_var=true_std**2, layer=layer,
    )


def effective_window(momentum: float | None, steps: int) -> float:
    """How many recent batches a plain average would need to be as noisy as the running statistics: (2 − α)/α for
    momentum α (all `steps` of them for None, the cumulative average).

    An exponential moving average of independent batch statistics with variance v settles at variance
    α/(2 − α)·v; a plain average of N batches has v/N. So N = (2 − α)/α: 19 at α = 0.1, 1 at α = 1.
    """
    return float(steps) if momentum is None else (2.0 - momentum) / momentum


def initial_weight(momentum: float | None, steps: int) -> float:
    """Weight the initial values (running μ 0, running σ² 1) still carry after `steps` updates: (1 − α)^steps.

    momentum=None replaces them entirely at the first step (its first factor is 1/1).
    """
    return 0.0 if momentum is None else float((1.0 - momentum) ** steps)


@dataclass(frozen=True)
class VarianceBias:
    """What keeping the biased batch variance (Keras 3, Flax) in the running estimate costs at batch size m.

    expected_ratio: (m - 1)/m, the biased variance's mean as a fraction of the population variance.
    measured_ratio: Keras' running variance / PyTorch's, averaged over the second half of the stream and features.
    output_widening: how much too wide inference outputs come out, sqrt(m / (m - 1)) - 1.
    """

    expected_ratio: float
    measured_ratio: float
    output_widening: float


def variance_bias(torch_run: StreamRun, keras_run: StreamRun) -> VarianceBias:
    """Compare the biased (Keras) and unbiased (PyTorch) running variances of two runs over the same stream."""
    m = torch_run.settings.batch_size
    tail = slice(len(torch_run.running_var) // 2, None)
    measured = float(np.mean(keras_run.running_var[tail] / torch_run.running_var[tail]))
    return VarianceBias((m - 1) / m, measured, float(np.sqrt(m / (m - 1)) - 1))


def _final_population(run: StreamRun) -> tuple[np.ndarray, np.ndarray]:
    """True (mean, std) at the last step, each (C,)."""
    return run.true_mean[-1], np.sqrt(run.true_var[-1])


def _experiment_rng(run: StreamRun, experiment: int) -> np.random.Generator:
    """A generator of its own for each experiment, derived from the stream's seed."""
    return np.random.default_rng((run.settings.seed, experiment))


def _eval_copy(layer: BatchNorm) -> BatchNorm:
    return copy.deepcopy(layer).eval()


@dataclass(frozen=True)
class SingleSample:
    """One sample x (C,) pushed through the trained layer on its own (a batch of one).

    eval_output:       with the running statistics: (x - running_mean) / sqrt(running_var + eps) * γ + β.
    population_output: what perfect running statistics (the true population at the last step) would give.
    train_error:       PyTorch's training-mode error for a batch of one (None would mean it trained).
    keras_train_output: Keras 3 in training mode: the batch's own mean is x itself, so the output is β.
    """

    x: np.ndarray
    eval_output: np.ndarray
    population_output: np.ndarray
    train_error: str | None
    keras_train_output: np.ndarray


def single_sample(run: StreamRun) -> SingleSample:
    """Inference on one fresh sample from the final population, in eval and in training mode."""
    mean, std = _final_population(run)
    x = mean + std * _experiment_rng(run, 1).standard_normal(len(mean))
    batch = x[None, :]
    layer = run.layer
    eval_output = _eval_copy(layer)(batch)[0]
    population_output = batch_norm(batch, layer.gamma, layer.beta, eps=layer.eps, running_mean=mean,
                                   running_var=std**2, training=False)[0]
    keras = BatchNorm.keras(layer.num_features, epsilon=layer.eps)
    return SingleSample(x=x, eval_output=eval_output, population_output=population_output,
                        train_error=pytorch_training_error(batch), keras_train_output=keras(batch)[0])


EVAL_CLOSE = 0.1  # eval outputs within a tenth of the population's std (γ = 1) of the true statistics' count as close


def eval_gap(sample: SingleSample) -> float:
    """How far the running statistics put one sample: the largest |eval output − output with the true statistics|
    over features, in the final population's standard deviations (the page's layer keeps γ = 1)."""
    return float(np.max(np.abs(sample.eval_output - sample.population_output)))


def exact_running_statistics(run: StreamRun) -> tuple[np.ndarray, np.ndarray]:
    """The running mean and variance (C,) the layer would end with if every batch's statistics were the population's
    exactly: its update rule applied to true_mean and true_var (S, C), from the start values 0 and 1. What separates
    them from the final population's is the start values and the lag behind a drift; the rest is the batches' noise."""
    momentum, steps = run.settings.momentum, run.settings.steps
    if momentum is None:
        return run.true_mean.mean(axis=0), run.true_var.mean(axis=0)
    weights = momentum * (1.0 - momentum) ** np.arange(steps - 1, -1, -1)  # (S,): the last step weighs α
    return weights @ run.true_mean, (1.0 - momentum) ** steps + weights @ run.true_var


def lag_gap(run: StreamRun, sample: SingleSample) -> float:
    """eval_gap without the batches' noise: the sample's outputs with exact_running_statistics against those with
    the final population's statistics (the start values' and the drift's share of the gap)."""
    mean, var = exact_running_statistics(run)
    layer = run.layer
    exact = batch_norm(sample.x[None, :], layer.gamma, layer.beta, eps=layer.eps, running_mean=mean, running_var=var,
                       training=False)[0]
    return float(np.max(np.abs(exact - sample.population_output)))


def stream_training_error(settings: StreamSettings) -> str | None:
    """What PyTorch raises at the stream's first training step (a batch (m, C) at the settings' eps), or None."""
    return pytorch_training_error(np.zeros((settings.batch_size, settings.population.num_features)), settings.eps)


@dataclass(frozen=True)
class SameSampleInBatches:
    """One sample x (C,) placed in K different batches (K, m, C), always at row 0.

    train_outputs: (K, C), each batch normalized with its own statistics: the output depends on the neighbours.
    eval_outputs:  (K, C), normalized with the running statistics: identical in every batch.
    """

    x: np.ndarray
    batches: np.ndarray
    train_outputs: np.ndarray
    eval_outputs: np.ndarray


def same_sample_in_batches(run: StreamRun, num_batches: int = 12) -> SameSampleInBatches:
    """The "forgot to call eval()" experiment; needs batches of at least 2."""
    m = run.settings.batch_size
    if m < 2:
        raise ValueError("the same sample can only be compared across batches of at least 2 samples")
    mean, std = _final_population(run)
    rng = _experiment_rng(run, 2)
    batches = mean + std * rng.standard_normal((num_batches, m, len(mean)))
    batches[:, 0, :] = batches[0, 0, :]
    trained, evaluated = copy.deepcopy(run.layer).train(), _eval_copy(run.layer)
    train_outputs = np.stack([trained(batch)[0] for batch in batches])
    eval_outputs = np.stack([evaluated(batch)[0] for batch in batches])
    return SameSampleInBatches(x=batches[0, 0].copy(), batches=batches, train_outputs=train_outputs,
                               eval_outputs=eval_outputs)


@dataclass(frozen=True)
class InferenceShift:
    """How an eval-mode layer transforms the population it meets at inference, per feature (C,).

    Ideally outputs have mean β = 0 and standard deviation γ = 1; wrong running statistics move them:
        output_mean = γ (μ - running_mean) / sqrt(running_var + eps) + β
        output_std  = |γ| σ / sqrt(running_var + eps)
    """

    label: str
    running_mean: np.ndarray
    running_var: np.ndarray
    true_mean: np.ndarray
    true_var: np.ndarray
    output_mean: np.ndarray
    output_std: np.ndarray


def inference_shift(label: str, layer: BatchNorm, population: Population) -> InferenceShift:
    """The outputs' mean and standard deviation when `layer` (eval mode) meets `population` (no drift)."""
    mean, std = np.asarray(population.mean), np.asarray(population.std)
    output_mean = _eval_copy(layer)(mean[None, :])[0]
    output_std = np.abs(layer.gamma) * std / np.sqrt(layer.running_var + layer.eps)
    return InferenceShift(label=label, running_mean=layer.running_mean.copy(), running_var=layer.running_var.copy(),
                          true_mean=mean, true_var=std**2, output_mean=output_mean, output_std=output_std)


def mismatch_scenarios(run: StreamRun, progress: Progress | None = None) -> list[InferenceShift]:
    """The trained layer at inference against variants of the same stream that leave it wrong.

    Each variant changes one thing about `run.settings` (same seed, so the same batches where they overlap):
    too few steps (5), momentum too low (0.001: the initial 0 and 1 linger), momentum too high (1.0: only
    the last batch counts), and the population drifting after training (mean +1σ, σ x1.5).
    """
    settings = run.settings
    population = settings.population
    at_end = population.deployed(settings.steps, 0.0, 1.0)
    variants = [
        ("Too few steps (5)", replace(settings, steps=min(5, settings.steps))),
        ("Momentum too low (0.001)", replace(settings, momentum=0.001)),
        ("Momentum too high (1.0)", replace(settings, momentum=1.0)),
    ]
    shifts = [inference_shift("Your settings", run.layer, at_end)]
    for i, (label, variant) in enumerate(variants):
        layer = simulate_stream(variant).layer
        shifts.append(inference_shift(label, layer, population.deployed(variant.steps, 0.0, 1.0)))
        if progress is not None:
            progress((i + 1) / (len(variants) + 1))
    drifted = population.deployed(settings.steps, DEPLOYMENT_MEAN_SHIFT, DEPLOYMENT_STD_FACTOR)
    shifts.append(inference_shift(
        f"Drift after training (+{DEPLOYMENT_MEAN_SHIFT:g}σ, σ×{DEPLOYMENT_STD_FACTOR:g})", run.layer, drifted))
    return shifts


# bn_core.data's "with outliers": 5% of samples at ±U(6, 10), the rest standard normal.
_OUTLIER_SHARE, _OUTLIER_LOW, _OUTLIER_HIGH = 0.05, 6.0, 10.0


def population_variance(distribution: str) -> float:
    """The true variance of `bn_core.data.standard_sample(distribution)`: 1, except "with outliers", whose bulk
    has variance 1 and whose outliers E[U²] = (10³ − 6³)/(3·4) ≈ 65.3, so 0.95 + 0.05·65.3 ≈ 4.22."""
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"distribution must be one of {DISTRIBUTIONS}, got {distribution!r}")
    if distribution != "with outliers":
        return 1.0
    low, high = _OUTLIER_LOW, _OUTLIER_HIGH
    outlier_square = (high**3 - low**3) / (3 * (high - low))
    return (1 - _OUTLIER_SHARE) + _OUTLIER_SHARE * outlier_square


@dataclass(frozen=True)
class BatchSizeSpread:
    """How batch statistics scatter around the population (mean 0, variance σ²), per batch size (B,).

    population_var: σ², the population's true variance (`population_variance`).
    mean_spread:   standard deviation, over draws, of the batch mean (theory σ/√m).
    var_spread:    standard deviation, over draws, of the biased batch variance.
    var_average:   average biased batch variance: (m - 1)/m·σ², the bias Bessel's correction removes.
    output_spread: standard deviation, over draws, of the training-mode output of one fixed sample at +1σ
                   placed among m - 1 random others. NaN for m = 1, where PyTorch raises (Keras outputs β).
    """

    distribution: str
    population_var: float
    draws: int
    batch_sizes: np.ndarray
    mean_spread: np.ndarray
    var_spread: np.ndarray
    var_average: np.ndarray
    output_spread: np.ndarray


def batch_size_spread(distribution: str = "normal", *, draws: int = 2000, batch_sizes=BATCH_SIZES,
                      eps: float = 1e-5, seed: int = 0) -> BatchSizeSpread:
    """Draw `draws` batches of each size from a standardized population and measure their statistics' spread.

    Vectorised over draws: for each m the draws form one (m, draws) array, and batch_norm treats each draw
    as a channel of its own, so one call normalizes all of them.
    """
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"distribution must be one of {DISTRIBUTIONS}, got {distribution!r}")
    rng = np.random.default_rng(seed)
    population_var = population_variance(distribution)
    spreads = []
    for m in batch_sizes:
        x = standard_sample(rng, distribution, m * draws).reshape(m, draws)
        means, variances = batch_mean(x, axes=(0,)), batch_var(x, axes=(0,))
        x[0] = np.sqrt(population_var)
        output = batch_norm(x, eps=eps)[0] if m > 1 else np.full(draws, np.nan)
        spreads.append((means.std(), variances.std(), variances.mean(), output.std()))
    mean_spread, var_spread, var_average, output_spread = np.array(spreads).T
    return BatchSizeSpread(distribution=distribution, population_var=population_var, draws=draws,
                           batch_sizes=np.asarray(batch_sizes),
                           mean_spread=mean_spread, var_spread=var_spread, var_average=var_average,
                           output_spread=output_spread)


def last_step_table(run: StreamRun, keras: StreamRun | None = None) -> pd.DataFrame:
    """The truth and the running estimates after the last step; Keras 3's moving variance when given."""
    table = pd.DataFrame({"feature": feature_names(run.settings.population.num_features),
                          "true μ": run.true_mean[-1], "running μ": run.running_mean[-1],
                          "true σ²": run.true_var[-1], "running σ² (PyTorch)": run.running_var[-1]})
    if keras is not None:
        table["moving variance (Keras 3)"] = keras.running_var[-1]
    return table


def single_sample_table(run: StreamRun, sample: SingleSample) -> pd.DataFrame:
    return pd.DataFrame({"feature": feature_names(len(sample.x)), "sample x": sample.x,
                         "running μ": run.layer.running_mean, "running σ²": run.layer.running_var,
                         "eval output": sample.eval_output, "with the true statistics": sample.population_output})


def same_sample_table(result: SameSampleInBatches) -> pd.DataFrame:
    """The sample, its (single) eval output and the range its training-mode outputs cover."""
    train, evaluated = result.train_outputs, result.eval_outputs
    return pd.DataFrame({"feature": feature_names(len(result.x)), "sample x": result.x, "eval output": evaluated[0],
                         "training outputs, min": train.min(axis=0), "training outputs, max": train.max(axis=0),
                         "range in training": np.ptp(train, axis=0), "range in eval": np.ptp(evaluated, axis=0)})


def mismatch_table(shifts: list[InferenceShift]) -> pd.DataFrame:
    """One row per scenario and feature: running vs true statistics and the outputs' mean and std."""
    features = feature_names(len(shifts[0].running_mean))
    columns = {"running μ": "running_mean", "true μ": "true_mean", "running σ²": "running_var",
               "true σ²": "true_var", "output mean": "output_mean", "output std": "output_std"}
    return pd.DataFrame({
        "scenario": np.repeat([shift.label for shift in shifts], len(features)),
        "feature": features * len(shifts),
        **{title: np.concatenate([getattr(shift, field) for shift in shifts]) for title, field in columns.items()},
    })


def batch_size_table(spread: BatchSizeSpread) -> pd.DataFrame:
    """One row per batch size, with the theory next to each measurement (σ/√m, (m − 1)/m·σ²), σ² the population's
    true variance."""
    m = spread.batch_sizes
    var = spread.population_var
    return pd.DataFrame({"m": m, "spread of batch mean": spread.mean_spread, "σ/√m": np.sqrt(var / m),
                         "spread of batch variance": spread.var_spread, "average biased variance": spread.var_average,
                         "(m − 1)/m · σ²": (m - 1) / m * var, "spread of the output": spread.output_spread})
