"""Properties of every normalization, checked on inputs hypothesis chooses (shapes, offsets, spreads, eps).

- the normalized output has mean 0 and variance var / (var + eps) in every group (RMSNorm: mean square);
- GroupNorm with one group is LayerNorm over (C, *), and with C groups it is InstanceNorm;
- every backward equals central finite differences;
- in eval mode, a sample's output does not depend on the rest of the batch;
- with eps = 0 (the bare formula), batch normalization ignores a per-channel shift and positive scale of its
  input, and a negative scale flips the sign of its output.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bn_core.batchnorm import BatchNorm
from bn_core.functional import (
    batch_norm,
    batch_norm_forward,
    group_norm,
    group_norm_forward,
    instance_norm,
    instance_norm_forward,
    layer_norm,
    layer_norm_forward,
    rms_norm,
    rms_norm_forward,
)
from bn_core.gradcheck import max_relative_error, numerical_gradient
from bn_core.normalize import norm_backward, normalize_forward

FAST = settings(max_examples=40, deadline=None)
EPS = st.sampled_from([0.0, 1e-5, 1e-3, 0.1, 1.0])


@st.composite
def batches(draw, min_spatial_dims=0, max_size=4):
    """(N, C, *spatial) float64 inputs: seeded normal data with a drawn offset and spread, or small integers
    (repeats and constant groups included)."""
    spatial = draw(st.lists(st.integers(1, max_size), min_size=min_spatial_dims, max_size=2))
    shape = (draw(st.integers(2, max_size)), draw(st.integers(1, 4)), *spatial)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):
        return rng.integers(-3, 4, size=shape).astype(np.float64)
    offset = draw(st.floats(-1e3, 1e3))
    spread = 10.0 ** draw(st.floats(-2, 2))
    return offset + spread * rng.standard_normal(shape)


def spread_every_channel(x):
    """x plus 0.5 * (sample index): no channel stays constant (the data are integers or continuous), as eps = 0
    needs."""
    return x + 0.5 * np.arange(x.shape[0]).reshape(-1, *(1,) * (x.ndim - 1))


def assert_standardized(x, y, eps, axes):
    """y has mean 0 and variance var / (var + eps) over `axes` of x's groups."""
    var = x.var(axis=axes, keepdims=True)
    np.testing.assert_allclose(y.mean(axis=axes, keepdims=True), 0.0, atol=1e-9)
    np.testing.assert_allclose(y.var(axis=axes, keepdims=True), var / (var + eps), rtol=1e-9, atol=1e-12)


@FAST
@given(x=batches(), eps=EPS.filter(bool))
def test_batch_norm_output_is_standardized_per_channel(x, eps):
    assert_standardized(x, batch_norm(x, eps=eps), eps, (0, *range(2, x.ndim)))


@FAST
@given(x=batches(min_spatial_dims=1), eps=EPS.filter(bool), data=st.data())
def test_layer_norm_output_is_standardized_per_sample(x, eps, data):
    k = data.draw(st.integers(1, x.ndim - 1), label="normalized axes")
    axes = tuple(range(x.ndim - k, x.ndim))
    assert_standardized(x, layer_norm(x, x.shape[x.ndim - k :], eps=eps), eps, axes)


@FAST
@given(x=batches(min_spatial_dims=1), eps=EPS.filter(bool), data=st.data())
def test_group_norm_output_is_standardized_per_group(x, eps, data):
    groups = data.draw(st.sampled_from([g for g in range(1, x.shape[1] + 1) if x.shape[1] % g == 0]))
    view = x.reshape(x.shape[0], groups, -1)
    y = group_norm(x, groups, eps=eps).reshape(view.shape)
    assert_standardized(view, y, eps, (2,))


@FAST
@given(x=batches(min_spatial_dims=1), eps=EPS.filter(bool))
def test_instance_norm_output_is_standardized_per_sample_and_channel(x, eps):
    if np.prod(x.shape[2:]) == 1:
        x = np.concatenate([x, x + 1.0], axis=2)  # instance norm needs more than one spatial element
    assert_standardized(x, instance_norm(x, eps=eps), eps, tuple(range(2, x.ndim)))


@FAST
@given(x=batches(), eps=EPS.filter(bool))
def test_rms_norm_output_has_unit_mean_square_up_to_eps(x, eps):
    mean_square = np.mean(x**2, axis=-1, keepdims=True)
    y = rms_norm(x, x.shape[-1], eps=eps)
    np.testing.assert_allclose(np.mean(y**2, axis=-1, keepdims=True), mean_square / (mean_square + eps), rtol=1e-9)


@st.composite
def images_with_channel_params(draw):
    """(x, gamma, beta, dy): x of shape (N, C, *spatial) with at least one spatial axis; gamma, beta of shape (C,)."""
    x = draw(batches(min_spatial_dims=1))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    c = x.shape[1]
    return x, rng.normal(1.0, 0.5, c), rng.normal(0.0, 1.0, c), rng.standard_normal(x.shape)


@FAST
@given(case=images_with_channel_params(), eps=EPS.filter(bool))
def test_group_norm_with_one_group_is_layer_norm_over_channels_and_space(case, eps):
    x, gamma, beta, dy = case
    spatial = (1,) * (x.ndim - 2)
    gamma_b = np.broadcast_to(gamma.reshape(-1, *spatial), x.shape[1:])
    beta_b = np.broadcast_to(beta.reshape(-1, *spatial), x.shape[1:])
    y_gn, cache_gn = group_norm_forward(x, 1, gamma, beta, eps=eps)
    y_ln, cache_ln = layer_norm_forward(x, x.shape[1:], gamma_b, beta_b, eps=eps)
    np.testing.assert_allclose(y_gn, y_ln, rtol=0, atol=1e-10)
    (dx_gn, dgamma_gn, dbeta_gn), (dx_ln, dgamma_ln, dbeta_ln) = (
        norm_backward(dy, cache_gn),
        norm_backward(dy, cache_ln),
    )
    spatial_axes = tuple(range(1, x.ndim - 1))
    np.testing.assert_allclose(dx_gn, dx_ln, rtol=0, atol=1e-9)
    np.testing.assert_allclose(dgamma_gn, dgamma_ln.sum(axis=spatial_axes), rtol=0, atol=1e-9)
    np.testing.assert_allclose(dbeta_gn, dbeta_ln.sum(axis=spatial_axes), rtol=0, atol=1e-9)


@FAST
@given(case=images_with_channel_params(), eps=EPS.filter(bool))
def test_group_norm_with_one_channel_per_group_is_instance_norm(case, eps):
    x, gamma, beta, dy = case
    if np.prod(x.shape[2:]) == 1:
        x, dy = np.concatenate([x, x + 1.0], axis=2), np.concatenate([dy, -dy], axis=2)
    y_gn, cache_gn = group_norm_forward(x, x.shape[1], gamma, beta, eps=eps)
    y_in, cache_in = instance_norm_forward(x, gamma, beta, eps=eps)
    np.testing.assert_allclose(y_gn, y_in, rtol=0, atol=1e-10)
    for grad_gn, grad_in in zip(norm_backward(dy, cache_gn), norm_backward(dy, cache_in), strict=True):
        np.testing.assert_allclose(grad_gn, grad_in, rtol=0, atol=1e-9)


LAYERS = {
    "batch_norm": lambda x, g, b, eps: batch_norm_forward(x, g, b, eps=eps),
    "batch_norm eval": lambda x, g, b, eps: batch_norm_forward(
        x,
        g,
        b,
        eps=eps,
        training=False,
        running_mean=np.linspace(-1, 1, x.shape[1]),
        running_var=np.linspace(0.5, 2, x.shape[1]),
    ),
    "layer_norm": lambda x, g, b, eps: layer_norm_forward(x, x.shape[1:], g, b, eps=eps),
    "group_norm": lambda x, g, b, eps: group_norm_forward(x, 2, g, b, eps=eps),
    "instance_norm": lambda x, g, b, eps: instance_norm_forward(x, g, b, eps=eps),
    "rms_norm": lambda x, g, b, eps: rms_norm_forward(x, x.shape[1:], g, eps=eps),
}


@settings(max_examples=25, deadline=None)
@given(
    layer=st.sampled_from(sorted(LAYERS)),
    shape=st.tuples(st.integers(2, 3), st.sampled_from([2, 4]), st.integers(2, 3)),
    seed=st.integers(0, 2**32 - 1),
    eps=st.sampled_from([1e-5, 1e-2, 1.0]),
)
def test_backward_equals_finite_differences(layer, shape, seed, eps):
    forward = LAYERS[layer]
    rng = np.random.default_rng(seed)
    x = rng.normal(rng.uniform(-3, 3), rng.uniform(0.5, 3), shape)
    param_shape = shape[1:] if layer in ("layer_norm", "rms_norm") else shape[1:2]
    gamma, beta = rng.normal(1.0, 0.5, param_shape), rng.normal(0.0, 1.0, param_shape)
    dy = rng.standard_normal(shape)
    dx, dgamma, dbeta = norm_backward(dy, forward(x, gamma, beta, eps)[1])

    def loss(x_, gamma_=gamma, beta_=beta):
        return float(np.sum(forward(x_, gamma_, beta_, eps)[0] * dy))

    assert max_relative_error(dx, numerical_gradient(loss, x)) < 1e-6
    assert max_relative_error(dgamma, numerical_gradient(lambda g: loss(x, g), gamma)) < 1e-6
    if layer != "rms_norm":
        assert max_relative_error(dbeta, numerical_gradient(lambda b: loss(x, gamma, b), beta)) < 1e-6


@FAST
@given(x=batches(), others=batches(), data=st.data())
def test_eval_output_of_a_sample_is_independent_of_the_rest_of_the_batch(x, others, data):
    c = x.shape[1]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    bn = BatchNorm(c)
    bn.gamma, bn.beta = rng.normal(1.0, 0.5, c), rng.normal(0.0, 1.0, c)
    bn.running_mean, bn.running_var = rng.normal(0.0, 2.0, c), rng.uniform(0.1, 4.0, c)
    bn.eval()
    i = data.draw(st.integers(0, x.shape[0] - 1), label="sample")
    alone = bn(x[i : i + 1])
    others = np.resize(others, (others.shape[0],) + x.shape[1:])
    mixed = np.concatenate([others, x[i : i + 1], others])
    np.testing.assert_array_equal(bn(mixed)[others.shape[0]], alone[0])
    np.testing.assert_array_equal(bn(x)[i], alone[0])


@FAST
@given(x=batches(), data=st.data())
def test_batch_normalization_without_eps_ignores_shifts_and_positive_scales_and_flips_with_negative_ones(x, data):
    x = spread_every_channel(x)
    c = x.shape[1]
    size = 10.0 ** np.array(data.draw(st.lists(st.floats(-1, 1), min_size=c, max_size=c)))
    sign = np.array(data.draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=c, max_size=c)))
    shift = np.array(data.draw(st.lists(st.floats(-100, 100), min_size=c, max_size=c)))
    bshape = (1, c) + (1,) * (x.ndim - 2)
    moved = x * (sign * size).reshape(bshape) + shift.reshape(bshape)

    def xhat(v):  # the bare formula with eps = 0 (torch's batch_norm refuses eps = 0 in training)
        return normalize_forward(v, stat_axes=(0, *range(2, v.ndim)), param_bshape=bshape, eps=0.0)[0]

    np.testing.assert_allclose(xhat(moved), sign.reshape(bshape) * xhat(x), rtol=0, atol=1e-8)
