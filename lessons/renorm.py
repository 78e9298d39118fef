"""The Variants page's experiments on Batch Renormalization and Ghost BatchNorm: a non-i.i.d. stream, the
train/inference gap of each layer, and batch-size sensitivity of Ghost BN."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bn_core.batchnorm import BatchNorm
from bn_core.functional import batch_norm_forward
from bn_core.renorm import BatchRenorm, ghost_batch_norm


@dataclass(frozen=True)
class RenormExperiment:
    """Train-vs-inference gap over a stream of small, non-iid minibatches, for BatchNorm and Batch Renorm.

    gap_bn, gap_renorm: (steps,) mean |training-mode output − inference-mode output| of each minibatch,
    the inference output computed with the running statistics the layer holds at that step.
    clipped: (steps,) share of channels whose r or d was clipped.
    """

    gap_bn: np.ndarray
    gap_renorm: np.ndarray
    clipped: np.ndarray


def non_iid_stream(steps: int, batch_size: int, num_features: int, seed: int = 0) -> np.ndarray:
    """Minibatches that are not i.i.d.: each comes from one of 4 clusters with its own mean, as when a data
    loader does not shuffle across classes. Shape (steps, batch_size, num_features); population mean 0."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 2.0, (4, num_features))
    centres -= centres.mean(axis=0)
    cluster = rng.integers(0, 4, steps)
    return centres[cluster][:, None, :] + rng.standard_normal((steps, batch_size, num_features))


def renorm_experiment(r_max: float, d_max: float, *, steps: int = 300, batch_size: int = 4, num_features: int = 3,
                      momentum: float = 0.02, eps: float = 1e-5, seed: int = 0) -> RenormExperiment:
    """Run BatchNorm and BatchRenorm side by side on `non_iid_stream`; at every step compare each layer's
    training output for the minibatch with its inference output for the same minibatch."""
    stream = non_iid_stream(steps, batch_size, num_features, seed)
    bn = BatchNorm(num_features, eps=eps, momentum=momentum, affine=False)
    renorm = BatchRenorm(num_features, r_max=r_max, d_max=d_max, momentum=momentum, eps=eps)
    gap_bn, gap_renorm, clipped = np.empty(steps), np.empty(steps), np.empty(steps)
    for t, x in enumerate(stream):
        eval_bn = bn.eval()(x)
        gap_bn[t] = np.abs(bn.train()(x) - eval_bn).mean()
        eval_renorm = renorm.eval()(x)
        gap_renorm[t] = np.abs(renorm.train()(x) - eval_renorm).mean()
        clipped[t] = renorm.last_stats.clipped.mean()
    return RenormExperiment(gap_bn, gap_renorm, clipped)


GHOST_SIZES = (2, 4, 8, 16, 32, 64, 128, 256)


@dataclass(frozen=True)
class GhostExperiment:
    """Noise in one sample's normalized value, by (virtual) batch size.

    ghost:      (len(ghost_sizes),) Ghost BN with virtual batches of g inside a batch of `batch_size`.
    small:      (len(ghost_sizes),) plain BatchNorm on a real batch of g.
    full_batch: plain BatchNorm on the whole batch of `batch_size`.
    Noise = standard deviation, over `trials` redrawn batches, of the probe sample's output, averaged over features.
    """

    ghost_sizes: tuple[int, ...]
    batch_size: int
    trials: int
    ghost: np.ndarray
    small: np.ndarray
    full_batch: float


def ghost_experiment(*, ghost_sizes: tuple[int, ...] = GHOST_SIZES, batch_size: int = 256, num_features: int = 4,
                     trials: int = 24, eps: float = 1e-5, seed: int = 0) -> GhostExperiment:
    """Measure how noisy the normalization of one fixed sample is with Ghost BN, small batches and a full batch.

    The probe is placed at a random position of each redrawn batch, so its virtual batch changes too.
    """
    rng = np.random.default_rng(seed)
    probe = rng.standard_normal((1, num_features))

    def probe_noise(size: int, normalize) -> float:
        outputs = []
        for _ in range(trials):
            others = rng.standard_normal((size - 1, num_features))
            at = rng.integers(0, size)
            y = normalize(np.concatenate([others[:at], probe, others[at:]]))
            outputs.append(y[at])
        return float(np.std(outputs, axis=0).mean())

    def plain(x):
        return batch_norm_forward(x, eps=eps)[0]

    ghost = np.array([probe_noise(batch_size, lambda x, g=g: ghost_batch_norm(x, g, eps=eps)) for g in ghost_sizes])
    small = np.array([probe_noise(g, plain) for g in ghost_sizes])
    return GhostExperiment(tuple(ghost_sizes), batch_size, trials, ghost, small, probe_noise(batch_size, plain))
