"""charts.variants: single views that fit any width, palette colours, readable text, the grid's geometry."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from charts import palette
from charts import variants as charts
from lessons import renorm, variants
from tests.charts.conftest import without_data

SHAPE = (3, 4, 5)


def specs() -> dict[str, dict]:
    lesson = variants.same_data(SHAPE, 2)
    spreads = variants.batch_size_sensitivity(4, 5, 2, batch_sizes=(1, 4), trials=4)
    summary = renorm.renorm_summary(2.0, 1.0, seeds=(0, 1), steps=30, recent=10)
    ghost = renorm.ghost_experiment(ghost_sizes=(4, 8), batch_size=16, trials=4)
    noise, running = charts.ghost_specs(ghost, renorm.ghost_running(8, batch_size=16, steps=3), 8)
    inputs, outputs = charts.same_data_specs(lesson.x, lesson.outputs)
    return {
        "sharing": charts.sharing_spec(SHAPE, 2, (1, 2, 3), variants.sharing_titles(SHAPE, 2)),
        "input": inputs, "outputs": outputs,
        "sensitivity": charts.sensitivity_spec((1, 4), spreads),
        "renorm": charts.renorm_spec(summary.curves),
        "ghost": noise, "ghost running": running,
    }


SPECS = specs()


def colours(spec: dict) -> set[str]:
    text = without_data(spec)
    return {c.upper() for c in re.findall(r'"(#[0-9A-Fa-f]{6})"', text)}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_chart_is_a_single_view_with_palette_colours_and_readable_text(name):
    spec = SPECS[name]
    assert not {"facet", "hconcat", "vconcat", "concat"} & set(spec)  # width="stretch" can fit it
    assert "width" not in spec
    assert colours(spec) <= {c.upper() for c in palette.HUES.values()}, name
    assert spec["config"]["axis"]["labelFontSize"] >= palette.MIN_FONT_SIZE
    for layer in spec.get("layer", []):
        size = layer.get("mark", {}).get("fontSize") if isinstance(layer.get("mark"), dict) else None
        assert size is None or size >= palette.MIN_FONT_SIZE


def test_strips_draw_on_a_canvas_even_at_a_small_shape():
    for name in ("input", "outputs"):
        assert SPECS[name]["usermeta"]["embedOptions"]["renderer"] == "canvas"


def test_a_new_ghost_batch_size_changes_the_data_not_the_spec():
    ghost = renorm.ghost_experiment(ghost_sizes=(4, 8), batch_size=16, trials=4)
    at_4, at_8 = (charts.ghost_specs(ghost, renorm.ghost_running(g, batch_size=16, steps=3), g)[0] for g in (4, 8))
    assert without_data(at_4) == without_data(at_8) and at_4["datasets"] != at_8["datasets"]


def test_norm_kinds_take_their_palette_colours():
    scale = without_data(SPECS["sensitivity"])
    for variant in variants.VARIANTS:
        assert palette.NORM[variant] in scale
    assert palette.NORM["Batch Renorm"] in without_data(SPECS["renorm"])


def test_no_user_visible_text_has_underscores():
    for name, spec in SPECS.items():
        visible = json.dumps({k: v for k, v in spec.items() if k not in ("datasets", "params")})
        titles = re.findall(r'"title": "([^"]*)"', visible)
        assert not [t for t in titles if "_" in t], name


def test_grid_places_each_channel_as_a_patch_and_one_block_per_variant():
    frame = charts.sharing_frame(SHAPE, 2, (0, 0, 0))
    width, height = charts.block_shape(SHAPE[2])
    assert (width, height) == (3, 2)
    one = frame[frame.variant == "BatchNorm"]
    assert one.x.max() == (SHAPE[1] - 1) * (width + 1) + width - 1
    assert len(frame.drop_duplicates(["x", "y"])) == len(frame)  # no two cells on top of each other
    tops = frame.groupby("variant", sort=False).y.min().to_numpy()
    assert np.all(np.diff(tops) > 0)
    labels = charts.sharing_labels(SHAPE, variants.sharing_titles(SHAPE, 2))
    assert labels[labels.kind == "sample"].text.tolist()[:3] == ["n1", "n2", "n3"]


@pytest.mark.parametrize("name", ["ghost", "ghost running"])
def test_the_ghost_legends_draw_each_series_as_its_line_solid_or_dashed(name):
    """With point=True on a dashed line, Vega-Lite drew that series' legend symbol as a filled blot."""
    def marks(spec):
        return [spec] if "mark" in spec else [m for layer in spec.get("layer", []) for m in marks(layer)]
    dashed = [layer for layer in marks(SPECS[name]) if "strokeDash" in layer.get("encoding", {})]
    assert len(dashed) == 1 and dashed[0]["mark"]["type"] == "line" and "point" not in dashed[0]["mark"]
    assert dashed[0]["encoding"]["strokeDash"]["legend"]["symbolType"] == "stroke"


def test_the_running_conventions_labels_break_at_their_colon_to_fit_a_phone():
    legend = [layer for layer in SPECS["ghost running"]["layer"] if "strokeDash" in layer.get("encoding", {})][0]
    assert legend["encoding"]["strokeDash"]["legend"]["labelExpr"] == "split(datum.label, ': ')"
    assert all(": " in label for label in renorm.GHOST_CONVENTIONS)
