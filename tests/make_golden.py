"""Write tests/fixtures/golden.npz: PyTorch (and Keras 3) reference values that bn_core is tested against.

Regenerate (only needed when a case is added; the committed fixture is what the tests use, without torch):

    pip install torch==2.13.0   # the CPU build is enough
    pip install keras           # optional: the Keras 3 cases (run on the torch backend)
    KERAS_BACKEND=torch python tests/make_golden.py

The committed fixture was made with torch 2.13.0+cpu and Keras 3.15.1 (both versions are stored in it); the
output is deterministic, so regenerating it with the same versions gives the same numbers.

Every array is float64 (except the float32 RMSNorm edge case). Inputs come from a fixed numpy seed and are
stored beside the outputs, so the tests never regenerate them. Keys are "<case>.<field>", e.g.
"bn.4d.m0.1.step1.running_var" (read back with `np.load`). Cases:

- bn.<dims>.m<momentum>: BatchNorm1d (2-D, 3-D) / BatchNorm2d (4-D), affine with non-trivial gamma/beta, three
  training steps (x, dy, y, dx, dgamma, dbeta, running_mean, running_var, num_batches_tracked after each)
  then one eval step. momentum 0.1 and None (cumulative average).
- bn_nostats.<dims>: track_running_stats=False, one training step and one eval step.
- ln, gn, in, rms: LayerNorm (several normalized shapes), GroupNorm (several group counts), InstanceNorm1d/2d
  (affine), RMSNorm (eps 1e-6): forward and backward (dx, dgamma[, dbeta]) for a fixed upstream dy.
- edge.<layer>.<case>: torch 2.13's edge cases, from their own numpy seed (the cases above keep their values):
  eps = 0, negative, NaN and inf in training and eval; one value per channel; one spatial element; empty batches;
  wrong shapes; defaults. Each stores its inputs and either torch's outputs or "edge.<...>.error", the error
  torch raised as "Type: message". tests/bn_core/test_edge_cases.py runs bn_core on every one of them.
- renorm.<limits>: a Batch Renorm training step (Ioffe 2017) written in torch with r and d detached (the
  paper's stop_gradient): y, dx, dgamma, dbeta by autograd, r and d.
- ghost.<convention>: Ghost BatchNorm as one torch BatchNorm1d applied to each of x.chunk(3) in turn, with the full
  momentum per chunk (hoffer, Hoffer et al. 2017) or momentum / 3 (composer, MosaicML Composer).
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


edge_rng = np.random.default_rng(20261201)
F = torch.nn.functional


def t(a):
    return torch.tensor(a) if isinstance(a, np.ndarray) else a


def edge(name: str, run, **inputs) -> None:
    """Store `inputs` under edge.<name>, then run(**inputs as tensors) -> {field: output} or the error it raised."""
    put(f"edge.{name}", **{k: v for k, v in inputs.items() if v is not None})
    try:
        outputs = run(**{k: t(v) for k, v in inputs.items()})
    except Exception as error:  # noqa: BLE001 - every kind of error is a result here
        golden[f"edge.{name}.error"] = np.asarray(f"{type(error).__name__}: {error}")
        return
    put(f"edge.{name}", **({"y": outputs} if torch.is_tensor(outputs) else outputs))


def edge_data(*shape, loc=1.0, scale=2.0) -> np.ndarray:
    return loc + scale * edge_rng.standard_normal(shape)


def batch_norm_edge_cases() -> None:
    x, c = edge_data(4, 3), 3
    stats = {"running_mean": edge_data(c, loc=0.5, scale=1.0), "running_var": edge_data(c, loc=2.0, scale=0.3)}
    for tag, eps in (("eps0", 0.0), ("eps_neg", -1e-5), ("eps_nan", float("nan")), ("eps_inf", float("inf"))):
        edge(f"bn.train.{tag}", lambda x, eps: F.batch_norm(x, None, None, training=True, eps=eps), x=x, eps=eps)
        edge(f"bn.eval.{tag}", lambda x, eps, running_mean, running_var: F.batch_norm(
            x, running_mean, running_var, training=False, eps=eps), x=x, eps=eps, **stats)
    zero_var = {"running_mean": np.array([1.0, 0.0, -1.0]), "running_var": np.array([0.0, 1.0, 0.0])}
    edge("bn.eval.eps0_zero_running_var", lambda x, eps, running_mean, running_var: F.batch_norm(
        x, running_mean, running_var, training=False, eps=eps), x=np.array([[1.0, 2.0, 0.0]]), eps=0.0, **zero_var)
    for shape in ((1, 3), (1, 3, 1), (1, 3, 1, 1), (1, 3, 4), (1, 3, 2, 2), (0, 3), (0, 3, 4), (2, 3, 0)):
        tag = "x".join(map(str, shape))
        edge(f"bn.train.{tag}", lambda x: F.batch_norm(x, None, None, training=True), x=edge_data(*shape))
        edge(f"bn.eval.{tag}", lambda x, running_mean, running_var: F.batch_norm(
            x, running_mean, running_var, training=False), x=edge_data(*shape), **stats)
    edge("bn.train.1x3_eps0", lambda x: F.batch_norm(x, None, None, training=True, eps=0.0), x=edge_data(1, 3))
    edge("bn.eval.no_running_stats", lambda x: F.batch_norm(x, None, None, training=False), x=x)
    edge("bn.train.only_running_mean", lambda x, running_mean: F.batch_norm(
        x, running_mean, None, training=True), x=x, running_mean=np.zeros(c))
    edge("bn.train.gamma_4_for_3_channels", lambda x, gamma: F.batch_norm(
        x, None, None, weight=gamma, training=True), x=x, gamma=np.ones(4))
    edge("bn.eval.running_var_4_for_3_channels", lambda x, running_mean, running_var: F.batch_norm(
        x, running_mean, running_var, training=False), x=x, running_mean=np.zeros(c), running_var=np.ones(4))


def batch_norm_module_edge_cases() -> None:
    """nn.BatchNorm1d: what the constructor accepts, and what a training forward does to the buffers."""
    def module(**kwargs):
        return torch.nn.BatchNorm1d(3, dtype=torch.float64, **kwargs)

    def steps(first, x, *, training=True, **kwargs):
        """One training step on `first`, then one forward of x (training or eval): buffers and y after each."""
        bn = module(**kwargs)
        bn(first)
        out = {"running_mean0": bn.running_mean.clone(), "running_var0": bn.running_var.clone()}
        y = bn.train(training)(x)
        out |= {"y": y, "running_mean": bn.running_mean, "running_var": bn.running_var}
        return out | {"num_batches_tracked": bn.num_batches_tracked}

    first = edge_data(5, 3)
    for momentum in (0.1, None, 1.5):
        edge(f"bnm.empty_batch.m{momentum}", lambda first, x, momentum: steps(first, x, momentum=momentum),
             first=first, x=np.zeros((0, 3)), momentum=momentum)
    edge("bnm.momentum1.5", lambda first, x: steps(first, x, momentum=1.5), first=first, x=edge_data(5, 3))

    def failed_training_call(x):
        bn = module()
        try:
            bn(x)
        except ValueError:
            return {"num_batches_tracked": bn.num_batches_tracked}
        raise AssertionError("expected a ValueError")

    edge("bnm.single_value_counts_the_call", failed_training_call, x=edge_data(1, 3))
    edge("bnm.eps0.train", lambda x: module(eps=0.0)(x), x=edge_data(4, 3))
    edge("bnm.eps0.eval", lambda x: module(eps=0.0).eval()(x), x=edge_data(4, 3))
    edge("bnm.eps_neg.eval", lambda x: module(eps=-1e-5).eval()(x), x=edge_data(4, 3))
    edge("bnm.eps0.no_running_stats.eval", lambda x: module(eps=0.0, track_running_stats=False).eval()(x),
         x=edge_data(4, 3))
    edge("bnm.2_channels_for_3", lambda x: module()(x), x=edge_data(4, 2))
    edge("bnm.2_channels_for_3.no_affine_no_stats", lambda x: module(affine=False, track_running_stats=False)(x),
         x=edge_data(4, 2))

    def empty_backward(x):
        bn = module()
        x = x.requires_grad_()
        y = bn(x)
        y.backward(torch.ones_like(y))
        return {"dx": x.grad, "dgamma": bn.weight.grad, "dbeta": bn.bias.grad}

    edge("bnm.empty_batch.backward", empty_backward, x=np.zeros((0, 3)))
    for num_features in (0, -1, 2.5):
        edge(f"bnm.num_features{num_features}", lambda n: {"num_features": torch.nn.BatchNorm1d(n).num_features},
             n=num_features)


def layer_norm_edge_cases() -> None:
    x = edge_data(3, 4)
    for tag, eps in (("eps0", 0.0), ("eps_neg", -1e-5), ("eps_nan", float("nan")), ("eps_inf", float("inf"))):
        edge(f"ln.{tag}", lambda x, eps: F.layer_norm(x, (4,), eps=eps), x=x, eps=eps)
        edge(f"gn.{tag}", lambda x, eps: F.group_norm(x, 2, eps=eps), x=edge_data(2, 4, 3), eps=eps)
        edge(f"in.{tag}", lambda x, eps: F.instance_norm(x, eps=eps), x=edge_data(2, 3, 4), eps=eps)
        edge(f"rms.{tag}", lambda x, eps: F.rms_norm(x, (4,), eps=eps), x=x, eps=eps)
    constant = np.full((2, 4, 3), 2.5)
    edge("ln.eps0_constant", lambda x: F.layer_norm(x, (4, 3), eps=0.0), x=constant)
    edge("gn.eps0_constant", lambda x: F.group_norm(x, 2, eps=0.0), x=constant)
    edge("rms.eps0_zeros", lambda x: F.rms_norm(x, (3,), eps=0.0), x=np.zeros((2, 3)))
    edge("rms.default_eps_zeros", lambda x: F.rms_norm(x, (3,)), x=np.zeros((2, 3)))
    tiny = np.array([[1e-9, -2e-9, 3e-9], [0.5, -1.0, 2.0]])
    edge("rms.default_eps", lambda x: F.rms_norm(x, (3,)), x=tiny)
    edge("rms.default_eps_float32", lambda x: F.rms_norm(x, (3,)), x=tiny.astype(np.float32))
    edge("rms.eps1e-6", lambda x: F.rms_norm(x, (3,), eps=1e-6), x=tiny)
    for kind, run in (("ln", F.layer_norm), ("rms", F.rms_norm)):
        edge(f"{kind}.shape_3_for_5x4", lambda x, run=run: run(x, (3,)), x=edge_data(2, 5, 4))
        edge(f"{kind}.shape_too_long", lambda x, run=run: run(x, (1, 2, 5, 4)), x=edge_data(2, 5, 4))
        edge(f"{kind}.gamma_5_for_4", lambda x, gamma, run=run: run(x, (4,), weight=gamma), x=edge_data(2, 5, 4),
             gamma=np.ones(5))
        edge(f"{kind}.empty_batch", lambda x, run=run: run(x, (4,)), x=edge_data(0, 4))
        edge(f"{kind}.one_element", lambda x, run=run: run(x, (1,)), x=edge_data(3, 1))
        edge(f"{kind}.1d_input", lambda x, run=run: run(x, (4,)), x=edge_data(4))
    edge("ln.shape_empty", lambda x: F.layer_norm(x, ()), x=edge_data(2, 5, 4))
    edge("ln.beta_5_for_4", lambda x, beta: F.layer_norm(x, (4,), bias=beta), x=edge_data(2, 5, 4), beta=np.ones(5))


def group_norm_edge_cases() -> None:
    x = edge_data(2, 4, 3)
    for groups in (3, 8, 0, -2, 1.5):
        edge(f"gn.groups{groups}", lambda x, groups: F.group_norm(x, groups), x=x, groups=groups)
    edge("gn.gamma_3_for_4", lambda x, gamma: F.group_norm(x, 2, weight=gamma), x=x, gamma=np.ones(3))
    edge("gn.empty_batch", lambda x: F.group_norm(x, 2), x=edge_data(0, 4, 3))
    edge("gn.empty_spatial", lambda x: F.group_norm(x, 2), x=edge_data(2, 4, 0))
    edge("gn.2d_input", lambda x: F.group_norm(x, 2), x=edge_data(2, 4))
    edge("gn.2d_input_groups_c", lambda x: F.group_norm(x, 4), x=edge_data(2, 4))
    edge("gn.1d_input", lambda x: F.group_norm(x, 2), x=edge_data(4))


def instance_norm_edge_cases() -> None:
    for shape in ((2, 3, 1, 1), (2, 3, 1), (2, 3), (0, 3, 4), (2, 3, 0)):
        edge(f"in.{'x'.join(map(str, shape))}", lambda x: F.instance_norm(x), x=edge_data(*shape))
    stats = {"running_mean": edge_data(3, loc=0.5, scale=1.0), "running_var": edge_data(3, loc=2.0, scale=0.3)}
    for shape in ((2, 3, 1, 1), (2, 3, 4)):
        edge(f"in.running_stats.{'x'.join(map(str, shape))}", lambda x, running_mean, running_var: F.instance_norm(
            x, running_mean, running_var, use_input_stats=False), x=edge_data(*shape), **stats)
    edge("in.running_stats_missing", lambda x: F.instance_norm(x, use_input_stats=False), x=edge_data(2, 3, 4))
    edge("in.gamma_4_for_3", lambda x, gamma: F.instance_norm(x, weight=gamma), x=edge_data(2, 3, 4), gamma=np.ones(4))

    def defaults():
        inorm = torch.nn.InstanceNorm2d(3)
        return {"eps": inorm.eps, "momentum": inorm.momentum, "affine": inorm.affine,
                "track_running_stats": inorm.track_running_stats}

    edge("in.defaults", defaults)

    def tracked(first, second, x):
        """InstanceNorm2d(3, track_running_stats=True): two training steps, then eval (running statistics)."""
        inorm = torch.nn.InstanceNorm2d(3, track_running_stats=True, dtype=torch.float64)
        out = {}
        for step, batch in enumerate((first, second)):
            out[f"y{step}"] = inorm(batch)
            out[f"running_mean{step}"] = inorm.running_mean.clone()
            out[f"running_var{step}"] = inorm.running_var.clone()
        return out | {"y": inorm.eval()(x)}

    edge("in.track_running_stats", tracked, first=edge_data(4, 3, 2, 3), second=edge_data(4, 3, 2, 3, loc=-1.0),
         x=edge_data(2, 3, 1, 1))


def default_eps_cases() -> None:
    golden["edge.defaults.eps"] = np.array([
        torch.nn.BatchNorm1d(3).eps, torch.nn.LayerNorm(3).eps, torch.nn.GroupNorm(1, 3).eps,
        torch.nn.InstanceNorm1d(3).eps,
    ])
    golden["edge.defaults.rms_eps_is_none"] = np.asarray(torch.nn.RMSNorm(3).eps is None)


def renorm_and_ghost_cases() -> None:
    rng = np.random.default_rng(20261202)
    x, dy = 2.0 + 1.5 * rng.standard_normal((6, 3, 4)), rng.standard_normal((6, 3, 4))
    running_mean, running_std = np.array([1.5, 2.5, 2.0]), np.array([1.2, 2.0, 0.8])
    gamma, beta, eps = rng.normal(1.5, 0.5, 3), rng.normal(-0.5, 0.5, 3), 1e-5
    view = (1, 3, 1)
    for r_max, d_max in ((1.0, 0.0), (1.5, 0.5), (100.0, 100.0)):
        xt, g, b = (torch.tensor(v, requires_grad=True) for v in (x, gamma, beta))
        mean = xt.mean(dim=(0, 2), keepdim=True)
        std = torch.sqrt(xt.var(dim=(0, 2), unbiased=False, keepdim=True) + eps)
        mu, sigma = torch.tensor(running_mean).reshape(view), torch.tensor(running_std).reshape(view)
        r = (std / sigma).clamp(1 / r_max, r_max).detach()
        d = ((mean - mu) / sigma).clamp(-d_max, d_max).detach()
        y = ((xt - mean) / std * r + d) * g.reshape(view) + b.reshape(view)
        y.backward(torch.tensor(dy))
        put(f"renorm.r{r_max}.d{d_max}", x=x, dy=dy, running_mean=running_mean, running_std=running_std,
            gamma=gamma, beta=beta, eps=eps, r_max=r_max, d_max=d_max, y=y, dx=xt.grad, dgamma=g.grad, dbeta=b.grad,
            r=r.reshape(-1), d=d.reshape(-1))
    x = rng.normal(1.0, 2.0, (10, 3, 2))
    for convention, momentum in (("hoffer", 0.1), ("composer", 0.1 / 3)):
        bn = torch.nn.BatchNorm1d(3, momentum=momentum, dtype=torch.float64)
        y = torch.cat([bn(chunk) for chunk in torch.tensor(x).chunk(3)])
        put(f"ghost.{convention}", x=x, ghost_batch_size=4, momentum=0.1, y=y, running_mean=bn.running_mean,
            running_var=bn.running_var, num_batches_tracked=bn.num_batches_tracked,
            eval_y=bn.eval()(torch.tensor(x[:2])))


def main() -> None:
    batch_norm_cases()
    layer_norm_cases()
    group_norm_cases()
    instance_norm_cases()
    keras_cases()
    batch_norm_edge_cases()
    batch_norm_module_edge_cases()
    layer_norm_edge_cases()
    group_norm_edge_cases()
    instance_norm_edge_cases()
    default_eps_cases()
    renorm_and_ghost_cases()
    golden["torch.version"] = np.asarray(torch.__version__)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **golden)
    print(f"wrote {len(golden)} arrays to {OUT} ({OUT.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
