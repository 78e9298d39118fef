"""BatchNorm Lab: the home page."""

import streamlit as st

import bn_core
from bn_core.data import feature_names
from charts.home import preview_specs
from ui.layout import PAGES, page_setup

page_setup("Home", "🧪")


@st.cache_data(max_entries=1)  # one entry: two specs of the 8 × 4 seed batch, ~15 KB
def preview() -> list[dict]:
    x = bn_core.seed_example_batch()
    return preview_specs(x, bn_core.batch_norm(x), feature_names(x.shape[1]))


st.title("🧪 BatchNorm Lab")
st.markdown(
    "**Batch normalization** rescales every feature inside a network so that, over the current mini-batch, it has "
    "mean 0 and variance 1, and then lets the network choose a better scale γ and shift β of its own. Introduced by "
    "[Ioffe & Szegedy (2015)](https://arxiv.org/abs/1502.03167), it let Inception reach its accuracy in fewer "
    "training steps (2.3× fewer with BatchNorm alone, 14× with BatchNorm plus a higher learning rate and other "
    "changes) and with larger learning rates. Why it helps is still debated: the original paper credits reduced "
    "*internal covariate shift*; [Santurkar et al. (2018)](https://arxiv.org/abs/1805.11604) show the loss "
    "landscape becomes smoother instead. This lab lets you compute it, break it and test those claims yourself, "
    "with numbers that match PyTorch 2.13 to float64 precision."
)
st.latex(r"\hat x_i = \frac{x_i - \mu_B}{\sqrt{\sigma_B^2 + \varepsilon}}, \qquad y_i = \gamma\,\hat x_i + \beta")
for column, spec in zip(st.columns(2), preview(), strict=True):
    column.vega_lite_chart(spec, width="stretch")
st.caption("The seed example batch (8 samples × 4 features) before and after batch normalization with γ = 1, β = 0: "
           "each stroke is a sample, the diamond the mean, the bar ±1σ; the dashed line marks zero.")

st.subheader("The pages, in teaching order")
pages = PAGES[1:]
# Two cards a row: in three, a 1024 px screen cut the longer "Open …" links short.
for start in range(0, len(pages), 2):
    for column, info in zip(st.columns(2), pages[start:start + 2], strict=False):
        with column.container(border=True, height="stretch"):
            st.markdown(f"**{info.label}**")
            st.write(info.summary)
            st.page_link(info.path, label=f"Open {info.label}", icon=info.icon)

with st.expander("References", icon=":material/menu_book:"):
    st.markdown(
        "- Batch normalization, its formula and the step counts: Ioffe & Szegedy (2015), "
        "[arXiv:1502.03167](https://arxiv.org/abs/1502.03167), Algorithm 1 and Figure 3 (Inception 31.0M steps, "
        "BN-Baseline 13.3M, BN-x5 2.1M; BN-x5 adds a 5× learning rate, no dropout, less L2, faster decay, no LRN).\n"
        "- The smoother loss landscape: Santurkar et al. (2018), [arXiv:1805.11604](https://arxiv.org/abs/1805.11604), "
        "Figures 2 and 4.\n"
        "- PyTorch semantics: PyTorch 2.13 `torch.nn.BatchNorm1d` documentation; bn_core's outputs are tested against "
        "torch 2.13.0 in float64."
    )
st.caption(
    "Every control is saved in the page's URL: copy the address bar to share exactly what you see. The batch, γ/β, "
    "ε and momentum you set on one page follow you to the others. The numerical core, `bn_core`, is plain numpy "
    "and is tested against PyTorch's own outputs."
)
