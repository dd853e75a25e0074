"""A run's state as triples in its own named graph (PROV-O + ML-Schema).

Pure: builds triples from a ``RunRecord`` and does no I/O. The whole graph is rebuilt and
written in one request at each state change, so a reader never sees half a run.

Facts that are the same for every run that meets them (an implementation and its
hyperparameters, a data source, the column statistics of a profile, named by its checksum) go
in shared graphs of their own (``shared_graphs``), written once instead of copied into every
run graph: at 10,000 runs that keeps the store and each run's write small.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache, partial
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from executor.contract import StepResult
from server.namespaces import (
    DCAT,
    MLS,
    OL,
    PROV,
    RDF,
    RDFS,
    evaluation_iri,
    hyperparameter_iri,
    hyperparameter_setting_iri,
    implementation_iri,
    measure_iri,
    metric_property,
    output_iri,
    profile_iri,
    run_iri,
    signature_iri,
    source_iri,
    step_run_iri,
    sub_iri,
)
from server.records import RunRecord, StepRecord
from server.store.base import Triple

#: Each node is typed with its most specific class only; the ontology's subclass axioms give
#: the PROV, ML-Schema and DCAT classes (query them as ``a/rdfs:subClassOf*``).
KIND_CLASSES = {
    "dataset": OL.Dataset,
    "profile": OL.DataProfile,
    "splits": OL.Dataset,
    "model": OL.Model,
    "report": OL.EvaluationReport,
}


def run_triples(record: RunRecord) -> list[Triple]:
    """Every triple describing ``record``, for its run graph."""
    run = run_iri(record.run_id)
    pipeline = record.pipeline
    out: list[Triple] = [
        (run, RDF.type, OL.Run),
        (run, OL.runId, Literal(record.run_id)),
        (run, OL.status, Literal(record.status)),
        (run, OL.ofExperiment, URIRef(pipeline.experiment)),
        (run, OL.ofExperimentVersion, pipeline.version.iri),
        (run, OL.provisioner, Literal(record.provisioner)),
        (run, PROV.startedAtTime, _time(record.started_at)),
    ]
    if record.ended_at:
        out.append((run, PROV.endedAtTime, _time(record.ended_at)))
    if record.error:
        out.append((run, OL.errorMessage, Literal(record.error)))
    if record.compose_file:
        compose = sub_iri(run, "file", "compose.yaml")
        out += [
            (run, OL.composeFile, compose),
            (compose, RDF.type, PROV.Entity),
            (compose, OL.sha256, Literal(record.compose_file.sha256)),
            (compose, OL.byteSize, Literal(record.compose_file.size)),
            (compose, DCAT.mediaType, Literal(record.compose_file.media_type)),
            (compose, PROV.wasGeneratedBy, run),
        ]
    for step in record.steps.values():
        out += _step_triples(record, step)
    return out


def _step_triples(record: RunRecord, step: StepRecord) -> list[Triple]:
    run = run_iri(record.run_id)
    node = step_run_iri(record.run_id, step.id)
    out: list[Triple] = [
        (run, OL.hasStepRun, node),
        (node, RDF.type, OL.StepRun),
        (node, OL.stepId, Literal(step.id)),
        (node, OL.status, Literal(step.status)),
        (node, OL.executesStep, URIRef(step.definition)),
    ]
    if step.cache_hit:
        out.append((node, OL.cacheHit, Literal(True)))
    out += _optional(
        node,
        [
            (PROV.startedAtTime, step.started_at, _time),
            (PROV.endedAtTime, step.ended_at, _time),
            (OL.workerId, step.worker, Literal),
            (OL.reusedFrom, step.reused_from, URIRef),
            (OL.errorMessage, step.skipped_because, Literal),
        ],
    )
    if step.result is not None:
        out += _result_triples(record, step, step.result)
    return out


def _result_triples(record: RunRecord, step: StepRecord, result: StepResult) -> list[Triple]:
    node = step_run_iri(record.run_id, step.id)
    inputs = [output_iri(record.run_id, producer) for producer in step.inputs.values()]
    out: list[Triple] = [(node, PROV.used, entity) for entity in inputs]
    if result.error is not None:
        out.append((node, OL.errorType, Literal(result.error.type)))
        out.append((node, OL.errorMessage, Literal(result.error.message)))
    for kind, ref in result.outputs.items():
        entity = output_iri(record.run_id, step.id)
        out += [
            (entity, RDF.type, OL.Artifact),
            (entity, RDF.type, KIND_CLASSES[kind]),
            (entity, OL.artifactKind, Literal(kind)),
            (entity, OL.sha256, Literal(ref.sha256)),
            (entity, OL.byteSize, Literal(ref.size)),
            (entity, DCAT.mediaType, Literal(ref.media_type)),
            (entity, PROV.wasGeneratedBy, node),
        ]
        out += [(entity, PROV.wasDerivedFrom, source) for source in inputs]
        if step.output:
            out.append((entity, PROV.specializationOf, URIRef(step.output)))
    out += PHASE_FACTS.get(step.phase, _no_facts)(record, step, result)
    return out


def _extract_facts(record: RunRecord, step: StepRecord, result: StepResult) -> list[Triple]:
    summary = result.summary
    if not result.outputs or "source" not in summary:
        return []
    entity = output_iri(record.run_id, step.id)
    return [
        (entity, PROV.wasDerivedFrom, source_iri(str(summary["source"]))),
        *_optional(
            entity,
            [
                (OL.rowCount, summary.get("rows"), Literal),
                (OL.columnCount, summary.get("columns"), Literal),
                (OL.targetColumn, summary.get("target_column"), Literal),
            ],
        ),
    ]


def _explore_facts(record: RunRecord, step: StepRecord, result: StepResult) -> list[Triple]:
    dataset_step = step.inputs.get("dataset")
    profile = result.outputs.get("profile")
    if dataset_step is None or profile is None or not result.summary.get("columns"):
        return []
    dataset = output_iri(record.run_id, dataset_step)
    return [(dataset, OL.hasDataProfile, profile_iri(profile.sha256))]


def _build_facts(record: RunRecord, step: StepRecord, result: StepResult) -> list[Triple]:
    summary = result.summary
    if not result.outputs:
        return []
    run = run_iri(record.run_id)
    node = step_run_iri(record.run_id, step.id)
    model = output_iri(record.run_id, step.id)
    out: list[Triple] = [
        (run, MLS.hasOutput, model),
        (run, MLS.executes, implementation_iri(_estimator_class(summary))),
        (model, OL.hasSignature, signature_iri(_signature_digest(summary))),
    ]
    if summary.get("model_name") is not None:
        out.append((model, OL.modelName, Literal(summary["model_name"])))
    out += [(node, OL.hasHyperParameterSetting, setting) for setting in _settings(summary)]
    return out


def _estimator_class(summary: dict[str, Any]) -> str:
    return str(summary.get("estimator_class", summary.get("estimator", "unknown")))


def _settings(summary: dict[str, Any]) -> dict[URIRef, tuple[str, URIRef, Any]]:
    """Each hyperparameter's setting, named by its parameter and value: (name, parameter, raw
    value) by setting IRI. No literals are made here: this runs for every write."""
    estimator_class = _estimator_class(summary)
    settings = {}
    for name, raw in sorted(summary.get("hyperparameters", {}).items()):
        parameter = hyperparameter_iri(estimator_class, name)
        settings[hyperparameter_setting_iri(parameter, json.dumps(raw, sort_keys=True))] = (
            name,
            parameter,
            raw,
        )
    return settings


def _signature_facts(summary: dict[str, Any]) -> list[tuple[URIRef, Literal]]:
    """What a model expects and was fitted with: the same for every model trained on the same
    columns with the same libraries, so it is named by its digest and stored once."""
    versions = summary.get("library_versions", {})
    facts = [(OL.featureColumn, Literal(str(c))) for c in summary.get("feature_columns", [])]
    facts += [(OL.libraryVersion, Literal(f"{k} {v}")) for k, v in sorted(versions.items())]
    for predicate, key in (
        (OL.serializationFormat, "serialization_format"),
        (OL.targetColumn, "target_column"),
    ):
        if summary.get(key) is not None:
            facts.append((predicate, Literal(summary[key])))
    return facts


def _signature_digest(summary: dict[str, Any]) -> str:
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


def _validate_facts(record: RunRecord, step: StepRecord, result: StepResult) -> list[Triple]:
    run = run_iri(record.run_id)
    node = step_run_iri(record.run_id, step.id)
    model_step = step.inputs.get("model")
    out: list[Triple] = []
    for metric, value in sorted(result.metrics.items()):
        evaluation = evaluation_iri(record.run_id, step.id, metric)
        out += [
            (run, metric_property(metric), _double(value)),
            (run, MLS.hasOutput, evaluation),
            (evaluation, RDF.type, MLS.ModelEvaluation),
            (evaluation, MLS.specifiedBy, measure_iri(metric)),
            (evaluation, MLS.hasValue, _double(value)),
            (evaluation, PROV.wasGeneratedBy, node),
        ]
        if model_step:
            out.append((evaluation, OL.evaluates, output_iri(record.run_id, model_step)))
    for check in result.summary.get("thresholds", []):
        check_node = sub_iri(node, "threshold", str(check["metric"]))
        out += [
            (node, OL.hasThresholdCheck, check_node),
            (check_node, RDF.type, OL.ThresholdCheck),
            (check_node, OL.metricName, Literal(str(check["metric"]))),
        ]
        out += _optional(
            check_node,
            [
                (OL.minValue, check.get("min"), _double),
                (OL.maxValue, check.get("max"), _double),
                (OL.observedValue, check.get("value"), _double),
                (OL.passed, check.get("passed"), Literal),
            ],
        )
    return out


def _no_facts(record: RunRecord, step: StepRecord, result: StepResult) -> list[Triple]:
    return []


PHASE_FACTS: dict[str, Callable[[RunRecord, StepRecord, StepResult], list[Triple]]] = {
    "extract": _extract_facts,
    "explore": _explore_facts,
    "build": _build_facts,
    "validate": _validate_facts,
}


SharedGraphs = dict[URIRef, Callable[[], list[Triple]]]


def shared_graphs(record: RunRecord) -> SharedGraphs:
    """The shared graphs ``record`` points to, by name, each with a function that builds its
    triples (only called for a graph the writer has not written yet)."""
    graphs: SharedGraphs = {}
    for step in record.steps.values():
        if step.result is not None and not step.result.error:
            graphs.update(SHARED_FACTS.get(step.phase, _no_shared)(step.result))
    return graphs


def _source_graph(result: StepResult) -> SharedGraphs:
    if not result.outputs or "source" not in result.summary:
        return {}
    ref = str(result.summary["source"])
    source = source_iri(ref)
    return {
        source: lambda: [
            (source, RDF.type, OL.DataSource),
            (source, RDF.type, PROV.Entity),
            (source, OL.sourceRef, Literal(ref)),
        ]
    }


def _profile_graph(result: StepResult) -> SharedGraphs:
    profile = result.outputs.get("profile")
    columns = result.summary.get("columns", [])
    if profile is None or not columns:
        return {}
    node = profile_iri(profile.sha256)
    return {node: lambda: _column_triples(node, columns)}


def _column_triples(node: URIRef, columns: list[dict[str, Any]]) -> list[Triple]:
    out: list[Triple] = [(node, RDF.type, OL.DataProfile)]
    for column in columns:
        profile = sub_iri(node, "column", str(column["name"]))
        out += [
            (node, OL.hasColumnProfile, profile),
            (profile, RDF.type, OL.ColumnProfile),
            (profile, OL.columnName, Literal(str(column["name"]))),
        ]
        out += _optional(
            profile,
            [
                (OL.dataType, column.get("dtype"), Literal),
                (OL.rowCount, column.get("count"), Literal),
                (OL.missingCount, column.get("missing"), Literal),
                (OL.uniqueCount, column.get("unique"), Literal),
                (OL.mean, column.get("mean"), _double),
                (OL.std, column.get("std"), _double),
                (OL.minimum, column.get("min"), _double),
                (OL.maximum, column.get("max"), _double),
            ],
        )
    return out


def _build_graphs(result: StepResult) -> SharedGraphs:
    """The implementation and its hyperparameters, each setting, and the model signature."""
    summary = result.summary
    if not result.outputs:
        return {}
    estimator_class = _estimator_class(summary)
    implementation = implementation_iri(estimator_class)
    names = sorted(summary.get("hyperparameters", {}))
    signature = signature_iri(_signature_digest(summary))
    graphs: SharedGraphs = {
        implementation: lambda: _implementation_triples(implementation, estimator_class, names),
        signature: lambda: [
            (signature, RDF.type, OL.ModelSignature),
            *((signature, p, v) for p, v in _signature_facts(summary)),
        ],
    }
    for setting, facts in _settings(summary).items():
        graphs[setting] = partial(_setting_triples, setting, *facts)
    return graphs


def _setting_triples(setting: URIRef, name: str, parameter: URIRef, value: Any) -> list[Triple]:
    return [
        (setting, RDF.type, MLS.HyperParameterSetting),
        (setting, MLS.specifiedBy, parameter),
        (setting, OL.parameterName, Literal(name)),
        (setting, MLS.hasValue, _value(value)),
    ]


def _implementation_triples(
    implementation: URIRef, estimator_class: str, names: list[str]
) -> list[Triple]:
    out: list[Triple] = [
        (implementation, RDF.type, MLS.Implementation),
        (implementation, RDFS.label, Literal(estimator_class)),
    ]
    for name in names:
        parameter = hyperparameter_iri(estimator_class, name)
        out += [
            (parameter, RDF.type, MLS.HyperParameter),
            (parameter, RDFS.label, Literal(name)),
            (implementation, MLS.hasHyperParameter, parameter),
        ]
    return out


def _no_shared(result: StepResult) -> SharedGraphs:
    return {}


SHARED_FACTS: dict[str, Callable[[StepResult], SharedGraphs]] = {
    "extract": _source_graph,
    "explore": _profile_graph,
    "build": _build_graphs,
}


def _optional(
    subject: URIRef, facts: list[tuple[URIRef, Any, Callable[[Any], Any]]]
) -> list[Triple]:
    """Triples for the facts whose value is known."""
    return [
        (subject, predicate, make(value)) for predicate, value, make in facts if value is not None
    ]


def _value(value: Any) -> Literal:
    if value is None or isinstance(value, list | dict):
        return Literal(json.dumps(value), datatype=RDF.JSON)
    if isinstance(value, float):
        return _double(value)
    return Literal(value)


def _double(value: Any) -> Literal:
    return Literal(float(value), datatype=XSD.double)


def _time(stamp: str) -> Literal:
    return Literal(_parse(stamp), datatype=XSD.dateTime)


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)
