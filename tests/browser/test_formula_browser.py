"""The Formula page in Debian's Chromium: a deep link renders KaTeX formulas with its state; a control updates them;
every part fits a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from bn_core.data import seed_example_batch
from tests.browser.conftest import assert_healthy, open_section, overflow, screenshot, wait_for_app
from ui.controls import format_eps

X = seed_example_batch()
PARTS = ("Forward pass", "What ε does", "Backward pass", "Convolutional layers")


def mean_formula(page):
    """The batch-mean formula as KaTeX rendered it (its HTML, not the TeX source it keeps for screen readers)."""
    return page.locator(".katex-display .katex-html").filter(has_text=re.compile("^μB")).first


def test_deep_link_renders_formulas_and_a_control_updates_them(page, server_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server_url}/Formula?feature=2&eps={format_eps(1e-3)}")
    wait_for_app(page)
    assert_healthy(page)
    assert page.locator(".katex").count() >= 15
    expect(page.get_by_text("Walking through feature F2 of the seed example batch")).to_be_visible()
    expect(page.get_by_text("ε = 1e-03.", exact=False)).to_be_visible()
    expect(mean_formula(page)).to_contain_text(f"=81({'+'.join(f'{v:g}' for v in X[:, 2])})")  # (1/8)(…)
    expect(mean_formula(page)).to_contain_text(f"={X[:, 2].mean():.4g}")
    page.locator("[data-testid=stSidebar] [data-testid=stRadio]").first.get_by_text("3", exact=True).click()
    expect(page.get_by_text("Walking through feature F3")).to_be_visible()
    wait_for_app(page)
    expect(mean_formula(page)).to_contain_text(f"={X[:, 3].mean():.4g}")
    assert "feature=3" in page.url and "eps=1e-03" in page.url

    open_section(page, "Backward pass")
    page.wait_for_url("**part=Backward*")
    wait_for_app(page)
    expect(page.get_by_text("The analytic gradients agree with finite differences")).to_be_visible()
    page.get_by_text("Show the graph").click()
    wait_for_app(page)
    expect(page.locator("[data-testid=stGraphVizChart] svg")).to_have_count(1)
    open_section(page, "Convolutional layers")
    page.wait_for_url("**part=Convolutional*")
    wait_for_app(page)
    expect(page.locator("[data-testid=stVegaLiteChart]")).to_have_count(1)
    # the walk-through's sidebar controls and banner do nothing here, so they are gone; ε stays
    expect(page.locator("[data-testid=stSidebar] [data-testid=stRadio]")).to_have_count(0)
    expect(page.get_by_text("Walking through feature")).to_have_count(0)
    assert_healthy(page)
    open_section(page, "Forward pass")
    wait_for_app(page)
    expect(page.get_by_text("Walking through feature F3")).to_be_visible()  # the feature survived the convolution part
    page.wait_for_timeout(500)
    screenshot(page, "formula-desktop")


@pytest.mark.parametrize("part", PARTS)
def test_every_part_fits_a_phone(page, server_url, part):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server_url}/Formula?part={part.replace(' ', '+')}")
    wait_for_app(page)
    assert_healthy(page)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert not overflow(page), overflow(page)
