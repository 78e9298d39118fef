"""One visitor walks every ordered pair of pages in Chromium, after changing each page's controls and pressing its
buttons (the Demo's "Training step", an upload, the presets): no exception anywhere, and the sidebar's share link
shows the page's URL after every interaction.

The pages come from ui.layout.PAGES; the walk is an Eulerian circuit of the complete directed graph on them, so
each ordered pair (A, B) is one sidebar click from A to B: N(N-1) clicks in one session on one server.
"""

from __future__ import annotations

import pathlib
from urllib.parse import parse_qs, urlsplit

from tests.browser.conftest import assert_healthy, section_options, wait_for_app
from ui.layout import PAGES

CSV = pathlib.Path(__file__).parents[1] / "fixtures" / "csv" / "text_columns.csv"
SETTLE_MS = 250  # a click's rerun may not have started yet when the click returns
MAX_BUTTONS = 6
LINK_POLLS = 40


def every_ordered_pair(n: int) -> list[int]:
    """A walk 0 → … → 0 over nodes 0..n-1 that uses every ordered pair (a, b), a != b, exactly once."""
    unused = {a: [b for b in range(n) if b != a] for a in range(n)}
    stack, walk = [0], []
    while stack:
        node = stack[-1]
        if unused[node]:
            stack.append(unused[node].pop())
        else:
            walk.append(stack.pop())
    return walk[::-1]


def settle(page) -> None:
    page.wait_for_timeout(SETTLE_MS)
    wait_for_app(page, timeout=90_000)


def same_view(link: str, url: str) -> bool:
    a, b = urlsplit(link), urlsplit(url)
    return a.path.rstrip("/") == b.path.rstrip("/") and parse_qs(a.query) == parse_qs(b.query)


def assert_link_is_the_url(page, what: str) -> None:
    """The sidebar's share box holds the page's URL once the rerun is drawn (polled: it follows the address bar
    every 300 ms); a box one step behind stays different and fails."""
    box = page.locator("[data-testid=stSidebar] [data-testid=shareLink]")
    for _ in range(LINK_POLLS):
        link = box.input_value().strip()
        if same_view(link, page.url):
            return
        page.wait_for_timeout(SETTLE_MS)
        wait_for_app(page)
    raise AssertionError(f"{what}: share link {link[:200]} is not the page's URL {page.url[:200]}")


def check(page, what: str) -> None:
    settle(page)
    assert_healthy(page)
    assert_link_is_the_url(page, what)


def exercise(page, label: str) -> None:
    """Change what a visitor would change on this page: sliders, presets, choices, parts, an upload, buttons."""
    # The page's own controls, in the main area and the sidebar (the Demo keeps its batch and layer there); only
    # visible ones, as a visitor sees them (a collapsed "Lab settings" expander hides its controls).
    main = page.locator("[data-testid=stMain], [data-testid=stSidebar]")
    sliders = main.locator("[data-testid=stSlider] input[type=range]").filter(visible=True)
    for i in range(min(2, sliders.count())):
        sliders.nth(i).focus()
        page.keyboard.press("ArrowRight")
        check(page, f"{label}: slider {i}")
    groups = main.locator("[data-testid=stButtonGroup]").filter(visible=True).filter(has_not=section_options(page))
    for g in range(min(2, groups.count())):
        options = groups.nth(g).locator("button")
        for o in range(min(3, options.count()) - 1, -1, -1):
            options.nth(o).click()
            check(page, f"{label}: option {o} of choice {g}")
    sections = section_options(page)
    for t in range(min(3, sections.count()) - 1, -1, -1):
        sections.nth(t).click()
        check(page, f"{label}: part {t}")
    uploads = main.locator("[data-testid=stFileUploader] input[type=file]")
    if uploads.count():
        uploads.first.set_input_files(str(CSV))
        check(page, f"{label}: upload")
    for b in range(MAX_BUTTONS):
        buttons = main.locator("[data-testid=stButton] button:enabled:visible")
        if b >= buttons.count():
            break
        name = buttons.nth(b).inner_text()
        buttons.nth(b).click()
        check(page, f"{label}: button {name!r}")


def test_every_ordered_pair_of_pages_after_using_each(server_url, page):
    page.set_default_timeout(30_000)
    walk = every_ordered_pair(len(PAGES))
    assert len(walk) - 1 == len(PAGES) * (len(PAGES) - 1)
    page.goto(f"{server_url}/{PAGES[walk[0]].url_path}")
    wait_for_app(page, timeout=90_000)
    exercised = set()
    for here, there in zip(walk, walk[1:], strict=False):
        if here not in exercised:
            exercise(page, PAGES[here].label)
            exercised.add(here)
        target = PAGES[there]
        page.locator("[data-testid=stSidebar] [data-testid=stPageLink]").get_by_text(target.label, exact=True).click()
        page.wait_for_url(lambda url, path=target.url_path: urlsplit(url).path.strip("/") == path)
        check(page, f"{PAGES[here].label} -> {target.label}")
    assert exercised == set(range(len(PAGES)))
