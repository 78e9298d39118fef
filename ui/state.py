"""Session-wide data that pages hand to each other (not bound to the URL)."""

from __future__ import annotations

import numpy as np
import streamlit as st

_BATCH = "_shared_batch"


def share_batch(x: np.ndarray, source: str) -> None:
    """Make batch x of shape (N, F) the session's current batch, described by `source` (e.g. "Demo page")."""
    st.session_state[_BATCH] = (np.array(x, dtype=np.float64), source)


def shared_batch() -> tuple[np.ndarray, str] | None:
    """The batch another page shared in this session, as (x of shape (N, F), source), or None."""
    return st.session_state.get(_BATCH)
