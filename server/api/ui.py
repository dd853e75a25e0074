"""The web UI: the built single-page app in ``ui/dist`` served at ``/``.

Client-side routes (``/runs/ID``, ``/compare`` …) are real URLs: any GET that no other route
answers, outside ``/api``, ``/sparql`` and ``/metrics``, gets ``index.html`` and the app's
router takes over. Without a build, ``/`` says how to make one.

Also the one thing the UI needs that a browser cannot fetch itself: a deployment's
Prometheus text, which lives on the model server's own port (another origin, no CORS).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from flask import Blueprint, Response, current_app, request, send_from_directory
from werkzeug.exceptions import NotFound

from server.api.common import get_platform, problem
from server.errors import OntolabError

blueprint = Blueprint("ui", __name__)
METRICS_TIMEOUT_SECONDS = 3.0


class DeploymentUnreachable(OntolabError):
    status = 502
    title = "Deployment unreachable"


DEFAULT_DIST = Path(__file__).resolve().parents[2] / "ui" / "dist"
_NOT_UI = ("/api/", "/api", "/sparql", "/metrics")
_NO_BUILD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ontolab</title></head>
<body style="font-family: sans-serif; max-width: 40rem; margin: 4rem auto">
<h1>Ontolab</h1>
<p>The web UI is not built yet. Run <code>./installation.sh</code> (it builds
<code>ui/dist</code> with npm), then reload this page.</p>
<p>The API is up: <a href="/api/health">/api/health</a>,
<a href="/api/openapi.json">/api/openapi.json</a>.</p>
</body></html>
"""


def dist_dir() -> Path:
    """Where the built UI lives; ``app.config["ONTOLAB_UI_DIST"]`` overrides it (tests)."""
    return Path(current_app.config.get("ONTOLAB_UI_DIST", DEFAULT_DIST))


def _index() -> Response:
    dist = dist_dir()
    if not (dist / "index.html").is_file():
        return Response(_NO_BUILD, mimetype="text/html")
    response = send_from_directory(dist, "index.html", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get("/")
def index() -> Response:
    return _index()


@blueprint.get("/assets/<path:filename>")
def assets(filename: str) -> Response:
    # Vite puts a content hash in every asset name: safe to cache for good.
    response = send_from_directory(dist_dir() / "assets", filename, max_age=31536000)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@blueprint.get("/api/deployments/<deployment_id>/metrics")
def deployment_metrics(deployment_id: str) -> Response:
    """The deployment's own /metrics, relayed so the UI can poll it from this origin."""
    url = str(get_platform().deployments.get(deployment_id)["url"]).rstrip("/") + "/metrics"
    try:
        upstream = requests.get(url, timeout=METRICS_TIMEOUT_SECONDS)
        upstream.raise_for_status()
    except requests.RequestException as exc:
        raise DeploymentUnreachable(
            f"could not read {url}: {exc}; check the deployment's status, or deploy it again"
        ) from exc
    response = Response(upstream.content, content_type=upstream.headers.get("Content-Type"))
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.app_errorhandler(404)
def client_route(error: NotFound) -> Response:
    """index.html (or a top-level file of the build) for a GET no route answers."""
    path = request.path
    if request.method not in ("GET", "HEAD") or path.startswith(_NOT_UI):
        return problem(404, error.name, error.description or error.name)
    dist = dist_dir()
    name = path.lstrip("/")
    if name and "/" not in name and (dist / name).is_file():
        return send_from_directory(dist, name, max_age=3600)
    return _index()


OPENAPI: dict[str, Any] = {
    "/api/deployments/{deployment_id}/metrics": {
        "get": {
            "summary": "The deployment's Prometheus metrics, relayed from its own /metrics",
            "parameters": [
                {
                    "name": "deployment_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                }
            ],
            "responses": {
                "200": {"description": "Prometheus text exposition format"},
                "404": {"description": "problem JSON: no such deployment"},
                "502": {"description": "problem JSON: the model server did not answer"},
            },
        }
    },
    "/": {
        "get": {
            "summary": "The web UI (single-page app); any other non-API GET path serves it too",
            "responses": {
                "200": {
                    "description": "index.html of ui/dist, or a page saying to run "
                    "./installation.sh when the UI is not built",
                    "content": {"text/html": {}},
                }
            },
        }
    },
}
