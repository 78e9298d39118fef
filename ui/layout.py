"""Page setup and the sidebar every page shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from ui import registry
from ui.controls import bound
from ui.share import share_link
from ui.tables import show_table
from ui.transport import send_without_delay, wake_in_batches


@dataclass(frozen=True)
class PageInfo:
    path: str
    label: str
    icon: str
    summary: str

    @property
    def url_path(self) -> str:
        """The page's URL path: "" for the home page, "Demo" for pages/1_Demo.py (file name minus its number)."""
        return "" if self.path == "app.py" else self.path.removeprefix("pages/").removesuffix(".py").split("_", 1)[1]


PAGES = (
    PageInfo("app.py", "Home", ":material/home:", "What batch normalization is, and a map of the lab."),
    PageInfo("pages/1_Demo.py", "Demo", ":material/tune:",
             "Push a batch through the layer and watch each feature's distribution move and rescale."),
    PageInfo("pages/2_Formula.py", "Formula", ":material/functions:",
             "The forward and backward pass, step by step, with your own numbers substituted."),
    PageInfo("pages/3_Training_vs_Inference.py", "Training vs inference", ":material/swap_horiz:",
             "Running statistics, momentum conventions and the classic train/eval pitfalls."),
    PageInfo("pages/4_Variants.py", "Variants", ":material/grid_view:",
             "Batch, Layer, Instance, Group and RMS norm: which values share statistics."),
    PageInfo("pages/5_In_practice.py", "In practice", ":material/build:",
             "Folding, recalibration, fine-tuning, many GPUs, odd batches: batch norm's pitfalls, each an experiment."),
    PageInfo("pages/6_Why_it_works.py", "Why it works", ":material/science:",
             "Train small networks with and without batch norm and test the claims yourself."),
    PageInfo("pages/7_Deep_networks.py", "Deep networks", ":material/stacks:",
             "Network health, gradients at depth, and scale invariance: what BatchNorm does inside deep networks."),
)


def page_setup(title: str, icon: str) -> None:
    """Configure the page (wide layout), send replies without Nagle's delay (ui.transport), keep other pages'
    controls out of it (ui.registry.enter_page) and draw the shared sidebar: navigation, then the share link (the
    page's URL, which every bound control keeps current)."""
    st.set_page_config(page_title=f"{title} · BatchNorm Lab", page_icon=icon, layout="wide")
    send_without_delay()
    wake_in_batches()
    registry.enter_page(title)
    with st.sidebar:
        st.markdown("### BatchNorm Lab")
        for page in PAGES:
            st.page_link(page.path, label=page.label, icon=page.icon)
        st.caption("Link to this view:")
        share_link()


PAGE_FRAGMENT = "page"  # the key of page_body's fragment
PENDING = "_lab_pending_controls"  # control values redraw_page leaves for the page's next run


def page_body(draw: Callable[[], None]) -> None:
    """Run `draw`, the page's content with its sidebar controls, as one st.fragment: a control then reruns the
    content, not the frame page_setup drew (navigation, share box, Streamlit's listing of pages/).

    Streamlit 1.67 lets a fragment write to st.sidebar, into a slot after the share box, if it wrote there in the
    page's full run. Measured on the benchmark's one-slider page in the lab's frame: rerunning the frame too made
    a key press 1.5× the bare page's latency and 2.2× its server CPU; as a fragment it is 1.3× and 1.0×."""
    def body() -> None:
        st.session_state.update(st.session_state.pop(PENDING, {}))
        draw()
    st.fragment(body, key=PAGE_FRAGMENT)()


def rerun_fragment(*fragment_keys: str) -> None:
    """From a widget's callback: rerun the fragments `fragment_keys` (st.fragment(key=...)), in one script run,
    instead of the fragment the widget is drawn in. The last statement of the callback: it ends the callback.

    If one of them was not drawn in its parent's last run (an experiment waiting for a click, say), Streamlit 1.67
    knows no such fragment; the widget's own fragment then reruns, as it would without the callback."""
    try:
        st.rerun(list(fragment_keys))
    except StreamlitAPIException as error:
        if error.error_id != "rerun-unknown-fragment-key":
            raise


def rerun_only(*fragment_keys: str) -> Callable[[], None]:
    """A control's on_change that reruns only the fragments `fragment_keys`: for a control whose change redraws
    nothing but them. The browser shows the control's new value itself, so the control and its neighbours are not
    sent again. A fragment reruns with the arguments of its last call, so it reads such a control's value from
    st.session_state."""
    def rerun() -> None:
        rerun_fragment(*fragment_keys)
    return rerun


def redraw_page(values: dict[str, Any]) -> None:
    """The last statement of a callback that sets controls drawn outside the clicked widget's fragment (a button
    in the content that moves a sidebar control): rerun the page's whole fragment with the controls set to
    `values` (key: value).

    The values are written as the page's fragment starts, before its widgets are built: written by a callback
    whose rerun is another fragment's, a value reaches session state in Streamlit 1.67 but not the browser's
    widget, which goes on showing (and sending) its old value."""
    st.session_state[PENDING] = {**st.session_state.get(PENDING, {}), **values}
    rerun_fragment(PAGE_FRAGMENT)


def lab_page(title: str, lead: str, draw: Callable[[], None], references: str | pd.DataFrame) -> None:
    """A page of the lab: its title and lead, then `draw` in page_body, then its references (Markdown, or a table
    of claims and sources) in an expander.

    Title, lead and references do not depend on any control, so they sit outside the fragment and a control's rerun
    does not send them again: on Variants, whose references are a table, that was 149 -> 132 ms a key press
    (same-minute A/B)."""
    st.title(title)
    st.markdown(lead)
    page_body(draw)
    with st.expander("References", icon=":material/menu_book:"):
        if isinstance(references, str):
            st.markdown(references)
        else:
            show_table(references)


def card_row(container=st):
    """A row of metric cards or of controls in `container`: one horizontal container whose items share its width
    and wrap on a phone (two to a line at 390 px, where columns stacked one per line). Columns cost a block per item
    as well as the row: Training vs inference sends 9 elements for its 7 metrics instead of 16 (a little less server
    CPU per rerun; the latency moved within the noise)."""
    return container.container(horizontal=True, gap="medium")


def code_panel(label: str, key: str, blocks: dict[str, str], caption: str = "") -> None:
    """Library code in an expander bound to the URL under `key`, drawn only while open: `blocks` maps a heading
    ("" for none) to its Python code, `caption` follows them.

    Streamlit's code highlighter is loaded and set up by a page's first st.code: on Training vs inference ~250 ms of
    a new visitor's first render (same-minute A/B, 1.88 -> 1.63 s), while a collapsed expander still draws its
    contents."""
    panel = bound(st.expander, label, key=key, icon=":material/code:")
    if not panel.open:
        return
    with panel:
        for heading, code in blocks.items():
            if heading:
                st.markdown(f"**{heading}**")
            st.code(code, language="python")
        if caption:
            st.caption(caption)


def small_print(text: str) -> str:
    """`text` as Markdown in st.caption's small grey type, for a caption inside another Markdown element (its
    square brackets escaped, so they cannot end the directive)."""
    escaped = text.replace("[", "\\[").replace("]", "\\]")
    return f":gray[:small[{escaped}]]"
