"""The JSON pipeline document (what the UI's builder sends) turned into a definition graph, and
a stored version read back into one (``from_pipeline``: what the builder loads).

Shape (documented in docs/definitions.md, "JSON pipeline documents")::

    {"id": "iris_ui", "label": "Iris from the builder", "task": "classification",
     "provisioner": "docker",
     "steps": [
       {"id": "extract", "type": "DataExtraction",
        "parameters": {"source": "sklearn:iris", "target_column": "target"}},
       {"id": "process", "type": "DataProcessing", "consumes": ["extract"]},
       {"id": "build", "type": "ModelBuilding", "consumes": ["process"],
        "parameters": {"estimator": "LogisticRegression"},
        "hyper_parameters": {"max_iter": 500}, "search_space": {"C": [0.1, 1.0]},
        "resources": {"cpus": 1, "memory": "1g", "timeout_seconds": 600}},
       {"id": "validate", "type": "ModelValidation", "consumes": ["build", "process"],
        "thresholds": [{"metric": "accuracy", "min": 0.9}]}]}

``provisioner`` (optional: ``local``, ``docker`` or ``swarm``) is the experiment's
``ol:provisioner``; left out, runs use the platform's default.

A data validation step (``DataValidation``) lists its column expectations under ``columns``:
``[{"name": "age", "type": "integer", "min": 0, "max": 120, "max_missing_rate": 0.05,
"allowed": [...], "required": false}]``.

``consumes`` and ``depends_on`` name other steps by id; each step produces one output node.
Keys are snake_case, parameter and resource names too: ``target_column`` is ``ol:targetColumn``
(the ``ol:`` local name itself is still taken). A step key the document does not know is refused
with the known ones, so a misspelt or camelCase key (``dependsOn``) is never silently dropped.
The graph then goes through the same SHACL validation as any Turtle definition, so a wrong
parameter name or value is reported on the node it concerns.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from server.definitions.steps import Pipeline, StepDefinition, local_name, snake_case
from server.errors import DefinitionError
from server.graph.namespaces import OL

BASE = "https://w3id.org/ontolab/experiments/"
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
STEP_KEYS = (
    "id",
    "type",
    "consumes",
    "depends_on",
    "parameters",
    "hyper_parameters",
    "search_space",
    "thresholds",
    "resources",
    "columns",  # a data validation step's column expectations
)
#: A column expectation's keys (``columns``) and the properties they become.
COLUMN_KEYS = {
    "name": OL.columnName,
    "type": OL.columnType,
    "required": OL.columnRequired,
    "min": OL.minValue,
    "max": OL.maxValue,
    "max_missing_rate": OL.maxMissingRate,
    "allowed": OL.allowedValue,
}


def to_graph(document: dict[str, Any]) -> Graph:
    """The definition graph the document describes; DefinitionError if its shape is wrong."""
    identifier = _text(document, "id", "the document")
    if not _ID.fullmatch(identifier):
        raise DefinitionError(f"document id {identifier!r} must be letters, digits, '_', '-', '.'")
    ns = f"{BASE}{identifier}#"
    graph = Graph()
    graph.bind("ol", OL)
    graph.bind("", ns)
    experiment = URIRef(ns + "experiment")
    graph.add((experiment, RDF.type, OL.Experiment))
    graph.add((experiment, DCTERMS.identifier, Literal(identifier)))
    graph.add((experiment, OL.task, Literal(_text(document, "task", "the document"))))
    if document.get("label"):
        graph.add((experiment, RDFS.label, Literal(str(document["label"]))))
    provisioner = document.get("provisioner")
    if provisioner is not None:
        if not isinstance(provisioner, str):
            raise DefinitionError('"provisioner" is one of "local", "docker" or "swarm"')
        graph.add((experiment, OL.provisioner, Literal(provisioner)))  # SHACL checks the name
    steps = document.get("steps")
    if not isinstance(steps, list) or not steps:
        raise DefinitionError('the document needs a non-empty "steps" list')
    ids = {_step_id(step) for step in steps}
    for step in steps:
        _add_step(graph, ns, experiment, step, ids)
    return graph


def _add_step(
    graph: Graph, ns: str, experiment: URIRef, step: dict[str, Any], ids: set[str]
) -> None:
    step_id = _step_id(step)
    _known_keys(step, step_id)
    node = URIRef(ns + step_id)
    step_type = _text(step, "type", f"step {step_id!r}")
    if not _NAME.fullmatch(step_type):
        raise DefinitionError(
            f"step {step_id!r} has type {step_type!r}; use a class name like DataExtraction"
        )
    graph.add((experiment, OL.hasStep, node))
    graph.add((node, RDF.type, OL[step_type]))
    graph.add((node, OL.produces, URIRef(f"{ns}{step_id}_output")))
    for key, predicate in (("consumes", OL.consumes), ("depends_on", OL.dependsOn)):
        for other in _list(step, key, step_id):
            if other not in ids:
                raise DefinitionError(
                    f"step {step_id!r} {key} {other!r}, which is not a step id of this document; "
                    f"use one of {', '.join(sorted(ids))}"
                )
            target = f"{ns}{other}_output" if key == "consumes" else f"{ns}{other}"
            graph.add((node, predicate, URIRef(target)))
    for name, value in _mapping(step, "parameters", step_id).items():
        for item in value if isinstance(value, list) else [value]:
            graph.add((node, OL[_name(name, step_id)], _literal(item)))
    _add_structured(graph, node, step, step_id)


def _add_structured(graph: Graph, node: URIRef, step: dict[str, Any], step_id: str) -> None:
    # Parts are numbered in a fixed order (by name, by metric): the order a document lists
    # them in means nothing, so it does not change the version's content.
    hyper = _mapping(step, "hyper_parameters", step_id)
    for index, (name, value) in enumerate(sorted(hyper.items(), key=_by_name)):
        part = URIRef(f"{node}/hyperparameter/{index}")
        graph.add((node, OL.hyperParameter, part))
        graph.add((part, OL.parameterName, Literal(str(name))))
        graph.add((part, OL.parameterValue, _literal(value)))
    space = _mapping(step, "search_space", step_id)
    for index, (name, values) in enumerate(sorted(space.items(), key=_by_name)):
        part = URIRef(f"{node}/search/{index}")
        graph.add((node, OL.searchSpace, part))
        graph.add((part, OL.parameterName, Literal(str(name))))
        for value in values if isinstance(values, list) else [values]:
            graph.add((part, OL.candidateValue, _literal(value)))
    thresholds = _list(step, "thresholds", step_id)
    if not all(isinstance(threshold, dict) for threshold in thresholds):
        raise DefinitionError(f'step {step_id!r}: each threshold is {{"metric", "min"|"max"}}')
    for index, threshold in enumerate(sorted(thresholds, key=_threshold_order)):
        part = URIRef(f"{node}/threshold/{index}")
        graph.add((node, OL.threshold, part))
        graph.add((part, OL.metricName, Literal(str(threshold.get("metric", "")))))
        for key, predicate in (("min", OL.minValue), ("max", OL.maxValue)):
            if threshold.get(key) is not None:
                graph.add((part, predicate, _literal(threshold[key])))
    _add_columns(graph, node, step, step_id)
    resources = _mapping(step, "resources", step_id)
    if resources:
        part = URIRef(f"{node}/resources")
        graph.add((node, OL.requires, part))
        for name, value in resources.items():
            graph.add((part, OL[_name(name, step_id)], _literal(value)))


def _add_columns(graph: Graph, node: URIRef, step: dict[str, Any], step_id: str) -> None:
    columns = _list(step, "columns", step_id)
    for column in columns:
        if not isinstance(column, dict) or set(column) - set(COLUMN_KEYS):
            raise DefinitionError(
                f"step {step_id!r}: each column expectation is an object with the keys "
                f"{', '.join(COLUMN_KEYS)}; got {column!r}"
            )
    for index, column in enumerate(sorted(columns, key=lambda c: str(c.get("name", "")))):
        part = URIRef(f"{node}/column/{index}")
        graph.add((node, OL.expectColumn, part))
        for key, value in column.items():
            for item in value if key == "allowed" and isinstance(value, list) else [value]:
                graph.add((part, COLUMN_KEYS[key], _literal(item)))


def _by_name(item: tuple[Any, Any]) -> str:
    return str(item[0])


def _threshold_order(threshold: dict[str, Any]) -> tuple[str, str, str]:
    return str(threshold.get("metric")), str(threshold.get("min")), str(threshold.get("max"))


def _literal(value: Any) -> Literal:
    if value is None or isinstance(value, list | dict):
        return Literal(json.dumps(value), datatype=RDF.JSON)
    return Literal(value)


def _step_id(step: Any) -> str:
    if not isinstance(step, dict):
        raise DefinitionError('each entry of "steps" must be an object with an "id"')
    step_id = _text(step, "id", "a step")
    if not _ID.fullmatch(step_id):
        raise DefinitionError(f"step id {step_id!r} must be letters, digits, '_', '-', '.'")
    return step_id


def _known_keys(step: dict[str, Any], step_id: str) -> None:
    unknown = sorted(set(step) - set(STEP_KEYS))
    if unknown:
        hints = [
            f"{key!r} (use {snake_case(key)!r})" if snake_case(key) in STEP_KEYS else repr(key)
            for key in unknown
        ]
        raise DefinitionError(
            f"step {step_id!r} has keys a pipeline document does not know: {', '.join(hints)}; "
            f"use only {', '.join(STEP_KEYS)}"
        )


def _name(name: str, step_id: str) -> str:
    """The ``ol:`` local name of a parameter or resource given in snake_case (or as is)."""
    if not _NAME.fullmatch(name):
        raise DefinitionError(
            f"step {step_id!r}: {name!r} is not a property name; use snake_case like target_column"
        )
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise DefinitionError(f'{where} needs a "{key}" string')
    return value


def _list(step: dict[str, Any], key: str, step_id: str) -> list[Any]:
    value = step.get(key, [])
    if not isinstance(value, list):
        raise DefinitionError(f'step {step_id!r}: "{key}" must be a list')
    return value


def _mapping(step: dict[str, Any], key: str, step_id: str) -> dict[str, Any]:
    value = step.get(key, {})
    if not isinstance(value, dict):
        raise DefinitionError(f'step {step_id!r}: "{key}" must be an object')
    return value


def from_pipeline(pipeline: Pipeline) -> dict[str, Any]:
    """The pipeline document of a stored version (read by ``steps.load_pipeline``): what the
    builder loads onto its canvas. A document the builder saved comes back as it was sent, so
    saving it unchanged finds the same version. The code bundle is not part of a document (it
    is picked by its sha256 when saving); ``ol:provisioner`` is its ``provisioner``."""
    document: dict[str, Any] = {"id": pipeline.identifier, "task": pipeline.task}
    if pipeline.label:
        document["label"] = pipeline.label
    if pipeline.provisioner:
        document["provisioner"] = pipeline.provisioner
    document["steps"] = [_document_step(step) for step in pipeline.steps]
    return document


def _document_step(step: StepDefinition) -> dict[str, Any]:
    types = [t[len(str(OL)) :] for t in step.types if t.startswith(str(OL))]
    out: dict[str, Any] = {"id": step.id, "type": types[0] if types else local_name(step.types[0])}
    consumes = sorted({local_name(p) for p in step.consumes.values() if p is not None})
    if consumes:
        out["consumes"] = consumes
    if step.depends_on:
        out["depends_on"] = sorted(local_name(d) for d in step.depends_on)
    plain = dict(step.parameters)
    plain.pop("task", None)
    hyper = plain.pop("hyperparameters", None) or {}
    space = plain.pop("search_space", None) or {}
    thresholds = _without_none(plain.pop("thresholds", None)) or []
    structured = {
        "hyper_parameters": dict(sorted(hyper.items(), key=_by_name)),
        "search_space": dict(sorted(space.items(), key=_by_name)),
        "thresholds": sorted(thresholds, key=_threshold_order),
        "columns": _without_none(plain.pop("columns", None)),
    }
    if plain:
        out["parameters"] = plain
    out.update({key: value for key, value in structured.items() if value})
    resources = {k: v for k, v in step.resources.items() if v is not None}
    if resources:
        out["resources"] = resources
    return out


def _without_none(records: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if records is None:
        return None
    return [{k: v for k, v in record.items() if v is not None} for record in records]
