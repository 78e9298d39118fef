"""The Formula page's pictures: the forward pass as a graph (Graphviz DOT) and a conv feature map as grids.

Colours from `charts.palette`: the input, x̂ and output nodes in their STAGE colours, the batch statistics in STAT's
batch colour (so are the cells that share one channel's statistics), everything else neutral.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from lessons.walkthrough import BackwardWalk

from .palette import HIGHLIGHT, STAGE, STAT, readable

NEUTRAL = "#DDDDDD"  # light grey: cells outside the picked channel and the constants, black text in either theme
CELL = 32  # px per cell: three 3 × 3 grids (304 px with their gaps) fit a 358 px phone column


def graph_dot(walk: BackwardWalk, beta: float) -> str:
    """The forward pass as a Graphviz DOT digraph: x → batch μ, σ² → x̂ → y → L, with ε, γ and β feeding in.

    Nodes carry their values (γ and β also their gradients), rounded to 4 significant digits.
    """

    def r(value: float) -> str:
        return f"{value:.4g}".replace("-", "−")

    nodes = {
        "x": (f"x ({walk.m} values)", "ellipse", STAGE["input"], "white"),
        "mu": (f"batch μ = {r(walk.mean)}", "ellipse", STAT["batch"], "white"),
        "var": (f"batch σ² = {r(walk.var)}", "ellipse", STAT["batch"], "white"),
        "eps": (f"ε = {r(walk.eps)}", "box", NEUTRAL, "black"),
        "xhat": ("x̂ (normalized)", "ellipse", STAGE["normalized"], "white"),
        "gamma": (f"γ = {r(walk.gamma)}\\n∂L/∂γ = {r(walk.dgamma)}", "box", NEUTRAL, "black"),
        "beta": (f"β = {r(beta)}\\n∂L/∂β = {r(walk.dbeta)}", "box", NEUTRAL, "black"),
        "y": ("y = γx̂ + β", "ellipse", STAGE["output"], "white"),
        "loss": (f"L = {r(walk.loss)}", "doubleoctagon", NEUTRAL, "black"),
    }
    edges = [("x", "mu"), ("x", "var"), ("mu", "var"), ("x", "xhat"), ("mu", "xhat"), ("var", "xhat"),
             ("eps", "xhat"), ("xhat", "y"), ("gamma", "y"), ("beta", "y"), ("y", "loss")]
    lines = ["digraph batchnorm {", "  rankdir=TB; ranksep=0.3; nodesep=0.3;",
             '  node [style=filled, fontname="Helvetica", fontsize=16, margin="0.08,0.04"];']
    lines += [f'  {name} [label="{label}", shape={shape}, fillcolor="{fill}", fontcolor={font}];'
              for name, (label, shape, fill, font) in nodes.items()]
    lines += [f"  {a} -> {b};" for a, b in edges]
    return "\n".join([*lines, "}"])


def feature_map_frame(values: np.ndarray, channel: int) -> pd.DataFrame:
    """Long table of a (N, C, H, W) tensor: panel ("s1 · channel 0": sample from 1, channel from 0), sample,
    channel, row, col (1-based), value, shared (True for the N·H·W cells of `channel`: they share its statistics)."""
    index = np.indices(values.shape).reshape(4, -1)
    return pd.DataFrame({
        "panel": [f"s{n + 1} · channel {c}" for n, c in zip(index[0], index[1], strict=True)],
        "sample": index[0] + 1,
        "channel": [f"channel {k}" for k in index[1]],
        "row": index[2] + 1,
        "col": index[3] + 1,
        "value": values.reshape(-1),
        "shared": index[1] == channel,
    })


def feature_map_chart(values: np.ndarray, channel: int, *, value_format: str = ".1f") -> alt.FacetChart:
    """A (N, C, H, W) tensor as one grid per sample and channel, wrapped C to a line (samples down, channels across),
    every value written in its cell; the cells of `channel` are filled and outlined, the rest grey."""
    data = feature_map_frame(values, channel)
    n, c, h, w = values.shape
    base = alt.Chart().encode(
        x=alt.X("col:O", axis=None),
        y=alt.Y("row:O", axis=None),
        tooltip=["sample", "channel", "row", "col", alt.Tooltip("value:Q", format=value_format)],
    )
    fill = alt.condition("datum.shared", alt.value(STAT["batch"]), alt.value(NEUTRAL))
    stroke = alt.condition("datum.shared", alt.value(HIGHLIGHT), alt.value("white"))
    rects = base.mark_rect().encode(fill=fill, stroke=stroke, strokeWidth=alt.value(2))
    text = base.mark_text(fontSize=12).encode(
        text=alt.Text("value:Q", format=value_format),
        color=alt.condition("datum.shared", alt.value("white"), alt.value("black")),
    )
    panels = list(dict.fromkeys(data["panel"]))
    chart = alt.layer(rects, text, data=data).properties(width=w * CELL, height=h * CELL).facet(
        facet=alt.Facet("panel:N", sort=panels, title=None, header=alt.Header(labelFontSize=12)),
        columns=c, spacing=8,
    )
    return readable(chart)
