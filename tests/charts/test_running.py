"""charts.running: frames, single-view specs that stretch, palette families, readable text."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from charts import palette
from charts.running import (
    batch_size_chart,
    batch_size_frame,
    bends,
    history_frame,
    mismatch_chart,
    running_charts,
    same_sample_chart,
    same_sample_frame,
    shown_steps,
)
from charts.spec import dataset_frame, vega_lite_spec
from lessons.running import (
    Population,
    StreamSettings,
    batch_size_spread,
    mismatch_scenarios,
    mismatch_table,
    same_sample_in_batches,
    simulate_stream,
)
from tests.charts.conftest import without_data

POPULATION = Population((5.0, -2.0), (2.0, 0.5), "sudden", mean_shift=2.0, std_factor=1.5, shift_step=40)


@pytest.fixture(scope="module")
def runs():
    settings = StreamSettings(POPULATION, batch_size=8, steps=100, momentum=0.1, seed=1)
    return simulate_stream(settings), simulate_stream(replace(settings, convention="keras"))


def colours(spec: dict) -> set[str]:
    text = json.dumps(spec)
    return {c.upper() for c in palette.HUES.values() if c.lower() in text.lower()}


def single_view_that_stretches(spec: dict) -> None:
    assert not {"vconcat", "hconcat", "concat", "facet"} & set(spec), "multi-view charts cannot fit a phone"
    assert spec["width"] == "container"
    assert spec["config"]["axis"]["labelFontSize"] >= palette.MIN_FONT_SIZE


def test_shown_steps_and_history_frame():
    steps = shown_steps(5000)
    assert len(steps) == 200 and steps[0] == 0 and steps[-1] == 4999
    np.testing.assert_array_equal(shown_steps(7), np.arange(7))
    frame = history_frame({"batch σ², unbiased (÷(m−1))": np.array([np.nan, 2.0, 3.0])}, np.arange(3))
    assert list(frame["step"]) == [1, 2] and list(frame["value"]) == [2.0, 3.0]


@pytest.mark.parametrize(("values", "corners"), [
    (np.full(300, 2.0), 2), (np.r_[np.full(150, 5.0), np.full(150, 9.0)], 4), (np.linspace(-1.0, 4.0, 300), 2),
    (np.linspace(1.0, 3.0, 300) ** 2, 200),  # a std drifting linearly: its variance bends at every step
])
def test_a_history_keeps_only_the_steps_where_it_bends_and_draws_the_same_line(values, corners):
    steps = shown_steps(300)
    kept = bends(values, steps)
    assert len(kept) == corners
    np.testing.assert_allclose(np.interp(steps, kept, values[kept]), values[steps], rtol=1e-12)


def test_the_population_travels_as_its_corners(runs):
    run, keras = runs
    means, variances = (vega_lite_spec(chart) for chart in running_charts(run, keras, 0))
    truth = [dataset_frame(means, "data2"), dataset_frame(variances, "data2")]
    assert [set(frame["series"]) for frame in truth] == [{"true μ"}, {"true σ²"}]
    assert [len(frame) for frame in truth] == [4, 4], "one sudden shift: start, last step before, first after, end"


def test_running_charts_are_two_single_views_in_the_stat_family(runs):
    run, keras = runs
    means, variances = (chart.to_dict() for chart in running_charts(run, keras, 1))
    for spec in (means, variances):
        single_view_that_stretches(spec)
    assert colours(variances) <= {palette.STAT["batch"], palette.STAT["running"], palette.STAT["population"],
                                  palette.HIGHLIGHT}
    scale = means["layer"][0]["encoding"]["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"], strict=True)) == {
        "batch μ": palette.STAT["batch"], "running μ": palette.STAT["running"], "true μ": palette.STAT["population"]}
    spec = vega_lite_spec(running_charts(run, keras, 1)[0])
    dataset = pd.concat([dataset_frame(spec, name) for name in spec["datasets"]], ignore_index=True)
    running = dataset[dataset["series"] == "running μ"]
    assert len(running) == len(shown_steps(run.settings.steps))  # drawn once, by its own layer
    np.testing.assert_array_equal(running["value"], run.running_mean[running["step"], 1])


def test_same_sample_chart_tells_modes_apart_by_dash_not_colour(runs):
    result = same_sample_in_batches(runs[0], num_batches=5)
    frame = same_sample_frame(result.train_outputs, result.eval_outputs, ["F0", "F1"])
    assert set(frame["mode"]) == {"training", "inference"} and len(frame) == 2 * 5 * 2
    spec = same_sample_chart(frame).to_dict()
    single_view_that_stretches(spec)
    training, inference = spec["layer"][:2]
    assert training["mark"]["color"] == inference["mark"]["color"] == palette.STAGE["output"]
    assert inference["mark"]["strokeDash"] == palette.DASH["inference"]
    assert inference["mark"]["type"] == "rule"  # a tick is a filled rectangle: its dash pattern would not show


def test_mismatch_chart_rows_per_feature_in_one_colour(runs):
    spec = mismatch_chart(mismatch_table(mismatch_scenarios(runs[0]))).to_dict()
    single_view_that_stretches(spec)
    assert "color" not in json.dumps([layer.get("encoding", {}) for layer in spec["layer"]])
    assert spec["height"] > 5 * 2 * 20


def test_batch_size_chart_marks_the_regime_and_uses_the_true_sigma():
    spread = batch_size_spread("with outliers", draws=50, batch_sizes=(1, 2, 4))
    sizes = batch_size_frame(spread.batch_sizes, {"batch variance (biased)": spread.var_spread},
                             np.sqrt(spread.population_var / spread.batch_sizes))
    assert 1 not in set(sizes.loc[sizes["series"] == "batch variance (biased)", "batch size"])  # 0 on a log axis
    np.testing.assert_allclose(sizes.loc[sizes["series"] == "σ/√m", "value"],
                               np.sqrt(spread.population_var / np.array([1, 2, 4])))
    spec = vega_lite_spec(batch_size_chart(spread, 16, current=2))
    single_view_that_stretches(spec)
    assert all(isinstance(data, bytes) for data in spec["datasets"].values())  # sent as they are, never converted
    assert any("m < 16" in set(dataset_frame(spec, name).get("label", [])) for name in spec["datasets"])


def test_a_new_batch_size_or_shift_step_changes_the_data_not_the_spec():
    spread = batch_size_spread("normal", draws=20, batch_sizes=(1, 2, 4))
    two, four = (vega_lite_spec(batch_size_chart(spread, 16, current=m)) for m in (2, 4))
    assert without_data(two) == without_data(four) and two["datasets"] != four["datasets"]
    settings = StreamSettings(POPULATION, batch_size=8, steps=100, momentum=0.1, seed=1)
    at_40, at_60 = (running_charts(simulate_stream(replace(settings, population=replace(POPULATION, shift_step=k))),
                                   None, 0) for k in (40, 60))
    for before, after in zip(at_40, at_60, strict=True):
        assert without_data(vega_lite_spec(before)) == without_data(vega_lite_spec(after))


def test_the_batch_statistics_are_drawn_opaque(runs):
    """The palette's contrast (≥ 3:1 on both themes) holds only for opaque marks: at 0.6 the dots were 2.0:1 on dark."""
    spec = vega_lite_spec(running_charts(*runs, 0)[0])
    points = [layer["mark"] for layer in spec["layer"] if isinstance(layer.get("mark"), dict)
              and layer["mark"]["type"] == "point"]
    assert points and all(mark.get("opacity", 1) == 1 for mark in points)
