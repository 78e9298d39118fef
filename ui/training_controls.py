"""The Training vs inference page's sidebar: the population the batches come from, the stream and the layer; what
their values mean for a run (a shift it never reaches, a progress bar for a long one)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from lessons.running import DRIFTS, STREAM_BATCH_SIZES, Population, StreamSettings
from ui.controls import bound, eps_control, momentum_control, seed_control

DEFAULT_MEANS = (5.0, -2.0, 10.0, 0.0)
DEFAULT_STDS = (2.0, 0.5, 3.0, 1.0)
DRIFT_LABELS = {"none": "none", "linear": "linear (steady)", "sudden": "sudden shift at step k"}
STD_FACTORS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)

LONG_RUN = 20_000  # samples per feature in a stream from which training shows a progress bar

# The worst link (2,000 steps of 256 samples x 4 features, both conventions) cost 1.3 s of CPU under AppTest; 5,000
# steps cost ~2.9 s, over the 2 s a single link may take (issue 12).
MAX_STEPS = 2000


def features_control(sidebar, on_change: Callable[[], None]) -> None:
    """The population's heading and its number of features, drawn in `sidebar` (a container in the sidebar);
    on_change: what a change reruns (which controls feature_controls draws, and every section)."""
    sidebar.subheader("Population")
    bound(sidebar.slider, "Features", key="nf", min_value=1, max_value=4, value=2, on_change=on_change,
          help="How many features (channels) the layer normalizes, each with its own statistics.")


def feature_controls(sidebar, on_change: Callable[[], None]) -> None:
    """Each feature's mean and std, drawn in `sidebar` (a container in the sidebar) for the number of features
    features_control set; on_change: what a change of one reruns."""
    # One pair of columns for every feature: a row of columns per feature shifted every later control down by one
    # element per added feature, and the browser then rebuilt each of them instead of updating it.
    left, right = sidebar.columns(2)
    for j in range(st.session_state["nf"]):
        bound(left.number_input, f"F{j} true mean", key=f"mu{j}", min_value=-1000.0, max_value=1000.0,
              value=DEFAULT_MEANS[j], step=0.5, on_change=on_change, help=f"Population mean of feature F{j} at step 0.")
        bound(right.number_input, f"F{j} true std", key=f"sd{j}", min_value=0.01, max_value=1000.0,
              value=DEFAULT_STDS[j], step=0.1, on_change=on_change,
              help=f"Population standard deviation of F{j} at step 0.")


def drift_controls(sidebar, on_change: Callable[[], None], on_kind: Callable[[], None]) -> None:
    """The drift over the stream, drawn in `sidebar`; on_change: what a change of the drift's size reruns; on_kind:
    what a change of its kind reruns (it changes which controls there are)."""
    drift = bound(sidebar.selectbox, "Drift over the stream", key="drift", options=DRIFTS, index=2,
                  format_func=DRIFT_LABELS.get, on_change=on_kind,
                  help="The population may change while the layer trains: steadily, or all at once at step k.")
    if drift != "none":
        bound(sidebar.slider, "Mean moves by (in stds)", key="dmu", min_value=-5.0, max_value=5.0, value=2.0,
              step=0.25, on_change=on_change, help="How far each feature's mean moves, in its own stds.")
        bound(sidebar.select_slider, "Std multiplied by", key="dsd", options=STD_FACTORS, value=1.5,
              on_change=on_change,
              help="What each feature's standard deviation is multiplied by after the change.")
    if drift == "sudden":
        bound(sidebar.number_input, "Shift at step k", key="at", min_value=1, max_value=MAX_STEPS, value=150,
              step=10, on_change=on_change,
              help="The first step that draws from the changed population (steps count from 0).")


def stream_controls(on_change: Callable[[], None]) -> None:
    """The stream's and the layer's controls; on_change: what a change of one reruns (momentum reruns the page's
    fragment: its caption in the sidebar changes with it)."""
    sidebar = st.sidebar
    sidebar.subheader("Stream and layer")
    bound(sidebar.select_slider, "Batch size m", key="m", options=STREAM_BATCH_SIZES, value=16, on_change=on_change,
          help="Samples per training batch. 1 shows what PyTorch does with a batch of one.")
    bound(sidebar.slider, "Steps (batches)", key="steps", min_value=10, max_value=MAX_STEPS, value=300, step=10,
          on_change=on_change, help="How many batches the layer trains on.")
    seed_control(sidebar, on_change=on_change)
    momentum_control(sidebar)
    bound(sidebar.checkbox, "Cumulative average (no momentum)", key="cma", value=False, on_change=on_change,
          help="PyTorch's momentum=None: the running statistics are the plain average of every batch so far (factor "
               "1/t for the t-th batch) instead of an exponential moving average.")
    eps_control(sidebar, on_change=on_change)


def stream_settings() -> StreamSettings:
    """What population_controls and stream_controls are set to, read from session state: the page's sections
    rerun alone when one of them changes (ui.layout.rerun_only)."""
    state = st.session_state
    num_features, drift = state["nf"], state["drift"]
    population = Population(tuple(state[f"mu{j}"] for j in range(num_features)),
                            tuple(state[f"sd{j}"] for j in range(num_features)), drift,
                            state["dmu"] if drift != "none" else 0.0, state["dsd"] if drift != "none" else 1.0,
                            state["at"] if drift == "sudden" else 0)
    return StreamSettings(population, batch_size=state["m"], steps=state["steps"],
                          momentum=None if state["cma"] else state["momentum"], eps=state["eps"], seed=state["seed"])


def shift_warning(settings: StreamSettings) -> None:
    population = settings.population
    if population.drift == "sudden" and population.shift_step >= settings.steps:
        st.warning(f"The shift at step {population.shift_step} comes after the last step ({settings.steps - 1}): the "
                   "stream never sees it. Lower k or add steps.")


def progress_bar(settings: StreamSettings):
    """A progress bar for long runs, None for short ones. Created inside a cached function, so a cache hit
    replays it already emptied."""
    return st.progress(0.0) if settings.steps * settings.batch_size >= LONG_RUN else None


def reporter(bar, label: str):
    return None if bar is None else (lambda fraction: bar.progress(fraction, text=f"{label}: {fraction:.0%}"))
