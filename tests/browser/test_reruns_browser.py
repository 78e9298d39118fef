"""What a click reruns, read from the websocket in Chromium: a tab switch on the pages whose tabs are their own
fragment (ui.controls.open_tab(alone=True), Training vs inference's tabs_view) redraws the tabs and nothing else,
so the sidebar, the title and the page's text are not sent again."""

from __future__ import annotations

import pytest

from tests.browser.conftest import RunCounter, assert_healthy, on_forward_msg, wait_for_app, wait_for_rerun

TAB = "[data-testid=stTab]"


def delta_fragment_ids(page) -> list[str]:
    """A list that fills with the fragment id of every element the server sends (empty for an element of a full
    rerun)."""
    fragment_ids: list[str] = []

    def record(message) -> None:
        if message.WhichOneof("type") == "delta":
            fragment_ids.append(message.delta.fragment_id)

    on_forward_msg(page, record)
    return fragment_ids


@pytest.mark.parametrize("path", ["Training_vs_Inference", "In_practice", "Deep_networks"])
def test_a_tab_switch_reruns_only_the_tabs(page, base_url, path):
    page.runs = RunCounter(page)
    fragment_ids = delta_fragment_ids(page)
    page.goto(f"{base_url}/{path}")
    wait_for_app(page, timeout=90_000)
    full_run = len(fragment_ids)
    assert "" in fragment_ids, "the first run draws the whole page"
    runs = page.runs.finished
    page.locator(TAB).nth(1).click()
    wait_for_rerun(page, runs, timeout=90_000)
    assert_healthy(page)
    switch = fragment_ids[full_run:]
    assert switch, "the tab switch drew nothing"
    assert all(switch), f"{switch.count('')} of {len(switch)} elements were sent by a full rerun of the page"
