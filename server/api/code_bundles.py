"""The code bundles of an experiment's stored versions, to reuse one in a new version by its
sha256 (the builder's "pick a code bundle"; ``server.definitions.code_bundles``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from rdflib import Graph

from executor.contract import ArtifactRef, BundleError, check_bundle
from server import definitions
from server.api.common import (
    PROBLEM_RESPONSE,
    array_schema,
    get_platform,
    json_response,
    object_schema,
    path_parameter,
)
from server.definitions import code_bundles
from server.errors import CodeBundleError, CorruptArtifact, NotFoundError

blueprint = Blueprint("code_bundles", __name__)
#: The multipart field of POST /api/experiments (and validate) naming a bundle to reuse.
PICK_FIELD = "code_sha256"


@blueprint.get("/api/experiments/<identifier>/code-bundles")
def list_bundles(identifier: str) -> dict[str, Any]:
    """404 for an unknown experiment; an empty list when no version brought code."""
    platform = get_platform()
    if not definitions.versions(platform.store, identifier):
        definitions.get_version(platform.store, identifier)  # raises NotFoundError with the fix
    bundles = code_bundles.experiment_bundles(platform.store, identifier)
    return {"identifier": identifier, "code_bundles": [_bundle_json(b) for b in bundles]}


def _bundle_json(bundle: code_bundles.StoredBundle) -> dict[str, Any]:
    files = _files(bundle.ref)
    return {
        "sha256": bundle.ref.sha256,
        "size": bundle.ref.size,
        "media_type": bundle.ref.media_type,
        "versions": list(bundle.versions),
        "first_version": bundle.versions[0],
        "stored": files is not None,
        "files": files or [],
    }


def _files(ref: ArtifactRef) -> list[str] | None:
    """The file names in the stored zip; None when its file is gone or damaged."""
    try:
        path = get_platform().artifacts.path(ref.sha256)
        return sorted(check_bundle(path))
    except (NotFoundError, CorruptArtifact, BundleError):
        return None


def picked(graph: Graph, sha256: str) -> ArtifactRef:
    """The stored bundle an earlier version of ``graph``'s experiment brought (see
    ``code_bundles.picked_bundle``), its file present and intact."""
    platform = get_platform()
    ref = code_bundles.picked_bundle(platform.store, graph, sha256)
    if not platform.artifacts.has(ref):
        raise CodeBundleError(
            f"the code bundle with sha256 {sha256!r} is named by this experiment's versions, "
            "but its file is missing or damaged in the artifact store; send the zipped code "
            "folder again as the multipart part `code`"
        )
    return ref


_STRING = {"type": "string"}
_BUNDLES = object_schema(
    {
        "identifier": _STRING,
        "code_bundles": array_schema(
            {
                "sha256": _STRING,
                "size": {"type": "integer", "minimum": 0},
                "media_type": _STRING,
                "versions": {
                    "type": "array",
                    "items": {"type": "integer"},
                    "description": "the versions that name it, oldest first",
                },
                "first_version": {"type": "integer", "description": "the version that brought it"},
                "stored": {
                    "type": "boolean",
                    "description": "its zip is in the artifact store, intact (else it cannot "
                    "be picked)",
                },
                "files": {"type": "array", "items": _STRING, "description": "names in the zip"},
            },
            ["sha256", "size", "versions", "first_version", "stored", "files"],
        ),
    },
    ["identifier", "code_bundles"],
)

OPENAPI: dict[str, Any] = {
    "/api/experiments/{identifier}/code-bundles": {
        "get": {
            "summary": "The code bundles the experiment's versions brought, to reuse by sha256",
            "description": "One entry per code bundle (ol:codeBundle) any stored version names, "
            "the newest version's first: its sha256, size, file names and the versions naming "
            "it. A new version reuses one by sending its sha256 as the multipart field "
            f"`{PICK_FIELD}` of POST /api/experiments instead of the part `code`; only a "
            "bundle listed here is accepted.",
            "parameters": [path_parameter("identifier")],
            "responses": {
                "200": json_response("the code bundles", _BUNDLES),
                "404": PROBLEM_RESPONSE,
            },
        }
    },
}
