"""The prediction log: what a deployment was asked and answered, by request id, on disk.

A deployment's log lives in ``DATA/deployments/ID/predictions/``:

- ``config.json``: the deployment's ``LogConfig`` (written at deploy, read again on restore);
- ``meta.json``: the served model's task, classes and feature columns (the model server writes
  it as it starts; feedback checks labels against it);
- ``predictions.jsonl`` (the newest), ``predictions.jsonl.1`` … (older): one JSON object per
  answered ``/predict``: ``request_id``, ``time`` (ISO 8601, UTC), ``rows``, ``inputs`` (the
  request body as sent) and ``predictions``;
- ``feedback.jsonl`` (+ ``.1`` …): ground-truth labels by request id
  (``server.monitoring.feedback``).

Bounded: ``RotatingFile`` starts a new file before one would pass ``max_bytes`` and keeps
``files`` of them, so a log never holds more than ``files × max_bytes`` (plus one entry when a
single entry is larger than ``max_bytes``).

Off the request's hot path: ``PredictionLogWriter.log`` only puts a tuple on a bounded queue;
one writer thread serializes and appends. When the queue is full the entry is dropped and
counted (``on_drop``), never waited for. The request body is logged as the bytes it came in
(already checked JSON, so it is not serialized again), and the writer yields the GIL after
each entry, so request threads never wait behind a batch of writes. Readers are in
``server.monitoring.prediction_window``.

May import: ``server.errors``, ``server.settings``.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from server.errors import BadRequest
from server.settings import Settings

PREDICTIONS = "predictions.jsonl"
FEEDBACK = "feedback.jsonl"
CONFIG = "config.json"
META = "meta.json"
MEGABYTE = 1024 * 1024
_STOP = object()
MAX_FILES = 1000
MAX_MB = 100_000.0
_BATCH = 256  # entries written per wake-up at most, so close() is never kept waiting long


def log_directory(data: Path, deployment_id: str) -> Path:
    """Where a deployment's prediction log lives under the data dir."""
    return data / "deployments" / deployment_id / "predictions"


@dataclass(frozen=True)
class LogConfig:
    """Whether a deployment logs its predictions, and the bound: ``files`` × ``max_mb``."""

    enabled: bool
    max_mb: float
    files: int
    queue: int

    @property
    def max_bytes(self) -> int:
        return max(int(self.max_mb * MEGABYTE), 1)

    def to_json(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "max_mb": self.max_mb, "files": self.files}

    @classmethod
    def default(cls, settings: Settings) -> LogConfig:
        return cls(
            settings.prediction_log,
            settings.prediction_log_mb,
            settings.prediction_log_files,
            settings.prediction_log_queue,
        )

    @classmethod
    def from_request(cls, value: Any, settings: Settings) -> LogConfig:
        """The config a deploy request asks for: ``true``/``false``, or ``{"enabled", "max_mb",
        "files"}`` (each optional; the platform's defaults fill the rest). BadRequest if not."""
        default = cls.default(settings)
        if value is None:
            return default
        if isinstance(value, bool):
            return cls(value, default.max_mb, default.files, default.queue)
        if not isinstance(value, dict) or set(value) - {"enabled", "max_mb", "files"}:
            raise BadRequest(
                '"prediction_log" must be true, false or {"enabled": bool, "max_mb": number, '
                f'"files": integer}}, not {value!r}; send one of those'
            )
        enabled = value.get("enabled", True)
        max_mb = value.get("max_mb", default.max_mb)
        files = value.get("files", default.files)
        if not isinstance(enabled, bool):
            raise BadRequest(f'"prediction_log.enabled" must be true or false, not {enabled!r}')
        if (
            isinstance(max_mb, bool)
            or not isinstance(max_mb, int | float)
            or not 0 < max_mb <= MAX_MB
        ):
            raise BadRequest(
                f'"prediction_log.max_mb" must be a positive number up to {MAX_MB:g}, not '
                f"{max_mb!r}; give the size of one log file in MB"
            )
        if isinstance(files, bool) or not isinstance(files, int) or not 1 <= files <= MAX_FILES:
            raise BadRequest(
                f'"prediction_log.files" must be an integer from 1 to {MAX_FILES}, not '
                f"{files!r}; give how many log files to keep"
            )
        return cls(enabled, float(max_mb), files, default.queue)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / CONFIG).write_text(json.dumps(asdict(self)))

    @classmethod
    def read(cls, directory: Path, settings: Settings) -> LogConfig:
        """The config saved at deploy; the platform's default for a deployment without one."""
        try:
            saved = json.loads((directory / CONFIG).read_text())
            return cls(bool(saved["enabled"]), float(saved["max_mb"]), int(saved["files"]),
                       int(saved.get("queue", settings.prediction_log_queue)))  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError):
            return cls.default(settings)


class RotatingFile:
    """An append-only file of at most ``max_bytes`` that rotates into ``files`` files in all.

    ``name`` is the newest, ``name.1`` the one before, up to ``name.{files-1}``; the oldest is
    removed as a new one starts. Not thread-safe: one writer (a thread or a lock) per file.
    """

    def __init__(self, path: Path, max_bytes: int, files: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.files = files
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[bytes] = path.open("ab")
        self._size = self._file.tell()

    def write(self, data: bytes) -> None:
        """Append ``data`` (whole lines), first rotating if it would pass the bound."""
        if self._size and self._size + len(data) > self.max_bytes:
            self.rotate()
        self._file.write(data)
        self._size += len(data)

    def flush(self) -> None:
        self._file.flush()

    def rotate(self) -> None:
        """Start a new file; the oldest beyond ``files`` is removed."""
        self._file.close()
        oldest = self._numbered(self.files - 1)
        if self.files == 1:
            self.path.unlink(missing_ok=True)
        else:
            oldest.unlink(missing_ok=True)
            for number in range(self.files - 2, 0, -1):
                if self._numbered(number).exists():
                    os.replace(self._numbered(number), self._numbered(number + 1))
            os.replace(self.path, self._numbered(1))
        self._file = self.path.open("ab")
        self._size = 0

    def close(self) -> None:
        self._file.close()

    def _numbered(self, number: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{number}")


def log_files(directory: Path, name: str = PREDICTIONS) -> list[Path]:
    """The files of one rotating log, oldest first."""

    def age(path: Path) -> int:
        suffix = path.name[len(name) + 1 :]
        return int(suffix) if suffix.isdigit() else 0

    found = [p for p in directory.glob(f"{name}*") if p.name == name or age(p) > 0]
    return sorted(found, key=age, reverse=True)


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


class PredictionLogWriter:
    """Appends answered predictions to a deployment's log from one background thread.

    ``log`` may be called from any thread and never blocks: a full queue drops the entry and
    calls ``on_drop`` (a counter). ``close`` writes what is queued and stops the thread.
    """

    def __init__(
        self,
        directory: Path,
        config: LogConfig,
        on_drop: Callable[[], None] = lambda: None,
        on_written: Callable[[int], None] = lambda count: None,
    ) -> None:
        self.directory = directory
        self._file = RotatingFile(directory / PREDICTIONS, config.max_bytes, config.files)
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=config.queue)
        self._on_drop = on_drop
        self._on_written = on_written
        self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
        self._thread.start()

    def log(self, request_id: str, inputs: bytes | Any, predictions: list[Any]) -> bool:
        """Queue one answered request; False (and counted) if the queue was full.

        ``inputs``: the request body as received (bytes of a JSON object the server already
        parsed) or the parsed object itself."""
        try:
            self._queue.put_nowait((time.time(), request_id, inputs, predictions))
        except queue.Full:
            self._on_drop()
            return False
        return True

    def close(self, timeout: float = 5.0) -> None:
        self._queue.put(_STOP, timeout=timeout)
        self._thread.join(timeout)

    def _run(self) -> None:
        try:  # the writer yields the CPU to request threads (Linux: a thread is a task)
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        except (AttributeError, OSError):
            pass
        while True:
            batch = [self._queue.get()]
            while len(batch) < _BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = any(item is _STOP for item in batch)
            entries = [item for item in batch if item is not _STOP]
            try:
                self._write(entries)
            except (OSError, TypeError, ValueError):  # a full disk must not kill the server
                for _ in entries:
                    self._on_drop()
            if stop:
                self._file.close()
                return

    def _write(self, entries: list[tuple[float, str, Any, list[Any]]]) -> None:
        for stamp, request_id, inputs, predictions in entries:
            self._file.write(entry_line(stamp, request_id, inputs, predictions))
            time.sleep(0)  # let a request thread have the GIL between entries
        self._file.flush()
        self._on_written(len(entries))


def entry_line(stamp: float, request_id: str, inputs: bytes | Any, predictions: list[Any]) -> bytes:
    """One log line. Raw JSON bytes are spliced in as they are: valid JSON holds no raw line
    breaks inside strings, so turning those between tokens into spaces keeps it one line."""
    if isinstance(inputs, bytes):
        body = inputs.replace(b"\n", b" ").replace(b"\r", b" ")
    else:
        body = json.dumps(inputs, separators=(",", ":")).encode()
    head = json.dumps(
        {
            "request_id": request_id,
            "time": datetime.fromtimestamp(stamp, UTC).isoformat(),
            "rows": len(predictions),
            "predictions": predictions,
        },
        separators=(",", ":"),
    ).encode()
    return head[:-1] + b',"inputs":' + body + b"}\n"


def write_meta(directory: Path, meta: dict[str, Any]) -> None:
    """The served model's task, classes and features, for feedback and the window reader."""
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / f".{META}.{os.getpid()}"
    temporary.write_text(json.dumps(meta))
    os.replace(temporary, directory / META)


def read_meta(directory: Path) -> dict[str, Any]:
    try:
        value = json.loads((directory / META).read_text())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
