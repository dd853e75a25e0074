"""Data validation against a reference: which reference profile a check step compares with.

A data validation step (``ol:DataValidation``, phase ``check``) may name a registered model
(``ol:referenceModel``, with ``ol:referenceVersion`` or ``ol:referenceAlias``, else its newest
version). When a run is made, that name is resolved here through the registry and the run graph
to the profile the model's build stored, and the artifact is handed to the step as its input
``reference_profile``. Only the graph decides which file that is: the definition names a model,
never a path. The check itself runs in the executor (``executor.phases.check``).
"""

from __future__ import annotations

from typing import Any

from executor.contract import MEDIA_TYPES, REFERENCE_INPUT
from server.errors import NotFoundError, ReferenceProfileMissing
from server.graph import queries
from server.graph.namespaces import run_iri
from server.registry.model import version_iri
from server.registry.service import Registry
from server.store.base import ReadableStore, Store
from server.tracking.artifacts import ArtifactStore


def resolve_reference(
    store: Store, artifacts: ArtifactStore, step_id: str, parameters: dict[str, Any]
) -> None:
    """Add to a check step's ``parameters`` the reference profile its ``reference_model``
    names (sha256, size, media type, model, version, the version's and the profile's IRIs);
    nothing when it names none.

    Raises:
        NotFoundError: no such model, version or alias (the message lists what there is).
        ReferenceProfileMissing: the version's build stored no profile, or its file is gone.
    """
    name = parameters.get("reference_model")
    if name is None:
        return
    number, alias = parameters.get("reference_version"), parameters.get("reference_alias")
    asked = f"model {name!r}" + (f" alias {alias!r}" if alias else "")
    asked += f" version {number}" if number is not None else ""
    try:
        version = Registry(store).resolve(
            str(name), None if number is None else int(number), None if alias is None else alias
        )
    except NotFoundError as exc:
        raise type(exc)(
            f"check step {step_id!r} compares with {asked}, which cannot be found: {exc}"
        ) from exc
    profile = _profile(store, version.run_id, version.artifact)
    label = f"check step {step_id!r}: model {version.name!r} version {version.number}"
    if profile is None:
        raise ReferenceProfileMissing(
            f"{label} has no reference profile (it was built before builds stored one); "
            f"re-run its build (run {version.run_id}) and register the new version"
        )
    try:
        size = artifacts.path(profile["sha256"]).stat().st_size
    except NotFoundError as exc:
        raise ReferenceProfileMissing(
            f"{label}: its reference profile is not in the artifact store; re-run its build "
            f"(run {version.run_id}) to store it again"
        ) from exc
    parameters[REFERENCE_INPUT] = {
        "sha256": profile["sha256"],
        "size": size,
        "media_type": MEDIA_TYPES[REFERENCE_INPUT],
        "model": version.name,
        "version": version.number,
        "model_version": str(version_iri(version.name, version.number)),
        "profile": profile["iri"],
    }


def _profile(store: ReadableStore, run_id: str, model: str) -> dict[str, str] | None:
    rows = queries.select(store, "reference_profile", run=str(run_iri(run_id)), model=model)
    if not rows:
        return None
    return {"iri": str(rows[0]["profile"]), "sha256": str(rows[0]["sha256"])}
