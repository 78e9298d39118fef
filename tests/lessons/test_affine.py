"""lessons.affine: statistics shared, affine parameters not; InstanceNorm's running statistics; LayerNorm per
token. Golden values from torch 2.13 (computed with /work/torchenv, see the comments)."""

from __future__ import annotations

import numpy as np
import pytest

from bn_core.functional import batch_norm
from lessons.affine import (
    affine_comparison,
    affine_sentence,
    instance_norm_eval,
    instance_running_stats,
    token_layer_norm,
)
from lessons.format import markdown_table
from lessons.variants import synthetic_images


def golden_batches() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.normal(2.0, 3.0, (3, 2, 4)) for _ in range(3)]


def test_instance_running_stats_match_torch():
    # torch.nn.InstanceNorm1d(2, track_running_stats=True) in float64 on golden_batches(), then eval() on the first.
    running_mean, running_var = instance_running_stats(golden_batches())
    np.testing.assert_allclose(running_mean, [0.6903108368981122, 0.551888961961862], rtol=0, atol=1e-12)
    np.testing.assert_allclose(running_var, [2.591899285628811, 3.1360357638831893], rtol=0, atol=1e-12)
    y = batch_norm(golden_batches()[0], running_mean=running_mean, running_var=running_var, training=False)
    np.testing.assert_allclose(y[0, 0], [1.0477899913651756, 0.5673342707810405, 2.0068794908125933,
                                         1.0089747051430222], rtol=0, atol=1e-12)


def test_instance_norm_with_running_stats_leaves_per_image_offsets_in_eval():
    table = instance_norm_eval((4, 3, 5), seed=2).table.set_index("layer in eval mode")
    offsets = table["spread of per-image channel means"]
    assert offsets.iloc[0] < 1e-12  # default: each image normalized by its own statistics
    assert offsets.iloc[1] > 0.1  # running statistics: the batch's images keep their own offsets


def test_group_norm_shares_statistics_but_not_parameters():
    x = synthetic_images((3, 4, 5), seed=1)
    comparison = affine_comparison(x)
    table = comparison.table
    assert (table["largest |Δ| of x̂"] < 1e-12).all()
    assert table["GroupNorm's learnable numbers"].tolist() == [8, 8, 8]
    assert table["its learnable numbers"].tolist() == [2 * 4 * 5, 0, 8]
    assert comparison.layer_gamma_residual > 0.05  # an elementwise γ is not a per-channel one


def test_a_per_channel_gamma_is_matched_exactly():
    # If LayerNorm's γ were constant over positions, GroupNorm(G = 1) could express it: the residual would be 0.
    x = synthetic_images((2, 3, 1), seed=0)  # S = 1: elementwise and per-channel γ coincide
    assert affine_comparison(x).layer_gamma_residual < 1e-12
    assert len(affine_comparison(x).table) == 1  # InstanceNorm cannot run with S = 1


def test_layer_norm_normalizes_each_token_alone():
    tokens = token_layer_norm((2, 4, 8), seed=3)
    np.testing.assert_allclose(tokens.per_token["output mean"], 0, atol=1e-12)
    np.testing.assert_allclose(tokens.per_token["output std"], 1, atol=1e-3)  # eps keeps it just below 1
    assert len(tokens.per_token) == 2 * 4
    assert tokens.per_token["token"].tolist() == [1, 2, 3, 4] * 2
    moved = list(tokens.moved.values())
    assert moved[0] == 0
    assert moved[1] > 0.1


@pytest.mark.parametrize("seed", range(4))
def test_the_token_table_reads_0_for_every_output_mean_not_rounding_noise(seed):
    table = markdown_table(token_layer_norm((2, 4, 8), seed=seed).per_token)
    output_means = [row.split("|")[5].strip() for row in table.splitlines()[2:]]
    assert output_means == ["0"] * 8


@pytest.mark.parametrize("shape", [(2, 4, 8), (1, 3, 5)])
def test_token_statistics_are_per_token_for_any_shape(shape):
    tokens = token_layer_norm(shape)
    assert len(tokens.per_token) == shape[0] * shape[1]


@pytest.mark.parametrize("shape, says", [((4, 6, 4), "still misses its output by up to"),
                                         ((4, 6, 1), "matches its output up to rounding"),
                                         ((1, 1, 1), "has nothing to match")])
def test_the_affine_sentence_tells_a_real_miss_from_rounding(shape, says):
    """At H·W = 1 an elementwise γ is a per-channel γ: a residual of 4×10⁻¹⁶ is rounding, not a miss."""
    assert says in affine_sentence(affine_comparison(synthetic_images(shape, 0)))
