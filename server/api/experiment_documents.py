"""A stored experiment version as a JSON pipeline document: what the UI's builder loads onto its
canvas (``/builder?experiment=ID&version=N``) and saves back as a new version."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from server import definitions
from server.api.common import (
    get_platform,
    json_response,
    object_schema,
    path_parameter,
    problem_response,
)
from server.definitions.steps import load_pipeline
from server.definitions.ui_document import from_pipeline

blueprint = Blueprint("experiment_documents", __name__)


@blueprint.get("/api/experiments/<identifier>/versions/<int:number>/document")
def get_document(identifier: str, number: int) -> dict[str, Any]:
    store = get_platform().store
    version = definitions.get_version(store, identifier, number)
    pipeline = load_pipeline(store, version)
    return {
        "identifier": version.identifier,
        "version": version.number,
        "document": from_pipeline(pipeline),
        "code_sha256": pipeline.code_bundle.sha256 if pipeline.code_bundle else None,
        "provisioner": pipeline.provisioner,
    }


_ANSWER = object_schema(
    {
        "identifier": {"type": "string"},
        "version": {"type": "integer", "minimum": 1},
        "document": {"$ref": "#/components/schemas/PipelineDocument"},
        "code_sha256": {
            "type": ["string", "null"],
            "description": "the code bundle the version brought (send it as `code_sha256` to "
            "save the document with the same code)",
        },
        "provisioner": {
            "type": ["string", "null"],
            "description": "the version's ol:provisioner (also the document's `provisioner`)",
        },
    },
    ["identifier", "version", "document", "code_sha256", "provisioner"],
)

OPENAPI: dict[str, Any] = {
    "/api/experiments/{identifier}/versions/{number}/document": {
        "get": {
            "summary": "One version as a JSON pipeline document (what the builder loads)",
            "description": "The inverse of posting a pipeline document: a document the builder "
            "saved comes back as sent, so posting it unchanged finds the same version.",
            "parameters": [path_parameter("identifier"), path_parameter("number", "integer")],
            "responses": {
                "200": json_response("the version's document", _ANSWER),
                "404": problem_response("problem JSON: no such experiment or version"),
            },
        }
    }
}
