"""The training experiments of the "Why it works" page: each is a list of training runs, run side by side.

An experiment is planned as `RunSpec`s (hashable: a run is fully determined by its spec), each run trained
by `run`, and the results summarised as tables for the charts:

| experiment | varies                              | claim tested                                         |
| ---------- | ----------------------------------- | ---------------------------------------------------- |
| lr         | learning rate, 0.01 ... 10          | BN trains faster and tolerates larger learning rates |
| init       | init scale, 0.1x ... 10x He         | BN makes training insensitive to initialization      |
| batch      | batch size                          | BN regularizes (train vs test accuracy)              |
| drift      | normalization                       | BN removes "internal covariate shift"                |
| smooth     | none / BN / BN with injected noise  | Santurkar et al. 2018: BN smooths the loss landscape |
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np
import pandas as pd

from bn_core.toy_data import ToyData, make_dataset
from lessons.legacy_mlp import MLP, NORMS, History, TrainConfig, TrainStep, train

EXPERIMENTS = {
    "lr": "Learning rate",
    "init": "Initialization",
    "batch": "Batch size",
    "drift": "Covariate shift",
    "smooth": "Smoothness",
}
LR_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
INIT_GRID = (0.1, 0.3, 1.0, 3.0, 10.0)
BATCH_GRID = (4, 16, 64, 256)
NOISY_BN = "BatchNorm + noise"
# Step sizes of the landscape probe, as multiples of the learning rate: how far along -gradient we look.
PROBE_MULTIPLIERS = (0.25, 0.5, 1.0, 2.0, 4.0)
# The drift and smoothness experiments probe each run about this many times.
PROBES_PER_RUN = 40
PROGRESS_EVERY = 25  # steps between progress reports


@dataclass(frozen=True)
class DataSpec:
    """Which toy dataset: name (see bn_core.toy_data.DATASETS), number of points, noise, seed."""

    name: str = "spirals"
    n_samples: int = 400
    noise: float = 0.1
    seed: int = 0

    def make(self) -> ToyData:
        return make_dataset(self.name, self.n_samples, self.noise, self.seed)


@dataclass(frozen=True)
class RunSpec:
    """One training run, fully determined: data, network, optimiser, and what to measure.

    hidden: widths of the hidden blocks. probe_every: probe the loss landscape and the covariate shift every
    k steps (0: never).
    """

    data: DataSpec
    norm: str = "none"
    hidden: tuple[int, ...] = (32, 32)
    init_scale: float = 1.0
    train: TrainConfig = TrainConfig()
    probe_every: int = 0

    @property
    def method(self) -> str:
        """The run's normalization as the legend names it ("No norm", "BatchNorm", ..., "BatchNorm + noise")."""
        return NOISY_BN if self.norm == "batch" and self.train.noise > 0 else NORMS[self.norm]

    @property
    def label(self) -> str:
        t = self.train
        return (f"{self.method}, lr {t.lr:g}, init {self.init_scale:g}x, batch {t.batch_size}, "
                f"{len(self.hidden)}x{self.hidden[0]}")


@dataclass(frozen=True)
class RunResult:
    """A finished run: its spec, per-step history, trained model, final eval-mode metrics (NaN if it
    diverged) and probes.

    probes: one row per probe step (see `landscape_probe`), empty without probes.
    shift: one row per probe step and layer (see `covariate_shift_probe`), empty without probes.
    dead_layer: the first hidden block (from 1) whose ReLUs are all off for every training point, or None.
    """

    spec: RunSpec
    history: History
    model: MLP
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    dead_layer: int | None
    probes: pd.DataFrame
    shift: pd.DataFrame

    @property
    def diverged_at(self) -> int | None:
        return self.history.diverged_at

    @property
    def status(self) -> str:
        if self.diverged_at is not None:
            return f"diverged at step {self.diverged_at}"
        if self.dead_layer is not None:
            return f"collapsed: every ReLU of layer {self.dead_layer} is off"
        return "trained"


def _vector_norm(arrays: Sequence[np.ndarray]) -> float:
    return float(np.sqrt(sum(np.vdot(a, a) for a in arrays)))


def landscape_probe(model: MLP, step: TrainStep, lr: float, multipliers=PROBE_MULTIPLIERS) -> dict[str, float]:
    """Santurkar et al. 2018's measures at one step: move along -gradient by eta = m * lr for each multiplier m
    and compare loss and gradient there with those at the current point (same mini-batch, same noise).

    loss_min, loss_max: the range of the loss over the current point and the probed points.
    grad_change: max over eta of ||g(theta - eta g) - g(theta)||, the gradient's (lack of) predictiveness.
    beta: max over eta of ||g(theta - eta g) - g(theta)|| / ||eta g||, the "effective" beta-smoothness.
    The model is not modified (the probe runs on a copy, so BatchNorm's running statistics are untouched).
    """
    probe = copy.deepcopy(model)
    params, probe_params = model.parameters(), probe.parameters()
    grad_norm = _vector_norm(step.grads)
    losses, changes, betas = [step.loss], [], []
    with np.errstate(over="ignore", invalid="ignore"):
        for m in multipliers:
            eta = m * lr
            for q, p, g in zip(probe_params, params, step.grads, strict=True):
                q[...] = p - eta * g
            loss, grads, _ = probe.loss_and_grads(step.x, step.y, step.noise)
            change = _vector_norm([a - b for a, b in zip(grads, step.grads, strict=True)])
            losses.append(loss)
            changes.append(change)
            betas.append(change / (eta * grad_norm) if grad_norm > 0 else 0.0)
    return {"step": step.step, "loss_min": float(np.min(losses)), "loss_max": float(np.max(losses)),
            "grad_change": float(np.max(changes)), "beta": float(np.max(betas))}


def layer_name(layer: int, depth: int) -> str:
    """ "Layer 1" ... "Layer depth" for the hidden blocks (layer counted from 0), "Output" for layer depth."""
    return "Output" if layer == depth else f"Layer {layer + 1}"


def covariate_shift_probe(model: MLP, step: TrainStep, lr: float) -> list[dict[str, float]]:
    """Santurkar et al. 2018's gradient-based internal covariate shift (their Definition 2.1) at one step.

    For each layer i after the first: G is the gradient of layer i's weights now, G' the same gradient after
    every layer below i has taken its plain SGD step (-lr * gradient), on the same mini-batch and noise.
    If the layers below shifting i's input distribution mattered, G' would differ from G.
    Returns one row per layer: step, layer ("Layer 2", ..., "Output"), l2 = ||G - G'||, cosine = cos(G, G').
    """
    probe = copy.deepcopy(model)
    params, probe_params, layers = model.parameters(), probe.parameters(), model.parameter_layers()
    rows = []
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(1, model.depth + 1):
            for q, p, g, layer in zip(probe_params, params, step.grads, layers, strict=True):
                q[...] = p - lr * g if layer < i else p
            _, grads, _ = probe.loss_and_grads(step.x, step.y, step.noise)
            w = layers.index(i)  # the layer's weight matrix comes first among its parameters
            before, after = step.grads[w], grads[w]
            norms = np.linalg.norm(before) * np.linalg.norm(after)
            rows.append({"step": step.step, "layer": layer_name(i, model.depth),
                         "l2": float(np.linalg.norm(after - before)),
                         "cosine": float(np.vdot(before, after) / norms) if norms > 0 else float("nan")})
    return rows


def _dead_layer(model: MLP, x: np.ndarray) -> int | None:
    _, caches = model.forward(x, training=False)
    for i, cache in enumerate(caches[:-1], start=1):
        if not (cache.z > 0).any():
            return i
    return None


def run(spec: RunSpec, progress: Callable[[int], None] | None = None) -> RunResult:
    """Train one network as `spec` says and evaluate it (eval mode) on the train and test sets.

    progress(steps_done) is called every PROGRESS_EVERY steps (it only reports; results do not depend on it).
    """
    data = spec.data.make()
    model = MLP(spec.hidden, norm=spec.norm, init_scale=spec.init_scale, seed=spec.train.seed)
    probes: list[dict[str, float]] = []
    shift: list[dict[str, float]] = []

    def on_step(current: MLP, step: TrainStep) -> None:
        if progress is not None and step.step % PROGRESS_EVERY == 0:
            progress(step.step)
        if spec.probe_every and (step.step - 1) % spec.probe_every == 0:
            probes.append(landscape_probe(current, step, spec.train.lr))
            shift.extend(covariate_shift_probe(current, step, spec.train.lr))

    history = train(model, data.x_train, data.y_train, spec.train, on_step=on_step)
    nan = float("nan")
    train_loss, train_accuracy, test_loss, test_accuracy, dead = nan, nan, nan, nan, None
    if history.diverged_at is None:
        train_loss, train_accuracy = model.evaluate(data.x_train, data.y_train)
        test_loss, test_accuracy = model.evaluate(data.x_test, data.y_test)
        dead = _dead_layer(model, data.x_train)
    return RunResult(spec, history, model, train_loss, train_accuracy, test_loss, test_accuracy, dead,
                     pd.DataFrame(probes, columns=["step", "loss_min", "loss_max", "grad_change", "beta"]),
                     pd.DataFrame(shift, columns=["step", "layer", "l2", "cosine"]))


def plan(experiment: str, base: RunSpec, norms: Sequence[str] = ("none", "batch"),
         noise: float = 1.0) -> list[RunSpec]:
    """The runs of `experiment` (a key of EXPERIMENTS) around the settings of `base`. Batch sizes larger
    than the training set are capped to it (a step cannot use more samples than there are).

    lr, init, batch: each value of LR_GRID / INIT_GRID / BATCH_GRID for each normalization in `norms`.
    drift: one run per normalization in `norms`, with probes.
    smooth: no norm, BatchNorm and BatchNorm with injected noise of strength `noise`, with probes.
    """
    if experiment not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {experiment!r}; choose one of {tuple(EXPERIMENTS)}")
    n_train = len(base.data.make().y_train)
    t = replace(base.train, noise=0.0, batch_size=min(base.train.batch_size, n_train))
    every = max(1, t.steps // PROBES_PER_RUN)
    if experiment == "smooth":
        probed = replace(base, train=t, probe_every=every)
        return [replace(probed, norm="none"), replace(probed, norm="batch"),
                replace(probed, norm="batch", train=replace(t, noise=noise))]
    if not norms:
        raise ValueError("Choose at least one normalization to compare")
    variants = {
        "lr": [replace(base, train=replace(t, lr=lr), probe_every=0) for lr in LR_GRID],
        "init": [replace(base, init_scale=s, train=t, probe_every=0) for s in INIT_GRID],
        "batch": [replace(base, train=replace(t, batch_size=b), probe_every=0)
                  for b in sorted({min(b, n_train) for b in BATCH_GRID})],
        "drift": [replace(base, train=t, probe_every=every)],
    }[experiment]
    return [replace(v, norm=norm) for v in variants for norm in norms]


def run_label(spec: RunSpec, experiment: str) -> str:
    """A run's name within its experiment: the method and the value the experiment varies."""
    varied = {"lr": f", lr {spec.train.lr:g}", "init": f", init {spec.init_scale:g}×",
              "batch": f", batch {spec.train.batch_size}"}
    return spec.method + varied.get(experiment, "")


def run_all(specs: Sequence[RunSpec], progress: Callable[[str, int, int], None] | None = None) -> list[RunResult]:
    """Run every spec in order. progress(label, step, total) reports the current run's label and the steps
    done over the whole experiment (every PROGRESS_EVERY steps, and once at the end)."""
    total = sum(s.train.steps for s in specs)
    done = 0
    results = []
    for spec in specs:
        report = None
        if progress is not None:
            def report(step: int, label: str = spec.label, offset: int = done) -> None:
                progress(label, offset + step, total)
        results.append(run(spec, report))
        done += spec.train.steps
    if progress is not None:
        progress("done", total, total)
    return results


# Cost model of one training step on one core, fitted to timings on the development machine: a fixed cost
# per step and per layer (Python and numpy call overhead), the multiply-adds of the forward and backward
# matrix products, and the elementwise work per activation (several times more with a norm).
_STEP_SECONDS = 1e-4
_LAYER_SECONDS = {"none": 3e-5, "batch": 1.2e-4, "layer": 1.2e-4}
_MAC_SECONDS = 4e-11
_ELEMENT_SECONDS = {"none": 1e-8, "batch": 4e-8, "layer": 8e-8}


def estimated_seconds(specs: Sequence[RunSpec]) -> float:
    """A rough estimate of the time `run_all(specs)` takes on one core; landscape and covariate-shift probes
    count as the extra forward and backward passes they make."""
    total = 0.0
    for spec in specs:
        widths = (2, *spec.hidden, 2)
        batch = min(spec.train.batch_size, spec.data.n_samples)
        macs = 3 * batch * sum(a * b for a, b in pairwise(widths))
        step = (_STEP_SECONDS + len(spec.hidden) * _LAYER_SECONDS[spec.norm] + macs * _MAC_SECONDS
                + batch * sum(spec.hidden) * _ELEMENT_SECONDS[spec.norm])
        probes = -(-spec.train.steps // spec.probe_every) if spec.probe_every else 0
        total += step * (spec.train.steps + probes * (len(PROBE_MULTIPLIERS) + len(spec.hidden)))
    return total


def summary_frame(results: Sequence[RunResult]) -> pd.DataFrame:
    """One row per run: method, lr, init_scale, batch_size, final eval-mode train_loss, train_accuracy and
    test_accuracy (NaN when diverged), diverged_at, dead_layer and status."""
    return pd.DataFrame({
        "method": [r.spec.method for r in results],
        "lr": [r.spec.train.lr for r in results],
        "init_scale": [r.spec.init_scale for r in results],
        "batch_size": [r.spec.train.batch_size for r in results],
        "train_loss": [r.train_loss for r in results],
        "train_accuracy": [r.train_accuracy for r in results],
        "test_accuracy": [r.test_accuracy for r in results],
        "diverged_at": pd.array([r.diverged_at for r in results], dtype="Int64"),
        "dead_layer": pd.array([r.dead_layer for r in results], dtype="Int64"),
        "status": [r.status for r in results],
    })


def diverged_frame(results: Sequence[RunResult]) -> pd.DataFrame:
    """The runs that diverged: method, step (where), lr, init_scale, batch_size."""
    return pd.DataFrame([{"method": r.spec.method, "step": r.diverged_at, "lr": r.spec.train.lr,
                          "init_scale": r.spec.init_scale, "batch_size": r.spec.train.batch_size}
                         for r in results if r.diverged_at is not None],
                        columns=["method", "step", "lr", "init_scale", "batch_size"])


def _block_means(values: np.ndarray, block: int) -> np.ndarray:
    """Mean of consecutive blocks of `block` rows of values (steps, ...), ignoring NaN; a block of only
    NaN stays NaN."""
    steps = values.shape[0]
    pad = -steps % block
    padded = np.concatenate([values, np.full((pad,) + values.shape[1:], np.nan)])
    blocks = padded.reshape((-1, block) + values.shape[1:])
    counts = np.isfinite(blocks).sum(axis=1)
    sums = np.nansum(blocks, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def curves_frame(results: Sequence[RunResult], max_points: int = 80) -> pd.DataFrame:
    """Training curves, averaged over blocks of steps so each run has at most `max_points` points.

    Columns: run (index), method, lr, init_scale, batch_size, step (last step of the block), loss, accuracy.
    Steps after a divergence are dropped.
    """
    frames = []
    for i, r in enumerate(results):
        steps = len(r.history.loss)
        block = max(1, -(-steps // max_points))
        loss = _block_means(r.history.loss, block)
        keep = np.isfinite(loss)
        frames.append(pd.DataFrame({
            "run": i, "method": r.spec.method, "lr": r.spec.train.lr, "init_scale": r.spec.init_scale,
            "batch_size": r.spec.train.batch_size,
            "step": np.minimum(np.arange(1, len(loss) + 1) * block, steps)[keep],
            "loss": loss[keep], "accuracy": _block_means(r.history.accuracy, block)[keep],
        }))
    return pd.concat(frames, ignore_index=True)


def drift_frame(results: Sequence[RunResult], max_points: int = 80) -> pd.DataFrame:
    """Per-layer pre-activation statistics over training, block-averaged like `curves_frame`.

    Columns: method, layer ("Layer 1", ...), step, mean, std (pooled over the batch and the layer's features).
    """
    frames = []
    for r in results:
        h = r.history
        steps, depth = h.preact_mean.shape
        block = max(1, -(-steps // max_points))
        means, stds = _block_means(h.preact_mean, block), _block_means(h.preact_std, block)
        step = np.minimum(np.arange(1, len(means) + 1) * block, steps)
        for layer in range(depth):
            keep = np.isfinite(means[:, layer])
            frames.append(pd.DataFrame({"method": r.spec.method, "layer": f"Layer {layer + 1}",
                                        "step": step[keep], "mean": means[keep, layer], "std": stds[keep, layer]}))
    return pd.concat(frames, ignore_index=True)


def drift_summary(results: Sequence[RunResult], window: int = 20) -> pd.DataFrame:
    """How far each layer's pre-activation distribution moved during training.

    Compares the first and last `window` steps: shift of the mean and ratio of the spreads, per run and layer.
    Columns: method, layer, mean_start, mean_end, std_start, std_end. Diverged runs are left out.
    """
    rows = []
    for r in results:
        h = r.history
        if r.diverged_at is not None:
            continue
        for layer in range(h.preact_mean.shape[1]):
            rows.append({"method": r.spec.method, "layer": f"Layer {layer + 1}",
                         "mean_start": h.preact_mean[:window, layer].mean(),
                         "mean_end": h.preact_mean[-window:, layer].mean(),
                         "std_start": h.preact_std[:window, layer].mean(),
                         "std_end": h.preact_std[-window:, layer].mean()})
    return pd.DataFrame(rows, columns=["method", "layer", "mean_start", "mean_end", "std_start", "std_end"])


def probes_frame(results: Sequence[RunResult]) -> pd.DataFrame:
    """Landscape probes of every run, long format: method, step, measure, value (plus loss_min/loss_max for
    the loss range). Measures: "loss range", "gradient change", "β-smoothness". Non-finite values dropped."""
    frames = []
    for r in results:
        p = r.probes
        if p.empty:
            continue
        for measure, value in (("loss range", p.loss_max - p.loss_min), ("gradient change", p.grad_change),
                               ("β-smoothness", p.beta)):
            frames.append(pd.DataFrame({"method": r.spec.method, "step": p.step, "measure": measure,
                                        "value": value, "loss_min": p.loss_min, "loss_max": p.loss_max}))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["method", "step", "measure", "value", "loss_min", "loss_max"])
    return frame[np.isfinite(frame.value.astype(float))].reset_index(drop=True)


def shift_frame(results: Sequence[RunResult]) -> pd.DataFrame:
    """Gradient-based covariate shift of every probed run: method, step, layer, l2, cosine (finite rows)."""
    frames = [r.shift.assign(method=r.spec.method) for r in results if not r.shift.empty]
    if not frames:
        return pd.DataFrame(columns=["method", "step", "layer", "l2", "cosine"])
    frame = pd.concat(frames, ignore_index=True)[["method", "step", "layer", "l2", "cosine"]]
    return frame[np.isfinite(frame.l2) & np.isfinite(frame.cosine)].reset_index(drop=True)


def probes_summary(results: Sequence[RunResult]) -> pd.DataFrame:
    """Median of each landscape measure over a run's probes: method, loss range, gradient change, β-smoothness."""
    rows = []
    for r in results:
        p = r.probes
        if p.empty:
            continue
        rows.append({"method": r.spec.method, "loss range": float(np.nanmedian(p.loss_max - p.loss_min)),
                     "gradient change": float(np.nanmedian(p.grad_change)),
                     "β-smoothness": float(np.nanmedian(p.beta)), "test_accuracy": r.test_accuracy})
    return pd.DataFrame(rows, columns=["method", "loss range", "gradient change", "β-smoothness", "test_accuracy"])


def decision_frame(model: MLP, x: np.ndarray, resolution: int = 60, margin: float = 0.25) -> pd.DataFrame:
    """The model's probability of class 1 (eval mode) on a resolution x resolution grid covering the points
    x (n, 2) plus a margin. Columns: x, y (cell centres), x2, y2 (far cell corners), p (NaN where the
    network's output is not finite)."""
    lo, hi = x.min(axis=0) - margin, x.max(axis=0) + margin
    edges_x, edges_y = np.linspace(lo[0], hi[0], resolution + 1), np.linspace(lo[1], hi[1], resolution + 1)
    cx, cy = (edges_x[:-1] + edges_x[1:]) / 2, (edges_y[:-1] + edges_y[1:]) / 2
    gx, gy = np.meshgrid(cx, cy)
    p = model.predict_proba(np.stack([gx.ravel(), gy.ravel()], axis=1))[:, 1]
    half_x, half_y = (edges_x[1] - edges_x[0]) / 2, (edges_y[1] - edges_y[0]) / 2
    return pd.DataFrame({"x": gx.ravel() - half_x, "y": gy.ravel() - half_y, "x2": gx.ravel() + half_x,
                         "y2": gy.ravel() + half_y, "p": np.where(np.isfinite(p), p, np.nan)})


def points_frame(data: ToyData) -> pd.DataFrame:
    """The dataset's points: x, y, label ("class 0"/"class 1"), split ("train"/"test")."""
    return pd.DataFrame({
        "x": np.concatenate([data.x_train[:, 0], data.x_test[:, 0]]),
        "y": np.concatenate([data.x_train[:, 1], data.x_test[:, 1]]),
        "label": [f"class {c}" for c in np.concatenate([data.y_train, data.y_test])],
        "split": ["train"] * len(data.y_train) + ["test"] * len(data.y_test),
    })
