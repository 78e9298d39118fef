"""The Deep networks page in a real browser: every part renders without an exception, fits a phone's width, and
shows its primary chart within the first two screens of a projector."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_healthy, open_section, screenshot, wait_for_app

SECTIONS = ("Network health", "Depth at initialization", "Scale invariance & weight decay")
SLOW = 90_000  # the first visit trains the default experiment


def show(page, name: str) -> None:
    open_section(page, name)
    wait_for_app(page, timeout=SLOW)
    page.wait_for_selector("[data-testid=stVegaLiteChart]", timeout=SLOW)


@pytest.mark.parametrize("viewport", [(1280, 720), (390, 844)], ids=["projector", "phone"])
def test_every_section_renders_and_fits(server_url, page, viewport):
    width, height = viewport
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{server_url}/Deep_networks")
    wait_for_app(page, timeout=SLOW)
    for name in SECTIONS:
        show(page, name)
        assert_healthy(page)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        overflowing = page.locator("[data-testid=stVegaLiteChart]").evaluate_all(
            "charts => charts.filter(c => c.scrollWidth > c.parentElement.clientWidth + 1).length")
        assert overflowing == 0
        if width > 1000:
            top = page.locator("[data-testid=stVegaLiteChart]").first.evaluate("c => c.getBoundingClientRect().top")
            assert top < 2 * height
        screenshot(page, f"deep-{name.split()[0].lower()}-{'phone' if width < 500 else 'desktop'}")
