"""The trials of a run's AutoML steps (``server.tracking.trials``): a table and a
score-over-trials chart's data."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from server.api.common import (
    PROBLEM_RESPONSE,
    get_platform,
    json_response,
    object_schema,
    path_parameter,
)
from server.tracking.trials import run_trials

blueprint = Blueprint("trials", __name__)


@blueprint.get("/api/runs/<run_id>/trials")
def trials(run_id: str) -> dict[str, Any]:
    """404 for an unknown run; an empty list for a run without AutoML steps."""
    return {"run_id": run_id, "trials": run_trials(get_platform().store, run_id)}


_STRING = {"type": "string"}
_NUMBER = {"type": "number"}
TRIAL_SCHEMA = object_schema(
    {
        "step_id": _STRING,
        "number": {"type": "integer", "minimum": 0},
        "kind": {"enum": ["baseline", "default", "search"]},
        "estimator": _STRING,
        "status": {"enum": ["succeeded", "failed"]},
        "scoring": _STRING,
        "mean_score": _NUMBER,
        "fit_seconds": _NUMBER,
        "started": _STRING,
        "ended": _STRING,
        "error": _STRING,
        "best": {"type": "boolean", "description": "its model is the step's model"},
        "params": {"type": "object", "description": "hyperparameters: NAME → value"},
        "fold_scores": {"type": "array", "items": _NUMBER},
    },
    ["step_id", "number", "best", "params", "fold_scores"],
)
_TRIALS = object_schema(
    {"run_id": _STRING, "trials": {"type": "array", "items": TRIAL_SCHEMA}},
    ["run_id", "trials"],
)

OPENAPI: dict[str, Any] = {
    "/api/runs/{run_id}/trials": {
        "get": {
            "summary": "The trials of the run's AutoML steps, by step and number",
            "description": "One entry per trial an ol:AutoML step evaluated (also those a "
            "failed, cancelled or timed-out search finished): its estimator, hyperparameters, "
            "score on each validation fold, mean score (greater is better, by `scoring`), fit "
            "time and status; `best` marks the trial whose model is the step's. Empty for a "
            "run without AutoML steps.",
            "parameters": [path_parameter("run_id")],
            "responses": {"200": json_response("the trials", _TRIALS), "404": PROBLEM_RESPONSE},
        }
    },
}
