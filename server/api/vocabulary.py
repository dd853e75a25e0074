"""GET /api/vocabulary: what a step may say (``server.definitions.vocabulary`` reads it from the
SHACL shapes and the ontology). The UI's pipeline builder draws its palette and forms from it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from server import definitions
from server.api.common import get_platform, object_schema

blueprint = Blueprint("vocabulary", __name__)


@blueprint.get("/api/vocabulary")
def vocabulary() -> dict[str, Any]:
    return definitions.builder_vocabulary(get_platform().estimators)


_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": ["string", "null"]}
_FIELDS = {"type": "array", "items": {"type": "object"}}
_STEP = object_schema(
    {
        "type": _STRING,
        "label": _STRING,
        "comment": _NULLABLE_STRING,
        "phase": _NULLABLE_STRING,
        "consumes": object_schema(
            {"min": {"type": "integer"}, "max": {"type": ["integer", "null"]}}, ["min", "max"]
        ),
        "parameters": _FIELDS,
        "structures": {"type": "array", "items": _STRING},
    },
    ["type", "label", "phase", "consumes", "parameters", "structures"],
)

OPENAPI: dict[str, Any] = {
    "/api/vocabulary": {
        "get": {
            "summary": "What a definition may say, from the SHACL shapes and the ontology",
            "description": (
                "For the pipeline builder's palette and forms. `steps`: per step class (type, "
                "label, phase, how many inputs it consumes, the structured values it may carry "
                "in `structures`) its parameters, each with name (the "
                "snake_case key a pipeline document uses), path (the ol: term), label, comment, "
                "datatype, `in` (allowed values), bounds (min_inclusive, min_exclusive, "
                "max_inclusive, max_exclusive), pattern, required, multiple and the shape's "
                "message. `resources`, `hyper_parameter`, `search_space`, `threshold`: the fields "
                "of those structured values. `task`: the allowed tasks. `choices_by_task`: e.g. "
                "the estimators (and threshold metrics) that fit classification and regression. "
                "`sources`: the bundled datasets an extract step may read."
            ),
            "responses": {
                "200": {
                    "description": "the vocabulary",
                    "content": {
                        "application/json": {
                            "schema": object_schema(
                                {
                                    "task": {"type": "array", "items": _STRING},
                                    "steps": {"type": "array", "items": _STEP},
                                    "resources": _FIELDS,
                                    "hyper_parameter": _FIELDS,
                                    "search_space": _FIELDS,
                                    "threshold": _FIELDS,
                                    "choices_by_task": {"type": "object"},
                                    "sources": {"type": "array", "items": _STRING},
                                },
                                [
                                    "task",
                                    "steps",
                                    "resources",
                                    "hyper_parameter",
                                    "search_space",
                                    "threshold",
                                    "choices_by_task",
                                    "sources",
                                ],
                            )
                        }
                    },
                }
            },
        }
    }
}
