"""lessons.renorm: the Variants page's Batch Renorm and Ghost BN experiments."""

from __future__ import annotations

import numpy as np
import pytest

from bn_core.batchnorm import BatchNorm
from bn_core.renorm import ghost_batch_norm
from lessons.format import format_number
from lessons.renorm import (
    ghost_experiment,
    ghost_normalize,
    ghost_running,
    ghost_running_verdict,
    ghost_verdict,
    non_iid_stream,
    renorm_experiment,
    renorm_summary,
    renorm_verdict,
    spread_error,
)


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


def test_ghost_normalize_is_bn_cores_ghost_batch_norm_on_every_batch():
    x = np.random.default_rng(5).normal(2.0, 3.0, (3, 16, 4))
    y = ghost_normalize(x, 4)
    for t in range(3):
        np.testing.assert_allclose(y[t], ghost_batch_norm(x[t], 4), rtol=0, atol=1e-13)


def test_ghost_batches_are_as_noisy_as_small_batches():
    """A virtual batch of g is a real batch of g: at the page's settings the two spreads agree within their sampling
    error (24 trials left ratios from 0.81 to 1.10), and the page says so."""
    result = ghost_experiment()
    np.testing.assert_allclose(result.ghost, result.small, rtol=0.05)
    assert all("within the sampling error" in ghost_verdict(result, g) for g in result.ghost_sizes[:-1])
    assert "Ghost BN is plain BatchNorm on the full batch" in ghost_verdict(result, result.batch_size)
    assert result.ghost[0] > result.ghost[1] > result.ghost[2]
    assert result.ghost[0] > 2.5 * result.full_batch
    assert result.ghost[-1] == pytest.approx(result.full_batch, rel=0.35)  # g = batch size is plain BatchNorm


def test_unclipped_channel_steps_are_an_identity():
    result = renorm_experiment(3.0, 5.0, steps=200)
    assert result.unclipped_gap < 1e-12
    assert np.isnan(renorm_experiment(1.0, 0.0, steps=50).unclipped_gap)  # everything clipped: nothing to state


def test_summary_runs_every_seed_as_its_own_experiment():
    summary = renorm_summary(2.0, 1.0, seeds=(0, 3), steps=120, recent=50)
    for i, seed in enumerate((0, 3)):
        alone = renorm_experiment(2.0, 1.0, steps=120, seed=seed)
        np.testing.assert_allclose(summary.curves["BatchNorm"][i], alone.gap_bn, rtol=1e-12)
        np.testing.assert_allclose(summary.curves["Batch Renorm"][i], alone.gap_renorm, rtol=1e-12)
        assert summary.clipped[i] == pytest.approx(alone.clipped[-50:].mean())


def test_verdict_at_the_papers_starting_limits_says_how_much_larger():
    summary = renorm_summary(1.0, 0.0)
    assert 1.15 < summary.ratio.mean() < 1.35  # the gap is about 25 % larger than BatchNorm's
    verdict = renorm_verdict(summary)
    overall = summary.gap_renorm.mean() / summary.gap_bn.mean()  # the ratio of the page's two headline numbers
    assert f"is {format_number(overall, 2)} × BatchNorm's" in verdict
    assert f"{format_number(100 * (overall - 1), 2)} % larger than" in verdict
    assert "by construction" not in verdict and "biased" in verdict
    relaxed_summary = renorm_summary(3.0, 5.0)
    relaxed = renorm_verdict(relaxed_summary)
    assert format_number(relaxed_summary.gap_renorm.mean() / relaxed_summary.gap_bn.mean(), 2) in relaxed
    assert "smaller than" in relaxed and "by construction" in relaxed
    assert "_" not in relaxed.replace("r_{max}", "").replace("d_{max}", "").replace("\\sigma_B", "")


def test_ghost_conventions_hoffer_full_momentum_composer_divided():
    running = ghost_running(16, steps=5)
    hoffer, composer = running.running_mean.values()
    k, m = running.num_chunks, running.momentum
    assert k == 16
    weights = list(running.last_batch_weight.values())
    assert weights == pytest.approx([1 - (1 - m) ** k, 1 - (1 - m / k) ** k])
    assert hoffer[0] > 0.7 > 0.15 > composer[0] > 0  # from 0 towards 1: Hoffer's moves much faster
    same = ghost_running(256, steps=3)
    np.testing.assert_allclose(*same.running_mean.values())  # one virtual batch: both are plain BatchNorm


def test_ghost_running_matches_bn_core_batchnorm_chunk_by_chunk():
    running = ghost_running(64, steps=4, seed=5)
    stream = 1.0 + np.random.default_rng(5).standard_normal((4, 256))
    for name, divide in zip(running.running_mean, (1, 4), strict=True):
        bn = BatchNorm(1, momentum=0.1 / divide, affine=False)
        for x in stream:
            for part in range(4):
                bn(x[part * 64:(part + 1) * 64, None])
        assert running.running_mean[name][-1] == pytest.approx(bn.running_mean[0], rel=1e-12)


def test_ghost_verdicts_name_the_numbers():
    result = ghost_experiment(ghost_sizes=(4, 8), batch_size=32, trials=8)
    text = ghost_verdict(result, 8)
    assert format_number(result.ghost[1], 3) in text and format_number(result.full_batch, 3) in text
    assert "one virtual batch" in ghost_running_verdict(ghost_running(256, steps=2))


def test_the_spread_error_is_the_spread_of_repeated_spreads():
    """spread_error against 40 repeats of a 1,000-draw spread: g = 2's near-±1 outputs, the hardest case."""
    rng = np.random.default_rng(3)
    probe = rng.standard_normal(4)
    spreads, errors = [], []
    for _ in range(40):
        x = rng.standard_normal((1000, 2, 4))
        at = rng.integers(0, 2, 1000)
        x[np.arange(1000), at] = probe
        outputs = ghost_normalize(x, 2)[np.arange(1000), at]
        spreads.append(outputs.std(axis=0).mean())
        errors.append(spread_error(outputs))
    assert np.mean(errors) == pytest.approx(np.std(spreads), rel=0.3)
