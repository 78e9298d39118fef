"""Variants: Batch, Layer, Instance, Group and RMS normalization side by side."""

from functools import partial

import streamlit as st

from charts import variants as charts
from lessons import affine, renorm, variants
from lessons import variants_text as text
from ui.controls import bound, open_section
from ui.layout import card_row, lab_page, page_setup, redraw_page
from ui.tables import show_table
from ui.variants_controls import PART, lab_settings, part_starts, settings_controls, shape_controls, unchanged

page_setup("Variants", "🧩")


# Bounds from entry sizes pickled at N = 8, C = 12, H·W = 16 (scripts/measure_variants.py): ≤ 46 MB in all.
@st.cache_data(show_spinner=False, max_entries=32)  # 712 KB an entry (7,680-cell grid spec + facts): ≤ 23 MB
def sharing_view(shape, num_groups, cell):
    titles = variants.sharing_titles(shape, num_groups)
    return charts.sharing_spec(shape, num_groups, cell, titles), variants.facts_table(shape, num_groups)


@st.cache_data(show_spinner=False, max_entries=32)  # 481 KB an entry (two strip specs + lesson): ≤ 15 MB
def same_data_view(shape, num_groups, eps, seed):
    lesson = variants.same_data(shape, num_groups, eps, seed)
    return lesson, *charts.same_data_specs(lesson.x, lesson.outputs)


@st.cache_data(show_spinner=False, max_entries=64)  # 3.5 KB an entry (three small tables)
def beyond_view(shape, eps, seed):
    return affine.beyond_the_statistics(shape, eps, seed)


@st.cache_data(show_spinner=False, max_entries=64)  # 4.9 KB an entry (spec of 60 points + table)
def sensitivity_view(num_channels, spatial, num_groups, eps, seed):
    spreads = variants.batch_size_sensitivity(num_channels, spatial, num_groups, trials=32, eps=eps, seed=seed)
    return charts.sensitivity_spec(variants.BATCH_SIZES, spreads), variants.sensitivity_table(spreads)


@st.cache_data(show_spinner=False, max_entries=128)  # 56 KB an entry (600-step spec + 5 runs): ≤ 7 MB
def renorm_view(r_max, d_max):
    summary = renorm.renorm_summary(r_max, d_max)
    return charts.renorm_spec(summary.curves), summary


# 0.4 KB: the one experiment (2.5 s), shared by all g
ghost_result = st.cache_data(show_spinner=False, max_entries=1)(renorm.ghost_experiment)


@st.cache_data(show_spinner=False, max_entries=8)  # 8.6 KB an entry; there are 8 ghost sizes
def ghost_view(ghost_size):
    result, running = ghost_result(), renorm.ghost_running(ghost_size)
    return *charts.ghost_specs(result, running, ghost_size), result, running


def select_clicked_cell(chart_key: str) -> None:  # a click writes its (n, c, s) into the cell controls and URL
    points = st.session_state[chart_key]["selection"].get(charts.SELECTION) or []
    if points:
        st.session_state["cn"], st.session_state["cc"], st.session_state["cs"] = (
            int(points[0][k]) for k in ("n", "c", "s"))


@st.fragment(key=PART)
def show_sharing(shape, num_groups):
    st.markdown(text.SHARING_INTRO)
    st.latex(text.SHARING_FORMULA)
    row = card_row()
    cell = tuple(bound(row.select_slider, label, key=key, options=range(size), value=0, help=explained,
                       format_func=lambda k: str(k + 1))  # shown 1…N, as samples are numbered everywhere
                 for size, (label, key, explained) in zip(shape, text.CELL_CONTROLS, strict=True))
    # One chart key per selected cell: the chart starts with an empty selection, so clicking any cell, even the
    # one clicked before the controls moved the selection elsewhere, is a change that reaches the callback.
    chart_key = "grid_{}_{}_{}".format(*cell)
    spec, facts = sharing_view(shape, num_groups, cell)
    st.vega_lite_chart(spec, key=chart_key, on_select=partial(select_clicked_cell, chart_key),
                       selection_mode=charts.SELECTION, width="stretch")
    show_table(facts)
    st.caption(text.SHARING_CAPTION)


@st.fragment(key=PART)
def show_same_data(shape, num_groups):
    eps, seed = lab_settings()
    st.markdown(text.SAME_DATA_INTRO)
    lesson, input_spec, outputs_spec = same_data_view(shape, num_groups, eps, seed)
    for name, message in lesson.errors.items():
        st.warning(variants.cannot_run(name, message))
    st.vega_lite_chart(input_spec, width="stretch")
    st.vega_lite_chart(outputs_spec, width="stretch")
    st.markdown("**What is left of each kind of variation** (standard deviation of the named means or spreads; "
                f"below {variants.SPREAD_THRESHOLD:g} counts as removed):")
    show_table(lesson.spreads, index="layer")
    st.caption(text.SPREADS_CAPTION)
    st.markdown(f"{variants.equivalence_sentence(lesson.equivalences)}\n\n"
                f"{variants.single_vector_sentence(lesson.equivalences)}")


@st.fragment(key=PART)
def show_beyond(shape):
    eps, seed = lab_settings()
    comparison, running, tokens = beyond_view(shape, eps, seed)
    st.markdown(text.AFFINE_INTRO)
    show_table(comparison.table)
    st.markdown(affine.affine_sentence(comparison))
    st.markdown(text.INSTANCE_INTRO)
    if running is None:
        st.info(text.INSTANCE_NEEDS_SPATIAL)
    else:
        show_table(running.table)
    before, after = affine.token_sentences(tokens)
    st.markdown(before)
    show_table(tokens.per_token)
    st.markdown(after)


@st.fragment(key=PART)
def show_sensitivity(shape, num_groups):
    eps, seed = lab_settings()
    st.markdown(text.SENSITIVITY_INTRO.format(trials=32))
    spec, table = sensitivity_view(shape[1], shape[2], num_groups, eps, seed)
    if (missing := variants.sensitivity_missing(table, eps)) is not None:
        st.warning(missing)
    st.vega_lite_chart(spec, width="stretch")
    st.caption(variants.sensitivity_verdict(table))
    with st.expander("The numbers"):
        show_table(table, index="batch size")


@st.fragment(key=PART)
def show_renorm():
    st.markdown(text.RENORM_INTRO)
    st.latex(text.RENORM_FORMULA)
    cols = st.columns(2)
    r_max = bound(cols[0].slider, "$r_{max}$", key="rmax", min_value=1.0, max_value=5.0, value=3.0, step=0.25,
                  help="Limit on the scale correction r; 1 turns it off.")
    d_max = bound(cols[1].slider, "$d_{max}$", key="dmax", min_value=0.0, max_value=5.0, value=5.0, step=0.25,
                  help="Limit on the shift correction d; 0 turns it off.")
    spec, summary = renorm_view(r_max, d_max)
    st.markdown(text.RENORM_SETUP.format(seeds=len(summary.ratio)))
    st.vega_lite_chart(spec, width="stretch")
    row = card_row()
    for label, value, explained in renorm.renorm_metrics(summary):
        row.metric(label, value, help=explained)
    st.markdown(renorm.renorm_verdict(summary))


@st.fragment(key=PART)
def show_ghost():
    st.markdown(text.GHOST_INTRO)
    g = bound(st.select_slider, "Ghost batch size g", key="ghost", options=renorm.GHOST_SIZES, value=16,
              help="Samples per virtual batch. g = 256 is the whole batch: plain BatchNorm.")
    spec, running_spec, result, running = ghost_view(g)
    st.vega_lite_chart(spec, width="stretch")
    st.markdown(f"{renorm.ghost_verdict(result, g)}\n\n{renorm.ghost_running_verdict(running)}")
    st.vega_lite_chart(running_spec, width="stretch")


@st.fragment(key=PART)
def show_advice():
    for i, (situation, choice, reason, view, other_page) in enumerate(text.ADVICE):
        with st.container(border=True):
            st.markdown(f"**{situation}**: {choice}. {reason}")
            # Links under the advice, as wide as their labels: beside it, a narrow column cut them short.
            links = st.container(horizontal=True, vertical_alignment="center")
            # The section control is the explorer's, outside this fragment: redraw_page sets it.
            links.button(f"Open: {view}", key=f"open{i}", on_click=redraw_page, args=({"view": view},),
                         icon="➡️", help=f"Switch to the “{view}” part of this page.")
            if other_page is not None:
                links.page_link(other_page[0], label=other_page[1], icon=":material/open_in_new:")


PARTS = {  # each part, drawn from the tensor's shape (N, C, H·W) and G
    "Who shares statistics": show_sharing,
    "Same data, five layers": show_same_data,
    "Beyond the statistics": lambda shape, _num_groups: show_beyond(shape),
    "Batch-size sensitivity": show_sensitivity,
    "Batch Renorm": lambda _shape, _num_groups: show_renorm(),
    "Ghost BN": lambda _shape, _num_groups: show_ghost(),
    "When to use which": lambda _shape, _num_groups: show_advice(),
}


@st.fragment  # the shape controls rerun themselves and the open part, not the sidebar or the page's text
def explorer() -> None:
    shape_row = st.container()  # above the parts' control; drawn once the open part is known, which greys out some
    part_starts()
    open_section({name: lambda name=name, part=part: part(*shape_controls(shape_row, name))
                  for name, part in PARTS.items()}, key="view")


def page() -> None:
    settings_controls()
    explorer()
    unchanged()


lab_page("🧩 Normalization variants", text.LEAD, page, text.REFERENCES)
