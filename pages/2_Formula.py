"""The Formula page: batch normalization's forward and backward pass with the user's own numbers."""

import numpy as np
import pandas as pd
import streamlit as st

from bn_core.data import seed_example_batch
from bn_core.losses import LOSSES, default_values
from charts.formula import (
    channel_frame,
    dx_terms_frame,
    epsilon_frame,
    feature_map_chart,
    forward_frame,
    graph_dot,
    upstream_frame,
)
from charts.spec import vega_lite_spec
from lessons.walkthrough import (
    CONV_BETA,
    CONV_GAMMA,
    DX_LATEX,
    LOSS_LATEX,
    backward_walk,
    channel_stats_step,
    constant_feature_step,
    conv_example,
    conv_walk,
    dbeta_step,
    dgamma_step,
    dx_step,
    gradient_check,
    mean_step,
    normalize_step,
    scale_shift_step,
    shrink_spread,
    unbiased_variance_step,
    undefined_forward,
    variance_step,
)
from ui.controls import EPS_OPTIONS, bound, eps_control, format_eps, gamma_beta_controls, open_tab, seed_control
from ui.layout import page_setup
from ui.state import shared_batch

page_setup("Formula", "🧮")

SOURCES = ("Demo page", "Seed example")
SHRINK_OPTIONS = (1.0, 1e-1, 1e-2, 1e-3, 1e-4)
STAGES = ("input", "normalized", "output")
FMT = "%.4g"


def number_columns(*names: str) -> dict:
    return {name: st.column_config.NumberColumn(name, format=FMT) for name in names}


def choose_batch() -> tuple[np.ndarray, str]:
    """The batch to walk through: the Demo page's (if shared and usable) or the seed example, and its name."""
    shared = shared_batch()
    if shared is None:
        st.sidebar.caption("Using the seed example batch. Build a batch on the Demo page and it will appear here.")
        return seed_example_batch(), "the seed example batch"
    source = bound(st.sidebar.radio, "Batch", key="batch", options=SOURCES, horizontal=True,
                   help="The batch you set up on the Demo page in this session, or the seed page's 8 × 4 example.")
    if source == SOURCES[1]:
        return seed_example_batch(), "the seed example batch"
    x, name = shared
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1 or not np.all(np.isfinite(x)):
        st.warning(f"The batch from the {name} has shape {x.shape} or holds non-finite values; a walk through needs "
                   "at least 2 samples and 1 feature of finite numbers. Showing the seed example batch instead.")
        return seed_example_batch(), "the seed example batch"
    return x, f"the batch from the {name}"


# ---------------------------------------------------------------- cached computations


@st.cache_data(max_entries=64)
def cached_gradient_check(x_col: tuple, gamma: float, beta: float, eps: float, loss: str, values: tuple):
    return gradient_check(np.array(x_col), gamma, beta, eps, loss, np.array(values))


@st.cache_data(max_entries=32)
def cached_conv_walk(seed: int, eps: float):
    return conv_walk(conv_example(seed), CONV_GAMMA, CONV_BETA, eps)


@st.cache_data(max_entries=32)
def feature_map_spec(seed: int, eps: float, channel: int, stage: str) -> dict:
    """The conv grid chart as a validated Vega-Lite spec: Altair's validation costs ~25 ms, so it runs once."""
    walk = cached_conv_walk(seed, eps)
    values = {"input": walk.x, "normalized": walk.xhat, "output": walk.y}[stage]
    return vega_lite_spec(feature_map_chart(values, channel, value_format=".1f" if stage == "input" else ".2f"))


# ---------------------------------------------------------------- sections


def symbols_section(m: int) -> None:
    st.markdown(
        f"""
- $m$ — the batch size: how many values of the feature are averaged together (here $m$ = {m}).
- $x_i$ — the feature's value for sample $i$ of the batch, $i = 1, \\dots, m$ (one column of the batch).
- $\\varepsilon$ — a small constant added to the variance before the square root, so the division stays finite
  even when every $x_i$ is equal (PyTorch's default $10^{{-5}}$, Keras' $10^{{-3}}$).
- $\\gamma, \\beta$ — a learned scale and shift, one pair per feature. With
  $\\gamma = \\sqrt{{\\sigma_B^2 + \\varepsilon}}$ and $\\beta = \\mu_B$ the layer undoes the normalization
  exactly, so normalizing never takes away what the network could represent before.
"""
    )


def forward_section(x_col: np.ndarray, i: int, gamma: float, beta: float, eps: float) -> None:
    st.header("Forward pass")
    symbols_section(x_col.size)
    _, latex = mean_step(x_col)
    st.markdown("**1. Batch mean.** The average of the feature over the batch: the centre it will be moved from.")
    st.latex(latex)
    var, latex = variance_step(x_col)
    st.markdown("**2. Batch variance.** The mean squared distance from that centre, divided by $m$: how spread "
                "out the feature is in this batch.")
    st.latex(latex)
    if undefined_forward(x_col, eps):
        st.error("This feature is constant and ε = 0, so step 3 divides 0 by 0 and every x̂ is NaN. "
                 "Raise ε in the sidebar (any ε > 0 gives x̂ = 0) or pick another feature.")
    _, latex = normalize_step(x_col, i, eps)
    st.markdown(f"**3. Normalize** (shown for sample {i + 1}; pick another in the sidebar). Subtract the mean and "
                r"divide by the standard deviation: over the batch, $\hat x$ now has mean 0 and variance "
                r"$\sigma_B^2/(\sigma_B^2 + \varepsilon) \approx 1$, whatever the feature's units were.")
    st.latex(latex)
    _, latex = scale_shift_step(x_col, i, gamma, beta, eps)
    st.markdown(r"**4. Scale and shift.** The learned $\gamma$ and $\beta$ give the feature the spread and centre "
                "that suit the next layer; gradient descent sets them like any other weight.")
    st.latex(latex)

    table = forward_frame(x_col, gamma, beta, eps)
    st.dataframe(table, hide_index=True, column_config=number_columns(*table.columns[1:]))

    st.subheader("Why m here, but m − 1 in the running variance")
    unbiased, latex = unbiased_variance_step(x_col)
    st.markdown(
        "Normalizing uses the batch's *own* spread, so it divides by $m$: that is exactly the variance of these $m$ "
        "numbers. The running variance kept for inference has another job: to estimate the variance of the whole "
        "population of inputs. Squared deviations from the batch's own mean are on average smaller than those from "
        "the population's mean (the batch mean is, by construction, the point closest to its own samples), so their "
        "average underestimates the population variance by the factor $(m-1)/m$. Dividing by $m - 1$ instead "
        "(Bessel's correction) makes the estimate unbiased. PyTorch's `running_var` averages this $s^2$ ([BatchNorm1d "
        "docs](https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm1d.html)); Keras 3 averages the "
        r"biased $\sigma_B^2$."
    )
    st.latex(latex)
    st.caption(rf"Here $\sigma_B^2$ = {var:.4g} and $s^2$ = {unbiased:.4g}: they differ by the factor "
               f"m/(m − 1) = {x_col.size}/{x_col.size - 1}.")


def epsilon_section(x_col: np.ndarray, i: int, eps: float) -> None:
    st.header("What ε does")
    st.markdown(r"A **constant feature** (say, a ReLU that outputs 0 for the whole batch) has $\sigma_B^2 = 0$ and "
                r"$x_i - \mu_B = 0$ for every sample. Only $\varepsilon$ keeps the denominator away from zero:")
    xhat, latex = constant_feature_step(0.0, x_col.size, eps)
    st.latex(latex)
    if np.isnan(xhat):
        st.warning("With ε = 0 the denominator is √0 = 0 and the numerator is 0: 0/0 has no value, so x̂ is NaN "
                   "(not a number), and the NaN would spread to every layer after this one. Any ε > 0 gives 0/√ε = 0.")
    else:
        st.caption(f"ε = {format_eps(eps)}: 0/√ε = 0 for every sample. "
                   "Set ε = 0 in the sidebar to see the division fail.")

    st.markdown(r"A **nearly constant feature** shows what $\varepsilon$ changes when it matters: below, the spread "
                r"of the picked feature is shrunk around its mean. Once $\sigma_B^2$ is comparable to $\varepsilon$, "
                r"the denominator $\sqrt{\sigma_B^2 + \varepsilon}$ is held up by $\varepsilon$, and $\hat x$ is "
                "no longer stretched to unit variance: ε sets the smallest spread worth amplifying.")
    shrink = bound(st.columns(2)[0].select_slider, "Shrink the feature's spread by", key="shrink",
                   options=SHRINK_OPTIONS, value=1e-3, format_func=lambda s: f"× {s:g}",
                   help="The feature becomes μ_B + (x − μ_B)·factor: its variance is multiplied by factor².")
    tiny = shrink_spread(x_col, shrink)
    _, latex = normalize_step(tiny, i, eps)
    st.latex(latex)
    sweep = epsilon_frame(tiny, i, EPS_OPTIONS, map(format_eps, EPS_OPTIONS), eps)
    st.dataframe(sweep, hide_index=True, column_config=number_columns(*sweep.columns[1:4]))
    st.caption(rf"This feature has $\sigma_B^2$ = {variance_step(tiny)[0]:.3g}. "
               r"Rows with $\varepsilon \ll \sigma_B^2$ keep "
               r"std($\hat x$) ≈ 1; rows with $\varepsilon \gg \sigma_B^2$ squash $\hat x$ towards 0.")


def loss_values(loss: str, m: int) -> np.ndarray:
    """Target (or weights) for the loss, edited in a table; empty cells fall back to the defaults."""
    defaults = default_values(m)
    column = "target tᵢ" if loss == LOSSES[0] else "weight wᵢ"
    frame = pd.DataFrame({"i": np.arange(1, m + 1), column: defaults})
    edited = st.data_editor(
        frame, key=f"values_{loss.split()[0]}", hide_index=True, disabled=["i"],
        column_config={column: st.column_config.NumberColumn(column, format=FMT, help=f"Edit the {column}.")},
    )
    values = pd.to_numeric(edited[column], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        st.warning(f"{int(bad.sum())} empty or non-numeric cell(s) in '{column}' were replaced by their defaults.")
        values[bad] = defaults[bad]
    st.caption("Edits here are not stored in the page's link: a shared link opens with the default ramp from −1 to 2.")
    return values


def backward_section(x_col: np.ndarray, i: int, gamma: float, beta: float, eps: float) -> None:
    st.header("Backward pass")
    if undefined_forward(x_col, eps):
        st.error("The forward pass is NaN for this constant feature with ε = 0, so there is no gradient to show. "
                 "Raise ε in the sidebar or pick another feature.")
        return
    st.markdown("Training needs the gradient of a loss L with respect to x, γ and β. Pick a loss on this feature's "
                "outputs y; its gradient dyᵢ = ∂L/∂yᵢ is what arrives from the layers above.")
    loss = bound(st.radio, "Loss", key="loss", options=LOSSES, horizontal=True,
                 help="½‖y − t‖² pulls y towards an editable target t; Σ wᵢyᵢ sends the editable weights as dy.")
    st.latex(LOSS_LATEX[loss])
    columns = st.columns([1, 2])
    with columns[0]:
        values = loss_values(loss, x_col.size)
    walk = backward_walk(x_col, gamma, beta, eps, loss, values)
    with columns[1]:
        st.dataframe(upstream_frame(walk), hide_index=True, column_config=number_columns("yᵢ", "dyᵢ"))
        st.metric("Loss L", f"{walk.loss:.4g}")

    st.subheader("Gradients of γ and β")
    st.markdown(r"$\beta$ is added to every $y_i$, so its gradient collects every $dy_i$; $\gamma$ multiplies each "
                r"$\hat x_i$, so each $dy_i$ counts in proportion to $\hat x_i$.")
    st.latex(dbeta_step(walk)[1])
    st.latex(dgamma_step(walk)[1])

    st.subheader("Gradient of the input")
    st.markdown(r"$x_i$ reaches the loss three ways: directly through $\hat x_i$, through the mean $\mu_B$ and "
                r"through the variance $\sigma_B^2$ (both depend on every sample). With $g_i = \gamma\,dy_i$, the "
                "three paths give the three terms:")
    st.latex(DX_LATEX)
    st.latex(dx_step(walk, i)[1])
    terms = dx_terms_frame(walk)
    st.dataframe(terms, hide_index=True, column_config=number_columns(*terms.columns[1:]))
    st.caption(rf"$\partial L/\partial x_i$ = {walk.invstd:.4g} × (sum of the three terms), where "
               rf"{walk.invstd:.4g} = $1/\sqrt{{\sigma_B^2 + \varepsilon}}$.")
    check_sum, check_dot = st.columns(2)
    check_sum.metric("Σᵢ ∂L/∂xᵢ", f"{walk.sum_dx:.2e}", help="Zero up to rounding: see below.")
    check_dot.metric("Σᵢ ∂L/∂xᵢ · x̂ᵢ", f"{walk.dx_dot_xhat:.2e}", help="Zero when ε = 0: see below.")
    st.markdown(
        r"**Why the gradient sums to zero.** Adding the same number to every $x_i$ moves $\mu_B$ by that number and "
        r"leaves every $\hat x_i$, and so the loss, unchanged: the gradient has no component along $(1, \dots, 1)$. "
        r"In the terms, $g_i$ and $-\bar g$ cancel in the sum, and $\sum_i \hat x_i = 0$ removes the third."
    )
    st.markdown(
        r"**Why it is orthogonal to $\hat x$.** Scaling every deviation $x_i - \mu_B$ by the same factor leaves "
        r"$\hat x$ unchanged when $\varepsilon = 0$, so the gradient has no component along $\hat x$ either. With "
        r"$\varepsilon > 0$ the invariance is only approximate, and the sum is exactly "
        r"$\frac{1}{\sqrt{\sigma_B^2 + \varepsilon}} \sum_i g_i \hat x_i \cdot "
        rf"\frac{{\varepsilon}}{{\sigma_B^2 + \varepsilon}}$ = {walk.eps_leak:.2e}. Set ε = 0 to see it "
        "vanish to rounding."
    )

    st.subheader("Numerical check")
    errors, h = cached_gradient_check(tuple(x_col), gamma, beta, eps, loss, tuple(values))
    st.markdown(
        "Central finite differences nudge one input at a time by a small $h$, up and down, and measure the change "
        r"in the loss: $\partial L/\partial x_i \approx (L(x_i + h) - L(x_i - h))/2h$, with "
        rf"$h = 10^{{-5}}\sqrt{{\sigma_B^2 + \varepsilon}}$ = {h:.2g} for $x$ and $h = 10^{{-5}}$ for $\gamma$ and "
        r"$\beta$. They only run the forward pass, so they share no code with the gradient formulas above."
    )
    for column, (name, error) in zip(st.columns(len(errors)), errors.items(), strict=True):
        column.metric(f"Max relative error, ∂L/∂{name}", f"{error:.1e}",
                      help="max |analytic − numeric| / max(1, |analytic|, |numeric|) over all entries.")
    if max(errors.values()) > 1e-6:
        st.warning("The finite differences disagree with the formulas by more than 1e−6. This happens when the "
                   "feature's spread √(σ²_B + ε) is tiny next to its values: a step h that small loses most of its "
                   "digits to floating-point rounding, so the numeric side is what fails here. Try a larger ε or "
                   "another feature.")
    else:
        st.success("The analytic gradients agree with finite differences to about 10 significant digits.")

    st.subheader("The computational graph")
    st.graphviz_chart(graph_dot(walk, beta), alt="Forward pass: x feeds μ_B and σ²_B; x, μ_B, σ²_B and ε give x̂; "
                      "x̂, γ and β give y; y gives the loss L.")
    st.caption("Backpropagation walks these arrows in reverse, adding the contributions of every path.")


def conv_section(eps: float) -> None:
    st.header("Convolutional layers: one statistic per channel")
    controls = st.columns(3)
    channel = bound(controls[0].radio, "Channel", key="channel", options=(0, 1, 2), horizontal=True,
                    help="Highlight the values that share this channel's μ and σ².")
    stage = bound(controls[1].radio, "Show", key="stage", options=STAGES, horizontal=True,
                  help="input x, normalized x̂ = (x − μ_c)/√(σ²_c + ε), or output y = γ_c·x̂ + β_c.")
    seed = seed_control(controls[2])
    walk = cached_conv_walk(seed, eps)
    n, c, h, w = walk.x.shape
    st.markdown(
        f"A feature map of shape (N, C, H, W) = ({n}, {c}, {h}, {w}): {n} samples, {c} channels, {h} × {w} pixels. "
        f"BatchNorm2d keeps one μ, σ², γ and β **per channel**, taken over the batch *and* every pixel: the "
        f"M = N·H·W = {walk.values_per_channel} highlighted values of channel {channel} share one statistic. A "
        "channel is one filter's response, wherever it fires in the image, so all its positions are normalized alike."
    )
    st.vega_lite_chart(feature_map_spec(seed, eps, channel, stage), width="content")
    st.latex(channel_stats_step(walk, channel))
    st.dataframe(channel_frame(walk), hide_index=True, column_config=number_columns("μ_c", "σ²_c", "γ_c", "β_c"))


# ---------------------------------------------------------------- page

st.title("🧮 The formula, step by step")
st.markdown("Batch normalization of one feature, computed in front of you: every equation first in symbols, then "
            "with the batch's own numbers. Then the gradients, checked numerically, and how convolutional layers "
            "share statistics per channel. Everything here can be redone by hand with a calculator.")

with st.sidebar:
    st.markdown("### Formula controls")
    x, batch_name = choose_batch()
    n_samples, n_features = x.shape
    feature = bound(st.radio, "Feature (column)", key="feature", options=tuple(range(n_features)), horizontal=True,
                    format_func=str, help="Which column of the batch to walk through; F0 is the first.")
    sample = bound(st.selectbox, "Sample i for single-value steps", key="sample",
                   options=tuple(range(1, n_samples + 1)),
                   help="The sample whose x̂ᵢ, yᵢ and ∂L/∂xᵢ are worked out in full.")
    gamma, beta = gamma_beta_controls(feature)
    eps = eps_control()

x_col = x[:, feature]
st.info(f"Walking through feature F{feature} of {batch_name} ({n_samples} samples × {n_features} features), "
        f"with γ = {gamma:g}, β = {beta:g}, ε = {format_eps(eps)}.", icon=":material/info:")
i = sample - 1
# Only the open part is computed and drawn: the whole walk-through at once took the browser over 300 ms to redraw.
parts = {
    "Forward pass": lambda: forward_section(x_col, i, gamma, beta, eps),
    "What ε does": lambda: epsilon_section(x_col, i, eps),
    "Backward pass": lambda: backward_section(x_col, i, gamma, beta, eps),
    "Convolutional layers": lambda: conv_section(eps),
}
open_tab(parts, key="part")
