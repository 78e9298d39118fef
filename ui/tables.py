"""Tables as users read them: every number column in `lessons.format`'s one format for that column."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lessons.format import column_format


def number_columns(frame: pd.DataFrame, kinds: str = "f", **config: dict) -> dict:
    """column_config for every column of `frame` whose dtype kind is in `kinds` (floats; "fi": integers too): one
    printf format per column (lessons.format), and any other NumberColumn options `config` names for a column."""
    return {name: st.column_config.NumberColumn(name, format=column_format(frame[name]), **config.get(name, {}))
            for name in frame.columns if frame[name].dtype.kind in kinds}


def show_table(frame: pd.DataFrame, **kwargs) -> None:
    """`st.dataframe` with the lab's number formats, stretched to the column, without the index unless asked."""
    kwargs.setdefault("hide_index", True)
    st.dataframe(frame, column_config=number_columns(frame), width="stretch", **kwargs)
