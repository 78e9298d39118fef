"""The Demo page: push one batch through a batch-normalization layer and watch every feature move and rescale.

Everything that shapes the view is bound to the URL, including the running statistics: they are the result of
`steps` training steps on fresh batches drawn from the same populations, so a link reproduces them.
"""

import numpy as np
import pandas as pd
import streamlit as st

from bn_core.data import DISTRIBUTIONS, FeatureSpec, feature_names, make_batch, seed_example_batch, seed_like_specs
from charts.demo import distribution_chart, distribution_datasets
from charts.spec import vega_lite_spec
from lessons.csv_input import MAX_BYTES, CsvBatch, Problem, batch_to_csv, quote, read_batch_csv
from lessons.demo import (
    MAX_BATCH_SIZE,
    MAX_FEATURES,
    LayerPass,
    affine_features,
    apply_cell_edits,
    fresh_batches,
    layer_pass,
    max_abs_difference,
    normalized_moments,
    resampled_batches,
    running_share,
    stages_table,
    statistics_table,
    train_layer,
    undo_parameters,
)
from ui.controls import (
    bound,
    eps_control,
    format_eps,
    gamma_beta_controls,
    momentum_control,
    seed_control,
    set_control,
)
from ui.layout import page_setup
from ui.state import share_batch

page_setup("Demo", "🎛️")

PRESETS = {"seed": "Seed example", "random": "Random", "custom": "Your own"}
MODES = ("training", "inference")
MAX_STEPS = 500
DEFAULT_SPECS = seed_like_specs(MAX_FEATURES)
SEED_SPECS = tuple(seed_like_specs(4))
TABLE_FORMAT = "%.3f"
STAT_FORMAT = "%.4f"
EDITOR_VERSION = "_demo_editor_version"
LAST_BATCH = "_demo_last_batch"
UPLOAD_REPORT = "_demo_upload_report"


# ---------------------------------------------------------------- cached computations


@st.cache_data(max_entries=64)
def random_batch(specs: tuple[FeatureSpec, ...], batch_size: int, seed: int) -> np.ndarray:
    return make_batch(list(specs), batch_size, seed)


@st.cache_data(max_entries=32)
def parse_batch_text(text: str) -> CsvBatch:
    return read_batch_csv(text, max_rows=MAX_BATCH_SIZE, max_features=MAX_FEATURES)


@st.cache_data(max_entries=64)
def running_statistics(steps: int, momentum: float, seed: int, specs, batch_size: int, pool: np.ndarray | None
                       ) -> tuple[np.ndarray, np.ndarray, int]:
    """(running_mean, running_var, batches seen) after `steps` training steps; fresh batches come from `specs`
    or, for a batch of the user's own (`pool`), from resampling its rows."""
    if pool is None:
        batches = fresh_batches(specs, batch_size, seed, steps)
        num_features = len(specs)
    else:
        batches = resampled_batches(pool, seed, steps)
        num_features = pool.shape[1]
    layer = train_layer(batches, num_features, momentum)
    return layer.running_mean, layer.running_var, layer.num_batches_tracked


@st.cache_data(max_entries=16)
def chart_spec(num_features: int, normalized_subtitle: str) -> dict:
    """The distribution chart as a Vega-Lite spec without data: Altair takes ~100 ms to build and validate it,
    so it is built once per shape; each rerun only attaches the datasets."""
    return vega_lite_spec(distribution_chart(num_features, normalized_subtitle))


# ---------------------------------------------------------------- callbacks (run before the next rerun)


def refresh_editor() -> None:
    """A new key for the table editor: its pending cell edits were absorbed into the batch."""
    st.session_state[EDITOR_VERSION] = st.session_state.get(EDITOR_VERSION, 0) + 1


def use_own_batch(x: np.ndarray, names) -> None:
    """Make x (N, F) the page's batch: written into the bound `data` text, so a link carries it."""
    st.session_state["data"] = batch_to_csv(x, names)
    st.session_state["preset"] = "custom"
    refresh_editor()


def preset_changed() -> None:
    if st.session_state.get("preset") == "custom" and not st.session_state.get("data", "").strip():
        x, names = st.session_state[LAST_BATCH]
        use_own_batch(np.round(x, 4), names)


def new_batch() -> None:
    st.session_state["seed"] = (st.session_state.get("seed", 0) + 1) % 2**31
    st.session_state["preset"] = "random"


def upload_changed() -> None:
    file = st.session_state.get("upload")
    if file is None:
        st.session_state[UPLOAD_REPORT] = None
        return
    parsed = read_batch_csv(file.getvalue(), max_rows=MAX_BATCH_SIZE, max_features=MAX_FEATURES)
    st.session_state[UPLOAD_REPORT] = (file.name, parsed.problems)
    if parsed.values is not None:
        use_own_batch(parsed.values, parsed.names)


def text_changed() -> None:
    st.session_state["preset"] = "custom"
    refresh_editor()


def cells_edited(editor_key: str, x: np.ndarray, names: list[str]) -> None:
    """The table editor's cell edits become the page's batch (as your own batch)."""
    use_own_batch(apply_cell_edits(x, names, st.session_state[editor_key].get("edited_rows", {})), names)


def change_steps(delta: int) -> None:
    st.session_state["steps"] = int(np.clip(st.session_state.get("steps", 0) + delta, 0, MAX_STEPS))


def reset_steps() -> None:
    st.session_state["steps"] = 0


def set_affine(gamma, beta) -> None:
    for j, (g, b) in enumerate(zip(gamma, beta, strict=True)):
        set_control(f"gamma{j}", float(g))
        set_control(f"beta{j}", float(b))


def try_odd_shapes() -> None:
    st.session_state.update(preset="random", n=64, f=4, mode="training")
    for j, shape in enumerate(("skewed", "bimodal", "heavy-tailed", "with outliers")):
        st.session_state[f"dist{j}"] = shape


def try_inference() -> None:
    change_steps(5)
    st.session_state["mode"] = "inference"


def make_constant_feature(x: np.ndarray, names: list[str]) -> None:
    constant = x.copy()
    constant[:, 0] = round(float(x[:, 0].mean()), 2)
    use_own_batch(constant, names)
    set_control("eps", 0.0)


# ---------------------------------------------------------------- controls


def batch_controls() -> tuple[str, int]:
    """Preset and seed."""
    preset = bound(st.segmented_control, "Batch", key="preset", options=list(PRESETS), default="seed",
                   required=True, format_func=PRESETS.get, on_change=preset_changed,
                   help="Seed example: the 8 × 4 batch of the page this lab grew from. Random: drawn from the "
                        "populations set below. Your own: uploaded, typed or edited in the table.")
    seed_col, button_col = st.columns([2, 1], vertical_alignment="bottom")
    seed = seed_control(seed_col)
    button_col.button("New batch", key="new_batch", on_click=new_batch, icon=":material/casino:", width="stretch",
                      help="Draw a new random batch from the same populations (the seed goes up by one).")
    return preset, seed


def shape_controls() -> tuple[int, int]:
    """Batch size and number of features of a random batch."""
    size_col, features_col = st.columns(2)
    batch_size = bound(size_col.slider, "Batch size (samples)", key="n", min_value=1, max_value=MAX_BATCH_SIZE,
                       value=8, persist_state="page", help="Number of samples the statistics are taken over.")
    num_features = bound(features_col.slider, "Features", key="f", min_value=1, max_value=MAX_FEATURES, value=4,
                         persist_state="page", help="Number of features (columns), each normalized on its own.")
    return batch_size, num_features


def feature_controls(num_features: int) -> tuple[FeatureSpec, ...]:
    """Per-feature population: distribution shape, mean and scale (standard deviation)."""
    specs = []
    for j in range(num_features):
        default = DEFAULT_SPECS[j]
        shape_col, mean_col, scale_col = st.columns([1.4, 1, 1])
        shape = bound(shape_col.selectbox, f"F{j} distribution", key=f"dist{j}", options=DISTRIBUTIONS,
                      index=DISTRIBUTIONS.index(default.distribution), persist_state="page",
                      help="Shape of the population this feature is drawn from; all shapes are scaled to the mean "
                           "and standard deviation beside it.")
        mean = bound(mean_col.number_input, f"F{j} mean", key=f"mean{j}", min_value=-1000.0, max_value=1000.0,
                     value=default.mean, step=0.5, persist_state="page",
                     help="Population mean: where this feature's values sit.")
        scale = bound(scale_col.number_input, f"F{j} scale σ", key=f"scale{j}", min_value=0.0, max_value=1000.0,
                      value=default.scale, step=0.1, persist_state="page",
                      help="Population standard deviation; 0 makes the feature constant.")
        specs.append(FeatureSpec(shape, mean, scale))
    return tuple(specs)


def own_batch_controls() -> None:
    st.file_uploader("Upload a CSV", type=["csv", "txt", "tsv"], key="upload", on_change=upload_changed,
                     max_upload_size=MAX_BYTES // 1_000_000,
                     help="One column per feature, one row per sample; a header row is optional. Text columns are "
                          "ignored; at most 256 rows and 8 numeric columns are used.")
    bound(st.text_area, "Or type the batch as CSV", key="data", value="", height=140, on_change=text_changed,
          placeholder="a,b\n1.5,20\n2.0,24\n0.5,19",
          help="Rows are samples, columns are features, values separated by commas. This text is part of the page "
               "link, so a link reopens your batch.")


def affine_controls(names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """γ and β per feature, shape (F,) each."""
    gamma, beta = [], []
    for j, name in enumerate(names):
        gamma_col, beta_col = st.columns(2)
        g, b = gamma_beta_controls(j, gamma_col, beta_col, name=quote(name))
        gamma.append(g)
        beta.append(b)
    return np.array(gamma), np.array(beta)


def step_controls(can_train: bool) -> int:
    steps = bound(st.number_input, "Training steps taken", key="steps", min_value=0, max_value=MAX_STEPS, value=0,
                  step=1, help="How many fresh batches have gone through the layer in training mode. The running "
                               "statistics are the result of exactly these batches, so a link reproduces them.")
    one_col, ten_col, reset_col = st.columns(3)
    one_col.button("Training step", key="step1", on_click=change_steps, args=(1,), disabled=not can_train,
                   width="stretch",
                   help="Feed one fresh batch from the same populations through the layer in training mode: the "
                        "running statistics move towards its statistics.")
    ten_col.button("+10 steps", key="step10", on_click=change_steps, args=(10,), disabled=not can_train,
                   width="stretch", help="Ten training steps at once.")
    reset_col.button("Reset", key="reset_steps", on_click=reset_steps, icon=":material/restart_alt:",
                     width="stretch", help="Forget all training steps: running mean back to 0, running variance to 1.")
    return steps


# ---------------------------------------------------------------- the batch


def own_batch(problems: list[Problem]) -> tuple[np.ndarray, list[str]] | None:
    text = st.session_state.get("data", "")
    if not text.strip():
        problems.append(Problem("warning", "No batch of your own yet: upload a CSV or type numbers under "
                                           "**Your own batch**. Showing the seed example meanwhile."))
        return None
    parsed = parse_batch_text(text)
    problems.extend(parsed.problems)
    if parsed.values is None:
        problems.append(Problem("warning", "Showing the seed example until the batch text can be read."))
        return None
    return parsed.values, list(parsed.names)


def training_source(preset: str, x: np.ndarray, specs: tuple[FeatureSpec, ...]):
    """Where training steps draw their batches, as (specs, batch size, pool): fresh draws from the populations,
    or, for a batch of the user's own, resampled rows of x."""
    return (None, x.shape[0], x) if preset == "custom" else (specs, x.shape[0], None)


# ---------------------------------------------------------------- views


def show_problems(problems: list[Problem]) -> None:
    for problem in problems:
        (st.error if problem.level == "error" else st.warning)(problem.message, icon=":material/warning:")


def number_config(names: list[str], fmt: str) -> dict:
    return {name: st.column_config.NumberColumn(name, format=fmt) for name in names}


def frame(values: np.ndarray, names: list[str]) -> pd.DataFrame:
    return pd.DataFrame(values, columns=names).rename_axis("sample")


def stage_tables(result: LayerPass, names: list[str], preset: str) -> None:
    input_col, normalized_col, output_col = st.columns(3)
    config = number_config(names, TABLE_FORMAT)
    with input_col:
        st.markdown("**Input x** · edit any cell")
        editor_key = f"edit{st.session_state.get(EDITOR_VERSION, 0)}"
        st.data_editor(frame(result.x, names), key=editor_key, column_config=config, num_rows="fixed",
                       on_change=cells_edited, args=(editor_key, result.x, names))
    with normalized_col:
        st.markdown("**Normalized x̂** = (x − μ) / √(σ² + ε)")
        st.dataframe(frame(result.xhat, names), column_config=config)
    with output_col:
        st.markdown("**Output y** = γ · x̂ + β")
        st.dataframe(frame(result.y, names), column_config=config)
    input_dl, stages_dl, note_col = st.columns([1, 1, 2], vertical_alignment="center")
    input_dl.download_button("Input CSV", batch_to_csv(result.x, names), file_name="batch.csv", mime="text/csv",
                             icon=":material/download:", on_click="ignore", key="download_input", width="stretch",
                             help="The input batch, exactly, with its feature names.")
    stages_dl.download_button("All three stages CSV", lambda: stages_table(result, names).to_csv(index=False),
                              file_name="batchnorm_stages.csv", mime="text/csv", icon=":material/download:",
                              on_click="ignore", key="download_stages", width="stretch",
                              help="Input, normalized and output values in one table (column `stage`).")
    note_col.caption("Tables show 3 decimals; the downloads hold every digit. "
                     + ("Your batch travels in the page link, so a link reopens it." if preset == "custom" else
                        "Editing a cell turns the batch into **Your own**, which the page link carries along."))


def statistics_view(result: LayerPass, names: list[str], running_mean, running_var) -> None:
    st.markdown("#### Batch statistics")
    formula_col, table_col = st.columns([1, 2], gap="large")
    with formula_col:
        st.latex(r"\mu_B = \frac{1}{m}\sum_{i=1}^{m} x_i")
        st.latex(r"\sigma_B^2 = \frac{1}{m}\sum_{i=1}^{m}(x_i-\mu_B)^2")
        if result.training:
            st.latex(r"\hat x_i = \frac{x_i - \mu_B}{\sqrt{\sigma_B^2 + \varepsilon}}")
            st.caption("Training divides each feature by **√(σ²_B + ε)**, with the biased variance (divide by m).")
        else:
            st.latex(r"\hat x_i = \frac{x_i - \mu_{\text{run}}}{\sqrt{\sigma^2_{\text{run}} + \varepsilon}}")
            st.caption("Inference subtracts the **running μ** and divides by **√(running σ² + ε)**; the batch's own "
                       "statistics are shown for comparison only.")
    inference = not result.training
    table = statistics_table(result, names, running_mean if inference else None, running_var if inference else None)
    table_col.dataframe(table, column_config=number_config(list(table.columns), STAT_FORMAT))


def parameters_view(names: list[str], gamma, beta, running_mean, running_var, batches_seen: int,
                    momentum: float) -> None:
    st.markdown("#### Learnable parameters & running stats")
    formula_col, table_col = st.columns([1, 2], gap="large")
    with formula_col:
        st.latex(r"\mu_{\text{run}} \leftarrow (1-\alpha)\,\mu_{\text{run}} + \alpha\,\mu_B")
        st.latex(r"\sigma^2_{\text{run}} \leftarrow (1-\alpha)\,\sigma^2_{\text{run}}"
                 r" + \alpha\,\tfrac{m}{m-1}\sigma_B^2")
        seen_col, share_col = st.columns(2)
        seen_col.metric("Batches seen", batches_seen, help="num_batches_tracked: training steps since the reset.")
        share_col.metric("Weight on the data", f"{running_share(momentum, batches_seen):.0%}",
                         help="1 − (1 − α)^k: how much of the running statistics comes from the k batches seen; "
                              "the rest is still the initial 0 (mean) and 1 (variance).")
        st.caption(f"α = momentum = {momentum:g} in PyTorch's convention (Keras writes {1 - momentum:g}, the weight "
                   "of the old value). The running variance averages the **unbiased** batch variance (divide by "
                   "m − 1), as PyTorch does.")
    table = pd.DataFrame({"γ": gamma, "β": beta, "running μ": running_mean, "running σ² (unbiased)": running_var},
                         index=pd.Index(names, name="feature"))
    table_col.dataframe(table, column_config=number_config(list(table.columns), STAT_FORMAT))


def mode_explanation(result: LayerPass, batches_seen: int, momentum: float) -> None:
    if result.training:
        st.info("**Training mode**: each feature is normalized with this batch's own μ_B and σ²_B, so x̂ has mean 0 "
                "and variance 1 (just under 1 by ε) whatever the running statistics hold.", icon=":material/school:")
        return
    off_centre = normalized_moments(result.xhat)[0]
    st.info(f"**Inference mode**: x̂ uses the running statistics, which after {batches_seen} step(s) carry only "
            f"{running_share(momentum, batches_seen):.0%} of the data's statistics (the rest is still 0 and 1), so "
            f"x̂ is off centre by up to {off_centre:.2f}. More training steps bring them closer.",
            icon=":material/rocket_launch:")


def explain_zero_division(result: LayerPass, names: list[str]) -> None:
    bad = result.zero_divisor_features
    if not bad:
        return
    listed = ", ".join(quote(names[j]) for j in bad)
    used = "batch variance" if result.training else "running variance"
    st.warning(f"**Division by zero** in {listed}: its {used} is 0 (every value equal) and ε = 0, so x̂ = (x − μ) / "
               "√(0 + 0) is 0/0 (or a number over 0): undefined, shown as empty cells and left out of the chart. "
               "This is what ε is for: with any ε > 0 the feature normalizes to x̂ = 0 and the output is β. "
               "Move ε above 0.", icon=":material/error:")


def distribution_view(result: LayerPass, names: list[str], gamma, beta) -> None:
    st.subheader("Distribution evolution")
    subtitle = "zero mean, unit variance" if result.training else "with running statistics"
    spec = chart_spec(len(names), subtitle)
    spec["datasets"] = distribution_datasets(result.x, result.xhat, result.y, names, gamma, beta)
    st.vega_lite_chart(spec, width="stretch")
    st.caption("Ticks are samples, the diamond is the mean and the bar spans ±1σ. **Input**: each feature keeps its "
               "own location and spread. **Normalized**: all centred on the vermillion zero line with unit spread "
               "(in training mode). **Output**: γ stretches and β moves each feature, as the network learns to.")


def insight_card(column, title: str, body: str, evidence: str):
    """A bordered card in `column`: the insight's title and text, then live evidence; returns the card, for the
    action that goes with it."""
    card = column.container(border=True, height="stretch")
    card.markdown(f"**{title}**")
    card.markdown(body)
    card.caption(evidence)
    return card


def insights_view(result: LayerPass, training_pass: LayerPass | None, inference_pass: LayerPass, names: list[str],
                  eps: float) -> None:
    """The seed page's six insights, each with live evidence from this batch and an action to try.
    The evidence about training-mode x̂ uses the training pass whichever mode is shown."""
    st.subheader("Key insights, each one to try")
    x, shifted = result.x, affine_features(result.x, 3.0, 10.0)
    moments = mode_gap = shift_gap = "Now: a single sample cannot be normalized in training mode."
    if training_pass is not None:
        off_centre, low, high = normalized_moments(training_pass.xhat)
        moments = f"Now: training x̂ means within ±{off_centre:.1e} of 0, variances {low:.4f} to {high:.4f}."
        mode_gap = ("Now: x̂ differs between the two modes by up to "
                    f"{max_abs_difference(training_pass.xhat, inference_pass.xhat):.3f}.")
        shifted_xhat = layer_pass(shifted, None, None, eps=eps, training=True, running_mean=None,
                                  running_var=None).xhat
        shift_gap = ("Now: x̂ of 3x + 10 differs from x̂ of x by "
                     f"{max_abs_difference(shifted_xhat, training_pass.xhat):.1e}.")
    top, bottom = st.columns(3), st.columns(3)
    insight_card(top[0], "1 · Zero mean, unit variance, per feature",
                 "Whatever each feature's location and scale, training-mode x̂ has mean 0 and variance 1 over the "
                 "batch. Its *shape* stays: a skewed feature is still skewed.", moments,
                 ).button("Try odd-shaped features", key="try_shapes", on_click=try_odd_shapes,
                          help="Random batch of 64 with skewed, bimodal, heavy-tailed and outlier-laden features.")
    insight_card(top[1], "2 · Training uses the batch, inference the running averages",
                 "In training the layer normalizes with this batch's statistics and updates its running averages; "
                 "in inference it uses those averages, so each sample's output no longer depends on the batch.",
                 mode_gap,
                 ).button("5 training steps, then inference", key="try_inference", on_click=try_inference,
                          help="Take five training steps and switch the layer to inference mode.")
    insight_card(top[2], "3 · γ and β can undo the normalization",
                 "With γ = √(σ² + ε) and β = μ the layer returns its input unchanged, so normalizing never costs "
                 "the network anything it could not learn back.",
                 f"Now: output and input differ by up to {max_abs_difference(result.y, x):.3g}.",
                 ).button("Set γ = √(σ²+ε), β = μ", key="try_undo", on_click=set_affine, args=undo_parameters(result),
                          help="Set every feature's γ and β to the statistics the layer divides by and subtracts.")
    insight_card(bottom[0], "4 · Why bother: faster, steadier training",
                 "[Ioffe & Szegedy (2015)](https://arxiv.org/abs/1502.03167) reached their baseline's ImageNet "
                 "accuracy in 14× fewer training steps, with larger learning rates and less careful initialization.",
                 "Train small networks with and without it and see for yourself.",
                 ).page_link("pages/6_Why_it_works.py", label="Test the claims", icon=":material/science:")
    insight_card(bottom[1], "5 · Shifts and rescalings of the input never reach x̂",
                 "Training-mode x̂ is unchanged (up to ε) when a feature is shifted or scaled. The original paper "
                 "saw this as curing *internal covariate shift*; [Santurkar et al. (2018)]"
                 "(https://arxiv.org/abs/1805.11604) found the gain comes from a smoother loss landscape instead.",
                 shift_gap,
                 ).button("Apply x → 3x + 10", key="try_shift", on_click=use_own_batch, args=(shifted, names),
                          help="Replace the batch by 3x + 10 (as your own batch) and compare the normalized table.")
    insight_card(bottom[2], "6 · ε keeps the division finite",
                 "A feature with no spread has σ² = 0; without ε its normalization is 0/0. ε (PyTorch 1e-5, "
                 "Keras 1e-3) keeps the divisor above zero.",
                 f"Now: ε = {format_eps(eps)}; the smallest divisor √(σ² + ε) is {np.nanmin(result.divisor):.3g}.",
                 ).button("Make the first feature constant, ε = 0", key="try_eps", on_click=make_constant_feature,
                          args=(x, names), help="Set every value of the first feature to its mean and ε to 0.")


# ---------------------------------------------------------------- the page

st.title("🎛️ Batch normalization, one batch at a time")
st.markdown(
    "A batch-normalization layer treats each feature (column) on its own: it subtracts the feature's mean over "
    "the batch, divides by its standard deviation, and then applies a scale **γ** and shift **β** that the "
    "network learns. Change the batch or the layer below and every table and chart follows; the numbers are "
    "those PyTorch's `BatchNorm1d` computes."
)

problems: list[Problem] = []
batch_panel, layer_panel = st.columns([1.1, 1], gap="large")
with batch_panel.container(border=True):
    st.markdown("##### 1 · The batch")
    preset, seed = batch_controls()
    x, names, specs = seed_example_batch(), feature_names(4), SEED_SPECS
    if preset == "random":
        batch_size, num_features = shape_controls()
        with st.expander("Feature populations", expanded=True):
            specs = feature_controls(num_features)
        x, names = random_batch(specs, batch_size, seed), feature_names(num_features)
    else:
        st.caption("Training steps draw fresh batches from normal populations like the seed example's (means 0, "
                   "12.75, 17.5, 30.6; σ 2.5, 2.2, 4.5, 3.9)." if preset == "seed" else
                   "Training steps draw fresh batches by resampling your batch's rows.")
    with st.expander("Your own batch: upload or type", expanded=preset == "custom"):
        own_batch_controls()
    if preset == "custom":
        own = own_batch(problems)
        if own is not None:
            x, names = own
        st.caption(f"Your batch: {x.shape[0]} samples × {x.shape[1]} features.")
st.session_state[LAST_BATCH] = (x, names)
share_batch(x, "Demo page")

with layer_panel.container(border=True):
    st.markdown("##### 2 · The layer")
    mode = bound(st.segmented_control, "Mode", key="mode", options=MODES, default="training", required=True,
                 format_func=str.capitalize,
                 help="Training: normalize with this batch's statistics. Inference (eval): normalize with the "
                      "running statistics collected during training.")
    eps_col, momentum_col = st.columns(2)
    eps, momentum = eps_control(eps_col), momentum_control(momentum_col)
    with st.expander("γ and β per feature", expanded=False):
        gamma, beta = affine_controls(names)
        undo_slot = st.container()
    steps = step_controls(can_train=x.shape[0] > 1)

report = st.session_state.get(UPLOAD_REPORT)
if report is not None and st.session_state.get("upload") is not None:
    # a failed upload stays explained while its file is there; notes about a used file only while it is shown
    file_name, upload_problems = report
    if preset == "custom" or any(p.level == "error" for p in upload_problems):
        problems = [Problem(p.level, f"{quote(file_name)}: {p.message}") for p in upload_problems] + problems

running_mean, running_var, batches_seen = np.zeros(len(names)), np.ones(len(names)), 0
try:
    running_mean, running_var, batches_seen = running_statistics(steps, momentum, seed,
                                                                 *training_source(preset, x, specs))
except ValueError:
    problems.append(Problem("warning", f"Training steps need at least 2 samples per batch; this batch has "
                                       f"{x.shape[0]}. The running statistics stay at 0 and 1."))
show_problems(problems)

inference_pass = layer_pass(x, gamma, beta, eps=eps, training=False, running_mean=running_mean,
                            running_var=running_var)
training_pass = None if x.shape[0] == 1 else layer_pass(x, gamma, beta, eps=eps, training=True, running_mean=None,
                                                        running_var=None)
if mode == "training" and training_pass is None:
    st.error("**Batch norm cannot train on a single sample.** With one value per feature the batch mean is that "
             "value and the batch variance is 0, so x̂ would be 0 for every input and the running variance "
             "(divide by m − 1 = 0) undefined. PyTorch refuses: `ValueError: Expected more than 1 value per "
             "channel when training`. Below is the inference-mode result, which uses the running statistics and "
             "works for any batch size. Use a batch of at least 2 samples to train.", icon=":material/block:")
result = training_pass if mode == "training" and training_pass is not None else inference_pass

undo_col, reset_col = undo_slot.columns(2)
undo_col.button("Undo the normalization", key="undo", on_click=set_affine, args=undo_parameters(result),
                width="stretch", help="γ = √(σ² + ε) and β = μ of the statistics in use: the output equals the input.")
reset_col.button("γ = 1, β = 0", key="reset_affine", on_click=set_affine,
                 args=(np.ones(len(names)), np.zeros(len(names))), width="stretch",
                 help="Back to PyTorch's initial values.")

explain_zero_division(result, names)
st.subheader("Input, normalized, output")
stage_tables(result, names, preset)
mode_explanation(result, batches_seen, momentum)

statistics_view(result, names, running_mean, running_var)
parameters_view(names, gamma, beta, running_mean, running_var, batches_seen, momentum)

distribution_view(result, names, gamma, beta)
insights_view(result, training_pass, inference_pass, names, eps)
