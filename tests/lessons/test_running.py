"""lessons.running: streams of batches, running statistics and the train/inference experiments."""

from __future__ import annotations

import pathlib
from dataclasses import replace

import numpy as np
import pytest

from bn_core.batchnorm import BatchNorm
from bn_core.data import SEED_EXAMPLE_BATCH, standard_sample
from bn_core.functional import batch_norm
from lessons import training_text
from lessons.running import (
    BATCH_SIZES,
    STREAM_BATCH_SIZES,
    Population,
    StreamSettings,
    batch_size_spread,
    batch_size_table,
    draw_stream,
    effective_window,
    eval_gap,
    exact_running_statistics,
    inference_shift,
    initial_weight,
    lag_gap,
    last_step_table,
    make_layer,
    mismatch_scenarios,
    mismatch_table,
    population_variance,
    same_sample_in_batches,
    simulate_stream,
    single_sample,
    stream_training_error,
    train_on_stream,
    variance_bias,
)
from lessons.torch_errors import TORCH_ZERO_EPS_ERROR, pytorch_training_error

# torch 2.13: nn.BatchNorm1d(4).double() after the seed batch's rows 0-3, then rows 4-7, in training mode.
TORCH_AFTER_TWO_BATCHES = {
    0.1: (
        [-0.014799999999999987, 2.4179000000000004, 3.3153249999999996, 5.821300000000001],
        [2.345300166666667, 1.8340535000000007, 4.5946222500000005, 4.316733333333332],
    ),
    None: (
        [-0.1137499999999999, 12.748750000000001, 17.52125, 30.602500000000003],
        [7.909795833333334, 5.426829166666669, 19.715312500000003, 18.676983333333325],
    ),
}

POPULATION = Population((5.0, -2.0), (2.0, 0.5), "sudden", mean_shift=2.0, std_factor=1.5, shift_step=40)


def ema(values: np.ndarray, momentum: float, start: float) -> np.ndarray:
    """Independent exponential moving average of values (S, C), PyTorch's convention, from `start`."""
    out, running = np.empty_like(values), np.full(values.shape[1], start)
    for t, value in enumerate(values):
        running = (1 - momentum) * running + momentum * value
        out[t] = running
    return out


@pytest.mark.parametrize("momentum", [0.1, None])
def test_train_on_stream_matches_torch(momentum):
    layer = BatchNorm(4, momentum=momentum)
    running_mean, running_var = train_on_stream(layer, SEED_EXAMPLE_BATCH.reshape(2, 4, 4))
    torch_mean, torch_var = TORCH_AFTER_TWO_BATCHES[momentum]
    np.testing.assert_allclose(running_mean[-1], torch_mean, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(running_var[-1], torch_var, rtol=1e-13)
    assert layer.num_batches_tracked == 2


def test_population_drift_schedules():
    none = Population((1.0,), (2.0,))
    mean, std = none.moments(4)
    np.testing.assert_array_equal(mean, [[1.0]] * 4)
    np.testing.assert_array_equal(std, [[2.0]] * 4)
    linear = Population((1.0,), (2.0,), "linear", mean_shift=3.0, std_factor=2.0)
    mean, std = linear.moments(5)
    np.testing.assert_allclose(mean[:, 0], 1.0 + 2.0 * 3.0 * np.array([0, 0.25, 0.5, 0.75, 1.0]))
    np.testing.assert_allclose(std[:, 0], 2.0 * (1 + np.array([0, 0.25, 0.5, 0.75, 1.0])))
    sudden = Population((1.0,), (2.0,), "sudden", mean_shift=-1.0, std_factor=0.5, shift_step=2)
    mean, std = sudden.moments(4)
    np.testing.assert_allclose(mean[:, 0], [1.0, 1.0, -1.0, -1.0])
    np.testing.assert_allclose(std[:, 0], [2.0, 2.0, 1.0, 1.0])
    deployed = sudden.deployed(4, mean_shift=1.0, std_factor=3.0)
    assert deployed == Population((0.0,), (3.0,))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mean": (), "std": ()},
        {"mean": (0.0,), "std": (1.0, 2.0)},
        {"mean": (0.0,), "std": (0.0,)},
        {"mean": (np.nan,), "std": (1.0,)},
        {"mean": (0.0,), "std": (1.0,), "drift": "wobbly"},
        {"mean": (0.0,), "std": (1.0,), "std_factor": 0.0},
        {"mean": (0.0,), "std": (1.0,), "shift_step": -1},
    ],
)
def test_population_rejects_bad_input(kwargs):
    with pytest.raises(ValueError):
        Population(**kwargs)


def test_stream_settings_reject_bad_input():
    for kwargs in (
        {"batch_size": 0},
        {"steps": 0},
        {"batch_size": 2.5},
        {"convention": "jax"},
        {"convention": "keras", "momentum": None},
    ):
        with pytest.raises(ValueError):
            StreamSettings(POPULATION, **kwargs)


def test_a_feature_keeps_its_stream_when_features_are_added():
    def settings(num_features: int) -> StreamSettings:
        means, stds = (5.0, -2.0, 10.0, 0.0), (2.0, 0.5, 3.0, 1.0)
        return StreamSettings(replace(POPULATION, mean=means[:num_features], std=stds[:num_features]), seed=4)

    streams = [draw_stream(settings(c)) for c in (1, 2, 3, 4)]
    for fewer, more in zip(streams, streams[1:], strict=False):
        np.testing.assert_array_equal(fewer, more[..., :-1])
    # From two features on, numpy reduces each column the same way, so the statistics (the charts' data) are
    # bit-identical; one feature alone is a contiguous sum, equal to rounding.
    two, four = simulate_stream(settings(2)), simulate_stream(settings(4))
    for name in ("batch_mean", "batch_var_biased", "running_mean", "running_var"):
        np.testing.assert_array_equal(getattr(two, name), getattr(four, name)[:, :2])


def test_stream_histories_against_independent_numpy():
    settings = StreamSettings(POPULATION, batch_size=8, steps=120, momentum=0.2, seed=3)
    run = simulate_stream(settings)
    true_mean, true_std = POPULATION.moments(120)
    z = np.stack([np.random.default_rng((3, j)).standard_normal((120, 8)) for j in range(2)], axis=-1)
    batches = true_mean[:, None, :] + true_std[:, None, :] * z
    np.testing.assert_array_equal(batches, draw_stream(settings))
    np.testing.assert_allclose(run.batch_mean, batches.mean(axis=1), rtol=1e-13)
    np.testing.assert_allclose(run.batch_var_biased, batches.var(axis=1), rtol=1e-12)
    np.testing.assert_allclose(run.batch_var_unbiased, batches.var(axis=1, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(run.running_mean, ema(batches.mean(axis=1), 0.2, 0.0), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(run.running_var, ema(batches.var(axis=1, ddof=1), 0.2, 1.0), rtol=1e-12)
    np.testing.assert_allclose(run.true_var, true_std**2)
    np.testing.assert_array_equal(run.layer.running_mean, run.running_mean[-1])


def test_cumulative_average_is_the_plain_mean_of_all_batches():
    run = simulate_stream(StreamSettings(POPULATION, batch_size=4, steps=60, momentum=None))
    count = np.arange(1, 61)[:, None]
    np.testing.assert_allclose(run.running_mean, np.cumsum(run.batch_mean, axis=0) / count, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(run.running_var, np.cumsum(run.batch_var_unbiased, axis=0) / count, rtol=1e-12)


@pytest.mark.parametrize("m", [2, 4, 16])
def test_keras_running_variance_is_biased_by_m_minus_one_over_m(m):
    """Keras averages biased variances, PyTorch unbiased ones: K_t = (m-1)/m P_t + (1-a)^t / m exactly."""
    settings = StreamSettings(POPULATION, batch_size=m, steps=50, momentum=0.1)
    pytorch, keras = simulate_stream(settings), simulate_stream(replace(settings, convention="keras"))
    np.testing.assert_allclose(keras.running_mean, pytorch.running_mean, rtol=1e-12, atol=1e-13)
    start_weight = 0.9 ** np.arange(1, 51)[:, None]
    np.testing.assert_allclose(keras.running_var, (m - 1) / m * pytorch.running_var + start_weight / m, rtol=1e-11)
    assert keras.layer.eps == pytorch.layer.eps == 1e-5
    bias = variance_bias(pytorch, keras)
    assert bias.expected_ratio == (m - 1) / m
    assert bias.measured_ratio == pytest.approx((m - 1) / m, abs=0.9**25 / m + 1e-12)
    assert bias.output_widening == pytest.approx(np.sqrt(m / (m - 1)) - 1)


def test_batch_of_one_raises_in_pytorch_and_zeroes_keras_variance():
    settings = StreamSettings(POPULATION, batch_size=1, steps=30)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        simulate_stream(settings)
    keras = simulate_stream(replace(settings, convention="keras"))
    assert np.isnan(keras.batch_var_unbiased).all()
    np.testing.assert_allclose(keras.running_var[-1], 0.9**30)  # every biased variance of one value is 0


def test_make_layer_conventions():
    assert make_layer(3, momentum=0.1, eps=1e-3, convention="keras").convention == "keras"
    with pytest.raises(ValueError, match="no Keras equivalent"):
        make_layer(3, momentum=None, eps=1e-5, convention="keras")


def test_window_and_initial_weight():
    assert effective_window(0.1, 300) == pytest.approx(19.0)
    assert effective_window(1.0, 300) == pytest.approx(1.0)
    assert effective_window(None, 300) == 300
    assert initial_weight(0.1, 10) == pytest.approx(0.9**10)
    assert initial_weight(None, 10) == 0.0


@pytest.fixture(scope="module")
def trained():
    return simulate_stream(StreamSettings(POPULATION, batch_size=8, steps=100, momentum=0.1, seed=1))


def test_single_sample_eval_and_training(trained):
    sample = single_sample(trained)
    layer = trained.layer
    expected = (sample.x - layer.running_mean) / np.sqrt(layer.running_var + layer.eps)
    np.testing.assert_allclose(sample.eval_output, expected, rtol=1e-12)
    mean, var = trained.true_mean[-1], trained.true_var[-1]
    np.testing.assert_allclose(sample.population_output, (sample.x - mean) / np.sqrt(var + 1e-5), rtol=1e-12)
    assert sample.train_error == ("Expected more than 1 value per channel when training, got input size "
                                  "torch.Size([1, 2])")
    np.testing.assert_array_equal(sample.keras_train_output, [0.0, 0.0])
    assert layer.training, "the cached layer must not be switched to eval mode"


def test_same_sample_differs_in_training_and_not_in_eval(trained):
    result = same_sample_in_batches(trained, num_batches=6)
    assert result.batches.shape == (6, 8, 2)
    np.testing.assert_array_equal(result.batches[:, 0], np.tile(result.x, (6, 1)))
    for batch, train_out in zip(result.batches, result.train_outputs, strict=True):
        mean, var = batch.mean(axis=0), batch.var(axis=0)
        np.testing.assert_allclose(train_out, (result.x - mean) / np.sqrt(var + 1e-5), rtol=1e-12)
    assert (result.train_outputs.std(axis=0) > 0.05).all()
    np.testing.assert_array_equal(result.eval_outputs, np.tile(result.eval_outputs[0], (6, 1)))
    with pytest.raises(ValueError):
        same_sample_in_batches(
            simulate_stream(StreamSettings(POPULATION, batch_size=1, steps=5, convention="keras", momentum=0.1))
        )


def test_inference_shift_is_zero_with_the_true_statistics():
    layer = BatchNorm(2)
    layer.running_mean, layer.running_var = np.array([3.0, -1.0]), np.array([4.0, 0.25])
    right = inference_shift("right", layer, Population((3.0, -1.0), (2.0, 0.5)))
    np.testing.assert_allclose(right.output_mean, 0.0, atol=1e-15)
    np.testing.assert_allclose(right.output_std, np.sqrt([4.0, 0.25]) / np.sqrt([4.0 + 1e-5, 0.25 + 1e-5]))
    wrong = inference_shift("wrong", layer, Population((5.0, -1.0), (2.0, 1.0)))
    np.testing.assert_allclose(wrong.output_mean, [2.0 / np.sqrt(4.0 + 1e-5), 0.0], atol=1e-15)
    np.testing.assert_allclose(wrong.output_std, [2.0 / np.sqrt(4 + 1e-5), 1.0 / np.sqrt(0.25 + 1e-5)])


def test_mismatch_scenarios(trained):
    shifts = mismatch_scenarios(trained)
    labels = [s.label for s in shifts]
    assert labels[0] == "Your settings" and len(labels) == 5
    assert labels[1:4] == ["Too few steps (5)", "Momentum too low (0.001)", "Momentum too high (1.0)"]
    np.testing.assert_array_equal(shifts[0].running_mean, trained.layer.running_mean)
    # momentum 1.0: the running statistics are the last batch's mean and unbiased variance
    last = draw_stream(replace(trained.settings, momentum=1.0))[-1]
    np.testing.assert_allclose(shifts[3].running_mean, last.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(shifts[3].running_var, last.var(axis=0, ddof=1), rtol=1e-12)
    # too few steps: trained on 5 batches before the shift at step 40, tested on the start population
    np.testing.assert_allclose(shifts[1].true_mean, POPULATION.mean)
    assert np.abs(shifts[1].output_mean).max() > 1.0  # running_mean still far below the true means
    assert np.abs(shifts[0].output_mean).max() < 0.3 and np.abs(shifts[0].output_std - 1).max() < 0.3
    np.testing.assert_allclose(shifts[4].true_mean, trained.true_mean[-1] + np.sqrt(trained.true_var[-1]))


def test_batch_size_spread_follows_one_over_sqrt_m():
    spread = batch_size_spread(draws=4000, seed=5)
    m = spread.batch_sizes
    np.testing.assert_array_equal(m, BATCH_SIZES)
    np.testing.assert_allclose(spread.mean_spread, 1 / np.sqrt(m), rtol=0.06)
    np.testing.assert_allclose(spread.var_average[1:], (m[1:] - 1) / m[1:], rtol=0.05)
    # a normal population: the biased variance's standard deviation is sqrt(2 (m - 1)) / m
    np.testing.assert_allclose(spread.var_spread[1:], np.sqrt(2 * (m[1:] - 1)) / m[1:], rtol=0.06)
    assert np.isnan(spread.output_spread[0]) and spread.var_spread[0] == 0.0
    assert (np.diff(spread.output_spread[1:]) < 0).all()


def test_batch_size_spread_vectorised_output_matches_a_loop():
    sizes, draws = (2, 5), 7
    spread = batch_size_spread("skewed", draws=draws, batch_sizes=sizes, seed=11)
    rng = np.random.default_rng(11)
    for m, expected_spread in zip(sizes, spread.output_spread, strict=True):
        x = standard_sample(rng, "skewed", m * draws).reshape(m, draws)
        outputs = []
        for d in range(draws):
            batch = x[:, d : d + 1].copy()
            batch[0] = 1.0
            outputs.append(batch_norm(batch)[0, 0])
        assert np.std(outputs) == pytest.approx(expected_spread, rel=1e-12)
    with pytest.raises(ValueError):
        batch_size_spread("cauchy")


def test_tables_lay_out_one_row_per_feature(trained):
    shifts = mismatch_scenarios(trained)
    table = mismatch_table(shifts)
    assert list(table["scenario"][:2]) == ["Your settings"] * 2 and list(table["feature"][:2]) == ["F0", "F1"]
    np.testing.assert_array_equal(table["output std"], np.concatenate([s.output_std for s in shifts]))
    last = last_step_table(trained)
    assert list(last["feature"]) == ["F0", "F1"] and "moving variance (Keras 3)" not in last
    np.testing.assert_array_equal(last["running σ² (PyTorch)"], trained.running_var[-1])
    headers = [*last.columns, *table.columns, *batch_size_table(batch_size_spread(draws=10)).columns]
    assert not [h for h in headers if "_" in h or "None" in h]


def test_effective_window_matches_the_noise_of_a_plain_average():
    """(2 − α)/α: an EMA of independent unit-variance values settles at variance α/(2 − α) — simulated."""
    alpha = 0.1
    values = np.random.default_rng(3).standard_normal((4000, 200))
    running = ema(values, alpha, 0.0)[1000:]
    assert 1 / running.var() == pytest.approx(effective_window(alpha, 4000), rel=0.05)


def test_population_variance_of_the_outlier_population():
    assert population_variance("normal") == 1.0
    assert population_variance("with outliers") == pytest.approx(0.95 + 0.05 * 784 / 12)
    sample = standard_sample(np.random.default_rng(0), "with outliers", 2_000_000)
    assert sample.var() == pytest.approx(population_variance("with outliers"), rel=0.01)
    with pytest.raises(ValueError):
        population_variance("cauchy")


def test_outlier_spread_is_measured_against_its_own_sigma():
    spread = batch_size_spread("with outliers", draws=3000, seed=2)
    m = spread.batch_sizes
    big = m >= 32
    np.testing.assert_allclose(spread.mean_spread[big], np.sqrt(spread.population_var / m[big]), rtol=0.08)
    np.testing.assert_allclose(spread.var_average[big], ((m - 1) / m * spread.population_var)[big], rtol=0.08)


def test_pytorch_convention_refuses_eps_zero_like_torch():
    with pytest.raises(ValueError, match="batch_norm eps must be positive during training"):
        make_layer(2, momentum=0.1, eps=0.0, convention="pytorch")
    assert make_layer(2, momentum=0.1, eps=0.0, convention="keras").eps == 0.0


def test_the_single_sample_error_is_pytorchs_word_for_word():
    golden = np.load(pathlib.Path(__file__).parents[1] / "fixtures" / "golden.npz")
    for shape in ((1, 3), (1, 3, 1), (1, 3, 1, 1)):
        torch_says = str(golden[f"edge.bn.train.{'x'.join(map(str, shape))}.error"])
        assert f"ValueError: {pytorch_training_error(np.ones(shape))}" == torch_says


@pytest.mark.parametrize(("settings", "case"), [
    ({"batch_size": 1}, "1x3"), ({"eps": 0.0}, "eps0"), ({"batch_size": 1, "eps": 0.0}, "1x3_eps0"),
])
def test_an_untrainable_stream_shows_pytorchs_own_message(settings, case):
    golden = np.load(pathlib.Path(__file__).parents[1] / "fixtures" / "golden.npz")
    population = Population((0.0, 1.0, 2.0), (1.0, 1.0, 1.0))
    torch_says = str(golden[f"edge.bn.train.{case}.error"])
    assert f"ValueError: {stream_training_error(StreamSettings(population, **settings))}" == torch_says
    assert stream_training_error(StreamSettings(population)) is None
    if case == "eps0":
        assert torch_says == TORCH_ZERO_EPS_ERROR  # the Demo's and the Formula's quote


@pytest.mark.parametrize("momentum", [0.1, 0.02, None])
def test_exact_running_statistics_apply_the_update_rule_to_the_true_statistics(momentum):
    run = simulate_stream(StreamSettings(POPULATION, batch_size=8, steps=100, momentum=momentum, seed=1))
    mean, var = exact_running_statistics(run)
    if momentum is None:
        np.testing.assert_allclose(mean, run.true_mean.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(var, run.true_var.mean(axis=0), rtol=1e-12)
    else:
        np.testing.assert_allclose(mean, ema(run.true_mean, momentum, 0.0)[-1], rtol=1e-12)
        np.testing.assert_allclose(var, ema(run.true_var, momentum, 1.0)[-1], rtol=1e-12)


def eval_sentence(**settings) -> tuple[float, str]:
    run = simulate_stream(StreamSettings(**{"population": POPULATION, "batch_size": 16, "steps": 300, **settings}))
    sample = single_sample(run)
    gap = eval_gap(sample)
    assert gap == pytest.approx(np.max(np.abs(sample.eval_output - sample.population_output)))
    return gap, training_text.eval_mode(run, gap, lag_gap(run, sample))


def test_eval_mode_says_close_only_when_the_output_is_close():
    gap, close = eval_sentence(batch_size=64)
    assert gap <= 0.1 and "here its output is within" in close
    gap, early = eval_sentence(steps=10, batch_size=64)
    assert gap > 0.1 and "off by up to" in early and "still hold 35% of their start values" in early
    assert "lag behind" not in early  # the shift at step 40 comes after the last of 10 steps


def test_eval_mode_names_the_cause_of_a_gap():
    _, noisy = eval_sentence(batch_size=2, momentum=0.5, population=Population((5.0, -2.0), (2.0, 0.5)))
    assert "off by up to" in noisy and "Most of it is noise" in noisy and "batches of 2" in noisy
    _, cumulative = eval_sentence(momentum=None)
    assert "weigh the batches before the population moved" in cumulative
    _, lagging = eval_sentence(momentum=0.01, batch_size=256, population=replace(POPULATION, shift_step=250))
    assert "lag behind the population" in lagging and "Most of it is noise" not in lagging


def test_the_noise_remedy_fits_the_settings():
    """No momentum to lower under a cumulative average, no average at momentum 1, no larger batch than the largest."""
    steady = Population((5.0, -2.0), (2.0, 0.5))
    _, cumulative = eval_sentence(batch_size=2, steps=10, momentum=None, population=steady)
    assert "the plain average of one estimate per batch of 2" in cumulative and "momentum make" not in cumulative
    _, last = eval_sentence(batch_size=2, momentum=1.0, population=steady)
    assert "the last batch's alone (momentum 1)" in last
    largest = StreamSettings(steady, batch_size=max(STREAM_BATCH_SIZES), steps=10)
    assert "larger batches" not in training_text.noise_cause(largest)


def test_a_drift_too_small_to_be_the_main_cause_is_still_named():
    _, drifting = eval_sentence(batch_size=2, steps=10, momentum=None,
                                population=replace(POPULATION, drift="linear", shift_step=0))
    assert "Most of it is noise" in drifting and "The rest, up to" in drifting
    assert "weigh the batches before the population moved" in drifting
