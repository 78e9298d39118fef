"""The Formula page's controls: which batch, feature and sample to walk through, with γ, β and ε.

They live in the sidebar and are drawn only in the parts they shape (forward, ε, backward); the convolution part
has its own example and draws only ε. `persist_state="page"` keeps a control's value while its part is closed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import streamlit as st

from bn_core.data import seed_example_batch
from lessons.walkthrough import usable_batch
from ui.controls import bound, eps_control, format_eps, gamma_beta_controls
from ui.state import shared_batch

SOURCES = ("Demo page", "Seed example")
SEED_NAME = "the seed example batch"


@dataclass(frozen=True)
class Walk:
    """What the user picked: one feature (m,) of a batch, the sample i (0-based), γ, β, ε."""

    x_col: np.ndarray
    i: int
    gamma: float
    beta: float
    eps: float


def choose_batch() -> tuple[np.ndarray, str]:
    """The batch to walk through: the Demo page's (if shared and usable) or the seed example, and its name."""
    shared = shared_batch()
    if shared is None:
        st.caption("Using the seed example batch. Build a batch on the Demo page and it will appear here.")
        return seed_example_batch(), SEED_NAME
    source = bound(st.radio, "Batch", key="batch", options=SOURCES, horizontal=True, persist_state="page",
                   help="The batch you set up on the Demo page in this session, or the seed page's 8 × 4 example.")
    if source == SOURCES[1]:
        return seed_example_batch(), SEED_NAME
    x, name = shared
    if not usable_batch(x):
        st.warning(f"The batch from the {name} has shape {np.shape(x)} or holds non-finite values; a walk through "
                   "needs at least 2 samples and 1 feature of finite numbers. Showing the seed example batch instead.")
        return seed_example_batch(), SEED_NAME
    return np.asarray(x, dtype=np.float64), f"the batch from the {name}"


@dataclass(frozen=True)
class Batch:
    """The batch walked through (m, F), its name, and the feature (column) chosen."""

    x: np.ndarray
    name: str
    feature: int


def walk_controls(on_change: Callable[[], None]) -> Batch:
    """The sidebar controls of the walk-through. on_change: what a change of the sample, γ, β or ε reruns (the
    batch and the feature rerun the part: they change which controls are drawn)."""
    with st.sidebar:
        st.markdown("### Formula controls")
        x, batch_name = choose_batch()
        n_samples, n_features = x.shape
        feature = bound(st.radio, "Feature (column)", key="feature", options=tuple(range(n_features)),
                        horizontal=True, format_func=str, persist_state="page",
                        help="Which column of the batch to walk through; F0 is the first.")
        bound(st.selectbox, "Sample i for single-value steps", key="sample", options=tuple(range(1, n_samples + 1)),
              persist_state="page", on_change=on_change,
              help="The sample whose x̂ᵢ, yᵢ and ∂L/∂xᵢ are worked out in full.")
        gamma_beta_controls(feature, on_change=on_change)
        eps_control(on_change=on_change)
    return Batch(x, batch_name, feature)


def chosen_walk(batch: Batch) -> Walk:
    """What walk_controls are set to, read from session state (the walk's fragment reruns alone when the sample, γ,
    β or ε changes; ui.layout.rerun_only), and the banner saying what is walked through."""
    state, feature = st.session_state, batch.feature
    gamma, beta, eps, sample = state[f"gamma{feature}"], state[f"beta{feature}"], state["eps"], state["sample"]
    n_samples, n_features = batch.x.shape
    st.info(f"Walking through feature F{feature} of {batch.name} ({n_samples} samples × {n_features} features), "
            f"with γ = {gamma:g}, β = {beta:g}, ε = {format_eps(eps)}.", icon=":material/info:")
    return Walk(batch.x[:, feature], sample - 1, gamma, beta, eps)


def conv_eps() -> float:
    """The one sidebar control the convolution part uses."""
    with st.sidebar:
        st.markdown("### Formula controls")
        return eps_control()
