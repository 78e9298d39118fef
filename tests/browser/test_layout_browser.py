"""Legible on a phone and on a projector (issue 15): every page and part at 390×844 and 1280×720 in Chromium."""

from __future__ import annotations

import pytest

from tests.browser.conftest import (
    RunCounter,
    assert_healthy,
    overflow,
    screenshot,
    section_options,
    wait_for_app,
    wait_for_rerun,
)
from ui.layout import PAGES

PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1280, "height": 720}


def open_at(browser, url: str, viewport: dict):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.runs = RunCounter(page)
    page.goto(url)
    wait_for_app(page, timeout=60_000)
    return context, page


def open_part(page, index: int) -> str:
    """Click the page's section `index` and wait for the rerun it starts to be rendered; return its name."""
    option = section_options(page).nth(index)
    label = option.inner_text().strip()
    runs = page.runs.finished
    option.click()
    wait_for_rerun(page, runs)  # a click that starts no rerun within 60 s fails here
    return label


# Display equations wider than a phone's column, which scroll inside their box: their LaTeX sources' beginnings.
WIDE_ON_A_PHONE = (r"\begin{aligned}\frac{\partial L}{\partial \gamma}",)  # two products a line, written out
WIDE_EQUATIONS = """() => [...document.querySelectorAll('[data-testid=stMain] .katex-display')].map(display => {
  const box = display.closest('[data-testid=stMarkdownContainer]') || display.parentElement;
  const source = display.querySelector('annotation');
  return [display.querySelector('.katex').scrollWidth - box.clientWidth, source ? source.textContent : ''];
}).filter(([over]) => over > 4)"""


def wide_equations(page) -> list[str]:
    return [f"equation {over} px wider than its box: {source[:60]}" for over, source in page.evaluate(WIDE_EQUATIONS)
            if not source.startswith(WIDE_ON_A_PHONE)]


@pytest.mark.parametrize("info", PAGES, ids=[info.label for info in PAGES])
def test_no_page_or_part_overflows_a_phone(server_url, browser, info):
    context, page = open_at(browser, f"{server_url}/{info.url_path}", PHONE)
    problems = [f"{info.label}: {p}" for p in overflow(page) + wide_equations(page)]
    screenshot(page, f"layout-phone-{info.url_path or 'Home'}")
    for index in range(1, section_options(page).count()):
        label = open_part(page, index)
        assert_healthy(page)
        problems += [f"{info.label} › {label}: {p}" for p in overflow(page) + wide_equations(page)]
    context.close()
    assert not problems, "\n".join(problems)


# What is cut short, as [kind, sentence]: "label" for a button's or page link's label, in the main area or the
# sidebar, that Streamlit truncates with an ellipsis (it does so in columns), and for a row of options that scrolls
# sideways; "box" for any other box in the main area that scrolls sideways: a Markdown table
# (ui.tables.show_table) or an equation (a KaTeX display, 2 px wider than its content). Code blocks and data grids
# scroll sideways by design and are left out.
CUT_SHORT = """() => {
  const said = text => text.replace(/\\s+/g, ' ').slice(0, 60);
  const boxes = [...document.querySelectorAll('[data-testid=stMain] *')].filter(box => {
    const style = getComputedStyle(box);
    return ['auto', 'scroll'].includes(style.overflowX) && box.scrollWidth > box.clientWidth + 3
      && !box.closest('[data-testid=stCode], [data-testid=stDataFrame]'); });
  const labels = [...document.querySelectorAll(
    ':is([data-testid=stMain], [data-testid=stSidebar]) button [data-testid=stMarkdownContainer], ' +
    ':is([data-testid=stMain], [data-testid=stSidebar]) [data-testid=stPageLink] p')]
    .filter(label => label.scrollWidth > label.clientWidth + 1);
  return boxes.map(box => box.closest('[data-testid=stButtonGroup]')
      ? ['label', `options cut short: ${said(box.innerText)}`]
      : ['box', `${box.scrollWidth - box.clientWidth} px hidden in: ${said(box.innerText)}`])
    .concat(labels.map(label => ['label', `label cut short: ${said(label.innerText)}`]));
}"""
LAPTOP = {"width": 1024, "height": 768}


def cut_short(page, viewport: dict) -> list[str]:
    """CUT_SHORT's sentences that count at `viewport`: on a laptop a wide table or equation may scroll in its box,
    on a projector (the lab's 1280 px target) nothing may."""
    return [said for kind, said in page.evaluate(CUT_SHORT) if viewport is PROJECTOR or kind == "label"]


# Panels a page draws only while open (ui.layout.code_panel, the Demo's numbers), opened by the link.
OPEN_PANELS = {"Demo": "?numbers=true", "Training vs inference": "?code=true", "In practice": "?lib=true"}


@pytest.mark.parametrize("viewport", [LAPTOP, PROJECTOR], ids=["laptop", "projector"])
@pytest.mark.parametrize("info", PAGES, ids=[info.label for info in PAGES])
def test_nothing_is_cut_short_on_a_laptop_or_a_projector(server_url, browser, info, viewport):
    context, page = open_at(browser, f"{server_url}/{info.url_path}{OPEN_PANELS.get(info.label, '')}", viewport)
    problems = [f"{info.label}: {p}" for p in cut_short(page, viewport)]
    for index in range(1, section_options(page).count()):
        label = open_part(page, index)
        problems += [f"{info.label} › {label}: {p}" for p in cut_short(page, viewport)]
    context.close()
    assert not problems, "\n".join(problems)


# A page's primary view: its first chart, except the Formula page, which opens on the equations it walks through.
PRIMARY = {"Formula": "[data-testid=stMain] .katex-display"}


@pytest.mark.parametrize("info", PAGES, ids=[info.label for info in PAGES])
def test_primary_chart_is_within_two_screens_on_a_projector(server_url, browser, info):
    context, page = open_at(browser, f"{server_url}/{info.url_path}", PROJECTOR)
    charts = page.locator(PRIMARY.get(info.label, "[data-testid=stVegaLiteChart]"))
    assert charts.count() > 0, f"{info.label} shows no chart on opening"
    top = charts.first.evaluate("e => e.getBoundingClientRect().top")
    context.close()
    assert top < 2 * PROJECTOR["height"], f"{info.label}: the first chart starts {top:.0f} px down (two screens: 1440)"
