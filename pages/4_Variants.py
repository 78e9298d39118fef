import streamlit as st

from ui.layout import page_setup

page_setup("4_Variants", "🧪")
st.title("4_Variants")
