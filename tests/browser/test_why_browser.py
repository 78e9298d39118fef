"""Real browser: the "Why it works" page opens on its default experiment and shows the seed bands and the computed
verdict, within the first two screens at 1280×720 and without overflow at 390×844; another experiment waits for a
click and then runs."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import ROOT, assert_healthy, wait_for_app

PAGE = "/Why_it_works"
TRAINING = 120_000  # ms: a cold server trains the default experiment (about 1 s quiet, more on a busy machine)
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def save(page, name: str) -> None:
    """The viewport as a user sees it, into test-artifacts/screenshots/ (copied by hand to docs/screenshots/)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def open_at(page, url: str, width: int, height: int) -> None:
    page.set_viewport_size({"width": width, "height": height})
    page.goto(url)
    wait_for_app(page, timeout=TRAINING)


def test_default_experiment_shows_seed_bands_and_the_computed_verdict(page, server_url):
    open_at(page, f"{server_url}{PAGE}", 1280, 720)
    assert_healthy(page)
    charts = page.get_by_test_id("stVegaLiteChart")
    expect(charts).to_have_count(2)  # the sweep, then the loss curves at one learning rate
    chart = charts.first
    for drawn in (chart, charts.nth(1)):
        expect(drawn.locator("g.mark-area path").first).to_be_attached()  # the bands (one per norm)
        expect(drawn.locator("g.mark-line path")).to_have_count(2)  # the medians: no norm, BatchNorm
    verdict = page.get_by_text(re.compile(r"^What it shows\. BatchNorm's largest learning rate that trained"))
    expect(verdict).to_be_visible()
    expect(verdict).to_contain_text(re.compile(r"in [45] of 5 seeds"))
    top = chart.evaluate("el => el.getBoundingClientRect().top")
    assert top < 2 * 720, f"the primary chart starts {top:.0f} px down, past the first two screens"
    expect(page.get_by_text("Lab settings: data, network, training, seeds")).to_be_visible()
    expect(page.get_by_role("slider", name="Hidden layers")).not_to_be_visible()  # the settings start collapsed
    page.evaluate("document.querySelector('[data-testid=stMain]').scrollTo(0, 400)")
    page.wait_for_timeout(300)
    save(page, "why-desktop")

    open_at(page, f"{server_url}{PAGE}", 390, 844)
    assert_healthy(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than a phone"
    for drawn in (chart, charts.nth(1)):
        widths = drawn.evaluate("el => [el.querySelector('canvas, svg').getBoundingClientRect().width, "
                                "el.getBoundingClientRect().width]")
        assert widths[0] <= widths[1] + 1, f"a chart ({widths[0]:.0f} px) overflows its container ({widths[1]:.0f} px)"
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    save(page, "why-phone")


def test_a_link_to_another_experiment_waits_for_a_click_then_runs(page, server_url):
    open_at(page, f"{server_url}{PAGE}?exp=Smoothness&smooth_steps=50&smooth_seeds=2&smooth_n=100", 1280, 900)
    assert_healthy(page)
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(0)
    page.get_by_role("button", name="Run experiment").click()
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(2, timeout=TRAINING)
    wait_for_app(page, timeout=TRAINING)
    assert_healthy(page)
    expect(page.get_by_text(re.compile(r"^What it shows\. BatchNorm's landscape was smoother"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"smooth_steps=50"))

