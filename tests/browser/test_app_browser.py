"""The app as users meet it in Chromium: deep links on a fresh server, controls, sidebar, themes, sessions."""

from __future__ import annotations

import pathlib

import pytest

from tests.browser.conftest import SUBPAGES, assert_healthy, screenshot, start_server, wait_for_app
from ui.layout import PAGES


@pytest.fixture
def fresh_server():
    proc, url = start_server()
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def sidebar_labels(page) -> list[str]:
    links = page.locator("[data-testid=stSidebar] [data-testid=stPageLink] [data-testid=stMarkdownContainer]")
    return [t.strip() for t in links.all_inner_texts()]


@pytest.mark.parametrize("info", SUBPAGES, ids=[i.label for i in SUBPAGES])
def test_deep_link_on_a_fresh_server(fresh_server, page, info):
    """The first request to a fresh server is a deep link with a parameter: the page, its state and our sidebar show."""
    page.goto(f"{fresh_server}/{info.url_path}?eps=1e-03")
    wait_for_app(page)
    assert_healthy(page)
    assert sidebar_labels(page) == [p.label for p in PAGES]
    assert page.title().startswith(info.label)
    assert page.locator("[data-testid=stSidebarNav]").count() == 0, "Streamlit's raw file-name navigation is shown"
    assert "eps=1e-03" in page.url


def test_sidebar_moves_between_pages(server_url, page):
    page.goto(server_url)
    wait_for_app(page)
    for info in SUBPAGES:
        page.locator("[data-testid=stSidebar] [data-testid=stPageLink]").get_by_text(info.label, exact=True).click()
        page.wait_for_url(f"**/{info.url_path}*")
        wait_for_app(page)
        assert_healthy(page)
        assert page.title().startswith(info.label)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_renders_in_both_themes(server_url, browser, scheme):
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    for info in PAGES:
        page.goto(f"{server_url}/{info.url_path}")
        wait_for_app(page)
        assert_healthy(page)
        assert page.locator("[data-testid=stVegaLiteChart], .katex-display").count() > 0, "no chart or formula shown"
        screenshot(page, f"{pathlib.Path(info.path).stem}-{scheme}")
    context.close()


def eps_shown(page) -> str:
    return page.locator('[data-testid=stSlider]:has-text("ε (epsilon)") [data-testid=stSliderThumbValue]').inner_text()


def test_sessions_do_not_share_state(server_url, browser):
    """Two visitors at once: one moving ε must not move the other's, on this page or the next."""
    first, second = browser.new_page(), browser.new_page()
    for p in (first, second):
        p.goto(f"{server_url}/Demo")
        wait_for_app(p)
    default = eps_shown(second)
    first.locator('[data-testid=stSlider]:has-text("ε (epsilon)") input[type=range]').focus()
    first.keyboard.press("ArrowRight")
    first.wait_for_url("**eps=*")
    wait_for_app(first)
    assert eps_shown(first) != default

    second.locator('[data-testid=stSlider]:has-text("Momentum") input[type=range]').focus()
    second.keyboard.press("ArrowRight")
    second.wait_for_url("**momentum=*")
    wait_for_app(second)
    assert eps_shown(second) == default
    second.locator("[data-testid=stSidebar] [data-testid=stPageLink]").get_by_text("Formula", exact=True).click()
    second.wait_for_url("**/Formula*")
    wait_for_app(second)
    assert eps_shown(second) == default
    assert "eps=" not in second.url
