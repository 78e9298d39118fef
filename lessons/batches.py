"""Non-i.i.d. batches: when a batch is not a fair sample of the data, BatchNorm's batch statistics are biased.

A loader that yields batches of mostly (or only) one class trains a BN network whose
training-mode accuracy looks fine, because each sample is normalized among batch-mates that share its label:
the batch statistics carry information about the labels (the "leak" between the samples of a batch). In eval mode
that information is gone and accuracy falls. LayerNorm and GroupNorm normalize each sample on its own and do not
care. The same leak is why MoCo (He et al. 2020, arXiv:1911.05722, Sec. 3.3) shuffles samples across devices
before BN ("Shuffling BN"): otherwise the contrastive loss is solved through the batch statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bn_core.nn import SGD, GroupNorm, LayerNorm, Module, Sequential, mlp, softmax_cross_entropy
from bn_core.toy_data import make_dataset
from lessons.recalibration import SEEDS
from lessons.training import evaluate

ORDERS = ("shuffled", "3/4 one class", "one class per batch")
MAJORITY = {"3/4 one class": 0.75, "one class per batch": 1.0}  # share of the batch from its majority class
NORMS = ("BatchNorm", "LayerNorm", "GroupNorm")
GROUPS = 4
BATCH_SIZE = 16
STEPS = 150
LAST_STEPS = 30  # the training accuracy shown is the mean over these last steps


def make_model(norm: str, models: int) -> Sequential:
    """The (2, 16, 16, 2) network with the given normalization after each hidden Linear."""
    if norm == "GroupNorm":
        model = mlp((2, 16, 16, 2), norm="layer", models=models, seed=0)
        model.layers = [GroupNorm(GROUPS, 16, models=models) if isinstance(layer, LayerNorm) else layer
                        for layer in model.layers]
        return model
    return mlp((2, 16, 16, 2), norm={"BatchNorm": "batch", "LayerNorm": "layer"}[norm], models=models, seed=0)


def batch_order(y: np.ndarray, order: str, batch_size: int, steps: int, seed: int) -> np.ndarray:
    """(steps, batch_size) sample indices, a fresh draw every epoch: shuffled, or batches whose majority class
    alternates and holds MAJORITY[order] of the batch (3/4, or all of it)."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
    rng = np.random.default_rng([seed, 3])
    majority = int(round(MAJORITY.get(order, 0.5) * batch_size))
    batches: list[np.ndarray] = []
    while len(batches) < steps:
        if order == "shuffled":
            perm = rng.permutation(len(y))
            batches += [perm[i:i + batch_size] for i in range(0, len(y) - batch_size + 1, batch_size)]
            continue
        pools = [list(rng.permutation(np.flatnonzero(y == c))) for c in (0, 1)]
        label = 0
        while len(pools[label]) >= majority and len(pools[1 - label]) >= batch_size - majority:
            batch = [pools[label].pop() for _ in range(majority)]
            batch += [pools[1 - label].pop() for _ in range(batch_size - majority)]
            batches.append(rng.permutation(batch))
            label = 1 - label
    return np.stack(batches[:steps])


def train_on_batches(model: Module, x: np.ndarray, y: np.ndarray, batches: np.ndarray, *, lr: float = 0.1,
                     momentum: float = 0.9) -> np.ndarray:
    """SGD on the given batches (S, steps, b), model s on batches[s]; returns each step's training-mode accuracy
    (S, steps)."""
    optimizer = SGD(model.parameters(), lr, momentum=momentum)
    accuracy = np.empty(batches.shape[:2])
    model.train()
    for t in range(batches.shape[1]):
        xb, yb = x[batches[:, t]], y[batches[:, t]]
        logits = model(xb)
        _, dlogits = softmax_cross_entropy(logits, yb)
        model.backward(dlogits)
        accuracy[:, t] = (logits.argmax(axis=2) == yb).mean(axis=1)
        optimizer.step(model.gradients())
    return accuracy


def batch_mode_accuracy(model: Module, x: np.ndarray, y: np.ndarray, batches: np.ndarray) -> np.ndarray:
    """(S,) accuracy in training mode (batch statistics) over the given test batches (steps, b), shared by all
    models. The model is left in training mode."""
    model.train()
    s = model.parameters()[0].shape[0]
    correct = [(model(np.broadcast_to(x[b], (s, len(b), x.shape[1]))).argmax(axis=2) == y[b]).mean(axis=1)
               for b in batches]
    return np.mean(correct, axis=0)


@dataclass(frozen=True)
class NonIid:
    """Per normalization, (S,) each: training accuracy (training mode, last LAST_STEPS steps), test accuracy in
    eval mode, and test accuracy in training mode on test batches arranged like the training batches and on
    shuffled test batches (BatchNorm only: the others do not use batch statistics)."""

    order: str
    train_accuracy: dict[str, np.ndarray]
    test_accuracy: dict[str, np.ndarray]
    arranged_batches: np.ndarray
    shuffled_batches: np.ndarray


def non_iid_experiment(order: str = "one class per batch", seeds: tuple[int, ...] = SEEDS) -> NonIid:
    data = make_dataset("moons", 400, noise=0.15, seed=0)
    batches = np.stack([batch_order(data.y_train, order, BATCH_SIZE, STEPS, seed) for seed in seeds])
    train, test = {}, {}
    for norm in NORMS:
        model = make_model(norm, len(seeds))
        train[norm] = train_on_batches(model, data.x_train, data.y_train, batches)[:, -LAST_STEPS:].mean(axis=1)
        test[norm] = evaluate(model, data.x_test, data.y_test)[1]
        if norm == "BatchNorm":
            steps = len(data.y_test) // BATCH_SIZE
            arranged = batch_mode_accuracy(model, data.x_test, data.y_test,
                                           batch_order(data.y_test, order, BATCH_SIZE, steps, 0))
            shuffled = batch_mode_accuracy(model, data.x_test, data.y_test,
                                           batch_order(data.y_test, "shuffled", BATCH_SIZE, steps, 0))
    return NonIid(order, train, test, arranged, shuffled)
