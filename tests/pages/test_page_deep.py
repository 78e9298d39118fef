"""The Deep networks page through AppTest: every part renders its charts and its computed reading."""

from __future__ import annotations

import json

import pytest

from tests.pages.conftest import open_page

PAGE = "pages/7_Deep_networks.py"
TIMEOUT = 120
SUPERSCRIPTS = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")


def show(at, part: str, **controls):
    """Open a part (as a click does) with some controls set, then rerun."""
    at.session_state["tab"] = part
    at.query_params["tab"] = part
    for key, value in controls.items():
        at.session_state[key] = value
    return at.run(timeout=TIMEOUT)


def reading(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**What it shows.**"))


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE, timeout=TIMEOUT)


def test_network_health_opens_with_charts_and_a_computed_reading(page):
    assert not page.exception
    assert len(page.get("vega_lite_chart")) == 4  # shares, two distributions, update ratios
    assert "BatchNorm repairs this start" in reading(page)


def test_a_good_gain_changes_the_reading(page):
    at = show(page, "Network health", gain="5/3", hidden_layers=3)
    assert not at.exception
    assert "both start about equally healthy" in reading(at)


def test_depth_part_shows_the_growth_with_depth_and_the_per_layer_profile(page):
    at = show(page, "Depth at initialization", net_depth=8)
    assert not at.exception
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2
    titles = [json.loads(c.proto.spec)["layer"][0]["encoding"]["y"]["axis"]["title"] for c in charts]
    assert titles[1] == "‖∂L/∂Wₗ‖ at initialization"
    assert "Without skip connections" in reading(at)


def test_scale_part_measures_invariance_and_weight_decay(page):
    at = show(page, "Scale invariance & weight decay", alpha=10.0, wd_lr=0.2)
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["‖∂L/∂(αW)‖ / ‖∂L/∂W‖"].startswith("0.1000")
    # The help states the rule the exact gap is computed with: BN_{εα²}(αz) = BN_ε(z), not ε/α² (a gap of 2.4×10⁻⁵).
    gap_help = next(m.proto.help for m in at.metric if m.label == "max |y(αW) − y(W)|")
    assert "with ε·α² for the scaled layer the gap is" in gap_help
    assert float(gap_help.rsplit(" ", 1)[1].rstrip(".").replace("×10", "e").translate(SUPERSCRIPTS)) < 1e-12
    assert len(at.get("vega_lite_chart")) == 3
    assert "Without weight decay ‖W‖ grew" in reading(at)
