"""The In practice page in Chromium at 1280×720 (projector) and 390×844 (phone): every part renders without an
exception, shows its charts and reading, and never overflows the phone's width."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from lessons.practice import TOPICS
from tests.browser.conftest import RunCounter, assert_healthy, screenshot, wait_for_app, wait_for_rerun

VIEWPORTS = {"desktop": {"width": 1280, "height": 720}, "phone": {"width": 390, "height": 844}}
CHARTS = {"folding": 1, "recalibration": 2, "adabn": 1, "finetune": 1, "devices": 1, "batches": 1, "coupling": 2,
          "dropout": 1}


def overflow(page) -> int:
    """How many px the page is wider than the viewport (0 or less: it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def wider_than_container(page) -> list[int]:
    """Widths of the charts whose drawing is wider than the element that holds them."""
    return page.evaluate("""() => [...document.querySelectorAll('[data-testid=stVegaLiteChart]')]
        .map(el => [el.querySelector('canvas, svg')?.getBoundingClientRect().width ?? 0,
                    el.getBoundingClientRect().width])
        .filter(([drawn, box]) => drawn > box + 1).map(([drawn]) => drawn)""")


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_every_part_renders_and_fits(server_url, browser, device):
    context = browser.new_context(viewport=VIEWPORTS[device])
    page = context.new_page()
    for name, label in TOPICS.items():
        page.goto(f"{server_url}/In_practice?topic={quote(label)}")
        wait_for_app(page, timeout=60_000)
        assert_healthy(page)
        charts = page.locator("[data-testid=stVegaLiteChart]")
        charts.first.wait_for(timeout=30_000)
        assert charts.count() == CHARTS[name], name
        assert page.locator("[data-testid=stAlertContainer]").count() >= 1, name  # the computed reading
        if device == "phone":
            assert overflow(page) <= 0, f"{name}: {overflow(page)} px wider than the phone"
        assert wider_than_container(page) == [], name
        screenshot(page, f"practice-{device}-{name}")  # test-artifacts/; README's copies are refreshed by hand
    context.close()


def test_dragging_the_sample_control_moves_the_outputs(server_url, page):
    page.set_viewport_size(VIEWPORTS["desktop"])
    page.runs = RunCounter(page)  # the URL changes as the key is pressed, before the rerun: count the runs instead
    page.goto(f"{server_url}/In_practice?topic={quote(TOPICS['coupling'])}")
    wait_for_app(page, timeout=60_000)
    before = page.locator("[data-testid=stAlertContainer]").first.inner_text()
    slider = page.get_by_role("slider", name="Its new value")
    slider.focus()
    runs = page.runs.finished
    page.keyboard.press("ArrowRight")
    wait_for_rerun(page, runs)
    assert "move_x=5.1" in page.url
    assert_healthy(page)
    assert page.locator("[data-testid=stAlertContainer]").first.inner_text() != before
