"""The Deep networks charts: what the browser needs to redraw them cheaply."""

import numpy as np
import pandas as pd

from charts.deep import ridgeline
from charts.spec import vega_lite_spec
from lessons.health import DEPTHS
from tests.charts.conftest import without_data


def densities(depth: int) -> pd.DataFrame:
    """A ridgeline's input: one density per layer and bin, as lessons.health.histograms gives it."""
    values = np.linspace(-1, 1, 40)
    return pd.DataFrame([{"layer": layer, "value": v, "density": np.exp(-v * v * layer)}
                         for layer in range(1, depth + 1) for v in values])


def test_a_new_depth_changes_only_the_ridgelines_data():
    # Streamlit swaps new data into a live chart whose spec is unchanged; a changed spec is embedded anew.
    specs = [vega_lite_spec(ridgeline(densities(depth), "BatchNorm", "tanh output")) for depth in DEPTHS]
    assert all(without_data(spec) == without_data(specs[0]) for spec in specs)
    axis = specs[0]["encoding"]["y"]["axis"]
    assert axis["tickMinStep"] == 1 and axis["tickCount"] >= max(DEPTHS) and axis["labelOverlap"] is False
