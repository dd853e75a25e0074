"""MLflow's protobuf messages as JSON (``mlflow/protos/service.proto``) to and from tracked runs.

MLflow's client sends and reads protobuf JSON: ``int64`` fields (timestamps, steps) may come as
numbers or decimal strings, ``double`` fields as numbers or the strings ``"NaN"``,
``"Infinity"`` and ``"-Infinity"``. Answers use numbers, and those three strings for the values
JSON has no number for. Times are milliseconds since the epoch, as in MLflow.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from server.errors import MlflowApiError

if TYPE_CHECKING:
    from server.runs.tracked import MetricPoint, TrackedRun

#: Ontolab's run status -> MLflow's RunStatus, and back (SCHEDULED counts as running).
TO_MLFLOW_STATUS = {
    "running": "RUNNING",
    "succeeded": "FINISHED",
    "failed": "FAILED",
    "cancelled": "KILLED",
}
FROM_MLFLOW_STATUS = {value: key for key, value in TO_MLFLOW_STATUS.items()} | {
    "SCHEDULED": "running"
}
_SPECIAL_DOUBLES = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
#: The tag MLflow keeps a run's name in, and the one naming its user.
RUN_NAME_TAG = "mlflow.runName"
USER_TAG = "mlflow.user"


# --- Reading requests -----------------------------------------------------------------------


def text(body: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    """The string field ``name`` of a request; a missing required one is a clear 400."""
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise MlflowApiError(f"missing value for required parameter '{name}'; send it")
        return None
    if not isinstance(value, str):
        raise MlflowApiError(
            f"parameter '{name}' must be a string, got {value!r}; send it as a JSON string"
        )
    return value


def run_id_of(body: Mapping[str, Any]) -> str:
    """The run a request names (``run_id``, or the older ``run_uuid``)."""
    found = text(body, "run_id", required=False) or text(body, "run_uuid", required=False)
    if found is None:
        raise MlflowApiError("missing value for required parameter 'run_id'; send the run's id")
    return found


def int64(value: Any, name: str, default: int | None = None) -> int | None:
    """An ``int64`` field: a JSON integer or a decimal string; None/absent gives ``default``."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise MlflowApiError(f"parameter '{name}' must be an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]{1,19}", value.strip()):
        return int(value)
    raise MlflowApiError(
        f"parameter '{name}' must be an integer, got {value!r}; send a whole number"
    )


def double(value: Any, name: str) -> float:
    """A ``double`` field: a JSON number, a numeric string or NaN/Infinity/-Infinity."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:  # an integer past a double's range
            return math.inf if value > 0 else -math.inf
    if isinstance(value, str):
        if value in _SPECIAL_DOUBLES:
            return _SPECIAL_DOUBLES[value]
        try:
            return float(value)
        except ValueError:
            pass
    raise MlflowApiError(
        f"metric '{name}' has the value {value!r}, which is not a number; log a float "
        "(NaN and Infinity are allowed)"
    )


def metric_point(entry: Mapping[str, Any], now_ms: int) -> MetricPoint:
    """A logged metric (``{key, value, timestamp, step}``) as a MetricPoint."""
    from server.runs.tracked import MetricPoint

    if not isinstance(entry, Mapping):
        raise MlflowApiError(f"a metric must be an object with key and value, got {entry!r}")
    key = text(entry, "key")
    assert key is not None
    return MetricPoint(
        key=key,
        value=double(entry.get("value"), key),
        step=int64(entry.get("step"), "step", 0) or 0,
        timestamp=int64(entry.get("timestamp"), "timestamp", now_ms),
    )


def key_values(entries: Any, what: str) -> dict[str, str]:
    """``[{key, value}, ...]`` (params or tags) as a dict; values must be strings."""
    if entries is None:
        return {}
    if not isinstance(entries, list):
        raise MlflowApiError(f"'{what}' must be a list of {{key, value}} objects")
    found: dict[str, str] = {}
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise MlflowApiError(f"each of '{what}' must be an object with key and value")
        key = text(entry, "key")
        value = entry.get("value", "")
        assert key is not None
        found[key] = value if isinstance(value, str) else _plain(value)
    return found


def _plain(value: Any) -> str:
    return "" if value is None else str(value)


# --- Writing answers ------------------------------------------------------------------------


def millis(iso: str | None) -> int | None:
    """An ISO 8601 time (UTC when naive) as milliseconds since the epoch."""
    if iso is None:
        return None
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(round(moment.timestamp() * 1000))


def iso(ms: int | None) -> str | None:
    """Milliseconds since the epoch as ISO 8601 UTC."""
    if ms is None:
        return None
    try:
        return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")
    except (OverflowError, ValueError, OSError) as exc:
        raise MlflowApiError(
            f"time {ms} is out of range; send milliseconds since the epoch, e.g. 1700000000000"
        ) from exc


def number(value: float) -> float | str:
    """A double for JSON: NaN and infinities as protobuf JSON spells them."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def metric_json(point: MetricPoint) -> dict[str, Any]:
    return {
        "key": point.key,
        "value": number(point.value),
        "timestamp": point.timestamp or 0,
        "step": point.step,
    }


def latest(points: list[MetricPoint]) -> MetricPoint:
    """MLflow's "latest" value of a metric: the highest step, then the newest, then the largest."""
    return max(points, key=lambda p: (p.step, p.timestamp or 0, _sortable(p.value)))


def _sortable(value: float) -> float:
    return -math.inf if math.isnan(value) else value


def pairs(values: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in values.items()]


def run_info(run: TrackedRun, experiment_id: str, artifact_uri: str) -> dict[str, Any]:
    """MLflow's RunInfo of a tracked run."""
    info: dict[str, Any] = {
        "run_id": run.run_id,
        "run_uuid": run.run_id,
        "run_name": run.tags.get(RUN_NAME_TAG) or run.name or "",
        "experiment_id": experiment_id,
        "user_id": run.tags.get(USER_TAG, ""),
        "status": TO_MLFLOW_STATUS.get(run.status, "RUNNING"),
        "start_time": millis(run.started_at),
        "artifact_uri": artifact_uri,
        "lifecycle_stage": "deleted" if run.deleted else "active",
    }
    ended = millis(run.ended_at)
    if ended is not None:
        info["end_time"] = ended
    return info


def run_json(run: TrackedRun, experiment_id: str, artifact_uri: str) -> dict[str, Any]:
    """MLflow's Run (info, data, inputs, outputs) of a tracked run."""
    tags = dict(run.tags)
    if run.name and RUN_NAME_TAG not in tags:
        tags[RUN_NAME_TAG] = run.name
    return {
        "info": run_info(run, experiment_id, artifact_uri),
        "data": {
            "metrics": [metric_json(latest(points)) for points in run.metrics.values() if points],
            "params": pairs(run.params),
            "tags": pairs(tags),
        },
        "inputs": {},
        "outputs": {},
    }
