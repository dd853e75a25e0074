"""Column profiles: what the explore phase computes for every column, and strict JSON values."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types

# --- code ---
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
HISTOGRAM_BINS = 20
TOP_VALUES = 10


def column_kind(series: pd.Series) -> str:
    """numeric, boolean, datetime or categorical (everything else)."""
    if types.is_bool_dtype(series):
        return "boolean"
    if types.is_numeric_dtype(series):
        return "numeric"
    if types.is_datetime64_any_dtype(series):
        return "datetime"
    return "categorical"


def numeric_profile(series: pd.Series) -> dict[str, Any]:
    """Moments, quantiles and a histogram of the finite values."""
    values = series.to_numpy(dtype=float, na_value=np.nan)
    values = values[~np.isnan(values)]
    finite = values[np.isfinite(values)]
    profile: dict[str, Any] = {"infinite": int(values.size - finite.size)}
    if finite.size == 0:
        return profile | {"mean": None, "std": None, "min": None, "max": None}
    counts, edges = np.histogram(finite, bins=HISTOGRAM_BINS)
    quantiles = np.quantile(finite, QUANTILES).tolist()
    return profile | {
        "mean": float(finite.mean()),
        "std": float(finite.std(ddof=1)) if finite.size > 1 else None,
        "min": float(finite.min()),
        "max": float(finite.max()),
        "quantiles": dict(zip(map(str, QUANTILES), quantiles, strict=True)),
        "histogram": {"edges": edges.tolist(), "counts": counts.tolist()},
    }


def top_values(series: pd.Series) -> dict[str, Any]:
    counts = series.value_counts(dropna=True).head(TOP_VALUES)
    return {"top_values": [{"value": value, "count": int(n)} for value, n in counts.items()]}


def datetime_profile(series: pd.Series) -> dict[str, Any]:
    present = series.dropna()
    if present.empty:
        return {"min": None, "max": None}
    return {"min": present.min().isoformat(), "max": present.max().isoformat()}


def categorical_profile(series: pd.Series) -> dict[str, Any]:
    return top_values(series.astype(object).map(str, na_action="ignore"))


KIND_PROFILES: dict[str, Callable[[pd.Series], dict[str, Any]]] = {
    "numeric": numeric_profile,
    "boolean": top_values,
    "datetime": datetime_profile,
    "categorical": categorical_profile,
}


def column_profile(name: str, series: pd.Series) -> dict[str, Any]:
    kind = column_kind(series)
    missing = int(series.isna().sum())
    base = {
        "name": name,
        "dtype": str(series.dtype),
        "kind": kind,
        "count": int(series.size - missing),
        "missing": missing,
        "unique": int(series.nunique(dropna=True)),
    }
    return base | KIND_PROFILES[kind](series)


def to_json_value(value: Any) -> Any:
    """``value`` with numpy scalars made plain and NaN/Infinity made None (strict JSON)."""
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [to_json_value(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
