"""validate: score the model on the held-out rows and check the thresholds.

Every metric is computed and the report stored before the thresholds are judged, so a step
that misses a threshold still reports what it measured.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import pandas as pd
from sklearn import metrics as skm

from executor.artifacts import write_json
from executor.context import PhaseOutput, StepContext
from executor.errors import InputError, ParameterError, ThresholdError
from executor.standalone import scoring
from executor.standalone.scoring import predictions_sha256

log = logging.getLogger(__name__)  # a child of "executor", which a step logs to

METRICS = {
    "classification": ("accuracy", "precision", "recall", "f1", "roc_auc"),
    "regression": ("rmse", "mae", "r2"),
}


def read_thresholds(records: list[dict[str, Any]], task: str) -> list[dict[str, Any]]:
    """Each threshold as ``{metric, min, max}``, checked against the task's metrics."""
    valid = METRICS[task]
    checked = []
    for record in records:
        metric, low, high = record.get("metric"), record.get("min"), record.get("max")
        if metric not in valid:
            raise ParameterError(
                f"threshold metric {metric!r} is not computed for {task}; "
                f"set ol:metricName to one of {', '.join(valid)}"
            )
        bounds = [b for b in (low, high) if b is not None]
        if not bounds or not all(isinstance(b, int | float) for b in bounds):
            raise ParameterError(
                f"threshold on {metric} needs a numeric minimum or maximum, got "
                f"min={low!r} max={high!r}; give it ol:minValue or ol:maxValue"
            )
        checked.append({"metric": metric, "min": low, "max": high})
    return checked


def classification_metrics(pipeline: Any, x: pd.DataFrame, y: pd.Series) -> dict[str, Any]:
    found = scoring.classification_metrics(pipeline, x, y)
    if "roc_auc" not in found["metrics"]:
        log.info("roc_auc not computed: no scores, or a single class in the test rows")
    classes = pipeline.classes_
    matrix = skm.confusion_matrix(y, found["predicted"], labels=classes)
    return {
        "metrics": found["metrics"],
        "confusion_matrix": {"labels": classes.tolist(), "matrix": matrix.tolist()},
        "predictions_sha256": predictions_sha256(found["predicted"]),
    }


def regression_metrics(pipeline: Any, x: pd.DataFrame, y: pd.Series) -> dict[str, Any]:
    found = scoring.regression_metrics(pipeline, x, y)
    return {
        "metrics": found["metrics"],
        "predictions_sha256": predictions_sha256(found["predicted"]),
    }


EVALUATORS = {"classification": classification_metrics, "regression": regression_metrics}


def judge(threshold: dict[str, Any], value: float | None) -> tuple[bool, str | None]:
    """Whether ``value`` passes, and the sentence saying why not."""
    metric, low, high = threshold["metric"], threshold["min"], threshold["max"]
    if value is None:
        return False, f"{metric} could not be computed for this model and test split"
    if low is not None and value < low:
        return False, f"{metric} {value:.3f} is below the minimum {low}"
    if high is not None and value > high:
        return False, f"{metric} {value:.3f} is above the maximum {high}"
    return True, None


def check(thresholds: list[dict[str, Any]], values: dict[str, float]) -> tuple[list, list]:
    checks, misses = [], []
    for threshold in thresholds:
        value = values.get(threshold["metric"])
        passed, why = judge(threshold, value)
        checks.append({**threshold, "value": value, "passed": passed})
        if why:
            misses.append(why)
    return checks, misses


def held_out(ctx: StepContext) -> tuple[pd.DataFrame, pd.Series]:
    model, splits = ctx.inputs["model"], ctx.inputs["splits"]
    test = splits["test"]
    needed = [*model["feature_columns"], model["target"]]
    missing = [column for column in needed if column not in test.columns]
    if missing:
        raise InputError(
            f"the test split lacks {', '.join(missing)}, which the model needs; "
            "consume the splits the model was built from"
        )
    return test[model["feature_columns"]], test[model["target"]]


def run(ctx: StepContext) -> PhaseOutput:
    task = ctx.params.task()
    model = ctx.inputs["model"]
    if model["task"] != task:
        raise InputError(
            f"the model was built for {model['task']} but this step's task is {task}; "
            "consume a model from the same experiment"
        )
    thresholds = read_thresholds(ctx.params.records("thresholds"), task)
    x, y = held_out(ctx)
    evaluated = EVALUATORS[task](model["pipeline"], x, y)
    values = finite(evaluated["metrics"])
    log.info("%s on %d test rows: %s", model["estimator"], len(x), _format(values))
    checks, misses = check(thresholds, values)
    report = {**evaluated, "metrics": values, "task": task, "test_rows": len(x)}
    report |= {"thresholds": checks, "passed": not misses}
    outputs = ctx.save("report.json", lambda p: write_json(p, report))
    summary = {"thresholds": checks, "passed": not misses, "test_rows": len(x)}
    used = {"thresholds": thresholds}
    if misses:
        raise ThresholdError(
            "; ".join(misses) + "; improve the model or change the ol:threshold",
            outputs=outputs,
            metrics=values,
            parameters=used,
            summary=summary,
        )
    return PhaseOutput(outputs, metrics=values, parameters=used, summary=summary)


def finite(values: dict[str, Any]) -> dict[str, float]:
    """The metrics as floats; undefined ones (e.g. r2 on one row) are left out."""
    kept = {name: float(value) for name, value in values.items() if math.isfinite(value)}
    for name in values.keys() - kept.keys():
        log.info("%s is undefined on this test split and is left out", name)
    return kept


def _format(values: dict[str, float]) -> str:
    return ", ".join(f"{name}={value:.4f}" for name, value in values.items())
