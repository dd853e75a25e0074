"""Monitoring figures as Prometheus gauges on the platform's ``/metrics``.

``MonitoringGauges`` keeps the latest evaluation of each deployment (``update`` after each
one) and whether each deployment answered its health check (``set_up``); as a custom
collector it turns them into gauge families at scrape time, so a deployment that stops being
watched (``forget``) leaves no stale series behind. Register it on the app's registry
(``PlatformMetrics.registry.register``).

Series (labels ``deployment``, ``model``, ``version``; the per-feature ones add ``feature``,
the live ones ``metric``): ``ontolab_deployment_drift_share``,
``ontolab_deployment_drift_detected``, ``ontolab_deployment_drift_streak`` (how many newly
evaluated windows in a row had dataset drift: what an alert "for k evaluations" compares),
``ontolab_deployment_feature_psi``, ``…_feature_js_distance``, ``…_feature_p_value`` (adjusted),
``…_feature_drifted``, ``ontolab_deployment_live_metric``, ``ontolab_deployment_window_rows``,
``ontolab_deployment_labelled_rows``, ``ontolab_deployment_last_evaluation_timestamp_seconds``,
``ontolab_deployment_up`` and ``ontolab_deployment_evaluations_total`` (windows recorded).

Thread-safe: one lock guards the state; ``collect`` copies it first.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from server.monitoring.evaluation import Watched, WindowEvaluation

BASE = ("deployment", "model", "version")
Family = GaugeMetricFamily | CounterMetricFamily


class MonitoringGauges(Collector):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[str, WindowEvaluation] = {}
        self._streak: dict[str, int] = {}
        self._recorded: dict[str, int] = {}
        self._up: dict[str, tuple[Watched, bool]] = {}
        self._rows: dict[str, str] = {}  # the key of the rows each streak step counted

    def update(self, evaluation: WindowEvaluation, new_window: bool) -> None:
        """Take an evaluation's figures; a newly recorded one moves the count, and the streak
        when its rows are new (not the same rows with more feedback)."""
        key, watched = evaluation.deployment.id, evaluation.deployment
        rows = evaluation.bounds.key(watched.id, watched.version) if evaluation.bounds else ""
        with self._lock:
            self._latest[key] = evaluation
            if new_window:
                self._recorded[key] = self._recorded.get(key, 0) + 1
            if new_window and self._rows.get(key) != rows:
                self._rows[key] = rows
                drifted = evaluation.drift is not None and evaluation.drift.verdict == "drift"
                self._streak[key] = self._streak.get(key, 0) + 1 if drifted else 0

    def set_up(self, watched: Watched, up: bool) -> None:
        with self._lock:
            self._up[watched.id] = (watched, up)

    def forget(self, deployment_id: str) -> None:
        with self._lock:
            self._latest.pop(deployment_id, None)
            self._streak.pop(deployment_id, None)
            self._recorded.pop(deployment_id, None)
            self._up.pop(deployment_id, None)
            self._rows.pop(deployment_id, None)

    def known(self) -> set[str]:
        """The deployments with series."""
        with self._lock:
            return set(self._latest) | set(self._up)

    def streak(self, deployment_id: str) -> int:
        with self._lock:
            return self._streak.get(deployment_id, 0)

    def describe(self) -> Iterator[Metric]:
        return iter(())

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            latest = list(self._latest.values())
            streak, recorded = dict(self._streak), dict(self._recorded)
            up = list(self._up.values())
        families = _families()
        for watched, alive in up:
            families["up"].add_metric(_labels(watched), 1.0 if alive else 0.0)
        for evaluation in latest:
            _add(families, evaluation, streak, recorded)
        yield from families.values()


def _families() -> dict[str, Family]:
    def gauge(name: str, text: str, extra: tuple[str, ...] = ()) -> GaugeMetricFamily:
        return GaugeMetricFamily(f"ontolab_deployment_{name}", text, labels=[*BASE, *extra])

    return {
        "up": gauge("up", "Whether the deployment answered its health check (1) or not (0)."),
        "share": gauge("drift_share", "Fraction of features drifted in the last window."),
        "detected": gauge("drift_detected", "Whether the last window had dataset drift (1/0)."),
        "streak": gauge(
            "drift_streak", "Newly evaluated windows in a row with dataset drift (0 after none)."
        ),
        "psi": gauge("feature_psi", "PSI of a feature in the last window.", ("feature",)),
        "js": gauge(
            "feature_js_distance",
            "Jensen-Shannon distance of a feature in the last window.",
            ("feature",),
        ),
        "p": gauge(
            "feature_p_value",
            "Corrected p-value of a feature's drift test in the last window.",
            ("feature",),
        ),
        "drifted": gauge(
            "feature_drifted", "Whether a feature drifted in the last window (1/0).", ("feature",)
        ),
        "live": gauge(
            "live_metric", "Live performance in the last window, from feedback.", ("metric",)
        ),
        "rows": gauge("window_rows", "Rows in the last evaluated window."),
        "labelled": gauge("labelled_rows", "Rows with feedback in the last evaluated window."),
        "time": gauge(
            "last_evaluation_timestamp_seconds", "When the last window was evaluated (Unix time)."
        ),
        "count": CounterMetricFamily(
            "ontolab_deployment_evaluations",
            "Windows evaluated and recorded (a window with the same bounds counts once).",
            labels=list(BASE),
        ),
    }


def _labels(watched: Watched) -> list[str]:
    return [watched.id, watched.model, str(watched.version)]


def _add(
    families: dict[str, Family],
    evaluation: WindowEvaluation,
    streak: dict[str, int],
    recorded: dict[str, int],
) -> None:
    key = evaluation.deployment.id
    base = _labels(evaluation.deployment)
    families["rows"].add_metric(base, float(evaluation.rows))
    families["labelled"].add_metric(base, float(evaluation.performance.labelled))
    stamp = datetime.fromisoformat(evaluation.evaluated_at).timestamp()
    families["time"].add_metric(base, stamp)
    families["streak"].add_metric(base, float(streak.get(key, 0)))
    families["count"].add_metric(base, float(recorded.get(key, 0)))
    for name, value in evaluation.performance.metrics.items():
        families["live"].add_metric([*base, name], value)
    drift = evaluation.drift
    if drift is None:
        return
    families["share"].add_metric(base, drift.drift_share)
    families["detected"].add_metric(base, 1.0 if drift.verdict == "drift" else 0.0)
    for feature in drift.features:
        labels = [*base, feature.name]
        families["psi"].add_metric(labels, feature.psi)
        families["js"].add_metric(labels, feature.js_distance)
        families["p"].add_metric(labels, feature.adjusted_p_value)
        families["drifted"].add_metric(labels, 1.0 if feature.drifted else 0.0)
