"""The In practice page under AppTest: every part opens from its link and shows what the lessons compute; controls
are URL-bound; only the open part computes; a link with non-default training settings waits for a click."""

from __future__ import annotations

import json

import pytest
import streamlit as st

import lessons.transfer
from lessons import practice as text
from lessons.coupling import example_batch, move_one_sample
from lessons.devices import data_parallel_experiment
from lessons.dropout import variance_shift
from lessons.folding import folding_experiment
from tests.pages.conftest import open_page, shown_tables

PAGE = "pages/5_In_practice.py"
CHARTS = {"folding": 1, "recalibration": 2, "adabn": 1, "finetune": 1, "devices": 1, "batches": 1, "coupling": 2,
          "dropout": 1}


def practice_page(**query: str):
    at = open_page(PAGE, query=query, timeout=90)
    assert not at.exception, at.exception[0].message
    return at


def readings(at) -> list[str]:
    return [info.value for info in at.info]


def test_the_library_call_is_drawn_only_when_its_panel_is_open():
    assert not practice_page().code
    assert [code.value for code in practice_page(lib="true").code] == [text.CODE[next(iter(text.TOPICS))]]


@pytest.mark.parametrize("name", list(text.TOPICS))
def test_every_part_opens_from_its_link_with_its_charts_reading_and_library_call(name):
    at = practice_page(topic=text.TOPICS[name], lib="true")
    assert len(at.get("vega_lite_chart")) == CHARTS[name]
    assert readings(at) and all(readings(at))
    assert [code.value for code in at.code] == [text.CODE[name]]
    assert at.latex[0].value.strip("$\n") == text.LATEX[name]
    assert not at.error and not at.warning
    for spec in (json.loads(el.proto.spec) for el in at.get("vega_lite_chart")):
        assert spec.get("width") == "container"


def test_default_part_shows_the_folding_numbers_of_an_independent_run():
    at = practice_page()
    assert readings(at) == [text.folding_reading(folding_experiment("Linear", 16, "float64"))]
    (table,) = shown_tables(at)
    assert list(table.columns) == ["channel", "batch μ", "running μ", "batch σ", "running σ"]
    assert table.channel.tolist() == ["1", "2", "3"]


def test_folding_controls_are_bound_and_change_the_experiment():
    at = practice_page(fold_layer="Conv 3×3", fold_n="8", fold_dtype="float32")
    assert (at.radio(key="fold_layer").value, at.slider(key="fold_n").value, at.radio(key="fold_dtype").value) == (
        "Conv 3×3", 8, "float32")
    assert readings(at) == [text.folding_reading(folding_experiment("Conv 3×3", 8, "float32"))]
    at.slider(key="fold_n").set_value(32).run()
    assert readings(at) == [text.folding_reading(folding_experiment("Conv 3×3", 32, "float32"))]


def test_moving_one_sample_redraws_outputs_and_jacobian():
    at = practice_page(topic=text.TOPICS["coupling"], move_i="5", move_x="-3")
    x = example_batch()
    assert readings(at) == [text.coupling_reading(move_one_sample(x, 4, -3.0), float(x[4]))]
    at.slider(key="move_x").set_value(7.5).run()
    result = move_one_sample(x, 4, 7.5)
    assert readings(at) == [text.coupling_reading(result, float(x[4]))]
    heatmap = json.loads(at.get("vega_lite_chart")[1].proto.spec)
    assert heatmap["title"] == "The Jacobian ∂yᵢ/∂xⱼ"


def test_dropout_reading_follows_the_controls():
    at = practice_page(topic=text.TOPICS["dropout"], drop_p="0.3", drop_c="2.0")
    assert readings(at) == [text.dropout_reading(variance_shift(2.0), 0.3)]


def test_only_the_open_part_computes(monkeypatch):
    st.cache_data.clear()

    def fail(*args, **kwargs):
        raise AssertionError("a part that is not open trained a network")

    monkeypatch.setattr(lessons.transfer, "pretrain", fail)
    practice_page()  # the folding part: no pretraining
    at = open_page(PAGE, query={"topic": text.TOPICS["adabn"]}, timeout=90)
    assert at.exception  # the AdaBN part does pretrain: the patch is in the page's path


def test_a_link_with_non_default_training_settings_waits_for_a_click():
    at = practice_page(topic=text.TOPICS["devices"], dev_k="2", dev_b="8")
    assert not at.get("vega_lite_chart") and not at.info
    at.button(key="run_devices").click().run()
    assert not at.exception
    assert readings(at) == [text.devices_reading(data_parallel_experiment(2, 8))]
    at.select_slider(key="dev_b").set_value(16).run()  # the user's own change runs at once
    assert len(at.get("vega_lite_chart")) == 1


def test_references_name_every_source():
    at = practice_page()
    references = at.expander[-1]
    assert references.label == "References"
    body = references.markdown[0].value
    for source in ("2105.07576", "1603.04779", "1801.05134", "1911.05722", "1712.05877", "SyncBatchNorm",
                   "fuse_linear_bn_eval", "FrozenBatchNorm2d", "trainable = False", "update_bn", "PyTorch 2.13",
                   "Keras 3"):
        assert source in body
