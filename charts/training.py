"""Charts of the "Why it works" page: every result is the median over seeds (a line) inside its min–max band.

Pure functions of `lessons.why` results. Normalization kinds are coloured from `palette.NORM`, train/test are
solid/dashed (`palette.DASH`), bands use `palette.BAND_OPACITY`, guides are `palette.REFERENCE`. Every chart is a
single view that stretches to its container (phones included), text ≥ 12 px via `palette.readable`.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from lessons.why.covariate_shift import CovariateShiftResult
from lessons.why.initialization import INIT_GRID, InitializationResult
from lessons.why.lab import TRAINED_LOSS, grid_value
from lessons.why.learning_rate import LOSS_CEILING, LR_GRID, LearningRateResult
from lessons.why.regularization import RegularizationResult
from lessons.why.smoothness import SmoothnessResult

from .palette import BAND_OPACITY, DASH, NORM, REFERENCE, color_scale, dash_scale, readable

HEIGHT = 320


def _color(names) -> alt.Color:
    present = [name for name in NORM if name in set(names)]
    return alt.Color("norm:N", title=None, scale=color_scale(NORM, present),
                     legend=alt.Legend(orient="top", symbolType="stroke", symbolStrokeWidth=3, symbolOpacity=1))


def _decades(values) -> list[float]:
    """Powers of ten spanning the finite positive values: the ticks of a log axis (labelled, no clutter)."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite) & (finite > 0)]
    if finite.size == 0:
        return [1.0]
    low, high = int(np.floor(np.log10(finite.min()))), int(np.ceil(np.log10(finite.max())))
    return [10.0**k for k in range(low, high + 1)]


def _log_x(field: str, title: str, values, suffix: str = "") -> alt.X:
    """A log x axis whose ticks are exactly the grid's values, each labelled (0.1, 0.3, 1, 3, 10)."""
    label = f"format(datum.value, '~g') + '{suffix}'"
    return alt.X(f"{field}:Q", title=title, scale=alt.Scale(type="log", domain=[min(values), max(values)], nice=False),
                 axis=alt.Axis(values=list(values), labelExpr=label, grid=False))


def _band_and_median(data: pd.DataFrame, x: alt.X, y_title: str, y_scale: alt.Scale, value: str = "median",
                     tooltip_format: str = ".3f", y_values=None) -> alt.LayerChart:
    """The median over seeds as a line with points, inside the min–max band over seeds, coloured by norm."""
    if y_values is None and y_scale.to_dict().get("type") == "log":
        y_values = _decades(pd.concat([data.low, data.high]))
    y_axis = alt.Axis(values=list(y_values), format="~r") if y_values is not None else alt.Axis()
    color = _color(data.norm)
    x_spec = x.to_dict()
    tooltip = ["norm:N", alt.Tooltip(f"{x_spec['field']}:Q", title=x_spec.get("title")),
               alt.Tooltip(f"{value}:Q", title="median over seeds", format=tooltip_format),
               alt.Tooltip("low:Q", title="lowest seed", format=tooltip_format),
               alt.Tooltip("high:Q", title="highest seed", format=tooltip_format),
               alt.Tooltip("seeds:Q", title="seeds")]
    base = alt.Chart(data).encode(x=x)
    band = base.mark_area(opacity=BAND_OPACITY).encode(
        y=alt.Y("low:Q", title=y_title, scale=y_scale, axis=y_axis), y2="high:Q", color=color)
    line = base.mark_line(point=True, strokeWidth=2.5).encode(y=f"{value}:Q", color=color, tooltip=tooltip)
    return alt.layer(band, line)


def _reference(y: float, label: str, below: bool = False) -> alt.LayerChart:
    """A dashed guide across the chart at y, labelled at its left end, above the line or `below` it."""
    guide = alt.Chart(pd.DataFrame({"y": [y], "label": [label]}))
    rule = guide.mark_rule(color=REFERENCE, strokeDash=DASH["reference"], strokeWidth=1.5).encode(y="y:Q")
    text = guide.mark_text(align="left", baseline="top" if below else "bottom", dx=4, dy=2 if below else -2,
                           color=REFERENCE, fontSize=12).encode(
        x=alt.value(0), y="y:Q", text="label:N")
    return alt.layer(rule, text)


def _finish(chart: alt.TopLevelMixin, title: str) -> alt.TopLevelMixin:
    return readable(chart.properties(width="container", height=HEIGHT, title=title))


def learning_rate_chart(result: LearningRateResult) -> alt.TopLevelMixin:
    """Final training loss against the learning rate (log–log): median over seeds and min–max band per norm.
    Diverged runs sit at the top (LOSS_CEILING); the dashed line is the 'trained' threshold."""
    x = _log_x("lr", "learning rate", LR_GRID)
    scale = alt.Scale(type="log", domain=[0.03, LOSS_CEILING], clamp=True)
    chart = alt.layer(_band_and_median(result.bands, x, "final training loss (log; top: diverged)", scale,
                                       y_values=(0.03, 0.1, 0.3, 1, 3)),
                      _reference(TRAINED_LOSS, f"trained below {TRAINED_LOSS:g}"))
    return _finish(chart, "Final training loss by learning rate")


def learning_rate_curve_chart(result: LearningRateResult, lr: float) -> alt.TopLevelMixin:
    """Training loss (block means, log y) against step at one learning rate of the sweep: median over the seeds
    still training and min–max band, per norm."""
    data = result.curves[result.curves.lr == lr]
    x = alt.X("step:Q", title="training step", scale=alt.Scale(domain=[0, result.lab.steps], nice=False))
    chart = _band_and_median(data, x, "training loss (log)", alt.Scale(type="log"))
    return _finish(chart, f"Training loss at learning rate {grid_value(lr)}")


def initialization_chart(result: InitializationResult) -> alt.TopLevelMixin:
    """Test accuracy against the initial weight scale (× He): median and band per norm, chance dashed."""
    x = _log_x("scale", "initial weight scale (× He)", INIT_GRID, suffix="×")
    chart = alt.layer(_band_and_median(result.bands, x, "test accuracy", alt.Scale(domain=[0.4, 1.0]),
                                       tooltip_format=".1%"),
                      _reference(0.5, "chance", below=True))  # above it, a diverged run's line sits at 0.5
    return _finish(chart, "Test accuracy by initial weight scale")


def regularization_chart(result: RegularizationResult) -> alt.TopLevelMixin:
    """The generalization gap (train − test accuracy, in points) against batch size: median and band per norm."""
    data = result.bands[result.bands.measure == "gap"].copy()
    data[["median", "low", "high"]] *= 100
    x = _log_x("batch_size", "batch size (same number of epochs each)", sorted(set(data.batch_size)))
    chart = alt.layer(_band_and_median(data, x, "gap: train − test accuracy (points)", alt.Scale(zero=True),
                                       tooltip_format=".1f"),
                      _reference(0.0, "no gap"))
    return _finish(chart, "Generalization gap by batch size")


def accuracy_chart(result: RegularizationResult) -> alt.TopLevelMixin:
    """Train (solid) and test (dashed) accuracy against batch size, median per norm."""
    data = result.bands[result.bands.measure != "gap"].copy()
    data["split"] = data.measure.map({"train_accuracy": "train", "test_accuracy": "test"})
    x = _log_x("batch_size", "batch size", sorted(set(data.batch_size)))
    base = alt.Chart(data).encode(
        x=x, y=alt.Y("median:Q", title="accuracy (median over seeds)", scale=alt.Scale(zero=False)),
        color=_color(data.norm), detail="split:N")
    # The points are a layer of their own: in a line's legend with point=True, Vega-Lite draws the dash symbols filled
    # and without a stroke, so "train" and "test" stood next to nothing.
    line = base.mark_line(strokeWidth=2.5).encode(
        strokeDash=alt.StrokeDash("split:N", title=None, scale=dash_scale(["train", "test"]),
                                  legend=alt.Legend(orient="top", symbolType="stroke", symbolStrokeWidth=3,
                                                    symbolStrokeColor=REFERENCE)))
    points = base.mark_point(filled=True, size=40).encode(
        tooltip=["norm:N", "split:N", alt.Tooltip("batch_size:Q", title="batch size"),
                 alt.Tooltip("median:Q", format=".1%", title="median"), alt.Tooltip("low:Q", format=".1%"),
                 alt.Tooltip("high:Q", format=".1%")])
    return _finish(alt.layer(line, points), "Train and test accuracy")


def unit_percentiles_chart(result: CovariateShiftResult, layer: int, unit: int, seed: int) -> alt.TopLevelMixin:
    """One unit's input to its ReLU over the fixed probe inputs through training, as Ioffe & Szegedy's Fig. 1:
    the 15th–85th percentile band and the median, with and without BatchNorm."""
    p = result.percentiles
    data = p[(p.layer == layer) & (p.unit == unit) & (p.seed == seed)]
    base = alt.Chart(data).encode(x=alt.X("step:Q", title="training step"), color=_color(data.norm))
    band = base.mark_area(opacity=BAND_OPACITY).encode(
        y=alt.Y("p15:Q", title="the unit's input (15th, 50th, 85th percentile)"), y2="p85:Q")
    line = base.mark_line(strokeWidth=2.5).encode(
        y="p50:Q", tooltip=["norm:N", "step:Q", alt.Tooltip("p15:Q", format=".3f", title="15th percentile"),
                            alt.Tooltip("p50:Q", format=".3f", title="median"),
                            alt.Tooltip("p85:Q", format=".3f", title="85th percentile")])
    return _finish(alt.layer(band, line), f"Layer {layer}, unit {unit}, seed {seed}: its input over training")


def gradient_shift_chart(result: CovariateShiftResult) -> alt.TopLevelMixin:
    """Santurkar et al.'s ‖G − G′‖ / ‖G‖ against step: per seed the median over layers, then median and band."""
    per_seed = result.shift.groupby(["norm", "seed", "step"], sort=False).change.median().reset_index()
    data = per_seed.groupby(["norm", "step"], sort=False).change.agg(
        median="median", low="min", high="max", seeds="count").reset_index()
    x = alt.X("step:Q", title="training step")
    chart = _band_and_median(data, x, "‖G − G′‖ / ‖G‖ (log)", alt.Scale(type="log"))
    return _finish(chart, "Gradient change when the layers below step first")


def smoothness_chart(result: SmoothnessResult, measure: str) -> alt.TopLevelMixin:
    """One landscape measure against step (log y): median over seeds and band, per network."""
    p = result.probes[result.probes.measure == measure].rename(columns={"network": "norm"})
    data = p.groupby(["norm", "step"], sort=False).value.agg(
        median="median", low="min", high="max", seeds="count").reset_index()
    chart = _band_and_median(data, alt.X("step:Q", title="training step"), f"{measure} (log; lower: smoother)",
                             alt.Scale(type="log"), tooltip_format=".3g")
    return _finish(chart, f"{measure[0].upper()}{measure[1:]} along the gradient" if measure.isascii() else
                   f"{measure} along the gradient")  # β-smoothness keeps its lower-case β


def loss_curve_chart(result: SmoothnessResult) -> alt.TopLevelMixin:
    """Training loss (block means, log y) against step: median over seeds and band, per network."""
    data = result.curves.rename(columns={"network": "norm"})
    chart = _band_and_median(data, alt.X("step:Q", title="training step"), "training loss (log)",
                             alt.Scale(type="log"))
    return _finish(chart, "Training loss")

