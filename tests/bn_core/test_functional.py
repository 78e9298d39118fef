"""bn_core.functional against PyTorch golden values (tests/fixtures/golden.npz, made by tests/make_golden.py),
finite differences, and every error the functions promise."""

from __future__ import annotations

import dataclasses
import pathlib

import numpy as np
import pytest

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
from bn_core.normalize import NormCache, norm_backward, normalize_forward

GOLDEN = dict(np.load(pathlib.Path(__file__).parents[1] / "fixtures" / "golden.npz"))
TOL = 1e-10


def golden_case(prefix: str) -> dict[str, np.ndarray]:
    """The fields stored directly under `prefix` ("ln.4d.3x2" -> {"x": ..., "y": ..., ...})."""
    n = len(prefix) + 1
    return {k[n:]: v for k, v in GOLDEN.items() if k.startswith(prefix + ".") and "." not in k[n:]}


def golden_prefixes(kind: str) -> list[str]:
    """Case names of one kind, e.g. "gn" -> ["gn.2d.g1", ...] (those holding an input x)."""
    return sorted(k[: -len(".x")] for k in GOLDEN if k.startswith(kind + ".") and k.endswith(".x"))


def assert_close(actual, expected, tol=TOL):
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=0, atol=tol)


def assert_gradients_match(case, forward):
    """forward(x) -> (y, cache); compares y and (dx, dgamma, dbeta) with the golden case."""
    y, cache = forward(case["x"])
    assert_close(y, case["y"])
    dx, dgamma, dbeta = norm_backward(case["dy"], cache)
    assert_close(dx, case["dx"])
    assert_close(dgamma, case["dgamma"])
    if "dbeta" in case:
        assert_close(dbeta, case["dbeta"])
    else:
        assert dbeta is None


def test_fixture_covers_every_layer_and_dimension():
    for kind, count in (("ln", 6), ("rms", 6), ("gn", 9), ("in", 2), ("bn.2d", 8), ("bn.3d", 8), ("bn.4d", 8)):
        assert len(golden_prefixes(kind)) == count, kind
    assert str(GOLDEN["torch.version"]).startswith("2.13")


@pytest.mark.parametrize("prefix", golden_prefixes("ln"))
def test_layer_norm_matches_torch(prefix):
    case = golden_case(prefix)
    shape = tuple(case["normalized_shape"].tolist())
    assert_gradients_match(
        case, lambda x: layer_norm_forward(x, shape, case["gamma"], case["beta"], eps=float(case["eps"]))
    )
    assert_close(layer_norm(case["x"], shape, case["gamma"], case["beta"]), case["y"])


@pytest.mark.parametrize("prefix", golden_prefixes("rms"))
def test_rms_norm_matches_torch(prefix):
    case = golden_case(prefix)
    shape = tuple(case["normalized_shape"].tolist())
    assert float(case["eps"]) == 1e-6
    assert_gradients_match(case, lambda x: rms_norm_forward(x, shape, case["gamma"], eps=1e-6))
    assert_close(rms_norm(case["x"], shape, case["gamma"], eps=1e-6), case["y"])


@pytest.mark.parametrize("prefix", golden_prefixes("gn"))
def test_group_norm_matches_torch(prefix):
    case = golden_case(prefix)
    groups = int(case["num_groups"])
    assert_gradients_match(
        case, lambda x: group_norm_forward(x, groups, case["gamma"], case["beta"], eps=float(case["eps"]))
    )
    assert_close(group_norm(case["x"], groups, case["gamma"], case["beta"]), case["y"])


@pytest.mark.parametrize("prefix", golden_prefixes("in"))
def test_instance_norm_matches_torch(prefix):
    case = golden_case(prefix)
    assert_gradients_match(case, lambda x: instance_norm_forward(x, case["gamma"], case["beta"], eps=1e-5))
    assert_close(instance_norm(case["x"], case["gamma"], case["beta"]), case["y"])


@pytest.mark.parametrize("dims", ["2d", "3d", "4d"])
def test_batch_norm_training_step_matches_torch(dims):
    params = golden_case(f"bn.{dims}.m0.1")
    case = golden_case(f"bn.{dims}.m0.1.step0")
    assert_gradients_match(case, lambda x: batch_norm_forward(x, params["gamma"], params["beta"]))
    assert_close(batch_norm(case["x"], params["gamma"], params["beta"]), case["y"])


@pytest.mark.parametrize("dims", ["2d", "3d", "4d"])
def test_batch_norm_eval_with_running_statistics_matches_torch(dims):
    params = golden_case(f"bn.{dims}.m0.1")
    last_train, case = golden_case(f"bn.{dims}.m0.1.step2"), golden_case(f"bn.{dims}.m0.1.eval")
    stats = {"running_mean": last_train["running_mean"], "running_var": last_train["running_var"]}
    assert_gradients_match(
        case, lambda x: batch_norm_forward(x, params["gamma"], params["beta"], training=False, **stats)
    )


@pytest.mark.parametrize("dims", ["2d", "3d", "4d"])
def test_batch_norm_without_running_statistics_matches_torch(dims):
    params = golden_case(f"bn_nostats.{dims}")
    for mode in ("train", "eval"):  # torch uses batch statistics in both modes
        case = golden_case(f"bn_nostats.{dims}.{mode}")
        assert_gradients_match(case, lambda x: batch_norm_forward(x, params["gamma"], params["beta"]))


def test_batch_norm_on_the_seed_batch_by_hand():
    x = np.array([[-0.96, 15.85], [-1.71, 13.96], [-2.76, 9.92], [2.25, 13.01]])
    mean = x.mean(axis=0)
    var = ((x - mean) ** 2).mean(axis=0)
    expected = (x - mean) / np.sqrt(var + 1e-5) * np.array([2.0, 0.5]) + np.array([1.0, -1.0])
    assert_close(batch_norm(x, [2.0, 0.5], [1.0, -1.0]), expected, tol=1e-14)


# ---------- errors (torch's own edge cases are in test_edge_cases.py) ----------


def test_single_value_per_channel_in_training_raises():
    for shape in [(1, 3), (1, 3, 1), (1, 3, 1, 1)]:
        with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
            batch_norm(np.ones(shape))
    with pytest.raises(ValueError, match="batch of at least 2"):
        batch_norm(np.ones((1, 3)))
    assert batch_norm(np.arange(12.0).reshape(1, 3, 4)).shape == (1, 3, 4)  # N=1 with L=4 trains (M=4)
    assert batch_norm(np.arange(12.0).reshape(1, 3, 2, 2)).shape == (1, 3, 2, 2)


def test_eval_with_a_single_sample_works():
    y = batch_norm(np.array([[2.0, 4.0]]), running_mean=[1.0, 2.0], running_var=[4.0, 1.0], training=False, eps=0)
    assert_close(y, np.array([[0.5, 2.0]]), tol=1e-15)


@pytest.mark.parametrize("bad", [np.ones(3), np.ones(()), np.ones((0,))])
def test_wrong_input_rank_raises(bad):
    with pytest.raises(ValueError, match="expects input of shape"):
        batch_norm(bad)
    with pytest.raises(RuntimeError, match="expects input of shape"):
        group_norm(bad, 1)
    with pytest.raises(ValueError, match="expects input of shape"):
        instance_norm(bad)


@pytest.mark.parametrize("name", ["gamma", "beta", "running_mean", "running_var"])
def test_channel_mismatch_raises(name):
    kwargs = {"running_mean": np.zeros(3), "running_var": np.ones(3), name: np.ones(4)}
    with pytest.raises(RuntimeError, match=rf"{name} must have shape \(3,\) to match the 3 channels"):
        batch_norm(np.ones((2, 3, 5)), training=False, **kwargs)


def test_per_channel_parameters_must_match_channels_for_group_and_instance_norm():
    with pytest.raises(RuntimeError, match="gamma must have shape"):
        group_norm(np.ones((2, 4, 3)), 2, gamma=np.ones(3))
    with pytest.raises(RuntimeError, match="beta must have shape"):
        instance_norm(np.ones((2, 4, 3)), beta=np.ones((4, 1)))
    with pytest.raises(RuntimeError, match="running_var must have shape"):
        instance_norm(np.ones((2, 4, 3)), running_mean=np.zeros(4), running_var=np.ones(3), use_input_stats=False)


def test_elementwise_parameters_must_have_the_normalized_shape():
    with pytest.raises(RuntimeError, match=r"gamma must have the normalized shape \(5, 4\)"):
        layer_norm(np.ones((2, 5, 4)), (5, 4), gamma=np.ones(4))
    with pytest.raises(RuntimeError, match="gamma must have the normalized shape"):
        rms_norm(np.ones((2, 5, 4)), 4, gamma=np.ones((1, 4)))


def test_the_bare_formula_accepts_eps_zero_and_gives_nan_on_a_constant_group_without_warnings():
    with np.errstate(all="raise"):  # the forward silences its own 0/0; nothing else should warn
        y, cache = normalize_forward(np.ones((4, 2)), stat_axes=(0,), param_bshape=(1, 2), eps=0.0)
        y_ln = layer_norm(np.ones((4, 2)), 2, eps=0.0)  # torch's LayerNorm accepts eps = 0 too
    assert np.isnan(y).all() and np.isnan(y_ln).all()
    assert cache.var.tolist() == [[0.0, 0.0]] and np.isinf(cache.invstd).all()
    spread = normalize_forward(np.array([[1.0], [3.0]]), stat_axes=(0,), param_bshape=(1, 1), eps=0.0)[0]
    assert spread.tolist() == [[-1.0], [1.0]]  # exactly standardized: var 1, nothing added


def test_backward_rejects_a_dy_of_another_shape():
    _, cache = batch_norm_forward(np.random.default_rng(0).normal(size=(4, 3)))
    with pytest.raises(RuntimeError, match=r"dy must have the output's shape \(4, 3\)"):
        norm_backward(np.ones((3, 4)), cache)


# ---------- dtypes ----------


@pytest.mark.parametrize(
    "layer",
    [
        lambda x: batch_norm(x, np.ones(4), np.zeros(4)),
        lambda x: batch_norm(x, running_mean=np.zeros(4), running_var=np.ones(4), training=False),
        lambda x: layer_norm(x, (4, 5), np.ones((4, 5)), np.zeros((4, 5))),
        lambda x: group_norm(x, 2, np.ones(4), np.zeros(4)),
        lambda x: instance_norm(x, np.ones(4), np.zeros(4)),
        lambda x: rms_norm(x, 5, np.ones(5)),
    ],
)
def test_dtype_kept_and_ints_become_float64(layer):
    x = np.random.default_rng(3).normal(2.0, 3.0, size=(3, 4, 5))
    y64 = layer(x)
    y32 = layer(x.astype(np.float32))
    assert y64.dtype == np.float64
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32, y64, rtol=0, atol=1e-5)
    ints = np.arange(60).reshape(3, 4, 5) % 7
    y_int = layer(ints)
    assert y_int.dtype == np.float64
    assert_close(y_int, layer(ints.astype(np.float64)), tol=0)


def test_float32_backward_stays_float32():
    x = np.random.default_rng(4).normal(size=(8, 3, 4)).astype(np.float32)
    _, cache = batch_norm_forward(x, np.ones(3), np.zeros(3))
    dx, dgamma, dbeta = norm_backward(np.ones_like(x), cache)
    assert dx.dtype == dgamma.dtype == dbeta.dtype == np.float32


def test_float32_batch_of_large_values_normalizes_like_float64():
    """Statistics of a (64, 16, 8, 8) float32 batch centred at 1e4: two-pass keeps them meaningful."""
    x64 = 1e4 + 0.01 * np.random.default_rng(5).standard_normal((64, 16, 8, 8))
    x32 = x64.astype(np.float32)
    expected = batch_norm(x32.astype(np.float64))  # exact statistics of the float32 inputs
    y32 = batch_norm(x32)
    assert np.isfinite(y32).all()
    assert np.abs(y32 - expected).max() < 0.05  # float32 resolution at 1e4 is ~1e-3, i.e. 0.1 standard deviations


# ---------- gradients against central finite differences ----------


def _check_gradients(forward, x, gamma, beta, dy):
    """forward(x, gamma, beta) -> (y, cache); compare the analytic gradients of sum(y * dy) with finite differences."""
    _, cache = forward(x, gamma, beta)
    dx, dgamma, dbeta = norm_backward(dy, cache)

    def loss(x_, gamma_=gamma, beta_=beta):
        return float(np.sum(forward(x_, gamma_, beta_)[0] * dy))

    assert max_relative_error(dx, numerical_gradient(loss, x)) < 1e-7
    assert max_relative_error(dgamma, numerical_gradient(lambda g: loss(x, g), gamma)) < 1e-7
    if beta is not None:
        assert max_relative_error(dbeta, numerical_gradient(lambda b: loss(x, gamma, b), beta)) < 1e-7


@pytest.mark.parametrize(
    ("name", "forward", "param_shape"),
    [
        ("batch_norm", lambda x, g, b: batch_norm_forward(x, g, b), (3,)),
        (
            "batch_norm eval",
            lambda x, g, b: batch_norm_forward(
                x, g, b, running_mean=np.array([0.5, -1.0, 2.0]), running_var=np.array([2.0, 0.5, 1.5]), training=False
            ),
            (3,),
        ),
        ("layer_norm", lambda x, g, b: layer_norm_forward(x, (3, 4), g, b), (3, 4)),
        ("group_norm", lambda x, g, b: group_norm_forward(x, 3, g, b), (3,)),
        ("instance_norm", lambda x, g, b: instance_norm_forward(x, g, b), (3,)),
        ("rms_norm", lambda x, g, b: rms_norm_forward(x, (3, 4), g), (3, 4)),
    ],
)
def test_backward_matches_finite_differences(name, forward, param_shape):
    rng = np.random.default_rng(6)
    x = rng.normal(1.0, 2.0, size=(4, 3, 4))
    gamma = rng.normal(1.0, 0.5, size=param_shape)
    beta = None if name == "rms_norm" else rng.normal(size=param_shape)
    _check_gradients(forward, x, gamma, beta, rng.normal(size=x.shape))


@pytest.mark.parametrize(
    "forward",
    [
        batch_norm_forward,
        lambda x: batch_norm_forward(x, running_mean=np.arange(3.0), running_var=np.arange(1.0, 4.0), training=False),
        lambda x: layer_norm_forward(x, (3, 4)),
        lambda x: group_norm_forward(x, 1),
        lambda x: group_norm_forward(x, 3),
        instance_norm_forward,
        lambda x: rms_norm_forward(x, 4),
    ],
)
def test_backward_without_affine_parameters(forward):
    rng = np.random.default_rng(7)
    x, dy = rng.normal(size=(3, 3, 4)), rng.normal(size=(3, 3, 4))
    dx, dgamma, dbeta = norm_backward(dy, forward(x)[1])
    assert dgamma is None and dbeta is None
    numeric = numerical_gradient(lambda x_: float(np.sum(forward(x_)[0] * dy)), x)
    assert max_relative_error(dx, numeric) < 1e-7


@pytest.mark.parametrize(
    ("forward", "param_shape"),
    [
        (lambda x: batch_norm_forward(x, np.ones(1), np.zeros(1)), (1,)),  # one channel
        (lambda x: group_norm_forward(x, 1, np.ones(1), np.zeros(1)), (1,)),
        (lambda x: layer_norm_forward(x, (1, 3), np.ones((1, 3)), np.zeros((1, 3))), (1, 3)),
        (lambda x: layer_norm_forward(x[:, :, :1], (1, 1), np.ones((1, 1)), np.zeros((1, 1))), (1, 1)),
        (lambda x: rms_norm_forward(x[:, :, :1], 1, np.ones(1)), (1,)),
    ],
)
def test_parameter_gradients_have_the_parameters_shape_even_with_size_one_axes(forward, param_shape):
    x = np.random.default_rng(11).normal(size=(4, 1, 3))
    y, cache = forward(x)
    _, dgamma, dbeta = norm_backward(np.ones_like(y), cache)
    assert cache.param_shape == dgamma.shape == param_shape
    assert dbeta is None or dbeta.shape == param_shape


def test_eval_backward_is_dy_times_gamma_over_running_std():
    x = np.random.default_rng(9).normal(size=(4, 2, 3))
    dy = np.random.default_rng(10).normal(size=x.shape)
    gamma, running_var = np.array([2.0, -0.5]), np.array([4.0, 0.25])
    _, cache = batch_norm_forward(x, gamma, running_mean=np.zeros(2), running_var=running_var, training=False, eps=0)
    dx, _, _ = norm_backward(dy, cache)
    assert_close(dx, dy * (gamma / np.sqrt(running_var))[None, :, None], tol=1e-15)


def test_norm_backward_reads_every_cache_field_but_the_statistics():
    """NormCache holds what the backward needs: changing any field changes the gradients (or makes them fail),
    except mean and var, which are kept for the running-statistics updates and the lessons."""
    rng = np.random.default_rng(12)
    x, dy = rng.normal(size=(3, 4, 5)), rng.normal(size=(3, 4, 5))
    _, cache = group_norm_forward(x, 2, rng.normal(size=4), rng.normal(size=4))
    reference = norm_backward(dy, cache)
    other = {"view_shape": (3, 1, 20), "stat_axes": (1, 2), "param_axes": (0,), "param_shape": (2, 2)}

    def changed(value, name):
        if isinstance(value, np.ndarray):
            return value * 2 + 1
        return not value if isinstance(value, bool) else other[name]

    for field in dataclasses.fields(NormCache):
        probe = dataclasses.replace(cache, **{field.name: changed(getattr(cache, field.name), field.name)})
        try:
            grads = norm_backward(dy, probe)
        except (ValueError, TypeError):
            assert field.name not in ("mean", "var")
            continue
        same = all(a is b is None or (a is not None and b is not None and a.shape == b.shape and np.allclose(a, b))
                   for a, b in zip(grads, reference, strict=True))
        assert same == (field.name in ("mean", "var")), field.name
