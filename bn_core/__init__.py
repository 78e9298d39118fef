"""bn_core: batch normalization and its variants in plain numpy, matching PyTorch 2.13 to float64 precision.

Read it in this order: `stats` (two-pass batch statistics), `normalize` (the one normalize-over-axes forward and
its backward), `functional` (every layer as a choice of axes, accepting and refusing what torch does),
`batchnorm` (the layer with running statistics, PyTorch's and Keras' conventions), `renorm` (Batch
Renormalization with its stop-gradient backward, Ghost BatchNorm with Hoffer's and Composer's running
statistics), `nn` (a tiny network to train), then `data`, `toy_data`, `losses`, `gradcheck`.
"""

from .batchnorm import BatchNorm, keras_to_torch_momentum, torch_to_keras_momentum, update_running
from .data import DISTRIBUTIONS, SEED_EXAMPLE_BATCH, FeatureSpec, make_batch, seed_example_batch, seed_like_specs
from .functional import (
    batch_norm,
    batch_norm_axes,
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
from .normalize import NormCache, norm_backward, normalize_forward
from .stats import batch_mean, batch_var, mean_and_deviations

__all__ = [
    "DISTRIBUTIONS", "SEED_EXAMPLE_BATCH", "BatchNorm", "FeatureSpec", "NormCache", "batch_mean", "batch_norm",
    "batch_norm_axes", "batch_norm_forward", "batch_var", "group_norm", "group_norm_forward", "instance_norm",
    "instance_norm_forward", "keras_to_torch_momentum", "layer_norm", "layer_norm_forward", "make_batch",
    "mean_and_deviations", "norm_backward", "normalize_forward", "rms_norm", "rms_norm_forward",
    "seed_example_batch", "seed_like_specs", "torch_to_keras_momentum", "update_running",
]
