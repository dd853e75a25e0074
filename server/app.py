"""The Flask app factory: one Platform per app, blueprints per resource, RFC 7807 errors."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from server.api import BLUEPRINTS
from server.api.common import PROBLEM_JSON, problem
from server.errors import OntolabError
from server.monitoring import PlatformMetrics, instrument
from server.platform import Platform, open_platform
from server.settings import Settings


def create_app(settings: Settings | None = None, platform: Platform | None = None) -> Flask:
    """Build the app around ``platform`` (or one opened from ``settings``)."""
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = None  # uploads check their own limit, with a clear error
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["ontolab"] = platform = platform or open_platform(settings)
    metrics = app.extensions["ontolab.metrics"] = PlatformMetrics()  # this app's own registry
    instrument(app, metrics)
    platform.runs.on_finished(metrics.record_run)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.register_error_handler(OntolabError, _ontolab_problem)
    app.register_error_handler(HTTPException, _http_problem)
    return app


def _ontolab_problem(error: OntolabError) -> Response:
    response = jsonify(error.to_problem())
    response.status_code = error.status
    response.mimetype = PROBLEM_JSON
    return response


def _http_problem(error: HTTPException) -> Response:
    status = error.code or 500
    detail = error.description or error.name
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        error.valid_methods = sorted(error.valid_methods)
        allowed = ", ".join(error.valid_methods)
        detail = f"{request.method} is not allowed on {request.path}; use {allowed}"
    response = problem(status, error.name, detail)
    # Keep the headers werkzeug attaches (a 405's Allow, a 401's WWW-Authenticate, …).
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response
