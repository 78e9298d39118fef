"""Training vs inference: running statistics over a stream of batches, momentum conventions and the classic
train/eval pitfalls (a single sample, a forgotten eval(), stale running statistics, small batches)."""

from collections.abc import Callable
from dataclasses import replace

import streamlit as st

from bn_core.data import DISTRIBUTIONS, feature_names
from charts import running as charts
from charts.spec import vega_lite_spec
from lessons import running as lesson
from lessons import training_text as text
from lessons.codegen import FRAMEWORKS, constructor_snippets
from lessons.format import format_number
from ui import training_controls as controls
from ui.controls import bound, open_section
from ui.layout import card_row, code_panel, lab_page, page_setup, rerun_only
from ui.tables import show_table

page_setup("Training vs inference", "🔁")

# Entry sizes measured with pickle at the defaults (300 steps, 2 features): a pair of runs 69 kB (~1.1 MB at 5,000
# steps), a spec pair 80 kB (at most 200 plotted steps), the inference views 13 kB, a batch-size view 7 kB: at
# most ~45 MB in all, however many links a classroom opens.
@st.cache_data(show_spinner=False, max_entries=32)
def stream_runs(settings: lesson.StreamSettings) -> tuple[lesson.StreamRun, lesson.StreamRun | None]:
    """The stream through PyTorch's layer and, when momentum is a number, through Keras 3's."""
    bar = controls.progress_bar(settings)
    run = lesson.simulate_stream(settings, controls.reporter(bar, "Training in PyTorch's convention"))
    keras = None
    if settings.momentum is not None:
        keras = lesson.simulate_stream(replace(settings, convention="keras"),
                                       controls.reporter(bar, "Training in Keras 3's convention"))
    if bar is not None:
        bar.empty()
    return run, keras


@st.cache_data(show_spinner=False, max_entries=64)
def running_specs(settings: lesson.StreamSettings, j: int, _run, _keras) -> tuple[dict, dict]:
    """Vega-Lite specs of feature j's running statistics (the runs are keyed by `settings`, not hashed), both on a
    canvas: as SVG the means chart's ~600 points were ~2,400 DOM changes a rerun (A/B 510/502 -> 448/461 ms)."""
    return tuple(vega_lite_spec(chart, canvas=True) for chart in charts.running_charts(_run, _keras, j))


@st.cache_data(show_spinner=False, max_entries=32)
def inference_views(settings: lesson.StreamSettings, _run) -> tuple:
    """The single sample and its gaps, the forgotten-eval() experiment, the mismatch scenarios, and their specs."""
    bar = controls.progress_bar(settings)
    result = lesson.same_sample_in_batches(_run)
    features = feature_names(settings.population.num_features)
    same_spec = vega_lite_spec(charts.same_sample_chart(charts.same_sample_frame(
        result.train_outputs, result.eval_outputs, features)))
    shifts = lesson.mismatch_scenarios(_run, controls.reporter(bar, "Training the variants"))
    if bar is not None:
        bar.empty()
    mismatch_spec = vega_lite_spec(charts.mismatch_chart(lesson.mismatch_table(shifts)))
    sample = lesson.single_sample(_run)
    return sample, (lesson.eval_gap(sample), lesson.lag_gap(_run, sample)), result, same_spec, shifts, mismatch_spec


@st.cache_data(show_spinner=False, max_entries=16)
def spread_view(distribution: str, eps: float, current: int) -> tuple[lesson.BatchSizeSpread, dict]:
    spread = lesson.batch_size_spread(distribution, eps=eps)
    return spread, vega_lite_spec(charts.batch_size_chart(spread, lesson.UNRELIABLE_BELOW, current))


def convention_view(settings: lesson.StreamSettings) -> None:
    momentum, steps = settings.momentum, settings.steps
    row = card_row()
    window = lesson.effective_window(momentum, steps)
    if momentum is None:
        row.metric("PyTorch momentum", "None", help="Cumulative average: factor 1/t for the t-th batch.")
        row.metric("Keras / Flax momentum", "—", help="No equivalent: both only keep a moving average.")
        row.metric("Effective window", f"all {steps} batches")
    else:
        row.metric("PyTorch momentum", f"{momentum:g}", help="Weight α of the new batch.")
        row.metric("Keras / Flax momentum", f"{1 - momentum:.4g}", help="Weight of the old value: 1 − α.")
        row.metric("Effective window", f"≈ {window:.3g} batch{'es' if window != 1 else ''}",
                   help=text.WINDOW_HELP)
    row.metric("Weight left on the start values", format_number(lesson.initial_weight(momentum, steps), 2),
               help="Running μ starts at 0 and running σ² at 1; after S updates they still weigh (1 − α)^S.")
    st.latex(text.CUMULATIVE_LATEX if momentum is None else text.convention_latex(momentum))


@st.fragment
def running_chart(run: lesson.StreamRun, keras: lesson.StreamRun | None) -> None:
    features = feature_names(run.settings.population.num_features)
    feature = bound(st.radio, "Feature shown", key="feat", options=features, horizontal=True,
                    help="Which feature's statistics the charts follow.")
    for spec in running_specs(run.settings, features.index(feature), run, keras):
        st.vega_lite_chart(spec, width="stretch")
    st.caption(text.chart_caption(run, len(charts.shown_steps(run.settings.steps))))


def running_section(run: lesson.StreamRun, keras: lesson.StreamRun | None) -> None:
    st.markdown(text.RUNNING)
    convention_view(run.settings)
    running_chart(run, keras)
    st.markdown("**At the last step**")
    show_table(lesson.last_step_table(run, keras))
    st.subheader("Biased or unbiased running variance")
    st.markdown(text.BIAS)
    if keras is None:
        st.info("With momentum=None there is no Keras 3 run to compare: Keras has no cumulative average.")
    else:
        bias, m = lesson.variance_bias(run, keras), run.settings.batch_size
        row = card_row()
        row.metric("(m − 1)/m", f"{bias.expected_ratio:.4f}",
                   help=f"The expected bias of the batch variance at m = {m}.")
        row.metric("Keras ÷ PyTorch running variance", f"{bias.measured_ratio:.4f}",
                   help="Averaged over the second half of the stream and over features. Both layers see the same "
                        "batches, so once the start value has faded this is (m − 1)/m by construction: a check of "
                        "the two conventions, not a measurement of the population.")
        row.metric("Inference outputs too wide by", f"{bias.output_widening:.2%}",
                   help="Dividing by the square root of an underestimated variance widens outputs by √(m/(m−1)).")
    snippets = constructor_snippets(run.settings.population.num_features, eps=run.settings.eps,
                                    momentum=run.settings.momentum)
    code_panel("The same layer in PyTorch, Keras 3 and Flax", "code",
               {framework: snippets[framework] for framework in FRAMEWORKS}, text.CODE_CAPTION)


def inference_section(run: lesson.StreamRun) -> None:
    sample, (gap, lag), result, same_spec, shifts, mismatch_spec = inference_views(run.settings, run)
    st.subheader("One sample at inference")
    st.markdown(text.SINGLE_SAMPLE)
    show_table(lesson.single_sample_table(run, sample))
    (st.success if gap <= lesson.EVAL_CLOSE else st.warning)(text.eval_mode(run, gap, lag))
    st.markdown(text.train_mode_error(sample.train_error))
    st.info(text.TRAIN_MODE.format(outputs=", ".join(format_number(v) for v in sample.keras_train_output)),
            icon=":material/school:")
    st.subheader("Forgot to call eval()?")
    st.markdown(text.forgot_eval(len(result.train_outputs), run.settings.batch_size))
    show_table(lesson.same_sample_table(result))
    st.vega_lite_chart(same_spec, width="stretch")
    st.subheader("When the running statistics are wrong")
    st.markdown(text.MISMATCH)
    show_table(lesson.mismatch_table(shifts))
    st.vega_lite_chart(mismatch_spec, width="stretch")


@st.fragment
def batch_size_section(current: int, eps: float) -> None:
    st.markdown(text.BATCH_SIZE)
    distribution = bound(st.selectbox, "Population shape", key="dist", options=DISTRIBUTIONS,
                         help="Shape of the population the batches are drawn from (mean 0; std 1 except 'with "
                              "outliers', whose outliers widen it). Heavy tails make variances noisier.")
    spread, spec = spread_view(distribution, eps, current)
    st.vega_lite_chart(spec, width="stretch")
    st.caption(text.batch_size_caption(spread))
    show_table(lesson.batch_size_table(spread))
    st.markdown(text.OTHER_LAYERS)
    st.page_link("pages/4_Variants.py", label="Compare the variants that do not depend on the batch",
                 icon=":material/grid_view:")


def with_stream(show: Callable[..., None]) -> Callable[[], None]:
    """A section that shows `show(pytorch_run, keras_run)` of the stream, or why the stream cannot train."""
    def view() -> None:
        settings = controls.stream_settings()
        controls.shift_warning(settings)
        try:
            pytorch_run, keras_run = stream_runs(settings)
        except ValueError:
            st.info(text.untrainable(settings, lesson.stream_training_error(settings)), icon=":material/school:")
            return
        show(pytorch_run, keras_run)
    return view


SECTIONS = "training_sections"  # the key of the sections' fragment: what most sidebar controls rerun
FEATURES, DRIFT = "training_features", "training_drift"  # the keys of the population's two fragments


def page() -> None:
    # A mean, a std, the drift's size, the batch size, the steps, the seed, the cumulative average or ε rerun only the
    # sections; the number of features and the kind of drift also the controls they add or remove; momentum, whose
    # caption is in the sidebar, the page's fragment. On the number of features: 44 -> 36 elements, then 6 fewer.
    population = st.sidebar.container()
    controls.stream_controls(on_change=rerun_only(SECTIONS))
    controls.features_control(population, on_change=rerun_only(FEATURES, SECTIONS))
    st.fragment(controls.feature_controls, key=FEATURES)(population.container(), on_change=rerun_only(SECTIONS))
    st.fragment(controls.drift_controls, key=DRIFT)(population.container(), on_change=rerun_only(SECTIONS),
                                                    on_kind=rerun_only(DRIFT, SECTIONS))
    open_section({  # its own fragment: switching sections reruns the sections, not the sidebar or the page's text
        "Running statistics": with_stream(running_section),
        "Inference": with_stream(lambda pytorch_run, _keras_run: inference_section(pytorch_run)),
        "Batch size": lambda: batch_size_section(*batch_size_inputs()),
    }, key="tab", alone=True, fragment_key=SECTIONS)


def batch_size_inputs() -> tuple[int, float]:
    settings = controls.stream_settings()
    return settings.batch_size, settings.eps


lab_page("🔁 Training vs inference", text.LEAD, page, text.REFERENCES)
