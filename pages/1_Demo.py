"""The Demo page: push one batch through a batch-normalization layer and watch every feature move and rescale.

Everything that shapes the view is bound to the URL, including the running statistics: they are the result of
`steps` training steps on fresh batches drawn from the same populations, so a link reproduces them.
"""

import streamlit as st

from charts.demo import DATASET, with_ticks
from charts.palette import STAGE_LABELS
from lessons import demo, shapes
from lessons.torch_errors import TORCH_ZERO_EPS_ERROR
from ui import demo_controls as controls
from ui.controls import bound
from ui.demo_cache import chart_spec, own_batch, random_batch, running_statistics, stage_data
from ui.demo_numbers import numbers_view
from ui.layout import lab_page, page_setup, rerun_only, small_print
from ui.state import share_batch

page_setup("Demo", "🎛️")

LAYER = "demo_layer"  # the key of layer_view's fragment: what a change of the layer's controls reruns
EVIDENCE = "demo_evidence"  # the key of insight_evidence's fragment: what a change of mode, ε or steps also reruns


@st.fragment
def distribution_view(result: demo.LayerPass, names: list[str], gamma, beta) -> None:
    """The three stages side by side (stacked on a phone); its own control reruns only this view."""
    # A row that wraps: the options go under the heading where both do not fit (a phone, a 1024 px screen).
    with st.container(horizontal=True, vertical_alignment="bottom", horizontal_alignment="distribute"):
        st.subheader("Each feature, stage by stage", width="content")
        view = controls.view_control()
    subtitle = "zero mean, unit variance" if result.training else "with the running statistics"
    panels = (("input", result.x, names, "the batch as it comes", None),
              ("normalized", result.xhat, names, subtitle, shapes.normalized_ticks(result.xhat)),
              ("output", result.y, shapes.output_labels(names, gamma, beta), "y = γ·x̂ + β",
               shapes.round_ticks(result.y)))
    for column, (stage, values, labels, note, ticks) in zip(st.columns(3), panels, strict=True):
        spec = with_ticks(chart_spec(stage, view, len(names), STAGE_LABELS[stage], note, ticks is not None), ticks)
        spec["datasets"] = {DATASET: stage_data(values, labels, view)}
        column.vega_lite_chart(spec, width="stretch")
    st.caption("Each row is a feature; strokes are samples, the diamond is the mean and the bar spans ±1σ. "
               "**Input**: each feature at its own location and spread. **Normalized**: all centred on the dashed "
               "zero line with unit spread (in training mode), their shapes unchanged. **Output**: γ stretches and "
               "β moves each feature, as the network learns to.")


def layer_notices(training: bool, single_sample: bool, result: demo.LayerPass, names: list[str]) -> None:
    """What the layer cannot do with these settings, and what is shown instead."""
    if training and single_sample:
        st.info("**Batch norm cannot train on a single sample.** With one value per feature the batch mean is that "
                "value and the batch variance is 0, so x̂ would be 0 for every input and the running variance (divide "
                "by m − 1 = 0) undefined. PyTorch refuses: `ValueError: Expected more than 1 value per channel when "
                "training`. Shown instead: inference mode, which uses the running statistics and works for any batch "
                "size.", icon=":material/block:")
    if result.pytorch_refuses:
        st.info("**ε = 0 in training: the formula divides by $\\sigma_B$, and PyTorch refuses.** PyTorch 2.13's "
                "`BatchNorm1d` and `F.batch_norm` raise the error below in training mode, so the tables and charts "
                "show the bare formula $\\hat x = (x - \\mu_B) / \\sqrt{\\sigma_B^2}$, not PyTorch. It is finite "
                "unless a feature is constant; in inference mode PyTorch accepts ε = 0 (it divides by the running "
                "variance).",
                icon=":material/school:")
        st.code(f"torch.nn.BatchNorm1d({len(names)}, eps=0.0)(x)\n# {TORCH_ZERO_EPS_ERROR}", language="python")
    if (note := demo.zero_division_note(result, names)) is not None:
        st.warning(note, icon=":material/warning:")


def insight_cards(batch: demo.DemoBatch) -> list:
    """The six insights, each with a button (or link) to try it. What the layer's settings change in them, each
    card's evidence and the undo button's values, insight_evidence writes into the slots returned (one per card, in
    order): a change of ε or the mode then does not send the cards again (their 23 elements were a third of its
    rerun)."""
    st.subheader("Key insights, each one to try")
    # Two cards a row: in three, a 1024 px screen cut the buttons' labels short.
    cards = [column for _ in range(3) for column in st.columns(2, border=True)]
    slots = []
    for card, (title, body) in zip(cards, demo.INSIGHTS, strict=True):
        card.markdown(f"**{title}**\n\n{body}")
        slots.append(card.container())
    cards[0].button("Try odd-shaped features", key="try_shapes", on_click=controls.try_odd_shapes,
                    help="Random batch of 64 with skewed, bimodal, heavy-tailed and outlier-laden features, as "
                         "histograms.")
    cards[1].button("5 training steps, then inference", key="try_inference", on_click=controls.try_inference,
                    help="Take five training steps and switch the layer to inference mode.")
    cards[3].page_link("pages/6_Why_it_works.py", label="Test the claims", icon=":material/science:")
    for scale, key in ((3.0, "try_shift"), (-3.0, "try_flip")):
        cards[4].button(f"Apply x → {scale:g}x + 10".replace("-", "−"), key=key, on_click=controls.try_affine_input,
                        args=(batch.x, list(batch.names), scale),
                        help="Replace the batch by this affine map of it (as your own batch) and compare x̂.")
    cards[5].button("Make the first feature constant, ε = 0", key="try_eps", on_click=controls.try_constant_feature,
                    args=(batch.x, list(batch.names)),
                    help="Set every value of the first feature to its mean and ε to 0.")
    return slots


@st.fragment(key=EVIDENCE)
def insight_evidence(batch: demo.DemoBatch, seed: int, slots: list) -> None:
    """Each card's evidence at these settings, and the third card's button, which sets γ and β from them. Its own
    fragment, writing into the cards' slots (a fragment holding another, as layer_view does the distribution view,
    left the inner one's old elements on the page when it wrote into a container drawn outside it)."""
    layer, running, training_pass, inference_pass, result = layer_passes(batch, seed)
    evidence = demo.insight_evidence(batch, result, training_pass, inference_pass, seed, layer.steps)
    for slot, now in zip(slots, evidence, strict=True):
        slot.markdown(small_print(now))
    slots[2].button("Set γ = √(σ²+ε), β = μ", key="try_undo", on_click=controls.set_affine,
                    args=demo.undo_parameters(result),
                    help="Set every feature's γ and β to the statistics the layer divides by and subtracts.")




def page() -> None:
    with st.sidebar:
        st.markdown("#### 1 · The batch")
        preset, seed, specs, batch_size = controls.batch_controls()
        with st.expander("Your own batch: upload or type", expanded=preset == "custom"):
            controls.own_batch_controls()
        if preset == "random":
            batch = random_batch(specs, batch_size, seed)
        else:
            batch = own_batch(st.session_state.get("data", "")) if preset == "custom" else demo.seed_batch()
        st.caption(batch.source_note)
        share_batch(batch.x, "Demo page")
        st.markdown("#### 2 · The layer")
        # A change of mode, ε, steps, γ or β reruns only layer_view (and the insights' evidence), not these
        # controls: the Demo's key press sent 78 elements, then 42 (same-minute A/B: 250 -> 203 ms), now 33.
        controls.layer_controls(can_train=batch.x.shape[0] > 1, on_change=rerun_only(LAYER, EVIDENCE))
        with st.expander("γ and β per feature"):
            controls.affine_controls(batch.names, on_change=rerun_only(LAYER))
            undo_slot = st.container()
    layer_view(batch, preset, seed, undo_slot)
    insight_evidence(batch, seed, insight_cards(batch))


def layer_passes(batch: demo.DemoBatch, seed: int):
    """The layer's settings, its running statistics, its passes in both modes (training None for one sample) and the
    pass shown."""
    layer = controls.layer_settings(len(batch.names))
    running = running_statistics(layer.steps, layer.momentum, seed, batch)
    inference_pass = demo.layer_pass(batch.x, layer.gamma, layer.beta, eps=layer.eps, training=False,
                                     running_mean=running.mean, running_var=running.var)
    training_pass = None if batch.x.shape[0] == 1 else demo.layer_pass(batch.x, layer.gamma, layer.beta,
                                                                       eps=layer.eps, training=True,
                                                                       running_mean=None, running_var=None)
    result = training_pass if layer.mode == "training" and training_pass is not None else inference_pass
    return layer, running, training_pass, inference_pass, result


@st.fragment(key=LAYER)
def layer_view(batch: demo.DemoBatch, preset: str, seed: int, undo_slot) -> None:
    """Everything the layer's settings shape but the insights' evidence: the undo buttons (in the sidebar's
    `undo_slot`) and the main area above the insight cards."""
    layer, running, training_pass, inference_pass, result = layer_passes(batch, seed)
    upload = controls.upload_report()
    problems = (*(upload.messages(preset == "custom") if upload else ()), *batch.problems,
                *((running.problem,) if running.problem else ()))
    for problem in problems:
        (st.error if problem.level == "error" else st.warning)(problem.message, icon=":material/warning:")

    gamma, beta = layer.gamma, layer.beta
    names = list(batch.names)

    buttons = undo_slot.container(horizontal=True)
    buttons.button("Undo the normalization", key="undo", on_click=controls.set_affine,
                   args=demo.undo_parameters(result), width="stretch",
                   help="γ = √(σ² + ε) and β = μ of the statistics in use: the output equals the input.")
    buttons.button("γ = 1, β = 0", key="reset_affine", on_click=controls.set_affine,
                   args=([1.0] * len(names), [0.0] * len(names)), width="stretch",
                   help="Back to PyTorch's initial values.")

    layer_notices(layer.mode == "training", training_pass is None, result, names)

    distribution_view(result, names, gamma, beta)
    st.info(demo.mode_note(result, running.batches_seen, layer.momentum, names, can_train=batch.x.shape[0] > 1),
            icon=":material/school:")

    # Collapsed by default and computed only when open (its ~45 elements were half of a rerun's server CPU); the link
    # carries whether it is open.
    numbers = bound(st.expander, "The numbers: every value, the batch statistics, the running statistics",
                    key="numbers", icon=":material/table:")
    if numbers.open:
        with numbers:
            numbers_view(batch, result, running, gamma, beta, layer.momentum, own_batch=preset == "custom")


lab_page("🎛️ Batch normalization, one batch at a time", demo.LEAD, page, demo.REFERENCES)
