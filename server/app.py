"""The Flask app factory: one Platform per app, blueprints per resource, RFC 7807 errors."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Flask, Response, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from server.api import BLUEPRINTS
from server.api.common import PROBLEM_JSON, problem
from server.auth.check import install as install_auth
from server.errors import OntolabError
from server.http_guard import BodyLimit, RequestPolicy, check_json_depth, too_deep
from server.http_server import StreamThreads
from server.monitoring.metrics import PlatformMetrics, instrument
from server.platform import Platform, open_platform
from server.settings import Settings

# Routes with their own body limit (the others: ONTOLAB_MAX_REQUEST_MB). The upload routes
# check the exact limit themselves; the guard refuses what is clearly over it.
_UPLOADS = (
    ("POST", r"/api/datasets"),
    ("PUT", r"/api/artifacts/[^/]+"),
    ("PUT", r"/api/tracking/runs/[^/]+/(artifacts/.+|models/[^/]+)"),
    ("PUT", r"/api/2\.0/mlflow-artifacts/artifacts/.+"),  # MLflow's client uploading a file
)
_PREDICT = r"/api/models/[^/]+(/versions/[^/]+|/aliases/[^/]+)?/predict"


class CheckedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing request bodies nested deeper than ``max_depth`` (a 400).

    Every ``request.get_json`` goes through ``loads``; the error is not a ValueError, so
    ``silent=True`` does not turn it into "no body".
    """

    sort_keys = False
    max_depth = 64

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        check_json_depth(s, self.max_depth)
        try:
            return super().loads(s, **kwargs)
        except RecursionError:  # an encoding the check cannot read (UTF-16 with escapes)
            raise too_deep(self.max_depth) from None


def request_policy(settings: Settings) -> RequestPolicy:
    """What the platform accepts: its Host names, Origin rule and each route's body limit."""
    upload = BodyLimit(settings.max_upload_mb, "ONTOLAB_MAX_UPLOAD_MB", slack_mb=1)  # + form
    predict = BodyLimit(settings.max_predict_mb, "ONTOLAB_MAX_PREDICT_MB")
    routes = [(method, path, upload) for method, path in _UPLOADS]
    routes.append(("POST", _PREDICT, predict))
    return RequestPolicy.build(settings, settings.host, routes)


def create_app(settings: Settings | None = None, platform: Platform | None = None) -> Flask:
    """Build the app around ``platform`` (or one opened from ``settings``)."""
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = None  # uploads check their own limit, with a clear error
    app.extensions["ontolab"] = platform = platform or open_platform(settings)
    app.json = json_provider = CheckedJSONProvider(app)
    json_provider.max_depth = platform.settings.max_json_depth
    policy = app.extensions["ontolab.policy"] = request_policy(platform.settings)
    app.extensions["ontolab.streams"] = StreamThreads(platform.settings.max_event_streams)
    metrics = app.extensions["ontolab.metrics"] = PlatformMetrics()  # this app's own registry
    instrument(app, metrics)
    metrics.registry.register(platform.monitoring.gauges)  # drift, live performance, up
    app.before_request(partial(_guard, policy))
    install_auth(app, platform.settings, platform.store)  # after the guard: nothing is read
    platform.runs.on_finished(metrics.record_run)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.register_error_handler(OntolabError, _ontolab_problem)
    app.register_error_handler(HTTPException, _http_problem)
    return app


def _guard(policy: RequestPolicy) -> None:
    """Refuse a foreign Host, a cross-site write or an over-limit body before it is read."""
    policy.check(request.environ)


def _ontolab_problem(error: OntolabError) -> Response:
    response = jsonify(error.to_problem())
    response.status_code = error.status
    response.mimetype = PROBLEM_JSON
    response.headers.update(getattr(error, "headers", None) or {})  # a 401's WWW-Authenticate
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
