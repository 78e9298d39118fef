"""charts.formula: the conv grid wraps to fit a phone; the graph's colours are the palette's."""

from __future__ import annotations

from bn_core.data import seed_example_batch
from bn_core.losses import default_values
from charts import palette
from charts.formula import CELL, feature_map_chart, graph_dot
from lessons.walkthrough import backward_walk, conv_example


def test_feature_map_wraps_one_line_per_sample_and_fits_a_phone():
    spec = feature_map_chart(conv_example(0), 1).to_dict()
    assert spec["columns"] == 3 and spec["facet"]["field"] == "panel"
    width = spec["columns"] * spec["spec"]["width"] + (spec["columns"] - 1) * spec["spacing"]
    assert spec["spec"]["width"] == 3 * CELL and width <= 358  # Streamlit's main column on a 390 px phone
    assert spec["config"]["header"]["labelFontSize"] >= palette.MIN_FONT_SIZE


def test_graph_uses_stage_and_stat_colours():
    walk = backward_walk(seed_example_batch()[:, 0], 1.0, 0.0, 1e-5, "squared error", default_values(8))
    dot = graph_dot(walk, 0.0)
    assert f'xhat [label="x̂ (normalized)", shape=ellipse, fillcolor="{palette.STAGE["normalized"]}"' in dot
    assert f'fillcolor="{palette.STAT["batch"]}"' in dot and f'fillcolor="{palette.STAGE["output"]}"' in dot
