"""Monitoring deployments: evaluate windows of their logged requests, keep the figures.

``MonitoringService.evaluate(deployment_id, window)`` reads the window from the deployment's
prediction log (``prediction_window.read_window``), compares it with the served version's
reference profile (loaded once per version and kept) and with the feedback given for it
(``evaluation.evaluate_frame``), then

- records it in the graph (``evaluation_record``), unless a window with the same bounds is
  there already;
- updates the gauges on the platform's ``/metrics`` (``gauges.MonitoringGauges``);
- for a newly recorded window, calls every listener (``add_listener``) with a frozen
  ``WindowEvaluated``: the seam automation (triggers on drift or live performance) builds on.

Windows are evaluated when the API asks (``GET /api/deployments/ID/monitoring``) and by a
periodic evaluator (``start``): every ``ONTOLAB_MONITOR_INTERVAL`` seconds it evaluates each
running deployment that keeps a log with ``ONTOLAB_MONITOR_WINDOW`` and probes its health for
``ontolab_deployment_up``. Every window is capped at ``ONTOLAB_MONITOR_MAX_ROWS`` rows.
``close`` stops the evaluator and waits for it.

Thread-safety: every public method may be called from any thread; one lock makes "is this
window recorded? then write it" atomic, another guards the reference cache. Listeners run on
the evaluating thread (the API's or the evaluator's) and must return quickly; an exception in
one is logged and does not reach the others.

May import: the ``server.monitoring`` modules, ``server.errors``, ``server.settings``,
``server.graph``, ``server.store.base``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol

from server.errors import ConfigError, DriftInputError, NotFoundError, OntolabError
from server.graph.clock import utc_now
from server.monitoring import evaluation_record
from server.monitoring.drift import Reference
from server.monitoring.evaluation import Watched, WindowEvaluated, WindowEvaluation, evaluate_frame
from server.monitoring.gauges import MonitoringGauges
from server.monitoring.prediction_log import read_meta
from server.monitoring.prediction_window import read_window
from server.monitoring.reference import ArtifactReader, VersionLike, load_reference_profile
from server.monitoring.window import Window, parse_window
from server.settings import Settings
from server.store.base import Store

__all__ = ["MonitoringService", "WindowEvaluated"]

log = logging.getLogger(__name__)
Listener = Callable[[WindowEvaluated], None]
STOP_TIMEOUT = 30.0


class DeploymentSource(Protocol):
    """What monitoring needs of ``server.serving.deployments.DeploymentService``."""

    def watched(self, deployment_id: str) -> Watched:
        """One deployment; NotFoundError if there is none by that id."""
        ...

    def watching(self) -> list[Watched]:
        """The deployments that should be running."""
        ...

    def healthy(self, deployment_id: str) -> bool:
        """Whether the deployment's server answers its health check now."""
        ...


class VersionSource(Protocol):
    """What monitoring needs of ``server.registry.service.Registry``."""

    def resolve(
        self, name: str, version: int | None = None, alias: str | None = None
    ) -> VersionLike: ...


class MonitoringService:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        artifacts: ArtifactReader,
        versions: VersionSource,
        deployments: DeploymentSource,
    ) -> None:
        self._settings = settings
        self._store = store
        self._artifacts = artifacts
        self._versions = versions
        self._deployments = deployments
        try:
            self._default = parse_window(settings.monitor_window, settings.monitor_max_rows)
        except OntolabError as exc:
            raise ConfigError(f"ONTOLAB_MONITOR_WINDOW: {exc}") from exc
        self.gauges = MonitoringGauges()
        self._listeners: list[Listener] = []
        self._references: dict[tuple[str, int], tuple[Reference | None, str | None]] = {}
        self._reference_lock = threading.Lock()
        self._record_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- the seam for automation ---------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(WindowEvaluated)`` after each newly recorded window evaluation."""
        self._listeners.append(listener)

    # --- evaluations -----------------------------------------------------------------------

    def evaluate(self, deployment_id: str, window: str | None = None) -> WindowEvaluation:
        """Evaluate one window (``last:N``, ``since:T``, ``duration:D``; the configured one
        when None). WindowError (400) for a bad window, NotFoundError for no deployment."""
        parsed = (
            parse_window(window, self._settings.monitor_max_rows)
            if window is not None
            else self._default
        )
        return self._evaluate(self._deployments.watched(deployment_id), parsed)

    def history(self, deployment_id: str, limit: int) -> list[dict[str, Any]]:
        """The deployment's recorded evaluations, newest window first."""
        watched = self._deployments.watched(deployment_id)
        return evaluation_record.history(self._store, watched, limit)

    def tick(self) -> None:
        """One pass of the periodic evaluator over every deployment that should be running."""
        watching = self._deployments.watching()
        known = {w.id for w in watching}
        for deployment_id in self.gauges.known() - known:
            self.gauges.forget(deployment_id)  # stopped: its series go
        for watched in watching:
            if self._stop.is_set():
                return
            try:
                self.gauges.set_up(watched, self._deployments.healthy(watched.id))
                if watched.log_enabled:
                    self._evaluate(watched, self._default)
            except Exception:  # one deployment must not keep the others unwatched
                log.exception("monitoring deployment %s failed", watched.id)

    def _evaluate(self, watched: Watched, window: Window) -> WindowEvaluation:
        cap = self._settings.monitor_max_rows
        since = window.bound(datetime.now(UTC))
        frame = read_window(watched.directory, last=window.last or cap, since=since)
        reference, note = self._reference(watched)
        meta = read_meta(watched.directory)
        try:
            evaluation = evaluate_frame(watched, window, frame, reference, note, meta, utc_now())
        except DriftInputError as exc:  # logged rows that lack a feature of the reference
            evaluation = evaluate_frame(watched, window, frame, None, str(exc), meta, utc_now())
        new = self._record(evaluation)
        evaluation = replace(
            evaluation,
            evaluation_iri=_text(evaluation_record.evaluation_iri(evaluation)),
            recorded=new,
        )
        if evaluation.bounds is not None:
            self.gauges.update(evaluation, new)
        if new:
            self._notify(WindowEvaluated.of(evaluation))
        return evaluation

    def _record(self, evaluation: WindowEvaluation) -> bool:
        """Write the evaluation's node unless its window is recorded; whether it wrote."""
        triples = evaluation_record.evaluation_triples(evaluation)
        if not triples:
            return False
        graph = evaluation_record.monitoring_graph(evaluation.deployment)
        with self._record_lock:
            if evaluation_record.recorded(self._store, evaluation):
                return False
            self._store.add_to_graph(graph, triples)
        return True

    def _notify(self, event: WindowEvaluated) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("a monitoring listener failed on %s", event.deployment_id)

    def _reference(self, watched: Watched) -> tuple[Reference | None, str | None]:
        """The served version's reference, prepared once; or None and why there is none."""
        key = (watched.model, watched.version)
        with self._reference_lock:
            if key in self._references:
                return self._references[key]
        try:
            version = self._versions.resolve(watched.model, version=watched.version)
            found: tuple[Reference | None, str | None] = (
                Reference(load_reference_profile(self._store, self._artifacts, version)),
                None,
            )
        except NotFoundError as exc:  # ReferenceProfileMissing, or the version is gone
            found = (None, str(exc))
        with self._reference_lock:
            self._references[key] = found
        return found

    # --- the periodic evaluator ------------------------------------------------------------

    def start(self) -> None:
        """Start the periodic evaluator (unless ``ONTOLAB_MONITOR_INTERVAL`` is 0)."""
        if self._settings.monitor_interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="monitoring", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self._settings.monitor_interval):
            try:
                self.tick()
            except Exception:  # the store may be closing: try again next time
                log.exception("the monitoring pass failed")

    def close(self) -> None:
        """Stop the periodic evaluator and wait for the pass in progress."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(STOP_TIMEOUT)


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None
