"""The "Why it works" page under AppTest: the default experiment runs on open and shows its computed verdict; every
other experiment waits for a click and then runs (at small sizes here); a run over its CPU budget stops and says
what to lower."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

import lessons.why.lab
from lessons.why import catalog, learning_rate
from tests.pages.conftest import open_page

PAGE = "pages/6_Why_it_works.py"
CHARTS = {"lr": 2, "init": 1, "reg": 2, "shift": 2, "smooth": 2}


def specs_of(at) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]


def marks(spec: dict) -> set[str]:
    """Every mark type in a spec and its layers."""
    mark = spec.get("mark")
    found = {mark if isinstance(mark, str) else mark["type"]} if mark else set()
    for layer in spec.get("layer", []):
        found |= marks(layer)
    return found


def verdict_of(at) -> str:
    shown = [m.value for m in at.markdown if m.value.startswith("**What it shows.**")]
    assert len(shown) == 1
    return shown[0].removeprefix("**What it shows.** ").split("\n\n")[0]


@pytest.fixture
def small_defaults(monkeypatch):
    """Every experiment's defaults shrunk (2 seeds, a few steps), so a page test trains in a fraction of a second."""
    for name, experiment in catalog.EXPERIMENTS.items():
        tiny = replace(experiment.default, n_train=32, width=8, depth=2, n_seeds=2,
                       steps=20 if name == "reg" else 50)
        monkeypatch.setitem(catalog.EXPERIMENTS, name, replace(experiment, default=tiny))


def test_default_experiment_runs_on_open_and_its_verdict_is_computed_from_an_independent_run():
    at = open_page(PAGE, timeout=120)
    assert not at.exception
    assert at.segmented_control(key="exp").value == "lr"
    sweep, curves = specs_of(at)
    assert {"area", "line"} <= marks(sweep) and {"area", "line"} <= marks(curves)  # seed band and median
    expected = learning_rate.run(learning_rate.DEFAULT)
    assert verdict_of(at) == expected.verdict.text
    assert curves["title"] == "Training loss at learning rate 1"
    assert any(learning_rate.curve_reading(expected, 1.0) in c.value for c in at.caption)
    assert "5 of 5 seeds" in verdict_of(at) or "4 of 5 seeds" in verdict_of(at)
    assert not at.get("button") or "lr_go" not in [b.key for b in at.button]
    assert any("References" in e.label for e in at.expander)


@pytest.mark.parametrize("name", list(catalog.EXPERIMENTS))
def test_every_experiment_from_a_link_waits_for_a_click_then_runs(name, small_defaults):
    at = open_page(PAGE, query={"exp": catalog.EXPERIMENTS[name].title}, timeout=60)
    assert not at.exception
    assert at.segmented_control(key="exp").value == name
    if name != "lr":  # a link alone starts nothing but the default experiment
        assert not at.get("vega_lite_chart")
        assert at.info[0].value.startswith("These settings have not been trained")
        at.button(key=f"{name}_go").click().run()
    assert not at.exception, at.exception[0].message
    assert f"{name}_go" not in [b.key for b in at.button] and not at.info  # the run replaces notice and button
    specs = specs_of(at)
    assert len(specs) == CHARTS[name]
    assert all({"line"} <= marks(s) for s in specs)
    assert verdict_of(at)
    assert not at.error


def test_choosing_an_experiment_is_the_click_that_starts_it(small_defaults):
    at = open_page(PAGE, timeout=60)
    at.segmented_control(key="exp").set_value("smooth").run()
    assert not at.exception
    assert len(specs_of(at)) == 2 and "smooth_go" not in [b.key for b in at.button]
    at.segmented_control(key="smooth_measure").set_value("loss range").run()
    assert specs_of(at)[0]["title"] == "Loss range along the gradient"


def test_a_changed_setting_waits_for_a_click(small_defaults):
    at = open_page(PAGE, timeout=60)
    assert len(specs_of(at)) == 2
    at.slider(key="lr_depth").set_value(3).run()
    assert not at.get("vega_lite_chart")
    at.button(key="lr_go").click().run()
    assert not at.exception and len(specs_of(at)) == 2
    assert "3 hidden layers of 8" in " ".join(m.value for m in at.markdown)


def test_a_run_over_its_cpu_budget_stops_and_says_what_to_lower(small_defaults, monkeypatch):
    monkeypatch.setattr(lessons.why.lab, "CPU_BUDGET_SECONDS", 0.0)
    at = open_page(PAGE, query={"exp": "Initialization", "init_seed": "7"}, timeout=60)
    at.button(key="init_go").click().run()
    assert not at.exception and not at.get("vega_lite_chart")
    assert "past this page's budget of 0 s of CPU" in at.warning[0].value
    assert "Lower the steps" in at.warning[0].value


def test_every_setting_has_help_and_the_swept_one_is_absent(small_defaults):
    at = open_page(PAGE, query={"exp": "Learning rate"}, timeout=60)
    keys = [w.key for w in (*at.slider, *at.select_slider, *at.selectbox, *at.number_input)]
    assert "lr_lr" not in keys and "lr_batch" in keys
    assert all(w.help for w in (*at.slider, *at.select_slider, *at.selectbox, *at.number_input, *at.button))
    at = open_page(PAGE, query={"exp": "Regularization"}, timeout=60)
    keys = [w.key for w in at.select_slider]
    assert "reg_epochs" in keys and "reg_batch" not in keys


@pytest.mark.parametrize("name", [name for name in catalog.EXPERIMENTS if name != "lr"])
def test_every_experiments_real_defaults_are_valid_settings(name):
    """Opened from a link (nothing trains), each experiment's own defaults fit its controls' options and ranges."""
    at = open_page(PAGE, query={"exp": catalog.EXPERIMENTS[name].title}, timeout=60)
    assert not at.exception, at.exception[0].message
    default = catalog.EXPERIMENTS[name].default
    assert at.slider(key=f"{name}_depth").value == default.depth
    assert at.select_slider(key=f"{name}_width").value == default.width
    assert f"{name}_go" in [b.key for b in at.button]


def test_the_loss_curves_follow_their_learning_rate_and_say_what_they_show(small_defaults):
    at = open_page(PAGE, timeout=60)
    at.segmented_control(key="curve_lr").set_value(10.0).run()
    assert not at.exception
    assert specs_of(at)[1]["title"] == "Training loss at learning rate 10"
    expected = learning_rate.run(catalog.EXPERIMENTS["lr"].default)
    reading = learning_rate.curve_reading(expected, 10.0)
    assert reading.startswith("At learning rate 10: No norm: ")
    assert any(reading in c.value for c in at.caption)
