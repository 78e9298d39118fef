"""Charts of the Variants page: which values share statistics, outputs per variant, batch-size sensitivity,
Batch Renorm's train/inference gap, Ghost BN's noise and its running statistics. Pure functions from lesson
objects to Altair charts; colours, dashes and text sizes from `charts.palette`.

Every chart is a single view (layers, no facets), so `width="stretch"` fits it to any column from 360 px up.
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from charts.palette import (
    BAND_OPACITY,
    DASH,
    HIGHLIGHT,
    HUES,
    NORM,
    REFERENCE,
    TEXT,
    color_scale,
    readable,
    rule_at,
    zero_rule,
)
from charts.spec import vega_lite_spec
from lessons.variants import VARIANTS, sharing_mask

SELECTION = "cell"  # name of the grid's click selection; its points carry fields n, c and s
ROLES = ("selected cell", "shares its statistics", "other values")
SELECTED_OUTLINE = HUES["olive"]  # the selected cell's outline: visible on vermillion in both themes
SAMPLE_COLORS = [HUES[k] for k in ("blue", "ochre", "green", "purple", "olive", "grey", "vermillion")]
CELL_PX = 18  # height of one grid cell; its width follows the column
TITLE_ROWS, SAMPLE_GAP = 1.6, 0.5  # rows (in cell heights) above each variant's block, and between samples


def _block_rows(num_samples: int, height: int) -> float:
    """Rows (in cell heights) of one variant's block: its title, then a patch row per sample."""
    return TITLE_ROWS + num_samples * (height + SAMPLE_GAP) + SAMPLE_GAP


def block_shape(spatial: int) -> tuple[int, int]:
    """(columns, rows) of the near-square patch that draws one channel's S = H·W positions."""
    width = math.ceil(math.sqrt(spatial))
    return width, math.ceil(spatial / width)


def sharing_frame(shape: tuple[int, int, int], num_groups: int, cell: tuple[int, int, int]) -> pd.DataFrame:
    """One row per (variant, n, c, s) of an (N, C, S) tensor, laid out as Wu & He's grid.

    Columns: variant, n, c, s (1-based for people: sample n1…, channel c1…, position s1… are n + 1, ...);
    x, y (the cell's corner: channel c's patch of S positions, one empty column between patches, one block of
    rows per variant under its title row); role (one of ROLES); alpha (other values alternate between two shades
    by statistic, so every set stays visible); outline (stroke width, around the selected cell only).
    """
    num_samples, c, s = shape
    width, height = block_shape(s)
    grid_n, grid_c, grid_s = (a.reshape(-1) for a in np.indices(shape))
    x = grid_c * (width + 1) + grid_s % width
    block_rows = _block_rows(num_samples, height)
    selected = np.ravel_multi_index(cell, shape)
    frames = []
    for b, variant in enumerate(VARIANTS):
        shares = sharing_mask(variant, shape, num_groups, cell).reshape(-1)
        role = np.where(shares, ROLES[1], ROLES[2])
        role[selected] = ROLES[0]
        alpha = np.where(shares, 0.8, np.where(_set_parity(variant, grid_n, grid_c, c, num_groups), 0.4, 0.18))
        alpha[selected] = 1.0
        outline = np.zeros(x.size)
        outline[selected] = 3.0
        y = b * block_rows + TITLE_ROWS + grid_n * (height + SAMPLE_GAP) + grid_s // width
        frames.append(pd.DataFrame({"variant": variant, "n": grid_n, "c": grid_c, "s": grid_s, "x": x, "y": y,
                                    "role": role, "alpha": alpha, "outline": outline}))
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


def sharing_labels(shape: tuple[int, int, int], titles: dict[str, str]) -> pd.DataFrame:
    """Text marks of the grid: a title row per variant and a label n1… per sample row. Columns x, y, text, kind."""
    num_samples, _, s = shape
    _, height = block_shape(s)
    block_rows = _block_rows(num_samples, height)
    rows = []
    for b, variant in enumerate(VARIANTS):
        rows.append({"x": 0, "y": b * block_rows + TITLE_ROWS / 2, "text": titles[variant], "kind": "title"})
        rows += [{"x": -0.6, "y": b * block_rows + TITLE_ROWS + n * (height + SAMPLE_GAP) + height / 2,
                  "text": f"n{n + 1}", "kind": "sample"} for n in range(num_samples)]
    return pd.DataFrame(rows)


def sharing_chart(frame: pd.DataFrame, labels: pd.DataFrame, shape: tuple[int, int, int]) -> alt.LayerChart:
    """Wu & He's figure (2018, Fig. 2) for all five variants in one view: a block of rows per variant, a row of
    patches per sample n, a patch of H·W cells per channel c. The values that share the selected cell's statistics
    are vermillion; the cell itself is outlined. Clicking a cell fills the point selection `SELECTION` with its
    (n, c, s)."""
    _, c, s = shape
    width, _ = block_shape(s)
    columns = c * (width + 1) - 1
    rows = float(frame.y.max() + 1 + SAMPLE_GAP)
    centres = [k * (width + 1) + width / 2 for k in range(c)]
    x = alt.X("x:Q", scale=alt.Scale(domain=[-2.2, columns], nice=False, zero=False),
              axis=alt.Axis(values=centres, labelExpr=f"'c' + (floor(datum.value / {width + 1}) + 1)", grid=False,
                            ticks=False, domain=False, orient="top", title="channel c"))
    y = alt.Y("y:Q", scale=alt.Scale(domain=[0, rows], reverse=True, nice=False, zero=False), axis=None)
    cells = alt.Chart(frame).mark_rect(stroke=SELECTED_OUTLINE).encode(
        x=x, x2=alt.X2("x_end:Q"), y=y, y2=alt.Y2("y_end:Q"),
        color=alt.Color("role:N", scale=alt.Scale(domain=list(ROLES), range=[HIGHLIGHT, HIGHLIGHT, REFERENCE]),
                        legend=alt.Legend(orient="bottom", title=None, values=list(ROLES[1:]), symbolStrokeWidth=0,
                                          symbolType="square")),
        opacity=alt.Opacity("alpha:Q", scale=None),
        strokeWidth=alt.StrokeWidth("outline:Q", scale=None),
        tooltip=[alt.Tooltip("variant:N", title="layer"), alt.Tooltip("sample:N", title="sample n"),
                 alt.Tooltip("channel:N", title="channel c"), alt.Tooltip("position:N", title="position s"),
                 alt.Tooltip("role:N", title="this value")],
    ).transform_calculate(
        x_end="datum.x + 0.9", y_end="datum.y + 0.9", sample="datum.n + 1", channel="datum.c + 1",
        position="datum.s + 1",
    ).add_params(alt.selection_point(name=SELECTION, fields=["n", "c", "s"], on="click"))
    titles = alt.Chart(labels).transform_filter("datum.kind == 'title'").mark_text(
        align="left", baseline="middle", fontSize=13, fontWeight="bold", color=TEXT).encode(x="x:Q", y="y:Q",
                                                                                        text="text:N")
    sample_labels = alt.Chart(labels).transform_filter("datum.kind == 'sample'").mark_text(
        align="left", baseline="middle", fontSize=12, color=TEXT).encode(x=alt.datum(-2.2), y="y:Q", text="text:N")
    return readable(alt.layer(cells, titles, sample_labels).properties(height=int(rows * CELL_PX)))


def outputs_frame(x: np.ndarray, outputs: dict[str, np.ndarray]) -> pd.DataFrame:
    """Long table of the input and every variant's output. x and each output: (N, C, S).

    Columns: layer ("Input" or the variant), sample ("n1"...), channel ("c1"...), value.
    """
    grid_n, grid_c = (a.reshape(-1) for a in np.indices(x.shape)[:2])
    sample = np.char.add("n", (grid_n + 1).astype(str))
    channel = np.char.add("c", (grid_c + 1).astype(str))
    layers = {"Input": x, **outputs}
    return pd.concat([pd.DataFrame({"layer": name, "sample": sample, "channel": channel, "value": y.reshape(-1)})
                      for name, y in layers.items()], ignore_index=True)


def _sample_color(frame: pd.DataFrame) -> alt.Color:
    samples = sorted(frame["sample"].unique(), key=lambda name: int(name[1:]))
    colors = [SAMPLE_COLORS[i % len(SAMPLE_COLORS)] for i in range(len(samples))]
    return alt.Color("sample:N", title="sample", scale=alt.Scale(domain=samples, range=colors),
                     legend=alt.Legend(orient="top", columns=8))


def input_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """The input rows of `outputs_frame` as strips: a row per channel, ticks coloured by sample, own units."""
    data = frame[frame.layer == "Input"]
    channels = sorted(data.channel.unique(), key=lambda name: int(name[1:]))
    ticks = alt.Chart().mark_tick(thickness=2, size=13, opacity=0.9).encode(
        x=alt.X("value:Q", title="input value (its own units)"),
        y=alt.Y("channel:N", sort=channels, title="channel", axis=alt.Axis(labelOverlap=False)),
        color=_sample_color(data),
        tooltip=["sample:N", "channel:N", alt.Tooltip("value:Q", format=".3f")],
    )
    return readable(alt.layer(zero_rule("x"), ticks, data=data).properties(height=alt.Step(20)))


def outputs_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """The normalized rows of `outputs_frame` in one view on one shared scale: a band per layer, within it a
    row per channel (yOffset), ticks coloured by sample."""
    data = frame[frame.layer != "Input"]
    channels = sorted(data.channel.unique(), key=lambda name: int(name[1:]))
    ticks = alt.Chart().mark_tick(thickness=2, size=9, opacity=0.9).encode(
        x=alt.X("value:Q", title="output value (γ = 1, β = 0)"),
        y=alt.Y("layer:N", sort=list(dict.fromkeys(data.layer)), title=None,
                scale=alt.Scale(paddingInner=0.25), axis=alt.Axis(labelFontWeight="bold", labelLimit=200)),
        yOffset=alt.YOffset("channel:N", sort=channels),
        color=_sample_color(data),
        tooltip=["layer:N", "sample:N", "channel:N", alt.Tooltip("value:Q", format=".3f")],
    )
    height = len(set(data.layer)) * (11 * len(channels) + 24)
    return readable(alt.layer(zero_rule("x"), ticks, data=data).properties(height=height))


def sensitivity_frame(batch_sizes: tuple[int, ...], spreads: dict[str, np.ndarray]) -> pd.DataFrame:
    """Columns variant, batch size, spread (NaN rows, where a variant cannot run, are dropped)."""
    frame = pd.concat([pd.DataFrame({"variant": name, "batch size": batch_sizes, "spread": values})
                       for name, values in spreads.items()], ignore_index=True)
    return frame.dropna()


def sensitivity_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """The spread of one sample's output against the batch size, a line per variant (NORM colours); the
    batch-independent variants lie on the zero line together."""
    variants = [v for v in VARIANTS if v in set(frame.variant)]
    line = alt.Chart().mark_line(point=alt.OverlayMarkDef(size=50), strokeWidth=2).encode(
        x=alt.X("batch size:Q", title="batch size B", scale=alt.Scale(type="log", base=2),
                axis=alt.Axis(values=[1, 2, 4, 8, 16, 32, 64])),
        y=alt.Y("spread:Q", title="spread of the sample's output"),
        # Three to a row: on one row the last of the five ran off a phone's chart
        color=alt.Color("variant:N", scale=color_scale(NORM, variants),
                        legend=alt.Legend(orient="top", title=None, columns=3)),
        tooltip=["variant:N", "batch size:Q", alt.Tooltip("spread:Q", format=".4f")],
    )
    return readable(alt.layer(zero_rule("y"), line, data=frame).properties(height=300))


def renorm_frame(curves: dict[str, np.ndarray], window: int = 10) -> pd.DataFrame:
    """Columns step, method, median, low, high: each method's gap (rolling mean over `window` steps) as the
    median and the range over seeds. curves: method -> (seeds, steps)."""
    frames = []
    for method, gaps in curves.items():
        rolled = pd.DataFrame(gaps.T).rolling(window, min_periods=1).mean().to_numpy()
        frames.append(pd.DataFrame({"step": np.arange(1, gaps.shape[1] + 1), "method": method,
                                    "median": np.median(rolled, axis=1), "low": rolled.min(axis=1),
                                    "high": rolled.max(axis=1)}))
    return pd.concat(frames, ignore_index=True)


def renorm_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """Train/inference gap over training steps, BatchNorm against Batch Renorm: median line, band over seeds."""
    methods = list(dict.fromkeys(frame.method))
    color = alt.Color("method:N", scale=color_scale(NORM, methods), legend=alt.Legend(orient="top", title=None))
    base = alt.Chart().encode(x=alt.X("step:Q", title="training step"), color=color)
    band = base.mark_area(opacity=BAND_OPACITY).encode(y=alt.Y("low:Q"), y2="high:Q")
    line = base.mark_line(strokeWidth=2).encode(
        y=alt.Y("median:Q", title="|training − inference| gap"),
        tooltip=["method:N", "step:Q", alt.Tooltip("median:Q", format=".3f", title="median over seeds")],
    )
    return readable(alt.layer(zero_rule("y"), band, line, data=frame).properties(height=300))


def ghost_frame(ghost_sizes: tuple[int, ...], ghost: np.ndarray, small: np.ndarray, batch_size: int) -> pd.DataFrame:
    """Columns size, series, noise: Ghost BN inside a batch of `batch_size` and BatchNorm on a real small batch."""
    return pd.concat([
        pd.DataFrame({"size": ghost_sizes, "series": "Ghost BN", "noise": ghost}),
        pd.DataFrame({"size": ghost_sizes, "series": "BatchNorm", "noise": small}),
    ], ignore_index=True)


def ghost_chart(frame: pd.DataFrame, full_batch: float, batch_size: int, chosen: int) -> alt.LayerChart:
    """Noise of one sample's output against the (virtual) batch size g. Ghost BN (virtual batches of g in a batch
    of `batch_size`) and BatchNorm on a real batch of g; the dashed grey rule is BatchNorm on the full batch,
    labelled above its line at the left (where the curves are high); the solid grey rule marks the chosen g."""
    series = ["Ghost BN", "BatchNorm"]
    names = f"datum.label == 'Ghost BN' ? 'Ghost BN: g-sample parts of a batch of {batch_size}' : " \
            "'BatchNorm on a real batch of g'"
    legend = {"orient": "top", "direction": "vertical", "title": None, "labelLimit": 0, "labelExpr": names,
              "symbolType": "stroke", "symbolStrokeWidth": 3}
    base = alt.Chart().encode(
        x=alt.X("size:Q", title="(virtual) batch size g", scale=alt.Scale(type="log", base=2),
                axis=alt.Axis(values=sorted(set(frame["size"])))),
        y=alt.Y("noise:Q", title="spread of the sample's value"),
        color=alt.Color("series:N", scale=color_scale(NORM, series), legend=alt.Legend(**legend)))
    # The points are a layer of their own: on a line with point=True, Vega-Lite drew the dashed series' legend
    # symbol as a filled blot. The legend is the lines', colour and dash merged into one.
    lines = base.mark_line(strokeWidth=2).encode(
        strokeDash=alt.StrokeDash("series:N", scale=alt.Scale(domain=series, range=[DASH["train"], DASH["test"]]),
                                  legend=alt.Legend(**legend)))
    points = base.mark_point(filled=True, size=60).encode(
        tooltip=["series:N", alt.Tooltip("size:Q", title="g"), alt.Tooltip("noise:Q", format=".3f")])
    full = alt.Chart().mark_rule(color=REFERENCE, strokeDash=DASH["reference"]).encode(y=alt.datum(full_batch))
    label = alt.Chart().mark_text(align="left", baseline="bottom", dy=-4, color=REFERENCE, fontSize=12).encode(
        x=alt.datum(min(frame["size"])), y=alt.datum(full_batch),
        text=alt.datum(f"BatchNorm, full batch of {batch_size}"))
    chosen_rule = rule_at(chosen, "size", color=REFERENCE, strokeWidth=2)
    return readable(alt.layer(full, label, chosen_rule, lines, points, data=frame).properties(height=300))


def ghost_running_frame(steps: np.ndarray, running_mean: dict[str, np.ndarray]) -> pd.DataFrame:
    """Columns step, convention, running mean."""
    return pd.concat([pd.DataFrame({"step": steps, "convention": name, "running mean": values})
                      for name, values in running_mean.items()], ignore_index=True)


def ghost_running_chart(frame: pd.DataFrame, population_mean: float) -> alt.LayerChart:
    """Ghost BN's running μ after each large batch, one line per momentum convention (solid: Hoffer et al.,
    dashed: Composer), against the population mean (grey rule)."""
    conventions = list(dict.fromkeys(frame.convention))
    base = alt.Chart().encode(x=alt.X("step:Q", title="large batches seen"),
                              y=alt.Y("running mean:Q", title="running μ", scale=alt.Scale(domainMin=0)))
    # Each label on two lines, split at its colon: on one, the longer ran 90 px past a phone's chart. The points are
    # their own layer, so that the legend draws each convention's line (see ghost_chart).
    line = base.mark_line(color=NORM["Ghost BN"], strokeWidth=2).encode(
        strokeDash=alt.StrokeDash("convention:N", scale=alt.Scale(domain=conventions,
                                                                  range=[DASH["train"], DASH["test"]]),
                                  legend=alt.Legend(orient="top", title=None, direction="vertical", labelLimit=0,
                                                    labelExpr="split(datum.label, ': ')", symbolType="stroke",
                                                    symbolStrokeWidth=3, symbolStrokeColor=NORM["Ghost BN"])))
    points = base.mark_point(filled=True, color=NORM["Ghost BN"]).encode(
        tooltip=["convention:N", "step:Q", alt.Tooltip("running mean:Q", format=".3f")])
    population = alt.Chart().mark_rule(color=REFERENCE, strokeDash=DASH["reference"]).encode(
        y=alt.datum(population_mean))
    return readable(alt.layer(population, line, points, data=frame).properties(height=260))


# Cacheable Vega-Lite specs of the page's charts, straight from lesson objects (`charts.spec.vega_lite_spec`).

def _spec(chart: alt.TopLevelMixin, canvas: bool | None = None) -> dict:
    """`vega_lite_spec` without Altair's 5,000-row guard: the grid and the strips hold up to 5 × 8 × 12 × 16 =
    7,680 values at the largest shape the page's controls allow, sized by the page itself."""
    with alt.data_transformers.enable("default", max_rows=None):
        return vega_lite_spec(chart, canvas)


def sharing_spec(shape: tuple[int, int, int], num_groups: int, cell: tuple[int, int, int],
                 titles: dict[str, str]) -> dict:
    frame, labels = sharing_frame(shape, num_groups, cell), sharing_labels(shape, titles)
    return _spec(sharing_chart(frame, labels, shape))


def same_data_specs(x: np.ndarray, outputs: dict[str, np.ndarray]) -> tuple[dict, dict]:
    """(input strips, output strips) of one batch x (N, C, S) and the variants' outputs, on a canvas at every
    size: as SVG their ~500 strokes were ~4,000 DOM changes a key press (same-minute A/B 323/327 -> 256/295 ms)."""
    frame = outputs_frame(x, outputs)
    return _spec(input_chart(frame), True), _spec(outputs_chart(frame), True)


def sensitivity_spec(batch_sizes: tuple[int, ...], spreads: dict[str, np.ndarray]) -> dict:
    return vega_lite_spec(sensitivity_chart(sensitivity_frame(batch_sizes, spreads)))


def renorm_spec(curves: dict[str, np.ndarray]) -> dict:
    return vega_lite_spec(renorm_chart(renorm_frame(curves)))


def ghost_specs(result, running, chosen: int) -> tuple[dict, dict]:
    """(noise by g, running μ by convention) from `lessons.renorm`'s GhostExperiment and GhostRunning."""
    noise = ghost_chart(ghost_frame(result.ghost_sizes, result.ghost, result.small, result.batch_size),
                        result.full_batch, result.batch_size, chosen)
    running_chart = ghost_running_chart(ghost_running_frame(running.steps, running.running_mean),
                                        running.population_mean)
    return vega_lite_spec(noise), vega_lite_spec(running_chart)
