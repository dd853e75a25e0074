"""Read a stored definition version into plain step records, through the named queries.

Everything the planner and the runner know about a definition comes from here, so the graph
stays the single source of truth: step types map to phases through the ontology, parameters
are the literals of properties the ontology declares as ``ol:stepParameter``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from rdflib.term import Node

from executor.contract import CODE_BUNDLE_MEDIA_TYPE, ArtifactRef
from server.definitions import ExperimentVersion
from server.errors import DefinitionError
from server.graph import queries
from server.graph.standard_types import ontology_types
from server.graph.terms import python_value
from server.store.base import ReadableStore


@dataclass(frozen=True)
class StepDefinition:
    """One step as the definition states it (not yet checked: see ``planner``)."""

    iri: str
    id: str
    types: tuple[str, ...]
    phase: str | None
    produces: tuple[str, ...]
    depends_on: tuple[str, ...] = ()
    consumes: dict[str, str | None] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Pipeline:
    """The steps of one experiment version."""

    version: ExperimentVersion
    experiment: str
    identifier: str
    task: str
    label: str | None
    steps: tuple[StepDefinition, ...]
    provisioner: str | None = None  # ol:provisioner on the experiment: local, docker, swarm
    # The code bundle the version was submitted with (ol:codeBundle): what code steps run.
    code_bundle: ArtifactRef | None = None


@dataclass(frozen=True)
class StepType:
    iri: str
    label: str
    phase: str | None


def step_types(store: ReadableStore) -> list[StepType]:
    """The step classes the ontology declares, with their phases."""
    return [
        StepType(
            str(r["type"]),
            str(r.get("label", local_name(str(r["type"])))),
            _str_or_none(r.get("phase")),
        )
        for r in queries.select(store, "step_types")
    ]


def load_pipeline(store: ReadableStore, version: ExperimentVersion) -> Pipeline:
    """Read the steps, their order-giving links, parameters and resources of ``version``."""
    graph = str(version.graph)
    experiment_rows = queries.select(store, "pipeline_experiment", graph=graph)
    if len(experiment_rows) != 1:
        raise DefinitionError(f"version {version.iri} does not hold exactly one experiment")
    head = experiment_rows[0]
    task = str(head["task"])
    steps = _steps(store, graph)
    depends = _pairs(queries.select(store, "pipeline_dependencies", graph=graph), "dependency")
    consumes: dict[str, dict[str, str | None]] = defaultdict(dict)
    for row in queries.select(store, "pipeline_dataflow", graph=graph):
        consumes[str(row["step"])][str(row["input"])] = _str_or_none(row.get("producer"))
    parameters = _parameters(store, graph, task)
    resources = _resources(store, graph)
    return Pipeline(
        version=version,
        experiment=str(head["experiment"]),
        identifier=str(head["identifier"]),
        task=task,
        label=_str_or_none(head.get("label")),
        provisioner=_str_or_none(head.get("provisioner")),
        code_bundle=_bundle(head),
        steps=tuple(
            StepDefinition(
                iri=iri,
                id=local_name(iri),
                types=_stated_types(info["types"]),
                phase=_single_phase(info["phases"]),
                produces=tuple(sorted(info["outputs"])),
                depends_on=tuple(sorted(depends.get(iri, ()))),
                consumes=dict(sorted(consumes.get(iri, {}).items())),
                parameters=parameters.get(iri, {"task": task}),
                resources=resources.get(iri, {}),
            )
            for iri, info in sorted(steps.items(), key=lambda item: local_name(item[0]))
        ),
    )


def local_name(iri: str) -> str:
    """The part of an IRI after its last ``#`` or ``/``: a step's id."""
    return re.split(r"[#/]", iri.rstrip("/#"))[-1]


def snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _steps(store: ReadableStore, graph: str) -> dict[str, dict[str, set[str]]]:
    steps: dict[str, dict[str, set[str]]] = defaultdict(
        lambda: {"types": set(), "phases": set(), "outputs": set()}
    )
    for row in queries.select(store, "pipeline_steps", graph=graph):
        info = steps[str(row["step"])]
        for key, var in (("types", "type"), ("phases", "phase"), ("outputs", "output")):
            if var in row:
                info[key].add(str(row[var]))
    return steps


def _stated_types(types: set[str]) -> tuple[str, ...]:
    """A step's types less the standard ones the store added for them (``prov:Plan``…)."""
    superclasses = ontology_types().superclasses
    implied = set().union(*(superclasses.get(t, ()) for t in types))
    return tuple(sorted(types - implied))


def _single_phase(phases: set[str]) -> str | None:
    return next(iter(phases)) if len(phases) == 1 else None


def _pairs(rows: list[dict[str, Node]], column: str) -> dict[str, set[str]]:
    pairs: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        pairs[str(row["step"])].add(str(row[column]))
    return pairs


def _parameters(store: ReadableStore, graph: str, task: str) -> dict[str, dict[str, Any]]:
    plain: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for row in queries.select(store, "step_parameters", graph=graph):
        key = snake_case(local_name(str(row["property"])))
        plain[str(row["step"])][key].append(python_value(row["value"]))
    result: dict[str, dict[str, Any]] = defaultdict(lambda: {"task": task})
    for step, values in plain.items():
        result[step].update(
            {k: v[0] if len(v) == 1 else sorted(v, key=str) for k, v in values.items()}
        )
    for row in queries.select(store, "step_hyperparameters", graph=graph):
        result[str(row["step"])].setdefault("hyperparameters", {})[str(row["name"])] = python_value(
            row["value"]
        )
    for row in queries.select(store, "step_search_space", graph=graph):
        space = result[str(row["step"])].setdefault("search_space", {})
        space.setdefault(str(row["name"]), []).append(python_value(row["candidate"]))
    for space in (p["search_space"] for p in result.values() if "search_space" in p):
        for name in space:
            space[name] = sorted(space[name], key=lambda v: (str(type(v)), v))
    for row in queries.select(store, "step_thresholds", graph=graph):
        result[str(row["step"])].setdefault("thresholds", []).append(
            {
                "metric": str(row["metric"]),
                "min": _number_or_none(row.get("min")),
                "max": _number_or_none(row.get("max")),
            }
        )
    _column_expectations(store, graph, result)
    return result


def _column_expectations(store: ReadableStore, graph: str, result: dict[str, Any]) -> None:
    """A data validation step's ``ol:expectColumn`` nodes as ``columns`` records, by name."""
    found: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in queries.select(store, "step_column_expectations", graph=graph):
        column = found[str(row["step"])].setdefault(
            str(row["expectation"]),
            {
                "name": str(row["name"]),
                "type": _str_or_none(row.get("type")),
                "required": _value_or_none(row.get("required")),
                "min": _number_or_none(row.get("min")),
                "max": _number_or_none(row.get("max")),
                "max_missing_rate": _number_or_none(row.get("missing")),
                "allowed": [],
            },
        )
        if row.get("allowed") is not None:
            column["allowed"].append(python_value(row["allowed"]))
    for step, columns in found.items():
        records = sorted(columns.values(), key=lambda c: c["name"])
        for column in records:
            column["allowed"] = sorted(set(column["allowed"]), key=str) or None
        result[step]["columns"] = records


def _value_or_none(term: Node | None) -> Any:
    return None if term is None else python_value(term)


def _resources(store: ReadableStore, graph: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for row in queries.select(store, "step_resources", graph=graph):
        found[str(row["step"])] = {
            key: python_value(row[var])
            for key, var in (
                ("image", "image"),
                ("cpus", "cpus"),
                ("memory", "memory"),
                ("timeout_seconds", "timeout"),
                ("placement", "placement"),
            )
            if var in row
        }
    return found


def _bundle(head: dict[str, Node]) -> ArtifactRef | None:
    if head.get("bundle_sha256") is None:
        return None
    size = int(python_value(head["bundle_size"]))
    return ArtifactRef(str(head["bundle_sha256"]), size, CODE_BUNDLE_MEDIA_TYPE)


def _number_or_none(term: Node | None) -> float | None:
    return None if term is None else float(python_value(term))


def _str_or_none(term: Node | None) -> str | None:
    return None if term is None else str(term)
