"""What every blueprint shares: the current Platform, RFC 7807 problem responses and the
OpenAPI fragments its ``OPENAPI`` dict is written with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from flask import Response, current_app, jsonify, request

from server.errors import BadRequest, OntolabError
from server.platform import Platform

PROBLEM_JSON = "application/problem+json"
#: The ``content`` of an OpenAPI problem response: the Problem schema of server/api/openapi.py.
PROBLEM_CONTENT: dict[str, Any] = {
    PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}
}


def problem_response(description: str = "problem JSON (RFC 7807)") -> dict[str, Any]:
    """An OpenAPI response of problem JSON, described by ``description``."""
    return {"description": description, "content": PROBLEM_CONTENT}


#: The OpenAPI response of problem JSON, for the statuses that need no more words.
PROBLEM_RESPONSE = problem_response()


def path_parameter(name: str, type_: str = "string") -> dict[str, Any]:
    """An OpenAPI path parameter ``name`` of JSON schema type ``type_``."""
    return {"name": name, "in": "path", "required": True, "schema": {"type": type_}}


def json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI response of ``application/json`` in ``schema``."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def json_request(schema: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    """An OpenAPI request body of ``application/json`` in ``schema``."""
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def object_schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """A JSON schema of an object with ``properties``, of which ``required`` must be there."""
    return {"type": "object", "required": required, "properties": properties}


def array_schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """A JSON schema of an array of the objects ``object_schema`` describes."""
    return {"type": "array", "items": object_schema(properties, required)}


def get_platform() -> Platform:
    """The Platform of the app handling the current request."""
    platform: Platform = current_app.extensions["ontolab"]
    return platform


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    """An RFC 7807 problem response."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    return response


def json_body() -> dict[str, Any]:
    """The request's JSON object; a clear 400 when it is missing, not an object, or nested
    deeper than ``ONTOLAB_MAX_JSON_DEPTH`` (the app's JSON provider checks that)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest(
            "the request body must be a JSON object; send Content-Type: application/json"
        )
    return data


@dataclass(frozen=True)
class QueryLimit:
    """A route's ``?limit=``: read with ``read()`` and documented in its OpenAPI with
    ``parameter``, from one default and maximum."""

    default: int
    maximum: int

    def read(self) -> int:
        """The request's limit (``default`` when absent); a 400 unless it is 1 to ``maximum``."""
        text = request.args.get("limit", str(self.default))
        if not text.isdigit() or not 0 < int(text) <= self.maximum:
            raise BadRequest(
                f"limit must be a whole number from 1 to {self.maximum} (got {text!r})"
            )
        return int(text)

    @property
    def parameter(self) -> dict[str, Any]:
        """The OpenAPI query parameter."""
        schema = {"type": "integer", "minimum": 1, "maximum": self.maximum, "default": self.default}
        return {"name": "limit", "in": "query", "schema": schema}


class CappedBody:
    """A request body read in blocks; ``too_large()`` is raised once more than ``limit`` bytes
    came, or at once when the announced Content-Length says so, so a client that sends no
    Content-Length cannot get past the limit either."""

    def __init__(
        self,
        stream: IO[bytes],
        limit: int,
        too_large: Callable[[], OntolabError],
        announced: int | None = None,
    ) -> None:
        if announced is not None and announced > limit:
            raise too_large()
        self._stream, self._limit, self._too_large, self._read = stream, limit, too_large, 0

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            blocks = []
            while block := self.read(1 << 20):
                blocks.append(block)
            return b"".join(blocks)
        block = self._stream.read(size)
        self._read += len(block)
        if self._read > self._limit:
            raise self._too_large()
        return block
