"""What every experiment of the "Why it works" page shares: its settings, data, stacked networks, seeds, CPU budget,
median-and-band summaries and verdicts.

Models are stacked grid-major: model g·n_seeds + k is grid value g (a learning rate, a weight scale) trained with
seed k, so each seed's networks start from the same weights and see the same batches at every grid value, and with
and without normalization.
"""

from __future__ import annotations

import hashlib
import pathlib
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bn_core.nn import BatchNorm1d, Module, Sequential, mlp
from bn_core.toy_data import ToyData, make_points
from lessons.format import format_number
from lessons.training import linears

NORM_NAMES = {"none": "No norm", "batch": "BatchNorm", "layer": "LayerNorm"}


ROOT = pathlib.Path(__file__).resolve().parents[2]


def code_version(root: pathlib.Path = ROOT) -> str:
    """A digest of the code every result depends on (lessons/why, lessons/training.py, bn_core under `root`): results
    cached on disk are keyed by it, so a deployment with changed experiments never serves results of the old code."""
    files = sorted([*root.joinpath("lessons", "why").glob("*.py"), root / "lessons" / "training.py",
                    *root.joinpath("bn_core").glob("*.py")])
    return hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:16]


CODE_VERSION = code_version()
TEST_POINTS = 1000  # a large fresh test set: accuracy steps of 0.1 %, not the 1 % of a quarter of 400 points
# A run "trained" when it did not diverge and its final training loss (eval mode) is below this; a constant guess
# scores ln 2 ≈ 0.69.
TRAINED_LOSS = 0.5
# A claim is shown at the user's settings when it holds in at least this share of seeds (4 of 5).
SHOWN_SHARE = 0.8
CPU_BUDGET_SECONDS = 20.0


@dataclass(frozen=True)
class Lab:
    """The settings of one experiment: data, network, training and seeds.

    seeds: the experiment trains seeds seed, seed + 1, ..., seed + n_seeds − 1; steps: SGD updates per run.
    injected_noise: the strength of noisy BatchNorm's noise (the smoothness experiment; see lessons.why.noise).
    """

    dataset: str = "spirals"
    n_train: int = 300
    noise: float = 0.1
    depth: int = 4
    width: int = 32
    lr: float = 0.1
    batch_size: int = 32
    steps: int = 200
    momentum: float = 0.0
    seed: int = 0
    n_seeds: int = 5
    injected_noise: float = 0.0

    @property
    def seeds(self) -> list[int]:
        return [self.seed + k for k in range(self.n_seeds)]

    @property
    def described(self) -> str:
        """The seeds and the network in words: "Seeds 0 to 4, 4 hidden layers of 16." """
        seeds = f"Seed {self.seed}" if self.n_seeds == 1 else f"Seeds {self.seed} to {self.seed + self.n_seeds - 1}"
        return f"{seeds}, {self.depth} hidden layer{'s' if self.depth > 1 else ''} of {self.width}."

    @property
    def widths(self) -> tuple[int, ...]:
        return (2, *(self.width,) * self.depth, 2)


class BudgetExceeded(RuntimeError):
    """A run used more CPU time than its budget; `step` is where it stopped."""

    def __init__(self, seconds: float, step: int, steps: int):
        super().__init__(f"stopped after {seconds:.0f} s of CPU at step {step} of {steps}")
        self.seconds, self.step, self.steps = seconds, step, steps


class Budget:
    """A hard CPU budget for one experiment: `check(step, steps)` raises BudgetExceeded once the calling thread has
    used more than `seconds` of CPU since the budget was made (thread time: other sessions' work does not count)."""

    def __init__(self, seconds: float | None = None):
        self.seconds = CPU_BUDGET_SECONDS if seconds is None else seconds
        self.start = time.thread_time()

    def check(self, step: int, steps: int) -> None:
        if time.thread_time() - self.start > self.seconds:
            raise BudgetExceeded(self.seconds, step, steps)


def lab_data(lab: Lab) -> ToyData:
    """lab.n_train training points and TEST_POINTS test points, drawn independently from the same distribution."""
    x_train, y_train = make_points(lab.dataset, lab.n_train, lab.noise, lab.seed)
    x_test, y_test = make_points(lab.dataset, TEST_POINTS, lab.noise, lab.seed + 1_000_003)
    return ToyData(x_train, y_train, x_test, y_test)


def stacked_mlp(lab: Lab, norm: str, repeats: int = 1, scales=None) -> Sequential:
    """`bn_core.nn.mlp` of lab.widths with repeats · n_seeds models: model g·n_seeds + k starts from seed k's weights
    (the same weights for every norm), its Linear weights times scales[g] (default 1)."""
    seeds = lab.seeds
    model = mlp(lab.widths, norm=norm, models=repeats * len(seeds), seed=seeds[0])
    scales = np.ones(repeats) if scales is None else np.asarray(scales, dtype=np.float64)
    for k, seed in enumerate(seeds):
        single = mlp(lab.widths, norm="none", models=1, seed=seed)
        for linear, source in zip(linears(model), linears(single), strict=True):
            for g in range(repeats):
                linear.weight[g * len(seeds) + k] = scales[g] * source.weight[0]
    return model



def has_batch_norm(model: Module) -> bool:
    return any(isinstance(m, BatchNorm1d) for m in model.children())


def seed_grid(lab: Lab, values, column: str) -> pd.DataFrame:
    """The stacked models' index as a frame: model, <column> (grid value), seed."""
    values = list(values)
    n = lab.n_seeds
    return pd.DataFrame({"model": np.arange(len(values) * n), column: np.repeat(values, n),
                         "seed": lab.seeds * len(values)})


def bands(frame: pd.DataFrame, by: list[str], value: str) -> pd.DataFrame:
    """Median, min and max of `value` over seeds for each group of `by`: columns by + median, low, high, seeds."""
    grouped = frame.groupby(by, sort=False)[value]
    return grouped.agg(median="median", low="min", high="max", seeds="count").reset_index()


def loss_curves(loss: np.ndarray, points: int = 50, **labels) -> pd.DataFrame:
    """Training loss (S, steps) as block means of at most `points` blocks per seed, then median/low/high over the
    seeds per block: the `labels` columns (e.g. network="BatchNorm"), step (the block's last step), median, low,
    high, seeds. A seed leaves the curve at the block where it diverged (its loss is NaN from then on), so `seeds`
    counts those still training."""
    s, steps = loss.shape
    block = max(1, -(-steps // points))
    pad = np.full((s, -steps % block), np.nan)
    padded = np.concatenate([loss, pad], axis=1).reshape(s, -1, block)
    counts = np.isfinite(padded).sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        blocks = np.where(counts > 0, np.nansum(padded, axis=2) / counts, np.nan)  # NaN: a diverged seed
    frame = pd.DataFrame({**labels, "seed": np.repeat(np.arange(s), blocks.shape[1]),
                          "step": np.tile(np.minimum(np.arange(1, blocks.shape[1] + 1) * block, steps), s),
                          "loss": blocks.ravel()}).dropna()
    return bands(frame, [*labels, "step"], "loss")


@dataclass(frozen=True)
class Verdict:
    """What the results say about the claim, computed from them: `shown` when it holds in ≥ SHOWN_SHARE of seeds."""

    shown: bool
    text: str


def grid_value(x: float) -> str:
    """A grid value (a learning rate, a scale) as text: 0.1, 3, 10 (format_number without trailing zeros)."""
    text = format_number(x, 3)
    return text.rstrip("0").rstrip(".") if "." in text else text


def needed(total: int) -> int:
    """Seeds a claim must hold in to count as shown: ⌈SHOWN_SHARE · total⌉ (4 of 5)."""
    return int(np.ceil(SHOWN_SHARE * total - 1e-9))


def needed_seeds(total: int) -> str:
    """The seeds a claim must hold in, in words: "at least 4 of 5 seeds", or "the one seed run"."""
    return "the one seed run" if total == 1 else f"at least {needed(total)} of {total} seeds"


def holds(count: int, total: int) -> bool:
    return total > 0 and count >= needed(total)


def of_seeds(count: int, total: int) -> str:
    return f"{count} of {total} seed{'s' if total != 1 else ''}"
