"""Reading a user's CSV into a numeric batch, with every problem described for a human (no streamlit here).

`read_batch_csv` never raises on bad input: it returns the usable batch (or None) and a list of problems,
each an error (nothing usable) or a warning (something was left out or capped). Column names are user
text: messages quote them inside Markdown code spans, so a page that shows a message never renders them.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bn_core.data import feature_names

# Budgets checked before pandas sees anything: parsing costs per column and per cell, so a one-row CSV of 60,000
# values (126 KB) used to take ~30 s of server CPU. The worst input inside them parses in well under a second
# (tests/lessons/test_csv_input.py). MAX_BYTES is also the uploader's cap: `server.maxUploadSize = 1` (MB) in
# .streamlit/config.toml says the same (a test checks they agree).
MAX_BYTES = 1_000_000
MAX_LINE_CHARS = 4_096
MAX_COLUMNS = 64
MAX_FIELDS = 100_000
MAX_NAME_LENGTH = 40
_DELIMITERS = ",;\t|"
_ROW_LABEL_NAMES = {"", "sample", "index", "#", "row", "unnamed: 0"}
_LISTED = 5


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input. level: "error" (no batch) or "warning" (batch usable)."""

    level: str
    message: str


@dataclass(frozen=True)
class CsvBatch:
    """A parsed batch. values: (N, F) float64, every cell finite, or None when nothing is usable."""

    values: np.ndarray | None
    names: tuple[str, ...]
    problems: tuple[Problem, ...]


def quote(name: str) -> str:
    """User text as a Markdown code span: shown literally, never rendered as Markdown or HTML."""
    return "`" + name.replace("`", "'") + "`"


def _listing(items: list) -> str:
    """The first few items, then how many more (a warning never grows with the input)."""
    shown = ", ".join(str(item) for item in items[:_LISTED])
    return shown + (f" and {len(items) - _LISTED} more" if len(items) > _LISTED else "")


def _over_budget(text: str) -> str | None:
    """Why `text` is too big to parse (line length, cells per line, cells in all), or None. Counted with str
    methods only, for every candidate delimiter (quoted delimiters count too: the bound is conservative)."""
    lines = text.splitlines()
    longest = max(map(len, lines), default=0)
    if longest > MAX_LINE_CHARS:
        return (f"A line of the file has {longest:,} characters; the demo reads lines up to {MAX_LINE_CHARS:,} "
                f"(at most {MAX_COLUMNS} columns). Keep only the columns you need.")
    widest = max((line.count(d) for line in lines for d in _DELIMITERS), default=0) + 1
    if widest > MAX_COLUMNS:
        return (f"A line of the file has {widest:,} cells; the demo reads at most {MAX_COLUMNS} columns (and uses "
                "8 features). Keep only the columns you need.")
    fields = sum(max(line.count(d) for d in _DELIMITERS) + 1 for line in lines)
    if fields > MAX_FIELDS:
        return (f"The file has about {fields:,} cells; the demo reads up to {MAX_FIELDS:,} (and uses at most 256 "
                "rows). Cut it down and try again.")
    return None


def _failure(message: str) -> CsvBatch:
    return CsvBatch(None, (), (Problem("error", message),))


def _decode(data: bytes | str) -> str:
    """Text from UTF-8 (with or without BOM), UTF-16 with a BOM, or else Latin-1 (which never fails)."""
    if isinstance(data, str):
        return data
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _delimiter(text: str) -> str:
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return ","


def _clean_name(name: str, j: int) -> str:
    name = re.sub(r"\s+", " ", str(name)).strip()
    if not name or name.lower().startswith("unnamed:"):
        return f"F{j}"
    return name if len(name) <= MAX_NAME_LENGTH else name[: MAX_NAME_LENGTH - 1] + "…"


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _read_table(text: str, delimiter: str) -> tuple[pd.DataFrame, int]:
    """All cells as stripped strings ("" where empty or missing), and how many lines had more cells than the
    first line (those are skipped)."""
    skipped = []

    def skip(fields: list[str]) -> None:
        skipped.append(fields)

    table = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, header=None,
                        engine="python", on_bad_lines=skip, skip_blank_lines=True)
    return table.fillna("").apply(lambda column: column.str.strip()), len(skipped)


def _as_numbers(column: pd.Series, delimiter: str) -> pd.Series:
    if delimiter != ",":
        column = column.str.replace(",", ".", regex=False)
    return pd.to_numeric(column, errors="coerce")


def _is_row_label(name: str, values: pd.Series) -> bool:
    n = len(values)
    return name.lower() in _ROW_LABEL_NAMES and n > 1 and (
        np.array_equal(values, np.arange(n)) or np.array_equal(values, np.arange(1, n + 1))
    )


def read_batch_csv(data: bytes | str, *, max_rows: int, max_features: int) -> CsvBatch:
    """Parse CSV text or bytes into a batch of shape (N, F), N <= max_rows, F <= max_features.

    Numeric columns become features; text columns are ignored. A header row is optional (detected when
    its cells are not all numbers). Rows with empty, non-numeric, NaN or infinite cells are left out.
    The delimiter (, ; tab |) is detected; with ; or tab a decimal comma is accepted.
    """
    if len(data) > MAX_BYTES:
        return _failure(f"The file is {len(data) / 1e6:.1f} MB; the demo reads files up to {MAX_BYTES / 1e6:.0f} MB "
                        f"(and uses at most {max_rows} rows). Cut it down and upload again.")
    text = _decode(data)
    if "\x00" in text[:4096]:
        return _failure("This is not a text CSV file (it contains binary data). Export your table as CSV and "
                        "upload that.")
    if not text.strip():
        return _failure("The file is empty. Upload a CSV with one column per feature and one row per sample.")
    too_big = _over_budget(text)
    if too_big is not None:
        return _failure(too_big)
    delimiter = _delimiter(text)
    try:
        table, skipped_lines = _read_table(text, delimiter)
    except (pd.errors.ParserError, csv.Error, ValueError) as error:
        return _failure(f"The file could not be read as CSV ({error}). Check that it is comma-separated text.")
    problems: list[Problem] = []
    if skipped_lines:
        problems.append(Problem("warning", f"{skipped_lines} line(s) had more cells than the first line and "
                                           "were skipped."))

    has_header = not all(_is_number(cell) for cell in table.iloc[0] if cell != "")
    raw_names = list(table.iloc[0]) if has_header else feature_names(table.shape[1])
    body = table.iloc[1:] if has_header else table
    if body.empty:
        return _failure("The file has a header but no data rows. Add at least two rows of numbers.")
    names = _unique([_clean_name(name, j) for j, name in enumerate(raw_names)])

    numeric, text_columns, empty_columns = {}, [], []
    for j, name in enumerate(names):
        cells = body.iloc[:, j]
        numbers = _as_numbers(cells, delimiter)
        filled = (cells != "").sum()
        if not filled:
            empty_columns.append(name)
        elif numbers.notna().sum() * 2 >= filled:
            numeric[name] = numbers
        else:
            text_columns.append(name)
    if text_columns:
        problems.append(Problem("warning", "Text column(s) ignored: " + _listing([quote(n) for n in text_columns])
                                + ". Only numeric columns become features."))
    if empty_columns:
        problems.append(Problem("warning", "Empty column(s) ignored: " + _listing([quote(n) for n in empty_columns])
                                + "."))
    if numeric and has_header:
        first, values = next(iter(numeric.items()))
        if _is_row_label(first, values):
            del numeric[first]
            problems.append(Problem("warning", f"Column {quote(first)} holds row numbers, not a feature: ignored."))
    if not numeric:
        return CsvBatch(None, (), (*problems, Problem(
            "error", "No numeric column found. Each feature needs a column of numbers (a header row is optional).")))

    if len(numeric) > max_features:
        dropped = list(numeric)[max_features:]
        problems.append(Problem("warning", f"The file has {len(numeric)} numeric columns; the demo shows at most "
                                           f"{max_features} features, so {len(dropped)} were left out: "
                                + _listing([quote(n) for n in dropped]) + "."))
        numeric = dict(list(numeric.items())[:max_features])

    values = pd.DataFrame(numeric).to_numpy(dtype=np.float64)
    finite = np.isfinite(values).all(axis=1)
    if not finite.all():
        bad_rows = [int(i) + 1 for i in np.flatnonzero(~finite)]
        problems.append(Problem("warning", f"{len(bad_rows)} row(s) with empty, non-numeric, NaN or infinite cells "
                                           f"were left out (data row {_listing(bad_rows)})."))
        values = values[finite]
    if values.shape[0] == 0:
        return CsvBatch(None, (), (*problems, Problem("error", "No row has a finite number in every numeric column, "
                                                               "so no sample is left. Fill in or remove those cells.")))
    if values.shape[0] > max_rows:
        problems.append(Problem("warning", f"The file has {values.shape[0]:,} usable rows; the demo uses the first "
                                           f"{max_rows} (its largest batch)."))
        values = values[:max_rows]
    if values.shape[0] == 1:
        problems.append(Problem("warning", "The file has a single data row: a batch of one sample."))
    return CsvBatch(values, tuple(numeric), tuple(problems))


def batch_to_csv(x: np.ndarray, names) -> str:
    """A batch (N, F) as CSV text with a header row; every value written exactly (shortest round-trip form)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    writer.writerows([repr(float(v)) for v in row] for row in np.asarray(x, dtype=np.float64))
    return out.getvalue()


# Characters that make a spreadsheet treat a cell as a formula (OWASP, "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralize_formula(cell: str) -> str:
    """A text cell a spreadsheet would run as a formula, prefixed with ' so that it opens as text."""
    return "'" + cell if cell.startswith(FORMULA_TRIGGERS) else cell


def download_csv(frame: pd.DataFrame) -> str:
    """A table as CSV for a download button: numbers exact (shortest round-trip form), every header and text cell
    formula-neutralized. Numbers stay numbers (−1.5 is not a formula); the frame's index is not written."""
    safe = frame.copy()
    safe.columns = [neutralize_formula(str(name)) for name in frame.columns]
    for name in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[name]):
            safe[name] = safe[name].map(lambda value: neutralize_formula(str(value)))
    return safe.to_csv(index=False, lineterminator="\n", float_format=lambda v: repr(float(v)))
