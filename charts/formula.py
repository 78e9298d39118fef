"""The Formula page's pictures and tables: the forward pass as a graph (Graphviz DOT), a conv feature map as grids,
and the per-sample tables of each pass. Tables are DataFrames with one row per sample, i counted from 1."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from lessons.walkthrough import BackwardWalk, ConvWalk, epsilon_sweep, forward_column

from . import OKABE_ITO, PALETTE

OTHER_CELL = "#DDDDDD"  # light grey: cells outside the picked channel, readable with black text in either theme


def graph_dot(walk: BackwardWalk, beta: float) -> str:
    """The forward pass as a Graphviz DOT digraph: x → μ_B, σ²_B → x̂ → y → L, with ε, γ and β feeding in.

    Nodes carry their values (γ and β also their gradients), rounded to 4 significant digits.
    """

    def r(value: float) -> str:
        return f"{value:.4g}"

    nodes = {
        "x": (f"x ({walk.m} values)", "ellipse", PALETTE["input"], "white"),
        "mu": (f"μ_B = {r(walk.mean)}", "ellipse", PALETTE["batch"], "black"),
        "var": (f"σ²_B = {r(walk.var)}", "ellipse", PALETTE["batch"], "black"),
        "eps": (f"ε = {r(walk.eps)}", "box", OTHER_CELL, "black"),
        "xhat": ("x̂ (normalized)", "ellipse", PALETTE["normalized"], "white"),
        "gamma": (f"γ = {r(walk.gamma)}\\n∂L/∂γ = {r(walk.dgamma)}", "box", OKABE_ITO["yellow"], "black"),
        "beta": (f"β = {r(beta)}\\n∂L/∂β = {r(walk.dbeta)}", "box", OKABE_ITO["yellow"], "black"),
        "y": ("y = γx̂ + β", "ellipse", PALETTE["output"], "black"),
        "loss": (f"L = {r(walk.loss)}", "doubleoctagon", OTHER_CELL, "black"),
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
    """Long table of a (N, C, H, W) tensor: sample, channel, row, col (all 1-based labels), value, shared.

    shared is True for the N·H·W cells of `channel`: the values that share its statistics.
    """
    n, c, h, w = values.shape
    index = np.indices(values.shape).reshape(4, -1)
    return pd.DataFrame({
        "sample": [f"sample {k + 1}" for k in index[0]],
        "channel": [f"channel {k}" for k in index[1]],
        "row": index[2] + 1,
        "col": index[3] + 1,
        "value": values.reshape(-1),
        "shared": index[1] == channel,
    })


def feature_map_chart(values: np.ndarray, channel: int, *, value_format: str = ".1f") -> alt.FacetChart:
    """A (N, C, H, W) tensor as one grid per sample (rows) and channel (columns), with every value written in its
    cell; the cells of `channel` are filled and outlined, the rest grey. One faceted chart."""
    data = feature_map_frame(values, channel)
    n, c, h, w = values.shape
    cell = 34
    base = alt.Chart().encode(
        x=alt.X("col:O", axis=None),
        y=alt.Y("row:O", axis=None),
        tooltip=["sample", "channel", "row", "col", alt.Tooltip("value:Q", format=value_format)],
    )
    fill = alt.condition("datum.shared", alt.value(PALETTE["batch"]), alt.value(OTHER_CELL))
    stroke = alt.condition("datum.shared", alt.value(PALETTE["highlight"]), alt.value("white"))
    rects = base.mark_rect().encode(fill=fill, stroke=stroke, strokeWidth=alt.value(2))
    text = base.mark_text(fontSize=12, color="black").encode(text=alt.Text("value:Q", format=value_format))
    samples = [f"sample {k + 1}" for k in range(n)]
    channels = [f"channel {k}" for k in range(c)]
    return alt.layer(rects, text, data=data).properties(width=w * cell, height=h * cell).facet(
        row=alt.Row("sample:N", sort=samples, title=None, header=alt.Header(labelFontSize=12)),
        column=alt.Column("channel:N", sort=channels, title=None, header=alt.Header(labelFontSize=12)),
    )


def subscript(k: int) -> str:
    """k in Unicode subscript digits, for column headers: 12 -> ₁₂."""
    return str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _samples(m: int) -> np.ndarray:
    return np.arange(1, m + 1)


def forward_frame(x_col: np.ndarray, gamma: float, beta: float, eps: float) -> pd.DataFrame:
    """One feature through the forward pass: i, xᵢ, xᵢ − μ_B, x̂ᵢ, yᵢ. x_col: (m,)."""
    y, cache = forward_column(x_col, gamma, beta, eps)
    x = np.asarray(x_col, dtype=np.float64)
    return pd.DataFrame({"i": _samples(x.size), "xᵢ": x, "xᵢ − μ_B": x - cache.mean.item(),
                         "x̂ᵢ": cache.xhat[:, 0], "yᵢ": y})


def epsilon_frame(x_col: np.ndarray, i: int, eps_values, eps_labels, current_eps: float) -> pd.DataFrame:
    """One feature normalized with each ε: ε (its label), √(σ²_B + ε), x̂ of sample i (0-based), std of x̂, and a
    marker on the row of `current_eps`."""
    scale, xhat, spread = epsilon_sweep(x_col, eps_values)
    return pd.DataFrame({
        "ε": list(eps_labels), "√(σ²_B + ε)": scale, f"x̂{subscript(i + 1)}": xhat[:, i], "std of x̂": spread,
        "current": ["◀ ε now" if eps == current_eps else "" for eps in eps_values],
    })


def upstream_frame(walk: BackwardWalk) -> pd.DataFrame:
    """The loss's gradient arriving at the layer: i, yᵢ, dyᵢ."""
    return pd.DataFrame({"i": _samples(walk.m), "yᵢ": walk.y, "dyᵢ": walk.dy})


def dx_terms_frame(walk: BackwardWalk) -> pd.DataFrame:
    """The input gradient and its three terms: i, x̂ᵢ, gᵢ, −mean(g), −x̂ᵢ·mean(g·x̂), ∂L/∂xᵢ."""
    return pd.DataFrame({"i": _samples(walk.m), "x̂ᵢ": walk.xhat, "gᵢ": walk.g, "−mean(g)": walk.through_mean,
                         "−x̂ᵢ·mean(g·x̂)": walk.through_var, "∂L/∂xᵢ": walk.dx})


def channel_frame(walk: ConvWalk) -> pd.DataFrame:
    """Per-channel statistics and parameters: channel, μ_c, σ²_c, γ_c, β_c, values M (= N·H·W)."""
    return pd.DataFrame({"channel": np.arange(walk.mean.size), "μ_c": walk.mean, "σ²_c": walk.var,
                         "γ_c": walk.gamma, "β_c": walk.beta, "values M": walk.values_per_channel})
