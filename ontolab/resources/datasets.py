"""``client.datasets``: upload (streamed, with progress), list, versions, preview, profile."""

from __future__ import annotations

import builtins
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ontolab._http import Transport, segment
from ontolab.types import DatasetSummary, DatasetVersion

UploadProgress = Callable[[int, int], None]
PARQUET = "application/vnd.apache.parquet"
_MEDIA = {".csv": "text/csv", ".parquet": PARQUET}
_BLOCK = 1 << 16


class ProgressReader:
    """A file-like body that reports ``(bytes sent, total)`` as requests streams it.

    ``__len__`` lets requests send a Content-Length, so the body streams in blocks (never
    loaded whole) and the platform can refuse an oversized upload before reading it.
    """

    def __init__(self, source: IO[bytes], total: int, on_progress: UploadProgress | None) -> None:
        self._source = source
        self._total = total
        self._sent = 0
        self._on_progress = on_progress
        self._reported = False

    def __len__(self) -> int:
        return self._total

    def read(self, size: int = -1) -> bytes:
        chunk = self._source.read(_BLOCK if size is None or size < 0 else size)
        self._sent += len(chunk)
        # once per block sent (an empty body reports its 0 of 0 once), not at the final read
        if self._on_progress is not None and (chunk or not self._reported):
            self._on_progress(self._sent, self._total)
        self._reported = True
        return chunk


class Datasets:
    """Uploaded datasets: each upload of new bytes is a new version, read as ``dataset:NAME``."""

    def __init__(self, transport: Transport) -> None:
        self._http = transport

    def upload(
        self,
        data: str | os.PathLike[str] | bytes | Any,
        *,
        name: str | None = None,
        media_type: str | None = None,
        on_progress: UploadProgress | None = None,
        timeout: float | None = None,
    ) -> DatasetVersion:
        """Upload a CSV or Parquet file (a path), bytes, or a pandas DataFrame (as CSV).

        Args:
            name: the dataset's name (default: the file's stem).
            media_type: ``text/csv`` or Parquet's, when a suffix does not tell.
            on_progress: called with ``(bytes sent, total bytes)`` as the body streams.
            timeout: seconds for the whole answer (the upload computes the profile).
        """
        source, total, media, stem = _body(data, media_type)
        name = name or stem
        if not name:
            raise ValueError("name the dataset: datasets.upload(data, name='NAME')")
        with source:
            answer = self._http.json(
                "POST",
                "/api/datasets",
                params={"name": name},
                data=ProgressReader(source, total, on_progress),
                headers={"Content-Type": media},
                timeout=timeout,
            )
        return DatasetVersion.from_json(answer)

    def list(self) -> builtins.list[DatasetSummary]:
        """Every dataset with its number of versions."""
        return [
            DatasetSummary.from_json(d) for d in self._http.json("GET", "/api/datasets")["datasets"]
        ]

    def versions(self, name: str) -> builtins.list[DatasetVersion]:
        """Every version of a dataset, newest first (as the platform lists them)."""
        data = self._http.json("GET", f"/api/datasets/{segment(name)}")
        return [DatasetVersion.from_json(v) for v in data["versions"]]

    def preview(self, name: str, *, rows: int = 20, version: int | None = None) -> dict[str, Any]:
        """The first rows of a version (the newest by default): columns, rows, total_rows."""
        params = {"rows": rows, "version": version}
        data: dict[str, Any] = self._http.json(
            "GET", f"/api/datasets/{segment(name)}/preview", params=params
        )
        return data

    def profile(self, name: str, *, version: int | None = None) -> dict[str, Any]:
        """The per-column profile the upload computed."""
        data: dict[str, Any] = self._http.json(
            "GET", f"/api/datasets/{segment(name)}/profile", params={"version": version}
        )
        return data


def _body(data: Any, media_type: str | None) -> tuple[IO[bytes], int, str, str | None]:
    if isinstance(data, bytes):
        return io.BytesIO(data), len(data), media_type or "text/csv", None
    if isinstance(data, str | os.PathLike):
        path = Path(data)
        media = media_type or _MEDIA.get(path.suffix.lower())
        if media is None:
            raise ValueError(
                f"cannot tell the format of {path} from its suffix; name it .csv or .parquet "
                "or pass media_type='text/csv'"
            )
        return path.open("rb"), path.stat().st_size, media, path.stem
    if hasattr(data, "to_csv"):  # a pandas DataFrame, without importing pandas
        encoded = data.to_csv(index=False).encode()
        return io.BytesIO(encoded), len(encoded), "text/csv", None
    raise TypeError(
        f"cannot upload a {type(data).__name__}; give a path to a .csv or .parquet file, "
        "bytes, or a pandas DataFrame"
    )
