"""Benchmark: the "Why it works" page's default experiment, from click to charts, and its per-seed cost.

    python scripts/bench_why.py [--repeats 3]

1. Training: `lessons.why.learning_rate.run` at its defaults (5 learning rates × 5 seeds, with and without BatchNorm:
   two stacked networks of 25 models), CPU time of this thread and wall time; then at 1 and 10 seeds, for the cost
   of one more seed.
2. Click to charts (server time): the page under AppTest with every cache cleared, so the run trains, builds its
   chart spec and renders, as a first visitor's click does; then a warm rerun (results and specs cached), the cost
   of moving a control that does not retrain.
Each figure is the median of `--repeats` runs (minimum in parentheses). The machine is shared: the load average is
printed beside the figures, and the minimum is the least disturbed.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time
from dataclasses import replace

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    repeats = parser.parse_args().repeats
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
        w = time.perf_counter()
        at.run()
        clicks.append(time.perf_counter() - w)
        assert not at.exception and at.get("vega_lite_chart"), "the page did not render its chart"
        w = time.perf_counter()
        at.run()
        reruns.append(time.perf_counter() - w)
    print(f"click to charts (server, caches cleared): {figure(clicks)}")
    print(f"warm rerun (cached result and spec): {figure(reruns, 'ms')}")


if __name__ == "__main__":
    main()
