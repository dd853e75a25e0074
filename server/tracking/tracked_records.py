"""A tracked run's state: a run the platform did not execute, recorded from any code (the SDK's
``start_run``, MLflow's client, an MLflow import). ``server.runs.tracked`` owns its lifecycle;
``tracked_results`` turns it into triples and reads it back.

Plain data, no I/O. The names here are the contract between the tracking service and its users
(the REST endpoints, the MLflow layer, the MLflow import): fields may be added, not renamed.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from executor.contract import ArtifactRef
from server.errors import TrackingInputError
from server.graph.clock import utc_now
from server.graph.namespaces import agent_user

#: The statuses a tracked run can have; the last three are final.
TRACKED_STATES = ("running", "succeeded", "failed", "cancelled")
FINAL_TRACKED_STATES = ("succeeded", "failed", "cancelled")
SOURCES = ("sdk", "mlflow", "import")
#: The step id of the one step run standing for the tracked code.
TRACKED_STEP = "tracked"

_KEY = re.compile(r"^[^\x00-\x1f]{1,250}$")
_IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class MetricPoint:
    """One logged value of a metric. NaN and ±inf are allowed, as MLflow allows them."""

    key: str
    value: float
    step: int = 0
    timestamp: int | None = None  # milliseconds since the epoch (MLflow's unit); None: now


@dataclass(frozen=True)
class LoggedModel:
    """A model a tracked run logged: its bundle in the artifact store and what was read from
    it (``summary``: model_name, estimator_class, feature_columns, task, library_versions...)."""

    name: str
    step_id: str  # the step run that stands for logging it (``model-NAME``)
    ref: ArtifactRef
    summary: dict[str, Any]
    logged_at: str


@dataclass
class TrackedRun:
    run_id: str  # 32 hex chars when the platform makes one (like MLflow's); an import keeps its own
    experiment: str  # the experiment's name
    experiment_id: str  # the platform's experiment identifier (GET /api/experiments/ID)
    name: str | None  # the run's display name (MLflow's run_name)
    status: str  # running | succeeded | failed | cancelled
    started_at: str  # ISO 8601 UTC
    ended_at: str | None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, list[MetricPoint]] = field(default_factory=dict)  # history, logged order
    artifacts: dict[str, ArtifactRef] = field(default_factory=dict)  # relative posix path -> file
    source: str = "sdk"  # sdk | mlflow | import
    deleted: bool = False  # MLflow's lifecycle_stage "deleted"
    models: list[LoggedModel] = field(default_factory=list)
    batches: set[str] = field(default_factory=set)  # batch ids received (a resend adds nothing)
    number: int | None = None  # the run's number (ol:runNumber), once written
    started_by: str | None = None  # the agent that started it (prov:wasAssociatedWith)

    @property
    def ended(self) -> bool:
        return self.status in FINAL_TRACKED_STATES

    def latest(self) -> dict[str, MetricPoint]:
        """Each metric's latest point: the highest step, then the latest timestamp, then the
        last logged (MLflow's rule)."""
        out = {}
        for key, points in self.metrics.items():
            order = range(len(points))
            best = max(order, key=lambda i: (points[i].step, points[i].timestamp or 0, i))
            out[key] = points[best]
        return out

    def to_json(self) -> dict[str, Any]:
        """The run as the REST API answers it (snake_case)."""
        return {
            "run_id": self.run_id,
            "experiment": self.experiment,
            "experiment_id": self.experiment_id,
            "name": self.name,
            "status": self.status,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "source": self.source,
            "deleted": self.deleted,
            "number": self.number,
            "started_by": agent_user(self.started_by),
            "params": dict(sorted(self.params.items())),
            "tags": dict(sorted(self.tags.items())),
            "metrics": {key: point.value for key, point in sorted(self.latest().items())},
            "metric_history": {
                key: [{"value": p.value, "step": p.step, "timestamp": p.timestamp} for p in points]
                for key, points in sorted(self.metrics.items())
            },
            "artifacts": [
                {"path": path, "sha256": ref.sha256, "size": ref.size, "media_type": ref.media_type}
                for path, ref in sorted(self.artifacts.items())
            ],
            "models": [
                {"name": m.name, "sha256": m.ref.sha256, "size": m.ref.size} for m in self.models
            ],
        }


def check_key(kind: str, key: Any) -> str:
    """A param, metric or tag key: a non-empty string without control characters."""
    if not isinstance(key, str) or not _KEY.match(key):
        raise TrackingInputError(
            f"{kind} key {key!r} is not accepted; use a non-empty string of at most 250 "
            "characters without control characters"
        )
    return key


def metric_value(key: str, raw: Any) -> float:
    """A metric's value as a float; NaN and ±inf pass, anything that is not a number is
    refused (booleans too: True is not a measurement)."""
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        if isinstance(raw, str) and raw.strip().lower() in ("nan", "inf", "-inf", "infinity"):
            return float(raw)
        raise TrackingInputError(
            f"metric {key!r} has value {raw!r}, which is not a number; log a number "
            "(int or float; NaN and infinity are allowed)"
        )
    return float(raw)


def metric_step(key: str, raw: Any) -> int:
    if raw is None:
        return 0
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise TrackingInputError(
            f"metric {key!r} has step {raw!r}, which is not an integer; pass an integer step"
        )
    return raw


def metric_timestamp(key: str, raw: Any) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise TrackingInputError(
            f"metric {key!r} has timestamp {raw!r}, which is not an integer; pass milliseconds "
            "since the epoch"
        )
    return raw


def artifact_path(path: Any) -> str:
    """A relative posix path inside the run's files; absolute paths and ``..`` are refused."""
    if not isinstance(path, str) or not path.strip():
        raise TrackingInputError(
            f"artifact path {path!r} is empty; give a relative path such as 'plots/loss.png'"
        )
    text = path.replace("\\", "/")
    parts = text.split("/")
    if text.startswith("/") or re.match(r"^[A-Za-z]:", text) or ".." in parts:
        raise TrackingInputError(
            f"artifact path {path!r} is absolute or climbs out of the run's files with '..'; "
            "give a relative path such as 'plots/loss.png'"
        )
    if any(ord(c) < 32 for c in text):
        raise TrackingInputError(
            f"artifact path {path!r} holds control characters; give a plain relative path"
        )
    normal = posixpath.normpath(text)
    if normal in (".", ""):
        raise TrackingInputError(
            f"artifact path {path!r} names no file; give a relative path such as 'model.txt'"
        )
    return normal


def iso_time(stamp: Any, field: str) -> str:
    """An ISO 8601 time, normalized; now when None."""
    if stamp is None:
        return utc_now()
    try:
        parsed = datetime.fromisoformat(str(stamp))
    except ValueError as exc:
        raise TrackingInputError(
            f"{field} {stamp!r} is not an ISO 8601 time; write e.g. 2026-01-31T12:00:00+00:00"
        ) from exc
    return parsed.isoformat()


def check_params(held: dict[str, str], given: dict[str, Any]) -> dict[str, str]:
    """The params of a batch as strings; a param logged before must keep its value."""
    out: dict[str, str] = {}
    for key, raw in given.items():
        check_key("param", key)
        text = str(raw)
        before = held.get(key, out.get(key))
        if before is not None and before != text:
            raise TrackingInputError(
                f"param {key!r} was logged as {before!r}; a param cannot change its value "
                f"(here {text!r}); log it under another key or start a new run"
            )
        out[key] = text
    return out


def check_points(metrics: Sequence[MetricPoint], now: int) -> list[MetricPoint]:
    out = []
    for point in metrics:
        key = check_key("metric", point.key)
        stamp = metric_timestamp(key, point.timestamp)
        out.append(
            MetricPoint(
                key,
                metric_value(key, point.value),
                metric_step(key, point.step),
                now if stamp is None else stamp,
            )
        )
    return out


def check_tags(tags: dict[str, Any] | None) -> dict[str, str]:
    return {check_key("tag", key): str(value) for key, value in (tags or {}).items()}


def experiment_identifier(name: str) -> str:
    """The identifier of the experiment a tracked run names: the name itself when it is one
    (lower-case letters, digits, _ and -), else a slug of it plus a digest, so two names never
    share an experiment."""
    if _IDENTIFIER.match(name):
        return name
    slug = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-_")[:60] or "experiment"
    return f"{slug}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
