"""The Deep networks page's lessons: each claim checked on seeds the page's defaults do not use."""

from __future__ import annotations

import numpy as np
import pytest

from lessons import depth, health, scale_invariance

SEEDS = (40, 41, 42, 43, 44)


def test_batchnorm_repairs_saturation_at_a_bad_gain():
    result = health.check_health(health.HealthSpec(gain=3.0, steps=5, seeds=SEEDS))
    share = result.layers[result.layers["phase"] == "init"].groupby(["norm", "seed"])["saturated"].mean()
    assert (share["No norm"] > 0.2).all()
    assert (share["BatchNorm"] < 0.05).all()
    assert "BatchNorm repairs this start" in health.verdict(result)


def test_a_shrinking_tanh_signal_is_named_though_nothing_saturates():
    result = health.check_health(health.HealthSpec(activation="tanh", gain=0.5, steps=5, seeds=SEEDS))
    kept = health.signal_kept(result)
    assert kept["No norm"] < 0.1 < 0.9 < kept["BatchNorm"]
    reading = health.verdict(result)
    assert "signal shrinks layer by layer" in reading and "equally healthy" not in reading
    steady = health.verdict(health.check_health(health.HealthSpec(activation="tanh", gain=1.0, steps=5, seeds=SEEDS)))
    assert "equally healthy" in steady and "try 3 or 0.5" in steady


def test_relu_units_die_without_batchnorm_at_a_small_gain_but_not_with_it():
    result = health.check_health(health.HealthSpec(activation="relu", gain=0.5, steps=5, seeds=SEEDS))
    dead = health.unhealthy_share(result)
    assert dead["No norm"] > 0.05 and dead["BatchNorm"] == 0.0


def test_a_growing_relu_signal_is_named_and_not_called_kept():
    result = health.check_health(health.HealthSpec(activation="relu", gain=3.0, depth=2, steps=5, seeds=SEEDS))
    kept = health.signal_kept(result)
    assert kept["BatchNorm"] < health.GROWN < kept["No norm"]  # about (3/√2)² per layer without BatchNorm
    reading = health.verdict(result)
    assert "signal grows layer by layer" in reading and "keep their signal" not in reading


def test_the_repair_named_is_the_activation_s_own():
    """A dead ReLU unit is revived by BatchNorm's centring, a saturated tanh unit by its rescaling."""
    relu = health.verdict(health.check_health(health.HealthSpec(activation="relu", gain=1.0, depth=6, steps=5,
                                                                seeds=SEEDS)))
    tanh = health.verdict(health.check_health(health.HealthSpec(gain=3.0, steps=5, seeds=SEEDS)))
    assert "BatchNorm repairs this start: it centres every layer's pre-activations on zero" in relu
    assert "BatchNorm repairs this start: it rescales every layer's pre-activations to unit variance" in tanh


def test_update_ratios_are_recorded_per_linear_layer_and_step():
    spec = health.HealthSpec(depth=3, steps=7, seeds=SEEDS[:2])
    result = health.check_health(spec)
    ratios = result.update_ratio
    assert set(ratios["layer"]) == {1, 2, 3, 4} and ratios["step"].max() == 6
    assert np.isfinite(ratios["median"]).all() and (ratios["low"] <= ratios["high"]).all()


def test_histograms_are_densities_over_their_bins():
    result = health.check_health(health.HealthSpec(depth=2, steps=2, seeds=SEEDS[:2]))
    one = health.histograms(result, "BatchNorm", "init", "activation")
    for _, layer in one.groupby("layer"):
        width = np.diff(layer["value"]).mean()
        assert (layer["density"] * width).sum() == pytest.approx(1.0, rel=1e-6)


def test_batchnorm_without_skips_makes_the_gradient_ratio_grow_with_depth():
    growth = depth.growth_table(depth.DepthSpec(seeds=SEEDS), depths=(4, 24))
    bn = growth[growth["architecture"] == "BatchNorm"].pivot(index="seed", columns="depth", values="ratio")
    assert (bn[24] > 5 * bn[4]).all()
    residual = growth[growth["architecture"] == "Residual + BatchNorm"].set_index(["depth", "seed"])["ratio"]
    assert (residual.loc[24] < bn[24]).all()
    assert "explodes" in depth.verdict(growth)


def test_the_per_layer_profile_has_one_row_per_hidden_layer_and_architecture():
    profile = depth.profile_table(depth.DepthSpec(depth=6, seeds=SEEDS[:2]))
    assert profile.groupby("architecture").size().to_dict() == dict.fromkeys(depth.ARCHITECTURES.values(), 6)


@pytest.mark.parametrize("alpha", [0.5, 3.0, 10.0])
def test_scaling_the_weights_before_batchnorm_changes_nothing_but_the_gradient_scale(alpha):
    measured = scale_invariance.invariance(alpha, seed=7)
    assert measured.exact_gap < 1e-12  # BN_eps(αz) = BN_{eps/α²}(z), exactly
    assert measured.output_gap < 1e-3
    assert measured.gradient_ratio == pytest.approx(1 / alpha, rel=1e-3)
    assert measured.bias_gradient < 1e-12


def test_weight_norm_grows_without_weight_decay_and_shrinks_with_it():
    spec = scale_invariance.DecaySpec(lr=0.5, steps=150, seeds=SEEDS)
    runs = scale_invariance.decay_experiment(spec).set_index(["run", "step", "seed"])["weight norm"]
    plain, decayed = (runs.loc[name] for name in scale_invariance.WEIGHT_DECAY_NAMES.values())
    assert (plain.xs(150, level="step") > plain.xs(1, level="step")).all()
    assert (decayed.xs(150, level="step") < plain.xs(150, level="step")).all()
