"""One monitoring evaluation: a window of a deployment's logged rows against its model
version's reference profile (drift) and against the feedback given for them (live
performance), and the small event listeners receive after it.

``evaluate_frame`` is pure: it takes the window as ``prediction_window.read_window`` returns
it. A window's bounds are the log times of its first and last row with its row count and its
first and last request id: two evaluations with the same bounds and the same number of
labelled rows looked at the same thing, so the graph keeps one node for them
(``evaluation_record``); feedback arriving later for the same rows makes a new one.

May import: ``server.monitoring.drift``, ``server.monitoring.window``, ``server.errors``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from server.monitoring.drift import DriftReport, DriftThresholds, Reference, compute_drift
from server.monitoring.window import Performance, Window, live_performance


@dataclass(frozen=True)
class Watched:
    """A deployment as monitoring sees it: what it serves and where its log is."""

    id: str
    iri: str  # the deployment's node
    model: str
    version: int
    version_iri: str | None  # the model version node it serves
    directory: Path  # its prediction log
    log_enabled: bool


@dataclass(frozen=True)
class Bounds:
    """The rows a window held: first and last log time (ISO 8601), count, first/last id."""

    start: str
    end: str
    rows: int
    first_request: str
    last_request: str

    def key(self, deployment_id: str, version: int, labelled: int | None = None) -> str:
        """Names the rows; with ``labelled``, the rows and how many of them had feedback."""
        text = f"{deployment_id}|{version}|{self.start}|{self.end}|{self.rows}"
        text += f"|{self.first_request}|{self.last_request}"
        if labelled is not None:
            text += f"|{labelled}"
        return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class WindowEvaluation:
    """What one window showed. ``drift`` is None when it could not be computed, with the
    reason in ``drift_note`` (no reference profile, no rows, the log off)."""

    deployment: Watched
    window: Window
    evaluated_at: str
    bounds: Bounds | None
    drift: DriftReport | None
    drift_note: str | None
    performance: Performance
    evaluation_iri: str | None = None  # its node in the graph, once recorded
    recorded: bool = False  # whether this evaluation wrote the node (False: it existed)

    @property
    def rows(self) -> int:
        return self.bounds.rows if self.bounds else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "deployment_id": self.deployment.id,
            "model": self.deployment.model,
            "version": self.deployment.version,
            "window": {
                **self.window.to_json(),
                "start": self.bounds.start if self.bounds else None,
                "end": self.bounds.end if self.bounds else None,
                "rows": self.rows,
            },
            "evaluated_at": self.evaluated_at,
            "drift": self.drift.to_json() if self.drift else None,
            "drift_note": self.drift_note,
            "performance": self.performance.to_json(),
            "evaluation": self.evaluation_iri,
        }


@dataclass(frozen=True)
class WindowEvaluated:
    """What listeners get after each newly evaluated window (``MonitoringService.add_listener``).

    ``drift_share`` is None when drift could not be computed (no reference profile);
    ``live_metrics`` is empty while no row of the window has feedback.
    """

    deployment_id: str
    model: str
    version: int
    window_end: str
    drift_share: float | None
    drifted_features: tuple[str, ...]
    live_metrics: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    rows: int = 0
    evaluation_iri: str | None = None

    @classmethod
    def of(cls, evaluation: WindowEvaluation) -> WindowEvaluated:
        drift = evaluation.drift
        return cls(
            deployment_id=evaluation.deployment.id,
            model=evaluation.deployment.model,
            version=evaluation.deployment.version,
            window_end=evaluation.bounds.end if evaluation.bounds else evaluation.evaluated_at,
            drift_share=drift.drift_share if drift else None,
            drifted_features=tuple(drift.drifted) if drift else (),
            live_metrics=MappingProxyType(dict(evaluation.performance.metrics)),
            rows=evaluation.rows,
            evaluation_iri=evaluation.evaluation_iri,
        )


def evaluate_frame(
    watched: Watched,
    window: Window,
    frame: pd.DataFrame,
    reference: Reference | None,
    reference_note: str | None,
    meta: Mapping[str, Any],
    evaluated_at: str,
    thresholds: DriftThresholds | None = None,
) -> WindowEvaluation:
    """Evaluate one window's rows (``read_window``'s frame, already cut to the window)."""
    columns = frame.attrs.get("columns", {})
    task, classes = meta.get("task"), meta.get("classes")
    if frame.empty:
        note = (
            "the deployment keeps no prediction log (deployed with it off); deploy it again "
            "with prediction_log true to monitor it"
            if not watched.log_enabled
            else "no logged request in this window yet; send traffic to /predict or widen "
            "the window"
        )
        return WindowEvaluation(
            watched, window, evaluated_at, None, None, note, Performance(task, 0, {})
        )
    times = frame[columns.get("logged_at", "logged_at")]
    ids = frame[columns.get("request_id", "request_id")]
    bounds = Bounds(
        start=_iso(times.iloc[0]),
        end=_iso(times.iloc[-1]),
        rows=len(frame),
        first_request=str(ids.iloc[0]),
        last_request=str(ids.iloc[-1]),
    )
    drift = compute_drift(reference, frame, thresholds) if reference is not None else None
    performance = live_performance(
        list(frame[columns.get("prediction", "prediction")]),
        list(frame[columns.get("label", "label")]),
        task,
        classes,
    )
    return WindowEvaluation(
        watched, window, evaluated_at, bounds, drift, reference_note, performance
    )


def _iso(value: Any) -> str:
    stamp = pd.Timestamp(value)
    return stamp.isoformat() if not pd.isna(stamp) else ""
