import streamlit as st

from ui.layout import page_setup

page_setup("1_Demo", "🧪")
st.title("1_Demo")
