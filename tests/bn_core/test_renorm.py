"""bn_core.renorm: Batch Renormalization and Ghost BatchNorm against independent numpy and PyTorch values."""

from __future__ import annotations

import numpy as np
import pytest

from bn_core.functional import batch_norm
from bn_core.renorm import (
    BatchRenorm,
    GhostBatchNorm,
    batch_renorm_forward,
    ghost_batch_norm,
    ghost_chunks,
    renorm_inference,
)

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


# PyTorch 2.13: torch.nn.BatchNorm1d(3, momentum=0.1).double(), momentum set to 0.1 / 3 and applied to each of
# x.chunk(3, 0) in turn (Composer's GhostBatchNorm), x = GHOST_X, ghost batch size 4 (chunks of 4, 4, 2).
GHOST_X = np.array(
    [
        [[2.004, 2.896], [1.178, -0.672], [0.636, -0.975]],
        [[2.18, 6.021], [0.523, 0.139], [3.47, 3.071]],
        [[2.316, -0.791], [1.912, 4.086], [-2.033, 0.627]],
        [[-3.704, -1.869], [-3.525, 1.295], [-1.802, 2.814]],
        [[2.47, 1.439], [-5.55, 0.384], [1.854, 2.34]],
        [[-2.59, 0.567], [-0.936, -0.427], [5.183, -0.423]],
        [[1.902, 4.653], [0.249, 1.665], [2.331, 2.191]],
        [[-1.675, 2.228], [6.076, -2.641], [4.578, 2.358]],
        [[0.076, 8.001], [4.287, -1.598], [2.224, 3.73]],
        [[1.434, 4.049], [1.8, 4.002], [6.316, -0.027]],
    ]
)
TORCH_RUNNING_MEAN = [0.18447385648148146, 0.08522396296296296, 0.20685355555555557]
TORCH_RUNNING_VAR = [1.7797129409834656, 1.66043657878836, 1.3873123785555554]
TORCH_Y_POSITION_1 = {  # y[sample, :, 1]
    0: [0.6125828235354595, -0.6295254613617675, -0.8214593769177254],
    4: [0.14417570848136427, 0.16960706866240305, -0.13171727642249723],
    9: [0.21814443951146537, 0.7983493297496949, -1.3387427866825135],
}


def test_ghost_batch_norm_layer_matches_torch():
    layer = GhostBatchNorm(3, ghost_batch_size=4, momentum=0.1)
    y = layer(GHOST_X)
    np.testing.assert_allclose(layer.bn.running_mean, TORCH_RUNNING_MEAN, rtol=0, atol=1e-14)
    np.testing.assert_allclose(layer.bn.running_var, TORCH_RUNNING_VAR, rtol=0, atol=1e-14)
    for sample, values in TORCH_Y_POSITION_1.items():
        np.testing.assert_allclose(y[sample, :, 1], values, rtol=0, atol=1e-14)
    assert layer.bn.momentum == 0.1  # restored after the step
    assert layer.bn.num_batches_tracked == 3


def test_ghost_layer_eval_uses_running_statistics():
    layer = GhostBatchNorm(3, ghost_batch_size=4)
    layer(GHOST_X)
    y = layer.eval()(GHOST_X[:1])
    expected = (GHOST_X[:1] - layer.bn.running_mean[:, None]) / np.sqrt(layer.bn.running_var[:, None] + 1e-5)
    np.testing.assert_allclose(y, expected)
