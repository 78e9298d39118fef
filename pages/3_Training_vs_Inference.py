import streamlit as st

from ui.layout import page_setup

page_setup("3_Training_vs_Inference", "🧪")
st.title("3_Training_vs_Inference")
