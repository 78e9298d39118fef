"""The Training vs inference page's words: explanations, sentences computed from the runs, and references.
No streamlit here: the page renders what these return."""

from __future__ import annotations

from lessons.format import format_number
from lessons.running import (
    EVAL_CLOSE,
    SMALL_BATCH_SOURCE,
    STREAM_BATCH_SIZES,
    UNRELIABLE_BELOW,
    BatchSizeSpread,
    StreamRun,
    StreamSettings,
    initial_weight,
)

LEAD = ("A BatchNorm layer behaves differently in its two modes. **Training** normalizes each batch with that "
        "batch's statistics and updates a running average of them; **inference** (`model.eval()`) normalizes with "
        "the running average, so one sample's output no longer depends on the rest of its batch. Stream batches "
        "through the layer below, then break it the classic ways.")

RUNNING = ("In training, every batch is normalized with its **own** mean and variance, and the layer keeps a moving "
           "average of them on the side: the *running* statistics, used later at inference. Watch the running "
           "estimate smooth out the noise of the batches and lag behind when the population moves. A larger "
           "momentum follows changes faster but keeps more noise; a smaller one is smoother but slower.")

WINDOW_HELP = ("A plain average of this many batches would be as noisy as the running statistics: an exponential "
               "moving average with weight α on the new batch keeps α/(2 − α) of one batch's variance, so the "
               "window is (2 − α)/α — 19 batches at α = 0.1.")

CUMULATIVE_LATEX = (r"\text{running}_t = \text{running}_{t-1} + \tfrac{1}{t}\,(\text{batch}_t - \text{running}_{t-1})"
                    r" = \tfrac{1}{t}\textstyle\sum_{s=1}^{t} \text{batch}_s")


def convention_latex(momentum: float) -> str:
    keep = 1 - momentum
    # Two lines, not one: side by side the pair is wider than a phone.
    return (r"\begin{aligned}"
            rf"&\underbrace{{\text{{running}} \leftarrow {keep:.4g}\,\text{{running}} + {momentum:g}\,"
            rf"\text{{batch}}}}_{{\text{{PyTorch: momentum}} = {momentum:g}}} \\[4pt]"
            rf"&\underbrace{{\text{{moving}} \leftarrow {keep:.4g}\,\text{{moving}} + {momentum:g}\,"
            rf"\text{{batch}}}}_{{\text{{Keras, Flax: momentum}} = {keep:.4g}}}"
            r"\end{aligned}")


def chart_caption(run: StreamRun, shown: int) -> str:
    settings = run.settings
    sudden = settings.population.drift == "sudden"
    plotted = "every step" if shown == settings.steps else f"{shown} of {settings.steps} steps, evenly spaced"
    return ("Dots and squares: each batch's own statistic; solid lines: the running estimates (triangles: Keras 3's); "
            f"dashed: the population. Plotted: {plotted}." + (" The vermillion dotted line marks the sudden shift."
                                                              if sudden else ""))


BIAS = ("Both frameworks normalize a training batch with the biased variance (divide by m). For the running "
        "estimate, PyTorch switches to the unbiased one (divide by m − 1, Bessel's correction); Keras 3 and Flax "
        "keep the biased one, which on average is only (m − 1)/m of the population variance.")

CODE_CAPTION = ("Keras and Flax weigh the old value (1 − PyTorch's momentum); their ε defaults differ (Keras 1e-3, "
                "Flax 1e-5), so it is spelled out. Flax chooses the mode per call (`use_running_average`) and computes "
                "the batch variance in one pass by default (`use_fast_variance=True`); pass `False` for the two-pass "
                "formula.")

def untrainable(settings: StreamSettings, error: str) -> str:
    """Why the stream did not train (`error`: PyTorch's message at its first step), and what to change: a lesson,
    shown as an info box."""
    if settings.batch_size > 1:
        return ("**PyTorch 2.13 refuses ε = 0 in training.** `nn.BatchNorm1d(C, eps=0)` constructs, but its first "
                f"training step raises `ValueError: {error}`: the formula would divide by zero for any constant "
                "feature. Pick ε > 0 in the sidebar (the Formula page shows the bare formula at ε = 0).")
    return (f"**A batch of 1 in training mode:** PyTorch raises `ValueError: {error}`. Pick a batch size of at least "
            "2 in the sidebar; the Batch size part of this page shows why small batches hurt.")


SINGLE_SAMPLE = ("After training on the stream, a single fresh sample from the final population goes through the "
                 "layer on its own, a batch of one.")


def eval_mode(run: StreamRun, gap: float, lag: float) -> str:
    """What eval mode gave the single sample against the true statistics at the last step (`gap`, lessons.running.
    eval_gap) and, when that is not close, its main cause: the start values or a drift when they make at least half
    of the gap (`lag`, lessons.running.lag_gap), the batches' noise otherwise."""
    lead = "**Eval mode** normalizes with the running statistics, so one sample is enough"
    if gap <= EVAL_CLOSE:
        return (f"{lead}: here its output is within {format_number(gap, 2)} of what the true statistics of the final "
                "population give (the last column).")
    settings = run.settings
    start = initial_weight(settings.momentum, settings.steps)
    population = settings.population
    moved = population.drift == "linear" or (population.drift == "sudden" and population.shift_step < settings.steps)
    causes, remedy = [], "more steps or a larger momentum bring them closer"
    if start >= 0.01:
        causes.append(f"still hold {start:.0%} of their start values (μ 0, σ² 1)")
    if moved and settings.momentum is None:
        causes.append("weigh the batches before the population moved as much as those after")
        remedy = "a momentum (a moving average) follows a move"
    elif moved:
        causes.append("lag behind the population, which moved during the stream")
        remedy = "a larger momentum brings them closer"
    if lag < gap / 2 or not causes:
        cause = noise_cause(settings)
        if causes and lag > EVAL_CLOSE:
            cause += f" The rest, up to {format_number(lag, 2)}, is because they {' and '.join(causes)}."
    else:
        cause = f"After {settings.steps} steps the running statistics {' and '.join(causes)}: {remedy}."
    return (f"{lead}, but its output is only as right as those statistics: here it is off by up to "
            f"{format_number(gap, 2)} from what the true statistics of the final population give (the last column). "
            f"{cause}")


def noise_cause(settings: StreamSettings) -> str:
    """Why the running statistics are noisy at these settings, and what would steady them."""
    m, momentum = settings.batch_size, settings.momentum
    if momentum is None:
        held = f"are the plain average of one estimate per batch of {m}"
        remedies = ["more steps"]
    elif momentum == 1:
        held = f"are the last batch's alone (momentum 1), an estimate from {m} samples"
        remedies = ["a smaller momentum"]
    else:
        held = f"average estimates from batches of {m}"
        remedies = ["a smaller momentum"]
    if m < max(STREAM_BATCH_SIZES):
        remedies.insert(0, "larger batches")
    return f"Most of it is noise: the running statistics {held}, and {' or '.join(remedies)} make them steadier."


def train_mode_error(error: str) -> str:
    """What PyTorch answers one sample in training mode, as Markdown: inline code, since a code block would load
    Streamlit's code highlighter for two lines (a new visitor's first click on Inference, 771 -> 495 ms)."""
    return f"In training mode, `bn.train(); bn(x[None])` (one sample) raises `ValueError`: {error}"


TRAIN_MODE = ("**Training mode, PyTorch:** the batch variance of one value is 0, so PyTorch refuses it (above). "
              "Keras 3 in training mode does not raise: the sample is its own batch mean, so every output is β "
              "({outputs}), whatever x is.")


def forgot_eval(k: int, m: int) -> str:
    return (f"The same sample x placed in {k} different batches of {m}. In training mode its output depends on its "
            "neighbours (dots: one per batch); in eval mode it is the same every time (the short dashed line).")


MISMATCH = ("At inference the layer trusts its running statistics. If they do not describe the data it now sees, "
            "every output is shifted and rescaled by the same wrong amount. Each row changes one thing about your "
            "settings (same batches) and measures the outputs on the population met at inference; right statistics "
            "give mean 0 and standard deviation 1: the grey band of the chart.")

BATCH_SIZE = ("A batch's mean and variance are estimates from m samples, and an estimate from m samples scatters "
              "around the truth roughly as σ/√m. In training, that scatter goes straight into every output: the same "
              "sample is normalized differently depending on the batch it lands in.")


def batch_size_caption(spread: BatchSizeSpread) -> str:
    sigma = format_number(spread.population_var**0.5, 3)
    return (f"Spread = standard deviation over {spread.draws} random batches of each size, from a population of "
            f"mean 0 and standard deviation σ = {sigma}" + (" (the outliers widen it from the bulk's 1)"
                                                          if spread.distribution == "with outliers" else "")
            + ". The output is that of one fixed sample at +1σ, normalized in training mode among m − 1 random "
            "others. At m = 1 there is nothing to estimate: PyTorch raises, Keras outputs β. Shaded: fewer than "
            f"{UNRELIABLE_BELOW} samples per batch, the sizes where BatchNorm's error grew in Wu & He's "
            "ImageNet measurements (References). The grey vertical line is your batch size.")


OTHER_LAYERS = ("Layer, Instance and Group normalization take their statistics inside each sample, so nothing about "
                "them depends on the batch. For images, note that a batch of one still trains in BatchNorm: the "
                "statistics then run over the pixels of that one image, which is instance normalization.")

REFERENCES = f"""
- Training with batch statistics, inference with running averages: Ioffe & Szegedy,
  [Batch Normalization](https://arxiv.org/abs/1502.03167) (2015), Algorithm 2 (the unbiased variance estimate
  for inference, Sec. 3.1).
- PyTorch's running statistics (momentum weighs the new batch, default 0.1; unbiased running variance; momentum=None
  is the cumulative average; a single value per channel in training raises; ε = 0 in training raises
  `batch_norm eps must be positive during training`): PyTorch 2.13, `torch.nn.BatchNorm1d`, run on this machine.
- Keras' moving statistics (momentum weighs the old value, default 0.99; biased moving variance; ε default 1e-3):
  Keras 3, `keras/src/layers/normalization/batch_normalization.py` (keras-team/keras main, commit 0502951).
- Flax's `nn.BatchNorm` (momentum 0.99, ε 1e-5, `use_running_average`, `use_fast_variance=True`, biased variance):
  Flax Linen, `flax/linen/normalization.py` (google/flax, commit 018c99b).
- The effective window (2 − α)/α: the stationary variance α/(2 − α)·v of an exponential moving average of
  independent values of variance v (a standard result, e.g. Hunter, "The exponentially weighted moving average",
  *J. Quality Technology* 18, 1986).
- Small batches: {SMALL_BATCH_SOURCE}
- Spread of the sample mean σ/√m and the bias (m − 1)/m·σ² of the divide-by-m variance: any statistics text; here
  measured over the draws shown.
"""
