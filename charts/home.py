"""The home page's preview: a batch's features before and after batch normalization, as two single views (the
Demo page's input and normalized panels), so each stretches to its column and a phone stacks them."""

from __future__ import annotations

import numpy as np

from charts.demo import DATASET, stage_chart
from charts.palette import STAGE_LABELS
from charts.spec import arrow_bytes, vega_lite_spec
from lessons.shapes import normalized_ticks, stage_data

TITLES = {"input": "Before: each feature has its own mean and scale",
          "normalized": "After: every feature centred on 0 with unit spread"}


def preview_specs(x: np.ndarray, xhat: np.ndarray, names: list[str]) -> list[dict]:
    """Vega-Lite specs (data attached) of x and xhat, both (N, F), one row per feature: [before, after]."""
    specs = []
    for stage, values, ticks in (("input", x, None), ("normalized", xhat, normalized_ticks(xhat))):
        spec = vega_lite_spec(stage_chart(stage, "samples", x.shape[1], STAGE_LABELS[stage], TITLES[stage], ticks))
        spec["datasets"] = {DATASET: arrow_bytes(stage_data(values, names, "samples"))}
        specs.append(spec)
    return specs
