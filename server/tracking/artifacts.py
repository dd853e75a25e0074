"""The platform's side of the content-addressed artifact store (layout: ``executor.contract``).

Bytes read back from disk are checked against their checksum before they are served or
trusted (STYLE.md, Follow 19). Hashing a large file on every read would be slow, so a check is
remembered per file for as long as the file's inode, size, mtime and ctime stay the same. A
file that fails its check is moved to ``ROOT/corrupt/`` (quarantine) and logged; storing the
true bytes again (``PUT /api/artifacts/SHA256``, a rerun) repairs it.

Uploads write to temporary files under ``ROOT/tmp/``; opening the store sweeps away the
ones a killed process left behind.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from executor.contract import ArtifactRef, artifact_path, sha256_of, store_artifact
from server.errors import CorruptArtifact, NotFoundError, OntolabError

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)

# Checks remembered; an entry is ~200 bytes, so this bounds the memory at about 1 MB.
VERIFIED_CAPACITY = 4096
# A temporary file nobody wrote to for this long belongs to a process that is gone.
STALE_TEMP_SECONDS = 3600.0
QUARANTINE = "corrupt"
TEMP = "tmp"
_UPLOAD_PREFIX = "upload-"


class ArtifactStore:
    """Artifacts as files under one directory, named by their sha256. Thread-safe."""

    def __init__(self, root: Path, verified_capacity: int = VERIFIED_CAPACITY) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._capacity = verified_capacity
        self._verified: OrderedDict[Path, tuple[int, int, int, int]] = OrderedDict()
        self._lock = threading.Lock()
        sweep_temp(root)  # the store is opened once, at start-up

    def path(self, sha256: str) -> Path:
        """The file holding the artifact, its bytes checked against ``sha256``.

        Raises:
            NotFoundError: ``sha256`` is not a checksum, or nothing is stored under it.
            CorruptArtifact: the file does not match (it is quarantined), or did earlier.
        """
        try:
            path = artifact_path(self.root, sha256)
        except ValueError as exc:
            raise NotFoundError(f"{sha256!r} is not an artifact checksum (64 hex digits)") from exc
        if not path.is_file():
            raise self._missing(sha256)
        try:
            self._verify(sha256, path)
        except FileNotFoundError:  # quarantined or replaced by another thread meanwhile
            raise self._missing(sha256) from None
        return path

    def has(self, ref: ArtifactRef) -> bool:
        """Whether ``ref`` is stored with its size and checksum intact."""
        try:
            return self.path(ref.sha256).stat().st_size == ref.size
        except (NotFoundError, CorruptArtifact):
            return False

    def put(self, source: Path, media_type: str) -> ArtifactRef:
        """Store ``source``; a corrupt copy already stored under its checksum is replaced."""
        ref = store_artifact(self.root, source, media_type)
        self.path(ref.sha256)  # remembers the check, so the first download is cheap
        self.quarantined(ref.sha256).unlink(missing_ok=True)  # repaired
        return ref

    def quarantined(self, sha256: str) -> Path:
        """Where a corrupt file with this checksum is kept for inspection."""
        return self.root / QUARANTINE / sha256

    @contextmanager
    def temp_file(self, suffix: str = "") -> Iterator[Path]:
        """A fresh temporary file under ``ROOT/tmp/``, removed when the block ends."""
        folder = self.root / TEMP
        folder.mkdir(exist_ok=True)
        # The pid in the name lets the start-up sweep tell a dead writer's file at once.
        prefix = f"{_UPLOAD_PREFIX}{os.getpid()}-"
        fd, name = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=suffix)
        os.close(fd)
        try:
            yield Path(name)
        finally:
            Path(name).unlink(missing_ok=True)

    def _missing(self, sha256: str) -> OntolabError:
        if self.quarantined(sha256).is_file():
            return CorruptArtifact(_corrupt_message(sha256, self.quarantined(sha256)))
        return NotFoundError(f"no artifact with checksum {sha256} is stored in {self.root}")

    def _verify(self, sha256: str, path: Path) -> None:
        stat = path.stat()
        key = (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
        with self._lock:
            if self._verified.get(path) == key:
                self._verified.move_to_end(path)
                return
        actual = sha256_of(path)  # outside the lock: other files' checks go on meanwhile
        if actual != sha256:
            self._quarantine(sha256, path, actual)
        with self._lock:
            self._verified[path] = key
            self._verified.move_to_end(path)
            while len(self._verified) > self._capacity:
                self._verified.popitem(last=False)

    def _quarantine(self, sha256: str, path: Path, actual: str) -> None:
        target = self.quarantined(sha256)
        target.parent.mkdir(exist_ok=True)
        try:
            os.replace(path, target)
        except FileNotFoundError:
            pass  # another thread moved it first
        with self._lock:
            self._verified.pop(path, None)
        log.error("artifact %s reads as sha256 %s; moved it to %s", sha256, actual, target)
        raise CorruptArtifact(_corrupt_message(sha256, target))


def _corrupt_message(sha256: str, quarantined: Path) -> str:
    return (
        f"the stored file of artifact {sha256} does not match its checksum (changed or damaged "
        f"on disk); it was moved to {quarantined}. Store the true bytes again with "
        f"PUT /api/artifacts/{sha256}, or rerun the step that produced it"
    )


def sweep_temp(root: Path, now: float | None = None) -> list[Path]:
    """Remove temporary files a killed writer left under ``root``; the paths removed.

    ``ROOT/tmp/upload-PID-*`` goes when process PID is gone or the file is stale; the
    ``.tmp-*`` files of ``store_artifact`` and the ``.upload-*`` files older versions wrote
    go once stale (no write for ``STALE_TEMP_SECONDS``): their writer may be a live step.
    """
    now = time.time() if now is None else now
    removed = []
    candidates = [*root.glob(f"{TEMP}/{_UPLOAD_PREFIX}*"), *root.glob(".upload-*")]
    candidates += root.glob("??/.tmp-*")
    for path in candidates:
        try:
            stale = now - path.stat().st_mtime > STALE_TEMP_SECONDS
            if stale or _writer_gone(path):
                path.unlink()
                removed.append(path)
        except FileNotFoundError:
            continue  # its writer finished meanwhile
    if removed:
        log.warning("removed %d temporary file(s) left by killed uploads", len(removed))
    return removed


def _writer_gone(path: Path) -> bool:
    if path.parent.name != TEMP:
        return False
    pid = path.name.removeprefix(_UPLOAD_PREFIX).split("-", 1)[0]
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def parquet_head(
    path: Path, rows: int, columns: list[str] | None = None
) -> tuple[list[str], pa.RecordBatch | None, int]:
    """The head of a Parquet file: every column's name, a batch of its first ``rows`` rows
    (``columns`` only, when given; None for an empty file) and its number of rows.

    Read page by page through a small buffer: the memory follows ``rows``, not the file's row
    groups (a 258 MB file of one row group: ~35 MB and 6 ms, against ~283 MB and 0.26 s when
    the row group is read whole).
    """
    import pyarrow.parquet as pq  # here, not at the top: the CLI should not pay for it

    with pq.ParquetFile(path, buffer_size=1 << 20, pre_buffer=False) as parquet:
        batches = parquet.iter_batches(batch_size=rows, columns=columns, use_threads=False)
        first = next(batches, None)
        return list(parquet.schema_arrow.names), first, parquet.metadata.num_rows
