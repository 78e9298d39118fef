"""What the Demo page computes: one batch through a batch-normalization layer, its statistics, the training
steps that move the running statistics, and the evidence behind each of the page's insights.

Everything is a pure function of its arguments, so the page can cache it and a link can reproduce it:
the k-th training step always sees the same fresh batch for the same seed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bn_core.batchnorm import BatchNorm
from bn_core.data import FeatureSpec, feature_names, make_batch, seed_example_batch, seed_like_specs
from bn_core.functional import batch_norm_forward
from bn_core.normalize import normalize_forward
from bn_core.stats import batch_mean, batch_var
from lessons.csv_input import MAX_BYTES, Problem, batch_to_csv, quote, read_batch_csv
from lessons.format import column_format, format_column, format_number

MAX_BATCH_SIZE = 256
MAX_FEATURES = 8
MAX_STEPS = 500
PRESETS = {"seed": "Seed example", "random": "Random", "custom": "Your own"}
MODES = ("training", "inference")
DEFAULT_SPECS = tuple(seed_like_specs(MAX_FEATURES))
SEED_SPECS = tuple(seed_like_specs(4))
UPLOAD_LIMIT_MB = MAX_BYTES // 1_000_000

# Ioffe & Szegedy (2015), Figure 3: training steps to reach Inception's 72.2% top-1 accuracy on ImageNet.
STEPS_TO_INCEPTION_ACCURACY = {"Inception": 31.0e6, "BN-Baseline": 13.3e6, "BN-x5": 2.1e6}


LEAD = ("A batch-normalization layer treats each feature (column) on its own: it subtracts the feature's mean over the "
        "batch, divides by its standard deviation, then applies a scale **γ** and shift **β** the network learns. "
        "Change the batch or the layer in the sidebar and every chart and table follows; for ε > 0 the numbers are "
        "those PyTorch 2.13's `BatchNorm1d` computes.")
REFERENCES = """
- **The transform** (batch mean, biased batch variance, x̂, y = γx̂ + β; "per feature"): Ioffe & Szegedy (2015),
  [arXiv:1502.03167](https://arxiv.org/abs/1502.03167), Algorithm 1.
- **γ = √Var, β = E recover the input** (insight 3): the same paper, Section 3. That it is exact only for fixed
  statistics (inference, or the one batch γ and β copy) follows from Algorithm 1: $\\mu_B$ and $\\sigma_B^2$ change
  with every batch.
- **Inference with running statistics, unbiased variance m/(m − 1)** (insight 2): the same paper, Section 3.1 and
  Algorithm 2; PyTorch 2.13 `torch.nn.BatchNorm1d` documentation (running = (1 − momentum)·running + momentum·batch,
  default momentum 0.1 and ε 1e-5; the running variance uses the unbiased estimate, normalization the biased one).
- **Keras' momentum is the weight of the old value** (default 0.99, ε 1e-3): Keras 3 `BatchNormalization` docs.
- **ε = 0 in training is refused**: PyTorch 2.13.0 (`torch.nn.functional.batch_norm`, `nn.BatchNorm1d`) raises
  `ValueError: batch_norm eps must be positive during training`; in eval mode it accepts ε = 0. Measured with torch
  2.13.0 (CPU). The page's ε = 0 view is the formula itself (bn_core's `normalize_forward`), not PyTorch.
- **A single sample cannot train**: PyTorch 2.13 raises `ValueError: Expected more than 1 value per channel when
  training`.
- **14× and 2.3× fewer steps** (insight 4): Ioffe & Szegedy (2015), Figure 3 (steps to Inception's 72.2% accuracy:
  Inception 31.0M, BN-Baseline 13.3M, BN-x5 2.1M) and Section 4.2.1 (what BN-x5 changes besides BatchNorm: 5× learning
  rate, no dropout, L2 reduced 5×, learning-rate decay 6× faster, no local response normalization, more shuffling,
  fewer photometric distortions).
- **Internal covariate shift vs a smoother landscape** (insight 5): Ioffe & Szegedy (2015), Section 2; Santurkar,
  Tsipras, Ilyas & Madry (2018), [arXiv:1805.11604](https://arxiv.org/abs/1805.11604), Figure 2 (injected covariate
  shift after BatchNorm does not hurt training) and Figure 4 (smoother loss, more predictive gradients).
- **Shift and positive-scale invariance, sign flip for a negative scale** (insight 5): follows from Algorithm 1:
  for a·x + b, $\\mu_B$ becomes a·$\\mu_B$ + b and $\\sigma_B$ becomes |a|·$\\sigma_B$, so x̂ becomes sign(a)·x̂
  (exactly, up to ε).
- **Every number on this page** is computed by `bn_core`, which the test suite checks against PyTorch 2.13 in float64.
"""


@dataclass(frozen=True)
class DemoBatch:
    """The batch the page shows and where its training steps come from.

    x:       (N, F) float64, every value finite.
    names:   F feature names.
    specs:   F populations that training steps draw fresh batches from, or None: steps resample x's rows.
    preset:  "seed", "random" or "custom".
    problems: what was wrong with the user's batch text, if anything (shown above the page).
    """

    x: np.ndarray
    names: tuple[str, ...]
    specs: tuple[FeatureSpec, ...] | None
    preset: str
    problems: tuple[Problem, ...] = ()

    @property
    def source_note(self) -> str:
        if self.specs is None:
            return f"Your batch: {self.x.shape[0]} samples × {self.x.shape[1]} features."
        if self.preset == "seed":
            return ("Training steps draw fresh batches from normal populations like the seed example's (means 0, "
                    "12.75, 17.5, 30.6; σ 2.5, 2.2, 4.5, 3.9).")
        return "Training steps draw fresh batches from the same populations."


def seed_batch(problems: tuple[Problem, ...] = ()) -> DemoBatch:
    """The seed page's 8 × 4 example batch."""
    return DemoBatch(seed_example_batch(), tuple(feature_names(4)), SEED_SPECS, "seed", problems)


def random_batch(specs: tuple[FeatureSpec, ...], batch_size: int, seed: int) -> DemoBatch:
    """A batch of `batch_size` samples drawn from `specs` with `seed`."""
    return DemoBatch(make_batch(list(specs), batch_size, seed), tuple(feature_names(len(specs))), specs, "random")


def own_batch(text: str) -> DemoBatch:
    """The user's batch from its CSV text (the bound `data` parameter); the seed example, with a note, while the
    text is empty or unreadable."""
    if not text.strip():
        return seed_batch((Problem("warning", "No batch of your own yet: upload a CSV or type numbers under "
                                              "**Your own batch**. Showing the seed example meanwhile."),))
    parsed = read_batch_csv(text, max_rows=MAX_BATCH_SIZE, max_features=MAX_FEATURES)
    if parsed.values is None:
        return seed_batch((*parsed.problems,
                           Problem("warning", "Showing the seed example until the batch text can be read.")))
    return DemoBatch(parsed.values, parsed.names, None, "custom", parsed.problems)


@dataclass(frozen=True)
class Upload:
    """What an uploaded file gave: its name, its batch as CSV text (None if unusable) and its problems."""

    name: str
    text: str | None
    problems: tuple[Problem, ...]

    def messages(self, showing_own_batch: bool) -> tuple[Problem, ...]:
        """The problems to show, each naming the file: a failed upload stays explained while its file is there;
        notes about a used file only while its batch is shown."""
        failed = any(p.level == "error" for p in self.problems)
        if not (showing_own_batch or failed):
            return ()
        return tuple(Problem(p.level, f"{quote(self.name)}: {p.message}") for p in self.problems)


def read_upload(name: str, data: bytes) -> Upload:
    parsed = read_batch_csv(data, max_rows=MAX_BATCH_SIZE, max_features=MAX_FEATURES)
    text = None if parsed.values is None else batch_to_csv(parsed.values, parsed.names)
    return Upload(name, text, parsed.problems)


@dataclass(frozen=True)
class LayerPass:
    """One batch through the layer, with the statistics it was normalized with.

    x, xhat, y:          (N, F) input, normalized input and output y = gamma * xhat + beta.
    batch_mean:          (F,) mean of x over the batch.
    batch_var:           (F,) biased variance of x over the batch (divide by N).
    used_mean, used_var: (F,) the statistics the layer normalized with: the batch's in training mode,
                         the running statistics in inference mode.
    eps:                 added to used_var before the square root.
    training:            which mode produced xhat.
    """

    x: np.ndarray
    xhat: np.ndarray
    y: np.ndarray
    batch_mean: np.ndarray
    batch_var: np.ndarray
    used_mean: np.ndarray
    used_var: np.ndarray
    eps: float
    training: bool

    @property
    def divisor(self) -> np.ndarray:
        """(F,) sqrt(used_var + eps): what each feature is divided by."""
        return np.sqrt(self.used_var + self.eps)

    @property
    def zero_divisor_features(self) -> list[int]:
        """Indices of features divided by zero (used_var + eps == 0): their xhat is NaN or infinite."""
        return [int(j) for j in np.flatnonzero(self.used_var + self.eps == 0)]

    @property
    def pytorch_refuses(self) -> bool:
        """PyTorch 2.13 raises for eps = 0 in training: these numbers are the bare formula's, not PyTorch's."""
        return self.training and self.eps <= 0


def layer_pass(x, gamma, beta, *, eps: float, training: bool, running_mean, running_var) -> LayerPass:
    """Normalize x of shape (N, F) as BatchNorm1d does, in training or inference mode.

    gamma, beta, running_mean, running_var: (F,). Training needs N >= 2 and raises ValueError otherwise
    (as PyTorch does: one value has no spread to normalize). With eps = 0 the result is the bare formula's
    (normalize_forward), with 0/0 where a feature is constant: in training PyTorch refuses eps = 0, in eval it
    computes the same numbers.
    """
    x = np.asarray(x, dtype=np.float64)
    if eps > 0:
        y, cache = batch_norm_forward(x, gamma, beta, eps=eps, training=training,
                                      running_mean=running_mean, running_var=running_var)
    else:
        if training and x.shape[0] < 2:
            raise ValueError("Expected more than 1 value per channel when training")
        stats = None if training else (np.reshape(running_mean, (1, -1)), np.reshape(running_var, (1, -1)))
        y, cache = normalize_forward(x, stat_axes=(0,), param_bshape=(1, x.shape[1]), gamma=gamma, beta=beta,
                                     eps=0.0, stats=stats)
    return LayerPass(
        x=x, xhat=cache.xhat, y=y, batch_mean=batch_mean(x), batch_var=batch_var(x),
        used_mean=cache.mean.reshape(-1), used_var=cache.var.reshape(-1), eps=float(eps), training=training,
    )


def stage_frame(values: np.ndarray, names) -> pd.DataFrame:
    """(N, F) values as a table with samples numbered 1…N (as i = 1…m in the formulas)."""
    return pd.DataFrame(values, columns=list(names), index=pd.RangeIndex(1, len(values) + 1, name="sample"))


def readable_table(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """A numeric table ready to show: (table, printf formats of its numeric columns). A column holding an undefined
    value (0/0 at ε = 0) becomes text in the column's format with "—" for the undefined cells, since a table widget
    would print NaN as "None"."""
    values = frame.to_numpy(dtype=np.float64)
    finite = np.isfinite(values).all(axis=0)
    formats = {name: column_format(values[:, j]) for j, name in enumerate(frame.columns) if finite[j]}
    if finite.all():
        return frame, formats
    shown = frame.copy()
    for j in np.flatnonzero(~finite):
        shown[frame.columns[j]] = format_column(values[:, j])
    return shown, formats


def statistics_table(step: LayerPass, names, running_mean=None, running_var=None) -> pd.DataFrame:
    """Per-feature statistics, one row per feature.

    Columns: the batch mean, biased variance, standard deviation and sqrt(var + eps); with running statistics
    given (inference mode) also the running mean, running variance and the sqrt(running var + eps) actually
    divided by.
    """
    table = {
        "batch μ": step.batch_mean,
        "batch σ² (biased)": step.batch_var,
        "batch σ": np.sqrt(step.batch_var),
        "√(batch σ² + ε)": np.sqrt(step.batch_var + step.eps),
    }
    if running_mean is not None:
        running_var = np.asarray(running_var, dtype=np.float64)
        table |= {
            "running μ": np.asarray(running_mean, dtype=np.float64),
            "running σ²": running_var,
            "√(running σ² + ε)": np.sqrt(running_var + step.eps),
        }
    return pd.DataFrame(table, index=pd.Index(list(names), name="feature"))


def parameters_table(names, gamma, beta, running_mean, running_var) -> pd.DataFrame:
    """γ, β and the running statistics, one row per feature."""
    return pd.DataFrame({"γ": gamma, "β": beta, "running μ": running_mean, "running σ² (unbiased)": running_var},
                        index=pd.Index(list(names), name="feature"))


def stages_table(step: LayerPass, names) -> pd.DataFrame:
    """The three stages in one long table: columns sample (1…N), stage (input / normalized / output), then one
    per feature. Shape (3N, 2 + F)."""
    names = list(names)
    n = step.x.shape[0]
    frames = [
        pd.DataFrame(values, columns=names).assign(sample=np.arange(1, n + 1), stage=stage)
        for stage, values in (("input", step.x), ("normalized", step.xhat), ("output", step.y))
    ]
    return pd.concat(frames, ignore_index=True)[["sample", "stage", *names]]


def fresh_batches(specs: tuple[FeatureSpec, ...], batch_size: int, seed: int, steps: int,
                  first: int = 1) -> Iterator[np.ndarray]:
    """The batches of training steps first..steps, shape (batch_size, F) each, drawn from `specs`.

    Step k uses the random stream seeded by (seed, k): independent of the batch shown for `seed`, and
    the same every time, so the running statistics after k steps are a function of the settings alone.
    """
    for k in range(first, steps + 1):
        yield make_batch(list(specs), batch_size, np.random.default_rng([seed, k]))


def resampled_batches(pool: np.ndarray, seed: int, steps: int, first: int = 1) -> Iterator[np.ndarray]:
    """Training batches drawn from a fixed data set: step k resamples the rows of `pool` (N, F) with
    replacement, seeded by (seed, k). Shape (N, F) each."""
    n = pool.shape[0]
    for k in range(first, steps + 1):
        yield pool[np.random.default_rng([seed, k]).integers(0, n, n)]


def training_batches(batch: DemoBatch, seed: int, steps: int, first: int = 1) -> Iterator[np.ndarray]:
    """The batches of training steps first..steps for this page's batch: fresh draws from its populations,
    or, for a batch of the user's own, resampled rows."""
    if batch.specs is None:
        return resampled_batches(batch.x, seed, steps, first)
    return fresh_batches(batch.specs, batch.x.shape[0], seed, steps, first)


def train_layer(batches, num_features: int, momentum: float) -> BatchNorm:
    """A fresh BatchNorm (running mean 0, running variance 1) after a training forward on each batch."""
    layer = BatchNorm(num_features, momentum=momentum).train()
    for batch in batches:
        layer(batch)
    return layer


@dataclass(frozen=True)
class RunningStatistics:
    """The layer's running statistics after the training steps: mean and unbiased variance (F,) each."""

    mean: np.ndarray
    var: np.ndarray
    batches_seen: int
    problem: Problem | None = None


def running_statistics(steps: int, momentum: float, seed: int, batch: DemoBatch) -> RunningStatistics:
    """Running statistics after `steps` training steps on batches like `batch`; a batch of one sample cannot
    train, so its running statistics stay at their initial 0 and 1, with a note."""
    f = batch.x.shape[1]
    if batch.x.shape[0] < 2:
        return RunningStatistics(np.zeros(f), np.ones(f), 0, Problem(
            "warning", f"Training steps need at least 2 samples per batch; this batch has {batch.x.shape[0]}. "
                       "The running statistics stay at 0 and 1."))
    layer = train_layer(training_batches(batch, seed, steps), f, momentum)
    return RunningStatistics(layer.running_mean, layer.running_var, layer.num_batches_tracked)


def undo_parameters(step: LayerPass) -> tuple[np.ndarray, np.ndarray]:
    """(gamma, beta) that make the layer the identity for this pass: gamma = sqrt(used_var + eps), beta = used_mean."""
    return step.divisor, step.used_mean.copy()


def running_share(momentum: float, steps: int) -> float:
    """Weight the running statistics give the data after `steps` updates: 1 - (1 - momentum)^steps.

    The rest, (1 - momentum)^steps, still sits on the initial values 0 (mean) and 1 (variance).
    """
    return 1.0 - (1.0 - momentum) ** steps


def apply_cell_edits(x: np.ndarray, names, edited_rows: dict) -> np.ndarray:
    """A copy of x (N, F) with table edits applied: edited_rows maps a row position (int or str) to
    {feature name: new value}. A cell emptied (None) or set to NaN/inf keeps its value: every sample needs a
    finite number in every feature."""
    names = list(names)
    edited = np.array(x, dtype=np.float64)
    for row, cells in edited_rows.items():
        for name, value in cells.items():
            if value is not None and np.isfinite(value):
                edited[int(row), names.index(name)] = value
    return edited


def affine_features(x: np.ndarray, scale, shift) -> np.ndarray:
    """x * scale + shift per feature. x: (N, F); scale, shift: scalars or (F,)."""
    return np.asarray(x, dtype=np.float64) * scale + shift


def constant_first_feature(x: np.ndarray) -> np.ndarray:
    """A copy of x (N, F) whose first feature is its mean (rounded to 2 decimals) in every sample."""
    constant = np.array(x, dtype=np.float64)
    constant[:, 0] = round(float(x[:, 0].mean()), 2)
    return constant


def normalized_moments(xhat: np.ndarray) -> tuple[float, float, float]:
    """(largest |mean|, smallest variance, largest variance) over the features of xhat (N, F), skipping
    features that are not finite (a division by zero); NaN when none is."""
    means, variances = xhat.mean(axis=0), xhat.var(axis=0)
    finite = np.isfinite(means) & np.isfinite(variances)
    if not finite.any():
        return np.nan, np.nan, np.nan
    return float(np.abs(means[finite]).max()), float(variances[finite].min()), float(variances[finite].max())


def skewness(x: np.ndarray) -> np.ndarray:
    """(F,) sample skewness of each feature of x (N, F): the mean cubed deviation over σ³ (NaN for σ = 0)."""
    deviations = x - x.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (deviations**3).mean(axis=0) / x.std(axis=0) ** 3


def max_abs_difference(a: np.ndarray, b: np.ndarray) -> float | None:
    """Largest |a - b| over the entries both define (a 0/0 x̂ at ε = 0 is NaN), or None when none is defined."""
    gaps = np.abs(np.asarray(a) - np.asarray(b))
    gaps = gaps[np.isfinite(gaps)]
    return float(gaps.max()) if gaps.size else None


UNIT_VARIANCE = 0.99  # a training-mode x̂ variance under this is not "just under 1": σ² is not far above ε
SETTLED_SHARE = 0.99  # running statistics whose start values weigh under 1 % have settled on the data


def mode_note(result: LayerPass, batches_seen: int, momentum: float, names, can_train: bool) -> str:
    """What the shown mode normalizes with, and what that gives x̂, with this pass's numbers. can_train: whether
    training steps can be taken (batches of at least 2)."""
    if result.training:
        head = ("**Training mode**: each feature is normalized with this batch's own mean $\\mu_B$ and variance "
                "$\\sigma_B^2$, so whatever the running statistics hold, x̂ has mean 0 and variance "
                "$\\sigma_B^2 / (\\sigma_B^2 + \\varepsilon)$")
        variances = result.xhat.var(axis=0)
        low = [j for j, v in enumerate(variances) if np.isfinite(v) and v < UNIT_VARIANCE]
        if not low:
            return head + ": just under 1 here, as every feature's $\\sigma_B^2$ is far above ε."
        listed = ", ".join(f"{format_number(variances[j], 3)} for {quote(names[j])}" for j in low)
        return (head + f", which is 1 only where $\\sigma_B^2$ is far above ε: here {listed}, whose spread is "
                "not (a constant feature gets 0).")
    share, off_centre = running_share(momentum, batches_seen), normalized_moments(result.xhat)[0]
    head = f"**Inference mode**: x̂ uses the running statistics, which after {batches_seen} step(s) "
    if share < SETTLED_SHARE:
        advice = ("More training steps bring them closer." if can_train else
                  "Training steps need batches of at least 2 samples.")
        return head + (f"carry only {share:.0%} of the data's statistics (the rest is still 0 and 1), so x̂ is off "
                       f"centre by up to {format_number(off_centre, 3)}. {advice}")
    return head + (f"rest on the data (the start values 0 and 1 weigh {1 - share:.1%}). They average many batches "
                   f"from the same populations, and this batch's own mean and variance differ from them by chance: "
                   f"x̂ is off centre by up to {format_number(off_centre, 3)}, which more steps will not remove.")


def zero_division_note(result: LayerPass, names) -> str | None:
    """The explanation for features divided by zero (a constant feature with ε = 0), or None."""
    bad = result.zero_divisor_features
    if not bad:
        return None
    listed = ", ".join(quote(names[j]) for j in bad)
    used = "batch variance" if result.training else "running variance"
    return (f"**Division by zero** in {listed}: its {used} is 0 (every value equal) and ε = 0, so the formula's "
            "x̂ = (x − μ) / √(0 + 0) is 0/0 (or a number over 0): undefined, shown as — and left out of the chart. "
            "This is what ε is for: with any ε > 0 the feature normalizes to x̂ = 0 and the output is β.")


def _next_batch_gap(batch: DemoBatch, seed: int, steps: int, gamma, beta, eps: float) -> float | None:
    """Largest |y − x| for the next training batch (step steps + 1) with the given γ and β, or None without one."""
    if batch.x.shape[0] < 2:
        return None
    (nxt,) = training_batches(batch, seed, steps + 1, first=steps + 1)
    return max_abs_difference(layer_pass(nxt, gamma, beta, eps=eps, training=True, running_mean=None,
                                         running_var=None).y, nxt)


def _left_out_note(training_pass: LayerPass, names) -> str:
    """" F0 is left out: …" when a feature's training x̂ is 0/0 (constant, ε = 0), so no gap includes it."""
    bad = training_pass.zero_divisor_features
    if not bad:
        return ""
    listed = ", ".join(names[j] for j in bad)
    return f" {listed} {'is' if len(bad) == 1 else 'are'} left out: x̂ is 0/0 there at ε = 0."


_RATIOS = STEPS_TO_INCEPTION_ACCURACY
# The six insights of the seed page, (title, claim in Markdown): the same for every batch. insight_evidence gives each
# its evidence from a batch.
INSIGHTS = (
    ("1 · Zero mean, unit variance, per feature",
     "Whatever each feature's location and scale, training-mode x̂ has mean 0 and variance 1 over the batch "
     "(σ²/(σ² + ε) exactly: well under 1 only for a feature whose σ² is not far above ε). Its *shape* stays: a "
     "skewed feature is still skewed (x̂ is x shifted and divided by a positive number)."),
    ("2 · Training uses the batch, inference the running averages",
     "In training the layer normalizes with this batch's statistics and updates its running averages; in inference "
     "it uses those averages, so each sample's output no longer depends on the batch."),
    ("3 · γ and β can undo the normalization, for one batch",
     "With γ = √(σ² + ε) and β = μ the layer returns its input unchanged. That is exact in inference mode (fixed "
     "running statistics) or for the one batch whose statistics γ and β copy; in training the next batch brings a "
     "new $\\mu_B$ and $\\sigma_B$ while γ and β stay, so the identity is only approximate."),
    ("4 · Why bother: faster training",
     "In Ioffe & Szegedy (2015), Inception with BatchNorm alone (BN-Baseline) reached the original model's accuracy "
     f"in {_RATIOS['BN-Baseline'] / 1e6:.1f}M instead of {_RATIOS['Inception'] / 1e6:.0f}M steps, about "
     f"{_RATIOS['Inception'] / _RATIOS['BN-Baseline']:.1f}× fewer. The famous \"14× fewer\" is BN-x5: BatchNorm "
     "*plus* a 5× learning rate, no dropout, less L2, faster decay and no LRN."),
    ("5 · Shifts and positive rescalings of the input never reach x̂",
     "Training-mode x̂ is unchanged (up to ε) when a feature is shifted or multiplied by a *positive* number; a "
     "negative factor flips x̂'s sign. The original paper saw this as curing *internal covariate shift*; Santurkar "
     "et al. (2018) found the gain comes from a smoother loss landscape instead."),
    ("6 · ε keeps the division finite",
     "A feature with no spread has σ² = 0; without ε its normalization is 0/0. ε (PyTorch 1e-5, Keras 1e-3) keeps "
     "the divisor above zero, and PyTorch refuses ε = 0 in training."),
)


def insight_evidence(batch: DemoBatch, result: LayerPass, training_pass: LayerPass | None, inference_pass: LayerPass,
                     seed: int, steps: int) -> tuple[str, ...]:
    """Each of INSIGHTS' evidence, computed from this batch and layer, in their order. The evidence about
    training-mode x̂ uses the training pass whichever mode is shown."""
    x, eps = result.x, result.eps
    single = "Now: a single sample cannot be normalized in training mode."
    moments = mode_gap = shift_gap = undo_gap = single
    if training_pass is not None:
        left_out = _left_out_note(training_pass, batch.names)
        off_centre, low, high = normalized_moments(training_pass.xhat)
        skew_gap = np.nanmax(np.abs(skewness(x) - skewness(training_pass.xhat)), initial=0.0)
        moments = (f"Now: training x̂ means within ±{format_number(off_centre, 2)} of 0, variances "
                   f"{low:.4f} to {high:.4f}; each feature's skewness is unchanged (largest change "
                   f"{format_number(skew_gap, 2)}).")
        mode_gap = ("Now: x̂ differs between the two modes by up to "
                    f"{format_number(max_abs_difference(training_pass.xhat, inference_pass.xhat), 3)}.{left_out}")

        def xhat_of(scale: float) -> np.ndarray:
            return layer_pass(affine_features(x, scale, 10.0), None, None, eps=eps, training=True,
                              running_mean=None, running_var=None).xhat

        same, flipped = xhat_of(3.0), xhat_of(-3.0)
        shift_gap = (f"Now: x̂ of 3x + 10 differs from x̂ of x by "
                     f"{format_number(max_abs_difference(same, training_pass.xhat), 2)}; x̂ of −3x + 10 differs from "
                     f"x̂ by {format_number(max_abs_difference(flipped, training_pass.xhat), 3)} but from −x̂ by "
                     f"{format_number(max_abs_difference(flipped, -training_pass.xhat), 2)}.{left_out}")
        gamma, beta = undo_parameters(training_pass)
        undone = gamma * training_pass.xhat + beta
        undo_gap = (f"Now: with γ, β set from this batch, its output differs from its input by "
                    f"{format_number(max_abs_difference(undone, x), 2)}; the next training batch, with the same "
                    f"γ and β, by {format_number(_next_batch_gap(batch, seed, steps, gamma, beta, eps), 3)}.{left_out}")
    divisor = format_number(np.nanmin(result.divisor), 3) if np.isfinite(result.divisor).any() else "0"
    eps_evidence = f"Now: ε = {format_number(eps, 1)}; the smallest divisor √(σ² + ε) is {divisor}."
    if result.pytorch_refuses:
        eps_evidence += " PyTorch refuses ε = 0 in training; the tables show the bare formula."
    paper = (f"Paper, Figure 3: BN-x5 took {_RATIOS['BN-x5'] / 1e6:.1f}M steps against "
             f"{_RATIOS['Inception'] / 1e6:.1f}M (the paper's \"14 times fewer\"). Train small networks yourself:")
    return moments, mode_gap, undo_gap, paper, shift_gap, eps_evidence
