"""Real browser: the "Why it works" page runs its default experiment from a link, and a control reruns it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser import conftest
from tests.browser.conftest import screenshot, wait_for_app

PAGE = "/Why_it_works"
TRAINING = 60_000  # ms: a cold server trains the experiment (about 1-3 s here, more on a busy machine)


def open_tall(page, url: str) -> None:
    conftest.open_tall(page, url, height=3400, timeout=TRAINING)


def test_default_experiment_shows_curves_and_a_boundary(page, server_url):
    open_tall(page, f"{server_url}{PAGE}")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    charts = page.get_by_test_id("stVegaLiteChart")
    expect(charts).to_have_count(2)  # sweep + loss curves (one chart), decision boundary
    for i in range(2):
        expect(charts.nth(i).locator("canvas, svg").first).to_be_visible()
    expect(page.get_by_text("No norm: best test accuracy")).to_be_visible()
    expect(page.get_by_text("BatchNorm: best test accuracy")).to_be_visible()
    expect(page.get_by_test_id("stProgress")).to_have_count(0)  # the bar is gone once training is done
    screenshot(page, "why_default")


def test_link_reproduces_an_experiment_and_a_control_reruns_it(page, server_url):
    # Bound choices travel as their labels: exp=Covariate+shift, norms=No+norm&norms=BatchNorm&...
    open_tall(page, f"{server_url}{PAGE}?exp=Covariate+shift&ds=Moons&steps=200"
                    "&norms=No+norm&norms=BatchNorm&norms=LayerNorm")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_role("radio", name="Covariate shift")).to_be_checked()
    expect(page.get_by_role("button", name="LayerNorm")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(3)  # drift, gradient shift, boundary
    expect(page.get_by_text("Covariate shift as Santurkar et al. 2018 define it")).to_be_visible()
    screenshot(page, "why_drift")

    page.get_by_role("radio", name="Smoothness").click()
    page.wait_for_url(re.compile(r"exp=Smoothness"), timeout=10_000)
    wait_for_app(page, timeout=TRAINING)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"ds=Moons"))
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(3)  # loss curves, probes, boundary
    expect(page.get_by_text("BatchNorm + noise: best test accuracy")).to_be_visible()
    screenshot(page, "why_smooth")
