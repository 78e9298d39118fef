"""Training vs inference: running statistics over a stream of batches, momentum conventions and the classic
train/eval pitfalls (a single sample, a forgotten eval(), stale running statistics, small batches)."""

from dataclasses import replace

import streamlit as st

from bn_core.data import DISTRIBUTIONS, feature_names
from charts.running import (
    batch_size_chart,
    batch_size_frame,
    history_frame,
    mismatch_chart,
    running_stats_chart,
    same_sample_chart,
    same_sample_frame,
    shown_steps,
)
from charts.spec import vega_lite_spec
from lessons.codegen import FRAMEWORKS, constructor_snippets
from lessons.running import (
    DRIFTS,
    UNRELIABLE_BELOW,
    BatchSizeSpread,
    InferenceShift,
    Population,
    SameSampleInBatches,
    StreamRun,
    StreamSettings,
    batch_size_spread,
    batch_size_table,
    effective_window,
    initial_weight,
    last_step_table,
    mismatch_scenarios,
    mismatch_table,
    same_sample_in_batches,
    same_sample_table,
    simulate_stream,
    single_sample,
    single_sample_table,
    variance_bias,
)
from ui.controls import bound, eps_control, momentum_control, seed_control
from ui.layout import page_setup

page_setup("Training vs inference", "🔁")

DEFAULT_MEANS = (5.0, -2.0, 10.0, 0.0)
DEFAULT_STDS = (2.0, 0.5, 3.0, 1.0)
DRIFT_LABELS = {"none": "none", "linear": "linear (steady)", "sudden": "sudden shift at step k"}
STD_FACTORS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)
BATCH_SIZE_OPTIONS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
TABS = ("Running statistics", "Inference", "Batch size")
LONG_RUN = 20_000  # samples per feature in a stream from which training shows a progress bar


def population_controls() -> Population:
    sidebar = st.sidebar
    sidebar.subheader("Population")
    num_features = bound(sidebar.slider, "Features", key="nf", min_value=1, max_value=4, value=2,
                         help="How many features (channels) the layer normalizes, each with its own statistics.")
    means, stds = [], []
    for j in range(num_features):
        left, right = sidebar.columns(2)
        means.append(bound(left.number_input, f"F{j} true mean", key=f"mu{j}", min_value=-1000.0, max_value=1000.0,
                           value=DEFAULT_MEANS[j], step=0.5, help=f"Population mean of feature F{j} at step 0."))
        stds.append(bound(right.number_input, f"F{j} true std", key=f"sd{j}", min_value=0.01, max_value=1000.0,
                          value=DEFAULT_STDS[j], step=0.1, help=f"Population standard deviation of F{j} at step 0."))
    drift = bound(sidebar.selectbox, "Drift over the stream", key="drift", options=DRIFTS, index=2,
                  format_func=DRIFT_LABELS.get,
                  help="The population may change while the layer trains: steadily, or all at once at step k.")
    mean_shift, std_factor, shift_step = 0.0, 1.0, 0
    if drift != "none":
        mean_shift = bound(sidebar.slider, "Mean moves by (in stds)", key="dmu", min_value=-5.0, max_value=5.0,
                           value=2.0, step=0.25, help="How far each feature's mean moves, in its own stds.")
        std_factor = bound(sidebar.select_slider, "Std multiplied by", key="dsd", options=STD_FACTORS, value=1.5,
                           help="What each feature's standard deviation is multiplied by after the change.")
    if drift == "sudden":
        shift_step = bound(sidebar.number_input, "Shift at step k", key="at", min_value=1, max_value=5000,
                           value=150, step=10,
                           help="The first step that draws from the changed population (steps count from 0).")
    return Population(tuple(means), tuple(stds), drift, mean_shift, std_factor, shift_step)


def stream_controls(population: Population) -> StreamSettings:
    sidebar = st.sidebar
    sidebar.subheader("Stream and layer")
    batch_size = bound(sidebar.select_slider, "Batch size m", key="m", options=BATCH_SIZE_OPTIONS, value=16,
                       help="Samples per training batch. 1 shows what PyTorch does with a batch of one.")
    steps = bound(sidebar.slider, "Steps (batches)", key="steps", min_value=10, max_value=5000, value=300, step=10,
                  help="How many batches the layer trains on.")
    seed = seed_control(sidebar)
    momentum = momentum_control(sidebar)
    cumulative = bound(sidebar.checkbox, "momentum=None (cumulative average)", key="cma", value=False,
                       help="PyTorch's momentum=None: the running statistics are the plain average of every batch "
                            "so far (factor 1/t for the t-th batch) instead of an exponential moving average.")
    eps = eps_control(sidebar)
    if population.drift == "sudden" and population.shift_step >= steps:
        sidebar.warning(f"The shift at step {population.shift_step} comes after the last step ({steps - 1}): "
                        "the stream never sees it. Lower k or add steps.")
    return StreamSettings(population, batch_size=batch_size, steps=steps, momentum=None if cumulative else momentum,
                          eps=eps, seed=seed)


def progress_bar(settings: StreamSettings):
    """A progress bar for long runs, None for short ones. Created inside a cached function, so a cache hit
    replays it already emptied."""
    return st.progress(0.0) if settings.steps * settings.batch_size >= LONG_RUN else None


def reporter(bar, label: str):
    return None if bar is None else (lambda fraction: bar.progress(fraction, text=f"{label}: {fraction:.0%}"))


@st.cache_data(show_spinner=False, max_entries=32)
def stream_runs(settings: StreamSettings) -> tuple[StreamRun, StreamRun | None]:
    """The stream through PyTorch's layer and, when momentum is a number, through Keras 3's."""
    bar = progress_bar(settings)
    run = simulate_stream(settings, reporter(bar, "Training in PyTorch's convention"))
    keras = None
    if settings.momentum is not None:
        keras = simulate_stream(replace(settings, convention="keras"),
                                reporter(bar, "Training in Keras 3's convention"))
    if bar is not None:
        bar.empty()
    return run, keras


@st.cache_data(show_spinner=False, max_entries=64)
def running_spec(settings: StreamSettings, j: int, _run: StreamRun, _keras: StreamRun | None) -> dict:
    """Vega-Lite spec of feature j's running statistics (cached: building Altair charts costs ~100 ms)."""
    steps = shown_steps(settings.steps)
    means = history_frame({"batch mean": _run.batch_mean[:, j], "running mean": _run.running_mean[:, j],
                           "true mean": _run.true_mean[:, j]}, steps)
    var_histories = {"batch var, biased (÷m)": _run.batch_var_biased[:, j],
                     "batch var, unbiased (÷(m−1))": _run.batch_var_unbiased[:, j],
                     "running var, PyTorch (unbiased)": _run.running_var[:, j], "true var": _run.true_var[:, j]}
    if _keras is not None:
        var_histories["moving var, Keras 3 (biased)"] = _keras.running_var[:, j]
    shift = settings.population.shift_step if settings.population.drift == "sudden" else None
    return vega_lite_spec(running_stats_chart(means, history_frame(var_histories, steps), shift))


@st.cache_data(show_spinner=False, max_entries=32)
def same_sample_view(settings: StreamSettings, _run: StreamRun) -> tuple[SameSampleInBatches, dict]:
    """The forgotten-eval() experiment and its chart's Vega-Lite spec."""
    result = same_sample_in_batches(_run)
    features = feature_names(settings.population.num_features)
    chart = same_sample_chart(same_sample_frame(result.train_outputs, result.eval_outputs, features))
    return result, vega_lite_spec(chart)


@st.cache_data(show_spinner=False, max_entries=32)
def scenario_shifts(settings: StreamSettings, _run: StreamRun) -> tuple[list[InferenceShift], dict]:
    """The mismatch scenarios of the run that `settings` defines (the run itself is not hashed), and their chart."""
    bar = progress_bar(settings)
    shifts = mismatch_scenarios(_run, reporter(bar, "Training the variants"))
    if bar is not None:
        bar.empty()
    return shifts, vega_lite_spec(mismatch_chart(mismatch_table(shifts)))


@st.cache_data(show_spinner=False, max_entries=16)
def spread_view(distribution: str, eps: float, current: int) -> tuple[BatchSizeSpread, dict]:
    """The batch-size experiment and its chart's Vega-Lite spec, with the current batch size marked."""
    spread = batch_size_spread(distribution, eps=eps)
    spreads = {"batch mean": spread.mean_spread, "batch variance (biased)": spread.var_spread,
               "output of a sample at +1σ": spread.output_spread}
    chart = batch_size_chart(batch_size_frame(spread.batch_sizes, spreads), UNRELIABLE_BELOW, current)
    return spread, vega_lite_spec(chart)


def convention_view(settings: StreamSettings) -> None:
    momentum, steps = settings.momentum, settings.steps
    cols = st.columns(4)
    if momentum is None:
        cols[0].metric("PyTorch momentum", "None", help="Cumulative average: factor 1/t for the t-th batch.")
        cols[1].metric("Keras / Flax momentum", "—", help="No equivalent: both only keep a moving average.")
        cols[2].metric("Effective window", f"all {steps} batches")
        cols[3].metric("Weight left on the start values", "0", help="The first update uses factor 1/1.")
        st.latex(r"\text{running}_t = \text{running}_{t-1} + \tfrac{1}{t}\,(\text{batch}_t - \text{running}_{t-1})"
                 r" = \tfrac{1}{t}\textstyle\sum_{s=1}^{t} \text{batch}_s")
        return
    keep = 1 - momentum
    cols[0].metric("PyTorch momentum", f"{momentum:g}", help="Weight of the new batch.")
    cols[1].metric("Keras / Flax momentum", f"{keep:.4g}", help="Weight of the old running value: 1 − PyTorch's.")
    window = effective_window(momentum, steps)
    cols[2].metric("Effective window", f"≈ {window:.3g} batch{'es' if window != 1 else ''}",
                   help="An exponential moving average with factor m averages roughly the last 1/m batches.")
    cols[3].metric("Weight left on the start values", f"{initial_weight(momentum, steps):.2g}",
                   help="running_mean starts at 0 and running_var at 1; after S updates they still weigh (1 − m)^S.")
    st.latex(
        rf"\underbrace{{\text{{running}} \leftarrow (1 - {momentum:g})\,\text{{running}} + {momentum:g}\,"
        rf"\text{{batch}}}}_{{\text{{PyTorch: momentum}} = {momentum:g}}}"
        rf"\qquad\Longleftrightarrow\qquad"
        rf"\underbrace{{\text{{moving}} \leftarrow {keep:.4g}\,\text{{moving}} + (1 - {keep:.4g})\,"
        rf"\text{{batch}}}}_{{\text{{Keras, Flax: momentum}} = {keep:.4g}}}"
    )


def running_tab(run: StreamRun, keras: StreamRun | None) -> None:
    settings = run.settings
    st.markdown(
        "In training, every batch is normalized with its **own** mean and variance, and the layer keeps a moving "
        "average of them on the side: the *running* statistics, used later at inference. Watch the running "
        "estimate smooth out the noise of the batches and lag behind when the population moves. A larger momentum "
        "follows changes faster but keeps more noise; a smaller one is smoother but slower."
    )
    convention_view(settings)
    features = feature_names(settings.population.num_features)
    feature = bound(st.radio, "Feature shown", key="feat", options=features, horizontal=True,
                    help="Which feature's statistics the chart follows.")
    st.vega_lite_chart(running_spec(settings, features.index(feature), run, keras), width="stretch")
    steps = shown_steps(settings.steps)
    shift = settings.population.shift_step if settings.population.drift == "sudden" else None
    shown = "every step" if len(steps) == settings.steps else f"{len(steps)} of {settings.steps} steps, evenly spaced"
    st.caption(f"Dots: each batch's own statistic; solid lines: the running estimates; dashed: the population. "
               f"Plotted: {shown}." + (" The dotted red line marks the sudden shift." if shift is not None else ""))
    st.markdown("**At the last step**")
    st.dataframe(last_step_table(run, keras).round(4), width="stretch")
    bias_view(run, keras)
    code_view(settings)


def bias_view(run: StreamRun, keras: StreamRun | None) -> None:
    m = run.settings.batch_size
    st.subheader("Biased or unbiased running variance")
    st.markdown(
        "Both frameworks normalize a training batch with the biased variance (divide by m). For the running "
        "estimate, PyTorch switches to the unbiased one (divide by m − 1, Bessel's correction); Keras 3 and Flax "
        "keep the biased one, which on average is only (m − 1)/m of the population variance."
    )
    if keras is None:
        st.info("With momentum=None there is no Keras 3 run to compare: Keras has no cumulative average.")
        return
    bias = variance_bias(run, keras)
    cols = st.columns(3)
    cols[0].metric("(m − 1)/m", f"{bias.expected_ratio:.4f}",
                   help=f"The expected bias of the biased variance at m = {m}.")
    cols[1].metric("Keras ÷ PyTorch running variance", f"{bias.measured_ratio:.4f}",
                   help="Averaged over the second half of the stream and over features.")
    cols[2].metric("Inference outputs too wide by", f"{bias.output_widening:.2%}",
                   help="Dividing by the square root of an underestimated variance widens the outputs by √(m/(m−1)).")


def code_view(settings: StreamSettings) -> None:
    st.subheader("The same layer in PyTorch, Keras 3 and Flax")
    snippets = constructor_snippets(settings.population.num_features, eps=settings.eps, momentum=settings.momentum)
    for framework in FRAMEWORKS:
        st.markdown(f"**{framework}**")
        st.code(snippets[framework], language="python")
    st.caption("Keras and Flax weigh the old value (1 − PyTorch's momentum); their epsilon defaults differ (Keras "
               "1e-3), so it is spelled out. Flax computes the batch variance one-pass by default "
               "(`use_fast_variance=True`); pass `False` for the two-pass formula.")


def inference_tab(run: StreamRun) -> None:
    st.subheader("One sample at inference")
    sample = single_sample(run)
    st.markdown("After training on the stream, a single fresh sample from the final population goes through the "
                "layer on its own, a batch of one.")
    st.dataframe(single_sample_table(run, sample).round(4), width="stretch")
    st.success("**Eval mode** normalizes with the running statistics, so one sample is enough and its output is "
               "close to what the true population statistics would give.")
    st.error(f"**Training mode, PyTorch** raises `ValueError`: {sample.train_error}")
    st.caption(f"Keras 3 in training mode does not raise: the sample is its own batch mean, so every output is β "
               f"({', '.join(f'{v:g}' for v in sample.keras_train_output)}), whatever x is.")
    forgot_eval_view(run)
    mismatch_view(run)


def forgot_eval_view(run: StreamRun) -> None:
    st.subheader("Forgot to call eval()?")
    result, spec = same_sample_view(run.settings, run)
    k = len(result.train_outputs)
    st.markdown(f"The same sample x placed in {k} different batches of {run.settings.batch_size}. In training mode "
                "its output depends on its neighbours; in eval mode it is the same every time.")
    st.dataframe(same_sample_table(result).round(4), width="stretch")
    st.vega_lite_chart(spec, width="stretch")


def mismatch_view(run: StreamRun) -> None:
    st.subheader("When the running statistics are wrong")
    st.markdown("At inference the layer trusts its running statistics. If they do not describe the data it now "
                "sees, every output is shifted and rescaled by the same wrong amount. Each row changes one thing "
                "about your settings (same batches) and measures the outputs on the population met at inference; "
                "right statistics give mean 0 and standard deviation 1.")
    shifts, spec = scenario_shifts(run.settings, run)
    st.dataframe(mismatch_table(shifts).round(3), hide_index=True, width="stretch")
    st.vega_lite_chart(spec, width="stretch")


def batch_size_tab(current: int, eps: float) -> None:
    st.markdown(
        "A batch's mean and variance are estimates from m samples, and an estimate from m samples scatters "
        "around the truth roughly as 1/√m. In training, that scatter goes straight into every output: the same "
        "sample is normalized differently depending on the batch it lands in."
    )
    distribution = bound(st.selectbox, "Population shape", key="dist", options=DISTRIBUTIONS,
                         help="Shape of the population the batches are drawn from (mean 0, std 1; for "
                              "'with outliers' the bulk has std 1). Heavy tails make variances noisier.")
    spread, spec = spread_view(distribution, eps, current)
    st.vega_lite_chart(spec, width="stretch")
    st.caption(f"Spread = standard deviation over {spread.draws} random batches of each size. The output is that of "
               "one fixed sample at +1σ, normalized in training mode among m − 1 random others. At m = 1 there is "
               "nothing to estimate: PyTorch raises, Keras outputs β. Shaded: fewer than "
               f"{UNRELIABLE_BELOW} samples per batch, where Wu & He ([Group Normalization, 2018]"
               "(https://arxiv.org/abs/1803.08494), Fig. 1) saw BatchNorm's ImageNet error rise quickly. "
               "The dotted purple line is your batch size.")
    st.dataframe(batch_size_table(spread).round(3), hide_index=True, width="stretch")
    st.markdown("Layer, Instance and Group normalization take their statistics inside each sample, so nothing "
                "about them depends on the batch. For images, note that a batch of one still trains in BatchNorm: "
                "the statistics then run over the pixels of that one image, which is instance normalization.")
    st.page_link("pages/4_Variants.py", label="Compare the variants that do not depend on the batch",
                 icon=":material/grid_view:")


st.title("🔁 Training vs inference")
st.markdown(
    "A BatchNorm layer behaves differently in its two modes. **Training** normalizes each batch with that "
    "batch's statistics and updates a running average of them; **inference** (`model.eval()`) normalizes with the "
    "running average, so one sample's output no longer depends on the rest of its batch. Stream batches through the "
    "layer below, then break it the classic ways."
)
settings = stream_controls(population_controls())
running, inference, batch_size = st.tabs(TABS, key="tab", bind="query-params")

if running.open or inference.open:
    try:
        pytorch_run, keras_run = stream_runs(settings)
    except ValueError as error:
        pytorch_run = keras_run = None
        st.error(f"The stream cannot be trained with PyTorch's convention: {error}")
        st.info("Pick a batch size of at least 2 in the sidebar; the Batch size tab shows why small batches hurt.")
    if pytorch_run is not None and running.open:
        with running:
            running_tab(pytorch_run, keras_run)
    if pytorch_run is not None and inference.open:
        with inference:
            inference_tab(pytorch_run)
if batch_size.open:
    with batch_size:
        batch_size_tab(settings.batch_size, settings.eps)
