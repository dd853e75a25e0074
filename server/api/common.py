"""What every blueprint shares: the current Platform and RFC 7807 problem responses."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request

from server.errors import OntolabError
from server.platform import Platform

PROBLEM_JSON = "application/problem+json"


class BadRequest(OntolabError):
    status = 400
    title = "Bad request"


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
