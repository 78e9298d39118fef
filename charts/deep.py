"""Charts of the Deep networks page: every one a single view (so it fits any width), seeds as a band."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from lessons.health import DEPTHS

from .palette import BAND_OPACITY, DASH, NORM, REFERENCE, color_scale, readable

HEIGHT = 300


def _legend() -> alt.Legend:
    """Above the chart, in two columns so that three names fit a phone; swatches opaque, not the band's shade."""
    return alt.Legend(title=None, orient="top", columns=2, symbolOpacity=1, symbolStrokeWidth=3, labelLimit=0)


def _axis_title(title: str, integer: bool = False) -> alt.Axis:
    extra = {"format": "d", "tickMinStep": 1} if integer else {}
    return alt.Axis(title=title, labelFontSize=12, titleFontSize=13, **extra)


def band_chart(frame: pd.DataFrame, *, x: str, x_title: str, y_title: str, series: str, log: bool = False) -> alt.Chart:
    """Median line with a min–max band per `series` (a NORM name), from columns median, low, high."""
    names = [name for name in NORM if name in set(frame[series])]
    colour = alt.Color(f"{series}:N", scale=color_scale(NORM, names), legend=_legend())
    y_scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    integer = pd.api.types.is_integer_dtype(frame[x])
    base = alt.Chart(frame).encode(x=alt.X(f"{x}:Q", axis=_axis_title(x_title, integer)), color=colour)
    layers = [
        base.mark_area(opacity=BAND_OPACITY).encode(y=alt.Y("low:Q", scale=y_scale, axis=_axis_title(y_title)),
                                                    y2="high:Q"),
        base.mark_line(strokeWidth=2.5).encode(y="median:Q",
                                               tooltip=[series, x, alt.Tooltip("median:Q", format=".3g")]),
    ]
    return readable(alt.layer(*layers).properties(height=HEIGHT, width="container"))


def ridgeline(histograms: pd.DataFrame, norm_name: str, x_title: str) -> alt.Chart:
    """One layer's density per row (layer 1, nearest the input, at the bottom), in the norm's colour.

    Nothing in the spec depends on the depth (the y scale spans the data, 1 to the top ridge; a tick per layer), so
    a new depth swaps the data into the live chart instead of embedding a new one."""
    frame = histograms.copy()
    peak = frame.groupby("layer")["density"].transform("max").replace(0, np.nan)
    frame["base"] = frame["layer"].astype(float)
    frame["top"] = frame["base"] + 0.9 * (frame["density"] / peak).fillna(0.0)
    colour = NORM[norm_name]
    return readable(alt.Chart(frame).mark_area(color=colour, opacity=0.75, line={"color": colour}).encode(
        x=alt.X("value:Q", axis=_axis_title(x_title)),
        y=alt.Y("top:Q", scale=alt.Scale(zero=False, nice=False),
                axis=alt.Axis(title="layer", tickMinStep=1, tickCount=max(DEPTHS), format="d", labelOverlap=False,
                              labelFontSize=12, titleFontSize=13)),
        y2="base:Q", detail="layer:O",
    ).properties(height=HEIGHT, width="container", title=norm_name))


def update_ratio_chart(ratios: pd.DataFrame) -> alt.Chart:
    """log10 update:data ratio over steps: one line per Linear layer, coloured by norm; Karpathy's −3 guide."""
    names = [name for name in NORM if name in set(ratios["norm name"])]
    lines = alt.Chart(ratios).mark_line(strokeWidth=1.5, opacity=0.8).encode(
        x=alt.X("step:Q", axis=_axis_title("training step")),
        y=alt.Y("median:Q", scale=alt.Scale(zero=False), axis=_axis_title("log₁₀ update : data")),
        color=alt.Color("norm name:N", scale=color_scale(NORM, names), legend=_legend()),
        detail="layer:O", tooltip=["norm name", "layer", "step", alt.Tooltip("median:Q", format=".2f")],
    )
    guide = alt.Chart().mark_rule(color=REFERENCE, strokeDash=DASH["reference"], strokeWidth=2).encode(
        y=alt.datum(-3.0))
    return readable(alt.layer(lines, guide).properties(height=HEIGHT, width="container"))
