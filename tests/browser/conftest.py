"""Real-browser fixtures: a `streamlit run` server on a free port and Debian's Chromium via Playwright.

Without /usr/bin/chromium these tests skip locally; under CI (CI=true) they fail instead, so a CI run
can never pass without having exercised the browser.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import time

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from deploy.local import start_streamlit
from ui.controls import SECTIONS_LABEL
from ui.layout import PAGES

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
SUBPAGES = [info for info in PAGES if info.path != "app.py"]  # every page but Home


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _require_chromium():
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def start_server() -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` headless on a free port (deploy.local.start_streamlit); (process, base URL) once
    /_stcore/health answers, within 30 s."""
    return start_streamlit(timeout=30)


@pytest.fixture(scope="session")
def server_url():
    """A fresh Streamlit server for the whole browser session; terminated afterwards."""
    _require_chromium()
    proc, url = start_server()
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def base_url(server_url):
    """pytest-playwright's base URL: our server (its own fallback warns, which this suite treats as an error)."""
    return server_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    _require_chromium()
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}


def wait_for_app(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit is connected, the script has finished and no skeleton placeholders remain."""
    page.wait_for_selector("[data-testid=stApp][data-test-connection-state=CONNECTED]", timeout=timeout)
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=timeout)
    page.wait_for_function("document.querySelectorAll('[data-testid=stSkeleton]').length === 0", timeout=timeout)


def open_tall(page, url: str, height: int, timeout: float = 30_000) -> None:
    """Open `url` in a viewport `height` px tall: Streamlit scrolls inside its own container, so a full-page
    screenshot shows only what fits in the viewport."""
    page.set_viewport_size({"width": 1400, "height": height})
    page.goto(url)
    wait_for_app(page, timeout=timeout)


def assert_healthy(page) -> None:
    """No Streamlit exception element on the page (its text is the failure message)."""
    exceptions = page.locator("[data-testid=stException]")
    assert exceptions.count() == 0, exceptions.first.inner_text()


def screenshot(page, name: str) -> pathlib.Path:
    """Save a full-page screenshot to test-artifacts/screenshots/<name>.png and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


SLIDER = "[data-testid=stSlider] input[type=range]"


def first_slider(page):
    """The page's first visible slider, opening the main area's first expander when every slider is collapsed
    in one (a page's lab settings), and the two arrow keys that move it away from its end and back."""
    if page.locator(SLIDER).filter(visible=True).count() == 0:
        page.locator("[data-testid=stMain] [data-testid=stExpander] summary").first.click()
    slider = page.locator(SLIDER).filter(visible=True).first
    at_max = slider.evaluate("e => Number(e.value) >= Number(e.max)")
    return slider, ("ArrowLeft", "ArrowRight") if at_max else ("ArrowRight", "ArrowLeft")


def section_options(page):
    """The options of the page's section control (ui.controls.open_section): role=radio buttons in a radiogroup."""
    return page.get_by_role("radiogroup", name=SECTIONS_LABEL, exact=True).get_by_role("radio")


def open_section(page, name: str) -> None:
    """Click the section `name` of the page's section control."""
    section_options(page).filter(has_text=name).first.click()


def on_forward_msg(page, handle) -> None:
    """Call handle(message) with every ForwardMsg the server sends the page over its websocket, parsed."""
    def frame(payload) -> None:
        if isinstance(payload, str):
            return
        message = ForwardMsg()
        message.ParseFromString(payload)
        handle(message)

    page.on("websocket", lambda ws: ws.on("framereceived", frame))


class RunCounter:
    """Counts the script runs the server finishes for one page, from the websocket's own script_finished
    messages: a run faster than a frame never shows as "running" in the DOM, so the page's attributes can miss
    it. `page.runs = RunCounter(page)` before the page opens."""

    def __init__(self, page) -> None:
        self.finished = 0
        on_forward_msg(page, self._message)

    def _message(self, message: ForwardMsg) -> None:
        if message.WhichOneof("type") == "script_finished" and \
                message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            self.finished += 1


def wait_for_rerun(page, runs_before: int, timeout: float = 60_000) -> None:
    """Wait until a run after `runs_before` (page.runs.finished) has finished on the server and the page has
    rendered it."""
    deadline = time.monotonic() + timeout / 1000
    while page.runs.finished <= runs_before:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no rerun within {timeout / 1000:.0f} s")
        page.wait_for_timeout(5)
    wait_for_app(page, timeout=timeout)


# What overflows, in CSS pixels (1 px of slack for sub-pixel rounding): the document, Streamlit's main area (which
# scrolls sideways by itself when something in it is too wide), and every chart's drawing (canvas or svg) against the
# element Streamlit gave the chart.
OVERFLOW = """() => {
  const found = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1)
    found.push(`the page is ${doc.scrollWidth} px wide in a ${window.innerWidth} px window`);
  const main = document.querySelector('[data-testid=stMain]');
  if (main && main.scrollWidth > main.clientWidth + 1)
    found.push(`the main area scrolls sideways: ${main.scrollWidth} px of content in ${main.clientWidth} px`);
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


def overflow(page) -> list[str]:
    """What overflows on the page as it is drawn now (OVERFLOW), one sentence each; empty when nothing does."""
    return page.evaluate(OVERFLOW)
