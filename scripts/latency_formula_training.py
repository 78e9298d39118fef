"""Latency of the Formula and Training vs inference pages in Chromium, next to a one-slider page (the floor).

    python scripts/latency_formula_training.py [ROOT ...]    # each ROOT: a checkout of the app (default: this one)

For each checkout a fresh `streamlit run` server; per page the time from a key press on the ε slider to the end
of the rerun it causes (fully rendered), and the time from a tab click to the rendered tab, as median and minimum
over alternating rounds. Traffic to 127.0.0.1 only. A benchmark run by hand, not a timed test.
"""

from __future__ import annotations

import pathlib
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
COUNT_RUNS = """() => {
  window.__runs = 0;
  new MutationObserver(ms => { for (const m of ms)
    if (m.target.getAttribute('data-test-script-state') === 'running') window.__runs++; })
  .observe(document.querySelector('[data-testid=stApp]'),
           {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
TABS = {"Formula": ["What ε does", "Backward pass", "Convolutional layers", "Forward pass"],
        "Training_vs_Inference": ["Inference", "Batch size", "Running statistics"]}
FLOOR_APP = 'import streamlit as st\n\nx = st.slider("ε (epsilon)", 0, 100, 50)\nst.write(x)\n'


def serve(root: pathlib.Path, script: str, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={"OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
            return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def wait(page) -> None:
    page.wait_for_selector("[data-testid=stApp][data-test-connection-state=CONNECTED]", timeout=60_000)
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=60_000)
    page.wait_for_function("document.querySelectorAll('[data-testid=stSkeleton]').length === 0", timeout=60_000)


def timed(page, action) -> float | None:
    """Milliseconds from `action` to the end of the rerun it starts, or None when it started none within 10 s
    (a key press that fell between focus and the widget's listener)."""
    runs = page.evaluate("window.__runs")
    start = time.perf_counter()
    action()
    try:
        page.wait_for_function(f"window.__runs > {runs}", timeout=10_000)
    except PlaywrightTimeout:
        return None
    wait(page)
    return (time.perf_counter() - start) * 1000


def slider_samples(page, presses: int = 6) -> list[float]:
    slider = page.locator('[data-testid=stSlider]:has-text("ε (epsilon)") input[type=range]').first
    samples = []
    for i in range(presses):
        slider.focus()
        samples.append(timed(page, lambda i=i: page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")))
    return [ms for ms in samples[1:] if ms is not None]


def measure(browser, url: str, page_name: str | None, results: dict) -> None:
    """One round on one page: ε-slider presses, then a click on every tab; samples appended to `results`."""
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(f"{url}/{page_name or ''}")
    wait(page)
    page.evaluate(COUNT_RUNS)
    results.setdefault("ε slider", []).extend(slider_samples(page))
    for tab in TABS.get(page_name, []):
        ms = timed(page, lambda tab=tab: page.get_by_role("tab", name=tab).click())
        if ms is not None:
            results.setdefault(tab, []).append(ms)
    page.close()


def main() -> None:
    """Servers for the floor and every checkout run side by side, measured in alternating rounds, so that a busy
    machine slows all of them alike; reported: median and minimum over the rounds."""
    roots = [pathlib.Path(arg) for arg in sys.argv[1:]] or [pathlib.Path(__file__).resolve().parents[1]]
    rounds = 3
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pathlib.Path(tmp, "floor.py").write_text(FLOOR_APP)
        targets = [("one-slider page", pathlib.Path(tmp), "floor.py", [None])]
        targets += [(str(root), root, "app.py", list(TABS)) for root in roots]
        servers = [serve(root, script, 8701 + k) for k, (_, root, script, _) in enumerate(targets)]
        results: dict = {}
        try:
            for _ in range(rounds):
                for k, (label, _, _, pages) in enumerate(targets):
                    for name in pages:
                        measure(browser, f"http://127.0.0.1:{8701 + k}", name, results.setdefault((label, name), {}))
                        print(".", end="", flush=True)
        finally:
            for server in servers:
                server.terminate()
        browser.close()
    print()
    for (label, name), samples in results.items():
        print(f"{label}  {name or ''}")
        for what, ms in samples.items():
            if not ms:
                continue
            print(f"    {what:<22} median {statistics.median(ms):6.0f} ms   min {min(ms):6.0f} ms")


if __name__ == "__main__":
    main()
