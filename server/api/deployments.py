"""/api/deployments: deploy a registered model version as its own model server process; its
prediction log (a sample) and ground-truth feedback by request id."""

from __future__ import annotations

from typing import Any

import requests
from flask import Blueprint, Response
from flask.blueprints import BlueprintSetupState

from server.api.common import (
    PROBLEM_CONTENT,
    QueryLimit,
    get_platform,
    json_body,
    json_request,
    object_schema,
    path_parameter,
    problem_response,
)
from server.auth.check import current_agent
from server.auth.visibility import visible_models
from server.errors import BadRequest, DeploymentUnreachable
from server.monitoring import prediction_window
from server.monitoring.prediction_log import LogConfig

blueprint = Blueprint("deployments", __name__)
METRICS_TIMEOUT_SECONDS = 3.0
SAMPLE_LIMIT = QueryLimit(50, 1000)


@blueprint.record_once
def _warm_up(state: BlueprintSetupState) -> None:
    # An app serves deploy requests: start the warm model-server parent now, so the first
    # deploy does not wait a second for its imports.
    state.app.extensions["ontolab"].deployments.warm_up()


@blueprint.post("/api/deployments")
def deploy() -> tuple[dict[str, Any], int]:
    body = json_body()
    name = body.get("model")
    if not isinstance(name, str) or not name:
        raise BadRequest('give the model to deploy: {"model": NAME, "version": N | "alias": A}')
    version, alias = body.get("version"), body.get("alias")
    if (version is None) == (alias is None):
        raise BadRequest('give exactly one of "version" (a number) or "alias" (e.g. "champion")')
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise BadRequest(f'"version" must be an integer, not {version!r}')
    if alias is not None and (not isinstance(alias, str) or not alias):
        raise BadRequest(f'"alias" must be a non-empty string, not {alias!r}')
    require_token = body.get("require_token", False)
    if not isinstance(require_token, bool):
        raise BadRequest(f'"require_token" must be true or false, not {require_token!r}')
    platform = get_platform()
    log = LogConfig.from_request(body.get("prediction_log"), platform.settings)
    deployed = platform.deployments.deploy(
        name,
        version=version,
        alias=alias,
        started_by=current_agent(),  # auth on: the user's agent; else the platform's
        prediction_log=log,
        require_token=require_token,
    )
    return deployed, 201


@blueprint.get("/api/deployments")
def list_deployments() -> dict[str, Any]:
    visible = visible_models()  # auth on, scoped grants only: deployments of those models
    found = get_platform().deployments.list_all()
    return {"deployments": [d for d in found if visible is None or d["model"] in visible]}


@blueprint.get("/api/deployments/<deployment_id>")
def get_deployment(deployment_id: str) -> dict[str, Any]:
    return get_platform().deployments.get(deployment_id)


@blueprint.get("/api/deployments/<deployment_id>/metrics")
def deployment_metrics(deployment_id: str) -> Response:
    """The deployment's own /metrics, relayed so the UI can poll it from this origin."""
    url = str(get_platform().deployments.get(deployment_id)["url"]).rstrip("/") + "/metrics"
    try:
        upstream = requests.get(url, timeout=METRICS_TIMEOUT_SECONDS)
        upstream.raise_for_status()
    except requests.RequestException as exc:
        raise DeploymentUnreachable(
            f"could not read {url}: {exc}; check the deployment's status, or deploy it again"
        ) from exc
    response = Response(upstream.content, content_type=upstream.headers.get("Content-Type"))
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/api/deployments/<deployment_id>/feedback")
def feedback(deployment_id: str) -> dict[str, Any]:
    """Ground-truth labels by request id: every item is checked before any is recorded."""
    return get_platform().deployments.record_feedback(deployment_id, json_body())


@blueprint.get("/api/deployments/<deployment_id>/predictions")
def predictions(deployment_id: str) -> dict[str, Any]:
    """The last logged requests, newest first, with their labels: a sample for the UI."""
    limit = SAMPLE_LIMIT.read()
    directory, config = get_platform().deployments.prediction_log(deployment_id)
    sample = prediction_window.entries(directory, limit)
    return {"prediction_log": config.to_json(), "predictions": sample}


@blueprint.delete("/api/deployments/<deployment_id>")
def stop_deployment(deployment_id: str) -> dict[str, Any]:
    return get_platform().deployments.stop(deployment_id)


@blueprint.delete("/api/deployments/<deployment_id>/record")
def remove_deployment(deployment_id: str) -> dict[str, Any]:
    """Forget a stopped deployment (its graph, prediction log and feedback); 409 if running."""
    return get_platform().deployments.remove(deployment_id)


_LOG_CONFIG = object_schema(
    {
        "enabled": {"type": "boolean"},
        "max_mb": {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": 100000,
            "description": "size of one file",
        },
        "files": {
            "type": "integer",
            "minimum": 1,
            "maximum": 1000,
            "description": "files kept (rotating)",
        },
    },
    ["enabled", "max_mb", "files"],
)
_DEPLOYMENT = object_schema(
    {
        "id": {"type": "string"},
        "iri": {"type": "string", "description": "the deployment's node (ol:ModelDeployment)"},
        "model": {"type": "string"},
        "version": {"type": "integer"},
        "alias": {"type": ["string", "null"]},
        "sha256": {"type": "string"},
        "url": {"type": "string"},
        "port": {"type": "integer"},
        "pid": {"type": ["integer", "null"]},
        "status": {"enum": ["running", "stopped", "down", "unreachable", "unhealthy"]},
        "desired_state": {"enum": ["running", "stopped"]},
        "started_at": {"type": "string"},
        "ended_at": {"type": ["string", "null"]},
        "started_by": {
            "type": "string",
            "description": "the agent that started it (prov:wasAssociatedWith): the platform's "
            "until requests carry a user",
        },
        "prediction_log": _LOG_CONFIG,
        "require_token": {
            "type": "boolean",
            "description": "its /predict takes only a bearer token whose user holds runner on "
            "the model",
        },
    },
    [
        "id",
        "iri",
        "model",
        "version",
        "alias",
        "sha256",
        "url",
        "port",
        "pid",
        "status",
        "desired_state",
        "started_at",
        "ended_at",
        "started_by",
    ],
)
_ID = [path_parameter("deployment_id")]
_ONE = {"content": {"application/json": {"schema": _DEPLOYMENT}}}
_LIST = object_schema({"deployments": {"type": "array", "items": _DEPLOYMENT}}, ["deployments"])

_FEEDBACK_ITEM = object_schema(
    {
        "request_id": {"type": "string", "description": "from the /predict answer"},
        "label": {
            "description": "the true value or class; a list, one per row, for a "
            "request of several rows"
        },
    },
    ["request_id", "label"],
)
_FEEDBACK = {
    "oneOf": [
        _FEEDBACK_ITEM,
        object_schema({"feedback": {"type": "array", "items": _FEEDBACK_ITEM}}, ["feedback"]),
    ]
}
_ACCEPTED = object_schema(
    {
        "accepted": {"type": "integer"},
        "request_ids": {"type": "array", "items": {"type": "string"}},
    },
    ["accepted", "request_ids"],
)
_LOGGED = object_schema(
    {
        "request_id": {"type": "string"},
        "time": {"type": "string", "format": "date-time"},
        "inputs": {"type": "array", "items": {"type": "object"}},
        "predictions": {"type": "array"},
        "labels": {"type": ["array", "null"], "description": "feedback, one per row"},
    },
    ["request_id", "time", "inputs", "predictions", "labels"],
)
_SAMPLE = object_schema(
    {"prediction_log": _LOG_CONFIG, "predictions": {"type": "array", "items": _LOGGED}},
    ["prediction_log", "predictions"],
)

OPENAPI: dict[str, Any] = {
    "/api/deployments/{deployment_id}/feedback": {
        "post": {
            "summary": "Ground-truth labels for logged predictions, by request id (one or a batch)",
            "description": "Every item is checked before any is recorded. Use the request id a "
            "/predict answer carried (X-Request-ID header, request_id field).",
            "parameters": _ID,
            "requestBody": json_request(_FEEDBACK),
            "responses": {
                "200": {
                    "description": "the labels, recorded",
                    "content": {"application/json": {"schema": _ACCEPTED}},
                },
                "400": problem_response(
                    "problem JSON: a malformed body, or a label of the wrong type for the task "
                    "(or not a class of the model, or not one per row); nothing recorded"
                ),
                "404": problem_response(
                    "problem JSON: no such deployment, or request ids no logged prediction has "
                    "(listed in request_ids); nothing recorded"
                ),
            },
        }
    },
    "/api/deployments/{deployment_id}/predictions": {
        "get": {
            "summary": "The last logged requests, newest first, with their feedback",
            "parameters": [
                *_ID,
                SAMPLE_LIMIT.parameter,
            ],
            "responses": {
                "200": {
                    "description": "the log's config and its last entries",
                    "content": {"application/json": {"schema": _SAMPLE}},
                },
                "400": problem_response("problem JSON: limit out of range"),
                "404": problem_response("problem JSON: no such deployment"),
            },
        }
    },
    "/api/deployments/{deployment_id}/metrics": {
        "get": {
            "summary": "The deployment's Prometheus metrics, relayed from its own /metrics",
            "parameters": _ID,
            "responses": {
                "200": {"description": "Prometheus text exposition format"},
                "404": problem_response("problem JSON: no such deployment"),
                "502": problem_response("problem JSON: the model server did not answer"),
            },
        }
    },
    "/api/deployments": {
        "post": {
            "summary": "Deploy a model version (or the version an alias points to)",
            "description": "Starts a model server process on 127.0.0.1 (ports from 3100 up) "
            "serving POST /predict, GET /health and GET /metrics; answers once it is healthy.",
            "requestBody": json_request(
                object_schema(
                    {
                        "model": {"type": "string"},
                        "version": {"type": "integer"},
                        "alias": {"type": "string"},
                        "prediction_log": {
                            "description": "log inputs and outputs by request id (default: "
                            "ONTOLAB_PREDICTION_LOG); false turns it off for this deployment; "
                            "an object sets the bound (max_mb per file, files kept)",
                            "oneOf": [
                                {"type": "boolean"},
                                {
                                    "type": "object",
                                    "properties": _LOG_CONFIG["properties"],
                                    "additionalProperties": False,
                                },
                            ],
                        },
                        "require_token": {
                            "type": "boolean",
                            "description": "the model server's /predict takes only a bearer "
                            "token whose user holds runner on the model (default false)",
                        },
                    },
                    ["model"],
                )
            ),
            "responses": {
                "201": {"description": "the deployment, running", **_ONE},
                "400": {"description": "bad request body", "content": PROBLEM_CONTENT},
                "404": {
                    "description": "no such model, version or alias",
                    "content": PROBLEM_CONTENT,
                },
            },
        },
        "get": {
            "summary": "Every deployment with its observed status (its /health probed)",
            "responses": {
                "200": {
                    "description": "the deployments",
                    "content": {"application/json": {"schema": _LIST}},
                }
            },
        },
    },
    "/api/deployments/{deployment_id}": {
        "get": {
            "summary": "One deployment with its observed status",
            "parameters": _ID,
            "responses": {
                "200": {"description": "the deployment", **_ONE},
                "404": problem_response("problem JSON"),
            },
        },
        "delete": {
            "summary": "Stop the deployment's model server (by its pid) and keep it stopped",
            "parameters": _ID,
            "responses": {
                "200": {"description": "the stopped deployment", **_ONE},
                "404": problem_response("problem JSON"),
            },
        },
    },
    "/api/deployments/{deployment_id}/record": {
        "delete": {
            "summary": "Remove a stopped deployment: its graph, prediction log and feedback",
            "parameters": _ID,
            "responses": {
                "200": {
                    "description": "the deployment was removed",
                    "content": {
                        "application/json": {
                            "schema": object_schema(
                                {"id": {"type": "string"}, "removed": {"type": "boolean"}},
                                ["id", "removed"],
                            )
                        }
                    },
                },
                "404": problem_response("problem JSON"),
                "409": problem_response("the deployment is running: stop it first"),
            },
        },
    },
}
