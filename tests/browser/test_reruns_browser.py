"""What a click or a key press reruns, read from the websocket in Chromium. A control updates the URL and reruns
the page's content (ui.layout.page_body), never the frame: navigation and share box are not sent again. A switch
of section on the pages whose sections are their own fragment (ui.controls.open_section(alone=True)) redraws the
sections (on Formula, with the sidebar controls they draw) and nothing else: the navigation, the share box, the
title and the page's text are not sent again."""

from __future__ import annotations

import pytest

from lessons.demo import INSIGHTS
from tests.browser.conftest import (
    SUBPAGES,
    RunCounter,
    assert_healthy,
    first_slider,
    on_forward_msg,
    section_options,
    wait_for_app,
    wait_for_rerun,
)


def delta_fragment_ids(page, sent: list | None = None) -> list[str]:
    """A list that fills with the fragment id of every element the server sends (empty for an element of a full
    rerun); `sent`, if given, fills with the deltas themselves."""
    fragment_ids: list[str] = []

    def record(message) -> None:
        if message.WhichOneof("type") == "delta":
            fragment_ids.append(message.delta.fragment_id)
            if sent is not None:
                sent.append(message.delta)

    on_forward_msg(page, record)
    return fragment_ids


def is_frame_text(delta) -> bool:
    """Whether `delta` is the page's title or its References expander (ui.layout.lab_page draws both outside the
    page's fragment)."""
    if delta.WhichOneof("type") == "new_element":
        return delta.new_element.WhichOneof("type") == "heading" and delta.new_element.heading.tag == "h1"
    return delta.WhichOneof("type") == "add_block" and delta.add_block.expandable.label == "References"


@pytest.mark.parametrize("path", ["Formula", "Training_vs_Inference", "In_practice", "Deep_networks"])
def test_a_section_switch_reruns_only_the_sections(page, base_url, path):
    fragment_ids = open_counted(page, base_url, path)
    full_run = len(fragment_ids)
    runs = page.runs.finished
    section_options(page).nth(1).click()
    wait_for_rerun(page, runs, timeout=90_000)
    assert_healthy(page)
    switch = fragment_ids[full_run:]
    assert switch, "the section switch drew nothing"
    body = next(filter(None, fragment_ids))  # the page content's fragment, the outermost: its elements come first
    reran_more = [fragment_id for fragment_id in switch if fragment_id in ("", body)]
    assert not reran_more, f"{len(reran_more)} of {len(switch)} elements were sent by a rerun of the whole page"


def open_counted(page, base_url, path: str, sent: list | None = None) -> list[str]:
    """Open the page with a run counter and a delta recorder; return the recorder, checked to hold a full run."""
    page.runs = RunCounter(page)
    fragment_ids = delta_fragment_ids(page, sent)
    page.goto(f"{base_url}/{path}")
    wait_for_app(page, timeout=90_000)
    assert "" in fragment_ids, "the first run draws the whole page"
    return fragment_ids


@pytest.mark.parametrize("info", SUBPAGES, ids=[info.label for info in SUBPAGES])
def test_a_control_updates_the_url_and_reruns_the_page_content_not_the_frame(page, base_url, info):
    """The page's first slider (on most pages in the sidebar; Why it works' sits in a collapsed expander). The
    title and the References, drawn once by the page's full run, are not sent again."""
    sent: list = []
    fragment_ids = open_counted(page, base_url, info.url_path, sent)
    assert sum(map(is_frame_text, sent)) == 2, "the full run draws the title and the References expander"
    full_run = len(fragment_ids)
    slider, (away, _) = first_slider(page)
    before, runs = page.url, page.runs.finished
    slider.focus()
    page.keyboard.press(away)
    page.wait_for_url(lambda url: url != before, timeout=10_000)
    wait_for_rerun(page, runs, timeout=90_000)
    assert_healthy(page)
    rerun = fragment_ids[full_run:]
    assert rerun, "the key press drew nothing"
    assert all(rerun), f"{rerun.count('')} of {len(rerun)} elements were sent by a full rerun of the page"
    assert not any(map(is_frame_text, sent[full_run:])), "the key press sent the title or the References again"


SETTINGS = {"slider", "number_input", "selectbox", "text_area", "file_uploader"}  # the kinds of input a setting is


def elements_sent(page) -> list[str]:
    """A list that fills with the kind ("slider", "vega_lite_chart", ...) of every element the server sends."""
    sent: list[str] = []

    def record(message) -> None:
        if message.WhichOneof("type") == "delta" and message.delta.WhichOneof("type") == "new_element":
            sent.append(message.delta.new_element.WhichOneof("type"))

    on_forward_msg(page, record)
    return sent


def press_slider(page, label: str | None = None) -> None:
    """A key press on the slider labelled `label` (away from its start), or on the page's first slider."""
    if label is None:
        slider, (away, _) = first_slider(page)
    else:
        slider = page.locator("[data-testid=stSlider]").filter(has_text=label).locator("input[type=range]")
        away = "ArrowRight"
    runs = page.runs.finished
    slider.focus()
    page.keyboard.press(away)
    wait_for_rerun(page, runs)
    assert_healthy(page)


@pytest.mark.parametrize("path, label", [("Demo", None), ("Formula", None), ("In_practice", None),
                                         ("Why_it_works", None), ("Training_vs_Inference", "Steps (batches)")])
def test_a_setting_reruns_what_it_shapes_not_the_settings(page, base_url, path, label):
    """A slider (the Demo's ε, Formula's ε, In practice's batch size, Why it works' training points, Training vs
    inference's steps) reruns its fragment (ui.layout.rerun_only): the Demo's layer, with the undo buttons, Formula's
    walk-through, the topic's result, the experiment's run, the sections; none of the settings are sent again."""
    sent = elements_sent(page)
    open_counted(page, base_url, path)
    full_run = len(sent)
    assert any(kind in SETTINGS for kind in sent), "the full run draws the settings"
    press_slider(page, label)
    assert len(sent) > full_run, "the key press drew nothing"
    settings = [kind for kind in sent[full_run:] if kind in SETTINGS]
    assert settings == [], f"the key press sent the settings {settings} again"


@pytest.mark.parametrize("view, uses_eps", [("Who shares statistics", False), ("Same data, five layers", True)])
def test_eps_on_variants_reruns_the_open_part_only_if_it_uses_eps(page, base_url, view, uses_eps):
    sent = elements_sent(page)
    open_counted(page, base_url, f"Variants?view={view.replace(' ', '+')}")
    full_run = len(sent)
    press_slider(page)  # ε, in the sidebar
    kinds = sent[full_run:]
    assert "slider" not in kinds, "the key press sent the sidebar's or the shape's sliders again"
    if uses_eps:
        assert "vega_lite_chart" in kinds, f"the part was not redrawn: {kinds}"
    else:
        assert kinds == [], f"the key press sent {kinds} for a part that does not use ε"


def test_eps_on_the_demo_redraws_the_insights_evidence_not_the_cards(page, base_url):
    """The Demo's ε changes each insight's evidence, which its own fragment writes into the cards; the cards' titles
    and claims, drawn by the page's fragment, are not sent again."""
    bodies = []

    def record(message) -> None:
        if message.WhichOneof("type") == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            if element.WhichOneof("type") == "markdown":
                bodies.append(element.markdown.body)

    on_forward_msg(page, record)
    open_counted(page, base_url, "Demo")
    evidence = page.get_by_text("the smallest divisor")
    before, full_run = evidence.inner_text(), len(bodies)
    press_slider(page)  # ε, in the sidebar
    assert evidence.inner_text() != before, "the ε card's evidence kept its old value"
    resent = [body[:40] for body in bodies[full_run:] if any(title in body for title, _ in INSIGHTS)]
    assert resent == [], f"the key press sent the cards {resent} again"


def test_a_card_button_that_moves_sidebar_controls_redraws_them(page, base_url):
    """"Set γ = √(σ²+ε), β = μ" sits in the layer's fragment and sets the sidebar's γ and β (ui.layout.redraw_page)."""
    open_counted(page, base_url, "Demo")
    page.get_by_text("γ and β per feature").click()
    gamma = page.get_by_role("spinbutton", name="γ0 (scale of F0)")
    assert gamma.input_value() == "1.0000"
    runs = page.runs.finished
    page.get_by_role("button", name="Set γ = √(σ²+ε), β = μ").click()
    wait_for_rerun(page, runs)
    assert_healthy(page)
    assert gamma.input_value() != "1.0000", "γ0's input still shows its old value"


def test_eps_on_formula_reruns_the_walk_through_with_the_new_value(page, base_url):
    """Formula's ε reruns only the walk-through's fragment, which reads ε from session state: its banner and its
    steps show the new value."""
    open_counted(page, base_url, "Formula")
    banner = page.get_by_test_id("stAlert").filter(has_text="Walking through feature F0")
    assert "ε = 1e-05" in banner.inner_text()
    press_slider(page)  # ε, one step up
    assert "ε = 1e-04" in banner.inner_text()


def test_a_setting_of_an_experiment_waiting_for_its_click_runs_it(page, base_url):
    """A link with non-default training settings waits for a click (ui.practice_controls.ready), so the result's
    fragment is not drawn: a setting changed first reruns the experiment instead, which then runs."""
    open_counted(page, base_url, "In_practice?topic=Many+devices%3A+SyncBN&dev_k=2&dev_b=8")
    assert page.get_by_role("button", name="Run this experiment").is_visible()
    assert page.get_by_test_id("stVegaLiteChart").count() == 0
    press_slider(page, "Samples per device b")
    assert page.get_by_test_id("stVegaLiteChart").count() == 1


def labels_sent(sent: list, kind: str) -> list[str]:
    """The labels of the widgets of `kind` (a proto field: "slider", "number_input", ...) among the deltas `sent`."""
    return [getattr(delta.new_element, kind).label for delta in sent
            if delta.WhichOneof("type") == "new_element" and delta.new_element.WhichOneof("type") == kind]


def test_the_number_of_features_reruns_the_features_controls_and_sections_only(page, base_url):
    """Training vs inference's number of features changes which mean and std inputs there are and every section, not
    the stream's and the layer's controls, the drift's, or the number itself (the browser shows its new value)."""
    sent: list = []
    open_counted(page, base_url, "Training_vs_Inference", sent)
    full_run = len(sent)
    press_slider(page, "Features")
    sliders, inputs = labels_sent(sent[full_run:], "slider"), labels_sent(sent[full_run:], "number_input")
    assert "F2 true mean" in inputs, f"the new feature's controls were not drawn: {inputs}"
    assert not sliders, f"sliders were sent again: {sliders}"
    assert "Shift at step k" not in inputs, "the drift's controls were sent again"
    assert page.get_by_text("F2 true mean").is_visible()
    assert page.get_by_role("cell", name="F2", exact=True).is_visible()  # the section's table has the new feature


def test_the_kind_of_drift_redraws_the_drift_controls_and_the_sections(page, base_url):
    """A new kind of drift adds or removes the drift's controls (its own fragment) and reruns the sections."""
    sent: list = []
    open_counted(page, base_url, "Training_vs_Inference", sent)
    full_run = len(sent)
    runs = page.runs.finished
    page.locator("[data-testid=stSelectbox]").filter(has_text="Drift over the stream").click()
    page.get_by_role("option", name="linear (steady)").click()
    wait_for_rerun(page, runs)
    assert_healthy(page)
    assert page.get_by_text("Mean moves by (in stds)").is_visible()
    assert page.get_by_text("Shift at step k").count() == 0
    sliders = labels_sent(sent[full_run:], "slider")
    assert not {"Features", "Batch size m"} & set(sliders), f"the population's or the stream's were sent: {sliders}"
    markdown = [delta.new_element.markdown.body for delta in sent[full_run:]
                if delta.WhichOneof("type") == "new_element" and delta.new_element.WhichOneof("type") == "markdown"]
    assert "**At the last step**" in markdown, "the sections did not rerun"
