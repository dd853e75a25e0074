"""The in-memory state of a run while it executes; ``tracking.results`` turns it into triples."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from executor.contract import ArtifactRef, StepResult
from server.definitions.steps import Pipeline

FINAL_STEP_STATES = ("succeeded", "failed", "skipped", "cancelled", "interrupted")
FINAL_RUN_STATES = ("succeeded", "failed", "cancelled", "interrupted")
#: Final states a run can be resumed from: it ended without succeeding.
RESUMABLE_RUN_STATES = ("interrupted", "failed", "cancelled")


@dataclass
class StepRecord:
    id: str
    phase: str
    definition: str  # IRI of the step in the definition
    output: str | None  # IRI of the node the definition says it produces
    inputs: dict[str, str]  # input kind → producing step id
    depends_on: tuple[str, ...]
    # pending | running | succeeded | failed | skipped | cancelled | interrupted
    status: str = "pending"
    started_at: str | None = None
    ended_at: str | None = None
    result: StepResult | None = None
    cache_hit: bool = False
    reused_from: str | None = None
    worker: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    skipped_because: str | None = None
    # The uploaded dataset version an extract step reads (``dataset:NAME[@N]`` resolved when the
    # run was made): its IRI, which the step run ``prov:used`` and its dataset derives from.
    dataset_version: str | None = None


@dataclass
class RunRecord:
    run_id: str
    pipeline: Pipeline
    provisioner: str
    started_at: str
    steps: dict[str, StepRecord]
    # running | succeeded | failed | cancelled | interrupted (stated at start-up after a crash,
    # never by a running process: see RunService.reconcile)
    status: str = "running"
    ended_at: str | None = None
    error: str | None = None
    compose_file: ArtifactRef | None = None  # the run as a Compose file (server.provision.compose)
    resumes: str | None = None  # the id of the run this one resumes (ol:resumes)
    # Who started it: the agent's IRI (prov:wasAssociatedWith: a user's agent, or the platform
    # for a trigger) and the trigger that fired it (prov:wasStartedBy); None: not known.
    started_by: str | None = None
    trigger: str | None = None
    # What the user should know that did not stop the run (ol:warning), known at its start:
    # e.g. limits its provisioner cannot enforce (server.provision.base.unenforced_limits).
    warnings: list[str] = field(default_factory=list)


def as_started(record: RunRecord) -> RunRecord:
    """``record`` as it was first saved, when its run started: no step begun, nothing ended.
    (For rebuilding a run's start graph from a finished record, as the store benchmark does.)"""
    steps = {
        key: StepRecord(
            s.id,
            s.phase,
            s.definition,
            s.output,
            dict(s.inputs),
            s.depends_on,
            dataset_version=s.dataset_version,
        )
        for key, s in record.steps.items()
    }
    return replace(
        record, steps=steps, status="running", ended_at=None, error=None, compose_file=None
    )
