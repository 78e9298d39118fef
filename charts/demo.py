"""The Demo page's distribution chart: every feature's values at the three stages of the layer.

Three panels side by side (input x, normalized x̂, output y), one row per feature. Each panel has its own
x-scale shared by all features, so the input shows each feature at its own location and spread, the
normalized panel stacks them all on the zero line with unit spread, and the output panel shows where γ and
β moved them. Ticks are the samples; a diamond marks the mean and a bar spans mean ± 1σ.

Building an Altair chart costs tens of milliseconds, so the chart is split in two: `distribution_chart`
depends only on the number of features and reads its data from named datasets, which
`distribution_datasets` computes for each batch. A page builds the chart once per shape and swaps the data.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from . import PALETTE, zero_rule

STAGES = ("input", "normalized", "output")
VALUES, SUMMARY, ZERO = "demo_values", "demo_summary", "demo_zero"
PANEL_WIDTH = 250
ROW_HEIGHT = 34


def output_labels(names: list[str], gamma, beta) -> list[str]:
    """Row labels of the output panel: each feature with its γ and β."""
    return [f"{name}  γ={g:.3g}, β={b:.3g}" for name, g, b in zip(names, gamma, beta, strict=True)]


def _row_labels(stage: str, names: list[str], gamma, beta) -> list[str]:
    return output_labels(names, gamma, beta) if stage == "output" else list(names)


def distribution_datasets(x: np.ndarray, xhat: np.ndarray, y: np.ndarray, names: list[str], gamma, beta
                          ) -> dict[str, pd.DataFrame]:
    """The datasets `distribution_chart` draws. x, xhat, y: (N, F); names: F labels; gamma, beta: (F,).

    demo_values:  one row per stage, sample and feature: stage, order (feature index), label, sample, value,
                  alpha (tick opacity: fainter for bigger batches).
    demo_summary: one row per stage and feature: stage, order, label, mean, sigma (biased, over the batch),
                  lo = mean − sigma, hi = mean + sigma.
    demo_zero:    a single row, for the zero line to be drawn once.
    Non-finite values (a division by zero) are left out: there is nothing to draw for them.
    """
    n, f = x.shape
    stages = (x, xhat, y)
    labels = [_row_labels(stage, names, gamma, beta) for stage in STAGES]
    values = np.stack(stages).reshape(-1)
    with np.errstate(invalid="ignore"):
        mean = np.stack([v.mean(axis=0) for v in stages]).reshape(-1)
        sigma = np.stack([v.std(axis=0) for v in stages]).reshape(-1)
    samples = pd.DataFrame({
        "stage": np.repeat(STAGES, n * f), "order": np.tile(np.arange(f), 3 * n),
        "label": np.concatenate([np.tile(stage_labels, n) for stage_labels in labels]),
        "sample": np.tile(np.repeat(np.arange(n), f), 3), "value": values,
        "alpha": float(np.clip(6 / np.sqrt(n), 0.25, 0.9)),
    })
    summary = pd.DataFrame({
        "stage": np.repeat(STAGES, f), "order": np.tile(np.arange(f), 3), "label": np.concatenate(labels),
        "mean": mean, "sigma": sigma, "lo": mean - sigma, "hi": mean + sigma,
    })
    return {VALUES: samples[np.isfinite(values)], SUMMARY: summary[np.isfinite(mean) & np.isfinite(sigma)],
            ZERO: pd.DataFrame({"zero": [0.0]})}


def _panel(stage: str, title: str, num_features: int) -> alt.LayerChart:
    color = PALETTE[stage]
    on_stage = alt.datum.stage == stage
    row = alt.Y("label:N", sort=alt.EncodingSortField("order", op="min"), title=None,
                axis=alt.Axis(labelLimit=220, labelFontSize=12))
    ticks = alt.Chart(alt.NamedData(VALUES)).transform_filter(on_stage).mark_tick(
        color=color, thickness=2, size=ROW_HEIGHT * 0.5, yOffset=-ROW_HEIGHT * 0.08,
    ).encode(
        x=alt.X("value:Q", title=None, scale=alt.Scale(zero=False, nice=True)),
        y=row,
        opacity=alt.Opacity("alpha:Q", scale=None),
        tooltip=[alt.Tooltip("label:N", title="feature"), "sample:Q", alt.Tooltip("value:Q", format=".3f")],
    )
    stats = alt.Chart(alt.NamedData(SUMMARY)).transform_filter(on_stage).encode(
        y=row,
        tooltip=[alt.Tooltip("label:N", title="feature"), alt.Tooltip("mean:Q", format=".3f"),
                 alt.Tooltip("sigma:Q", title="σ", format=".3f")],
    )
    below = ROW_HEIGHT * 0.42
    spread = stats.mark_rule(color=color, strokeWidth=3, opacity=0.7, yOffset=below).encode(x="lo:Q", x2="hi:Q")
    mean = stats.mark_point(shape="diamond", filled=True, size=70, color=color, stroke="white", strokeWidth=1,
                            opacity=1, yOffset=below).encode(x="mean:Q")
    layers = [ticks, spread, mean]
    if stage == "normalized":
        layers.insert(0, zero_rule("x").properties(data=alt.NamedData(ZERO)))
    return alt.layer(*layers).properties(title=title, width=PANEL_WIDTH, height=ROW_HEIGHT * num_features)


def distribution_chart(num_features: int, normalized_subtitle: str = "zero mean, unit variance") -> alt.HConcatChart:
    """Three panels (input, normalized, output) with one row per feature, drawn from the named datasets of
    `distribution_datasets`. The normalized panel carries the vermillion zero line."""
    titles = {
        "input": "Input x · original data",
        "normalized": f"Normalized x̂ · {normalized_subtitle}",
        "output": "Output y = γ·x̂ + β",
    }
    panels = [_panel(stage, titles[stage], num_features) for stage in STAGES]
    return alt.hconcat(*panels, spacing=24).resolve_scale(x="independent", y="independent")
