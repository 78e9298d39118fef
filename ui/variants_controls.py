"""The Variants page's shape controls: the (N, C, H·W) tensor every part of the page normalizes and GroupNorm's G."""

from __future__ import annotations

from lessons import variants
from ui.controls import bound
from ui.layout import card_row


def shape_controls() -> tuple[tuple[int, int, int], int]:
    """Four sliders in a row: ((N, C, H·W), G), G always a divisor of C."""
    row = card_row()
    num_samples = bound(row.slider, "Batch size N", key="n", min_value=1, max_value=8, value=4,
                        help="Samples in the batch: the rows of each grid.")
    num_channels = bound(row.slider, "Channels C", key="c", min_value=1, max_value=12, value=6,
                         help="Feature maps per sample: the patches of each grid row.")
    spatial = bound(row.slider, "Positions per channel H·W", key="hw", min_value=1, max_value=16, value=4,
                    help="The spatial size of each feature map, flattened (a 2 × 2 image has 4 positions).")
    num_groups = bound(row.select_slider, "Groups G (GroupNorm)", key="g",
                       options=variants.divisors(num_channels), value=2 if num_channels % 2 == 0 else 1,
                       help="GroupNorm splits the C channels into G groups of C/G; only divisors of C are possible. "
                            "G = 1 has LayerNorm's statistics, G = C InstanceNorm's.")
    return (num_samples, num_channels, spatial), num_groups
