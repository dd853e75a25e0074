"""/api/runs/ID/annotations: the tags and note people give a run (``server.tracking.run_notes``).

GET reads them; PUT replaces them whole with ``{"tags": {KEY: VALUE}, "note": TEXT}``. The run
list and /api/compare carry them too.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from server.api.common import (
    PROBLEM_RESPONSE,
    get_platform,
    json_request,
    json_response,
    object_schema,
    path_parameter,
)
from server.errors import BadRequest
from server.tracking import run_notes

blueprint = Blueprint("run_annotations", __name__)


@blueprint.get("/api/runs/<run_id>/annotations")
def get(run_id: str) -> dict[str, Any]:
    return {"run_id": run_id} | run_notes.read(get_platform().store, run_id).to_json()


@blueprint.put("/api/runs/<run_id>/annotations")
def put(run_id: str) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None:
        raise BadRequest('send JSON: {"tags": {"KEY": "VALUE"}, "note": "TEXT"}')
    saved = run_notes.save(get_platform().store, run_id, run_notes.parse(body))
    return {"run_id": run_id} | saved.to_json()


_TAGS = {
    "type": "object",
    "additionalProperties": {"type": "string", "maxLength": run_notes.MAX_VALUE},
}
_NOTE = {"type": "string", "maxLength": run_notes.MAX_NOTE}
_ANNOTATIONS = object_schema(
    {"run_id": {"type": "string"}, "tags": _TAGS, "note": _NOTE}, ["run_id", "tags", "note"]
)

OPENAPI: dict[str, Any] = {
    "/api/runs/{run_id}/annotations": {
        "get": {
            "summary": "The tags and note given to a run",
            "parameters": [path_parameter("run_id")],
            "responses": {
                "200": json_response("tags and note", _ANNOTATIONS),
                "404": PROBLEM_RESPONSE,
            },
        },
        "put": {
            "summary": "Replace a run's tags and note",
            "description": f"At most {run_notes.MAX_TAGS} tags; keys of 1 to 250 characters "
            "without control characters. Stored in the run's annotations graph.",
            "parameters": [path_parameter("run_id")],
            "requestBody": json_request(object_schema({"tags": _TAGS, "note": _NOTE}, [])),
            "responses": {
                "200": json_response("the saved tags and note", _ANNOTATIONS),
                "400": PROBLEM_RESPONSE,
                "404": PROBLEM_RESPONSE,
            },
        },
    }
}
