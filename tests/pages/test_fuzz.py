"""AppTest fuzz of every page: hostile link values for every bound parameter, then random valid values.

The parameters are not listed here: each page is opened once and `ui.registry.bound_controls` reports every
key its `bound` controls used, with the domain read from the widget's own kwargs. Parameters are named `path`,
never `page` (pytest-playwright's fixture of that name).
"""

from __future__ import annotations

import random
import re
import time
import zlib

import pytest
from streamlit.testing.v1.element_tree import Button, Widget

from tests.pages.conftest import open_page
from ui.domain import Domain
from ui.layout import PAGES
from ui.registry import bound_controls

PATHS = [info.path for info in PAGES]
# Runs per page: control i gets payload (i * RUNS + r) % len(HOSTILE) in run r, so in few runs every kind of control
# (number, choice, text...) meets every payload, and payloads meet each other in one link.
RUNS = 4
SCRIPT = "<script>alert(1)</script>"
HOSTILE = {
    "inf": "inf", "-inf": "-inf", "nan": "nan", "1e308": "1e308", "400 digits": "9" * 400, "negative": "-1",
    "empty": "", "repeated": ["1", "2"], "unknown label": "no such option", "100 KB": "x" * 100_000,
    "html": SCRIPT, "markdown": "**bold** [link](https://example.com)", "latex": "$\\frac{1}{0}$",
}
# CPU a run may take on top of the same page opened from a plain link: a budget check, not a benchmark (every
# hostile value falls back to its control's default, so it should cost next to nothing).
CPU_BUDGET = 1.0
RERUNS = 10
CODE_SPAN = re.compile(r"`[^`]*`")


def page_of(path: str) -> str | None:
    return None if path == "app.py" else path


def controls(path: str) -> dict[str, Domain | None]:
    at = open_page(page_of(path), timeout=60)
    assert not at.exception
    return bound_controls(at.session_state)


def cpu_to_open(path: str, query: dict) -> tuple[object, float]:
    start = time.process_time()
    at = open_page(page_of(path), query=query, timeout=60)
    return at, time.process_time() - start


def rendered_texts(at) -> list[tuple[str, bool]]:
    """(text, allows HTML) of every element that renders Markdown, toasts and captions included."""
    texts = []
    for element in (*at.markdown, *at.caption, *at.info, *at.warning, *at.error, *at.success, *at.toast):
        proto = element.proto
        texts.append((element.value, getattr(proto, "allow_html", False)))
    return texts


def assert_shown_as_text(at, payload: str, what: str) -> None:
    """A payload may be quoted, inside a code span and never in an element that allows HTML."""
    for text, allows_html in rendered_texts(at):
        if payload in text:
            assert not allows_html, f"{what}: {payload!r} in an element with unsafe_allow_html"
        assert payload not in CODE_SPAN.sub("", text), f"{what}: {payload!r} rendered as Markdown: {text[:200]!r}"


def hostile_links(keys: list[str]):
    names = list(HOSTILE)
    for run in range(RUNS):
        chosen = {key: names[(i * RUNS + run) % len(names)] for i, key in enumerate(keys)}
        yield chosen, {key: HOSTILE[name] for key, name in chosen.items()}


@pytest.mark.parametrize("path", PATHS)
def test_hostile_link_values_never_break_a_page(path):
    keys = list(controls(path))
    if not keys:
        return
    _, plain_cpu = cpu_to_open(path, {})
    for chosen, query in hostile_links(keys):
        at, cpu = cpu_to_open(path, query)
        what = f"{path} with {chosen}"
        assert not at.exception, f"{what}: {at.exception[0].message}"
        assert cpu < plain_cpu + CPU_BUDGET, f"{what}: {cpu:.2f} s of CPU (plain link {plain_cpu:.2f} s)"
        for payload in (SCRIPT, "**bold**", "$\\frac{1}{0}$"):
            assert_shown_as_text(at, payload, what)


def random_value(domain: Domain, rng: random.Random):
    if domain.kind == "number":
        value = rng.uniform(domain.low, domain.high)
        return int(round(value)) if domain.integer else value
    if domain.kind == "choice":
        return rng.choice(domain.options)
    if domain.kind == "choices":
        return rng.sample(list(domain.options), rng.randint(1, len(domain.options)))
    if domain.kind == "flag":
        return rng.random() < 0.5
    return None


def fuzz_once(at, rng: random.Random) -> str:
    """Set one shown control to a random value of its domain (or click a button); return what was done."""
    domains = bound_controls(at.session_state)
    widgets = [w for w in (*at.main, *at.sidebar) if isinstance(w, Widget) and not getattr(w.proto, "disabled", False)]
    settable = [w for w in widgets if w.key in domains and domains[w.key] is not None
                and random_value(domains[w.key], rng) is not None and hasattr(w, "set_value")]
    buttons = [w for w in widgets if isinstance(w, Button)]
    widget = rng.choice(settable + buttons)
    if isinstance(widget, Button):
        widget.click()
        return f"click {widget.key or widget.label!r}"
    value = random_value(domains[widget.key], rng)
    widget.set_value(value)
    return f"{widget.key} <- {value!r}"


@pytest.mark.parametrize("path", PATHS)
def test_random_valid_values_never_raise(path):
    rng = random.Random(zlib.crc32(path.encode()))
    at = open_page(page_of(path), timeout=60)
    history = []
    for _ in range(RERUNS):
        if not [w for w in (*at.main, *at.sidebar) if isinstance(w, Widget)]:
            break
        history.append(fuzz_once(at, rng))
        at.run(timeout=60)
        assert not at.exception, f"{path}: exception after {history}: {at.exception[0].message}"
