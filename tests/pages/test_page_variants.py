"""The Variants page under AppTest: highlighted groups, facts, equivalences and experiments, checked against
independent numpy and bn_core computations."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from streamlit.proto.Block_pb2 import Block

from lessons.format import format_number
from lessons.renorm import ghost_experiment, ghost_running, renorm_summary
from lessons.variants import VARIANTS, synthetic_images
from tests.pages.conftest import open_page, shown_number, shown_tables, shown_values

PAGE = "pages/4_Variants.py"
# The cell controls show (and link) samples, channels and positions numbered from 1: cn=2 is sample index 1.
SHAPE_LINK = {"n": "3", "c": "6", "hw": "2", "g": "3", "cn": "2", "cc": "5", "cs": "2"}


def variants_page(**query: str):
    at = open_page(PAGE, query=query)
    assert not at.exception
    return at


def main_text(at) -> str:
    """Every Markdown text of the page's main area, joined."""
    return "\n".join(m.value for m in at.main.markdown)


def chart_data(at, index: int = 0) -> pd.DataFrame:
    """The data rows of the page's `index`-th Altair chart (all its datasets, in order), as one DataFrame."""
    chart = at.get("vega_lite_chart")[index]
    return pd.concat(
        [pa.ipc.open_stream(dataset.data.data).read_pandas() for dataset in chart.proto.datasets], ignore_index=True
    )


def expected_sharing(variant: str, n, c, s, cell, num_channels: int, num_groups: int) -> np.ndarray:
    """Written out from the definitions, independently of lessons.variants."""
    cn, cc, _ = cell
    size = num_channels // num_groups
    return {
        "BatchNorm": c == cc,
        "LayerNorm": n == cn,
        "RMSNorm": n == cn,
        "InstanceNorm": (n == cn) & (c == cc),
        "GroupNorm": (n == cn) & (c // size == cc // size),
    }[variant]


def assert_highlight(at, shape, num_groups, cell):
    data = chart_data(at)
    data = data[data.variant.notna()]  # the grid's cells (the other dataset holds its text labels)
    assert len(data) == len(VARIANTS) * int(np.prod(shape))
    for variant in VARIANTS:
        rows = data[data.variant == variant]
        expected = expected_sharing(
            variant, rows.n.to_numpy(), rows.c.to_numpy(), rows.s.to_numpy(), cell, shape[1], num_groups
        )
        np.testing.assert_array_equal(rows.role.to_numpy() != "other values", expected, err_msg=variant)
        selected = rows[rows.role == "selected cell"]
        assert [tuple(r) for r in selected[["n", "c", "s"]].to_numpy()] == [cell]


HORIZONTAL = Block.FlexContainer.Direction.HORIZONTAL


def test_defaults_highlight_the_sets_of_cell_0():
    at = variants_page()
    assert_highlight(at, (4, 6, 4), 2, (0, 0, 0))
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["params"][0]["name"] == "cell"
    assert spec["params"][0]["select"]["fields"] == ["n", "c", "s"]


def test_shape_and_cell_controls_are_rows_not_a_column_each():
    at = variants_page()
    labels = [[getattr(item, "label", None) for item in row.children.values()] for row in horizontal_rows(at.main)]
    assert ["Batch size N", "Channels C", "Positions per channel H·W", "Groups G (GroupNorm)"] in labels
    assert ["Sample n", "Channel c", "Position s"] in labels
    assert len(at.main.columns) == 0


def horizontal_rows(block) -> list:
    """Every horizontal container inside `block`, at any depth."""
    rows = []
    for child in getattr(block, "children", {}).values():
        if child.type == "flex_container" and child.proto.flex_container.direction == HORIZONTAL:
            rows.append(child)
        rows += horizontal_rows(child)
    return rows


def test_deep_link_sets_shape_groups_and_cell():
    at = variants_page(**SHAPE_LINK)
    assert_highlight(at, (3, 6, 2), 3, (1, 4, 1))
    facts = shown_tables(at)[0].set_index("Layer")
    n, c, s, g = 3, 6, 2, 3
    assert facts["How many"].astype(int).to_dict() == {
        "BatchNorm": c,
        "LayerNorm": n,
        "InstanceNorm": n * c,
        "GroupNorm": n * g,
        "RMSNorm": n,
    }
    assert facts["Values in each set"].astype(int).to_dict() == {
        "BatchNorm": n * s,
        "LayerNorm": c * s,
        "InstanceNorm": s,
        "GroupNorm": c // g * s,
        "RMSNorm": c * s,
    }
    assert facts["Depends on batch"].to_dict() == {v: "yes" if v == "BatchNorm" else "no" for v in VARIANTS}


def test_choosing_another_cell_moves_the_highlight():
    at = variants_page(**SHAPE_LINK)
    at.select_slider(key="cc").set_value(1).run()
    at.select_slider(key="cn").set_value(2).run()
    assert not at.exception
    assert_highlight(at, (3, 6, 2), 3, (2, 1, 1))


def test_groups_offer_only_divisors_and_a_bad_link_falls_back():
    at = variants_page(c="12")
    assert at.select_slider(key="g").options == ["1", "2", "3", "4", "6", "12"]
    at = variants_page(c="7", g="5", n="abc")
    assert at.select_slider(key="g").value == 1
    assert at.slider(key="n").value == 4
    assert_highlight(at, (4, 7, 4), 1, (0, 0, 0))


def test_changing_channels_keeps_a_valid_group_count():
    at = variants_page(c="6", g="3")
    at.slider(key="c").set_value(8).run()
    assert not at.exception
    assert at.select_slider(key="g").value in (1, 2, 4, 8)


def layer_norm_numpy(x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    mean = x.mean(axis=(1, 2), keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=(1, 2), keepdims=True) + eps)


def test_same_data_tab_shows_outputs_removals_and_equivalences():
    at = variants_page(view="Same data, five layers", n="3", c="4", hw="5", g="2", seed="3")
    x = synthetic_images((3, 4, 5), seed=3)
    data = pd.concat([chart_data(at, 0), chart_data(at, 1)], ignore_index=True)
    assert list(dict.fromkeys(data.layer)) == ["Input", *VARIANTS]
    np.testing.assert_allclose(data[data.layer == "Input"].value, x.reshape(-1))
    np.testing.assert_allclose(data[data.layer == "LayerNorm"].value, layer_norm_numpy(x).reshape(-1), atol=1e-12)

    spreads = shown_tables(at)[0].set_index("layer")
    y = layer_norm_numpy(x)
    assert shown_number(spreads.loc["LayerNorm", "channel offset"]) == pytest.approx(y.mean(axis=(0, 2)).std(),
                                                                                   abs=5e-4)
    assert shown_number(spreads.loc["Input", "sample brightness"]) == pytest.approx(x.mean(axis=(1, 2)).std(),
                                                                                  abs=5e-4)
    assert "channel offset" in spreads.loc["BatchNorm", "removed"]
    assert "sample brightness" in spreads.loc["LayerNorm", "removed"]

    identities = main_text(at)
    assert "GroupNorm(G = 1) and LayerNorm: 0" in identities  # exactly 0 here, printed as "0"
    assert "Expected more than 1 value per channel when training" in identities
    vector = x[0, :, 0]
    layer_norm_single = (vector - vector.mean()) / np.sqrt(vector.var() + 1e-5)
    assert format_number(layer_norm_single[0], 3) in identities


@pytest.mark.parametrize("view", ["Who shares statistics", "Same data, five layers", "Batch-size sensitivity"])
def test_one_position_per_channel_warns_instead_of_failing(view):
    at = variants_page(view=view, hw="1", n="1")
    warnings = " ".join(w.value for w in at.warning)
    if view != "Who shares statistics":
        assert "InstanceNorm" in warnings and "H·W" in warnings
    assert not at.error


def test_out_of_range_link_values_fall_back_to_defaults():
    at = variants_page(view="Nonsense", cn="9", hw="-3")
    assert at.select_slider(key="cn").value == 0
    assert at.slider(key="hw").value == 4
    assert_highlight(at, (4, 6, 4), 2, (0, 0, 0))
    at = variants_page(view="Batch Renorm", rmax="10", dmax="-1")
    assert (at.slider(key="rmax").value, at.slider(key="dmax").value) == (3.0, 5.0)
    at = variants_page(view="Ghost BN", ghost="3")
    assert at.select_slider(key="ghost").value == 16


def test_batch_size_tab_only_batch_norm_depends_on_the_batch():
    at = variants_page(view="Batch-size sensitivity")
    table = shown_tables(at)[0].set_index("batch size").map(shown_number)
    table.index = table.index.astype(int)
    assert table.loc[1, "BatchNorm"] == 0
    assert table.loc[2, "BatchNorm"] > 0.1 and table.loc[64, "BatchNorm"] < table.loc[2, "BatchNorm"] / 3
    for variant in ("LayerNorm", "InstanceNorm", "GroupNorm", "RMSNorm"):
        assert (table[variant] == 0).all()
    data = chart_data(at)
    assert set(data.variant) == set(VARIANTS)


def test_batch_renorm_tab_reports_the_gap_over_seeds_and_responds_to_the_limits():
    at = variants_page(view="Batch Renorm")
    summary = renorm_summary(3.0, 5.0)
    values = [m.value for m in at.metric]
    assert values[0] == format_number(summary.gap_bn.mean(), 3)
    assert values[1] == format_number(summary.gap_renorm.mean(), 3)
    assert summary.gap_renorm.mean() < 0.1 * summary.gap_bn.mean()
    verdict = main_text(at)
    assert "by construction" in verdict and "5 seeds" in verdict
    at.slider(key="rmax").set_value(1.0).run()
    at.slider(key="dmax").set_value(0.0).run()
    assert not at.exception
    off = renorm_summary(1.0, 0.0)
    assert at.metric[1].value == format_number(off.gap_renorm.mean(), 3)
    assert at.metric[2].value == "100 %"
    verdict = main_text(at)
    assert f"{format_number(100 * (off.ratio.mean() - 1), 2)} % larger than" in verdict
    assert "by construction" not in verdict  # every channel-step is clipped: no identity to state


def test_ghost_tab_shows_noise_and_both_momentum_conventions():
    at = variants_page(view="Ghost BN", ghost="64")
    result = ghost_experiment()
    at_64 = result.ghost_sizes.index(64)
    text = main_text(at)
    assert f"spreads by {format_number(result.ghost[at_64], 3)}" in text
    assert f"{format_number(result.small[at_64], 3)} with BatchNorm on a real batch of 64" in text
    running = ghost_running(64)
    for weight in running.last_batch_weight.values():
        assert format_number(weight, 3) in text
    assert "Hoffer et al., Algorithm 1" in text and "Composer" in text
    at.select_slider(key="ghost").set_value(256).run()
    assert "one virtual batch" in main_text(at)


def test_beyond_tab_shows_parameters_instance_running_stats_and_tokens():
    at = variants_page(view="Beyond the statistics", n="3", c="4", hw="5")
    comparison, running, tokens, _references = shown_tables(at)
    assert comparison["its learnable numbers"].tolist() == [str(2 * 4 * 5), "0", str(2 * 4)]
    assert (shown_values(comparison["largest |Δ| of x̂"]) < 1e-12).all()
    running = shown_values(running.set_index("layer in eval mode")["spread of per-image channel means"])
    assert running[0] < 1e-12 < 0.05 < running[1]  # running statistics leave per-image offsets
    np.testing.assert_allclose(shown_values(tokens["output mean"]), 0, atol=1e-12)
    assert "LayerNorm(hidden), per token: 0;" in main_text(at)
    at = variants_page(view="Beyond the statistics", hw="1")
    assert "H·W ≥ 2" in at.info[0].value


def test_references_name_every_source():
    at = variants_page()
    sources = " ".join(shown_tables(at)[-1]["Source"])
    for source in ("1607.06450", "1607.08022", "1803.08494", "1910.07467", "1702.03275", "1705.08741", "2.13"):
        assert source in sources


def test_when_to_use_which_rows_open_their_experiment():
    at = variants_page(view="When to use which")
    labels = [b.label for b in at.button]
    assert "Open: Batch Renorm" in labels and "Open: Ghost BN" in labels
    links = [link.proto.label for link in at.main.get("page_link")]
    assert links == ["Why it works", "Deep networks", "Training vs inference"]
    at.button(key=f"open{labels.index('Open: Batch Renorm')}").click().run()
    assert not at.exception
    assert at.slider(key="rmax").value == 3.0  # the Batch Renorm part is now the one rendered


@pytest.mark.parametrize("view", ["Same data, five layers", "Batch-size sensitivity", "Beyond the statistics"])
def test_eps_zero_leaves_batch_norm_out_and_says_why(view):
    at = open_page(PAGE, query={"view": view, "eps": "0"})
    assert not at.exception and not at.error
    if view != "Beyond the statistics":
        assert any("ε > 0" in box.value for box in at.warning)


SHAPE_LABELS = {"n": "Batch size N", "c": "Channels C", "hw": "Positions per channel H·W", "g": "Groups G (GroupNorm)"}


@pytest.mark.parametrize("view, greyed", [("Who shares statistics", set()), ("Beyond the statistics", {"g"}),
                                          ("Batch-size sensitivity", {"n"}), ("Ghost BN", {"n", "c", "hw", "g"}),
                                          ("When to use which", {"n", "c", "hw", "g"})])
def test_a_part_greys_out_the_shape_controls_it_does_not_read_and_keeps_their_values(view, greyed):
    at = variants_page(view=view, n="6", c="4", g="4")
    sliders = {s.label: s for s in [*at.main.slider, *at.main.select_slider]}
    shape = {key: sliders[label] for key, label in SHAPE_LABELS.items()}
    assert {key for key, slider in shape.items() if slider.disabled} == greyed
    assert (shape["n"].value, shape["c"].value, shape["g"].value) == (6, 4, 4)
    notes = [caption.value for caption in at.main.caption if "greyed out" in caption.value.lower()]
    assert len(notes) == (1 if greyed else 0)
