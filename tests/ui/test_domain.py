"""ui.domain: the domain a control's own kwargs describe, and the checks of URL and session values against it."""

from __future__ import annotations

import pytest

from ui.domain import TEXT_LIMIT, UNBOUNDED_LIMIT, domain_of, from_session, from_url

SEED = domain_of("number_input", {"min_value": 0, "max_value": 2**31 - 1, "value": 0, "step": 1})
STEPS = domain_of("slider", {"min_value": 10, "max_value": 5000, "value": 300, "step": 10})
GAMMA = domain_of("number_input", {"value": 1.0, "step": 0.1})
EPS = domain_of("select_slider", {"options": (0.0, 1e-5, 1e-3), "value": 1e-5,
                                        "format_func": lambda e: "0" if e == 0 else f"{e:.0e}"})
MODE = domain_of("segmented_control", {"options": ["training", "inference"], "default": "training",
                                               "format_func": str.title, "required": True})
NORMS = domain_of("pills", {"options": ["batch", "layer", "none"], "default": ["batch", "none"],
                                     "selection_mode": "multi"})
SECTIONS = domain_of("segmented_control", {"options": ("Forward", "Backward"), "default": "Forward",
                                                  "required": True})
FLAG = domain_of("checkbox", {"value": False})
TEXT = domain_of("text_area", {"value": ""})


def test_domains_come_from_the_widget_kwargs():
    assert (SEED.kind, SEED.low, SEED.high, SEED.integer, SEED.default) == ("number", 0, 2**31 - 1, True, 0)
    assert (STEPS.low, STEPS.high, STEPS.default) == (10, 5000, 300)
    assert (GAMMA.integer, GAMMA.low, GAMMA.high) == (False, -UNBOUNDED_LIMIT, UNBOUNDED_LIMIT)
    assert EPS.labels == ("0", "1e-05", "1e-03") and EPS.default == 1e-5
    assert MODE.labels == ("Training", "Inference") and MODE.default == "training"
    assert NORMS.kind == "choices" and NORMS.default == ["batch", "none"]
    assert SECTIONS.options == ("Forward", "Backward") and SECTIONS.default == "Forward"
    assert TEXT.max_chars == TEXT_LIMIT
    assert domain_of("slider", {"value": (1, 2)}) is None


@pytest.mark.parametrize(("domain", "raw", "value", "words"), [
    (SEED, ["inf"], 0, "not a finite number"),
    (SEED, ["-inf"], 0, "not a finite number"),
    (SEED, ["nan"], 0, "not a finite number"),
    (SEED, ["9" * 400], 0, "400 characters"),
    (SEED, ["1e308"], 0, "above the maximum 2.14748e+09; using the default `0`"),
    (SEED, ["-1"], 0, "below the minimum"),
    (SEED, ["2.5"], 0, "not a whole number"),
    (SEED, [""], 0, "empty"),
    (SEED, ["1", "2"], 0, "appears 2 times"),
    (SEED, ["<script>"], 0, "not a number"),
    (STEPS, ["1"], 300, "below the minimum 10"),
    (GAMMA, ["1e308"], 1.0, "above the maximum 1e+06"),
    (EPS, ["bogus"], 1e-5, "not one of the options"),
    (EPS, [""], 1e-5, "empty"),
    (MODE, ["training"], "training", "not one of the options"),  # links carry labels, not values
    (NORMS, ["batch", "batch"], ["batch", "none"], "repeated"),
    (NORMS, ["bogus"], ["batch", "none"], "not one of the options"),
    (SECTIONS, ["Sideways"], "Forward", "not one of the options"),
    (FLAG, ["yes"], False, "neither true nor false"),
    (TEXT, ["x" * (TEXT_LIMIT + 5)], "x" * TEXT_LIMIT, "first 100,000"),
])
def test_bad_url_values_are_clamped_or_reset_with_a_reason(domain, raw, value, words):
    verdict = from_url(domain, raw)
    assert verdict.value == value
    assert words in verdict.problem


@pytest.mark.parametrize(("domain", "raw", "value"), [
    (SEED, ["42"], 42), (STEPS, ["5000"], 5000), (GAMMA, ["-2.5"], -2.5), (EPS, ["1e-03"], 1e-3),
    (EPS, ["0"], 0.0), (MODE, ["Inference"], "inference"), (NORMS, ["layer"], ["layer"]),
    (SECTIONS, ["Backward"], "Backward"), (FLAG, ["true"], True), (TEXT, ["a,b\n1,2"], "a,b\n1,2"),
])
def test_good_url_values_pass_unchanged_and_round_trip(domain, raw, value):
    verdict = from_url(domain, raw)
    assert verdict.problem is None and verdict.value == value
    assert domain.url_value(value) == raw


@pytest.mark.parametrize(("domain", "value", "used"), [
    (STEPS, 1, 10), (STEPS, 10**9, 5000), (GAMMA, -1e308, -UNBOUNDED_LIMIT),
    (SEED, float("inf"), 0), (SEED, "3", 0), (EPS, 0.5, 1e-5), (MODE, None, "training"),
    (NORMS, ["bogus"], ["batch", "none"]), (FLAG, "true", False), (TEXT, 5, ""),
])
def test_bad_session_values_are_replaced(domain, value, used):
    verdict = from_session(domain, value)
    assert verdict.value == used and verdict.problem


def test_rejected_values_are_quoted_short_and_as_code():
    problem = from_url(EPS, ["**bold** `x` " + "y" * 100]).problem
    assert problem.startswith("`**bold** 'x' ") and "…`" in problem
    assert len(problem) < 120
