"""/api/tracking/...: record a run from any code (what the SDK's ``ontolab.start_run`` sends).

Thin over ``platform.tracked`` (``server.runs.tracked``): start a run, send batches of params,
metrics (with step history) and tags (a resent ``batch_id`` adds nothing), upload an artifact
(PUT bytes to its path; content-addressed), log a model (PUT the pickled scikit-learn model; it
enters the registry and deploys like a native one), end the run, get it. Uploads are limited to
``ONTOLAB_MAX_UPLOAD_MB`` (413 past it).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Blueprint, Response, request, send_file

from server.api.common import (
    PROBLEM_RESPONSE,
    CappedBody,
    get_platform,
    json_body,
    json_request,
    json_response,
    object_schema,
    path_parameter,
    problem_response,
)
from server.auth.check import current_agent
from server.errors import BadRequest, UploadTooLarge
from server.runs.tracked import MetricPoint

blueprint = Blueprint("tracking", __name__)


@blueprint.post("/api/tracking/runs")
def start() -> tuple[dict[str, Any], int]:
    body = json_body()
    experiment = body.get("experiment")
    if not isinstance(experiment, str) or not experiment:
        raise BadRequest('name the experiment: {"experiment": "churn"}')
    run = get_platform().tracked.start(
        experiment,
        name=_optional_text(body, "name"),
        run_id=_optional_text(body, "run_id"),
        started_at=_optional_text(body, "started_at"),
        tags=_mapping(body, "tags"),
        started_by=current_agent(),
    )
    return run.to_json(), 201


@blueprint.get("/api/tracking/runs/<run_id>")
def get(run_id: str) -> dict[str, Any]:
    return get_platform().tracked.get(run_id).to_json()


@blueprint.post("/api/tracking/runs/<run_id>/batch")
def batch(run_id: str) -> dict[str, Any]:
    body = json_body()
    batch_id = body.get("batch_id")
    if batch_id is not None and not isinstance(batch_id, str):
        raise BadRequest("batch_id must be a string (a fresh one per batch, kept on a resend)")
    run = get_platform().tracked.log(
        run_id,
        params=_mapping(body, "params"),
        metrics=_points(body.get("metrics")),
        tags=_mapping(body, "tags"),
        batch_id=batch_id,
    )
    return {"run_id": run.run_id, "status": run.status, "batch_id": batch_id}


@blueprint.put("/api/tracking/runs/<run_id>/artifacts/<path:path>")
def put_artifact(run_id: str, path: str) -> tuple[dict[str, Any], int]:
    platform = get_platform()
    body = _body()
    ref = platform.tracked.log_artifact(run_id, path, body)
    return {"path": path, "sha256": ref.sha256, "size": ref.size, "media_type": ref.media_type}, 201


@blueprint.get("/api/tracking/runs/<run_id>/artifacts/<path:path>")
def get_artifact(run_id: str, path: str) -> Response:
    platform = get_platform()
    ref = platform.tracked.artifact(run_id, path)
    return send_file(
        platform.artifacts.path(ref.sha256),
        mimetype=ref.media_type,
        as_attachment=True,
        download_name=path.rsplit("/", 1)[-1],
        etag=ref.sha256,
    )


@blueprint.put("/api/tracking/runs/<run_id>/models/<name>")
def put_model(run_id: str, name: str) -> tuple[dict[str, Any], int]:
    platform = get_platform()
    data = _body().read()
    flavor = request.args.get("flavor", "sklearn")
    version = platform.tracked.log_model(run_id, name, data, flavor=flavor)
    return version.to_json(), 201


@blueprint.post("/api/tracking/runs/<run_id>/end")
def end(run_id: str) -> dict[str, Any]:
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict):
        raise BadRequest('send a JSON object, e.g. {"status": "succeeded"}')
    status = body.get("status", "succeeded")
    if not isinstance(status, str):
        raise BadRequest("status must be one of succeeded, failed, cancelled")
    run = get_platform().tracked.end(run_id, status, _optional_text(body, "ended_at"))
    return run.to_json()


def _body() -> CappedBody:
    """The request body, UploadTooLarge (413) past ``ONTOLAB_MAX_UPLOAD_MB``."""
    limit = int(get_platform().settings.max_upload_mb * 1024 * 1024)
    return CappedBody(request.stream, limit, partial(_too_large, limit), request.content_length)


def _too_large(limit: int) -> UploadTooLarge:
    return UploadTooLarge(
        f"the upload is over the limit of {limit / 1024 / 1024:g} MB; send a smaller file or "
        "raise ONTOLAB_MAX_UPLOAD_MB"
    )


def _optional_text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"{key} must be a string")
    return value


def _mapping(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key) or {}
    if not isinstance(value, dict):
        raise BadRequest(f'{key} must be a JSON object of key: value, e.g. {{"lr": "0.1"}}')
    return value


def _points(raw: Any) -> list[MetricPoint]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(p, dict) for p in raw):
        raise BadRequest(
            'metrics must be a list of {"key": ..., "value": ..., "step": ..., "timestamp": ...}'
        )
    points = []
    for point in raw:
        if "key" not in point or "value" not in point:
            raise BadRequest(f"metric {point!r} needs a key and a value")
        points.append(
            MetricPoint(point["key"], point["value"], point.get("step"), point.get("timestamp"))
        )
    return points


_STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}
_RUN = object_schema(
    {
        "run_id": {"type": "string"},
        "experiment": {"type": "string"},
        "experiment_id": {"type": "string"},
        "name": {"type": ["string", "null"]},
        "status": {"type": "string", "enum": ["running", "succeeded", "failed", "cancelled"]},
        "started_at": {"type": "string"},
        "ended_at": {"type": ["string", "null"]},
        "source": {"type": "string"},
        "deleted": {"type": "boolean"},
        "number": {"type": ["integer", "null"]},
        "started_by": {"type": ["string", "null"], "description": "the user who started it"},
        "params": _STRINGS,
        "tags": _STRINGS,
        "metrics": {"type": "object", "additionalProperties": {"type": "number"}},
        "metric_history": {"type": "object"},
        "artifacts": {"type": "array", "items": {"type": "object"}},
        "models": {"type": "array", "items": {"type": "object"}},
    },
    ["run_id", "experiment", "experiment_id", "status", "started_at", "params", "metrics"],
)
_RUN_ID = path_parameter("run_id")
_CONFLICT = problem_response("problem JSON: the run ended (start a new run)")
_INVALID = problem_response(
    "problem JSON: a metric that is not a number, a param re-logged with another value, "
    "a bad artifact path or model"
)

OPENAPI: dict[str, Any] = {
    "/api/tracking/runs": {
        "post": {
            "summary": "Start a run tracked from any code (its experiment is created if absent)",
            "requestBody": json_request(
                object_schema(
                    {
                        "experiment": {"type": "string"},
                        "name": {"type": "string"},
                        "tags": _STRINGS,
                        "run_id": {"type": "string"},
                        "started_at": {"type": "string"},
                    },
                    ["experiment"],
                )
            ),
            "responses": {
                "201": json_response("the run", _RUN),
                "400": _INVALID,
                "409": problem_response("problem JSON: a run with that id exists"),
            },
        }
    },
    "/api/tracking/runs/{run_id}": {
        "get": {
            "summary": "A tracked run: params, tags, metrics with history, artifacts, models",
            "parameters": [_RUN_ID],
            "responses": {"200": json_response("the run", _RUN), "404": PROBLEM_RESPONSE},
        }
    },
    "/api/tracking/runs/{run_id}/batch": {
        "post": {
            "summary": "Log a batch of params, metrics and tags in one write; a batch_id sent "
            "before adds nothing",
            "parameters": [_RUN_ID],
            "requestBody": json_request(
                object_schema(
                    {
                        "batch_id": {"type": "string"},
                        "params": _STRINGS,
                        "tags": _STRINGS,
                        "metrics": {
                            "type": "array",
                            "items": object_schema(
                                {
                                    "key": {"type": "string"},
                                    "value": {"type": "number"},
                                    "step": {"type": "integer"},
                                    "timestamp": {"type": "integer"},
                                },
                                ["key", "value"],
                            ),
                        },
                    },
                    [],
                )
            ),
            "responses": {
                "200": json_response(
                    "received",
                    object_schema(
                        {"run_id": {"type": "string"}, "status": {"type": "string"}},
                        ["run_id", "status"],
                    ),
                ),
                "400": _INVALID,
                "404": PROBLEM_RESPONSE,
                "409": _CONFLICT,
            },
        }
    },
    "/api/tracking/runs/{run_id}/artifacts/{path}": {
        "put": {
            "summary": "Upload a file of the run at a relative path (content-addressed)",
            "parameters": [_RUN_ID, path_parameter("path")],
            "requestBody": {"content": {"application/octet-stream": {}}},
            "responses": {
                "201": json_response("stored: path, sha256, size, media_type", {"type": "object"}),
                "400": _INVALID,
                "404": PROBLEM_RESPONSE,
                "409": _CONFLICT,
                "413": problem_response("problem JSON: over ONTOLAB_MAX_UPLOAD_MB"),
            },
        },
        "get": {
            "summary": "Download a file the run logged",
            "parameters": [_RUN_ID, path_parameter("path")],
            "responses": {"200": {"description": "the file"}, "404": PROBLEM_RESPONSE},
        },
    },
    "/api/tracking/runs/{run_id}/models/{name}": {
        "put": {
            "summary": "Log a fitted scikit-learn model (joblib or pickle bytes); it is "
            "registered as the next version of NAME and deploys like a native model",
            "parameters": [
                _RUN_ID,
                path_parameter("name"),
                {"name": "flavor", "in": "query", "schema": {"type": "string"}},
            ],
            "requestBody": {"content": {"application/octet-stream": {}}},
            "responses": {
                "201": json_response("the registered model version", {"type": "object"}),
                "400": _INVALID,
                "404": PROBLEM_RESPONSE,
                "409": _CONFLICT,
                "413": problem_response("problem JSON: over ONTOLAB_MAX_UPLOAD_MB"),
            },
        }
    },
    "/api/tracking/runs/{run_id}/end": {
        "post": {
            "summary": "End the run (status succeeded, failed or cancelled); the same end "
            "again changes nothing",
            "parameters": [_RUN_ID],
            "requestBody": json_request(
                object_schema({"status": {"type": "string"}, "ended_at": {"type": "string"}}, []),
                required=False,
            ),
            "responses": {
                "200": json_response("the run", _RUN),
                "400": _INVALID,
                "404": PROBLEM_RESPONSE,
                "409": _CONFLICT,
            },
        }
    },
}
