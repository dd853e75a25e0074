"""What a step may say, read from the SHACL shapes and the ontology: the pipeline builder's forms.

The shapes (``ontology/shapes.ttl``, with the platform's estimator allow-list in their
``ol:estimator`` lists) are not loaded in the store, so this module reads them with rdflib once
per process and allow-list and answers, per step class, its plain parameters with their datatype,
allowed values (``sh:in``), bounds, pattern and the shape's own message, plus the structured
values (resources, hyperparameters, search space, thresholds), the estimators that fit each task
and the bundled sources an extract step may read. Every key is snake_case, and so is each
parameter's ``name`` (the key a JSON pipeline document gives it); ``path`` keeps the ``ol:`` term.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from server.definitions.estimators import AllowList, default_allow_list
from server.definitions.steps import snake_case
from server.definitions.validation import ontology_graph, shapes_graph
from server.graph.namespaces import OL

SH = Namespace("http://www.w3.org/ns/shacl#")
XSD = "http://www.w3.org/2001/XMLSchema#"

# Paths the builder draws as edges or sub-forms, not as plain parameter fields.
STRUCTURAL = {
    RDF.type: None,
    OL.produces: None,
    OL.consumes: "consumes",
    OL.dependsOn: None,
    OL.requires: None,
    OL.hyperParameter: None,
    OL.searchSpace: None,
    OL.threshold: None,
    OL.expectColumn: None,  # a data validation step's column expectations (no sub-form yet)
}
STRUCTURES = {
    "resources": OL.requires,
    "hyper_parameter": OL.hyperParameter,
    "search_space": OL.searchSpace,
    "threshold": OL.threshold,
}
_NUMERIC = {
    "min_inclusive": SH.minInclusive,
    "min_exclusive": SH.minExclusive,
    "max_inclusive": SH.maxInclusive,
    "max_exclusive": SH.maxExclusive,
}
_COUNTS = {"min_count": SH.minCount, "max_count": SH.maxCount}
# The bundled datasets inside the ol:source pattern: `sklearn:(iris|wine|...)`.
_BUNDLED = re.compile(r"sklearn:\(([\w|]+)\)")


def builder_vocabulary(estimators: AllowList | None = None) -> dict[str, Any]:
    """The builder's vocabulary from the release's shapes and ontology (plain JSON-able data),
    offering ``estimators`` (the platform's allow-list; None: the default settings')."""
    return describe(estimators or default_allow_list())


@lru_cache(maxsize=4)
def describe(estimators: AllowList) -> dict[str, Any]:
    """The builder's vocabulary (cached: the files change with a release, the list with the
    settings)."""
    shapes, ontology = shapes_graph(estimators), ontology_graph()
    step_classes = sorted(
        (c for c in ontology.subjects(RDFS.subClassOf, OL.Step) if isinstance(c, URIRef)),
        key=str,
    )
    steps = [_step(shapes, ontology, cls) for cls in step_classes]
    structures = {
        key: list(
            _properties(shapes, ontology, set(shapes.subjects(SH.targetObjectsOf, path))).values()
        )
        for key, path in STRUCTURES.items()
    }
    experiment = _properties(shapes, ontology, _shapes_targeting(shapes, {OL.Experiment}))
    return {
        "task": experiment.get(str(OL.task), {}).get("in", []),
        "steps": steps,
        **structures,
        "choices_by_task": _choices_by_task(shapes),
        "sources": _bundled_sources(shapes),
    }


def _step(shapes: Graph, ontology: Graph, cls: URIRef) -> dict[str, Any]:
    node_shapes = _shapes_targeting(shapes, {cls, OL.Step})
    props = _properties(shapes, ontology, node_shapes)
    consumes = props.pop("consumes", {})
    paths = {
        shapes.value(prop, SH.path)
        for node_shape in node_shapes
        for prop in shapes.objects(node_shape, SH.property)
    }
    return {
        "type": _local(cls),
        "label": _text(ontology.value(cls, RDFS.label)) or _local(cls),
        "comment": _text(ontology.value(cls, RDFS.comment)),
        "phase": _text(ontology.value(cls, OL.phaseName)),
        "consumes": {"min": consumes.get("min_count", 0), "max": consumes.get("max_count")},
        "parameters": [p for p in props.values() if "name" in p],
        # The structured values this step class may carry (the builder's sub-forms).
        "structures": [key for key, path in STRUCTURES.items() if path in paths],
    }


def _shapes_targeting(shapes: Graph, classes: set[Node]) -> set[Node]:
    return {s for cls in classes for s in shapes.subjects(SH.targetClass, cls)}


def _properties(shapes: Graph, ontology: Graph, node_shapes: set[Node]) -> dict[str, Any]:
    """Every direct property shape of ``node_shapes``, merged per path."""
    merged: dict[str, dict[str, Any]] = {}
    for node_shape in sorted(node_shapes, key=str):
        for prop in shapes.objects(node_shape, SH.property):
            path = shapes.value(prop, SH.path)
            if not isinstance(path, URIRef):
                continue
            key = STRUCTURAL[path] if path in STRUCTURAL else str(path)
            if key is None:
                continue
            entry = merged.setdefault(key, _describe_path(ontology, path, key))
            entry.update(_constraints(shapes, prop))
    for entry in merged.values():
        entry["required"] = entry.get("min_count", 0) >= 1
        entry["multiple"] = entry.get("max_count") != 1
        if "datatype" not in entry and any(k in entry for k in _NUMERIC):
            entry["datatype"] = "decimal"
    return merged


def _describe_path(ontology: Graph, path: URIRef, key: str) -> dict[str, Any]:
    if key == "consumes":
        return {}
    entry: dict[str, Any] = {
        "name": snake_case(_local(path)),
        "path": "ol:" + _local(path),
        "label": _text(ontology.value(path, RDFS.label)) or _local(path),
        "comment": _text(ontology.value(path, RDFS.comment)),
    }
    declared = ontology.value(path, RDFS.range)
    if isinstance(declared, URIRef) and str(declared).startswith(XSD):
        entry["datatype"] = str(declared)[len(XSD) :]
    return entry


def _constraints(shapes: Graph, prop: Node) -> Iterator[tuple[str, Any]]:
    for key, predicate in _COUNTS.items():
        value = shapes.value(prop, predicate)
        if value is not None:
            yield key, int(value)  # type: ignore[call-overload]
    datatype = shapes.value(prop, SH.datatype)
    if datatype is not None:
        yield "datatype", str(datatype)[len(XSD) :]
    choices = shapes.value(prop, SH["in"])
    if choices is not None:
        yield "in", [_json(v) for v in Collection(shapes, choices)]
    for key, predicate in _NUMERIC.items():
        value = shapes.value(prop, predicate)
        if value is not None:
            yield key, _json(value)
    pattern = shapes.value(prop, SH.pattern)
    if pattern is not None:
        yield "pattern", str(pattern)
    message = shapes.value(prop, SH.message)
    if message is not None:
        yield "message", str(message)


def _choices_by_task(shapes: Graph) -> dict[str, dict[str, list[Any]]]:
    """From ``sh:or`` alternatives pairing ``sh:in`` on a path with ``sh:hasValue`` a task;
    keyed by the parameter's snake_case name."""
    found: dict[str, dict[str, list[Any]]] = {}
    for alternatives in shapes.objects(None, SH["or"]):
        for member in Collection(shapes, alternatives):
            task, choices = None, None
            for prop in shapes.objects(member, SH.property):
                path = shapes.value(prop, SH.path)
                if shapes.value(prop, SH.hasValue) is not None:
                    task = str(shapes.value(prop, SH.hasValue))
                elif isinstance(path, URIRef) and (listed := shapes.value(prop, SH["in"])):
                    name = snake_case(_local(path))
                    choices = (name, [_json(v) for v in Collection(shapes, listed)])
            if task and choices:
                found.setdefault(choices[0], {})[task] = choices[1]
    return found


def _bundled_sources(shapes: Graph) -> list[str]:
    """The ``sklearn:NAME`` sources the ``ol:source`` pattern allows, in its order: the shape is
    what validation checks, so the builder offers exactly what passes."""
    sources: list[str] = []
    for prop in shapes.subjects(SH.path, OL.source):
        match = _BUNDLED.search(str(shapes.value(prop, SH.pattern) or ""))
        if match:
            sources.extend(f"sklearn:{name}" for name in match.group(1).split("|"))
    return list(dict.fromkeys(sources))


def _json(term: Node) -> Any:
    return term.toPython() if isinstance(term, Literal) else "ol:" + _local(term)


def _local(term: Node) -> str:
    return str(term).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _text(term: Node | None) -> str | None:
    return None if term is None else str(term)
