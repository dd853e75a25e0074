"""Running one run: its plan's waves through a provisioner, cancelling it, and ending the runs a
crash left in flight.

Steps start as soon as every step they depend on has succeeded (at most
``max_parallel_steps`` at once), so independent steps of a wave run in parallel. A failed step
marks everything downstream of it skipped and the run failed. Each state change is saved
through the run writer, which adds what is new to the run's graph (a run graph only grows:
``server.tracking.results``).

A run's state lives in its graph, so a crash (kill -9, power loss) leaves the runs it was
running reading ``running``. ``reconcile`` marks them ``interrupted`` (run and unfinished step
runs, with the time and why), by addition; ``RunService.resume`` then runs such a run again as
a new run that ``ol:resumes`` it, its finished steps served by the step cache.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from executor.contract import (
    AUTOML_CANDIDATES,
    CHECK_PHASE,
    CODE_BUNDLE_INPUT,
    CODE_PHASE,
    CONTAINER_PHASE,
    REFERENCE_INPUT,
    ArtifactRef,
    StepSpec,
)
from server import datasets, definitions
from server.definitions import steps as pipelines
from server.definitions.estimators import TASKS, for_settings
from server.definitions.planner import Plan, PlannedStep
from server.errors import PlanError
from server.graph import queries
from server.graph.clock import utc_now
from server.graph.namespaces import OL, run_iri, step_run_iri
from server.provision.base import Provisioner, StepOutcome, unenforced_limits
from server.provision.compose import ComposeStep, compose_document, to_yaml
from server.runs.cache import StepCache
from server.settings import Settings
from server.store.base import Store, Triple
from server.tracking.artifacts import ArtifactStore
from server.tracking.records import RunRecord, StepRecord
from server.tracking.trials import with_trials
from server.tracking.writer import RunWriter

log = logging.getLogger(__name__)

#: Statuses graphs written before statuses were stated once may hold for a run in flight.
_NOT_FINAL = ("running", "queued", "pending")

INTERRUPTED_WHY = "the platform stopped while the run was in flight (noticed when it started again)"


def resume_hint(run_id: str) -> str:
    """How to go on with a run that ended without succeeding."""
    return f"resume it with `ontolab runs resume {run_id}` or POST /api/runs/{run_id}/resume"


def interrupted_reason(run_id: str) -> str:
    """Why a run reads ``interrupted``, and how to go on (its ``ol:errorMessage``)."""
    return f"{INTERRUPTED_WHY}; {resume_hint(run_id)}"


@dataclass(frozen=True)
class RunEvent:
    """A state change, for progress output and live streams."""

    run_id: str
    step_id: str | None  # None for the run itself
    status: str
    detail: str = ""


EventSink = Callable[[RunEvent], None]


def new_record(
    settings: Settings,
    store: Store,
    artifacts: ArtifactStore,
    pipeline: pipelines.Pipeline,
    steps_plan: Plan,
    provisioner: Provisioner,
) -> RunRecord:
    """A new run's record: every step of ``steps_plan`` pending, with its parameters resolved
    (file sources inside the data roots, ``dataset:`` sources to the stored file), and a warning
    for each resource limit ``provisioner`` cannot enforce."""
    _check_container_steps(steps_plan, provisioner)
    steps = {}
    for step_id in (s for wave in steps_plan.waves for s in wave):
        planned = steps_plan.steps[step_id]
        definition = planned.definition
        parameters = _step_parameters(planned, pipeline.identifier, settings)
        if planned.phase == CODE_PHASE:
            _code_parameters(parameters, pipeline, planned.id)
        if planned.phase == CHECK_PHASE:  # its reference model → the profile, by the graph
            datasets.resolve_reference(store, artifacts, planned.id, parameters)
        uploaded = datasets.resolve_version(store, str(parameters.get("source", "")))
        if uploaded is not None:  # read the stored file; lineage links the version node
            parameters["source_path"] = str(artifacts.path(uploaded.sha256))
        steps[step_id] = StepRecord(
            id=step_id,
            phase=planned.phase,
            definition=definition.iri,
            output=definition.produces[0] if definition.produces else None,
            inputs=dict(planned.inputs),
            depends_on=planned.depends_on,
            parameters=parameters,
            dataset_version=None if uploaded is None else uploaded.iri,
        )
    run_id = uuid.uuid4().hex[:16]
    resources = {sid: planned.definition.resources for sid, planned in steps_plan.steps.items()}
    warnings = unenforced_limits(provisioner, resources)
    for warning in warnings:
        log.info("run %s: %s", run_id, warning)  # recorded with the run; the CLI prints it
    return RunRecord(
        run_id=run_id,
        pipeline=pipeline,
        provisioner=provisioner.name,
        started_at=utc_now(),
        steps=steps,
        warnings=warnings,
    )


def _step_parameters(planned: PlannedStep, experiment: str, settings: Settings) -> dict[str, Any]:
    parameters = dict(planned.definition.parameters)
    if planned.phase == "build":
        parameters.setdefault("model_name", f"{experiment}-{planned.id}".lower())
        if str(OL.AutoML) in planned.definition.types:
            _resolve_candidates(parameters, settings)
        else:
            _resolve_estimator(parameters, settings)
    source = parameters.get("source")
    if (
        planned.phase == "extract"
        and isinstance(source, str)
        and definitions.is_file_source(source)
    ):
        # Checked again at run time: a version stored before the data roots, or under other
        # roots, must not read outside them either (DefinitionError before the run exists).
        parameters["source"] = str(definitions.resolve_source(source, settings.source_roots))
    return parameters


def _check_container_steps(steps_plan: Plan, provisioner: Provisioner) -> None:
    """PlanError before the run exists when a container step cannot run here."""
    found = sorted(s for s, p in steps_plan.steps.items() if p.phase == CONTAINER_PHASE)
    if found and not getattr(provisioner, "supports_container_steps", False):
        raise PlanError(
            f"container steps ({', '.join(found)}) run under the docker and swarm provisioners "
            f'only, not under {provisioner.name}; set ol:provisioner "docker" (or "swarm") on '
            "the experiment (or ONTOLAB_PROVISIONER=docker), or make them ol:CodeStep"
        )


def _code_parameters(parameters: dict[str, Any], pipeline: pipelines.Pipeline, step: str) -> None:
    """What a code step's run depends on besides its inputs, in its parameters so the step
    cache keys on it: the bundle's sha256 and the declared requirements (always a list)."""
    if pipeline.code_bundle is not None:
        parameters["code_bundle"] = pipeline.code_bundle.sha256
    declared = parameters.get("requirement", [])
    parameters["requirement"] = sorted(declared if isinstance(declared, list) else [declared])
    if parameters.get("output_kind") == "model":
        parameters.setdefault("model_name", f"{pipeline.identifier}-{step}".lower())


def _resolve_estimator(parameters: dict[str, Any], settings: Settings) -> None:
    """Give the build step the allow-list entry of its ``ol:estimator``: the one thing it
    imports. Checked again at run time (a version stored under other settings must not name an
    estimator these settings do not allow): DefinitionError before the run exists."""
    name, task = parameters.get("estimator"), parameters.get("task")
    if not isinstance(name, str) or task not in TASKS:
        return  # SHACL refused it at submission; the step reports it if it ever gets here
    parameters["estimator_import"] = for_settings(settings).resolve(name, str(task)).entry


def _resolve_candidates(parameters: dict[str, Any], settings: Settings) -> None:
    """Mark an AutoML step for the build phase and give it its candidates' allow-list entries
    (``ol:candidateEstimator``, else the default candidates the allow-list holds): an unknown
    candidate or one of the other task is a DefinitionError before the run exists."""
    task = parameters.get("task")
    if task not in TASKS:
        return  # SHACL refused it at submission; the step reports it if it ever gets here
    allowed = for_settings(settings)
    named = parameters.get("candidate_estimator")
    if named is None:
        names = [n for n in AUTOML_CANDIDATES[str(task)] if n in allowed.names(str(task))]
    else:
        names = [str(n) for n in (named if isinstance(named, list) else [named])]
    parameters["automl"] = True
    parameters["automl_candidates"] = {
        name: allowed.resolve(name, str(task), "ol:candidateEstimator").entry for name in names
    }


class Execution:
    """One run's scheduling loop (kept apart so RunService holds no per-run state)."""

    def __init__(
        self,
        settings: Settings,
        provisioner: Provisioner,
        artifacts: ArtifactStore,
        record: RunRecord,
        steps_plan: Plan,
        emit: EventSink,
        cache: StepCache | None,
        save: Callable[[RunRecord], None],
    ) -> None:
        self.settings = settings
        self.provisioner = provisioner
        self.artifacts = artifacts
        self.artifact_root = str(artifacts.root.resolve())
        self.save = save
        self.record = record
        self.plan = steps_plan
        self.emit = emit
        self.cache = cache
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def run(self) -> None:
        """Run every step, then state how the run ended and save it; never raises, so a run
        never stays ``running`` behind a crashed scheduler (whose traceback is logged)."""
        record = self.record
        try:
            self.execute()
        except Exception as exc:
            log.exception("the scheduler of run %s crashed; marked the run failed", record.run_id)
            record.error = f"the run stopped unexpectedly: {type(exc).__name__}: {exc}"
        record.compose_file = self.write_compose()
        record.ended_at = utc_now()
        failed = [s for s in record.steps.values() if s.status == "failed"]
        if self.cancelled:
            record.status = "cancelled"
            record.error = record.error or "cancelled on request"
        elif failed or record.error:
            record.status = "failed"
            if failed:
                record.error = "; ".join(f"step {s.id!r} failed: {error_text(s)}" for s in failed)
        else:
            record.status = "succeeded"
        self.save(record)

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
        step.started_at = utc_now()
        if hit is not None:
            step.result, step.cache_hit, step.reused_from = hit.result, True, hit.step_run
            step.ended_at = utc_now()
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
        step.result, step.worker = with_trials(outcome.result, workdir), outcome.worker
        step.ended_at = utc_now()
        step.status = "cancelled" if self.cancelled else outcome.result.status
        if self.cache and step.status == "succeeded":
            self.cache.put(spec, outcome.result, str(step_run_iri(self.record.run_id, step.id)))
        self.emit(RunEvent(self.record.run_id, step.id, step.status, error_text(step)))
        self.save(self.record)

    def write_compose(self) -> ArtifactRef | None:
        """The run as a Compose file (``runs/RUN_ID/compose.yaml``), kept as an artifact.

        Covers every step whose inputs are known; never fails the run.
        """
        steps = self.record.steps
        ready = [
            s
            for s in steps.values()
            # A container step runs the author's image, which a runner service cannot stand for.
            if s.phase != CONTAINER_PHASE and all(_has_output(steps[p]) for p in s.inputs.values())
        ]
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
            return self.artifacts.put(folder / "compose.yaml", "application/yaml")
        except OSError:
            return None

    def _spec(self, step: StepRecord) -> StepSpec:
        inputs: dict[str, ArtifactRef] = {}
        for kind, producer in step.inputs.items():
            result = self.record.steps[producer].result
            assert result is not None, "a step only starts after its inputs succeeded"
            # a producer's output of that kind (a build also stores its reference profile),
            # else its one output (a code step's declared kind)
            inputs[kind] = result.outputs.get(kind) or next(iter(result.outputs.values()))
        bundle = self.record.pipeline.code_bundle
        if step.phase == CODE_PHASE and bundle is not None:
            inputs[CODE_BUNDLE_INPUT] = bundle  # read like any input (swarm fetches it)
        reference = step.parameters.get(REFERENCE_INPUT)
        if step.phase == CHECK_PHASE and isinstance(reference, dict):
            inputs[REFERENCE_INPUT] = ArtifactRef.from_json(reference)  # resolved in new_record
        return StepSpec(
            run_id=self.record.run_id,
            step_id=step.id,
            phase=step.phase,
            parameters=step.parameters,
            inputs=inputs,
            artifact_root=self.artifact_root,
            resources=self.plan.steps[step.id].definition.resources,
        )


def reconcile(store: Store, writer: RunWriter, running_here: set[str]) -> list[str]:
    """Mark the runs a crash left in flight ``interrupted``, by addition; return their ids.

    A run whose graph states no final status and that is not in ``running_here`` is taken for
    one no process runs (``RunService.reconcile`` says when that holds). Its unfinished step
    runs are marked too.
    """
    unfinished: dict[str, dict[str, bool]] = {}
    stale: set[str] = set()
    for row in queries.select(store, "runs_in_flight"):
        run_id = str(row["run_id"])
        if run_id in running_here:
            continue
        steps = unfinished.setdefault(run_id, {})
        if row.get("step_run") is not None:
            steps[str(row["step_run"])] = row.get("started") is not None
        if row.get("stated") is not None:
            stale.add(run_id)
    noticed = utc_now()
    for run_id, steps in unfinished.items():
        kept = _without_stale_statuses(store, run_id) if run_id in stale else None
        writer.mark_interrupted(run_id, steps, noticed, interrupted_reason(run_id), kept)
        log.warning("run %s was left in flight by a crash; marked it interrupted", run_id)
    return sorted(unfinished)


def _without_stale_statuses(store: Store, run_id: str) -> list[Triple]:
    """The run's graph without the statuses that are not final (``running``, ``pending``),
    which graphs written before statuses were stated once hold."""
    rows = queries.select(store, "graph_triples", graph=str(run_iri(run_id)))
    return [
        (row["s"], row["p"], row["o"])
        for row in rows
        if not (row["p"] == OL.status and str(row["o"]) in _NOT_FINAL)
    ]


def _has_output(step: StepRecord) -> bool:
    return step.result is not None and bool(step.result.outputs)


def error_text(step: StepRecord) -> str:
    """What went wrong with a step (its error, or why it was skipped), or ""."""
    if step.result is not None and step.result.error is not None:
        return f"{step.result.error.type}: {step.result.error.message}"
    return step.skipped_because or ""
