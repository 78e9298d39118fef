"""Charts as Vega-Lite specs that a page can cache and render without rebuilding them in Altair."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import pyarrow as pa

# Streamlit draws a chart as SVG unless it has over 2,000 data rows per view. Canvas draws the same picture without
# a DOM node per mark: on the Training vs inference page a rerun left 2,400 nodes instead of 27,900, and Chromium's
# style recalculation per key press fell from 44 to 8 ms. Smaller charts stay SVG, whose marks stay in the page,
# unless a key press redraws hundreds of their marks (pass canvas=True): a chart of a few hundred points as SVG is
# thousands of DOM changes per redraw, while on a canvas a first draw of a small chart measured slightly slower.
CANVAS = {"embedOptions": {"renderer": "canvas"}}
CANVAS_FROM_ROWS = 1000
# Marks drawn as one SVG path per series. Vega-Lite describes every point of them for screen readers, but the path
# carries only its first point's description ("step: 0; value: …"), a misleading label for the whole line: without
# them the path is hidden from screen readers, as a decoration beside the chart's title and axes, and the browser
# evaluates none of those descriptions on a redraw.
PATH_MARKS = ("line", "area", "trail")


def arrow_bytes(frame: pd.DataFrame) -> bytes:
    """`frame` as Arrow IPC stream bytes, the form in which Streamlit sends a dataset to the browser.

    Streamlit passes bytes through as they are; a DataFrame it would convert on every rerun (1–3 ms each).
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def dataset_frame(spec: dict, name: str) -> pd.DataFrame:
    """The dataset `name` of a spec from `vega_lite_spec`, back as a DataFrame."""
    return pa.ipc.open_stream(spec["datasets"][name]).read_pandas()


def vega_lite_spec(chart: alt.TopLevelMixin, canvas: bool | None = None) -> dict:
    """The chart's Vega-Lite spec, its inline datasets as Arrow bytes: ready for `st.vega_lite_chart`.

    canvas: draw on a canvas rather than as SVG; by default when the datasets hold CANVAS_FROM_ROWS rows or more
    (give it for a spec whose data are attached later).

    Building and validating an Altair chart costs tens of milliseconds (up to ~150 ms for the larger faceted
    ones), most of a page's rerun budget; pages cache this spec instead of the chart. Bytes also make a cache hit
    cheap: `st.cache_data` unpickles its value on every hit.
    """
    spec = inline_rowless_datasets(stable_dataset_names(chart.to_dict()))
    undescribed(spec, PATH_MARKS)
    if canvas or (canvas is None and sum(map(len, spec.get("datasets", {}).values())) >= CANVAS_FROM_ROWS):
        on_canvas(spec)
    spec["datasets"] = {name: arrow_bytes(pd.DataFrame.from_records(rows))
                        for name, rows in spec.get("datasets", {}).items()}
    return spec


def on_canvas(spec: dict) -> None:
    """Make `spec` draw on a canvas, without the ARIA description Vega-Lite gives every mark.

    A canvas has no node per mark for a screen reader to find, so those descriptions would only be built and
    thrown away: an expression of four number formats per mark, evaluated on every redraw by the browser's
    CSP-safe expression interpreter (on Training vs inference, ~25 of the ~60 ms per key press that went to Vega's
    expressions and number formats). The chart's own title and description stay.
    """
    spec["usermeta"] = CANVAS
    undescribed(spec, ("mark",))


def inline_rowless_datasets(spec: dict) -> dict:
    """`spec` with each dataset of empty rows written into the layers that draw it, as inline values.

    Altair gives a layer drawn from constants alone (`alt.Chart().mark_rule().encode(y=alt.datum(-3))`) a dataset
    of one empty row. As Arrow bytes that dataset would have no columns and therefore no rows, and the browser
    would draw nothing for the layer."""
    rowless = {name for name, rows in spec.get("datasets", {}).items() if rows and not any(rows)}

    def inline(node):
        if isinstance(node, dict):
            if node.get("data", {}).get("name") in rowless:
                node["data"] = {"values": spec["datasets"][node["data"]["name"]]}
            for value in node.values():
                inline(value)
        elif isinstance(node, list):
            for value in node:
                inline(value)

    inline({key: value for key, value in spec.items() if key != "datasets"})
    for name in rowless:
        del spec["datasets"][name]
    return spec


def undescribed(spec: dict, kinds: tuple[str, ...]) -> None:
    """Turn off Vega-Lite's per-mark ARIA descriptions for the mark types `kinds` ("mark": every type) in `spec`'s
    config, keeping the rest of each type's settings."""
    config = spec.setdefault("config", {})
    for kind in kinds:
        config[kind] = {**config.get(kind, {}), "aria": False}


def stable_dataset_names(spec: dict) -> dict:
    """`spec` with its datasets named data0, data1, ... in order instead of by a hash of their contents.

    Streamlit's browser side redraws a chart whose spec is unchanged by swapping its data into the live view; a
    changed spec is compiled and embedded again, several times slower. With Altair's content-hash names, new data
    always meant a new spec.
    """
    text = json.dumps(spec)
    for i, name in enumerate(spec.get("datasets", {})):
        text = text.replace(json.dumps(name), json.dumps(f"data{i}"))
    return json.loads(text)
