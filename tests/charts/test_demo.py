"""charts.demo and charts.home: single views that fit a phone column, stage colours, readable text, a zero line."""

from __future__ import annotations

import numpy as np
import pytest

from bn_core.data import seed_example_batch
from charts.demo import DATASET, stage_chart, with_ticks
from charts.home import preview_specs
from charts.palette import MIN_FONT_SIZE, REFERENCE, STAGE
from charts.spec import dataset_frame, vega_lite_spec


def marks(spec: dict) -> list[dict]:
    return [layer["mark"] for layer in spec["layer"]]


@pytest.mark.parametrize("stage", list(STAGE))
@pytest.mark.parametrize("view", ["samples", "histogram", "density"])
def test_every_panel_is_a_single_view_in_its_stage_colour(stage, view):
    spec = stage_chart(stage, view, 6, "Title", "subtitle").to_dict()
    assert "hconcat" not in spec and "vconcat" not in spec and "facet" not in spec
    assert spec["width"] == "container" and spec["height"] >= 300
    colours = {mark["color"] for mark in marks(spec) if mark["color"] != REFERENCE}
    assert colours == {STAGE[stage]}
    sources = [layer["data"] for layer in spec["layer"] if "data" in layer] + ([spec["data"]] if "data" in spec else [])
    assert {source["name"] for source in sources} == {DATASET}  # one named dataset, attached per rerun
    shape_marks = {mark["type"] for mark in marks(spec)} & {"rect", "area"}
    assert shape_marks == {"samples": set(), "histogram": {"rect"}, "density": {"area"}}[view]


def test_text_is_readable_from_the_back_of_a_room():
    spec = stage_chart("output", "samples", 4, "Output y").to_dict()
    assert spec["config"]["axis"]["labelFontSize"] >= MIN_FONT_SIZE
    assert spec["config"]["title"]["fontSize"] >= MIN_FONT_SIZE
    (label,) = [mark for mark in marks(spec) if mark["type"] == "text"]
    assert label["fontSize"] >= MIN_FONT_SIZE


def test_the_normalized_panel_has_the_zero_line_and_the_given_ticks():
    spec = stage_chart("normalized", "samples", 4, "Normalized x̂", ticks=(-1.0, 0.0, 1.0)).to_dict()
    zero = spec["layer"][0]
    assert zero["mark"]["color"] == REFERENCE and zero["encoding"]["x"]["datum"] == 0
    assert spec["layer"][1]["encoding"]["x"]["axis"]["values"] == [-1.0, 0.0, 1.0]
    assert not any(layer["encoding"].get("x", {}).get("datum") == 0
                   for layer in stage_chart("input", "samples", 4, "Input x").to_dict()["layer"])


def test_home_preview_is_two_single_views_with_their_data():
    x = seed_example_batch()
    xhat = (x - x.mean(axis=0)) / x.std(axis=0)
    before, after = preview_specs(x, xhat, ["F0", "F1", "F2", "F3"])
    for spec in (before, after):
        assert "hconcat" not in spec and spec["width"] == "container"
    samples = dataset_frame(after, DATASET).query("kind == 'sample'")
    np.testing.assert_allclose(samples["value"].to_numpy(), xhat.reshape(-1))


def test_with_ticks_sets_the_axis_values_of_a_cached_spec_without_touching_it():
    cached = vega_lite_spec(stage_chart("output", "histogram", 4, "Output y", ticks=(0.0,)))
    spec = with_ticks(cached, (-2.0, -1.0, 0.0, 1.0))
    axes = [layer["encoding"]["x"]["axis"]["values"] for layer in spec["layer"]
            if "axis" in layer["encoding"].get("x", {})]
    assert axes and all(values == [-2.0, -1.0, 0.0, 1.0] for values in axes)
    scales = [layer["encoding"]["x"]["scale"] for layer in spec["layer"] if "axis" in layer["encoding"].get("x", {})]
    assert all(scale["domain"] == {"unionWith": [-2.0, 1.0]} for scale in scales)  # no tick outside the plot
    assert all(layer["encoding"]["x"]["axis"]["values"] == [0.0]
               for layer in cached["layer"] if "axis" in layer["encoding"].get("x", {}))
