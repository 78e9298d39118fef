"""BatchNorm Lab: the home page."""

import streamlit as st

import bn_core
from charts.home import before_after_chart
from charts.spec import vega_lite_spec
from ui.layout import PAGES, page_setup

page_setup("Home", "🧪")


@st.cache_data
def preview_spec() -> dict:
    x = bn_core.seed_example_batch()
    return vega_lite_spec(before_after_chart(x, bn_core.batch_norm(x)))


st.title("🧪 BatchNorm Lab")
st.markdown(
    "**Batch normalization** rescales every feature inside a network so that, over the current mini-batch, it has "
    "mean 0 and variance 1, and then lets the network choose a better scale γ and shift β of its own. Introduced by "
    "[Ioffe & Szegedy (2015)](https://arxiv.org/abs/1502.03167), it made deep networks train in far fewer steps and "
    "with larger learning rates. Why it helps is still debated: the original paper credits reduced *internal "
    "covariate shift*; [Santurkar et al. (2018)](https://arxiv.org/abs/1805.11604) show the loss landscape becomes "
    "smoother instead. This lab lets you compute it, break it and test those claims yourself, with numbers that "
    "match PyTorch to float64 precision."
)
st.latex(r"\hat x_i = \frac{x_i - \mu_B}{\sqrt{\sigma_B^2 + \varepsilon}}, \qquad y_i = \gamma\,\hat x_i + \beta")
st.vega_lite_chart(preview_spec(), width="stretch")
st.caption("The seed example batch (8 samples × 4 features) before and after batch normalization with γ = 1, β = 0. "
           "The vermillion line marks zero.")

st.subheader("The pages, in teaching order")
columns = st.columns(len(PAGES) - 1)
for column, info in zip(columns, PAGES[1:], strict=True):
    with column.container(border=True, height="stretch"):
        st.markdown(f"**{info.label}**")
        st.write(info.summary)
        st.page_link(info.path, label=f"Open {info.label}", icon=info.icon)

st.divider()
st.caption(
    "Every control is saved in the page's URL: copy the address bar to share exactly what you see. The batch, γ/β, "
    "ε and momentum you set on one page follow you to the others. The numerical core, `bn_core`, is plain numpy "
    "and is tested against PyTorch's own outputs."
)
