"""The Formula page under AppTest: the numbers it shows, checked against independent numpy computations."""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

from bn_core.data import seed_example_batch
from lessons.walkthrough import agreeing_digits, input_scale_table
from tests.pages.conftest import assert_shows, open_page, shown_number, shown_tables, shown_values
from ui.controls import format_eps
from ui.state import _BATCH

PAGE = "pages/2_Formula.py"
X = seed_example_batch()
RAMP = np.round(np.linspace(-1.0, 2.0, 8), 2)  # the page's default target and weights


def latex_with(at, marker: str) -> str:
    """The one formula on the page containing `marker`, without the $$ fences AppTest adds."""
    (latex,) = [el.value.strip("$\n") for el in at.latex if marker in el.value]
    return latex


def upstream(at):
    """The table beside the loss's editable column (a grid, so that its rows line up with the editor's)."""
    (frame,) = [el.value for el in at.dataframe if "dyᵢ" in el.value.columns]
    return frame


def table_with(at, column: str):
    (frame,) = [frame for frame in shown_tables(at) if column in frame.columns]
    return frame


def metric(at, label: str) -> float:
    (value,) = [shown_number(el.value) for el in at.metric if el.label == label]
    return value


def chart_rows(at) -> list[dict]:
    """The rows of the page's one Vega-Lite chart (the conv grid), from its Arrow dataset."""
    (chart,) = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    assert spec["facet"]["field"] == "panel" and spec["columns"] == 3  # wrapped: one line of panels per sample
    (dataset,) = chart.proto.datasets
    return convert_arrow_bytes_to_pandas_df(dataset.data.data).to_dict("records")


def numpy_forward(x, gamma, beta, eps):
    xhat = (x - x.mean()) / np.sqrt(x.var() + eps)
    return xhat, gamma * xhat + beta


def numpy_dx(x, gamma, eps, dy):
    """Through the full Jacobian: dx̂_i/dx_j = invstd·(δ_ij − 1/m − x̂_i x̂_j / m)."""
    m = x.size
    invstd = 1 / np.sqrt(x.var() + eps)
    xhat = (x - x.mean()) * invstd
    return (invstd * (np.eye(m) - 1 / m - np.outer(xhat, xhat) / m)).T @ (gamma * dy)


def ends_with_value(latex: str, value: float) -> bool:
    return latex.endswith(f"= {value:.4g}\\end{{aligned}}")


def show_part(at, part: str):
    """Open one of the page's parts ("Forward pass", "What ε does", "Backward pass", "Convolutional layers"), as a
    click does: the part's state changes and so does the URL (AppTest keeps the query string it started with)."""
    at.session_state["part"] = part
    at.query_params["part"] = part
    return at.run()


def open_with_batch(batch, name="Demo page", query=None):
    """Open the page as a user arriving from the Demo page, which shared `batch` in this session."""
    at = open_page(None, query=query)
    at.session_state[_BATCH] = (np.asarray(batch, dtype=np.float64), name)
    at.switch_page(PAGE).run()
    return at


@pytest.fixture(scope="module")
def default_page():
    return open_page(PAGE)


@pytest.fixture(scope="module")
def backward_page():
    return open_page(PAGE, query={"part": "Backward pass"})


def test_defaults_render_the_seed_batch_forward_pass(default_page):
    at = default_page
    assert not at.exception and not at.error
    x = X[:, 0]
    assert "feature F0 of the seed example batch" in at.info[0].value
    mean = latex_with(at, r"\mu_B &= \frac{1}{m}")
    assert r"\tfrac{1}{8}\Big(-0.96 - 1.71 - 2.76 + 2.25 \\ &\quad - 2.88 - 1.42 + 4.48 + 2.09\Big)" in mean
    assert ends_with_value(mean, np.mean(x))
    assert ends_with_value(latex_with(at, r"\sigma_B^2 &= \frac{1}{m}"), np.var(x))
    assert ends_with_value(latex_with(at, r"s^2 &= \frac{1}{m-1}"), np.var(x, ddof=1))
    xhat, y = numpy_forward(x, 1.0, 0.0, 1e-5)
    assert ends_with_value(latex_with(at, r"&= \frac{-0.96 - (-0.1137)}"), xhat[0])
    forward = table_with(at, "xᵢ − μ")
    assert_shows(forward["xᵢ"], x)
    assert_shows(forward["x̂ᵢ"], xhat)
    assert_shows(forward["yᵢ"], y)


def test_only_the_open_part_is_drawn(default_page):
    assert [el.value for el in default_page.header] == ["Forward pass"]
    assert not default_page.get("graphviz_chart") and not default_page.get("vega_lite_chart")


def test_defaults_render_the_backward_pass(backward_page):
    at = backward_page
    x = X[:, 0]
    xhat, y = numpy_forward(x, 1.0, 0.0, 1e-5)
    dy = y - RAMP
    np.testing.assert_allclose(upstream(at)["dyᵢ"], dy, rtol=1e-12)
    assert metric(at, "Loss L") == pytest.approx(0.5 * np.sum(dy**2), rel=1e-3)
    assert ends_with_value(latex_with(at, r"\frac{\partial L}{\partial \gamma}"), np.sum(dy * xhat))
    assert ends_with_value(latex_with(at, r"\frac{\partial L}{\partial \beta}"), np.sum(dy))
    dx = numpy_dx(x, 1.0, 1e-5, dy)
    terms = table_with(at, "∂L/∂xᵢ")
    assert_shows(terms["∂L/∂xᵢ"], dx)
    three = [shown_values(terms[name]) for name in ("gᵢ", "−mean(g)", "−x̂ᵢ·mean(g·x̂)")]
    np.testing.assert_allclose(sum(three), dx * np.sqrt(x.var() + 1e-5), atol=2e-3 * np.abs(three).max())
    assert ends_with_value(latex_with(at, r"\partial x_{1}} &="), dx[0])
    assert abs(metric(at, "Σᵢ ∂L/∂xᵢ")) < 1e-12
    errors = [metric(at, f"Max relative error, ∂L/∂{name}") for name in ("x", "γ", "β")]
    assert max(errors) < 1e-8
    (verdict,) = at.success
    digits = agreeing_digits(max(errors))
    assert f"to {digits} significant digits" in verdict.value and "10 significant" not in verdict.value.replace(
        f"{digits} significant", "")
    assert not at.get("graphviz_chart")  # drawn on request only
    at.toggle(key="graph").set_value(True).run()
    (graph,) = at.get("graphviz_chart")
    assert "x -> mu" in graph.proto.spec and f"batch μ = {x.mean():.4g}".replace("-", "−") in graph.proto.spec
    at.toggle(key="graph").set_value(False).run()


def test_backward_pass_shows_a_wasted_bias_and_the_input_scale(backward_page):
    at = backward_page
    (bias,) = [el.value for el in at.markdown if "A bias before BatchNorm is wasted" in el.value]
    assert "changes L by 0" in bias or "changes L by" in bias and "10⁻" in bias
    scale = table_with(at, "‖∂L/∂x‖ with BN")
    assert list(scale["input × c"]) == ["× 0.01", "× 0.1", "× 1", "× 10", "× 100"]
    big = slice(2, None)  # c ≥ 1: c²σ² ≫ ε, invariant to rounding; below, ε = 1e-5 shows
    expected = input_scale_table(X[:, 0], 1.0, 0.0, 1e-5, "squared error", RAMP)
    assert_shows(scale["L with BN"], expected["L with BN"])
    assert_shows(scale["‖∂L/∂x‖ with BN"], expected["‖∂L/∂x‖ with BN"])
    assert len(set(scale["L with BN"][big])) == 1
    gradient = expected["‖∂L/∂x‖ with BN"].to_numpy()
    np.testing.assert_allclose((gradient * [0.01, 0.1, 1, 10, 100])[big], gradient[2], rtol=1e-5)
    change = (expected["L with BN"].max() - expected["L with BN"].min()) / expected["L with BN"].abs().max()
    assert any(f"moved by {change:.2%}" in el.value for el in at.markdown)
    assert scale["L without BN"].iloc[-1] > 100 * scale["L without BN"].iloc[2]
    assert list(scale["L without BN"][:2]) == ["4.746", "4.053"]  # each its own digits: the column spans 10⁵
    # squared error against the ramp: both fall from × 0.01 to × 0.1, then grow
    assert any("the loss and the gradient both grow with $c$ from × 0.1 on" in el.value for el in at.markdown)


def test_walk_controls_and_banner_leave_the_convolution_part():
    at = open_page(PAGE, query={"part": "Convolutional layers"})
    assert not at.exception
    assert not [w for w in at.sidebar.radio if w.key == "feature"] and not at.info
    assert at.select_slider(key="eps").value == 1e-5  # ε shapes the convolution example too
    show_part(at, "Forward pass")
    assert at.radio(key="feature").value == 0 and "Walking through feature F0" in at.info[0].value


@pytest.mark.parametrize("part", ["Forward pass", "What ε does", "Backward pass", "Convolutional layers"])
def test_no_header_a_user_reads_has_an_underscore_or_none(part):
    at = open_page(PAGE, query={"part": part})
    headers = [str(c) for frame in shown_tables(at) for c in frame.columns]
    assert headers and not [h for h in headers if "_" in h or "None" in h]


def test_references_name_their_sources():
    at = open_page(PAGE)
    (expander,) = [el for el in at.expander if el.label == "References"]
    text = expander.markdown[0].value
    for source in ("Ioffe & Szegedy", "PyTorch 2.13", "Keras 3", "Sec. 3.3"):
        assert source in text


def test_defaults_render_the_conv_grid():
    conv_page = open_page(PAGE, query={"part": "Convolutional layers"})
    rows = chart_rows(conv_page)
    assert len(rows) == 2 * 3 * 3 * 3
    highlighted = [row for row in rows if row["shared"]]
    assert len(highlighted) == 18 and {row["channel"] for row in highlighted} == {"channel 0"}
    stats = table_with(conv_page, "channel σ²")
    tensor = np.array([row["value"] for row in rows]).reshape(2, 3, 3, 3)
    assert_shows(stats["channel μ"], tensor.mean(axis=(0, 2, 3)))
    assert_shows(stats["channel σ²"], tensor.var(axis=(0, 2, 3)))
    assert list(stats["values M"]) == ["18", "18", "18"]


def test_deep_link_sets_feature_sample_gamma_beta_and_eps():
    query = {"feature": "2", "sample": "3", "gamma2": "1.5", "beta2": "0.5", "eps": format_eps(1e-3)}
    at = open_page(PAGE, query=query)
    assert not at.exception
    assert at.radio(key="feature").value == 2 and at.selectbox(key="sample").value == 3
    assert at.number_input(key="gamma2").value == 1.5 and at.select_slider(key="eps").value == 1e-3
    x = X[:, 2]
    xhat, y = numpy_forward(x, 1.5, 0.5, 1e-3)
    assert ends_with_value(latex_with(at, r"\mu_B &= \frac{1}{m}"), x.mean())
    assert ends_with_value(latex_with(at, r"&= \frac{14.74 - "), xhat[2])
    assert ends_with_value(latex_with(at, r"y_{3} &= \gamma"), y[2])
    show_part(at, "Backward pass")
    dy = y - RAMP
    assert ends_with_value(latex_with(at, r"\partial x_{3}} &="), numpy_dx(x, 1.5, 1e-3, dy)[2])


def test_changing_controls_updates_the_numbers():
    at = open_page(PAGE)
    at.radio(key="feature").set_value(3).run()
    assert ends_with_value(latex_with(at, r"\mu_B &= \frac{1}{m}"), X[:, 3].mean())
    show_part(at, "Backward pass")
    at.radio(key="loss").set_value("weighted sum").run()
    assert not at.exception
    np.testing.assert_allclose(upstream(at)["dyᵢ"], RAMP)
    assert ends_with_value(latex_with(at, r"\frac{\partial L}{\partial \beta}"), RAMP.sum())
    xhat, _ = numpy_forward(X[:, 3], 1.0, 0.0, 1e-5)
    assert ends_with_value(latex_with(at, r"\frac{\partial L}{\partial \gamma}"), np.sum(RAMP * xhat))
    show_part(at, "Convolutional layers")
    at.radio(key="channel").set_value(2).run()
    at.radio(key="stage").set_value("normalized").run()
    rows = chart_rows(at)
    assert {row["channel"] for row in rows if row["shared"]} == {"channel 2"}
    stats = table_with(at, "channel σ²")
    shown = np.array([row["value"] for row in rows]).reshape(2, 3, 3, 3)
    np.testing.assert_allclose(shown.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    var = shown_values(stats["channel σ²"])
    np.testing.assert_allclose(shown.var(axis=(0, 2, 3)), var / (var + 1e-5), rtol=1e-6)


def test_epsilon_zero_explains_the_nan_and_makes_dx_orthogonal():
    at = open_page(PAGE, query={"eps": format_eps(0.0), "part": "What ε does"})
    assert not at.exception and not at.error
    assert at.select_slider(key="eps").value == 0.0
    assert any("0/0" in box.value and "NaN" in box.value and "refuses ε = 0" in box.value for box in at.info)
    assert any("batch_norm eps must be positive during training" in box.value for box in at.info)
    assert latex_with(at, r"\sqrt{0 + 0}").endswith(r"\frac{0}{0} = \text{NaN}\end{aligned}")
    show_part(at, "Backward pass")
    assert abs(metric(at, "Σᵢ ∂L/∂xᵢ · x̂ᵢ")) < 1e-12
    at.select_slider(key="eps").set_value(1e-2).run()
    assert abs(metric(at, "Σᵢ ∂L/∂xᵢ · x̂ᵢ")) > 1e-6
    show_part(at, "What ε does")
    assert latex_with(at, r"\sqrt{0 + 0.01}").endswith(r"= 0\end{aligned}")


def test_shrinking_the_feature_shows_eps_taking_over():
    at = open_page(PAGE, query={"part": "What ε does"})
    x = X[:, 0]
    tiny = x.mean() + (x - x.mean()) * 1e-3  # the default shrink factor
    sweep = table_with(at, "std of x̂")
    eps = np.array([0.0, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1])
    assert_shows(sweep["√(σ² + ε)"], np.sqrt(tiny.var() + eps))
    assert_shows(sweep["std of x̂"], np.sqrt(tiny.var() / (tiny.var() + eps)))
    assert list(sweep["current"]).index("◀ ε now") == 4
    at.select_slider(key="shrink").set_value(1.0).run()
    xhat, _ = numpy_forward(x, 1.0, 0.0, 1e-5)
    unshrunk = [el.value.strip("$\n") for el in at.latex if r"\frac{-0.96 - (-0.1137)}" in el.value]
    assert len(unshrunk) == 1 and ends_with_value(unshrunk[0], xhat[0])


def test_batch_shared_by_the_demo_page_is_used():
    batch = np.random.default_rng(7).normal(3.0, 2.0, size=(16, 3))
    at = open_with_batch(batch)
    assert not at.exception
    assert "the batch from the Demo page (16 samples × 3 features)" in at.info[0].value
    mean = latex_with(at, r"\mu_B &= \frac{1}{m}")
    assert r"\dots" in mean and "}{16}" in mean and ends_with_value(mean, batch[:, 0].mean())
    assert len(table_with(at, "xᵢ − μ")) == 16
    at.radio(key="batch").set_value("Seed example").run()
    assert "seed example batch" in at.info[0].value and len(table_with(at, "xᵢ − μ")) == 8


@pytest.mark.parametrize("batch", [np.ones((1, 4)), np.ones((8, 0)), np.full((8, 2), np.nan)])
def test_unusable_demo_batch_falls_back_with_a_warning(batch):
    at = open_with_batch(batch)
    assert not at.exception
    assert any("at least 2 samples and 1 feature" in w.value for w in at.warning)
    assert "seed example batch" in at.info[0].value


def test_constant_feature_with_eps_zero_is_explained_not_crashed():
    batch = X.copy()
    batch[:, 1] = 4.0
    at = open_with_batch(batch, query={"feature": "1", "eps": format_eps(0.0)})
    assert not at.exception
    assert not at.error and len(at.warning) == 1 and "ε = 0" in at.warning[0].value
    show_part(at, "Backward pass")
    assert not at.error and len(at.warning) == 1 and "ε = 0" in at.warning[0].value
    assert not [m for m in at.metric if m.label.startswith("Max relative error")]
    at.select_slider(key="eps").set_value(1e-5).run()
    assert not at.warning and not at.exception
    show_part(at, "Forward pass")
    assert_shows(table_with(at, "xᵢ − μ")["x̂ᵢ"], np.zeros(len(batch)))


def test_finite_differences_that_lose_their_digits_are_flagged():
    batch = X.copy()
    batch[:, 1] = 1e4 + 1e-9 * np.arange(8)  # a spread of 1e-9 on values of 1e4: h is below the rounding error
    at = open_with_batch(batch, query={"feature": "1", "part": "Backward pass"})
    assert not at.exception
    assert metric(at, "Max relative error, ∂L/∂x") > 1e-6
    assert any("floating-point rounding" in w.value for w in at.warning)
