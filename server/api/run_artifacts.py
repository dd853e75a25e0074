"""GET /api/runs/RUN_ID/artifacts/SHA256/preview: a bounded preview of one of a run's artifacts.

Only an artifact the run recorded is read (``server.tracking.previews``); the request names a
run and a checksum, never a path.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from server.api.common import (
    PROBLEM_RESPONSE,
    get_platform,
    json_response,
    object_schema,
    path_parameter,
)
from server.errors import BadRequest
from server.tracking import previews

blueprint = Blueprint("run_artifacts", __name__)


@blueprint.get("/api/runs/<run_id>/artifacts/<sha256>/preview")
def preview(run_id: str, sha256: str) -> dict[str, Any]:
    text = request.args.get("rows", str(previews.DEFAULT_ROWS))
    if not text.isdigit():
        raise BadRequest(
            f"rows must be a whole number from 1 to {previews.MAX_ROWS} (got {text!r})"
        )
    platform = get_platform()
    return previews.preview(platform.store, platform.artifacts, run_id, sha256, int(text))


_STRING = {"type": "string"}
_PREVIEW = object_schema(
    {
        "sha256": _STRING,
        "kind": _STRING,
        "step_id": _STRING,
        "media_type": _STRING,
        "size": {"type": "integer"},
        "preview": {"enum": ["json", "table", "text", "none"]},
        "value": {"description": "json: the parsed document"},
        "text": {"type": "string", "description": "json: pretty-printed; text: the head"},
        "columns": {"type": "array", "items": _STRING},
        "rows": {"type": "array", "items": {"type": "array"}},
        "total_rows": {"type": "integer"},
        "reason": _STRING,
        "truncated": {"type": "boolean", "description": "the preview shows only the head"},
    },
    ["sha256", "kind", "step_id", "media_type", "size", "preview", "truncated"],
)

OPENAPI: dict[str, Any] = {
    "/api/runs/{run_id}/artifacts/{sha256}/preview": {
        "get": {
            "summary": "A bounded preview of one artifact the run recorded: JSON pretty-printed, "
            "the head of a CSV or Parquet table, the head of a text file",
            "description": f"At most {previews.MAX_BYTES // 1024} KiB of a JSON or text file, "
            f"{previews.MAX_ROWS} rows and {previews.MAX_COLUMNS} columns of a table. 404 for "
            "a checksum the run did not record.",
            "parameters": [
                path_parameter("run_id"),
                path_parameter("sha256"),
                {
                    "name": "rows",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": previews.MAX_ROWS},
                    "description": f"table rows (default {previews.DEFAULT_ROWS})",
                },
            ],
            "responses": {
                "200": json_response("the preview", _PREVIEW),
                "400": PROBLEM_RESPONSE,
                "404": PROBLEM_RESPONSE,
            },
        }
    }
}
