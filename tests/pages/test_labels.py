"""No header or label a user reads contains an underscore or the text "None" (issue 15), on every page and in
every part of it.

Read from what the page renders: dataframe, table and Markdown table headers, metric labels, widget labels, section
names and expander labels. Labels are Markdown, so LaTeX inside $…$ (where `\\mu_B` renders as μ with a subscript) is
left out of the check; dataframe headers are plain text, and Markdown tables escape theirs (lessons.format), so an
underscore there is what the user sees.
"""

from __future__ import annotations

import re

import pytest

from tests.pages.conftest import open_page, shown_tables
from ui.controls import SECTIONS_LABEL
from ui.layout import PAGES

WIDGETS = ("slider", "select_slider", "number_input", "selectbox", "radio", "checkbox", "toggle", "button",
           "text_input", "text_area", "multiselect", "segmented_control", "pills", "file_uploader",
           "download_button", "color_picker", "date_input", "time_input")
MATH = re.compile(r"\$[^$]+\$")


def section_controls(at) -> list[tuple[str, str, list[str]]]:
    """(URL key, open section, section names) of every section control (ui.controls.open_section) on the page."""
    return [(control.key, control.value, list(control.options)) for control in at.segmented_control
            if control.label == SECTIONS_LABEL]


def visible_texts(at) -> list[tuple[str, str]]:
    """(where, text) for every header and label on the rendered page."""
    texts = []
    for frame in at.dataframe:
        value = frame.value
        texts += [("dataframe header", str(c)) for c in value.columns]
        texts += [("dataframe index name", str(n)) for n in value.index.names if n is not None]
    for table in at.table:
        texts += [("table header", str(c)) for c in table.value.columns]
    texts += [("table header", str(c)) for table in shown_tables(at) for c in table.columns]
    texts += [("metric label", m.label) for m in at.metric]
    for kind in WIDGETS:
        texts += [(f"{kind} label", MATH.sub("", w.label)) for w in getattr(at, kind)]
    texts += [("section name", MATH.sub("", name)) for _key, _open, names in section_controls(at) for name in names]
    texts += [("expander label", MATH.sub("", e.label)) for e in at.expander]
    return texts


def violations(at, where: str) -> list[str]:
    return [f"{where}: {kind} {text!r}" for kind, text in visible_texts(at) if "_" in text or "None" in text]


@pytest.mark.parametrize("info", PAGES, ids=[info.label for info in PAGES])
def test_no_header_or_label_shows_an_underscore_or_none(info):
    path = None if info.path == "app.py" else info.path
    at = open_page(path, timeout=60)
    assert not at.exception, at.exception[0].message
    found = violations(at, info.label)
    for key, default, labels in section_controls(at):
        for label in labels:
            if label == default:
                continue
            opened = open_page(path, query={key: label}, timeout=60)
            assert not opened.exception, opened.exception[0].message
            found += violations(opened, f"{info.label} › {label}")
    assert not found, "\n".join(sorted(set(found)))
