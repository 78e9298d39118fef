"""The Demo page's numbers: the tables behind the charts, the downloads, the batch statistics and the running
statistics. The page draws them in an expander that is computed only when open (they were half a rerun's cost)."""

from __future__ import annotations

import streamlit as st

from lessons import demo
from lessons.csv_input import download_csv
from ui.demo_controls import batch_editor, show_table
from ui.layout import card_row

RUNNING_MEAN = r"\mu_{\text{run}} \leftarrow (1-\alpha)\,\mu_{\text{run}} + \alpha\,\mu_B"
# On two lines: on one, it was wider than its column on a 1280 px screen.
RUNNING_VAR = (r"\begin{aligned}\sigma^2_{\text{run}} \leftarrow{} & (1-\alpha)\,\sigma^2_{\text{run}} \\ "
               r"& + \alpha\,\tfrac{m}{m-1}\,\sigma_B^2\end{aligned}")


# The most features whose table fits a third, or a half, of the main area at 1280 px (a third was 249 px wide).
THIRD_WIDE_FEATURES, HALF_WIDE_FEATURES = 3, 4


def stage_slots(num_features: int) -> list:
    """Where the input, normalized and output tables go: side by side while every feature fits at 1280 px, then the
    input on a row of its own above the other two, then each on its own row."""
    if num_features <= THIRD_WIDE_FEATURES:
        return list(st.columns(3))
    if num_features <= HALF_WIDE_FEATURES:
        return [st.container(), *st.columns(2)]
    return [st.container() for _ in range(3)]


def numbers_view(batch: demo.DemoBatch, result: demo.LayerPass, running: demo.RunningStatistics, gamma, beta,
                 momentum: float, own_batch: bool) -> None:
    """Every value of the three stages (the input editable), the downloads, and the statistics in use.
    gamma, beta: (F,) each."""
    names = list(batch.names)
    st.subheader("Input, normalized, output")
    for column, (stage, values) in zip(stage_slots(len(names)), (("input", result.x), ("normalized", result.xhat),
                                                                 ("output", result.y)), strict=True):
        frame = demo.stage_frame(values, names)
        with column:
            st.markdown({"input": "**Input x** · edit any cell", "normalized": "**Normalized x̂** = (x − μ) / √(σ² + ε)",
                         "output": "**Output y** = γ · x̂ + β"}[stage])
            if stage == "input":
                batch_editor(frame, batch.x, names)
            else:
                show_table(frame)
    # One wrapping row, each button as wide as its label (in columns, 1024 px cut "All three stages CSV" short).
    downloads = st.container(horizontal=True, vertical_alignment="center")
    downloads.download_button("Input CSV", lambda: download_csv(demo.stage_frame(result.x, names)),
                              file_name="batch.csv", mime="text/csv", icon=":material/download:", on_click="ignore",
                              key="download_input", help="The input batch, exactly, with its feature names.")
    downloads.download_button("All three stages CSV", lambda: download_csv(demo.stages_table(result, names)),
                              file_name="batchnorm_stages.csv", mime="text/csv", icon=":material/download:",
                              on_click="ignore", key="download_stages",
                              help="Input, normalized and output values in one table (a column names the stage).")
    downloads.caption("Tables show 4 significant digits; the downloads hold every digit. "
                      + ("Your batch travels in the page link, so a link reopens it." if own_batch else
                         "Editing a cell turns the batch into **Your own**, which the page link carries along."))
    st.markdown("#### Batch statistics")
    formula_col, table_col = st.columns([1, 2], gap="large")
    with formula_col:
        st.latex(r"\mu_B = \frac{1}{m}\sum_{i=1}^{m} x_i")
        st.latex(r"\sigma_B^2 = \frac{1}{m}\sum_{i=1}^{m}(x_i-\mu_B)^2")
        if result.training:
            st.latex(r"\hat x_i = \frac{x_i - \mu_B}{\sqrt{\sigma_B^2 + \varepsilon}}")
        else:
            st.latex(r"\hat x_i = \frac{x_i - \mu_{\text{run}}}{\sqrt{\sigma^2_{\text{run}} + \varepsilon}}")
        st.caption("Training divides by $\\sqrt{\\sigma_B^2 + \\varepsilon}$ with the biased variance (divide by m)."
                   if result.training else
                   "Inference subtracts the running μ and divides by √(running σ² + ε); the batch's own statistics are "
                   "shown for comparison only.")
    stats = demo.statistics_table(result, names, *((None, None) if result.training else (running.mean, running.var)))
    show_table(stats, table_col)
    st.markdown("#### Learnable parameters & running statistics")
    formula_col, table_col = st.columns([1, 2], gap="large")
    with formula_col:
        st.latex(RUNNING_MEAN)
        st.latex(RUNNING_VAR)
        row = card_row()
        row.metric("Batches seen", running.batches_seen,
                   help="Training steps since the reset (PyTorch counts them in `num_batches_tracked`).")
        row.metric("Data weight", f"{demo.running_share(momentum, running.batches_seen):.0%}",
                   help="1 − (1 − α)^k: how much of the running statistics comes from the k batches seen; the "
                        "rest is still the initial 0 (mean) and 1 (variance).")
        st.caption(f"α = momentum = {momentum:g} in PyTorch's convention (Keras writes {1 - momentum:g}, the weight of "
                   "the old value). The running variance averages the **unbiased** batch variance (divide by m − 1).")
    params = demo.parameters_table(names, gamma, beta, running.mean, running.var)
    show_table(params, table_col)
