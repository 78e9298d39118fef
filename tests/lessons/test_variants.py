"""lessons.variants: which values share statistics, checked against what the layers actually compute."""

from __future__ import annotations

import numpy as np
import pytest

from lessons.format import format_number
from lessons.variants import (
    RESIDUALS,
    VARIANTS,
    batch_size_sensitivity,
    cannot_run,
    divisors,
    equivalence_sentence,
    equivalences,
    facts_table,
    group_ids,
    image_population,
    normalize,
    normalize_all,
    residual_spreads,
    same_data,
    sensitivity_missing,
    sensitivity_table,
    sensitivity_verdict,
    sharing_mask,
    single_vector_sentence,
    synthetic_images,
    variant_facts,
)

SHAPES = [((3, 4, 5), 2), ((2, 6, 3), 3), ((4, 6, 2), 1), ((2, 4, 3), 4)]


def changed_by(variant: str, x: np.ndarray, num_groups: int, cell: tuple[int, int, int]) -> np.ndarray:
    """Which outputs move when the single input value at `cell` moves: exactly its statistic's set."""
    bumped = x.copy()
    bumped[cell] += 0.37
    return ~np.isclose(normalize(variant, x, num_groups), normalize(variant, bumped, num_groups), rtol=0, atol=1e-12)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("shape", "num_groups"), SHAPES)
def test_sharing_mask_is_what_the_layer_normalizes_together(variant, shape, num_groups):
    x = np.random.default_rng(1).normal(size=shape)
    for cell in [(0, 0, 0), tuple(d - 1 for d in shape), (shape[0] // 2, shape[1] // 2, 1)]:
        np.testing.assert_array_equal(
            sharing_mask(variant, shape, num_groups, cell), changed_by(variant, x, num_groups, cell)
        )


@pytest.mark.parametrize("variant", ["BatchNorm", "LayerNorm", "InstanceNorm", "GroupNorm"])
@pytest.mark.parametrize(("shape", "num_groups"), SHAPES)
def test_every_set_has_mean_zero_and_unit_variance(variant, shape, num_groups):
    x = np.random.default_rng(2).normal(3.0, 2.0, size=shape)
    # PyTorch refuses eps = 0 for batch norm in training; 1e-15 moves the variance by far less than 1e-12.
    y = normalize(variant, x, num_groups, eps=1e-15)
    ids = group_ids(variant, shape, num_groups)
    for k in np.unique(ids):
        values = y[ids == k]
        assert abs(values.mean()) < 1e-12
        assert values.var() == pytest.approx(1.0, abs=1e-12)


def test_rms_norm_sets_have_unit_root_mean_square_and_keep_their_mean():
    x = np.random.default_rng(3).normal(2.0, 1.0, size=(3, 4, 5))
    y = normalize("RMSNorm", x, eps=0.0)
    ids = group_ids("RMSNorm", x.shape)
    for k in np.unique(ids):
        assert np.sqrt(np.mean(y[ids == k] ** 2)) == pytest.approx(1.0, abs=1e-12)
        assert y[ids == k].mean() > 0.5  # no mean subtraction


def test_group_ids_spelled_out_for_a_small_tensor():
    shape = (2, 4, 3)
    n, c, _ = np.indices(shape)
    np.testing.assert_array_equal(group_ids("BatchNorm", shape), c)
    np.testing.assert_array_equal(group_ids("LayerNorm", shape), n)
    np.testing.assert_array_equal(group_ids("RMSNorm", shape), n)
    np.testing.assert_array_equal(group_ids("InstanceNorm", shape), n * 4 + c)
    np.testing.assert_array_equal(group_ids("GroupNorm", shape, 2), n * 2 + (c >= 2))


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("shape", "num_groups"), SHAPES)
def test_facts_count_the_sets_and_their_size(variant, shape, num_groups):
    facts = variant_facts(variant, shape, num_groups)
    ids, counts = np.unique(group_ids(variant, shape, num_groups), return_counts=True)
    assert facts.num_stats == len(ids)
    assert set(counts) == {facts.group_size}


@pytest.mark.parametrize("variant", VARIANTS)
def test_batch_dependence_fact_matches_the_layer(variant):
    shape = (3, 4, 5)
    x = np.random.default_rng(4).normal(size=shape)
    others = x.copy()
    others[1:] = others[1:] * 3.0 + 1.0
    moved = not np.allclose(normalize(variant, x, 2)[0], normalize(variant, others, 2)[0], rtol=0, atol=1e-12)
    assert variant_facts(variant, shape, 2).batch_dependent == moved
    assert variant_facts(variant, shape, 2).differs_at_inference == (variant == "BatchNorm")


@pytest.mark.parametrize(("shape", "num_groups"), [((2, 6, 3), 4), ((2, 6, 3), 0), ((0, 6, 3), 1), ((2, 6), 1)])
def test_bad_shapes_and_groups_raise(shape, num_groups):
    with pytest.raises(ValueError):
        group_ids("GroupNorm", shape, num_groups)


def test_unknown_variant_raises():
    with pytest.raises(ValueError, match="unknown variant"):
        group_ids("WeightNorm", (2, 2, 2))
    with pytest.raises(ValueError, match="unknown variant"):
        normalize("WeightNorm", np.ones((2, 2, 2)))


def test_normalize_all_reports_the_layers_that_cannot_run():
    outputs = normalize_all(np.random.default_rng(5).normal(size=(1, 4, 1)), num_groups=2)
    assert "Expected more than 1 value per channel" in outputs["BatchNorm"]
    assert "Expected more than 1 spatial element" in outputs["InstanceNorm"]
    assert outputs["LayerNorm"].shape == (1, 4, 1)
    assert outputs["GroupNorm"].shape == (1, 4, 1)


def test_synthetic_images_are_reproducible_and_carry_channel_offsets():
    x = synthetic_images((4, 3, 5), seed=7)
    assert x.shape == (4, 3, 5)
    np.testing.assert_array_equal(x, synthetic_images((4, 3, 5), seed=7))
    assert not np.array_equal(x, synthetic_images((4, 3, 5), seed=8))
    population = image_population(3, seed=7)
    big = population.sample(4000, 5, np.random.default_rng(0))
    np.testing.assert_allclose(big.mean(axis=(0, 2)), population.offsets, atol=0.15)
    assert np.sort(population.offsets).tolist() == pytest.approx([-6.0, 0.0, 6.0])


def test_each_layer_removes_its_kind_of_variation():
    x = synthetic_images((6, 4, 9), seed=0)
    left = {name: residual_spreads(normalize(name, x, 2)) for name in VARIANTS}
    before = residual_spreads(x)
    assert min(before.values()) > 0.05
    assert left["BatchNorm"]["channel offset"] < 1e-12 < 0.1 < left["BatchNorm"]["sample brightness"]
    assert left["LayerNorm"]["sample brightness"] < 1e-12 < 0.1 < left["LayerNorm"]["channel offset"]
    assert left["LayerNorm"]["sample contrast"] < 1e-6
    assert max(left["InstanceNorm"].values()) < 1e-3
    assert left["GroupNorm"]["sample brightness"] < 1e-12
    assert left["RMSNorm"]["sample brightness"] > 0.05  # it divides but never subtracts


def test_spreads_by_hand():
    y = np.arange(8.0).reshape(2, 2, 2)
    spreads = residual_spreads(y)
    assert spreads["sample brightness"] == pytest.approx(np.std([1.5, 5.5]))
    assert spreads["channel offset"] == pytest.approx(np.std([2.5, 4.5]))
    assert spreads["per-image channel offset"] == pytest.approx(np.std([0.5, 2.5, 4.5, 6.5]))
    assert spreads["sample contrast"] == pytest.approx(0.0)


def test_batch_size_sensitivity_only_batch_norm_moves():
    sizes = (1, 2, 8, 64)
    spreads = batch_size_sensitivity(4, 3, 2, batch_sizes=sizes, trials=12)
    bn = spreads["BatchNorm"]
    assert bn[0] < 1e-12  # a batch of one image: BatchNorm is InstanceNorm
    assert bn[1] > 0.2 and bn[3] < bn[1] / 3
    for name in ("LayerNorm", "InstanceNorm", "GroupNorm", "RMSNorm"):
        assert np.all(spreads[name] < 1e-12)


def test_batch_size_sensitivity_marks_layers_that_cannot_run():
    spreads = batch_size_sensitivity(4, 1, 2, batch_sizes=(1, 2), trials=3)
    assert np.isnan(spreads["InstanceNorm"]).all()
    assert np.isnan(spreads["BatchNorm"][0]) and spreads["BatchNorm"][1] > 0


def test_equivalences():
    x = synthetic_images((3, 6, 4), seed=1)
    eq = equivalences(x)
    assert eq.group1_vs_layer < 1e-12
    assert eq.group_c_vs_instance < 1e-12
    assert eq.batch1_vs_instance < 1e-12
    assert "Expected more than 1 value per channel when training" in eq.batch_norm_single_error
    vector = x[0, :, 0]
    np.testing.assert_allclose(eq.single_vector[0], vector)
    np.testing.assert_allclose(
        eq.layer_norm_single[0], (vector - vector.mean()) / np.sqrt(vector.var() + 1e-5), rtol=0, atol=1e-12
    )


def test_equivalences_without_spatial_positions():
    eq = equivalences(synthetic_images((3, 6, 1), seed=1))
    assert eq.group_c_vs_instance is None and eq.batch1_vs_instance is None
    assert eq.group1_vs_layer < 1e-12


def test_facts_table_says_rms_norm_has_no_mean_and_no_beta():
    table = facts_table((2, 4, 3), 2).set_index("Layer")
    assert table.loc["RMSNorm", "Subtracts the mean"] == "no"
    assert "no β" in table.loc["RMSNorm", "γ / β shape (torch defaults)"]
    assert (table.drop("RMSNorm")["Subtracts the mean"] == "yes").all()
    assert "affine=False" in table.loc["InstanceNorm", "γ / β shape (torch defaults)"]
    assert "tracks running statistics" in table.loc["InstanceNorm", "Differs at inference"]
    assert "_" not in "".join(table.astype(str).to_numpy().ravel())  # words, not torch's argument names
    assert "per element" in table.loc["LayerNorm", "γ / β shape (torch defaults)"]
    assert "per channel" in table.loc["GroupNorm", "γ / β shape (torch defaults)"]
    assert not any("_" in column for column in table.columns)


def test_same_data_lists_what_each_layer_removed():
    lesson = same_data((3, 4, 5), 2, seed=3)
    removed = lesson.spreads["removed"]
    assert removed["Input"] == "—"
    assert removed["InstanceNorm"] == ", ".join(RESIDUALS)  # per (n, c): every kind of variation goes
    assert "channel offset" in removed["BatchNorm"] and "sample brightness" in removed["LayerNorm"]
    assert lesson.errors == {}
    assert set(same_data((3, 4, 1), 2).errors) == {"InstanceNorm"}


def test_sensitivity_verdict_is_computed_from_the_table():
    spreads = batch_size_sensitivity(4, 3, 2, batch_sizes=(1, 2, 16), trials=8, seed=1)
    table = sensitivity_table(spreads, (1, 2, 16))
    verdict = sensitivity_verdict(table)
    assert format_number(table.loc[2, "BatchNorm"], 3) in verdict
    assert format_number(table.loc[16, "BatchNorm"], 3) in verdict
    assert "At B = 1 it normalizes like InstanceNorm" in verdict
    assert "LayerNorm, InstanceNorm, GroupNorm, RMSNorm: spread 0" in verdict


def test_a_layer_that_cannot_run_is_not_read_as_spread_zero():
    spreads = batch_size_sensitivity(4, 1, 2, batch_sizes=(1, 2, 16), trials=8, seed=1)  # H·W = 1: no InstanceNorm
    table = sensitivity_table(spreads, (1, 2, 16))
    assert table["InstanceNorm"].isna().all()
    assert "LayerNorm, GroupNorm, RMSNorm: spread 0" in sensitivity_verdict(table)


def test_equivalence_and_single_vector_sentences():
    eq = equivalences(synthetic_images((3, 6, 4), seed=1))
    assert "GroupNorm(G = 1) and LayerNorm: 0" in equivalence_sentence(eq)
    assert "needs H·W ≥ 2" in equivalence_sentence(equivalences(synthetic_images((3, 6, 1), seed=1)))
    assert ("raises `ValueError: Expected more than 1 value per channel when training, got input size "
            "torch.Size([1, 6])`;") in single_vector_sentence(eq)  # PyTorch's words
    assert "None" not in single_vector_sentence(eq)


def test_at_eps_zero_batch_norm_is_left_out_with_the_reason():
    eq = equivalences(synthetic_images((3, 6, 4), seed=1), eps=0.0)
    assert "BatchNorm on 1 image and InstanceNorm: BatchNorm needs ε > 0 in training" in equivalence_sentence(eq)
    assert "GroupNorm(G = C) and InstanceNorm: 0" in equivalence_sentence(eq)
    assert "Expected more than 1 value per channel" in single_vector_sentence(eq)  # torch checks this first


@pytest.mark.parametrize(("variant", "error", "remedy"), [
    ("BatchNorm", "batch_norm eps must be positive during training, but got 0.0: …", "Pick ε > 0"),
    ("BatchNorm", "Expected more than 1 value per channel when training, got …", "Increase N or H·W"),
    ("InstanceNorm", "Expected more than 1 spatial element when training, got …", "Increase H·W to"),
])
def test_a_layer_that_cannot_run_says_what_to_change(variant, error, remedy):
    assert remedy in cannot_run(variant, error)


def test_missing_sensitivity_points_are_explained_by_their_cause():
    def table(spatial, eps):
        return sensitivity_table(batch_size_sensitivity(3, spatial, 1, trials=2, eps=eps))
    assert sensitivity_missing(table(4, 1e-5), 1e-5) is None
    assert "refuses ε = 0" in sensitivity_missing(table(4, 0.0), 0.0)
    assert "InstanceNorm" not in sensitivity_missing(table(4, 0.0), 0.0)
    only_spatial = sensitivity_missing(table(1, 1e-5), 1e-5)
    assert "InstanceNorm needs H·W ≥ 2" in only_spatial and "batch size × H·W ≥ 2" in only_spatial


def test_divisors_are_the_group_counts_group_norm_accepts():
    assert divisors(12) == (1, 2, 3, 4, 6, 12)
    assert divisors(7) == (1, 7)
