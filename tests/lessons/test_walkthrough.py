"""lessons.walkthrough and charts.formula, checked against independent numpy computations."""

import re

import numpy as np
import pytest

from bn_core.data import seed_example_batch
from bn_core.losses import LOSSES, default_values
from charts.formula import feature_map_chart, feature_map_frame, graph_dot
from lessons.formula_text import scale_text
from lessons.walkthrough import (
    CONV_BETA,
    CONV_GAMMA,
    FLOAT64_DIGITS,
    agreeing_digits,
    backward_walk,
    bias_shift_effect,
    channel_stats_step,
    channel_table,
    constant_feature_step,
    conv_example,
    conv_walk,
    dbeta_step,
    dgamma_step,
    dx_step,
    dx_terms_table,
    edited_values,
    epsilon_sweep,
    epsilon_table,
    forward_table,
    gradient_check,
    input_scale_table,
    mean_step,
    normalize_step,
    num,
    scale_shift_step,
    shrink_spread,
    signed_sum,
    subscript,
    unbiased_variance_step,
    undefined_forward,
    upstream_table,
    usable_batch,
    variance_step,
)

X = seed_example_batch()
COL = X[:, 0]


def reference_dx(x, gamma, eps, dy):
    """dx = Jᵀ(γ·dy) with the full Jacobian of x̂ w.r.t. x: J = invstd·(I − 1/m − x̂x̂ᵀ/m)."""
    m = x.size
    invstd = 1 / np.sqrt(x.var() + eps)
    xhat = (x - x.mean()) * invstd
    jacobian = invstd * (np.eye(m) - 1 / m - np.outer(xhat, xhat) / m)
    return jacobian.T @ (gamma * dy)


# ---------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (-0.113749, "-0.1137"),
        (6.3955, "6.396"),
        (1e-5, "10^{-5}"),
        (2.5e-7, r"2.5 \times 10^{-7}"),
        (0.0, "0"),
        (-0.0, "0"),
        (np.nan, r"\text{NaN}"),
        (np.inf, r"\infty"),
        (12345678.0, r"1.235 \times 10^{7}"),
    ],
)
def test_num(value, text):
    assert num(value) == text


def test_signed_sum_folds_signs_and_elides_long_sums():
    assert signed_sum([-0.96, -1.71, 2.25]) == "-0.96 - 1.71 + 2.25"
    long = signed_sum(np.arange(1.0, 11.0) * -1)
    assert long == r"-1 - 2 - 3 + \dots - 10"


# ---------------------------------------------------------------- forward steps


def test_mean_step_seed_column():
    value, latex = mean_step(COL)
    assert value == pytest.approx(np.mean(COL), abs=1e-15)
    assert r"\tfrac{1}{8}\Big(-0.96 - 1.71 - 2.76 + 2.25 \\ &\quad - 2.88 - 1.42 + 4.48 + 2.09\Big)" in latex
    assert latex.endswith(r"&= -0.1137\end{aligned}")


def test_variance_steps_divide_by_m_and_m_minus_1():
    var, latex = variance_step(COL)
    assert var == pytest.approx(np.var(COL), rel=1e-14)
    assert latex.count("^2") == 8 + 2  # eight squared deviations, plus σ_B^2 and (x_i − μ_B)^2
    assert f"= {num(var)}" in latex and f"{{{num(var * 8)}}}{{8}}" in latex
    unbiased, latex = unbiased_variance_step(COL)
    assert unbiased == pytest.approx(np.var(COL, ddof=1), rel=1e-14)
    assert f"{{{num(unbiased * 7)}}}{{7}} = {num(unbiased)}" in latex


@pytest.mark.parametrize("eps", [0.0, 1e-5, 0.1])
@pytest.mark.parametrize("i", [0, 5])
def test_normalize_and_scale_shift_steps(i, eps):
    expected = (COL[i] - COL.mean()) / np.sqrt(COL.var() + eps)
    xhat, latex = normalize_step(COL, i, eps)
    assert xhat == pytest.approx(expected, rel=1e-13)
    assert rf"\hat x_{{{i + 1}}}" in latex and latex.endswith(rf"= {num(expected)}\end{{aligned}}")
    y, latex = scale_shift_step(COL, i, -1.5, 0.25, eps)
    assert y == pytest.approx(-1.5 * expected + 0.25, rel=1e-13)
    assert latex.endswith(rf"= {num(y)}\end{{aligned}}")


@pytest.mark.parametrize("shrink", [1.0, 1e-2, 1e-3, 1e-4])
def test_the_substituted_numerator_can_be_worked_out_by_hand(shrink):
    """x₁ and μ_B are written with enough digits that their difference, done by hand, is the one shown."""
    tiny = shrink_spread(COL, shrink)
    substituted = normalize_step(tiny, 0, 1e-5)[1].split(r"\\")[1]
    operands = re.search(r"\\frac\{(\S+) - \(?([^)}]+)\)?\}", substituted)
    difference = float(operands[1]) - float(operands[2])
    assert difference == pytest.approx(tiny[0] - tiny.mean(), rel=1e-4), substituted  # its 4 digits, up to a tie


def test_short_or_non_finite_features_are_rejected():
    with pytest.raises(ValueError, match="at least 2"):
        mean_step([1.0])
    with pytest.raises(ValueError, match="NaN"):
        variance_step([1.0, np.nan, 2.0])


def test_constant_feature_needs_eps():
    xhat, latex = constant_feature_step(3.0, 8, 1e-5)
    assert xhat == 0.0
    assert r"\sqrt{0 + 10^{-5}}" in latex
    with np.errstate(all="raise"):  # the NaN must come out quietly, not as a floating-point warning
        xhat, latex = constant_feature_step(3.0, 8, 0.0)
    assert np.isnan(xhat)
    assert r"\frac{0}{0} = \text{NaN}" in latex
    assert undefined_forward(np.full(8, 3.0), 0.0)
    assert not undefined_forward(np.full(8, 3.0), 1e-8) and not undefined_forward(COL, 0.0)


def test_epsilon_sweep_against_numpy():
    tiny = shrink_spread(COL, 1e-3)
    assert tiny.mean() == pytest.approx(COL.mean()) and tiny.var() == pytest.approx(COL.var() * 1e-6)
    eps_values = np.array([0.0, 1e-6, 1e-3])
    scale, xhat, spread = epsilon_sweep(tiny, eps_values)
    np.testing.assert_allclose(spread, np.sqrt(tiny.var() / (tiny.var() + eps_values)), rtol=1e-9)
    np.testing.assert_allclose(scale, np.sqrt(tiny.var() + eps_values), rtol=1e-12)
    expected = (tiny - tiny.mean())[None, :] / np.sqrt(tiny.var() + eps_values)[:, None]
    np.testing.assert_allclose(xhat, expected, rtol=1e-9, atol=1e-12)
    assert np.std(xhat[0]) == pytest.approx(1.0) and np.std(xhat[-1]) < 0.1  # ε ≫ σ² squashes x̂


# ---------------------------------------------------------------- backward steps


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("feature", range(4))
def test_backward_walk_against_jacobian(loss, feature):
    x, gamma, beta, eps = X[:, feature], 1.7, -0.4, 1e-3
    values = default_values(8)
    walk = backward_walk(x, gamma, beta, eps, loss, values)
    xhat = (x - x.mean()) / np.sqrt(x.var() + eps)
    y = gamma * xhat + beta
    dy = y - values if loss == "squared error" else values
    np.testing.assert_allclose(walk.dy, dy, rtol=1e-12)
    np.testing.assert_allclose(walk.dx, reference_dx(x, gamma, eps, dy), rtol=1e-9, atol=1e-12)
    assert walk.dgamma == pytest.approx(np.sum(dy * xhat), rel=1e-12)
    assert walk.dbeta == pytest.approx(np.sum(dy), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(walk.invstd * (walk.g + walk.through_mean + walk.through_var), walk.dx, atol=1e-13)


def test_dx_sums_to_zero_and_is_orthogonal_to_xhat_up_to_eps():
    walk = backward_walk(COL, 1.0, 0.0, 1e-2, "squared error", default_values(8))
    assert abs(walk.sum_dx) < 1e-14
    assert abs(walk.dx_dot_xhat) > 1e-5  # with ε > 0, x̂ is not exactly scale invariant
    assert walk.dx_dot_xhat == pytest.approx(walk.eps_leak, rel=1e-9)
    exact = backward_walk(COL, 1.0, 0.0, 0.0, "squared error", default_values(8))
    assert abs(exact.dx_dot_xhat) < 1e-14 and exact.eps_leak == 0.0


def test_backward_latex_evaluates_to_the_values():
    walk = backward_walk(COL, 2.0, 0.5, 1e-5, "weighted sum", default_values(8))
    dbeta, latex = dbeta_step(walk)
    assert dbeta == pytest.approx(default_values(8).sum())
    assert latex.endswith(rf"&= {num(dbeta)}\end{{aligned}}")
    dgamma, latex = dgamma_step(walk)
    assert latex.count(r"\cdot") == 8 and latex.endswith(rf"&= {num(dgamma)}\end{{aligned}}")
    dx2, latex = dx_step(walk, 2)
    assert dx2 == walk.dx[2]
    assert r"\partial x_{3}" in latex and latex.endswith(rf"= {num(dx2)}\end{{aligned}}")


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("feature", range(4))
def test_gradient_check_is_tight(loss, feature):
    errors, h = gradient_check(X[:, feature], 1.3, 0.2, 1e-5, loss, default_values(8))
    assert set(errors) == {"x", "γ", "β"}
    assert max(errors.values()) < 1e-8
    assert h == pytest.approx(1e-5 * X[:, feature].std(), rel=1e-4)


def test_gradient_check_catches_a_wrong_gradient(monkeypatch):
    import lessons.walkthrough as walkthrough

    real = walkthrough.norm_backward
    monkeypatch.setattr(walkthrough, "norm_backward", lambda dy, cache: (2 * real(dy, cache)[0], *real(dy, cache)[1:]))
    errors, _ = gradient_check(COL, 1.0, 0.0, 1e-5, "squared error", default_values(8))
    assert errors["x"] > 1e-3


def test_gradient_check_refuses_a_nan_forward():
    with pytest.raises(ValueError, match="constant feature"):
        gradient_check(np.full(8, 2.0), 1.0, 0.0, 0.0, "squared error", default_values(8))


# ---------------------------------------------------------------- convolutional example


def test_conv_example_is_seeded_and_per_channel():
    x = conv_example(0)
    assert x.shape == (2, 3, 3, 3)
    np.testing.assert_array_equal(x, conv_example(0))
    assert not np.array_equal(x, conv_example(1))
    np.testing.assert_array_equal(x, np.round(x, 1))
    with pytest.raises(ValueError):
        conv_example(0, (2, 4, 3, 3))


def test_conv_walk_statistics_over_n_h_w():
    x = conv_example(3)
    walk = conv_walk(x, CONV_GAMMA, CONV_BETA, 1e-5)
    np.testing.assert_allclose(walk.mean, x.mean(axis=(0, 2, 3)), rtol=1e-13)
    np.testing.assert_allclose(walk.var, x.var(axis=(0, 2, 3)), rtol=1e-13)
    assert walk.values_per_channel == 18
    xhat = (x - walk.mean[None, :, None, None]) / np.sqrt(walk.var[None, :, None, None] + 1e-5)
    np.testing.assert_allclose(
        walk.y, xhat * np.array(CONV_GAMMA)[None, :, None, None] + np.array(CONV_BETA)[None, :, None, None], atol=1e-12
    )
    latex = channel_stats_step(walk, 1)
    assert r"\tfrac{1}{18}\Big(" in latex and f"&= {num(walk.mean[1])}" in latex and f"= {num(walk.var[1])}" in latex
    assert r"\dots" in latex  # 18 values are elided


# ---------------------------------------------------------------- pictures


def test_graph_dot_names_every_node_and_edge():
    walk = backward_walk(COL, 1.5, 0.25, 1e-5, "squared error", default_values(8))
    dot = graph_dot(walk, 0.25)
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    for edge in (
        "x -> mu",
        "x -> var",
        "mu -> var",
        "var -> xhat",
        "eps -> xhat",
        "xhat -> y",
        "gamma -> y",
        "beta -> y",
        "y -> loss",
    ):
        assert f"  {edge};" in dot
    assert f"batch μ = {walk.mean:.4g}".replace("-", "−") in dot
    assert f"∂L/∂γ = {walk.dgamma:.4g}".replace("-", "−") in dot


def test_feature_map_chart_highlights_one_channel():
    x = conv_example(0)
    frame = feature_map_frame(x, channel=2)
    assert len(frame) == x.size and frame.shared.sum() == 18
    assert set(frame[frame.shared].channel) == {"channel 2"}
    np.testing.assert_array_equal(frame.value, x.reshape(-1))
    assert list(frame.panel[:10:9]) == ["s1 · channel 0", "s1 · channel 1"]
    spec = feature_map_chart(x, 2).to_dict()
    assert spec["facet"]["field"] == "panel" and spec["columns"] == 3
    assert [layer["mark"]["type"] for layer in spec["spec"]["layer"]] == ["rect", "text"]


def test_tables_hold_the_walkthrough_numbers():
    forward = forward_table(COL, 2.0, -1.0, 1e-5)
    xhat = (COL - COL.mean()) / np.sqrt(COL.var() + 1e-5)
    assert list(forward["i"]) == list(range(1, 9))
    np.testing.assert_allclose(forward["xᵢ − μ"], COL - COL.mean(), atol=1e-15)
    np.testing.assert_allclose(forward["yᵢ"], 2.0 * xhat - 1.0, rtol=1e-12)
    sweep = epsilon_table(COL, 3, [0.0, 1e-5], ["0", "1e-05"], 1e-5)
    assert list(sweep.columns) == ["ε", "√(σ² + ε)", "x̂₄", "std of x̂", "current"]
    assert list(sweep["current"]) == ["", "◀ ε now"] and sweep["x̂₄"].iloc[1] == pytest.approx(xhat[3])
    walk = backward_walk(COL, 1.0, 0.0, 1e-5, "squared error", default_values(8))
    np.testing.assert_array_equal(upstream_table(walk)["dyᵢ"], walk.dy)
    terms = dx_terms_table(walk)
    np.testing.assert_array_equal(terms["∂L/∂xᵢ"], walk.dx)
    np.testing.assert_array_equal(terms["−x̂ᵢ·mean(g·x̂)"], walk.through_var)
    stats = channel_table(conv_walk(conv_example(0), CONV_GAMMA, CONV_BETA, 1e-5))
    assert list(stats["channel"]) == [0, 1, 2] and list(stats["γ"]) == list(CONV_GAMMA)
    assert subscript(120) == "₁₂₀"


# ---------------------------------------------------------------- what the numbers say


@pytest.mark.parametrize(("error", "digits"), [(3e-11, 10), (1e-6, 6), (9.9e-7, 6), (0.5, 0), (2.0, 0),
                                               (0.0, FLOAT64_DIGITS), (1e-17, FLOAT64_DIGITS), (np.nan, 0)])
def test_agreeing_digits_follow_the_error(error, digits):
    assert agreeing_digits(error) == digits


def test_eps_zero_is_the_bare_formula_not_an_error():
    xhat, _ = normalize_step(COL, 0, 0.0)
    assert xhat == pytest.approx((COL[0] - COL.mean()) / COL.std(), rel=1e-12)
    walk = backward_walk(COL, 1.0, 0.0, 0.0, "squared error", default_values(8))
    assert abs(walk.dx_dot_xhat) < 1e-12  # orthogonal to x̂ exactly when ε = 0
    table = epsilon_table(COL, 0, [0.0], ["0"], 0.0)
    assert table["std of x̂"].iloc[0] == pytest.approx(1.0)


def test_a_bias_before_the_layer_changes_nothing():
    values = default_values(8)
    assert bias_shift_effect(COL, 1.5, 0.2, 1e-5, "squared error", values, bias=3.0) < 1e-12
    walk = backward_walk(COL, 1.5, 0.2, 1e-5, "squared error", values)
    assert abs(walk.sum_dx) < 1e-12  # ∂L/∂b = Σ ∂L/∂xᵢ


def test_scaled_input_keeps_the_loss_and_divides_the_gradient():
    table = input_scale_table(COL, 1.0, 0.0, 0.0, "weighted sum", default_values(8), scales=(0.1, 1.0, 10.0))
    np.testing.assert_allclose(table["L with BN"], table["L with BN"].iloc[1], rtol=1e-12)
    c = np.array([0.1, 1.0, 10.0])
    assert list(table["input × c"]) == ["× 0.1", "× 1", "× 10"]
    np.testing.assert_allclose(table["‖∂L/∂x‖ with BN"] * c, table["‖∂L/∂x‖ with BN"].iloc[1], rtol=1e-9)
    np.testing.assert_allclose(table["L without BN"], table["L without BN"].iloc[1] * c, rtol=1e-12)


def test_gradient_flow_says_what_the_scales_did_without_normalization():
    weighted = input_scale_table(COL, 1.0, 0.0, 1e-5, "weighted sum", default_values(8))
    assert "the loss grows with $c$ and the gradient stays the same" in scale_text(weighted)
    squared = input_scale_table(COL, 1.0, 0.0, 1e-5, "squared error", 10 * default_values(8))
    text = scale_text(squared)
    assert "both grow with $c$ from ×" in text and "grow with $c$:" not in text


def test_edited_values_fall_back_to_the_defaults():
    values, replaced = edited_values([1.0, None, "x", 4.0], 4)
    np.testing.assert_array_equal(values, [1.0, default_values(4)[1], default_values(4)[2], 4.0])
    assert replaced == 2


def test_usable_batch():
    assert usable_batch(np.ones((2, 1)))
    assert not usable_batch(np.ones((1, 4))) and not usable_batch(np.ones((8, 0)))
    assert not usable_batch(np.full((8, 2), np.nan)) and not usable_batch(np.ones(8))
