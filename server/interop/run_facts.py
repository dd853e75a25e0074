"""What an export needs to know about a run, read from the graph: its steps in the run's order,
each with its kind, the parameters its stored definition version gives it, where its inputs
come from, and what the run recorded for it (artifacts, metrics, hyperparameters, estimator
class, library versions, the uploaded dataset version it read)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from server import definitions
from server.definitions import steps as pipelines
from server.definitions.planner import plan
from server.graph import queries
from server.graph.namespaces import OL, run_iri
from server.graph.terms import plain_row
from server.store.base import Store
from server.tracking import catalog


@dataclass(frozen=True)
class StepFacts:
    """One step of a recorded run."""

    id: str
    kind: str  # the phase (extract … validate), or a later step kind's name
    parameters: dict[str, Any]  # as the stored definition version states them
    inputs: dict[str, str]  # input kind → id of the step producing it
    artifacts: dict[str, dict[str, Any]] = field(default_factory=dict)  # kind → sha256, size…
    metrics: dict[str, float] = field(default_factory=dict)
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    estimator_class: str | None = None
    library_versions: dict[str, str] = field(default_factory=dict)
    dataset_version: dict[str, Any] | None = None  # name, number, sha256, size
    # A code step's: the bundle it used (sha256, size), the function it called, its requirements.
    code_bundle: dict[str, Any] | None = None
    code_function: str | None = None
    requirements: tuple[str, ...] = ()
    # An AutoML step's best trial: number, estimator (its name), estimator_class, params.
    best_trial: dict[str, Any] | None = None
    # A container step's: the image its command ran, by ID (``sha256:…``), and its registry
    # digests (``name@sha256:…``) when it came from one.
    image_digest: str | None = None
    repo_digests: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunFacts:
    run_id: str
    status: str
    experiment: str
    version: int
    task: str
    steps: tuple[StepFacts, ...]  # in the order the run's plan gives (producers first)


def read_run(store: Store, run_id: str) -> RunFacts:
    """The facts of run ``run_id``; NotFoundError (with the fix) when there is no such run."""
    details = catalog.run_details(store, run_id)
    version = definitions.get_version(store, details["identifier"], details["version"])
    pipeline = pipelines.load_pipeline(store, version)
    steps_plan = plan(pipeline, pipelines.step_types(store))
    recorded = _recorded(store, run_id, details)
    order = [step_id for wave in steps_plan.waves for step_id in wave]
    steps = []
    for step_id in order:
        planned = steps_plan.steps[step_id]
        steps.append(
            StepFacts(
                id=step_id,
                kind=_kind(planned.phase, planned.definition.types),
                parameters=dict(planned.definition.parameters),
                inputs=dict(planned.inputs),
                **recorded.get(step_id, {}),
            )
        )
    return RunFacts(
        run_id=run_id,
        status=str(details["status"]),
        experiment=pipeline.identifier,
        version=version.number,
        task=pipeline.task,
        steps=tuple(steps),
    )


#: Step classes that run as a phase but export as their own kind (``generators.GENERATORS``).
KIND_OF_CLASS = {str(OL.AutoML): "automl"}


def _kind(phase: str, types: tuple[str, ...]) -> str:
    return next((KIND_OF_CLASS[t] for t in types if t in KIND_OF_CLASS), phase)


def _recorded(store: Store, run_id: str, details: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What the run recorded, by step id, as keyword arguments of ``StepFacts``."""
    found: dict[str, dict[str, Any]] = {}

    def step(step_id: str) -> dict[str, Any]:
        return found.setdefault(
            step_id, {"artifacts": {}, "metrics": {}, "hyperparameters": {}, "library_versions": {}}
        )

    for row in details["artifacts"]:
        step(row["step_id"])["artifacts"][row["kind"]] = {
            key: row[key] for key in ("sha256", "size", "media_type")
        }
    for row in details["metrics"]:
        step(row["step_id"])["metrics"][row["metric"]] = float(row["value"])
    for row in details["hyperparameters"]:
        step(row["step_id"])["hyperparameters"][row["name"]] = row["value"]
    run = str(run_iri(run_id))
    for row in map(plain_row, queries.select(store, "run_estimators", run=run)):
        step(row["step_id"])["estimator_class"] = str(row["estimator_class"])
    for row in map(plain_row, queries.select(store, "run_library_versions", run=run)):
        name, _, number = str(row["library_version"]).partition(" ")
        step(row["step_id"])["library_versions"][name] = number
    for row in map(plain_row, queries.select(store, "run_dataset_versions", run=run)):
        step(row["step_id"])["dataset_version"] = {
            key: row[key] for key in ("name", "number", "sha256", "size")
        }
    for row in map(plain_row, queries.select(store, "run_code_steps", run=run)):
        code = step(row["step_id"])
        code["code_bundle"] = {"sha256": str(row["sha256"]), "size": row.get("size")}
        if row.get("code_function") is not None:
            code["code_function"] = str(row["code_function"])
        if row.get("requirement") is not None:
            code["requirements"] = (*code.get("requirements", ()), str(row["requirement"]))
    for row in map(plain_row, queries.select(store, "run_best_trials", run=run)):
        best = step(row["step_id"]).setdefault("best_trial", {"params": {}})
        best |= {k: row.get(k) for k in ("number", "estimator", "estimator_class")}
        if row.get("name") is not None:
            best["params"][str(row["name"])] = row.get("value")
    for row in map(plain_row, queries.select(store, "run_container_images", run=run)):
        image = step(row["step_id"])
        image["image_digest"] = str(row["image_digest"])
        if row.get("repo_digest") is not None:
            image["repo_digests"] = (*image.get("repo_digests", ()), str(row["repo_digest"]))
    return found
