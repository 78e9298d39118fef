"""Mini-batch training of S stacked networks at once (bn_core.nn), each with its own seed's batch order.

One call trains every seed of one configuration together: each step is one batched forward and backward, so five
seeds cost little more than one. A model whose loss or gradients stop being finite (or whose loss passes
`max_loss`) has diverged: from that step on it is frozen, its later losses are NaN, and `diverged_at` records the
step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bn_core.nn import SGD, Linear, Module, softmax_cross_entropy

# Above this loss the true class's probability, e^-loss, is below float64's smallest number (about e^-745):
# the run has blown up even where the arithmetic still returns finite numbers.
DIVERGED_LOSS = 1000.0


@dataclass(frozen=True)
class Run:
    """Per-step record of S models trained together (steps numbered from 1).

    loss, accuracy: (S, steps) on each step's mini-batch, training mode; NaN from a model's divergent step on.
    diverged_at:    (S,) the first divergent step of each model, 0 where it never diverged.
    """

    loss: np.ndarray
    accuracy: np.ndarray
    diverged_at: np.ndarray

    @property
    def diverged(self) -> np.ndarray:
        """(S,) bool: which models diverged."""
        return self.diverged_at > 0


@dataclass(frozen=True)
class Step:
    """What a training step saw, handed to `fit`'s on_step hook after the backward and before the update.

    x: (S, b, D) inputs, y: (S, b) labels, loss: (S,), grads: as model.parameters(), active: (S,) bool.
    optimizer: the SGD about to take this step (`optimizer.update(grads)` is the step it will take).
    """

    step: int
    x: np.ndarray
    y: np.ndarray
    loss: np.ndarray
    grads: list[np.ndarray]
    active: np.ndarray
    optimizer: SGD | None = None


class StackedSGD(SGD):
    """SGD with one learning rate per model: lr (S,) scales model s's step (PyTorch's SGD for each model).

    Lets runs that differ only in their learning rate train as one stack (a learning-rate sweep in one call).
    """

    def __init__(self, parameters: list[np.ndarray], lr: Sequence[float], momentum: float = 0.0,
                 weight_decay: float = 0.0):
        lr = np.asarray(lr, dtype=np.float64)
        if lr.ndim != 1 or not np.all(np.isfinite(lr) & (lr > 0)):
            raise ValueError(f"the learning rates must be positive numbers, one per model; got {lr}")
        super().__init__(parameters, 1.0, momentum=momentum, weight_decay=weight_decay)
        self.lr = lr
        self._lr_shaped = [lr.reshape((-1,) + (1,) * (p.ndim - 1)) for p in parameters]

    def step(self, grads: list[np.ndarray], active: np.ndarray | None = None) -> None:
        frozen = active is not None and not active.all()
        with np.errstate(over="ignore", invalid="ignore"):
            for p, v, g, lr in zip(self.parameters, self.velocity, grads, self._lr_shaped, strict=True):
                g = g + self.weight_decay * p if self.weight_decay else g
                v *= self.momentum
                v += g
                update = lr * v
                if frozen:
                    update *= active.reshape(lr.shape)
                p -= update


def next_update(optimizer: SGD, grads: list[np.ndarray]) -> list[np.ndarray]:
    """The change p_new − p that `optimizer.step(grads)` would make to each parameter, momentum and weight decay
    included, without taking it: −lr·(momentum·v + grad + weight_decay·p)."""
    lr = np.asarray(optimizer.lr, dtype=np.float64)
    updates = []
    with np.errstate(over="ignore", invalid="ignore"):
        for p, v, g in zip(optimizer.parameters, optimizer.velocity, grads, strict=True):
            g = g + optimizer.weight_decay * p if optimizer.weight_decay else g
            scale = lr.reshape((-1,) + (1,) * (p.ndim - 1)) if lr.ndim else lr
            updates.append(-scale * (optimizer.momentum * v + g))
    return updates


def batch_indices(n: int, batch_size: int, steps: int, seeds: list[int]) -> np.ndarray:
    """Each model's mini-batch indices, (S, steps, b) with b = min(batch_size, n): a fresh shuffle of the n samples
    every epoch from the model's own seed, the incomplete last batch of an epoch dropped."""
    b = min(batch_size, n)
    per_epoch = n // b
    epochs = -(-steps // per_epoch)
    orders = []
    for seed in seeds:
        rng = np.random.default_rng([seed, 1])
        order = np.concatenate([rng.permutation(n)[: per_epoch * b] for _ in range(epochs)])
        orders.append(order[: steps * b].reshape(steps, b))
    return np.stack(orders)


def _squared_norm(grads: list[np.ndarray]) -> np.ndarray:
    """(S,) the squared norm of each model's gradient."""
    with np.errstate(over="ignore", invalid="ignore"):
        return sum(np.square(g).reshape(g.shape[0], -1).sum(axis=1) for g in grads)


def fit(model: Module, x: np.ndarray, y: np.ndarray, *, lr: float | Sequence[float], steps: int, batch_size: int,
        seeds: list[int], momentum: float = 0.0, weight_decay: float = 0.0,
        on_step: Callable[[Module, Step], None] | None = None, max_loss: float = DIVERGED_LOSS) -> Run:
    """Train `model` (S stacked networks, S = len(seeds)) in place with SGD on x (N, D), y (N,) shared by all models.

    lr: one learning rate, or one per model (S,) (StackedSGD).
    on_step(model, step) runs after each step's backward and before its update (e.g. to probe the loss landscape).
    """
    batches = batch_indices(len(y), batch_size, steps, seeds)
    s = len(seeds)
    optimizer_class = SGD if np.ndim(lr) == 0 else StackedSGD
    optimizer = optimizer_class(model.parameters(), lr, momentum=momentum, weight_decay=weight_decay)
    loss_log = np.full((s, steps), np.nan)
    accuracy_log = np.full((s, steps), np.nan)
    diverged_at = np.zeros(s, dtype=int)
    model.train()
    for t in range(steps):
        idx = batches[:, t]
        xb, yb = x[idx], y[idx]
        with np.errstate(over="ignore", invalid="ignore"):
            logits = model(xb)
            loss, dlogits = softmax_cross_entropy(logits, yb)
            model.backward(dlogits)
        grads = model.gradients()
        active = diverged_at == 0
        blown = active & ~((loss <= max_loss) & np.isfinite(_squared_norm(grads)))
        diverged_at[blown] = t + 1
        active &= ~blown
        loss_log[active, t] = loss[active]
        accuracy_log[active, t] = (logits.argmax(axis=2) == yb).mean(axis=1)[active]
        if on_step is not None:
            on_step(model, Step(t + 1, xb, yb, loss, grads, active, optimizer))
        if not active.any():
            break
        optimizer.step(grads, active)
    return Run(loss_log, accuracy_log, diverged_at)


def evaluate(model: Module, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(loss (S,), accuracy (S,)) of every model in eval mode (BatchNorm's running statistics) on x (N, D), y (N,).
    The model is left in training mode."""
    s = model.parameters()[0].shape[0]
    model.eval()
    with np.errstate(over="ignore", invalid="ignore"):
        logits = model(np.broadcast_to(x, (s, *x.shape)))
        loss, _ = softmax_cross_entropy(logits, y)
    model.train()
    return loss, (logits.argmax(axis=2) == y).mean(axis=1)


def linears(model: Module) -> list[Linear]:
    """The network's Linear layers, input side first, those inside residual blocks included."""
    found: list[Linear] = []
    for child in model.children():
        found += [child] if isinstance(child, Linear) else linears(child)
    return found
