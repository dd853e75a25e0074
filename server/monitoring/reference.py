"""The reference profile of a model version: found through the graph, read from the artifacts.

A build stores its training rows' statistics beside the model (``reference_profile.json``,
``executor.standalone.reference``) and the run graph links them
(``MODEL ol:hasReferenceProfile PROFILE``, with the profile's sha256). Serving loads them from
here once per model version and never looks at training data again.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from executor.standalone.reference import REFERENCE_FORMAT
from server.errors import CorruptArtifact, NotFoundError, ReferenceProfileMissing
from server.graph import queries
from server.graph.namespaces import run_iri
from server.store.base import ReadableStore


class ArtifactReader(Protocol):
    """What this module needs of ``server.tracking.artifacts.ArtifactStore``."""

    def path(self, sha256: str) -> Any: ...


class VersionLike(Protocol):
    """What this module needs of ``server.registry.model.ModelVersion`` (read-only, so a
    frozen dataclass fits)."""

    @property
    def name(self) -> str: ...
    @property
    def number(self) -> int: ...
    @property
    def run_id(self) -> str: ...
    @property
    def artifact(self) -> str: ...


def reference_profile_ref(store: ReadableStore, version: VersionLike) -> str | None:
    """The sha256 of the version's reference profile, or None when its build stored none."""
    rows = queries.select(
        store, "reference_profile", run=str(run_iri(version.run_id)), model=version.artifact
    )
    return str(rows[0]["sha256"]) if rows else None


def load_reference_profile(
    store: ReadableStore, artifacts: ArtifactReader, version: VersionLike
) -> dict[str, Any]:
    """The parsed reference profile of a model version.

    Raises:
        ReferenceProfileMissing: the version's build stored no profile (a model built before
            profiles existed) or its file is gone; re-running the build makes one.
        CorruptArtifact: the stored bytes do not match the checksum the graph recorded.
    """
    label = f"model {version.name!r} version {version.number}"
    sha256 = reference_profile_ref(store, version)
    if sha256 is None:
        raise ReferenceProfileMissing(
            f"no reference profile for {label}: it was built before builds stored one; "
            f"re-run the build (run {version.run_id}) and register the new version"
        )
    try:
        path = artifacts.path(sha256)
    except CorruptArtifact:
        raise
    except NotFoundError as exc:
        raise ReferenceProfileMissing(
            f"the reference profile of {label} ({sha256[:12]}…) is not in the artifact store; "
            f"re-run the build (run {version.run_id}) to store it again"
        ) from exc
    profile = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(profile, dict) or profile.get("format") != REFERENCE_FORMAT:
        raise ReferenceProfileMissing(
            f"the reference profile of {label} is not in the format {REFERENCE_FORMAT!r}; "
            f"re-run the build (run {version.run_id}) with this version of Ontolab"
        )
    return profile
