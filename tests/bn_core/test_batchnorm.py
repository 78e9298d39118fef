"""bn_core.batchnorm.BatchNorm: running statistics over several steps against torch.nn.BatchNorm1d/2d and Keras 3
golden values, the layer's contract (init, train/eval, momentum None, no running stats, errors), its
backward against finite differences, and the Keras convention."""

from __future__ import annotations

import numpy as np
import pytest

from bn_core.batchnorm import BatchNorm, keras_to_torch_momentum, torch_to_keras_momentum, update_running
from bn_core.gradcheck import max_relative_error, numerical_gradient
from tests.bn_core.test_functional import GOLDEN, assert_close, golden_case

DIMS = ["2d", "3d", "4d"]
STEPS = ["step0", "step1", "step2"]


def torch_layer(prefix: str, **kwargs) -> BatchNorm:
    params = golden_case(prefix)
    bn = BatchNorm(params["gamma"].size, eps=float(params["eps"]), **kwargs)
    bn.gamma, bn.beta = params["gamma"].copy(), params["beta"].copy()
    return bn


def assert_step_matches(bn: BatchNorm, case: dict[str, np.ndarray]) -> None:
    assert_close(bn(case["x"]), case["y"])
    dx, dgamma, dbeta = bn.backward(case["dy"])
    assert_close(dx, case["dx"])
    assert_close(dgamma, case["dgamma"])
    assert_close(dbeta, case["dbeta"])


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("dims", DIMS)
def test_training_steps_then_eval_match_torch(dims, momentum):
    prefix = f"bn.{dims}.m{momentum}"
    bn = torch_layer(prefix, momentum=momentum)
    for step in STEPS:
        case = golden_case(f"{prefix}.{step}")
        assert_step_matches(bn, case)
        assert_close(bn.running_mean, case["running_mean"])
        assert_close(bn.running_var, case["running_var"])
        assert bn.num_batches_tracked == int(case["num_batches_tracked"])
    bn.eval()
    running = (bn.running_mean.copy(), bn.running_var.copy())
    assert_step_matches(bn, golden_case(f"{prefix}.eval"))
    assert bn.num_batches_tracked == len(STEPS)  # eval leaves the buffers alone
    assert_close(bn.running_mean, running[0], tol=0)
    assert_close(bn.running_var, running[1], tol=0)


@pytest.mark.parametrize("dims", DIMS)
def test_without_running_statistics_matches_torch_in_both_modes(dims):
    bn = torch_layer(f"bn_nostats.{dims}", track_running_stats=False)
    assert bn.running_mean is None and bn.running_var is None and bn.num_batches_tracked is None
    assert_step_matches(bn, golden_case(f"bn_nostats.{dims}.train"))
    bn.eval()
    assert_step_matches(bn, golden_case(f"bn_nostats.{dims}.eval"))
    assert bn.running_mean is None


def test_momentum_none_is_the_plain_average_of_batch_statistics():
    rng = np.random.default_rng(0)
    batches = [rng.normal(loc, 1.0 + loc, size=(6, 3)) for loc in range(4)]
    bn = BatchNorm(3, momentum=None)
    for x in batches:
        bn(x)
    assert_close(bn.running_mean, np.mean([x.mean(axis=0) for x in batches], axis=0), tol=1e-14)
    assert_close(bn.running_var, np.mean([x.var(axis=0, ddof=1) for x in batches], axis=0), tol=1e-13)
    assert bn.num_batches_tracked == 4


def test_init_values_and_repr():
    bn = BatchNorm(3)
    assert bn.gamma.tolist() == [1.0] * 3 and bn.beta.tolist() == [0.0] * 3
    assert bn.running_mean.tolist() == [0.0] * 3 and bn.running_var.tolist() == [1.0] * 3
    assert bn.num_batches_tracked == 0
    assert (bn.eps, bn.momentum, bn.training) == (1e-5, 0.1, True)
    assert len(bn.parameters()) == 2
    assert repr(bn) == "BatchNorm(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True) [train]"
    assert repr(bn.eval()).endswith("[eval]")
    plain = BatchNorm(3, affine=False)
    assert plain.gamma is None and plain.beta is None and plain.parameters() == []


def test_first_training_step_by_hand():
    x = np.array([[1.0, 10.0], [3.0, 14.0], [5.0, 12.0]])
    bn = BatchNorm(2)
    y = bn(x)
    mean, var = x.mean(axis=0), x.var(axis=0)
    assert_close(y, (x - mean) / np.sqrt(var + 1e-5), tol=1e-15)
    assert_close(bn.running_mean, 0.1 * mean, tol=1e-15)
    assert_close(bn.running_var, 0.9 * 1.0 + 0.1 * x.var(axis=0, ddof=1), tol=1e-15)  # unbiased: 4.0 and 4.0
    assert bn.running_var.tolist() == pytest.approx([1.3, 1.3])


def test_train_and_eval_switch_modes():
    bn = BatchNorm(2)
    assert bn.eval() is bn and not bn.training and not bn.uses_batch_stats
    assert bn.train() is bn and bn.training and bn.uses_batch_stats
    bn.train(False)
    assert not bn.training
    assert BatchNorm(2, track_running_stats=False).eval().uses_batch_stats


def test_eval_uses_running_statistics_and_accepts_one_sample():
    bn = BatchNorm(2).eval()
    bn.running_mean, bn.running_var = np.array([1.0, -2.0]), np.array([4.0, 0.25])
    y = bn(np.array([[3.0, -1.0]]))
    assert_close(y, np.array([[2.0 / np.sqrt(4.0 + 1e-5), 1.0 / np.sqrt(0.25 + 1e-5)]]), tol=1e-15)


def test_eval_output_for_a_sample_does_not_depend_on_the_rest_of_the_batch():
    rng = np.random.default_rng(1)
    bn = BatchNorm(3)
    for _ in range(3):
        bn(rng.normal(2.0, 3.0, size=(8, 3, 4)))
    bn.eval()
    batch = rng.normal(size=(5, 3, 4))
    alone = bn(batch[:1])
    other = np.concatenate([batch[:1], rng.normal(50.0, 10.0, size=(7, 3, 4))])
    assert_close(bn(other)[:1], alone, tol=0)
    bn.train()
    assert np.abs(bn(other)[:1] - alone).max() > 0.1  # in training the same sample's output does depend on it


def test_num_batches_tracked_counts_training_calls_only():
    bn = BatchNorm(2)
    x = np.random.default_rng(2).normal(size=(4, 2))
    for _ in range(3):
        bn(x)
    bn.eval()
    bn(x)
    assert bn.num_batches_tracked == 3
    bn.reset_running_stats()
    assert bn.num_batches_tracked == 0 and bn.running_var.tolist() == [1.0, 1.0]


def test_float32_input_keeps_float32_output_and_float64_running_statistics():
    bn = BatchNorm(3)
    x = np.random.default_rng(3).normal(size=(8, 3)).astype(np.float32)
    assert bn(x).dtype == np.float32
    assert bn.running_mean.dtype == np.float64
    assert bn.eval()(x).dtype == np.float32
    assert bn.train()(np.arange(12).reshape(4, 3)).dtype == np.float64


@pytest.mark.parametrize("shape", [(1, 3), (1, 3, 1), (1, 3, 1, 1)])
def test_one_value_per_channel_in_training_raises_but_eval_works(shape):
    bn = BatchNorm(3)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        bn(np.ones(shape))
    assert bn.num_batches_tracked == 0  # a failed call changes nothing
    assert bn.eval()(np.ones(shape)).shape == shape


@pytest.mark.parametrize(("shape", "error"), [((4, 2), RuntimeError), ((4, 5, 3), RuntimeError), ((4,), ValueError),
                                              ((), ValueError)])
def test_wrong_channel_count_or_rank_raises(shape, error):
    with pytest.raises(error, match=r"expected input of shape \(N, 3, \*\)"):
        BatchNorm(3)(np.ones(shape))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"num_features": -1}, RuntimeError, "num_features must be >= 0"),
        ({"num_features": 2.5}, TypeError, "num_features must be an integer"),
        ({"num_features": 3, "convention": "tf"}, ValueError, "convention must be one of"),
    ],
)
def test_invalid_construction_raises(kwargs, error, message):
    with pytest.raises(error, match=message):
        BatchNorm(**kwargs)


@pytest.mark.parametrize("kwargs", [{"eps": 0.0}, {"eps": -1e-5}, {"momentum": 1.5}, {"momentum": -0.1}])
def test_construction_accepts_what_torch_accepts_and_the_forward_decides(kwargs):
    bn = BatchNorm(3, **kwargs)
    x = np.random.default_rng(8).normal(size=(4, 3))
    if "eps" in kwargs:
        with pytest.raises(ValueError, match="eps must be positive during training"):
            bn(x)
    else:
        bn(x)
        assert_close(bn.running_mean, kwargs["momentum"] * x.mean(axis=0), tol=1e-15)


def test_backward_before_forward_raises():
    with pytest.raises(RuntimeError, match="backward called before a forward pass"):
        BatchNorm(2).backward(np.ones((3, 2)))


@pytest.mark.parametrize("training", [True, False])
def test_backward_matches_finite_differences(training):
    rng = np.random.default_rng(4)
    bn = BatchNorm(3)
    bn.gamma, bn.beta = rng.normal(1.0, 0.3, 3), rng.normal(size=3)
    bn(rng.normal(2.0, 1.5, size=(6, 3, 2)))  # move the running statistics away from 0 and 1
    bn.train(training)
    x, dy = rng.normal(size=(4, 3, 2)), rng.normal(size=(4, 3, 2))
    frozen = (bn.running_mean.copy(), bn.running_var.copy(), bn.num_batches_tracked)

    def loss(x_, gamma=bn.gamma, beta=bn.beta):
        probe = BatchNorm(3).train(training)
        probe.running_mean, probe.running_var = frozen[0].copy(), frozen[1].copy()
        probe.gamma, probe.beta = gamma, beta
        return float(np.sum(probe(x_) * dy))

    bn(x)
    dx, dgamma, dbeta = bn.backward(dy)
    assert max_relative_error(dx, numerical_gradient(loss, x)) < 1e-7
    assert max_relative_error(dgamma, numerical_gradient(lambda g: loss(x, gamma=g), bn.gamma)) < 1e-7
    assert max_relative_error(dbeta, numerical_gradient(lambda b: loss(x, beta=b), bn.beta)) < 1e-7
    if not training:
        assert_close(dx, dy * (bn.gamma / np.sqrt(frozen[1] + bn.eps))[None, :, None], tol=1e-15)


def test_backward_without_affine_returns_no_parameter_gradients():
    bn = BatchNorm(2, affine=False)
    bn(np.random.default_rng(5).normal(size=(4, 2)))
    dx, dgamma, dbeta = bn.backward(np.ones((4, 2)))
    assert dgamma is None and dbeta is None
    assert_close(dx, np.zeros((4, 2)), tol=1e-15)  # a constant upstream gradient is removed by the centering


# ---------- Keras 3 convention ----------


def test_momentum_conversions():
    assert keras_to_torch_momentum(0.99) == pytest.approx(0.01)
    assert keras_to_torch_momentum(0.9) == pytest.approx(0.1)  # the seed page's "0.9" is torch's 0.1
    assert torch_to_keras_momentum(0.1) == pytest.approx(0.9)
    assert torch_to_keras_momentum(keras_to_torch_momentum(0.75)) == pytest.approx(0.75)
    assert update_running(np.array([10.0]), np.array([20.0]), 0.1).tolist() == pytest.approx([11.0])


def test_keras_defaults():
    bn = BatchNorm.keras(4)
    assert bn.eps == 1e-3
    assert bn.momentum == pytest.approx(0.01)
    assert bn.convention == "keras"
    assert repr(bn) == "BatchNorm.keras(4, momentum=0.99, epsilon=0.001) [train]"


def test_keras_refuses_neither_eps_zero_nor_a_single_value():
    x = np.array([[1.0, 5.0], [3.0, 5.0]])
    y = BatchNorm.keras(2, epsilon=0.0)(x)  # Keras 3.15: the bare formula, NaN for the constant feature
    assert y[:, 0].tolist() == [-1.0, 1.0] and np.isnan(y[:, 1]).all()
    with pytest.raises(ValueError, match="eps must be positive during training"):
        BatchNorm(2, eps=0.0)(x)


def test_keras_momentum_weights_the_old_value_and_keeps_a_biased_variance():
    x = np.array([[1.0, 10.0], [3.0, 14.0], [5.0, 12.0]])
    bn = BatchNorm.keras(2, momentum=0.9)
    bn(x)
    assert_close(bn.running_mean, 0.9 * 0.0 + 0.1 * x.mean(axis=0), tol=1e-15)
    assert_close(bn.running_var, 0.9 * 1.0 + 0.1 * x.var(axis=0), tol=1e-15)  # ddof=0, unlike torch's


def test_an_empty_batch_is_counted_but_leaves_the_running_statistics_alone():
    """As torch 2.13 (golden edge.bnm.empty_batch.*); Keras 3.15 would make its moving statistics NaN."""
    for bn in (BatchNorm(3), BatchNorm.keras(3)):
        y = bn(np.ones((0, 3)))
        assert y.shape == (0, 3)
        assert bn.running_mean.tolist() == [0.0] * 3 and bn.running_var.tolist() == [1.0] * 3
        assert bn.num_batches_tracked == 1


def test_keras_single_sample_training_gives_beta():
    bn = BatchNorm.keras(3)
    bn.beta = np.array([0.5, -1.0, 2.0])
    y = bn(np.array([[7.0, -3.0, 100.0]]))
    assert_close(y, np.array([[0.5, -1.0, 2.0]]), tol=0)
    assert_close(bn.running_var, np.full(3, 0.99), tol=1e-15)  # biased variance of one value is 0


KERAS_TOL = 1e-5  # Keras 3 computes batch norm in float32 even for float64 inputs (see tests/make_golden.py)


@pytest.mark.skipif("keras.2d.gamma" not in GOLDEN, reason="fixture made without keras")
@pytest.mark.parametrize("dims", DIMS)
def test_keras_steps_match_keras3(dims):
    params = golden_case(f"keras.{dims}")
    assert (float(params["momentum"]), float(params["epsilon"])) == (0.99, 1e-3)
    bn = BatchNorm.keras(params["gamma"].size)
    bn.gamma, bn.beta = params["gamma"], params["beta"]
    for step in STEPS:
        case = golden_case(f"keras.{dims}.{step}")
        np.testing.assert_allclose(bn(case["x"]), case["y"], rtol=0, atol=KERAS_TOL)
        np.testing.assert_allclose(bn.running_mean, case["moving_mean"], rtol=0, atol=KERAS_TOL)
        np.testing.assert_allclose(bn.running_var, case["moving_variance"], rtol=0, atol=KERAS_TOL)
    case = golden_case(f"keras.{dims}.eval")
    np.testing.assert_allclose(bn.eval()(case["x"]), case["y"], rtol=0, atol=KERAS_TOL)
    single = golden_case(f"keras.{dims}.single")  # one sample in training: (1, C, *)
    np.testing.assert_allclose(bn.train()(single["x"]), single["y"], rtol=0, atol=KERAS_TOL)


def test_keras_moving_variance_differs_from_torch_by_bessel():
    """Same batch, same momentum: Keras' moving variance uses M, torch's M - 1."""
    x = np.random.default_rng(6).normal(size=(5, 2, 2))
    keras_bn, torch_bn = BatchNorm.keras(2, momentum=0.9), BatchNorm(2, momentum=0.1)
    keras_bn(x)
    torch_bn(x)
    m = 10
    assert_close(keras_bn.running_mean, torch_bn.running_mean, tol=1e-15)
    assert_close((keras_bn.running_var - 0.9) * m / (m - 1), torch_bn.running_var - 0.9, tol=1e-14)
