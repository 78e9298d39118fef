"""lessons.codegen: the same layer written for PyTorch, Keras 3 and Flax."""

from __future__ import annotations

import ast

import pytest

from lessons.codegen import (
    FRAMEWORKS,
    constructor_snippets,
    flax_line,
    keras_line,
    python_number,
    pytorch_line,
)


def test_defaults_map_pytorch_0_1_to_keras_and_flax_0_9():
    assert pytorch_line(4, eps=1e-5, momentum=0.1) == "nn.BatchNorm1d(4, eps=1e-05, momentum=0.1)"
    assert keras_line(eps=1e-5, momentum=0.1) == "keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-05)"
    assert flax_line(eps=1e-5, momentum=0.1) == (
        "nn.BatchNorm(momentum=0.9, epsilon=1e-05, use_running_average=not train)"
    )


@pytest.mark.parametrize(("momentum", "old_weight"), [(0.07, "0.93"), (0.3, "0.7"), (1.0, "0.0"), (0.01, "0.99")])
def test_old_value_weight_is_one_minus_pytorch_momentum(momentum, old_weight):
    assert f"momentum={old_weight}," in keras_line(eps=1e-3, momentum=momentum)
    assert f"momentum={old_weight}," in flax_line(eps=1e-3, momentum=momentum)
    assert pytorch_line(2, eps=1e-3, momentum=momentum).endswith(f"momentum={python_number(momentum)})")


def test_momentum_none_has_no_keras_or_flax_equivalent():
    assert pytorch_line(3, eps=0.0, momentum=None) == "nn.BatchNorm1d(3, eps=0.0, momentum=None)"
    lines = {"Keras": keras_line(eps=1e-5, momentum=None), "Flax": flax_line(eps=1e-5, momentum=None)}
    for framework, line in lines.items():
        assert line.startswith("# momentum=None")
        assert f"no {framework} equivalent" in line


def test_python_number_has_no_binary_noise():
    assert python_number(1 - 0.07) == "0.93"
    assert python_number(0.1 + 0.2) == "0.3"
    assert python_number(1e-5) == "1e-05"
    assert python_number(0) == "0.0"


@pytest.mark.parametrize("momentum", [0.1, 0.55, None])
def test_snippets_are_valid_python_with_the_constructor_lines(momentum):
    snippets = constructor_snippets(2, eps=1e-4, momentum=momentum)
    assert list(snippets) == list(FRAMEWORKS)
    for snippet in snippets.values():
        ast.parse(snippet)
    assert snippets["PyTorch"].endswith(f"bn = {pytorch_line(2, eps=1e-4, momentum=momentum)}")
    if momentum is None:
        assert snippets["Keras 3"] == keras_line(eps=1e-4, momentum=None)
    else:
        assert snippets["Keras 3"] == f"import keras\n\nbn = {keras_line(eps=1e-4, momentum=momentum)}"
        assert snippets["Flax"] == f"import flax.linen as nn\n\nbn = {flax_line(eps=1e-4, momentum=momentum)}"
