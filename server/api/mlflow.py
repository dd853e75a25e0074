"""MLflow's tracking REST API, so ``mlflow`` scripts log to Ontolab unchanged
(``mlflow.set_tracking_uri("http://127.0.0.1:3000")``): the calls of
``server.interop.mlflow_api.calls`` under ``/api/2.0/mlflow`` and ``/ajax-api/2.0/mlflow``, the
proxied artifact routes ``/api/2.0/mlflow-artifacts/artifacts/...`` and ``GET /health``.

Answers and errors are MLflow's: protobuf JSON, and ``{"error_code", "message"}`` with MLflow's
status codes (not RFC 7807), because MLflow's client reads exactly that. Any other path under
MLflow's prefixes answers a clear JSON error naming the call (501 NOT_IMPLEMENTED or 404
ENDPOINT_NOT_FOUND), never the UI's page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from flask import Blueprint, Response, jsonify, request, send_file

from server.api.common import CappedBody, get_platform, json_body, json_request, json_response
from server.auth.check import current_agent, visible_experiments
from server.auth.visibility import require_visible
from server.errors import MlflowApiError, OntolabError, RequestTooLarge
from server.interop.mlflow_api import calls
from server.interop.mlflow_api.service import MlflowTracking

blueprint = Blueprint("mlflow", __name__)

#: MLflow's error code for an Ontolab error of each status (the rest: INTERNAL_ERROR).
_CODES = {
    400: "INVALID_PARAMETER_VALUE",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "RESOURCE_DOES_NOT_EXIST",
    409: "INVALID_STATE",
    410: "DATA_LOSS",
    413: "INVALID_PARAMETER_VALUE",
    503: "TEMPORARILY_UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def _tracking() -> MlflowTracking:
    platform = get_platform()
    return MlflowTracking(
        platform.store,
        platform.tracked,
        current_agent(),
        visible=visible_experiments(),  # auth on, experiment grants only: theirs
        require=require_visible,
    )


def _request_fields() -> dict[str, Any]:
    """A GET's query parameters (repeated ones as lists), a POST's JSON object."""
    if request.method == "GET":
        fields: dict[str, Any] = {}
        for key in request.args:
            values = request.args.getlist(key)
            fields[key] = values if len(values) > 1 or key == "experiment_ids" else values[0]
        return fields
    return json_body()


def _answer(handler: str) -> Response:
    method: Callable[[dict[str, Any]], dict[str, Any]] = getattr(_tracking(), handler)
    return jsonify(method(_request_fields()))


def _endpoint(*parts: str) -> str:
    """A Flask endpoint name for a route (no dots allowed in one)."""
    return re.sub(r"\W+", "_", "_".join(parts)).strip("_")


for _prefix in calls.PREFIXES:
    for _call in calls.SUPPORTED:
        blueprint.add_url_rule(
            f"{_prefix}/{_call.path}",
            endpoint=_endpoint(_prefix, _call.method, _call.path),
            view_func=partial(_answer, _call.handler),
            methods=[_call.method],
        )


@blueprint.errorhandler(OntolabError)
def mlflow_error(error: OntolabError) -> Response:
    """Any refusal in MLflow's shape, so its client raises MlflowException with the message."""
    code = error.error_code if isinstance(error, MlflowApiError) else None
    body = {"error_code": code or _CODES.get(error.status, "INTERNAL_ERROR"), "message": str(error)}
    response = jsonify(body)
    response.status_code = error.status
    for name, value in getattr(error, "headers", {}).items():
        response.headers[name] = value
    return response


# --- The proxied artifact service -----------------------------------------------------------


def _run_and_path(path: str) -> tuple[str, str]:
    """``EXPERIMENT/RUN/artifacts[/PATH]`` (a run's ``artifact_uri`` below the service root)."""
    parts = path.strip("/").split("/")
    if len(parts) < 3 or parts[2] != "artifacts":
        raise MlflowApiError(
            f"artifact path {path!r} is not under a run's artifact_uri; give "
            "EXPERIMENT_ID/RUN_ID/artifacts/PATH as mlflow-artifacts: URIs resolve"
        )
    return parts[1], "/".join(parts[3:])


@blueprint.put(f"{calls.ARTIFACTS}/<path:path>")
def upload_artifact(path: str) -> Response:
    run_id, name = _run_and_path(path)
    limit_mb = get_platform().settings.max_upload_mb
    body = CappedBody(request.stream, int(limit_mb * 1024 * 1024), partial(_too_large, limit_mb))
    _tracking().put_artifact(run_id, name, body)  # type: ignore[arg-type]
    return jsonify({})


def _too_large(limit_mb: float) -> RequestTooLarge:
    return RequestTooLarge(
        f"the file is larger than ONTOLAB_MAX_UPLOAD_MB ({limit_mb:g} MB); "
        "raise that setting to log larger artifacts"
    )


@blueprint.get(f"{calls.ARTIFACTS}/<path:path>")
def download_artifact(path: str) -> Response:
    run_id, name = _run_and_path(path)
    ref = _tracking().artifact(run_id, name)
    # checked against its checksum first: a damaged file is a 410, never sent
    stored = get_platform().artifacts.path(ref.sha256)
    return send_file(stored, mimetype="application/octet-stream", etag=ref.sha256)


@blueprint.get(calls.ARTIFACTS)
def list_artifacts() -> Response:
    run_id, folder = _run_and_path(request.args.get("path", ""))
    return jsonify({"files": _tracking().list_artifacts(run_id, folder)})


@blueprint.get("/api/2.0/mlflow/artifacts/list")
@blueprint.get("/ajax-api/2.0/mlflow/artifacts/list")
def tracking_list_artifacts() -> Response:
    """The tracking service's artifact list (``run_id`` + ``path``), as MLflow's server has it."""
    tracking = _tracking()
    run = tracking.get_run(_request_fields())["run"]
    folder = request.args.get("path", "")
    files = tracking.list_artifacts(run["info"]["run_id"], folder)
    prefix = f"{folder.strip('/')}/" if folder.strip("/") else ""
    for entry in files:
        entry["path"] = prefix + entry["path"]
    return jsonify({"root_uri": run["info"]["artifact_uri"], "files": files})


@blueprint.get("/health")
def health() -> Response:
    """MLflow's liveness answer (``OK``); Ontolab's own report is ``GET /api/health``."""
    return Response("OK", mimetype="text/plain")


# --- Every other MLflow path: a clear JSON error --------------------------------------------

_ANY = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_REFUSED = (
    *calls.PREFIXES,
    "/api/3.0/mlflow",
    "/ajax-api/3.0/mlflow",
    "/api/2.0/mlflow-artifacts",
    "/ajax-api/2.0/mlflow-artifacts",
)


def _refuse(rest: str = "") -> Response:
    raise calls.refusal(request.method, request.path)


for _prefix in _REFUSED:
    blueprint.add_url_rule(
        f"{_prefix}/<path:rest>",
        endpoint=_endpoint("refuse", _prefix),
        view_func=_refuse,
        methods=_ANY,
    )
    blueprint.add_url_rule(
        _prefix, endpoint=_endpoint("refuse_root", _prefix), view_func=_refuse, methods=_ANY
    )


# --- OpenAPI ---------------------------------------------------------------------------------

_ERROR = {"$ref": "#/components/schemas/MlflowError"}
_OBJECT: dict[str, Any] = {"type": "object"}


#: What the request guards may answer (server/http_guard.py), in MLflow's shape here.
_GUARDS = (400, 403, 413)


def _errors(*statuses: int) -> dict[str, Any]:
    return {
        str(s): json_response("MLflow's error JSON", _ERROR) for s in sorted({*statuses, *_GUARDS})
    }


def speaks_mlflow(path: str) -> bool:
    """Whether an API path answers in MLflow's shape (errors included), not problem JSON."""
    return path == "/health" or path.startswith(("/api/2.0/mlflow", "/ajax-api/2.0/mlflow"))


def _operation(call: calls.Call) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": f"MLflow: {call.summary}",
        "description": "MLflow's protobuf message as JSON (mlflow/protos/service.proto); the "
        "same call is served under /api/2.0/mlflow and /ajax-api/2.0/mlflow",
        "responses": {
            "200": json_response("MLflow's answer message", _OBJECT),
            **_errors(400, 404, 409, 501),
        },
    }
    if call.method == "POST":
        operation["requestBody"] = json_request(_OBJECT)
    return operation


def _openapi() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for call in calls.SUPPORTED:
        for prefix in calls.PREFIXES:
            paths.setdefault(f"{prefix}/{call.path}", {})[call.method.lower()] = _operation(call)
    file_path = [{"name": "path", "in": "path", "required": True, "schema": {"type": "string"}}]
    paths[f"{calls.ARTIFACTS}/{{path}}"] = {
        "put": {
            "summary": "MLflow: upload a run's file (EXPERIMENT/RUN/artifacts/PATH)",
            "parameters": file_path,
            "requestBody": {"content": {"application/octet-stream": {}}},
            "responses": {
                "200": json_response("stored", _OBJECT),
                **_errors(400, 404, 409, 413),
            },
        },
        "get": {
            "summary": "MLflow: download a run's file (checked against its sha256 first)",
            "parameters": file_path,
            "responses": {
                "200": {"description": "the file", "content": {"application/octet-stream": {}}},
                **_errors(400, 404, 410),
            },
        },
    }
    for prefix in calls.PREFIXES:
        paths[f"{prefix}/artifacts/list"] = {
            "get": {
                "summary": "MLflow: a run's files right under ?path= (run_id, path)",
                "parameters": [
                    {"name": "run_id", "in": "query", "schema": {"type": "string"}},
                    {"name": "path", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {"200": json_response("root_uri, files", _OBJECT), **_errors(404)},
            }
        }
    paths[calls.ARTIFACTS] = {
        "get": {
            "summary": "MLflow: the files right under ?path=EXPERIMENT/RUN/artifacts[/DIR]",
            "parameters": [{"name": "path", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": json_response("files", _OBJECT), **_errors(400, 404)},
        }
    }
    paths["/health"] = {
        "get": {
            "summary": "MLflow's liveness check: OK",
            "responses": {
                "200": {"description": "OK", "content": {"text/plain": {}}},
                **_errors(),
            },
        }
    }
    return paths


OPENAPI: dict[str, Any] = _openapi()
