"""lessons.csv_input: a user's CSV becomes a finite numeric batch plus human-readable problems, never an exception."""

from __future__ import annotations

import csv
import io
import pathlib
import time
import tomllib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons.csv_input import MAX_BYTES, MAX_FIELDS, batch_to_csv, download_csv, quote, read_batch_csv

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "csv"
LIMITS = {"max_rows": 256, "max_features": 8}


def read(name: str, **limits):
    return read_batch_csv((FIXTURES / name).read_bytes(), **(LIMITS | limits))


def messages(parsed, level: str) -> list[str]:
    return [p.message for p in parsed.problems if p.level == level]


def test_plain_csv_with_header():
    parsed = read_batch_csv("a,b\n1,2\n3,4.5\n", **LIMITS)
    assert parsed.names == ("a", "b")
    np.testing.assert_array_equal(parsed.values, [[1, 2], [3, 4.5]])
    assert parsed.problems == ()


def test_header_is_optional():
    parsed = read_batch_csv("1,2\n3,4\n", **LIMITS)
    assert parsed.names == ("F0", "F1")
    np.testing.assert_array_equal(parsed.values, [[1, 2], [3, 4]])


def test_text_columns_are_ignored_with_a_warning():
    parsed = read("text_columns.csv")
    assert parsed.names == ("height_cm", "weight_kg")
    np.testing.assert_array_equal(parsed.values[:, 0], [162.5, 178.0, 170.2, 181.3])
    (warning,) = messages(parsed, "warning")
    assert "`name`" in warning and "`city`" in warning


def test_rows_with_nan_inf_or_empty_cells_are_left_out_and_named():
    parsed = read("nan_inf.csv")
    np.testing.assert_array_equal(parsed.values, [[1, 2, 3], [13, 14, 15], [19, 20, 21]])
    (warning,) = messages(parsed, "warning")
    assert "4 row(s)" in warning and "2, 3, 4, 6" in warning


@pytest.mark.parametrize(("name", "words"), [
    ("empty.csv", "empty"),
    ("unreadable.csv", "not a text CSV"),
    ("no_numeric.csv", "No numeric column"),
])
def test_unusable_files_give_one_clear_error(name, words):
    parsed = read(name)
    assert parsed.values is None
    (error,) = messages(parsed, "error")
    assert words in error


def test_one_row_is_a_batch_of_one_with_a_warning():
    parsed = read("one_row.csv")
    assert parsed.values.shape == (1, 3)
    assert "single data row" in messages(parsed, "warning")[0]


def test_thousands_of_rows_are_capped():
    text = "x,y\n" + "\n".join(f"{i},{2 * i}" for i in range(3000))
    parsed = read_batch_csv(text, **LIMITS)
    assert parsed.values.shape == (256, 2)
    np.testing.assert_array_equal(parsed.values[-1], [255, 510])
    assert "3,000 usable rows" in messages(parsed, "warning")[0]


def test_too_many_numeric_columns_are_capped():
    text = ",".join(f"c{j}" for j in range(12)) + "\n" + ",".join(str(j) for j in range(12)) + "\n" + \
        ",".join(str(2 * j) for j in range(12))
    parsed = read_batch_csv(text, **LIMITS)
    assert parsed.names == tuple(f"c{j}" for j in range(8))
    assert "4 were left out" in messages(parsed, "warning")[0]


def test_html_and_markdown_in_headers_stay_plain_text():
    parsed = read("html_header.csv")
    assert parsed.names == ("<b>bold</b>", "<img src=x onerror=alert(1)>", "[click](https://example.com)")
    assert parsed.values.shape == (3, 3)


def test_quote_makes_a_code_span_that_cannot_be_closed_early():
    assert quote("a`b") == "`a'b`"


def test_row_number_column_from_our_own_download_is_dropped():
    parsed = read_batch_csv("sample,a\n0,5\n1,6\n2,9\n", **LIMITS)
    assert parsed.names == ("a",)
    assert "row numbers" in messages(parsed, "warning")[0]


def test_semicolons_with_decimal_commas_and_utf16():
    parsed = read_batch_csv("a;b\n1,5;2\n3;4,25\n", **LIMITS)
    np.testing.assert_array_equal(parsed.values, [[1.5, 2], [3, 4.25]])
    parsed = read_batch_csv("a,b\n1,2\n3,4\n".encode("utf-16"), **LIMITS)
    np.testing.assert_array_equal(parsed.values, [[1, 2], [3, 4]])


def test_lines_with_extra_cells_are_skipped():
    parsed = read_batch_csv("a,b\n1,2,3\n4,5\n6,7\n", **LIMITS)
    np.testing.assert_array_equal(parsed.values, [[4, 5], [6, 7]])
    assert "1 line(s)" in messages(parsed, "warning")[0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=3, max_size=3),
                min_size=1, max_size=20))
def test_batch_to_csv_round_trips_exactly(rows):
    x = np.array(rows)
    parsed = read_batch_csv(batch_to_csv(x, ["a", "b c", 'd"e']), **LIMITS)
    assert parsed.names == ("a", "b c", 'd"e')
    np.testing.assert_array_equal(parsed.values, x)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_arbitrary_input_never_raises(data):
    parsed = read_batch_csv(data, **LIMITS)
    if parsed.values is None:
        assert any(p.level == "error" for p in parsed.problems)
    else:
        assert parsed.values.ndim == 2 and np.isfinite(parsed.values).all()
        assert parsed.values.shape[1] == len(parsed.names) <= 8


def test_downloads_open_formula_like_headers_and_cells_as_text():
    frame = pd.DataFrame({"=cmd|' /C calc'!A0": [-1.5, 2.0], "label": ["@SUM(A1)", "plain"]})
    text = download_csv(frame)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["'=cmd|' /C calc'!A0", "label"]
    assert rows[1] == ["-1.5", "'@SUM(A1)"] and rows[2] == ["2.0", "plain"]
    for cell in (c for row in rows for c in row):
        assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell


# ---------------------------------------------------------------- budgets, checked before pandas parses anything


def budget_error(parsed) -> str:
    assert parsed.values is None
    (error,) = messages(parsed, "error")
    return error


@pytest.mark.parametrize(("text", "words"), [
    (",".join(["1.5"] * 60_000), "characters; the demo reads lines up to 4,096"),  # the 126 KB one-row link
    (",".join(["1"] * 100) + "\n" + ",".join(["2"] * 100), "100 cells; the demo reads at most 64 columns"),
    ("a,b\n" + "1," + "9" * 5_000 + "\n", "characters; the demo reads lines up to 4,096"),
    ("a,b\n" + "1,2\n" * 120_000, "cells; the demo reads up to 100,000"),
    ("x" * (MAX_BYTES + 1), "the demo reads files up to 1 MB"),
])
def test_input_over_a_budget_is_refused_with_one_message_before_parsing(monkeypatch, text, words):
    def no_parsing(*args, **kwargs):
        raise AssertionError("pandas was asked to parse input over budget")

    monkeypatch.setattr(pd, "read_csv", no_parsing)
    assert words in budget_error(read_batch_csv(text, **LIMITS))


def test_the_worst_input_under_the_budgets_parses_quickly():
    """Loose budget check (not a benchmark): the widest and the longest file the budgets let through."""
    wide_row = ",".join(["-1.5e-05"] * 64)
    worst = [
        "\n".join([wide_row] * (MAX_FIELDS // 64)),                          # 100,000 cells in 64 columns
        "a,b\n" + "\n".join(f"{i}.5,{-i}" for i in range(MAX_FIELDS // 2 - 1)),  # 100,000 cells in 2 columns
    ]
    for text in worst:
        assert len(text) <= MAX_BYTES
        start = time.process_time()
        parsed = read_batch_csv(text, **LIMITS)
        assert time.process_time() - start < 3, "parsing the worst input under the budgets took > 3 s of CPU"
        assert parsed.values is not None and parsed.values.shape[0] == 256


def test_warnings_name_a_few_columns_however_many_are_dropped():
    header = ",".join(f"column_{j}" for j in range(60))
    row = ",".join(str(j) for j in range(60))
    parsed = read_batch_csv(f"{header}\n{row}\n{row}\n", **LIMITS)
    (warning,) = messages(parsed, "warning")
    assert "52 were left out" in warning and "and 47 more" in warning
    assert warning.count("column_") == 5


def test_the_upload_cap_in_the_server_config_is_the_documented_one():
    config = tomllib.loads((pathlib.Path(__file__).parents[2] / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 1_000_000 == MAX_BYTES
