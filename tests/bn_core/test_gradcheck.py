"""bn_core.gradcheck: the finite-difference checker that the gradient tests rely on must itself be right."""

from __future__ import annotations

import numpy as np
import pytest

from bn_core.gradcheck import max_relative_error, numerical_gradient


def test_numerical_gradient_of_known_functions():
    x = np.array([[0.5, -1.0], [2.0, 3.0]])
    np.testing.assert_allclose(numerical_gradient(lambda v: float(np.sum(v**2)), x), 2 * x, atol=1e-8)
    np.testing.assert_allclose(numerical_gradient(lambda v: float(np.sum(np.sin(v))), x), np.cos(x), atol=1e-8)
    w = np.array([[1.0, -2.0], [0.5, 4.0]])
    np.testing.assert_allclose(numerical_gradient(lambda v: float(np.sum(w * v)), x), w, atol=1e-8)


def test_numerical_gradient_leaves_its_input_alone_and_accepts_ints():
    x = np.array([1.0, 2.0, 3.0])
    numerical_gradient(lambda v: float(v @ v), x)
    assert x.tolist() == [1.0, 2.0, 3.0]
    np.testing.assert_allclose(numerical_gradient(lambda v: float(v @ v), [1, 2]), [2.0, 4.0], atol=1e-8)


def test_numerical_gradient_catches_a_wrong_analytic_gradient():
    x = np.array([0.3, -0.7])
    numeric = numerical_gradient(lambda v: float(np.sum(v**3)), x)
    assert max_relative_error(3 * x**2, numeric) < 1e-8
    assert max_relative_error(2 * x**2, numeric) > 0.1


def test_max_relative_error_is_absolute_near_zero_and_relative_for_large_values():
    assert max_relative_error(np.array([1e-3]), np.array([0.0])) == pytest.approx(1e-3)
    assert max_relative_error(np.array([1000.0]), np.array([1001.0])) == pytest.approx(1 / 1001)
    assert max_relative_error(np.array([]), np.array([])) == 0.0
