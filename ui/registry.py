"""Session bookkeeping behind `ui.controls.bound` and `ui.layout.page_setup` (why: see ui/controls.py).

Per session: which page the user is on, which keys each page's `bound` calls used (page-local or shared), the
page-local values stashed when the user left a page and the notices still to show. Everything lives in
`st.session_state` under `_ui_*` keys, so sessions never mix.
"""

from __future__ import annotations

import streamlit as st

from ui.domain import Domain

_PAGE = "_ui_page"          # title of the page this session is on
_PAGE_KEYS = "_ui_keys"     # page title -> set of the page-local keys its controls use
_SHARED = "_ui_shared"      # keys of controls shared across pages
_DOMAINS = "_ui_domains"    # key -> the Domain its control was last built with (what the fuzz test feeds)
_STASH = "_ui_stash"        # page title -> {key: value} of its page-local controls when the user left it
_CHECKED = "_ui_checked"    # keys whose URL value was checked during this visit of the page
_NOTICES = "_ui_notices"    # notices not shown yet (they survive the rerun that drops a bad URL value)
_RESTORED = "_ui_restored"  # keys restored from the stash on entering the page, not yet written to the URL


def enter_page(title: str) -> None:
    """Called first on every run of a page. On a page switch, the page-local values of the page left are moved
    to its stash (and the page entered gets its own back), so no key ever means two things at once."""
    state = st.session_state
    if state.get(_PAGE) != title:
        _switch_page(state.get(_PAGE), title)


def _switch_page(left: str | None, entered: str) -> None:
    state = st.session_state
    page_keys = state.setdefault(_PAGE_KEYS, {})
    shared = state.setdefault(_SHARED, set())
    stash = state.setdefault(_STASH, {})
    if left is not None:
        saved = {}
        for key in page_keys.get(left, set()) - shared:
            if key in state:
                saved[key] = state[key]
                del state[key]
        stash[left] = saved
    restored = set()
    for key, value in stash.pop(entered, {}).items():
        if key not in st.query_params:
            state[key] = value
            restored.add(key)
    for key in shared:
        if key in state:
            # Re-set the carried value, so this page's widget and URL take it in this very run (Streamlit alone
            # would show the default for one run under AppTest). A link's parameter still wins: on a widget's
            # first run the URL seeds it over any session value.
            state[key] = state[key]
    state[_PAGE] = entered
    state[_CHECKED] = set()
    state[_RESTORED] = restored


def register(key: str, *, shared: bool, domain: Domain | None) -> None:
    """Record that the current page's control `key` is shared, or local to this page, and what it accepts."""
    state = st.session_state
    state.setdefault(_DOMAINS, {})[key] = domain
    if shared:
        state.setdefault(_SHARED, set()).add(key)
    else:
        state.setdefault(_PAGE_KEYS, {}).setdefault(state.get(_PAGE), set()).add(key)


def bound_controls(state) -> dict[str, Domain | None]:
    """Every key a `bound` control used in this session, with its domain (None: a widget ui.domain does not
    know). `state`: st.session_state, or an AppTest's session_state."""
    return dict(state[_DOMAINS]) if _DOMAINS in state else {}


def first_use_on_page(key: str) -> bool:
    """True the first time `key` is built during this visit of the page (when a URL value can still seed it)."""
    checked = st.session_state.setdefault(_CHECKED, set())
    first = key not in checked
    checked.add(key)
    return first


def take_restored(key: str) -> bool:
    """True once if `key` was restored from the stash on entering this page: its widget will show the value, but
    Streamlit writes a restored session value into the URL only from the next run on, so the caller does it."""
    restored = st.session_state.get(_RESTORED, set())
    if key in restored:
        restored.discard(key)
        return True
    return False


def notify(key: str, problem: str) -> None:
    """Queue one notice about parameter `key` (shown by the next `flush_notices`)."""
    st.session_state.setdefault(_NOTICES, []).append(f"Parameter `{key}`: {problem}.")


def flush_notices() -> None:
    for message in st.session_state.pop(_NOTICES, []):
        st.toast(message, icon=":material/rule:")
