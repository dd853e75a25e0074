"""Run lifecycle: ``RunService`` plans a stored version and starts it, lists, waits for, cancels
and resumes runs, and stops an experiment's runs before it is deleted.

Running a run (its waves through a provisioner, cancelling, ending it) is the scheduler's
(``server.runs.scheduler``), one ``Execution`` per run on a thread of its own. ``reconcile``,
called by ``open_platform`` before anything starts, marks the runs a crash left in flight
``interrupted``; ``resume`` runs such a run again as a new run that ``ol:resumes`` it, its
finished steps served by the step cache. A new run rather than the same id: a run graph only
grows and states its status once (``tracking.results``), so the interrupted one keeps its
record and the new one says what it resumed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from rdflib import Graph

from server import definitions
from server.definitions import ExperimentVersion
from server.definitions import steps as pipelines
from server.definitions.estimators import AllowList
from server.definitions.planner import Plan, plan
from server.errors import RunStateConflict
from server.provision import ProvisionerPool
from server.provision.base import Provisioner
from server.runs import scheduler
from server.runs.cache import StepCache
from server.runs.scheduler import (
    INTERRUPTED_WHY,
    EventSink,
    Execution,
    RunEvent,
    interrupted_reason,
    resume_hint,
)
from server.settings import Settings
from server.store import open_store
from server.store.base import Store
from server.tracking import catalog
from server.tracking.artifacts import ArtifactStore
from server.tracking.records import RESUMABLE_RUN_STATES, RunRecord
from server.tracking.writer import RunWriter

#: Re-exported: callers of the lifecycle (the API, the CLI) follow runs through these.
__all__ = [
    "EventSink",
    "RunEvent",
    "RunService",
    "check_definition",
    "interrupted_reason",
    "plan_version",
]

#: How long deleting an experiment waits for its cancelled runs to stop before it gives up.
STOP_WAIT_SECONDS = 30.0

log = logging.getLogger(__name__)


def plan_version(store: Store, version: ExperimentVersion) -> tuple[pipelines.Pipeline, Plan]:
    """Read and check the version's steps; raises PlanError before anything runs."""
    pipeline = pipelines.load_pipeline(store, version)
    return pipeline, plan(pipeline, pipelines.step_types(store))


def check_definition(
    graph: Graph, roots: Sequence[Path] | None = None, estimators: AllowList | None = None
) -> tuple[ExperimentVersion, pipelines.Pipeline, Plan]:
    """Validate and plan a definition in a scratch in-memory store: nothing is kept.

    ``roots``: the data roots file sources must resolve into (``Settings.source_roots``);
    ``estimators``: the allow-list ``ol:estimator`` names one of (``Platform.estimators``).
    """
    store = open_store("oxigraph:memory")
    try:
        definitions.ensure_ontology(store)
        version = definitions.submit(store, graph, roots, estimators).version
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
        self._active: dict[str, tuple[Execution, threading.Thread]] = {}
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
        started_by: str | None = None,
    ) -> RunRecord:
        """Run ``version`` to the end and return its final record."""
        record = self.start(version, use_cache=use_cache, on_event=on_event, started_by=started_by)
        self.wait(record.run_id)
        return record

    def start(
        self,
        version: ExperimentVersion,
        *,
        use_cache: bool | None = None,
        on_event: EventSink | None = None,
        resumes: str | None = None,
        started_by: str | None = None,
        trigger: str | None = None,
    ) -> RunRecord:
        """Plan ``version`` and start running it in the background; return its record at once.

        Planning errors are raised here, before a run exists. ``resumes`` is the id of the run
        this one resumes (``resume``); ``started_by`` the IRI of the agent that asked for it
        (``prov:wasAssociatedWith``), ``trigger`` the IRI of the trigger that fired it
        (``prov:wasStartedBy``).
        """
        pipeline, steps_plan = self.plan(version)
        provisioner = self._provisioners.get(pipeline.provisioner)  # ConfigError before a run
        record = scheduler.new_record(
            self._settings, self._store, self._artifacts, pipeline, steps_plan, provisioner
        )
        record.resumes = resumes
        record.started_by, record.trigger = started_by, trigger
        use_cache = self._settings.step_cache if use_cache is None else use_cache
        emit = self._emitter(on_event)
        cache = self._cache if use_cache else None
        execution = Execution(
            self._settings,
            provisioner,
            self._artifacts,
            record,
            steps_plan,
            emit,
            cache,
            self._save,
        )
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
        return scheduler.reconcile(self._store, self._writer, running_here)

    def resume(
        self, run_id: str, *, on_event: EventSink | None = None, started_by: str | None = None
    ) -> RunRecord:
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
            return self.start(
                version, use_cache=True, on_event=on_event, resumes=run_id, started_by=started_by
            )

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
        active: list[tuple[Execution, threading.Thread]],
        experiment: str,
        timeout: float,
    ) -> list[RunRecord]:
        for execution, _ in active:
            self._cancel(execution)
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
        self._cancel(active[0])
        return active[0].record

    def _cancel(self, execution: Execution) -> None:
        """Start no more steps of the run and stop its running ones."""
        execution.cancel()
        run_id = execution.record.run_id
        execution.provisioner.cancel(run_id)
        with self._state_lock:
            ended = run_id not in self._active
        if ended:  # it ended meanwhile, its end_run perhaps first: forget the cancel mark
            execution.provisioner.end_run(run_id)

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

    def _execute(self, execution: Execution) -> None:
        record = execution.record
        execution.run()  # saves the final record; never raises
        for hook in self._finished_hooks:
            hook(record)
        with self._state_lock:
            self._active.pop(record.run_id, None)
        execution.provisioner.end_run(record.run_id)
        execution.emit(RunEvent(record.run_id, None, record.status, record.error or ""))

    def _emitter(self, on_event: EventSink | None) -> EventSink:
        def emit(event: RunEvent) -> None:
            with self._state_lock:
                listeners = list(self._listeners)
            for sink in ([on_event] if on_event is not None else []) + listeners:
                _deliver(sink, event)

        return emit

    def _save(self, record: RunRecord) -> None:
        self._writer.write(record)


def _deliver(sink: EventSink, event: RunEvent) -> None:
    """Hand ``event`` to one sink; a sink that fails never affects the run or the other sinks.

    Sinks only watch (a terminal printing progress whose reader went away, a closed stream):
    a run must end the same whether or not anyone could be told about it.
    """
    try:
        sink(event)
    except Exception:
        log.warning("an event sink failed on run %s; the run goes on", event.run_id, exc_info=True)


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
        f"cancel; {resume_hint(run_id)}"
    )
