"""lessons.coupling and lessons.dropout: the batch Jacobian from bn_core's backward matches finite differences
and the closed form; dropout before BN shrinks the inference variance as Li et al. predict."""

from __future__ import annotations

import numpy as np
import pytest

from lessons.coupling import example_batch, finite_differences, jacobian, move_one_sample, outputs
from lessons.dropout import RATES, dropout, predicted_shift, variance_shift


def test_jacobian_matches_finite_differences_and_the_closed_form():
    x = example_batch()
    j = jacobian(x, gamma=1.5)
    np.testing.assert_allclose(j, finite_differences(x, gamma=1.5), atol=1e-7)
    m, xhat = len(x), (x - x.mean()) / np.sqrt(x.var() + 1e-5)
    closed = 1.5 / np.sqrt(x.var() + 1e-5) * (np.eye(m) - 1.0 / m - np.outer(xhat, xhat) / m)
    np.testing.assert_allclose(j, closed, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(j.sum(axis=1), 0.0, atol=1e-12)  # shifting every sample alike changes nothing


def test_moving_one_sample_moves_every_other_output():
    x = example_batch()
    result = move_one_sample(x, moved=2, value=5.0)
    assert np.all(result.others_moved > 1e-3)
    np.testing.assert_allclose(result.after, outputs(result.x_after))
    assert result.finite_difference_error < 1e-6
    assert np.all(move_one_sample(x, moved=2, value=x[2]).others_moved == 0)


def test_dropout_keeps_the_mean_and_scales_kept_values():
    rng = np.random.default_rng(0)
    x = np.ones((20000, 2))
    y = dropout(x, np.array([0.0, 0.5]), rng)
    np.testing.assert_array_equal(y[:, 0], 1.0)
    assert set(np.unique(y[:, 1])) == {0.0, 2.0}
    assert y[:, 1].mean() == pytest.approx(1.0, abs=0.03)


def test_predicted_shift():
    assert predicted_shift(0.0, 1.0) == 1.0
    assert predicted_shift(0.5, 0.0) == pytest.approx(0.5)  # zero mean: v / (v / (1 − p))
    assert predicted_shift(0.5, 1.0) == pytest.approx(1 / 3)


def test_measured_variance_shift_follows_li_et_al():
    result = variance_shift(mean=1.0)
    median = np.median(result.measured_shift, axis=0)
    np.testing.assert_allclose(median, result.predicted, rtol=0.1)
    assert median[RATES.index(0.5)] < 0.5
    np.testing.assert_allclose(result.output_var, result.measured_shift, rtol=1e-3)  # BN's output at inference
