"""Legible on a phone and on a projector (issue 15): every page and tab at 390×844 and 1280×720 in Chromium."""

from __future__ import annotations

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.browser.conftest import assert_healthy, screenshot, wait_for_app
from ui.layout import PAGES

PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1280, "height": 720}
TAB = "[data-testid=stTab]"


# What overflows, in CSS pixels (1 px of slack for sub-pixel rounding): the document, and every chart's drawing
# (canvas or svg) against the element Streamlit gave the chart.
OVERFLOW = """() => {
  const found = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1)
    found.push(`the page is ${doc.scrollWidth} px wide in a ${window.innerWidth} px window`);
  document.querySelectorAll('[data-testid=stVegaLiteChart]').forEach((chart, i) => {
    const box = chart.getBoundingClientRect();
    chart.querySelectorAll('canvas, svg.marks').forEach(drawing => {
      const width = drawing.getBoundingClientRect().width;
      if (width > box.width + 1)
        found.push(`chart ${i + 1} is drawn ${Math.round(width)} px wide in its ${Math.round(box.width)} px element`);
    });
    if (box.right > window.innerWidth + 1)
      found.push(`chart ${i + 1} ends at ${Math.round(box.right)} px, past the ${window.innerWidth} px window`);
  });
  return found;
}"""


def count_finished_runs(page) -> list[int]:
    """A one-item list holding how many script runs the server has finished for this page, read from the
    websocket's script_finished messages (a fast run may never show as "running" in the DOM)."""
    finished = [0]

    def frame(payload) -> None:
        if isinstance(payload, bytes):
            message = ForwardMsg()
            message.ParseFromString(payload)
            if message.WhichOneof("type") == "script_finished" and \
                    message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                finished[0] += 1

    page.on("websocket", lambda ws: ws.on("framereceived", frame))
    return finished


def open_at(browser, url: str, viewport: dict):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.finished_runs = count_finished_runs(page)
    page.goto(url)
    wait_for_app(page, timeout=60_000)
    return context, page


def open_tab(page, index: int) -> str:
    """Click the page's tab `index` and wait for the rerun it starts to be rendered; return its label."""
    tab = page.locator(TAB).nth(index)
    label = tab.inner_text().strip()
    runs = page.finished_runs[0]
    tab.click()
    for _ in range(6000):
        if page.finished_runs[0] > runs:
            break
        page.wait_for_timeout(10)
    else:
        raise AssertionError(f"clicking the tab {label!r} started no rerun within 60 s")
    wait_for_app(page, timeout=60_000)
    return label


@pytest.mark.parametrize("info", PAGES, ids=[info.label for info in PAGES])
def test_no_page_or_tab_overflows_a_phone(server_url, browser, info):
    context, page = open_at(browser, f"{server_url}/{info.url_path}", PHONE)
    problems = [f"{info.label}: {p}" for p in page.evaluate(OVERFLOW)]
    screenshot(page, f"layout-phone-{info.url_path or 'Home'}")
    for index in range(1, page.locator(TAB).count()):
        label = open_tab(page, index)
        assert_healthy(page)
        problems += [f"{info.label} › {label}: {p}" for p in page.evaluate(OVERFLOW)]
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
