"""The Variants page's controls: the (N, C, H·W) tensor every part of the page normalizes and GroupNorm's G, and
the sidebar's ε and seed."""

from __future__ import annotations

import streamlit as st

from lessons import variants
from ui.controls import bound, eps_control, seed_control
from ui.layout import card_row, rerun_fragment

# The sidebar's ε and seed rerun the open part if it uses them (the key every part's fragment shares; one part is
# drawn at a time), else an empty fragment: the other parts show nothing that depends on them. A key press on ε
# sent 20 elements: the shape controls and the open part. On the first part it now sends one (same-minute A/B:
# 116 -> 95 ms, server CPU 18 -> 7 ms).
PART = "variants_part"
UNCHANGED = "variants_unchanged"
READS_SETTINGS = "_variants_part_reads_settings"


def lab_settings() -> tuple[float, int]:
    """The sidebar's ε and seed, for a part: read from session state, since a part reruns alone when they change."""
    st.session_state[READS_SETTINGS] = True
    return st.session_state["eps"], st.session_state["seed"]


def settings_controls() -> None:
    """ε and the seed, in the sidebar."""
    eps_control(st.sidebar, on_change=settings_changed)
    seed_control(st.sidebar, on_change=settings_changed)


def part_starts() -> None:
    """Before the open part is drawn: it reads no setting until it calls lab_settings."""
    st.session_state[READS_SETTINGS] = False


def settings_changed() -> None:
    """ε or the seed moved: rerun the open part if it read them when it was drawn."""
    rerun_fragment(PART if st.session_state.get(READS_SETTINGS) else UNCHANGED)


@st.fragment(key=UNCHANGED)
def unchanged() -> None:
    """Draws nothing: what settings_changed reruns when the open part does not use ε or the seed."""


SHAPE_KEYS = ("n", "c", "hw", "g")
# Which of the shape controls (N, C, H·W, G) each part of the page reads; the others are greyed out while it is open.
SHAPE_USED_BY = {
    "Who shares statistics": {"n", "c", "hw", "g"},
    "Same data, five layers": {"n", "c", "hw", "g"},
    "Beyond the statistics": {"n", "c", "hw"},
    "Batch-size sensitivity": {"c", "hw", "g"},  # it tries every batch size
}
UNUSED_NOTE = {
    "Batch-size sensitivity": (f"N is greyed out: this part tries batch sizes from {variants.BATCH_SIZES[0]} to "
                               f"{variants.BATCH_SIZES[-1]} itself."),
    "Beyond the statistics": "G is greyed out: this part compares LayerNorm and InstanceNorm, not GroupNorm.",
}
OWN_DATA_NOTE = "Greyed out: this part draws its own data, so the tensor's shape above does not change it."


def shape_controls(container, part: str) -> tuple[tuple[int, int, int], int]:
    """Four sliders in a row in `container`: ((N, C, H·W), G), G always a divisor of C. The ones the open `part`
    does not read are disabled (still in the link, and as they were when a part that reads them opens)."""
    used = SHAPE_USED_BY.get(part, set())
    row = card_row(container)
    num_samples = bound(row.slider, "Batch size N", key="n", min_value=1, max_value=8, value=4,
                        disabled="n" not in used, help="Samples in the batch: the rows of each grid.")
    num_channels = bound(row.slider, "Channels C", key="c", min_value=1, max_value=12, value=6,
                         disabled="c" not in used, help="Feature maps per sample: the patches of each grid row.")
    spatial = bound(row.slider, "Positions per channel H·W", key="hw", min_value=1, max_value=16, value=4,
                    disabled="hw" not in used,
                    help="The spatial size of each feature map, flattened (a 2 × 2 image has 4 positions).")
    num_groups = bound(row.select_slider, "Groups G (GroupNorm)", key="g",
                       options=variants.divisors(num_channels), value=2 if num_channels % 2 == 0 else 1,
                       disabled="g" not in used,
                       help="GroupNorm splits the C channels into G groups of C/G; only divisors of C are possible. "
                            "G = 1 has LayerNorm's statistics, G = C InstanceNorm's.")
    if len(used) < len(SHAPE_KEYS):
        container.caption(UNUSED_NOTE.get(part, OWN_DATA_NOTE))
    return (num_samples, num_channels, spatial), num_groups
