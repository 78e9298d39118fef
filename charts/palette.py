"""The lab's one visual language: which colour, dash and size means what, on every page.

Colours are Okabe & Ito's colour-blind-safe hues, darkened where needed so that every mark has at least 3:1
contrast (WCAG 2.1, non-text contrast) against both Streamlit backgrounds: white (light theme) and #0E1117 (dark
theme). That leaves a band of relative luminance of about 0.12–0.30, so orange, sky blue, reddish purple, yellow and
grey are deeper than the textbook swatches; `tests/charts/test_palette.py` checks every colour in both themes.

Rules the chart builders follow:
- A colour names one thing within its family, and the family says what it is: a **stage** of the layer (input,
  x̂, output), a **normalization kind** (none, Batch, Layer, ...), or a **statistic** (batch, running). A page never
  shows two families with the same hue in one view.
- Secondary distinctions are never a colour: **train/test** and **training/inference mode** are solid/dashed
  lines (`DASH`), seeds are a band around the median (`BAND_OPACITY`), features are facets or rows.
- The zero line and other guides are `REFERENCE`, dashed grey: a guide, not data.
- Text in charts is at least `MIN_FONT_SIZE` px, so a projected chart is readable from the back of a room.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

BACKGROUNDS = {"light": "#FFFFFF", "dark": "#0E1117"}

HUES = {
    "blue": "#0072B2",
    "ochre": "#A57200",  # Okabe-Ito orange #E69F00, deepened for white backgrounds
    "green": "#009E73",
    "vermillion": "#D55E00",
    "purple": "#BF5791",  # Okabe-Ito reddish purple #CC79A7, deepened
    "olive": "#867D0B",  # Okabe-Ito yellow #F0E442, deepened: yellow itself is 1.3:1 on white
    "grey": "#7B7B7B",
}

# Stages of one batch-normalization layer.
STAGE = {"input": HUES["blue"], "normalized": HUES["green"], "output": HUES["ochre"]}
STAGE_LABELS = {"input": "Input x", "normalized": "Normalized x̂", "output": "Output y"}

# Normalization kinds. The BatchNorm variants a page compares with BatchNorm (`BATCHNORM_VARIANTS`) share vermillion:
# each view shows at most one of them, beside BatchNorm's blue.
NORM = {
    "No norm": HUES["grey"],
    "BatchNorm": HUES["blue"],
    "LayerNorm": HUES["ochre"],
    "GroupNorm": HUES["green"],
    "InstanceNorm": HUES["purple"],
    "RMSNorm": HUES["olive"],
    "Batch Renorm": HUES["vermillion"],
    "Ghost BN": HUES["vermillion"],
    "BatchNorm + noise": HUES["vermillion"],
    "Residual + BatchNorm": HUES["vermillion"],
    "BatchNorm + weight decay": HUES["vermillion"],
}
BATCHNORM_VARIANTS = ("Batch Renorm", "Ghost BN", "BatchNorm + noise", "Residual + BatchNorm",
                      "BatchNorm + weight decay")

# Statistics a layer keeps or sees.
STAT = {"batch": HUES["blue"], "running": HUES["purple"], "population": HUES["grey"]}

REFERENCE = HUES["grey"]
# Words the lab's own text marks draw: Vega's default is black, unreadable on the dark theme; grey is > 4:1 on both.
TEXT = HUES["grey"]
HIGHLIGHT = HUES["vermillion"]

# strokeDash patterns: solid for the thing itself, dashed for its counterpart.
DASH = {"train": [1, 0], "test": [6, 4], "training": [1, 0], "inference": [6, 4], "reference": [4, 4]}
BAND_OPACITY = 0.25
MIN_FONT_SIZE = 12


def color_scale(mapping: dict[str, str], names: list[str] | None = None) -> alt.Scale:
    """An Altair colour scale mapping each of `names` (default: all of `mapping`) to its colour, in that order."""
    names = list(mapping) if names is None else list(names)
    return alt.Scale(domain=names, range=[mapping[name] for name in names])


def dash_scale(names: list[str]) -> alt.Scale:
    """An Altair strokeDash scale for train/test or training/inference names."""
    return alt.Scale(domain=list(names), range=[DASH[name.lower()] for name in names])


def zero_rule(axis: str = "x") -> alt.Chart:
    """The dashed reference line at 0 on `axis` ("x" or "y") that every normalized plot carries.

    It has a one-row dataset of its own: drawn from the layer's data it would be drawn once per row, one line on top
    of another (thousands on Variants' strips)."""
    line = alt.Chart(alt.Data(values=[{}])).mark_rule(color=REFERENCE, strokeDash=DASH["reference"], strokeWidth=1.5)
    return line.encode(**{axis: alt.datum(0)})


def rule_at(value: float, field: str, label: str | None = None, **style) -> alt.Chart:
    """A vertical rule at `value` of the x field `field`, with `label` as its tooltip if given.

    The value travels as a one-row dataset, not as a constant of the spec: when a control moves it, the browser
    swaps the new data into the live chart instead of compiling and embedding a new spec."""
    row, encoding = {field: [value]}, {"x": f"{field}:Q"}
    if label is not None:
        row["label"], encoding["tooltip"] = [label], "label:N"
    return alt.Chart(pd.DataFrame(row)).mark_rule(**style).encode(**encoding)


def readable(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Apply the lab's text sizes (≥ MIN_FONT_SIZE px) to a top-level chart."""
    size = MIN_FONT_SIZE
    return chart.configure_axis(labelFontSize=size, titleFontSize=size + 1).configure_legend(
        labelFontSize=size, titleFontSize=size + 1
    ).configure_header(labelFontSize=size + 1, titleFontSize=size + 1).configure_title(fontSize=size + 2)
