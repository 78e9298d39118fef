"""The Demo page's pure computations, cached per process (every cache bounded).

Defined here, in a module imported once, rather than in the page script, which Streamlit re-executes on every
rerun (re-wrapping a function costs ~1 ms of source hashing each time). Entry sizes were measured with
`sys.getsizeof`/`DataFrame.memory_usage(deep=True)` at the largest inputs (256 samples × 8 features).
"""

from __future__ import annotations

import streamlit as st

from charts.demo import stage_chart
from charts.spec import arrow_bytes, vega_lite_spec
from lessons import demo, shapes

# A DemoBatch: at most 256 × 8 float64 = 16 KB.
random_batch = st.cache_data(max_entries=64)(demo.random_batch)
own_batch = st.cache_data(max_entries=32)(demo.own_batch)
# Two (F,) arrays and a count: < 1 KB, but each entry costs up to 500 training steps to recompute.
running_statistics = st.cache_data(max_entries=128)(demo.running_statistics)


@st.cache_data(max_entries=48)
def stage_data(values, labels: list[str], view: str) -> bytes:
    """One stage panel's data (lessons.shapes.stage_data) as Arrow bytes: Streamlit sends Arrow, and converting the
    DataFrame, with its text columns, took ~8 ms per chart per rerun. ~2,300 rows at 256 × 8 in the density view,
    ~150 KB."""
    return arrow_bytes(shapes.stage_data(values, labels, view))


@st.cache_data(max_entries=96)
def chart_spec(stage: str, view: str, num_features: int, title: str, subtitle: str, fixed_ticks: bool) -> dict:
    """A stage panel's Vega-Lite spec without data (~6 KB): Altair takes ~50 ms to build and validate it, so it is
    built once per shape; each rerun only attaches the data and, with fixed_ticks, the axis values
    (charts.demo.with_ticks)."""
    return vega_lite_spec(stage_chart(stage, view, num_features, title, subtitle, (0.0,) if fixed_ticks else None),
                          canvas=True)  # up to 2,300 rows arrive per rerun
