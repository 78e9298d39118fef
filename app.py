"""BatchNorm Lab: home page."""

import streamlit as st

from ui.layout import PAGES, page_setup

page_setup("Home", "🧪")
st.title("BatchNorm Lab")
for info in PAGES[1:]:
    st.page_link(info.path, label=info.label, icon=info.icon)
    st.caption(info.summary)
