"""GET /api/health: store, provisioner and version."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from server import __version__
from server.api.common import get_platform

blueprint = Blueprint("health", __name__)


@blueprint.get("/api/health")
def health() -> dict[str, Any]:
    platform = get_platform()
    store_ok = platform.store.ask("ASK { }")
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


OPENAPI: dict[str, Any] = {
    "/api/health": {
        "get": {
            "summary": "Platform health: store, provisioner, version",
            "responses": {"200": {"description": "health report"}},
        }
    }
}
