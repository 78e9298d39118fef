"""Charts of the Variants page: which values share statistics, outputs per variant, batch-size sensitivity,
Batch Renorm's train/inference gap and Ghost BN's noise. Pure functions from arrays to Altair charts."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from lessons.variants import VARIANTS, sharing_mask

from . import METHOD_COLORS, OKABE_ITO, PALETTE, color_scale, zero_rule

SELECTION = "cell"  # name of the chart's click selection; its points carry fields n, c and s
ROLES = ("selected cell", "shares its statistics", "other values")
SAMPLE_COLORS = [OKABE_ITO[k] for k in ("blue", "orange", "green", "purple", "sky", "vermillion", "grey", "yellow")]


def sharing_frame(shape: tuple[int, int, int], num_groups: int, cell: tuple[int, int, int]) -> pd.DataFrame:
    """One row per (variant, n, c, s) of an (N, C, S) tensor, laid out as a grid.

    Columns: variant, n, c, s; x and x_end (the value's column: channel c's block of S cells, one empty column
    between blocks); role (one of ROLES: whether the value shares its statistics with `cell`); alpha (opacity:
    other values alternate between two shades by statistic, so every set stays visible); outline (stroke
    width, drawn around the selected cell only).
    """
    _, c, s = shape
    grid_n, grid_c, grid_s = (a.reshape(-1) for a in np.indices(shape))
    x = grid_c * (s + 1) + grid_s
    selected = np.ravel_multi_index(cell, shape)
    frames = []
    for variant in VARIANTS:
        shares = sharing_mask(variant, shape, num_groups, cell).reshape(-1)
        role = np.where(shares, ROLES[1], ROLES[2])
        role[selected] = ROLES[0]
        alpha = np.where(shares, 0.75, np.where(_set_parity(variant, grid_n, grid_c, c, num_groups), 0.32, 0.14))
        alpha[selected] = 1.0
        outline = np.zeros(x.size)
        outline[selected] = 3.0
        frames.append(pd.DataFrame({"variant": variant, "n": grid_n, "c": grid_c, "s": grid_s, "x": x,
                                    "x_end": x + 0.92, "role": role, "alpha": alpha, "outline": outline}))
    return pd.concat(frames, ignore_index=True)


def _set_parity(variant: str, n: np.ndarray, c: np.ndarray, num_channels: int, num_groups: int) -> np.ndarray:
    """Alternating shade of each value's statistic set, so that neighbouring sets differ."""
    if variant == "BatchNorm":
        return c % 2 == 0
    if variant == "InstanceNorm":
        return (n + c) % 2 == 0
    if variant == "GroupNorm":
        return (n + c // (num_channels // num_groups)) % 2 == 0
    return n % 2 == 0


def sharing_chart(frame: pd.DataFrame, shape: tuple[int, int, int], titles: dict[str, str]) -> alt.FacetChart:
    """Wu & He's figure as five grids, one per variant: rows are samples n, each channel a block of its S
    spatial positions. The values that share the selected cell's statistics are vermillion, the cell itself
    is outlined in yellow (visible on the vermillion fill in light and dark themes). Clicking a cell fills the
    point selection `SELECTION` with its (n, c, s).

    frame: `sharing_frame`; titles: variant -> panel title.
    """
    _, c, s = shape
    columns = c * (s + 1) - 1
    step = int(np.clip(820 // columns, 4, 30))
    centres = [k * (s + 1) + (s - 0.08) / 2 for k in range(c)]
    x = alt.X("x:Q", scale=alt.Scale(domain=[0, columns], nice=False, zero=False),
              axis=alt.Axis(values=centres, labelExpr=f"'c' + floor(datum.value / {s + 1})", grid=False,
                            ticks=False, domain=False, title="channel c (each block: its H·W positions)"))
    cells = alt.Chart(frame.assign(title=frame.variant.map(titles))).mark_rect(stroke=OKABE_ITO["yellow"]).encode(
        x=x, x2="x_end:Q",
        y=alt.Y("n:O", title="sample n", scale=alt.Scale(paddingInner=0.08),
                axis=alt.Axis(labelExpr="'n' + datum.value", ticks=False, domain=False, labelOverlap=False)),
        color=alt.Color("role:N",
                        scale=alt.Scale(domain=list(ROLES), range=[PALETTE["highlight"], PALETTE["highlight"],
                                                                   OKABE_ITO["grey"]]),
                        legend=alt.Legend(orient="top", title=None, values=list(ROLES[1:]), symbolStrokeWidth=0,
                                          symbolType="square")),
        opacity=alt.Opacity("alpha:Q", scale=None),
        strokeWidth=alt.StrokeWidth("outline:Q", scale=None),
        tooltip=["variant:N", "n:O", "c:O", "s:O", "role:N"],
    ).add_params(alt.selection_point(name=SELECTION, fields=["n", "c", "s"], on="click"))
    return cells.properties(width=step * columns, height=alt.Step(max(14, min(step, 28)))).facet(
        row=alt.Row("title:N", sort=[titles[v] for v in VARIANTS],
                    header=alt.Header(title=None, labelAngle=0, labelAlign="left", labelAnchor="start",
                                      labelOrient="top", labelFontWeight="bold", labelFontSize=13)),
        spacing=8,
    )


def outputs_frame(x: np.ndarray, outputs: dict[str, np.ndarray]) -> pd.DataFrame:
    """Long table of the input and every variant's output. x and each output: (N, C, S).

    Columns: layer ("Input" or the variant), n, channel ("c0"...), value.
    """
    n, c, s = x.shape
    grid_n, grid_c = (a.reshape(-1) for a in np.indices(x.shape)[:2])
    channel = np.char.add("c", grid_c.astype(str))
    layers = {"Input": x, **outputs}
    return pd.concat([pd.DataFrame({"layer": name, "n": grid_n, "channel": channel, "value": y.reshape(-1)})
                      for name, y in layers.items()], ignore_index=True)


def _strips(frame: pd.DataFrame) -> alt.LayerChart:
    """Each channel's values as ticks, coloured by sample, over the zero line."""
    samples = sorted(frame.n.unique())
    channels = sorted(frame.channel.unique(), key=lambda name: int(name[1:]))
    ticks = alt.Chart().mark_tick(thickness=2, size=11, opacity=0.85).encode(
        x=alt.X("value:Q", title=None),
        y=alt.Y("channel:N", sort=channels, title=None, axis=alt.Axis(labelOverlap=False)),
        color=alt.Color("n:N", title="sample n",
                        scale=alt.Scale(domain=samples, range=SAMPLE_COLORS[: len(samples)]),
                        legend=alt.Legend(orient="top")),
        tooltip=["layer:N", "n:N", "channel:N", alt.Tooltip("value:Q", format=".3f")],
    )
    return alt.layer(zero_rule("x"), ticks, data=frame).properties(width=760, height=alt.Step(13))


def input_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """The input rows of `outputs_frame` as strips, in the input's own units."""
    return _strips(frame[frame.layer == "Input"]).properties(title="Input (its own units)")


def outputs_chart(frame: pd.DataFrame) -> alt.FacetChart:
    """The normalized rows of `outputs_frame`: one strip plot per layer, all on one shared scale.

    (Two charts, input and outputs, convert about twice as fast as one vconcat of both.)"""
    outputs = frame[frame.layer != "Input"]
    return _strips(outputs).facet(
        row=alt.Row("layer:N", sort=list(dict.fromkeys(outputs.layer)),
                    header=alt.Header(title=None, labelAngle=0, labelAlign="left", labelAnchor="start",
                                      labelOrient="top", labelFontWeight="bold")),
        spacing=6,
    )


def sensitivity_frame(batch_sizes: tuple[int, ...], spreads: dict[str, np.ndarray]) -> pd.DataFrame:
    """Columns variant, batch_size, spread (NaN rows, where a variant cannot run, are dropped)."""
    frame = pd.concat([pd.DataFrame({"variant": name, "batch_size": batch_sizes, "spread": values})
                       for name, values in spreads.items()], ignore_index=True)
    return frame.dropna()


def sensitivity_chart(frame: pd.DataFrame) -> alt.FacetChart:
    """Small multiples, one per variant: the spread of one sample's output against the batch size."""
    variants = [v for v in VARIANTS if v in set(frame.variant)]
    colors = {v: METHOD_COLORS[v] for v in variants}
    line = alt.Chart().mark_line(point=True).encode(
        x=alt.X("batch_size:Q", title="batch size", scale=alt.Scale(type="log", base=2),
                axis=alt.Axis(values=[1, 4, 16, 64])),
        y=alt.Y("spread:Q", title="spread of the sample's output"),
        color=alt.Color("variant:N", scale=color_scale(colors), legend=None),
        tooltip=["variant:N", "batch_size:Q", alt.Tooltip("spread:Q", format=".4f")],
    )
    return alt.layer(zero_rule("y"), line, data=frame).properties(width=150, height=170).facet(
        column=alt.Column("variant:N", sort=variants, header=alt.Header(title=None, labelFontWeight="bold")),
        spacing=10,
    )


def renorm_frame(gap_bn: np.ndarray, gap_renorm: np.ndarray, window: int = 10) -> pd.DataFrame:
    """Columns step, method ("BatchNorm" / "Batch Renorm"), gap (rolling mean over `window` steps)."""
    steps = np.arange(1, len(gap_bn) + 1)
    return pd.concat([
        pd.DataFrame({"step": steps, "method": method,
                      "gap": pd.Series(gap).rolling(window, min_periods=1).mean().to_numpy()})
        for method, gap in (("BatchNorm", gap_bn), ("Batch Renorm", gap_renorm))
    ], ignore_index=True)


def renorm_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """Train/inference gap over training steps, BatchNorm against Batch Renorm, with the zero line."""
    methods = ["BatchNorm", "Batch Renorm"]
    line = alt.Chart().mark_line(strokeWidth=2).encode(
        x=alt.X("step:Q", title="training step"),
        y=alt.Y("gap:Q", title="mean |training output − inference output|"),
        color=alt.Color("method:N", scale=color_scale({m: METHOD_COLORS[m] for m in methods}),
                        legend=alt.Legend(orient="top", title=None)),
        tooltip=["method:N", "step:Q", alt.Tooltip("gap:Q", format=".3f")],
    )
    return alt.layer(zero_rule("y"), line, data=frame).properties(height=260)


def ghost_frame(ghost_sizes: tuple[int, ...], ghost: np.ndarray, small: np.ndarray, batch_size: int) -> pd.DataFrame:
    """Columns size, series, noise: Ghost BN inside a batch of `batch_size` and BatchNorm on a real small batch."""
    return pd.concat([
        pd.DataFrame({"size": ghost_sizes, "series": f"Ghost BN: virtual batches of g in a batch of {batch_size}",
                      "noise": ghost}),
        pd.DataFrame({"size": ghost_sizes, "series": "BatchNorm on a real batch of g", "noise": small}),
    ], ignore_index=True)


def ghost_chart(frame: pd.DataFrame, full_batch: float, batch_size: int, chosen: int) -> alt.LayerChart:
    """Noise of one sample's output against the (virtual) batch size g; the grey rule is BatchNorm on the full
    batch, the vermillion rule the chosen ghost batch size."""
    series = list(dict.fromkeys(frame.series))
    colors = dict(zip(series, (METHOD_COLORS["Ghost BN"], METHOD_COLORS["BatchNorm"]), strict=True))
    lines = alt.Chart().mark_line(point=alt.OverlayMarkDef(size=60, stroke="black", strokeWidth=0.5)).encode(
        x=alt.X("size:Q", title="batch size g", scale=alt.Scale(type="log", base=2),
                axis=alt.Axis(values=sorted(set(frame["size"])))),
        y=alt.Y("noise:Q", title="spread of the sample's normalized value"),
        color=alt.Color("series:N", scale=color_scale(colors), legend=alt.Legend(orient="top", title=None,
                                                                                   labelLimit=400)),
        strokeDash=alt.StrokeDash("series:N", scale=alt.Scale(domain=series, range=[[1, 0], [5, 3]]), legend=None),
        tooltip=["series:N", "size:Q", alt.Tooltip("noise:Q", format=".3f")],
    )
    full = alt.Chart().mark_rule(color=OKABE_ITO["grey"], strokeDash=[2, 2]).encode(y=alt.datum(full_batch))
    label = alt.Chart().mark_text(align="left", dy=-7, color=OKABE_ITO["grey"]).encode(
        x=alt.datum(min(frame["size"])), y=alt.datum(full_batch),
        text=alt.datum(f"BatchNorm on the full batch of {batch_size}"))
    chosen_rule = alt.Chart().mark_rule(color=PALETTE["highlight"], strokeWidth=2).encode(x=alt.datum(chosen))
    return alt.layer(full, label, chosen_rule, lines, data=frame).properties(height=300)
