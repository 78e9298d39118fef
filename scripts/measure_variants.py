"""Measure the Variants page in Chromium: slider latency and server CPU per rerun next to a one-slider page,
and the time of every tab switch. A benchmark, not a test: `python scripts/measure_variants.py`.

Latency = key press on a slider to the page's script finished and no skeleton left (medians of REPEATS).
"""

from __future__ import annotations

import os
import pathlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from playwright.sync_api import sync_playwright

ROOT = pathlib.Path(os.environ.get("APP_ROOT", pathlib.Path(__file__).resolve().parents[1]))
REPEATS = 9
TABS = ("Who shares statistics", "Same data, five layers", "Batch-size sensitivity", "Batch Renorm", "Ghost BN",
        "When to use which")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
FLOOR_APP = 'import streamlit as st\nst.write(st.slider("x", 0, 100, 50))\n'


def start(script: str, cwd: pathlib.Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
            return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(page) -> None:
    page.wait_for_selector("[data-testid=stApp][data-test-connection-state=CONNECTED]", timeout=120_000)
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=120_000)
    page.wait_for_function("document.querySelectorAll('[data-testid=stSkeleton]').length === 0", timeout=120_000)


QUIET_MS = 250  # a render is over when the page has not changed for this long
OBSERVE = """() => {
    if (window.__lastChange !== undefined) return;
    window.__lastChange = performance.now();
    new MutationObserver(() => { window.__lastChange = performance.now(); })
        .observe(document.body, {attributes: true, childList: true, subtree: true, characterData: true});
}"""


def rerun(page, action) -> float:
    """Seconds from `action` to the last change of the page it causes (the page then quiet for QUIET_MS), measured
    with the page's own clock: server rerun, transfer and the browser's rendering of every element and chart."""
    page.evaluate(OBSERVE)
    start = page.evaluate("performance.now()")
    action()
    page.wait_for_function(f"() => window.__lastChange > {start} && performance.now() - window.__lastChange > "
                           f"{QUIET_MS}", timeout=30_000, polling=50)
    settle(page)
    return (page.evaluate("window.__lastChange") - start) / 1000


def slider_latency(page, proc, name: str) -> tuple[float, float]:
    """Median latency and server CPU per rerun of clicks alternating between 20 % and 80 % of a slider's track."""
    sliders = page.locator("[data-testid=stSlider]")
    track = (sliders.filter(has_text=name) if name else sliders).first.locator("[data-orientation=horizontal]").nth(1)
    track.wait_for()
    page.wait_for_timeout(1_000)  # let the first render's browser work finish
    box = track.bounding_box()
    times, cpu0 = [], cpu_seconds(proc.pid)
    for i in range(REPEATS):
        x = box["x"] + box["width"] * (0.2 if i % 2 == 0 else 0.8)
        times.append(rerun(page, lambda x=x: page.mouse.click(x, box["y"] + box["height"] / 2)))
    return statistics.median(times), (cpu_seconds(proc.pid) - cpu0) / REPEATS


def cache_entry_sizes() -> None:
    """Pickled size of each cached function's value on the Variants page at the largest shape the controls allow."""
    sys.path.insert(0, str(ROOT))
    import pickle

    from charts import variants as charts
    from lessons import affine, renorm, variants

    largest = (8, 12, 16)
    lesson = variants.same_data(largest, 12)
    spreads = variants.batch_size_sensitivity(12, 16, 12, trials=32)
    summary, result, running = renorm.renorm_summary(3.0, 5.0), renorm.ghost_experiment(), renorm.ghost_running(2)
    entries = {
        "sharing_view": (charts.sharing_spec(largest, 12, (0, 0, 0), variants.sharing_titles(largest, 12)),
                         variants.facts_table(largest, 12)),
        "same_data_view": (lesson, *charts.same_data_specs(lesson.x, lesson.outputs)),
        "beyond_view": affine.beyond_the_statistics(largest),
        "sensitivity_view": (charts.sensitivity_spec(variants.BATCH_SIZES, spreads),
                             variants.sensitivity_table(spreads)),
        "renorm_view": (charts.renorm_spec(summary.curves), summary),
        "ghost_result": result,
        "ghost_view": (*charts.ghost_specs(result, running, 2), result, running),
    }
    for name, value in entries.items():
        print(f"{name}: {len(pickle.dumps(value)) / 1024:.1f} KB an entry")


def main() -> None:
    if "--cache" in sys.argv:
        cache_entry_sizes()
        return
    floor_dir = pathlib.Path(tempfile.mkdtemp())
    (floor_dir / "floor.py").write_text(FLOOR_APP)
    floor_port, app_port = free_port(), free_port()
    floor = start("floor.py", floor_dir, floor_port)
    app = start("app.py", ROOT, app_port)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(f"http://127.0.0.1:{floor_port}/")
            settle(page)
            floor_latency, floor_cpu = slider_latency(page, floor, "")
            print(f"floor (one slider): latency {floor_latency * 1000:.0f} ms, server CPU {floor_cpu * 1000:.0f} ms")
            page.goto(f"http://127.0.0.1:{app_port}/Variants")
            settle(page)
            for name in ("Batch size N", "Sample n" if "--after" in sys.argv else "Selected sample n"):
                latency, cpu = slider_latency(page, app, name)
                print(f"Variants '{name}': latency {latency * 1000:.0f} ms ({latency / floor_latency:.1f}x), "
                      f"server CPU {cpu * 1000:.0f} ms ({cpu / floor_cpu:.1f}x)")
            for tab in TABS[1:] + TABS[:1]:
                times = []
                for _ in range(3):
                    others = [t for t in TABS if t != tab]
                    rerun(page, lambda o=others[0]: page.get_by_role("tab", name=o).click())
                    times.append(rerun(page, lambda t=tab: page.get_by_role("tab", name=t).click()))
                print(f"tab '{tab}': {statistics.median(times) * 1000:.0f} ms")
            browser.close()
    finally:
        for proc in (floor, app):
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
