"""bn_core.losses: the two losses, their upstream gradients and the default targets."""

import numpy as np
import pytest

from bn_core.gradcheck import numerical_gradient
from bn_core.losses import LOSSES, default_values, loss_function, squared_error, weighted_sum

Y = np.array([0.5, -1.25, 2.0, 0.0])
VALUES = np.array([1.0, -1.0, 0.5, 3.0])


def test_squared_error_by_hand():
    loss, dy = squared_error(Y, VALUES)
    assert loss == pytest.approx(0.5 * (0.25 + 0.0625 + 2.25 + 9.0))
    np.testing.assert_array_equal(dy, [-0.5, -0.25, 1.5, -3.0])


def test_weighted_sum_by_hand():
    loss, dy = weighted_sum(Y, VALUES)
    assert loss == pytest.approx(0.5 + 1.25 + 1.0 + 0.0)
    np.testing.assert_array_equal(dy, VALUES)
    dy[0] = 99.0
    assert VALUES[0] == 1.0, "the returned gradient must not alias the caller's weights"


@pytest.mark.parametrize("name", LOSSES)
def test_gradient_matches_finite_differences(name):
    f = loss_function(name)
    _, dy = f(Y, VALUES)
    numeric = numerical_gradient(lambda y: f(y, VALUES)[0], Y)
    np.testing.assert_allclose(dy, numeric, atol=1e-8)


@pytest.mark.parametrize("f", [squared_error, weighted_sum])
def test_shape_mismatch_is_a_clear_error(f):
    with pytest.raises(ValueError, match="shape"):
        f(Y, VALUES[:3])


def test_unknown_loss():
    with pytest.raises(ValueError, match="unknown loss"):
        loss_function("hinge")


def test_default_values_ramp_with_nonzero_mean():
    values = default_values(8)
    assert values.shape == (8,)
    assert values[0] == -1.0 and values[-1] == 2.0
    assert np.all(np.diff(values) > 0)
    assert values.mean() != 0  # a zero-mean ramp would make one term of dx vanish by accident
    np.testing.assert_array_equal(values, np.round(values, 2))
    with pytest.raises(ValueError):
        default_values(0)
