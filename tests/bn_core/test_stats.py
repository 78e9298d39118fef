"""bn_core.stats: two-pass batch statistics, dtypes, and the cancellation the one-pass formula suffers."""

from __future__ import annotations

import numpy as np
import pytest

from bn_core.data import seed_example_batch
from bn_core.stats import as_float_array, batch_mean, batch_var, count_reduced, group_sum, mean_and_deviations

# float32 values near 1e4 with a spread of ~3e-3: E[x^2] - E[x]^2 gives -16.0 here (see normalization-facts.md).
NEAR_1E4_F32 = np.array([10000.001, 9999.999, 10000.007], dtype=np.float32)


def test_seed_batch_mean_and_variance_by_hand():
    x = seed_example_batch()
    first_feature = x[:, 0]
    mean = first_feature.sum() / 8
    assert batch_mean(x)[0] == pytest.approx(mean, abs=1e-15)
    assert batch_var(x)[0] == pytest.approx(((first_feature - mean) ** 2).sum() / 8, abs=1e-14)
    assert batch_var(x, ddof=1)[0] == pytest.approx(((first_feature - mean) ** 2).sum() / 7, abs=1e-14)


@pytest.mark.parametrize("axes", [(0,), (0, 2), (0, 2, 3), (2, 3), (1, 2, 3), (1,), (-1,), (0, -1)])
@pytest.mark.parametrize("ddof", [0, 1])
def test_matches_numpy_over_any_axes(axes, ddof):
    x = np.random.default_rng(1).normal(3.0, 2.0, size=(5, 4, 3, 2))
    np.testing.assert_allclose(batch_mean(x, axes), x.mean(axis=axes), rtol=0, atol=1e-14)
    np.testing.assert_allclose(batch_var(x, axes, ddof=ddof), x.var(axis=axes, ddof=ddof), rtol=0, atol=1e-13)


@pytest.mark.parametrize("axes", [(0,), (1,), (0, 2, 3), (2, 3), (1, 2, 3), (0, 1), (0, 3), (), (-2, -1)])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_group_sum_keeps_the_reduced_axes_over_any_axes(axes, layout):
    x = np.random.default_rng(3).normal(size=(5, 4, 3, 2))
    if layout == "transposed":  # a non-contiguous view
        x = x.transpose(3, 2, 1, 0)
    np.testing.assert_allclose(group_sum(x, axes), x.sum(axis=axes, keepdims=True), rtol=0, atol=1e-13)


def test_float32_statistics_are_summed_in_float64():
    x = np.full((262144, 3), 0.1, dtype=np.float32)  # np.add.reduce(x, axis=0) in float32 gives 26149.6, not 26214.4
    exact = 262144 * np.float64(np.float32(0.1))
    assert group_sum(x, (0,)).dtype == np.float64
    np.testing.assert_allclose(group_sum(x, (0,)).ravel(), exact, rtol=1e-12)
    assert batch_mean(x).dtype == np.float32
    assert batch_mean(x).tolist() == [np.float32(0.1)] * 3
    assert batch_var(x).tolist() == [0.0] * 3


def test_keepdims_keeps_reduced_axes_as_size_one():
    x = np.zeros((5, 4, 3, 2))
    assert batch_mean(x, (0, 2, 3), keepdims=True).shape == (1, 4, 1, 1)
    assert batch_var(x, (0, 2, 3), keepdims=True).shape == (1, 4, 1, 1)
    assert batch_var(x, (0, 2, 3)).shape == (4,)


def test_mean_and_deviations_is_the_first_pass():
    x = np.random.default_rng(2).normal(size=(6, 3))
    mean, deviations = mean_and_deviations(x, (0,))
    assert mean.shape == (1, 3)
    np.testing.assert_allclose(deviations, x - x.mean(axis=0), atol=1e-15)
    np.testing.assert_allclose(deviations.sum(axis=0), 0.0, atol=1e-14)


def test_two_pass_variance_near_1e4_in_float32_is_positive():
    naive = np.mean(NEAR_1E4_F32**2) - np.mean(NEAR_1E4_F32) ** 2
    assert naive == -16.0  # the cancellation the two-pass formula avoids
    var = batch_var(NEAR_1E4_F32)
    assert var.dtype == np.float32
    assert var > 0
    # torch 2.13's batch norm gives the same 1.1126e-5 (its running_var * 2/3 after one step with momentum 1);
    # torch.var gives 1.144e-5.
    assert var == pytest.approx(1.1126e-5, rel=1e-4)
    truth = np.var(NEAR_1E4_F32.astype(np.float64))  # 1.102e-5 for the float32-rounded inputs
    assert var == pytest.approx(truth, rel=0.02)


def test_two_pass_variance_of_4096_samples_near_1e4_is_not_zero():
    x = (1e4 + 0.01 * np.random.default_rng(0).standard_normal(4096)).astype(np.float32)
    assert np.mean(x**2) - np.mean(x) ** 2 == 0.0  # one-pass loses everything
    truth = np.var(x.astype(np.float64))
    assert batch_var(x) == pytest.approx(truth, rel=1e-2)
    assert batch_var(x) == pytest.approx(9.9697e-5, rel=1e-3)


def test_dtype_kept_for_floats_and_ints_become_float64():
    x32 = np.arange(12, dtype=np.float32).reshape(4, 3)
    assert batch_mean(x32).dtype == np.float32
    assert batch_var(x32).dtype == np.float32
    ints = np.arange(12).reshape(4, 3)
    assert batch_mean(ints).dtype == np.float64
    assert batch_var(ints).dtype == np.float64
    np.testing.assert_allclose(batch_var(ints), np.var(ints.astype(np.float64), axis=0), atol=1e-14)
    assert as_float_array([1, 2]).dtype == np.float64
    assert as_float_array(np.array([1.0], dtype=np.float16)).dtype == np.float16


def test_too_few_values_for_ddof_raise():
    with pytest.raises(ValueError, match="ddof=1 needs more than 1"):
        batch_var(np.ones((1, 3)), ddof=1)
    assert batch_var(np.ones((1, 3))).tolist() == [0.0, 0.0, 0.0]


def test_count_reduced():
    assert count_reduced((5, 4, 3, 2), (0, 2, 3)) == 30
    assert count_reduced((5, 4), ()) == 1
