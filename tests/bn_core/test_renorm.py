"""bn_core.renorm: Batch Renormalization and Ghost BatchNorm against independent numpy and PyTorch values."""

from __future__ import annotations

import numpy as np
import pytest

from bn_core.functional import batch_norm, batch_norm_forward
from bn_core.gradcheck import max_relative_error, numerical_gradient
from bn_core.normalize import norm_backward
from bn_core.renorm import (
    GHOST_CONVENTIONS,
    BatchRenorm,
    GhostBatchNorm,
    batch_renorm_backward,
    batch_renorm_forward,
    ghost_batch_norm,
    ghost_chunks,
    renorm_inference,
)
from tests.bn_core.test_functional import assert_close, golden_case

RNG = np.random.default_rng(11)
X = RNG.normal(3.0, 2.0, (6, 3, 4))
RUNNING_MEAN = np.array([2.5, 3.5, 2.0])
RUNNING_STD = np.array([1.5, 2.5, 1.0])


def test_no_correction_is_batch_norm():
    y, stats = batch_renorm_forward(X, RUNNING_MEAN, RUNNING_STD, r_max=1.0, d_max=0.0)
    np.testing.assert_allclose(y, batch_norm(X), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(stats.r, 1.0)
    np.testing.assert_array_equal(stats.d, 0.0)


def test_unclipped_training_output_equals_inference_output():
    gamma, beta = np.array([0.5, 2.0, -1.0]), np.array([0.1, 0.0, 3.0])
    y, stats = batch_renorm_forward(
        X, RUNNING_MEAN, RUNNING_STD, r_max=100.0, d_max=100.0, gamma=gamma, beta=beta, eps=0.0
    )
    expected = (X - RUNNING_MEAN[:, None]) / RUNNING_STD[:, None] * gamma[:, None] + beta[:, None]
    np.testing.assert_allclose(y, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        renorm_inference(X, RUNNING_MEAN, RUNNING_STD, gamma=gamma, beta=beta), expected, rtol=0, atol=1e-12
    )
    np.testing.assert_allclose(stats.batch_mean, X.mean(axis=(0, 2)))
    np.testing.assert_allclose(stats.batch_std, X.std(axis=(0, 2)))
    np.testing.assert_allclose(stats.r, X.std(axis=(0, 2)) / RUNNING_STD)
    np.testing.assert_allclose(stats.d, (X.mean(axis=(0, 2)) - RUNNING_MEAN) / RUNNING_STD)
    assert not stats.clipped.any()


def test_clipping_limits_r_and_d():
    x = np.array([[0.0, 10.0], [4.0, 14.0]])  # batch std 2 per feature; means 2 and 12
    _, stats = batch_renorm_forward(x, np.array([2.0, 0.0]), np.array([0.5, 1.0]), r_max=2.0, d_max=3.0, eps=0.0)
    np.testing.assert_allclose(stats.r, [2.0, 2.0])  # raw 4 and 2: the first is clipped
    np.testing.assert_allclose(stats.d, [0.0, 3.0])  # raw 0 and 12: the second is clipped
    np.testing.assert_array_equal(stats.clipped, [True, True])
    _, small = batch_renorm_forward(x, np.array([2.0, 12.0]), np.array([4.0, 2.0]), r_max=2.0, d_max=3.0, eps=0.0)
    np.testing.assert_allclose(small.r, [0.5, 1.0])  # raw 0.5 sits exactly on 1/r_max: not clipped
    np.testing.assert_array_equal(small.clipped, [False, False])


@pytest.mark.parametrize(("r_max", "d_max"), [(0.5, 1.0), (2.0, -1.0)])
def test_bad_limits_raise(r_max, d_max):
    with pytest.raises(ValueError, match="r_max"):
        batch_renorm_forward(X, RUNNING_MEAN, RUNNING_STD, r_max=r_max, d_max=d_max)


def test_single_value_per_channel_raises():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        batch_renorm_forward(np.ones((1, 3)), np.zeros(3), np.ones(3), r_max=3, d_max=5)


def test_layer_updates_running_mean_and_std_then_uses_them_in_eval():
    layer = BatchRenorm(3, r_max=3.0, d_max=5.0, momentum=0.1, eps=1e-5)
    layer(X)
    batch_mean = X.mean(axis=(0, 2))
    batch_std = np.sqrt(X.var(axis=(0, 2)) + 1e-5)
    np.testing.assert_allclose(layer.running_mean, 0.1 * batch_mean)
    np.testing.assert_allclose(layer.running_std, 0.9 + 0.1 * batch_std)
    y = layer.eval()(X)
    np.testing.assert_allclose(y, (X - layer.running_mean[:, None]) / layer.running_std[:, None])
    np.testing.assert_allclose(layer.running_mean, 0.1 * batch_mean)  # eval changes nothing


def test_ghost_chunks_follow_torch_chunk():
    def sizes(batch, ghost):
        return [s.stop - s.start for s in ghost_chunks(batch, ghost)]

    assert sizes(10, 4) == [4, 4, 2]
    assert sizes(9, 4) == [3, 3, 3]
    assert sizes(8, 8) == [8]
    assert sizes(5, 16) == [5]
    assert sizes(256, 16) == [16] * 16
    with pytest.raises(ValueError):
        ghost_chunks(8, 0)


def test_ghost_batch_norm_normalizes_each_virtual_batch():
    x = RNG.normal(size=(12, 3))
    y = ghost_batch_norm(x, 4)
    for start in (0, 4, 8):
        part = x[start : start + 4]
        np.testing.assert_allclose(y[start : start + 4], (part - part.mean(0)) / np.sqrt(part.var(0) + 1e-5))
    np.testing.assert_allclose(ghost_batch_norm(x, 12), batch_norm(x))


@pytest.mark.parametrize("convention", ["hoffer", "composer"])
def test_ghost_batch_norm_layer_matches_torch(convention):
    case = golden_case(f"ghost.{convention}")
    layer = GhostBatchNorm(3, ghost_batch_size=int(case["ghost_batch_size"]), momentum=float(case["momentum"]),
                           convention=convention)
    assert_close(layer(case["x"]), case["y"])
    assert_close(layer.bn.running_mean, case["running_mean"])
    assert_close(layer.bn.running_var, case["running_var"])
    assert layer.bn.num_batches_tracked == int(case["num_batches_tracked"]) == 3  # chunks of 4, 4 and 2
    assert layer.bn.momentum == 0.1  # restored after the step
    assert_close(layer.eval()(case["x"][:2]), case["eval_y"])


def test_ghost_batch_norm_defaults_to_hoffers_full_momentum_per_virtual_batch():
    x = golden_case("ghost.hoffer")["x"]
    hoffer, composer = GhostBatchNorm(3, 4), GhostBatchNorm(3, 4, convention="composer")
    assert hoffer.convention == "hoffer" and set(GHOST_CONVENTIONS) == {"hoffer", "composer"}
    hoffer(x)
    composer(x)
    # Three updates with momentum 0.1 leave 0.9^3 = 0.729 on the initial 0; with 0.1 / 3 each, (1 - 1/30)^3 = 0.903.
    assert np.abs(hoffer.bn.running_mean).sum() > 2 * np.abs(composer.bn.running_mean).sum()
    with pytest.raises(ValueError, match="convention must be one of"):
        GhostBatchNorm(3, 4, convention="keras")


def test_ghost_layer_eval_uses_running_statistics():
    layer = GhostBatchNorm(3, ghost_batch_size=4)
    x = golden_case("ghost.hoffer")["x"]
    layer(x)
    y = layer.eval()(x[:1])
    expected = (x[:1] - layer.bn.running_mean[:, None]) / np.sqrt(layer.bn.running_var[:, None] + 1e-5)
    np.testing.assert_allclose(y, expected)


# ---------- Batch Renorm backward: r and d are constants (Ioffe 2017's stop_gradient) ----------

RENORM_CASES = ["renorm.r1.0.d0.0", "renorm.r1.5.d0.5", "renorm.r100.0.d100.0"]


def renorm_step(case):
    return batch_renorm_forward(case["x"], case["running_mean"], case["running_std"], r_max=float(case["r_max"]),
                                d_max=float(case["d_max"]), gamma=case["gamma"], beta=case["beta"],
                                eps=float(case["eps"]))


@pytest.mark.parametrize("prefix", RENORM_CASES)
def test_batch_renorm_forward_and_backward_match_torch_autograd_with_r_and_d_detached(prefix):
    case = golden_case(prefix)
    y, cache = renorm_step(case)
    assert_close(y, case["y"])
    assert_close(cache.r, case["r"])
    assert_close(cache.d, case["d"])
    dx, dgamma, dbeta = batch_renorm_backward(case["dy"], cache)
    assert_close(dx, case["dx"])
    assert_close(dgamma, case["dgamma"])
    assert_close(dbeta, case["dbeta"])


def test_the_middle_case_clips_one_channel_and_not_the_others():
    _, cache = renorm_step(golden_case("renorm.r1.5.d0.5"))
    assert cache.clipped.tolist() == [False, False, True]


@pytest.mark.parametrize("prefix", RENORM_CASES)
def test_batch_renorm_backward_matches_finite_differences_of_the_function_with_r_and_d_frozen(prefix):
    case = golden_case(prefix)
    x, dy, gamma, beta = case["x"], case["dy"], case["gamma"], case["beta"]
    _, cache = renorm_step(case)
    r, d = cache.r[None, :, None], cache.d[None, :, None]

    def loss(x_, gamma_=gamma, beta_=beta):  # y with this step's r and d held fixed
        xhat = batch_norm(x_, eps=float(case["eps"])) * r + d
        return float(np.sum(dy * (xhat * gamma_[None, :, None] + beta_[None, :, None])))

    dx, dgamma, dbeta = batch_renorm_backward(dy, cache)
    assert max_relative_error(dx, numerical_gradient(loss, x)) < 1e-7
    assert max_relative_error(dgamma, numerical_gradient(lambda g: loss(x, g), gamma)) < 1e-7
    assert max_relative_error(dbeta, numerical_gradient(lambda b: loss(x, gamma, b), beta)) < 1e-7


def test_stop_gradient_matters_the_full_gradient_of_an_unclipped_step_is_different():
    """Unclipped, y = γ (x − μ) / σ + β whatever the batch: its full derivative is γ / σ · dy. The paper's backward
    keeps the batch normalization's coupling through μ_B and σ_B instead."""
    case = golden_case("renorm.r100.0.d100.0")
    _, cache = renorm_step(case)
    dx, _, _ = batch_renorm_backward(case["dy"], cache)
    full = case["dy"] * (case["gamma"] / case["running_std"])[None, :, None]
    assert max_relative_error(dx, full) > 0.1


def test_without_correction_the_backward_is_batch_norms():
    case = golden_case("renorm.r1.0.d0.0")
    _, cache = renorm_step(case)
    _, bn_cache = batch_norm_forward(case["x"], case["gamma"], case["beta"], eps=float(case["eps"]))
    for renorm_grad, bn_grad in zip(batch_renorm_backward(case["dy"], cache), norm_backward(case["dy"], bn_cache),
                                    strict=True):
        assert_close(renorm_grad, bn_grad, tol=1e-12)


def test_batch_renorm_without_affine_and_the_layers_backward():
    x, dy = golden_case("renorm.r1.5.d0.5")["x"], golden_case("renorm.r1.5.d0.5")["dy"]
    layer = BatchRenorm(3, r_max=1.5, d_max=0.5)
    with pytest.raises(RuntimeError, match="backward called before a training forward pass"):
        layer.backward(dy)
    running = (layer.running_mean.copy(), layer.running_std.copy())
    layer(x)
    _, cache = batch_renorm_forward(x, *running, r_max=1.5, d_max=0.5)
    dx, dgamma, dbeta = batch_renorm_backward(dy, cache)
    assert dgamma is None and dbeta is None
    assert_close(layer.backward(dy), dx, tol=0)
