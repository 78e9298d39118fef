"""AppTest fuzz: random valid values for every widget on every page, many reruns, never an exception."""

from __future__ import annotations

import random
import zlib

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1.element_tree import (
    Button,
    Checkbox,
    NumberInput,
    Radio,
    Selectbox,
    SelectSlider,
    Slider,
    Toggle,
)

from tests.pages.conftest import open_page
from ui.layout import PAGES

RERUNS = 12
OPTION_WIDGETS = (Radio, Selectbox, SelectSlider)


def choose_option(widget, option: str) -> None:
    """Select `option` (a displayed option string) the way the browser does: by sending that string.

    AppTest's own set_value needs the option's Python value, which the element tree does not carry when a
    format_func is used; the wire format is the displayed string, so the fuzzer sends that.
    """
    state = WidgetState(id=widget.id)
    if isinstance(widget, SelectSlider):
        state.string_array_value.data[:] = [option]
    else:
        state.string_value = option
    widget.__class__ = type(f"Fuzzed{type(widget).__name__}", (type(widget),),
                            {"_widget_state": property(lambda self: state)})


def random_number(widget, rng: random.Random):
    lo = widget.min if widget.min is not None else -1e3
    hi = widget.max if widget.max is not None else 1e3
    step = widget.step or 1
    value = lo + step * rng.randint(0, int((hi - lo) // step))
    return int(value) if isinstance(widget.value, int) and float(step).is_integer() else value


def fuzz_once(at, rng: random.Random) -> str:
    """Change one random widget to a random valid value (or click a button); return what was done."""
    candidates = [w for w in at.main if isinstance(w, (Slider, NumberInput, Checkbox, Toggle, Button, *OPTION_WIDGETS))]
    candidates += [w for w in at.sidebar if isinstance(w, (Slider, NumberInput, Checkbox, Toggle, *OPTION_WIDGETS))]
    candidates = [w for w in candidates if not getattr(w.proto, "disabled", False)]
    widget = rng.choice(candidates)
    label = f"{type(widget).__name__}({widget.key or widget.label!r})"
    if isinstance(widget, Button):
        widget.click()
        return f"click {label}"
    if isinstance(widget, (Checkbox, Toggle)):
        widget.set_value(not widget.value)
        return f"toggle {label}"
    if isinstance(widget, OPTION_WIDGETS):
        option = rng.choice(widget.options)
        choose_option(widget, option)
        return f"{label} <- {option}"
    if isinstance(widget, Slider) and isinstance(widget.value, (tuple, list)):
        a, b = sorted(random_number(widget, rng) for _ in range(2))
        widget.set_value((a, b))
        return f"{label} <- {(a, b)}"
    value = random_number(widget, rng)
    widget.set_value(value)
    return f"{label} <- {value}"


@pytest.mark.parametrize("page", [info.path for info in PAGES])
def test_random_widget_values_never_raise(page):
    rng = random.Random(zlib.crc32(page.encode()))
    at = open_page(None if page == "app.py" else page, timeout=60)
    history = []
    for _ in range(RERUNS):
        if not [w for w in at.main if isinstance(w, (Slider, NumberInput, Checkbox, Toggle, Button, *OPTION_WIDGETS))]:
            break
        history.append(fuzz_once(at, rng))
        at.run(timeout=60)
        assert not at.exception, f"{page}: exception after {history}: {at.exception[0].message}"
