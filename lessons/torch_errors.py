"""PyTorch 2.13's refusals of a training batch, word for word (tests/fixtures/golden.npz), and the message it raises
for a given batch. bn_core raises in the same cases and order, with its own explanation and the shape as a tuple."""

from __future__ import annotations

import numpy as np

from bn_core.functional import batch_norm

SINGLE_VALUE = "Expected more than 1 value per channel when training"  # how bn_core's and torch's messages begin
TORCH_SINGLE_VALUE = SINGLE_VALUE + ", got input size torch.Size({dims})"
EPS_NOT_POSITIVE = "batch_norm eps must be positive during training"
TORCH_EPS_ERROR = EPS_NOT_POSITIVE + ", but got {eps}"
TORCH_ZERO_EPS_ERROR = "ValueError: " + TORCH_EPS_ERROR.format(eps=0.0)  # as a traceback's last line reads


def pytorch_training_error(x, eps: float = 1e-5) -> str | None:
    """The message PyTorch raises for x (N, C, *) in training mode with this eps, or None when x can be normalized."""
    try:
        batch_norm(x, training=True, eps=eps)
    except ValueError as error:
        if str(error).startswith(SINGLE_VALUE):
            return TORCH_SINGLE_VALUE.format(dims=list(np.shape(x)))
        if str(error).startswith(EPS_NOT_POSITIVE):
            return TORCH_EPS_ERROR.format(eps=float(eps))
        return str(error)
    return None
