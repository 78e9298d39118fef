"""The benchmark's floor: a one-slider Streamlit page. Every page of the lab is measured against it."""

import streamlit as st

value = st.slider("Value", min_value=0, max_value=100, value=50)
st.write(f"The value is {value}.")
