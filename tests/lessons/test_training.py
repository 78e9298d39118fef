"""lessons.training: stacked training equals training each seed alone; divergence freezes a model."""

from __future__ import annotations

import numpy as np

from bn_core.nn import mlp
from bn_core.toy_data import make_dataset
from lessons.training import batch_indices, evaluate, fit

DATA = make_dataset("moons", 200, noise=0.1, seed=3)


def test_batches_reshuffle_every_epoch_from_each_models_seed():
    idx = batch_indices(10, 4, 5, seeds=[1, 2])
    assert idx.shape == (2, 5, 4)
    assert sorted(idx[0, :2].ravel()) == sorted(set(idx[0, :2].ravel()))  # one epoch: no repeats
    assert not np.array_equal(idx[0], idx[1])


def test_stacked_seeds_train_exactly_as_each_seed_alone():
    seeds = [7, 8, 9]
    stacked = mlp((2, 8, 2), norm="batch", models=3, seed=0)
    alone = [mlp((2, 8, 2), norm="batch", models=1, seed=1) for _ in seeds]
    for s, single in enumerate(alone):
        for p_single, p_stacked in zip(single.parameters(), stacked.parameters(), strict=True):
            p_single[...] = p_stacked[s:s + 1]
    run = fit(stacked, DATA.x_train, DATA.y_train, lr=0.2, steps=30, batch_size=16, seeds=seeds, momentum=0.9)
    for s, single in enumerate(alone):
        single_run = fit(single, DATA.x_train, DATA.y_train, lr=0.2, steps=30, batch_size=16, seeds=[seeds[s]],
                         momentum=0.9)
        np.testing.assert_allclose(single_run.loss[0], run.loss[s], rtol=1e-10)
    assert np.all(run.loss[:, -5:].mean(axis=1) < run.loss[:, :5].mean(axis=1))


def test_a_diverging_model_is_frozen_and_recorded_while_the_others_train():
    model = mlp((2, 16, 16, 2), models=2, seed=0, gain=30.0)
    for p in model.parameters():
        p[0] *= 0.05  # model 0 tame, model 1 explodes
    run = fit(model, DATA.x_train, DATA.y_train, lr=5.0, steps=40, batch_size=32, seeds=[0, 1], max_loss=50.0)
    assert run.diverged_at[1] > 0 and run.diverged_at[0] == 0
    assert np.isnan(run.loss[1, run.diverged_at[1] - 1:]).all()
    loss, accuracy = evaluate(model, DATA.x_test, DATA.y_test)
    assert loss.shape == accuracy.shape == (2,)
