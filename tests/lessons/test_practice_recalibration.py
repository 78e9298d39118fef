"""lessons.recalibration: the EMA replay equals BatchNorm's own running statistics; PreciseBN recovers the
population statistics and closes the gap that lagging EMA statistics leave."""

from __future__ import annotations

import numpy as np
import pytest

from bn_core.nn import mlp
from bn_core.stats import batch_mean, batch_var
from bn_core.toy_data import make_dataset
from lessons.format import format_number
from lessons.practice import batches_needed_reading, momentum_table, recalibration_reading
from lessons.recalibration import (
    Recalibration,
    batch_norm_layers,
    batches_needed,
    population_statistics,
    precise_statistics,
    read_statistics,
    recalibrate,
    snapshot,
    train_with_checkpoints,
    with_statistics,
)
from lessons.training import fit

SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def trace():
    return train_with_checkpoints(steps=100, every=20, seeds=SEEDS)


def test_tracked_ema_equals_the_running_statistics_of_a_model_trained_with_that_momentum(trace):
    data = make_dataset("moons", 400, noise=0.15, seed=0)
    model = mlp((2, 16, 16, 2), norm="batch", models=len(SEEDS), seed=0, momentum=0.03)
    fit(model, data.x_train, data.y_train, lr=0.3, steps=100, batch_size=16, seeds=list(SEEDS), momentum=0.9)
    for (mean, var), (replayed_mean, replayed_var) in zip(read_statistics(model), trace.ema[0.03][-1], strict=True):
        np.testing.assert_allclose(replayed_mean, mean, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(replayed_var, var, rtol=1e-10)


def test_population_statistics_are_the_full_training_sets_statistics(trace):
    model = trace.models[-1]
    mean, var = population_statistics(model, trace.x_train)[0]
    first_linear = model.layers[0]
    hidden = np.broadcast_to(trace.x_train, (len(SEEDS), *trace.x_train.shape)) @ first_linear.weight
    hidden = hidden + first_linear.bias[:, None, :]
    np.testing.assert_allclose(mean, batch_mean(hidden, (1,)), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(var, batch_var(hidden, (1,), ddof=1), rtol=1e-10)


def test_with_statistics_changes_a_copy_only(trace):
    model = trace.models[0]
    before = read_statistics(model)
    target = [(m + 1.0, v * 2.0) for m, v in before]
    copied = with_statistics(model, target)
    np.testing.assert_array_equal(read_statistics(copied)[1][0], target[1][0])
    np.testing.assert_array_equal(read_statistics(model)[1][0], before[1][0])
    assert len(batch_norm_layers(copied)) == 2


def test_precise_bn_closes_the_gap_that_lagging_ema_statistics_leave(trace):
    result = recalibrate(trace, momentum=0.01, batches=16)
    ema_gap = np.abs(result.ema_loss - result.population_loss).mean()
    precise_gap = np.abs(result.precise_loss - result.population_loss).mean()
    assert ema_gap > 0.2  # the EMA still remembers the network of many steps ago
    assert precise_gap < ema_gap / 5
    assert result.precise_accuracy.mean() > result.ema_accuracy.mean() + 0.03


def test_a_few_recalibration_batches_suffice(trace):
    gaps = np.abs(batches_needed(trace, counts=(1, 8, 64))).mean(axis=0)
    assert gaps[2] < gaps[0]
    assert gaps[1] < 0.05


def test_a_snapshot_computes_what_the_model_computes(trace):
    model = trace.models[-1]
    lean = snapshot(model, momentum=1.0)
    assert not hasattr(lean.layers[0], "out")  # no activations kept from training
    x = np.broadcast_to(trace.x_test, (len(SEEDS), *trace.x_test.shape))
    np.testing.assert_array_equal(lean.eval()(x), model.eval()(x))


def test_precise_statistics_leave_the_model_untouched(trace):
    model = trace.models[-1]
    before = read_statistics(model)
    precise_statistics(model, trace.x_train, 4)
    for (m0, v0), (m1, v1) in zip(before, read_statistics(model), strict=True):
        np.testing.assert_array_equal(m0, m1)
        np.testing.assert_array_equal(v0, v1)


def test_the_batches_needed_are_those_from_which_every_larger_count_stays_close():
    counts = (1, 2, 4, 8, 16)
    bump = np.array([[0.09, 0.03, 0.006, 0.018, 0.004]])  # under 0.01 at 4 batches, over it again at 8
    assert batches_needed_reading(counts, bump, 200).startswith("At step 200, from 16 batches (512 samples) on")
    assert batches_needed_reading(counts, np.full((1, 5), 0.001), 200).startswith("At step 200, from 1 batch (32")
    assert batches_needed_reading(counts, bump[:, ::-1], 200).startswith("At step 200, none of the counts")


def test_the_reading_and_the_momentum_table_give_the_ema_the_same_cost():
    population = np.full((5, 2), 0.3)
    # five seeds, two checkpoints: each checkpoint's median gap is 0, yet four seeds lose 0.5 on average
    ema = population + np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    result = Recalibration(np.arange(2), 0.01, 8, ema, population + 0.001, population, ema * 0, ema * 0)
    table = momentum_table({0.01: ema - population})
    cost = format_number(table["extra test loss, mean over checkpoints"][0], 2)
    assert f"Averaged over the checkpoints the EMA costs {cost} in test loss" in recalibration_reading(result)


def test_the_reading_names_the_weight_the_ema_still_gives_its_start_values():
    population = np.full((5, 2), 0.3)
    ema = population + np.array([0.1, 0.7])  # worst at the second checkpoint, step 60
    at = {momentum: recalibration_reading(Recalibration(np.array([20, 60]), momentum, 1, ema, population,
                                                        population, ema * 0, ema * 0)) for momentum in (0.01, 0.5)}
    assert "By then the EMA still gives 54.7\u00a0% of its weight to its start values" in at[0.01]  # 0.99⁶⁰
    assert "start values" not in at[0.5]  # 0.5⁶⁰
    assert "PreciseBN over 1 batch 0.3" in at[0.01]
