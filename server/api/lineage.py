"""GET /api/lineage: the provenance of a model, run or dataset as nodes and edges to draw."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from server.api.common import (
    PROBLEM_RESPONSE,
    array_schema,
    get_platform,
    object_schema,
)
from server.auth.visibility import require_readable_nodes, require_visible
from server.errors import BadRequest
from server.tracking import catalog

blueprint = Blueprint("lineage", __name__)


@blueprint.get("/api/lineage")
def lineage() -> dict[str, Any]:
    store = get_platform().store
    if request.args.get("model"):
        roots = [catalog.resolve_model(store, request.args["model"])]
    elif request.args.get("run"):
        details = catalog.run_details(store, request.args["run"])
        require_visible([details["identifier"]], "this lineage")
        roots = [a["artifact"] for a in details["artifacts"]]
    elif request.args.get("entity"):
        roots = [request.args["entity"]]
    else:
        raise BadRequest("say whose lineage: ?model=NAME_OR_RUN_ID, ?run=RUN_ID or ?entity=IRI")
    if not request.args.get("run"):
        require_readable_nodes(store, roots, "this lineage")
    nodes: dict[str, dict[str, Any]] = {}
    edges: set[tuple[str, str, str]] = set()
    for root in roots:
        graph = catalog.lineage(store, root)
        nodes.update(graph.nodes)
        edges.update(graph.edges)
    return {
        "roots": roots,
        "nodes": [{"id": iri, **info} for iri, info in sorted(nodes.items())],
        "edges": [
            {"source": source, "relation": relation, "target": target}
            for source, relation, target in sorted(edges)
        ],
    }


_STRINGS = {"type": "array", "items": {"type": "string"}}
_LINEAGE = object_schema(
    {
        "roots": _STRINGS,
        "nodes": array_schema({"id": {"type": "string"}}, ["id"]),
        "edges": array_schema(
            {
                "source": {"type": "string"},
                "relation": {"type": "string"},
                "target": {"type": "string"},
            },
            ["source", "relation", "target"],
        ),
    },
    ["roots", "nodes", "edges"],
)

OPENAPI: dict[str, Any] = {
    "/api/lineage": {
        "get": {
            "summary": "Lineage back to the source dataset, as nodes and edges",
            "parameters": [
                {
                    "name": "model",
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": "model name (newest successful run) or run id",
                },
                {"name": "run", "in": "query", "schema": {"type": "string"}},
                {"name": "entity", "in": "query", "schema": {"type": "string", "format": "iri"}},
            ],
            "responses": {
                "200": {
                    "description": "nodes (id, kind, label, sha256) and edges",
                    "content": {"application/json": {"schema": _LINEAGE}},
                },
                "400": PROBLEM_RESPONSE,
                "404": PROBLEM_RESPONSE,
            },
        }
    }
}
