"""lessons.devices: SyncBN's combined statistics are the full batch's; per-device BN normalizes each device's
samples alone, and its gradient is right."""

from __future__ import annotations

import numpy as np
import pytest

from bn_core.functional import batch_norm
from bn_core.gradcheck import max_relative_error, numerical_gradient
from bn_core.nn import BatchNorm1d
from bn_core.stats import batch_mean, batch_var
from lessons.devices import DeviceBatchNorm1d, data_parallel_experiment, device_statistics, sync_statistics
from lessons.practice import devices_reading


@pytest.mark.parametrize("sizes", [(4, 4, 4, 4), (2, 7, 3)])
def test_sync_statistics_equal_those_of_the_full_batch(sizes):
    rng = np.random.default_rng(0)
    parts = [rng.normal(k, 1.0 + k, size=(n, 3)) for k, n in enumerate(sizes)]
    mean, var = sync_statistics(*device_statistics(parts))
    full = np.concatenate(parts)
    np.testing.assert_allclose(mean, batch_mean(full), rtol=1e-12)
    np.testing.assert_allclose(var, batch_var(full), rtol=1e-12)
    assert not np.allclose(device_statistics(parts)[1][0], mean)  # a device's own mean is not the batch's


def test_each_device_normalizes_its_own_samples():
    rng = np.random.default_rng(1)
    x = rng.normal(2.0, 3.0, size=(2, 12, 5))
    layer = DeviceBatchNorm1d(5, devices=3, models=2)
    y = layer(x)
    for s in range(2):
        expected = np.concatenate([batch_norm(x[s, k * 4:(k + 1) * 4]) for k in range(3)])
        np.testing.assert_allclose(y[s], expected, rtol=1e-12, atol=1e-12)
    plain = BatchNorm1d(5, models=2)
    plain(x[:, :4])
    np.testing.assert_allclose(layer.running_mean, plain.running_mean)  # device 0's statistics are kept
    one_device = DeviceBatchNorm1d(5, devices=1, models=2)
    np.testing.assert_allclose(one_device(x), BatchNorm1d(5, models=2)(x), rtol=1e-12, atol=1e-12)


def test_per_device_backward_matches_finite_differences():
    rng = np.random.default_rng(2)
    x, weights = rng.normal(size=(1, 8, 3)), rng.normal(size=(1, 8, 3))
    layer = DeviceBatchNorm1d(3, devices=2)
    layer.gamma[:] = [0.5, 2.0, -1.0]
    layer(x)
    dx = layer.backward(weights)
    numeric = numerical_gradient(lambda v: float((layer(v) * weights).sum()), x)
    assert max_relative_error(dx, numeric) < 1e-7


def test_synchronized_bn_trains_better_than_tiny_per_device_batches():
    result = data_parallel_experiment(devices=4, per_device=2)
    assert result.accuracy["synced"].mean() > result.accuracy["per device"].mean() + 0.1
    # The batch mean's spread shrinks about as 1/√(number of samples): √4 = 2 from b to K·b.
    assert result.mean_spread["per device"] / result.mean_spread["synced"] == pytest.approx(2.0, rel=0.25)


def test_the_batch_mean_spread_follows_the_finite_population_prediction():
    """Batches drawn without replacement from 300 points: the spread ratio is √K times √((N − b)/(N − K·b)), 3.63 at
    K = 8, b = 16, not √8 = 2.83; the reading names both."""
    result = data_parallel_experiment(devices=8, per_device=16)
    assert result.predicted_spread_ratio() == pytest.approx(np.sqrt(8 * 284 / 172))
    measured = result.mean_spread["per device"] / result.mean_spread["synced"]
    assert measured == pytest.approx(result.predicted_spread_ratio(), rel=0.03)
    reading = devices_reading(result)
    assert "(√8 = 2.83 for independent samples; 3.63 for batches drawn without replacement" in reading


def test_a_run_where_neither_network_learned_is_not_read_as_good_enough():
    reading = devices_reading(data_parallel_experiment(devices=2, per_device=2))  # both at chance, 50 %
    assert "Neither network learned the task" in reading and "good enough" not in reading


def test_one_device_states_no_spread_ratio():
    reading = devices_reading(data_parallel_experiment(devices=1, per_device=16))
    assert "times less" not in reading and reading.endswith("With one device the two are the same layer.")
