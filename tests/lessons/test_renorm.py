"""lessons.renorm: the Variants page's Batch Renorm and Ghost BN experiments."""

from __future__ import annotations

import numpy as np
import pytest

from lessons.renorm import ghost_experiment, non_iid_stream, renorm_experiment


def test_non_iid_stream_batches_come_from_one_cluster_each():
    stream = non_iid_stream(400, 4, 3, seed=1)
    assert stream.shape == (400, 4, 3)
    within = stream.std(axis=1).mean()
    overall = stream.reshape(-1, 3).std(axis=0).mean()
    assert overall > 1.5 * within  # each minibatch sees much less spread than the population
    assert np.abs(stream.reshape(-1, 3).mean(axis=0)).max() < 0.5


def test_renorm_closes_the_train_inference_gap():
    fixed = renorm_experiment(3.0, 5.0, steps=200)
    assert fixed.gap_renorm[-100:].mean() < 0.1 * fixed.gap_bn[-100:].mean()
    assert fixed.clipped[-100:].mean() < 0.2
    off = renorm_experiment(1.0, 0.0, steps=200)
    np.testing.assert_array_equal(off.gap_bn, fixed.gap_bn)
    assert off.gap_renorm[-100:].mean() > 0.5 * off.gap_bn[-100:].mean()
    assert off.clipped[-100:].mean() == 1.0


def test_ghost_batches_are_as_noisy_as_small_batches():
    result = ghost_experiment(ghost_sizes=(2, 8, 64), batch_size=64, trials=40, seed=3)
    np.testing.assert_allclose(result.ghost, result.small, rtol=0.35)
    assert result.ghost[0] > result.ghost[1] > result.ghost[2]
    assert result.ghost[0] > 2.5 * result.full_batch
    assert result.ghost[-1] == pytest.approx(result.full_batch, rel=0.35)  # g = batch size is plain BatchNorm
