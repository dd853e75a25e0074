"""Writing what a reader found into the platform: each experiment through
``TrackedRuns.ensure_experiment``, each run whole through ``TrackedRuns.record`` (one write per
run, its artifacts stored content-addressed first), each registered model's versions and
aliases through the registry. A run already stored (same run id) is not written again, so a
second import adds nothing; every run is read back after the write and compared with the
source, so the report counts what the platform holds, not what was sent.
"""

from __future__ import annotations

import logging
import mimetypes
import re
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from server import definitions
from server.errors import NotFoundError, OntolabError
from server.graph.namespaces import run_iri, sub_iri
from server.interop.mlflow_import.model import (
    MlflowArtifact,
    MlflowExperiment,
    MlflowModel,
    MlflowModelVersion,
    MlflowRun,
    MlflowSource,
)
from server.interop.mlflow_import.paths import safe_relative
from server.interop.mlflow_import.report import Reconciliation
from server.registry.model import ModelVersion
from server.runs.tracked import MetricPoint, TrackedRun, TrackedRuns, experiment_identifier

if TYPE_CHECKING:
    from executor.contract import ArtifactRef
    from server.registry.service import Registry
    from server.store.base import Store
    from server.tracking.artifacts import ArtifactStore

log = logging.getLogger(__name__)

#: MLflow's run statuses as the platform's.
STATUSES = {
    "FINISHED": "succeeded",
    "FAILED": "failed",
    "KILLED": "cancelled",
}
#: What an MLflow run left RUNNING or SCHEDULED (its script died, most often) becomes: an import
#: records finished runs only, and nothing will ever end this one.
UNFINISHED = "cancelled"
IMPORTED_NOTE = "imported from MLflow (not validated by Ontolab)"
#: Where a run's MLflow 3 logged model ``m-ID`` is kept among its artifacts: ``PREFIX/m-ID/...``.
LOGGED_MODELS = "mlflow-logged-models"
_LOGGED_ID = re.compile(r"m-[0-9A-Za-z]+")
#: Which file of a logged MLflow model folder a registry version stands for, best first.
_MODEL_FILES = ("model.pkl", "model.joblib", "model.skops", "MLmodel")


class MlflowImporter:
    """One import from one source into one platform. Not thread-safe: one import at a time."""

    def __init__(
        self, store: Store, tracked: TrackedRuns, registry: Registry, artifacts: ArtifactStore
    ) -> None:
        self._store = store
        self._tracked = tracked
        self._registry = registry
        self._artifacts = artifacts
        self._logged: dict[str, str] = {}  # logged model id -> its source run's id

    def run(self, source: MlflowSource) -> Reconciliation:
        """Import everything ``source`` holds; the report says what was found and kept."""
        started = time.monotonic()
        report = Reconciliation(str(source.location), source.kind)
        names = self._experiments(source.experiments(), report)
        for run in source.runs():
            self._run(run, names, report)
        self._models(source.models(), report)
        report.seconds = time.monotonic() - started
        return report

    # --- experiments ------------------------------------------------------------------

    def _experiments(
        self, experiments: list[MlflowExperiment], report: Reconciliation
    ) -> dict[str, tuple[str, str]]:
        """MLflow experiment id -> (name, platform experiment id)."""
        out = {}
        for experiment in experiments:
            identifier = experiment_identifier(experiment.name)
            existed = bool(definitions.versions(self._store, identifier))
            out[experiment.experiment_id] = (
                experiment.name,
                self._tracked.ensure_experiment(experiment.name),
            )
            report.add("experiments", 1, 1, existed)
        return out

    # --- runs -------------------------------------------------------------------------

    def _run(
        self, run: MlflowRun, names: dict[str, tuple[str, str]], report: Reconciliation
    ) -> None:
        self._logged.update(dict.fromkeys(run.logged_models, run.run_id))
        stored = self._stored(run.run_id)
        present = stored is not None
        if stored is None:
            name, experiment_id = names.get(run.experiment_id) or self._orphan(run, names)
            refs = self._store_artifacts(run, report)
            if run.status not in STATUSES:
                report.notes.append(f"run {run.run_id} was {run.status} in MLflow: {UNFINISHED}")
            try:
                self._tracked.record(_tracked_run(run, name, experiment_id, refs))
            except OntolabError as exc:
                report.lose(f"run {run.run_id}: refused by the platform: {exc}")
            stored = self._stored(run.run_id)
        if stored is None:
            report.lose(f"run {run.run_id}: not in the platform after the write")
            for kind, found in _counts(run).items():
                report.add(kind, found, 0, False)
            return
        _reconcile(run, stored, present, report)

    def _stored(self, run_id: str) -> TrackedRun | None:
        try:
            return self._tracked.get(run_id)
        except NotFoundError:
            return None

    def _orphan(self, run: MlflowRun, names: dict[str, tuple[str, str]]) -> tuple[str, str]:
        """A run whose experiment the source does not list (an export of single runs)."""
        name = f"mlflow-experiment-{run.experiment_id}"
        names[run.experiment_id] = (name, self._tracked.ensure_experiment(name))
        return names[run.experiment_id]

    def _store_artifacts(self, run: MlflowRun, report: Reconciliation) -> dict[str, ArtifactRef]:
        """The run's files, then its logged models' under ``LOGGED_MODELS/m-ID/``, stored."""
        refs = self._put(run.run_id, "", run.artifacts, report)
        for model_id, files in run.logged_models.items():
            if _LOGGED_ID.fullmatch(model_id) is None:  # it becomes part of artifact paths
                report.lose(f"run {run.run_id} logged model {model_id!r}: not an MLflow model id")
                continue
            refs.update(self._put(run.run_id, f"{LOGGED_MODELS}/{model_id}/", files, report))
        return refs

    def _put(
        self, run_id: str, prefix: str, files: list[MlflowArtifact], report: Reconciliation
    ) -> dict[str, ArtifactRef]:
        refs = {}
        for artifact in files:
            path = prefix + artifact.path
            if artifact.file is None:
                report.lose(f"run {run_id} artifact {path}: refused, {artifact.refused}")
                continue
            media = mimetypes.guess_type(artifact.path)[0] or "application/octet-stream"
            try:
                refs[path] = self._artifacts.put(artifact.file, media)
            except OSError as exc:
                report.lose(f"run {run_id} artifact {path}: unreadable ({exc})")
        return refs

    # --- registered models ------------------------------------------------------------

    def _models(self, models: list[MlflowModel], report: Reconciliation) -> None:
        for model in models:
            name = registry_name(model.name)
            if name != model.name:
                report.notes.append(f"registered model {model.name!r} is {name!r} in Ontolab")
            versions = []
            for version in model.versions:
                made = self._version(name, version, report)
                if made is not None:
                    versions.append(made)
            try:
                added, present = self._registry.import_versions(
                    name, "unknown", versions, model.aliases
                )
            except OntolabError as exc:
                report.lose(f"registered model {model.name!r}: {exc}")
                added, present = [], []
            report["model_versions"].found += len(model.versions)
            report["model_versions"].imported += len(added)
            report["model_versions"].present += len(present)

    def _version(
        self, name: str, version: MlflowModelVersion, report: Reconciliation
    ) -> ModelVersion | None:
        """The registry version for an MLflow one: the model file in its run's artifacts."""
        what = f"model {version.name!r} version {version.version}"
        path, run_id = _run_path(version), version.run_id
        logged = _logged_model(version)
        if logged is not None:  # MLflow 3: the logged model's files, kept by its source run
            path, run_id = f"{LOGGED_MODELS}/{logged}", self._logged.get(logged) or version.run_id
        stored = self._stored(run_id) if run_id else None
        if path is None or stored is None:
            report.lose(f"{what}: its source {version.source!r} is not a run imported here")
            return None
        files = {p: r for p, r in stored.artifacts.items() if p == path or p.startswith(path + "/")}
        chosen = _model_file(files, path)
        if chosen is None:
            report.lose(f"{what}: run {run_id} has no artifact under {path!r}")
            return None
        return ModelVersion(
            name=name,
            number=version.version,
            run_id=stored.run_id,
            artifact=str(sub_iri(run_iri(stored.run_id), "file", chosen)),
            sha256=files[chosen].sha256,
            created=_iso(version.creation_time) or stored.started_at,
            passed=False,
            note=IMPORTED_NOTE,
        )


def _tracked_run(
    run: MlflowRun, experiment: str, experiment_id: str, refs: dict[str, ArtifactRef]
) -> TrackedRun:
    return TrackedRun(
        run_id=run.run_id,
        experiment=experiment,
        experiment_id=experiment_id,
        name=run.name,
        status=STATUSES.get(run.status, UNFINISHED),
        started_at=_iso(run.start_time) or "",
        ended_at=_iso(run.end_time),
        params=dict(run.params),
        tags=dict(run.tags),
        metrics={
            key: [MetricPoint(key, p.value, p.step, p.timestamp) for p in points]
            for key, points in run.metrics.items()
        },
        artifacts=refs,
        source="import",
        deleted=run.lifecycle_stage == "deleted",
    )


def _reconcile(run: MlflowRun, stored: TrackedRun, present: bool, report: Reconciliation) -> None:
    """Count what the source holds against what the platform holds for this run."""
    report.add("runs", 1, 1, present)
    report.add("params", len(run.params), _same(run.params, stored.params), present)
    report.add("tags", len(run.tags), _same(run.tags, stored.tags), present)
    points = sum(min(len(v), len(stored.metrics.get(k, []))) for k, v in run.metrics.items())
    report.add("metric_points", run.metric_points, points, present)
    kept = sum(1 for a in run.artifacts if a.path in stored.artifacts)
    report.add("artifacts", len(run.artifacts), kept, present)
    if points < run.metric_points or _same(run.params, stored.params) < len(run.params):
        report.lose(f"run {run.run_id}: the platform holds fewer params or metric points")


def _counts(run: MlflowRun) -> dict[str, int]:
    return {
        "runs": 1,
        "params": len(run.params),
        "tags": len(run.tags),
        "metric_points": run.metric_points,
        "artifacts": len(run.artifacts),
    }


def _same(source: dict[str, str], stored: dict[str, str]) -> int:
    return sum(1 for k, v in source.items() if stored.get(k) == v)


def _run_path(version: MlflowModelVersion) -> str | None:
    """PATH of a ``runs:/RUN_ID/PATH`` source (MLflow 2 and ``create_model_version``)."""
    match = re.fullmatch(r"runs:/([0-9A-Za-z_-]+)/(.+)", version.source)
    if match is None or safe_relative(match.group(2)) is not None:
        return None
    return match.group(2).strip("/")


def _logged_model(version: MlflowModelVersion) -> str | None:
    """ID of a ``models:/m-ID`` source (an MLflow 3 logged model), else None."""
    match = re.fullmatch(rf"models:/({_LOGGED_ID.pattern})/?", version.source)
    return match.group(1) if match else None


def _model_file(files: dict[str, ArtifactRef], folder: str) -> str | None:
    if folder in files:
        return folder
    for name in _MODEL_FILES:
        if f"{folder}/{name}" in files:
            return f"{folder}/{name}"
    return max(files, key=lambda p: files[p].size, default=None)


def registry_name(name: str) -> str:
    """An MLflow model name as the registry accepts it (lower case, ``[a-z0-9_.-]``)."""
    cleaned = re.sub(r"[^a-z0-9_.-]+", "-", name.lower()).strip("-_.") or "model"
    return cleaned[:128]


def _iso(millis: int | None) -> str | None:
    if millis is None:
        return None
    return datetime.fromtimestamp(millis / 1000, UTC).isoformat(timespec="milliseconds")
