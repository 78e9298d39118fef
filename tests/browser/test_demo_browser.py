"""The Demo page in Debian's Chromium: a deep link opens in its state, controls update tables, charts and URL,
a cell edit and an upload become the batch, downloads hold the numbers; the layout fits a projector and a phone
(light and dark screenshots)."""

from __future__ import annotations

import csv
import io
import pathlib

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_healthy, screenshot, wait_for_app

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "csv"
TALL = {"width": 1400, "height": 3600}  # Streamlit scrolls inside the page: a tall viewport shows all of it
DESKTOP = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}
DEEP_LINK = "/Demo?preset=Random&n=12&f=3&seed=3&gamma0=2&beta1=-1&mode=Inference&steps=4&numbers=true"
NUMBERS = "The numbers: every value"  # the expander holding the tables, computed only when open
SHAPES_LINK = ("/Demo?preset=Random&n=64&dist0=skewed&dist1=bimodal&dist2=heavy-tailed&dist3=with+outliers"
               "&plot=Histogram")


def segment(page, label: str):
    """One option of a segmented control (a radio button)."""
    return page.get_by_role("radio", name=label, exact=True)


def tables(page):
    return page.locator("[data-testid=stMain] [data-testid=stDataFrame]")


def charts(page):
    return page.locator("[data-testid=stVegaLiteChart]")


def pixels(locator) -> bytes:
    return locator.screenshot(animations="disabled")


def open_demo(context, path: str = "/Demo", server_url: str = ""):
    page = context.new_page()
    page.goto(server_url + path)
    wait_for_app(page)
    expect(charts(page).first.locator("canvas, svg").first).to_be_visible()
    page.wait_for_timeout(800)  # let Vega finish drawing
    assert_healthy(page)
    return page


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
    expect(page.get_by_test_id("stAlertContentInfo").get_by_text("Inference mode")).to_be_visible()
    expect(tables(page)).to_have_count(5)
    expect(charts(page)).to_have_count(3)
    expect(charts(page).nth(1).locator("canvas, svg").first).to_be_visible()
    page.wait_for_timeout(500)  # let Vega finish drawing before comparing pixels
    chart_before, xhat_before = pixels(charts(page).nth(1)), pixels(tables(page).nth(1))

    segment(page, "Training").click()
    expect(page.get_by_test_id("stAlertContentInfo").get_by_text("Training mode")).to_be_visible()
    wait_for_app(page)
    assert_healthy(page)
    assert "mode=" not in page.url and "steps=4" in page.url and "gamma0=2" in page.url
    page.wait_for_timeout(500)
    assert pixels(charts(page).nth(1)) != chart_before
    assert pixels(tables(page).nth(1)) != xhat_before


def test_the_histogram_view_redraws_the_chart_and_is_carried_by_the_link(page, server_url):
    page.set_viewport_size({"width": 1280, "height": 1400})
    page.goto(server_url + "/Demo?preset=Random&n=64&dist1=bimodal")
    wait_for_app(page)
    page.wait_for_timeout(500)
    before = pixels(charts(page).nth(1))
    segment(page, "Histogram").click()
    page.wait_for_url(lambda url: "plot=Histogram" in url)
    wait_for_app(page)
    page.wait_for_timeout(500)
    assert_healthy(page)
    assert pixels(charts(page).nth(1)) != before


def test_training_step_button_moves_the_running_statistics_and_the_url(page, server_url):
    page.goto(server_url + "/Demo")
    wait_for_app(page)
    expect(tables(page)).to_have_count(0)  # the numbers wait, collapsed, until opened
    page.get_by_text(NUMBERS).click()
    page.wait_for_url(lambda url: "numbers=true" in url)
    expect(tables(page)).to_have_count(5)
    page.get_by_role("button", name="Training step", exact=True).click()
    expect(page.locator("[data-testid=stMetricValue]").first).to_have_text("1")
    page.wait_for_url(lambda url: "steps=1" in url)
    page.get_by_role("button", name="Reset", exact=True).click()
    expect(page.locator("[data-testid=stMetricValue]").first).to_have_text("0")
    assert_healthy(page)


def test_a_cell_edit_becomes_your_own_batch_carried_by_the_link(page, server_url):
    page.set_viewport_size(TALL)
    page.goto(server_url + "/Demo?numbers=true")
    wait_for_app(page)
    editor = tables(page).first
    # first data row, first feature column, just right of the ~60 px index column; glide-data-grid draws on a canvas
    editor.dblclick(position={"x": 90, "y": 35 + 17})
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
    page.set_viewport_size(TALL)
    page.goto(server_url + "/Demo?numbers=true")
    wait_for_app(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="All three stages CSV", exact=True).click()
    rows = list(csv.DictReader(io.StringIO(pathlib.Path(download.value.path()).read_text())))
    assert [row["stage"] for row in rows] == ["input"] * 8 + ["normalized"] * 8 + ["output"] * 8
    assert [row["sample"] for row in rows[:8]] == [str(i) for i in range(1, 9)]
    assert float(rows[0]["F0"]) == -0.96

    page.get_by_text("Your own batch: upload or type").click()
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(FIXTURES / "text_columns.csv"))
    expect(page.get_by_text("Text column(s) ignored", exact=False)).to_be_visible(timeout=20_000)
    expect(segment(page, "Your own")).to_be_checked()
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(FIXTURES / "html_header.csv"))
    # upload, callback and rerun: ~1 s on a quiet machine, several on a shared one
    expect(page.get_by_text("Your batch: 3 samples × 3 features.")).to_be_visible(timeout=20_000)
    wait_for_app(page)
    assert_healthy(page)
    assert page.locator("[data-testid=stMain] img[src=x]").count() == 0  # the header was not rendered as HTML


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_on_a_projector_the_distribution_chart_is_near_the_top_and_large(browser, server_url, scheme):
    context = browser.new_context(color_scheme=scheme, viewport=DESKTOP)
    page = open_demo(context, SHAPES_LINK, server_url)
    boxes = [charts(page).nth(i).bounding_box() for i in range(3)]
    assert all(box["y"] + box["height"] <= 2 * DESKTOP["height"] for box in boxes), boxes
    assert all(box["height"] >= 290 for box in boxes), boxes
    screenshot(page, f"demo-desktop-{scheme}")
    context.close()


# Each grid's columns against its box: [box width, width of its columns] (Glide's scroller holds the columns).
GRID_WIDTHS = """() => [...document.querySelectorAll('[data-testid=stMain] [data-testid=stDataFrame]')]
  .map(grid => grid.querySelector('.dvn-scroller')).map(scroller => [scroller.clientWidth, scroller.scrollWidth])"""


@pytest.mark.parametrize("num_features", [1, 3, 4, 8])
def test_on_a_projector_the_numbers_show_every_feature_of_every_stage(browser, server_url, num_features):
    """The numbers' tables (the input, normalized and output stages, then the statistics) show every column at
    1280 px, without scrolling sideways: a projected table that hides a feature cannot be read from the room."""
    context = browser.new_context(viewport=DESKTOP)
    page = open_demo(context, f"/Demo?preset=Random&f={num_features}&numbers=true", server_url)
    widths = page.evaluate(GRID_WIDTHS)
    assert len(widths) == 5, widths
    assert all(columns <= box for box, columns in widths), widths
    context.close()


@pytest.mark.parametrize("path", ["/Demo", SHAPES_LINK, "/Demo?preset=Your+own&data=c,v%0A2,1%0A2,4%0A2,6%0A&eps=0"])
def test_on_a_phone_nothing_overflows_the_screen(browser, server_url, path):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = open_demo(context, path, server_url)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    overflowing = page.evaluate("""() => [...document.querySelectorAll('[data-testid=stVegaLiteChart]')]
        .filter(chart => chart.scrollWidth > chart.parentElement.clientWidth + 1).length""")
    assert overflowing == 0
    assert page.locator("[data-testid=stMain] [data-testid=stAlertContentError]").count() == 0
    screenshot(page, "demo-phone" + ("-shapes" if "plot" in path else "-eps0" if "eps" in path else ""))
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_home_preview_fits_and_card_links_are_not_clipped(browser, server_url, viewport):
    context = browser.new_context(viewport=viewport)
    page = open_demo(context, "/", server_url)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    clipped = page.evaluate("""() => [...document.querySelectorAll('[data-testid=stMain] [data-testid=stPageLink] p')]
        .filter(text => text.scrollWidth > text.clientWidth + 1).map(text => text.innerText)""")
    assert clipped == []
    boxes = [charts(page).nth(i).bounding_box() for i in range(2)]
    assert all(box["x"] + box["width"] <= viewport["width"] for box in boxes)
    screenshot(page, f"home-{'phone' if viewport is PHONE else 'desktop'}")
    context.close()
