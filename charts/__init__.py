"""Altair chart builders: pure functions from lesson objects to charts. Colours, dashes and text sizes come from
`charts.palette`; `charts.spec.vega_lite_spec` turns a chart into the cached spec pages render.

The names below are the older palette, kept only until every builder uses `charts.palette`.
"""

from __future__ import annotations

import altair as alt

OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "grey": "#999999",
}

# An eighth colour-blind-safe hue (Paul Tol's wine) where Okabe-Ito's yellow is too faint on white.
WINE = "#882255"

# Roles: what a colour means, wherever it appears.
PALETTE = {
    "input": OKABE_ITO["blue"],
    "normalized": OKABE_ITO["green"],
    "output": OKABE_ITO["orange"],
    "zero": OKABE_ITO["vermillion"],
    "highlight": OKABE_ITO["vermillion"],
    "batch": OKABE_ITO["sky"],
    "running": OKABE_ITO["purple"],
    "true": OKABE_ITO["grey"],
    "train": OKABE_ITO["blue"],
    "test": OKABE_ITO["orange"],
}

# Features F0, F1, ... in order, wherever features are coloured.
# Vermillion is left out: it is the zero line's colour.
FEATURE_COLORS = [OKABE_ITO[name] for name in ("blue", "orange", "green", "purple", "sky", "grey")]
FEATURE_COLORS += [WINE, OKABE_ITO["yellow"]]

# One colour per method, the same on every page.
METHOD_COLORS = {
    "No norm": OKABE_ITO["grey"],
    "BatchNorm": OKABE_ITO["blue"],
    "LayerNorm": OKABE_ITO["orange"],
    "InstanceNorm": OKABE_ITO["purple"],
    "GroupNorm": OKABE_ITO["green"],
    "RMSNorm": OKABE_ITO["sky"],
    "Batch Renorm": OKABE_ITO["vermillion"],
    "Ghost BN": WINE,
}


def color_scale(mapping: dict[str, str]) -> alt.Scale:
    """An Altair colour scale that maps each name in `mapping` to its colour, in that order."""
    return alt.Scale(domain=list(mapping), range=list(mapping.values()))


def zero_rule(axis: str = "x") -> alt.Chart:
    """A vermillion line at 0 on `axis` ("x" or "y"): the reference every normalized plot carries."""
    encoding = {axis: alt.datum(0)}
    return alt.Chart().mark_rule(color=PALETTE["zero"], strokeWidth=2).encode(**encoding)
