"""/api/experiments/ID/triggers: what starts runs of an experiment (schedule, new dataset
version, drift, live performance, manual), firing one by hand, and each trigger's firings."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from server.api.common import (
    QueryLimit,
    get_platform,
    json_body,
    json_request,
    json_response,
    object_schema,
    path_parameter,
    problem_response,
)
from server.auth.check import current_agent
from server.automation.triggers import FIELDS

blueprint = Blueprint("triggers", __name__)
FIRINGS_LIMIT = QueryLimit(50, 1000)
_BASE = "/api/experiments/<identifier>/triggers"


@blueprint.post(_BASE)
def create(identifier: str) -> tuple[dict[str, Any], int]:
    return get_platform().triggers.create(identifier, json_body()).to_json(), 201


@blueprint.get(_BASE)
def list_triggers(identifier: str) -> dict[str, Any]:
    return {"triggers": [t.to_json() for t in get_platform().triggers.listing(identifier)]}


@blueprint.get(f"{_BASE}/<trigger_id>")
def get(identifier: str, trigger_id: str) -> dict[str, Any]:
    return get_platform().triggers.get(identifier, trigger_id).to_json()


@blueprint.delete(f"{_BASE}/<trigger_id>")
def remove(identifier: str, trigger_id: str) -> dict[str, Any]:
    return get_platform().triggers.remove(identifier, trigger_id).to_json()


@blueprint.post(f"{_BASE}/<trigger_id>/fire")
def fire(identifier: str, trigger_id: str) -> tuple[dict[str, Any], int]:
    firing = get_platform().triggers.fire(identifier, trigger_id, current_agent())
    return firing.to_json(), 201


@blueprint.get(f"{_BASE}/<trigger_id>/firings")
def firings(identifier: str, trigger_id: str) -> dict[str, Any]:
    limit = FIRINGS_LIMIT.read()
    found = get_platform().triggers.firings(identifier, trigger_id, limit)
    return {"firings": [f.to_json() for f in found]}


_SETTINGS: dict[str, Any] = {
    "label": {"type": "string", "description": "a name for people"},
    "debounce_seconds": {
        "type": "number",
        "minimum": 0,
        "description": "a firing this soon after the previous one starts no run (default 0)",
    },
    "cooldown_seconds": {
        "type": "number",
        "minimum": 0,
        "description": "no run starts this soon after the trigger's last run started (0)",
    },
    "cron": {
        "type": "string",
        "description": "five fields (minute hour day-of-month month day-of-week) or @daily, …",
    },
    "timezone": {"type": "string", "description": "IANA time zone (default UTC)"},
    "dataset": {"type": "string", "description": "the uploaded dataset whose versions fire it"},
    "threshold": {
        "type": "number",
        "description": "drift: share of drifted features (0-1]; performance: the metric value",
    },
    "windows": {"type": "integer", "minimum": 1, "description": "windows in a row (default 1)"},
    "metric": {"type": "string", "description": "a measure of the experiment's task"},
    "direction": {"enum": ["below", "above"], "description": "default: by the metric"},
    "deployments": {"type": "array", "items": {"type": "string"}},
    "model": {"type": "string", "description": "a registered model name to watch"},
}
_REQUIRED = {
    "schedule": ["cron"],
    "new_data": ["dataset"],
    "drift": ["threshold"],
    "performance": ["metric", "threshold"],
    "manual": [],
}


def _request(kind: str) -> dict[str, Any]:
    properties = {"kind": {"const": kind}}
    properties |= {key: _SETTINGS[key] for key in FIELDS[kind] if key != "kind"}
    schema = object_schema(properties, ["kind", *_REQUIRED[kind]])
    schema["additionalProperties"] = False  # an unknown key is refused (400), never dropped
    return schema


_TRIGGER = object_schema(
    {
        "id": {"type": "string"},
        "iri": {"type": "string", "description": "the trigger's node and graph (ol:Trigger)"},
        "kind": {"enum": list(FIELDS)},
        "experiment": {"type": "string"},
        "created": {"type": "string", "format": "date-time"},
        "baseline_version": {
            "type": ["integer", "null"],
            "description": "new_data: the dataset's newest version when the trigger was made",
        },
        **{key: {"description": value.get("description", "")} for key, value in _SETTINGS.items()},
    },
    ["id", "iri", "kind", "experiment", "created", "debounce_seconds", "cooldown_seconds"],
)
_FIRING = object_schema(
    {
        "id": {"type": "string"},
        "trigger": {"type": "string"},
        "experiment": {"type": "string"},
        "time": {"type": "string", "format": "date-time"},
        "outcome": {"enum": ["started", "debounced", "cooldown", "in_flight", "failed"]},
        "detail": {"type": "string", "description": "what was observed and what came of it"},
        "run_id": {"type": ["string", "null"], "description": "the run it started"},
        "in_flight_run": {"type": ["string", "null"], "description": "the run that kept it"},
        "observed_value": {"type": ["number", "null"]},
        "scheduled_for": {"type": ["string", "null"], "description": "schedule: the cron tick"},
        "dataset_version": {"type": ["string", "null"], "description": "new_data: its IRI"},
        "deployment": {"type": ["string", "null"]},
        "window_end": {"type": ["string", "null"]},
        "evaluation": {"type": ["string", "null"], "description": "the window's evaluation"},
    },
    ["id", "trigger", "experiment", "time", "outcome", "detail", "run_id"],
)
_EXPERIMENT = [path_parameter("identifier")]
_ONE = [*_EXPERIMENT, path_parameter("trigger_id")]
_NOT_FOUND = problem_response("problem JSON: no such experiment, or no such trigger of it")

OPENAPI: dict[str, Any] = {
    "/api/experiments/{identifier}/triggers": {
        "post": {
            "summary": "Add a trigger that starts runs of the experiment's newest version",
            "description": "Kinds: schedule (cron, timezone), new_data (dataset), drift "
            "(threshold on the drift share, windows in a row, deployments or model), performance "
            "(metric, threshold, direction), manual. Validated by the trigger's SHACL shape; the "
            "cron expression by croniter; the metric must be one the experiment's task has.",
            "parameters": _EXPERIMENT,
            "requestBody": json_request({"oneOf": [_request(kind) for kind in FIELDS]}),
            "responses": {
                "201": json_response("the trigger, in force", _TRIGGER),
                "400": problem_response(
                    "problem JSON: unknown kind or key, malformed cron or time zone, a metric the "
                    "task lacks, values the shape refuses (violations); nothing stored"
                ),
                "404": problem_response("problem JSON: no such experiment"),
            },
        },
        "get": {
            "summary": "The experiment's triggers in force, oldest first",
            "parameters": _EXPERIMENT,
            "responses": {
                "200": json_response(
                    "the triggers",
                    object_schema({"triggers": {"type": "array", "items": _TRIGGER}}, ["triggers"]),
                ),
                "404": problem_response("problem JSON: no such experiment"),
            },
        },
    },
    "/api/experiments/{identifier}/triggers/{trigger_id}": {
        "get": {
            "summary": "One trigger",
            "parameters": _ONE,
            "responses": {"200": json_response("the trigger", _TRIGGER), "404": _NOT_FOUND},
        },
        "delete": {
            "summary": "Take a trigger out of force; its firings stay in its graph",
            "parameters": _ONE,
            "responses": {"200": json_response("the removed trigger", _TRIGGER), "404": _NOT_FOUND},
        },
    },
    "/api/experiments/{identifier}/triggers/{trigger_id}/fire": {
        "post": {
            "summary": "Fire a trigger by hand (any kind; debounce, cooldown and the one run in "
            "flight per experiment still apply)",
            "parameters": _ONE,
            "responses": {
                "201": json_response("the firing: the run it started, or why none", _FIRING),
                "404": _NOT_FOUND,
            },
        }
    },
    "/api/experiments/{identifier}/triggers/{trigger_id}/firings": {
        "get": {
            "summary": "A trigger's firings, newest first",
            "parameters": [
                *_ONE,
                FIRINGS_LIMIT.parameter,
            ],
            "responses": {
                "200": json_response(
                    "the firings",
                    object_schema({"firings": {"type": "array", "items": _FIRING}}, ["firings"]),
                ),
                "400": problem_response("problem JSON: limit out of range"),
                "404": _NOT_FOUND,
            },
        }
    },
}
