"""AppTest: the Training vs Inference page against bn_core's BatchNorm and plain numpy, stream for stream."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from bn_core.batchnorm import BatchNorm
from charts.running import MAX_POINTS
from tests.pages.conftest import assert_shows, open_page, shown_tables, shown_values

PAGE = "pages/3_Training_vs_Inference.py"
# The page's default population: F0 ~ N(5, 2²), F1 ~ N(-2, 0.5²), from step 150 on the means move by +2σ
# and the stds are multiplied by 1.5. Defaults: batch size 16, 300 steps, seed 0, momentum 0.1, eps 1e-5.
MEANS, STDS = np.array([5.0, -2.0]), np.array([2.0, 0.5])


def reference_stream(steps: int, m: int, seed: int = 0, shift_at: int | None = 150) -> np.ndarray:
    """The page's stream of batches (steps, m, 2), rebuilt with numpy alone."""
    changed = np.zeros((steps, 1)) if shift_at is None else (np.arange(steps) >= shift_at)[:, None]
    mean = MEANS + changed * 2.0 * STDS
    std = STDS * (1 + changed * 0.5)
    z = np.stack([np.random.default_rng((seed, j)).standard_normal((steps, m)) for j in range(2)], axis=-1)
    return mean[:, None, :] + std[:, None, :] * z


def train(layer: BatchNorm, batches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Feed every batch to `layer`; return the running mean and variance after each step, (steps, 2) each."""
    history = []
    for x in batches:
        layer(x)
        history.append((layer.running_mean.copy(), layer.running_var.copy()))
    means, variances = zip(*history, strict=True)
    return np.array(means), np.array(variances)


def metrics(at) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def chart_data(at, index: int) -> list[pd.DataFrame]:
    """The datasets of the index-th chart on the page (Streamlit ships them as Arrow)."""
    chart = at.get("vega_lite_chart")[index]
    return [pa.ipc.open_stream(dataset.data.data).read_all().to_pandas() for dataset in chart.proto.datasets]


def series(frames: list[pd.DataFrame], name: str) -> pd.DataFrame:
    frame = pd.concat(frames)
    return frame[frame["series"] == name].sort_values("step")


@pytest.fixture(scope="module")
def default_page():
    at = open_page(PAGE)
    assert not at.exception
    return at


def test_running_statistics_match_batchnorm_over_the_same_stream(default_page):
    at = default_page
    batches = reference_stream(300, 16)
    pytorch_mean, pytorch_var = train(BatchNorm(2, momentum=0.1), batches)
    _, keras_var = train(BatchNorm.keras(2, momentum=0.9, epsilon=1e-5), batches)
    (table,) = shown_tables(at)
    assert list(table["feature"]) == ["F0", "F1"]
    assert_shows(table["running μ"], pytorch_mean[-1])
    assert_shows(table["running σ² (PyTorch)"], pytorch_var[-1])
    assert_shows(table["moving variance (Keras 3)"], keras_var[-1])
    assert_shows(table["true μ"], MEANS + 2 * STDS)
    assert_shows(table["true σ²"], (1.5 * STDS) ** 2)

    frames = chart_data(at, 0)
    running = series(frames, "running μ")
    np.testing.assert_allclose(running["value"], pytorch_mean[running["step"], 0], rtol=1e-12)
    batch = series(frames, "batch μ")
    np.testing.assert_allclose(batch["value"], batches[batch["step"], :, 0].mean(axis=1), rtol=1e-12)
    frames = chart_data(at, 1)
    unbiased = series(frames, "batch σ², unbiased (÷(m−1))")
    np.testing.assert_allclose(unbiased["value"], batches[unbiased["step"], :, 0].var(axis=1, ddof=1), rtol=1e-12)
    keras = series(frames, "moving variance, Keras 3 (biased)")
    np.testing.assert_allclose(keras["value"], keras_var[keras["step"], 0], rtol=1e-12)
    assert len(running) == MAX_POINTS and running["step"].iloc[-1] == 299  # thinned evenly, the last step kept


def test_running_statistics_charts_draw_on_a_canvas(default_page):
    for chart in default_page.get("vega_lite_chart")[:2]:
        assert json.loads(chart.proto.spec)["usermeta"]["embedOptions"]["renderer"] == "canvas"


def test_metric_cards_sit_in_rows_not_in_a_column_each(default_page):
    assert len(default_page.metric) == 7
    assert len(default_page.main.columns) == 0, "each column is one more block for the browser on every rerun"
    assert len(default_page.sidebar.columns) == 2, "every feature's true mean and std in one pair of columns"


def test_code_is_drawn_only_when_its_panel_is_open(default_page):
    assert not default_page.code
    assert len(open_page(PAGE, query={"code": "true"}).code) == 3


def test_convention_mapping_and_generated_code():
    at = open_page(PAGE, query={"code": "true"})
    shown = metrics(at)
    assert shown["PyTorch momentum"] == "0.1"
    assert shown["Keras / Flax momentum"] == "0.9"
    assert shown["Effective window"] == "≈ 19 batches"  # (2 − α)/α at α = 0.1
    assert shown["(m − 1)/m"] == "0.9375"
    assert float(shown["Keras ÷ PyTorch running variance"]) == pytest.approx(15 / 16, abs=1e-3)
    assert r"\text{Keras, Flax: momentum} = 0.9" in at.latex[0].value
    code = [block.value for block in at.code]
    assert code[0].endswith("bn = nn.BatchNorm1d(2, eps=1e-05, momentum=0.1)")
    assert code[1].endswith("bn = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-05)")
    assert "bn = nn.BatchNorm(momentum=0.9, epsilon=1e-05)\n" in code[2] and "use_running_average=True" in code[2]

    at.slider(key="momentum").set_value(0.25).run()
    assert not at.exception
    assert metrics(at)["Keras / Flax momentum"] == "0.75"
    assert metrics(at)["Effective window"] == "≈ 7 batches"
    code = [block.value for block in at.code]
    assert code[0].endswith("momentum=0.25)")
    assert code[1].endswith("BatchNormalization(momentum=0.75, epsilon=1e-05)")
    at.slider(key="momentum").set_value(0.1).run()


def test_deep_link_with_cumulative_average_and_no_drift():
    at = open_page(PAGE, query={"cma": "true", "drift": "none", "steps": "80", "m": "4", "eps": "1e-03",
                                "code": "true"})
    assert not at.exception
    assert metrics(at)["PyTorch momentum"] == "None"
    batches = reference_stream(80, 4, shift_at=None)
    running_mean, running_var = train(BatchNorm(2, eps=1e-3, momentum=None), batches)
    (table,) = shown_tables(at)
    assert_shows(table["running μ"], batches.mean(axis=1).mean(axis=0))
    assert_shows(table["running σ² (PyTorch)"], running_var[-1])
    assert "moving variance (Keras 3)" not in table
    code = [block.value for block in at.code]
    assert code[0].endswith("nn.BatchNorm1d(2, eps=0.001, momentum=None)")
    assert "no Keras equivalent" in code[1] and "no Flax equivalent" in code[2]


def test_inference_part_single_sample_forgot_eval_and_mismatch():
    at = open_page(PAGE, query={"tab": "Inference", "steps": "120", "m": "8", "drift": "none"})
    assert not at.exception
    batches = reference_stream(120, 8, shift_at=None)
    layer = BatchNorm(2, momentum=0.1)
    train(layer, batches)

    single, forgot, mismatch = shown_tables(at)
    assert_shows(single["running μ"], layer.running_mean)
    assert_shows(single["running σ²"], layer.running_var)
    expected = (shown_values(single["sample x"]) - layer.running_mean) / np.sqrt(layer.running_var + 1e-5)
    np.testing.assert_allclose(shown_values(single["eval output"]), expected, atol=2e-3)
    assert not at.error  # a lesson about an error is a code sample and an info box, not a red box
    assert any("`ValueError`: Expected more than 1 value per channel when training" in m.value for m in at.markdown)
    assert not at.code  # inline code: a code block would load the code highlighter
    assert any("every output is β (0, 0)" in box.value for box in at.info)

    assert (shown_values(forgot["range in eval"]) == 0).all()
    assert (shown_values(forgot["range in training"]) > 0.1).all()
    np.testing.assert_allclose(
        shown_values(forgot["eval output"]),
        (shown_values(forgot["sample x"]) - layer.running_mean) / np.sqrt(layer.running_var + 1e-5),
        atol=2e-3,
    )

    yours = mismatch["scenario"] == "Your settings"
    np.testing.assert_allclose(shown_values(mismatch["running σ²"][yours]), layer.running_var, atol=1e-3)
    np.testing.assert_allclose(shown_values(mismatch["output mean"][yours]),
                               (MEANS - layer.running_mean) / np.sqrt(layer.running_var + 1e-5), atol=1e-3)
    np.testing.assert_allclose(shown_values(mismatch["output std"][yours]),
                               STDS / np.sqrt(layer.running_var + 1e-5), atol=1e-3)
    low = mismatch["scenario"] == "Momentum too low (0.001)"
    assert (np.abs(shown_values(mismatch["output mean"][low])) > 1).any()
    assert len(at.get("vega_lite_chart")) == 2


def test_batch_size_part_and_switching_parts(default_page):
    at = default_page
    at.session_state["tab"] = "Batch size"
    at.run()
    assert not at.exception
    (table,) = shown_tables(at)
    m = shown_values(table["m"])
    assert m[0] == 1 and m[-1] == 256
    np.testing.assert_allclose(shown_values(table["spread of batch mean"]), 1 / np.sqrt(m), rtol=0.08)
    assert np.isnan(shown_values(table["spread of the output"])[0])
    links = {link.proto.label: link.proto.page for link in at.get("page_link")}
    assert links["Compare the variants that do not depend on the batch"] == "Variants"
    normal_var_spread = shown_values(table["spread of batch variance"])
    at.selectbox(key="dist").set_value("heavy-tailed").run()
    assert not at.exception
    heavy_var_spread = shown_values(shown_tables(at)[0]["spread of batch variance"])
    assert heavy_var_spread[-1] > 2 * normal_var_spread[-1]
    at.session_state["tab"] = "Running statistics"
    at.run()


def test_batch_of_one_explains_instead_of_crashing():
    at = open_page(PAGE, query={"m": "1"})
    assert not at.exception and not at.error
    assert "`ValueError: Expected more than 1 value per channel when training, got input size torch.Size([1, 2])`" \
        in at.info[0].value  # PyTorch's words, not bn_core's longer explanation
    assert not at.get("vega_lite_chart")


def test_eps_zero_is_refused_like_pytorch_and_explained():
    at = open_page(PAGE, query={"eps": "0"})
    assert not at.exception and not at.error
    (box,) = at.info
    assert "refuses ε = 0 in training" in box.value
    assert "`ValueError: batch_norm eps must be positive during training, but got 0.0`" in box.value
    assert not at.get("vega_lite_chart")


def test_with_outliers_references_use_the_true_variance():
    at = open_page(PAGE, query={"tab": "Batch size", "dist": "with outliers"})
    assert not at.exception
    (table,) = shown_tables(at)
    var = 0.95 + 0.05 * (10**3 - 6**3) / 12  # bulk N(0, 1), 5% at ±U(6, 10)
    m = shown_values(table["m"])
    assert_shows(table["σ/√m"], np.sqrt(var / m))
    assert_shows(table["(m − 1)/m · σ²"], (m - 1) / m * var)
    np.testing.assert_allclose(shown_values(table["spread of batch mean"])[m >= 16], np.sqrt(var / m[m >= 16]),
                               rtol=0.1)
    np.testing.assert_allclose(shown_values(table["average biased variance"])[m >= 16],
                               ((m - 1) / m * var)[m >= 16], rtol=0.1)
    assert any("σ = 2.05" in caption.value for caption in at.caption)


@pytest.mark.parametrize("part", ["Running statistics", "Inference", "Batch size"])
def test_no_header_a_user_reads_has_an_underscore_or_none(part):
    at = open_page(PAGE, query={"tab": part, "steps": "50"})
    assert not at.exception and not at.error
    headers = [str(c) for frame in shown_tables(at) for c in frame.columns]
    assert headers and not [h for h in headers if "_" in h or "None" in h]
    (references,) = [el for el in at.expander if el.label == "References"]
    assert "Wu & He" in references.markdown[0].value and "PyTorch 2.13" in references.markdown[0].value


def test_a_shift_after_the_last_step_is_pointed_out_above_the_sections():
    at = open_page(PAGE)
    assert not [w for w in at.warning if "never sees it" in w.value]
    at.number_input(key="at").set_value(400).run()
    assert not at.exception
    warnings = [w.value for w in at.main.warning if "never sees it" in w.value]
    assert warnings == ["The shift at step 400 comes after the last step (299): the stream never sees it. Lower k or "
                        "add steps."]
    at.slider(key="steps").set_value(500).run()
    assert not [w for w in at.warning if "never sees it" in w.value]


def test_eval_mode_says_close_only_when_the_running_statistics_are():
    at = open_page(PAGE, query={"tab": "Inference"})
    assert "here its output is within 0.079 of" in at.success[0].value
    at = open_page(PAGE, query={"tab": "Inference", "steps": "10", "m": "2"})
    assert not at.exception and not at.success
    (warning,) = [box.value for box in at.warning if "Eval mode" in box.value]
    assert "off by up to" in warning and "still hold 35% of their start values" in warning
