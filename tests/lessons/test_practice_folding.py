"""lessons.folding: BN folded into the Linear/Conv before it equals Linear/Conv + BN in eval mode, not in training."""

from __future__ import annotations

import numpy as np
import pytest

from bn_core.batchnorm import BatchNorm
from lessons.folding import LAYERS, conv2d, fold, folding_experiment, linear


def test_fold_matches_torch_fuse_linear_bn_eval():
    # torch 2.13: torch.nn.utils.fusion.fuse_linear_bn_eval on these parameters, in float64.
    weight, bias = np.array([[1.0, -2.0], [0.5, 3.0]]), np.array([0.25, -1.0])
    bn = BatchNorm(2)
    bn.gamma[:], bn.beta[:] = [1.5, 0.5], [0.1, -0.2]
    bn.running_mean, bn.running_var = np.array([0.3, -0.7]), np.array([2.0, 0.25])
    folded_weight, folded_bias = fold(weight, bias, bn)
    np.testing.assert_allclose(folded_weight, [[1.0606575201393356, -2.121315040278671],
                                               [0.49999000029998997, 2.99994000179994]], rtol=1e-14)
    np.testing.assert_allclose(folded_bias, [0.04696712399303324, -0.499994000179994], rtol=1e-13)


def test_conv2d_einsum_equals_a_loop_over_positions():
    rng = np.random.default_rng(1)
    x, weight, bias = rng.normal(size=(2, 3, 5, 6)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    expected = np.empty((2, 4, 3, 4))
    for i in range(3):
        for j in range(4):
            expected[:, :, i, j] = np.einsum("ncij,ocij->no", x[:, :, i:i + 3, j:j + 3], weight) + bias
    np.testing.assert_allclose(conv2d(x, weight, bias), expected, rtol=1e-12)
    np.testing.assert_allclose(linear(x[:, :, 0, 0], weight[:, :, 0, 0], bias), x[:, :, 0, 0] @ weight[:, :, 0, 0].T
                               + bias)


@pytest.mark.parametrize("layer", LAYERS)
def test_folded_layer_equals_layer_plus_bn_in_eval_mode_to_rounding(layer):
    result = folding_experiment(layer, batch_size=16, dtype="float64")
    assert result.eval_difference < 1e-13
    assert folding_experiment(layer, batch_size=16, dtype="float32").eval_difference < 1e-5


@pytest.mark.parametrize("layer", LAYERS)
def test_in_training_mode_the_difference_is_batch_versus_running_statistics(layer):
    result = folding_experiment(layer, batch_size=8)
    assert result.train_difference > 1e-2
    # Per channel, y_train = γ(h − μ_B)/σ_B + β and y_eval = γ(h − μ_run)/σ_run + β: an exact affine relation
    # with slope σ_run / σ_B. The folded layer equals y_eval, so it misses exactly this re-normalization.
    for channel in range(result.batch_mean.size):
        y_eval = np.take(result.reference_eval, channel, axis=1).ravel()
        y_train = np.take(result.reference_train, channel, axis=1).ravel()
        slope, intercept = np.polyfit(y_eval, y_train, 1)
        assert slope == pytest.approx(result.running_std[channel] / result.batch_std[channel], rel=1e-9)
        np.testing.assert_allclose(slope * y_eval + intercept, y_train, atol=1e-10)
