"""Real browser: a deep link into the Training vs Inference page shows its charts, and controls update them."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser import conftest
from tests.browser.conftest import screenshot, wait_for_app

PAGE = "/Training_vs_Inference"


def open_tall(page, url: str) -> None:
    conftest.open_tall(page, url, height=3200)


def test_deep_link_shows_running_statistics_charts(page, server_url):
    open_tall(page, f"{server_url}{PAGE}?m=8&steps=200&momentum=0.3&feat=F1")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    charts = page.get_by_test_id("stVegaLiteChart")
    expect(charts).to_have_count(1)
    expect(charts.first.locator("canvas, svg").first).to_be_visible()
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("0.3")
    expect(page.get_by_text("nn.BatchNorm1d(2, eps=1e-05, momentum=0.3)")).to_be_visible()
    expect(page.get_by_text("keras.layers.BatchNormalization(momentum=0.7, epsilon=1e-05)")).to_be_visible()
    expect(page.get_by_role("radio", name="F1")).to_be_checked()
    screenshot(page, "training_running")

    page.get_by_text("momentum=None (cumulative average)").click()
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"cma=true"))
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("None")
    expect(page.get_by_text("nn.BatchNorm1d(2, eps=1e-05, momentum=None)")).to_be_visible()
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(1)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_inference_tab_from_link_and_batch_size_tab_click(page, server_url):
    page.goto(f"{server_url}{PAGE}?tab=Inference&m=4")
    wait_for_app(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(2)
    error = page.get_by_text("Expected more than 1 value per channel when training").first
    expect(error).to_be_visible()
    page.get_by_text("Forgot to call eval()?").scroll_into_view_if_needed()
    screenshot(page, "training_inference")
    page.get_by_role("tab", name="Batch size").click()
    wait_for_app(page)
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"tab=Batch\+size"))
    screenshot(page, "training_batch_size")
