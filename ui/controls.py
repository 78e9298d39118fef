"""URL-bound controls: one mechanism for every page, shared values included, every input checked.

Why it is shaped this way (measured on Streamlit 1.67 in AppTest and in Chromium against `streamlit run`):

- **The widget itself is the store.** `bind="query-params"` with a `key` makes the key the URL parameter, and
  Streamlit 1.67 keeps a bound widget's value when the widget is not rendered: on a page switch the value is
  carried under its key and, when the next page renders a widget with the same key, written back into that
  page's URL. So a control shared across pages (ε `eps`, `momentum`, `gamma{j}`/`beta{j}`) is nothing but the
  same key on every page: no shadow copy. `persist_state="session"` adds nothing once `bind` is set (the
  binding takes precedence), and `st.page_link(query_params=...)` cannot carry a shared key from a page that
  binds it: Streamlit drops URL parameters bound on the page being left.
- **Page-local keys are kept apart by construction.** The same carrying makes a page-local key (the Demo's
  `steps`, `n`, `seed`, `preset`, `mode`) reach another page that uses the key for something else
  (`StreamlitValueBelowMinError`, or 100 training steps on the Demo). `bound` records every key in a registry
  per page; `ui.layout.page_setup` moves the keys of the page being left out of session state (into a stash,
  so coming back restores them) before the next page builds a widget. Session state therefore only ever holds
  the current page's local keys plus the shared ones: no collision, whatever names pages choose, and URLs stay
  as they were (namespacing the keys would have changed every link and every `st.session_state[...]` in the
  pages' callbacks).
- **Nothing reaches a widget unchecked.** A value arriving by URL or session state is checked against the
  domain the widget's own kwargs describe (`ui.domain`) before the widget is built: a link's value that is out
  of range, non-finite, unparseable, unknown, empty or repeated → the default (a session value out of range is
  clamped), each with one `st.toast` naming the parameter, what was wrong and what is used. A bad URL value
  must not reach the widget at all (Streamlit seeds from the URL as the page loads
  and `?seed=inf` raises `OverflowError` inside it), so the parameter is removed, the checked value goes to
  session state, the URL gets the checked value, and the widget is built without `bind` for that one run (no
  rerun: a link with twenty bad values costs no more than a good one).
- The sidebar's share box (`ui.share`) shows the page's URL as the browser has it, so it is current after
  callbacks, uploads, button presses and fragment-only reruns alike.
- A shared value yields only to a link: when a page is opened with the key in its URL, Streamlit seeds the
  widget from the link on its first run, over the carried session value. A value set by a callback
  (`set_control`) is a plain `st.session_state` write, Streamlit's documented way to change a bound widget
  (hence `disableWidgetStateDuplicationWarning` in .streamlit/config.toml: that write is intended).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

from ui import registry
from ui.domain import Domain, domain_of, from_session, from_url

EPS_OPTIONS = (0.0, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)


def _set_url(key: str, url_value: list[str] | None) -> None:
    """Write the URL parameter of a control that is not bound yet in this run (None: omit it, the default)."""
    with contextlib.suppress(StreamlitAPIException):  # bound already: Streamlit then keeps the URL itself
        if url_value is None:
            st.query_params.pop(key, None)
        else:
            st.query_params[key] = url_value


def _binding(key: str, domain: Domain) -> str | None:
    """Make the value this widget will read acceptable to it; return the `bind` to build it with.

    A bad URL value must not reach the widget (Streamlit seeds from the URL as the page loads, before any
    check): the URL gets the checked value instead, session state too, and the widget is built unbound for this
    one run (from the next run on the URL it seeds from is the corrected one).
    """
    if registry.first_use_on_page(key) and key in st.query_params:
        raw = st.query_params.get_all(key)
        verdict = from_url(domain, raw)
        if verdict.problem is None and domain.url_value(verdict.value) in (raw, None):
            return "query-params"
        if verdict.problem is not None:
            registry.notify(key, verdict.problem)
        st.session_state[key] = verdict.value
        _set_url(key, domain.url_value(verdict.value))
        return None
    if key in st.session_state:
        verdict = from_session(domain, st.session_state[key])
        if verdict.problem is not None:
            registry.notify(key, verdict.problem)
            st.session_state[key] = verdict.value
        if registry.take_restored(key) or verdict.problem is not None:
            _set_url(key, domain.url_value(verdict.value))
    return "query-params"


def bound(widget: Callable, label: Any, *, key: str, shared: bool = False, **kwargs) -> Any:
    """Render `widget(label, key=key, bind="query-params", **kwargs)` and return its value.

    The URL parameter `key` and any session value are first checked against the domain in `kwargs` (see the
    module docstring). shared=True: the value follows the user to the other pages of this session (every page
    that uses the key must pass shared=True and the same domain).
    """
    domain = domain_of(widget.__name__, kwargs)
    registry.register(key, shared=shared, domain=domain)
    bind = "query-params" if domain is None else _binding(key, domain)
    value = widget(label, key=key, bind=bind, **kwargs)
    registry.flush_notices()
    return value


SECTIONS_LABEL = "Part of this page"


def open_section(views: dict[str, Callable[[], None]], *, key: str, alone: bool = False,
                 fragment_key: str | None = None) -> None:
    """A segmented control naming the page's sections (`views`), bound to the URL under `key`; only the chosen
    section's view runs, below the control.

    Not st.tabs: Streamlit 1.67's tab bar costs the browser time on every rerun of its page. `scripts/benchmark.py
    --elements`: the one-slider page with a bar of 8 tabs is 1.5× the bare page's latency, with a segmented control
    of 8 options 1.0×.

    alone=True: the control and its section are their own fragment, so a switch reruns them and not the page. Then
    either every view draws in the sidebar or none does: Streamlit 1.67 lets a fragment write to st.sidebar only if
    it wrote there in the page's full run (the Formula page's sections each draw their own sidebar controls);
    fragment_key names that fragment for ui.layout.rerun_only."""
    if alone:
        st.fragment(open_section, key=fragment_key)(views, key=key)
        return
    names = tuple(views)
    chosen = bound(st.segmented_control, SECTIONS_LABEL, key=key, options=names, default=names[0], required=True,
                   label_visibility="collapsed", width="stretch",  # full width: the page's parts, not one setting
                   help="Only the part you choose is computed; the link keeps your choice.")
    views[chosen]()


def set_control(key: str, value: Any) -> None:
    """Change a bound control from code (e.g. in a button's callback): the widget and the URL follow."""
    st.session_state[key] = value


def format_eps(eps: float) -> str:
    return "0" if eps == 0 else f"{eps:.0e}"


def eps_control(container=st, on_change: Callable[[], None] | None = None) -> float:
    """ε, from 0 to 1e-1 on a log scale (default 1e-5), shared across pages."""
    return bound(
        container.select_slider, "ε (epsilon)", key="eps", shared=True, options=EPS_OPTIONS, value=1e-5,
        format_func=format_eps, on_change=on_change,
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


def gamma_beta_controls(feature: int, gamma_container=st, beta_container=st, *, name: str | None = None,
                        on_change: Callable[[], None] | None = None) -> tuple[float, float]:
    """γ and β of one feature (keys gamma{j}, beta{j}), shared across pages: set on the Demo page, seen on the
    Formula page. name: how the help text calls the feature (default F{j})."""
    name = name or f"F{feature}"
    gamma = bound(gamma_container.number_input, f"γ{feature} (scale of F{feature})", key=f"gamma{feature}",
                  shared=True, value=1.0, step=0.1, format="%.4f", on_change=on_change,
                  help=f"Learnable scale of feature {feature} ({name}); 1 keeps x̂'s spread.")
    beta = bound(beta_container.number_input, f"β{feature} (shift of F{feature})", key=f"beta{feature}",
                 shared=True, value=0.0, step=0.1, format="%.4f", on_change=on_change,
                 help=f"Learnable shift of feature {feature} ({name}); 0 keeps x̂ centred.")
    return gamma, beta


def seed_control(container=st, key: str = "seed", on_change: Callable[[], None] | None = None) -> int:
    """A random seed (bound to the URL)."""
    return bound(container.number_input, "Seed", key=key, min_value=0, max_value=2**31 - 1, value=0, step=1,
                 on_change=on_change,
                 help="Same seed, same random numbers: a link with a seed reproduces the view exactly.")
