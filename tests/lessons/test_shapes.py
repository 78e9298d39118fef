"""lessons.shapes: what the Demo's distribution view draws, and that it tells shapes apart at 64 samples."""

from __future__ import annotations

import numpy as np
import pytest

from bn_core.data import FeatureSpec, make_batch
from lessons.shapes import density_curve, histogram_bins, normalized_ticks, output_labels, round_ticks, stage_data


def peaks(values: np.ndarray) -> int:
    """Local maxima of a feature's density that rise above a fifth of its peak."""
    _, density = density_curve(values)
    inner = density[1:-1]
    return int(np.sum((inner > density[:-2]) & (inner > density[2:]) & (inner > 0.2 * density.max())))


def test_bimodal_skewed_and_heavy_tailed_features_look_different_at_64_samples():
    x = make_batch([FeatureSpec("normal", 0, 1), FeatureSpec("bimodal", 0, 1), FeatureSpec("skewed", 0, 1),
                    FeatureSpec("heavy-tailed", 0, 1)], 64, 3)
    assert peaks(x[:, 0]) == 1 and peaks(x[:, 1]) == 2
    grid, density = density_curve(x[:, 2])
    assert grid[np.argmax(density)] < np.median(x[:, 2])  # skewed: the peak sits left of the median
    bins = histogram_bins(x[:, 3])
    counts, _ = np.histogram(x[:, 3], bins=bins)
    assert counts.max() > 3 * np.median(counts[counts > 0])  # heavy tails: a tall centre, sparse far bins


def test_a_density_integrates_to_one_and_a_constant_feature_gets_one_bin():
    grid, density = density_curve(np.random.default_rng(0).normal(size=64))
    assert np.trapezoid(density, grid) == pytest.approx(1, abs=0.01)
    assert len(histogram_bins(np.full(5, 2.0))) == 2


@pytest.mark.parametrize("view", ["samples", "histogram", "density"])
def test_stage_data_is_one_table_leaving_out_what_cannot_be_drawn(view):
    values = np.array([[np.nan, 1.0], [np.nan, 3.0], [np.nan, 8.0]])
    data = stage_data(values, ["c", "v"], view)
    assert set(data.kind) == ({"label", "sample", "summary"} | ({"shape"} if view != "samples" else set()))
    assert list(data[data.kind == "label"].label) == ["c", "v"]
    samples = data[data.kind == "sample"]
    assert list(samples["sample"]) == [1, 2, 3] and set(samples.row) == {1}
    summary = data[data.kind == "summary"].iloc[0]
    assert summary["mean"] == 4.0 and summary["hi"] - summary["lo"] == pytest.approx(2 * values[:, 1].std())
    if view != "samples":
        shape = data[data.kind == "shape"]
        assert set(shape.row) == {1} and shape.height.max() == 1.0


@pytest.mark.parametrize(("reach", "expected"), [
    (0.5, (-1, 0, 1)), (1.6, (-2, -1, 0, 1)), (6.3, (-5, -1, 0, 1)), (20, (-20, -10, 0)),
])
def test_normalized_ticks_label_zero_and_plus_minus_one(reach, expected):
    assert normalized_ticks(np.array([-reach, 0.3, np.nan])) == tuple(float(t) for t in expected)


def test_normalized_ticks_reach_out_on_each_side_as_far_as_its_data():
    # a right-skewed feature: more ticks on its long side, none past either side's reach by half a step
    assert normalized_ticks(np.array([-2.6, 0.0, 5.6])) == (-2.0, -1.0, 0.0, 1.0, 2.0, 4.0, 6.0)
    assert normalized_ticks(np.array([-1.2, 1.2])) == (-1.0, 0.0, 1.0)


def test_output_labels_carry_gamma_and_beta_with_a_true_minus_sign():
    assert output_labels(["F1"], [2.0], [-3.0]) == ["F1 · γ = 2, β = −3"]


@pytest.mark.parametrize(("low", "high", "expected"), [
    (-2.3, 1.8, (-2, -1, 0, 1)), (-0.5, 0.3, (-0.4, -0.2, 0, 0.2)), (25, 35, (26, 28, 30, 32, 34)),
])
def test_round_ticks_are_round_and_label_zero_when_the_range_crosses_it(low, high, expected):
    assert round_ticks(np.array([low, high, np.nan])) == tuple(float(t) for t in expected)


@pytest.mark.parametrize("value", [0.0, 12.5])
def test_a_constant_feature_is_drawn_as_a_spike_at_its_value(value):
    grid, density = density_curve(np.full(8, value))
    assert grid.min() >= value - 0.01 * max(abs(value), 1) and grid.max() <= value + 0.01 * max(abs(value), 1)
    assert np.trapezoid(density, grid) == pytest.approx(1.0, rel=1e-2)
