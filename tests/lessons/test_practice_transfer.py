"""lessons.transfer: AdaBN beats source statistics under shift (exactly undoes a translation or a scaling), and
frozen BN fine-tunes better than BN in training mode on tiny batches."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from bn_core.nn import BatchNorm1d
from lessons.practice import adabn_reading
from lessons.recalibration import read_statistics
from lessons.training import fit
from lessons.transfer import (
    FINE_TUNE_MODES,
    AdaBN,
    FrozenBatchNorm1d,
    adabn_experiment,
    fine_tune_experiment,
    pretrain,
    shift_inputs,
    with_frozen_batch_norm,
)


@pytest.fixture(scope="module")
def pretrained():
    return pretrain()


def test_shifts():
    x = np.array([[1.0, 0.0], [0.0, 2.0]])
    np.testing.assert_allclose(shift_inputs(x, "translate", 1.0), x + 0.7)
    np.testing.assert_allclose(shift_inputs(x, "scale", 0.5), 1.5 * x)
    np.testing.assert_allclose(shift_inputs(x, "rotate", 2.0), [[0.0, 1.0], [-2.0, 0.0]], atol=1e-15)
    np.testing.assert_array_equal(shift_inputs(x, "rotate", 0.0), x)


@pytest.mark.parametrize("kind", ["translate", "scale", "rotate"])
def test_adabn_beats_source_statistics_under_shift(pretrained, kind):
    result = adabn_experiment(pretrained, kind, magnitudes=(0.0, 1.0, 2.0))
    assert np.all(result.target_stats[:, 1:].mean(axis=0) > result.source_stats[:, 1:].mean(axis=0) + 0.05)


@pytest.mark.parametrize("kind", ["translate", "scale"])
def test_adabn_undoes_a_translation_or_scaling_exactly(pretrained, kind):
    # The first Linear turns x·s + t into an affine map of each of its outputs; target statistics remove it.
    result = adabn_experiment(pretrained, kind, magnitudes=(0.0, 0.5, 2.0))
    np.testing.assert_array_equal(result.target_stats[:, 1], result.target_stats[:, 0])
    np.testing.assert_array_equal(result.target_stats[:, 2], result.target_stats[:, 0])


def test_frozen_batch_norm_stays_in_eval_mode_and_keeps_its_statistics(pretrained):
    for affine in (True, False):
        model = with_frozen_batch_norm(pretrained.model, affine=affine)
        frozen = [layer for layer in model.layers if isinstance(layer, BatchNorm1d)]
        assert all(isinstance(layer, FrozenBatchNorm1d) for layer in frozen)
        gamma_before = frozen[0].gamma.copy()
        x = np.random.default_rng(0).normal(size=(40, 2))
        fit(model, x, (x[:, 0] > 0).astype(int), lr=0.1, steps=5, batch_size=4, seeds=[0, 1, 2, 3, 4])
        assert not frozen[0].training
        for (m0, v0), (m1, v1) in zip(read_statistics(pretrained.model), read_statistics(model), strict=True):
            np.testing.assert_array_equal(m0, m1)
            np.testing.assert_array_equal(v0, v1)
        assert np.array_equal(frozen[0].gamma, gamma_before) != affine  # γ trains only with bn.eval()
        assert len(model.parameters()) == len(pretrained.model.parameters()) - (0 if affine else 4)


def test_tiny_batches_hurt_bn_in_training_mode_and_frozen_bn_fine_tunes_better(pretrained):
    result = fine_tune_experiment(pretrained, batch_size=2)
    mean = {mode: result.accuracy[mode].mean() for mode in FINE_TUNE_MODES}
    assert mean[FINE_TUNE_MODES[2]] > mean[FINE_TUNE_MODES[0]] + 0.1
    assert mean[FINE_TUNE_MODES[1]] > mean[FINE_TUNE_MODES[0]]
    assert mean[FINE_TUNE_MODES[2]] > result.before.mean()


def test_a_deep_copy_of_batch_norm_trains_its_own_gamma():
    # Fine-tuning trains deep copies of the pretrained model: γ must stay a view of the copy's own layer.
    bn = BatchNorm1d(3, models=2)
    clone = copy.deepcopy(bn)
    clone.gamma[...] = 2.0
    np.testing.assert_array_equal(clone.layer.gamma, 2.0)
    np.testing.assert_array_equal(bn.layer.gamma, 1.0)
    x = np.random.default_rng(0).normal(size=(2, 8, 3))
    np.testing.assert_allclose(clone(x), 2.0 * bn(x))


def test_the_adabn_reading_compares_with_the_unshifted_point_the_chart_draws():
    """"Unshifted" is the trained network (source statistics) at shift size 0: the chart's first point, 93 %, not
    AdaBN's re-estimate at size 0."""
    source, target = np.array([[0.93, 0.75]] * 5), np.array([[0.92, 0.92]] * 5)
    reading = adabn_reading(AdaBN("translate", (0.0, 1.0), source, target), 1.0)
    assert "unshifted, with the source statistics: 93.0\u00a0%" in reading
