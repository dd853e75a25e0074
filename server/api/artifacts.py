"""GET /api/artifacts/SHA256: download an artifact by its checksum; PUT: upload one.

A download is checked against its checksum first (the check is remembered while the file is
unchanged); a file that fails is quarantined and answered 410 "Corrupt artifact", never sent.
The upload is how swarm steps, which do not see the artifact directory, push their outputs,
and how a corrupt artifact is repaired: the body is stored only if its sha256 is the one in
the path. It is written to a temporary file under the store's ``tmp/``, removed on any error.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, jsonify, request, send_file

from executor.contract import artifact_path
from server.api.common import (
    PROBLEM_CONTENT,
    PROBLEM_JSON,
    PROBLEM_RESPONSE,
    get_platform,
    object_schema,
    path_parameter,
    problem_response,
)
from server.errors import BadRequest, CorruptArtifact
from server.graph import queries

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
    # NotFoundError for a bad or unknown checksum, CorruptArtifact for bytes that differ
    path = platform.artifacts.path(sha256)
    rows = queries.select(platform.store, "artifact_by_checksum", sha256=sha256)
    media_type = str(rows[0]["media_type"]) if rows else "application/octet-stream"
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


@blueprint.errorhandler(CorruptArtifact)
def corrupt(error: CorruptArtifact) -> Response:
    """The problem answer, marked so that no cache keeps it past a repair (410 is cacheable)."""
    response = jsonify(error.to_problem())
    response.status_code = error.status
    response.mimetype = PROBLEM_JSON
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.put("/api/artifacts/<sha256>")
def upload(sha256: str) -> tuple[Response, int]:
    platform = get_platform()
    try:
        artifact_path(platform.artifacts.root, sha256)
    except ValueError as exc:
        raise BadRequest(
            f"{sha256!r} is not a sha256 checksum; PUT to /api/artifacts/SHA256"
        ) from exc
    limit = int(platform.settings.max_upload_mb * 1024 * 1024)
    media_type = request.mimetype or "application/octet-stream"
    with platform.artifacts.temp_file() as tmp:
        digest, size = hashlib.sha256(), 0
        with tmp.open("wb") as out:
            for block in iter(lambda: request.stream.read(1 << 20), b""):
                size += len(block)
                if size > limit:
                    raise BadRequest(
                        f"the artifact is larger than {platform.settings.max_upload_mb:g} MB; "
                        "raise ONTOLAB_MAX_UPLOAD_MB"
                    )
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != sha256:
            raise BadRequest(
                f"the body's sha256 is {digest.hexdigest()}, not {sha256}; send the whole file"
            )
        ref = platform.artifacts.put(tmp, media_type)
    body = {"sha256": ref.sha256, "size": ref.size, "media_type": ref.media_type}
    return jsonify(body), 201


_STORED = object_schema(
    {
        "sha256": {"type": "string"},
        "size": {"type": "integer"},
        "media_type": {"type": "string"},
    },
    ["sha256", "size", "media_type"],
)

OPENAPI: dict[str, Any] = {
    "/api/artifacts/{sha256}": {
        "put": {
            "summary": "Upload an artifact; stored only if the body's sha256 matches the path "
            "(also repairs a corrupt one)",
            "parameters": [path_parameter("sha256")],
            "requestBody": {"content": {"application/octet-stream": {}}},
            "responses": {
                "201": {
                    "description": "stored: sha256, size, media_type",
                    "content": {"application/json": {"schema": _STORED}},
                },
                "400": problem_response("problem JSON: bad checksum, mismatch or too large"),
            },
        },
        "get": {
            "summary": "Download an artifact by its sha256 (content-addressed, immutable)",
            "parameters": [path_parameter("sha256")],
            "responses": {
                "200": {"description": "the file, with the media type recorded for it"},
                "404": PROBLEM_RESPONSE,
                "410": {
                    "description": "problem JSON: the stored bytes do not match the checksum "
                    "(quarantined; PUT the true bytes or rerun the step to repair)",
                    "content": PROBLEM_CONTENT,
                },
            },
        },
    }
}
