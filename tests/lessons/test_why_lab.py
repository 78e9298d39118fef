"""lessons.why's machinery: stacked seeds, per-model learning rates, the optimizer's real step, per-sample noise,
Santurkar et al.'s gradient probe, the CPU budget and the verdicts computed from results."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from bn_core.nn import SGD, mlp, softmax_cross_entropy
from bn_core.toy_data import make_dataset
from lessons.training import StackedSGD, Step, fit, linears, next_update
from lessons.why import covariate_shift, initialization, learning_rate, regularization, smoothness
from lessons.why.lab import CODE_VERSION, Budget, BudgetExceeded, Lab, code_version, loss_curves, stacked_mlp
from lessons.why.noise import InjectedNoise, set_replay, with_noise

DATA = make_dataset("moons", 120, noise=0.1, seed=2)
TINY = Lab(dataset="moons", n_train=60, depth=2, width=6, steps=12, batch_size=16, n_seeds=3, seed=40)


def test_the_code_version_follows_the_experiments_source(tmp_path):
    for name in ("lessons/why/lab.py", "lessons/training.py", "bn_core/nn.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    before = code_version(tmp_path)
    (tmp_path / "bn_core" / "nn.py").write_text("x = 2\n")
    assert code_version(tmp_path) != before
    assert len(CODE_VERSION) == 16


def test_a_lab_describes_its_seeds_and_network():
    assert TINY.described == "Seeds 40 to 42, 2 hidden layers of 6."
    assert replace(TINY, n_seeds=1, depth=1).described == "Seed 40, 1 hidden layer of 6."


def test_stacked_models_start_from_each_seeds_own_weights_times_the_grid_scale():
    model = stacked_mlp(TINY, "batch", repeats=2, scales=(1.0, 3.0))
    for k, seed in enumerate(TINY.seeds):
        alone = linears(mlp(TINY.widths, models=1, seed=seed))
        for linear, single in zip(linears(model), alone, strict=True):
            np.testing.assert_array_equal(linear.weight[k], single.weight[0])
            np.testing.assert_array_equal(linear.weight[3 + k], 3.0 * single.weight[0])
    plain = stacked_mlp(TINY, "none", repeats=2, scales=(1.0, 3.0))
    for a, b in zip(linears(plain), linears(model), strict=True):
        np.testing.assert_array_equal(a.weight, b.weight)  # with and without BatchNorm: the same start


def test_per_model_learning_rates_train_each_model_as_its_own_sgd():
    rates = [0.05, 0.5]
    stacked = mlp((2, 8, 8, 2), norm="batch", models=2, seed=0)
    singles = [copy.deepcopy(stacked) for _ in rates]
    run = fit(stacked, DATA.x_train, DATA.y_train, lr=rates, steps=25, batch_size=16, seeds=[4, 4], momentum=0.9,
              weight_decay=1e-3)
    for s, (single, lr) in enumerate(zip(singles, rates, strict=True)):
        alone = fit(single, DATA.x_train, DATA.y_train, lr=lr, steps=25, batch_size=16, seeds=[4, 4], momentum=0.9,
                    weight_decay=1e-3)
        np.testing.assert_allclose(run.loss[s], alone.loss[s], rtol=1e-9)
    assert not np.allclose(run.loss[0], run.loss[1])
    with pytest.raises(ValueError, match="positive"):
        StackedSGD(stacked.parameters(), [0.1, -1.0])


@pytest.mark.parametrize("lr", [0.2, [0.1, 0.3]])
def test_next_update_is_the_step_the_optimizer_then_takes(lr):
    model = mlp((2, 6, 2), models=2, seed=1)
    seen = []

    def on_step(current, step: Step) -> None:
        params = [p.copy() for p in current.parameters()]
        if seen:
            before, update = seen[-1]
            for p_new, p_old, u in zip(params, before, update, strict=True):
                np.testing.assert_allclose(p_new - p_old, u, atol=1e-12)
        seen.append((params, next_update(step.optimizer, step.grads)))

    fit(model, DATA.x_train, DATA.y_train, lr=lr, steps=6, batch_size=16, seeds=[0, 1], momentum=0.9,
        weight_decay=0.01, on_step=on_step)
    assert len(seen) == 6
    assert isinstance(SGD(model.parameters(), 0.1), SGD)


def test_a_deep_copy_trains_on_its_own_batch_norm_parameters_included():
    model = mlp((2, 4, 2), norm="batch", models=1, seed=0)
    copied = copy.deepcopy(model)
    copied.parameters()[2][...] = 5.0  # the BatchNorm's gamma
    x = np.broadcast_to(DATA.x_train[:8], (1, 8, 2))
    assert not np.allclose(copied(x), model(x))
    np.testing.assert_array_equal(model.parameters()[2], 1.0)


def test_injected_noise_differs_per_sample_and_per_step_and_can_be_replayed():
    noise = InjectedNoise(0.5, seed=3)
    x = np.ones((2, 64, 3))
    first = noise(x)
    assert first.std(axis=1).min() > 0.1  # each sample its own draw, not one shift per feature
    second = noise(x)
    assert not np.allclose(first, second)  # redrawn every step
    noise.replay = True
    np.testing.assert_array_equal(noise(x), second)
    np.testing.assert_array_equal(noise.backward(np.ones_like(x)), noise.scale)
    noise.eval()
    np.testing.assert_array_equal(noise(x), x)


def test_noisy_networks_put_noise_after_every_batch_norm_and_replay_switches_it():
    model = with_noise(mlp((2, 4, 4, 2), norm="batch", seed=0), 1.0)
    kinds = [type(m).__name__ for m in model.layers]
    assert kinds == ["Linear", "BatchNorm1d", "InjectedNoise", "ReLU"] * 2 + ["Linear"]
    set_replay(model, True)
    assert all(m.replay for m in model.layers if isinstance(m, InjectedNoise))


def test_the_gradient_probe_is_santurkars_definition_with_the_real_step():
    model = mlp((2, 5, 5, 2), models=2, seed=4)
    optimizer = SGD(model.parameters(), 0.3, momentum=0.9)
    optimizer.velocity = [np.full_like(p, 0.1) for p in model.parameters()]  # momentum matters
    x, y = np.broadcast_to(DATA.x_train[:16], (2, 16, 2)), np.broadcast_to(DATA.y_train[:16], (2, 16))
    _, dlogits = softmax_cross_entropy(model(x), y)
    model.backward(dlogits)
    grads = [g.copy() for g in model.gradients()]
    rows = covariate_shift.gradient_shift(model, Step(1, x, y, None, grads, np.ones(2, bool), optimizer))
    assert [layer for layer, _, _ in rows] == [1, 2]
    # The output layer (block 2): both hidden blocks (W1, b1, W2, b2) take -0.3 * (0.9 * 0.1 + g) first.
    moved = copy.deepcopy(model)
    for p, g in zip(moved.parameters()[:4], grads[:4], strict=True):
        p -= 0.3 * (0.9 * 0.1 + g)
    _, dlogits = softmax_cross_entropy(moved(x), y)
    moved.backward(dlogits)
    g_after, g_before = moved.gradients()[4], grads[4]
    change = np.linalg.norm((g_after - g_before).reshape(2, -1), axis=1) / np.linalg.norm(g_before.reshape(2, -1),
                                                                                           axis=1)
    np.testing.assert_allclose(rows[1][1], change, rtol=1e-10)
    assert np.all(rows[1][2] < 1.0)


def test_a_run_past_its_cpu_budget_stops_cleanly_at_a_step():
    with pytest.raises(BudgetExceeded) as stop:
        learning_rate.run(TINY, budget=Budget(0.0))
    assert stop.value.step == 1 and stop.value.steps == TINY.steps
    assert "stopped after" in str(stop.value)


def test_unit_drift_is_the_medians_move_in_starting_spreads():
    frame = pd.DataFrame({"norm": "No norm", "seed": 0, "layer": 1, "unit": [1, 1, 2, 2], "step": [0, 10, 0, 10],
                          "p15": [-1.0, 0.0, -2.0, -2.0], "p50": [0.0, 1.0, 0.0, 0.0], "p85": [1.0, 2.0, 2.0, 2.0]})
    drift = covariate_shift.unit_drift(frame)
    assert drift.drift.tolist() == [0.5]  # unit 1 moved one spread, unit 2 none: median 0.5


def test_verdicts_say_when_the_data_do_not_show_the_claim():
    seeds = list(range(5))
    largest = pd.DataFrame({"norm": ["BatchNorm"] * 5 + ["No norm"] * 5, "seed": seeds * 2,
                            "trained_lr": [3, 3, 1, 1, 1] + [1] * 5})
    text = learning_rate.verdict(largest, TINY).text
    assert "in 2 of 5 seeds" in text and "do not show the claim" in text
    assert "ahead in at least 4 of 5 seeds" in text and "it shows at 4–6 hidden layers" in text  # TINY: depth 2
    at_depth_5 = learning_rate.verdict(largest, replace(TINY, depth=5)).text
    assert "do not show the claim" in at_depth_5 and "4–6 hidden layers" not in at_depth_5
    one_seed = learning_rate.verdict(largest[largest.seed == 2], TINY).text
    assert "ahead in the one seed run" in one_seed and "of 1 seeds" not in one_seed
    largest.loc[2:4, "trained_lr"] = 3
    verdict = learning_rate.verdict(largest, TINY)
    assert verdict.shown and "5 of 5 seeds" in verdict.text and "do not show" not in verdict.text

    paired = pd.DataFrame({"batch_size": [4] * 5, "seed": seeds, "gap": [-0.1] * 5,
                           "test_accuracy": [0.0, 0.0, 0.01, 0.0, 0.0]})
    verdict = regularization.verdict(paired)
    assert not verdict.shown and "closed from the training side" in verdict.text
    assert "did not rise with it in at least 4 of 5 seeds, as a claim needs" in verdict.text
    assert "in the one seed run" in regularization.verdict(paired[paired.seed == 0]).text
    assert not regularization.verdict(paired.assign(test_accuracy=0.01)).shown  # within the test set's noise
    verdict = regularization.verdict(paired.assign(test_accuracy=0.02))
    assert verdict.shown and "regularizing effect" in verdict.text


def test_initialization_verdict_reads_the_worst_scale():
    runs = pd.DataFrame({"norm": np.repeat(["No norm", "BatchNorm"], 10),
                         "scale": np.tile(np.repeat([1.0, 10.0], 5), 2),
                         "seed": list(range(5)) * 4, "diverged": False,
                         "test_accuracy": [0.9] * 5 + [0.5] * 5 + [0.95] * 5 + [0.93] * 5})
    per_seed = runs.groupby(["norm", "seed"]).test_accuracy.agg(worst="min", best="max").reset_index()
    verdict = initialization.verdict(per_seed, runs)
    assert verdict.shown
    assert "BatchNorm 93.0 % at 10×, no norm 50.0 % at 10×" in verdict.text


def test_smoothness_verdict_reads_smoother_but_not_lower_honestly():
    rows = []
    for network, beta, loss in (("No norm", 2.0, 0.2), ("BatchNorm", 1.0, 0.3), (smoothness.NOISY, 1.1, 0.35)):
        for seed in range(5):
            rows.append({"network": network, "seed": seed, "final_loss": loss, "loss range": beta,
                         "gradient change": beta, "β-smoothness": beta})
    verdict = smoothness.verdict(pd.DataFrame(rows))
    assert verdict.shown
    assert "Smoother did not reliably mean a lower training loss: BatchNorm ended lower in only 0 of 5" in verdict.text


def test_regularization_trains_equal_epochs_at_every_batch_size():
    assert regularization.epochs_to_steps(10, 64, 4) == 160
    assert regularization.epochs_to_steps(10, 64, 64) == 10
    assert regularization.epochs_to_steps(10, 64, 256) == 10  # a batch is capped at the training set
    result = regularization.run(replace(TINY, n_train=16, steps=2, width=4), budget=Budget())
    assert sorted(set(result.runs.batch_size)) == [4, 16]


def test_loss_curves_are_block_means_then_seed_bands():
    loss = np.array([[1.0, 3.0, 5.0, 7.0], [3.0, 5.0, np.nan, np.nan]])  # the second seed diverged at step 3
    curves = loss_curves(loss, points=2, network="A")
    assert curves.step.tolist() == [2, 4] and curves.network.tolist() == ["A", "A"]
    assert curves["median"].tolist() == [3.0, 6.0] and curves.low.tolist() == [2.0, 6.0]
    assert curves.high.tolist() == [4.0, 6.0] and curves.seeds.tolist() == [2, 1]
