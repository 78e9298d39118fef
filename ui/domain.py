"""What a URL-bound control accepts, read from the same keyword arguments that build it.

`domain_of(kind, kwargs)` derives a `Domain` from a widget's own kwargs (min_value/max_value/step/value
for numbers, options/format_func/index/default for choices, max_chars for text). `from_url(domain, raw)` checks
the raw strings of a URL parameter and `from_session(domain, value)` a value found in session state; both return
a `Verdict`: the value to use and, when the input was not acceptable, what was wrong and what is used instead.
A link's value out of range falls back to the default (as Streamlit itself treats an invalid link value); a
session value out of range (a callback overshooting, say) is clamped.
No Streamlit here: the rules are plain functions, tested on their own (tests/ui/test_domain.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# A number input without bounds still gets some: beyond this every chart and statistic loses its meaning.
UNBOUNDED_LIMIT = 1e6
# A text control without max_chars: the longest value read from a link or kept in session state.
TEXT_LIMIT = 100_000
# A number in a link is at most this many characters (a float's repr is < 25); 400 digits never reach float().
NUMBER_CHARS = 32
# How much of a rejected value a notice quotes.
QUOTED_CHARS = 24

NUMBER_WIDGETS = {"slider", "number_input"}
CHOICE_WIDGETS = {"select_slider", "selectbox", "radio", "segmented_control", "pills", "multiselect"}
FLAG_WIDGETS = {"checkbox", "toggle"}
TEXT_WIDGETS = {"text_area", "text_input"}


@dataclass(frozen=True)
class Domain:
    """The values one control accepts. kind: "number", "choice", "choices" (several at once), "flag" or "text".

    default: what the widget shows without input. number: low..high, integer or float. choice(s): options and
    their labels (the strings a link carries). text: at most max_chars characters.
    """

    kind: str
    default: Any
    low: float = -UNBOUNDED_LIMIT
    high: float = UNBOUNDED_LIMIT
    integer: bool = False
    options: tuple = ()
    labels: tuple[str, ...] = ()
    max_chars: int = TEXT_LIMIT

    def url_value(self, value: Any) -> list[str] | None:
        """How a link carries `value` (one string, several for "choices"), or None for the default (omitted)."""
        if value == self.default:
            return None
        if self.kind == "number":
            return [str(int(value)) if float(value).is_integer() else str(value)]
        if self.kind == "choice":
            return [self.labels[self.options.index(value)]] if value in self.options else None
        if self.kind == "choices":
            return [self.labels[self.options.index(v)] for v in value if v in self.options] or [""]
        if self.kind == "flag":
            return [str(bool(value)).lower()]
        return [str(value)]


@dataclass(frozen=True)
class Verdict:
    """The value to use, and for rejected input a sentence: what was wrong and what is used instead."""

    value: Any
    problem: str | None = None


def _is_integral(*values) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values if v is not None)


def _choice_domain(kind: str, kwargs: dict) -> Domain:
    options = tuple(kwargs.get("options", ()))
    format_func: Callable[[Any], Any] = kwargs.get("format_func") or str
    labels = tuple(str(format_func(option)) for option in options)
    multi = kind == "multiselect" or (kind in {"pills", "segmented_control"}
                                      and kwargs.get("selection_mode", "single") == "multi")
    if multi:
        default = kwargs.get("default") or []
        default = list(default) if isinstance(default, (list, tuple)) else [default]
        return Domain("choices", default, options=options, labels=labels)
    if kind in {"selectbox", "radio"}:
        index = kwargs.get("index", 0)
        default = options[index] if index is not None and options else None
    elif kind == "select_slider":
        value = kwargs.get("value")
        default = value if value is not None else (options[0] if options else None)
    else:
        default = kwargs.get("default")
    return Domain("choice", default, options=options, labels=labels)


def _number_domain(kind: str, kwargs: dict) -> Domain:
    low, high, step = kwargs.get("min_value"), kwargs.get("max_value"), kwargs.get("step")
    value = kwargs.get("value", "min")
    if kind == "slider":
        integer = _is_integral(low, high, step, value)
        low = 0 if low is None else low
        high = 100 if high is None else high
    else:
        integer = _is_integral(low, high, step, None if value == "min" else value)
    lo = -UNBOUNDED_LIMIT if low is None else low
    hi = UNBOUNDED_LIMIT if high is None else high
    if value in ("min", None):
        value = lo if low is not None else (0 if integer else 0.0)
    return Domain("number", value, low=lo, high=hi, integer=integer)


def domain_of(kind: str, kwargs: dict) -> Domain | None:
    """The domain of widget `kind` ("slider", "selectbox", ... its function name) built with `kwargs`, or None
    for a widget this module does not know (its value is then left to Streamlit)."""
    if kind in NUMBER_WIDGETS:
        if isinstance(kwargs.get("value"), (tuple, list)):
            return None
        return _number_domain(kind, kwargs)
    if kind in CHOICE_WIDGETS:
        return _choice_domain(kind, kwargs)
    if kind in FLAG_WIDGETS:
        return Domain("flag", bool(kwargs.get("value", False)))
    if kind in TEXT_WIDGETS:
        return Domain("text", kwargs.get("value") or "", max_chars=kwargs.get("max_chars") or TEXT_LIMIT)
    return None


def shown(value: Any) -> str:
    """A value for a notice: short, inside a Markdown code span (never rendered)."""
    text = str(value)
    text = text if len(text) <= QUOTED_CHARS else text[: QUOTED_CHARS - 1] + "…"
    return "`" + text.replace("`", "'").replace("\n", " ") + "`"


def _default(domain: Domain, what: str) -> Verdict:
    return Verdict(domain.default, f"{what}; using the default {shown(_label(domain, domain.default))}")


def _label(domain: Domain, value: Any) -> str:
    if domain.kind == "choice" and value in domain.options:
        return domain.labels[domain.options.index(value)]
    if domain.kind == "choices":
        return ", ".join(domain.labels[domain.options.index(v)] for v in value if v in domain.options) or "none"
    return str(value)


def _number(domain: Domain, number: float, *, clamp: bool) -> Verdict:
    """A number checked against the domain; out of range: clamped (clamp=True) or the default."""
    if not math.isfinite(number):
        return _default(domain, f"{shown(number)} is not a finite number")
    if domain.integer and not number.is_integer():
        return _default(domain, f"{shown(number)} is not a whole number")
    if domain.low <= number <= domain.high:
        return Verdict(int(number) if domain.integer else float(number))
    side = f"below the minimum {domain.low:g}" if number < domain.low else f"above the maximum {domain.high:g}"
    if not clamp:
        return _default(domain, f"{shown(number)} is {side}")
    value = min(max(number, domain.low), domain.high)
    value = int(value) if domain.integer else float(value)
    return Verdict(value, f"{shown(number)} is {side}; using {shown(value)}")


def from_url(domain: Domain, raw: Sequence[str]) -> Verdict:
    """Check the strings a link carries for one parameter (several when the key is repeated)."""
    if domain.kind == "choices":
        if list(raw) in ([], [""]):
            return Verdict([]) if not domain.default else _default(domain, "the value is empty")
        unknown = [r for r in raw if r not in domain.labels]
        if unknown:
            return _default(domain, f"{shown(unknown[0])} is not one of the options")
        if len(set(raw)) != len(raw):
            return _default(domain, "an option is repeated")
        return Verdict([domain.options[domain.labels.index(r)] for r in raw])
    if len(raw) != 1:
        return _default(domain, f"the parameter appears {len(raw)} times")
    text = raw[0]
    if domain.kind == "text":
        if len(text) > domain.max_chars:
            return Verdict(text[: domain.max_chars],
                           f"the text has {len(text):,} characters; using its first {domain.max_chars:,}")
        return Verdict(text)
    if text == "":
        return _default(domain, "the value is empty")
    if domain.kind == "choice":
        if text not in domain.labels:
            return _default(domain, f"{shown(text)} is not one of the options")
        return Verdict(domain.options[domain.labels.index(text)])
    if domain.kind == "flag":
        if text.lower() not in ("true", "false"):
            return _default(domain, f"{shown(text)} is neither true nor false")
        return Verdict(text.lower() == "true")
    if len(text) > NUMBER_CHARS:
        return _default(domain, f"a number of {len(text):,} characters is not accepted")
    try:
        number = float(text)
    except ValueError:
        return _default(domain, f"{shown(text)} is not a number")
    return _number(domain, number, clamp=False)


def from_session(domain: Domain, value: Any) -> Verdict:
    """Check a value found in session state (set by a callback, or left by another page)."""
    if domain.kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return _default(domain, f"{shown(value)} is not a number")
        return _number(domain, float(value), clamp=True)
    if domain.kind == "choice":
        return Verdict(value) if value in domain.options else _default(domain, f"{shown(value)} is not an option")
    if domain.kind == "choices":
        if not isinstance(value, (list, tuple)) or any(v not in domain.options for v in value):
            return _default(domain, f"{shown(value)} is not a selection of the options")
        return Verdict(list(value))
    if domain.kind == "flag":
        return Verdict(value) if isinstance(value, bool) else _default(domain, f"{shown(value)} is not true/false")
    if not isinstance(value, str):
        return _default(domain, f"{shown(value)} is not text")
    if len(value) > domain.max_chars:
        return Verdict(value[: domain.max_chars],
                       f"the text has {len(value):,} characters; using its first {domain.max_chars:,}")
    return Verdict(value)
