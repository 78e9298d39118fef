"""lessons.legacy_mlp: exact gradients of the whole network, training that learns, divergence, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

import bn_core
from bn_core.gradcheck import max_relative_error, numerical_gradient
from bn_core.toy_data import make_dataset
from lessons.legacy_mlp import (
    MLP,
    NORMS,
    BatchNormLayer,
    LayerNormLayer,
    TrainConfig,
    batch_indices,
    sample_noise,
    softmax_cross_entropy,
    train,
)


def tiny_batch(seed: int = 0, n: int = 6) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 2)), np.arange(n) % 2


def loss_of(model: MLP, x, y, noise=None) -> float:
    logits, _ = model.forward(x, training=True, noise=noise)
    return softmax_cross_entropy(logits, y)[0]


def assert_gradients_match(model: MLP, x, y, noise=None) -> None:
    _, grads, caches = model.loss_and_grads(x, y, noise)
    # Finite differences across a ReLU kink would be wrong by design: make sure none is within reach.
    assert min(np.abs(c.z).min() for c in caches[:-1]) > 1e-4
    params = model.parameters()
    assert len(grads) == len(params)
    for i, (p, g) in enumerate(zip(params, grads, strict=True)):
        assert g.shape == p.shape

        def f(values, p=p):
            saved = p.copy()
            p[...] = values
            try:
                return loss_of(model, x, y, noise)
            finally:
                p[...] = saved

        numeric = numerical_gradient(f, p)
        assert max_relative_error(g, numeric) < 1e-7, f"parameter {i} of {model}"


@pytest.mark.parametrize("norm", list(NORMS))
def test_whole_network_gradients_match_finite_differences(norm):
    x, y = tiny_batch()
    model = MLP((5, 4), norm=norm, seed=1)
    for norm_layer in model.norms:  # move gamma and beta off their initial values so they matter
        if norm_layer is not None:
            norm_layer.gamma[...] = np.linspace(0.5, 1.5, len(norm_layer.gamma))
            norm_layer.beta[...] = np.linspace(-0.3, 0.3, len(norm_layer.beta))
    assert_gradients_match(model, x, y)


def test_gradients_with_injected_noise_match_finite_differences():
    x, y = tiny_batch(seed=2)
    model = MLP((5, 4), norm="batch", seed=3)
    noise = sample_noise(np.random.default_rng(0), [5, 4], strength=1.0)
    assert_gradients_match(model, x, y, noise)


def test_three_classes_and_a_deeper_network_also_match():
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((8, 3)), np.arange(8) % 3
    model = MLP((4, 4, 3), in_dim=3, out_dim=3, norm="layer", seed=5)
    assert_gradients_match(model, x, y)


# torch 2.13, float64: nn.Sequential(Linear, BatchNorm1d | LayerNorm, ReLU, Linear, <norm>, ReLU, Linear) holding
# the weights of MLP((3, 3), norm=..., seed=7), in training mode, cross_entropy on TORCH_BATCH, .backward().
TORCH_GOLDEN = {
    "batch": {"loss": 1.1480033824851672,
              "dW0": [[0.003790190444186348, 0.3294112991392418, -0.0011707937065986085],
                      [5.315926033307855e-06, 0.21644290037876524, 0.000323614976043567]],
              "dgamma1": [0.14963792538917398, 0.42330322315988445, 0.0734148290093288],
              "running_var0": [0.952585012622222, 0.9064701251987819, 0.9974443496070711]},
    "layer": {"loss": 1.1848723364284932,
              "dW0": [[-0.25169959250060026, 0.0747819509892749, 0.17691764151132533],
                      [-0.45258464232660217, 0.13446502495159798, 0.31811961737500416]],
              "dgamma1": [0.5940869308859528, 0.05514128593178583, 0.0725269263651974]},
}


def torch_batch() -> tuple[np.ndarray, np.ndarray]:
    return np.random.default_rng(0).standard_normal((5, 2)), np.array([0, 1, 1, 0, 1])


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_forward_backward_and_running_statistics_match_pytorch(norm):
    golden = TORCH_GOLDEN[norm]
    model = MLP((3, 3), norm=norm, seed=7)
    loss, grads, _ = model.loss_and_grads(*torch_batch())
    assert loss == pytest.approx(golden["loss"], rel=1e-14)
    np.testing.assert_allclose(grads[0], golden["dW0"], rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(grads[6], golden["dgamma1"], rtol=1e-12)  # W0 b0 γ0 β0 W1 b1 γ1
    if norm == "batch":
        np.testing.assert_allclose(model.norms[0].running_var, golden["running_var0"], rtol=1e-14)


def test_softmax_cross_entropy_is_exact_and_stable():
    logits = np.array([[2.0, -1.0, 0.5], [0.0, 0.0, 0.0]])
    y = np.array([0, 2])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    loss, dlogits = softmax_cross_entropy(logits, y)
    assert loss == pytest.approx(-np.log(p[[0, 1], y]).mean(), rel=1e-14)
    np.testing.assert_allclose(dlogits, (p - np.eye(3)[y]) / 2, rtol=1e-13)
    huge, _ = softmax_cross_entropy(np.array([[1000.0, 0.0]]), np.array([1]))
    assert huge == pytest.approx(1000.0)
    assert np.isnan(softmax_cross_entropy(np.array([[np.inf, 0.0]]), np.array([0]))[0])


def test_norm_layers_are_bn_core_layers():
    z = np.random.default_rng(0).standard_normal((10, 4)) * 3 + 1
    bn = BatchNormLayer(4)
    y, _ = bn.forward(z, training=True)
    np.testing.assert_allclose(y, bn_core.batch_norm(z), atol=1e-15)
    np.testing.assert_allclose(bn.running_mean, 0.1 * z.mean(axis=0))
    y_eval, _ = bn.forward(z, training=False)
    np.testing.assert_allclose(y_eval, (z - bn.running_mean) / np.sqrt(bn.running_var + bn.eps))
    ln = LayerNormLayer(4)
    np.testing.assert_allclose(ln.forward(z, training=True)[0], bn_core.layer_norm(z, 4), atol=1e-15)


def test_eval_mode_leaves_running_statistics_alone():
    model = MLP((6, 6), norm="batch", seed=0)
    x, y = tiny_batch(n=10)
    model.loss_and_grads(x, y)
    before = [(n.running_mean.copy(), n.num_batches_tracked) for n in model.norms]
    model.predict_proba(x)
    model.evaluate(x, y)
    for norm_layer, (mean, count) in zip(model.norms, before, strict=True):
        np.testing.assert_array_equal(norm_layer.running_mean, mean)
        assert norm_layer.num_batches_tracked == count
    assert norm_layer.training is False


def test_he_initialisation_with_a_scale():
    model = MLP((400, 400), init_scale=3.0, seed=0)
    assert model.weights[1].std() == pytest.approx(3.0 * np.sqrt(2 / 400), rel=0.01)
    assert all((b == 0).all() for b in model.biases)


def test_parameters_and_their_layers_line_up():
    model = MLP((3, 4), norm="batch")
    shapes = [p.shape for p in model.parameters()]
    assert shapes == [(2, 3), (3,), (3,), (3,), (3, 4), (4,), (4,), (4,), (4, 2), (2,)]
    assert model.parameter_layers() == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2]
    assert MLP((3, 4)).parameter_layers() == [0, 0, 1, 1, 2, 2]


@pytest.mark.parametrize("norm", list(NORMS))
def test_the_network_learns_a_small_problem(norm):
    data = make_dataset("moons", 400, noise=0.1, seed=0)
    model = MLP((32, 32), norm=norm, seed=0)
    history = train(model, data.x_train, data.y_train, TrainConfig(lr=0.1, steps=400))
    assert history.diverged_at is None
    loss, accuracy = model.evaluate(data.x_test, data.y_test)
    assert accuracy > 0.9  # chance is 0.5
    assert np.mean(history.loss[-50:]) < 0.5 * np.mean(history.loss[:50])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batch_norm_trains_at_a_learning_rate_where_the_plain_network_diverges(seed):
    data = make_dataset("moons", 200, noise=0.1, seed=seed)
    config = TrainConfig(lr=1.0, steps=200, seed=seed)
    plain = MLP((16,) * 4, norm="none", init_scale=3.0, seed=seed)
    plain_history = train(plain, data.x_train, data.y_train, config)
    assert plain_history.diverged_at is not None and plain_history.diverged_at <= 10
    batchnorm = MLP((16,) * 4, norm="batch", init_scale=3.0, seed=seed)
    assert train(batchnorm, data.x_train, data.y_train, config).diverged_at is None
    assert batchnorm.evaluate(data.x_test, data.y_test)[1] > 0.9


def test_divergence_stops_training_and_says_at_which_step():
    data = make_dataset("spirals", 100, seed=0)
    model = MLP((16, 16), init_scale=10.0, seed=0)
    history = train(model, data.x_train, data.y_train, TrainConfig(lr=10.0, steps=50))
    k = history.diverged_at
    assert k is not None and 1 <= k <= 50
    assert np.isfinite(history.loss[: k - 1]).all() and np.isnan(history.loss[k - 1:]).all()
    assert np.isnan(history.preact_mean[k - 1:]).all()
    strict = train(MLP((4, 4)), data.x_train, data.y_train, TrainConfig(steps=5), max_loss=0.0)
    assert strict.diverged_at == 1


def test_a_seed_reproduces_a_run_exactly():
    data = make_dataset("xor", 120, seed=4)
    config = TrainConfig(lr=0.3, steps=60, batch_size=16, momentum=0.5, seed=4, noise=0.5)
    runs = []
    for seed in (4, 4, 5):
        model = MLP((8, 8), norm="batch", seed=seed)
        runs.append((train(model, data.x_train, data.y_train, replace_seed(config, seed)), model))
    (h1, m1), (h2, m2), (h3, m3) = runs
    np.testing.assert_array_equal(h1.loss, h2.loss)
    np.testing.assert_array_equal(h1.preact_std, h2.preact_std)
    for a, b in zip(m1.parameters(), m2.parameters(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(m1.norms[0].running_var, m2.norms[0].running_var)
    assert not np.array_equal(h1.loss, h3.loss)


def replace_seed(config: TrainConfig, seed: int) -> TrainConfig:
    return TrainConfig(config.lr, config.steps, config.batch_size, config.momentum, seed, config.noise)


def test_history_records_preactivation_statistics_per_layer():
    data = make_dataset("circles", 80, seed=0)
    model = MLP((8, 8, 8), norm="batch", seed=0, eps=0.0)
    history = train(model, data.x_train, data.y_train, TrainConfig(lr=0.05, steps=3))
    assert history.preact_mean.shape == history.preact_std.shape == (3, 3)
    # At the first step BatchNorm (gamma 1, beta 0, eps 0) makes every ReLU input mean 0 and std 1 exactly.
    np.testing.assert_allclose(history.preact_mean[0], 0.0, atol=1e-12)
    np.testing.assert_allclose(history.preact_std[0], 1.0, atol=1e-12)
    assert ((history.accuracy >= 0) & (history.accuracy <= 1)).all()


def test_batches_shuffle_each_epoch_and_never_repeat_within_one():
    rng = np.random.default_rng(0)
    batches = batch_indices(10, 3, 7, rng)
    assert batches.shape == (7, 3)
    for epoch in (batches[:3], batches[3:6]):  # 10 // 3 = 3 batches per epoch, the leftover sample dropped
        assert len(np.unique(epoch)) == 9
    assert batch_indices(5, 64, 2, rng).shape == (2, 5)  # capped at the data


def test_injected_noise_stays_in_its_ranges():
    (scale, shift), = sample_noise(np.random.default_rng(0), [10_000], strength=1.0)
    assert shift.min() >= -1 and shift.max() <= 1 and abs(shift.mean()) < 0.05
    assert scale.min() >= 0.5 and scale.max() <= 2.0
    assert abs(np.log2(scale).mean()) < 0.05  # log-uniform: as often halved as doubled


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"lr": 0.0}, "learning rate"), ({"lr": float("inf")}, "learning rate"), ({"steps": 0}, "steps"),
    ({"batch_size": 1}, "batch_size"), ({"momentum": 1.0}, "momentum"), ({"noise": -1.0}, "noise"),
])
def test_bad_training_settings_say_what_is_wrong(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"hidden": ()}, "hidden"), ({"hidden": (4, 0)}, "hidden"), ({"init_scale": 0.0}, "init_scale"),
    ({"norm": "group"}, "unknown normalization"),
])
def test_bad_network_settings_say_what_is_wrong(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MLP(**kwargs)
