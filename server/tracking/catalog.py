"""Reading recorded runs back from the graph: lists, details, metrics, lineage."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rdflib.term import Node

from server.definitions.steps import local_name
from server.errors import NotFoundError, QueryError
from server.graph import queries
from server.graph.namespaces import agent_user, metric_property, run_iri
from server.graph.terms import plain_row
from server.store.base import ReadableStore

_RUN_ID = re.compile(r"[0-9a-f]{16}(?:[0-9a-f]{16})?")  # 32: a tracked run's (MLflow's)


@dataclass(frozen=True)
class LineageGraph:
    """Nodes and edges ready to draw: ``nodes[iri] = {kind, label, sha256}``."""

    root: str
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # (from, relation, to)


def list_runs(store: ReadableStore, experiment: str | None = None) -> list[dict[str, Any]]:
    rows = [plain_row(r) for r in queries.select(store, "runs")]
    return [r for r in rows if experiment is None or r["identifier"] == experiment]


def run_details(store: ReadableStore, run_id: str) -> dict[str, Any]:
    """Everything recorded about one run: summary, steps, metrics, hyperparameters, artifacts,
    models, ``warnings`` (what did not stop it but its user should know, with the fix), the
    threshold checks its validate steps made and the registry versions registered from it."""
    if not _RUN_ID.fullmatch(run_id):
        raise NotFoundError(f"{run_id!r} is not a run id; list runs with `ontolab runs list`")
    run = str(run_iri(run_id))
    summary = queries.select(store, "run_summary", run=run)
    if not summary:
        raise NotFoundError(f"no run {run_id!r}; list runs with `ontolab runs list`")
    waits_for = _dependencies(store, run)
    head = plain_row(summary[0])
    user = agent_user(head.get("started_by_agent"))
    return {
        **head,
        **({"started_by": user} if user else {}),
        "steps": [
            _with_duration(plain_row(r)) | {"depends_on": waits_for.get(str(r["step_id"]), [])}
            for r in queries.select(store, "run_steps", run=run)
        ],
        "metrics": [plain_row(r) for r in queries.select(store, "run_metrics", run=run)],
        "hyperparameters": [
            plain_row(r) for r in queries.select(store, "run_hyperparameters", run=run)
        ],
        "artifacts": [plain_row(r) for r in queries.select(store, "run_artifacts", run=run)],
        "models": [plain_row(r) for r in queries.select(store, "run_models", run=run)],
        "warnings": [str(r["warning"]) for r in queries.select(store, "run_warnings", run=run)],
        "thresholds": [
            plain_row(r) for r in queries.select(store, "run_threshold_checks", run=run)
        ],
        "model_versions": [
            plain_row(r) for r in queries.select(store, "run_model_versions", run=run)
        ],
    }


def _dependencies(store: ReadableStore, run: str) -> dict[str, list[str]]:
    """The ids of the steps each step of the run waits for (its plan's edges), sorted."""
    found: dict[str, set[str]] = {}
    for row in queries.select(store, "run_step_dependencies", run=run):
        found.setdefault(local_name(str(row["step"])), set()).add(
            local_name(str(row["dependency"]))
        )
    return {step: sorted(ids) for step, ids in found.items()}


def _with_duration(step: dict[str, Any]) -> dict[str, Any]:
    """A step row with its duration in seconds, when it has started and ended."""
    if isinstance(step.get("started"), datetime) and isinstance(step.get("ended"), datetime):
        step["duration"] = round((step["ended"] - step["started"]).total_seconds(), 6)
    return step


def artifact_download(store: ReadableStore, sha256: str) -> tuple[str, str]:
    """The media type recorded for the artifact with checksum ``sha256`` and a file name stem
    to download it as (``KIND-CHECKSUM12``); octet-stream and the bare checksum prefix when no
    run recorded it."""
    rows = queries.select(store, "artifact_by_checksum", sha256=sha256)
    if not rows:
        return "application/octet-stream", sha256[:12]
    return str(rows[0]["media_type"]), f"{rows[0]['kind']}-{sha256[:12]}"


def measure_directions(store: ReadableStore) -> dict[str, bool]:
    """Every evaluation measure the ontology knows, and whether higher values are better."""
    return {
        row["name"]: row["higher_is_better"]
        for row in map(plain_row, queries.select(store, "measures"))
    }


def leaderboard(
    store: ReadableStore,
    experiment: str,
    metric: str,
    limit: int = 10,
    directions: dict[str, bool] | None = None,
    higher_is_better: bool | None = None,
) -> list[dict[str, Any]]:
    """The best runs of an experiment (all versions) by one metric, best first: highest or
    lowest as ``higher_is_better`` says, else as the measure says (``directions``, from
    ``measure_directions`` when not given); a metric the ontology does not know (one a tracked
    run logged) needs ``higher_is_better``. Rows: run, run_id, value."""
    if higher_is_better is None:
        directions = measure_directions(store) if directions is None else directions
        if metric not in directions:
            raise QueryError(
                f"no measure {metric!r} in the ontology says which way is better (it knows "
                f"{', '.join(sorted(directions))}); for a metric your own code logged, add "
                "order=desc (higher is better) or order=asc (lower is better)"
            )
        higher_is_better = directions[metric]
    name = "leaderboard" if higher_is_better else "leaderboard_lowest"
    rows = queries.select(
        store, name, experiment=experiment, metric=str(metric_property(metric)), limit=limit
    )
    return [plain_row(row) for row in rows]


def resolve_model(store: ReadableStore, reference: str) -> str:
    """The IRI of a model given by name (newest successful run), run id, or IRI."""
    if reference.startswith(("http://", "https://")):
        return reference
    if _RUN_ID.fullmatch(reference):
        models = queries.select(store, "run_models", run=str(run_iri(reference)))
        if models:
            return str(models[0]["model"])
    found = queries.select(store, "model_by_name", name=reference)
    if not found:
        raise NotFoundError(
            f"no model named {reference!r} from a successful run; check `ontolab runs list` "
            "or pass a run id"
        )
    return str(found[0]["model"])


def lineage(store: ReadableStore, entity: str) -> LineageGraph:
    """The provenance of ``entity`` back to its source dataset, as nodes and edges."""
    graph = LineageGraph(root=entity)
    for row in queries.select(store, "lineage_nodes", entity=entity):
        graph.nodes[str(row["node"])] = {
            key: _text(row.get(key)) for key in ("kind", "label", "sha256")
        }
    for row in queries.select(store, "lineage", entity=entity):
        graph.edges.append((str(row["node"]), _local(row["relation"]), str(row["target"])))
    graph.edges.sort()
    if len(graph.nodes) <= 1 and not graph.edges:
        raise NotFoundError(f"nothing is recorded about <{entity}>; is it a model or dataset IRI?")
    return graph


def _text(term: Node | None) -> str | None:
    return None if term is None else str(term)


def _local(term: Node) -> str:
    return "prov:" + str(term).rsplit("#", 1)[-1]
