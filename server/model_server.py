"""One deployed model's HTTP server: ``POST /predict``, ``GET /health``, ``GET /metrics``.

A bare WSGI callable rather than a Flask app: the predict path is what a load test measures,
and routing three fixed paths needs no framework. Served by waitress with several threads.
Model servers are normally forked by ``server.model_warm`` (see ``server.deployments``);
``python -m server.model_server --artifact FILE --port N …`` runs one in a fresh interpreter.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from server.errors import OntolabError
from server.monitoring import CONTENT_TYPE_LATEST, ModelMetrics
from server.serving import LoadedModel

DEFAULT_THREADS = 4
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
_REASONS |= {413: "Content Too Large", 500: "Internal Server Error"}
MAX_BODY = 64 * 1024 * 1024


_IMPUTE_STRATEGIES = ("mean", "median", "most_frequent", "constant")
_PROBES = 8


class CompiledPredictor:
    """``LoadedModel.predict`` with the preprocessing compiled to numpy, where it allows.

    scikit-learn's ColumnTransformer costs ~1.4 ms per call whatever the row count, ~90% of a
    one-row predict. When the preprocessing is only numeric columns through SimpleImputer /
    StandardScaler / MinMaxScaler (what the process phase builds for numeric data), it is the
    same as a NaN fill and an affine map on the checked float matrix. ``compile`` returns
    None for anything else, and the compiled transform is checked against the pipeline's own
    on probe rows before it is used. Input checks and the response stay LoadedModel's.
    """

    def __init__(self, model: LoadedModel, fill: np.ndarray, shift: np.ndarray, scale: np.ndarray,
                 order: np.ndarray) -> None:  # fmt: skip
        self.model = model
        self._fill, self._shift, self._scale, self._order = fill, shift, scale, order
        self._estimator = model.pipeline.steps[-1][1]
        self._proba = model.task == "classification" and hasattr(self._estimator, "predict_proba")
        self._meta: dict[str, Any] = {"name": model.name}
        if model.version is not None:
            self._meta["version"] = model.version

    @classmethod
    def compile(cls, model: LoadedModel) -> CompiledPredictor | None:
        try:
            parts = _affine_parts(model)
        except (AttributeError, TypeError, ValueError, KeyError):
            return None
        if parts is None:
            return None
        compiled = cls(model, *parts)
        return compiled if compiled._matches_pipeline() else None

    def transform(self, matrix: np.ndarray) -> np.ndarray:
        x = matrix[:, self._order]
        missing = np.isnan(x)
        if missing.any():
            x = np.where(missing, self._fill, x)
        return (x - self._shift) / self._scale

    def predict(self, payload: dict[str, Any]) -> dict[str, Any]:
        frame = self.model.frame(payload)  # the checks, and ServingInputError naming the field
        features = self.transform(frame.to_numpy(dtype=np.float64))
        response: dict[str, Any] = {"predictions": self._estimator.predict(features).tolist()}
        if self._proba:
            response["probabilities"] = self._estimator.predict_proba(features).tolist()
        if self.model.classes is not None:
            response["classes"] = self.model.classes
        response["model"] = self._meta
        return response

    def _matches_pipeline(self) -> bool:
        rng = np.random.default_rng(0)
        center = np.where(np.isfinite(self._shift), self._shift, 0.0)
        spread = np.where(np.isfinite(self._scale) & (self._scale != 0), self._scale, 1.0)
        columns = len(self.model.feature_columns)
        probe = np.zeros((_PROBES, columns))
        probe[:, self._order] = center + rng.normal(size=(_PROBES, len(center))) * spread
        import pandas as pd

        frame = pd.DataFrame(probe, columns=self.model.feature_columns)
        expected = np.asarray(self.model.pipeline[:-1].transform(frame), dtype=np.float64)
        return bool(np.allclose(self.transform(probe), expected, rtol=1e-9, atol=1e-9))


def _affine_parts(model: LoadedModel) -> tuple[np.ndarray, ...] | None:
    """(fill, shift, scale, column order) if the preprocessing is numeric impute + scale."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    pipeline = model.pipeline
    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) != 2:
        return None
    columns_of = {name: i for i, name in enumerate(model.feature_columns)}
    if not all(c.numeric for c in model.columns):
        return None
    pre = pipeline.steps[0][1]
    if not isinstance(pre, ColumnTransformer):
        return None
    order: list[int] = []
    fill: list[float] = []
    shift: list[float] = []
    scale: list[float] = []
    for _, transformer, selected in pre.transformers_:
        if transformer == "drop" or (isinstance(selected, list) and not selected):
            continue
        if not isinstance(selected, list | tuple) or not all(c in columns_of for c in selected):
            return None
        steps = transformer.steps if isinstance(transformer, Pipeline) else [("", transformer)]
        width = len(selected)
        f, a, b = np.full(width, np.nan), np.zeros(width), np.ones(width)
        for index, (_, step) in enumerate(steps):
            if isinstance(step, SimpleImputer) and step.strategy in _IMPUTE_STRATEGIES:
                statistics = np.asarray(step.statistics_, dtype=np.float64)
                if index != 0 or step.add_indicator or np.isnan(statistics).any():
                    return None  # only a fill before any scaling is a plain NaN fill
                f = statistics
            elif isinstance(step, StandardScaler):
                mean = step.mean_ if step.with_mean else np.zeros(width)
                std = step.scale_ if step.with_std else np.ones(width)
                a, b = _compose(a, b, np.asarray(mean, float), np.asarray(std, float))
            elif isinstance(step, MinMaxScaler) and not step.clip:
                a, b = _compose(a, b, -step.min_ / step.scale_, 1.0 / step.scale_)
            elif step != "passthrough":
                return None
        order += [columns_of[c] for c in selected]
        fill += f.tolist()
        shift += a.tolist()
        scale += b.tolist()
    return np.array(fill), np.array(shift), np.array(scale), np.array(order, dtype=np.intp)


def _compose(
    shift: np.ndarray, scale: np.ndarray, mean: np.ndarray, std: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """((x - shift)/scale - mean)/std as (x - shift')/scale'."""
    return shift + mean * scale, scale * std


class ModelServerApp:
    """The WSGI application around one loaded model. Thread-safe: the model is read-only."""

    def __init__(self, model: LoadedModel, info: dict[str, str]) -> None:
        self.model = model
        self.predictor = CompiledPredictor.compile(model) or model
        self.info = info
        self.metrics = ModelMetrics(info, model.task, model.classes)
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
        if handler is None:
            status, mimetype, body = self._no_route(environ["REQUEST_METHOD"], path)
            endpoint = "other"
        else:
            endpoint = path[1:]
            try:
                status, mimetype, body = handler(environ)
            except OntolabError as exc:
                status, mimetype, body = exc.status, PROBLEM_JSON, _dump(exc.to_problem())
            except Exception as exc:  # a crashed request must still answer, and be counted
                status, mimetype = 500, PROBLEM_JSON
                body = _problem(500, f"the model server failed: {type(exc).__name__}: {exc}")
        start_response(
            f"{status} {_REASONS.get(status, 'Error')}",
            [("Content-Type", mimetype), ("Content-Length", str(len(body)))],
        )
        self.metrics.observe(endpoint, status, time.perf_counter() - started)
        return [body]

    def _predict(self, environ: dict[str, Any]) -> tuple[int, str, bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY:
            return 413, PROBLEM_JSON, _problem(413, f"the body is over {MAX_BODY} bytes; split it")
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            detail = "the request body must be a JSON object; send Content-Type: application/json"
            return 400, PROBLEM_JSON, _problem(400, detail)
        result = self.predictor.predict(payload)
        self.metrics.observe_predictions(list(result.get("predictions", ())))
        return 200, JSON, _dump(result)

    def _get_health(self, environ: dict[str, Any]) -> tuple[int, str, bytes]:
        return 200, JSON, self._health

    def _get_metrics(self, environ: dict[str, Any]) -> tuple[int, str, bytes]:
        return 200, CONTENT_TYPE_LATEST, self.metrics.exposition()

    def _get_schema(self, environ: dict[str, Any]) -> tuple[int, str, bytes]:
        return 200, JSON, _dump(self.model.input_schema())

    def _no_route(self, method: str, path: str) -> tuple[int, str, bytes]:
        if any(p == path for _, p in self._routes):
            allowed = ", ".join(m for m, p in self._routes if p == path)
            return (
                405,
                PROBLEM_JSON,
                _problem(405, f"{method} {path} is not allowed; use {allowed}"),
            )
        known = ", ".join(f"{m} {p}" for m, p in self._routes)
        return 404, PROBLEM_JSON, _problem(404, f"no route {path}; this server answers {known}")


def _dump(value: Any) -> bytes:
    return json.dumps(value).encode()


def _problem(status: int, detail: str) -> bytes:
    title = _REASONS.get(status, "Error")
    return _dump({"type": "about:blank", "title": title, "status": status, "detail": detail})


def build_app(artifact: Path, info: dict[str, str]) -> ModelServerApp:
    """Load the model artifact (checked against ``info["sha256"]`` when given) and wrap it."""
    version = info.get("version")
    model = LoadedModel.load(
        artifact, version=int(version) if version else None, sha256=info.get("sha256") or None
    )
    return ModelServerApp(model, info)


def serve(app: ModelServerApp, sock: socket.socket, threads: int = DEFAULT_THREADS) -> None:
    """Serve ``app`` on an already bound socket until the process is stopped."""
    from waitress.server import create_server

    server = create_server(
        app,
        sockets=[sock],
        threads=threads,
        ident="ontolab-model-server",
        channel_timeout=30,
        connection_limit=1000,
    )
    print(f"serving {app.info.get('model')} on {sock.getsockname()}", flush=True)
    server.run()


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket, bound the way waitress binds its own (SO_REUSEADDR)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    return sock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.model_server")
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
