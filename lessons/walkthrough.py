"""Batch normalization of one feature, step by step, as numbers and as LaTeX with those numbers substituted.

Each `*_step` function returns (value, latex): the value comes from bn_core's own functions (`batch_mean`,
`batch_var`, `normalize_forward`, `norm_backward`), and the LaTeX shows the formula in symbols, then with the
user's numbers, then the result, rounded for reading (4 significant digits). A feature is a column `x_col` of
shape (m,); samples are indexed from 0 in code and shown from 1 in formulas (x_1 ... x_m).

The bare formula is `bn_core.normalize.normalize_forward`, which accepts ε = 0 (and divides by zero for a constant
feature); PyTorch 2.13's F.batch_norm and nn.BatchNorm* refuse ε = 0 in training, which the page says.
The `*_table` functions lay out what the page shows as DataFrames, one row per sample (i from 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bn_core.gradcheck import max_relative_error, numerical_gradient
from bn_core.losses import default_values, loss_function
from bn_core.normalize import norm_backward, normalize_forward
from bn_core.stats import batch_mean, batch_var

DIGITS = 4
MAX_TERMS = 8  # longer sums show their first three terms, "…" and the last one
PER_LINE = 4  # terms of a written-out sum on one line: four fit a phone's 358 px column
FD_STEP = 1e-5  # finite-difference step, relative to the scale of what is nudged


def num(value: float, digits: int = DIGITS) -> str:
    """A number as LaTeX, rounded to `digits` significant digits: 1e-05 becomes 1 \\times 10^{-5}, NaN \\text{NaN}."""
    value = float(value)
    if np.isnan(value):
        return r"\text{NaN}"
    if np.isinf(value):
        return r"\infty" if value > 0 else r"-\infty"
    text = f"{value:.{digits}g}"
    if "e" not in text:
        return "0" if text == "-0" else text
    mantissa, exponent = text.split("e")
    power = f"10^{{{int(exponent)}}}"
    return power if mantissa == "1" else f"{mantissa} \\times {power}"


def paren(value: float, digits: int = DIGITS) -> str:
    """A number in parentheses when negative, ready to be multiplied or squared: (-0.96)."""
    text = num(value, digits)
    return f"({text})" if text.startswith("-") else text


def difference_digits(a: float, b: float, digits: int = DIGITS) -> int:
    """Significant digits to write a and b with so that a − b, worked out from them by hand, keeps `digits` of its
    own: more when a and b nearly cancel (x − μ of a feature whose spread is tiny next to its mean)."""
    largest, difference = max(abs(a), abs(b)), abs(a - b)
    if largest == 0 or difference == 0:
        return digits
    lost = math.floor(math.log10(largest)) - math.floor(math.log10(difference))
    return int(min(digits + lost + 1, FLOAT64_DIGITS)) if lost > 0 else digits  # + 1: a guard digit for rounding


def _shown(items: list) -> list:
    """All items when there are at most MAX_TERMS, else the first three, None (for "…") and the last one."""
    return list(items) if len(items) <= MAX_TERMS else [*items[:3], None, items[-1]]


def signed_terms(values) -> list[str]:
    """The terms of x_1 + x_2 + ... with the signs folded in: ["-0.96", "- 1.71", "+ 2.25"] (long sums elided)."""
    first, *rest = _shown(list(np.asarray(values, dtype=np.float64).reshape(-1)))
    return [num(first), *(r"+ \dots" if value is None else f"- {num(-value)}" if value < 0 else f"+ {num(value)}"
                          for value in rest)]


def signed_sum(values) -> str:
    """x_1 + x_2 + ... written with the signs folded in: -0.96 - 1.71 + 2.25 (long sums elided)."""
    return " ".join(signed_terms(values))


def signed_lines(values, per_line: int = PER_LINE) -> list[str]:
    """Like `signed_sum`, `per_line` terms to a line; every line after the first starts with its sign."""
    terms = signed_terms(values)
    return [" ".join(terms[k:k + per_line]) for k in range(0, len(terms), per_line)]


def mean_of(lines: list[str], m: int) -> list[str]:
    """(1/m)·(the sum in `lines`), the sum's lines kept: a fraction's numerator cannot break across lines."""
    wrapped = [rf"\tfrac{{1}}{{{m}}}\Big({lines[0]}", *lines[1:]]
    wrapped[-1] += r"\Big)"
    return wrapped


def squared(value: float) -> str:
    """A number squared, in parentheses when negative: (-0.85)^2."""
    return f"{paren(value)}^2"


def _terms(items: list, term) -> list[str]:
    """`term(item)` for the items shown (long lists elided), "…" in place of the hidden ones."""
    return [r"\dots" if item is None else term(item) for item in _shown(items)]


def term_lines(items: list, term, per_line: int = PER_LINE, first: int | None = None) -> list[str]:
    """Σ term(item) written out (long sums elided), `per_line` terms to a line and `first` (default `per_line`) on
    the first, which a prefix may widen; every line after the first starts with +."""
    shown = _terms(items, term)
    first = per_line if first is None else first
    chunks = [" + ".join(shown[:first]),
              *(" + ".join(shown[k:k + per_line]) for k in range(first, len(shown), per_line))]
    return [chunks[0], *(f"+ {chunk}" for chunk in chunks[1:])]


def _aligned(*lines: str) -> str:
    r"""Lines of one equation chain, aligned on their "=": the first is `lhs = rhs`, the others continue it
    (`= ...`), or continue the previous line's sum when they start with "+"."""
    return r"\begin{aligned}" + r" \\ ".join(_aligned_rows(*lines)) + r"\end{aligned}"


def _aligned_rows(*lines: str) -> list[str]:
    """The rows of `_aligned`, each with its "&" before the "="."""
    first, *rest = lines
    lhs, rhs = first.split("=", 1)
    return [f"{lhs}&={rhs}"] + [rf"&\quad {line}" if line.startswith(("+ ", "- ")) else f"&= {line}"
                                for line in rest]


def as_column(x_col) -> np.ndarray:
    """A feature as float64 of shape (m,); raises ValueError unless it holds at least 2 finite values."""
    x_col = np.asarray(x_col, dtype=np.float64).reshape(-1)
    if x_col.size < 2:
        raise ValueError(f"a feature needs at least 2 values to have a batch variance, got {x_col.size}")
    if not np.all(np.isfinite(x_col)):
        raise ValueError("the feature holds NaN or infinite values; batch normalization needs finite numbers")
    return x_col


def forward_column(x_col, gamma: float = 1.0, beta: float = 0.0, eps: float = 1e-5):
    """The training-mode formula for one feature: x_col (m,), scalar gamma, beta -> (y of shape (m,), cache).

    Statistics over the batch axis of an (m, 1) view, as BatchNorm1d takes them; ε = 0 is allowed here.
    """
    y, cache = normalize_forward(as_column(x_col)[:, None], stat_axes=(0,), param_bshape=(1, 1),
                                 gamma=np.array([gamma]), beta=np.array([beta]), eps=eps)
    return y[:, 0], cache


# ---------------------------------------------------------------- forward pass, one equation at a time


def mean_step(x_col) -> tuple[float, str]:
    """μ_B = (1/m) Σ x_i, with the values summed. x_col: (m,). Returns (μ_B, latex)."""
    x_col = as_column(x_col)
    mean = float(batch_mean(x_col))
    latex = _aligned(
        r"\mu_B = \frac{1}{m}\sum_{i=1}^{m} x_i",
        *mean_of(signed_lines(x_col), x_col.size),
        num(mean),
    )
    return mean, latex


def variance_step(x_col) -> tuple[float, str]:
    """σ²_B = (1/m) Σ (x_i − μ_B)², biased (divide by m), with the squared deviations. Returns (σ²_B, latex)."""
    x_col = as_column(x_col)
    var = float(batch_var(x_col))
    deviations = list(x_col - batch_mean(x_col))
    latex = _aligned(
        r"\sigma_B^2 = \frac{1}{m}\sum_{i=1}^{m} (x_i - \mu_B)^2",
        # two on the first line, after (1/m)(: with three it was 377 px, wider than a phone's 358 px column
        *mean_of(term_lines(deviations, squared, per_line=3, first=2), x_col.size),
        rf"\frac{{{num(var * x_col.size)}}}{{{x_col.size}}} = {num(var)}",
    )
    return var, latex


def unbiased_variance_step(x_col) -> tuple[float, str]:
    """s² = (1/(m − 1)) Σ (x_i − μ_B)², the unbiased estimate a running variance tracks. Returns (s², latex)."""
    x_col = as_column(x_col)
    m = x_col.size
    unbiased = float(batch_var(x_col, ddof=1))
    latex = _aligned(
        r"s^2 = \frac{1}{m-1}\sum_{i=1}^{m} (x_i - \mu_B)^2 = \frac{m}{m-1}\,\sigma_B^2",
        rf"\frac{{{num(unbiased * (m - 1))}}}{{{m - 1}}} = {num(unbiased)}",
    )
    return unbiased, latex


def normalize_step(x_col, i: int, eps: float) -> tuple[float, str]:
    """x̂_i = (x_i − μ_B) / √(σ²_B + ε) for sample i (0-based). Returns (x̂_i, latex)."""
    x_col = as_column(x_col)
    _, cache = forward_column(x_col, eps=eps)
    mean, var = float(cache.mean.item()), float(cache.var.item())
    xhat_i = float(cache.xhat[i, 0])
    k, digits = i + 1, difference_digits(float(x_col[i]), mean)
    latex = _aligned(
        rf"\hat x_{{{k}}} = \frac{{x_{{{k}}} - \mu_B}}{{\sqrt{{\sigma_B^2 + \varepsilon}}}}",
        rf"\frac{{{num(x_col[i], digits)} - {paren(mean, digits)}}}{{\sqrt{{{num(var)} + {num(eps)}}}}}",
        rf"\frac{{{num(x_col[i] - mean)}}}{{{num(np.sqrt(var + eps))}}} = {num(xhat_i)}",
    )
    return xhat_i, latex


def scale_shift_step(x_col, i: int, gamma: float, beta: float, eps: float) -> tuple[float, str]:
    """y_i = γ·x̂_i + β for sample i (0-based). Returns (y_i, latex)."""
    y, cache = forward_column(x_col, gamma, beta, eps)
    k = i + 1
    latex = _aligned(
        rf"y_{{{k}}} = \gamma\,\hat x_{{{k}}} + \beta",
        rf"{num(gamma)} \cdot {paren(cache.xhat[i, 0])} + {paren(beta)} = {num(y[i])}",
    )
    return float(y[i]), latex


def constant_feature_step(value: float, m: int, eps: float) -> tuple[float, str]:
    """x̂ of a feature whose m values all equal `value`: 0 / √ε = 0 when ε > 0, 0 / 0 = NaN when ε = 0."""
    _, cache = forward_column(np.full(m, float(value)), eps=eps)
    xhat = float(cache.xhat[0, 0])
    latex = _aligned(
        r"\hat x_i = \frac{x_i - \mu_B}{\sqrt{\sigma_B^2 + \varepsilon}}",
        rf"\frac{{{num(value)} - {paren(value)}}}{{\sqrt{{0 + {num(eps)}}}}}",
        rf"\frac{{0}}{{{num(np.sqrt(eps))}}} = {num(xhat)}",
    )
    return xhat, latex


def shrink_spread(x_col, factor: float) -> np.ndarray:
    """The feature squeezed towards its mean: μ_B + (x − μ_B)·factor, so σ²_B is multiplied by factor². (m,)."""
    x_col = as_column(x_col)
    mean = batch_mean(x_col)
    return mean + (x_col - mean) * factor


def undefined_forward(x_col, eps: float) -> bool:
    """True when σ²_B + ε = 0 (a constant feature with ε = 0): x̂ = 0/0 is NaN for every sample."""
    return float(batch_var(as_column(x_col))) + eps == 0


def epsilon_sweep(x_col, eps_values) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x̂ of one feature for each ε. x_col: (m,); eps_values: (k,).

    Returns (scale, xhat, spread): scale (k,) = √(σ²_B + ε), the number actually divided by; xhat (k, m);
    spread (k,) = the standard deviation of x̂ over the batch, √(σ²_B / (σ²_B + ε)).
    """
    x_col = as_column(x_col)
    eps_values = np.asarray(eps_values, dtype=np.float64)
    xhat = np.stack([forward_column(x_col, eps=float(eps))[1].xhat[:, 0] for eps in eps_values])
    with np.errstate(invalid="ignore"):
        spread = xhat.std(axis=1)
    return np.sqrt(batch_var(x_col) + eps_values), xhat, spread


# ---------------------------------------------------------------- backward pass


@dataclass(frozen=True)
class BackwardWalk:
    """One feature's forward and backward pass under a loss. Arrays have shape (m,).

    dx = invstd · (direct + through_mean + through_var), where with g = γ·dy:
    direct = g, through_mean = −mean(g) (the path through μ_B), through_var = −x̂·mean(g·x̂) (through σ²_B).
    """

    x: np.ndarray
    xhat: np.ndarray
    y: np.ndarray
    loss: float
    dy: np.ndarray
    gamma: float
    mean: float
    var: float
    eps: float
    invstd: float
    g: np.ndarray
    through_mean: np.ndarray
    through_var: np.ndarray
    dx: np.ndarray
    dgamma: float
    dbeta: float

    @property
    def m(self) -> int:
        return self.x.size

    @property
    def sum_dx(self) -> float:
        """Σ dx_i: 0 up to rounding, since adding a constant to every x_i leaves x̂ unchanged."""
        return float(self.dx.sum())

    @property
    def dx_dot_xhat(self) -> float:
        """Σ dx_i·x̂_i: 0 when ε = 0 (scaling x leaves x̂ unchanged), else the small `eps_leak`."""
        return float(self.dx @ self.xhat)

    @property
    def eps_leak(self) -> float:
        """The exact value of Σ dx_i·x̂_i: invstd · Σ g_i x̂_i · ε / (σ²_B + ε)."""
        return float(self.invstd * (self.g @ self.xhat) * self.eps / (self.var + self.eps))


def backward_walk(x_col, gamma: float, beta: float, eps: float, loss: str, values) -> BackwardWalk:
    """Forward one feature, take `loss` ("squared error" with target `values`, or "weighted sum" with weights
    `values`, both (m,)), and backward with `norm_backward`."""
    x_col = as_column(x_col)
    y, cache = forward_column(x_col, gamma, beta, eps)
    loss_value, dy = loss_function(loss)(y, np.asarray(values, dtype=np.float64))
    dx, dgamma, dbeta = norm_backward(dy[:, None], cache)
    xhat = cache.xhat[:, 0]
    g = gamma * dy
    return BackwardWalk(
        x=x_col, xhat=xhat, y=y, loss=loss_value, dy=dy, gamma=gamma, mean=float(cache.mean.item()),
        var=float(cache.var.item()), eps=eps, invstd=float(cache.invstd.item()), g=g,
        through_mean=np.full_like(g, -g.mean()), through_var=-xhat * np.mean(g * xhat),
        dx=dx[:, 0], dgamma=float(dgamma.item()), dbeta=float(dbeta.item()),
    )


LOSS_LATEX = {  # on two lines: on one, wider than a phone
    "squared error": r"\begin{aligned}L &= \tfrac12 \sum_{i=1}^{m} (y_i - t_i)^2, \\ "
                     r"dy_i &= \frac{\partial L}{\partial y_i} = y_i - t_i\end{aligned}",
    "weighted sum": r"\begin{aligned}L &= \sum_{i=1}^{m} w_i\, y_i, \\ "
                    r"dy_i &= \frac{\partial L}{\partial y_i} = w_i\end{aligned}",
}


def dbeta_step(walk: BackwardWalk) -> tuple[float, str]:
    """∂L/∂β = Σ dy_i, evaluated. Returns (dβ, latex)."""
    latex = _aligned(
        r"\frac{\partial L}{\partial \beta} = \sum_{i=1}^{m} dy_i",
        *signed_lines(walk.dy),
        num(walk.dbeta),
    )
    return walk.dbeta, latex


def dgamma_step(walk: BackwardWalk) -> tuple[float, str]:
    """∂L/∂γ = Σ dy_i·x̂_i, evaluated. Returns (dγ, latex)."""
    latex = _aligned(
        r"\frac{\partial L}{\partial \gamma} = \sum_{i=1}^{m} dy_i\, \hat x_i",
        *term_lines(list(zip(walk.dy, walk.xhat, strict=True)), lambda p: rf"{paren(p[0])} \cdot {paren(p[1])}",
                    per_line=2),
        num(walk.dgamma),
    )
    return walk.dgamma, latex


DX_LATEX = (  # on three lines: on one, wider than a phone
    r"\begin{aligned}\frac{\partial L}{\partial x_i} &= \frac{1}{\sqrt{\sigma_B^2 + \varepsilon}}"
    r"\Big( g_i \;-\; \frac{1}{m}\sum_{j=1}^{m} g_j \\ &\qquad\quad -\; \hat x_i \cdot \frac{1}{m}"
    r"\sum_{j=1}^{m} g_j \hat x_j \Big), \\ g_i &= \gamma\, dy_i\end{aligned}"
)


def dx_step(walk: BackwardWalk, i: int) -> tuple[float, str]:
    """∂L/∂x_i for sample i (0-based), its three terms substituted. Returns (dx_i, latex)."""
    k = i + 1
    inner = walk.g[i] + walk.through_mean[i] + walk.through_var[i]
    latex = _aligned(
        rf"\frac{{\partial L}}{{\partial x_{{{k}}}}} = \frac{{1}}{{\sqrt{{\sigma_B^2 + \varepsilon}}}}"
        rf"\big( g_{{{k}}} - \bar g - \hat x_{{{k}}}\, \overline{{g \hat x}} \big)",
        rf"{num(walk.invstd)} \cdot \big( {signed_sum([walk.g[i], walk.through_mean[i], walk.through_var[i]])} \big)",
        rf"{num(walk.invstd)} \cdot {paren(inner)} = {num(walk.dx[i])}",
    )
    return float(walk.dx[i]), latex


# ---------------------------------------------------------------- numerical check


def gradient_check(x_col, gamma: float, beta: float, eps: float, loss: str, values) -> tuple[dict[str, float], float]:
    """Central finite differences (`bn_core.gradcheck`) against the analytic gradients of `backward_walk`.

    The step for x is h = 1e-5 · √(σ²_B + ε), the feature's own scale, so the check works for any unit: truncation
    error grows as (h/σ)² and rounding error as 1/h. γ and β use h = 1e-5.
    Returns ({"x": error, "γ": error, "β": error}, h for x); each max relative error is ~1e-10 in float64.
    """
    walk = backward_walk(x_col, gamma, beta, eps, loss, values)
    if not np.isfinite(walk.invstd):
        raise ValueError("σ²_B + ε = 0 (a constant feature with ε = 0): the forward pass is NaN, nothing to check")
    f_loss = loss_function(loss)
    values = np.asarray(values, dtype=np.float64)

    def loss_of(x, g, b) -> float:
        return f_loss(forward_column(x, g, b, eps)[0], values)[0]

    h = FD_STEP / walk.invstd
    numeric_dx = numerical_gradient(lambda x: loss_of(x, gamma, beta), walk.x, h=h)
    numeric_dgamma = numerical_gradient(lambda g: loss_of(walk.x, g.item(), beta), np.array([gamma]), h=FD_STEP)
    numeric_dbeta = numerical_gradient(lambda b: loss_of(walk.x, gamma, b.item()), np.array([beta]), h=FD_STEP)
    errors = {
        "x": max_relative_error(walk.dx, numeric_dx),
        "γ": max_relative_error(np.array([walk.dgamma]), numeric_dgamma),
        "β": max_relative_error(np.array([walk.dbeta]), numeric_dbeta),
    }
    return errors, h


# ---------------------------------------------------------------- convolutional layers


CONV_MEANS = (0.0, 4.0, -2.0)
CONV_SCALES = (1.0, 2.0, 0.5)
CONV_GAMMA = (1.0, 0.5, 2.0)
CONV_BETA = (0.0, 1.0, -1.0)


def conv_example(seed: int = 0, shape: tuple[int, int, int, int] = (2, 3, 3, 3)) -> np.ndarray:
    """A small seeded feature map of shape (N, C, H, W), one decimal per value; channel c has mean CONV_MEANS[c]
    and scale CONV_SCALES[c] (C ≤ 3), so each channel visibly needs its own statistics."""
    n, c, h, w = shape
    if not 1 <= c <= len(CONV_MEANS):
        raise ValueError(f"the example has 1 to {len(CONV_MEANS)} channels, got {c}")
    rng = np.random.default_rng(seed)
    means = np.array(CONV_MEANS[:c]).reshape(1, c, 1, 1)
    scales = np.array(CONV_SCALES[:c]).reshape(1, c, 1, 1)
    return np.round(means + scales * rng.standard_normal(shape), 1)


@dataclass(frozen=True)
class ConvWalk:
    """Batch norm of a (N, C, H, W) tensor: per-channel statistics over (N, H, W), and every stage's values."""

    x: np.ndarray  # (N, C, H, W)
    xhat: np.ndarray  # (N, C, H, W)
    y: np.ndarray  # (N, C, H, W)
    mean: np.ndarray  # (C,)
    var: np.ndarray  # (C,)
    gamma: np.ndarray  # (C,)
    beta: np.ndarray  # (C,)

    @property
    def values_per_channel(self) -> int:
        """M = N·H·W, the number of values that share one channel's μ and σ²."""
        n, _, h, w = self.x.shape
        return n * h * w


def conv_walk(x, gamma, beta, eps: float) -> ConvWalk:
    """The training-mode formula on x (N, C, H, W) with gamma, beta (C,): statistics per channel over (N, H, W),
    as BatchNorm2d takes them (ε = 0 allowed), keeping what the page shows."""
    x = np.asarray(x, dtype=np.float64)
    gamma, beta = np.asarray(gamma, dtype=np.float64), np.asarray(beta, dtype=np.float64)
    y, cache = normalize_forward(x, stat_axes=(0, 2, 3), param_bshape=(1, x.shape[1], 1, 1), gamma=gamma, beta=beta,
                                 eps=eps)
    return ConvWalk(x=x, xhat=cache.xhat, y=y, mean=cache.mean.reshape(-1), var=cache.var.reshape(-1),
                    gamma=gamma, beta=beta)


def channel_stats_step(walk: ConvWalk, channel: int) -> str:
    """LaTeX for one channel's μ_c and σ²_c over its N·H·W values, the values summed (long sums elided), the
    variance under the mean (side by side, the two are wider than the page's column on a 1280 px screen)."""
    values = walk.x[:, channel].reshape(-1)
    c, count = channel, walk.values_per_channel
    mean = _aligned_rows(
        rf"\mu_{{{c}}} = \frac{{1}}{{N H W}} \sum_{{n,h,w}} x_{{n,{c},h,w}}",
        *mean_of(signed_lines(values, per_line=3), count),
        num(walk.mean[c]),
    )
    var = _aligned_rows(
        rf"\sigma^2_{{{c}}} = \frac{{1}}{{N H W}} \sum_{{n,h,w}} (x_{{n,{c},h,w}} - \mu_{{{c}}})^2",
        *mean_of(term_lines(list(values - walk.mean[c]), squared, per_line=3), count),
        num(walk.var[c]),
    )
    return r"\begin{aligned}" + r" \\ ".join(mean) + r" \\[0.8em] " + r" \\ ".join(var) + r"\end{aligned}"


# ---------------------------------------------------------------- what the numbers say


FLOAT64_DIGITS = 15  # float64 carries 15–16 significant decimal digits


def agreeing_digits(error: float) -> int:
    """How many significant digits two numbers share when their relative error is `error`: ⌊−log10(error)⌋,
    0 for errors of 1 or more, FLOAT64_DIGITS when the error is below float64's resolution (or exactly 0)."""
    if not np.isfinite(error) or error >= 1:
        return 0
    if error <= 10.0**-FLOAT64_DIGITS:
        return FLOAT64_DIGITS
    return int(np.floor(-np.log10(error)))


def bias_shift_effect(x_col, gamma: float, beta: float, eps: float, loss: str, values, bias: float = 1.0) -> float:
    """|L(x + b) − L(x)|: how much a bias b added to every sample before the layer changes the loss (0 up to
    rounding, since the batch mean absorbs it: its gradient Σᵢ ∂L/∂xᵢ is exactly 0 in exact arithmetic)."""
    values = np.asarray(values, dtype=np.float64)
    f_loss = loss_function(loss)
    x_col = as_column(x_col)
    before = f_loss(forward_column(x_col, gamma, beta, eps)[0], values)[0]
    after = f_loss(forward_column(x_col + bias, gamma, beta, eps)[0], values)[0]
    return float(abs(after - before))


INPUT_SCALES = (0.01, 0.1, 1.0, 10.0, 100.0)


def input_scale_table(x_col, gamma: float, beta: float, eps: float, loss: str, values,
                      scales=INPUT_SCALES) -> pd.DataFrame:
    """The feature multiplied by c (as if the weights before the layer were c times larger), with and without the
    normalization (y = γ·x + β), under the same loss: one row per c.

    With normalization L stays put and ‖∂L/∂x‖ shrinks as 1/c (Ioffe & Szegedy 2015, Sec. 3.3); without it nothing
    shrinks the gradient: it grows with c under squared error (once c·x outweighs the target) and stays the same
    under a weighted sum.
    """
    x_col = as_column(x_col)
    values = np.asarray(values, dtype=np.float64)
    f_loss = loss_function(loss)
    rows = []
    for c in scales:
        walk = backward_walk(c * x_col, gamma, beta, eps, loss, values)
        plain_loss, plain_dy = f_loss(gamma * c * x_col + beta, values)
        rows.append((f"× {c:g}", walk.loss, float(np.linalg.norm(walk.dx)), plain_loss,
                     float(np.linalg.norm(gamma * plain_dy))))
    return pd.DataFrame(rows, columns=["input × c", "L with BN", "‖∂L/∂x‖ with BN", "L without BN",
                                       "‖∂L/∂x‖ without BN"])


# ---------------------------------------------------------------- tables, one row per sample (i from 1)


def _samples(m: int) -> np.ndarray:
    return np.arange(1, m + 1)


def subscript(k: int) -> str:
    """k in Unicode subscript digits, for column headers: 12 -> ₁₂."""
    return str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def forward_table(x_col, gamma: float, beta: float, eps: float) -> pd.DataFrame:
    """One feature through the forward pass: i, xᵢ, xᵢ − μ, x̂ᵢ, yᵢ. x_col: (m,)."""
    y, cache = forward_column(x_col, gamma, beta, eps)
    x = as_column(x_col)
    return pd.DataFrame({"i": _samples(x.size), "xᵢ": x, "xᵢ − μ": x - cache.mean.item(),
                         "x̂ᵢ": cache.xhat[:, 0], "yᵢ": y})


def epsilon_table(x_col, i: int, eps_values, eps_labels, current_eps: float) -> pd.DataFrame:
    """One feature normalized with each ε: ε (its label), √(σ²_B + ε), x̂ of sample i (0-based), std of x̂, and a
    marker on the row of `current_eps`."""
    scale, xhat, spread = epsilon_sweep(x_col, eps_values)
    return pd.DataFrame({
        "ε": list(eps_labels), "√(σ² + ε)": scale, f"x̂{subscript(i + 1)}": xhat[:, i], "std of x̂": spread,
        "current": ["◀ ε now" if eps == current_eps else "" for eps in eps_values],
    })


def upstream_table(walk: BackwardWalk) -> pd.DataFrame:
    """The loss's gradient arriving at the layer: i, yᵢ, dyᵢ."""
    return pd.DataFrame({"i": _samples(walk.m), "yᵢ": walk.y, "dyᵢ": walk.dy})


def dx_terms_table(walk: BackwardWalk) -> pd.DataFrame:
    """The input gradient and its three terms: i, x̂ᵢ, gᵢ, −mean(g), −x̂ᵢ·mean(g·x̂), ∂L/∂xᵢ."""
    return pd.DataFrame({"i": _samples(walk.m), "x̂ᵢ": walk.xhat, "gᵢ": walk.g, "−mean(g)": walk.through_mean,
                         "−x̂ᵢ·mean(g·x̂)": walk.through_var, "∂L/∂xᵢ": walk.dx})


def channel_table(walk: ConvWalk) -> pd.DataFrame:
    """Per-channel statistics and parameters: channel, channel μ, channel σ², γ, β, values M (= N·H·W)."""
    return pd.DataFrame({"channel": np.arange(walk.mean.size), "channel μ": walk.mean, "channel σ²": walk.var,
                         "γ": walk.gamma, "β": walk.beta, "values M": walk.values_per_channel})


def loss_values_column(loss: str) -> str:
    """The header of the editable column the loss needs: a target for squared error, weights for a weighted sum."""
    return "target tᵢ" if loss == "squared error" else "weight wᵢ"


def loss_values_table(loss: str, m: int) -> pd.DataFrame:
    """The editable table of the loss's target (or weights): i, and the default ramp from −1 to 2."""
    return pd.DataFrame({"i": _samples(m), loss_values_column(loss): default_values(m)})


def edited_values(column, m: int) -> tuple[np.ndarray, int]:
    """An edited column as float64 (m,): empty or non-numeric cells replaced by their defaults.
    Returns (values, how many cells were replaced)."""
    defaults = default_values(m)
    values = pd.to_numeric(pd.Series(column), errors="coerce").to_numpy(dtype=np.float64, copy=True)
    bad = ~np.isfinite(values)
    values[bad] = defaults[bad]
    return values, int(bad.sum())


def usable_batch(x) -> bool:
    """Whether a batch (N, F) can be walked through: at least 2 samples, 1 feature, every value finite."""
    x = np.asarray(x)
    return x.ndim == 2 and x.shape[0] >= 2 and x.shape[1] >= 1 and bool(np.all(np.isfinite(x)))
