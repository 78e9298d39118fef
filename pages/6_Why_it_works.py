"""Why it works: small networks trained with and without batch normalization, over several seeds at once, test the
claims made for it; each experiment's verdict is computed from its results."""

import streamlit as st

from charts import training as charts
from charts.spec import vega_lite_spec
from lessons.why.catalog import EXPERIMENTS, LEAD, REFERENCES
from lessons.why.lab import CODE_VERSION, Budget, BudgetExceeded, Lab, grid_value
from lessons.why.learning_rate import LR_GRID, curve_reading
from lessons.why.smoothness import MEASURES
from ui.controls import bound
from ui.layout import lab_page, page_setup, rerun_only
from ui.why_controls import chosen_lab, lab_settings

page_setup("Why it works", "🔬")

DEFAULT_EXPERIMENT = "lr"
APPROVED = "_why_approved_runs"  # settings the visitor has asked to train (or the page's default experiment)


def run_key(name: str, lab: Lab) -> str:
    """Names a result exactly: the experiment, its settings and the version of the code that computes it."""
    return f"{name}:{lab!r}:{CODE_VERSION}"


# Finished experiments, kept on disk so the first visitor after a restart pays once. Measured entry sizes (pickled,
# defaults): learning rate 6 KB, initialization 5 KB, regularization 6 KB, smoothness 70 KB, covariate shift 1.8 MB:
# 32 entries stay under ~60 MB even if all were covariate shift.
@st.cache_data(persist="disk", max_entries=32, show_spinner=False)
def experiment_result(name: str, key: str, _lab: Lab):
    return EXPERIMENTS[name].run(_lab, budget=Budget())


# st.cache_data unpickles its value on every read: a page's rerun spent ~1 ms copying the learning-rate result. The
# finished result is read-only, so every session can share one copy (the disk cache still fills a fresh process).
@st.cache_resource(max_entries=32, show_spinner=False)
def shared_result(name: str, key: str, _lab: Lab):
    return experiment_result(name, key, _lab)


# Filtering the runs and curves in pandas took a few ms of every rerun of the curves.
@st.cache_data(max_entries=64, show_spinner=False)
def cached_curve_reading(key: str, _result, lr: float) -> str:
    return curve_reading(_result, lr)


# Chart specs as built dictionaries (Altair construction costs 50–200 ms per chart); under 50 KB each (their data
# are medians and bands, a few hundred rows at most).
@st.cache_data(max_entries=64, show_spinner=False)
def chart_spec(builder: str, key: str, _result, *args) -> dict:
    return vega_lite_spec(getattr(charts, builder)(_result, *args))


def show(builder: str, key: str, result, *args) -> None:
    st.vega_lite_chart(chart_spec(builder, key, result, *args), width="stretch")


def learning_rate_view(key: str, result) -> None:
    show("learning_rate_chart", key, result)
    st.caption("Line: the median over seeds; band: lowest to highest seed. Hover a point for the numbers.")
    learning_rate_curves(key, result)


@st.fragment  # choosing the curves' learning rate redraws only the curves
def learning_rate_curves(key: str, result) -> None:
    lr = bound(st.segmented_control, "Loss curves at learning rate", key="curve_lr", options=list(LR_GRID),
               default=1.0, required=True, format_func=grid_value,
               help="The training loss step by step at one learning rate of the sweep, with and without BatchNorm.")
    show("learning_rate_curve_chart", key, result, lr)
    st.caption(f"{cached_curve_reading(key, result, lr)} Loss on each step's mini-batch in training mode, averaged "
               "over blocks of steps; line: median over the seeds still training, band: lowest to highest. A seed "
               "that diverges leaves the curve at that step (hover for how many remain).")


def initialization_view(key: str, result) -> None:
    show("initialization_chart", key, result)
    st.caption("Test accuracy on 1,000 fresh points (eval mode); a diverged run counts as a guess (0.5). Line: median "
               "over seeds; band: lowest to highest seed.")


def regularization_view(key: str, result) -> None:
    show("regularization_chart", key, result)
    show("accuracy_chart", key, result)
    st.caption("Above: the gap, median and band over seeds. Below: the medians it comes from, training accuracy "
               "solid and test accuracy dashed.")


def covariate_shift_view(key: str, result) -> None:
    lab = result.lab
    show("unit_percentiles_chart", key, result, lab.depth, result.unit, lab.seed)
    st.caption("A typical unit of the last hidden layer (the median drift without normalization), first seed: its "
               "input to the ReLU over 256 fixed probe points, the 15th–85th percentile band and the median, as "
               "Ioffe & Szegedy's Fig. 1 shows one.")
    show("gradient_shift_chart", key, result)
    st.latex(r"\frac{\lVert G_i - G_i' \rVert}{\lVert G_i \rVert},\quad G_i' = \nabla_{W_i} L\ \text{after the "
             r"layers below } i \text{ take their step}")


def smoothness_view(key: str, result) -> None:
    measure = bound(st.segmented_control, "Landscape measure", key="smooth_measure", options=list(MEASURES),
                    default="β-smoothness", required=True,
                    help="Loss range: how much the loss varies along the step. Gradient change: how far the gradient "
                         "moves. β-smoothness: gradient change per unit of step length. Lower: smoother.")
    show("smoothness_chart", key, result, measure)
    show("loss_curve_chart", key, result)


VIEWS = {"lr": learning_rate_view, "init": initialization_view, "reg": regularization_view,
         "shift": covariate_shift_view, "smooth": smoothness_view}


def approved_runs() -> set[str]:
    default = run_key(DEFAULT_EXPERIMENT, EXPERIMENTS[DEFAULT_EXPERIMENT].default)
    return st.session_state.setdefault(APPROVED, {default})


def approve_chosen_experiment() -> None:
    """Choosing an experiment (a click) starts it at its defaults; a link alone does not."""
    name = st.session_state["exp"]
    if name in EXPERIMENTS:
        approved_runs().add(run_key(name, EXPERIMENTS[name].default))


def approve_run(key: str) -> None:
    approved_runs().add(key)


RUN = "why_run"  # the key of experiment_run's fragment: what a change of the lab settings reruns


@st.fragment
def experiment_section(name: str) -> None:
    experiment = EXPERIMENTS[name]
    st.markdown(f"**Claim.** {experiment.claim}")
    # A change of a setting reruns only the run below, not the settings: a key press on one sent 25 elements, now 9
    # (same-minute A/B: 261 -> 174 ms).
    lab_settings(name, experiment.default, on_change=rerun_only(RUN))
    experiment_run(name)


@st.fragment(key=RUN)
def experiment_run(name: str) -> None:
    """The run at the chosen settings: trained (and shown) once the visitor has asked for these settings."""
    experiment = EXPERIMENTS[name]
    lab = chosen_lab(name, experiment.default)
    st.markdown(f"**Run.** {experiment.run_text} {lab.described}")
    key = run_key(name, lab)
    if key not in approved_runs():
        # Approved by the click's callback, so the rerun it starts draws the results without this notice and button
        st.info("These settings have not been trained in this session; they start when you click.")
        st.button("Run experiment", key=f"{name}_go", type="primary", icon=":material/play_arrow:",
                  on_click=approve_run, args=(key,),
                  help="Train every network of this experiment with the settings above.")
        return
    try:
        with st.spinner("Training every seed together…"):
            result = shared_result(name, key, lab)
    except BudgetExceeded as stop:
        st.warning(f"This experiment {stop}: past this page's budget of {stop.seconds:.0f} s of CPU. Lower the "
                   "steps (or epochs), width, depth, training points or seeds and run it again.")
        return
    VIEWS[name](key, result)
    st.markdown(f"**What it shows.** {result.verdict.text}\n\n**The literature.** {experiment.literature}\n\n"
                f"**Caveats.** {experiment.caveats}")


def page() -> None:
    selected = bound(st.segmented_control, "Experiment", key="exp", options=list(EXPERIMENTS),
                     format_func=lambda name: EXPERIMENTS[name].title, default=DEFAULT_EXPERIMENT, required=True,
                     on_change=approve_chosen_experiment,
                     help="Each experiment tests one claim made for batch normalization.")
    experiment_section(selected)


lab_page("🔬 Why batch norm works: test it yourself", LEAD, page, REFERENCES)
