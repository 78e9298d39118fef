"""The "Why it works" page under AppTest: every experiment runs from a link at a small size, the numbers shown
are those of an independent run, divergence and bad settings are reported, big experiments wait for a click."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import lessons.experiments
from lessons.experiments import EXPERIMENTS, DataSpec, RunSpec, drift_summary, plan, run, run_all
from lessons.legacy_mlp import TrainConfig
from tests.pages.conftest import open_page

PAGE = "pages/6_Why_it_works.py"
SMALL = {"steps": "100", "n": "100"}
CHARTS = {"lr": 2, "init": 2, "batch": 3, "drift": 3, "smooth": 3}  # including the decision boundary


def specs_of(at) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]


def test_default_experiment_shows_what_an_independent_run_gives():
    at = open_page(PAGE, timeout=60)
    assert not at.exception
    assert at.segmented_control(key="exp").value == "lr"
    table = at.dataframe[0].value
    assert len(table) == 14 and table.method.tolist()[:2] == ["No norm", "BatchNorm"]
    base = RunSpec(DataSpec("spirals", 400, 0.1, 0), hidden=(32, 32), train=TrainConfig(lr=0.1, steps=400))
    for norm, row in (("none", 4), ("batch", 5)):  # the runs at lr 0.1
        expected = run(replace(base, norm=norm))
        assert table.lr[row] == 0.1
        assert table.test_accuracy[row] == f"{expected.test_accuracy:.1%}"
        assert table.train_accuracy[row] == f"{expected.train_accuracy:.1%}"
        assert table.train_loss[row] == f"{expected.train_loss:.3f}"
    accuracy = pd.to_numeric(table.test_accuracy.str.rstrip("%"), errors="coerce") / 100  # "—": diverged
    best = {m.label.split(":")[0]: m.value for m in at.metric[:2]}
    assert best == {method: f"{accuracy[table.method == method].max():.0%}" for method in ("No norm", "BatchNorm")}
    assert table.status.tolist()[-2] == "diverged at step 7"  # lr 10 blows up the plain network
    sweep, boundary = specs_of(at)
    assert len(sweep["vconcat"]) == 2 and sweep["vconcat"][1]["facet"]["field"] == "lr"
    assert at.selectbox(key="run").value == "BatchNorm, lr 0.1"
    assert boundary["title"] == "BatchNorm, lr 0.1: P(class 1)"
    assert not at.get("progress") or all(not el.proto.value for el in at.get("progress"))


@pytest.mark.parametrize("experiment", list(EXPERIMENTS))
def test_every_experiment_runs_from_a_link_at_a_small_size(experiment):
    query = SMALL | {"exp": EXPERIMENTS[experiment], "norms": ["No norm", "BatchNorm", "LayerNorm"]}
    at = open_page(PAGE, query=query, timeout=60)
    assert not at.exception, at.exception[0].message
    assert at.segmented_control(key="exp").value == experiment
    assert len(at.get("vega_lite_chart")) == CHARTS[experiment]
    assert not at.error and not at.warning
    runs = at.selectbox(key="run").options
    methods = {"No norm", "BatchNorm", "BatchNorm + noise"} if experiment == "smooth" else {
        "No norm", "BatchNorm", "LayerNorm"}
    assert {label.split(",")[0] for label in runs} == methods
    at.selectbox(key="run").set_value(runs[-1]).run()
    assert not at.exception
    assert specs_of(at)[-1]["title"] == f"{runs[-1]}: P(class 1)"


def test_a_link_reproduces_the_settings_and_the_numbers():
    query = {"exp": "Covariate shift", "ds": "XOR blobs", "noise": "0.2", "n": "200", "seed": "3", "depth": "3",
             "width": "16", "lr": "0.3", "batch": "16", "steps": "100", "mom": "0.5"}
    at = open_page(PAGE, query=query, timeout=60)
    assert not at.exception
    assert (at.selectbox(key="ds").value, at.slider(key="noise").value, at.select_slider(key="n").value,
            at.number_input(key="seed").value, at.slider(key="depth").value, at.select_slider(key="width").value,
            at.select_slider(key="lr").value, at.select_slider(key="batch").value, at.slider(key="mom").value) == (
        "xor", 0.2, 200, 3, 3, 16, 0.3, 16, 0.5)
    base = RunSpec(DataSpec("xor", 200, 0.2, 3), hidden=(16,) * 3,
                   train=TrainConfig(lr=0.3, steps=100, batch_size=16, momentum=0.5, seed=3))
    expected = drift_summary(run_all(plan("drift", base, ("none", "batch")))).round(3)
    shown = at.dataframe[0].value
    np.testing.assert_array_equal(shown.method, expected.method)
    np.testing.assert_allclose(shown[["mean_end", "std_end"]], expected[["mean_end", "std_end"]])


def test_divergence_is_reported_as_a_step_never_as_an_exception():
    query = {"exp": "Initialization", "ds": "Moons", "n": "200", "depth": "4", "width": "16", "lr": "1",
             "steps": "100"}
    at = open_page(PAGE, query=query, timeout=60)
    assert not at.exception
    table = at.dataframe[0].value
    diverged = table[table.status.str.startswith("diverged at step")]
    assert set(diverged.method) == {"No norm"} and (diverged.init_scale >= 3).all()
    assert (diverged.test_accuracy == "—").all() and (diverged.train_loss == "—").all()
    assert "diverged" in at.metric[0].delta
    assert table.status[table.method == "BatchNorm"].eq("trained").all()
    label = "No norm, init 10×"
    at.selectbox(key="run").set_value(label).run()
    assert not at.exception
    step = table.status[(table.method == "No norm") & (table.init_scale == 10)].item().split()[-1]
    assert at.warning[0].value.startswith(f"This run diverged at step {step}")
    assert len(at.get("vega_lite_chart")) == 2


def test_comparing_nothing_says_what_to_do():
    at = open_page(PAGE, query=SMALL | {"exp": "Covariate shift"}, timeout=60)
    at.button_group(key="norms").set_value([]).run()
    assert not at.exception
    assert at.warning[0].value == "Choose at least one normalization to compare."
    assert not at.get("vega_lite_chart")


def test_big_experiments_wait_for_a_click_and_huge_ones_are_refused(monkeypatch):
    monkeypatch.setattr(lessons.experiments, "estimated_seconds", lambda specs: 10.0)
    at = open_page(PAGE, query=SMALL | {"exp": "Smoothness"}, timeout=60)
    assert not at.exception and not at.get("vega_lite_chart")
    assert at.info[0].value.startswith("3 networks, about 10 s of training")
    at.button(key="go").click().run()
    assert not at.exception and len(at.get("vega_lite_chart")) == 3
    at.run()  # approved once: reruns keep showing it
    assert len(at.get("vega_lite_chart")) == 3
    monkeypatch.setattr(lessons.experiments, "estimated_seconds", lambda specs: 1000.0)
    at.run()
    assert not at.get("vega_lite_chart") and "go" not in [b.key for b in at.button]
    assert "more than the 40 s this page allows" in at.warning[0].value


def test_the_smoothness_preset_moves_depth_and_learning_rate():
    at = open_page(PAGE, query=SMALL | {"exp": "Smoothness"}, timeout=60)
    assert at.slider(key="shift").value == 0.5
    at.button(key="preset").click().run()
    assert not at.exception
    assert (at.slider(key="depth").value, at.select_slider(key="lr").value) == (4, 0.3)
    assert at.selectbox(key="run").options == ["No norm", "BatchNorm", "BatchNorm + noise"]


def test_the_swept_setting_is_disabled_and_help_is_everywhere():
    at = open_page(PAGE, query=SMALL | {"exp": "Batch size"}, timeout=60)
    assert at.select_slider(key="batch").disabled
    assert not at.select_slider(key="lr").disabled
    assert all(w.help for w in (*at.slider, *at.select_slider, *at.selectbox, *at.button))
