"""GET /api/openapi.json: the OpenAPI 3 document, merged from every blueprint's fragment."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from server import __version__
from server.api.common import PROBLEM_CONTENT, array_schema, object_schema
from server.http_guard import add_guard_responses

blueprint = Blueprint("openapi", __name__)

PIPELINE_DOCUMENT_SCHEMA: dict[str, Any] = object_schema(
    {
        "id": {"type": "string"},
        "label": {"type": "string"},
        "task": {"type": "string", "enum": ["classification", "regression"]},
        "provisioner": {
            "type": "string",
            "enum": ["local", "docker", "swarm"],
            "description": "the experiment's ol:provisioner (left out: the platform's default)",
        },
        "steps": array_schema(
            {
                "id": {"type": "string"},
                "type": {
                    "type": "string",
                    "description": "an ol: step class, e.g. ModelBuilding",
                },
                "consumes": {"type": "array", "items": {"type": "string"}},
                "depends_on": {"type": "array", "items": {"type": "string"}},
                "parameters": {"type": "object"},
                "hyper_parameters": {"type": "object"},
                "search_space": {"type": "object"},
                "thresholds": {"type": "array", "items": {"type": "object"}},
                "resources": {"type": "object"},
            },
            ["id", "type"],
        ),
    },
    ["id", "task", "steps"],
)
# A step key the document does not know is refused (400), never dropped.
PIPELINE_DOCUMENT_SCHEMA["properties"]["steps"]["items"]["additionalProperties"] = False


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 7807 problem details; some errors add fields (violations, field, row, "
    "compared, offered)",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "violations": array_schema(
            {
                "node": {"type": "string"},
                "path": {"type": "string"},
                "message": {"type": "string"},
                "value": {"type": ["string", "null"]},
            },
            ["node", "path", "message"],
        ),
        "field": {"type": "string"},
        "row": {"type": "integer"},
        "compared": {"type": ["object", "null"]},
        "offered": {"type": "object"},
    },
}


#: The errors of MLflow's tracking API (server/api/mlflow.py): MLflow's own shape, which its
#: client reads, rather than problem JSON.
MLFLOW_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "MLflow's error JSON: error_code is MLflow's name for the error "
    "(INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST, INVALID_STATE, NOT_IMPLEMENTED, ...)",
    "required": ["error_code", "message"],
    "properties": {"error_code": {"type": "string"}, "message": {"type": "string"}},
}


def document() -> dict[str, Any]:
    from server.api import MODULES  # the list of modules includes this one

    paths: dict[str, Any] = {}
    for module in MODULES:
        for path, operations in getattr(module, "OPENAPI", {}).items():
            paths.setdefault(path, {}).update(operations)
    add_guard_responses(paths, PROBLEM_CONTENT)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Ontolab API",
            "version": __version__,
            "description": "Experiments, runs, datasets, models and lineage as a knowledge "
            "graph. Errors are RFC 7807 problem JSON (application/problem+json).",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {
                "PipelineDocument": PIPELINE_DOCUMENT_SCHEMA,
                "Problem": PROBLEM_SCHEMA,
                "MlflowError": MLFLOW_ERROR_SCHEMA,
            }
        },
    }


@blueprint.get("/api/openapi.json")
def openapi() -> dict[str, Any]:
    return document()


OPENAPI: dict[str, Any] = {
    "/api/openapi.json": {
        "get": {
            "summary": "This document",
            "responses": {
                "200": {
                    "description": "OpenAPI 3.1",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["openapi", "info", "paths", "components"],
                            }
                        }
                    },
                }
            },
        }
    }
}
