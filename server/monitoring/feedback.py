"""Ground-truth labels for logged predictions, given by request id.

``parse(body)`` reads ``{"request_id": ID, "label": L}`` or ``{"feedback": [{…}, …]}``; a
request of several rows takes a list of labels, one per row (``"label": [L0, L1, …]``).
``record(directory, items, config)`` checks every item before it writes any: an id no logged
prediction has is an ``UnknownRequestId`` (404) naming them all, a label of the wrong type for
the task (a number for a regressor; a class the model knows for a classifier) or of the wrong
count is a ``FeedbackError`` (400). Accepted labels are appended to ``feedback.jsonl`` (rotating
like the prediction log); a later label for the same request id replaces the earlier one in the
join (``server.monitoring.prediction_window``).

Not thread-safe: the caller holds one lock per deployment while it records.

May import: ``server.monitoring.prediction_log``, ``server.monitoring.prediction_window``,
``server.errors``.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.errors import FeedbackError, UnknownRequestId
from server.monitoring.prediction_log import FEEDBACK, LogConfig, RotatingFile, now_iso, read_meta
from server.monitoring.prediction_window import read_entries

_SHAPE = (
    'send {"request_id": ID, "label": VALUE} or {"feedback": [{"request_id": ID, "label": VALUE}, '
    "…]}; a request of several rows takes a list of labels, one per row"
)
MAX_ITEMS = 10_000
#: How long feedback waits for request ids not in the log yet: a prediction answered a moment
#: ago may still be in its model server's writer queue (written within milliseconds).
GRACE_SECONDS = 1.0


@dataclass(frozen=True)
class Feedback:
    """The labels given for one logged request."""

    request_id: str
    labels: list[Any]
    given_label: Any


def parse(body: Any) -> list[Feedback]:
    """The feedback items of a request body; FeedbackError naming what is wrong if malformed."""
    if not isinstance(body, dict):
        raise FeedbackError(f"the body must be a JSON object; {_SHAPE}")
    if "feedback" in body:
        items = body["feedback"]
        if set(body) != {"feedback"} or not isinstance(items, list) or not items:
            raise FeedbackError(f'"feedback" must be a non-empty list, alone in the body; {_SHAPE}')
        if len(items) > MAX_ITEMS:
            raise FeedbackError(f"at most {MAX_ITEMS} labels per request; send them in batches")
    else:
        items = [body]
    return [_item(index, item) for index, item in enumerate(items)]


def _item(index: int, item: Any) -> Feedback:
    where = f"feedback item {index}: " if index else ""
    if not isinstance(item, dict) or set(item) != {"request_id", "label"}:
        raise FeedbackError(f'{where}give exactly "request_id" and "label"; {_SHAPE}')
    request_id = item["request_id"]
    if not isinstance(request_id, str) or not request_id:
        raise FeedbackError(f'{where}"request_id" must be a non-empty string; {_SHAPE}')
    label = item["label"]
    values = list(label) if isinstance(label, list) else [label]
    return Feedback(request_id, values, label)


def record(directory: Path, items: list[Feedback], config: LogConfig) -> dict[str, Any]:
    """Check every item against the log and the model's task, then append them all."""
    logged, unknown = _logged(directory, items, GRACE_SECONDS if config.enabled else 0.0)
    if unknown:
        shown = ", ".join(repr(i) for i in unknown[:10]) + (" …" if len(unknown) > 10 else "")
        hint = (
            "the deployment keeps no prediction log (deployed with it off)"
            if not config.enabled
            else "use the request_id a /predict answer carried (its X-Request-ID header); "
            "it may have rotated out of the log"
        )
        raise UnknownRequestId(
            f"no logged prediction has request id {shown}; nothing was recorded; {hint}", unknown
        )
    meta = read_meta(directory)
    for item in items:
        _check_labels(item, logged[item.request_id], meta)
    stamp = now_iso()
    lines = b"".join(
        json.dumps({"request_id": i.request_id, "labels": i.labels, "time": stamp}).encode() + b"\n"
        for i in items
    )
    log = RotatingFile(directory / FEEDBACK, config.max_bytes, config.files)
    try:
        log.write(lines)
    finally:
        log.close()
    return {"accepted": len(items), "request_ids": [i.request_id for i in items]}


def _logged(
    directory: Path, items: list[Feedback], grace: float
) -> tuple[dict[str, int], list[str]]:
    """Rows by logged request id, and the ids of ``items`` not among them after ``grace`` s."""
    deadline = time.monotonic() + grace
    while True:
        logged = {e["request_id"]: int(e.get("rows", 1)) for e in read_entries(directory)}
        unknown = sorted({item.request_id for item in items if item.request_id not in logged})
        if not unknown or time.monotonic() >= deadline:
            return logged, unknown
        time.sleep(0.05)


def _check_labels(item: Feedback, rows: int, meta: dict[str, Any]) -> None:
    if len(item.labels) != rows:
        raise FeedbackError(
            f"request {item.request_id!r} had {rows} row(s) but the feedback gives "
            f"{len(item.labels)} label(s); give one label per row (a list for several rows)"
        )
    task = meta.get("task")
    for value in item.labels:
        if task == "regression" and not _is_number(value):
            raise FeedbackError(
                f"request {item.request_id!r}: the model is a regressor, so a label must be a "
                f"number, not {value!r}; send the observed value"
            )
        if task == "classification":
            _check_class(item.request_id, value, meta.get("classes"))


def _check_class(request_id: str, value: Any, classes: Any) -> None:
    if isinstance(value, dict | list) or value is None:
        raise FeedbackError(
            f"request {request_id!r}: the model is a classifier, so a label must be one of its "
            f"classes, not {value!r}; send the observed class"
        )
    if isinstance(classes, list) and not any(_same(value, c) for c in classes):
        raise FeedbackError(
            f"request {request_id!r}: {value!r} is not one of the model's classes "
            f"{classes!r}; send the observed class as the model names it"
        )


def _same(value: Any, known: Any) -> bool:
    if isinstance(value, bool) or isinstance(known, bool):
        return value is known
    if _is_number(value) and _is_number(known):
        return bool(value == known)
    return type(value) is type(known) and value == known


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
