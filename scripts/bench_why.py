"""Benchmark: the "Why it works" page's default experiment, from click to charts, and its per-seed cost.

    python scripts/bench_why.py [--repeats 3]

1. Training: `lessons.why.learning_rate.run` at its defaults (5 learning rates × 5 seeds, with and without BatchNorm:
   two stacked networks of 25 models), CPU time of this thread and wall time; then at 1 and 10 seeds, for the cost
   of one more seed.
2. Click to charts (server time): the page under AppTest with every cache cleared, so the run trains, builds its
   chart spec and renders, as a first visitor's click does; then a warm rerun (results and specs cached), the cost
   of moving a control that does not retrain.
3. With --browser (Debian's Chromium): a fresh `streamlit run` server; the server's CPU time and the wall time from
   opening the page to its chart (nothing cached), then the server's CPU per full rerun (the "r" shortcut) with the
   result cached, and the same for an empty one-slider page (the floor).
HOME points at a fresh temporary folder, so the disk cache (~/.streamlit/cache) starts empty and stays untouched.
Each figure is the median of `--repeats` runs (minimum in parentheses). The machine is shared: the load average is
printed beside the figures, and the minimum is the least disturbed.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile
import time
from dataclasses import replace

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ["HOME"] = tempfile.mkdtemp(prefix="bench-why-")  # before streamlit is imported: an empty disk cache
ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from lessons.why import learning_rate  # noqa: E402


def timed(run, repeats: int) -> tuple[list[float], list[float]]:
    """CPU seconds (this thread) and wall seconds of each of `repeats` calls."""
    cpu, wall = [], []
    for _ in range(repeats):
        c, w = time.thread_time(), time.perf_counter()
        run()
        cpu.append(time.thread_time() - c)
        wall.append(time.perf_counter() - w)
    return cpu, wall


def figure(values: list[float], unit: str = "s") -> str:
    scale = 1e3 if unit == "ms" else 1.0
    return f"{scale * float(np.median(values)):.2f} {unit} (min {scale * min(values):.2f})"


def page_run(warm: bool) -> AppTest:
    if not warm:
        st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/6_Why_it_works.py")
    return at


def server_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (from /proc)."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


FLOOR_PAGE = """import streamlit as st
st.slider("x", 0, 100, 50, key="x")
"""


def bench_browser(reruns: int) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, start_server, wait_for_app

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
    floor_dir = pathlib.Path(tempfile.mkdtemp(prefix="floor-"))
    (floor_dir / "app.py").write_text(FLOOR_PAGE)
    proc, url = start_server()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            cpu, wall = server_cpu(proc.pid), time.perf_counter()
            page.goto(f"{url}/Why_it_works")
            wait_for_app(page, timeout=300_000)
            page.get_by_test_id("stVegaLiteChart").locator("g.mark-line path").first.wait_for(timeout=60_000)
            print(f"browser, cold server: open to chart {time.perf_counter() - wall:.2f} s wall, "
                  f"{server_cpu(proc.pid) - cpu:.2f} s of server CPU")
            print(f"  server CPU per rerun, result cached: {1e3 * rerun_cpu(page, proc.pid, reruns):.0f} ms")
            for seed in range(1, 4):  # a warm server, an uncached default-sized experiment: the click's own cost
                page.goto(f"{url}/Why_it_works?lr_seed={seed}")
                wait_for_app(page)
                cpu, wall = server_cpu(proc.pid), time.perf_counter()
                page.get_by_role("button", name="Run experiment").click()
                page.get_by_test_id("stVegaLiteChart").locator("g.mark-line path").first.wait_for(timeout=60_000)
                wait_for_app(page, timeout=60_000)
                print(f"  click to charts, warm server (seed {seed}, not cached): {time.perf_counter() - wall:.2f} s "
                      f"wall, {server_cpu(proc.pid) - cpu:.2f} s of server CPU")
            floor, floor_url = start_floor(floor_dir)
            try:
                page.goto(floor_url)
                wait_for_app(page)
                print(f"  floor (one-slider page): {1e3 * rerun_cpu(page, floor.pid, reruns):.0f} ms")
            finally:
                floor.terminate()
            browser.close()
    finally:
        proc.terminate()


def start_floor(folder: pathlib.Path):
    import socket
    import subprocess
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--browser.gatherUsageStats", "false"], cwd=folder,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    return proc, f"http://127.0.0.1:{port}"


def rerun_cpu(page, pid: int, reruns: int) -> float:
    """Median server CPU seconds of a full rerun, triggered by Streamlit's "r" shortcut."""
    from tests.browser.conftest import wait_for_app

    samples = []
    for _ in range(reruns):
        cpu = server_cpu(pid)
        page.locator("body").press("r")
        page.wait_for_timeout(300)  # the rerun starts (a fast page may already be done)
        wait_for_app(page)
        page.wait_for_timeout(200)  # let the server finish sending
        samples.append(server_cpu(pid) - cpu)
    return float(np.median(samples))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--browser", action="store_true", help="also measure a real server from Chromium")
    parser.add_argument("--reruns", type=int, default=10)
    options = parser.parse_args()
    repeats = options.repeats
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    cpu, wall = timed(lambda: learning_rate.run(), repeats)
    print(f"default learning-rate experiment (50 networks × 150 steps): CPU {figure(cpu)}, wall {figure(wall)}")
    per = {}
    for seeds in (1, 10):
        lab = replace(learning_rate.DEFAULT, n_seeds=seeds)
        per[seeds], _ = timed(lambda lab=lab: learning_rate.run(lab), repeats)
        print(f"  at {seeds} seed{'s' if seeds > 1 else ''}: CPU {figure(per[seeds])}")
    marginal = (np.median(per[10]) - np.median(per[1])) / 9
    print(f"  one more seed costs {marginal:.3f} s of CPU ({np.median(cpu) / 5:.3f} s per seed on average at 5)")

    clicks, reruns = [], []
    for _ in range(repeats):
        at = page_run(warm=False)
        c = time.process_time()  # the script runs in AppTest's thread: count the whole process
        at.run()
        clicks.append(time.process_time() - c)
        assert not at.exception and at.get("vega_lite_chart"), "the page did not render its chart"
        c = time.process_time()
        at.run()
        reruns.append(time.process_time() - c)
    print(f"click to charts under AppTest (caches cleared), process CPU: {figure(clicks)}")
    print(f"warm rerun under AppTest (cached result and spec), process CPU: {figure(reruns, 'ms')}")
    if options.browser:
        bench_browser(options.reruns)


if __name__ == "__main__":
    main()
