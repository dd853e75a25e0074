"""/api/deployments: deploy a registered model version as its own model server process."""

from __future__ import annotations

from typing import Any

import requests
from flask import Blueprint, Response
from flask.blueprints import BlueprintSetupState

from server.api.common import (
    PROBLEM_CONTENT,
    get_platform,
    json_body,
    json_request,
    object_schema,
    path_parameter,
    problem_response,
)
from server.errors import BadRequest, DeploymentUnreachable

blueprint = Blueprint("deployments", __name__)
METRICS_TIMEOUT_SECONDS = 3.0


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
    return get_platform().deployments.deploy(name, version=version, alias=alias), 201


@blueprint.get("/api/deployments")
def list_deployments() -> dict[str, Any]:
    return {"deployments": get_platform().deployments.list_all()}


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


@blueprint.delete("/api/deployments/<deployment_id>")
def stop_deployment(deployment_id: str) -> dict[str, Any]:
    return get_platform().deployments.stop(deployment_id)


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

OPENAPI: dict[str, Any] = {
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
}
