"""AppTest fixtures for the page tests: every page is opened from the entry script, as a user does."""

from __future__ import annotations

import pathlib

import pytest
from streamlit.testing.v1 import AppTest

from ui import layout

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def full_reruns(monkeypatch):
    """Every interaction reruns the whole page, as AppTest does for a widget inside a fragment: AppTest 1.67 builds
    the tree of a fragment-only rerun (ui.layout.rerun_fragment) from that fragment's elements alone, and without
    the app's pages. The pages still read their controls as they do then (from session state); what such a
    rerun sends in a real server is tested in tests/browser/test_reruns_browser.py."""
    monkeypatch.setattr(layout, "rerun_fragment", lambda fragment_key: None)


def open_page(page: str | None = None, query: dict[str, str] | None = None, timeout: float = 10) -> AppTest:
    """Start at app.py (the entry script, as a user does), then switch to `page` ("pages/1_Demo.py").

    query: URL parameters, as a shared link would carry them.
    """
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page is not None:
        at.switch_page(page).run()
    return at


@pytest.fixture
def app_page():
    """Factory fixture: app_page("pages/1_Demo.py", query={...}) -> AppTest after the first render."""
    return open_page
