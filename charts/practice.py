"""Charts of the In practice page: one single view per experiment, so every chart stretches from 360 to 1920 px.

Colours follow charts.palette: which statistics a layer normalizes with is a STAT colour (batch blue, running
purple, population grey), a normalization kind a NORM colour, an output of the layer the STAGE colour; seeds are a
band (min–max) around the median; guides are REFERENCE dashed.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from charts.palette import BACKGROUNDS, BAND_OPACITY, DASH, HUES, NORM, REFERENCE, STAGE, STAT, readable, rule_at
from lessons.batches import NORMS, NonIid
from lessons.coupling import Coupling
from lessons.devices import DataParallel
from lessons.dropout import VarianceShift
from lessons.folding import FoldingResult
from lessons.recalibration import Recalibration
from lessons.transfer import FINE_TUNE_MODES, AdaBN, FineTuning

HEIGHT = 400  # Streamlit fits title, axes and legend into this too: about 260 px are left to plot
MAX_POINTS = 300
LEGEND = alt.Legend(title=None, orient="bottom", direction="vertical", labelLimit=0, symbolOpacity=1)


def _band_frame(x: np.ndarray, values: np.ndarray, series: str) -> pd.DataFrame:
    """Median, min and max over the seeds (axis 0) of values (S, len(x)) for one named series."""
    return pd.DataFrame({"x": x, "median": np.median(values, axis=0), "low": values.min(axis=0),
                         "high": values.max(axis=0), "series": series})


def _band_lines(frame: pd.DataFrame, colors: dict[str, str], x_title: str, y_title: str, *, x_scale=None,
                y_scale=None) -> alt.LayerChart:
    """Median lines with min–max bands per series."""
    color = alt.Color("series:N", scale=alt.Scale(domain=list(colors), range=list(colors.values())), legend=LEGEND)
    x = alt.X("x:Q", title=x_title, scale=x_scale or alt.Scale())
    base = alt.Chart(frame).encode(x=x, color=color)
    band = base.mark_area(opacity=BAND_OPACITY).encode(y=alt.Y("low:Q", title=y_title, scale=y_scale or alt.Scale()),
                                                       y2="high:Q")
    line = base.mark_line(strokeWidth=2.5, point=True).encode(
        y="median:Q", tooltip=["series:N", alt.Tooltip("x:Q", title=x_title), alt.Tooltip("median:Q", format=".3f"),
                               alt.Tooltip("low:Q", format=".3f"), alt.Tooltip("high:Q", format=".3f")])
    return alt.layer(band, line)


def _finish(chart: alt.TopLevelMixin, title: str) -> alt.TopLevelMixin:
    return readable(chart.properties(title=title, height=HEIGHT, width="container"))


def _marker(x: float, field: str = "x") -> alt.Chart:
    """A dashed reference rule at x on the `field` axis (as data: Dropout before BN, A/B 198/181 -> 154/145 ms)."""
    return rule_at(x, field, color=REFERENCE, strokeDash=DASH["reference"], strokeWidth=1.5)


def folding_chart(result: FoldingResult) -> alt.TopLevelMixin:
    """Folded output against layer + BN output, in eval mode (on the diagonal) and in training mode (off it)."""
    modes = {"eval mode: running statistics": (result.reference_eval, STAT["running"]),
             "training mode: batch statistics": (result.reference_train, STAT["batch"])}
    folded = result.folded.astype(np.float64).ravel()
    keep = np.unique(np.linspace(0, folded.size - 1, min(folded.size, MAX_POINTS)).round().astype(int))
    frame = pd.concat([pd.DataFrame({"reference": ref.ravel()[keep], "folded": folded[keep], "mode": name})
                       for name, (ref, _) in modes.items()], ignore_index=True)
    lo, hi = float(frame[["reference", "folded"]].min().min()), float(frame[["reference", "folded"]].max().max())
    diagonal = alt.Chart(pd.DataFrame({"reference": [lo, hi], "folded": [lo, hi]})).mark_line(
        color=REFERENCE, strokeDash=DASH["reference"]).encode(x="reference:Q", y="folded:Q")
    color = alt.Color("mode:N", scale=alt.Scale(domain=list(modes), range=[c for _, c in modes.values()]),
                      legend=LEGEND)
    points = alt.Chart(frame).mark_point(filled=True, size=30, opacity=0.7).encode(
        x=alt.X("reference:Q", title=f"{result.layer} + BN output"), y=alt.Y("folded:Q", title="folded layer output"),
        color=color, shape=alt.Shape("mode:N", legend=LEGEND),
        tooltip=["mode:N", alt.Tooltip("reference:Q", format=".4f"), alt.Tooltip("folded:Q", format=".4f")])
    return _finish(alt.layer(diagonal, points), "Folded layer vs the layer + BN it replaces")


def recalibration_chart(result: Recalibration) -> alt.TopLevelMixin:
    """Test loss in eval mode along training: EMA running statistics vs PreciseBN."""
    ema, precise = "EMA running statistics", "PreciseBN"  # their settings are in the reading, not the spec
    frame = pd.concat([_band_frame(result.steps, result.ema_loss, ema),
                       _band_frame(result.steps, result.precise_loss, precise)], ignore_index=True)
    chart = _band_lines(frame, {ema: STAT["running"], precise: STAT["population"]}, "training step",
                        "test loss, eval mode")
    return _finish(chart, "The same weights, two sets of statistics")


def batches_needed_chart(counts: tuple[int, ...], gaps: np.ndarray) -> alt.TopLevelMixin:
    """|PreciseBN loss − population loss| against the number of recalibration batches (log axis)."""
    frame = _band_frame(np.asarray(counts), np.abs(gaps), "PreciseBN")
    chart = _band_lines(frame, {"PreciseBN": STAT["population"]}, "recalibration batches (32 samples each)",
                        "|loss − population loss|", x_scale=alt.Scale(type="log", base=2))
    return _finish(chart, "How many batches recalibration needs")


def adabn_chart(result: AdaBN, magnitude: float) -> alt.TopLevelMixin:
    """Target accuracy against the shift's size, with source statistics and with AdaBN's target statistics."""
    names = {"source statistics": STAT["running"], "target statistics (AdaBN)": STAT["population"]}
    x = np.asarray(result.magnitudes)
    frame = pd.concat([_band_frame(x, result.source_stats, "source statistics"),
                       _band_frame(x, result.target_stats, "target statistics (AdaBN)")], ignore_index=True)
    chart = _band_lines(frame, names, f"size of the shift ({result.kind})", "target test accuracy",
                        y_scale=alt.Scale(domain=[0, 1]))
    return _finish(alt.layer(chart, _marker(magnitude)), "Shifted inputs, same weights")


def _seed_strip(frame: pd.DataFrame, colors: dict[str, str], y_title: str, reference: float | None) -> alt.LayerChart:
    """One row per category: each seed a dot, the median a tick; optional dashed reference value."""
    color = alt.Color("category:N", scale=alt.Scale(domain=list(colors), range=list(colors.values())), legend=None)
    y = alt.Y("category:N", title=None, sort=list(colors), axis=alt.Axis(labelLimit=220))
    x = alt.X("value:Q", title=y_title, scale=alt.Scale(domain=[0, 1]))
    dots = alt.Chart(frame).mark_circle(size=70, opacity=0.75).encode(
        x=x, y=y, color=color, tooltip=["category:N", "seed:O", alt.Tooltip("value:Q", format=".3f")])
    ticks = alt.Chart(frame).mark_tick(thickness=3, size=28).encode(x="median(value):Q", y=y, color=color)
    layers = [dots, ticks]
    if reference is not None:
        layers.append(_marker(reference, "value"))
    return alt.layer(*layers)


def _strip_frame(values: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.concat([pd.DataFrame({"category": name, "seed": np.arange(1, len(v) + 1), "value": v})
                      for name, v in values.items()], ignore_index=True)


def fine_tune_chart(result: FineTuning) -> alt.TopLevelMixin:
    """Target accuracy per seed after fine-tuning in each mode; the dashed line: before fine-tuning (median)."""
    colors = dict(zip(FINE_TUNE_MODES, (STAT["batch"], STAT["running"], STAT["running"]), strict=True))
    chart = _seed_strip(_strip_frame(result.accuracy), colors, "target test accuracy", float(np.median(result.before)))
    return _finish(chart, "After fine-tuning").properties(height=220)


def devices_chart(result: DataParallel) -> alt.TopLevelMixin:
    """Test accuracy per seed: K devices each normalizing b samples, or synchronized over K·b."""
    labels = {"per device: b samples": result.accuracy["per device"],
              "synchronized: K·b samples": result.accuracy["synced"]}
    chart = _seed_strip(_strip_frame(labels), dict.fromkeys(labels, NORM["BatchNorm"]), "test accuracy, eval mode",
                        None)
    return _finish(chart, "K devices, b samples each").properties(height=180)


def non_iid_chart(result: NonIid) -> alt.TopLevelMixin:
    """Per normalization, accuracy while training (training mode) and on the test set (eval mode): a slope chart."""
    splits = ("training batches", "test set, eval mode")
    rows = [pd.DataFrame({"norm": norm, "split": split, "seed": np.arange(1, len(v) + 1), "accuracy": v})
            for norm in NORMS for split, v in zip(splits, (result.train_accuracy[norm], result.test_accuracy[norm]),
                                                  strict=True)]
    frame = pd.concat(rows, ignore_index=True)
    color = alt.Color("norm:N", scale=alt.Scale(domain=list(NORMS), range=[NORM[n] for n in NORMS]), legend=LEGEND)
    x = alt.X("split:N", sort=list(splits), title=None, axis=alt.Axis(labelAngle=0, labelLimit=200))
    y = alt.Y("accuracy:Q", title="accuracy", scale=alt.Scale(domain=[0, 1]))
    dots = alt.Chart(frame).mark_circle(size=50, opacity=0.5).encode(
        x=x, y=y, color=color, tooltip=["norm:N", "split:N", "seed:O", alt.Tooltip("accuracy:Q", format=".3f")])
    lines = alt.Chart(frame).mark_line(strokeWidth=3, point=True).encode(
        x=x, y="median(accuracy):Q", color=color, detail="norm:N")
    return _finish(alt.layer(dots, lines), f"Batches: {result.order}")


def coupling_chart(result: Coupling) -> alt.TopLevelMixin:
    """Every sample's output before and after one sample moved: the moved one jumps, all the others shift."""
    samples = np.arange(1, len(result.before) + 1)
    frame = pd.DataFrame({"sample": samples, "before": result.before, "after": result.after,
                          "role": np.where(samples == result.moved + 1, "the moved sample", "the other samples")})
    x = alt.X("sample:O", title="sample i", axis=alt.Axis(labelAngle=0))
    arrows = alt.Chart(frame).mark_rule(color=REFERENCE, strokeWidth=2).encode(x=x, y="before:Q", y2="after:Q")
    before = alt.Chart(frame).mark_point(size=70, color=REFERENCE, filled=False, strokeWidth=2).encode(
        x=x, y=alt.Y("before:Q", title="output yᵢ (γ = 1, β = 0)"))
    after = alt.Chart(frame).mark_point(size=90, filled=True).encode(
        x=x, y="after:Q", shape=alt.Shape("role:N", legend=LEGEND),
        color=alt.value(STAGE["output"]),
        tooltip=["sample:O", alt.Tooltip("before:Q", format=".4f"), alt.Tooltip("after:Q", format=".4f")])
    return _finish(alt.layer(arrows, before, after), "Outputs before (hollow) and after (filled)")


def jacobian_chart(jacobian: np.ndarray) -> alt.TopLevelMixin:
    """Heatmap of ∂yᵢ/∂xⱼ on a diverging scale centred at 0."""
    m = len(jacobian)
    i, j = np.meshgrid(np.arange(1, m + 1), np.arange(1, m + 1), indexing="ij")
    frame = pd.DataFrame({"i": i.ravel(), "j": j.ravel(), "value": jacobian.ravel()})
    limit = float(np.abs(jacobian).max()) or 1.0
    scale = alt.Scale(domainMid=0, range=[HUES["blue"], BACKGROUNDS["light"], HUES["vermillion"]], interpolate="lab")
    # ±limit as data, below the cells, so the colour scale is symmetric about 0 without a domain in the spec: a
    # new Jacobian then swaps data into the live chart.
    color = alt.Color("value:Q", scale=scale, title="∂yᵢ/∂xⱼ")
    extent = alt.Chart(pd.DataFrame({"value": [-limit, limit]})).mark_rect(opacity=0).encode(color=color)
    base = alt.Chart(frame).encode(x=alt.X("j:O", title="input xⱼ", axis=alt.Axis(labelAngle=0, orient="top")),
                                   y=alt.Y("i:O", title="output yᵢ"))
    # No numbers in the cells: at 390 px a cell is narrower than "−0.07" at 12 px; the tooltip has them.
    cells = base.mark_rect().encode(color=color, tooltip=["i:O", "j:O", alt.Tooltip("value:Q", format=".4f")])
    return _finish(alt.layer(extent, cells), "The Jacobian ∂yᵢ/∂xⱼ")


def dropout_chart(result: VarianceShift, rate: float) -> alt.TopLevelMixin:
    """Measured variance shift (median, min–max over seeds) against dropout rate, and Li et al.'s prediction."""
    rates = np.asarray(result.rates)
    measured = "measured: inference variance / running variance"
    frame = _band_frame(rates, result.measured_shift, measured)
    chart = _band_lines(frame, {measured: STAT["running"]}, "dropout rate p", "variance shift",
                        y_scale=alt.Scale(domain=[0, 1.1]))
    # The prediction in the measurement's colour: in the guides' dashed grey it read as a second marker of p.
    predicted = alt.Chart(pd.DataFrame({"x": rates, "predicted": result.predicted})).mark_line(
        color=STAT["running"], strokeDash=DASH["inference"], strokeWidth=2).encode(x="x:Q", y="predicted:Q")
    return _finish(alt.layer(chart, predicted, _marker(rate)), "Variance shift: measured (solid), predicted (dashed)")
