"""What the page says around each experiment: its claim and source, how it is run, where the literature stands and
its caveats. None of it states this lab's outcome: that is each result's computed verdict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lessons.why import covariate_shift, initialization, learning_rate, regularization, smoothness
from lessons.why.lab import TEST_POINTS, Lab

IOFFE = "[Ioffe & Szegedy 2015](https://arxiv.org/abs/1502.03167)"
SANTURKAR = "[Santurkar et al. 2018](https://arxiv.org/abs/1805.11604)"
BJORCK = "[Bjorck et al. 2018](https://arxiv.org/abs/1806.02375)"
ARORA = "[Arora, Li & Lyu 2019](https://arxiv.org/abs/1812.03981)"
LAARHOVEN = "[van Laarhoven 2017](https://arxiv.org/abs/1706.05350)"
LUO = "[Luo et al. 2019](https://arxiv.org/abs/1809.00846)"


@dataclass(frozen=True)
class Experiment:
    """One experiment of the page: title, claim (with its source), run (how it is tested), literature, caveats,
    default settings and the function that runs it (lab, budget) -> result."""

    title: str
    claim: str
    run_text: str
    literature: str
    caveats: str
    default: Lab
    run: Callable


EXPERIMENTS = {
    "lr": Experiment(
        "Learning rate",
        f"Batch norm lets a network train at much higher learning rates ({IOFFE}, abstract and Sec. 3.3).",
        "The same network at learning rates 0.1, 0.3, 1, 3 and 10, with and without BatchNorm. Each seed gives both "
        "networks the same initial weights and the same batches at every rate; all rates and seeds train together.",
        f"The often-quoted \"14× fewer steps\" is {IOFFE}'s BN-x5: BatchNorm *plus* a 5× learning rate, no dropout, "
        "less L2, faster learning-rate decay and no local response normalization. BatchNorm alone (BN-Baseline) "
        "reached Inception's accuracy in 13.3 M instead of 31 M steps, about 2.3× (Fig. 2, and the table of Fig. 3). "
        f"{BJORCK} find that the larger learning rates BatchNorm allows drive most of its benefit.",
        "Higher learning rates still need tuning: past some rate BatchNorm networks diverge too. \"Trained\" is a "
        "threshold on the final training loss (eval mode); diverged runs are drawn at the top of the axis. Tiny "
        "networks on 2-D data: the size of the gap between the two depends on depth (try 2 hidden layers).",
        learning_rate.DEFAULT, learning_rate.run),
    "init": Experiment(
        "Initialization",
        f"With batch norm, training is much less sensitive to the initial weight scale: one can \"be less careful "
        f"about initialization\" ({IOFFE}, abstract).",
        "Every weight starts at 0.1× to 10× He initialization, N(0, 2/fan-in), with and without BatchNorm; each seed "
        "gives all scales the same random draw, scaled. The headline is the accuracy at the worst scale.",
        f"Scale invariance explains it: {LAARHOVEN} and {ARORA} show that with BatchNorm the weights' scale only sets "
        "their effective learning rate, which training then adjusts by itself.",
        "With BatchNorm, multiplying the weights that feed a BatchNorm layer by c > 0 leaves its output unchanged "
        "but scales their gradients by 1/c, so their effective learning rate scales by 1/c²: at 10× those weights "
        "learn 100× more slowly, at 0.1× 100× faster. The output layer is not normalized, so its scale still matters.",
        initialization.DEFAULT, initialization.run),
    "reg": Experiment(
        "Regularization",
        f"Batch norm regularizes: each sample is normalized with its batch's statistics, so its activations carry "
        f"noise that shrinks as the batch grows; it \"acts as a regularizer, in some cases eliminating the need for "
        f"Dropout\" ({IOFFE}, Sec. 3.4).",
        "A setting that can overfit: few noisy points and a wide network, each batch size trained for the same "
        "number of epochs (so a small batch is not also a shorter run). The generalization gap is training accuracy "
        f"minus test accuracy on {TEST_POINTS:,} fresh points, with and without BatchNorm.",
        f"{LUO} analyse batch noise as a regularizer whose strength falls with the batch size; {BJORCK} find most of "
        f"BatchNorm's generalization benefit comes through the larger learning rates it allows. {IOFFE} removed "
        "Dropout together with other changes (BN-x5), so their result does not isolate BatchNorm's regularization.",
        "A smaller gap is regularization only if test accuracy rises with it; a gap can also close because the "
        "network fits its training set less (underfitting). Small batches take more steps per epoch: equal epochs "
        "equalize the samples seen, not the updates. Label noise caps the test accuracy.",
        regularization.DEFAULT, regularization.run),
    "shift": Experiment(
        "Covariate shift",
        f"Batch norm works by reducing *internal covariate shift*, the change in each layer's input distribution "
        f"as the layers below it learn ({IOFFE}, Sec. 2 and Fig. 1b–c).",
        f"Two measures. (1) As {IOFFE} plot it: one unit's input to its ReLU over a fixed set of probe inputs, its "
        "15th, 50th and 85th percentiles through training, and how far every unit's median drifts. (2) "
        f"{SANTURKAR}'s Definition 2.1: how much a layer's gradient G changes (to G′) when the layers below it "
        "first take the optimizer's real step, momentum included, on the same batch.",
        f"{SANTURKAR} found, in VGG and deep linear networks, that by the gradient measure BatchNorm does not reduce "
        "covariate shift and often increases it, and that putting the shift back with noise barely hurt training "
        "(see Smoothness).",
        "With BatchNorm, a unit's mean and spread over any batch are β and γ by construction (the probe set is "
        "normalized by its own statistics), so a smaller per-unit drift is partly by design: what can move is β, γ "
        "and the distribution's shape. The gradient measure is the test that is not built in.",
        covariate_shift.DEFAULT, covariate_shift.run),
    "smooth": Experiment(
        "Smoothness",
        f"Batch norm helps because it makes the loss landscape smoother (the loss and its gradient change more "
        f"gently along the gradient), not because it holds distributions still ({SANTURKAR}, Sec. 2.1 and 3.1).",
        "No norm, BatchNorm, and noisy BatchNorm, where every activation of every sample after each BatchNorm layer "
        "is perturbed by noise with a non-zero mean and non-unit variance, redrawn at every step. Every few steps the "
        "probe looks 0.25 to 4 learning rates along −g (same batch, same noise): the loss range, the gradient change "
        "and the effective β-smoothness (gradient change per unit of step).",
        f"{SANTURKAR} report noisy BatchNorm training almost as well as BatchNorm in VGG on CIFAR-10, and "
        "BatchNorm's landscape smoother throughout training.",
        "Smoother does not have to mean a lower loss: a smoother landscape allows larger steps, but at one fixed "
        "learning rate a rougher landscape can still be descended further. The probes use the step's own batch; "
        "gradient sizes differ between the networks, which β-smoothness (change per unit of step) allows for. A "
        "network that barely trains can look smooth too: a plateau is flat.",
        smoothness.DEFAULT, smoothness.run),
}

LEAD = ("Batch normalization clearly helps networks train; *why* is less settled than most introductions suggest. Each "
        "experiment trains small networks (written in numpy on `bn_core`) with and without it, over several seeds at "
        "once, and says what the results show. Every setting is in the link.")
REFERENCES = (
    f"- {IOFFE}: Batch Normalization. Internal covariate shift (Sec. 2, Fig. 1: percentiles of a unit's input), "
    "higher learning rates and initialization (abstract, Sec. 3.3), regularization (Sec. 3.4), BN-Baseline vs "
    "BN-x5 (Fig. 2, and the table of Fig. 3: 13.3 M vs 31 M steps; BN-x5 14× fewer).\n"
    f"- {SANTURKAR}: How Does Batch Normalization Help Optimization? Noisy BatchNorm (Sec. 2.1), the gradient "
    "measure of internal covariate shift (Definition 2.1), loss landscape, gradient predictiveness and effective "
    "β-smoothness (Sec. 3.1).\n"
    f"- {BJORCK}: Understanding Batch Normalization (large learning rates drive the benefit).\n"
    f"- {LUO}: Towards Understanding Regularization in Batch Normalization (batch noise as a regularizer).\n"
    f"- {LAARHOVEN}: L2 Regularization versus Batch and Weight Normalization (effective learning rate ∝ 1/‖w‖²).\n"
    f"- {ARORA}: Theoretical Analysis of Auto Rate-Tuning by Batch Normalization.\n"
    "- This lab: networks from `bn_core.nn` (numpy, PyTorch 2.13 semantics), trained with SGD as "
    "`torch.optim.SGD`; data from `bn_core.toy_data`."
)
