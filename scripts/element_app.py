"""The benchmark's element-cost pages (--elements): the floor's one slider, then `n` elements of one `kind`.

What the 2× target leaves room for: `python scripts/benchmark.py --elements` times a key press on the slider with
?kind=...&n=... next to the floor. kind "text" changes with the slider, "static" does not, "number" is a number
input whose value follows the slider, "select" a select box whose options do, "columns" a pair of columns per
line; "tabs" is one st.tabs of n tabs and "sections" one segmented control of n options, the two ways to split a
page into parts.
"""

import streamlit as st

LINE_KINDS = ("text", "static", "number", "select", "columns")  # n elements, one per line
kind = st.query_params.get("kind", "text")
count = min(int(st.query_params.get("n", "0") or 0), 500)
value = st.slider("Value", min_value=0, max_value=100, value=50)
st.write(f"The value is {value}.")
labels = [f"Part {i}" for i in range(count)]
if kind == "tabs" and labels:
    st.tabs(labels)
elif kind == "sections" and labels:
    st.segmented_control("Part", labels, default=labels[0], required=True, key="sections")
for i in range(count if kind in LINE_KINDS else 0):
    if kind == "text":
        st.markdown(f"Line {i}: the value is **{value}**.")
    elif kind == "static":
        st.markdown(f"Line {i}: the same text on every run.")
    elif kind == "number":
        st.number_input(f"Number {i}", value=float(value), key=f"number{i}")
    elif kind == "select":
        st.selectbox(f"Choice {i}", options=[value, value + 1, value + 2], key=f"select{i}")
    else:
        left, _right = st.columns(2)
        left.markdown(f"{i}: {value}")
