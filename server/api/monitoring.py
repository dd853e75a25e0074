"""/api/deployments/ID/monitoring: drift and live performance of a deployment's window of
logged requests (evaluated on request, recorded once per window), and the recorded history."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from server.api.common import (
    QueryLimit,
    get_platform,
    json_response,
    object_schema,
    problem_response,
)
from server.errors import BadRequest
from server.monitoring.evaluation_record import MAX_HISTORY

blueprint = Blueprint("monitoring", __name__)
HISTORY_LIMIT = QueryLimit(100, MAX_HISTORY)


@blueprint.get("/api/deployments/<deployment_id>/monitoring")
def evaluate(deployment_id: str) -> dict[str, Any]:
    """Evaluate one window now: ``?window=last:N | since:TIME | duration:D``."""
    unknown = set(request.args) - {"window"}
    if unknown:
        raise BadRequest(f"unknown query parameter(s) {sorted(unknown)}; give only window")
    window = request.args.get("window")
    evaluation = get_platform().monitoring.evaluate(deployment_id, window)
    return evaluation.to_json()


@blueprint.get("/api/deployments/<deployment_id>/monitoring/history")
def history(deployment_id: str) -> dict[str, Any]:
    """The recorded window evaluations, newest window first."""
    found = get_platform().monitoring.history(deployment_id, HISTORY_LIMIT.read())
    return {"deployment_id": deployment_id, "evaluations": found}


_NUMBER_OR_NULL = {"type": ["number", "null"]}
_WINDOW = object_schema(
    {
        "spec": {"type": "string"},
        "kind": {"enum": ["last", "since", "duration"]},
        "last": {"type": ["integer", "null"]},
        "since": {"type": ["string", "null"]},
        "duration_seconds": _NUMBER_OR_NULL,
        "start": {"type": ["string", "null"], "description": "log time of the first row"},
        "end": {"type": ["string", "null"], "description": "log time of the last row"},
        "rows": {"type": "integer"},
    },
    ["spec", "kind", "start", "end", "rows"],
)
_PERFORMANCE = object_schema(
    {
        "task": {"type": ["string", "null"]},
        "labelled_rows": {"type": "integer"},
        "metrics": {
            "type": "object",
            "additionalProperties": {"type": "number"},
            "description": "accuracy and f1 (classification) or rmse and mae (regression)",
        },
        "note": {"type": ["string", "null"], "description": "e.g. no feedback yet"},
    },
    ["task", "labelled_rows", "metrics", "note"],
)
_EVALUATION = object_schema(
    {
        "deployment_id": {"type": "string"},
        "model": {"type": "string"},
        "version": {"type": "integer"},
        "window": _WINDOW,
        "evaluated_at": {"type": "string"},
        "drift": {
            "type": ["object", "null"],
            "description": "per feature PSI, Jensen-Shannon distance, test and corrected "
            "p-value; the drift share and verdict. null when it cannot be computed: see "
            "drift_note",
        },
        "drift_note": {"type": ["string", "null"]},
        "performance": _PERFORMANCE,
        "evaluation": {
            "type": ["string", "null"],
            "description": "the window's ol:WindowEvaluation node (null for an empty window)",
        },
    },
    ["deployment_id", "model", "version", "window", "drift", "drift_note", "performance"],
)
_HISTORY = object_schema(
    {
        "deployment_id": {"type": "string"},
        "evaluations": {"type": "array", "items": {"type": "object"}},
    },
    ["deployment_id", "evaluations"],
)
_ID = {"name": "deployment_id", "in": "path", "required": True, "schema": {"type": "string"}}

OPENAPI: dict[str, Any] = {
    "/api/deployments/{deployment_id}/monitoring": {
        "get": {
            "summary": "Drift and live performance of one window of the deployment's logged "
            "requests, evaluated now (and recorded once per window)",
            "parameters": [
                _ID,
                {
                    "name": "window",
                    "in": "query",
                    "description": "last:N (rows), since:ISO-8601-TIME or duration:D (90s, 15m, "
                    "1h, 7d); default ONTOLAB_MONITOR_WINDOW",
                    "schema": {"type": "string"},
                },
            ],
            "responses": {
                "200": json_response("the window's evaluation", _EVALUATION),
                "400": problem_response("problem JSON: a window that is not one of the forms"),
                "404": problem_response("problem JSON: no such deployment"),
            },
        }
    },
    "/api/deployments/{deployment_id}/monitoring/history": {
        "get": {
            "summary": "The deployment's recorded window evaluations, newest window first",
            "parameters": [
                _ID,
                HISTORY_LIMIT.parameter,
            ],
            "responses": {
                "200": json_response("the evaluations", _HISTORY),
                "400": problem_response("problem JSON: limit out of range"),
                "404": problem_response("problem JSON: no such deployment"),
            },
        }
    },
}
