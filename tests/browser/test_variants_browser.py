"""The Variants page in a real browser: a deep link sets the shape and the selected cell; clicking a cell of the
grid selects it, moves the highlight and writes the new cell into the URL; every part renders without an exception
and without horizontal overflow at 1280×720 and 390×844, in light and dark themes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from charts.palette import HIGHLIGHT
from tests.browser.conftest import assert_healthy, screenshot, section_options, wait_for_app

SECTIONS = ("Who shares statistics", "Same data, five layers", "Beyond the statistics", "Batch-size sensitivity",
        "Batch Renorm", "Ghost BN", "When to use which")
VIEWPORTS = {"desktop": {"width": 1280, "height": 720}, "phone": {"width": 390, "height": 844}}


def url_params(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def grid_cells(page, count: int):
    """The first `count` rect marks of the grid: BatchNorm's block, one SVG path per (n, c, s), in data order."""
    chart = page.locator("[data-testid=stVegaLiteChart]").first
    return chart.locator("g.mark-rect").first.locator("path"), count


def highlighted(page, count: int) -> list[int]:
    """Indices, among BatchNorm's `count` cells, of those drawn in the highlight colour."""
    paths, _ = grid_cells(page, count)
    fills = paths.evaluate_all("paths => paths.map(p => (p.getAttribute('fill') || '').toUpperCase())")[:count]
    return [i for i, fill in enumerate(fills) if fill == HIGHLIGHT.upper()]


def test_deep_link_then_click_moves_the_selection(server_url, page):
    # Cell controls count from 1, as the grid's labels do: cn=2&cc=3&cs=1 is sample 2, channel 3, position 1.
    page.goto(f"{server_url}/Variants?n=3&c=4&hw=3&g=2&cn=2&cc=3&cs=1")
    wait_for_app(page)
    assert_healthy(page)
    count = 3 * 4 * 3
    channel_of = [(i // 3) % 4 for i in range(count)]
    # BatchNorm: the selected cell shares its statistics with its whole channel, N x H·W = 9 values.
    assert {channel_of[i] for i in highlighted(page, count)} == {2} and len(highlighted(page, count)) == 9
    screenshot(page, "variants_deep_link")

    # Click cell (n=2, c=0, s=1), 0-based, of the BatchNorm block: data order is n, then c, then s.
    paths, _ = grid_cells(page, count)
    paths.nth(2 * 4 * 3 + 0 * 3 + 1).click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('cc') === null", timeout=10_000)
    wait_for_app(page)
    params = url_params(page)
    assert params.get("cn") == "3" and params.get("cs") == "2"
    assert "cc" not in params  # channel 1 is the default: Streamlit drops it from the URL
    assert params["n"] == "3" and params["c"] == "4"
    assert {channel_of[i] for i in highlighted(page, count)} == {0} and len(highlighted(page, count)) == 9
    screenshot(page, "variants_after_click")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_every_section_renders_and_fits(server_url, browser, viewport, scheme):
    context = browser.new_context(viewport=VIEWPORTS[viewport], color_scheme=scheme)
    page = context.new_page()
    try:
        for part in SECTIONS:
            page.goto(f"{server_url}/Variants?view={part.replace(' ', '+')}")
            wait_for_app(page, timeout=90_000)
            page.wait_for_function("""() => [...document.querySelectorAll('[data-testid=stVegaLiteChart]')]
                .every(chart => chart.querySelector('svg, canvas'))""", timeout=30_000)
            assert_healthy(page)
            assert section_options(page).filter(has_text=part).first.get_attribute("aria-checked") == "true"
            width, inner = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
            assert width <= inner, f"{part}: page {width} px wider than the {inner} px viewport"
            for chart_width, container in page.locator("[data-testid=stVegaLiteChart]").evaluate_all(
                    "charts => charts.map(c => [c.querySelector('svg, canvas').getBoundingClientRect().width, "
                    "c.parentElement.getBoundingClientRect().width])"):
                assert chart_width <= container + 1, f"{part}: a chart {chart_width} px in a {container} px column"
            if part in ("Who shares statistics", "Batch Renorm"):
                screenshot(page, f"variants_{viewport}_{scheme}_{part.split()[0].lower()}")
    finally:
        context.close()
