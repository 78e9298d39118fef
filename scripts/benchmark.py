"""BatchNorm Lab benchmark: run by hand, figures go into README (a benchmark, not a timed test).

    python scripts/benchmark.py --markdown          # everything, in one run (~12 min), README-ready tables at the end
    python scripts/benchmark.py --quick             # the same, fewer samples (~5 min)
    python scripts/benchmark.py --pages --tabs      # only some sections; see --help for the list

Every page is measured next to a floor, a one-slider Streamlit page (scripts/floor_app.py) served by its own
`streamlit run` in the same run, so the machine's load cancels out of the ratio. All traffic is to 127.0.0.1.

--pages      Chromium: a key press on each page's first slider to the fully re-rendered page (the end of the run is
             the websocket's script_finished message, then the render), median and p95; server CPU per rerun
             (utime+stime of the server process from /proc around the presses, divided by the runs counted). A
             second floor row draws the same slider as the lab draws a page (page_setup's sidebar and pages/
             folder, the content in ui.layout.page_body).
--tabs       Chromium: click on each part of a page (its section control, the issue's "tabs") to its
             re-rendered view, first visit and revisit.
--cold       Chromium: first render of each page on a fresh server (nothing cached), that server's CPU, the first
             render on a fresh server that ran its home page for its health check (as the Dockerfile's replicas
             do: deploy/local.py warm_up), and the first render for the next visitor (the median of three new
             sessions on the running server).
--classroom  30 websocket sessions (scripts/st_client.py, no browser) on one server, each nudging its page's first
             slider every 2-5 s for two minutes: rerun p50/p95 (control change to the server's script_finished),
             errors, server RSS before and after.
--nginx      Reruns per second served by 1 and by 2 `streamlit run` replicas behind nginx (deploy/local.py), with
             zero-think-time websocket clients.
--links      Issue 12's budgets: the costliest single link (a huge one-row CSV in the Demo's link; the Why page
             with every setting at its maximum), the costliest upload under the cap, and server memory after up
             to 500 distinct slider combinations per page.
--elements   What the 2x target leaves room for: the floor's one slider plus n elements of one kind
             (scripts/element_app.py: changing text, unchanged text, number inputs, select boxes, column pairs).
--apptest    The old server-only measure: AppTest rerun time per page next to an empty page.
--browser    The old flag: same as --pages --tabs --cold.
--profile    py-spy samples of the server during 30 reruns of a page (default Demo and Why_it_works), by element.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import pathlib
import random
import shutil
import statistics
import sys
import tempfile
import textwrap
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deploy.local import cluster, start_streamlit, stop  # noqa: E402
from scripts.st_client import Session  # noqa: E402
from tests.browser.conftest import (  # noqa: E402
    CHROMIUM,
    SLIDER,
    RunCounter,
    first_slider,
    section_options,
    wait_for_app,
    wait_for_rerun,
)
from ui.layout import PAGES  # noqa: E402

FLOOR = "scripts/floor_app.py"
ELEMENTS = "scripts/element_app.py"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
TICK = os.sysconf("SC_CLK_TCK")
SECTIONS = ("pages", "tabs", "cold", "classroom", "nginx", "links", "elements", "apptest")


# ---------------------------------------------------------------------------------------------------- measuring

def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds (its own threads; Streamlit runs every session's script in them)."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pid: int) -> float:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def load_average() -> str:
    return " ".join(pathlib.Path("/proc/loadavg").read_text().split()[:3])


@dataclass
class Report:
    """Tables as they are measured: printed as text at once, as Markdown at the end with --markdown."""

    tables: list[tuple[str, list[str], list[list[str]], str]] = field(default_factory=list)

    def table(self, title: str, header: list[str], rows: list[list[str]], note: str = "") -> None:
        self.tables.append((title, header, rows, note))
        widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
        print(f"\n{title}  (load average {load_average()})")
        for row in [header, *rows]:
            print("  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
        if note:
            print(f"  {note}")

    def markdown(self) -> str:
        parts = []
        for title, header, rows, note in self.tables:
            lines = [f"**{title}**", "", "| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
            lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
            parts.append("\n".join(lines) + (f"\n\n{note}" if note else ""))
        return "\n\n".join(parts)


@contextlib.contextmanager
def server(script: str = "app.py", cwd: pathlib.Path = ROOT, warm: bool = False):
    proc, url = start_streamlit(script, cwd=cwd, warm=warm)
    try:
        yield proc, url
    finally:
        stop(proc)


@contextlib.contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser, url: str, timeout: float = 120_000):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.runs = RunCounter(page)
    page.goto(url)
    wait_for_app(page, timeout=timeout)
    return context, page


# ---------------------------------------------------------------------------------------------------- sections

@dataclass(frozen=True)
class Target:
    label: str
    url_path: str  # "" for a home page


LAB = [Target(info.label, info.url_path) for info in PAGES]
FLOOR_TARGET = Target("one-slider page (floor)", "")


# The floor page drawn as the lab draws its pages: ui.layout.page_setup's sidebar (navigation and share box) first,
# then the page's content in ui.layout.page_body, with a pages/ folder beside the main script (Streamlit lists it
# again on every full run).
FRAME_APP = """import sys
sys.path.insert(0, {root!r})
from ui.layout import page_body, page_setup
page_setup("Floor in the lab's frame", "🎛️")


def floor():
{floor}

page_body(floor)
"""
FRAME_TARGET = Target("one-slider page in the lab's frame", "")


@contextlib.contextmanager
def frame_root():
    """A directory whose app.py is FRAME_APP around the floor page, with the lab's .streamlit config and an empty
    stand-in for each page (st.page_link needs the files to exist)."""
    with tempfile.TemporaryDirectory(prefix="bnlab-frame-") as tmp:
        root = pathlib.Path(tmp)
        shutil.copytree(ROOT / ".streamlit", root / ".streamlit")
        (root / "pages").mkdir()
        for info in PAGES[1:]:
            (root / info.path).write_text("")
        floor = textwrap.indent((ROOT / FLOOR).read_text(), "    ")
        (root / "app.py").write_text(FRAME_APP.format(root=str(ROOT), floor=floor))
        yield root


def slider_presses(page, proc_pid: int, presses: int) -> tuple[list[float], float] | None:
    """Latencies of `presses` key presses on the first slider, and server CPU seconds per rerun; None without
    a slider."""
    if page.locator(SLIDER).count() == 0:
        return None
    slider, keys = first_slider(page)
    for i in range(2):  # warm-up: the first presses fill caches a user's later presses find
        runs = page.runs.finished
        slider.focus()
        page.keyboard.press(keys[i % 2])
        wait_for_rerun(page, runs)
    latencies = []
    runs_start, cpu_start = page.runs.finished, cpu_seconds(proc_pid)
    for i in range(presses):
        runs = page.runs.finished
        slider.focus()
        start = time.perf_counter()
        page.keyboard.press(keys[i % 2])
        wait_for_rerun(page, runs)
        latencies.append(time.perf_counter() - start)
    reruns = page.runs.finished - runs_start
    return latencies, (cpu_seconds(proc_pid) - cpu_start) / max(reruns, 1)


FLOOR_AGAIN = "one-slider page (floor), again after the lab"


def bench_pages(report: Report, presses: int) -> None:
    """The floor is measured first and again last, on its own server, and the ratios use the median of both
    together: a stock Streamlit page keeps Nagle's algorithm on (ui/transport.py), so each of its key presses lands
    in one of two groups, 28–51 or 68–81 ms, and the median of 15 can fall in either."""
    results: dict[str, tuple[list[float], float] | None] = {}

    def floor_presses(browser) -> tuple[list[float], float]:
        with server(FLOOR) as (proc, url):
            context, page = open_page(browser, url)
            result = slider_presses(page, proc.pid, presses)
            context.close()
        return result

    with chromium() as browser:
        results[FLOOR_TARGET.label] = floor_presses(browser)
        with frame_root() as root, server(cwd=root) as (proc, url):
            context, page = open_page(browser, url)
            results[FRAME_TARGET.label] = slider_presses(page, proc.pid, presses)
            context.close()
        with server() as (proc, url):
            for target in LAB:
                context, page = open_page(browser, f"{url}/{target.url_path}")
                results[target.label] = slider_presses(page, proc.pid, presses)
                context.close()
        results[FLOOR_AGAIN] = floor_presses(browser)
    floors = (results[FLOOR_TARGET.label], results[FLOOR_AGAIN])
    floor_latency = statistics.median([latency for latencies, _ in floors for latency in latencies])
    floor_cpu = statistics.mean(cpu for _, cpu in floors)
    rows = []
    for label, result in results.items():
        if result is None:
            rows.append([label, "no slider", "", "", "", ""])
            continue
        latencies, cpu = result
        median = statistics.median(latencies)
        rows.append([label, ms(median), ms(percentile(latencies, 0.95)), f"{median / floor_latency:.1f}",
                     ms(cpu), f"{cpu / floor_cpu:.1f}"])
    report.table(f"Key press on the first slider to the re-rendered page (Chromium, {presses} presses per page)",
                 ["page", "median", "p95", "× floor", "server CPU per rerun", "× floor"], rows,
                 f"× floor: against both floor rows together ({ms(floor_latency)}, {ms(floor_cpu)} of server CPU).")


ELEMENT_PAGES = (("text", 10, "10 lines of text that change"), ("text", 50, "50 lines of text that change"),
                 ("text", 150, "150 lines of text that change"), ("static", 150, "150 lines of text that stay"),
                 ("number", 10, "10 number inputs that change"), ("select", 10, "10 select boxes that change"),
                 ("columns", 50, "50 pairs of columns"), ("tabs", 8, "a row of 8 tabs (st.tabs)"),
                 ("sections", 8, "a segmented control of 8 parts"))


def bench_elements(report: Report, presses: int) -> None:
    """The floor page, then the same slider with n more elements of one kind, on one server."""
    results = {}
    with chromium() as browser, server(ELEMENTS) as (proc, url):
        for kind, count, label in (("text", 0, FLOOR_TARGET.label), *ELEMENT_PAGES):
            context, page = open_page(browser, f"{url}/?kind={kind}&n={count}")
            results[label] = slider_presses(page, proc.pid, presses)
            context.close()
    floor_latency, floor_cpu = statistics.median(results[FLOOR_TARGET.label][0]), results[FLOOR_TARGET.label][1]
    rows = [[label, ms(statistics.median(latencies)), f"{statistics.median(latencies) / floor_latency:.1f}",
             ms(cpu), f"{cpu / floor_cpu:.1f}"] for label, (latencies, cpu) in results.items()]
    report.table(f"What the 2× target leaves room for: the floor's slider and n elements (Chromium, {presses} presses)",
                 ["page", "median", "× floor", "server CPU per rerun", "× floor"], rows)


def click_section(page, options, index: int) -> float:
    """Seconds from a click on section `index` to its re-rendered view."""
    runs = page.runs.finished
    start = time.perf_counter()
    options.nth(index).click()
    wait_for_rerun(page, runs, timeout=60_000)
    return time.perf_counter() - start


def bench_tabs(report: Report) -> None:
    """Each section twice: its first visit on a fresh server (its computations not cached yet), then a revisit."""
    rows = []
    with chromium() as browser, server() as (_proc, url):
        for target in LAB:
            context, page = open_page(browser, f"{url}/{target.url_path}")
            options = section_options(page)
            names = [t.strip() for t in options.all_inner_texts()]
            order = [*range(1, len(names)), 0] if len(names) > 1 else []
            first = [click_section(page, options, index) for index in order]
            again = [click_section(page, options, index) for index in order]
            rows += [[target.label, names[i], ms(a), ms(b)] for i, a, b in zip(order, first, again, strict=True)]
            context.close()
    report.table("Section switch: click to the re-rendered part (Chromium; the last row of a page returns to its "
                 "first part)",
                 ["page", "part", "first visit", "revisit"], rows)


def first_render(browser, url: str) -> float:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    wait_for_app(page, timeout=120_000)
    elapsed = time.perf_counter() - start
    context.close()
    return elapsed


# One next visitor's render is a noisy sample: Formula's took 2.18 s in one run, 1.25-1.35 s in eight minutes later.
NEXT_VISITORS = 3


def bench_cold(report: Report) -> None:
    """A fresh server per page: the first visitor's render (nothing imported or cached), then the next visitors'
    (new sessions on the now running server, as every student after the first meets it; the median of
    NEXT_VISITORS); and the first visitor's render on a fresh server that ran its home page once for its health
    check, as the Dockerfile's replicas do."""
    rows = []
    with chromium() as browser:
        for script, target in [(FLOOR, FLOOR_TARGET)] + [("app.py", t) for t in LAB]:
            with server(script) as (proc, url):
                cpu_start = cpu_seconds(proc.pid)
                cold = first_render(browser, f"{url}/{target.url_path}")
                cpu = cpu_seconds(proc.pid) - cpu_start
                next_visitor = statistics.median(first_render(browser, f"{url}/{target.url_path}")
                                                 for _ in range(NEXT_VISITORS))
                rss = rss_mb(proc.pid)
            with server(script, warm=True) as (_, url):
                warmed = first_render(browser, f"{url}/{target.url_path}")
            rows.append([target.label, ms(cold), ms(cpu), ms(warmed), ms(next_visitor), f"{rss:.0f} MB"])
    report.table("First render of a page (Chromium): on a fresh server, on a fresh server warmed by its health "
                 "check, and for the next visitor",
                 ["page", "fresh server", "its server CPU", "fresh server, warmed",
                  f"next visitor (median of {NEXT_VISITORS})", "server RSS after"], rows)


def slider_pages(url: str) -> list[str]:
    """URL paths of the pages that have a slider (the ones a classroom moves)."""
    async def probe() -> list[str]:
        paths = []
        for target in LAB:
            session, _ = await Session.open(url, target.url_path)
            if session.sliders:
                paths.append(target.url_path)
            await session.close()
        return paths
    return asyncio.run(probe())


async def classroom_session(url: str, path: str, deadline: float, think: tuple[float, float],
                            latencies: dict[str, list[float]], errors: list[str], start_delay: float) -> None:
    await asyncio.sleep(start_delay)
    try:
        session, run = await Session.open(url, path, timeout=60)
        errors.extend(run.exceptions)
        while time.monotonic() < deadline:
            await asyncio.sleep(random.uniform(*think))
            run = await session.nudge_first_slider(walk=True, timeout=60)
            latencies.setdefault(path, []).append(run.seconds)
            errors.extend(run.exceptions)
        await session.close()
    except Exception as error:  # a timeout or a dropped connection is an error the classroom sees
        errors.append(f"{path}: {type(error).__name__}: {error}"[:200])


def run_classroom(url: str, paths: list[str], sessions: int, seconds: float,
                  think: tuple[float, float]) -> tuple[dict[str, list[float]], list[str]]:
    latencies: dict[str, list[float]] = {}
    errors: list[str] = []

    async def main() -> None:
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(classroom_session(url, paths[i % len(paths)], deadline, think, latencies, errors,
                                                 start_delay=random.uniform(0, 10)) for i in range(sessions)))
    asyncio.run(main())
    return latencies, errors


def bench_classroom(report: Report, sessions: int, seconds: float) -> None:
    random.seed(0)
    with server() as (proc, url):
        paths = slider_pages(url)
        rss_before = rss_mb(proc.pid)
        cpu_start = cpu_seconds(proc.pid)
        latencies, errors = run_classroom(url, paths, sessions, seconds, (2.0, 5.0))
        cpu = cpu_seconds(proc.pid) - cpu_start
        rss_after = rss_mb(proc.pid)
    everything = [t for samples in latencies.values() for t in samples]
    rows = [["all pages", str(len(everything)), ms(statistics.median(everything)), ms(percentile(everything, 0.95)),
             ms(max(everything)), str(len(errors)), f"{rss_before:.0f} → {rss_after:.0f} MB",
             f"{cpu / seconds:.2f} cores"]]
    rows += [[path, str(len(samples)), ms(statistics.median(samples)), ms(percentile(samples, 0.95)),
              ms(max(samples)), "", "", ""] for path, samples in sorted(latencies.items())]
    report.table(
        f"Classroom: {sessions} websocket sessions on one server for {seconds:.0f} s, each moving its page's first "
        "slider a step every 2–5 s",
        ["page", "reruns", "p50", "p95", "max", "errors", "server RSS", "server CPU"], rows,
        "Sessions spread round robin over the pages with a slider; each walks its slider through the range and "
        "back. Latency: control change to the server's script_finished (no browser rendering)."
        + (f" First errors: {errors[:3]}" if errors else ""))


def bench_nginx(report: Report, clients: int, seconds: float) -> None:
    rows = []
    for replicas in (1, 2):
        with cluster(replicas) as running:
            paths = slider_pages(running.url)
            latencies, errors = [], []

            async def hammer(path: str, deadline: float, latencies=latencies, errors=errors) -> None:
                try:
                    session, _ = await Session.open(running.url, path, timeout=60)
                    await session.nudge_first_slider()  # warm-up
                    while time.monotonic() < deadline:
                        run = await session.nudge_first_slider(timeout=60)
                        latencies.append(run.seconds)
                        errors.extend(run.exceptions)
                    await session.close()
                except Exception as error:
                    errors.append(f"{type(error).__name__}: {error}"[:200])

            async def main(paths=paths) -> float:
                deadline = time.monotonic() + seconds
                await asyncio.gather(*(hammer(paths[i % len(paths)], deadline) for i in range(clients)))
                return seconds

            cpu_start = [cpu_seconds(proc.pid) for proc, _ in running.replicas]
            client_start = time.process_time()
            asyncio.run(main())
            replica_cpu = [cpu_seconds(proc.pid) - c for (proc, _), c in zip(running.replicas, cpu_start, strict=True)]
            client_cpu = time.process_time() - client_start
        rows.append([str(replicas), f"{len(latencies) / seconds:.1f}", ms(statistics.median(latencies)),
                     ms(percentile(latencies, 0.95)), str(len(errors)),
                     " + ".join(f"{c / seconds:.2f}" for c in replica_cpu), f"{client_cpu / seconds:.2f}"])
    ratio = float(rows[1][1]) / float(rows[0][1])
    report.table(f"Replicas behind nginx: {clients} clients with no think time for {seconds:.0f} s",
                 ["replicas", "reruns/s", "p50", "p95", "errors", "replica CPU (cores)", "client CPU (cores)"], rows,
                 f"2 replicas serve {ratio:.2f}× the reruns per second of 1 (pages: {', '.join(paths)}; the load "
                 "client shares the same 2 cores).")


# ---------------------------------------------------------------------------------------------------- issue 12

def one_row_csv(target_bytes: int) -> str:
    """A header and one row of numbers, just under `target_bytes`: the shape that once cost the most per byte."""
    columns = target_bytes // 12
    while True:
        header = ",".join(f"c{i}" for i in range(columns))
        row = ",".join(f"{random.uniform(-9, 9):.2f}" for _ in range(columns))
        text = f"{header}\n{row}\n"
        if len(text) <= target_bytes:
            return text
        columns = int(columns * target_bytes / len(text) * 0.99)


def many_rows_csv(target_bytes: int, columns: int = 8) -> str:
    rows = [",".join(f"x{i}" for i in range(columns))]
    size = len(rows[0])
    while size < target_bytes:
        rows.append(",".join(f"{random.gauss(0, 1):.6f}" for _ in range(columns)))
        size += len(rows[-1]) + 1
    return "\n".join(rows) + "\n"


def upload_cap() -> int:
    """The documented upload cap in bytes (lessons.csv_input.MAX_BYTES; 5 MB if that module has none)."""
    try:
        from lessons.csv_input import MAX_BYTES
    except ImportError:
        return 5_000_000
    return MAX_BYTES


async def costly_open(url: str, pid: int, path: str, query: str = "", then: Callable | None = None,
                      timeout: float = 60) -> list[str]:
    """Open `path?query` in one session (then apply `then(session)`); a table row: the page's HTTP status, wall
    time, server CPU including 1 s after the script finished, bytes the server sent, exceptions."""
    cpu_start = cpu_seconds(pid)
    start = time.perf_counter()
    try:
        session, run = await Session.open(url, path, query, timeout=timeout)
        if then is not None:
            run = await then(session, timeout)
    except TimeoutError:
        cpu = cpu_seconds(pid) - cpu_start
        return ["", f"> {timeout:.0f} s", f"{cpu:.1f} s so far", "", "still running: stopped with its server"]
    elapsed = time.perf_counter() - start
    await asyncio.sleep(1)
    cpu = cpu_seconds(pid) - cpu_start
    await session.close()
    return [f"HTTP {session.http_status}", f"{elapsed:.2f} s", f"{cpu:.2f} s", f"{run.bytes_received / 1e3:.0f} KB",
            "; ".join(run.exceptions)[:120] or "none"]


def on_fresh_server(measure: Callable[[str, int], list[str]]) -> list[str]:
    """Run one costly request on its own server (warmed by one plain visit of the Demo, so the first run's imports
    are not counted), and stop the server after it, with anything it still computes."""
    with server() as (proc, url):
        asyncio.run(Session.open(url, "Demo"))
        return measure(url, proc.pid)


def bench_links(report: Report, combinations: int, seconds_per_page: float) -> None:
    random.seed(0)
    rows = []
    for size in (30_000, 120_000):
        data = one_row_csv(size)
        query = urllib.parse.urlencode({"preset": "Your own", "data": data})
        rows.append([f"Demo, one-row CSV of {len(data) / 1e3:.0f} KB in the link ({data.count(',') + 1} values)",
                     *on_fresh_server(lambda url, pid, q=query: asyncio.run(costly_open(url, pid, "Demo", q)))])

    def why_link(url: str, pid: int) -> list[str]:
        async def measure() -> list[str]:
            probe, _ = await Session.open(url, "Why_it_works")
            await probe.close()
            params = {s.key: s.options[-1] if s.options else repr(s.max) for s in probe.sliders.values()}
            return await costly_open(url, pid, "Why_it_works", urllib.parse.urlencode(params))
        return asyncio.run(measure())

    async def everything_at_max(session: Session, timeout: float):
        return await session.rerun({s.id: s.max for s in session.sliders.values()}, timeout=timeout)

    rows.append(["Why it works, every slider at its maximum, in the link", *on_fresh_server(why_link)])
    rows.append(["Why it works, every slider moved to its maximum at once", *on_fresh_server(
        lambda url, pid: asyncio.run(costly_open(url, pid, "Why_it_works", then=everything_at_max)))])

    def upload(data: str) -> Callable[[str, int], list[str]]:
        async def then(session: Session, timeout: float):
            if not session.uploaders:
                raise RuntimeError("no file uploader on /Demo?preset=Your+own")
            return await session.upload(next(iter(session.uploaders)), "batch.csv", data.encode(), timeout=timeout)
        return lambda url, pid: asyncio.run(costly_open(url, pid, "Demo", "preset=Your+own", then=then))

    cap = upload_cap()
    for label, data in [("one row", one_row_csv(int(cap * 0.95))), ("8 columns", many_rows_csv(int(cap * 0.95)))]:
        try:
            result = on_fresh_server(upload(data))
        except Exception as error:
            result = ["", "", "", "", f"{type(error).__name__}: {error}"[:120]]
        rows.append([f"Demo, upload of {len(data) / 1e6:.2f} MB ({label}; cap {cap / 1e6:.0f} MB)", *result])
    report.table("Costliest links and uploads (one session on a fresh server each)",
                 ["request", "page load", "wall", "server CPU", "sent", "exceptions"], rows,
                 "Issue 12's budget: under 2 s of server CPU each; an upload under the cap rejected or parsed in "
                 "under 1 s. Page load: the HTTP status a browser gets for the link (the run is measured over the "
                 "websocket, which a script can use whatever the status). Server CPU includes 1 s after the run.")

    rows = []
    with server() as (proc, url):
        for target in LAB:
            rows.append([target.label, *asyncio.run(distinct_combinations(url, proc.pid, target.url_path,
                                                                          combinations, seconds_per_page))])
    report.table(f"Server memory after up to {combinations} distinct slider combinations per page (one server, "
                 f"pages in order, at most {seconds_per_page:.0f} s each)",
                 ["page", "combinations", "RSS before", "RSS after", "growth"], rows,
                 "Issue 12's budget: under 100 MB of growth after 500 combinations per page.")


async def distinct_combinations(url: str, pid: int, path: str, count: int, seconds: float) -> list[str]:
    session, _ = await Session.open(url, path, timeout=120)
    if not session.sliders:
        await session.close()
        return ["no slider", "", "", ""]
    before = rss_mb(pid)
    seen: set[tuple] = set()
    deadline = time.monotonic() + seconds
    attempts = 0
    while len(seen) < count and time.monotonic() < deadline and attempts < 20 * count:
        attempts += 1
        values = {}
        for slider in session.sliders.values():
            steps = round((slider.max - slider.min) / (slider.step or 1))
            values[slider.id] = slider.min + random.randint(0, steps) * (slider.step or 1)
        combination = tuple(sorted(values.items()))
        if combination in seen:
            continue
        seen.add(combination)
        await session.rerun(values, timeout=120)
    await session.close()
    after = rss_mb(pid)
    return [str(len(seen)), f"{before:.0f} MB", f"{after:.0f} MB", f"{after - before:+.0f} MB"]


# ---------------------------------------------------------------------------------------------------- profile

def bench_profile(report: Report, paths: list[str], reruns: int) -> None:
    """py-spy (pip install py-spy) samples the server while one session nudges the page's first slider; the table
    attributes the samples to the Streamlit element being built, or to what the server does outside the script."""
    import re
    import subprocess
    from collections import Counter

    if shutil.which("py-spy") is None:
        raise SystemExit("--profile needs py-spy: pip install py-spy")
    known = [info.url_path for info in PAGES[1:]]
    if unknown := [path for path in paths if path not in known]:
        raise SystemExit(f"--profile: no page {', '.join(unknown)}; the pages are {', '.join(known)}")
    element = re.compile(r";(\w+Mixin\.\w+|DeltaGenerator\._enqueue) \(streamlit/")
    for path in paths:
        with server() as (proc, url), tempfile.TemporaryDirectory() as tmp:
            async def nudges(count: int, session: Session | None = None, path: str = path, url: str = url) -> Session:
                session = session or (await Session.open(url, path, timeout=120))[0]
                for _ in range(count):
                    await session.nudge_first_slider(timeout=120)
                return session

            loop = asyncio.new_event_loop()
            session = loop.run_until_complete(nudges(3))
            raw = pathlib.Path(tmp) / "raw.txt"
            spy = subprocess.Popen(["py-spy", "record", "-p", str(proc.pid), "-r", "200", "-f", "raw", "-o", str(raw),
                                    "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.5)
            loop.run_until_complete(nudges(reruns, session))
            spy.send_signal(2)
            spy.wait(timeout=60)
            loop.run_until_complete(session.close())
            loop.close()
            samples: Counter[str] = Counter()
            for line in raw.read_text().splitlines():
                stack, _, count = line.rpartition(" ")
                if not count.isdigit():
                    continue
                if "_run_script_thread" not in stack:
                    where = "server outside the script (websocket, event loop, other threads)"
                elif match := element.search(stack):
                    where = f"st element: {match.group(1)}"
                elif "gc.collect" in stack or "_on_script_finished" in stack:
                    where = "after the script: garbage collection, media and cache cleanup"
                elif "CachedFunc.__call__" in stack:
                    where = "st.cache_data: hashing the arguments, copying the value"
                else:
                    where = "page code and Streamlit's script runner"
                samples[where] += int(count)
        total = sum(samples.values())
        report.table(f"Where the server's time goes: {path or 'Home'}, {reruns} reruns of its first slider (py-spy)",
                     ["where", "share of samples"], [[w, f"{n / total:.0%}"] for w, n in samples.most_common(12)])


# ---------------------------------------------------------------------------------------------------- AppTest

def bench_apptest(report: Report, reruns: int) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.pages.conftest import open_page as open_apptest

    def times(at) -> list[float]:
        samples = []
        for _ in range(reruns):
            start = time.perf_counter()
            at.run(timeout=60)
            samples.append(time.perf_counter() - start)
        return samples

    with tempfile.TemporaryDirectory() as tmp:
        empty = pathlib.Path(tmp) / "empty.py"
        empty.write_text("import streamlit as st\nst.write('')\n")
        results = {"empty Streamlit page": times(AppTest.from_file(str(empty)).run())}
    for info in PAGES:
        results[info.label] = times(open_apptest(None if info.path == "app.py" else info.path, timeout=120))
    report.table(f"Server rerun at default settings, AppTest ({reruns} reruns)", ["page", "median", "p95"],
                 [[label, ms(statistics.median(s)), ms(percentile(s, 0.95))] for label, s in results.items()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for section in SECTIONS:
        parser.add_argument(f"--{section}", action="store_true", help=f"run the {section} section")
    parser.add_argument("--browser", action="store_true", help="the old flag: --pages --tabs --cold")
    parser.add_argument("--quick", action="store_true", help="fewer samples and shorter loads")
    parser.add_argument("--markdown", action="store_true", help="print README-ready Markdown tables at the end")
    parser.add_argument("--presses", type=int, help="key presses per page (default 15, quick 6)")
    parser.add_argument("--sessions", type=int, default=30, help="classroom sessions (at most 60)")
    parser.add_argument("--seconds", type=float, help="classroom duration (default 120, quick 30; at most 300)")
    parser.add_argument("--reruns", type=int, default=30, help="AppTest reruns per page")
    parser.add_argument("--profile", nargs="*", metavar="PAGE",
                        help="profile these URL paths with py-spy (default Demo Why_it_works); not part of a full run")
    args = parser.parse_args()
    if args.browser:
        args.pages = args.tabs = args.cold = True
    chosen = [s for s in SECTIONS if getattr(args, s)]
    if args.profile is not None:
        chosen.append("profile")
    chosen = chosen or [s for s in SECTIONS if s != "apptest"]
    presses = args.presses or (6 if args.quick else 15)
    classroom_seconds = min(args.seconds or (30 if args.quick else 120), 300)

    report = Report()
    print(f"BatchNorm Lab benchmark: {', '.join(chosen)}; load average at start {load_average()}; "
          f"{os.cpu_count()} cores")
    runners = {
        "pages": lambda: bench_pages(report, presses),
        "tabs": lambda: bench_tabs(report),
        "cold": lambda: bench_cold(report),
        "classroom": lambda: bench_classroom(report, min(args.sessions, 60), classroom_seconds),
        "nginx": lambda: bench_nginx(report, clients=8, seconds=10 if args.quick else 30),
        "links": lambda: bench_links(report, 100 if args.quick else 500, 20 if args.quick else 60),
        "elements": lambda: bench_elements(report, presses),
        "apptest": lambda: bench_apptest(report, args.reruns),
        "profile": lambda: bench_profile(report, args.profile or ["Demo", "Why_it_works"], 30),
    }
    for section in chosen:
        runners[section]()
    if args.markdown:
        print(f"\n----- Markdown (load average at the end {load_average()}) -----\n")
        print(report.markdown())


if __name__ == "__main__":
    main()
