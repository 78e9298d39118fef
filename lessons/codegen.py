"""Constructor lines for the same BatchNorm layer in PyTorch, Keras 3 and Flax.

One setting, three spellings. PyTorch's momentum is the weight of the *new* batch; Keras' and Flax's is
the weight of the *old* running value, so they get 1 - momentum. momentum=None (PyTorch's cumulative
average) has no Keras or Flax equivalent; for those the snippet is a comment saying so.

The three do not track the same variance: PyTorch's running_var averages the unbiased batch variance
(divide by m - 1), Keras 3's moving_variance and Flax's batch_stats["var"] the biased one (divide by m).

Checked against:
- PyTorch 2.13: every PyTorch snippet is executed by tests/lessons/test_codegen.py (live when torch imports,
  else against tests/fixtures/codegen_torch.json, made by scripts/make_codegen_fixture.py with torch 2.13).
  torch refuses eps=0 in training (`batch_norm eps must be positive during training`), so for ε = 0 the snippet
  says so and constructs the layer with PYTORCH_EPS_FOR_ZERO instead: a snippet that fails at its first step
  teaches nothing.
- Keras 3: `keras/src/layers/normalization/batch_normalization.py` (keras-team/keras main, commit 0502951, Keras
  3.x): `BatchNormalization(axis=-1, momentum=0.99, epsilon=1e-3, ...)`, moving = moving·momentum +
  batch·(1 − momentum), epsilon taken as given (0 accepted).
- Flax: `flax/linen/normalization.py` (google/flax, commit 018c99b, Linen API): `nn.BatchNorm(use_running_average=
  None, axis=-1, momentum=0.99, epsilon=1e-5, ...)`; `use_running_average` is given at construction or per call,
  `mutable=["batch_stats"]` lets a training call update the statistics; epsilon taken as given.

Standard library only, so the fixture script can import it under the torch environment.
"""

from __future__ import annotations

FRAMEWORKS = ("PyTorch", "Keras 3", "Flax")
PYTORCH_EPS_FOR_ZERO = 1e-8  # the smallest positive ε the lab offers


def no_equivalent_message(framework: str) -> str:
    return (f"momentum=None (a plain average of every batch so far) has no {framework} equivalent: "
            f"{framework} only keeps an exponential moving average.")


def python_number(value: float) -> str:
    """A float as Python source, without binary noise: 0.1 -> "0.1", 1 - 0.07 -> "0.93", 1e-5 -> "1e-05"."""
    return repr(float(round(value, 12)))


def pytorch_line(num_features: int, *, eps: float, momentum: float | None) -> str:
    """`nn.BatchNorm1d(C, eps=..., momentum=...)`; momentum is PyTorch's (weight of the new batch) or None.
    ε = 0, which torch refuses in training, becomes PYTORCH_EPS_FOR_ZERO."""
    momentum_source = "None" if momentum is None else python_number(momentum)
    eps = PYTORCH_EPS_FOR_ZERO if eps == 0 else eps
    return f"nn.BatchNorm1d({num_features}, eps={python_number(eps)}, momentum={momentum_source})"


def keras_line(*, eps: float, momentum: float | None) -> str:
    """`keras.layers.BatchNormalization(momentum=1 - m, epsilon=...)`, or a comment when momentum is None."""
    if momentum is None:
        return f"# {no_equivalent_message('Keras')}"
    return f"keras.layers.BatchNormalization(momentum={python_number(1 - momentum)}, epsilon={python_number(eps)})"


def flax_line(*, eps: float, momentum: float | None) -> str:
    """`nn.BatchNorm(momentum=1 - m, epsilon=...)`, or a comment for None; the mode is chosen per call."""
    if momentum is None:
        return f"# {no_equivalent_message('Flax')}"
    return f"nn.BatchNorm(momentum={python_number(1 - momentum)}, epsilon={python_number(eps)})"


FLAX_CALLS = ('# training: y, updates = bn.apply(variables, x, use_running_average=False, mutable=["batch_stats"])\n'
              "# inference: y = bn.apply(variables, x, use_running_average=True)")
PYTORCH_EPS_ZERO_NOTE = ("# PyTorch 2.13 refuses eps=0 in training (ValueError: batch_norm eps must be positive\n"
                         "# during training), so this layer uses the smallest positive eps, "
                         f"{PYTORCH_EPS_FOR_ZERO:g}.\n")
ZERO_EPS_NOTE = "# epsilon=0.0 is accepted: a constant feature then divides 0 by 0.\n"


def constructor_snippets(num_features: int, *, eps: float, momentum: float | None) -> dict[str, str]:
    """Copyable snippets (import + constructor) per framework, in FRAMEWORKS order."""
    zero_note = ZERO_EPS_NOTE if eps == 0 else ""
    pytorch_note = PYTORCH_EPS_ZERO_NOTE if eps == 0 else ""
    pytorch = f"import torch.nn as nn\n\n{pytorch_note}bn = {pytorch_line(num_features, eps=eps, momentum=momentum)}"
    flax = _snippet("import flax.linen as nn", flax_line(eps=eps, momentum=momentum), zero_note)
    return {
        "PyTorch": pytorch,
        "Keras 3": _snippet("import keras", keras_line(eps=eps, momentum=momentum), zero_note),
        "Flax": flax if momentum is None else f"{flax}\n{FLAX_CALLS}",
    }


def _snippet(import_line: str, line: str, note: str = "") -> str:
    return line if line.startswith("#") else f"{import_line}\n\n{note}bn = {line}"
