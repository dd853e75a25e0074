"""explore: profile every column and the correlations between numeric columns."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from executor.artifacts import Dataset, write_json
from executor.context import PhaseOutput, StepContext
from executor.standalone.profile import column_profile, to_json_value

log = logging.getLogger(__name__)  # a child of "executor", which a step logs to

_SUMMARY_FIELDS = ("name", "dtype", "count", "missing", "unique", "mean", "std", "min", "max")


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
