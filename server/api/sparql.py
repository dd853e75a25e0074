"""GET/POST /sparql: the SPARQL 1.1 Protocol, read-only, results by content negotiation.

Queries run on the platform's store with the union of all named graphs as the default graph,
unless they name a dataset: the query's ``FROM`` / ``FROM NAMED``, or the protocol's
``default-graph-uri`` / ``named-graph-uri`` parameters, which replace the query's own.
Updates are refused by design (writes go through the platform's own services) with 403, however
they come (``update=``, an ``application/sparql-update`` body, update text as the query), and
the store only ever parses the text as a query, so nothing sent here can change the graph.

Every query runs through the app's ``QueryGuard`` (``server/graph/query_guard.py``): SERVICE refused
unless allowed, a time limit, a bounded number at once. ``/api/queries`` shares the guard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask.blueprints import BlueprintSetupState

from server.api.common import PROBLEM_CONTENT, get_platform, problem
from server.auth.check import restricted_dataset
from server.errors import (
    BadRequest,
    QueryBusyError,
    ReadOnlyError,
    UnsupportedMediaTypeError,
)
from server.graph.query_guard import ALLOW_SETTING, READ_ONLY, RUNNING_SETTING, QueryGuard
from server.graph.sparql_text import is_absolute_iri
from server.store.base import (
    GRAPH_MEDIA_TYPES,
    RESULTS_MEDIA_TYPES,
    ROWS_SETTING,
    SIZE_SETTING,
    TIMEOUT_SETTING,
    Dataset,
)

blueprint = Blueprint("sparql", __name__)
_GUARD = "ontolab.query_guard"

QUERY_FORM = "application/x-www-form-urlencoded"
QUERY_BODY = "application/sparql-query"
UPDATE_BODY = "application/sparql-update"
OFFERED = {"SELECT, ASK": RESULTS_MEDIA_TYPES, "CONSTRUCT, DESCRIBE": GRAPH_MEDIA_TYPES}
DATASET_PARAMS = ("default-graph-uri", "named-graph-uri")


# Where a POST carries its query, by the request's Content-Type.
_POSTED_QUERIES: dict[str, Callable[[], list[str]]] = {
    QUERY_FORM: lambda: request.form.getlist("query"),
    QUERY_BODY: lambda: [_utf8_body()],
}


def _utf8_body() -> str:
    """A direct POST's query: UTF-8, as the protocol requires of ``application/sparql-query``."""
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaTypeError(
            f"a {QUERY_BODY} body is UTF-8 by the SPARQL 1.1 Protocol, not {charset}; send the "
            f"query encoded as UTF-8 (Content-Type: {QUERY_BODY}; charset=utf-8)"
        )
    try:
        return request.get_data().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"the query is not valid UTF-8 (byte {exc.start}); send it encoded as UTF-8"
        ) from exc


@blueprint.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    _refuse_updates()
    query = _query_text()
    dataset = restricted_dataset(get_platform().store, query, _dataset())
    accept = request.accept_mimetypes
    preferred = [accept.best_match(offered) for offered in OFFERED.values()]
    data, media_type = query_guard().serialize_query(query, [m for m in preferred if m], dataset)
    if accept.provided and accept.quality(media_type) <= 0:
        return problem(
            406,
            "Not acceptable",
            f"this query's result cannot be given as {accept.to_header()!r}; "
            f"send an Accept header naming one of: {', '.join(_offered_for(media_type))}",
            offered=OFFERED,
        )
    return Response(data, mimetype=media_type)


def attach_guard(state: BlueprintSetupState) -> None:
    """Give the app one QueryGuard over its platform's store (for every blueprint that runs
    client queries: register this with ``record_once``)."""
    if _GUARD not in state.app.extensions:
        platform = state.app.extensions["ontolab"]
        state.app.extensions[_GUARD] = QueryGuard.from_settings(platform.store, platform.settings)


def query_guard() -> QueryGuard:
    """The current app's QueryGuard."""
    guard: QueryGuard = current_app.extensions[_GUARD]
    return guard


def busy_problem(error: QueryBusyError) -> Response:
    """The 503 problem with its ``Retry-After``."""
    response = problem(error.status, error.title, str(error))
    response.headers.update(error.headers)
    return response


blueprint.record_once(attach_guard)
blueprint.register_error_handler(QueryBusyError, busy_problem)


def _refuse_updates() -> None:
    if request.mimetype != UPDATE_BODY and "update" not in request.values:
        return
    if "query" in request.values:
        raise BadRequest(
            "the request carries both a query and an update; the protocol takes one operation "
            "per request: send the query alone"
        )
    raise ReadOnlyError(f"the request is a SPARQL Update; {READ_ONLY}")


def _dataset() -> Dataset | None:
    """The protocol's dataset: in the URL of a GET or a direct POST, in the form (or the URL)
    of a form POST; None when neither parameter is given."""
    default, named = (request.values.getlist(name) for name in DATASET_PARAMS)
    if not default and not named:
        return None
    for iri in default + named:
        if not is_absolute_iri(iri):
            raise BadRequest(
                f"{iri!r} is not an absolute IRI; default-graph-uri and named-graph-uri each "
                "name one graph by its full IRI (e.g. https://w3id.org/ontolab/id/run/RUN_ID); "
                "repeat the parameter for more graphs"
            )
    return Dataset(tuple(default), tuple(named))


def _query_text() -> str:
    if request.method == "GET":
        texts = request.args.getlist("query")
    else:
        read = _POSTED_QUERIES.get(request.mimetype)
        if read is None:
            raise UnsupportedMediaTypeError(
                f"cannot read a query from Content-Type {request.mimetype!r}; "
                f"send {QUERY_FORM} with query=… or {QUERY_BODY} with the query as the body"
            )
        texts = read()
    texts = [t for t in texts if t.strip()]
    if len(texts) != 1:
        raise BadRequest(
            f"expected exactly one query, got {len(texts)}; send it as ?query=…, "
            f"as query=… in a {QUERY_FORM} body, or as a {QUERY_BODY} body"
        )
    return texts[0]


def _offered_for(media_type: str) -> tuple[str, ...]:
    return next(o for o in OFFERED.values() if media_type in o)


def _media(types: tuple[str, ...]) -> dict[str, Any]:
    # SPARQL JSON results are an object (head, results or boolean); the other formats are text.
    return {
        t: {"schema": {"type": "object"} if t.endswith("+json") else {"type": "string"}}
        for t in types
    }


_QUERY_PARAM = {
    "name": "query",
    "in": "query",
    "required": True,
    "schema": {"type": "string"},
    "description": "a SPARQL 1.1 query (SELECT, ASK, CONSTRUCT or DESCRIBE)",
}
_GRAPHS = {"type": "array", "items": {"type": "string", "format": "iri"}}
_DATASET_DOCS = {
    "default-graph-uri": "an absolute IRI of a graph merged into the default graph (repeat for "
    "more). Either dataset parameter replaces the query's FROM / FROM NAMED and the union "
    "default graph: a graph not named is not queried",
    "named-graph-uri": "an absolute IRI of a graph GRAPH may reach (repeat for more); given "
    "without default-graph-uri, the default graph is empty",
}
_DATASET_PARAMS = [
    {"name": name, "in": "query", "required": False, "schema": _GRAPHS, "explode": True,
     "description": text}
    for name, text in _DATASET_DOCS.items()
]  # fmt: skip
#: The answer of a query for which no slot is free, here and on the named queries.
BUSY_RESPONSE: dict[str, Any] = {
    "description": f"as many queries as {RUNNING_SETTING} allows are already running; "
    "retry after the `Retry-After` seconds",
    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    "content": PROBLEM_CONTENT,
}
_RESPONSES = {
    "200": {
        "description": (
            "the result, as the Accept header asks: SELECT/ASK default to "
            f"{RESULTS_MEDIA_TYPES[0]}, CONSTRUCT/DESCRIBE to {GRAPH_MEDIA_TYPES[0]}"
        ),
        "content": _media(RESULTS_MEDIA_TYPES + GRAPH_MEDIA_TYPES),
    },
    "400": {
        "description": "missing or repeated query, a query and an update in one request, "
        "syntax error (with the parser's message), a default-graph-uri / named-graph-uri that "
        f"is not an absolute IRI, a SERVICE to an endpoint not listed in {ALLOW_SETTING} "
        f"(always for a variable endpoint), or an answer larger than {SIZE_SETTING} or, for "
        f"a SELECT, with more rows than {ROWS_SETTING} (refused, never cut: add a LIMIT)",
        "content": PROBLEM_CONTENT,
    },
    "403": {
        "description": f"an update (update=…, a {UPDATE_BODY} body, or update text as the "
        "query): the endpoint is read-only; write through the API or `ontolab store import`",
        "content": PROBLEM_CONTENT,
    },
    "406": {
        "description": "the Accept header allows no format offered for the query's form; "
        "the problem lists the offered ones under `offered`",
        "content": PROBLEM_CONTENT,
    },
    "415": {
        "description": "a POST body that is neither a query form nor a query, or a query "
        "body in a charset other than UTF-8",
        "content": PROBLEM_CONTENT,
    },
    "503": BUSY_RESPONSE,
    "504": {
        "description": f"the query ran past {TIMEOUT_SETTING} (30 s by default): stopped, or, "
        "for a blocking operator, left to finish in its slot; the problem says which",
        "content": PROBLEM_CONTENT,
    },
}
_DESCRIPTION = (
    "The SPARQL 1.1 Protocol (https://www.w3.org/TR/sparql11-protocol/), read-only. The default "
    "graph is the union of all named graphs unless the query has FROM / FROM NAMED or the "
    "request default-graph-uri / named-graph-uri (these replace the query's). SELECT answers "
    f"over {ROWS_SETTING} rows are refused. SERVICE is refused unless its endpoint is "
    f"listed in {ALLOW_SETTING}; every query has a time limit ({TIMEOUT_SETTING}, 504 past it) "
    f"and at most {RUNNING_SETTING} run at once (503 with Retry-After beyond). Problems are "
    "RFC 7807 JSON."
)

OPENAPI: dict[str, Any] = {
    "/sparql": {
        "get": {
            "summary": "Run a read-only SPARQL query given in the URL",
            "description": _DESCRIPTION,
            "parameters": [_QUERY_PARAM, *_DATASET_PARAMS],
            "responses": _RESPONSES,
        },
        "post": {
            "summary": "Run a read-only SPARQL query given in the body",
            "description": _DESCRIPTION,
            "parameters": _DATASET_PARAMS,
            "requestBody": {
                "required": True,
                "content": {
                    QUERY_FORM: {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "query": _QUERY_PARAM["schema"],
                                **{name: _GRAPHS for name in DATASET_PARAMS},
                            },
                            "required": ["query"],
                        }
                    },
                    QUERY_BODY: {"schema": {"type": "string"}},
                },
            },
            "responses": _RESPONSES,
        },
    }
}
