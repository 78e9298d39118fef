import streamlit as st

from ui.layout import page_setup

page_setup("5_Why_it_works", "🧪")
st.title("5_Why_it_works")
