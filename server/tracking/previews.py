"""A bounded look at one artifact of one run: JSON pretty-printed, the head of a table, text.

The artifact is named by the run and its checksum, and only an artifact the run's graph
records is read: a request never names a path, and a checksum of another run's (or no run's)
artifact is refused. The file comes from the content-addressed store, whose ``path`` checks
the bytes against the checksum. Reads are bounded: at most ``MAX_BYTES`` of a JSON or text
file (a longer one is shown as its truncated text), at most ``MAX_ROWS`` rows and
``MAX_COLUMNS`` columns of a table, whatever the file's size.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path
from typing import Any

from server.errors import BadRequest, NotFoundError
from server.store.base import ReadableStore
from server.tracking.artifacts import ArtifactStore, parquet_head
from server.tracking.catalog import run_details

MAX_BYTES = 256 * 1024
MAX_ROWS = 200
DEFAULT_ROWS = 20
MAX_COLUMNS = 100
_SHA256 = re.compile(r"[0-9a-f]{64}")
_TEXT_TYPES = ("text/plain", "text/markdown", "application/x-yaml", "text/x-python")


def preview(
    store: ReadableStore, artifacts: ArtifactStore, run_id: str, sha256: str, rows: int
) -> dict[str, Any]:
    """What the run page shows of the run's artifact ``sha256``.

    Returns ``sha256``, ``kind``, ``step_id``, ``media_type``, ``size``, ``preview`` (``json``:
    ``value`` and ``text``; ``table``: ``columns`` and ``rows``; ``text``: ``text``; ``none``:
    ``reason``) and ``truncated``.

    Raises:
        BadRequest: ``sha256`` is not a checksum or ``rows`` is outside 1..MAX_ROWS.
        NotFoundError: no such run, or the run recorded no artifact with that checksum.
    """
    if not _SHA256.fullmatch(sha256):
        raise BadRequest(
            f"{sha256[:80]!r} is not an artifact checksum (64 lowercase hex digits); "
            "take one from the run's `artifacts`"
        )
    if not 1 <= rows <= MAX_ROWS:
        raise BadRequest(f"rows must be between 1 and {MAX_ROWS} (got {rows})")
    details = run_details(store, run_id)  # NotFoundError for an unknown run
    recorded = [a for a in details["artifacts"] if a["sha256"] == sha256]
    if not recorded:
        kinds = ", ".join(sorted({str(a["kind"]) for a in details["artifacts"]})) or "none"
        raise NotFoundError(
            f"run {run_id} recorded no artifact with checksum {sha256}; its artifacts: "
            f"{kinds} (GET /api/runs/{run_id} lists their checksums)"
        )
    artifact = recorded[0]
    path = artifacts.path(sha256)
    shown = {
        "sha256": sha256,
        "kind": artifact["kind"],
        "step_id": artifact["step_id"],
        "media_type": artifact["media_type"],
        "size": artifact["size"],
    }
    return shown | _look(path, str(artifact["media_type"]), rows)


def _look(path: Path, media_type: str, rows: int) -> dict[str, Any]:
    if media_type == "application/json":
        return _json(path)
    if media_type == "text/csv":
        return _csv(path, rows)
    if media_type == "application/vnd.apache.parquet":
        return _parquet(path, rows)
    if media_type in _TEXT_TYPES:
        text, truncated = _head_text(path)
        return {"preview": "text", "text": text, "truncated": truncated}
    return {
        "preview": "none",
        "reason": f"{media_type} has no preview; download the file",
        "truncated": False,
    }


def _head_bytes(path: Path) -> tuple[bytes, bool]:
    with path.open("rb") as file:
        data = file.read(MAX_BYTES + 1)
    return data[:MAX_BYTES], len(data) > MAX_BYTES


def _head_text(path: Path) -> tuple[str, bool]:
    data, truncated = _head_bytes(path)
    return data.decode("utf-8", errors="replace"), truncated


def _json(path: Path) -> dict[str, Any]:
    text, truncated = _head_text(path)
    if truncated:
        return {"preview": "text", "text": text, "truncated": True}
    try:
        value = json.loads(text)
    except ValueError:
        return {"preview": "text", "text": text, "truncated": False}
    pretty = json.dumps(value, indent=2, sort_keys=False)
    return {"preview": "json", "value": value, "text": pretty, "truncated": False}


def _csv(path: Path, rows: int) -> dict[str, Any]:
    text, truncated = _head_text(path)
    lines = text.splitlines()
    if truncated and lines:
        lines = lines[:-1]  # the last line read may be cut in the middle
    table = list(csv.reader(io.StringIO("\n".join(lines[: rows + 1]))))
    header, body = (table[0], table[1:]) if table else ([], [])
    more = truncated or len(lines) > rows + 1
    return _table(header, body, more)


def _parquet(path: Path, rows: int) -> dict[str, Any]:
    names, batch, total = parquet_head(path, rows)
    shown = names[:MAX_COLUMNS]
    if batch is not None and len(names) > MAX_COLUMNS:
        batch = batch.select(shown)
    body = [] if batch is None else batch.to_pylist()
    records = [[_cell(r[n]) for n in shown] for r in body]
    more = total > len(records) or len(names) > MAX_COLUMNS
    return _table(shown, records, more, total=total)


def _cell(value: Any) -> Any:
    """A table cell as JSON can carry it: NaN and infinities as null, dates and the rest as text."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def _table(
    header: list[str], body: list[list[Any]], more: bool, total: int | None = None
) -> dict[str, Any]:
    wide = len(header) > MAX_COLUMNS
    out: dict[str, Any] = {
        "preview": "table",
        "columns": header[:MAX_COLUMNS],
        "rows": [row[:MAX_COLUMNS] for row in body],
        "truncated": more or wide,
    }
    if total is not None:
        out["total_rows"] = total
    return out
