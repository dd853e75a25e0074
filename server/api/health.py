"""GET /api/health: store, provisioner and version."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from server import __version__
from server.api.common import get_platform, object_schema, problem_response

blueprint = Blueprint("health", __name__)


@blueprint.get("/api/health")
def health() -> dict[str, Any]:
    platform = get_platform()
    store_ok = platform.store_reachable()
    return {
        "status": "ok" if store_ok else "degraded",
        "version": __version__,
        "store": {"backend": platform.store.describe(), "reachable": store_ok},
        "provisioner": {
            "name": platform.provisioner.name,
            "supports_cancel": platform.provisioner.supports_cancel,
            "supports_resource_limits": platform.provisioner.supports_resource_limits,
        },
        "active_runs": len(platform.runs.active()),
    }


_HEALTH = object_schema(
    {
        "status": {"enum": ["ok", "degraded"]},
        "version": {"type": "string"},
        "store": object_schema(
            {"backend": {"type": "string"}, "reachable": {"type": "boolean"}},
            ["backend", "reachable"],
        ),
        "provisioner": object_schema(
            {
                "name": {"type": "string"},
                "supports_cancel": {"type": "boolean"},
                "supports_resource_limits": {"type": "boolean"},
            },
            ["name", "supports_cancel", "supports_resource_limits"],
        ),
        "active_runs": {"type": "integer", "minimum": 0},
    },
    ["status", "version", "store", "provisioner", "active_runs"],
)

OPENAPI: dict[str, Any] = {
    "/api/health": {
        "get": {
            "summary": "Platform health: store, provisioner, version",
            "responses": {
                "200": {
                    "description": "health report",
                    "content": {"application/json": {"schema": _HEALTH}},
                },
                "503": problem_response("problem JSON: the store cannot be reached"),
            },
        }
    }
}
