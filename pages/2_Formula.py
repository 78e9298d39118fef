import streamlit as st

from ui.layout import page_setup

page_setup("2_Formula", "🧪")
st.title("2_Formula")
