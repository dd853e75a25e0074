"""Prometheus metrics: one ``CollectorRegistry`` per app and per model server, never the global one.

``PlatformMetrics`` counts the platform's HTTP requests by route template (``/api/runs/<run_id>``,
not the raw path, so the label set stays small), their latency, runs by final status and step
durations by phase. ``ModelMetrics`` is what a deployed model's server exposes: requests,
latency, predictions by class (classification) or by value bucket (regression), rows per request.

Both are thread-safe: prometheus-client's metrics take their own locks.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from server.tracking.records import RunRecord

__all__ = ["CONTENT_TYPE_LATEST", "ModelMetrics", "PlatformMetrics", "instrument"]

LATENCY_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
STEP_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 1800.0)
ROW_BUCKETS = (1, 2, 5, 10, 50, 100, 500, 1000, 5000, 10000)
VALUE_BUCKETS = (-1000.0, -100.0, -10.0, -1.0, 0.0, 1.0, 10.0, 100.0, 1000.0, 10000.0)
UNMATCHED_ROUTE = "<unmatched>"


class PlatformMetrics:
    """The platform's own metrics, served at ``/metrics``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "ontolab_http_requests",
            "HTTP requests the platform answered, by method, route template and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "ontolab_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ("method", "route"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.runs = Counter(
            "ontolab_runs_finished",
            "Runs that ended, by final status.",
            ("status",),
            registry=self.registry,
        )
        self.steps = Histogram(
            "ontolab_step_duration_seconds",
            "Wall time of executed (not cached) step runs, by phase.",
            ("phase",),
            buckets=STEP_BUCKETS,
            registry=self.registry,
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def record_run(self, record: RunRecord) -> None:
        """A ``RunService.on_finished`` hook: count the run, time its executed steps."""
        self.runs.labels(record.status).inc()
        for step in record.steps.values():
            seconds = _seconds(step.started_at, step.ended_at)
            if seconds is not None and not step.cache_hit:
                self.steps.labels(step.phase).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def instrument(app: Flask, metrics: PlatformMetrics) -> None:
    """Time and count every request ``app`` answers; errors included (they pass after_request)."""

    @app.before_request
    def _start_timer() -> None:
        g.ontolab_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        started = g.get("ontolab_started")
        if started is not None:
            rule = request.url_rule
            route = rule.rule if rule is not None else UNMATCHED_ROUTE
            elapsed = time.perf_counter() - started
            metrics.observe_request(request.method, route, response.status_code, elapsed)
        return response


class ModelMetrics:
    """A model server's metrics; ``predictions`` depends on the task."""

    def __init__(self, info: dict[str, str], task: str, classes: Iterable[Any] | None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.task = task
        Gauge(
            "ontolab_model_info",
            "The model this server serves (always 1).",
            tuple(info),
            registry=self.registry,
        ).labels(*info.values()).set(1)
        self.requests = Counter(
            "ontolab_model_requests",
            "HTTP requests this model server answered, by endpoint and status.",
            ("endpoint", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "ontolab_model_request_duration_seconds",
            "Time to answer a request, by endpoint.",
            ("endpoint",),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.rows = Histogram(
            "ontolab_model_rows_per_request",
            "Rows in one successful predict request.",
            buckets=ROW_BUCKETS,
            registry=self.registry,
        )
        self.log_written = Counter(
            "ontolab_model_prediction_log_written",
            "Answered requests written to the prediction log.",
            registry=self.registry,
        )
        self.log_dropped = Counter(
            "ontolab_model_prediction_log_dropped",
            "Answered requests not logged: the log's queue was full (or the disk failed).",
            registry=self.registry,
        )
        self._by_class: dict[str, Counter] = {}
        if task == "classification":
            self.predictions: Counter | Histogram = Counter(
                "ontolab_model_predictions",
                "Predictions made, by predicted class.",
                ("class",),
                registry=self.registry,
            )
            for label in classes or ():  # every class shows up at 0 before its first prediction
                self.predictions.labels(str(label))
        else:
            self.predictions = Histogram(
                "ontolab_model_prediction_value",
                "Predicted values, bucketed.",
                buckets=VALUE_BUCKETS,
                registry=self.registry,
            )

    def observe(self, endpoint: str, status: int, seconds: float) -> None:
        self.requests.labels(endpoint, str(status)).inc()
        self.latency.labels(endpoint).observe(seconds)

    def observe_predictions(self, predictions: list[Any]) -> None:
        self.rows.observe(len(predictions))
        if isinstance(self.predictions, Counter):
            for value in predictions:
                self.predictions.labels(str(value)).inc()
        else:
            for value in predictions:
                self.predictions.observe(float(value))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def _seconds(started: str | None, ended: str | None) -> float | None:
    if not started or not ended:
        return None
    delta = datetime.fromisoformat(ended) - datetime.fromisoformat(started)
    return max(delta.total_seconds(), 0.0)
