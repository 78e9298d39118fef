"""Real browser: a deep link into the Training vs Inference page shows its charts, controls update them, and
every section fits a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import conftest
from tests.browser.conftest import assert_healthy, open_section, overflow, screenshot, wait_for_app

PAGE = "/Training_vs_Inference"
SECTIONS = ("Running statistics", "Inference", "Batch size")


def test_deep_link_shows_running_statistics_charts(page, server_url):
    conftest.open_tall(page, f"{server_url}{PAGE}?m=8&steps=200&momentum=0.3&feat=F1&code=true", height=3200)
    assert_healthy(page)
    charts = page.get_by_test_id("stVegaLiteChart")
    expect(charts).to_have_count(2)  # means and variances, two single views that stretch
    expect(charts.first.locator("canvas, svg").first).to_be_visible()
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("0.3")
    expect(page.get_by_text("nn.BatchNorm1d(2, eps=1e-05, momentum=0.3)")).to_be_visible()
    expect(page.get_by_text("keras.layers.BatchNormalization(momentum=0.7, epsilon=1e-05)")).to_be_visible()
    expect(page.get_by_role("radio", name="F1")).to_be_checked()

    page.get_by_text("Cumulative average (no momentum)").click()
    expect(page).to_have_url(re.compile(r"cma=true"))  # the rerun has started: wait_for_app now waits for its end
    wait_for_app(page)
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("None", timeout=20_000)
    expect(page.get_by_text("nn.BatchNorm1d(2, eps=1e-05, momentum=None)")).to_be_visible()
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(2)
    assert_healthy(page)


def test_inference_section_teaches_the_error_without_a_red_box(page, server_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server_url}{PAGE}?tab=Inference&m=4")
    wait_for_app(page)
    assert_healthy(page)
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(2)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    expect(page.get_by_text("Expected more than 1 value per channel when training").first).to_be_visible()
    open_section(page, "Batch size")
    wait_for_app(page)
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"tab=Batch\+size"))
    open_section(page, "Running statistics")
    wait_for_app(page)
    page.wait_for_timeout(500)
    screenshot(page, "training-desktop")


@pytest.mark.parametrize("section", SECTIONS)
def test_every_section_fits_a_phone(page, server_url, section):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server_url}{PAGE}?tab={section.replace(' ', '+')}")
    wait_for_app(page)
    assert_healthy(page)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    charts = page.locator("[data-testid=stVegaLiteChart]")
    expect(charts.first).to_be_visible()
    assert not overflow(page), overflow(page)
    if section == "Running statistics":
        screenshot(page, "training-phone")
