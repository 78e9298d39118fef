"""A tiny neural-network library, micrograd-sized, for the lab's training experiments.

Every array carries a leading *model* axis S: S networks of one shape (several seeds, say) run side by side, and
each matrix product is one batched `@`. With S = 1 it is an ordinary network.

    x: (S, N, D)   Linear: weight (S, D_in, D_out), bias (S, D_out)   norms: gamma, beta (S, D)

Each module's `__call__` is its forward and keeps what its `backward` needs; `backward(dout)` returns the gradient
with respect to the module's input and stores the gradients of its parameters, in the order of `parameters()`,
in `gradients()`. Modules also keep `out` (the last output) and `dout` (its gradient) for inspection.
"""

from __future__ import annotations

import numpy as np

from .batchnorm import BatchNorm
from .normalize import norm_backward, normalize_forward

ACTIVATIONS = ("relu", "tanh")
NORMS = ("none", "batch", "layer")


class Module:
    """The base: no parameters, training mode on."""

    training = True

    def children(self) -> list[Module]:
        return []

    def parameters(self) -> list[np.ndarray]:
        return [p for child in self.children() for p in child.parameters()]

    def gradients(self) -> list[np.ndarray]:
        return [g for child in self.children() for g in child.gradients()]

    def train(self, mode: bool = True) -> Module:
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)


class Linear(Module):
    """y = x @ W + b. W ~ N(0, gain² / fan_in) (gain √2 is He initialisation for ReLU), b = 0."""

    def __init__(self, fan_in: int, fan_out: int, *, models: int = 1, bias: bool = True, gain: float = np.sqrt(2.0),
                 rng: np.random.Generator | None = None):
        rng = np.random.default_rng() if rng is None else rng
        self.weight = rng.standard_normal((models, fan_in, fan_out)) * (gain / np.sqrt(fan_in))
        self.bias = np.zeros((models, fan_out)) if bias else None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """x: (S, N, fan_in) -> (S, N, fan_out)."""
        self.x = x
        self.out = x @ self.weight if self.bias is None else x @ self.weight + self.bias[:, None, :]
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self.dout = dout
        self.dweight = self.x.transpose(0, 2, 1) @ dout
        self.dbias = None if self.bias is None else dout.sum(axis=1)
        return dout @ self.weight.transpose(0, 2, 1)

    def parameters(self) -> list[np.ndarray]:
        return [self.weight] + ([] if self.bias is None else [self.bias])

    def gradients(self) -> list[np.ndarray]:
        return [self.dweight] + ([] if self.bias is None else [self.dbias])


class ReLU(Module):
    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.out = np.maximum(x, 0.0)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self.dout = dout
        return dout * (self.out > 0)


class Tanh(Module):
    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self.dout = dout
        return dout * (1.0 - self.out**2)


class BatchNorm1d(Module):
    """torch.nn.BatchNorm1d on each model's (N, D) batch: `bn_core.BatchNorm` with S·D channels, model s's feature d
    being channel s·D + d, so each model keeps its own statistics, running statistics and gamma, beta."""

    def __init__(self, num_features: int, *, models: int = 1, eps: float = 1e-5, momentum: float | None = 0.1):
        self.shape = (models, num_features)
        self.layer = BatchNorm(models * num_features, eps=eps, momentum=momentum)

    # Views, made afresh on each access: updating them updates the layer, also in a copy.deepcopy of the module
    # (a stored view would be copied into an independent array).
    @property
    def gamma(self) -> np.ndarray:
        return self.layer.gamma.reshape(self.shape)

    @property
    def beta(self) -> np.ndarray:
        return self.layer.beta.reshape(self.shape)

    @property
    def running_mean(self) -> np.ndarray:
        return self.layer.running_mean.reshape(self.shape)

    @property
    def running_var(self) -> np.ndarray:
        return self.layer.running_var.reshape(self.shape)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """x: (S, N, D) -> (S, N, D); training mode normalizes with each model's batch statistics."""
        s, n, d = x.shape
        self.layer.train(self.training)
        y = self.layer(x.transpose(1, 0, 2).reshape(n, s * d))
        self.out = y.reshape(n, s, d).transpose(1, 0, 2)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self.dout = dout
        s, n, d = dout.shape
        dx, dgamma, dbeta = self.layer.backward(dout.transpose(1, 0, 2).reshape(n, s * d))
        self.dgamma, self.dbeta = dgamma.reshape(self.shape), dbeta.reshape(self.shape)
        return dx.reshape(n, s, d).transpose(1, 0, 2)

    def parameters(self) -> list[np.ndarray]:
        return [self.gamma, self.beta]

    def gradients(self) -> list[np.ndarray]:
        return [self.dgamma, self.dbeta]


class _PerSampleNorm(Module):
    """A norm whose statistics are each sample's own (no running statistics): gamma, beta (S, D)."""

    def __init__(self, num_features: int, *, models: int = 1, eps: float = 1e-5):
        self.gamma = np.ones((models, num_features))
        self.beta = np.zeros((models, num_features))
        self.eps = eps

    def normalize(self, x: np.ndarray, *, stat_axes: tuple[int, ...], view_shape=None) -> np.ndarray:
        s, _, d = x.shape
        self.out, self.cache = normalize_forward(x, stat_axes=stat_axes, view_shape=view_shape, param_bshape=(s, 1, d),
                                                 gamma=self.gamma, beta=self.beta, eps=self.eps)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self.dout = dout
        dx, self.dgamma, self.dbeta = norm_backward(dout, self.cache)
        return dx

    def parameters(self) -> list[np.ndarray]:
        return [self.gamma, self.beta]

    def gradients(self) -> list[np.ndarray]:
        return [self.dgamma, self.dbeta]


class LayerNorm(_PerSampleNorm):
    """torch.nn.LayerNorm(D) per model: statistics per sample over its D features."""

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """x: (S, N, D) -> (S, N, D), the same in training and eval."""
        return self.normalize(x, stat_axes=(2,))


class GroupNorm(_PerSampleNorm):
    """torch.nn.GroupNorm(G, D) per model: statistics per sample over each group of D / G features."""

    def __init__(self, num_groups: int, num_features: int, *, models: int = 1, eps: float = 1e-5):
        if num_features % num_groups:
            raise ValueError(f"num_groups must divide the {num_features} features, got {num_groups}")
        super().__init__(num_features, models=models, eps=eps)
        self.groups = num_groups

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """x: (S, N, D) -> (S, N, D), the same in training and eval."""
        s, n, d = x.shape
        return self.normalize(x, stat_axes=(3,), view_shape=(s, n, self.groups, d // self.groups))


class Sequential(Module):
    """Modules applied in order; backward in reverse."""

    def __init__(self, *layers: Module):
        self.layers = list(layers)

    def children(self) -> list[Module]:
        return self.layers

    def __call__(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer(x)
        self.out = x
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self.dout = dout
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout


class Residual(Sequential):
    """y = x + f(x), f the modules given: a residual block."""

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.out = x + super().__call__(x)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout + super().backward(dout)


def make_norm(norm: str, width: int, *, models: int = 1, eps: float = 1e-5, momentum: float | None = 0.1
              ) -> Module | None:
    """The normalization called `norm` ("none", "batch", "layer") for `width` features, or None."""
    if norm not in NORMS:
        raise ValueError(f"unknown normalization {norm!r}; choose one of {NORMS}")
    if norm == "batch":
        return BatchNorm1d(width, models=models, eps=eps, momentum=momentum)
    return LayerNorm(width, models=models, eps=eps) if norm == "layer" else None


def mlp(widths: tuple[int, ...], *, norm: str = "none", activation: str = "relu", models: int = 1,
        gain: float | None = None, seed=0, eps: float = 1e-5, momentum: float | None = 0.1) -> Sequential:
    """[Linear -> norm -> activation] for each hidden width, then a Linear: widths = (in, h1, ..., out).

    gain: the weights' initial gain; default √2 (He) for ReLU and 5/3 for tanh (PyTorch's calculate_gain).
    seed: an int or a SeedSequence-compatible list; model s gets its own draw of every weight.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {ACTIVATIONS}")
    if len(widths) < 2 or any(int(w) != w or w < 1 for w in widths):
        raise ValueError(f"widths must list at least an input and an output size, all positive; got {widths}")
    rng = np.random.default_rng(seed)
    gain = (np.sqrt(2.0) if activation == "relu" else 5.0 / 3.0) if gain is None else gain
    layers: list[Module] = []
    for fan_in, fan_out in zip(widths[:-2], widths[1:-1], strict=True):
        layers.append(Linear(fan_in, fan_out, models=models, gain=gain, rng=rng))
        norm_layer = make_norm(norm, fan_out, models=models, eps=eps, momentum=momentum)
        layers += [] if norm_layer is None else [norm_layer]
        layers.append(ReLU() if activation == "relu" else Tanh())
    layers.append(Linear(widths[-2], widths[-1], models=models, gain=gain, rng=rng))
    return Sequential(*layers)


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean cross-entropy of softmax(logits) against integer labels, per model, and its gradient.

    logits: (S, N, K); y: (N,) or (S, N) ints in [0, K). Returns (loss (S,), dlogits (S, N, K)).
    Non-finite logits give a NaN loss for that model.
    """
    s, n, _ = logits.shape
    y = np.broadcast_to(y, (s, n))
    rows, cols = np.arange(s)[:, None], np.arange(n)[None, :]
    with np.errstate(invalid="ignore", over="ignore"):
        shifted = logits - logits.max(axis=2, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
        dlogits = np.exp(log_probs)
    loss = -log_probs[rows, cols, y].mean(axis=1)
    dlogits[rows, cols, y] -= 1.0
    return loss, dlogits / n


class SGD:
    """PyTorch's SGD: g <- grad + weight_decay·p;  v <- momentum·v + g;  p <- p − lr·v.

    step(grads, active): `active` (S,) bool leaves the parameters of inactive models (a diverged seed) untouched.
    """

    def __init__(self, parameters: list[np.ndarray], lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        if not np.isfinite(lr) or lr <= 0:
            raise ValueError(f"the learning rate must be a positive number, got {lr}")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        self.parameters, self.lr, self.momentum, self.weight_decay = parameters, lr, momentum, weight_decay
        self.velocity = [np.zeros_like(p) for p in parameters]

    def step(self, grads: list[np.ndarray], active: np.ndarray | None = None) -> None:
        with np.errstate(over="ignore", invalid="ignore"):
            for p, v, g in zip(self.parameters, self.velocity, grads, strict=True):
                g = g + self.weight_decay * p if self.weight_decay else g
                v *= self.momentum
                v += g
                update = self.lr * v
                if active is not None:
                    update = update * active.reshape((-1,) + (1,) * (p.ndim - 1))
                p -= update
