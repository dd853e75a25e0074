"""Tracked runs: the one write path for runs the platform did not execute (issue 20).

A notebook or script (``ontolab.start_run``), MLflow's own client (``server.interop.mlflow_api``)
and an MLflow import (``server.interop.mlflow_import``) all record through ``TrackedRuns``:
start a run, log batches of params, metrics (full history) and tags, upload artifacts
(content-addressed), log models (which enter the registry and deploy like native ones), end it.

Each run is a ``RunRecord`` of its experiment (created on first use, with one ``ol:TrackedCode``
step) written by a ``RunWriter``, plus the tracked facts of ``server.tracking.tracked_results``:
one store write per call, so the run list, compare, leaderboard, lineage and SPARQL see it as
they see a native run. A batch carries an id; a batch id the run has seen adds nothing, so a
client may resend a batch it is unsure arrived.

A tracked run stays open across a platform restart (``RunService.reconcile`` leaves runs with
``ol:trackedFrom`` alone: their client is still sending); ``get`` rebuilds a run from its graph.

Errors: unknown run → NotFoundError (404); logging to a run that ended → TrackedRunEnded (409);
a metric that is not a number, a param re-logged with another value, an artifact path that is
absolute or climbs out with ``..``, a model that is not a fitted scikit-learn estimator →
TrackingInputError (400). Nothing is written when a call is refused.
"""

from __future__ import annotations

import mimetypes
import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from executor.contract import ArtifactRef
from server import definitions
from server.definitions import steps as pipelines
from server.definitions.versioning import store_tracked_experiment
from server.errors import NotFoundError, RunStateConflict, TrackedRunEnded, TrackingInputError
from server.graph import queries
from server.graph.clock import utc_now
from server.graph.namespaces import run_iri
from server.graph.run_numbers import numbers_of
from server.store.base import Store
from server.tracking.artifacts import ArtifactStore
from server.tracking.records import RunRecord
from server.tracking.tracked_models import model_bundle
from server.tracking.tracked_records import (
    FINAL_TRACKED_STATES,
    SOURCES,
    LoggedModel,
    MetricPoint,
    TrackedRun,
    artifact_path,
    check_params,
    check_points,
    check_tags,
    experiment_identifier,
    iso_time,
)
from server.tracking.tracked_results import (
    as_record,
    history_graph,
    history_triples,
    model_step,
    read_history,
    read_tracked,
    tracked_shared,
    tracked_triples,
)
from server.tracking.writer import RunWriter

if TYPE_CHECKING:  # the registry is handed in by the platform (runs do not import it)
    from server.registry.model import ModelVersion

__all__ = ["ArtifactRef", "MetricPoint", "TrackedRun", "TrackedRuns", "experiment_identifier"]

_RUN_ID = re.compile(r"^[0-9a-f]{16}(?:[0-9a-f]{16})?$")
_MODEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
MODEL_MEDIA_TYPE = "application/x-joblib"
_NOT_TRACKED = "start one with POST /api/tracking/runs or ontolab.start_run(experiment=...)"

Register = Callable[[RunRecord], "list[ModelVersion]"]


class Readable(Protocol):
    """What an artifact's bytes may come as besides ``bytes``: a file or a request body."""

    def read(self, size: int = -1, /) -> bytes: ...


class TrackedRuns:
    """Thread-safe: writes are serialized by one lock (one store write each)."""

    def __init__(
        self, store: Store, artifacts: ArtifactStore, register: Register | None = None
    ) -> None:
        self._store = store
        self._artifacts = artifacts
        self._register = register
        self._writer = RunWriter(store)
        self._lock = threading.RLock()
        self._open: dict[str, TrackedRun] = {}  # running runs this process wrote or read
        self._pipelines: dict[str, pipelines.Pipeline] = {}
        self._measures: frozenset[str] | None = None

    # --- experiments --------------------------------------------------------------------

    def ensure_experiment(self, name: str) -> str:
        """The identifier of the experiment named ``name``, created if absent."""
        if not isinstance(name, str) or not name.strip():
            raise TrackingInputError(
                f"experiment name {name!r} is empty; name the experiment, e.g. 'churn'"
            )
        identifier = experiment_identifier(name)
        if not definitions.versions(self._store, identifier):
            store_tracked_experiment(self._store, identifier, name)
        return identifier

    def forget_experiment(self, identifier: str) -> None:
        """Before an experiment is deleted: delete its tracked runs' history graphs and drop
        what this service holds of it (open runs, version), so a run of that name starts it
        afresh."""
        with self._lock:
            for row in queries.select_values(self._store, "tracked_runs", identifier=identifier):
                self._store.delete_graph(history_graph(str(row["run_id"])))
            self._pipelines.pop(identifier, None)
            for run_id in [r for r, run in self._open.items() if run.experiment_id == identifier]:
                del self._open[run_id]

    def _pipeline(self, identifier: str) -> pipelines.Pipeline:
        if identifier not in self._pipelines:
            version = definitions.get_version(self._store, identifier)
            pipeline = pipelines.load_pipeline(self._store, version)
            self._pipelines[identifier] = replace(pipeline, steps=())
        return self._pipelines[identifier]

    def _experiment_name(self, identifier: str, label: str | None) -> str:
        return label if label and experiment_identifier(label) == identifier else identifier

    # --- lifecycle ----------------------------------------------------------------------

    def start(
        self,
        experiment: str,
        *,
        name: str | None = None,
        run_id: str | None = None,
        started_at: str | None = None,
        tags: dict[str, str] | None = None,
        source: str = "sdk",
        started_by: str | None = None,
    ) -> TrackedRun:
        """Start a run of ``experiment`` (created if absent) and write it; return it.
        ``started_by``: the IRI of the agent that asked (``prov:wasAssociatedWith``)."""
        run = self._new_run(experiment, name, run_id, started_at, source)
        run.tags = check_tags(tags)
        run.started_by = started_by
        with self._lock:
            if self._exists(run.run_id):
                raise RunStateConflict(
                    f"run {run.run_id} exists already; start a run without a run id to get a "
                    "new one"
                )
            self._write(run)
            found = numbers_of(self._store, [run_iri(run.run_id)])
            run.number = found[0] if found else None
            self._open[run.run_id] = run
            return _copy(run)

    def _new_run(
        self,
        experiment: str,
        name: str | None,
        run_id: str | None,
        started_at: str | None,
        source: str,
    ) -> TrackedRun:
        if source not in SOURCES:
            raise TrackingInputError(f"source {source!r} is not one of {', '.join(SOURCES)}")
        if run_id is not None and not _RUN_ID.match(run_id):
            raise TrackingInputError(
                f"run id {run_id!r} is not 16 or 32 lower-case hex digits; leave it out to "
                "get a new one"
            )
        identifier = self.ensure_experiment(experiment)
        label = self._pipeline(identifier).label
        return TrackedRun(
            run_id=run_id or uuid.uuid4().hex,
            experiment=self._experiment_name(identifier, label),
            experiment_id=identifier,
            name=name,
            status="running",
            started_at=iso_time(started_at, "started_at"),
            ended_at=None,
            source=source,
        )

    def log(
        self,
        run_id: str,
        *,
        params: dict[str, str] | None = None,
        metrics: Sequence[MetricPoint] = (),
        tags: dict[str, str] | None = None,
        batch_id: str | None = None,
    ) -> TrackedRun:
        """Add one batch to a running run in one store write; a ``batch_id`` the run has seen
        adds nothing. Refused whole (nothing written) when any item is refused."""
        with self._lock:
            run = self._running(run_id)
            if batch_id is not None and batch_id in run.batches:
                return _copy(run)
            new = _copy(run)
            new.params.update(check_params(run.params, params or {}))
            now = int(time.time() * 1000)
            added = []
            for point in check_points(metrics, now):
                history = new.metrics.setdefault(point.key, [])
                added.append((len(history), point))
                history.append(point)
            new.tags.update(check_tags(tags))
            if batch_id is not None:
                new.batches.add(str(batch_id))
            return self._commit(new, added, batch_id)

    def log_artifact(self, run_id: str, path: str, data: bytes | Readable) -> ArtifactRef:
        """Store ``data`` content-addressed as the run's file ``path`` (replacing one there)."""
        path = artifact_path(path)
        with self._lock:
            self._running(run_id)
        ref = self._put(data, _media_type(path))
        with self._lock:
            new = _copy(self._running(run_id))
            new.artifacts[path] = ref
            self._commit(new)
        return ref

    def artifact(self, run_id: str, path: str) -> ArtifactRef:
        """The file a run logged at ``path``; NotFoundError when it has none there."""
        run = self.get(run_id)
        key = artifact_path(path)
        if key not in run.artifacts:
            raise NotFoundError(
                f"run {run_id} has no artifact {key!r}; list its artifacts with "
                f"GET /api/tracking/runs/{run_id}"
            )
        return run.artifacts[key]

    def list_artifacts(self, run_id: str, prefix: str = "") -> list[tuple[str, ArtifactRef]]:
        """The run's files whose path starts with ``prefix``, sorted by path."""
        run = self.get(run_id)
        return sorted((p, ref) for p, ref in run.artifacts.items() if p.startswith(prefix))

    def log_model(
        self, run_id: str, name: str, data: bytes, *, flavor: str = "sklearn"
    ) -> ModelVersion:
        """Store a model as a build step's bundle, describe it in the run's graph and register
        it as the next version of ``name``; it deploys like a native model. A run that ended
        takes a model only when it was imported (an MLflow import adds registered models)."""
        if not isinstance(name, str) or not _MODEL_NAME.match(name):
            raise TrackingInputError(
                f"{name!r} is not a model name; names match [a-z0-9][a-z0-9_.-]*, e.g. "
                "'churn-forest'"
            )
        with self._lock:
            self._running(run_id, imported_ok=True)  # 404 / 409 before reading the bytes
        raw, summary = model_bundle(data, name, flavor)
        ref = self._put(raw, MODEL_MEDIA_TYPE)
        with self._lock:
            new = _copy(self._running(run_id, imported_ok=True))
            for logged in new.models:  # the same model sent again (a client's resend)
                if logged.name == name and logged.ref == ref:
                    return self._register_model(new, logged)
            taken = {m.step_id for m in new.models}
            step_id, n = f"model-{name}", 1
            while step_id in taken:
                n += 1
                step_id = f"model-{name}-{n}"
            model = LoggedModel(name, step_id, ref, summary, utc_now())
            new.models.append(model)
            self._commit(new)
            return self._register_model(new, model)

    def end(
        self, run_id: str, status: str = "succeeded", ended_at: str | None = None
    ) -> TrackedRun:
        """End a running run; ending it again with the same status changes nothing."""
        if status not in FINAL_TRACKED_STATES:
            raise TrackingInputError(
                f"status {status!r} is not one a run ends with; use one of "
                f"{', '.join(FINAL_TRACKED_STATES)}"
            )
        with self._lock:
            run = self.get(run_id)
            if run.ended:
                if run.status == status:
                    return run
                raise _ended(run)
            run.status, run.ended_at = status, iso_time(ended_at, "ended_at")
            self._commit(run)
            self._open.pop(run_id, None)
            return _copy(run)

    def delete(self, run_id: str) -> TrackedRun:
        """Mark the run deleted (MLflow's lifecycle stage); its graph is kept."""
        with self._lock:
            run = self.get(run_id)
            run.deleted = True
            return self._commit(run)

    def get(self, run_id: str) -> TrackedRun:
        """The run as it is now; rebuilt from its graph when this process has not seen it."""
        with self._lock:
            if run_id in self._open:
                return _copy(self._open[run_id])
        if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
            raise NotFoundError(f"{run_id!r} is not a run id; {_NOT_TRACKED}")
        graph = str(run_iri(run_id))
        heads = queries.select_values(self._store, "tracked_run", run=graph)
        if not heads:
            raise NotFoundError(f"no tracked run {run_id!r}; {_NOT_TRACKED}")
        head = heads[0]
        head["experiment"] = self._experiment_name(str(head["experiment_id"]), head.get("label"))
        rows = queries.select(self._store, "graph_triples", graph=graph)
        run = read_tracked(run_id, head, ((r["s"], r["p"], r["o"]) for r in rows))
        past = str(history_graph(run_id))
        run.metrics, run.batches = read_history(
            queries.select_values(self._store, "tracked_points", graph=past),
            queries.select_values(self._store, "tracked_batches", graph=past),
        )
        return run

    def record(self, run: TrackedRun) -> bool:
        """Write a finished run whole (an import), registering the models it holds; False,
        and nothing written, when a run with its id is stored already."""
        if not run.ended:
            raise TrackingInputError(
                f"run {run.run_id} has status {run.status!r}; record only finished runs "
                f"({', '.join(FINAL_TRACKED_STATES)})"
            )
        fresh = self._new_run(run.experiment, run.name, run.run_id, run.started_at, run.source)
        whole = replace(
            _copy(run),
            experiment=fresh.experiment,
            experiment_id=fresh.experiment_id,
            started_at=fresh.started_at,
            ended_at=iso_time(run.ended_at, "ended_at"),
        )
        _check_whole(whole)
        with self._lock:
            if self._exists(run.run_id):
                return False
            self._write(whole)
            points = [(i, p) for history in whole.metrics.values() for i, p in enumerate(history)]
            history = history_triples(whole.run_id, points)
            history += [
                t for b in sorted(whole.batches) for t in history_triples(run.run_id, (), b)
            ]
            self._store.add_to_graph(history_graph(whole.run_id), history)
            for model in whole.models:
                self._register_model(whole, model)
        return True

    # --- internals ----------------------------------------------------------------------

    def _running(self, run_id: str, imported_ok: bool = False) -> TrackedRun:
        run = self._open.get(run_id) or self.get(run_id)
        if run.ended and not (imported_ok and run.source == "import"):
            raise _ended(run)
        if not run.ended:
            self._open[run_id] = run
        return run

    def _commit(
        self,
        run: TrackedRun,
        added: Sequence[tuple[int, MetricPoint]] = (),
        batch_id: str | None = None,
    ) -> TrackedRun:
        """Write ``run`` (its run graph, then the new points and the batch id to its history
        graph) and make it the state; on a failed write the old state stays. In that order, a
        crash between the two leaves the batch unrecorded, so its resend adds it whole (its
        params and tags are the same again)."""
        self._write(run)
        if added or batch_id is not None:
            triples = history_triples(run.run_id, added, batch_id)
            self._store.add_to_graph(history_graph(run.run_id), triples)
        if not run.ended:
            self._open[run.run_id] = run
        return _copy(run)

    def _write(self, run: TrackedRun) -> None:
        pipeline = self._pipeline(run.experiment_id)
        self._writer.write(
            as_record(run, pipeline), tracked_triples(run), tracked_shared(run, self._known())
        )

    def _register_model(self, run: TrackedRun, model: LoggedModel) -> ModelVersion:
        if self._register is None:
            raise RuntimeError("TrackedRuns was made without a registry")
        pipeline = self._pipeline(run.experiment_id)
        task = str(model.summary.get("task") or pipeline.task)
        record = as_record(run, replace(pipeline, task=task))
        step = model_step(run, pipeline, model)
        registered = self._register(
            replace(record, status="succeeded", steps={step.id: step}, ended_at=model.logged_at)
        )
        return registered[0]

    def _exists(self, run_id: str) -> bool:
        return queries.ask(self._store, "run_exists", run=str(run_iri(run_id)))

    def _known(self) -> frozenset[str]:
        if self._measures is None:
            rows = queries.select(self._store, "measures")
            self._measures = frozenset(str(r["measure"]) for r in rows)
        return self._measures

    def _put(self, data: bytes | Readable, media_type: str) -> ArtifactRef:
        with self._artifacts.temp_file() as temp:
            with temp.open("wb") as out:
                if isinstance(data, bytes | bytearray):
                    out.write(data)
                else:
                    while chunk := data.read(1 << 20):
                        out.write(chunk)
            return self._artifacts.put(temp, media_type)


def _ended(run: TrackedRun) -> TrackedRunEnded:
    return TrackedRunEnded(
        f"run {run.run_id} ended at {run.ended_at} ({run.status}), so it takes nothing more; "
        "start a new run"
    )


def _check_whole(run: TrackedRun) -> None:
    check_params({}, run.params)
    check_tags(run.tags)
    now = int(time.time() * 1000)
    run.metrics = {key: check_points(points, now) for key, points in run.metrics.items()}
    run.artifacts = {artifact_path(path): ref for path, ref in run.artifacts.items()}


def _copy(run: TrackedRun) -> TrackedRun:
    """A copy whose containers are its own (the points are frozen: shared, not copied)."""
    return replace(
        run,
        params=dict(run.params),
        tags=dict(run.tags),
        metrics={key: list(points) for key, points in run.metrics.items()},
        artifacts=dict(run.artifacts),
        models=list(run.models),
        batches=set(run.batches),
    )


def _media_type(path: str) -> str:
    return mimetypes.guess_type(path)[0] or "application/octet-stream"
