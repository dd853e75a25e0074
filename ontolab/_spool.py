"""What a tracked run sends, in order, and the local spool that keeps it while the platform is away.

A run's outbox is a list of operations (``start``, ``batch``, ``artifact``, ``model``, ``end``)
sent one by one, in order. Each is safe to send twice: a batch carries its ``batch_id`` (the
platform ignores one it has seen), an artifact or model sent again stores the same bytes under
the same name, a start answered 409 "exists already" was received before, an end with the same
status changes nothing. So an operation whose answer was lost is simply sent again.

When the platform does not answer, the outbox is written to ``SPOOL/RUN_ID/ops.jsonl`` (one JSON
line each, after a header line with the platform's URL), the bytes of artifacts and models
beside it under ``blobs/``; the run keeps trying. A process that exits while the platform is
away leaves that folder; ``replay`` (``ontolab.flush_spool``, every ``start_run`` and ``Client``)
sends it later, in order, and removes it. A live run holds a lock on its file, so a replay in
another process leaves it alone.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ontolab._http import Transport
from ontolab.errors import ApiError, OntolabError, PlatformUnreachable, RequestTimeout

try:  # POSIX; elsewhere replays do not check for a live writer
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("ontolab.tracking")

OPS_FILE = "ops.jsonl"
Op = dict[str, Any]


def default_spool_dir() -> Path:
    """``ONTOLAB_SPOOL`` or ``~/.ontolab/spool``."""
    configured = os.environ.get("ONTOLAB_SPOOL")
    return Path(configured) if configured else Path.home() / ".ontolab" / "spool"


class Transient(OntolabError):
    """The platform did not take an operation now (unreachable, timed out, 5xx): try again."""


def send(transport: Transport, run_id: str, op: Op) -> Any:
    """Send one operation. Raises Transient when it should be sent again later, ApiError when
    the platform refused it (sending it again would not help)."""
    base = f"/api/tracking/runs/{quote(run_id, safe='')}"
    try:
        return _send(transport, base, op)
    except (PlatformUnreachable, RequestTimeout) as exc:
        raise Transient(str(exc)) from exc
    except ApiError as exc:
        if exc.status >= 500 or exc.status == 429:
            raise Transient(str(exc)) from exc
        if op["op"] == "start" and exc.status == 409 and "exists already" in exc.detail:
            return None  # an earlier send of this start arrived
        raise


def _send(transport: Transport, base: str, op: Op) -> Any:
    kind = op["op"]
    if kind == "start":
        return transport.json("POST", "/api/tracking/runs", json=op["body"])
    if kind == "batch":
        body = {k: op[k] for k in ("batch_id", "params", "metrics", "tags")}
        return transport.json("POST", f"{base}/batch", json=body)
    if kind in ("artifact", "model"):
        data = _bytes(op)
        if data is None:
            log.warning(
                "the file %s of artifact %s is gone; not sent", op.get("source"), op["path"]
            )
            return None
        if kind == "artifact":
            return transport.json("PUT", f"{base}/artifacts/{quote(op['path'])}", data=data)
        return transport.json("PUT", f"{base}/models/{quote(op['name'], safe='')}", data=data)
    if kind == "end":
        return transport.json("POST", f"{base}/end", json={"status": op["status"]})
    raise ValueError(f"unknown operation {kind!r}")


def _bytes(op: Op) -> bytes | None:
    if op.get("data") is not None:
        return bytes(op["data"])
    source = op.get("blob") or op.get("source")
    try:
        return Path(source).read_bytes() if source else None
    except FileNotFoundError:
        return None


class Spool:
    """The spool folder of one run; ``save`` mirrors its unsent outbox, ``clear`` removes it."""

    def __init__(self, root: Path, run_id: str, url: str) -> None:
        self.folder = root / run_id
        self.run_id, self.url = run_id, url
        self._lock: Any = None
        # The sequence numbers of the outbox last written (nothing to do when unchanged).
        self._saved: list[Any] | None = None

    def save(self, outbox: list[Op], *, hold: bool = True) -> None:
        """Write ``outbox`` (copying the bytes it refers to) so another process can send it;
        ``hold``: lock the folder for as long as this run lives (a live run's own spool)."""
        signature = [op.get("seq") for op in outbox]
        if signature == self._saved:
            return
        blobs = self.folder / "blobs"
        blobs.mkdir(parents=True, exist_ok=True)
        if hold:
            self._hold()
        lines = [json.dumps({"url": self.url, "run_id": self.run_id})]
        lines += [json.dumps(_storable(op, blobs)) for op in outbox]
        temp = self.folder / f"{OPS_FILE}.tmp"
        temp.write_text("\n".join(lines) + "\n")
        os.replace(temp, self.folder / OPS_FILE)
        self._saved = signature

    def release(self) -> None:
        """Let go of the folder's lock (its run no longer sends), keeping what it holds."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def clear(self) -> None:
        self.release()
        if self.folder.exists():
            shutil.rmtree(self.folder, ignore_errors=True)
        self._saved = None

    def _hold(self) -> None:
        """Lock the folder for this process's lifetime (a replay elsewhere leaves it alone)."""
        if self._lock is None and fcntl is not None:
            self._lock = (self.folder / ".lock").open("a")
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _storable(op: Op, blobs: Path) -> Op:
    """``op`` as a JSON line: bytes held in memory or in the caller's file copied to a blob."""
    out = {k: v for k, v in op.items() if k != "data"}
    if op["op"] in ("artifact", "model") and not op.get("blob"):
        blob = blobs / f"{uuid.uuid4().hex}-{op['op']}"
        data = _bytes(op)
        if data is not None:
            blob.write_bytes(data)
        out["blob"] = op["blob"] = str(blob)
        op.pop("data", None)  # from now on the blob holds the bytes
    return out


def load(folder: Path) -> tuple[dict[str, Any], list[Op]]:
    """The header and operations of a spool folder."""
    lines = (folder / OPS_FILE).read_text().splitlines()
    header = json.loads(lines[0])
    return header, [json.loads(line) for line in lines[1:] if line.strip()]


@contextmanager
def _claimed(folder: Path) -> Iterator[bool]:
    """Whether this process may replay ``folder`` (no live run holds it), held while inside."""
    if fcntl is None:
        yield True
        return
    with (folder / ".lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        yield True


def replay(transport: Transport, root: Path | None = None) -> int:
    """Send the spooled operations of every run left for this platform, oldest first; return
    how many were sent. Stops at the first run the platform does not take now (it stays
    spooled); an operation it refuses is logged and dropped (sending it again would not help)."""
    root = root or default_spool_dir()
    if not root.is_dir():
        return 0
    folders = [f for f in root.iterdir() if (f / OPS_FILE).is_file()]
    sent = 0
    for folder in sorted(folders, key=lambda f: (f / OPS_FILE).stat().st_mtime):
        with _claimed(folder) as mine:
            if not mine:
                continue
            header, ops = load(folder)
            if header.get("url", "").rstrip("/") != transport.url:
                continue
            done, finished = _replay_run(transport, header["run_id"], ops, folder)
            sent += done
            if not finished:
                break
    return sent


def _replay_run(transport: Transport, run_id: str, ops: list[Op], folder: Path) -> tuple[int, bool]:
    for number, op in enumerate(ops):
        try:
            send(transport, run_id, op)
        except Transient:
            Spool(folder.parent, run_id, transport.url).save(ops[number:], hold=False)
            return number, False
        except ApiError as refused:
            log.warning(
                "the platform refused a spooled %s of run %s: %s", op["op"], run_id, refused
            )
    shutil.rmtree(folder, ignore_errors=True)
    return len(ops), True
