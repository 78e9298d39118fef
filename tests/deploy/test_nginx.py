"""deploy/ as README describes it: two replicas behind nginx serve a real browser session, stickily."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.browser.conftest import assert_healthy, wait_for_app


def requests_of(nginx_cluster, cookie: str, path: str, timeout: float = 10) -> list[tuple[str, str, str]]:
    """nginx's log lines for one browser (its replica cookie), once a request for `path` is among them: nginx
    logs a websocket only when it closes."""
    deadline = time.monotonic() + timeout
    while True:
        rows = [row for row in nginx_cluster.served_by() if row[1] == cookie]
        if any(path in request for _, _, request in rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def test_a_browser_session_through_nginx_renders_reruns_and_stays_on_one_replica(nginx_cluster, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(f"{nginx_cluster.url}/Demo")
    wait_for_app(page, timeout=60_000)
    assert_healthy(page)
    assert page.locator("[data-testid=stVegaLiteChart]").count() > 0
    before = page.url
    page.locator("[data-testid=stSlider] input[type=range]").first.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_url(lambda url: url != before, timeout=10_000)
    wait_for_app(page)
    assert_healthy(page)
    cookie = next(c["value"] for c in context.cookies() if c["name"] == "bnlab_replica")
    context.close()

    rows = requests_of(nginx_cluster, cookie, "/_stcore/stream")
    assert any("/_stcore/stream" in request for _, _, request in rows), f"no websocket in nginx's log: {rows[:5]}"
    assert any("/media/" in request for _, _, request in rows), "the page's download (a media file) was not fetched"
    replicas = {upstream for upstream, _, _ in rows}
    assert len(replicas) == 1, f"one browser's {len(rows)} requests reached several replicas: {replicas}"


def test_new_browsers_are_spread_over_the_replicas(nginx_cluster):
    """Twenty visitors without a cookie: both replicas get some (all on one has probability 2⁻¹⁹)."""
    for _ in range(20):
        with urllib.request.urlopen(f"{nginx_cluster.url}/_stcore/health", timeout=5) as response:
            assert response.status == 200
    served = {upstream for upstream, _, request in nginx_cluster.served_by() if "/_stcore/health" in request}
    replicas = {url.removeprefix("http://") for _, url in nginx_cluster.replicas}
    assert served == replicas


def test_a_long_link_opens_through_nginx(nginx_cluster):
    """A link carrying a 256 × 8 batch as CSV is ~40 KB; nginx's default request line (8 KB) would answer 414."""
    data = "\n".join(",".join(["-1.234567"] * 8) for _ in range(512))
    url = f"{nginx_cluster.url}/Demo?{urllib.parse.urlencode({'preset': 'Your own', 'data': data})}"
    assert len(url) > 40_000
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200


def test_nginx_compresses_the_front_end(nginx_cluster):
    """Streamlit sends its JavaScript uncompressed; through nginx a browser that accepts gzip gets it compressed."""
    with urllib.request.urlopen(nginx_cluster.url, timeout=10) as response:
        script = re.search(r'static/js/[^"]+\.js', response.read().decode()).group(0)
    request = urllib.request.Request(f"{nginx_cluster.url}/{script}", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as response:
        compressed = len(response.read())
        assert response.headers["Content-Encoding"] == "gzip"
    with urllib.request.urlopen(f"{nginx_cluster.url}/{script}", timeout=10) as response:
        assert compressed < len(response.read()) / 2


def test_each_replica_ran_the_home_page_before_nginx_took_it_and_the_check_stays_inside(nginx_cluster):
    """deploy/local.py warms each replica as the Dockerfile's HEALTHCHECK does (Streamlit's script health check,
    which runs the home page in a throwaway session); nginx does not pass that check on to the internet."""
    for _, replica in nginx_cluster.replicas:
        with urllib.request.urlopen(f"{replica}/_stcore/script-health-check", timeout=30) as response:
            assert response.read() == b"ok"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{nginx_cluster.url}/_stcore/script-health-check", timeout=10)
    assert refused.value.code == 404
