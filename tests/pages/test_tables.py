"""Lesson tables are Markdown tables (ui.tables.show_table): a page that opens without a data grid spares the next
visitor's browser from loading and starting one (README, Benchmarks: first render)."""

from __future__ import annotations

import pytest

from tests.pages.conftest import open_page
from ui.layout import PAGES

GRID_PAGES = {"pages/1_Demo.py"}  # the batch editor is an st.data_editor, its tables match it


@pytest.mark.parametrize("info", [info for info in PAGES if info.path not in GRID_PAGES],
                         ids=lambda info: info.label)
def test_a_page_opens_without_a_data_grid(info):
    at = open_page(None if info.path == "app.py" else info.path, timeout=60)
    assert not at.exception
    assert not at.dataframe

