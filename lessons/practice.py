"""What the In practice page says about each experiment: sentences computed from its results, its tables, the
PyTorch / Keras call that does the same, and the sources.

Every outcome sentence here is built from an experiment's numbers (medians over the seeds, via lessons.format), so
when the data at a user's settings do not show the claim, the sentence says what they do show.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bn_core.batchnorm import torch_to_keras_momentum
from lessons.batches import NORMS, NonIid
from lessons.coupling import Coupling
from lessons.devices import DataParallel
from lessons.dropout import VarianceShift
from lessons.folding import FoldingResult
from lessons.format import format_number
from lessons.recalibration import RECALIBRATION_BATCH_SIZE, Recalibration
from lessons.transfer import FINE_TUNE_MODES, AdaBN, FineTuning

CLOSE_LOSS = 0.01  # test-loss difference below which two sets of statistics count as equally good
CLOSE_ACCURACY = 0.02
CHANCE_ACCURACY = 0.5  # the two-moons task's two classes are balanced
LEARNED_ACCURACY = 0.6  # a median test accuracy below it counts as not learned (chance: 0.5)
FINITE_POPULATION_VISIBLE = 0.02  # a finite-population correction worth naming beside √K
START_WEIGHT_NAMED = 0.05  # an EMA weight on its start values worth naming


def _median(values) -> float:
    return float(np.median(values))


def _batches(count: int) -> str:
    return f"{count} batch" if count == 1 else f"{count} batches"


def _pct(value: float) -> str:
    return f"{format_number(100 * value, 3)}\u00a0%"  # a no-break space: a phone's line never ends between them


# 1. Folding ---------------------------------------------------------------------------------------------------

def folding_reading(result: FoldingResult) -> str:
    rounding = np.finfo(result.dtype).eps * max(1.0, float(np.abs(result.reference_eval).max()))
    exact = result.eval_difference <= 100 * rounding
    verdict = (f"within {result.dtype} rounding (machine ε {format_number(np.finfo(result.dtype).eps, 2)} times "
               "the outputs' size): the same function" if exact else
               f"more than {result.dtype} rounding explains")
    shift = np.abs(result.batch_mean - result.running_mean) / result.running_std
    ratio = np.maximum(result.batch_std / result.running_std, result.running_std / result.batch_std)
    n = result.reference_eval.shape[0]
    return (f"**Eval mode:** the largest difference over all {result.reference_eval.size} outputs is "
            f"{format_number(result.eval_difference, 3)}, {verdict}. **Training mode:** BN normalizes with this "
            f"batch's own statistics; over {n} samples its channel means sit up to {format_number(shift.max(), 3)} "
            f"running standard deviations from the running means and its spreads differ by a factor of up to "
            f"{format_number(ratio.max(), 3)}, so the folded layer is off by up to "
            f"{format_number(result.train_difference, 3)}.")


def folding_table(result: FoldingResult) -> pd.DataFrame:
    return pd.DataFrame({"channel": np.arange(1, result.batch_mean.size + 1), "batch μ": result.batch_mean,
                         "running μ": result.running_mean, "batch σ": result.batch_std,
                         "running σ": result.running_std})


# 2. Recalibration ---------------------------------------------------------------------------------------------

def recalibration_reading(result: Recalibration) -> str:
    ema, precise = np.median(result.ema_loss, axis=0), np.median(result.precise_loss, axis=0)
    population = np.median(result.population_loss, axis=0)
    worst = int(np.argmax(ema - population))
    keras = format_number(torch_to_keras_momentum(result.momentum), 3)
    head = (f"At step {result.steps[worst]} the EMA statistics (momentum {result.momentum:g}, Keras {keras}) give "
            f"a test loss of {format_number(ema[worst], 3)}, PreciseBN over {_batches(result.batches)} "
            f"{format_number(precise[worst], 3)}, and the full training set's statistics "
            f"{format_number(population[worst], 3)}; test accuracy {_pct(_median(result.ema_accuracy[:, worst]))} "
            f"with the EMA, {_pct(_median(result.precise_accuracy[:, worst]))} with PreciseBN (medians over "
            f"{result.ema_loss.shape[0]} seeds).")
    start_weight = (1 - result.momentum) ** int(result.steps[worst])  # after that many updates, from step 1 on
    if start_weight >= START_WEIGHT_NAMED:
        head += (f" By then the EMA still gives {_pct(start_weight)} of its weight to its start values (mean 0, "
                 "variance 1, PyTorch's initial buffers), the rest to the batches of earlier steps.")
    # Medians over seeds of each seed's mean over the checkpoints, as momentum_table's "mean over checkpoints" column
    ema_gap = _median((result.ema_loss - result.population_loss).mean(axis=1))
    precise_gap = _median(np.abs(result.precise_loss - result.population_loss).mean(axis=1))
    if ema_gap < CLOSE_LOSS:
        return head + (f" At this momentum the EMA keeps up with the weights: on average it costs "
                       f"{format_number(ema_gap, 2)} in test loss, nothing to recalibrate for.")
    closes = "closes most of the gap" if precise_gap < ema_gap / 2 else "does not close the gap"
    return head + (f" Averaged over the checkpoints the EMA costs {format_number(ema_gap, 2)} in test loss; "
                   f"PreciseBN is within {format_number(precise_gap, 2)}: it {closes}.")


def momentum_table(gaps: dict[float, np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame({
        "momentum (PyTorch)": [f"{m:g}" for m in gaps],
        "momentum (Keras)": [f"{torch_to_keras_momentum(m):g}" for m in gaps],
        "extra test loss, mean over checkpoints": [_median(g.mean(axis=1)) for g in gaps.values()],
        "extra test loss, last checkpoint": [_median(g[:, -1]) for g in gaps.values()],
    })


def batches_needed_reading(counts: tuple[int, ...], gaps: np.ndarray, step: int) -> str:
    """gaps: (S, len(counts)) PreciseBN's test loss minus the population statistics' at the checkpoint of `step`."""
    median = np.median(np.abs(gaps), axis=0)
    close = median < CLOSE_LOSS
    if not close[-1]:
        return (f"At step {step}, none of the counts up to {counts[-1]} batches brings PreciseBN within "
                f"{CLOSE_LOSS:g} of the population statistics' test loss.")
    trailing = len(close) if close.all() else int(np.argmin(close[::-1]))  # how many of the largest counts are close
    k = counts[len(close) - trailing]  # the first count from which every larger one is close too
    return (f"At step {step}, from {_batches(k)} ({k * RECALIBRATION_BATCH_SIZE} samples) on, "
            f"PreciseBN's test loss is within {CLOSE_LOSS:g} of the full training set's statistics (median over the "
            f"seeds; one batch: {format_number(median[0], 2)} off).")


# 3–4. Domain shift and fine-tuning ----------------------------------------------------------------------------

def adabn_reading(result: AdaBN, magnitude: float) -> str:
    at = result.magnitudes.index(magnitude)
    source, target = _median(result.source_stats[:, at]), _median(result.target_stats[:, at])
    unshifted = _median(result.source_stats[:, 0])  # the network as trained, on inputs with no shift: size 0's point
    head = (f"Shift: {result.kind}, size {magnitude:g}. Source statistics: {_pct(source)} test accuracy; "
            f"target statistics (AdaBN): {_pct(target)}; unshifted, with the source statistics: {_pct(unshifted)} "
            f"(medians over "
            f"{result.source_stats.shape[0]} seeds).")
    if target > source + CLOSE_ACCURACY:
        tail = " AdaBN recovers the unshifted accuracy." if target >= unshifted - CLOSE_ACCURACY else (
            " AdaBN helps, but does not recover the unshifted accuracy: a BN layer can only undo a per-channel "
            "shift and scale, and this shift mixes the channels.")
        return head + tail
    return head + " At this size AdaBN makes no difference worth noting."


def fine_tune_reading(result: FineTuning) -> str:
    medians = {mode: _median(acc) for mode, acc in result.accuracy.items()}
    best = max(medians, key=medians.get)
    parts = "; ".join(f"{mode}: {_pct(acc)}" for mode, acc in medians.items())
    trained, frozen = medians[FINE_TUNE_MODES[0]], max(medians[m] for m in FINE_TUNE_MODES[1:])
    if frozen > trained + CLOSE_ACCURACY:
        verdict = (f"With batches of {result.batch_size}, freezing BN fine-tunes better than leaving it in "
                   "training mode")
    elif trained > frozen + CLOSE_ACCURACY:
        verdict = f"With batches of {result.batch_size}, BN in training mode does better than frozen BN"
    else:
        verdict = f"With batches of {result.batch_size}, it makes little difference whether BN is frozen"
    return (f"Before fine-tuning: {_pct(_median(result.before))}. After: {parts} (medians over "
            f"{len(result.before)} seeds). {verdict}; best: {best}.")


# 5–6. Devices and batches -------------------------------------------------------------------------------------

def devices_reading(result: DataParallel) -> str:
    per_device, synced = _median(result.accuracy["per device"]), _median(result.accuracy["synced"])
    k, b = result.devices, result.per_device
    head = (f"A batch mean of {b} samples strays {format_number(result.mean_spread['per device'], 3)} from the "
            "population mean (root mean square over draws)")
    if k > 1:
        head += (f", one of {k * b} only {format_number(result.mean_spread['synced'], 3)}: "
                 f"{_spread_ratio(result)}")
    head += f". Test accuracy: per-device BN {_pct(per_device)}, synchronized BN {_pct(synced)}."
    not_learned = max(per_device, synced) < LEARNED_ACCURACY
    chance = f"{_pct(CHANCE_ACCURACY)} is chance on these two balanced classes"
    if k == 1:
        return head + " With one device the two are the same layer" + (
            f"; at this setting it did not learn the task ({chance})." if not_learned else ".")
    if not_learned:
        return head + (f" Neither network learned the task at this setting ({chance}), so this run cannot compare "
                       "them: try more devices or samples per device.")
    if synced > per_device + CLOSE_ACCURACY:
        return head + " Synchronizing the statistics pays off at this per-device batch."
    return head + f" At {b} samples per device the per-device statistics are good enough."


def _spread_ratio(result: DataParallel) -> str:
    """The measured per device ÷ synced spread against √K, and against the finite-population prediction where
    drawing from few training points makes the two differ."""
    ratio, root, predicted = (result.mean_spread["per device"] / result.mean_spread["synced"],
                              np.sqrt(result.devices), result.predicted_spread_ratio())
    text = f"{format_number(ratio, 3)} times less (√{result.devices} = {format_number(root, 3)}"
    if predicted > root * (1 + FINITE_POPULATION_VISIBLE):
        text += (f" for independent samples; {format_number(predicted, 3)} for batches drawn without replacement "
                 f"from the {result.population_size} training points")
    return text + ")"


def non_iid_reading(result: NonIid) -> str:
    train, test = ({n: _median(d[n]) for n in NORMS} for d in (result.train_accuracy, result.test_accuracy))
    drop = {n: train[n] - test[n] for n in NORMS}
    parts = "; ".join(f"{n}: {_pct(train[n])} → {_pct(test[n])}" for n in NORMS)
    head = f"Training-batch accuracy → test accuracy in eval mode: {parts}."
    if drop["BatchNorm"] > 0.1 and max(drop["LayerNorm"], drop["GroupNorm"]) < 0.05:
        head += (" BatchNorm looked fine while training and breaks at evaluation; LayerNorm and GroupNorm, which "
                 "normalize each sample alone, do not care how the batches were made.")
    elif drop["BatchNorm"] <= 0.05:
        head += " With these batches BatchNorm evaluates as well as it trained."
    arranged, shuffled = _median(result.arranged_batches), _median(result.shuffled_batches)
    leak = (f" The leak: the trained BN network, still in training mode, scores {_pct(arranged)} on test batches "
            f"made like its training batches and {_pct(shuffled)} on shuffled ones")
    if arranged > shuffled + 0.1:
        return head + leak + ": its predictions depend on the labels of the other samples in the batch."
    return head + leak + "."


# 7–8. Coupling and dropout ------------------------------------------------------------------------------------

def coupling_reading(result: Coupling, old_value: float) -> str:
    moved = result.moved + 1
    others = result.others_moved
    off = np.abs(result.jacobian[~np.eye(len(result.jacobian), dtype=bool)])
    if others.max() == 0:
        return (f"Sample {moved} is at its original value {format_number(old_value)}: move the slider and every "
                "other output moves with it.")
    return (f"Moving sample {moved} from {format_number(old_value)} to {format_number(result.x_after[result.moved])} "
            f"moved each of the other {len(others)} outputs by {format_number(others.min(), 3)} to "
            f"{format_number(others.max(), 3)}. The off-diagonal entries of the Jacobian are "
            f"{format_number(off.min(), 2)} to {format_number(off.max(), 2)} in size; each row sums to 0, and the "
            f"backward pass agrees with finite differences to {format_number(result.finite_difference_error, 2)}.")


def dropout_reading(result: VarianceShift, rate: float) -> str:
    at = result.rates.index(rate)
    measured = _median(result.measured_shift[:, at])
    return (f"Dropout p = {rate:g} before BN, inputs of mean {result.mean:g} and variance 1: at inference BN's "
            f"input has {format_number(measured, 3)} of the variance its running statistic learnt (Li et al. "
            f"predict {format_number(result.predicted[at], 3)}), so BN's output has a standard deviation of "
            f"{format_number(np.sqrt(_median(result.output_var[:, at])), 3)} instead of 1 (medians over "
            f"{result.measured_shift.shape[0]} seeds).")


# What each part claims, the formula it rests on, and its caveats -----------------------------------------------

TOPICS = {
    "folding": "Fold BN for deployment",
    "recalibration": "Recalibrate statistics",
    "adabn": "Domain shift: AdaBN",
    "finetune": "Fine-tune with frozen BN",
    "devices": "Many devices: SyncBN",
    "batches": "Non-i.i.d. batches",
    "coupling": "One sample moves all",
    "dropout": "Dropout before BN",
}

CLAIMS = {
    "folding": "**Claim.** In eval mode BN is a fixed per-channel affine map, so it can be merged into the Linear or "
               "convolution before it: one layer less at inference, the same outputs. In training mode it cannot.",
    "recalibration": "**Claim.** EMA running statistics start from mean 0 and variance 1 and average batches from "
                     "many steps back, produced by weights that no longer exist; until the start values fade and "
                     "while the weights still change they lag. PreciseBN (Wu & Johnson 2021) "
                     "freezes the weights and averages the statistics of a few batches: the lag is gone. The "
                     "network is the one of the Why page: (2, 16, 16, 2), BN after each hidden Linear, 5 seeds.",
    "adabn": "**Claim.** A network trained on one domain and tested on shifted inputs fails partly because its BN "
             "layers normalize with the source's statistics. AdaBN (Li et al. 2016) keeps every weight and "
             "re-estimates the statistics on the target inputs, no labels needed.",
    "finetune": "**Claim.** Fine-tuning a pretrained BN network on a few samples in tiny batches with BN in "
                "training mode normalizes with statistics of 2 or 4 samples and overwrites the running ones; "
                "freezing BN (PyTorch: `bn.eval()` after `model.train()`; Keras: `trainable = False`) keeps the "
                "pretrained statistics. Here: pretrained on moons, fine-tuned on 32 samples of moons rotated by 45°.",
    "devices": "**Claim.** With data parallelism each of K devices normalizes its own b samples, so the statistics "
               "are as noisy as a batch of b, whatever K·b is. `torch.nn.SyncBatchNorm` combines every device's "
               "count, mean and variance into the statistics of all K·b samples.",
    "batches": "**Claim.** BatchNorm assumes each batch is a fair sample of the data. Batches of one class bias the "
               "statistics: training-mode accuracy looks fine, eval mode breaks, and the network learns to read its "
               "batch-mates. LayerNorm and GroupNorm normalize each sample alone and do not care.",
    "coupling": "**Claim.** In training mode a sample's output depends on every other sample of its batch, through "
                "the batch mean and variance: move one input and all outputs move. In eval mode they are "
                "independent.",
    "dropout": "**Claim.** Dropout before BN makes BN learn a variance that does not exist at inference: inverted "
               "dropout inflates the variance in training, the running variance records it, and at inference "
               "(dropout off) BN divides by too large a σ (Li et al. 2019).",
}

LATEX = {  # two short lines each (gathered): one long display formula does not fit a phone
    "folding": r"\begin{gathered} W' = \frac{\gamma}{\sqrt{\sigma^2_{\text{run}} + \varepsilon}}\,W \\ "
               r"b' = \frac{\gamma\,(b - \mu_{\text{run}})}{\sqrt{\sigma^2_{\text{run}} + \varepsilon}} + \beta "
               r"\end{gathered}",
    "recalibration": r"\begin{gathered} \text{EMA: } \mu \leftarrow (1 - m)\,\mu + m\,\mu_B \\ "
                     r"\text{PreciseBN: } \mu = \frac{1}{K}\sum_{k=1}^{K} \mu_{B_k} "
                     r"\end{gathered}",
    "adabn": r"\begin{gathered} \text{source: } \hat x = (x - \mu_{\text{source}}) / "
             r"\sqrt{\sigma^2_{\text{source}} + \varepsilon} \\ "
             r"\text{AdaBN: } \hat x = (x - \mu_{\text{target}}) / \sqrt{\sigma^2_{\text{target}} + \varepsilon} "
             r"\end{gathered}",
    "finetune": r"\begin{gathered} \text{training mode, } |B| = b\text{: } \\ \hat x = (x - \mu_B) / "
                r"\sqrt{\sigma_B^2 + \varepsilon} \\ \text{frozen: } \hat x = (x - \mu_{\text{run}}) / "
                r"\sqrt{\sigma^2_{\text{run}} + \varepsilon} \end{gathered}",
    "devices": r"\begin{gathered} \mu = \frac{1}{n}\sum_k n_k \mu_k, \qquad n = \sum_k n_k \\ "
               r"\sigma^2 = \frac{1}{n}\sum_k n_k\left(\sigma_k^2 + (\mu_k - \mu)^2\right) \end{gathered}",
    "batches": r"\begin{gathered} \mu_B = \frac{1}{m}\sum_{i \in B} x_i \approx \mathbb{E}[x] \\ "
               r"\text{only if } B \text{ is a fair sample} \end{gathered}",
    "coupling": r"\frac{\partial y_i}{\partial x_j} = \frac{\gamma}{\sqrt{\sigma_B^2 + \varepsilon}}"
                r"\left(\delta_{ij} - \frac{1}{m} - \frac{\hat x_i \hat x_j}{m}\right)",
    "dropout": r"\begin{gathered} \mathrm{Var}_{\text{train}} = \frac{c^2 + v}{1 - p} - c^2, \qquad "
               r"\mathrm{Var}_{\text{inference}} = v \\ \text{shift} = v / \mathrm{Var}_{\text{train}} "
               r"\end{gathered}",
}

CAVEATS = {
    "folding": "Caveats: fold only after `model.eval()`; training-aware quantization folds with the batch "
               "statistics during training and switches to the running ones later (Jacob et al. 2018). A BN that is "
               "not directly after a Linear/Conv (after a ReLU, or in a residual sum) cannot be folded this way.",
    "recalibration": "Caveats: PreciseBN needs batches like the training ones (same size and augmentation), in "
                     "training mode with frozen weights. EMA is fine at the end of a long schedule with a small "
                     "learning rate; the lag matters for early stopping, large learning rates and evaluation "
                     "during training. Momentum here is PyTorch's (weight of the new batch); Keras' is 1 − m.",
    "adabn": "Caveats: AdaBN needs enough target inputs for their statistics and assumes the shift is "
             "per-channel; a rotation mixes the input channels and is only partly undone. Re-estimating on a "
             "single test batch is test-time normalization, with all of BN's batch coupling.",
    "finetune": "Caveats: a toy network with one shift; the size of the effect depends on the batch size (change "
                "it), learning rate and how far the target is from the source. `model.train()` resets every "
                "`bn.eval()`, so freeze again after each call.",
    "devices": "Caveats: the devices are simulated (consecutive slices of one batch). SyncBN costs an all-gather "
               "per BN layer per step. Plain DDP also keeps only device 0's running statistics (it broadcasts "
               "rank 0's buffers), as simulated here.",
    "batches": "Caveats: the leak measured here is in training mode only; at inference (eval mode) each sample "
               "is alone again. In contrastive learning the same leak lets the loss be solved through batch "
               "statistics, hence MoCo's shuffling BN across devices (or SyncBN).",
    "coupling": "Caveats: the example batch is the seed page's feature 1 (8 samples); with γ = 1, β = 0. The "
                "coupling shrinks as the batch grows (−1/m) but never vanishes in training mode.",
    "dropout": "Caveats: measured on one BN layer with inputs N(c, 1); in a network the shift compounds through "
               "later layers. Li et al.'s remedies: dropout only after the last BN layer, or a variance-stable "
               "noise (their Uout).",
}

# The library calls ----------------------------------------------------------------------------------------------

CODE = {
    "folding": '''import torch
from torch.nn.utils.fusion import fuse_linear_bn_eval, fuse_conv_bn_eval

model.eval()                                   # folding is only valid with running statistics
fused = fuse_linear_bn_eval(linear, bn)        # W' = γ/√(σ²+ε)·W,  b' = γ(b − μ)/√(σ²+ε) + β
fused_conv = fuse_conv_bn_eval(conv, bn2d)     # the same per output channel
# or, before quantization: torch.ao.quantization.fuse_modules(model, [["conv", "bn", "relu"]])''',
    "recalibration": '''# PreciseBN (fvcore, used by Detectron2): average the statistics of many batches, weights frozen
from fvcore.nn.precise_bn import update_bn_stats
update_bn_stats(model, data_loader, num_iters=200)
# PyTorch's own version, from stochastic weight averaging:
torch.optim.swa_utils.update_bn(loader, model)   # sets momentum=None and runs the loader once''',
    "adabn": '''# AdaBN: re-estimate every BN layer's statistics on the target inputs (no labels needed)
for m in model.modules():
    if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
        m.reset_running_stats(); m.momentum = None    # a plain average over the target batches
model.train()
with torch.no_grad():
    for x in target_loader:
        model(x)
model.eval()''',
    "finetune": '''# PyTorch: model.train() puts BN back in training mode; freeze it again after every train() call
model.train()
for m in model.modules():
    if isinstance(m, torch.nn.BatchNorm2d):
        m.eval()                              # running statistics used and kept; γ, β still train
        # m.requires_grad_(False)             # ... and γ, β frozen too (torchvision.ops.FrozenBatchNorm2d)

# Keras 3 (and tf.keras since TensorFlow 2.0): trainable=False makes BN run in inference mode
base_model.trainable = False
x = base_model(inputs, training=False)        # keep BN in inference mode when the base is unfrozen later''',
    "devices": '''# Each device normalizes its own b samples unless the statistics are synchronized:
model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)   # all-gathers count, mean, var per BN call
model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[rank])
# Keras 3 / TensorFlow: keras.layers.BatchNormalization(synchronized=True)''',
    "batches": '''loader = torch.utils.data.DataLoader(dataset, batch_size=16, shuffle=True)   # i.i.d. batches
# If batches cannot be i.i.d. (one video, one patient, one class per batch): normalize per sample
norm = torch.nn.GroupNorm(num_groups=4, num_channels=16)   # or torch.nn.LayerNorm(16)
# MoCo's "Shuffling BN": shuffle the key encoder's batch across GPUs before BN, unshuffle after''',
    "coupling": '''x = torch.randn(8, 1, dtype=torch.float64, requires_grad=True)
bn = torch.nn.BatchNorm1d(1, affine=False).double().train()
J = torch.autograd.functional.jacobian(lambda v: bn(v).squeeze(1), x).squeeze(-1)   # (8, 8): dense
bn.eval(); J_eval = torch.autograd.functional.jacobian(lambda v: bn(v).squeeze(1), x)  # diagonal''',
    "dropout": '''# Li et al. 2019: put dropout after the last BN layer (or none before a BN)
block = torch.nn.Sequential(torch.nn.Linear(256, 256), torch.nn.BatchNorm1d(256), torch.nn.ReLU())
head = torch.nn.Sequential(torch.nn.Dropout(p=0.5), torch.nn.Linear(256, 10))   # dropout only here''',
}

LEAD = ("Batch norm's sharpest edges appear after training starts. Each topic below is one of them as a live "
        "experiment on `bn_core`: the numbers to check, the PyTorch or Keras call that does it, its source. Stochastic "
        "results are medians over 5 seeds with a min–max band; every sentence under a chart is computed from them.")
REFERENCES = """
- **Folding**: PyTorch 2.13 `torch.nn.utils.fusion.fuse_linear_bn_eval`, `fuse_conv_bn_eval` and
  `torch.ao.quantization.fuse_modules`; Jacob et al. 2018, "Quantization and Training of Neural Networks for
  Efficient Integer-Arithmetic-Only Inference" (arXiv:1712.05877), Sec. 3.2 (batch-norm folding).
- **PreciseBN**: Wu & Johnson 2021, "Rethinking 'Batch' in BatchNorm" (arXiv:2105.07576), Sec. 3 (EMA vs
  PreciseBN population statistics; a few hundred samples' worth of batches suffice); fvcore `update_bn_stats`;
  PyTorch 2.13 `torch.optim.swa_utils.update_bn`.
- **AdaBN**: Li, Wang, Shi, Liu & Hou 2016, "Revisiting Batch Normalization For Practical Domain Adaptation"
  (arXiv:1603.04779), Alg. 1; Wu & Johnson 2021, Sec. 5 (batches from different domains).
- **Frozen BN**: PyTorch 2.13 `Module.eval()` and `torchvision.ops.FrozenBatchNorm2d`; Keras 3
  `BatchNormalization` docs ("About setting layer.trainable = False on a BatchNormalization layer": inference mode,
  the behaviour since TensorFlow 2.0; earlier Keras 2 releases kept normalizing with the batch's statistics) and
  the Keras transfer-learning guide.
- **Synchronized BN**: PyTorch 2.13 `torch.nn.SyncBatchNorm` (statistics of the whole K·b batch across processes);
  Peng et al. 2018, "MegDet: A Large Mini-Batch Object Detector" (arXiv:1711.07240), "Cross-GPU Batch Normalization";
  Wu & He 2018, "Group Normalization" (arXiv:1803.08494), Fig. 1 (BN's error at small per-GPU batches).
- **Non-i.i.d. batches and the leak**: Wu & Johnson 2021, Sec. 6 and Table 6 (information leakage within a batch;
  SyncBN or shuffling across devices removes it);
  He, Fan, Wu, Xie & Girshick 2020, "Momentum Contrast for Unsupervised Visual Representation Learning"
  (arXiv:1911.05722), Sec. 3.3 "Shuffling BN"; Ioffe 2017, "Batch Renormalization" (arXiv:1702.03275), Sec. 1
  (non-i.i.d. minibatches).
- **Coupling**: Ioffe & Szegedy 2015 (arXiv:1502.03167), Sec. 3 (the backward pass through the batch statistics).
- **Dropout before BN**: Li, Chen, Hu & Yang 2019, "Understanding the Disharmony between Dropout and Batch
  Normalization by Variance Shift" (arXiv:1801.05134): the variance-shift analysis of dropout before BN
  (training variance (c² + v)/(1 − p) − c² for inverted dropout) and its remedies.
- Every number on this page is computed by `bn_core` (numpy; it matches PyTorch 2.13 in float64) and `lessons/`.
"""
