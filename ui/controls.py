"""URL-bound controls, some shared across pages.

Every control that shapes a view is bound to the URL (`bind="query-params"`), so a copied link reopens
the same state. Controls made with `shared=True` also carry their value to the other pages of the same
session: Streamlit scopes widget state to a page, so the value is kept in a session-wide store and
seeded into the widget when a page renders it without a URL parameter of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

_SHARED = "_shared_controls"

EPS_OPTIONS = (0.0, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)


def _shared_store() -> dict[str, Any]:
    return st.session_state.setdefault(_SHARED, {})


def bound(widget: Callable, label: str, *, key: str, shared: bool = False, **kwargs) -> Any:
    """Render `widget(label, key=key, bind="query-params", **kwargs)` and return its value.

    shared=True: the value follows the user to the other pages of this session.
    """
    if not shared:
        return widget(label, key=key, bind="query-params", **kwargs)
    store = _shared_store()
    if key not in st.query_params and key in store:
        # Without a URL parameter the widget would start at its default on a page it was not rendered on yet
        # (st.session_state.get(key) may still report the other page's widget). Setting it through session state
        # also makes Streamlit write the value into this page's URL.
        st.session_state[key] = store[key]

    def remember() -> None:
        store[key] = st.session_state[key]

    value = widget(label, key=key, bind="query-params", on_change=remember, **kwargs)
    store[key] = value
    return value


def open_tab(views: dict[str, Callable[[], None]], *, key: str) -> None:
    """Tabs named by `views`, the open one bound to the URL under `key`; only the open tab's view runs."""
    for tab, show in zip(bound(st.tabs, tuple(views), key=key), views.values(), strict=True):
        if tab.open:
            with tab:
                show()


def set_control(key: str, value: Any) -> None:
    """Change a bound control from code (e.g. in a button's callback); a shared control's session-wide copy
    changes with it, or `bound` would restore the old value on the next run."""
    st.session_state[key] = value
    store = _shared_store()
    if key in store:
        store[key] = value


def format_eps(eps: float) -> str:
    return "0" if eps == 0 else f"{eps:.0e}"


def eps_control(container=st) -> float:
    """ε, from 0 to 1e-1 on a log scale (default 1e-5), shared across pages."""
    return bound(
        container.select_slider, "ε (epsilon)", key="eps", shared=True, options=EPS_OPTIONS, value=1e-5,
        format_func=format_eps,
        help="Added to the variance before the square root: keeps the division finite when a feature is "
             "constant. PyTorch's default is 1e-5, Keras' 1e-3.",
    )


def momentum_control(container=st) -> float:
    """Momentum in PyTorch's convention (weight of the new batch), shared across pages; shows both readings."""
    momentum = bound(
        container.slider, "Momentum (PyTorch: weight of the new batch)", key="momentum", shared=True,
        min_value=0.01, max_value=1.0, value=0.1, step=0.01,
        help="PyTorch: running = (1 − m)·running + m·batch, default 0.1. Keras and the seed page state the "
             "same update with the weight of the old value: Keras momentum = 1 − m (0.9 here means m = 0.1).",
    )
    container.caption(f"PyTorch `momentum={momentum:g}` = Keras `momentum={1 - momentum:g}` "
                      f"(old value kept at {1 - momentum:.0%}, new batch {momentum:.0%}).")
    return momentum


def gamma_beta_controls(feature: int, gamma_container=st, beta_container=st, *, name: str | None = None
                        ) -> tuple[float, float]:
    """γ and β of one feature (keys gamma{j}, beta{j}), shared across pages: set on the Demo page, seen on the
    Formula page. name: how the help text calls the feature (default F{j})."""
    name = name or f"F{feature}"
    gamma = bound(gamma_container.number_input, f"γ{feature} (scale of F{feature})", key=f"gamma{feature}",
                  shared=True, value=1.0, step=0.1, format="%.4f",
                  help=f"Learnable scale of feature {feature} ({name}); 1 keeps x̂'s spread.")
    beta = bound(beta_container.number_input, f"β{feature} (shift of F{feature})", key=f"beta{feature}",
                 shared=True, value=0.0, step=0.1, format="%.4f",
                 help=f"Learnable shift of feature {feature} ({name}); 0 keeps x̂ centred.")
    return gamma, beta


def seed_control(container=st, key: str = "seed") -> int:
    """A random seed (bound to the URL)."""
    return bound(container.number_input, "Seed", key=key, min_value=0, max_value=2**31 - 1, value=0, step=1,
                 help="Same seed, same random numbers: a link with a seed reproduces the view exactly.")
