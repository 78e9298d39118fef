"""Constructor lines for the same BatchNorm layer in PyTorch, Keras 3 and Flax.

One setting, three spellings. PyTorch's momentum is the weight of the *new* batch; Keras' and Flax's is
the weight of the *old* running value, so they get 1 - momentum. momentum=None (PyTorch's cumulative
average) has no Keras or Flax equivalent; for those the snippet is a comment saying so.

The three do not track the same variance: PyTorch's running_var averages the unbiased batch variance
(divide by m - 1), Keras 3's moving_variance and Flax's batch_stats["var"] the biased one (divide by m).
"""

from __future__ import annotations

from lessons.running import no_equivalent_message

FRAMEWORKS = ("PyTorch", "Keras 3", "Flax")


def python_number(value: float) -> str:
    """A float as Python source, without binary noise: 0.1 -> "0.1", 1 - 0.07 -> "0.93", 1e-5 -> "1e-05"."""
    return repr(float(round(value, 12)))


def pytorch_line(num_features: int, *, eps: float, momentum: float | None) -> str:
    """`nn.BatchNorm1d(C, eps=..., momentum=...)`; momentum is PyTorch's (weight of the new batch) or None."""
    momentum_source = "None" if momentum is None else python_number(momentum)
    return f"nn.BatchNorm1d({num_features}, eps={python_number(eps)}, momentum={momentum_source})"


def keras_line(*, eps: float, momentum: float | None) -> str:
    """`keras.layers.BatchNormalization(momentum=1 - m, epsilon=...)`, or a comment when momentum is None."""
    if momentum is None:
        return f"# {no_equivalent_message('Keras')}"
    return f"keras.layers.BatchNormalization(momentum={python_number(1 - momentum)}, epsilon={python_number(eps)})"


def flax_line(*, eps: float, momentum: float | None) -> str:
    """`nn.BatchNorm(momentum=1 - m, epsilon=..., use_running_average=not train)`, or a comment for None."""
    if momentum is None:
        return f"# {no_equivalent_message('Flax')}"
    return (f"nn.BatchNorm(momentum={python_number(1 - momentum)}, epsilon={python_number(eps)}, "
            "use_running_average=not train)")


def constructor_snippets(num_features: int, *, eps: float, momentum: float | None) -> dict[str, str]:
    """Copyable snippets (import + constructor) per framework, in FRAMEWORKS order."""
    return {
        "PyTorch": f"import torch.nn as nn\n\nbn = {pytorch_line(num_features, eps=eps, momentum=momentum)}",
        "Keras 3": _snippet("import keras", keras_line(eps=eps, momentum=momentum)),
        "Flax": _snippet("import flax.linen as nn", flax_line(eps=eps, momentum=momentum)),
    }


def _snippet(import_line: str, line: str) -> str:
    return line if line.startswith("#") else f"{import_line}\n\nbn = {line}"
