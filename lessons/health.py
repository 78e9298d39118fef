"""A deep network's health, before and after training, with and without BatchNorm (after Karpathy's "Building
makemore part 3", 2022): per layer, the distribution of activations and of their gradients, the share of saturated
tanh units (|t| > 0.97) or dead ReLU units (zero for every sample of the probe batch), and, during training, the
update-to-data ratio log10(std(lr·∂L/∂W) / std(W)) of every Linear layer, which Karpathy keeps near −3.

Every configuration is trained over several seeds at once (bn_core.nn's model axis).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bn_core.nn import Module, ReLU, Tanh, mlp, softmax_cross_entropy
from bn_core.toy_data import make_dataset
from lessons.format import format_number
from lessons.training import Step, evaluate, fit, linears

GAINS = {"0.5": 0.5, "1": 1.0, "5/3": 5.0 / 3.0, "3": 3.0}
SATURATED = 0.97
SHRUNK = 0.5  # a last hidden layer spread under half as wide as the first has lost its signal
GROWN = 2.0  # one spread over twice as wide as the first's has blown its signal up
REPAIR = {  # how BatchNorm undoes a bad start, by activation
    "tanh": "it rescales every layer's pre-activations to unit variance, away from tanh's flat tails.",
    "relu": "it centres every layer's pre-activations on zero, so every unit is positive for part of the batch.",
}
GUIDE_RATIO = -3.0  # log10 of Karpathy's ~1e-3 rule of thumb
NORM_NAMES = {"none": "No norm", "batch": "BatchNorm"}
PHASES = {"init": "At initialization", "trained": "After training"}
_BINS = 40
DEPTHS = range(2, 11)  # hidden layers the lab offers
PROBE_SIZE = 128  # samples in the probe batch the distributions are measured on
RATIO_EVERY = 2  # record the update:data ratio every this many steps


@dataclass(frozen=True)
class HealthSpec:
    """One health check: the network, how it starts, and how it trains.

    depth hidden layers of `width` units; gain: the weights' initial gain; last_layer_scale multiplies the output
    layer's initial weights (0.1 makes the first predictions nearly uniform, as Karpathy does).
    """

    activation: str = "tanh"
    gain: float = 3.0
    last_layer_scale: float = 1.0
    depth: int = 6
    width: int = 32
    steps: int = 100
    lr: float = 0.1
    batch_size: int = 64
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    dataset: str = "spirals"


@dataclass(frozen=True)
class Health:
    """Results of a HealthSpec for each norm ("none", "batch").

    layers:       one row per norm, phase, layer (1 = nearest the input), seed: saturated / dead share, the
                  activations' and gradients' standard deviation.
    histograms:   one row per norm, phase, kind ("activation", "gradient"), layer, bin: density, pooled over seeds.
    update_ratio: one row per norm, Linear layer, step: median, min, max over seeds of log10 update:data ratio.
    accuracy:     one row per norm, seed: test accuracy after training.
    """

    spec: HealthSpec
    layers: pd.DataFrame
    histograms: pd.DataFrame
    update_ratio: pd.DataFrame
    accuracy: pd.DataFrame = field(repr=False)


def activations(model: Module) -> list[Module]:
    """The network's activation modules (ReLU or tanh), input side first."""
    return [layer for layer in model.layers if isinstance(layer, ReLU | Tanh)]


def build(spec: HealthSpec, norm: str) -> Module:
    """The stacked network of `spec` with `norm`, one model per seed."""
    widths = (2,) + (spec.width,) * spec.depth + (2,)
    model = mlp(widths, norm=norm, activation=spec.activation, models=len(spec.seeds), gain=spec.gain,
                seed=list(spec.seeds))
    linears(model)[-1].weight *= spec.last_layer_scale
    return model


def probe(model: Module, x: np.ndarray, y: np.ndarray) -> None:
    """One training-mode forward and backward on the probe batch, so every activation holds `out` and `dout`."""
    s = model.parameters()[0].shape[0]
    with np.errstate(over="ignore", invalid="ignore"):
        _, dlogits = softmax_cross_entropy(model(np.broadcast_to(x, (s, *x.shape))), y)
        model.backward(dlogits)


def layer_table(model: Module, spec: HealthSpec, norm: str, phase: str) -> pd.DataFrame:
    rows = []
    for depth, act in enumerate(activations(model), start=1):
        out, dout = act.out, act.dout  # (S, N, width)
        saturated = (np.abs(out) > SATURATED).mean(axis=(1, 2))
        dead = (out <= 0).all(axis=1).mean(axis=1)
        for s, seed in enumerate(spec.seeds):
            rows.append({"norm": NORM_NAMES[norm], "phase": phase, "layer": depth, "seed": seed,
                         "saturated": saturated[s], "dead": dead[s],
                         "activation std": out[s].std(), "gradient std": dout[s].std()})
    return pd.DataFrame(rows)


def histogram_table(model: Module, spec: HealthSpec, norm: str, phase: str) -> pd.DataFrame:
    """Densities of each layer's activations (on [−1, 1] for tanh, [0, 99th percentile] for ReLU) and gradients
    (symmetric, to the 99th percentile of |gradient|), pooled over seeds."""
    frames = []
    for depth, act in enumerate(activations(model), start=1):
        for kind, values in (("activation", act.out), ("gradient", act.dout)):
            values = values[np.isfinite(values)]
            if kind == "activation":
                top = 1.0 if spec.activation == "tanh" else max(float(np.quantile(values, 0.99)), 1e-12)
                bins = np.linspace(-1.0 if spec.activation == "tanh" else 0.0, top, _BINS + 1)
            else:
                top = max(float(np.quantile(np.abs(values), 0.99)), 1e-30)
                bins = np.linspace(-top, top, _BINS + 1)
            density, edges = np.histogram(values, bins=bins, density=True)
            frames.append(pd.DataFrame({"norm": NORM_NAMES[norm], "phase": phase, "kind": kind, "layer": depth,
                                        "value": (edges[:-1] + edges[1:]) / 2, "density": density}))
    return pd.concat(frames, ignore_index=True)


def update_ratios(model: Module, step: Step, lr: float) -> np.ndarray:
    """(S, L) log10(std(lr·∂L/∂W) / std(W)) of every Linear layer at this step."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.stack([np.log10(lr * layer.dweight.std(axis=(1, 2)) / layer.weight.std(axis=(1, 2)))
                         for layer in linears(model)], axis=1)


def ratio_table(ratios: np.ndarray, norm: str) -> pd.DataFrame:
    """ratios (recorded steps, S, L), one every RATIO_EVERY steps -> median, min and max over seeds per layer and
    step."""
    steps, _, num_layers = ratios.shape
    with np.errstate(all="ignore"):
        median = np.nanmedian(ratios, axis=1)
        low, high = np.nanmin(ratios, axis=1), np.nanmax(ratios, axis=1)
    layer, step = np.meshgrid(np.arange(1, num_layers + 1), RATIO_EVERY * np.arange(1, steps + 1))
    return pd.DataFrame({"norm name": NORM_NAMES[norm], "layer": layer.ravel(), "step": step.ravel(),
                         "median": median.ravel(), "low": low.ravel(), "high": high.ravel()})


def check_health(spec: HealthSpec) -> Health:
    """Probe each network at initialization, train it, probe it again."""
    data = make_dataset(spec.dataset, 400, noise=0.1, seed=spec.seeds[0])
    probe_x, probe_y = data.x_train[:PROBE_SIZE], data.y_train[:PROBE_SIZE]
    layers, histograms, ratio_frames, accuracy = [], [], [], []
    for norm in NORM_NAMES:
        model = build(spec, norm)
        probe(model, probe_x, probe_y)
        layers.append(layer_table(model, spec, norm, "init"))
        histograms.append(histogram_table(model, spec, norm, "init"))
        ratios: list[np.ndarray] = []

        def record(m: Module, step: Step, ratios: list[np.ndarray] = ratios) -> None:
            if step.step % RATIO_EVERY == 0:
                ratios.append(update_ratios(m, step, spec.lr))

        fit(model, data.x_train, data.y_train, lr=spec.lr, steps=spec.steps, batch_size=spec.batch_size,
            seeds=list(spec.seeds), on_step=record)
        ratio_frames.append(ratio_table(np.array(ratios), norm))
        probe(model, probe_x, probe_y)
        layers.append(layer_table(model, spec, norm, "trained"))
        histograms.append(histogram_table(model, spec, norm, "trained"))
        _, test_accuracy = evaluate(model, data.x_test, data.y_test)
        accuracy.append(pd.DataFrame({"norm": NORM_NAMES[norm], "seed": spec.seeds, "accuracy": test_accuracy}))
    return Health(spec, pd.concat(layers, ignore_index=True), pd.concat(histograms, ignore_index=True),
                  pd.concat(ratio_frames, ignore_index=True), pd.concat(accuracy, ignore_index=True))


def unhealthy_share(health: Health, phase: str = "init") -> pd.Series:
    """Per norm, the median over seeds of the mean (over layers) share of saturated (tanh) or dead (ReLU) units."""
    column = "saturated" if health.spec.activation == "tanh" else "dead"
    rows = health.layers[health.layers["phase"] == phase]
    return rows.groupby(["norm", "seed"])[column].mean().groupby("norm").median()


def share_band(health: Health, phase: str) -> pd.DataFrame:
    """Per norm and layer, the median, min and max over seeds of the saturated (tanh) or dead (ReLU) share."""
    column = "saturated" if health.spec.activation == "tanh" else "dead"
    rows = health.layers[health.layers["phase"] == phase]
    return rows.groupby(["norm", "layer"])[column].agg(median="median", low="min", high="max").reset_index()


def histograms(health: Health, norm_name: str, phase: str, kind: str) -> pd.DataFrame:
    """The densities of one norm, phase and kind ("activation" or "gradient"), one row per layer and bin."""
    h = health.histograms
    return h[(h["norm"] == norm_name) & (h["phase"] == phase) & (h["kind"] == kind)]


def signal_kept(health: Health) -> pd.Series:
    """Per norm, the median over seeds of the last hidden layer's activation std over the first's, at init."""
    rows = health.layers[health.layers["phase"] == "init"].pivot_table(
        index=["norm", "seed"], columns="layer", values="activation std")
    return (rows[rows.columns.max()] / rows[rows.columns.min()]).groupby("norm").median()


def verdict(health: Health) -> str:
    """What the probes show, in words computed from them."""
    spec = health.spec
    what = "saturated (|tanh| > 0.97)" if spec.activation == "tanh" else "dead (zero for every probe sample)"
    share = unhealthy_share(health)
    plain, bn = share["No norm"], share["BatchNorm"]
    n = len(spec.seeds)
    accuracy = health.accuracy.groupby("norm")["accuracy"].median()
    text = (f"At initialization, {plain:.0%} of the plain network's units are {what} on average over its layers, "
            f"and {bn:.0%} with BatchNorm (medians over {n} seeds). ")
    kept = signal_kept(health)
    few = "Neither saturates" if spec.activation == "tanh" else "Few units are dead in either"
    if plain - bn >= 0.05:
        text += f"BatchNorm repairs this start: {REPAIR[spec.activation]} "
    elif bn - plain >= 0.05:
        text += "Here BatchNorm does not help this measure. "
    elif kept["No norm"] < SHRUNK < kept["BatchNorm"]:
        text += (f"{few}, but the plain network's signal shrinks layer by layer instead: its last hidden "
                 f"layer's activations are {kept['No norm']:.0%} as spread as its first's ({kept['BatchNorm']:.0%} "
                 "with BatchNorm, which rescales every layer). ")
    elif kept["BatchNorm"] < GROWN < kept["No norm"]:
        text += (f"{few}, but the plain network's signal grows layer by layer instead: its last hidden layer's "
                 f"activations are {format_number(kept['No norm'], 3)} times as spread as its first's "
                 f"({format_number(kept['BatchNorm'], 3)} with BatchNorm, which rescales every layer). ")
    else:
        others = " or ".join(name for name in ("3", "0.5") if GAINS[name] != spec.gain)
        text += (f"At these settings both start about equally healthy on this measure and keep their signal: try "
                 f"{others}. ")
    return text + (f"Test accuracy after {spec.steps} steps: {accuracy['No norm']:.0%} without and "
                   f"{accuracy['BatchNorm']:.0%} with BatchNorm.")
