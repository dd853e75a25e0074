"""/api/queries: the named queries of ``ontology/queries/``, listed and run with typed parameters.

A run goes through the store's standard SPARQL JSON results, so the answer keeps every
column (also those no row binds) and needs no guess at the query's form. It runs for a
client, so through the app's ``QueryGuard`` like ``/sparql``: SERVICE refused unless allowed,
a time limit, a bounded number at once.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any

from flask import Blueprint, request

from server.api.common import (
    PROBLEM_CONTENT,
    array_schema,
    get_platform,
    json_body,
    object_schema,
    path_parameter,
)
from server.api.sparql import BUSY_RESPONSE, attach_guard, busy_problem, query_guard
from server.auth.check import restricted_dataset
from server.errors import QueryBusyError
from server.graph import queries
from server.graph.query_guard import ALLOW_SETTING
from server.store.base import TIMEOUT_SETTING

blueprint = Blueprint("queries", __name__)
blueprint.record_once(attach_guard)
blueprint.register_error_handler(QueryBusyError, busy_problem)


@blueprint.get("/api/queries")
def list_queries() -> dict[str, Any]:
    return {"queries": [describe(queries.load(name)) for name in queries.available()]}


@blueprint.get("/api/queries/<name>")
def run_with_query_string(name: str) -> dict[str, Any]:
    return run(name, request.args.to_dict())


@blueprint.post("/api/queries/<name>")
def run_with_json(name: str) -> dict[str, Any]:
    return run(name, json_body())


def describe(query: queries.NamedQuery) -> dict[str, Any]:
    """A named query as the list shows it: name, description, typed parameters and its text
    (parameters appear in it as ``$name``, which SPARQL reads as an unbound variable)."""
    return {
        "name": query.name,
        "description": query.description,
        "parameters": [{"name": name, "type": kind} for name, kind in query.params.items()],
        "text": query.text,
    }


def run(name: str, values: dict[str, Any]) -> dict[str, Any]:
    """Run the named query with ``values`` bound: columns and rows, or the ASK answer."""
    dataset = restricted_dataset(get_platform().store, None, None)  # auth on: readable graphs
    answer = query_guard().run_named(name, values, dataset)
    if "rows" in answer:
        answer["rows"] = [{column: _json(v) for column, v in row.items()} for row in answer["rows"]]
    return answer


def _json(value: Any) -> Any:
    # Flask would write dates as RFC 822 strings and drop the offset; ISO 8601 keeps both.
    return value.isoformat() if isinstance(value, date | time) else value


_NAME = path_parameter("name")
_TABLE_OR_BOOLEAN = {
    "oneOf": [
        {
            "type": "object",
            "required": ["columns", "rows"],
            "properties": {
                "columns": {"type": "array", "items": {"type": "string"}},
                "rows": {"type": "array", "items": {"type": "object"}},
            },
            "additionalProperties": False,
        },
        {
            "type": "object",
            "required": ["boolean"],
            "properties": {"boolean": {"type": "boolean"}},
            "additionalProperties": False,
        },
    ]
}
_ANSWER = {
    "200": {
        "description": (
            'a SELECT gives {"columns": [...], "rows": [{column: value}]} (unbound values are '
            'null, dates ISO 8601); an ASK gives {"boolean": true|false}'
        ),
        "content": {"application/json": {"schema": _TABLE_OR_BOOLEAN}},
    },
    "400": {
        "description": "a parameter missing, unexpected or not of its declared type, or a "
        f"query with a SERVICE whose endpoint is not listed in {ALLOW_SETTING}",
        "content": PROBLEM_CONTENT,
    },
    "404": {"description": "no named query by that name", "content": PROBLEM_CONTENT},
    "503": BUSY_RESPONSE,
    "504": {
        "description": f"the query ran past {TIMEOUT_SETTING} (30 s by default)",
        "content": PROBLEM_CONTENT,
    },
}
_LISTED = object_schema(
    {
        "queries": array_schema(
            {
                "name": {"type": "string"},
                "description": {"type": "string"},
                "parameters": array_schema(
                    {
                        "name": {"type": "string"},
                        "type": {"enum": [*queries.PARAM_TYPES, *queries.LIST_TYPES]},
                    },
                    ["name", "type"],
                ),
                "text": {"type": "string"},
            },
            ["name", "description", "parameters", "text"],
        )
    },
    ["queries"],
)

OPENAPI: dict[str, Any] = {
    "/api/queries": {
        "get": {
            "summary": "List the named queries with their typed parameters",
            "responses": {
                "200": {
                    "description": (
                        '{"queries": [{"name", "description", "parameters": [{"name", '
                        '"type"}]}]}; types are '
                        + ", ".join([*queries.PARAM_TYPES, *queries.LIST_TYPES])
                    ),
                    "content": {"application/json": {"schema": _LISTED}},
                }
            },
        }
    },
    "/api/queries/{name}": {
        "get": {
            "summary": "Run a named query, parameters in the query string",
            "description": "Each declared parameter is given as ?param=value; all are required.",
            "parameters": [_NAME],
            "responses": _ANSWER,
        },
        "post": {
            "summary": "Run a named query, parameters as a JSON object",
            "parameters": [_NAME],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "additionalProperties": True},
                        "example": {"identifier": "wine"},
                    }
                },
            },
            "responses": _ANSWER,
        },
    },
}
