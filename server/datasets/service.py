"""The datasets service the API calls: uploads with their profile, listing, versions, previews.

It holds what the functions of ``uploads`` need (store, artifact store, provisioner, the
platform's one step cache, where profiling steps work), so a request handler passes only what
the request says.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from server.datasets import uploads
from server.datasets.uploads import DatasetVersion
from server.errors import OntolabError
from server.graph import queries
from server.graph.terms import plain_row
from server.provision.base import Provisioner
from server.runs.cache import StepCache
from server.store.base import Store
from server.tracking.artifacts import ArtifactStore

log = logging.getLogger(__name__)


class DatasetService:
    """Uploaded datasets over one store; safe to share between threads."""

    def __init__(
        self,
        store: Store,
        artifacts: ArtifactStore,
        provisioner: Provisioner,
        cache: StepCache,
        profiles_dir: Path,
    ) -> None:
        self._store = store
        self._artifacts = artifacts
        self._provisioner = provisioner
        self._cache = cache
        self._profiles_dir = profiles_dir
        self._uploaded: list[Callable[[DatasetVersion], None]] = []

    def on_uploaded(self, hook: Callable[[DatasetVersion], None]) -> None:
        """Call ``hook`` with each version an upload stored (after its profile), on the
        uploading thread; e.g. the trigger loop's wake-up. A hook that raises is logged; the
        upload stands."""
        self._uploaded.append(hook)

    def upload(
        self, name: str, data: bytes, media_type: str, file_name: str | None = None
    ) -> tuple[DatasetVersion, str | None]:
        """Store ``data`` as a new version of ``name`` and compute its profile.

        ``file_name`` (the client's, when it sent one) is recorded with the bytes' checksum.

        Returns the version and, when profiling failed, why: the data is stored and usable
        then, only its profile is missing. Raises DatasetError for data or a name it refuses.
        """
        version = uploads.upload(self._store, self._artifacts, name, data, media_type, file_name)
        try:
            uploads.compute_profile(
                self._provisioner, self._cache, self._artifacts, self._profiles_dir, version
            )
        except OntolabError as exc:
            self._announce(version)
            return version, str(exc)
        self._announce(version)
        return version, None

    def _announce(self, version: DatasetVersion) -> None:
        for hook in self._uploaded:
            try:
                hook(version)
            except Exception:
                log.warning("an upload hook failed on %s", version.iri, exc_info=True)

    def listing(self) -> list[dict[str, Any]]:
        """Every uploaded dataset: name, number of versions, when it was last updated."""
        rows = queries.select(self._store, "datasets")
        return [plain_row(row) for row in rows]

    def versions(self, name: str) -> list[DatasetVersion]:
        """The versions of ``name``, newest first; NotFoundError (with the fix) if none."""
        found = uploads.versions(self._store, name)
        if not found:
            uploads.get(self._store, name)  # raises NotFoundError with the fix
        return found

    def get(self, name: str, number: int | None = None) -> DatasetVersion:
        """Version ``number`` of ``name`` (default: the newest)."""
        return uploads.get(self._store, name, number)

    def preview(self, version: DatasetVersion, rows: int) -> dict[str, Any]:
        return uploads.preview(self._artifacts, version, rows)

    def profile(self, version: DatasetVersion) -> dict[str, Any]:
        """The profile the upload computed; reading it stores nothing."""
        return uploads.stored_profile(self._cache, self._artifacts, version)
