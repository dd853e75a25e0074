"""Datasets: upload CSV or Parquet (size-limited), list, versions, preview rows, profile.

The upload computes the profile (the explore phase, a step); ``GET …/profile`` only reads it.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, request

from server import datasets
from server.api.common import (
    PROBLEM_RESPONSE,
    array_schema,
    get_platform,
    json_response,
    object_schema,
    path_parameter,
)
from server.errors import BadRequest, UploadTooLarge

blueprint = Blueprint("datasets", __name__)
_SUFFIX_TYPES = {".csv": "text/csv", ".parquet": datasets.PARQUET}


def _upload_bytes(limit: int) -> tuple[bytes, str, str | None]:
    """The uploaded file, its media type and (multipart) file name without folders; refused past
    ``limit``."""
    if request.content_length is not None and request.content_length > limit:
        _too_large(request.content_length, limit)
    upload = request.files.get("file")
    if upload is not None:
        data = upload.read(limit + 1)
        suffix = "." + (upload.filename or "").rsplit(".", 1)[-1].lower()
        media_type = _SUFFIX_TYPES.get(suffix, upload.mimetype)
        name = (upload.filename or "").rsplit("/", 1)[-1] or None
    else:
        data = request.stream.read(limit + 1)
        media_type, name = request.mimetype, None
    if len(data) > limit:
        _too_large(len(data), limit)
    return data, media_type, name


def _too_large(size: int, limit: int) -> None:
    raise UploadTooLarge(
        f"the upload is {size / 1e6:.1f} MB, over the limit of {limit / 1e6:.1f} MB; "
        "send a smaller file or raise ONTOLAB_MAX_UPLOAD_MB"
    )


@blueprint.post("/api/datasets")
def upload() -> tuple[dict[str, Any], int]:
    platform = get_platform()
    data, media_type, file_name = _upload_bytes(int(platform.settings.max_upload_mb * 1e6))
    stem = file_name.rsplit(".", 1)[0] if file_name else None
    name = request.args.get("name") or request.form.get("name") or stem
    if not name:
        raise BadRequest("name the dataset: POST /api/datasets?name=NAME")
    version, profile_error = platform.datasets.upload(name, data, media_type, file_name)
    body = asdict(version) | {"source": f"dataset:{name}@{version.number}"}
    if profile_error is not None:  # the data is stored and usable; only its profile is missing
        body["profile_error"] = profile_error
    return body, 201


@blueprint.get("/api/datasets")
def list_datasets() -> dict[str, Any]:
    return {"datasets": get_platform().datasets.listing()}


@blueprint.get("/api/datasets/<name>")
def versions(name: str) -> dict[str, Any]:
    found = get_platform().datasets.versions(name)
    return {"name": name, "versions": [asdict(v) for v in found]}


def _version(name: str) -> datasets.DatasetVersion:
    return get_platform().datasets.get(name, request.args.get("version", type=int))


@blueprint.get("/api/datasets/<name>/preview")
def preview(name: str) -> dict[str, Any]:
    rows = min(max(request.args.get("rows", 20, type=int), 1), 1000)
    return get_platform().datasets.preview(_version(name), rows)


@blueprint.get("/api/datasets/<name>/profile")
def profile(name: str) -> dict[str, Any]:
    """The profile the upload computed; reading it stores nothing."""
    return get_platform().datasets.profile(_version(name))


_NAME = path_parameter("name")
_VERSION = {
    "name": "version",
    "in": "query",
    "schema": {"type": "integer"},
    "description": "a version number (default: newest)",
}
_STRING = {"type": "string"}
_COUNT = {"type": "integer", "minimum": 0}
_VERSION_FIELDS = {
    "name": _STRING,
    "number": {"type": "integer", "minimum": 1},
    "iri": _STRING,
    "sha256": _STRING,
    "size": _COUNT,
    "rows": _COUNT,
    "columns": _COUNT,
    "created": _STRING,
    "format": _STRING,
}
_DATASET_VERSION = object_schema(_VERSION_FIELDS, list(_VERSION_FIELDS))


_UPLOADED = object_schema(
    _VERSION_FIELDS | {"source": {"type": "string", "pattern": "^dataset:"}},
    [*_VERSION_FIELDS, "source"],
)
_LISTED = object_schema(
    {
        "datasets": array_schema(
            {"name": _STRING, "versions": _COUNT, "updated": _STRING},
            ["name", "versions", "updated"],
        )
    },
    ["datasets"],
)
_VERSIONS = object_schema(
    {"name": _STRING, "versions": {"type": "array", "items": _DATASET_VERSION}},
    ["name", "versions"],
)
_PREVIEW = object_schema(
    {
        "columns": {"type": "array"},
        "rows": {"type": "array", "items": {"type": "array"}},
        "total_rows": _COUNT,
    },
    ["columns", "rows", "total_rows"],
)
_PROFILE = object_schema(
    {
        "columns": array_schema({"name": _STRING}, ["name"]),
        "rows": _COUNT,
        "correlation": {"type": ["object", "null"]},
        "target_column": {"type": ["string", "null"]},
    },
    ["columns", "rows"],
)

OPENAPI: dict[str, Any] = {
    "/api/datasets": {
        "post": {
            "summary": "Upload CSV or Parquet as a new dataset version (size-limited)",
            "parameters": [
                {
                    "name": "name",
                    "in": "query",
                    "schema": {"type": "string", "pattern": f"^{datasets.NAME_PATTERN}$"},
                    "description": "1-64 letters, digits, _ - . starting with a letter or digit "
                    "(default: the multipart file's name); anything else is a 400",
                }
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "application/vnd.apache.parquet": {
                        "schema": {"type": "string", "format": "binary"}
                    },
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "file": {"type": "string", "format": "binary"},
                                "name": {"type": "string"},
                            },
                        }
                    },
                },
            },
            "responses": {
                "201": json_response(
                    "the stored version; use its `source`. Its profile is computed now; "
                    "`profile_error` says why when that failed",
                    _UPLOADED,
                ),
                "400": PROBLEM_RESPONSE,
                "413": PROBLEM_RESPONSE,
            },
        },
        "get": {
            "summary": "Uploaded datasets",
            "responses": {"200": json_response("names, newest version numbers", _LISTED)},
        },
    },
    "/api/datasets/{name}": {
        "get": {
            "summary": "Versions of a dataset",
            "parameters": [_NAME],
            "responses": {"200": json_response("versions", _VERSIONS), "404": PROBLEM_RESPONSE},
        },
    },
    "/api/datasets/{name}/preview": {
        "get": {
            "summary": "The first rows",
            "parameters": [
                _NAME,
                _VERSION,
                {"name": "rows", "in": "query", "schema": {"type": "integer"}},
            ],
            "responses": {
                "200": json_response("columns and rows", _PREVIEW),
                "404": PROBLEM_RESPONSE,
            },
        },
    },
    "/api/datasets/{name}/profile": {
        "get": {
            "summary": "Per-column profile and correlations (the explore phase), as computed "
            "by the upload; read-only",
            "parameters": [_NAME, _VERSION],
            "responses": {"200": json_response("profile", _PROFILE), "404": PROBLEM_RESPONSE},
        },
    },
}
