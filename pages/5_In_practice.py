"""In practice: batch norm in real training and deployment, each pitfall a small live experiment on bn_core."""

from collections.abc import Callable

import streamlit as st

from charts import practice as charts
from charts.spec import vega_lite_spec
from lessons import batches, coupling, devices, dropout, folding, recalibration, transfer
from lessons import practice as text
from ui import practice_controls as controls
from ui.controls import open_section
from ui.layout import code_panel, lab_page, page_setup, rerun_only
from ui.tables import show_table

page_setup("In practice", "🛠️")

# Each view returns Vega-Lite specs, sentences and small tables. Entry sizes measured with pickle: folding up to
# 35 kB (Conv, N = 64), every other view 3–5 kB; the training trace 335 kB, the pretrained networks 20 kB.


@st.cache_data(max_entries=16, show_spinner=False)
def folding_view(layer: str, batch_size: int, dtype: str):
    result = folding.folding_experiment(layer, batch_size, dtype)
    return vega_lite_spec(charts.folding_chart(result)), text.folding_reading(result), text.folding_table(result)


@st.cache_data(max_entries=1, show_spinner=False)
def training_trace():  # 10 lean checkpoints of 5 stacked networks and their EMA statistics: 335 kB
    return recalibration.train_with_checkpoints()


@st.cache_data(max_entries=12, show_spinner="Recomputing statistics at every checkpoint…")
def recalibration_view(momentum: float, batches: int):
    trace = training_trace()
    result = recalibration.recalibrate(trace, momentum, batches)
    return vega_lite_spec(charts.recalibration_chart(result)), text.recalibration_reading(result)


@st.cache_data(max_entries=1, show_spinner=False)
def recalibration_summary():
    trace = training_trace()
    gaps = recalibration.batches_needed(trace)
    counts = recalibration.RECALIBRATION_BATCHES
    return (text.momentum_table(recalibration.momentum_gaps(trace)),
            vega_lite_spec(charts.batches_needed_chart(counts, gaps)),
            text.batches_needed_reading(counts, gaps, int(trace.steps[-1])))


@st.cache_data(max_entries=1, show_spinner="Pretraining 5 networks on the source data…")
def pretrained():  # 5 stacked (2, 16, 16, 2) networks, lean: 20 kB
    return transfer.pretrain()


@st.cache_data(max_entries=8, show_spinner=False)
def adabn_view(kind: str, magnitude: float):
    result = transfer.adabn_experiment(pretrained(), kind)
    return vega_lite_spec(charts.adabn_chart(result, magnitude)), text.adabn_reading(result, magnitude)


@st.cache_data(max_entries=8, show_spinner="Fine-tuning three ways…")
def fine_tune_view(batch_size: int):
    result = transfer.fine_tune_experiment(pretrained(), batch_size)
    return vega_lite_spec(charts.fine_tune_chart(result)), text.fine_tune_reading(result)


@st.cache_data(max_entries=16, show_spinner="Training on simulated devices…")
def devices_view(count: int, per_device: int):
    result = devices.data_parallel_experiment(count, per_device)
    return vega_lite_spec(charts.devices_chart(result)), text.devices_reading(result)


@st.cache_data(max_entries=3, show_spinner="Training with three normalizations…")
def batches_view(order: str):
    result = batches.non_iid_experiment(order)
    return vega_lite_spec(charts.non_iid_chart(result)), text.non_iid_reading(result)


@st.cache_data(max_entries=32, show_spinner=False)
def coupling_view(moved: int, value: float):
    x = coupling.example_batch()
    result = coupling.move_one_sample(x, moved, value)
    return (vega_lite_spec(charts.coupling_chart(result)), vega_lite_spec(charts.jacobian_chart(result.jacobian)),
            text.coupling_reading(result, float(x[moved])))


@st.cache_data(max_entries=8, show_spinner=False)
def dropout_view(rate: float, mean: float):
    result = dropout.variance_shift(mean)
    return vega_lite_spec(charts.dropout_chart(result, rate)), text.dropout_reading(result, rate)


RESULT = "practice_result"  # the key of the open topic's result: what its controls rerun


def topic(name: str, show: Callable) -> None:
    """Claim → formula → the live experiment and its computed reading → the library call → caveats."""
    st.markdown(text.CLAIMS[name])
    st.latex(text.LATEX[name])
    st.fragment(experiment)(name, show)  # its controls and result rerun, not the claim, the code or the sidebar
    code_panel("In PyTorch / Keras", "lib", {"": text.CODE[name]})
    st.caption(text.CAVEATS[name])


def experiment(name: str, show: Callable) -> None:
    """The topic's controls, then `show(settings)` in a fragment of its own: a control reruns only the result
    (ui.layout.rerun_only), which reads the settings from session state. On the folding batch size: 6 -> 3 elements,
    server CPU per rerun 15–17 -> 14 ms, latency unchanged (same-minute A/B)."""
    settings = controls.PANELS[name](on_change=rerun_only(RESULT))
    if controls.ready(name, settings):
        st.fragment(lambda: show(controls.chosen_settings(name)), key=RESULT)()


def reading(sentence: str) -> None:
    st.info(sentence, icon=":material/insights:")


def chart(spec: dict) -> None:
    st.vega_lite_chart(spec, width="stretch")


def show_folding(settings: tuple[str, int, str]) -> None:
    spec, sentence, table = folding_view(*settings)
    chart(spec)
    reading(sentence)
    show_table(table)


def show_recalibration(settings: tuple[float, int]) -> None:
    spec, sentence = recalibration_view(*settings)
    chart(spec)
    reading(sentence)
    table, needed_spec, needed = recalibration_summary()
    st.markdown("**Momentum choices**: test loss above the population statistics', medians over 5 seeds.")
    show_table(table)
    chart(needed_spec)
    reading(needed)


def show_coupling(settings: tuple[int, float]) -> None:
    moved, value = settings
    outputs_spec, jacobian_spec, sentence = coupling_view(moved - 1, value)
    chart(outputs_spec)
    reading(sentence)
    chart(jacobian_spec)


def show_simple(view: Callable) -> Callable:
    """A topic whose experiment is one chart and one reading."""
    def show(settings) -> None:
        spec, sentence = view(*settings) if isinstance(settings, tuple) else view(settings)
        chart(spec)
        reading(sentence)
    return show


def page() -> None:
    shows = {"folding": show_folding, "recalibration": show_recalibration, "adabn": show_simple(adabn_view),
             "finetune": show_simple(fine_tune_view), "devices": show_simple(devices_view),
             "batches": show_simple(batches_view), "coupling": show_coupling, "dropout": show_simple(dropout_view)}
    # The topic is bound to the URL (?topic=...); only the chosen topic's experiment is computed.
    open_section({text.TOPICS[name]: (lambda name=name, show=show: topic(name, show)) for name, show in shows.items()},
                 key="topic", alone=True)


lab_page("🛠️ Batch norm in practice", text.LEAD, page, text.REFERENCES)
