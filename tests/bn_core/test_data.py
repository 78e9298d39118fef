"""bn_core.data: the seed example batch, seeded batches with per-feature distributions, and invalid specs."""

from __future__ import annotations

import numpy as np
import pytest

from bn_core.data import (
    DISTRIBUTIONS,
    SEED_EXAMPLE_BATCH,
    FeatureSpec,
    make_batch,
    seed_example_batch,
    seed_like_specs,
    standard_sample,
)

SEED_PAGE_ROWS = """
-0.96 15.85 23.19 25.19
-1.71 13.96 21.25 27.30
-2.76  9.92 14.74 36.08
 2.25 13.01 16.39 31.11
-2.88 11.44 17.65 28.10
-1.42  9.79  9.10 33.09
 4.48 14.81 20.23 28.16
 2.09 13.21 17.62 35.79
"""


def test_seed_example_batch_is_exactly_the_seed_pages():
    expected = np.array([[float(v) for v in row.split()] for row in SEED_PAGE_ROWS.strip().splitlines()])
    batch = seed_example_batch()
    assert batch.shape == (8, 4) and batch.dtype == np.float64
    assert np.array_equal(batch, expected)


def test_seed_example_batch_is_a_fresh_copy():
    batch = seed_example_batch()
    batch[0, 0] = 99.0
    assert SEED_EXAMPLE_BATCH[0, 0] == -0.96
    assert seed_example_batch()[0, 0] == -0.96


def test_same_seed_same_batch_and_different_seed_different_batch():
    specs = [FeatureSpec(d, 1.0, 2.0) for d in DISTRIBUTIONS]
    a, b = make_batch(specs, 32, seed=7), make_batch(specs, 32, seed=7)
    assert a.shape == (32, len(DISTRIBUTIONS))
    assert np.array_equal(a, b)
    assert not np.allclose(a, make_batch(specs, 32, seed=8))


def test_no_global_random_state_is_used_or_changed():
    specs = [FeatureSpec(d) for d in DISTRIBUTIONS]
    np.random.seed(123)  # noqa: NPY002 - the legacy global generator is what must stay untouched
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    first = make_batch(specs, 16, seed=1)
    assert np.array_equal(np.random.get_state()[1], before)  # noqa: NPY002
    np.random.seed(999)  # noqa: NPY002 - reseeding the global generator changes nothing
    assert np.array_equal(make_batch(specs, 16, seed=1), first)


def test_a_generator_can_be_passed_and_is_advanced():
    rng = np.random.default_rng(3)
    first, second = make_batch([FeatureSpec()], 4, rng), make_batch([FeatureSpec()], 4, rng)
    assert not np.array_equal(first, second)
    assert np.array_equal(first, make_batch([FeatureSpec()], 4, np.random.default_rng(3)))


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_each_distribution_has_the_specified_mean_and_scale(distribution):
    x = make_batch([FeatureSpec(distribution, mean=5.0, scale=2.0)], 200_000, seed=11)[:, 0]
    assert x.mean() == pytest.approx(5.0, abs=0.02)
    if distribution == "with outliers":
        bulk = np.abs(x - 5.0) < 5 * 2.0
        assert x[bulk].std() == pytest.approx(2.0, rel=0.02)
        assert 1 - bulk.mean() == pytest.approx(0.05, abs=0.003)
        assert np.abs(x[~bulk] - 5.0).min() >= 6 * 2.0 - 1e-9
        assert np.abs(x[~bulk] - 5.0).max() <= 10 * 2.0 + 1e-9
    else:
        tol = 0.05 if distribution == "heavy-tailed" else 0.01  # t(3) has no finite fourth moment
        assert x.std() == pytest.approx(2.0, rel=tol)


def test_distributions_have_their_shapes():
    n = 200_000
    samples = {d: make_batch([FeatureSpec(d)], n, seed=12)[:, 0] for d in DISTRIBUTIONS}

    def skew(x):
        return np.mean((x - x.mean()) ** 3) / x.std() ** 3

    def excess_kurtosis(x):
        return np.mean((x - x.mean()) ** 4) / x.var() ** 2 - 3

    assert abs(skew(samples["normal"])) < 0.05 and abs(excess_kurtosis(samples["normal"])) < 0.05
    assert np.abs(samples["uniform"]).max() <= np.sqrt(3.0)
    assert skew(samples["skewed"]) > 1.0
    assert np.mean(np.abs(samples["bimodal"]) < 0.3) < 0.15  # little mass between the two modes
    assert excess_kurtosis(samples["heavy-tailed"]) > 3.0
    assert np.abs(samples["with outliers"]).max() > 6.0


def test_zero_scale_gives_a_constant_feature():
    x = make_batch([FeatureSpec("skewed", 3.0, 0.0)], 10, seed=0)
    assert np.array_equal(x, np.full((10, 1), 3.0))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"distribution": "cauchy"}, "unknown distribution 'cauchy'"),
        ({"scale": -1.0}, "scale finite and >= 0"),
        ({"mean": float("nan")}, "mean must be finite"),
        ({"scale": float("inf")}, "scale finite"),
    ],
)
def test_invalid_specs_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FeatureSpec(**kwargs)


@pytest.mark.parametrize(("specs", "batch_size"), [([FeatureSpec()], 0), ([], 4), ([FeatureSpec()], 2.5)])
def test_invalid_batch_requests_raise(specs, batch_size):
    with pytest.raises(ValueError, match="need an integer batch_size >= 1 and at least one feature"):
        make_batch(specs, batch_size)


def test_standard_sample_rejects_unknown_distribution():
    with pytest.raises(ValueError, match="unknown distribution"):
        standard_sample(np.random.default_rng(0), "gamma", 3)


def test_seed_like_specs_give_as_many_features_as_asked():
    first_four = seed_like_specs()
    assert [s.distribution for s in first_four] == ["normal"] * 4
    assert [s.mean for s in first_four] == [0.0, 12.75, 17.5, 30.6]
    assert len(seed_like_specs(12)) == 12
    assert {s.distribution for s in seed_like_specs(9)} == set(DISTRIBUTIONS)
    batch = make_batch(seed_like_specs(), 4096, seed=0)
    np.testing.assert_allclose(batch.mean(axis=0), [0.0, 12.75, 17.5, 30.6], atol=0.2)
    with pytest.raises(ValueError, match="num_features must be a positive integer"):
        seed_like_specs(0)
