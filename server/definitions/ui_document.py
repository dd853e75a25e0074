"""The JSON pipeline document (what the UI's builder sends) turned into a definition graph.

Shape (documented in docs/definitions.md, "JSON pipeline documents")::

    {"id": "iris_ui", "label": "Iris from the builder", "task": "classification",
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

from server.definitions.steps import snake_case
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
    for index, (name, value) in enumerate(_mapping(step, "hyper_parameters", step_id).items()):
        part = URIRef(f"{node}/hyperparameter/{index}")
        graph.add((node, OL.hyperParameter, part))
        graph.add((part, OL.parameterName, Literal(str(name))))
        graph.add((part, OL.parameterValue, _literal(value)))
    for index, (name, values) in enumerate(_mapping(step, "search_space", step_id).items()):
        part = URIRef(f"{node}/search/{index}")
        graph.add((node, OL.searchSpace, part))
        graph.add((part, OL.parameterName, Literal(str(name))))
        for value in values if isinstance(values, list) else [values]:
            graph.add((part, OL.candidateValue, _literal(value)))
    for index, threshold in enumerate(_list(step, "thresholds", step_id)):
        if not isinstance(threshold, dict):
            raise DefinitionError(f'step {step_id!r}: each threshold is {{"metric", "min"|"max"}}')
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
    for index, column in enumerate(_list(step, "columns", step_id)):
        if not isinstance(column, dict) or set(column) - set(COLUMN_KEYS):
            raise DefinitionError(
                f"step {step_id!r}: each column expectation is an object with the keys "
                f"{', '.join(COLUMN_KEYS)}; got {column!r}"
            )
        part = URIRef(f"{node}/column/{index}")
        graph.add((node, OL.expectColumn, part))
        for key, value in column.items():
            for item in value if key == "allowed" and isinstance(value, list) else [value]:
                graph.add((part, COLUMN_KEYS[key], _literal(item)))


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
