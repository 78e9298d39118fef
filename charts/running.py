"""Charts of the Training vs Inference page: running statistics over a stream, train/eval outputs, batch size.

Each `*_frame` function turns arrays into a long DataFrame; each `*_chart` function turns lesson results into one
single (layered) view that stretches to its column, phone to projector. Colours from `charts.palette`: batch
statistics STAT["batch"], running estimates STAT["running"], the population STAT["population"] (dashed); training
vs inference mode is solid vs dashed (DASH), never a colour; features are rows, never colours.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from lessons.running import BatchSizeSpread, StreamRun

from .palette import DASH, HIGHLIGHT, REFERENCE, STAGE, STAT, TEXT, color_scale, readable, rule_at, zero_rule

MAX_POINTS = 200  # plotted steps per chart: each point is browser work on every rerun (400 -> 200: ~80 ms a rerun)
# Streamlit fits a stretched single or layered chart into its height, title, axes and legend included:
# this is roughly what those take, on top of the plotting area.
DECORATION_HEIGHT = 130
LEGEND = {"title": None, "orient": "bottom", "direction": "vertical", "labelLimit": 0}
LEGEND_ROW = 22  # px per entry of a vertical legend (12 px labels): one entry a line, so a phone column holds it
PLOT_HEIGHT = 260

# series -> (statistic family, marker): batch statistics are dots, estimates lines, the truth a dashed line.
MEAN_SERIES = {"batch μ": ("batch", "circle"), "running μ": ("running", "line"), "true μ": ("population", "line")}
VAR_SERIES = {
    "batch σ², biased (÷m)": ("batch", "circle"),
    "batch σ², unbiased (÷(m−1))": ("batch", "square"),
    "running σ², PyTorch (unbiased)": ("running", "line"),
    "moving variance, Keras 3 (biased)": ("running", "triangle"),
    "true σ²": ("population", "line"),
}
TRUTH = frozenset({"true μ", "true σ²"})  # the population: straight between its changes
SPREAD_SERIES = {"batch mean": ("batch", "circle"), "batch variance (biased)": ("batch", "square"),
                 "output of a sample at +1σ": ("output", "triangle")}


def shown_steps(steps: int, max_points: int = MAX_POINTS) -> np.ndarray:
    """Indices of at most `max_points` evenly spaced steps out of `steps` (all of them when few), shape (P,)."""
    return np.unique(np.linspace(0, steps - 1, min(steps, max_points)).round().astype(int))


def bends(values: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """The step indices of `steps` (P,) where the history `values` (S,) stops being straight, both ends included:
    a line through these points alone is the line through all P. A population that shifts once is 4 points."""
    if len(steps) <= 2:
        return steps
    y = values[steps]
    slopes = np.diff(y) / np.diff(steps)
    straight = np.isclose(slopes[1:], slopes[:-1], rtol=1e-12, atol=1e-12 * max(np.abs(y).max(), 1.0))
    return steps[np.concatenate([[True], ~straight, [True]])]


def history_frame(histories: dict[str, np.ndarray], steps: np.ndarray, lines: frozenset[str] = frozenset()
                  ) -> pd.DataFrame:
    """Long table of named per-step histories, each (S,), at the step indices `steps` (P,); the series named in
    `lines` only where they bend (each point is browser work on every redraw).

    Returns columns step, series, value. NaN values are dropped.
    """
    def rows(name: str, values: np.ndarray) -> pd.DataFrame:
        at = bends(values, steps) if name in lines else steps
        return pd.DataFrame({"step": at, "series": name, "value": values[at]})

    frame = pd.concat([rows(name, values) for name, values in histories.items()], ignore_index=True)
    return frame.dropna(subset=["value"])


def _colour(family: str) -> str:
    return STAGE["output"] if family == "output" else STAT[family]


def _history_chart(frame: pd.DataFrame, series: dict[str, tuple[str, str]], title: str, y_title: str,
                   shift_step: int | None) -> alt.LayerChart:
    names = [name for name in series if name in set(frame["series"])]
    color = alt.Color("series:N", scale=color_scale({n: _colour(series[n][0]) for n in names}), legend=LEGEND)
    shape = alt.Shape("series:N", scale=alt.Scale(domain=names, range=[
        "stroke" if series[n][1] == "line" else series[n][1] for n in names]), legend=LEGEND)

    def part(kind: str, family: str | None = None) -> pd.DataFrame:
        """The rows of the series drawn as `kind` (dots, or lines of `family`): each layer gets its own data, so
        the browser filters nothing on a redraw (its CSP-safe expression interpreter was a tenth of it)."""
        chosen = [n for n in names if (series[n][1] == "line") == (kind == "line")
                  and (family is None or series[n][0] == family)]
        return frame[frame["series"].isin(chosen)]

    def base(data: pd.DataFrame) -> alt.Chart:
        return alt.Chart(data).encode(
            x=alt.X("step:Q", title="step (one batch per step, from 0)"),
            y=alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False)),
            color=color,
            tooltip=["series:N", "step:Q", alt.Tooltip("value:Q", format=".3f")],
        )

    layers = [
        # Opaque: at 0.6 opacity the batch statistic's blue fell to 2.0:1 against the dark theme's background.
        base(part("dots")).mark_point(size=18, filled=True).encode(shape=shape),
        base(part("line", "running")).mark_line(strokeWidth=2.5),
        base(part("line", "population")).mark_line(strokeWidth=2, strokeDash=DASH["reference"]),
    ]
    if shift_step is not None:
        layers.append(rule_at(shift_step, "step", f"sudden shift at step {shift_step}", color=HIGHLIGHT,
                              strokeDash=[2, 2], strokeWidth=2))
    height = PLOT_HEIGHT + DECORATION_HEIGHT + LEGEND_ROW * len(names)
    return readable(alt.layer(*layers).properties(title=title, height=height, width="container"))


def running_charts(run: StreamRun, keras: StreamRun | None, feature: int) -> tuple[alt.LayerChart, alt.LayerChart]:
    """Feature `feature`'s means over the stream (batch, running, true) and its variances (batch biased and
    unbiased, running PyTorch and Keras 3, true): two single views, stacked by the page."""
    steps = shown_steps(run.settings.steps)
    j = feature
    means = history_frame({"batch μ": run.batch_mean[:, j], "running μ": run.running_mean[:, j],
                           "true μ": run.true_mean[:, j]}, steps, TRUTH)
    variances = {"batch σ², biased (÷m)": run.batch_var_biased[:, j],
                 "batch σ², unbiased (÷(m−1))": run.batch_var_unbiased[:, j],
                 "running σ², PyTorch (unbiased)": run.running_var[:, j], "true σ²": run.true_var[:, j]}
    if keras is not None:
        variances["moving variance, Keras 3 (biased)"] = keras.running_var[:, j]
    population = run.settings.population
    shift = population.shift_step if population.drift == "sudden" else None
    return (_history_chart(means, MEAN_SERIES, "Mean: batches, running estimate, truth",
                           "mean", shift),
            _history_chart(history_frame(variances, steps, TRUTH), VAR_SERIES,
                           "Variance: biased, unbiased, PyTorch, Keras 3", "variance", shift))


def same_sample_frame(train_outputs: np.ndarray, eval_outputs: np.ndarray, features: list[str]) -> pd.DataFrame:
    """Long table of one sample's outputs in K batches. train_outputs, eval_outputs: (K, C).

    Returns columns batch (1..K), feature, mode ("training" or "inference"), output.
    """
    frames = []
    for mode, outputs in zip(("training", "inference"), (train_outputs, eval_outputs), strict=True):
        k, c = outputs.shape
        frames.append(pd.DataFrame({"batch": np.repeat(np.arange(1, k + 1), c), "feature": np.tile(features, k),
                                    "mode": mode, "output": outputs.reshape(-1)}))
    return pd.concat(frames, ignore_index=True)


def same_sample_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """One row per feature: the same sample's output in each batch in training mode (dots, scattered) and its one
    eval-mode output (a short dashed line: the same in every batch)."""
    features = list(dict.fromkeys(frame["feature"]))
    y = alt.Y("feature:N", title=None, sort=features)
    x = alt.X("output:Q", title="output y of the same sample")
    training = alt.Chart().mark_circle(size=90, opacity=0.7, color=STAGE["output"]).encode(
        x=x, y=y, tooltip=["feature:N", "batch:Q", alt.Tooltip("output:Q", format=".4f")],
    ).transform_filter(alt.datum.mode == "training")
    # A rule across the middle of the feature's band: a tick is a filled rectangle, which no dash pattern reaches.
    inference = alt.Chart().mark_rule(strokeWidth=3, color=STAGE["output"], strokeDash=DASH["inference"]).encode(
        x=x, y=alt.Y("feature:N", title=None, sort=features, bandPosition=0.2),
        y2=alt.Y2("feature:N", bandPosition=0.8),
        tooltip=["feature:N", alt.Tooltip("output:Q", format=".4f")],
    ).transform_filter(alt.datum.mode == "inference")
    chart = alt.layer(training, inference, zero_rule("x"), data=frame).properties(
        title="The same sample in different batches",
        height=DECORATION_HEIGHT + 60 * len(features), width="container")
    return readable(chart)


def mismatch_chart(table: pd.DataFrame) -> alt.LayerChart:
    """Mean ± one standard deviation of the outputs at inference per scenario (rows) and feature (sub-rows, labelled
    at the end of each bar), against the ideal 0 ± 1 (grey band).

    table: one row per scenario and feature with columns scenario, feature, "output mean", "output std"
    (`lessons.running.mismatch_table`).
    """
    frame = pd.DataFrame({"scenario": table["scenario"], "feature": table["feature"], "mean": table["output mean"],
                          "low": table["output mean"] - table["output std"],
                          "high": table["output mean"] + table["output std"]})
    scenarios = list(dict.fromkeys(frame["scenario"]))
    features = list(dict.fromkeys(frame["feature"]))
    y = alt.Y("scenario:N", title=None, sort=scenarios, axis=alt.Axis(labelLimit=170))
    y_offset = alt.YOffset("feature:N", sort=features)
    ideal = alt.Chart(pd.DataFrame({"low": [-1.0], "high": [1.0]})).mark_rect(
        color=REFERENCE, opacity=0.15).encode(x="low:Q", x2="high:Q")
    bars = alt.Chart().mark_rule(strokeWidth=3, color=STAGE["output"]).encode(
        x=alt.X("low:Q", title="output: mean ± 1 std"),
        x2="high:Q", y=y, yOffset=y_offset)
    points = alt.Chart().mark_point(filled=True, size=80, color=STAGE["output"]).encode(
        x="mean:Q", y=y, yOffset=y_offset,
        tooltip=["scenario:N", "feature:N", alt.Tooltip("mean:Q", format=".3f"), alt.Tooltip("low:Q", format=".3f"),
                 alt.Tooltip("high:Q", format=".3f")],
    )
    labels = alt.Chart().mark_text(align="left", dx=5, fontSize=12, color=TEXT).encode(
        x="high:Q", y=y, yOffset=y_offset, text="feature:N")
    chart = alt.layer(ideal, bars, points, labels, zero_rule("x"), data=frame).properties(
        title="What the layer outputs at inference", height=DECORATION_HEIGHT + 28 * len(scenarios) * len(features),
        width="container")
    return readable(chart)


def batch_size_frame(batch_sizes: np.ndarray, spreads: dict[str, np.ndarray], reference: np.ndarray) -> pd.DataFrame:
    """Long table of spreads per batch size, plus the σ/√m reference (B,). batch_sizes and each spread: (B,).

    Returns columns batch size, series, value; values that a log axis cannot show (0, NaN) are dropped.
    """
    series = {**spreads, "σ/√m": reference}
    frame = pd.concat([pd.DataFrame({"batch size": batch_sizes, "series": name, "value": values})
                       for name, values in series.items()], ignore_index=True)
    return frame[frame["value"] > 0].reset_index(drop=True)


def batch_size_chart(spread: BatchSizeSpread, unreliable_below: int, current: int | None = None) -> alt.LayerChart:
    """Spread against batch size on log-log axes, σ/√m as a dashed reference, the small-batch regime shaded
    (batch sizes below `unreliable_below`) and the current batch size marked."""
    frame = batch_size_frame(spread.batch_sizes, {"batch mean": spread.mean_spread,
                                                  "batch variance (biased)": spread.var_spread,
                                                  "output of a sample at +1σ": spread.output_spread},
                             np.sqrt(spread.population_var / spread.batch_sizes))
    names = [*SPREAD_SERIES, "σ/√m"]
    colours = {**{n: _colour(f) for n, (f, _) in SPREAD_SERIES.items()}, "σ/√m": REFERENCE}
    x = alt.X("batch size:Q", title="batch size m (log scale)",
              scale=alt.Scale(type="log", domain=[1, 256], nice=False))
    base = alt.Chart().encode(
        x=x, y=alt.Y("value:Q", title="spread over draws (log scale)", scale=alt.Scale(type="log", nice=False,
                                                                                      padding=8)),
        color=alt.Color("series:N", scale=color_scale(colours, names), legend=LEGEND),
        tooltip=["series:N", "batch size:Q", alt.Tooltip("value:Q", format=".3f")],
    )
    shape = alt.Shape("series:N", scale=alt.Scale(domain=names, range=[s for _, s in SPREAD_SERIES.values()]
                                                  + ["stroke"]), legend=LEGEND)
    regime = pd.DataFrame({"start": [1], "end": [unreliable_below], "bottom": [frame["value"].min()],
                           "label": [f"m < {unreliable_below}"]})
    shade = alt.Chart(regime).mark_rect(color=HIGHLIGHT, opacity=0.08).encode(x="start:Q", x2="end:Q")
    label = alt.Chart(regime).mark_text(align="left", baseline="bottom", dx=6, dy=-4, color=HIGHLIGHT, fontSize=12,
                                        fontWeight="bold").encode(x="start:Q", y="bottom:Q", text="label:N")
    layers = [
        shade, label,
        base.mark_line(point=True, strokeWidth=2).encode(shape=shape).transform_filter(alt.datum.series != "σ/√m"),
        base.mark_line(strokeDash=DASH["reference"], strokeWidth=2.5).transform_filter(alt.datum.series == "σ/√m"),
    ]
    if current is not None:
        layers.append(rule_at(current, "batch size", f"your batch size: {current}", color=REFERENCE, strokeWidth=2))
    chart = alt.layer(*layers, data=frame).properties(
        title="Batch statistics stray as the batch shrinks",
        height=DECORATION_HEIGHT + PLOT_HEIGHT + 40 + LEGEND_ROW * len(names), width="container")
    return readable(chart)
