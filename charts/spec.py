"""Charts as Vega-Lite specs that a page can cache and render without rebuilding them in Altair."""

from __future__ import annotations

import altair as alt
import pandas as pd


def vega_lite_spec(chart: alt.TopLevelMixin) -> dict:
    """The chart's Vega-Lite spec, its inline datasets as DataFrames, ready for `st.vega_lite_chart`.

    Building and validating an Altair chart costs tens of milliseconds (up to ~150 ms for the larger faceted
    ones), most of a page's rerun budget; pages cache this spec instead of the chart. DataFrames, rather than
    the lists of records `to_dict` makes, travel to the browser as Arrow, quickly.
    """
    spec = chart.to_dict()
    spec["datasets"] = {name: pd.DataFrame.from_records(rows) for name, rows in spec.get("datasets", {}).items()}
    return spec
