"""The web UI: the built single-page app in ``ui/dist`` served at ``/``.

Client-side routes (``/runs/ID``, ``/compare`` …) are real URLs: any GET that no other route
answers, outside ``/api``, ``/sparql`` and ``/metrics``, gets ``index.html`` and the app's
router takes over. Without a build, ``/`` says how to make one.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, request, send_from_directory
from werkzeug.exceptions import NotFound

from server.api.common import path_parameter, problem, problem_response

blueprint = Blueprint("ui", __name__)


DEFAULT_DIST = Path(__file__).resolve().parents[2] / "ui" / "dist"
_NOT_UI = ("/api/", "/api", "/sparql", "/metrics", "/assets/")
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


# Precompressed siblings the build writes (ui/vite.config.ts), best first.
_ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


def _encoding(folder: Path, filename: str) -> tuple[str, str] | None:
    """The best precompressed sibling of ``filename`` the client accepts, if the build made one."""
    for encoding, suffix in _ENCODINGS:
        if request.accept_encodings[encoding] and (folder / (filename + suffix)).is_file():
            return encoding, suffix
    return None


@blueprint.get("/assets/<path:filename>")
def assets(filename: str) -> Response:
    # Vite puts a content hash in every asset name: safe to cache for good.
    folder = dist_dir() / "assets"
    chosen = _encoding(folder, filename) if (folder / filename).is_file() else None
    if chosen is None:
        response = send_from_directory(folder, filename, max_age=31536000)
    else:
        encoding, suffix = chosen
        response = send_from_directory(folder, filename + suffix, max_age=31536000)
        # The type is the original file's, not that of a .br or .gz file.
        response.mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        response.headers["Content-Encoding"] = encoding
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.vary.add("Accept-Encoding")
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
    "/assets/{filename}": {
        "get": {
            "summary": "A built UI asset (content-hashed name, cached for good; Brotli or gzip "
            "when the client accepts it)",
            "parameters": [path_parameter("filename")],
            "responses": {
                "200": {"description": "the file"},
                "404": problem_response("problem JSON"),
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
