"""bn_core.nn: stacked modules against finite differences, against one-model-at-a-time runs, and against
bn_core.BatchNorm."""

from __future__ import annotations

import numpy as np
import pytest

from bn_core.batchnorm import BatchNorm
from bn_core.functional import group_norm
from bn_core.gradcheck import max_relative_error, numerical_gradient
from bn_core.nn import SGD, BatchNorm1d, GroupNorm, Linear, ReLU, Residual, mlp, softmax_cross_entropy

RNG = np.random.default_rng(5)
X = RNG.standard_normal((2, 6, 3))  # two models, six samples, three features
Y = RNG.integers(0, 2, (2, 6))


def total_loss(model, x=X, y=Y) -> float:
    loss, _ = softmax_cross_entropy(model(x), y)
    return float(loss.sum())


def analytic_gradients(model, x=X, y=Y) -> list[np.ndarray]:
    loss, dlogits = softmax_cross_entropy(model(x), y)
    model.backward(dlogits)
    return model.gradients()


@pytest.mark.parametrize("norm", ["none", "batch", "layer"])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_every_parameter_gradient_matches_finite_differences(norm, activation):
    model = mlp((3, 5, 4, 2), norm=norm, activation=activation, models=2, seed=1)
    grads = analytic_gradients(model)
    assert len(grads) == len(model.parameters())
    for p, g in zip(model.parameters(), grads, strict=True):
        def f(value, p=p):
            saved = p.copy()
            p[...] = value
            out = total_loss(model)
            p[...] = saved
            return out
        assert max_relative_error(g, numerical_gradient(f, p)) < 1e-6


def test_input_gradient_of_a_residual_block_matches_finite_differences():
    block = Residual(Linear(3, 3, models=2, rng=np.random.default_rng(2)), BatchNorm1d(3, models=2), ReLU())
    dout = np.random.default_rng(3).standard_normal(X.shape)
    block(X)
    dx = block.backward(dout)
    numeric = numerical_gradient(lambda x: float((block(x) * dout).sum()), X)
    assert max_relative_error(dx, numeric) < 1e-6


def test_stacked_models_compute_what_each_model_computes_alone():
    stacked = mlp((3, 4, 2), norm="batch", models=2, seed=4)
    alone = [mlp((3, 4, 2), norm="batch", models=1, seed=99) for _ in range(2)]
    for s, single in enumerate(alone):
        for p_single, p_stacked in zip(single.parameters(), stacked.parameters(), strict=True):
            p_single[...] = p_stacked[s:s + 1]
    out = stacked(X)
    for s, single in enumerate(alone):
        np.testing.assert_allclose(single(X[s:s + 1]), out[s:s + 1], rtol=1e-12, atol=1e-12)


def test_batchnorm1d_keeps_each_models_running_statistics_as_bn_core_batchnorm():
    layer = BatchNorm1d(3, models=2, momentum=0.3)
    reference = [BatchNorm(3, momentum=0.3) for _ in range(2)]
    for step in range(3):
        x = X + step
        layer(x)
        for s, bn in enumerate(reference):
            bn(x[s])
    for s, bn in enumerate(reference):
        np.testing.assert_allclose(layer.running_mean[s], bn.running_mean, rtol=1e-13)
        np.testing.assert_allclose(layer.running_var[s], bn.running_var, rtol=1e-13)
    layer.eval()
    np.testing.assert_allclose(layer(X)[1], reference[1].eval()(X[1]), rtol=1e-12)


def test_gamma_and_beta_are_views_of_the_layer_so_updates_reach_the_forward():
    layer = BatchNorm1d(3, models=2)
    layer.gamma[1] = 2.0
    layer.beta[1] = 5.0
    y = layer(X)
    np.testing.assert_allclose(y[1].mean(axis=0), 5.0, atol=1e-12)
    np.testing.assert_allclose(y[0].mean(axis=0), 0.0, atol=1e-12)


def test_softmax_cross_entropy_per_model():
    logits = np.array([[[2.0, 0.0], [0.0, 1.0]], [[0.0, 0.0], [3.0, 3.0]]])
    loss, dlogits = softmax_cross_entropy(logits, np.array([0, 1]))
    expected_first = -np.mean([np.log(np.exp(2) / (np.exp(2) + 1)), np.log(np.e / (1 + np.e))])
    np.testing.assert_allclose(loss, [expected_first, np.log(2)])
    np.testing.assert_allclose(dlogits.sum(axis=2), 0.0, atol=1e-15)


def test_sgd_follows_pytorch_with_momentum_and_weight_decay_and_freezes_inactive_models():
    p = np.array([[1.0, -2.0], [3.0, 4.0]])
    g = np.array([[0.5, 0.5], [1.0, 1.0]])
    opt = SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01)
    opt.step([g], active=np.array([True, False]))
    first = np.array([1.0, -2.0]) - 0.1 * (np.array([0.5, 0.5]) + 0.01 * np.array([1.0, -2.0]))
    np.testing.assert_allclose(p[0], first)
    np.testing.assert_allclose(p[1], [3.0, 4.0])
    v = np.array([0.5, 0.5]) + 0.01 * np.array([1.0, -2.0])
    opt.step([g])
    v = 0.9 * v + (np.array([0.5, 0.5]) + 0.01 * first)
    np.testing.assert_allclose(p[0], first - 0.1 * v)


def test_linear_without_bias_has_only_a_weight():
    layer = Linear(3, 2, bias=False, rng=np.random.default_rng(0))
    layer(X[:1])
    layer.backward(np.ones((1, 6, 2)))
    assert len(layer.parameters()) == len(layer.gradients()) == 1


def test_bad_settings_raise():
    with pytest.raises(ValueError, match="activation"):
        mlp((2, 3, 2), activation="sigmoid")
    with pytest.raises(ValueError, match="normalization"):
        mlp((2, 3, 2), norm="group")
    with pytest.raises(ValueError, match="learning rate"):
        SGD([], lr=0.0)


def test_group_norm_per_model_is_group_norm_and_its_gradient_is_right():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 8))
    layer = GroupNorm(4, 8, models=2)
    layer.gamma[:] = rng.normal(size=(2, 8))
    y = layer(x)
    for s in range(2):
        np.testing.assert_allclose(y[s], group_norm(x[s], 4, layer.gamma[s], layer.beta[s]), rtol=1e-12)
    weights = rng.normal(size=x.shape)
    dx = layer.backward(weights)
    assert max_relative_error(dx, numerical_gradient(lambda v: float((layer(v) * weights).sum()), x)) < 1e-7
