"""bn_core.toy_data: the 2-D datasets are what their names say, reproducible, balanced and split by class."""

from __future__ import annotations

import numpy as np
import pytest

from bn_core.toy_data import DATASETS, make_dataset, make_points


@pytest.mark.parametrize("name", list(DATASETS))
def test_points_have_the_promised_shape_labels_and_balance(name):
    x, y = make_points(name, 201, noise=0.1, seed=3)
    assert x.shape == (201, 2) and x.dtype == np.float64
    assert y.shape == (201,) and set(np.unique(y)) == {0, 1}
    assert np.bincount(y).tolist() == [101, 100]
    assert np.abs(x).max() < 2.0


@pytest.mark.parametrize("name", list(DATASETS))
def test_same_seed_same_points_other_seed_other_points(name):
    a, b, c = (make_points(name, 50, 0.2, seed) for seed in (7, 7, 8))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.allclose(a[0], c[0])


def test_circles_without_noise_lie_on_their_two_circles():
    x, y = make_points("circles", 100, noise=0.0)
    radius = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.45)


def test_spirals_without_noise_interleave_half_a_turn_apart():
    x, y = make_points("spirals", 400, noise=0.0)
    radius = np.hypot(x[:, 0], x[:, 1])
    assert radius.min() >= 0.1 - 1e-12 and radius.max() <= 1.0 + 1e-12
    # On each spiral the angle grows with the radius: angle = 2π·1.25·r (+ π for class 1), modulo 2π.
    angle = np.arctan2(x[:, 1], x[:, 0])
    expected = 2 * np.pi * 1.25 * radius + np.pi * y
    np.testing.assert_allclose(np.cos(angle - expected), 1.0, atol=1e-9)


def test_xor_labels_are_the_exclusive_or_of_the_quadrant_signs():
    x, y = make_points("xor", 400, noise=0.0, seed=1)
    clear = np.abs(x).min(axis=1) > 0.05  # blobs of spread 0.15 around (±0.5, ±0.5)
    np.testing.assert_array_equal(y[clear], (np.sign(x[clear, 0]) != np.sign(x[clear, 1])).astype(int))


def test_moons_without_noise_are_two_half_circles():
    x, y = make_points("moons", 100, noise=0.0)
    raw = x * 1.5 + [0.5, 0.25]  # undo the centring
    np.testing.assert_allclose(np.hypot(raw[y == 0, 0], raw[y == 0, 1]), 1.0)
    np.testing.assert_allclose(np.hypot(raw[y == 1, 0] - 1.0, raw[y == 1, 1] - 0.5), 1.0)
    assert (raw[y == 0, 1] >= 0).all() and (raw[y == 1, 1] <= 0.5).all()


def test_noise_is_gaussian_jitter_of_the_given_standard_deviation():
    clean, _ = make_points("circles", 20_000, noise=0.0, seed=5)
    noisy, _ = make_points("circles", 20_000, noise=0.3, seed=5)
    # Same seed: the same clean points, then the jitter drawn after them.
    jitter = noisy - clean
    assert abs(jitter.std() - 0.3) < 0.01 and abs(jitter.mean()) < 0.01


def test_split_is_stratified_disjoint_and_reproducible():
    data = make_dataset("moons", 400, noise=0.1, seed=2, test_fraction=0.25)
    assert len(data.y_train) == 300 and len(data.y_test) == 100
    assert np.bincount(data.y_test).tolist() == [50, 50]
    assert np.bincount(data.y_train).tolist() == [150, 150]
    x, _ = make_points("moons", 400, 0.1, 2)
    np.testing.assert_array_equal(np.sort(data.x_all, axis=0), np.sort(x, axis=0))
    again = make_dataset("moons", 400, noise=0.1, seed=2, test_fraction=0.25)
    np.testing.assert_array_equal(again.x_test, data.x_test)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"name": "swiss roll"}, "unknown dataset"),
    ({"n_samples": 3}, "n_samples"),
    ({"n_samples": 10.5}, "n_samples"),
    ({"noise": -0.1}, "noise"),
    ({"noise": float("nan")}, "noise"),
])
def test_bad_arguments_say_what_is_wrong(kwargs, message):
    args = {"name": "moons", "n_samples": 10, "noise": 0.1} | kwargs
    with pytest.raises(ValueError, match=message):
        make_points(**args)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.5])
def test_test_fraction_must_leave_both_halves(fraction):
    with pytest.raises(ValueError, match="test_fraction"):
        make_dataset("xor", 40, test_fraction=fraction)
