"""lessons.codegen: the same layer written for PyTorch, Keras 3 and Flax — and every PyTorch snippet executed."""

from __future__ import annotations

import ast
import json
import pathlib

import numpy as np
import pytest

from bn_core.batchnorm import BatchNorm
from lessons.codegen import (
    FRAMEWORKS,
    PYTORCH_EPS_FOR_ZERO,
    constructor_snippets,
    flax_line,
    keras_line,
    python_number,
    pytorch_line,
)

FIXTURE = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "codegen_torch.json"
CASES = json.loads(FIXTURE.read_text())["cases"]

# The constructor keywords each framework documents, read from its source (see lessons/codegen.py's docstring):
# Keras 3 (keras-team/keras main, commit 0502951) keras/src/layers/normalization/batch_normalization.py, and Flax
# Linen (google/flax commit 018c99b) flax/linen/normalization.py's BatchNorm fields and BatchNorm.apply's call.
KERAS_BATCHNORM_KEYWORDS = {"axis", "momentum", "epsilon", "center", "scale", "beta_initializer",
                            "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
                            "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint",
                            "synchronized"}
FLAX_BATCHNORM_FIELDS = {"use_running_average", "axis", "momentum", "epsilon", "dtype", "param_dtype", "use_bias",
                         "use_scale", "bias_init", "scale_init", "axis_name", "axis_index_groups",
                         "use_fast_variance", "force_float32_reductions"}


def test_defaults_map_pytorch_0_1_to_keras_and_flax_0_9():
    assert pytorch_line(4, eps=1e-5, momentum=0.1) == "nn.BatchNorm1d(4, eps=1e-05, momentum=0.1)"
    assert keras_line(eps=1e-5, momentum=0.1) == "keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-05)"
    assert flax_line(eps=1e-5, momentum=0.1) == "nn.BatchNorm(momentum=0.9, epsilon=1e-05)"


@pytest.mark.parametrize(("momentum", "old_weight"), [(0.07, "0.93"), (0.3, "0.7"), (1.0, "0.0"), (0.01, "0.99")])
def test_old_value_weight_is_one_minus_pytorch_momentum(momentum, old_weight):
    assert f"momentum={old_weight}," in keras_line(eps=1e-3, momentum=momentum)
    assert f"momentum={old_weight}," in flax_line(eps=1e-3, momentum=momentum)
    assert pytorch_line(2, eps=1e-3, momentum=momentum).endswith(f"momentum={python_number(momentum)})")


def test_momentum_none_has_no_keras_or_flax_equivalent():
    assert pytorch_line(3, eps=1e-5, momentum=None) == "nn.BatchNorm1d(3, eps=1e-05, momentum=None)"
    lines = {"Keras": keras_line(eps=1e-5, momentum=None), "Flax": flax_line(eps=1e-5, momentum=None)}
    for framework, line in lines.items():
        assert line.startswith("# momentum=None")
        assert f"no {framework} equivalent" in line


def test_eps_zero_is_refused_by_pytorch_so_its_snippet_says_so_and_still_runs():
    snippets = constructor_snippets(2, eps=0.0, momentum=0.1)
    assert "refuses eps=0 in training" in snippets["PyTorch"]
    assert snippets["PyTorch"].endswith(f"nn.BatchNorm1d(2, eps={python_number(PYTORCH_EPS_FOR_ZERO)}, momentum=0.1)")
    assert "epsilon=0.0" in snippets["Keras 3"] and "epsilon=0.0 is accepted" in snippets["Keras 3"]


def test_python_number_has_no_binary_noise():
    assert python_number(1 - 0.07) == "0.93"
    assert python_number(0.1 + 0.2) == "0.3"
    assert python_number(1e-5) == "1e-05"
    assert python_number(0) == "0.0"


def _calls(source: str) -> list[ast.Call]:
    return [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)]


@pytest.mark.parametrize("eps", [0.0, 1e-4])
@pytest.mark.parametrize("momentum", [0.1, 0.55, None])
def test_keras_and_flax_snippets_use_only_documented_keywords(momentum, eps):
    snippets = constructor_snippets(2, eps=eps, momentum=momentum)
    assert list(snippets) == list(FRAMEWORKS)
    if momentum is None:
        assert snippets["Keras 3"] == keras_line(eps=eps, momentum=None)
        return
    (keras_call,) = _calls(snippets["Keras 3"])
    assert ast.unparse(keras_call.func) == "keras.layers.BatchNormalization"
    assert {k.arg for k in keras_call.keywords} <= KERAS_BATCHNORM_KEYWORDS
    flax = snippets["Flax"]
    (flax_call,) = _calls(flax)
    assert ast.unparse(flax_call.func) == "nn.BatchNorm"
    assert {k.arg for k in flax_call.keywords} <= FLAX_BATCHNORM_FIELDS
    # every name the Flax code uses is imported or assigned in it (the old `not train` had no `train`)
    code = ast.parse(flax)
    used = {n.id for n in ast.walk(code) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    assert used <= {"nn"}
    assert "use_running_average=False" in flax and 'mutable=["batch_stats"]' in flax
    assert "use_running_average=True" in flax


def test_the_fixture_covers_the_snippets_the_page_emits_today():
    assert len(CASES) == 90
    for case in CASES:
        assert constructor_snippets(case["features"], eps=case["eps"], momentum=case["momentum"])["PyTorch"] == (
            case["snippet"]), "snippet changed: rerun scripts/make_codegen_fixture.py with torch"


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"C{c['features']}-eps{c['eps']:g}-m{c['momentum']}")
def test_every_pytorch_snippet_ran_under_torch_as_bn_core_computes(case):
    """torch 2.13 ran the snippet and one training + one eval step (fixture); bn_core's BatchNorm with the same
    settings gives the same numbers, so the snippet builds the layer the page simulates."""
    assert case["torch_momentum"] == case["momentum"]
    assert case["torch_eps"] == (PYTORCH_EPS_FOR_ZERO if case["eps"] == 0 else case["eps"]) > 0
    layer = BatchNorm(case["features"], eps=case["torch_eps"], momentum=case["momentum"])
    x = np.array(case["x"])
    np.testing.assert_allclose(layer(x), case["train_output"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.running_mean, case["running_mean"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(layer.running_var, case["running_var"], rtol=1e-12)
    np.testing.assert_allclose(layer.eval()(x), case["eval_output"], rtol=1e-10, atol=1e-12)


def test_pytorch_snippets_run_live_when_torch_is_installed():
    torch = pytest.importorskip("torch")  # not in the app's environment; the fixture above stands in
    for case in CASES:
        scope: dict = {}
        exec(constructor_snippets(case["features"], eps=case["eps"], momentum=case["momentum"])["PyTorch"], scope)
        bn = scope["bn"].double().train()
        bn(torch.tensor(case["x"], dtype=torch.float64))
        assert repr(bn) == case["repr"]
        np.testing.assert_allclose(bn.running_var.numpy(), case["running_var"], rtol=1e-12)
