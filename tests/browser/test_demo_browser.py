"""The Demo page in Debian's Chromium: a deep link opens in its state, controls update tables, chart and URL,
a cell edit and an upload become the batch, downloads hold the numbers; light and dark screenshots."""

from __future__ import annotations

import csv
import io
import pathlib

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_healthy, screenshot, wait_for_app

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "csv"
TALL = {"width": 1400, "height": 3600}  # Streamlit scrolls inside the page: a tall viewport shows all of it
DEEP_LINK = "/Demo?preset=Random&n=12&f=3&seed=3&gamma0=2&beta1=-1&mode=Inference&steps=4"


def segment(page, label: str):
    """One option of a segmented control (a radio button)."""
    return page.get_by_role("radio", name=label, exact=True)


def tables(page):
    return page.locator("[data-testid=stMain] [data-testid=stDataFrame]")


def chart(page):
    return page.locator("[data-testid=stVegaLiteChart]")


def pixels(locator) -> bytes:
    return locator.screenshot(animations="disabled")


def test_deep_link_opens_its_state_and_a_mode_switch_updates_tables_and_chart(page, server_url):
    page.set_viewport_size(TALL)
    page.goto(server_url + DEEP_LINK)
    wait_for_app(page)
    assert_healthy(page)
    expect(segment(page, "Random")).to_be_checked()
    expect(segment(page, "Inference")).to_be_checked()
    expect(page.get_by_role("spinbutton", name="Training steps taken")).to_have_value("4")
    expect(page.get_by_role("spinbutton", name="Seed")).to_have_value("3")
    expect(page.locator("[data-testid=stMetricValue]").first).to_have_text("4")
    expect(page.get_by_text("Inference mode", exact=False)).to_be_visible()
    expect(tables(page)).to_have_count(5)
    expect(chart(page)).to_have_count(1)
    expect(chart(page).locator("canvas, svg").first).to_be_visible()
    page.wait_for_timeout(500)  # let Vega finish drawing before comparing pixels
    chart_before, xhat_before = pixels(chart(page)), pixels(tables(page).nth(1))

    segment(page, "Training").click()
    expect(page.get_by_text("Training mode", exact=False)).to_be_visible()
    wait_for_app(page)
    assert_healthy(page)
    assert "mode=" not in page.url and "steps=4" in page.url and "gamma0=2" in page.url
    page.wait_for_timeout(500)
    assert pixels(chart(page)) != chart_before
    assert pixels(tables(page).nth(1)) != xhat_before


def test_training_step_button_moves_the_running_statistics_and_the_url(page, server_url):
    page.goto(server_url + "/Demo")
    wait_for_app(page)
    page.get_by_role("button", name="Training step", exact=True).click()
    expect(page.locator("[data-testid=stMetricValue]").first).to_have_text("1")
    page.wait_for_url(lambda url: "steps=1" in url)
    page.get_by_role("button", name="Reset", exact=True).click()
    expect(page.locator("[data-testid=stMetricValue]").first).to_have_text("0")
    assert_healthy(page)


def test_a_cell_edit_becomes_your_own_batch_carried_by_the_link(page, server_url):
    page.goto(server_url + "/Demo")
    wait_for_app(page)
    editor = tables(page).first
    box = editor.bounding_box()
    # first data row, first feature column (the index column comes first); glide-data-grid draws on a canvas
    editor.dblclick(position={"x": box["width"] * 0.3, "y": 35 + 17})
    cell = page.locator(".gdg-input, [data-testid=stDataFrameCellEditor] input, #portal input").first
    cell.fill("100")
    cell.press("Enter")
    expect(segment(page, "Your own")).to_be_checked()
    wait_for_app(page)
    assert_healthy(page)
    page.wait_for_url(lambda url: "data=" in url)
    link = page.url
    page.goto(link)  # the link alone reproduces the edited batch
    wait_for_app(page)
    expect(segment(page, "Your own")).to_be_checked()
    expect(page.get_by_text("Your batch: 8 samples × 4 features.")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Input CSV", exact=True).click()
    rows = list(csv.reader(io.StringIO(pathlib.Path(download.value.path()).read_text())))
    assert rows[0] == ["F0", "F1", "F2", "F3"]
    assert float(rows[1][0]) == 100.0 and float(rows[2][0]) == -1.71


def test_stages_download_and_a_bad_upload(page, server_url):
    page.goto(server_url + "/Demo")
    wait_for_app(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="All three stages CSV", exact=True).click()
    rows = list(csv.DictReader(io.StringIO(pathlib.Path(download.value.path()).read_text())))
    assert [row["stage"] for row in rows] == ["input"] * 8 + ["normalized"] * 8 + ["output"] * 8
    assert float(rows[0]["F0"]) == -0.96

    page.get_by_text("Your own batch: upload or type").click()
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(FIXTURES / "text_columns.csv"))
    expect(page.get_by_text("Text column(s) ignored", exact=False)).to_be_visible()
    expect(segment(page, "Your own")).to_be_checked()
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(FIXTURES / "html_header.csv"))
    expect(page.get_by_text("Your batch: 3 samples × 3 features.")).to_be_visible()
    wait_for_app(page)
    assert_healthy(page)
    assert page.locator("[data-testid=stMain] img[src=x]").count() == 0  # the header was not rendered as HTML


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_in_light_and_dark_theme(browser, server_url, scheme):
    context = browser.new_context(color_scheme=scheme, viewport=TALL)
    page = context.new_page()
    page.goto(server_url + DEEP_LINK)
    wait_for_app(page)
    assert_healthy(page)
    page.wait_for_timeout(800)  # let Vega finish drawing
    screenshot(page, f"demo_deep_link_{scheme}")
    context.close()
