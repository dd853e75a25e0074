"""explore: profile every column and the correlations between numeric columns."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types

from executor.artifacts import Dataset, to_json_value, write_json
from executor.context import PhaseOutput, StepContext

log = logging.getLogger(__name__)  # a child of "executor", which a step logs to

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
HISTOGRAM_BINS = 20
TOP_VALUES = 10
_SUMMARY_FIELDS = ("name", "dtype", "count", "missing", "unique", "mean", "std", "min", "max")


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


def correlation(frame: pd.DataFrame, numeric: list[str]) -> dict[str, Any]:
    """Pearson correlation over the numeric columns; undefined entries become null."""
    matrix = frame[numeric].astype(float).corr(method="pearson") if numeric else pd.DataFrame()
    return {"columns": numeric, "matrix": to_json_value(matrix.to_numpy().tolist())}


def column_summary(profile: dict[str, Any]) -> dict[str, Any]:
    summary = {key: profile.get(key) for key in _SUMMARY_FIELDS}
    if profile["kind"] != "numeric":
        summary.update(mean=None, std=None, min=None, max=None)
    return summary


def run(ctx: StepContext) -> PhaseOutput:
    dataset: Dataset = ctx.inputs["dataset"]
    frame = dataset.frame
    log.info("profiling %d rows x %d columns", *frame.shape)
    columns = [column_profile(str(name), frame[name]) for name in frame.columns]
    numeric = [c["name"] for c in columns if c["kind"] == "numeric"]
    profile = {
        "rows": len(frame),
        "target_column": dataset.target_column,
        "columns": columns,
        "correlation": correlation(frame, numeric),
    }
    log.info("profiled %d columns, %d numeric", len(columns), len(numeric))
    outputs = ctx.save("profile.json", lambda p: write_json(p, profile))
    return PhaseOutput(
        outputs=outputs,
        summary=to_json_value(
            {"rows": len(frame), "columns": [column_summary(c) for c in columns]}
        ),
    )
