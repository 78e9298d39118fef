"""Write tests/fixtures/golden.npz: PyTorch (and Keras 3) reference values that bn_core is tested against.

Regenerate (only needed when a case is added; the committed fixture is what the tests use, without torch):

    pip install torch==2.13.0   # the CPU build is enough
    pip install keras           # optional: the Keras 3 cases (run on the torch backend)
    KERAS_BACKEND=torch python tests/make_golden.py

The committed fixture was made with torch 2.13.0+cpu and Keras 3.15.1 (both versions are stored in it); the
output is deterministic, so regenerating it with the same versions gives the same numbers.

Every array is float64. Inputs come from a fixed numpy seed and are stored beside the outputs, so the tests
never regenerate them. Keys are "<case>.<field>", e.g. "bn.4d.m0.1.step1.running_var" (read back with
`np.load`). Cases:

- bn.<dims>.m<momentum>: BatchNorm1d (2-D, 3-D) / BatchNorm2d (4-D), affine with non-trivial gamma/beta, three
  training steps (x, dy, y, dx, dgamma, dbeta, running_mean, running_var, num_batches_tracked after each)
  then one eval step. momentum 0.1 and None (cumulative average).
- bn_nostats.<dims>: track_running_stats=False, one training step and one eval step.
- ln, gn, in, rms: LayerNorm (several normalized shapes), GroupNorm (several group counts), InstanceNorm1d/2d
  (affine), RMSNorm (eps 1e-6): forward and backward (dx, dgamma[, dbeta]) for a fixed upstream dy.
- keras.*: Keras 3 BatchNormalization(momentum=0.99, epsilon=1e-3, gamma/beta set): training outputs and
  moving_mean / moving_variance after each of three steps, an inference step, and a one-sample training step
  (N = 1: for 2-D input a single value per channel, which Keras normalizes to beta).
  Keras computes in float32 internally, so only these are float32-accurate (compare at ~1e-5).
"""

from __future__ import annotations

import os
import pathlib
import sys

import numpy as np
import torch

OUT = pathlib.Path(__file__).resolve().parent / "fixtures" / "golden.npz"
SHAPES = {"2d": (6, 4), "3d": (4, 4, 5), "4d": (3, 4, 3, 2)}
TRAIN_STEPS = 3

rng = np.random.default_rng(20240617)
golden: dict[str, np.ndarray] = {}


def data(shape, loc=0.0, scale=1.0) -> np.ndarray:
    """Inputs with a non-zero mean and non-unit spread so normalization has work to do."""
    return loc + scale * rng.standard_normal(shape)


def put(prefix: str, **arrays) -> None:
    """Store copies: torch updates running buffers in place, and .numpy() shares their memory."""
    for name, value in arrays.items():
        golden[f"{prefix}.{name}"] = np.array(value.detach().numpy() if torch.is_tensor(value) else value)


def forward_backward(module: torch.nn.Module, x: np.ndarray, dy: np.ndarray) -> dict[str, np.ndarray]:
    """Output and autograd gradients (dx and every parameter's) for upstream gradient dy."""
    module.zero_grad()
    xt = torch.tensor(x, requires_grad=True)
    y = module(xt)
    y.backward(torch.tensor(dy))
    out = {"x": x, "dy": dy, "y": y, "dx": xt.grad}
    if getattr(module, "weight", None) is not None:
        out["dgamma"] = module.weight.grad
    if getattr(module, "bias", None) is not None:
        out["dbeta"] = module.bias.grad
    return out


def set_affine(module: torch.nn.Module, param_shape) -> dict[str, np.ndarray]:
    """Non-trivial gamma (around 1.5) and beta (around -0.5); returns them for the fixture."""
    gamma, beta = data(param_shape, 1.5, 0.5), data(param_shape, -0.5, 0.5)
    with torch.no_grad():
        module.weight.copy_(torch.tensor(gamma))
        if getattr(module, "bias", None) is not None:
            module.bias.copy_(torch.tensor(beta))
            return {"gamma": gamma, "beta": beta}
    return {"gamma": gamma}


def batch_norm_cls(dims: str):
    return torch.nn.BatchNorm2d if dims == "4d" else torch.nn.BatchNorm1d


def batch_norm_cases() -> None:
    for dims, shape in SHAPES.items():
        for momentum in (0.1, None):
            prefix = f"bn.{dims}.m{momentum}"
            bn = batch_norm_cls(dims)(shape[1], momentum=momentum, dtype=torch.float64)
            put(prefix, **set_affine(bn, (shape[1],)), eps=bn.eps)
            bn.train()
            for step in range(TRAIN_STEPS):
                # Each batch has its own per-channel offset, so the running statistics move.
                x = data(shape, loc=2.0 + step, scale=1.0 + 0.5 * step)
                put(
                    f"{prefix}.step{step}",
                    **forward_backward(bn, x, data(shape)),
                    running_mean=bn.running_mean,
                    running_var=bn.running_var,
                    num_batches_tracked=bn.num_batches_tracked,
                )
            bn.eval()
            put(f"{prefix}.eval", **forward_backward(bn, data(shape, loc=3.0, scale=2.0), data(shape)))

        prefix = f"bn_nostats.{dims}"
        bn = batch_norm_cls(dims)(shape[1], track_running_stats=False, dtype=torch.float64)
        put(prefix, **set_affine(bn, (shape[1],)), eps=bn.eps)
        put(f"{prefix}.train", **forward_backward(bn.train(), data(shape, 1.0, 2.0), data(shape)))
        put(f"{prefix}.eval", **forward_backward(bn.eval(), data(shape, 1.0, 2.0), data(shape)))


def layer_norm_cases() -> None:
    normalized = {"2d": [(4,)], "3d": [(5,), (4, 5)], "4d": [(2,), (3, 2), (4, 3, 2)]}
    for dims, shapes in normalized.items():
        for normalized_shape in shapes:
            tag = "x".join(map(str, normalized_shape))
            for kind, module in (
                ("ln", torch.nn.LayerNorm(normalized_shape, dtype=torch.float64)),
                ("rms", torch.nn.RMSNorm(normalized_shape, eps=1e-6, dtype=torch.float64)),
            ):
                prefix = f"{kind}.{dims}.{tag}"
                put(prefix, **set_affine(module, normalized_shape), normalized_shape=normalized_shape, eps=module.eps)
                put(prefix, **forward_backward(module, data(SHAPES[dims], 1.0, 3.0), data(SHAPES[dims])))


def group_norm_cases() -> None:
    for dims, shape in SHAPES.items():
        for groups in (1, 2, 4):
            prefix = f"gn.{dims}.g{groups}"
            gn = torch.nn.GroupNorm(groups, shape[1], dtype=torch.float64)
            put(prefix, **set_affine(gn, (shape[1],)), num_groups=groups, eps=gn.eps)
            put(prefix, **forward_backward(gn, data(shape, -1.0, 2.0), data(shape)))


def instance_norm_cases() -> None:
    for dims, cls in (("3d", torch.nn.InstanceNorm1d), ("4d", torch.nn.InstanceNorm2d)):
        shape = SHAPES[dims]
        prefix = f"in.{dims}"
        inorm = cls(shape[1], affine=True, dtype=torch.float64)
        put(prefix, **set_affine(inorm, (shape[1],)), eps=inorm.eps)
        put(prefix, **forward_backward(inorm, data(shape, 0.5, 1.5), data(shape)))


def keras_cases() -> None:
    """Keras 3 BatchNormalization on the torch backend, defaults momentum 0.99 and epsilon 1e-3.

    The layer's variables are float64, but Keras computes in float32 even for float64 input (in Keras 3.15
    `backend.result_type("float64", "float32")` is float32), so these values hold to ~1e-6, not 1e-10.
    """
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except ImportError:
        print("keras not installed: Keras cases skipped", file=sys.stderr)
        return
    for dims, shape in SHAPES.items():
        prefix = f"keras.{dims}"
        layer = keras.layers.BatchNormalization(axis=1, momentum=0.99, epsilon=1e-3, dtype="float64")
        layer.build(shape)
        gamma, beta = data((shape[1],), 1.5, 0.5), data((shape[1],), -0.5, 0.5)
        layer.gamma.assign(gamma)
        layer.beta.assign(beta)
        put(prefix, gamma=gamma, beta=beta, momentum=layer.momentum, epsilon=layer.epsilon)
        for step in range(TRAIN_STEPS):
            x = data(shape, loc=2.0 + step, scale=1.0 + 0.5 * step)
            y = keras.ops.convert_to_numpy(layer(x, training=True))
            put(
                f"{prefix}.step{step}",
                x=x,
                y=y,
                moving_mean=keras.ops.convert_to_numpy(layer.moving_mean),
                moving_variance=keras.ops.convert_to_numpy(layer.moving_variance),
            )
        x = data(shape, loc=3.0, scale=2.0)
        put(f"{prefix}.eval", x=x, y=keras.ops.convert_to_numpy(layer(x, training=False)))
        x = data((1,) + shape[1:])
        put(f"{prefix}.single", x=x, y=keras.ops.convert_to_numpy(layer(x, training=True)))
    golden["keras.version"] = np.asarray(keras.__version__)


def main() -> None:
    batch_norm_cases()
    layer_norm_cases()
    group_norm_cases()
    instance_norm_cases()
    keras_cases()
    golden["torch.version"] = np.asarray(torch.__version__)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **golden)
    print(f"wrote {len(golden)} arrays to {OUT} ({OUT.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
