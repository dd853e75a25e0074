"""Which logged rows a monitoring evaluation looks at, and the live performance in them.

A window is written ``last:N`` (the last N logged rows), ``since:T`` (rows logged at or after
T, ISO 8601; a time without a zone is UTC) or ``duration:D`` (rows of the last D: ``90s``,
``15m``, ``1h``, ``7d``). Every window is also capped at ``max_rows`` (its newest rows), so an
evaluation never reads more than that much of the log into memory. ``parse_window`` refuses
anything else with a ``WindowError`` (400) naming the accepted forms.

``live_performance`` compares the predictions of the rows that have feedback with their
labels: accuracy and F1 for a classifier (binary F1 on the model's second class, as the build
scores it, macro F1 beyond two classes), RMSE and MAE for a regressor.

Pure: no I/O. May import: ``server.errors``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sklearn import metrics as skm

from server.errors import WindowError

FORMS = "last:N (e.g. last:1000), since:ISO-8601-TIME (e.g. since:2026-12-01T00:00:00Z) or "
FORMS += "duration:D (e.g. duration:90s, 15m, 1h, 7d)"
_DURATION = re.compile(r"^(\d{1,9})(s|m|h|d)$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_DURATION = timedelta(days=366)
NO_FEEDBACK = "no feedback yet: no row of this window has a label; POST them to /feedback"


@dataclass(frozen=True)
class Window:
    """A parsed window: ``kind`` last | since | duration, with its count or time bound."""

    spec: str
    kind: str
    last: int | None = None
    since: datetime | None = None
    duration: timedelta | None = None

    def bound(self, now: datetime) -> datetime | None:
        """The earliest log time the window takes, or None for a count window."""
        if self.duration is not None:
            return now - self.duration
        return self.since

    def to_json(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "kind": self.kind,
            "last": self.last,
            "since": self.since.isoformat() if self.since else None,
            "duration_seconds": self.duration.total_seconds() if self.duration else None,
        }


def parse_window(spec: Any, max_rows: int) -> Window:
    """The window ``spec`` names; WindowError saying what is wrong and the accepted forms."""
    if not isinstance(spec, str) or ":" not in spec:
        raise WindowError(f"window {spec!r} is not a window; use {FORMS}")
    kind, _, value = spec.partition(":")
    if kind == "last":
        if not value.isdigit() or not 1 <= int(value) <= max_rows:
            raise WindowError(
                f"window {spec!r}: last takes a whole number of rows from 1 to {max_rows} "
                "(ONTOLAB_MONITOR_MAX_ROWS); use e.g. last:1000"
            )
        return Window(spec, kind, last=int(value))
    if kind == "since":
        return Window(spec, kind, since=_time(spec, value))
    if kind == "duration":
        found = _DURATION.match(value)
        length = (
            timedelta(seconds=int(found.group(1)) * _UNIT_SECONDS[found.group(2)])
            if found
            else None
        )
        if length is None or not timedelta(0) < length <= MAX_DURATION:
            raise WindowError(
                f"window {spec!r}: duration takes a positive number with a unit s, m, h or d, "
                f"up to {MAX_DURATION.days}d; use e.g. duration:1h"
            )
        return Window(spec, kind, duration=length)
    raise WindowError(f"window {spec!r}: {kind!r} is not a kind of window; use {FORMS}")


def _time(spec: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise WindowError(
            f"window {spec!r}: {value!r} is not an ISO 8601 time; use e.g. "
            "since:2026-12-01T00:00:00Z"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class Performance:
    """Live performance of one window: the measures by name, from ``labelled`` rows."""

    task: str | None
    labelled: int
    metrics: dict[str, float]

    @property
    def note(self) -> str | None:
        if self.labelled == 0:
            return NO_FEEDBACK
        if not self.metrics:
            return "the served model's task is unknown (its server has not started yet)"
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "labelled_rows": self.labelled,
            "metrics": self.metrics,
            "note": self.note,
        }


def live_performance(
    predictions: list[Any], labels: list[Any], task: str | None, classes: Any
) -> Performance:
    """Compare each labelled row's prediction with its label (rows whose label is None skip)."""
    pairs = [
        (_plain(p), _plain(y)) for p, y in zip(predictions, labels, strict=True) if not _absent(y)
    ]
    if not pairs or task not in ("classification", "regression"):
        return Performance(task, len(pairs), {})
    predicted, truth = [p for p, _ in pairs], [y for _, y in pairs]
    if task == "regression":
        error = np.asarray(predicted, dtype=float) - np.asarray(truth, dtype=float)
        values = {
            "rmse": float(np.sqrt(np.mean(error**2))),
            "mae": float(np.mean(np.abs(error))),
        }
        return Performance(task, len(pairs), values)
    known = [_key(c) for c in classes] if isinstance(classes, list) else []
    keys_p, keys_y = [_key(v) for v in predicted], [_key(v) for v in truth]
    average: dict[str, Any] = (
        {"average": "binary", "pos_label": known[1]} if len(known) == 2 else {"average": "macro"}
    )
    values = {
        "accuracy": float(np.mean([a == b for a, b in zip(keys_p, keys_y, strict=True)])),
        "f1": float(skm.f1_score(keys_y, keys_p, zero_division=0, **average)),
    }
    return Performance(task, len(pairs), values)


def _absent(value: Any) -> bool:
    """No label: None, or the NaN a DataFrame column of labels holds for it."""
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


def _plain(value: Any) -> Any:
    """A numpy scalar (a DataFrame cell) as the Python value it holds."""
    return value.item() if isinstance(value, np.generic) else value


def _key(value: Any) -> str:
    """One spelling per class, so 1, 1.0 and "1" as a JSON number compare equal."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return repr(float(value)) if math.isfinite(value) else str(value)
