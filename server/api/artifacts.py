"""GET /api/artifacts/SHA256: download an artifact by its checksum."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, send_file

from server import queries
from server.api.common import get_platform

blueprint = Blueprint("artifacts", __name__)
_SUFFIX = {
    "application/vnd.apache.parquet": ".parquet",
    "application/json": ".json",
    "application/x-joblib": ".joblib",
    "text/csv": ".csv",
}


@blueprint.get("/api/artifacts/<sha256>")
def download(sha256: str) -> Response:
    platform = get_platform()
    path = platform.artifacts.path(sha256)  # NotFoundError for a bad or unknown checksum
    rows = queries.select(platform.store, "artifact_by_checksum", sha256=sha256)
    media_type = str(rows[0]["mediaType"]) if rows else "application/octet-stream"
    name = f"{rows[0]['kind']}-{sha256[:12]}" if rows else sha256[:12]
    response = send_file(
        path,
        mimetype=media_type,
        as_attachment=True,
        download_name=name + _SUFFIX.get(media_type, ""),
        etag=sha256,
        max_age=31536000,
    )
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


OPENAPI: dict[str, Any] = {
    "/api/artifacts/{sha256}": {
        "get": {
            "summary": "Download an artifact by its sha256 (content-addressed, immutable)",
            "parameters": [
                {"name": "sha256", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {
                "200": {"description": "the file, with the media type recorded for it"},
                "404": {"description": "problem JSON (RFC 7807)"},
            },
        }
    }
}
