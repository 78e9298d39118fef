"""The Formula page's words: explanations in Markdown (LaTeX between $…$), sentences computed from the numbers,
and the page's references. No streamlit here: the page renders what these return."""

from __future__ import annotations

import numpy as np

from lessons.format import format_number
from lessons.torch_errors import TORCH_ZERO_EPS_ERROR
from lessons.walkthrough import FLOAT64_DIGITS, INPUT_SCALES, BackwardWalk, agreeing_digits

LEAD = ("Batch normalization of one feature, computed in front of you: every equation first in symbols, then with "
        "the batch's own numbers. Then the gradients, checked numerically, and how convolutional layers share "
        "statistics per channel. Everything here can be redone by hand with a calculator.")


def symbols(m: int) -> str:
    return f"""
- $m$ — the batch size: how many values of the feature are averaged together (here $m$ = {m}).
- $x_i$ — the feature's value for sample $i$ of the batch, $i = 1, \\dots, m$ (one column of the batch).
- $\\varepsilon$ — a small constant added to the variance before the square root, so the division stays finite
  even when every $x_i$ is equal (PyTorch's default $10^{{-5}}$, Keras' $10^{{-3}}$).
- $\\gamma, \\beta$ — a learned scale and shift, one pair per feature. With
  $\\gamma = \\sqrt{{\\sigma_B^2 + \\varepsilon}}$ and $\\beta = \\mu_B$ the layer gives back *this batch's* input
  exactly. That is exact only for this batch (and in eval mode, where the statistics are fixed): in training the
  batch statistics change every step while $\\gamma$ and $\\beta$ stay, so normalizing still changes what the
  network computes.
"""


EPS_ZERO = (
    "**ε = 0 in PyTorch.** The numbers on this page are the bare formula (bn_core's `normalize_forward`), which "
    "accepts ε = 0. PyTorch 2.13 does not: in training mode `F.batch_norm` and `nn.BatchNorm1d/2d/3d` raise "
    f"`{TORCH_ZERO_EPS_ERROR}`. The constructor `nn.BatchNorm1d(C, eps=0)` and eval mode accept it; LayerNorm, "
    "GroupNorm and InstanceNorm accept ε = 0 in training and return NaN for a constant input; Keras 3 and Flax "
    "pass ε straight to $1/\\sqrt{\\sigma^2 + \\varepsilon}$ without a check."
)

STEPS = {
    "mean": "**1. Batch mean.** The average of the feature over the batch: the centre it will be moved from.",
    "variance": ("**2. Batch variance.** The mean squared distance from that centre, divided by $m$: how spread out "
                 "the feature is in this batch."),
    "scale": (r"**4. Scale and shift.** The learned $\gamma$ and $\beta$ give the feature the spread and centre "
              "that suit the next layer; gradient descent sets them like any other weight."),
}


def normalize_step_text(i: int) -> str:
    return (f"**3. Normalize** (shown for sample {i + 1}; pick another in the sidebar). Subtract the mean and "
            r"divide by the standard deviation: over the batch, $\hat x$ now has mean 0 and variance "
            r"$\sigma_B^2/(\sigma_B^2 + \varepsilon) \approx 1$, whatever the feature's units were.")


UNDEFINED_FORWARD = ("This feature is constant and ε = 0, so step 3 divides 0 by 0 and every x̂ is NaN. Raise ε in "
                     "the sidebar (any ε > 0 gives x̂ = 0) or pick another feature.")

BESSEL = (
    "Normalizing uses the batch's *own* spread, so it divides by $m$: that is exactly the variance of these $m$ "
    "numbers. The running variance kept for inference has another job: to estimate the variance of the whole "
    "population of inputs. Squared deviations from the batch's own mean are on average smaller than those from "
    "the population's mean (the batch mean is, by construction, the point closest to its own samples), so their "
    "average underestimates the population variance by the factor $(m-1)/m$. Dividing by $m - 1$ instead "
    "(Bessel's correction) makes the estimate unbiased. PyTorch's running variance averages this $s^2$; Keras 3 "
    r"averages the biased $\sigma_B^2$."
)


def bessel_caption(var: float, unbiased: float, m: int) -> str:
    return (rf"Here $\sigma_B^2$ = {format_number(var)} and $s^2$ = {format_number(unbiased)}: they differ by the "
            f"factor m/(m − 1) = {m}/{m - 1}.")


CONSTANT_FEATURE = (r"A **constant feature** (say, a ReLU that outputs 0 for the whole batch) has $\sigma_B^2 = 0$ "
                    r"and $x_i - \mu_B = 0$ for every sample. Only $\varepsilon$ keeps the denominator away from zero:")
ZERO_OVER_ZERO = ("With ε = 0 the formula's denominator is √0 = 0 and the numerator is 0: 0/0 has no value, so x̂ is "
                  "NaN (not a number), and the NaN would spread to every layer after this one. Any ε > 0 gives "
                  "0/√ε = 0. PyTorch never gets this far: it refuses ε = 0 in training.")
NEARLY_CONSTANT = (r"A **nearly constant feature** shows what $\varepsilon$ changes when it matters: below, the "
                   r"spread of the picked feature is shrunk around its mean. Once $\sigma_B^2$ is comparable to "
                   r"$\varepsilon$, the denominator $\sqrt{\sigma_B^2 + \varepsilon}$ is held up by $\varepsilon$, "
                   r"and $\hat x$ is no longer stretched to unit variance: ε sets the smallest spread worth "
                   "amplifying.")


def sweep_caption(var: float) -> str:
    return (rf"This feature has $\sigma_B^2$ = {format_number(var)}. Rows with $\varepsilon \ll \sigma_B^2$ keep "
            r"std($\hat x$) ≈ 1; rows with $\varepsilon \gg \sigma_B^2$ squash $\hat x$ towards 0.")


UPSTREAM = ("Training needs the gradient of a loss L with respect to x, γ and β. Pick a loss on this feature's "
            "outputs y; its gradient dyᵢ = ∂L/∂yᵢ is what arrives from the layers above.")
NO_GRADIENT = ("The forward pass is NaN for this constant feature with ε = 0, so there is no gradient to show. "
               "Raise ε in the sidebar or pick another feature.")
GAMMA_BETA = (r"$\beta$ is added to every $y_i$, so its gradient collects every $dy_i$; $\gamma$ multiplies each "
              r"$\hat x_i$, so each $dy_i$ counts in proportion to $\hat x_i$.")
THREE_PATHS = (r"$x_i$ reaches the loss three ways: directly through $\hat x_i$, through the mean $\mu_B$ and "
               r"through the variance $\sigma_B^2$ (both depend on every sample). With $g_i = \gamma\,dy_i$, the "
               "three paths give the three terms:")
SUM_ZERO = (r"**Why the gradient sums to zero.** Adding the same number to every $x_i$ moves $\mu_B$ by that number "
            r"and leaves every $\hat x_i$, and so the loss, unchanged: the gradient has no component along "
            r"$(1, \dots, 1)$. In the terms, $g_i$ and $-\bar g$ cancel in the sum, and $\sum_i \hat x_i = 0$ removes "
            "the third.")


def dx_caption(walk: BackwardWalk) -> str:
    invstd = format_number(walk.invstd)
    return (rf"$\partial L/\partial x_i$ = {invstd} × (sum of the three terms), where {invstd} = "
            r"$1/\sqrt{\sigma_B^2 + \varepsilon}$.")


def orthogonal_text(walk: BackwardWalk) -> str:
    return (r"**Why it is orthogonal to $\hat x$.** Scaling every deviation $x_i - \mu_B$ by the same positive factor "
            r"leaves $\hat x$ unchanged when $\varepsilon = 0$, so the gradient has no component along $\hat x$ "
            r"either. With $\varepsilon > 0$ the invariance is only approximate, and the sum is exactly "
            r"$\frac{1}{\sqrt{\sigma_B^2 + \varepsilon}} \sum_i g_i \hat x_i \cdot "
            rf"\frac{{\varepsilon}}{{\sigma_B^2 + \varepsilon}}$ = {format_number(walk.eps_leak)}. Set ε = 0 to see "
            "it vanish to rounding.")


def bias_text(walk: BackwardWalk, loss_change: float) -> str:
    return (r"**A bias before BatchNorm is wasted.** If the layer before adds a bias $b$ to every $x_i$, then "
            r"$\partial L/\partial b = \sum_i \partial L/\partial x_i$ — the sum above, "
            f"{format_number(walk.sum_dx)} here, zero but for rounding — so gradient descent never moves it; "
            f"adding b = 1 to every sample changes L by {format_number(loss_change)}. The batch mean absorbs any "
            r"bias, and $\beta$ does its job: that is why a linear or convolutional layer followed by BatchNorm is "
            "built without one (`bias=False`).")


def _trend(values, scales) -> str:
    """How the size of a column of input_scale_table changes with c, as a verb phrase with {s} for its ending."""
    size = np.abs(np.asarray(values, dtype=np.float64))
    if np.allclose(size, size[0], rtol=1e-9, atol=0):
        return "stay{s} the same"
    rising = np.diff(size) > 0
    if rising.all():
        return "grow{s} with $c$"
    if not rising[-1]:
        return "do{es} not keep growing with $c$"
    first = len(rising) - int(np.argmin(rising[::-1]))  # the scale from which every step up in c is a rise
    return f"grow{{s}} with $c$ from × {scales[first]:g} on"


def scale_text(table, scales=INPUT_SCALES) -> str:
    """The gradient-flow paragraph, with what the loss and gradient did over the `scales` of `table`
    (`lessons.walkthrough.input_scale_table`): with normalization how much the loss moved, without it whether the
    loss and the gradient grew."""
    losses = table["L with BN"]
    change = float((losses.max() - losses.min()) / abs(losses).max()) if abs(losses).max() > 0 else 0.0
    loss_trend, grad_trend = _trend(table["L without BN"], scales), _trend(table["‖∂L/∂x‖ without BN"], scales)
    if loss_trend == grad_trend:
        plain = "the loss and the gradient both " + loss_trend.format(s="", es="")
    else:
        plain = (f"the loss {loss_trend.format(s='s', es='es')} and the gradient "
                 f"{grad_trend.format(s='s', es='es')}")
    return (r"**Gradient flow.** Multiply the layer's input by $c$ — as if the weights before it were $c$ times "
            r"larger. With normalization the output and the loss stay the same and $\partial L/\partial x$ shrinks "
            r"as $1/c$: a layer whose weights grow receives smaller gradients, which damps the growth instead of "
            r"compounding it, and the effective learning rate of those weights scales as $1/c^2$ (Ioffe & Szegedy "
            rf"2015, Sec. 3.3). Without normalization ($y = \gamma x + \beta$), over the scales below, {plain}: "
            rf"nothing shrinks the gradient as the weights grow. With normalization L moved by {change:.2%}: exactly "
            r"invariant only at $\varepsilon = 0$; with $\varepsilon > 0$ the small scales, where $c^2\sigma^2$ "
            r"nears $\varepsilon$, shift it.")


def fd_text(h: float) -> str:
    return ("Central finite differences nudge one input at a time by a small $h$, up and down, and measure the change "
            r"in the loss: $\partial L/\partial x_i \approx (L(x_i + h) - L(x_i - h))/2h$, with "
            rf"$h = 10^{{-5}}\sqrt{{\sigma_B^2 + \varepsilon}}$ = {format_number(h)} for $x$ and $h = 10^{{-5}}$ for "
            r"$\gamma$ and $\beta$. They only run the forward pass, so they share no code with the gradient formulas "
            "above.")


FD_FAILS = ("The finite differences disagree with the formulas by more than 1e−6. This happens when the feature's "
            "spread √(σ² + ε) is tiny next to its values: a step h that small loses most of its digits to "
            "floating-point rounding, so the numeric side is what fails here. Try a larger ε or another feature.")


def fd_agreement(errors: dict[str, float]) -> str:
    """The verdict on the numerical check, with the number of digits computed from the worst error."""
    digits = agreeing_digits(max(errors.values()))
    if digits >= FLOAT64_DIGITS:
        return "The analytic gradients agree with finite differences to every digit float64 carries."
    return (f"The analytic gradients agree with finite differences to {digits} significant digit"
            f"{'' if digits == 1 else 's'} (worst relative error {format_number(max(errors.values()), 2)}).")


GRAPH_HELP = "The forward pass as a graph of the values it computes, each node with its number."
GRAPH_ALT = ("Forward pass: x feeds the batch mean μ and variance σ²; x, μ, σ² and ε give x̂; x̂, γ and β give y; "
             "y gives the loss L.")


def conv_text(shape: tuple[int, int, int, int], values_per_channel: int, channel: int) -> str:
    n, c, h, w = shape
    return (f"A feature map of shape (N, C, H, W) = ({n}, {c}, {h}, {w}): {n} samples, {c} channels, {h} × {w} "
            f"pixels. BatchNorm2d keeps one μ, σ², γ and β **per channel**, taken over the batch *and* every pixel: "
            f"the M = N·H·W = {values_per_channel} highlighted values of channel {channel} share one statistic. A "
            "channel is one filter's response, wherever it fires in the image, so all its positions are normalized "
            "alike.")


REFERENCES = """
- Forward formulas, γ, β and the per-channel statistics of convolutional layers: Ioffe & Szegedy,
  [Batch Normalization](https://arxiv.org/abs/1502.03167) (2015), Algorithm 1 and Sec. 3.2.
- The backward pass (the three terms of ∂L/∂x): the same paper, Sec. 3 (the chain rule below Algorithm 1);
  checked here against finite differences and, in `tests/`, against PyTorch 2.13's autograd.
- A weight scaled by c leaves the output unchanged and divides the gradient by c: Ioffe & Szegedy 2015, Sec. 3.3.
- Biased variance to normalize, unbiased running variance, default ε = 1e-5, ε = 0 refused in training
  (`batch_norm eps must be positive during training`): PyTorch 2.13, `torch.nn.BatchNorm1d` and
  `torch.nn.functional.batch_norm`, run on this machine.
- Keras' default ε = 1e-3, its biased moving variance and no check on ε: Keras 3,
  `keras/src/layers/normalization/batch_normalization.py` (keras-team/keras, main at commit 0502951).
- Finite-difference step and relative error: the central difference, error O(h²) (any numerical analysis text,
  e.g. Nocedal & Wright, *Numerical Optimization*, 2nd ed., Sec. 8.1).
"""
