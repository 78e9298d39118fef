"""Variants: Batch, Layer, Instance, Group and RMS normalization side by side."""

from functools import partial

import pandas as pd
import streamlit as st

from charts import variants as charts
from lessons.renorm import GHOST_SIZES, ghost_experiment, renorm_experiment
from lessons.variants import (
    BATCH_SIZES,
    RESIDUALS,
    VARIANTS,
    batch_size_sensitivity,
    equivalences,
    normalize_all,
    residual_spreads,
    synthetic_images,
    variant_facts,
)
from ui.controls import bound, eps_control, open_tab, seed_control
from ui.layout import page_setup

page_setup("Variants", "🧩")

SENSITIVITY_TRIALS = 32  # redraws of the rest of the batch, per batch size
RENORM_STEPS, RENORM_BATCH, RECENT_STEPS = 300, 4, 100  # Batch Renorm stream; the gap is averaged over the last steps


@st.cache_data(show_spinner=False)
def sharing_view(shape: tuple[int, int, int], num_groups: int, cell: tuple[int, int, int]):
    """The grids chart (selected cell highlighted) and the facts table."""
    titles, rows = {}, []
    for variant in VARIANTS:
        facts = variant_facts(variant, shape, num_groups)
        name = f"GroupNorm (G = {num_groups})" if variant == "GroupNorm" else variant
        titles[variant] = (f"{name}: statistics over {facts.axes}, {facts.num_stats} × {facts.statistic}, "
                           f"{facts.group_size} values each")
        rows.append({
            "Layer": variant, "Statistics over": facts.axes, "Statistic": facts.statistic,
            "How many": facts.num_stats, "Values in each (vermillion)": facts.group_size,
            "γ / β shape": facts.param_shape, "Depends on batch": yes_no(facts.batch_dependent),
            "Differs at inference": yes_no(facts.differs_at_inference),
        })
    chart = charts.sharing_chart(charts.sharing_frame(shape, num_groups, cell), shape, titles)
    return chart, pd.DataFrame(rows)


@st.cache_data(show_spinner=False)
def same_data(shape: tuple[int, int, int], num_groups: int, eps: float, seed: int):
    x = synthetic_images(shape, seed)
    outputs = normalize_all(x, num_groups, eps)
    results = {name: y for name, y in outputs.items() if not isinstance(y, str)}
    errors = {name: y for name, y in outputs.items() if isinstance(y, str)}
    spreads = pd.DataFrame({name: residual_spreads(y) for name, y in {"Input": x, **results}.items()}).T
    spreads["removed"] = [", ".join(k for k, v in row.items() if v < 1e-3) or "—" for _, row in spreads.iterrows()]
    frame = charts.outputs_frame(x, results)
    return (charts.input_chart(frame), charts.outputs_chart(frame)), spreads, errors, equivalences(x, eps)


@st.cache_data(show_spinner=False)
def sensitivity(num_channels: int, spatial: int, num_groups: int, eps: float, seed: int):
    spreads = batch_size_sensitivity(num_channels, spatial, num_groups, trials=SENSITIVITY_TRIALS, eps=eps, seed=seed)
    table = pd.DataFrame(spreads, index=pd.Index(BATCH_SIZES, name="batch size")).round(4)
    return charts.sensitivity_chart(charts.sensitivity_frame(BATCH_SIZES, spreads)), table


@st.cache_data(show_spinner=False)
def renorm_view(r_max: float, d_max: float):
    result = renorm_experiment(r_max, d_max, steps=RENORM_STEPS, batch_size=RENORM_BATCH)
    recent = slice(-RECENT_STEPS, None)
    summary = (result.gap_bn[recent].mean(), result.gap_renorm[recent].mean(), result.clipped[recent].mean())
    return charts.renorm_chart(charts.renorm_frame(result.gap_bn, result.gap_renorm)), summary


@st.cache_data(show_spinner=False)
def ghost_result():
    return ghost_experiment()


@st.cache_data(show_spinner=False)
def ghost_view(ghost_size: int):
    result = ghost_result()
    frame = charts.ghost_frame(result.ghost_sizes, result.ghost, result.small, result.batch_size)
    return charts.ghost_chart(frame, result.full_batch, result.batch_size, ghost_size), result


def select_clicked_cell(chart_key: str) -> None:
    """Chart click: write the clicked (n, c, s) into the cell controls (and so into the URL)."""
    points = st.session_state[chart_key]["selection"].get(charts.SELECTION) or []
    if points:
        st.session_state["cn"], st.session_state["cc"], st.session_state["cs"] = (
            int(points[0][k]) for k in ("n", "c", "s"))


def open_view(view: str) -> None:
    st.session_state["view"] = view


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def fmt(value: float) -> str:
    return f"{value:.1e}" if value else "0"


def show_sharing(shape: tuple[int, int, int], num_groups: int) -> None:
    """Wu & He's drawing for each variant, the selected cell, and the facts table."""
    num_samples, num_channels, spatial = shape
    st.markdown(
        "Each grid is one batch of shape (N, C, H·W), drawn as in Wu & He's *Group Normalization* (2018, "
        "Fig. 2): a row per sample, a block per channel. **Click a cell** (or choose it below): it gets a yellow "
        "outline, and the vermillion cells share its mean and variance. The grey shades show the other sets."
    )
    st.latex(r"\hat x_i = \frac{x_i - \mu_i}{\sqrt{\sigma_i^2 + \varepsilon}}, \quad "
             r"\mu_i = \frac{1}{|S_i|}\sum_{k \in S_i} x_k, \quad "
             r"\sigma_i^2 = \frac{1}{|S_i|}\sum_{k \in S_i} (x_k - \mu_i)^2")
    cell_columns = st.columns(3)
    cell = (
        bound(cell_columns[0].select_slider, "Selected sample n", key="cn", options=range(num_samples), value=0,
              help="The sample of the selected cell (a row of the grids)."),
        bound(cell_columns[1].select_slider, "Selected channel c", key="cc", options=range(num_channels), value=0,
              help="The channel of the selected cell (a block of the grids)."),
        bound(cell_columns[2].select_slider, "Selected position s", key="cs", options=range(spatial), value=0,
              help="The spatial position of the selected cell inside its channel block."),
    )
    # One chart key per selected cell: the chart starts with an empty selection, so clicking any cell, even the
    # one clicked before the controls moved the selection elsewhere, is a change that reaches the callback.
    chart_key = "grid_{}_{}_{}".format(*cell)
    chart, facts = sharing_view(shape, num_groups, cell)
    st.altair_chart(chart, key=chart_key, on_select=partial(select_clicked_cell, chart_key),
                    selection_mode=charts.SELECTION, width="content")
    st.dataframe(facts, hide_index=True, width="stretch")
    st.caption(
        "S_i is the set of values that share value i's statistics. RMSNorm (Zhang & Sennrich 2019) divides by "
        "the root mean square of its set and subtracts nothing. LayerNorm and RMSNorm here normalize over "
        "(C, H, W), as `torch.nn.LayerNorm([C, H, W])`; InstanceNorm's γ/β exist only with `affine=True`. "
        "Only BatchNorm switches to running statistics in eval mode."
    )


def show_same_data(shape: tuple[int, int, int], num_groups: int, eps: float, seed: int) -> None:
    """One synthetic batch through every variant: outputs, what each removes, the equivalences."""
    st.markdown(
        "One synthetic batch of shape (N, C, H·W): every channel has its own offset and scale, every sample its "
        "own brightness and contrast. Each layer (γ = 1, β = 0, training mode) removes a different part of "
        "that variation. Change the seed in the sidebar for another batch."
    )
    (input_strips, output_strips), spreads, errors, eq = same_data(shape, num_groups, eps, seed)
    for name, message in errors.items():
        st.warning(f"**{name}** cannot run on this shape: {message} Increase H·W or N to see it.")
    st.altair_chart(input_strips, width="content")
    st.altair_chart(output_strips, width="content")
    st.markdown("**What is left of each kind of variation** (standard deviation of the named means or spreads; "
                "0 = removed):")
    st.dataframe(spreads, width="stretch", column_config={
        **{kind: st.column_config.NumberColumn(kind, format="%.3f", help=f"Standard deviation of the {what}.")
           for kind, what in RESIDUALS.items()},
        "removed": st.column_config.TextColumn("removed (spread < 0.001)", width="large"),
    })
    st.markdown("**Equivalences, computed** (largest absolute difference between the two outputs):")
    eq_columns = st.columns(3)
    eq_columns[0].metric("GroupNorm(G = 1) vs LayerNorm(C, H, W)", fmt(eq.group1_vs_layer),
                         help="One group holds every channel: the same set as LayerNorm's.")
    if eq.group_c_vs_instance is None:
        eq_columns[1].warning("GroupNorm(G = C) vs InstanceNorm: InstanceNorm needs H·W ≥ 2 (it averages over the "
                              "positions of one channel). Increase H·W.")
        eq_columns[2].warning("BatchNorm with N = 1 vs InstanceNorm: needs H·W ≥ 2 as well.")
    else:
        eq_columns[1].metric("GroupNorm(G = C) vs InstanceNorm", fmt(eq.group_c_vs_instance),
                             help="One channel per group: the same set as InstanceNorm's.")
        eq_columns[2].metric("BatchNorm vs InstanceNorm, batch of 1 image", fmt(eq.batch1_vs_instance),
                             help="With N = 1, BatchNorm's set (N, H, W) shrinks to InstanceNorm's (H, W).")
    num_channels = shape[1]
    st.markdown(f"**A batch of one vector**, shape (1, {num_channels}) (sample 0 at position 0), in training mode:")
    single_columns = st.columns(2)
    with single_columns[0]:
        st.markdown("BatchNorm fails:" if eq.batch_norm_single_error else "BatchNorm runs.")
        if eq.batch_norm_single_error:
            st.code(f"ValueError: {eq.batch_norm_single_error}", language=None, wrap_lines=True)
    with single_columns[1]:
        st.markdown("LayerNorm over the C features works:")
        st.dataframe(pd.DataFrame({"input": eq.single_vector[0], "LayerNorm output": eq.layer_norm_single[0]},
                                  index=pd.Index([f"c{k}" for k in range(num_channels)], name="channel")).round(3),
                     width="stretch")


def show_sensitivity(shape: tuple[int, int, int], num_groups: int, eps: float, seed: int) -> None:
    """The spread of one image's output as the rest of its batch is redrawn, batch sizes 1 to 64."""
    st.markdown(
        f"Keep one image fixed and redraw the rest of its batch {SENSITIVITY_TRIALS} times: how much does that "
        "image's output move? The spread is the standard deviation over the redraws, averaged over the image's "
        "values. The image shape (C, H·W) and G are the controls above."
    )
    chart, table = sensitivity(shape[1], shape[2], num_groups, eps, seed)
    if table.isna().any().any():
        st.warning("Some points are missing: InstanceNorm needs H·W ≥ 2, and BatchNorm needs more than one value "
                   "per channel (batch size × H·W ≥ 2). Increase H·W to see them.")
    st.altair_chart(chart, width="content")
    st.caption(
        "BatchNorm's output depends on who else is in the batch, less so as the batch grows (about 1/√B). "
        "At batch size 1 it is InstanceNorm and the spread is 0. LayerNorm, InstanceNorm, GroupNorm and "
        "RMSNorm never look at other samples: their spread is 0 at every batch size."
    )
    with st.expander("The numbers"):
        st.dataframe(table, width="stretch")


def show_renorm() -> None:
    """Batch Renorm against BatchNorm on small, non-i.i.d. minibatches."""
    st.markdown(
        "[Batch Renormalization](https://arxiv.org/abs/1702.03275) (Ioffe 2017) keeps normalizing with the "
        "batch's statistics but corrects them towards the running ones with r and d, clipped to r_max and "
        "d_max. While they are not clipped, a training output equals the inference output."
    )
    st.latex(r"r = \mathrm{clip}_{[1/r_{max},\, r_{max}]}\!\left(\frac{\sigma_B}{\sigma}\right),\quad "
             r"d = \mathrm{clip}_{[-d_{max},\, d_{max}]}\!\left(\frac{\mu_B - \mu}{\sigma}\right),\quad "
             r"\hat x = \frac{x - \mu_B}{\sigma_B}\, r + d")
    renorm_columns = st.columns(2)
    r_max = bound(renorm_columns[0].slider, "r_max", key="rmax", min_value=1.0, max_value=5.0, value=3.0,
                  step=0.25, help="Limit on the scale correction r. r_max = 1 turns the correction off.")
    d_max = bound(renorm_columns[1].slider, "d_max", key="dmax", min_value=0.0, max_value=5.0, value=5.0,
                  step=0.25, help="Limit on the shift correction d. d_max = 0 turns it off; with r_max = 1 "
                                  "as well, Batch Renorm trains exactly like BatchNorm.")
    chart, (gap_bn, gap_renorm, clipped) = renorm_view(r_max, d_max)
    st.markdown(
        f"The experiment: {RENORM_STEPS} minibatches of {RENORM_BATCH} samples, each drawn from one of 4 clusters "
        "(a data loader that does not shuffle across classes), so every batch's statistics are far from the "
        "population's. At each step the layer's training output for the minibatch is compared with its inference "
        "output (10-step rolling mean)."
    )
    st.altair_chart(chart, width="stretch")
    metric_columns = st.columns(3)
    metric_columns[0].metric(f"BatchNorm gap, last {RECENT_STEPS} steps", f"{gap_bn:.3f}",
                             help="Mean |training output − inference output|.")
    metric_columns[1].metric(f"Batch Renorm gap, last {RECENT_STEPS} steps", f"{gap_renorm:.3f}",
                             delta=f"{gap_renorm - gap_bn:+.3f} vs BatchNorm", delta_color="inverse",
                             help="Mean |training output − inference output|.")
    metric_columns[2].metric("Channels with r or d clipped", f"{clipped:.0%}",
                             help=f"Share of channel-steps among the last {RECENT_STEPS} where r or d hit its limit.")
    st.caption("The paper starts at r_max = 1, d_max = 0 and relaxes them to about 3 and 5 during training. "
               "Batch Renorm tracks σ itself rather than the unbiased variance, so even at r_max = 1, d_max = 0 "
               "its inference output differs a little from BatchNorm's.")


def show_ghost() -> None:
    """Ghost BN's noise against a real small batch and the full batch."""
    st.markdown(
        "[Ghost Batch Normalization](https://arxiv.org/abs/1705.08741) (Hoffer et al. 2017) splits a large "
        "batch into virtual batches of g samples and batch-normalizes each on its own. Large-batch training "
        "keeps the noisy statistics, a regularizer, of small batches."
    )
    ghost_size = bound(st.select_slider, "Ghost batch size g", key="ghost", options=GHOST_SIZES, value=16,
                       help="Samples per virtual batch. g = 256 is the whole batch: plain BatchNorm.")
    chart, result = ghost_view(ghost_size)
    st.altair_chart(chart, width="stretch")
    at = result.ghost_sizes.index(ghost_size)
    ghost_columns = st.columns(3)
    ghost_columns[0].metric(f"Ghost BN, g = {ghost_size}", f"{result.ghost[at]:.3f}",
                            help=f"Spread of one sample's normalized value over {result.trials} redrawn batches of "
                                 f"{result.batch_size}.")
    ghost_columns[1].metric(f"BatchNorm, real batch of {ghost_size}", f"{result.small[at]:.3f}",
                            help=f"The same sample in {result.trials} redrawn real batches of g samples.")
    ghost_columns[2].metric(f"BatchNorm, full batch of {result.batch_size}", f"{result.full_batch:.3f}",
                            help=f"The same sample in {result.trials} redrawn batches of {result.batch_size}.")
    st.caption(f"Ghost BN inside a batch of {result.batch_size} is as noisy as BatchNorm on a real batch of g. "
               "In training each virtual batch also updates the running statistics, with momentum divided by the "
               "number of virtual batches (Composer's convention).")


ADVICE = (  # situation, choice, why, the experiment on this page, an experiment on another page
    ("Convolutional networks with batches of 16 or more", "BatchNorm",
     "Its statistics are reliable at that size, and at inference it costs nothing extra.",
     "Batch-size sensitivity", ("pages/6_Why_it_works.py", "Why it works")),
    ("RNNs and Transformers", "LayerNorm or RMSNorm",
     "Statistics per sample (per token): no batch needed, sequences of any length.",
     "Who shares statistics", None),
    ("Small batches (detection, segmentation, 1–8 images per device)", "GroupNorm, or Batch Renorm",
     "BatchNorm's statistics get noisy; GroupNorm ignores the batch, Batch Renorm corrects them.",
     "Batch Renorm", None),
    ("Style transfer and image generation", "InstanceNorm",
     "It removes each image's own channel offsets and contrast, much of what makes its style.",
     "Same data, five layers", None),
    ("Online learning, one sample at a time", "LayerNorm or GroupNorm (BatchNorm only in eval mode)",
     "BatchNorm cannot train on a batch of one vector.",
     "Same data, five layers", ("pages/3_Training_vs_Inference.py", "Training vs inference")),
    ("Very large batches", "Ghost BN", "Keeps the regularizing noise of small batches.", "Ghost BN", None),
)


def show_advice() -> None:
    """The seed's "when to use which", each row with a button to its experiment."""
    st.markdown("Rules of thumb, each with the experiment that shows why.")
    for i, (situation, choice, reason, view, other_page) in enumerate(ADVICE):
        with st.container(border=True):
            row = st.columns((3, 2, 4, 3), vertical_alignment="center")
            row[0].markdown(f"**{situation}**")
            row[1].markdown(choice)
            row[2].markdown(reason)
            row[3].button(f"Open: {view}", key=f"open{i}", on_click=open_view, args=(view,), icon="➡️",
                          help=f"Switch to the “{view}” tab of this page.")
            if other_page is not None:
                row[3].page_link(other_page[0], label=other_page[1], icon=":material/open_in_new:")


st.title("🧩 Normalization variants")
st.markdown(
    "Batch, layer, instance, group and RMS normalization all do the same thing: subtract a mean, divide by a "
    "spread, then rescale with γ and shift with β. They differ only in **which values share one mean and one "
    "spread**, and that choice decides whether a sample's output depends on the rest of its batch. Every number "
    "on this page is computed by `bn_core`, which matches PyTorch to float64 precision."
)

columns = st.columns(4)
num_samples = bound(columns[0].slider, "Batch size N", key="n", min_value=1, max_value=8, value=4,
                    help="Samples in the batch: the rows of each grid.")
num_channels = bound(columns[1].slider, "Channels C", key="c", min_value=1, max_value=12, value=6,
                     help="Feature maps per sample: the blocks of each grid row.")
spatial = bound(columns[2].slider, "Positions per channel H·W", key="hw", min_value=1, max_value=16, value=4,
                help="The spatial size of each feature map, flattened (a 2 × 2 image has 4 positions).")
divisors = tuple(d for d in range(1, num_channels + 1) if num_channels % d == 0)
num_groups = bound(columns[3].select_slider, "Groups G (GroupNorm)", key="g", options=divisors,
                   value=2 if num_channels % 2 == 0 else 1,
                   help="GroupNorm splits the C channels into G groups of C/G; only divisors of C are possible. "
                        "G = 1 is LayerNorm, G = C is InstanceNorm.")
eps = eps_control(st.sidebar)
seed = seed_control(st.sidebar)
shape = (num_samples, num_channels, spatial)

# Tabs bound to the URL run lazily: only the open tab's code runs (and its link, ?view=..., opens it).
views = {
    "Who shares statistics": lambda: show_sharing(shape, num_groups),
    "Same data, five layers": lambda: show_same_data(shape, num_groups, eps, seed),
    "Batch-size sensitivity": lambda: show_sensitivity(shape, num_groups, eps, seed),
    "Batch Renorm": show_renorm,
    "Ghost BN": show_ghost,
    "When to use which": show_advice,
}
open_tab(views, key="view")
