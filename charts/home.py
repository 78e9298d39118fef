"""The home page's preview: a batch's features before and after batch normalization."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from bn_core.data import feature_names

from . import FEATURE_COLORS, zero_rule


def before_after_frame(x: np.ndarray, xhat: np.ndarray) -> pd.DataFrame:
    """Long table of a batch before and after normalization.

    x, xhat: (N, F). Returns columns stage ("Input x" / "Normalized x̂"), feature ("F0"...), value.
    """
    n, f = x.shape
    features = np.tile(feature_names(f), n)
    return pd.concat(
        [pd.DataFrame({"stage": stage, "feature": features, "value": values.reshape(-1)})
         for stage, values in (("Input x", x), ("Normalized x̂", xhat))],
        ignore_index=True,
    )


def before_after_chart(x: np.ndarray, xhat: np.ndarray) -> alt.HConcatChart:
    """Two strip plots side by side: each feature's values in the input (own location and scale)
    and after normalization (all centred on the zero line, unit spread)."""
    data = before_after_frame(x, xhat)
    features = feature_names(x.shape[1])
    color = alt.Color("feature:N", scale=alt.Scale(domain=features, range=FEATURE_COLORS[: len(features)]),
                      legend=alt.Legend(orient="bottom", title=None))

    def strip(stage: str, title: str) -> alt.LayerChart:
        points = alt.Chart().mark_tick(thickness=3, size=18).encode(
            x=alt.X("value:Q", title=None),
            y=alt.Y("feature:N", title=None, sort=features),
            color=color,
            tooltip=["feature", alt.Tooltip("value:Q", format=".2f")],
        )
        layers = [points, zero_rule("x")] if stage.startswith("Normalized") else [points]
        return alt.layer(*layers, data=data[data.stage == stage]).properties(title=title, height=160)

    return alt.hconcat(
        strip("Input x", "Before: each feature has its own mean and scale"),
        strip("Normalized x̂", "After: every feature centred on 0 with unit spread"),
    ).resolve_scale(x="independent")
