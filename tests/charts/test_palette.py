"""The palette: every colour readable (≥ 3:1) on both Streamlit backgrounds, one meaning per name in a family."""

import altair as alt
import pandas as pd
import pytest

from charts import palette
from charts.palette import zero_rule
from charts.spec import vega_lite_spec


def relative_luminance(hex_colour: str) -> float:
    channels = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula_matches_wcag_reference_values():
    assert contrast("#FFFFFF", "#000000") == pytest.approx(21.0)
    assert contrast("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("theme", sorted(palette.BACKGROUNDS))
@pytest.mark.parametrize("name", sorted(palette.HUES))
def test_every_hue_has_3_to_1_contrast_in_both_themes(name, theme):
    assert contrast(palette.HUES[name], palette.BACKGROUNDS[theme]) >= 3.0


@pytest.mark.parametrize("family", [palette.STAGE, palette.NORM, palette.STAT])
def test_families_use_only_palette_hues(family):
    assert set(family.values()) <= set(palette.HUES.values())


@pytest.mark.parametrize("family", [palette.STAGE, palette.STAT])
def test_a_colour_means_one_thing_within_a_family(family):
    assert len(set(family.values())) == len(family)


def test_norm_kinds_differ_except_the_batchnorm_variants_compared_with_batchnorm():
    kinds = {name: colour for name, colour in palette.NORM.items() if name not in palette.BATCHNORM_VARIANTS}
    assert len(set(kinds.values())) == len(kinds)
    variants = {palette.NORM[name] for name in palette.BATCHNORM_VARIANTS}
    assert variants == {palette.HIGHLIGHT} and palette.HIGHLIGHT not in kinds.values()


def test_the_zero_line_is_drawn_once_whatever_the_layer_data():
    frame = pd.DataFrame({"x": [0.5, 1.0, 2.0]})
    spec = vega_lite_spec(alt.layer(zero_rule("x"), alt.Chart().mark_tick().encode(x="x:Q"), data=frame))
    rule = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "rule")
    assert rule["data"] == {"values": [{}]} and rule["encoding"]["x"] == {"datum": 0}


def text_marks(spec: dict) -> list[dict]:
    """Every text mark in a Vega-Lite spec, layers and facets included."""
    found = []
    if isinstance(spec, dict):
        mark = spec.get("mark")
        if mark == "text" or (isinstance(mark, dict) and mark.get("type") == "text"):
            found.append(mark if isinstance(mark, dict) else {"type": "text"})
        for value in spec.values():
            found += text_marks(value)
    elif isinstance(spec, list):
        for item in spec:
            found += text_marks(item)
    return found


def test_text_marks_carry_a_colour_readable_on_both_themes():
    from charts.running import mismatch_chart
    from charts.variants import sharing_spec
    from lessons import running, variants

    run = running.simulate_stream(running.StreamSettings(running.Population((0.0,), (1.0,)), steps=20))
    specs = [vega_lite_spec(mismatch_chart(running.mismatch_table(running.mismatch_scenarios(run)))),
             sharing_spec((2, 3, 4), 1, (0, 0, 0), variants.sharing_titles((2, 3, 4), 1))]
    for spec in specs:
        marks = text_marks(spec)
        assert marks and all(mark.get("color") == palette.TEXT for mark in marks)
    assert min(contrast(palette.TEXT, palette.BACKGROUNDS[theme]) for theme in ("light", "dark")) > 4
