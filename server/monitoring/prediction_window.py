"""Reading a deployment's prediction log back: windows of logged rows joined with feedback.

The seam drift and live-performance statistics build on: ``read_window(directory, last=N)``
(the last N logged rows) or ``read_window(directory, since=T)`` (rows logged at or after T)
returns one pandas DataFrame row per input row: the feature columns as sent, then
``request_id``, ``row`` (its index in the request), ``logged_at`` (UTC timestamps),
``prediction`` and ``label`` (the ground truth given as feedback, or None). A feature that
shares one of these names keeps it; the meta column is then prefixed with ``_`` —
``frame.attrs["columns"]`` maps each meta name to the column that holds it, and
``frame.attrs["features"]`` lists the feature columns.

``entries(directory, limit)`` gives the last logged requests as JSON objects (the API's sample).

The files are written by another process (the model server) while they are read: a torn last
line is skipped, and an entry seen twice during a rotation is kept once.

May import: ``server.monitoring.prediction_log``, ``server.errors``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from server.monitoring.prediction_log import FEEDBACK, PREDICTIONS, log_files, read_meta

META_COLUMNS = ("request_id", "row", "logged_at", "prediction", "label")


def read_entries(directory: Path, name: str = PREDICTIONS) -> list[dict[str, Any]]:
    """Every whole entry of one rotating log, oldest first, each request id once (its last)."""
    found: dict[str, dict[str, Any]] = {}
    for path in log_files(directory, name):
        for entry in _lines(path):
            request_id = entry.get("request_id")
            if isinstance(request_id, str):
                found.pop(request_id, None)  # moved to the end: the newest write wins
                found[request_id] = entry
    return list(found.values())


def labels(directory: Path) -> dict[str, list[Any]]:
    """The latest labels given for each request id."""
    return {e["request_id"]: list(e.get("labels", ())) for e in read_entries(directory, FEEDBACK)}


def entries(directory: Path, limit: int) -> list[dict[str, Any]]:
    """The last ``limit`` logged requests, newest first, each with its input rows and labels."""
    logged = read_entries(directory)[-limit:] if limit > 0 else []
    given = labels(directory)
    return [
        {
            "request_id": e["request_id"],
            "time": e.get("time"),
            "inputs": input_records(e.get("inputs")),
            "predictions": e.get("predictions", []),
            "labels": given.get(e["request_id"]),
        }
        for e in reversed(logged)
    ]


def read_window(
    directory: Path, *, last: int | None = None, since: datetime | str | None = None
) -> pd.DataFrame:
    """Logged rows as a DataFrame joined with feedback: the last ``last`` rows, or those logged
    at or after ``since`` (an aware datetime, or ISO 8601 text), or both (the last N since T)."""
    logged = read_entries(directory)
    if since is not None:
        bound = pd.Timestamp(since)
        bound = bound.tz_localize("UTC") if bound.tzinfo is None else bound.tz_convert("UTC")
        logged = [e for e in logged if pd.Timestamp(e.get("time")) >= bound]
    given = labels(directory)
    records: list[dict[str, Any]] = []
    meta_rows: list[tuple[Any, ...]] = []
    for entry in logged:
        rows = input_records(entry.get("inputs"))
        predictions = list(entry.get("predictions", ()))
        truth = given.get(entry["request_id"], [])
        for index, row in enumerate(rows):
            records.append(row)
            meta_rows.append(
                (
                    entry["request_id"],
                    index,
                    entry.get("time"),
                    predictions[index] if index < len(predictions) else None,
                    truth[index] if index < len(truth) else None,
                )
            )
    if last is not None:
        records, meta_rows = (
            records[-last:] if last > 0 else [],
            meta_rows[-last:] if last > 0 else [],
        )
    return _frame(directory, records, meta_rows)


def _frame(
    directory: Path, records: list[dict[str, Any]], meta: list[tuple[Any, ...]]
) -> pd.DataFrame:
    features = [str(c) for c in read_meta(directory).get("features", ())]
    features = features or sorted({k for r in records for k in r})
    frame = (
        pd.DataFrame.from_records(records, columns=features)
        if records
        else pd.DataFrame(columns=features)
    )
    names: dict[str, str] = {}
    for position, name in enumerate(META_COLUMNS):
        column = name
        while column in features or column in names.values():
            column = f"_{column}"
        names[name] = column
        frame[column] = [m[position] for m in meta]
    frame[names["logged_at"]] = pd.to_datetime(frame[names["logged_at"]], utc=True)
    frame.attrs["features"] = features
    frame.attrs["columns"] = names
    return frame


def input_records(inputs: Any) -> list[dict[str, Any]]:
    """A logged request body's rows as records, whichever format it was sent in."""
    if not isinstance(inputs, dict):
        return []
    if "dataframe_split" in inputs:
        split = inputs["dataframe_split"]
        columns = split.get("columns", []) if isinstance(split, dict) else []
        data = split.get("data", []) if isinstance(split, dict) else []
        return [dict(zip(columns, row, strict=False)) for row in data if isinstance(row, list)]
    for key in ("dataframe_records", "records", "inputs"):
        if key in inputs:
            rows = inputs[key]
            rows = [rows] if isinstance(rows, dict) else rows
            return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
    return []


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    try:
        with path.open("rb") as handle:
            for line in handle:
                try:
                    entry = json.loads(line)
                except ValueError:  # a line the writer is still appending
                    continue
                if isinstance(entry, dict):
                    yield entry
    except FileNotFoundError:  # rotated away between listing and opening
        return
