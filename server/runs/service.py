"""Run lifecycle: plan a stored version, run its steps through the provisioner, record results.

Steps start as soon as every step they depend on has succeeded (at most
``max_parallel_steps`` at once), so independent steps of a wave run in parallel. A failed step
marks everything downstream of it skipped and the run failed. The run's graph is rewritten in
one request at every state change.

A run's state lives in its graph, so a crash (kill -9, power loss) leaves the runs it was
running reading ``running``. ``RunService.reconcile``, called by ``open_platform`` before
anything starts, marks them ``interrupted`` (run and unfinished step runs, with the time and
why); ``resume`` runs such a run again as a new run that ``ol:resumes`` it, its finished steps
served by the step cache. A new run rather than the same id: a run graph only grows and
states its status once (``tracking.results``), so the interrupted one keeps its record and the
new one says what it resumed.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rdflib import Graph

from executor.contract import ArtifactRef, StepSpec
from server import datasets, definitions
from server.definitions import ExperimentVersion
from server.definitions import steps as pipelines
from server.definitions.planner import Plan, PlannedStep, plan
from server.errors import RunStateConflict
from server.graph import queries
from server.graph.namespaces import OL, run_iri, step_run_iri
from server.provision import ProvisionerPool
from server.provision.base import Provisioner, StepOutcome
from server.provision.compose import ComposeStep, compose_document, to_yaml
from server.runs.cache import StepCache
from server.settings import Settings
from server.store import open_store
from server.store.base import Store, Triple
from server.tracking import catalog
from server.tracking.artifacts import ArtifactStore
from server.tracking.records import RESUMABLE_RUN_STATES, RunRecord, StepRecord
from server.tracking.writer import RunWriter

log = logging.getLogger("ontolab.runs")

#: Statuses graphs written before statuses were stated once may hold for a run in flight.
_NOT_FINAL = ("running", "queued", "pending")

#: How long deleting an experiment waits for its cancelled runs to stop before it gives up.
STOP_WAIT_SECONDS = 30.0


def _resume_hint(run_id: str) -> str:
    return f"resume it with `ontolab runs resume {run_id}` or POST /api/runs/{run_id}/resume"


INTERRUPTED_WHY = "the platform stopped while the run was in flight (noticed when it started again)"


def interrupted_reason(run_id: str) -> str:
    """Why a run reads ``interrupted``, and how to go on (its ``ol:errorMessage``)."""
    return f"{INTERRUPTED_WHY}; {_resume_hint(run_id)}"


@dataclass(frozen=True)
class RunEvent:
    """A state change, for progress output and live streams."""

    run_id: str
    step_id: str | None  # None for the run itself
    status: str
    detail: str = ""


EventSink = Callable[[RunEvent], None]


def plan_version(store: Store, version: ExperimentVersion) -> tuple[pipelines.Pipeline, Plan]:
    """Read and check the version's steps; raises PlanError before anything runs."""
    pipeline = pipelines.load_pipeline(store, version)
    return pipeline, plan(pipeline, pipelines.step_types(store))


def check_definition(
    graph: Graph, roots: Sequence[Path] | None = None
) -> tuple[ExperimentVersion, pipelines.Pipeline, Plan]:
    """Validate and plan a definition in a scratch in-memory store: nothing is kept.

    ``roots``: the data roots file sources must resolve into (``Settings.source_roots``).
    """
    store = open_store("oxigraph:memory")
    try:
        definitions.ensure_ontology(store)
        version = definitions.submit(store, graph, roots).version
        pipeline, steps_plan = plan_version(store, version)
    finally:
        store.close()
    return version, pipeline, steps_plan


class RunService:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        provisioner: Provisioner,
        artifacts: ArtifactStore,
        cache: StepCache,
    ) -> None:
        self._settings = settings
        self._store = store
        self._provisioners = ProvisionerPool(settings, provisioner)
        self._artifacts = artifacts
        self._cache = cache
        self._writer = RunWriter(store)
        self._state_lock = threading.Lock()
        self._active: dict[str, tuple[_Execution, threading.Thread]] = {}
        # Held while a run is registered and its thread started, and while an experiment's
        # runs are stopped (``stopped``), so no run of an experiment being deleted slips in.
        self._start_lock = threading.Lock()
        self._held: set[str] = set()  # experiments no run may start for (under _start_lock)
        self._resume_lock = threading.Lock()  # one resume at a time: no run resumed twice
        self._listeners: list[EventSink] = []
        self._finished_hooks: list[Callable[[RunRecord], None]] = []

    def plan(self, version: ExperimentVersion) -> tuple[pipelines.Pipeline, Plan]:
        return plan_version(self._store, version)

    def close(self) -> None:
        """Close the provisioners experiments asked for besides the platform's own."""
        self._provisioners.close()

    def add_listener(self, listener: EventSink) -> None:
        """Receive every run's events (e.g. a live stream); call from any thread."""
        with self._state_lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: EventSink) -> None:
        with self._state_lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def on_finished(self, hook: Callable[[RunRecord], None]) -> None:
        """Call ``hook`` with every run's final record (e.g. to register its models)."""
        self._finished_hooks.append(hook)

    def run(
        self,
        version: ExperimentVersion,
        *,
        use_cache: bool | None = None,
        on_event: EventSink | None = None,
    ) -> RunRecord:
        """Run ``version`` to the end and return its final record."""
        record = self.start(version, use_cache=use_cache, on_event=on_event)
        self.wait(record.run_id)
        return record

    def start(
        self,
        version: ExperimentVersion,
        *,
        use_cache: bool | None = None,
        on_event: EventSink | None = None,
        resumes: str | None = None,
    ) -> RunRecord:
        """Plan ``version`` and start running it in the background; return its record at once.

        Planning errors are raised here, before a run exists. ``resumes`` is the id of the run
        this one resumes (``resume``).
        """
        pipeline, steps_plan = self.plan(version)
        provisioner = self._provisioners.get(pipeline.provisioner)  # ConfigError before a run
        record = self._new_record(pipeline, steps_plan, provisioner.name)
        record.resumes = resumes
        use_cache = self._settings.step_cache if use_cache is None else use_cache
        emit = self._emitter(on_event)
        cache = self._cache if use_cache else None
        execution = _Execution(self, provisioner, record, steps_plan, emit, cache)
        thread = threading.Thread(
            target=self._execute, args=(execution,), name=f"run-{record.run_id}", daemon=True
        )
        detail = f"{len(record.steps)} steps" + (f", resuming run {resumes}" if resumes else "")
        with self._start_lock:
            if pipeline.identifier in self._held:
                raise RunStateConflict(
                    f"experiment {pipeline.identifier!r} is being deleted, so no run of it can "
                    "start; submit its definition again to run it"
                )
            self._save(record)
            with self._state_lock:
                self._active[record.run_id] = (execution, thread)
            emit(RunEvent(record.run_id, None, "running", detail))
            thread.start()
        return record

    def reconcile(self) -> list[str]:
        """Mark the runs a crash left in flight ``interrupted``; return their ids.

        Call once at start, before any run starts: a run whose graph states no final status
        and that this process does not run is then one no process runs, as long as no other
        platform process writes to the same store (``open_platform`` only calls this when
        that holds: see the ``reconcile_runs`` setting). Its unfinished step runs are marked
        too; their step processes died with the platform (a warm parent kills its children
        when the platform's pipe closes).
        """
        with self._state_lock:
            running_here = set(self._active)
        unfinished: dict[str, dict[str, bool]] = {}
        stale: set[str] = set()
        for row in queries.select(self._store, "runs_in_flight"):
            run_id = str(row["run_id"])
            if run_id in running_here:
                continue
            steps = unfinished.setdefault(run_id, {})
            if row.get("step_run") is not None:
                steps[str(row["step_run"])] = row.get("started") is not None
            if row.get("stated") is not None:
                stale.add(run_id)
        noticed = _now()
        for run_id, steps in unfinished.items():
            kept = self._without_stale_statuses(run_id) if run_id in stale else None
            self._writer.mark_interrupted(run_id, steps, noticed, interrupted_reason(run_id), kept)
            log.warning("run %s was left in flight by a crash; marked it interrupted", run_id)
        return sorted(unfinished)

    def _without_stale_statuses(self, run_id: str) -> list[Triple]:
        """The run's graph without the statuses that are not final (``running``, ``pending``),
        which graphs written before statuses were stated once hold."""
        rows = queries.select(self._store, "graph_triples", graph=str(run_iri(run_id)))
        return [
            (row["s"], row["p"], row["o"])
            for row in rows
            if not (row["p"] == OL.status and str(row["o"]) in _NOT_FINAL)
        ]

    def resume(self, run_id: str, *, on_event: EventSink | None = None) -> RunRecord:
        """Start a new run that resumes ``run_id`` (interrupted, failed or cancelled).

        It runs the same experiment version with the step cache on, so the steps the earlier
        run finished are reused and only the others run; its graph links back with
        ``ol:resumes``. Raises NotFoundError for an unknown run and RunStateConflict (409) for
        one that runs, succeeded or was already resumed.
        """
        with self._resume_lock:
            details = self._ended_run(run_id, "resumed")
            status = details["status"]
            if status not in RESUMABLE_RUN_STATES:
                raise RunStateConflict(
                    f"run {run_id} already succeeded, so there is nothing to resume; run it "
                    f"again with POST /api/runs/{run_id}/rerun"
                )
            if details.get("resumed_by"):
                later = details["resumed_by"]
                raise RunStateConflict(
                    f"run {run_id} was already resumed by run {later}; follow that one "
                    f"(`ontolab runs show {later}`) and resume it if it did not succeed"
                )
            version = definitions.get_version(
                self._store, details["identifier"], details["version"]
            )
            return self.start(version, use_cache=True, on_event=on_event, resumes=run_id)

    @contextmanager
    def stopped(
        self, experiment: str, timeout: float = STOP_WAIT_SECONDS
    ) -> Iterator[list[RunRecord]]:
        """Cancel the runs of ``experiment`` in flight and wait until they ended; inside the
        block no run of it can start (e.g. while it is deleted). Yields their final records
        (cancelled, or another final state when one ended before the cancel reached it).

        Raises RunStateConflict, before the block runs, when one is still stopping after
        ``timeout`` seconds.
        """
        with self._start_lock:
            if experiment in self._held:
                raise RunStateConflict(
                    f"experiment {experiment!r} is already being deleted; wait for that to end"
                )
            self._held.add(experiment)
            with self._state_lock:
                active = [
                    pair
                    for pair in self._active.values()
                    if pair[0].record.pipeline.identifier == experiment
                ]
        try:
            yield self._stop(active, experiment, timeout)
        finally:
            with self._start_lock:
                self._held.discard(experiment)

    def _stop(
        self,
        active: list[tuple[_Execution, threading.Thread]],
        experiment: str,
        timeout: float,
    ) -> list[RunRecord]:
        for execution, _ in active:
            execution.cancel()
            execution.provisioner.cancel(execution.record.run_id)
        deadline = time.monotonic() + timeout
        for _, thread in active:
            thread.join(max(deadline - time.monotonic(), 0))
        stopping = [execution.record.run_id for execution, t in active if t.is_alive()]
        if stopping:
            raise RunStateConflict(
                f"the runs {', '.join(stopping)} of experiment {experiment!r} were cancelled "
                f"but are still stopping after {timeout:g} s, so nothing was deleted; "
                "delete the experiment again in a moment"
            )
        return [execution.record for execution, _ in active]

    def wait(self, run_id: str, timeout: float | None = None) -> bool:
        """Block until the run ended; False if it still runs after ``timeout`` seconds."""
        with self._state_lock:
            active = self._active.get(run_id)
        if active is None:
            return True
        active[1].join(timeout)
        return not active[1].is_alive()

    def active(self) -> list[RunRecord]:
        with self._state_lock:
            return [execution.record for execution, _ in self._active.values()]

    def cancel(self, run_id: str) -> RunRecord:
        """Stop a running run: no new steps start, running ones are killed.

        Raises NotFoundError for an unknown run and RunStateConflict (409) for one that ended
        (saying how it ended and how to resume it) or that another process runs.
        """
        with self._state_lock:
            active = self._active.get(run_id)
        if active is None:
            details = self._ended_run(run_id, "cancelled")
            raise RunStateConflict(_ended_message(run_id, details))
        active[0].cancel()
        active[0].provisioner.cancel(run_id)
        return active[0].record

    def _ended_run(self, run_id: str, done: str) -> dict[str, Any]:
        """The details of a run this process does not run; NotFoundError if unknown,
        RunStateConflict if it runs here or its graph still says running. ``done``: what
        the caller would do to it, as "cancelled" or "resumed"."""
        with self._state_lock:
            if run_id in self._active:
                raise RunStateConflict(
                    f"run {run_id} is still running, so it cannot be {done} yet; wait for "
                    f"it to end, or cancel it with POST /api/runs/{run_id}/cancel first"
                )
        details = catalog.run_details(self._store, run_id)
        if details["status"] == "running":
            raise RunStateConflict(
                f"run {run_id} reads running but this platform is not running it (another "
                f"platform process on the same store may be); have it {done} there, or restart "
                "this platform alone on the store so that it marks the run interrupted"
            )
        return details

    def _execute(self, execution: _Execution) -> None:
        record = execution.record
        try:
            execution.execute()
        except Exception as exc:  # never leave a run "running" behind a crashed scheduler
            record.error = f"the run stopped unexpectedly: {type(exc).__name__}: {exc}"
        record.compose_file = execution.write_compose(self._artifacts)
        record.ended_at = _now()
        failed = [s for s in record.steps.values() if s.status == "failed"]
        if execution.cancelled:
            record.status = "cancelled"
            record.error = record.error or "cancelled on request"
        elif failed or record.error:
            record.status = "failed"
            if failed:
                record.error = "; ".join(f"step {s.id!r} failed: {_error_text(s)}" for s in failed)
        else:
            record.status = "succeeded"
        self._save(record)
        for hook in self._finished_hooks:
            hook(record)
        with self._state_lock:
            self._active.pop(record.run_id, None)
        execution.emit(RunEvent(record.run_id, None, record.status, record.error or ""))

    def _emitter(self, on_event: EventSink | None) -> EventSink:
        def emit(event: RunEvent) -> None:
            if on_event is not None:
                on_event(event)
            with self._state_lock:
                listeners = list(self._listeners)
            for listener in listeners:
                listener(event)

        return emit

    def _new_record(
        self, pipeline: pipelines.Pipeline, steps_plan: Plan, provisioner: str
    ) -> RunRecord:
        steps = {}
        for step_id in (s for wave in steps_plan.waves for s in wave):
            planned = steps_plan.steps[step_id]
            definition = planned.definition
            steps[step_id] = StepRecord(
                id=step_id,
                phase=planned.phase,
                definition=definition.iri,
                output=definition.produces[0] if definition.produces else None,
                inputs=dict(planned.inputs),
                depends_on=planned.depends_on,
                parameters=self._resolve_dataset(
                    _step_parameters(planned, pipeline.identifier, self._settings.source_roots)
                ),
            )
        return RunRecord(
            run_id=uuid.uuid4().hex[:16],
            pipeline=pipeline,
            provisioner=provisioner,
            started_at=_now(),
            steps=steps,
        )

    def _resolve_dataset(self, parameters: dict[str, Any]) -> dict[str, Any]:
        """Point an extract step reading ``dataset:NAME[@N]`` at the stored file."""
        path = datasets.resolve(self._store, self._artifacts, str(parameters.get("source", "")))
        return parameters if path is None else {**parameters, "source_path": str(path)}

    def _save(self, record: RunRecord) -> None:
        self._writer.write(record)


class _Execution:
    """One run's scheduling loop (kept apart so RunService holds no per-run state)."""

    def __init__(
        self,
        service: RunService,
        provisioner: Provisioner,
        record: RunRecord,
        steps_plan: Plan,
        emit: EventSink,
        cache: StepCache | None,
    ) -> None:
        self.settings = service._settings
        self.provisioner = provisioner
        self.artifact_root = str(service._artifacts.root.resolve())
        self.save = service._save
        self.record = record
        self.plan = steps_plan
        self.emit = emit
        self.cache = cache
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def execute(self) -> None:
        settings = self.settings
        waiting = dict(self.plan.steps)
        running: dict[Future[StepOutcome | None], str] = {}
        with ThreadPoolExecutor(max_workers=settings.max_parallel_steps) as pool:
            while waiting or running:
                if self.cancelled:
                    self._cancel_waiting(waiting)
                for step_id in self._ready(waiting, running):
                    del waiting[step_id]
                    running[pool.submit(self._run_step, self.plan.steps[step_id])] = step_id
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    step_id = running.pop(future)
                    future.result()
                    if self.record.steps[step_id].status != "succeeded":
                        self._skip_dependents(step_id, waiting)

    def _ready(self, waiting: dict[str, PlannedStep], running: dict[Any, str]) -> list[str]:
        limit = self.settings.max_parallel_steps - len(running)
        steps = self.record.steps
        ready = [
            sid
            for sid, planned in waiting.items()
            if all(steps[d].status == "succeeded" for d in planned.depends_on)
        ]
        return sorted(ready)[: max(limit, 0)]

    def _cancel_waiting(self, waiting: dict[str, PlannedStep]) -> None:
        for step_id in sorted(waiting):
            step = self.record.steps[step_id]
            step.status = "cancelled"
            step.skipped_because = "the run was cancelled before this step started"
            self.emit(RunEvent(self.record.run_id, step_id, "cancelled"))
        waiting.clear()
        self.save(self.record)

    def _skip_dependents(self, failed_id: str, waiting: dict[str, PlannedStep]) -> None:
        for step_id in sorted(self.plan.dependents(failed_id)):
            if step_id in waiting:
                del waiting[step_id]
                step = self.record.steps[step_id]
                step.status = "skipped"
                step.skipped_because = f"skipped because step {failed_id!r} did not succeed"
                self.emit(RunEvent(self.record.run_id, step_id, "skipped", step.skipped_because))
        self.save(self.record)

    def _run_step(self, planned: PlannedStep) -> None:
        step = self.record.steps[planned.id]
        if self.cancelled:
            step.status = "cancelled"
            step.skipped_because = "the run was cancelled before this step started"
            return
        spec = self._spec(step)
        hit = self.cache.get(spec) if self.cache else None
        step.started_at = _now()
        if hit is not None:
            step.result, step.cache_hit, step.reused_from = hit.result, True, hit.step_run
            step.ended_at = _now()
            step.status = "succeeded"
            self.emit(
                RunEvent(self.record.run_id, step.id, "succeeded", f"cached from {hit.step_run}")
            )
            self.save(self.record)
            return
        step.status = "running"
        self.emit(RunEvent(self.record.run_id, step.id, "running"))
        self.save(self.record)
        timeout = float(
            planned.definition.resources.get("timeout_seconds", self.settings.step_timeout)
        )
        workdir = self.settings.runs_dir / self.record.run_id / step.id
        outcome = self.provisioner.run_step(spec, workdir, timeout)
        step.result, step.worker = outcome.result, outcome.worker
        step.ended_at = _now()
        step.status = "cancelled" if self.cancelled else outcome.result.status
        if self.cache and step.status == "succeeded":
            self.cache.put(spec, outcome.result, str(step_run_iri(self.record.run_id, step.id)))
        self.emit(RunEvent(self.record.run_id, step.id, step.status, _error_text(step)))
        self.save(self.record)

    def write_compose(self, artifacts: ArtifactStore) -> ArtifactRef | None:
        """The run as a Compose file (``runs/RUN_ID/compose.yaml``), kept as an artifact.

        Covers every step whose inputs are known; never fails the run.
        """
        steps = self.record.steps
        ready = [s for s in steps.values() if all(_has_output(steps[p]) for p in s.inputs.values())]
        ids = {step.id for step in ready}
        known = [
            ComposeStep(self._spec(step), tuple(d for d in step.depends_on if d in ids))
            for step in ready
        ]
        header = (
            f"Ontolab run {self.record.run_id} as a Compose file: one service per step.\n"
            "Reproduce it with `docker-compose up` in this folder (then `docker-compose down`);\n"
            "each step's result.json lands in ./steps/STEP/.\n"
            "The image comes from `ontolab image build`."
        )
        user = f"{os.getuid()}:{os.getgid()}"
        text = to_yaml(compose_document(known, self.settings.runner_image, user), header)
        folder = self.settings.runs_dir / self.record.run_id
        try:
            (folder / "steps").mkdir(parents=True, exist_ok=True)
            (folder / "compose.yaml").write_text(text)
            return artifacts.put(folder / "compose.yaml", "application/yaml")
        except OSError:
            return None

    def _spec(self, step: StepRecord) -> StepSpec:
        inputs: dict[str, ArtifactRef] = {}
        for kind, producer in step.inputs.items():
            result = self.record.steps[producer].result
            assert result is not None, "a step only starts after its inputs succeeded"
            inputs[kind] = next(iter(result.outputs.values()))
        return StepSpec(
            run_id=self.record.run_id,
            step_id=step.id,
            phase=step.phase,
            parameters=step.parameters,
            inputs=inputs,
            artifact_root=self.artifact_root,
            resources=self.plan.steps[step.id].definition.resources,
        )


def _step_parameters(
    planned: PlannedStep, experiment: str, roots: Sequence[Path]
) -> dict[str, Any]:
    parameters = dict(planned.definition.parameters)
    if planned.phase == "build":
        parameters.setdefault("model_name", f"{experiment}-{planned.id}".lower())
    source = parameters.get("source")
    if (
        planned.phase == "extract"
        and isinstance(source, str)
        and definitions.is_file_source(source)
    ):
        # Checked again at run time: a version stored before the data roots, or under other
        # roots, must not read outside them either (DefinitionError before the run exists).
        parameters["source"] = str(definitions.resolve_source(source, roots))
    return parameters


_ENDED = {"interrupted": "was interrupted", "failed": "failed", "cancelled": "was cancelled"}


def _ended_message(run_id: str, details: dict[str, Any]) -> str:
    """Why a run that ended cannot be cancelled, and what to do instead."""
    status = details["status"]
    stamp = details.get("ended")
    ended = f" at {stamp.isoformat(timespec='seconds')}" if isinstance(stamp, datetime) else ""
    if status not in RESUMABLE_RUN_STATES:
        return (
            f"run {run_id} is not running: it already {status}{ended}, so there is nothing to "
            f"cancel; start it again with POST /api/runs/{run_id}/rerun if you need a new run"
        )
    error = INTERRUPTED_WHY if status == "interrupted" else details.get("error")
    why = f" ({error})" if error else ""
    if details.get("resumed_by"):
        later = details["resumed_by"]
        return (
            f"run {run_id} is not running: it {_ENDED[status]}{ended}{why} and run {later} resumed "
            f"it; cancel run {later} instead if it still runs"
        )
    return (
        f"run {run_id} is not running: it {_ENDED[status]}{ended}{why}, so there is nothing to "
        f"cancel; {_resume_hint(run_id)}"
    )


def _has_output(step: StepRecord) -> bool:
    return step.result is not None and bool(step.result.outputs)


def _error_text(step: StepRecord) -> str:
    if step.result is not None and step.result.error is not None:
        return f"{step.result.error.type}: {step.result.error.message}"
    return step.skipped_because or ""


def _now() -> str:
    return datetime.now(UTC).isoformat()
