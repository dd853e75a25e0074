"""GET /metrics: the platform's Prometheus metrics (this app's own registry)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app

from server.monitoring.metrics import CONTENT_TYPE_LATEST, PlatformMetrics

blueprint = Blueprint("metrics", __name__)


@blueprint.get("/metrics")
def metrics() -> Response:
    registry: PlatformMetrics = current_app.extensions["ontolab.metrics"]
    return Response(registry.exposition(), mimetype=None, content_type=CONTENT_TYPE_LATEST)


OPENAPI: dict[str, Any] = {
    "/metrics": {
        "get": {
            "summary": "Prometheus metrics: HTTP requests by route and status, latency, runs "
            "by final status, step durations by phase",
            "responses": {
                "200": {
                    "description": "Prometheus text exposition format",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                }
            },
        }
    }
}
