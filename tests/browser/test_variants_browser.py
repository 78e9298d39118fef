"""The Variants page in a real browser: a deep link sets the shape and the selected cell; clicking a cell of
the grid selects it, moves the highlight and writes the new cell into the URL."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from tests.browser.conftest import screenshot, wait_for_app

HIGHLIGHT_FILL = "#D55E00"  # PALETTE["highlight"]


def url_params(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def panel_cells(page):
    """The rect marks of the first grid (BatchNorm): one SVG path per (n, c, s), in data order."""
    chart = page.locator("[data-testid=stVegaLiteChart]").first
    return chart.locator("g.mark-rect").first.locator("path")


def highlighted(page) -> int:
    """How many cells of the first grid are drawn in the highlight colour."""
    return panel_cells(page).evaluate_all(
        f"paths => paths.filter(p => (p.getAttribute('fill') || '').toUpperCase() === '{HIGHLIGHT_FILL}').length")


def test_deep_link_then_click_moves_the_selection(server_url, page):
    page.goto(f"{server_url}/Variants?n=3&c=4&hw=3&g=2&cn=1&cc=2&cs=0")
    wait_for_app(page)
    assert page.locator("[data-testid=stException]").count() == 0
    cells = panel_cells(page)
    assert cells.count() == 3 * 4 * 3
    # BatchNorm: the selected cell shares its statistics with its whole channel, N x H·W = 9 values.
    assert highlighted(page) == 9
    screenshot(page, "variants_deep_link")

    # Click cell (n=2, c=0, s=1) of the BatchNorm grid: data order is n, then c, then s.
    cells.nth(2 * 4 * 3 + 0 * 3 + 1).click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('cc') === null", timeout=10_000)
    wait_for_app(page)
    params = url_params(page)
    assert params.get("cn") == "2" and params.get("cs") == "1"
    assert "cc" not in params  # channel 0 is the default: Streamlit drops it from the URL
    assert params["n"] == "3" and params["c"] == "4"
    assert highlighted(page) == 9
    fills = panel_cells(page).evaluate_all("paths => paths.map(p => (p.getAttribute('fill') || '').toUpperCase())")
    channel_of = [(i // 3) % 4 for i in range(len(fills))]
    assert {channel_of[i] for i, fill in enumerate(fills) if fill == HIGHLIGHT_FILL} == {0}
    screenshot(page, "variants_after_click")

    # Move the selection with the sample control, then click the same cell again: it is selected again.
    page.get_by_role("slider", name="Selected sample n").press("ArrowLeft")
    page.wait_for_function("() => new URLSearchParams(location.search).get('cn') === '1'", timeout=10_000)
    wait_for_app(page)
    panel_cells(page).nth(2 * 4 * 3 + 0 * 3 + 1).click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('cn') === '2'", timeout=10_000)
    wait_for_app(page)
    assert url_params(page).get("cs") == "1"
