"""One deployed model's HTTP server: ``POST /predict``, ``GET /health``, ``GET /metrics``.

A bare WSGI callable rather than a Flask app: the predict path is what a load test measures,
and routing three fixed paths needs no framework. Served by waitress with several threads.
Model servers are normally forked by ``serving.model_warm`` (see ``serving.deployments``);
``python -m server.serving.model_server --artifact FILE --port N …`` runs one in a fresh
interpreter.

Every ``/predict`` answer carries a request id, in the ``X-Request-ID`` header and (on success)
the ``request_id`` field: the client's own ``X-Request-ID`` when it is sane (1-128 letters,
digits, ``.``, ``_``, ``:``, ``-``), else a new one. With a prediction log
(``server.monitoring.prediction_log``), each answered request is queued for its writer thread
under that id; the request never waits for the disk.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from server.auth.predict_access import PredictAccess
from server.errors import OntolabError
from server.http_guard import BodyLimit, RequestPolicy, loads_json
from server.monitoring.metrics import CONTENT_TYPE_LATEST, ModelMetrics
from server.monitoring.prediction_log import LogConfig, PredictionLogWriter, write_meta
from server.serving.loaded_model import LoadedModel
from server.serving.model_process import bind
from server.settings import Settings

DEFAULT_THREADS = 4
BODY_CAP_MARGIN = 1024 * 1024  # waitress's own cap sits above the limits: they answer first
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
StartResponse = Callable[[str, list[tuple[str, str]]], Any]
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
_REASONS |= {405: "Method Not Allowed", 413: "Content Too Large", 500: "Internal Server Error"}


def request_policy(settings: Settings, bound_host: str = "127.0.0.1") -> RequestPolicy:
    """What a model server accepts: the platform's Host and Origin rules, predict's body limit.

    Settings come from the environment the platform's warm parent passed on, so
    ``ONTOLAB_MAX_PREDICT_MB``, ``ONTOLAB_MAX_JSON_DEPTH`` and ``ONTOLAB_ALLOWED_HOSTS`` hold
    here as on the platform.
    """
    predict = BodyLimit(settings.max_predict_mb, "ONTOLAB_MAX_PREDICT_MB")
    return RequestPolicy.build(settings, bound_host, [("POST", "/predict", predict)])


class ModelServerApp:
    """The WSGI application around one loaded model. Thread-safe: the model is read-only."""

    def __init__(
        self,
        model: LoadedModel,
        info: dict[str, str],
        policy: RequestPolicy | None = None,
        prediction_log: PredictionLogWriter | None = None,
    ) -> None:
        self.model = model
        self.info = info
        self.policy = policy or request_policy(Settings.load())
        self.metrics = ModelMetrics(info, model.task, model.classes)
        self.prediction_log = prediction_log
        self.access: PredictAccess | None = None  # set: /predict needs a token
        self._health = json.dumps(
            {"status": "ok", "ready": True, **info, "task": model.task}
        ).encode()
        self._routes: dict[tuple[str, str], Callable[[dict[str, Any]], tuple[int, str, bytes]]] = {
            ("POST", "/predict"): self._predict,
            ("GET", "/health"): self._get_health,
            ("GET", "/metrics"): self._get_metrics,
            ("GET", "/schema"): self._get_schema,
        }

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        path = environ.get("PATH_INFO") or "/"
        handler = self._routes.get((environ["REQUEST_METHOD"], path))
        headers = []
        if handler is None:
            status, mimetype, body = self._no_route(environ["REQUEST_METHOD"], path)
            endpoint = "other"
            if status == 405:
                headers.append(("Allow", self._allowed(path)))
        else:
            endpoint = path[1:]
            if endpoint == "predict":
                environ["ontolab.request_id"] = request_id(environ)
                headers.append((REQUEST_ID_HEADER, environ["ontolab.request_id"]))
            try:
                self.policy.check(environ)
                if endpoint == "predict" and self.access is not None:
                    self.access.check(environ)
                status, mimetype, body = handler(environ)
            except OntolabError as exc:
                status, mimetype, body = exc.status, PROBLEM_JSON, _dump(exc.to_problem())
            except Exception as exc:  # a crashed request must still answer, and be counted
                status, mimetype = 500, PROBLEM_JSON
                body = _problem(500, f"the model server failed: {type(exc).__name__}: {exc}")
        start_response(
            f"{status} {_REASONS.get(status, 'Error')}",
            [("Content-Type", mimetype), ("Content-Length", str(len(body))), *headers],
        )
        self.metrics.observe(endpoint, status, time.perf_counter() - started)
        return [body]

    def _predict(self, environ: dict[str, Any]) -> tuple[int, str, bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            length = -1
        raw = environ["wsgi.input"].read(length)  # within the limit: policy.check saw to it
        try:
            payload = loads_json(raw, self.policy.max_json_depth)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            detail = "the request body must be a JSON object; send Content-Type: application/json"
            return 400, PROBLEM_JSON, _problem(400, detail)
        result = self.model.predict(payload)
        predictions = list(result.get("predictions", ()))
        self.metrics.observe_predictions(predictions)
        identifier = environ.get("ontolab.request_id") or request_id(environ)
        if self.prediction_log is not None:
            self.prediction_log.log(identifier, raw, predictions)
        return 200, JSON, _dump({**result, "request_id": identifier})

    def _get_health(self, environ: dict[str, Any]) -> tuple[int, str, bytes]:
        return 200, JSON, self._health

    def _get_metrics(self, environ: dict[str, Any]) -> tuple[int, str, bytes]:
        return 200, CONTENT_TYPE_LATEST, self.metrics.exposition()

    def _get_schema(self, environ: dict[str, Any]) -> tuple[int, str, bytes]:
        return 200, JSON, _dump(self.model.input_schema())

    def _allowed(self, path: str) -> str:
        return ", ".join(m for m, p in self._routes if p == path)

    def _no_route(self, method: str, path: str) -> tuple[int, str, bytes]:
        if any(p == path for _, p in self._routes):
            detail = f"{method} {path} is not allowed; use {self._allowed(path)}"
            return 405, PROBLEM_JSON, _problem(405, detail)
        known = ", ".join(f"{m} {p}" for m, p in self._routes)
        return 404, PROBLEM_JSON, _problem(404, f"no route {path}; this server answers {known}")


def request_id(environ: dict[str, Any]) -> str:
    """The client's ``X-Request-ID`` when it is sane, else a new random id."""
    given = environ.get("HTTP_X_REQUEST_ID")
    if given and _SANE_REQUEST_ID.fullmatch(given):
        return str(given)
    return uuid.uuid4().hex


def _dump(value: Any) -> bytes:
    return json.dumps(value).encode()


def _problem(status: int, detail: str) -> bytes:
    title = _REASONS.get(status, "Error")
    return _dump({"type": "about:blank", "title": title, "status": status, "detail": detail})


def build_app(
    artifact: Path,
    info: dict[str, str],
    prediction_log: dict[str, Any] | None = None,
    access: dict[str, Any] | None = None,
) -> ModelServerApp:
    """Load the model artifact (checked against ``info["sha256"]`` when given) and wrap it.

    ``prediction_log`` (``{"directory": …, "enabled", "max_mb", "files", "queue"}``, as
    ``serving.deployments`` sends it) starts the log's writer thread when enabled."""
    version = info.get("version")
    model = LoadedModel.load(
        artifact, version=int(version) if version else None, sha256=info.get("sha256") or None
    )
    app = ModelServerApp(model, info)
    if access:  # deployed with require_token (server.auth.predict_access)
        app.access = PredictAccess(Path(str(access["accounts"])), info.get("model", ""))
    if prediction_log and prediction_log.get("enabled"):
        directory = Path(str(prediction_log["directory"]))
        config = LogConfig(
            True,
            float(prediction_log["max_mb"]),
            int(prediction_log["files"]),
            int(prediction_log["queue"]),
        )
        meta = {"task": model.task, "classes": model.classes, "features": model.feature_columns}
        write_meta(directory, {**meta, "model": info.get("model"), "version": version})
        app.prediction_log = PredictionLogWriter(
            directory, config, app.metrics.log_dropped.inc, app.metrics.log_written.inc
        )
    return app


def serve(app: ModelServerApp, sock: socket.socket, threads: int = DEFAULT_THREADS) -> None:
    """Serve ``app`` on an already bound socket until the process is stopped."""
    from waitress.server import create_server

    app.policy = request_policy(Settings.load(), str(sock.getsockname()[0]))
    server = create_server(
        app,
        sockets=[sock],
        threads=threads,
        ident="ontolab-model-server",
        channel_timeout=30,
        connection_limit=1000,
        max_request_body_size=app.policy.largest_body + BODY_CAP_MARGIN,
    )
    print(f"serving {app.info.get('model')} on {sock.getsockname()}", flush=True)
    server.run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.serving.model_server")
    parser.add_argument("--artifact", type=Path, required=True, help="the model's joblib file")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument("--info", default="{}", help="JSON object: model, version, sha256, …")
    args = parser.parse_args(argv)
    app = build_app(args.artifact, {k: str(v) for k, v in json.loads(args.info).items()})
    serve(app, bind(args.host, args.port), args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
