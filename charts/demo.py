"""The Demo page's distribution view: one chart per stage of the layer (input x, normalized x̂, output y), one
row per feature.

Each chart is a single view, so it stretches to its column from a 358 px phone to a wide screen (Vega-Lite fits only
single views), and a page stacks or places the three side by side. Rows are bands of a reversed y-axis: the
feature's label at the top of its band, then its shape (sample strips, a histogram or a density curve, heights
relative to the feature's own peak), then its mean (diamond) ± 1σ (bar). Every feature of a panel shares the x
scale, so the input shows each at its own location and spread and the normalized panel stacks them on the zero line.

Building an Altair chart costs tens of milliseconds, so `stage_chart` depends only on the view's shape and reads its
data from one named dataset, `lessons.shapes.stage_data`: a page caches the spec and swaps the data.
"""

from __future__ import annotations

import altair as alt

from charts.palette import MIN_FONT_SIZE, REFERENCE, STAGE, readable, zero_rule

ROW_HEIGHT = 75
WIDE_ROW_HEIGHT = 60  # more than four features: rows a little shorter
MIN_HEIGHT = 300
# In row units from the top of a feature's band. The label starts a tenth down and the mean ± 1σ ends above the next
# band: at 0.04 and 0.96 a feature's bar sat level with the next one's label and read as that feature's.
LABEL_TOP = 0.10
STRIPS_TOP = 0.34  # the samples view's strips, from here to BASELINE
BASELINE = 0.80  # where a row's shape stands
SHAPE_HEIGHT = 0.46
RUG_END = 0.86  # below a histogram or density, a rug of the samples from BASELINE to here
SUMMARY_LEVEL = 0.93  # mean ± 1σ
DATASET = "stage"  # the one named dataset: lessons.shapes.stage_data


def chart_height(num_features: int) -> int:
    """Pixels for `num_features` rows: at least MIN_HEIGHT, so a projected chart is large enough to read."""
    return max(MIN_HEIGHT, (ROW_HEIGHT if num_features <= 4 else WIDE_ROW_HEIGHT) * num_features)


def stage_chart(stage: str, view: str, num_features: int, title: str, subtitle: str = "",
                ticks: tuple[float, ...] | None = None) -> alt.LayerChart:
    """One stage's panel. stage: a key of palette.STAGE; view: "samples", "histogram" or "density";
    ticks: x-axis values (a normalized panel passes 0 and ±1 among them). Data: the named dataset DATASET
    (lessons.shapes.stage_data)."""
    color = STAGE[stage]
    # labelFlush keeps the outermost labels inside the panel (centred on the edge, half of each was cut off)
    x_axis = (alt.Axis(values=list(ticks), format="~g", labelOverlap=False, labelFlush=True) if ticks
              else alt.Axis(labelFlush=True))
    x = alt.X("value:Q", title=None, axis=x_axis, scale=alt.Scale(zero=False, nice=True))
    row_scale = alt.Scale(reverse=True, domain=[0, num_features], nice=False, zero=False)

    data = alt.Chart(alt.NamedData(DATASET))

    def kind(name: str) -> alt.Chart:
        return data.transform_filter(alt.datum.kind == name)

    top, bottom = (STRIPS_TOP, BASELINE) if view == "samples" else (BASELINE, RUG_END)
    strips = kind("sample").transform_calculate(top=f"datum.row + {top}", bottom=f"datum.row + {bottom}")
    ticks_layer = strips.mark_rule(color=color, strokeWidth=2, opacity=0.75).encode(
        x=x,
        y=alt.Y("top:Q", axis=None, scale=row_scale), y2="bottom:Q",
        tooltip=[alt.Tooltip("label:N", title="feature"), alt.Tooltip("sample:Q"),
                 alt.Tooltip("value:Q", format=".4~g")],
    )
    labels = kind("label").transform_calculate(top=f"datum.row + {LABEL_TOP}").mark_text(
        align="left", baseline="top", dx=4, fontSize=MIN_FONT_SIZE, fontWeight="bold", color=color,
    ).encode(x=alt.value(0), y=alt.Y("top:Q", axis=None, scale=row_scale), text="label:N")
    summary = kind("summary").transform_calculate(level=f"datum.row + {SUMMARY_LEVEL}").encode(
        y=alt.Y("level:Q", axis=None, scale=row_scale),
        tooltip=[alt.Tooltip("label:N", title="feature"), alt.Tooltip("mean:Q", format=".4~g"),
                 alt.Tooltip("sigma:Q", title="σ", format=".4~g")],
    )
    spread = summary.mark_rule(color=color, strokeWidth=3, opacity=0.8).encode(x="lo:Q", x2="hi:Q")
    mean = summary.mark_point(shape="diamond", filled=True, size=80, color=color, opacity=1).encode(x="mean:Q")
    layers = [ticks_layer, spread, mean, labels]
    shape_data = kind("shape").transform_calculate(
        base=f"datum.row + {BASELINE}", top=f"datum.row + {BASELINE} - {SHAPE_HEIGHT} * datum.height")
    if view == "histogram":
        layers.insert(0, shape_data.mark_rect(color=color, opacity=0.55, stroke=color, strokeWidth=0.5).encode(
            x=alt.X("start:Q", title=None, axis=x_axis, scale=alt.Scale(zero=False, nice=True)), x2="end:Q",
            y=alt.Y("top:Q", axis=None, scale=row_scale), y2="base:Q",
            tooltip=[alt.Tooltip("start:Q", title="from", format=".4~g"),
                     alt.Tooltip("end:Q", title="to", format=".4~g"), alt.Tooltip("count:Q", title="samples")],
        ))
    elif view == "density":
        layers.insert(0, shape_data.mark_area(color=color, opacity=0.45, line={"color": color}).encode(
            x=x, y=alt.Y("top:Q", axis=None, scale=row_scale), y2="base:Q", detail="row:N",
        ))
    if stage == "normalized":
        layers.insert(0, zero_rule("x").properties(data=alt.NamedData(DATASET)).transform_filter(
            (alt.datum.kind == "label") & (alt.datum.row == 0)))
    return readable(alt.layer(*layers).properties(
        title=alt.TitleParams(title, subtitle=subtitle or alt.Undefined, anchor="start", subtitleColor=REFERENCE,
                              subtitleFontSize=MIN_FONT_SIZE),
        # 10 px on the right (Vega's default is 5): room for half of the outermost label, centred on its tick
        height=chart_height(num_features), width="container", padding={"left": 5, "top": 5, "bottom": 5, "right": 10},
    ).configure_view(stroke=None))


def with_ticks(spec: dict, ticks: tuple[float, ...] | None) -> dict:
    """A copy of a stage panel's spec (built with placeholder ticks) whose x-axis values are `ticks`: the ticks
    follow the data while the cached spec does not, so a new γ or batch costs no Altair rebuild."""
    if ticks is None:
        return spec
    layers = []
    for layer in spec["layer"]:
        x = layer.get("encoding", {}).get("x", {})
        if "axis" in x:
            # the scale's domain takes in the outermost ticks: a tick past the data's reach was drawn outside the
            # plot, its label cut by the panel's edge
            x = {**x, "axis": {**x["axis"], "values": list(ticks)},
                 "scale": {**x.get("scale", {}), "domain": {"unionWith": [min(ticks), max(ticks)]}}}
            layer = {**layer, "encoding": {**layer["encoding"], "x": x}}
        layers.append(layer)
    return {**spec, "layer": layers}
