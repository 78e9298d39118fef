"""What the Variants page says that is not computed: its rules of thumb and the sources of every claim."""

from __future__ import annotations

import pandas as pd

from lessons.variants import RESIDUALS as _RESIDUAL_MEANINGS

# Under the table of what is left: what each column's standard deviation is taken of.
SPREADS_CAPTION = "Each column is the standard deviation of: " + "; ".join(
    f"{kind}, the {what}" for kind, what in _RESIDUAL_MEANINGS.items()) + "."

# Situation, choice, why, the experiment part of this page, an experiment on another page (path, label) or None.
ADVICE = (
    ("Convolutional networks with batches of 16 or more", "BatchNorm",
     "Its statistics are reliable at that size, and at inference it costs nothing extra.",
     "Batch-size sensitivity", ("pages/6_Why_it_works.py", "Why it works")),
    ("Deep fully connected networks (MLPs)", "BatchNorm after each Linear, before the activation",
     "Each unit is a channel with one value per sample; the Deep networks page shows what BatchNorm repairs there.",
     "Who shares statistics", ("pages/7_Deep_networks.py", "Deep networks")),
    ("RNNs and Transformers", "LayerNorm or RMSNorm",
     "Statistics per sample (per token): no batch needed, sequences of any length.",
     "Who shares statistics", None),
    ("Small batches (detection, segmentation, 1–8 images per device)", "GroupNorm, or Batch Renorm",
     "BatchNorm's statistics get noisy; GroupNorm ignores the batch, Batch Renorm corrects them.",
     "Batch Renorm", None),
    ("Style transfer and image generation", "InstanceNorm",
     "It removes each image's own channel offsets and contrast, much of what makes its style.",
     "Same data, five layers", None),
    ("Online learning, one sample at a time", "LayerNorm or GroupNorm (BatchNorm only in eval mode)",
     "BatchNorm cannot train on a batch of one vector.",
     "Same data, five layers", ("pages/3_Training_vs_Inference.py", "Training vs inference")),
    ("Very large batches", "Ghost BN", "Keeps the regularizing noise of small batches.", "Ghost BN", None),
)

TORCH_DOCS = "PyTorch 2.13 documentation"

REFERENCES = pd.DataFrame([
    ("BatchNorm in a fully connected network, between each Linear and its nonlinearity",
     "Ioffe & Szegedy 2015, arXiv:1502.03167, Sec. 3.2 and Sec. 4.1 (MNIST, three fully connected hidden layers)"),
    ("Which values share statistics: the grids (N, C, H·W) and GroupNorm's G = 1 / G = C limits",
     "Wu & He 2018, Group Normalization, arXiv:1803.08494, Fig. 2 and Sec. 3.1"),
    ("LayerNorm: statistics over a sample's features; in RNNs/Transformers over each token's hidden units",
     "Ba, Kiros & Hinton 2016, Layer Normalization, arXiv:1607.06450, Sec. 3; torch.nn.LayerNorm, " + TORCH_DOCS),
    ("InstanceNorm: statistics over one image's channel; used for style transfer",
     "Ulyanov, Vedaldi & Lempitsky 2016, Instance Normalization, arXiv:1607.08022, Eq. 2"),
    ("InstanceNorm's defaults affine=False, track_running_stats=False; with True it uses running statistics in "
     "eval mode", "torch.nn.InstanceNorm1d/2d, " + TORCH_DOCS + " (checked by running torch 2.13)"),
    ("GroupNorm's γ, β are per channel (C,); LayerNorm's elementwise (normalized_shape)",
     "torch.nn.GroupNorm and torch.nn.LayerNorm, " + TORCH_DOCS),
    ("RMSNorm divides by the root mean square: no mean subtracted, no β (torch: weight only)",
     "Zhang & Sennrich 2019, Root Mean Square Layer Normalization, arXiv:1910.07467, Eq. 4; torch.nn.RMSNorm, "
     + TORCH_DOCS),
    ("BatchNorm raises on one value per channel in training; the other layers' edge cases",
     "torch.nn.functional.batch_norm / instance_norm, " + TORCH_DOCS + " (error messages as torch raises them)"),
    ("Batch Renorm: r, d, their clipping, running σ; the schedule from rₘₐₓ = 1, dₘₐₓ = 0 to 3 and 5",
     "Ioffe 2017, Batch Renormalization, arXiv:1702.03275, Algorithm 1 and Sec. 4"),
    ("Ghost BN: virtual batches; full momentum per virtual batch",
     "Hoffer, Hubara & Soudry 2017, Train longer, generalize better, arXiv:1705.08741, Algorithm 1"),
    ("Ghost BN: momentum divided by the number of virtual batches",
     "MosaicML Composer, composer.algorithms.GhostBatchNorm (source: momentum / number of chunks)"),
    ("Every number on this page", "bn_core (this lab), tested against torch 2.13 in float64 to ~1e−12"),
], columns=["Claim", "Source"])

LEAD = ("Batch, layer, instance, group and RMS normalization all divide by a spread and rescale with γ; all but "
        "RMSNorm first subtract a mean and then shift with β. They differ in **which values share one mean and one "
        "spread**, and that decides whether a sample's output depends on the rest of its batch. Every number is "
        "computed by `bn_core`, which matches PyTorch 2.13 to float64 precision.")
SHARING_INTRO = ("Each block is one batch of shape (N, C, H·W), as in Wu & He's *Group Normalization* (2018, Fig. 2): "
                 "a row per sample, a patch of H·W cells per channel. **Click a cell** (or choose it below): the "
                 "vermillion cells share its mean and spread; grey shades show the other sets.")
SHARING_FORMULA = (  # one definition a line: on one line, 500 px, wider than a phone
    r"\begin{aligned}\hat x_i &= \frac{x_i - \mu_i}{\sqrt{\sigma_i^2 + \varepsilon}} \\ "
    r"\mu_i &= \frac{1}{|S_i|}\sum_{k \in S_i} x_k \\ "
    r"\sigma_i^2 &= \frac{1}{|S_i|}\sum_{k \in S_i} (x_k - \mu_i)^2\end{aligned}")
SHARING_CAPTION = ("$S_i$: the values that share value i's statistics. RMSNorm (Zhang & Sennrich 2019) divides by the "
                   "root mean square of its set: it subtracts no mean and has no β. LayerNorm and RMSNorm here "
                   "normalize over (C, H, W), as `torch.nn.LayerNorm([C, H, W])`; a transformer's LayerNorm normalizes "
                   "each token over its hidden units only (part *Beyond the statistics*).")
SAME_DATA_INTRO = ("One synthetic batch of shape (N, C, H·W): every channel has its own offset and scale, every sample "
                   "its own brightness and contrast. Each layer (γ = 1, β = 0, training mode) removes a different part "
                   "of that variation. Change the seed in the sidebar for another batch.")
AFFINE_INTRO = ("**Same statistics, different parameters.** GroupNorm's γ and β are per channel, (C,); LayerNorm's are "
                "per element, (C, H, W); InstanceNorm has none unless `affine=True` (torch 2.13 defaults).")
INSTANCE_INTRO = ("**InstanceNorm in eval mode.** With `track_running_stats=True` it keeps running means and variances "
                  "(averaged over the samples) and, like BatchNorm, uses them in eval mode; by default it normalizes "
                  "each image with its own statistics in both modes. A fresh batch in eval mode, after 50 training "
                  "batches:")
SENSITIVITY_INTRO = ("Keep one image fixed and redraw the rest of its batch {trials} times: how much does that image's "
                     "output move? Spread = standard deviation over the redraws, averaged over its values.")
RENORM_INTRO = ("[Batch Renormalization](https://arxiv.org/abs/1702.03275) (Ioffe 2017) normalizes with the batch's "
                "statistics, then corrects them towards the running ones with r and d, clipped to $r_{max}$ and "
                "$d_{max}$.")
RENORM_FORMULA = (  # one definition a line: on one line, 643 px, wider than a phone
    r"\begin{aligned}r &= \mathrm{clip}_{[1/r_{max},\, r_{max}]}\!\left(\frac{\sigma_B}{\sigma}\right) \\ "
    r"d &= \mathrm{clip}_{[-d_{max},\, d_{max}]}\!\left(\frac{\mu_B - \mu}{\sigma}\right) \\ "
    r"\hat x &= \frac{x - \mu_B}{\sigma_B}\, r + d\end{aligned}")
RENORM_SETUP = ("{seeds} seeds × 300 minibatches of 4 samples, each from one of 4 clusters (a loader that does not "
                "shuffle across classes). Each step compares the layer's training output with its inference output "
                "(10-step rolling mean; line: median, band: range over seeds).")
GHOST_INTRO = ("[Ghost Batch Normalization](https://arxiv.org/abs/1705.08741) (Hoffer et al. 2017) splits a large "
               "batch into virtual batches of g samples and batch-normalizes each on its own, keeping the noisy "
               "statistics, a regularizer, of small batches.")
INSTANCE_NEEDS_SPATIAL = "InstanceNorm needs H·W ≥ 2 (more than one position per channel). Increase H·W."
CELL_CONTROLS = (  # label, key, help of the three controls that choose the selected cell (n, c, s)
    ("Sample n", "cn", "The sample of the selected cell (a row of blocks)."),
    ("Channel c", "cc", "The channel of the selected cell (a patch)."),
    ("Position s", "cs", "The position of the selected cell inside its channel's patch."),
)
