"""Charts as Vega-Lite specs that a page can cache and render without rebuilding them in Altair."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pyarrow as pa

# Streamlit draws a chart as SVG unless it has over 2,000 data rows per view. Canvas draws the same picture without
# a DOM node per mark: on the Training vs inference page a rerun left 2,400 nodes instead of 27,900, and Chromium's
# style recalculation per key press fell from 44 to 8 ms.
CANVAS = {"embedOptions": {"renderer": "canvas"}}


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


def vega_lite_spec(chart: alt.TopLevelMixin) -> dict:
    """The chart's Vega-Lite spec, drawn on a canvas, its inline datasets as Arrow bytes: ready for
    `st.vega_lite_chart`.

    Building and validating an Altair chart costs tens of milliseconds (up to ~150 ms for the larger faceted
    ones), most of a page's rerun budget; pages cache this spec instead of the chart. Bytes also make a cache hit
    cheap: `st.cache_data` unpickles its value on every hit.
    """
    spec = chart.to_dict()
    spec["usermeta"] = CANVAS
    spec["datasets"] = {name: arrow_bytes(pd.DataFrame.from_records(rows))
                        for name, rows in spec.get("datasets", {}).items()}
    return spec
