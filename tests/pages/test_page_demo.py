"""The Demo page under AppTest: every control drives the tables, statistics and chart, checked against numpy.

Expected values are computed here with plain numpy (two-pass mean and variance, PyTorch's running-statistics
update), not with the page's helpers, so a mistake in either shows up as a mismatch.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from bn_core.data import FeatureSpec, make_batch, seed_example_batch, seed_like_specs
from lessons.demo import apply_cell_edits, layer_pass, stages_table
from tests.pages.conftest import open_page

PAGE = "pages/1_Demo.py"
FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "csv"
SEED = seed_example_batch()


def normalize(x, eps=1e-5, mean=None, var=None):
    """x̂ with the batch's biased statistics (training) or the given ones (inference)."""
    mean = x.mean(axis=0) if mean is None else mean
    var = ((x - x.mean(axis=0)) ** 2).mean(axis=0) if var is None else var
    with np.errstate(divide="ignore", invalid="ignore"):
        return (x - mean) / np.sqrt(var + eps)


def running_after(batches, momentum=0.1):
    """PyTorch's running statistics after a training forward on each batch (unbiased variance)."""
    f = batches[0].shape[1]
    mean, var = np.zeros(f), np.ones(f)
    for batch in batches:
        mean = (1 - momentum) * mean + momentum * batch.mean(axis=0)
        var = (1 - momentum) * var + momentum * batch.var(axis=0, ddof=1)
    return mean, var


def seed_steps(k, seed=0, specs=None, n=8):
    """The fresh batches of training steps 1..k: stream (seed, step) from the populations."""
    specs = specs or seed_like_specs(4)
    return [make_batch(specs, n, np.random.default_rng([seed, step])) for step in range(1, k + 1)]


def open_demo(query: dict[str, str] | None = None):
    """The Demo with its numbers expander open (as ?numbers=true in a link): the tables are computed only then."""
    return open_page(PAGE, query={"numbers": "true", **(query or {})})


def tables(at) -> dict:
    names = ("input", "xhat", "y", "stats", "params")
    return {name: at.dataframe[i].value for i, name in enumerate(names)}


def charts(at) -> list[dict]:
    """The three stage panels' specs (input, normalized, output)."""
    elements = at.get("vega_lite_chart")
    assert len(elements) == 3
    return [json.loads(element.proto.spec) for element in elements]


def chart_data(at, stage: int) -> str:
    """A stage panel's data as it travels to the browser (Arrow bytes, read as text)."""
    (dataset,) = at.get("vega_lite_chart")[stage].proto.datasets
    return bytes(dataset.data.data).decode("utf-8", "ignore")


def texts(elements) -> str:
    return " ".join(e.value for e in elements)


def upload(at, name: str, content: bytes | None = None):
    content = (FIXTURES / name).read_bytes() if content is None else content
    at.file_uploader(key="upload").set_value((name, content, "text/csv")).run()
    assert not at.exception
    return at


@pytest.fixture
def demo():
    at = open_demo()
    assert not at.exception
    return at


# ---------------------------------------------------------------- the default view


def test_default_view_is_the_seed_batch_through_the_layer(demo):
    t = tables(demo)
    np.testing.assert_allclose(t["input"].to_numpy(), SEED)
    assert list(t["input"].columns) == ["F0", "F1", "F2", "F3"]
    np.testing.assert_allclose(t["xhat"].to_numpy(), normalize(SEED), atol=1e-12)
    np.testing.assert_allclose(t["y"].to_numpy(), normalize(SEED), atol=1e-12)
    stats = t["stats"]
    var = SEED.var(axis=0)
    np.testing.assert_allclose(stats["batch μ"], SEED.mean(axis=0))
    np.testing.assert_allclose(stats["batch σ² (biased)"], var)
    np.testing.assert_allclose(stats["batch σ"], np.sqrt(var))
    np.testing.assert_allclose(stats["√(batch σ² + ε)"], np.sqrt(var + 1e-5))
    assert "running μ" not in stats.columns
    params = t["params"]
    np.testing.assert_array_equal(params["γ"], 1.0)
    np.testing.assert_array_equal(params["running σ² (unbiased)"], 1.0)
    assert demo.metric[0].value == "0"
    assert "Training mode" in texts(demo.info)
    assert not demo.warning and not demo.error
    assert list(t["input"].index) == list(range(1, 9))  # samples numbered 1…N, as i = 1…m in the formulas


def test_the_chart_is_three_single_views_that_stretch_with_a_zero_line_on_the_normalized_one(demo):
    specs = charts(demo)
    assert [spec["title"]["text"] for spec in specs] == ["Input x", "Normalized x̂", "Output y"]
    assert specs[1]["title"]["subtitle"] == "zero mean, unit variance"
    for spec in specs:
        assert "hconcat" not in spec and "facet" not in spec and spec["width"] == "container"
        assert spec["height"] >= 300
    zero = specs[1]["layer"][0]
    assert zero["mark"]["type"] == "rule" and zero["encoding"]["x"]["datum"] == 0
    assert not any(layer["encoding"].get("x", {}).get("datum") == 0 for layer in specs[0]["layer"])
    ticks = specs[1]["layer"][1]["encoding"]["x"]["axis"]["values"]
    assert {-1, 0, 1} <= set(ticks)


def test_the_chart_data_follow_gamma_and_beta(demo):
    demo.number_input(key="gamma1").set_value(2.0).run()
    demo.number_input(key="beta1").set_value(-3.0).run()
    y = tables(demo)["y"].to_numpy()
    np.testing.assert_allclose(y[:, 1], 2.0 * normalize(SEED)[:, 1] - 3.0, atol=1e-12)
    # the chart's data travel outside the spec (as Arrow); the output panel's row labels carry γ and β
    assert [d.name for d in demo.get("vega_lite_chart")[2].proto.datasets] == ["stage"]
    assert "F1 · γ = 2, β = −3" in chart_data(demo, 2)
    assert "F1 · γ" not in chart_data(demo, 1)


def test_histogram_and_density_views_are_bound_and_draw_the_shape(demo):
    assert demo.segmented_control(key="plot").value == "samples"
    assert not any(layer["mark"]["type"] in ("rect", "area") for layer in charts(demo)[0]["layer"])
    demo.segmented_control(key="plot").set_value("histogram").run()
    assert not demo.exception
    assert all(spec["layer"][int(i == 1)]["mark"]["type"] == "rect" for i, spec in enumerate(charts(demo)))
    demo.segmented_control(key="plot").set_value("density").run()
    assert all(spec["layer"][int(i == 1)]["mark"]["type"] == "area" for i, spec in enumerate(charts(demo)))
    at = open_demo({"plot": "Histogram"})
    assert at.segmented_control(key="plot").value == "histogram"


# ---------------------------------------------------------------- the batch controls


def test_deep_link_to_a_random_batch_reproduces_it():
    query = {"preset": "Random", "n": "16", "f": "3", "seed": "5", "dist0": "bimodal", "mean1": "-4.5",
             "scale2": "0.5", "gamma0": "2", "beta1": "-1", "eps": "1e-03"}
    at = open_demo(query)
    assert not at.exception
    specs = seed_like_specs(3)
    specs = [FeatureSpec("bimodal", specs[0].mean, specs[0].scale), FeatureSpec("normal", -4.5, specs[1].scale),
             FeatureSpec("normal", specs[2].mean, 0.5)]
    x = make_batch(specs, 16, 5)
    t = tables(at)
    np.testing.assert_allclose(t["input"].to_numpy(), x)
    expected = normalize(x, eps=1e-3) * [2, 1, 1] + [0, -1, 0]
    np.testing.assert_allclose(t["y"].to_numpy(), expected, atol=1e-12)


def test_batch_size_features_distribution_mean_scale_and_seed_controls(demo):
    demo.segmented_control(key="preset").set_value("random").run()
    demo.slider(key="n").set_value(32).run()
    demo.slider(key="f").set_value(5).run()
    demo.selectbox(key="dist4").set_value("with outliers").run()
    demo.number_input(key="mean0").set_value(100.0).run()
    demo.number_input(key="scale0").set_value(0.5).run()
    demo.number_input(key="seed").set_value(7).run()
    assert not demo.exception
    specs = seed_like_specs(5)
    specs[0] = FeatureSpec("normal", 100.0, 0.5)
    specs[4] = FeatureSpec("with outliers", specs[4].mean, specs[4].scale)
    x = make_batch(specs, 32, 7)
    t = tables(demo)
    np.testing.assert_allclose(t["input"].to_numpy(), x)
    np.testing.assert_allclose(t["xhat"].to_numpy(), normalize(x), atol=1e-12)
    assert list(t["params"].index) == ["F0", "F1", "F2", "F3", "F4"]
    assert demo.number_input(key="gamma4").value == 1.0


def test_new_batch_draws_the_next_seed(demo):
    demo.button(key="new_batch").click().run()
    assert demo.segmented_control(key="preset").value == "random"
    assert demo.number_input(key="seed").value == 1
    np.testing.assert_allclose(tables(demo)["input"].to_numpy(), make_batch(seed_like_specs(4), 8, 1))


def test_population_settings_survive_a_trip_to_another_preset(demo):
    demo.segmented_control(key="preset").set_value("random").run()
    demo.number_input(key="mean0").set_value(7.0).run()
    demo.segmented_control(key="preset").set_value("seed").run()
    demo.segmented_control(key="preset").set_value("random").run()
    assert demo.number_input(key="mean0").value == 7.0


def test_typed_batch_becomes_your_own(demo):
    demo.text_area(key="data").input("a,b\n1,10\n2,14\n4,12\n").run()
    assert demo.segmented_control(key="preset").value == "custom"
    t = tables(demo)
    assert list(t["input"].columns) == ["a", "b"]
    x = np.array([[1, 10], [2, 14], [4, 12]], dtype=float)
    np.testing.assert_allclose(t["xhat"].to_numpy(), normalize(x), atol=1e-12)


def test_switching_to_your_own_copies_the_current_batch(demo):
    demo.segmented_control(key="preset").set_value("custom").run()
    assert demo.segmented_control(key="preset").value == "custom"
    np.testing.assert_allclose(tables(demo)["input"].to_numpy(), SEED)
    assert demo.text_area(key="data").value.startswith("F0,F1,F2,F3\n-0.96,15.85")


def test_a_link_with_your_own_batch_reopens_it():
    at = open_demo({"preset": "Your own", "data": "u,v\n1,2\n3,5\n4,4\n"})
    assert not at.exception
    np.testing.assert_allclose(tables(at)["input"].to_numpy(), [[1, 2], [3, 5], [4, 4]])


def test_cell_edits_apply_to_the_batch_and_empty_cells_keep_their_value():
    edited = apply_cell_edits(SEED, ["F0", "F1", "F2", "F3"], {"0": {"F0": 5.0}, 2: {"F3": None, "F1": np.nan}})
    expected = SEED.copy()
    expected[0, 0] = 5.0
    np.testing.assert_array_equal(edited, expected)


def test_the_stages_download_holds_input_normalized_and_output():
    result = layer_pass(SEED, [1, 2, 1, 1], [0, 0, 5, 0], eps=1e-5, training=True, running_mean=None,
                        running_var=None)
    table = stages_table(result, ["F0", "F1", "F2", "F3"])
    assert list(table.columns) == ["sample", "stage", "F0", "F1", "F2", "F3"]
    assert list(table.stage.unique()) == ["input", "normalized", "output"]
    stages = {stage: part[["F0", "F1", "F2", "F3"]].to_numpy() for stage, part in table.groupby("stage")}
    np.testing.assert_array_equal(stages["input"], SEED)
    np.testing.assert_allclose(stages["normalized"], normalize(SEED), atol=1e-12)
    np.testing.assert_allclose(stages["output"], normalize(SEED) * [1, 2, 1, 1] + [0, 0, 5, 0], atol=1e-12)


def test_download_buttons_are_offered(demo):
    assert demo.download_button(key="download_input").proto.label == "Input CSV"
    assert demo.download_button(key="download_stages").proto.label == "All three stages CSV"


# ---------------------------------------------------------------- the layer controls


def test_epsilon_changes_the_divisor(demo):
    demo.select_slider(key="eps").set_value(0.1).run()
    t = tables(demo)
    np.testing.assert_allclose(t["stats"]["√(batch σ² + ε)"], np.sqrt(SEED.var(axis=0) + 0.1))
    np.testing.assert_allclose(t["xhat"].to_numpy(), normalize(SEED, eps=0.1), atol=1e-12)


def test_momentum_shows_both_conventions(demo):
    demo.slider(key="momentum").set_value(0.25).run()
    captions = texts(demo.caption)
    assert "PyTorch `momentum=0.25` = Keras `momentum=0.75`" in captions


def test_training_steps_update_the_running_statistics_and_reset_restores_them(demo):
    for _ in range(3):
        demo.button(key="step1").click().run()
    assert demo.number_input(key="steps").value == 3
    mean, var = running_after(seed_steps(3))
    params = tables(demo)["params"]
    np.testing.assert_allclose(params["running μ"], mean, rtol=1e-12)
    np.testing.assert_allclose(params["running σ² (unbiased)"], var, rtol=1e-12)
    assert demo.metric[0].value == "3"
    assert demo.metric[1].value == f"{1 - 0.9 ** 3:.0%}"
    demo.button(key="step10").click().run()
    mean, var = running_after(seed_steps(13))
    np.testing.assert_allclose(tables(demo)["params"]["running μ"], mean, rtol=1e-12)
    demo.button(key="reset_steps").click().run()
    params = tables(demo)["params"]
    np.testing.assert_array_equal(params["running μ"], 0.0)
    np.testing.assert_array_equal(params["running σ² (unbiased)"], 1.0)
    assert demo.metric[0].value == "0"


def test_inference_mode_normalizes_with_the_running_statistics():
    at = open_demo({"mode": "Inference", "steps": "4", "momentum": "0.3"})
    assert at.segmented_control(key="mode").value == "inference"
    mean, var = running_after(seed_steps(4), momentum=0.3)
    t = tables(at)
    np.testing.assert_allclose(t["xhat"].to_numpy(), normalize(SEED, mean=mean, var=var), atol=1e-12)
    np.testing.assert_allclose(t["stats"]["running μ"], mean, rtol=1e-12)
    np.testing.assert_allclose(t["stats"]["√(running σ² + ε)"], np.sqrt(var + 1e-5), rtol=1e-12)
    np.testing.assert_allclose(t["stats"]["batch μ"], SEED.mean(axis=0))
    info = texts(at.info)
    assert "Inference mode" in info and f"{1 - 0.7 ** 4:.0%}" in info
    assert charts(at)[1]["title"]["subtitle"] == "with the running statistics"


def test_switching_modes_changes_the_tables(demo):
    demo.number_input(key="steps").set_value(2).run()
    training_xhat = tables(demo)["xhat"].to_numpy()
    demo.segmented_control(key="mode").set_value("inference").run()
    inference_xhat = tables(demo)["xhat"].to_numpy()
    mean, var = running_after(seed_steps(2))
    np.testing.assert_allclose(training_xhat, normalize(SEED), atol=1e-12)
    np.testing.assert_allclose(inference_xhat, normalize(SEED, mean=mean, var=var), atol=1e-12)
    assert np.abs(training_xhat - inference_xhat).max() > 1


def test_undo_sets_gamma_sigma_and_beta_mu_so_the_output_is_the_input(demo):
    demo.button(key="undo").click().run()
    np.testing.assert_allclose(demo.number_input(key="gamma2").value, np.sqrt(SEED.var(axis=0)[2] + 1e-5))
    np.testing.assert_allclose(demo.number_input(key="beta3").value, SEED.mean(axis=0)[3])
    t = tables(demo)
    np.testing.assert_allclose(t["y"].to_numpy(), SEED, atol=1e-12)
    demo.button(key="reset_affine").click().run()
    np.testing.assert_allclose(tables(demo)["y"].to_numpy(), normalize(SEED), atol=1e-12)


# ---------------------------------------------------------------- bad input


def test_constant_feature_with_zero_epsilon_is_explained_not_crashed(demo):
    demo.text_area(key="data").input("c,v\n2,1\n2,4\n2,6\n").run()
    demo.select_slider(key="eps").set_value(0.0).run()
    assert not demo.exception
    warning = texts(demo.warning)
    assert "Division by zero" in warning and "`c`" in warning
    xhat = tables(demo)["xhat"]
    assert list(xhat["c"]) == ["—"] * 3  # undefined, never None
    np.testing.assert_allclose(xhat["v"], normalize(np.array([1.0, 4, 6]), eps=0.0), atol=1e-12)
    assert "PyTorch refuses" in texts(demo.info) and not demo.error
    assert "batch_norm eps must be positive during training" in demo.code[0].value
    demo.select_slider(key="eps").set_value(1e-5).run()
    assert "Division by zero" not in texts(demo.warning)
    np.testing.assert_array_equal(tables(demo)["xhat"].to_numpy()[:, 0], 0.0)


def test_batch_size_one_in_training_explains_and_shows_inference(demo):
    demo.segmented_control(key="preset").set_value("random").run()
    demo.slider(key="n").set_value(1).run()
    assert not demo.exception
    assert not demo.error  # a lesson about an error, not an error of the page
    info = texts(demo.info)
    assert "single sample" in info and "Expected more than 1 value per channel when training" in info
    x = make_batch(seed_like_specs(4), 1, 0)
    np.testing.assert_allclose(tables(demo)["xhat"].to_numpy(), x / np.sqrt(1 + 1e-5), atol=1e-12)
    assert demo.button(key="step1").disabled
    demo.segmented_control(key="mode").set_value("inference").run()
    assert "single sample" not in texts(demo.info)


@pytest.mark.parametrize(("fixture", "level", "words", "shape"), [
    ("text_columns.csv", "warning", "Text column(s) ignored: `name`, `city`", (4, 2)),
    ("nan_inf.csv", "warning", "4 row(s) with empty, non-numeric, NaN or infinite cells", (3, 3)),
    ("no_numeric.csv", "error", "No numeric column found", (8, 4)),
    ("one_row.csv", "warning", "single data row", (1, 3)),
    ("empty.csv", "error", "The file is empty", (8, 4)),
    ("unreadable.csv", "error", "not a text CSV file", (8, 4)),
])
def test_bad_csv_files_get_a_clear_message_and_the_page_keeps_working(demo, fixture, level, words, shape):
    upload(demo, fixture)
    messages = texts(demo.warning if level == "warning" else demo.error)
    assert words in messages and f"`{fixture}`" in messages
    assert tables(demo)["input"].shape == shape
    assert len(demo.get("vega_lite_chart")) == 3


def test_uploaded_numbers_are_used_exactly(demo):
    upload(demo, "text_columns.csv")
    x = np.array([[162.5, 58.1], [178.0, 80.4], [170.2, 66.0], [181.3, 90.2]])
    t = tables(demo)
    assert list(t["input"].columns) == ["height_cm", "weight_kg"]
    np.testing.assert_allclose(t["xhat"].to_numpy(), normalize(x), atol=1e-12)
    assert demo.segmented_control(key="preset").value == "custom"


def test_a_one_row_upload_in_training_mode_is_explained(demo):
    upload(demo, "one_row.csv")
    assert "single sample" in texts(demo.info)
    np.testing.assert_allclose(tables(demo)["xhat"].to_numpy(), [[1.5, 2.5, 3.5]] / np.sqrt(1 + 1e-5))


def test_thousands_of_rows_are_capped_with_a_notice(demo):
    content = ("x,y\n" + "\n".join(f"{i},{i % 7}" for i in range(4000))).encode()
    upload(demo, "big.csv", content)
    assert "4,000 usable rows" in texts(demo.warning)
    assert tables(demo)["input"].shape == (256, 2)


def test_html_in_column_names_is_shown_as_text_never_rendered(demo):
    upload(demo, "html_header.csv")
    names = ["<b>bold</b>", "<img src=x onerror=alert(1)>", "[click](https://example.com)"]
    assert list(tables(demo)["xhat"].columns) == names
    for element in demo.markdown:
        if "<img" in element.value or "<b>" in element.value:
            assert not element.proto.allow_html
    assert "(`<b>bold</b>`)" in demo.number_input(key="gamma0").proto.help  # a code span: shown, not rendered


def test_upload_notes_go_when_another_batch_is_shown(demo):
    upload(demo, "text_columns.csv")
    assert "Text column(s) ignored" in texts(demo.warning)
    demo.segmented_control(key="preset").set_value("seed").run()
    assert not demo.warning
    np.testing.assert_allclose(tables(demo)["input"].to_numpy(), SEED)


def test_a_failed_upload_keeps_the_previous_batch(demo):
    upload(demo, "text_columns.csv")
    upload(demo, "no_numeric.csv")
    assert list(tables(demo)["input"].columns) == ["height_cm", "weight_kg"]


# ---------------------------------------------------------------- the key insights, each tied to an action


def test_insight_odd_shapes(demo):
    demo.button(key="try_shapes").click().run()
    assert demo.slider(key="n").value == 64
    assert [demo.selectbox(key=f"dist{j}").value for j in range(4)] == \
        ["skewed", "bimodal", "heavy-tailed", "with outliers"]
    assert demo.segmented_control(key="plot").value == "histogram"  # shapes need a histogram to be seen
    xhat = tables(demo)["xhat"].to_numpy()
    np.testing.assert_allclose(xhat.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(xhat.var(axis=0), 1, atol=1e-4)


def test_insight_inference_after_five_steps(demo):
    demo.button(key="try_inference").click().run()
    assert demo.number_input(key="steps").value == 5
    assert demo.segmented_control(key="mode").value == "inference"


def test_insight_undo(demo):
    demo.button(key="try_undo").click().run()
    np.testing.assert_allclose(tables(demo)["y"].to_numpy(), SEED, atol=1e-12)


def test_insight_shift_and_scale_leave_xhat_alone(demo):
    before = tables(demo)["xhat"].to_numpy()
    demo.button(key="try_shift").click().run()
    t = tables(demo)
    np.testing.assert_allclose(t["input"].to_numpy(), 3 * SEED + 10)
    np.testing.assert_allclose(t["xhat"].to_numpy(), before, atol=1e-5)


def test_insight_constant_feature_and_zero_epsilon(demo):
    demo.button(key="try_eps").click().run()
    assert not demo.exception
    assert demo.select_slider(key="eps").value == 0.0
    assert "Division by zero" in texts(demo.warning)
    assert set(tables(demo)["xhat"]["F0"]) == {"—"}


def test_insight_a_negative_scale_flips_xhat(demo):
    before = tables(demo)["xhat"].to_numpy()
    demo.button(key="try_flip").click().run()
    np.testing.assert_allclose(tables(demo)["input"].to_numpy(), -3 * SEED + 10)
    np.testing.assert_allclose(tables(demo)["xhat"].to_numpy(), -before, atol=1e-5)


def test_insight_texts_are_computed_and_sourced(demo):
    cards = texts(demo.markdown)
    assert "BN-Baseline" in cards and "2.3× fewer" in cards and "initialization" not in cards
    assert "exact in inference mode" in cards and "*positive*" in cards
    assert ":gray[:small[Now: " in cards  # each card's evidence in caption type, inside the card's one Markdown
    assert "the next training batch, with the same γ and β, by" in cards
    assert "but from −x̂ by" in cards
    (references,) = [e for e in demo.expander if e.label.startswith("References")]
    assert "arXiv:1502.03167" in texts(references.markdown) and "arXiv:1805.11604" in texts(references.markdown)


def test_the_numbers_are_computed_only_when_their_expander_is_open():
    closed = open_page(PAGE)
    assert not closed.exception
    assert len(closed.dataframe) == 0 and len(closed.metric) == 0  # neither computed nor sent
    assert len(closed.get("vega_lite_chart")) == 3  # the charts and the insights stay
    assert closed.button(key="try_shapes") is not None
    opened = open_demo()
    assert len(opened.dataframe) == 5  # the input editor, x̂, y, the batch statistics, the parameters
