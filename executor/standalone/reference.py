"""Reference profiles: the per-feature statistics drift detection compares a window against.

A build computes one over its training rows (``reference_profile``) and stores it beside the
model, so serving never recomputes it; ``server.monitoring.drift`` bins a window of rows with
the same functions (``numeric_values``, ``bin_numeric``, ``category_keys``; the first and last
from ``executor.standalone.columns``), so the reference's bins and the window's agree exactly.

Numbers: bins between quantile edges of the training values, left-closed, with open-ended
outer bins (``(-inf, e1)``, ``[e1, e2)`` … ``[ek, +inf)``); a feature with few distinct values
gets one bin per value (edges between them), plus empty bins below and above, so a value never
seen in training lands in a bin of its own. Categories: the most frequent ones plus "other".
Missing values are counted apart from the bins.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from executor.standalone.columns import category_keys, is_numeric_feature, numeric_values

# --- code ---
REFERENCE_FORMAT = "ontolab.reference_profile/1"
NUMERIC_BINS = 20
TOP_CATEGORIES = 20


def numeric_edges(values: np.ndarray, bins: int = NUMERIC_BINS) -> np.ndarray:
    """Inner bin edges from the non-missing ``values``: quantile edges, or, for a feature with
    at most ``bins`` distinct values, one bin per value."""
    present = np.sort(values[np.isfinite(values)])  # infinities fall into the open outer bins
    if present.size == 0:
        return np.empty(0)
    changes = np.flatnonzero(np.diff(present)) + 1
    if changes.size < bins:  # at most ``bins`` distinct values
        distinct = present[np.concatenate([[0], changes])]
        # edges at the smallest value, between neighbours and just above the largest: values
        # below or above everything seen in training fall into the empty outer bins
        middles = (distinct[:-1] + distinct[1:]) / 2
        return np.concatenate([distinct[:1], middles, [np.nextafter(distinct[-1], np.inf)]])
    inner = np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1])
    return np.unique(inner)


def bin_numeric(values: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, int]:
    """Counts per bin (``len(edges) + 1`` of them) of the non-missing values, and the number
    missing. Bins are left-closed: a value equal to an edge belongs to the bin above it."""
    missing = np.isnan(values)
    n_missing = int(missing.sum())
    present = values[~missing] if n_missing else values
    index = np.searchsorted(edges, present, side="right")
    return np.bincount(index, minlength=edges.size + 1), n_missing


def numeric_feature(series: pd.Series, bins: int = NUMERIC_BINS) -> dict[str, Any]:
    values = numeric_values(series)
    edges = numeric_edges(values, bins)
    counts, missing = bin_numeric(values, edges)
    present = values[np.isfinite(values)]
    return {
        "kind": "numeric",
        "missing": missing,
        "edges": [float(e) for e in edges],
        "counts": [int(c) for c in counts],
        # the range data validation widens by its tolerance (``data_checks``); None: no values
        "min": float(present.min()) if present.size else None,
        "max": float(present.max()) if present.size else None,
    }


def categorical_feature(series: pd.Series, top: int = TOP_CATEGORIES) -> dict[str, Any]:
    keys = category_keys(series)
    missing = int(keys.isna().sum())
    frequent = keys.value_counts(dropna=True)
    kept = frequent.head(top)
    other = int(frequent.iloc[top:].sum()) if frequent.size > top else 0
    return {
        "kind": "categorical",
        "missing": missing,
        "categories": [str(c) for c in kept.index],
        "counts": [int(c) for c in kept.to_numpy()] + [other],  # the last count is "other"
    }


def reference_profile(
    frame: pd.DataFrame,
    columns: list[str] | None = None,
    bins: int = NUMERIC_BINS,
    top: int = TOP_CATEGORIES,
) -> dict[str, Any]:
    """The reference statistics of ``frame``'s ``columns`` (default: all), JSON-ready."""
    features: dict[str, Any] = {}
    for name in columns if columns is not None else list(frame.columns):
        series = frame[name]
        if is_numeric_feature(series):
            feature = numeric_feature(series, bins)
        else:
            feature = categorical_feature(series, top)
        feature["missing_rate"] = feature["missing"] / len(frame) if len(frame) else 0.0
        features[str(name)] = feature
    return {"format": REFERENCE_FORMAT, "rows": len(frame), "features": features}
