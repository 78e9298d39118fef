"""In practice: batch norm in real training and deployment, each pitfall a small live experiment on bn_core."""

from collections.abc import Callable

import streamlit as st

from charts import practice as charts
from charts.spec import vega_lite_spec
from lessons import batches, coupling, devices, dropout, folding, recalibration, transfer
from lessons import practice as text
from lessons.format import column_format
from ui import practice_controls as controls
from ui.controls import open_section
from ui.layout import lab_page, page_setup

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
            vega_lite_spec(charts.batches_needed_chart(counts, gaps)), text.batches_needed_reading(counts, gaps))


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


def topic(name: str, run: Callable[[], None]) -> None:
    """Claim → formula → the live experiment and its computed reading → the library call → caveats."""
    st.markdown(text.CLAIMS[name])
    st.latex(text.LATEX[name])
    st.fragment(run)()  # a control reruns only its own experiment, not the claim, the code or the sidebar
    st.markdown("**In PyTorch / Keras**")
    st.code(text.CODE[name], language="python")
    st.caption(text.CAVEATS[name])


def reading(sentence: str) -> None:
    st.info(sentence, icon=":material/insights:")


def chart(spec: dict) -> None:
    st.vega_lite_chart(spec, width="stretch")


def run_folding() -> None:
    spec, sentence, table = folding_view(*controls.folding_controls())
    chart(spec)
    reading(sentence)
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        name: st.column_config.NumberColumn(name, format=column_format(table[name])) for name in table.columns[1:]})


def run_recalibration() -> None:
    settings = controls.recalibration_controls()
    if not controls.ready("recalibration", settings):
        return
    spec, sentence = recalibration_view(*settings)
    chart(spec)
    reading(sentence)
    table, needed_spec, needed = recalibration_summary()
    st.markdown("**Momentum choices**: test loss above the population statistics', medians over 5 seeds.")
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        name: st.column_config.NumberColumn(name, format=column_format(table[name])) for name in table.columns})
    chart(needed_spec)
    reading(needed)


def run_coupling() -> None:
    moved, value = controls.coupling_controls(len(coupling.example_batch()))
    outputs_spec, jacobian_spec, sentence = coupling_view(moved - 1, value)
    chart(outputs_spec)
    reading(sentence)
    chart(jacobian_spec)


def run_simple(name: str, view: Callable, panel: Callable) -> Callable[[], None]:
    """A topic whose experiment is one chart and one reading."""
    def run() -> None:
        settings = panel()
        if not controls.ready(name, settings):
            return
        spec, sentence = view(*settings) if isinstance(settings, tuple) else view(settings)
        chart(spec)
        reading(sentence)
    return run


def page() -> None:
    runs = {"folding": run_folding, "recalibration": run_recalibration,
            "adabn": run_simple("adabn", adabn_view, controls.shift_controls),
            "finetune": run_simple("finetune", fine_tune_view, controls.fine_tune_controls),
            "devices": run_simple("devices", devices_view, controls.devices_controls),
            "batches": run_simple("batches", batches_view, controls.batches_controls), "coupling": run_coupling,
            "dropout": run_simple("dropout", dropout_view, controls.dropout_controls)}
    # The topic is bound to the URL (?topic=...); only the chosen topic's experiment is computed.
    open_section({text.TOPICS[name]: (lambda name=name, run=run: topic(name, run)) for name, run in runs.items()},
                 key="topic", alone=True)


lab_page("🛠️ Batch norm in practice", text.LEAD, page, text.REFERENCES)
