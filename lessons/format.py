"""One number formatter for everything the lab shows: tables, captions, verdicts and metrics.

- A column of numbers shares one format: as many decimals as give its largest magnitude `sig` significant digits,
  so −0.8463, −1.596 and −0.06115 become −0.846, −1.596, −0.061 (the same decimals, aligned).
- Zero is "0", never 0.00e+00; a missing or undefined value is "—", never None or nan.
- Very large or very small magnitudes switch to scientific notation with the same mantissa length.
- Text uses the Unicode minus sign (−), as typeset mathematics does.
- A small table is Markdown text in those formats (`markdown_table`), where nothing typed is read as markup.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

MISSING = "—"
MINUS = "\u2212"
_SCIENTIFIC_ABOVE = 1e6
_SCIENTIFIC_BELOW = 1e-4
_MAX_DECIMALS = 8
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
WIDE_COLUMN = 1e3  # largest ÷ smallest magnitude from which each value of a column keeps its own digits
ROUNDING_NOISE = 1e-12  # next to a column's largest value, smaller ones are rounding errors of a zero


def _scientific(values: np.ndarray) -> bool:
    nonzero = np.abs(values[np.isfinite(values) & (values != 0)])
    return nonzero.size > 0 and (nonzero.max() >= _SCIENTIFIC_ABOVE or nonzero.max() < _SCIENTIFIC_BELOW)


def column_decimals(values, sig: int = 4) -> int:
    """Decimals that give the largest finite magnitude in `values` `sig` significant digits (0 to 8)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    finite = np.abs(values[np.isfinite(values)])
    if finite.size == 0 or finite.max() == 0:
        return 0
    digits_before_point = math.floor(math.log10(finite.max())) + 1
    return int(np.clip(sig - digits_before_point, 0, _MAX_DECIMALS))


def column_format(values, sig: int = 4) -> str:
    """A printf format for one table column (`st.column_config.NumberColumn(format=...)`)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    if _scientific(values):
        return f"%.{sig - 1}e"
    return f"%.{column_decimals(values, sig)}f"


def format_number(x, sig: int = 4) -> str:
    """One number as text with `sig` significant digits (every digit before the point, in groups of three from
    10,000 up): "0" for zero, "—" for NaN/None, ±∞ spelled out."""
    if x is None:
        return MISSING
    x = float(x)
    if math.isnan(x):
        return MISSING
    if math.isinf(x):
        return ("" if x > 0 else MINUS) + "∞"
    if x == 0:
        return "0"
    if abs(x) >= _SCIENTIFIC_ABOVE or abs(x) < _SCIENTIFIC_BELOW:
        mantissa, exponent = f"{x:.{sig - 1}e}".split("e")
        text = f"{mantissa}×10" + str(int(exponent)).translate(_SUPERSCRIPT)
    else:
        decimals = int(np.clip(sig - (math.floor(math.log10(abs(x))) + 1), 0, _MAX_DECIMALS))
        text = f"{x:.{decimals}f}"
        if abs(float(text)) >= 1e4:  # 40,183, as the charts' axes write it
            text = f"{x:,.{decimals}f}"
    return text.replace("-", MINUS)


def format_column(values, sig: int = 4) -> list[str]:
    """Every value of a column as text in the column's shared format (for tables built as text).

    A column whose magnitudes span WIDE_COLUMN or more gives every value its own `sig` significant digits instead,
    so that 4.75 next to 255,328 does not read "5" and 0.09138 next to 90.68 not "0.09"; there, a value under
    ROUNDING_NOISE of the column's largest is float64's rounding of a zero and reads "0"."""
    values = np.asarray(values, dtype=np.float64).ravel()
    finite = np.abs(values[np.isfinite(values)])
    noise = finite.max() * ROUNDING_NOISE if finite.size else 0.0
    real = finite[finite > noise]
    if real.size and real.max() >= WIDE_COLUMN * real.min():
        return ["0" if abs(v) <= noise else format_number(v, sig) for v in values]
    fmt = column_format(values, sig)
    return [MISSING if not np.isfinite(v) else ("0" if v == 0 else (fmt % v).replace("-", MINUS)) for v in values]


_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<>$~|])")
_MARKDOWN_BLOCK = re.compile(r"^(\s*)([#>+-])|^(\s*\d+)([.)])")


def markdown_literal(text) -> str:
    """`text` on one line with every character that Markdown would read as markup escaped: it shows as typed."""
    text = _MARKDOWN_INLINE.sub(r"\\\1", str(text).replace("\n", " "))
    return _MARKDOWN_BLOCK.sub(lambda m: f"{m[1]}\\{m[2]}" if m[2] else f"{m[3]}\\{m[4]}", text)


def markdown_table(frame: pd.DataFrame) -> str:
    """`frame` (without its index) as a Markdown table: every float column in its one shared format, numbers
    right-aligned, headers and text shown as typed."""
    columns = [(series.dtype.kind, series.to_numpy()) for _, series in frame.items()]
    numeric = [kind in "fiu" for kind, _ in columns]
    cells = [format_column(values) if kind == "f" else [*map(markdown_literal, values)] for kind, values in columns]
    lines = [" | ".join(map(markdown_literal, frame.columns)),
             " | ".join("---:" if right else ":---" for right in numeric),
             *(" | ".join(row) for row in zip(*cells, strict=True))]
    return "\n".join(f"| {line} |" for line in lines)
