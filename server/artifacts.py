"""The platform's side of the content-addressed artifact store (layout: ``executor.contract``)."""

from __future__ import annotations

from pathlib import Path

from executor.contract import ArtifactRef, artifact_path, store_artifact
from server.errors import NotFoundError


class ArtifactStore:
    """Artifacts as files under one directory, named by their sha256."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        """The file holding the artifact; NotFoundError if it is not stored."""
        try:
            path = artifact_path(self.root, sha256)
        except ValueError as exc:
            raise NotFoundError(f"{sha256!r} is not an artifact checksum (64 hex digits)") from exc
        if not path.is_file():
            raise NotFoundError(f"no artifact with checksum {sha256} is stored in {self.root}")
        return path

    def has(self, ref: ArtifactRef) -> bool:
        try:
            return self.path(ref.sha256).stat().st_size == ref.size
        except NotFoundError:
            return False

    def put(self, source: Path, media_type: str) -> ArtifactRef:
        return store_artifact(self.root, source, media_type)
