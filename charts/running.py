"""Charts of the Training vs Inference page: running statistics over a stream, train/eval outputs, batch size.

Each `*_frame` function turns arrays into a long DataFrame; each `*_chart` function turns that frame into
one Altair chart. Colours: batch statistics sky, running estimates purple, the truth grey (`PALETTE`).
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from . import FEATURE_COLORS, OKABE_ITO, PALETTE, color_scale, zero_rule

MEAN_SERIES = {
    "batch mean": PALETTE["batch"],
    "running mean": PALETTE["running"],
    "true mean": PALETTE["true"],
}
VAR_SERIES = {
    "batch var, biased (÷m)": PALETTE["batch"],
    "batch var, unbiased (÷(m−1))": OKABE_ITO["blue"],
    "running var, PyTorch (unbiased)": PALETTE["running"],
    "moving var, Keras 3 (biased)": OKABE_ITO["orange"],
    "true var": PALETTE["true"],
}
BATCH_SERIES = ("batch mean", "batch var, biased (÷m)", "batch var, unbiased (÷(m−1))")
MODE_COLORS = {"training mode (batch statistics)": PALETTE["train"], "eval mode (running statistics)": PALETTE["test"]}
SPREAD_SERIES = {
    "batch mean": PALETTE["batch"],
    "batch variance (biased)": OKABE_ITO["blue"],
    "output of a sample at +1σ": PALETTE["normalized"],
    "1/√m": PALETTE["true"],
}
MAX_POINTS = 400
# Streamlit fits a stretched single or layered chart into its height, title, axes and legend included:
# this is roughly what those take, on top of the plotting area.
DECORATION_HEIGHT = 130


def shown_steps(steps: int, max_points: int = MAX_POINTS) -> np.ndarray:
    """Indices of at most `max_points` evenly spaced steps out of `steps` (all of them when few), shape (P,)."""
    return np.unique(np.linspace(0, steps - 1, min(steps, max_points)).round().astype(int))


def history_frame(histories: dict[str, np.ndarray], steps: np.ndarray) -> pd.DataFrame:
    """Long table of named per-step histories, each (S,), at the step indices `steps` (P,).

    Returns columns step, series, value. NaN values are dropped.
    """
    frame = pd.concat(
        [pd.DataFrame({"step": steps, "series": name, "value": values[steps]})
         for name, values in histories.items()],
        ignore_index=True,
    )
    return frame.dropna(subset=["value"])


def _history_panel(frame: pd.DataFrame, series: dict[str, str], title: str, y_title: str,
                   shift_step: int | None) -> alt.LayerChart:
    color = alt.Color("series:N", scale=color_scale(series),
                      legend=alt.Legend(title=None, orient="bottom", direction="horizontal", columns=3, labelLimit=0))
    base = alt.Chart().encode(
        x=alt.X("step:Q", title="step (one batch per step, from 0)"),
        y=alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False)),
        color=color,
        tooltip=["series:N", "step:Q", alt.Tooltip("value:Q", format=".3f")],
    )
    is_batch = alt.FieldOneOfPredicate(field="series", oneOf=list(BATCH_SERIES))
    is_true = alt.FieldOneOfPredicate(field="series", oneOf=[name for name in series if name.startswith("true")])
    points = base.mark_circle(size=14, opacity=0.55).transform_filter(is_batch)
    running = base.mark_line(strokeWidth=2.5).transform_filter({"not": {"or": [is_batch, is_true]}})
    truth = base.mark_line(strokeWidth=2, strokeDash=[6, 3]).transform_filter(is_true)
    layers = [points, running, truth]
    if shift_step is not None:
        layers.append(alt.Chart().mark_rule(color=PALETTE["highlight"], strokeDash=[2, 2]).encode(
            x=alt.datum(shift_step)))
    return alt.layer(*layers, data=frame).properties(title=title, height=230, width="container")


def running_stats_chart(means: pd.DataFrame, variances: pd.DataFrame, shift_step: int | None = None,
                        ) -> alt.VConcatChart:
    """Means over the stream (batch, running, true) above variances (batch biased/unbiased, running
    PyTorch/Keras, true). Frames from `history_frame`; shift_step marks a sudden drift."""
    return alt.vconcat(
        _history_panel(means, MEAN_SERIES, "Mean: noisy batches, the smooth running estimate, the truth",
                       "mean", shift_step),
        _history_panel(variances, VAR_SERIES, "Variance: biased vs unbiased, PyTorch vs Keras 3", "variance",
                       shift_step),
    ).resolve_scale(color="independent")


def same_sample_frame(train_outputs: np.ndarray, eval_outputs: np.ndarray, features: list[str]) -> pd.DataFrame:
    """Long table of one sample's outputs in K batches. train_outputs, eval_outputs: (K, C).

    Returns columns batch (1..K), feature, mode, output.
    """
    frames = []
    for mode, outputs in zip(MODE_COLORS, (train_outputs, eval_outputs), strict=True):
        k, c = outputs.shape
        frames.append(pd.DataFrame({"batch": np.repeat(np.arange(1, k + 1), c), "feature": np.tile(features, k),
                                    "mode": mode, "output": outputs.reshape(-1)}))
    return pd.concat(frames, ignore_index=True)


def same_sample_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """One dot per batch: the same sample's output in training mode scatters, in eval mode it does not move."""
    features = list(dict.fromkeys(frame["feature"]))
    points = alt.Chart().mark_circle(size=90, opacity=0.7).encode(
        x=alt.X("output:Q", title="output y of the same sample"),
        y=alt.Y("feature:N", title=None, sort=features),
        yOffset=alt.YOffset("mode:N", sort=list(MODE_COLORS)),
        color=alt.Color("mode:N", scale=color_scale(MODE_COLORS),
                        legend=alt.Legend(title=None, orient="bottom", labelLimit=0)),
        tooltip=["feature:N", "mode:N", "batch:Q", alt.Tooltip("output:Q", format=".4f")],
    )
    return alt.layer(points, zero_rule("x"), data=frame).properties(
        title="The same sample in different batches", height=DECORATION_HEIGHT + 70 * len(features), width="container")


def mismatch_chart(table: pd.DataFrame) -> alt.LayerChart:
    """Mean ± one standard deviation of the outputs at inference per scenario, against the ideal 0 ± 1 (band).

    table: one row per scenario and feature with columns scenario, feature, "output mean", "output std"
    (`lessons.running.mismatch_table`).
    """
    frame = pd.DataFrame({"scenario": table["scenario"], "feature": table["feature"], "mean": table["output mean"],
                          "low": table["output mean"] - table["output std"],
                          "high": table["output mean"] + table["output std"]})
    scenarios = list(dict.fromkeys(frame["scenario"]))
    features = list(dict.fromkeys(frame["feature"]))
    y = alt.Y("scenario:N", title=None, sort=scenarios, axis=alt.Axis(labelLimit=320))
    y_offset = alt.YOffset("feature:N", sort=features)
    color = alt.Color("feature:N", scale=alt.Scale(domain=features, range=FEATURE_COLORS[: len(features)]),
                      legend=alt.Legend(title=None, orient="bottom"))
    ideal = alt.Chart(pd.DataFrame({"low": [-1.0], "high": [1.0]})).mark_rect(
        color=PALETTE["true"], opacity=0.15).encode(x="low:Q", x2="high:Q")
    bars = alt.Chart().mark_rule(strokeWidth=3).encode(
        x=alt.X("low:Q", title="output y at inference: mean ± 1 standard deviation (ideal: 0 ± 1, grey band)"),
        x2="high:Q", y=y, yOffset=y_offset, color=color)
    points = alt.Chart().mark_point(filled=True, size=90).encode(
        x="mean:Q", y=y, yOffset=y_offset, color=color,
        tooltip=["scenario:N", "feature:N", alt.Tooltip("mean:Q", format=".3f"), alt.Tooltip("low:Q", format=".3f"),
                 alt.Tooltip("high:Q", format=".3f")],
    )
    return alt.layer(ideal, bars, points, zero_rule("x"), data=frame).properties(
        title="What the layer outputs at inference", height=DECORATION_HEIGHT + 30 * len(scenarios) * len(features),
        width="container")


def batch_size_frame(batch_sizes: np.ndarray, spreads: dict[str, np.ndarray]) -> pd.DataFrame:
    """Long table of spreads per batch size, plus the 1/√m reference. batch_sizes and each spread: (B,).

    Returns columns batch_size, series, value; values that a log axis cannot show (0, NaN) are dropped.
    """
    series = {**spreads, "1/√m": 1 / np.sqrt(batch_sizes)}
    frame = pd.concat([pd.DataFrame({"batch_size": batch_sizes, "series": name, "value": values})
                       for name, values in series.items()], ignore_index=True)
    return frame[frame["value"] > 0].reset_index(drop=True)


def batch_size_chart(frame: pd.DataFrame, unreliable_below: int, current: int | None = None) -> alt.LayerChart:
    """Spread against batch size on log-log axes, 1/√m as a dashed reference, the unreliable regime shaded
    (batch sizes below `unreliable_below`) and the current batch size marked."""
    x = alt.X("batch_size:Q", title="batch size m (log scale)",
              scale=alt.Scale(type="log", domain=[1, 256], nice=False))
    color = alt.Color("series:N", scale=color_scale(SPREAD_SERIES),
                      legend=alt.Legend(title=None, orient="bottom", labelLimit=0))
    base = alt.Chart().encode(
        x=x, y=alt.Y("value:Q", title="spread over draws (population std = 1, log scale)",
                     scale=alt.Scale(type="log", nice=False, padding=8)),
        color=color, tooltip=["series:N", "batch_size:Q", alt.Tooltip("value:Q", format=".3f")],
    )
    regime = pd.DataFrame({"start": [1], "end": [unreliable_below], "bottom": [frame["value"].min()],
                           "label": [f"m < {unreliable_below}: unreliable statistics"]})
    shade = alt.Chart(regime).mark_rect(color=PALETTE["highlight"], opacity=0.08).encode(x="start:Q", x2="end:Q")
    label = alt.Chart(regime).mark_text(align="left", baseline="bottom", dx=6, dy=-4, color=PALETTE["highlight"],
                                        fontWeight="bold").encode(x="start:Q", y="bottom:Q", text="label:N")
    layers = [
        shade, label,
        base.mark_line(point=True, strokeWidth=2).transform_filter(alt.datum.series != "1/√m"),
        base.mark_line(strokeDash=[6, 4], strokeWidth=2.5).transform_filter(alt.datum.series == "1/√m"),
    ]
    if current is not None:
        layers.append(alt.Chart().mark_rule(color=PALETTE["running"], strokeDash=[2, 2]).encode(
            x=alt.datum(current), tooltip=alt.value(f"your batch size: {current}")))
    return alt.layer(*layers, data=frame).properties(
        title="Batch statistics stray from the population as the batch shrinks", height=DECORATION_HEIGHT + 300,
        width="container")
