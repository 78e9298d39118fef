"""charts.practice: single stretchable views, palette colours only, readable text, data that match the lessons."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from charts import palette
from charts import practice as charts
from charts.spec import vega_lite_spec
from lessons.batches import NonIid
from lessons.coupling import example_batch, move_one_sample
from lessons.devices import DataParallel
from lessons.dropout import variance_shift
from lessons.folding import folding_experiment
from lessons.recalibration import Recalibration
from lessons.transfer import FINE_TUNE_MODES, AdaBN, FineTuning
from tests.charts.conftest import without_data

S, T = 3, 4
RNG = np.random.default_rng(0)
STEPS = np.arange(20, 20 * T + 1, 20)
ACC = {name: RNG.uniform(0.5, 1.0, S) for name in ("BatchNorm", "LayerNorm", "GroupNorm")}
COUPLING = move_one_sample(example_batch(), 2, 5.0)


def builders():
    loss = RNG.uniform(0.2, 1.0, (S, T))
    return {
        "folding": charts.folding_chart(folding_experiment("Linear", 16)),
        "recalibration": charts.recalibration_chart(Recalibration(STEPS, 0.01, 8, loss, loss * 0.5, loss * 0.5, loss,
                                                                  loss)),
        "batches needed": charts.batches_needed_chart((1, 2, 4, 8), RNG.normal(0, 0.1, (S, T))),
        "adabn": charts.adabn_chart(AdaBN("rotate", (0.0, 1.0, 2.0), loss[:, :3], loss[:, 1:]), 1.0),
        "fine-tune": charts.fine_tune_chart(FineTuning(2, {m: RNG.uniform(0.5, 1, S) for m in FINE_TUNE_MODES},
                                                       RNG.uniform(0.5, 1, S))),
        "devices": charts.devices_chart(DataParallel(4, 2, {"per device": ACC["BatchNorm"], "synced": ACC["LayerNorm"]},
                                                     {"per device": 0.3, "synced": 0.15}, 300)),
        "batches": charts.non_iid_chart(NonIid("one class per batch", ACC, ACC, ACC["BatchNorm"], ACC["LayerNorm"])),
        "coupling": charts.coupling_chart(COUPLING),
        "jacobian": charts.jacobian_chart(COUPLING.jacobian),
        "dropout": charts.dropout_chart(variance_shift(1.0, rates=(0.0, 0.25, 0.5), seeds=2), 0.25),
    }


@pytest.fixture(scope="module")
def specs():
    return {name: chart.to_dict() for name, chart in builders().items()}


def colours(spec) -> set[str]:
    return {c.upper() for c in re.findall(r"#[0-9A-Fa-f]{6}", json.dumps(spec))}


def test_every_chart_is_one_stretchable_view(specs):
    for name, spec in specs.items():
        assert spec["width"] == "container", name
        assert not {"facet", "hconcat", "vconcat", "concat"} & set(spec), name


def test_colours_come_from_the_palette_and_text_is_readable(specs):
    allowed = {c.upper() for c in [*palette.HUES.values(), *palette.BACKGROUNDS.values()]}
    for name, spec in specs.items():
        assert colours(spec) <= allowed, name
        assert spec["config"]["axis"]["labelFontSize"] >= palette.MIN_FONT_SIZE, name


def test_no_underscores_in_what_users_read(specs):
    for name, spec in specs.items():
        titles = re.findall(r'"title": "([^"]*)"', json.dumps(spec, ensure_ascii=False))
        assert titles, name
        assert not [t for t in titles if "_" in t], name


def test_folding_chart_puts_eval_mode_on_the_diagonal(specs):
    rows = [r for data in specs["folding"]["datasets"].values() for r in data if "mode" in r]
    evals = [r for r in rows if r["mode"].startswith("eval")]
    trains = [r for r in rows if r["mode"].startswith("training")]
    assert len(evals) == len(trains) == 48
    assert max(abs(r["reference"] - r["folded"]) for r in evals) < 1e-12
    assert max(abs(r["reference"] - r["folded"]) for r in trains) > 1e-2


def test_the_dropout_prediction_is_drawn_apart_from_the_grey_marker_of_p(specs):
    """Li et al.'s prediction is a dashed line in the measurement's colour; only the marker of p is a grey guide."""
    marks = [layer["mark"] for layer in specs["dropout"]["layer"] if isinstance(layer.get("mark"), dict)]
    prediction = next(mark for mark in marks if mark["type"] == "line" and "strokeDash" in mark)
    assert prediction["color"] == palette.STAT["running"] != palette.REFERENCE
    assert [mark["color"] for mark in marks if mark.get("color") == palette.REFERENCE] == [palette.REFERENCE]


def test_jacobian_heatmap_holds_every_entry_on_a_scale_symmetric_about_zero(specs):
    rows = [r for data in specs["jacobian"]["datasets"].values() for r in data]
    cells = [r for r in rows if "i" in r]
    m = len(COUPLING.jacobian)
    assert len(cells) == m * m
    for r in cells:
        assert r["value"] == pytest.approx(COUPLING.jacobian[r["i"] - 1, r["j"] - 1])
    limit = np.abs(COUPLING.jacobian).max()
    assert sorted(r["value"] for r in rows if "i" not in r) == pytest.approx([-limit, limit])


LOSS = RNG.uniform(0.2, 1.0, (S, T))
# Each chart at two settings of its experiment's controls.
AT_TWO_SETTINGS = {
    "recalibration": lambda: [charts.recalibration_chart(Recalibration(STEPS, m, k, LOSS, LOSS, LOSS, LOSS, LOSS))
                              for m, k in ((0.01, 8), (0.1, 16))],
    "adabn": lambda: [charts.adabn_chart(AdaBN("rotate", (0.0, 1.0, 2.0), LOSS[:, :3], LOSS[:, 1:]), size)
                      for size in (1.0, 2.0)],
    "fine-tune": lambda: [charts.fine_tune_chart(FineTuning(b, dict.fromkeys(FINE_TUNE_MODES, ACC["BatchNorm"]),
                                                            ACC["LayerNorm"])) for b in (2, 8)],
    "devices": lambda: [charts.devices_chart(DataParallel(k, b, {"per device": ACC["BatchNorm"],
                                                                 "synced": ACC["LayerNorm"]},
                                                          {"per device": 0.3, "synced": 0.15}, 300))
                        for k, b in ((4, 2), (8, 4))],
    "jacobian": lambda: [charts.jacobian_chart(move_one_sample(example_batch(), i, x).jacobian)
                         for i, x in ((2, 5.0), (3, -1.0))],
    "dropout": lambda: [charts.dropout_chart(variance_shift(1.0, rates=(0.0, 0.25, 0.5), seeds=2), p)
                        for p in (0.25, 0.5)],
}


@pytest.mark.parametrize("name", sorted(AT_TWO_SETTINGS))
def test_what_a_control_sets_travels_as_data_so_the_spec_stays_the_same(name):
    before, after = (vega_lite_spec(chart) for chart in AT_TWO_SETTINGS[name]())
    assert without_data(before) == without_data(after)


def test_bands_span_the_seeds(specs):
    rows = [r for data in specs["batches needed"]["datasets"].values() for r in data]
    assert all(r["low"] <= r["median"] <= r["high"] for r in rows)
    assert all(r["low"] >= 0 for r in rows)  # the chart shows |gap|
