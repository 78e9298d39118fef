"""AppTest fixtures for the page tests: every page is opened from the entry script, as a user does."""

from __future__ import annotations

import pathlib
import re

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lessons.format import MISSING, format_column
from ui import layout

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def full_reruns(monkeypatch):
    """Every interaction reruns the whole page, as AppTest does for a widget inside a fragment: AppTest 1.67 builds
    the tree of a fragment-only rerun (ui.layout.rerun_fragment) from that fragment's elements alone, and without
    the app's pages. The pages still read their controls as they do then (from session state); what such a
    rerun sends in a real server is tested in tests/browser/test_reruns_browser.py."""
    monkeypatch.setattr(layout, "rerun_fragment", lambda *fragment_keys: None)


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


_TABLE_RULE = re.compile(r"\|( (:---|---:) \|)+")
_CELL_SEPARATOR = re.compile(r"(?<!\\) \| ")
_ESCAPED = re.compile(r"\\(.)")
_SUPERSCRIPT_DIGITS = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")


def shown_tables(at) -> list[pd.DataFrame]:
    """Every lesson table on the page (ui.tables.show_table, a Markdown table) as a DataFrame of the text its
    cells show."""
    tables = []
    for element in at.markdown:
        lines = element.value.split("\n")
        if len(lines) < 2 or not _TABLE_RULE.fullmatch(lines[1]):
            continue
        header, *rows = ([_ESCAPED.sub(r"\1", cell) for cell in _CELL_SEPARATOR.split(line[2:-2])]
                         for line in [lines[0], *lines[2:]])
        tables.append(pd.DataFrame(rows, columns=header))
    return tables


def shown_number(text: str) -> float:
    """A number as lessons.format writes it (Unicode minus, "×10⁻⁵", "—" for a missing value) back as a float."""
    if text == MISSING:
        return float("nan")
    return float(text.replace("\u2212", "-").replace("×10", "e").translate(_SUPERSCRIPT_DIGITS))


def shown_values(cells) -> np.ndarray:
    """A column of a shown table as floats."""
    return np.array([shown_number(cell) for cell in cells])


def assert_shows(cells, expected) -> None:
    """The column shows `expected` in the lab's format for that column (lessons.format.format_column)."""
    assert list(cells) == format_column(expected)
