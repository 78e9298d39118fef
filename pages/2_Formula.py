"""The Formula page: batch normalization's forward and backward pass with the user's own numbers."""

import numpy as np
import streamlit as st

from bn_core.losses import LOSSES
from charts.formula import feature_map_chart, graph_dot
from charts.spec import vega_lite_spec
from lessons import formula_text as text
from lessons import walkthrough as lesson
from lessons.format import format_number
from ui.controls import EPS_OPTIONS, bound, format_eps, open_section, seed_control
from ui.formula_controls import Batch, Walk, chosen_walk, conv_eps, walk_controls
from ui.layout import card_row, lab_page, page_setup, rerun_only
from ui.tables import show_grid, show_table

page_setup("Formula", "🧮")

SHRINK_OPTIONS = (1.0, 1e-1, 1e-2, 1e-3, 1e-4)
STAGES = ("input", "normalized", "output")


@st.cache_data(max_entries=64)  # measured with pickle: 0.1 kB (three errors and h)
def cached_gradient_check(x_col: tuple, gamma: float, beta: float, eps: float, loss: str, values: tuple):
    return lesson.gradient_check(np.array(x_col), gamma, beta, eps, loss, np.array(values))


@st.cache_data(max_entries=32)  # a ConvWalk of 2 × 3 × 3 × 3 values: 1.8 kB
def cached_conv_walk(seed: int, eps: float):
    return lesson.conv_walk(lesson.conv_example(seed), lesson.CONV_GAMMA, lesson.CONV_BETA, eps)


@st.cache_data(max_entries=32)  # one Vega-Lite spec of 54 cells: 6.3 kB
def feature_map_spec(seed: int, eps: float, channel: int, stage: str) -> dict:
    walk = cached_conv_walk(seed, eps)
    values = {"input": walk.x, "normalized": walk.xhat, "output": walk.y}[stage]
    return vega_lite_spec(feature_map_chart(values, channel, value_format=".1f" if stage == "input" else ".2f"))


def forward_section(w: Walk) -> None:
    st.header("Forward pass")
    st.markdown(text.symbols(w.x_col.size))
    st.markdown(text.STEPS["mean"])
    st.latex(lesson.mean_step(w.x_col)[1])
    st.markdown(text.STEPS["variance"])
    var, latex = lesson.variance_step(w.x_col)
    st.latex(latex)
    if lesson.undefined_forward(w.x_col, w.eps):
        st.warning(text.UNDEFINED_FORWARD)
    st.markdown(text.normalize_step_text(w.i))
    st.latex(lesson.normalize_step(w.x_col, w.i, w.eps)[1])
    st.markdown(text.STEPS["scale"])
    st.latex(lesson.scale_shift_step(w.x_col, w.i, w.gamma, w.beta, w.eps)[1])
    show_table(lesson.forward_table(w.x_col, w.gamma, w.beta, w.eps))
    st.subheader("Why m here, but m − 1 in the running variance")
    unbiased, latex = lesson.unbiased_variance_step(w.x_col)
    st.markdown(text.BESSEL)
    st.latex(latex)
    st.caption(text.bessel_caption(var, unbiased, w.x_col.size))


def epsilon_section(w: Walk) -> None:
    st.header("What ε does")
    st.markdown(text.CONSTANT_FEATURE)
    xhat, latex = lesson.constant_feature_step(0.0, w.x_col.size, w.eps)
    st.latex(latex)
    if np.isnan(xhat):
        st.info(text.ZERO_OVER_ZERO, icon=":material/calculate:")
    else:
        st.caption(f"ε = {format_eps(w.eps)}: 0/√ε = 0 for every sample. Set ε = 0 in the sidebar to see the "
                   "division fail.")
    st.markdown(text.NEARLY_CONSTANT)
    shrink = bound(st.columns(2)[0].select_slider, "Shrink the feature's spread by", key="shrink",
                   options=SHRINK_OPTIONS, value=1e-3, format_func=lambda s: f"× {s:g}",
                   help="The feature becomes μ + (x − μ)·factor: its variance is multiplied by factor².")
    tiny = lesson.shrink_spread(w.x_col, shrink)
    st.latex(lesson.normalize_step(tiny, w.i, w.eps)[1])
    show_table(lesson.epsilon_table(tiny, w.i, EPS_OPTIONS, map(format_eps, EPS_OPTIONS), w.eps))
    st.caption(text.sweep_caption(lesson.variance_step(tiny)[0]))


def loss_values(loss: str, m: int) -> np.ndarray:
    """Target (or weights) for the loss, edited in a table; empty cells fall back to the defaults."""
    column = lesson.loss_values_column(loss)
    edited = st.data_editor(lesson.loss_values_table(loss, m), key=f"values_{loss.split()[0]}", hide_index=True,
                            disabled=["i"], column_config={column: st.column_config.NumberColumn(
                                column, format="%.4g", help=f"Edit the {column}.")})
    values, replaced = lesson.edited_values(edited[column], m)
    if replaced:
        st.warning(f"{replaced} empty or non-numeric cell(s) in '{column}' were replaced by their defaults.")
    st.caption("Edits here are not stored in the page's link: a shared link opens with the default ramp from −1 to 2.")
    return values


@st.fragment
def backward_section(w: Walk) -> None:
    st.header("Backward pass")
    if lesson.undefined_forward(w.x_col, w.eps):
        st.warning(text.NO_GRADIENT)
        return
    st.markdown(text.UPSTREAM)
    loss = bound(st.radio, "Loss", key="loss", options=LOSSES, horizontal=True,
                 help="½‖y − t‖² pulls y towards an editable target t; Σ wᵢyᵢ sends the editable weights as dy.")
    st.latex(lesson.LOSS_LATEX[loss])
    editor, upstream = st.columns([1, 2])
    with editor:
        values = loss_values(loss, w.x_col.size)
    walk = lesson.backward_walk(w.x_col, w.gamma, w.beta, w.eps, loss, values)
    with upstream:
        show_grid(lesson.upstream_table(walk))
        st.metric("Loss L", format_number(walk.loss))
    st.subheader("Gradients of γ and β")
    st.markdown(text.GAMMA_BETA)
    st.latex(lesson.dbeta_step(walk)[1])
    st.latex(lesson.dgamma_step(walk)[1])
    st.subheader("Gradient of the input")
    st.markdown(text.THREE_PATHS)
    st.latex(lesson.DX_LATEX)
    st.latex(lesson.dx_step(walk, w.i)[1])
    show_table(lesson.dx_terms_table(walk))
    st.caption(text.dx_caption(walk))
    checks = card_row()
    checks.metric("Σᵢ ∂L/∂xᵢ", format_number(walk.sum_dx, 2), help="Zero up to rounding: see below.")
    checks.metric("Σᵢ ∂L/∂xᵢ · x̂ᵢ", format_number(walk.dx_dot_xhat, 2), help="Zero when ε = 0: see below.")
    st.markdown(text.SUM_ZERO + "\n\n" + text.orthogonal_text(walk) + "\n\n"
                + text.bias_text(walk, lesson.bias_shift_effect(w.x_col, w.gamma, w.beta, w.eps, loss, values)))
    scales = lesson.input_scale_table(w.x_col, w.gamma, w.beta, w.eps, loss, values)
    st.markdown(text.scale_text(scales))
    show_table(scales)
    st.subheader("Numerical check")
    errors, h = cached_gradient_check(tuple(w.x_col), w.gamma, w.beta, w.eps, loss, tuple(values))
    st.markdown(text.fd_text(h))
    row = card_row()
    for name, error in errors.items():
        row.metric(f"Max relative error, ∂L/∂{name}", format_number(error, 2),
                   help="max |analytic − numeric| / max(1, |analytic|, |numeric|) over all entries.")
    if max(errors.values()) > 1e-6:
        st.warning(text.FD_FAILS)
    else:
        st.success(text.fd_agreement(errors))
    st.subheader("The computational graph")
    # Drawn on request: the Graphviz renderer is most of this part's browser time (see the report's measurements).
    if bound(st.toggle, "Show the graph", key="graph", value=False, help=text.GRAPH_HELP):
        st.graphviz_chart(graph_dot(walk, w.beta), alt=text.GRAPH_ALT)
    st.caption("Backpropagation walks the graph's arrows in reverse, adding the contributions of every path.")


@st.fragment
def conv_section(eps: float) -> None:
    st.header("Convolutional layers: one statistic per channel")
    controls = st.columns(3)
    channel = bound(controls[0].radio, "Channel", key="channel", options=(0, 1, 2), horizontal=True,
                    help="Highlight the values that share this channel's μ and σ².")
    stage = bound(controls[1].radio, "Show", key="stage", options=STAGES, horizontal=True,
                  help="input x, normalized x̂ = (x − μ)/√(σ² + ε), or output y = γ·x̂ + β, with the channel's own "
                       "μ, σ², γ and β.")
    seed = seed_control(controls[2])
    walk = cached_conv_walk(seed, eps)
    st.markdown(text.conv_text(walk.x.shape, walk.values_per_channel, channel))
    st.vega_lite_chart(feature_map_spec(seed, eps, channel, stage), width="content")
    st.latex(lesson.channel_stats_step(walk, channel))
    show_table(lesson.channel_table(walk))


WALK = "formula_walk"  # the key of walk_view's fragment: what a change of the sample, γ, β or ε reruns


def walk_view(section, batch: Batch) -> None:
    w = chosen_walk(batch)
    if w.eps == 0:
        st.info(text.EPS_ZERO, icon=":material/info:")
    section(w)


def walk_part(section):
    def show() -> None:
        st.fragment(walk_view, key=WALK)(section, walk_controls(on_change=rerun_only(WALK)))
    return show


def page() -> None:
    # Only the open part is computed and drawn: the whole walk-through at once took the browser over 300 ms to redraw.
    open_section({
        "Forward pass": walk_part(forward_section),
        "What ε does": walk_part(epsilon_section),
        "Backward pass": walk_part(backward_section),
        "Convolutional layers": lambda: conv_section(conv_eps()),
    }, key="part", alone=True)


lab_page("🧮 The formula, step by step", text.LEAD, page, text.REFERENCES)
