"""check: validate the dataset (or the splits) a step consumes before anything trains on it.

The expectations come from the definition (row counts, overall missing rate, and per column:
required, type, range, allowed values, missing rate); the reference profile, when the step
names a model version, is the input ``reference_profile`` the platform staged. Every
expectation is checked and the report stored before the step judges it, so a failing step
names every violation at once in its error and its log, and its report is recorded either way.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from executor.artifacts import write_json
from executor.context import PhaseOutput, StepContext
from executor.contract import REFERENCE_INPUT
from executor.errors import DataCheckError, InputError, ParameterError
from executor.standalone.data_checks import COLUMN_TYPES, DEFAULT_TOLERANCE, check_table
from executor.standalone.reference import REFERENCE_FORMAT

log = logging.getLogger(__name__)  # a child of "executor", which a step logs to

DATA_REPORT_FORMAT = "ontolab.data_report/1"

TABLE_KEYS = ("min_rows", "max_rows", "max_missing_rate")


def read_expectations(ctx: StepContext) -> dict[str, Any]:
    """The declared expectations, checked: known column types, ``min`` ≤ ``max``, rates in
    [0, 1] and counts ≥ 0 (SHACL refuses such definitions; this guards other callers)."""
    params = ctx.params
    found: dict[str, Any] = {key: params.scalar(key) for key in TABLE_KEYS if key in params}
    columns = []
    for column in params.records("columns"):
        name = column.get("name")
        if not isinstance(name, str) or not name:
            raise ParameterError("a column expectation has no column name; add ol:columnName")
        _check_column(name, column)
        columns.append({k: v for k, v in column.items() if v is not None})
    found["columns"] = columns
    _check_bounds("the table", found.get("min_rows"), found.get("max_rows"))
    _check_rate("the table", found.get("max_missing_rate"))
    return found


def _check_column(name: str, column: dict[str, Any]) -> None:
    declared = column.get("type")
    if declared is not None and declared not in COLUMN_TYPES:
        raise ParameterError(
            f"column {name!r} has type {declared!r}, which is not a column type; "
            f"use one of {', '.join(COLUMN_TYPES)}"
        )
    _check_bounds(f"column {name!r}", column.get("min"), column.get("max"))
    _check_rate(f"column {name!r}", column.get("max_missing_rate"))


def _check_bounds(what: str, low: Any, high: Any) -> None:
    if low is not None and high is not None and float(low) > float(high):
        raise ParameterError(f"{what} has a minimum {low} above its maximum {high}; swap them")


def _check_rate(what: str, rate: Any) -> None:
    if rate is not None and not 0 <= float(rate) <= 1:
        raise ParameterError(
            f"{what} has a missing-rate limit {rate}, outside 0 to 1; write a share, e.g. 0.05"
        )


def checked_frame(ctx: StepContext) -> pd.DataFrame:
    """The rows to check: the dataset, or the train and test rows of the splits together."""
    if "dataset" in ctx.inputs:
        return ctx.inputs["dataset"].frame
    if "splits" in ctx.inputs:
        splits = ctx.inputs["splits"]
        return pd.concat([splits["train"], splits["test"]], ignore_index=True)
    raise InputError(
        "a check step needs the dataset or the splits to check; add ol:consumes with the "
        "output of an extract or a process step"
    )


def reference(ctx: StepContext) -> dict[str, Any] | None:
    profile = ctx.inputs.get(REFERENCE_INPUT)
    if profile is None:
        return None
    if not isinstance(profile, dict) or profile.get("format") != REFERENCE_FORMAT:
        raise InputError(
            f"the reference profile is not in the format {REFERENCE_FORMAT!r}; re-run the "
            "build of the model version it belongs to"
        )
    return profile


def read_tolerance(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ParameterError(
            f"reference_tolerance must be a number of 0 or more, got {value!r}; set "
            "ol:referenceTolerance to e.g. 0.1 (ranges widened by a tenth of their width)"
        )
    return float(value)


def run(ctx: StepContext) -> PhaseOutput:
    expectations = read_expectations(ctx)
    frame = checked_frame(ctx)
    profile = reference(ctx)
    tolerance = read_tolerance(ctx.params.scalar("reference_tolerance", DEFAULT_TOLERANCE))
    report = {"format": DATA_REPORT_FORMAT, **check_table(frame, expectations, profile, tolerance)}
    staged = ctx.spec.parameters.get(REFERENCE_INPUT)
    if isinstance(staged, dict):
        report["reference"] = {k: staged[k] for k in ("model", "version", "sha256") if k in staged}
        report["reference"]["tolerance"] = tolerance
    outputs = ctx.save("data_report.json", lambda p: write_json(p, report))
    failed = len(report["violations"])
    log.info(
        "checked %d rows × %d columns: %d expectations, %d violated",
        report["rows"],
        report["columns"],
        len(report["checks"]),
        failed,
    )
    for sentence in report["violations"]:
        log.error("violation: %s", sentence)
    summary = {key: report[key] for key in ("rows", "columns", "checks", "passed")}
    summary["reference"] = report.get("reference")
    used = {**expectations, "reference_tolerance": tolerance}
    if failed:
        raise DataCheckError(
            f"{failed} data expectation(s) not met: "
            + "; ".join(report["violations"])
            + "; fix the data or the expectations of this step",
            outputs=outputs,
            parameters=used,
            summary=summary,
        )
    return PhaseOutput(outputs, parameters=used, summary=summary)
