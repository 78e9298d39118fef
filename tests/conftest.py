"""Shared fixtures: AppTest entry for every page test."""

from __future__ import annotations

import os

# One BLAS thread, as the Dockerfile sets for the server: on 2 busy cores a multithreaded matrix product in the
# training lab can be 50x slower than a single-threaded one. Set before numpy is first imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pathlib  # noqa: E402

import pytest  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]


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
