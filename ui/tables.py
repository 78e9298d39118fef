"""Tables as users read them: every number column in `lessons.format`'s one format for that column."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lessons.format import column_format


def number_columns(frame: pd.DataFrame) -> dict:
    """column_config for every numeric column of `frame`: one printf format per column (lessons.format)."""
    return {name: st.column_config.NumberColumn(name, format=column_format(frame[name]))
            for name in frame.columns if pd.api.types.is_float_dtype(frame[name])}


def show_table(frame: pd.DataFrame, **kwargs) -> None:
    """`st.dataframe` with the lab's number formats, stretched to the column, without the index unless asked."""
    kwargs.setdefault("hide_index", True)
    st.dataframe(frame, column_config=number_columns(frame), width="stretch", **kwargs)
