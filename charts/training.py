"""Charts of the "Why it works" page: training curves, sweeps, activation drift, loss-landscape probes and
decision boundaries. Frames come from `lessons.experiments`; one colour per method everywhere
(`METHOD_COLORS`, plus sky for BatchNorm with injected noise).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from lessons.experiments import (
    RunResult,
    curves_frame,
    diverged_frame,
    drift_frame,
    drift_summary,
    probes_frame,
    probes_summary,
    run_label,
    shift_frame,
    summary_frame,
)
from lessons.legacy_mlp import MLP

from . import METHOD_COLORS, OKABE_ITO, PALETTE, color_scale, zero_rule
from .spec import vega_lite_spec

RUN_COLORS = {name: METHOD_COLORS[name] for name in ("No norm", "BatchNorm", "LayerNorm")}
RUN_COLORS["BatchNorm + noise"] = OKABE_ITO["sky"]
CLASS_COLORS = {"class 0": OKABE_ITO["blue"], "class 1": OKABE_ITO["orange"]}
# The decision regions in light tints of the class colours (60% white), so the points stay visible on them.
REGION_COLORS = ("#99C7E0", "#F7F7F7", "#F5D999")
SPLIT_COLORS = {"train": PALETTE["train"], "test": PALETTE["test"]}
# The experiments that sweep one setting: the summary column it is in, and its axis title.
SWEEPS = {"lr": ("lr", "learning rate (log scale)"), "init": ("init_scale", "initial weight scale × He (log scale)")}
FACET_WIDTH = 180
FACET_COLUMNS = 4  # panels per row: four fit the page's wide layout at 1400 px
PANEL_HEIGHT = 170


def _method_color(frame: pd.DataFrame, legend_title: str | None = None) -> alt.Color:
    present = {m: c for m, c in RUN_COLORS.items() if m in set(frame["method"])}
    return alt.Color("method:N", scale=color_scale(present), legend=alt.Legend(title=legend_title, orient="top"))


def loss_curves_chart(curves: pd.DataFrame, diverged: pd.DataFrame, facet: str | None = None,
                      facet_title: str = "") -> alt.TopLevelMixin:
    """Training loss (log scale) against step, one line per method, in one panel per value of `facet`.

    curves: from `lessons.experiments.curves_frame`. diverged: rows (method, step, <facet>) of runs that
    diverged, drawn as a dashed rule at that step labelled "diverged at step k".
    """
    curves = curves.assign(kind="curve")
    marks = diverged.assign(kind="diverged", loss=np.nan, label=[f"diverged at step {s}" for s in diverged.step])
    data = pd.concat([curves, marks], ignore_index=True)
    color = _method_color(data)
    line = alt.Chart().mark_line(strokeWidth=2).encode(
        x=alt.X("step:Q", title="step"),
        y=alt.Y("loss:Q", title="training loss (log scale)", scale=alt.Scale(type="log")),
        color=color,
        tooltip=["method:N", "step:Q", alt.Tooltip("loss:Q", format=".3f"),
                 alt.Tooltip("accuracy:Q", format=".0%", title="batch accuracy")],
    ).transform_filter(alt.datum.kind == "curve")
    rule = alt.Chart().mark_rule(strokeDash=[4, 3], strokeWidth=2).encode(
        x="step:Q", color=color, tooltip=["method:N", "label:N"]).transform_filter(alt.datum.kind == "diverged")
    text = alt.Chart().mark_text(align="left", dx=3, baseline="top", fontSize=11).encode(
        x="step:Q", y=alt.value(4), text="label:N", color=color).transform_filter(alt.datum.kind == "diverged")
    layered = alt.layer(line, rule, text, data=data)
    if facet is None:
        return layered.properties(height=PANEL_HEIGHT + 60, width="container")
    return layered.properties(width=FACET_WIDTH, height=PANEL_HEIGHT).facet(
        facet=alt.Facet(f"{facet}:O", title=facet_title, header=alt.Header(labelFontWeight="bold")),
        columns=FACET_COLUMNS,
    )


def sweep_chart(summary: pd.DataFrame, x: str, x_title: str) -> alt.HConcatChart:
    """Final training loss and test accuracy against a swept setting (log x), one line per method.

    summary: from `lessons.experiments.summary_frame`. Runs that diverged have no final values: they are
    marked ✕ at the top of the loss panel, their tooltip saying at which step.
    """
    data = summary.assign(diverged=summary.diverged_at.notna())
    base = alt.Chart().encode(
        x=alt.X(f"{x}:Q", title=x_title, scale=alt.Scale(type="log"), axis=alt.Axis(format="~g")),
        color=_method_color(data),
        tooltip=["method:N", alt.Tooltip(f"{x}:Q", format="~g", title=x_title),
                 alt.Tooltip("train_loss:Q", format=".3f", title="final training loss"),
                 alt.Tooltip("test_accuracy:Q", format=".1%", title="test accuracy"), "status:N"],
    )
    loss = base.mark_line(point=True, strokeWidth=2).encode(
        y=alt.Y("train_loss:Q", title="final training loss (log scale)", scale=alt.Scale(type="log")),
    ).transform_filter("!datum.diverged")
    crosses = base.mark_point(shape="cross", size=160, filled=True, angle=45).encode(
        y=alt.value(6)).transform_filter("datum.diverged")
    accuracy = base.mark_line(point=True, strokeWidth=2).encode(
        y=alt.Y("test_accuracy:Q", title="test accuracy (dashed: chance)", scale=alt.Scale(domain=[0, 1])),
    ).transform_filter("!datum.diverged")
    chance = alt.Chart().mark_rule(color=PALETTE["true"], strokeDash=[6, 4]).encode(y=alt.datum(0.5))
    size = {"width": 320, "height": PANEL_HEIGHT + 40}
    return alt.hconcat(alt.layer(loss, crosses, data=data).properties(title="Final loss (✕: diverged)", **size),
                       alt.layer(accuracy, chance, data=data).properties(title="Test accuracy", **size))


def batch_chart(summary: pd.DataFrame) -> alt.FacetChart:
    """Train and test accuracy per batch size, side by side, one panel per method."""
    data = summary.melt(id_vars=["method", "batch_size", "status"], value_vars=["train_accuracy", "test_accuracy"],
                        var_name="split", value_name="accuracy")
    data["split"] = data["split"].str.removesuffix("_accuracy")
    bars = alt.Chart().mark_bar().encode(
        x=alt.X("batch_size:O", title="batch size"),
        xOffset=alt.XOffset("split:N", sort=list(SPLIT_COLORS)),
        y=alt.Y("accuracy:Q", title="accuracy (eval mode)", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("split:N", scale=color_scale(SPLIT_COLORS), legend=alt.Legend(title=None, orient="top")),
        tooltip=["method:N", "batch_size:O", "split:N", alt.Tooltip("accuracy:Q", format=".1%"), "status:N"],
    )
    chance = alt.Chart().mark_rule(color=PALETTE["true"], strokeDash=[6, 4]).encode(y=alt.datum(0.5))
    methods = [m for m in RUN_COLORS if m in set(data["method"])]
    return alt.layer(bars, chance, data=data).properties(width=FACET_WIDTH + 40, height=PANEL_HEIGHT + 20).facet(
        column=alt.Column("method:N", title=None, sort=methods, header=alt.Header(labelFontWeight="bold")))


def _layer_panels(frame: pd.DataFrame, field: str, title: str, reference: alt.Chart | None,
                  scale: alt.Scale | None = None) -> alt.FacetChart:
    line = alt.Chart().mark_line(strokeWidth=2).encode(
        x=alt.X("step:Q", title="step"),
        y=alt.Y(f"{field}:Q", title=title, scale=scale or alt.Scale(zero=False)),
        color=_method_color(frame),
        tooltip=["method:N", "layer:N", "step:Q", alt.Tooltip(f"{field}:Q", format=".3f")],
    )
    layers = [line] if reference is None else [line, reference]
    layer_names = list(dict.fromkeys(frame["layer"]))
    return alt.layer(*layers, data=frame).properties(width=FACET_WIDTH, height=PANEL_HEIGHT - 30).facet(
        facet=alt.Facet("layer:N", title=None, sort=layer_names, header=alt.Header(labelFontWeight="bold")),
        columns=FACET_COLUMNS)


def drift_chart(drift: pd.DataFrame) -> alt.VConcatChart:
    """Mean (with the zero line) and standard deviation of each layer's pre-activations against step,
    one column per layer. drift: from `lessons.experiments.drift_frame`."""
    return alt.vconcat(
        _layer_panels(drift, "mean", "mean of pre-activations", zero_rule("y")),
        _layer_panels(drift, "std", "spread (std) of pre-activations", None),
    )


def shift_chart(shift: pd.DataFrame) -> alt.VConcatChart:
    """Santurkar et al.'s gradient-based covariate shift per layer against step: cosine between a layer's
    gradient before and after the layers below it update (1: unchanged), and the size of the change.
    shift: from `lessons.experiments.shift_frame`."""
    return alt.vconcat(
        _layer_panels(shift, "cosine", "cos(G, G′)  (1 = no shift)", None, alt.Scale(domain=[-1, 1])),
        _layer_panels(shift, "l2", "‖G − G′‖", None, alt.Scale(type="log")),
    )


def smoothness_chart(probes: pd.DataFrame) -> alt.FacetChart:
    """The three landscape measures against step (log y), one panel per measure, one line per method.
    probes: from `lessons.experiments.probes_frame`."""
    measures = list(dict.fromkeys(probes["measure"]))
    line = alt.Chart().mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=14)).encode(
        x=alt.X("step:Q", title="step"),
        y=alt.Y("value:Q", title=None, scale=alt.Scale(type="log")),
        color=_method_color(probes),
        tooltip=["method:N", "measure:N", "step:Q", alt.Tooltip("value:Q", format=".3g"),
                 alt.Tooltip("loss_min:Q", format=".3f", title="lowest loss along the step"),
                 alt.Tooltip("loss_max:Q", format=".3f", title="highest loss along the step")],
    )
    return alt.layer(line, data=probes).properties(width=FACET_WIDTH + 40, height=PANEL_HEIGHT).facet(
        column=alt.Column("measure:N", title=None, sort=measures, header=alt.Header(labelFontWeight="bold")),
    ).resolve_scale(y="independent")


def decision_chart(grid: pd.DataFrame, points: pd.DataFrame, title: str) -> alt.LayerChart:
    """The probability of class 1 on a grid as coloured cells (blue: class 0, orange: class 1), with the
    data points on top (circles: train, diamonds: test). grid: `decision_frame`; points: `points_frame`."""
    domain = [float(min(grid.x.min(), points.x.min())), float(max(grid.x2.max(), points.x.max()))]
    range_y = [float(min(grid.y.min(), points.y.min())), float(max(grid.y2.max(), points.y.max()))]
    x = alt.X("x:Q", title="x₁", scale=alt.Scale(domain=domain, nice=False))
    y = alt.Y("y:Q", title="x₂", scale=alt.Scale(domain=range_y, nice=False))
    cells = alt.Chart(grid).mark_rect().encode(
        x=x, x2="x2:Q", y=y, y2="y2:Q",
        color=alt.Color("p:Q", title="P(class 1)", scale=alt.Scale(domain=[0, 0.5, 1], range=list(REGION_COLORS))),
        tooltip=[alt.Tooltip("p:Q", format=".2f", title="P(class 1)")],
    )
    shape = alt.Shape("split:N", scale=alt.Scale(domain=["train", "test"], range=["circle", "diamond"]),
                      legend=alt.Legend(title=None, orient="bottom", symbolFillColor=PALETTE["true"],
                                        symbolStrokeColor=PALETTE["true"]))
    dots = alt.Chart(points).mark_point(size=30, filled=True, strokeWidth=0.8).encode(
        x=x, y=y, shape=shape,
        fill=alt.Fill("label:N", scale=color_scale(CLASS_COLORS), legend=alt.Legend(title=None, orient="bottom")),
        stroke=alt.value("#333333"),
        tooltip=["label:N", "split:N", alt.Tooltip("x:Q", format=".2f"), alt.Tooltip("y:Q", format=".2f")],
    )
    return alt.layer(cells, dots).properties(title=title, width=430, height=470).resolve_scale(color="independent")


@dataclass(frozen=True)
class ExperimentView:
    """What a page shows of a finished experiment: one summary row, label and trained model per run (the
    model draws its decision boundary), Vega-Lite chart specs (see `vega_lite_spec`), and extra tables:
    "drift" and "shift" (drift experiment), "probes" (smooth)."""

    summary: pd.DataFrame
    labels: tuple[str, ...]
    models: tuple[MLP, ...]
    charts: tuple[dict, ...]
    tables: dict[str, pd.DataFrame]


def experiment_view(results: Sequence[RunResult], experiment: str) -> ExperimentView:
    """The charts and tables of `experiment` (a key of lessons.experiments.EXPERIMENTS) from its results.

    lr, init: the sweep above the loss curves, one chart. batch: accuracies, then loss curves.
    drift: pre-activation statistics, then gradient-based covariate shift. smooth: loss curves, then the
    landscape probes. A chart of probes is left out when every run diverged before its first probe.
    """
    summary = summary_frame(results)
    labels = tuple(run_label(r.spec, experiment) for r in results)
    curves, diverged = curves_frame(results), diverged_frame(results)
    tables: dict[str, pd.DataFrame] = {}
    if experiment in SWEEPS:
        varied, title = SWEEPS[experiment]
        charts = [alt.vconcat(sweep_chart(summary, varied, title),
                              loss_curves_chart(curves, diverged, facet=varied, facet_title=title))]
    elif experiment == "batch":
        charts = [batch_chart(summary), loss_curves_chart(curves, diverged, facet="batch_size",
                                                          facet_title="batch size")]
    elif experiment == "drift":
        shift = shift_frame(results)
        charts = [drift_chart(drift_frame(results))] + ([] if shift.empty else [shift_chart(shift)])
        tables["drift"] = drift_summary(results)
        tables["shift"] = shift.groupby(["method", "layer"], sort=False)[["cosine", "l2"]].median().reset_index()
    else:
        probes = probes_frame(results)
        charts = [loss_curves_chart(curves, diverged)] + ([] if probes.empty else [smoothness_chart(probes)])
        tables["probes"] = probes_summary(results)
    return ExperimentView(summary, labels, tuple(r.model for r in results), tuple(vega_lite_spec(c) for c in charts),
                          tables)
