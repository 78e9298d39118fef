"""BatchNorm Lab benchmark: run by hand, figures go into README (this is not a timed test).

    python scripts/benchmark.py              # server rerun times per page (AppTest), next to an empty page
    python scripts/benchmark.py --browser    # plus Chromium: cold render, slider-to-update latency, memory

Server rerun: each page at default settings, opened as a user does (app.py, then switch_page), then re-run
`--reruns` times; median and p95 of the wall time of `AppTest.run()`. The same is measured for an empty page,
the floor Streamlit itself costs here.
Browser (needs /usr/bin/chromium): a fresh `streamlit run` server; cold start to first full render per page;
the time from a slider key press to the re-rendered page; server RSS with 1 and with 20 concurrent sessions.
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from tests.browser.conftest import CHROMIUM, start_server, wait_for_app  # noqa: E402
from tests.pages.conftest import open_page  # noqa: E402
from ui.layout import PAGES  # noqa: E402

LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def summarize(samples_ms: list[float]) -> str:
    samples = sorted(samples_ms)
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return f"median {statistics.median(samples):6.1f} ms   p95 {p95:6.1f} ms"


def time_reruns(at: AppTest, reruns: int) -> list[float]:
    samples = []
    for _ in range(reruns):
        start = time.perf_counter()
        at.run(timeout=60)
        samples.append((time.perf_counter() - start) * 1000)
        if at.exception:
            raise RuntimeError(f"exception during rerun: {at.exception[0].message}")
    return samples


def bench_server(reruns: int) -> None:
    print(f"Server rerun time at default settings ({reruns} reruns, AppTest)")
    with tempfile.TemporaryDirectory() as tmp:
        empty = pathlib.Path(tmp) / "empty.py"
        empty.write_text("import streamlit as st\nst.write('')\n")
        at = AppTest.from_file(str(empty)).run()
        print(f"  {'empty Streamlit page':<28} {summarize(time_reruns(at, reruns))}")
    for info in PAGES:
        at = open_page(None if info.path == "app.py" else info.path, timeout=120)
        print(f"  {info.label:<28} {summarize(time_reruns(at, reruns))}")


def rss_mb(pid: int) -> float:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# Counts the script runs the page starts: a MutationObserver sees every change of the app's script state,
# even a run too short for a polling wait to catch.
COUNT_RUNS = """() => {
  window.__runs = 0;
  new MutationObserver(ms => { for (const m of ms)
    if (m.target.getAttribute('data-test-script-state') === 'running') window.__runs++; })
  .observe(document.querySelector('[data-testid=stApp]'),
           {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def slider_latencies(browser, url: str, presses: int = 10) -> list[float]:
    """Milliseconds from an ε-slider key press to the end of the rerun it causes, fully rendered."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    wait_for_app(page, timeout=120_000)
    page.evaluate(COUNT_RUNS)
    slider = page.locator('[data-testid=stSlider]:has-text("ε (epsilon)") input[type=range]')
    samples = []
    for i in range(presses):
        slider.focus()
        start = time.perf_counter()
        page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        page.wait_for_function(f"window.__runs > {i}", timeout=10_000)
        wait_for_app(page)
        samples.append((time.perf_counter() - start) * 1000)
    page.close()
    return samples


def bench_browser(sessions: int) -> None:
    from playwright.sync_api import sync_playwright

    proc, base = start_server()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            print("Chromium: cold start to first full render (fresh server, new browser context per page)")
            for info in PAGES:
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                start = time.perf_counter()
                page.goto(f"{base}/{info.url_path}")
                wait_for_app(page, timeout=120_000)
                print(f"  {info.label:<28} {(time.perf_counter() - start) * 1000:7.0f} ms")
                context.close()
            print(f"  server RSS after one session per page: {rss_mb(proc.pid):.0f} MB")

            print("Chromium: slider key press to re-rendered page (ε slider, 10 presses per page)")
            for path in ("Demo", "Formula", "Training_vs_Inference", "Variants"):
                samples = slider_latencies(browser, f"{base}/{path}")
                print(f"  {path:<28} {summarize(samples)}")

            print(f"Server memory with {sessions} concurrent sessions (Demo page each)")
            pages = [browser.new_page() for _ in range(sessions)]
            for p in pages:
                p.goto(f"{base}/Demo")
            errors = 0
            for p in pages:
                wait_for_app(p, timeout=120_000)
                errors += p.locator("[data-testid=stException]").count()
            print(f"  server RSS {rss_mb(proc.pid):.0f} MB, exceptions shown: {errors}")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reruns", type=int, default=30)
    parser.add_argument("--browser", action="store_true", help="also measure in Debian's Chromium")
    parser.add_argument("--sessions", type=int, default=20)
    args = parser.parse_args()
    bench_server(args.reruns)
    if args.browser:
        bench_browser(args.sessions)


if __name__ == "__main__":
    main()
