"""Facts shared between runs, each in a graph of its own named by what it describes.

An implementation and its hyperparameters, each hyperparameter setting, a data source, the
column statistics of a profile (named by its checksum) and a model signature are the same for
every run that meets them: they are written once (``shared_graphs``, by ``server.tracking.writer``)
instead of copied into every run graph, which keeps the store and each run's write small at
10,000 runs. The run graph (``server.tracking.results``) points to them by these names.

Pure: builds triples and does no I/O. Terms are pyoxigraph terms (``server.graph.write_terms``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any

import pyoxigraph as ox
from rdflib import URIRef

from executor.contract import StepResult
from server.graph.namespaces import (
    hyperparameter_iri,
    hyperparameter_setting_iri,
    implementation_iri,
    profile_iri,
    signature_iri,
    source_iri,
    sub_iri,
)
from server.graph.write_terms import MLS, OL, RDF, RDFS, double, iri, plain, string, value
from server.store.base import WriteTriple
from server.tracking.records import RunRecord


def estimator_class(summary: dict[str, Any]) -> str:
    return str(summary.get("estimator_class", summary.get("estimator", "unknown")))


def hyperparameter_settings(summary: dict[str, Any]) -> dict[URIRef, tuple[str, URIRef, Any]]:
    """Each hyperparameter's setting, named by its parameter and value: (name, parameter, raw
    value) by setting IRI."""
    estimator = estimator_class(summary)
    return {
        _setting_iri(estimator, name, json.dumps(raw, sort_keys=True)): (
            name,
            hyperparameter_iri(estimator, name),
            raw,
        )
        for name, raw in sorted(summary.get("hyperparameters", {}).items())
    }


@lru_cache(maxsize=4096)
def _setting_iri(estimator_class: str, name: str, canonical: str) -> URIRef:
    """Cached: a sweep meets the same few settings in every run, and each costs a digest."""
    return hyperparameter_setting_iri(hyperparameter_iri(estimator_class, name), canonical)


def _signature_facts(summary: dict[str, Any]) -> list[tuple[ox.NamedNode, ox.Literal]]:
    """What a model expects and was fitted with: the same for every model trained on the same
    columns with the same libraries, so it is named by its digest and stored once."""
    versions = summary.get("library_versions", {})
    facts = [(OL.featureColumn, string(c)) for c in summary.get("feature_columns", [])]
    facts += [(OL.libraryVersion, string(f"{k} {v}")) for k, v in sorted(versions.items())]
    for predicate, key in (
        (OL.serializationFormat, "serialization_format"),
        (OL.targetColumn, "target_column"),
    ):
        if summary.get(key) is not None:
            facts.append((predicate, string(summary[key])))
    return facts


def signature_digest(summary: dict[str, Any]) -> str:
    versions = summary.get("library_versions", {})
    return _digest(
        tuple(map(str, summary.get("feature_columns", []))),
        summary.get("target_column"),
        summary.get("serialization_format"),
        tuple(sorted((str(k), str(v)) for k, v in versions.items())),
    )


@lru_cache(maxsize=256)
def _digest(*facts: Any) -> str:
    return hashlib.sha256(json.dumps(facts).encode()).hexdigest()


SharedGraphs = dict[URIRef, Callable[[], list[WriteTriple]]]


def shared_graphs(record: RunRecord) -> SharedGraphs:
    """The shared graphs ``record`` points to, by name, each with a function that builds its
    triples (only called for a graph the writer has not written yet)."""
    graphs: SharedGraphs = {}
    for step in record.steps.values():
        if step.result is not None and not step.result.error:
            graphs.update(SHARED_FACTS.get(step.phase, _no_shared)(step.result))
        if step.result is not None:  # an AutoML step's trials are kept even when it failed
            graphs.update(_trial_graphs(step.result))
    return graphs


def _trial_graphs(result: StepResult) -> SharedGraphs:
    """The implementation and settings of each trial of an AutoML step (the trials' own nodes
    are in the run graph: ``server.tracking.trials``)."""
    graphs: SharedGraphs = {}
    # Every parameter name of each estimator class tried (as a build's model lists them), so an
    # implementation graph holds the same triples whoever writes it first.
    for name, names in (result.summary.get("implementations") or {}).items():
        implementation = implementation_iri(name)
        graphs[implementation] = partial(_implementation_triples, implementation, name, names)
    for build in trial_builds(result.summary.get("trials", [])):
        for setting, facts in hyperparameter_settings(build).items():
            graphs[setting] = partial(_setting_triples, setting, *facts)
    return graphs


def trial_builds(trials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each trial of an AutoML step as a build summary (its class and scalar settings)."""
    return [
        {
            "estimator_class": trial["estimator_class"],
            "hyperparameters": {
                k: v
                for k, v in (trial.get("params") or {}).items()
                if v is None or isinstance(v, bool | int | float | str)
            },
        }
        for trial in trials
        if trial.get("estimator_class")
    ]


def _source_graph(result: StepResult) -> SharedGraphs:
    if not result.outputs or "source" not in result.summary:
        return {}
    ref = str(result.summary["source"])
    name = source_iri(ref)
    source = iri(name)
    return {
        name: lambda: [
            (source, RDF.type, OL.DataSource),
            (source, OL.sourceRef, string(ref)),
        ]
    }


def _profile_graph(result: StepResult) -> SharedGraphs:
    profile = result.outputs.get("profile")
    columns = result.summary.get("columns", [])
    if profile is None or not columns:
        return {}
    name = profile_iri(profile.sha256)
    return {name: lambda: _column_triples(name, columns)}


def _column_triples(name: URIRef, columns: list[dict[str, Any]]) -> list[WriteTriple]:
    node = iri(name)
    out: list[WriteTriple] = [(node, RDF.type, OL.DataProfile)]
    for column in columns:
        profile = iri(sub_iri(name, "column", str(column["name"])))
        out += [
            (node, OL.hasColumnProfile, profile),
            (profile, RDF.type, OL.ColumnProfile),
            (profile, OL.columnName, string(column["name"])),
        ]
        out += optional(
            profile,
            [
                (OL.dataType, column.get("dtype"), string),
                (OL.rowCount, column.get("count"), plain),
                (OL.missingCount, column.get("missing"), plain),
                (OL.uniqueCount, column.get("unique"), plain),
                (OL.mean, column.get("mean"), double),
                (OL.std, column.get("std"), double),
                (OL.minimum, column.get("min"), double),
                (OL.maximum, column.get("max"), double),
            ],
        )
    return out


def _build_graphs(result: StepResult) -> SharedGraphs:
    """The implementation and its hyperparameters, each setting, and the model signature."""
    summary = result.summary
    if not result.outputs:
        return {}
    estimator = estimator_class(summary)
    implementation = implementation_iri(estimator)
    names = sorted(summary.get("hyperparameters", {}))
    signature = signature_iri(signature_digest(summary))
    graphs: SharedGraphs = {
        implementation: lambda: _implementation_triples(implementation, estimator, names),
        signature: lambda: [
            (iri(signature), RDF.type, OL.ModelSignature),
            *((iri(signature), p, v) for p, v in _signature_facts(summary)),
        ],
    }
    for setting, facts in hyperparameter_settings(summary).items():
        graphs[setting] = partial(_setting_triples, setting, *facts)
    return graphs


def _setting_triples(setting: URIRef, name: str, parameter: URIRef, raw: Any) -> list[WriteTriple]:
    node = iri(setting)
    return [
        (node, RDF.type, MLS.HyperParameterSetting),
        (node, MLS.specifiedBy, iri(parameter)),
        (node, OL.parameterName, string(name)),
        (node, MLS.hasValue, value(raw)),
    ]


def _implementation_triples(
    implementation: URIRef, estimator_class: str, names: list[str]
) -> list[WriteTriple]:
    node = iri(implementation)
    out: list[WriteTriple] = [
        (node, RDF.type, MLS.Implementation),
        (node, RDFS.label, string(estimator_class)),
    ]
    for name in names:
        parameter = iri(hyperparameter_iri(estimator_class, name))
        out += [
            (parameter, RDF.type, MLS.HyperParameter),
            (parameter, RDFS.label, string(name)),
            (node, MLS.hasHyperParameter, parameter),
        ]
    return out


def _no_shared(result: StepResult) -> SharedGraphs:
    return {}


SHARED_FACTS: dict[str, Callable[[StepResult], SharedGraphs]] = {
    "extract": _source_graph,
    "explore": _profile_graph,
    "build": _build_graphs,
    # A code step that returned a model points to the same shared graphs as a build.
    "code": lambda result: _build_graphs(result) if "model" in result.outputs else {},
}


def optional(
    subject: ox.NamedNode, facts: list[tuple[ox.NamedNode, Any, Callable[[Any], Any]]]
) -> list[WriteTriple]:
    """Triples for the facts whose value is known."""
    return [
        (subject, predicate, make(known)) for predicate, known, make in facts if known is not None
    ]
