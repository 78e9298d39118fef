"""A batch's features as the Demo's distribution view draws them: one row per feature, each row holding the
samples (strips), a histogram or a density curve, and the mean ± 1σ.

Heights are relative to each feature's own peak (0…1): the view compares shapes, not counts, so a skewed, a
bimodal and a heavy-tailed feature of the same batch are told apart at a glance.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from lessons.format import MINUS

VIEWS = {"samples": "Samples", "histogram": "Histogram", "density": "Density"}
MAX_BINS = 40
DENSITY_POINTS = 80


def _finite(column: np.ndarray) -> np.ndarray:
    return column[np.isfinite(column)]


def histogram_bins(values: np.ndarray) -> np.ndarray:
    """Bin edges for one feature's finite values: numpy's "auto" rule (the larger of Sturges and
    Freedman–Diaconis), at most MAX_BINS bins; one bin of width 1 around a constant feature."""
    if values.min() == values.max():
        return np.array([values.min() - 0.5, values.max() + 0.5])
    edges = np.histogram_bin_edges(values, bins="auto")
    return edges if len(edges) <= MAX_BINS + 1 else np.histogram_bin_edges(values, bins=MAX_BINS)


POINT_MASS_WIDTH = 1e-3  # a constant feature's density spike, relative to its value (at least 1)


def density_curve(values: np.ndarray, points: int = DENSITY_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """A Gaussian kernel density estimate with Silverman's bandwidth, (grid, density) each (points,), over the
    values' range padded by three bandwidths."""
    n = len(values)
    spread = min(values.std(), (np.percentile(values, 75) - np.percentile(values, 25)) / 1.34) or values.std()
    # A constant feature has no spread to smooth over: a narrow spike shows its one value (a bandwidth of 1 drew it
    # as a bell as wide as a normalized feature's)
    bandwidth = 0.9 * spread * n ** -0.2 if spread > 0 else POINT_MASS_WIDTH * max(abs(float(values[0])), 1.0)
    grid = np.linspace(values.min() - 3 * bandwidth, values.max() + 3 * bandwidth, points)
    density = np.exp(-0.5 * ((grid[:, None] - values[None, :]) / bandwidth) ** 2).sum(axis=1)
    return grid, density / (n * bandwidth * math.sqrt(2 * math.pi))


def stage_data(values: np.ndarray, labels: list[str], view: str) -> pd.DataFrame:
    """Everything one stage's panel draws, in one long table (one Arrow table to send). values: (N, F); labels:
    F row labels; view: a key of VIEWS. Column `kind` says what a row is:

    label:   row (feature index), label.
    sample:  row, label, sample (1…N), value: every finite value.
    summary: row, label, mean, sigma (biased), lo = mean − sigma, hi = mean + sigma, for finite features.
    shape:   histogram: row, start, end, count, height (count / the feature's largest count);
             density: row, value, height (density / the feature's peak); none for the samples view.
    Non-finite values (a division by zero) are left out: there is nothing to draw for them. A column a kind does
    not have is empty (NaN) in its rows.
    """
    n, f = values.shape
    label_array = np.asarray(labels, dtype=object)
    keep = np.isfinite(values).reshape(-1)
    sample_rows = np.tile(np.arange(f), n)[keep]
    blocks = [{"kind": "label", "row": np.arange(f), "label": label_array},
              {"kind": "sample", "row": sample_rows, "label": label_array[sample_rows],
               "sample": np.repeat(np.arange(1.0, n + 1), f)[keep], "value": values.reshape(-1)[keep]}]
    columns = [(j, _finite(values[:, j])) for j in range(f)]
    columns = [(j, column) for j, column in columns if column.size]
    means = np.array([column.mean() for _, column in columns])
    sigmas = np.array([column.std() for _, column in columns])
    summary_rows = np.array([j for j, _ in columns], dtype=np.int64)
    blocks.append({"kind": "summary", "row": summary_rows, "label": label_array[summary_rows], "mean": means,
                   "sigma": sigmas, "lo": means - sigmas, "hi": means + sigmas})
    for j, column in columns:
        if view == "histogram":
            counts, edges = np.histogram(column, bins=histogram_bins(column))
            blocks.append({"kind": "shape", "row": np.full(counts.size, j), "start": edges[:-1], "end": edges[1:],
                           "count": counts.astype(float), "height": counts / counts.max()})
        elif view == "density":
            grid, density = density_curve(column)
            blocks.append({"kind": "shape", "row": np.full(grid.size, j), "value": grid,
                           "height": density / density.max()})
    return _stacked(blocks)


STAGE_COLUMNS = ("kind", "row", "label", "sample", "value", "mean", "sigma", "lo", "hi", "start", "end", "count",
                 "height")


def _stacked(blocks: list[dict]) -> pd.DataFrame:
    """Blocks of equal-length columns (a block's "kind" is one string) stacked into one table with the columns
    any block has, in STAGE_COLUMNS' order. Built in one go: a DataFrame per block and pd.concat took 3–8 ms."""
    sizes = [len(block["row"]) for block in blocks]
    present = [name for name in STAGE_COLUMNS if any(name in block for block in blocks)]
    data = {}
    for name in present:
        if name == "kind":
            data[name] = np.repeat([block["kind"] for block in blocks], sizes)
        elif name == "label":
            data[name] = np.concatenate([block.get(name, np.full(size, None, dtype=object))
                                         for block, size in zip(blocks, sizes, strict=True)])
        elif name == "row":
            data[name] = np.concatenate([block[name] for block in blocks]).astype(np.int64)
        else:
            data[name] = np.concatenate([np.asarray(block.get(name, np.full(size, np.nan)), dtype=float)
                                         for block, size in zip(blocks, sizes, strict=True)])
    return pd.DataFrame(data)


def normalized_ticks(xhat: np.ndarray) -> tuple[float, ...]:
    """Axis values for a normalized panel: 0 and ±1, then multiples of a round step (1, 2, 5, 10, …) from 2 out to
    the data's reach on each side (a skewed feature gets more on its long side), at most three a side. Past
    |x̂| = 8 (inference with off-centre running statistics) ±1 would collide with 0's label, so only 0 and the
    multiples remain."""
    finite = xhat[np.isfinite(xhat)]
    high = max(float(finite.max()) if finite.size else 1.0, 1.0)
    low = max(-float(finite.min()) if finite.size else 1.0, 1.0)
    reach = max(high, low)
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 10**3, 10**4, 10**5, 10**6, 10**7) if reach / s <= 3)

    def outer(side_reach: float) -> list[float]:
        return [float(k * step) for k in range(1, 4) if 2 <= k * step <= side_reach + step / 2]

    inner = (-1.0, 0.0, 1.0) if reach <= 8 else (0.0,)
    return tuple(sorted({*inner, *outer(high), *(-t for t in outer(low))}))


def round_ticks(values: np.ndarray, max_ticks: int = 6) -> tuple[float, ...]:
    """Axis values at multiples of a round step (1, 2 or 5 × 10^k) across the finite values' range, at most
    `max_ticks` of them: 0 is labelled whenever the range crosses it (Vega's own ticks can lose it to label
    thinning on a narrow panel)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (0.0,)
    low, high = float(finite.min()), float(finite.max())
    span = max(high - low, 1e-12)
    magnitude = 10.0 ** math.floor(math.log10(span))
    step = next(m * magnitude for m in (0.1, 0.2, 0.5, 1, 2, 5, 10) if span / (m * magnitude) <= max_ticks - 1)
    ticks = np.arange(math.ceil(low / step), math.floor(high / step) + 1) * step
    return tuple(float(round(t, 12)) for t in ticks) or (low,)


def _short(value: float) -> str:
    return f"{value:.3g}".replace("-", MINUS)


def output_labels(names, gamma, beta) -> list[str]:
    """Row labels of the output panel: each feature with its γ and β."""
    return [f"{name} · γ = {_short(g)}, β = {_short(b)}"
            for name, g, b in zip(names, gamma, beta, strict=True)]
