"""lessons.format: one number formatter (columns share decimals, no None, no 0.00e+00)."""

import math

import numpy as np
import pandas as pd

from lessons.format import (
    MISSING,
    column_decimals,
    column_format,
    format_column,
    format_number,
    markdown_literal,
    markdown_table,
)


def test_a_column_shares_decimals_set_by_its_largest_value():
    assert column_decimals([-0.8463, -1.596, -0.06115]) == 3
    assert format_column([-0.8463, -1.596, -0.06115]) == ["−0.846", "−1.596", "−0.061"]


def test_a_column_spanning_orders_of_magnitude_gives_each_value_its_own_digits():
    assert format_column([4.746, 4.053, 19.96, 2463.4, 255328.0]) == ["4.746", "4.053", "19.96", "2463", "255,328"]
    assert format_column([90.68, 9.138, 0.009138]) == ["90.68", "9.138", "0.009138"]
    assert format_column([0.1587, 6.366e-11, 0.0]) == ["0.1587", "6.366×10⁻¹¹", "0"]
    # float64's rounding of a zero is not a magnitude: the column keeps its shared format
    assert format_column([3.819, 1.564e-16, 0.9271]) == ["3.819", "0.000", "0.927"]
    assert format_column([3.819, -1.564e-16, 0.0021]) == ["3.819", "0", "0.002100"]


def test_zero_and_missing_values_are_words_not_artifacts():
    assert format_number(0.0) == "0"
    assert format_number(None) == MISSING
    assert format_number(math.nan) == MISSING
    assert format_column([0.0, np.nan, 1.5]) == ["0", MISSING, "1.500"]


def test_tiny_and_huge_magnitudes_use_scientific_notation():
    assert format_number(1.234e-5) == "1.234×10⁻⁵"
    assert format_number(-2.5e7, sig=2) == "−2.5×10⁷"
    assert column_format([1e-6, 3e-6]) == "%.3e"


def test_large_numbers_are_grouped_in_thousands_as_on_the_charts_axes():
    assert format_number(40183.4, sig=3) == "40,183"
    assert format_number(-123456.7) == "−123,457"
    assert format_number(9999.6) == "10,000"  # grouped after rounding
    assert format_number(9876.6) == "9877"


def test_ordinary_numbers_keep_sig_digits():
    assert format_number(12.3456) == "12.35"
    assert format_number(-0.0123456, sig=3) == "−0.0123"
    assert column_format([100.0, 2.0]) == "%.1f"
    assert format_number(math.inf) == "∞" and format_number(-math.inf) == "−∞"


def test_markdown_literal_escapes_what_markdown_would_read_as_markup():
    assert markdown_literal("a_b *c* [l](u) <b> $x$ `c` ~s~ | \\") == (
        r"a\_b \*c\* \[l\](u) \<b\> \$x\$ \`c\` \~s\~ \| \\")
    assert [markdown_literal(t) for t in ("# h", "- x", "+ x", "> q", "12. n", "3) n")] == [
        r"\# h", r"\- x", r"\+ x", r"\> q", r"12\. n", r"3\) n"]
    assert markdown_literal("two\nlines") == "two lines"
    assert markdown_literal("x̂ᵢ − μ") == "x̂ᵢ − μ"


def test_markdown_table_formats_each_float_column_and_right_aligns_numbers():
    frame = pd.DataFrame({"feature": ["F0", "F_1"], "running μ": [-0.8463, 12.5], "m": [2, 16],
                          "spread": [np.nan, 0.25]})
    assert markdown_table(frame).split("\n") == [
        "| feature | running μ | m | spread |",
        "| :--- | ---: | ---: | ---: |",
        "| F0 | −0.85 | 2 | — |",
        r"| F\_1 | 12.50 | 16 | 0.2500 |",
    ]
