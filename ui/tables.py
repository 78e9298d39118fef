"""Tables as users read them: every number column in `lessons.format`'s one format for that column."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lessons.format import column_format, markdown_table


def show_table(frame: pd.DataFrame, index: str | None = None) -> None:
    """A small read-only table of a lesson as a Markdown table (lessons.format.markdown_table): a plain HTML table
    that the browser lays out much faster than `st.dataframe`'s grid when a part opens, and that a screen reader
    reads cell by cell. index: the header of a first column holding `frame`'s index (None: the index is not shown).

    A table wider than the page (most of them, on a phone) scrolls sideways inside its own box: Streamlit lets a
    horizontal container that does not wrap scroll, while a bare Markdown table would push the whole page sideways."""
    with st.container(horizontal=True, wrap=False):
        st.markdown(markdown_table(frame if index is None else frame.rename_axis(index).reset_index()))


def show_grid(frame: pd.DataFrame) -> None:
    """A read-only table as `st.dataframe`'s grid, without its index: beside an `st.data_editor`, whose rows it
    lines up with, so that a row is read across both."""
    formats = {name: st.column_config.NumberColumn(name, format=column_format(frame[name]))
               for name in frame.columns if frame[name].dtype.kind == "f"}
    st.dataframe(frame, column_config=formats, hide_index=True, width="stretch")
