"""bn_core on torch 2.13's edge cases (golden "edge.*" cases, made by tests/make_golden.py): wherever torch raises,
bn_core raises the same kind of error with a message that says why; wherever torch returns, the same values.

Every golden edge case has a bn_core counterpart in CASES (or its own test below), and CASES holds nothing else.
"""

from __future__ import annotations

import builtins
import inspect

import numpy as np
import pytest

from bn_core.batchnorm import BatchNorm, update_running
from bn_core.functional import (
    batch_norm,
    batch_norm_forward,
    group_norm,
    group_norm_forward,
    instance_norm,
    instance_norm_forward,
    layer_norm,
    layer_norm_forward,
    rms_norm,
    rms_norm_forward,
)
from tests.bn_core.test_functional import GOLDEN, golden_case

EDGE_NAMES = sorted({k[len("edge."): k.rindex(".")] for k in GOLDEN if k.startswith("edge.")})
TOL = 1e-10


def running(case):
    return {"running_mean": case["running_mean"], "running_var": case["running_var"]}


def eval_bn(case, **kwargs):
    return {"y": batch_norm(case["x"], training=False, **running(case), **kwargs)}


def bn_steps(case, **kwargs):
    """BatchNorm(3): one training step on case["first"], then one on case["x"]; buffers and y after each."""
    bn = BatchNorm(3, **kwargs)
    bn(case["first"])
    out = {"running_mean0": bn.running_mean.copy(), "running_var0": bn.running_var.copy(), "y": bn(case["x"])}
    return out | {"running_mean": bn.running_mean, "running_var": bn.running_var,
                  "num_batches_tracked": bn.num_batches_tracked}


def bn_empty_backward(case):
    bn = BatchNorm(3)
    y = bn(case["x"])
    dx, dgamma, dbeta = bn.backward(np.ones_like(y))
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}


def eps_of(case):
    return float(case["eps"])


TRAINING_EPS = "eps must be positive during training.*variance 0"
SINGLE_VALUE = "Expected more than 1 value per channel when training.*variance of a single value is 0"
CHANNELS = "must have shape \\(3,\\) to match the 3 channels"
TRAILING = "must match the trailing axes of the input shape"
SPATIAL = "Expected more than 1 spatial element when training.*spatial positions"

# name -> (bn_core call on the golden case -> {field: value}, what the error message must say or None)
CASES = {
    "bn.eval.0x3": (eval_bn, None),
    "bn.eval.0x3x4": (eval_bn, None),
    "bn.eval.1x3": (eval_bn, None),
    "bn.eval.1x3x1": (eval_bn, None),
    "bn.eval.1x3x1x1": (eval_bn, None),
    "bn.eval.1x3x2x2": (eval_bn, None),
    "bn.eval.1x3x4": (eval_bn, None),
    "bn.eval.2x3x0": (eval_bn, None),
    "bn.eval.eps0": (lambda c: eval_bn(c, eps=0.0), None),
    "bn.eval.eps_inf": (lambda c: eval_bn(c, eps=eps_of(c)), None),
    "bn.eval.eps_nan": (lambda c: eval_bn(c, eps=eps_of(c)), None),
    "bn.eval.eps_neg": (lambda c: eval_bn(c, eps=eps_of(c)), "eps must be non-negative.*running_var \\+ eps"),
    "bn.eval.no_running_stats": (lambda c: {"y": batch_norm(c["x"], training=False)},
                                 "running_mean must be defined in evaluation mode: eval normalizes with running"),
    "bn.eval.running_var_4_for_3_channels": (eval_bn, "running_var " + CHANNELS),
    "bn.train.0x3": (lambda c: {"y": batch_norm(c["x"])}, None),
    "bn.train.0x3x4": (lambda c: {"y": batch_norm(c["x"])}, None),
    "bn.train.1x3": (lambda c: {"y": batch_norm(c["x"])}, SINGLE_VALUE),
    "bn.train.1x3_eps0": (lambda c: {"y": batch_norm(c["x"], eps=0.0)}, SINGLE_VALUE),
    "bn.train.1x3x1": (lambda c: {"y": batch_norm(c["x"])}, SINGLE_VALUE),
    "bn.train.1x3x1x1": (lambda c: {"y": batch_norm(c["x"])}, SINGLE_VALUE),
    "bn.train.1x3x2x2": (lambda c: {"y": batch_norm(c["x"])}, None),
    "bn.train.1x3x4": (lambda c: {"y": batch_norm(c["x"])}, None),
    "bn.train.2x3x0": (lambda c: {"y": batch_norm(c["x"])}, None),
    "bn.train.eps0": (lambda c: {"y": batch_norm(c["x"], eps=eps_of(c))}, TRAINING_EPS),
    "bn.train.eps_inf": (lambda c: {"y": batch_norm(c["x"], eps=eps_of(c))}, None),
    "bn.train.eps_nan": (lambda c: {"y": batch_norm(c["x"], eps=eps_of(c))}, None),
    "bn.train.eps_neg": (lambda c: {"y": batch_norm(c["x"], eps=eps_of(c))}, TRAINING_EPS),
    "bn.train.gamma_4_for_3_channels": (lambda c: {"y": batch_norm(c["x"], c["gamma"])}, "gamma " + CHANNELS),
    "bn.train.only_running_mean": (lambda c: {"y": batch_norm(c["x"], running_mean=c["running_mean"])},
                                   "must either both be None or neither be None"),
    "bnm.2_channels_for_3": (lambda c: {"y": BatchNorm(3)(c["x"])}, "got \\(4, 2\\): gamma, beta and the running"),
    "bnm.2_channels_for_3.no_affine_no_stats": (
        lambda c: {"y": BatchNorm(3, affine=False, track_running_stats=False)(c["x"])}, None),
    "bnm.empty_batch.backward": (bn_empty_backward, None),
    "bnm.empty_batch.m0.1": (lambda c: bn_steps(c, momentum=0.1), None),
    "bnm.empty_batch.m1.5": (lambda c: bn_steps(c, momentum=1.5), None),
    "bnm.empty_batch.mNone": (lambda c: bn_steps(c, momentum=None), None),
    "bnm.eps0.eval": (lambda c: {"y": BatchNorm(3, eps=0.0).eval()(c["x"])}, None),
    "bnm.eps0.no_running_stats.eval": (
        lambda c: {"y": BatchNorm(3, eps=0.0, track_running_stats=False).eval()(c["x"])}, TRAINING_EPS),
    "bnm.eps0.train": (lambda c: {"y": BatchNorm(3, eps=0.0)(c["x"])}, TRAINING_EPS),
    "bnm.eps_neg.eval": (lambda c: {"y": BatchNorm(3, eps=-1e-5).eval()(c["x"])}, "eps must be non-negative"),
    "bnm.momentum1.5": (lambda c: bn_steps(c, momentum=1.5), None),
    "bnm.num_features-1": (lambda c: {"num_features": BatchNorm(-1).num_features}, "num_features must be >= 0"),
    "bnm.num_features0": (lambda c: {"num_features": BatchNorm(0).num_features}, None),
    "bnm.num_features2.5": (lambda c: {"num_features": BatchNorm(2.5).num_features}, "must be an integer"),
    "gn.1d_input": (lambda c: {"y": group_norm(c["x"], 2)}, "at least 2 dimensions"),
    "gn.2d_input": (lambda c: {"y": group_norm(c["x"], 2)}, None),
    "gn.2d_input_groups_c": (lambda c: {"y": group_norm(c["x"], 4)}, None),
    "gn.empty_batch": (lambda c: {"y": group_norm(c["x"], 2)}, None),
    "gn.empty_spatial": (lambda c: {"y": group_norm(c["x"], 2)}, None),
    "gn.eps0": (lambda c: {"y": group_norm(c["x"], 2, eps=0.0)}, None),
    "gn.eps0_constant": (lambda c: {"y": group_norm(c["x"], 2, eps=0.0)}, None),
    "gn.eps_inf": (lambda c: {"y": group_norm(c["x"], 2, eps=eps_of(c))}, None),
    "gn.eps_nan": (lambda c: {"y": group_norm(c["x"], 2, eps=eps_of(c))}, None),
    "gn.eps_neg": (lambda c: {"y": group_norm(c["x"], 2, eps=eps_of(c))}, None),
    "gn.gamma_3_for_4": (lambda c: {"y": group_norm(c["x"], 2, c["gamma"])}, "gamma must have shape \\(4,\\)"),
    "gn.groups-2": (lambda c: {"y": group_norm(c["x"], int(c["groups"]))}, "greater than 0, got -2"),
    "gn.groups0": (lambda c: {"y": group_norm(c["x"], 0)}, "cannot be split into 0 groups"),
    "gn.groups1.5": (lambda c: {"y": group_norm(c["x"], 1.5)}, "num_groups must be an integer"),
    "gn.groups3": (lambda c: {"y": group_norm(c["x"], 3)}, "divisible by num_groups.*C/G whole channels"),
    "gn.groups8": (lambda c: {"y": group_norm(c["x"], 8)}, "divisible by num_groups.*C/G whole channels"),
    "in.0x3x4": (lambda c: {"y": instance_norm(c["x"])}, None),
    "in.2x3": (lambda c: {"y": instance_norm(c["x"])}, SPATIAL),
    "in.2x3x0": (lambda c: {"y": instance_norm(c["x"])}, None),
    "in.2x3x1": (lambda c: {"y": instance_norm(c["x"])}, SPATIAL),
    "in.2x3x1x1": (lambda c: {"y": instance_norm(c["x"])}, SPATIAL),
    "in.eps0": (lambda c: {"y": instance_norm(c["x"], eps=0.0)}, None),
    "in.eps_inf": (lambda c: {"y": instance_norm(c["x"], eps=eps_of(c))}, None),
    "in.eps_nan": (lambda c: {"y": instance_norm(c["x"], eps=eps_of(c))}, None),
    "in.eps_neg": (lambda c: {"y": instance_norm(c["x"], eps=eps_of(c))}, None),
    "in.gamma_4_for_3": (lambda c: {"y": instance_norm(c["x"], c["gamma"])}, "gamma " + CHANNELS),
    "in.running_stats.2x3x1x1": (lambda c: {"y": instance_norm(c["x"], use_input_stats=False, **running(c))}, None),
    "in.running_stats.2x3x4": (lambda c: {"y": instance_norm(c["x"], use_input_stats=False, **running(c))}, None),
    "in.running_stats_missing": (lambda c: {"y": instance_norm(c["x"], use_input_stats=False)},
                                 "running_mean and running_var to be defined when use_input_stats is false"),
    "ln.1d_input": (lambda c: {"y": layer_norm(c["x"], 4)}, None),
    "ln.beta_5_for_4": (lambda c: {"y": layer_norm(c["x"], 4, beta=c["beta"])}, "beta must have the normalized"),
    "ln.empty_batch": (lambda c: {"y": layer_norm(c["x"], 4)}, None),
    "ln.eps0": (lambda c: {"y": layer_norm(c["x"], 4, eps=0.0)}, None),
    "ln.eps0_constant": (lambda c: {"y": layer_norm(c["x"], (4, 3), eps=0.0)}, None),
    "ln.eps_inf": (lambda c: {"y": layer_norm(c["x"], 4, eps=eps_of(c))}, None),
    "ln.eps_nan": (lambda c: {"y": layer_norm(c["x"], 4, eps=eps_of(c))}, None),
    "ln.eps_neg": (lambda c: {"y": layer_norm(c["x"], 4, eps=eps_of(c))}, None),
    "ln.gamma_5_for_4": (lambda c: {"y": layer_norm(c["x"], 4, c["gamma"])}, "gamma must have the normalized"),
    "ln.one_element": (lambda c: {"y": layer_norm(c["x"], 1)}, None),
    "ln.shape_3_for_5x4": (lambda c: {"y": layer_norm(c["x"], 3)}, TRAILING),
    "ln.shape_empty": (lambda c: {"y": layer_norm(c["x"], ())}, TRAILING + ".*at least one axis"),
    "ln.shape_too_long": (lambda c: {"y": layer_norm(c["x"], (1, 2, 5, 4))}, TRAILING),
    "rms.1d_input": (lambda c: {"y": rms_norm(c["x"], 4)}, None),
    "rms.default_eps": (lambda c: {"y": rms_norm(c["x"], 3)}, None),
    "rms.default_eps_float32": (lambda c: {"y": rms_norm(c["x"], 3)}, None),
    "rms.default_eps_zeros": (lambda c: {"y": rms_norm(c["x"], 3)}, None),
    "rms.empty_batch": (lambda c: {"y": rms_norm(c["x"], 4)}, None),
    "rms.eps0": (lambda c: {"y": rms_norm(c["x"], 4, eps=0.0)}, None),
    "rms.eps0_zeros": (lambda c: {"y": rms_norm(c["x"], 3, eps=0.0)}, None),
    "rms.eps1e-6": (lambda c: {"y": rms_norm(c["x"], 3, eps=1e-6)}, None),
    "rms.eps_inf": (lambda c: {"y": rms_norm(c["x"], 4, eps=eps_of(c))}, None),
    "rms.eps_nan": (lambda c: {"y": rms_norm(c["x"], 4, eps=eps_of(c))}, None),
    "rms.eps_neg": (lambda c: {"y": rms_norm(c["x"], 4, eps=eps_of(c))}, None),
    "rms.gamma_5_for_4": (lambda c: {"y": rms_norm(c["x"], 4, c["gamma"])}, "gamma must have the normalized"),
    "rms.one_element": (lambda c: {"y": rms_norm(c["x"], 1)}, None),
    "rms.shape_3_for_5x4": (lambda c: {"y": rms_norm(c["x"], 3)}, TRAILING),
    "rms.shape_too_long": (lambda c: {"y": rms_norm(c["x"], (1, 2, 5, 4))}, "at least 4 dimensions, but got 3"),
}
OWN_TESTS = {
    "bn.eval.eps0_zero_running_var", "bnm.single_value_counts_the_call", "in.track_running_stats", "in.defaults",
    "defaults",
}


def test_every_golden_edge_case_is_tested_here():
    assert len(EDGE_NAMES) > 100
    assert set(EDGE_NAMES) == set(CASES) | OWN_TESTS


@pytest.mark.parametrize("name", sorted(CASES))
def test_edge_case_matches_torch(name):
    case = golden_case(f"edge.{name}")
    run, reason = CASES[name]
    if "error" in case:
        kind, _, torch_message = str(case["error"]).partition(": ")
        with pytest.raises(Exception) as raised:  # noqa: PT011 - the kind is checked exactly below
            run(case)
        assert type(raised.value) is getattr(builtins, kind), f"torch raised {kind}: {torch_message}"
        assert reason is not None, f"torch raised {kind}: {torch_message}; CASES says bn_core returns"
        assert raised.match(reason)
        return
    assert reason is None, f"torch returned for {name}"
    outputs = run(case)
    tol = 1e-6 if case.get("x", np.zeros(0)).dtype == np.float32 else TOL
    for field, value in outputs.items():
        expected = case[field]
        assert np.shape(value) == expected.shape, field
        np.testing.assert_allclose(value, expected, rtol=0, atol=tol, err_msg=field)


def test_nan_and_inf_edge_cases_are_really_nan_and_inf():
    """Guards the fixture against a regeneration that loses them: the cases are about these values."""
    assert np.isnan(golden_case("edge.bn.train.eps_nan")["y"]).all()
    assert np.isnan(golden_case("edge.ln.eps0_constant")["y"]).all()
    assert np.isnan(golden_case("edge.rms.eps0_zeros")["y"]).all()
    assert (golden_case("edge.rms.default_eps_zeros")["y"] == 0).all()


def test_a_failed_training_call_is_not_counted_unlike_torch():
    """torch 2.13 increments num_batches_tracked before it refuses a single value per channel; bn_core's failed
    call changes nothing (the one state difference, on purpose: momentum=None would average a batch never seen)."""
    case = golden_case("edge.bnm.single_value_counts_the_call")
    assert int(case["num_batches_tracked"]) == 1
    bn = BatchNorm(3)
    with pytest.raises(ValueError, match=SINGLE_VALUE):
        bn(case["x"])
    assert bn.num_batches_tracked == 0


def test_eval_with_zero_running_variance_and_eps_0_divides_by_zero_as_the_formula_does():
    """running_var + eps = 0: (x - mean) / 0 is NaN where x = mean, else +-inf. torch 2.13's eval kernel computes
    x * (gamma / sigma) + (beta - mean * gamma / sigma), where inf - inf turns every such value into NaN: the one
    value difference, on purpose (bn_core keeps the textbook (x - mean) / sigma)."""
    case = golden_case("edge.bn.eval.eps0_zero_running_var")
    y = eval_bn(case, eps=0.0)["y"]
    assert np.isnan(case["y"][0, [0, 2]]).all() and case["y"][0, 1] == 2.0  # torch
    assert np.isnan(y[0, 0]) and y[0, 1] == 2.0 and y[0, 2] == np.inf  # x = mean: 0/0; x > mean: +inf


def test_default_eps_of_every_layer_is_torchs():
    bn_eps, ln_eps, gn_eps, in_eps = golden_case("edge.defaults")["eps"].tolist()
    assert bool(golden_case("edge.defaults")["rms_eps_is_none"])

    def default(function, name="eps"):
        return inspect.signature(function).parameters[name].default

    assert default(batch_norm_forward) == default(batch_norm) == BatchNorm(3).eps == bn_eps
    assert default(layer_norm_forward) == default(layer_norm) == ln_eps
    assert default(group_norm_forward) == default(group_norm) == gn_eps
    assert default(instance_norm_forward) == default(instance_norm) == in_eps
    assert default(rms_norm_forward) is None and default(rms_norm) is None


def test_instance_norm_defaults_have_no_affine_parameters():
    case = golden_case("edge.in.defaults")
    assert not bool(case["affine"]) and not bool(case["track_running_stats"])
    assert float(case["eps"]) == 1e-5 and float(case["momentum"]) == 0.1
    assert inspect.signature(instance_norm_forward).parameters["gamma"].default is None
    assert instance_norm_forward(np.ones((2, 3, 4)))[1].gamma is None


def test_instance_norm_with_running_statistics_uses_them_in_eval():
    """torch's InstanceNorm2d(track_running_stats=True), rebuilt from bn_core: in training each step normalizes
    per instance and moves the running statistics towards the mean over the batch of the per-instance means and
    unbiased variances; eval (even on 1x1 maps, which training refuses) normalizes with the running ones."""
    case = golden_case("edge.in.track_running_stats")
    running_mean, running_var = np.zeros(3), np.ones(3)
    for step, batch in enumerate((case["first"], case["second"])):
        y, cache = instance_norm_forward(batch)
        np.testing.assert_allclose(y, case[f"y{step}"], rtol=0, atol=TOL)
        m = cache.group_size
        running_mean = update_running(running_mean, cache.mean.mean(axis=0).ravel(), 0.1)
        running_var = update_running(running_var, (cache.var * m / (m - 1)).mean(axis=0).ravel(), 0.1)
        np.testing.assert_allclose(running_mean, case[f"running_mean{step}"], rtol=0, atol=TOL)
        np.testing.assert_allclose(running_var, case[f"running_var{step}"], rtol=0, atol=TOL)
    with pytest.raises(ValueError, match=SPATIAL):
        instance_norm(case["x"])
    y = instance_norm(case["x"], running_mean=running_mean, running_var=running_var, use_input_stats=False)
    np.testing.assert_allclose(y, case["y"], rtol=0, atol=TOL)
